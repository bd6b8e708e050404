"""Where the per-bundle function runs: in this process, a local process pool, or Ray tasks.

Every engine takes the same task dicts and yields ``worker.analyze_bundle``'s outputs as they
complete (any order). A task the engine itself loses (a worker process killed, for instance by
the kernel's OOM killer) comes back as a failed output whose error starts with ``engine:``; it is
reported but not written to the dataset, so the next run tries the bundle again.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Iterator

from analyzer.fleet.worker import ENGINE_ERROR, analyze_bundle
from analyzer.ingest.streams import one_line

ENGINES = ("local", "ray")
# a worker process is replaced after this many bundles: memory a bundle left behind (allocator
# fragmentation, caches) does not pile up over thousands of bundles
TASKS_PER_CHILD = 25
# memory reserved per Ray task: analyze peaks at ~375 MiB on a 1 GiB bundle (benchmarks/README.md)
TASK_MEMORY = 1 << 30
# how long the address given with --address has to accept a TCP connection: ray.init itself
# retries an unreachable cluster for minutes before it gives up
REACH_TIMEOUT = 10.0
RAY_CLIENT_PORT = 10001
RAY_GCS_PORT = 6379


class EngineError(Exception):
    """The engine cannot start (Ray not installed, cluster unreachable): one line for the user."""


def lost(task: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    """The output of a task the engine lost."""
    return {"key": task.get("key"), "bundle_id": None, "bytes": 0, "input": task["input"], "result": None,
            "facts": {},
            "error": f"{ENGINE_ERROR}{type(exc).__name__}: {one_line(exc)}", "seconds": 0.0, "cpu_seconds": None}


def run_serial(tasks: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One bundle after the other, in this process."""
    for task in tasks:
        yield analyze_bundle(task)


def run_local(tasks: list[dict[str, Any]], jobs: int | None = None) -> Iterator[dict[str, Any]]:
    """A pool of ``jobs`` worker processes (default: every core); ``jobs`` 1 runs in-process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(tasks) <= 1:
        yield from run_serial(tasks)
        return
    # spawn, not fork: the parent holds Polars' and Arrow's thread pools, which fork would copy
    # in whatever state they are
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx,
                             max_tasks_per_child=TASKS_PER_CHILD) as pool:
        futures = {pool.submit(analyze_bundle, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker: this bundle is retried next run
                yield lost(futures[future], exc)


def start_ray(address: str | None = None) -> bool:
    """Connect to the Ray cluster at ``address`` (``auto``: the one this machine belongs to;
    ``ray://host:10001``: Ray Client), or start a local Ray; reuse the one this process already
    runs. Returns whether it was started here (and is to be stopped at the end)."""
    try:
        import ray
    except ImportError as exc:
        raise EngineError("--engine ray needs Ray: pip install 'gpu-bundle-analyzer[ray]'") from exc
    if ray.is_initialized():
        return False
    check_reachable(address)
    try:
        ray.init(address=address, log_to_driver=False, include_dashboard=False, configure_logging=False)
    except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError, ValueError...
        raise EngineError(f"cannot start or reach Ray{f' at {address}' if address else ''}: "
                          f"{one_line(exc)}") from exc
    return True


def ray_endpoint(address: str | None) -> tuple[str, int] | None:
    """The host and port an explicit Ray address names (``ray://HOST[:PORT]`` for Ray Client,
    ``HOST[:PORT]`` for the cluster's GCS), or None for ``auto``, ``local`` and no address (this
    machine's Ray, found or started by Ray itself)."""
    if not address or address in ("auto", "local"):
        return None
    client = address.startswith("ray://")
    rest = address[len("ray://"):] if client else address
    rest = rest.rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep or (":" in host and not host.endswith("]")):
        # no port, or a bare IPv6 address: the protocol's default port
        host, port = rest, ""
    host = host.strip("[]")
    if not host:
        raise EngineError(f"cannot reach Ray at {address}: no host in the address")
    if not port:
        return host, RAY_CLIENT_PORT if client else RAY_GCS_PORT
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise EngineError(f"cannot reach Ray at {address}: {port!r} is not a port")
    return host, int(port)


def check_reachable(address: str | None, timeout: float = REACH_TIMEOUT) -> None:
    """Fail in seconds, with one line, when an explicit Ray address accepts no TCP connection."""
    import socket

    endpoint = ray_endpoint(address)
    if endpoint is None:
        return
    try:
        with socket.create_connection(endpoint, timeout=timeout):
            pass
    except OSError as exc:
        reason = "no answer within %gs" % timeout if isinstance(exc, TimeoutError) else one_line(exc)
        raise EngineError(f"cannot reach Ray at {address} ({endpoint[0]} port {endpoint[1]}): {reason}") from exc


def run_ray(tasks: list[dict[str, Any]], started: bool) -> Iterator[dict[str, Any]]:
    """The same function as Ray tasks (one CPU each) on the Ray ``start_ray`` reached; stops it
    at the end when ``started``. The bundles' paths must be readable on the workers (a shared
    file system) and the analyzer installed there."""
    import ray

    try:
        # one CPU and TASK_MEMORY reserved per task: Ray places no more tasks on a node than its
        # memory holds (analyze's limits bound what one bundle can take)
        remote = ray.remote(num_cpus=1, memory=TASK_MEMORY, max_retries=1)(analyze_bundle)
        refs = {remote.remote(task): task for task in tasks}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=min(len(pending), 8), timeout=1.0)
            for ref in done:
                try:
                    yield ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - worker died, node lost
                    yield lost(refs[ref], exc)
    finally:
        if started:
            ray.shutdown()


def run_engine(engine: str, tasks: list[dict[str, Any]], jobs: int | None = None,
               address: str | None = None) -> Iterator[dict[str, Any]]:
    """Dispatch to the named engine (``local`` or ``ray``); Ray is reached here, before any
    bundle is analysed (EngineError when it cannot be)."""
    if engine == "ray":
        return run_ray(tasks, start_ray(address))
    if engine == "local":
        return run_local(tasks, jobs)
    raise EngineError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
