"""What happens in each generated fault-tolerance scenario: a small deterministic simulation.

A plan holds every fact the writer turns into files (requests and their attempts, the harness's
test.log times, each pod's log events) so that tests can compute the expected summary from the
plan alone, without the analyzer.

Clocks: the test host (test.log.txt, client `time`) runs `clock_offset` seconds ahead of the pods
(container logs, UTC).  The default offset is 0.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MODEL = "Qwen/Qwen3-0.6B"
DEPLOYMENTS = ("agg-tp-1-dp-1", "agg-tp-1-dp-2", "disagg-tp-1-dp-1", "disagg-tp-1-dp-2")
AGG_FAILURES = ("none", "frontend", "frontend_pod", "decode_worker", "decode_worker_pod",
                "vllm_decode_engine_core")
DISAGG_FAILURES = ("none", "frontend", "frontend_pod", "decode_worker", "decode_worker_pod",
                   "prefill_worker", "prefill_worker_pod", "vllm_decode_engine_core",
                   "vllm_prefill_engine_core")
# Scenarios whose pod logs carry a crash for `analyze` to diagnose.
OOM_SCENARIO = ("agg-tp-1-dp-1", "decode_worker")             # restarted worker hits CUDA OOM once
PREFILL_DEATH_SCENARIO = ("disagg-tp-1-dp-1", "vllm_prefill_engine_core")

# (pod_name, command, signal) of the Failure(...) the harness logs (deploy/scenarios.py).
FAILURE_SPEC: dict[str, tuple[str, str, str]] = {
    "frontend": ("Frontend", "dynamo.frontend", "SIGINT"),
    "frontend_pod": ("Frontend", "delete_pod", "SIGINT"),
    "decode_worker": ("VllmDecodeWorker", "dynamo.vllm", "SIGKILL"),
    "decode_worker_pod": ("VllmDecodeWorker", "delete_pod", "SIGINT"),
    "prefill_worker": ("VllmPrefillWorker", "dynamo.vllm", "SIGKILL"),
    "prefill_worker_pod": ("VllmPrefillWorker", "delete_pod", "SIGINT"),
    "vllm_decode_engine_core": ("VllmDecodeWorker", "VLLM::EngineCore", "SIGKILL"),
    "vllm_prefill_engine_core": ("VllmPrefillWorker", "VLLM::EngineCore", "SIGKILL"),
}

_POD_HASH = "bcdfghjklmnpqrstvwxz2456789"
_RS_HASH = "0123456789abcdef"


@dataclass
class Attempt:
    """One HTTP attempt as the legacy client records it."""

    status: int | str
    latency: float
    content_len: int | None     # reply text length for a 200, None when `result` is null

    @property
    def success(self) -> bool:
        """Upstream's rule: a reply of at least 100 characters."""
        return self.status == 200 and (self.content_len or 0) >= 100


@dataclass
class Request:
    """One logical request (one JSON line in client_N.log.txt)."""

    client: int
    index: int
    time: datetime              # host clock, whole seconds: when the request (with retries) finished
    total_time: float
    pod: str | None
    port: int
    attempts: list[Attempt]


@dataclass
class LogEvent:
    """Something a container logs: `kind` picks the line template in the writer."""

    time: datetime              # pod clock
    kind: str
    detail: dict[str, object] = field(default_factory=dict)


@dataclass
class Container:
    """One container run: the events of its log."""

    started: datetime
    events: list[LogEvent] = field(default_factory=list)
    exit_code: int | None = None     # set when this run ended (it is then a `.previous.log`)
    reason: str | None = None


@dataclass
class PodPlan:
    """One pod the harness collected at the end of the test."""

    service: str
    name: str
    node: str
    runs: list[Container] = field(default_factory=list)   # oldest first; last = current

    @property
    def current(self) -> Container:
        """The running container (its log is `<pod>.log`)."""
        return self.runs[-1]

    @property
    def previous(self) -> Container | None:
        """The last terminated container (its log is `<pod>.previous.log`), if any."""
        return self.runs[-2] if len(self.runs) > 1 else None

    def ready_times(self) -> list[datetime]:
        """Times of the ready lines in the current and previous logs (what the harness can see)."""
        runs = [r for r in (self.previous, self.current) if r is not None]
        return [e.time for r in runs for e in r.events if e.kind == "ready"]


@dataclass
class ScenarioPlan:
    """Everything about one `test_fault_scenario[<deployment>-<failure>]` folder."""

    deployment: str
    failure: str
    clients: int
    start: datetime             # host clock, whole seconds: "Starting Deployment ..."
    ready: datetime             # host clock, whole seconds: "Deployment ... is ready"
    load_start: datetime
    fault: datetime | None      # host clock, whole seconds: "Injecting failure for: ..."
    clock_offset: float
    requests: list[Request]
    pods: list[PodPlan]
    terminated_pids: list[tuple[str, int, str]] = field(default_factory=list)
    deleted_pods: list[str] = field(default_factory=list)
    fault_after: float = 30.0
    end: datetime | None = None  # host clock: clients done, logs collected

    @property
    def folder(self) -> str:
        """The folder name the harness writes."""
        return f"test_fault_scenario[{self.deployment}-{self.failure}]"

    def services(self) -> list[str]:
        """Service folders, in the order the deployment declares them."""
        seen: list[str] = []
        for pod in self.pods:
            if pod.service not in seen:
                seen.append(pod.service)
        return seen


def _rng(seed: int, *names: str) -> random.Random:
    # crc32, not hash(): str hashes are salted per process and would break determinism.
    return random.Random(seed * 1_000_003 + zlib.crc32("/".join(names).encode()))


def _pod_name(rng: random.Random, service: str) -> str:
    rs = "".join(rng.choice(_RS_HASH) for _ in range(10))
    return f"fault-tolerance-test-{service.lower()}-{rs}-" + "".join(rng.choice(_POD_HASH) for _ in range(5))


def _renamed(rng: random.Random, name: str) -> str:
    """A replacement pod of the same ReplicaSet (same prefix, new suffix)."""
    return name.rsplit("-", 1)[0] + "-" + "".join(rng.choice(_POD_HASH) for _ in range(5))


def plan_scenario(deployment: str, failure: str, seed: int = 0, clients: int = 10,
                  requests_per_client: int = 100, fault_after: float = 30.0,
                  clock_offset: float = 0.0, day: datetime | None = None,
                  slot: int = 0) -> ScenarioPlan:
    """Simulate one scenario; the same arguments always give the same plan."""
    rng = _rng(seed, deployment, failure)
    disagg = deployment.startswith("disagg")
    dp = int(deployment.rsplit("-", 1)[1])
    base = (day or datetime(2025, 10, 3, 9, 0, 0)) + timedelta(minutes=15 * slot)

    start = base + timedelta(seconds=rng.randint(0, 20))
    startup = rng.randint(158, 184)
    ready = start + timedelta(seconds=startup)
    load_start = ready + timedelta(seconds=rng.uniform(1.0, 3.0))
    fault = None if failure == "none" else (load_start + timedelta(seconds=fault_after)).replace(microsecond=0)
    start_pod = start - timedelta(seconds=clock_offset)
    ready_pod = ready - timedelta(seconds=clock_offset)
    fault_pod = fault - timedelta(seconds=clock_offset) if fault else None

    # --- pods and their initial start --------------------------------------------------------------
    services = ["Frontend", "VllmDecodeWorker"] + (["VllmPrefillWorker"] if disagg else [])
    pods: list[PodPlan] = []
    for service in services:
        for _ in range(dp):
            pods.append(PodPlan(service=service, name=_pod_name(rng, service), node=f"gpu-node-{rng.randint(1, 4)}"))
    worker_ready: list[datetime] = []
    for pod in pods:
        began = start_pod + timedelta(seconds=rng.uniform(12, 40))
        run = Container(started=began)
        if pod.service != "Frontend":
            up = ready_pod - timedelta(seconds=rng.uniform(4, 14))
            _worker_start(run, began, up, pod.service, rng)
            worker_ready.append(up)
        pod.runs.append(run)
    first_up = min(worker_ready)
    for pod in pods:
        if pod.service == "Frontend":
            _frontend_start(pod.current, pod.current.started, first_up + timedelta(seconds=rng.uniform(0.2, 0.6)))

    # --- the fault and what it does to the pods --------------------------------------------------
    outage: list[tuple[datetime, datetime, str, float]] = []   # (from, to, mode, share of requests hit)
    terminated: list[tuple[str, int, str]] = []
    deleted: list[str] = []
    if fault_pod is not None:
        target_service, command, _signal = FAILURE_SPEC[failure]
        target = next(p for p in pods if p.service == target_service)
        frontend = next(p for p in pods if p.service == "Frontend")
        is_pod = failure.endswith("_pod")
        if target_service == "Frontend":
            rec = rng.uniform(3.2, 4.6) if not is_pod else rng.uniform(5.0, 5.6)
            back = fault_pod + timedelta(seconds=rec)
            _restart(target, fault_pod, back, rng, is_pod, deleted, frontend_ready=back)
            if not is_pod:
                terminated.append((target.service, 1, "python3 -m dynamo.frontend --http-port 8000"))
            # dp-1: no frontend to route to until the pod is ready again (probe lag);
            # dp-2: only requests still sent to the dead frontend fail, until it turns unready.
            lag = rng.uniform(18, 30) if dp == 1 else 0.0
            outage.append((fault_pod, back + timedelta(seconds=lag), "connection", 1.0 if dp == 1 else 0.35))
        else:
            engine = "engine_core" in failure
            rec = rng.uniform(150.5, 157.5)
            oom = (deployment, failure) == OOM_SCENARIO
            if oom:
                rec += rng.uniform(18, 24)
            back = fault_pod + timedelta(seconds=rec)
            _restart(target, fault_pod, back, rng, is_pod, deleted, oom=oom, engine_death=engine)
            if not is_pod:
                terminated.append((target.service, rng.randint(40, 90) if engine else 1,
                                   "VLLM::EngineCore" if engine else f"python3 -m dynamo.vllm --model {MODEL}"))
            decode_down = target_service == "VllmDecodeWorker"
            if (deployment, failure) == PREFILL_DEATH_SCENARIO:
                # The prefill engine's death takes the decode engine down with it.
                decode = next(p for p in pods if p.service == "VllmDecodeWorker")
                back = fault_pod + timedelta(seconds=rec + rng.uniform(0.8, 2.5))
                _restart(decode, fault_pod + timedelta(seconds=rng.uniform(1.0, 2.0)), back, rng, False, deleted,
                         engine_death=True, collateral=True)
                decode_down = True
            if decode_down and dp == 1:
                # The model disappears from the frontend and is added again once a decode worker is back.
                frontend.current.events.append(LogEvent(fault_pod + timedelta(seconds=rng.uniform(0.5, 1.5)),
                                                        "removed_model"))
                readd = back + timedelta(seconds=rng.uniform(0.2, 0.7))
                frontend.current.events.append(LogEvent(readd, "ready"))
                outage.append((fault_pod, readd, "unavailable", 1.0))
            elif dp == 1:
                # Prefill gone: decode workers prefill locally after a short disruption.
                outage.append((fault_pod, fault_pod + timedelta(seconds=rng.uniform(6, 9)), "internal", 1.0))
            else:
                outage.append((fault_pod, fault_pod + timedelta(seconds=rng.uniform(2.5, 4.0)), "inflight", 0.5))

    # --- the clients ------------------------------------------------------------------------------
    base_latency = 1.2 if not disagg else (2.05 if dp == 1 else 1.75)
    after_factor = 0.74 if failure.startswith("prefill") and dp == 1 else 0.98
    frontends = [p for p in pods if p.service == "Frontend"]
    reqs: list[Request] = []
    for c in range(clients):
        crng = _rng(seed, deployment, failure, f"client-{c}")
        t = load_start - timedelta(seconds=clock_offset) + timedelta(seconds=c * 0.13 + crng.uniform(0, 0.1))
        ports = {p.name: crng.randint(32768, 60999) for p in frontends}
        for i in range(requests_per_client):
            fe = frontends[i % len(frontends)]
            attempts: list[Attempt] = []
            at = t
            pod_name: str | None = fe.name
            port = ports[fe.name]
            for attempt_no in range(2):  # legacy client: max_retries=1 -> up to 2 attempts
                hit = _outage_at(outage, at, crng, fe is frontends[0] or len(frontends) == 1)
                if hit == "connection" and len(frontends) == 1 and attempt_no == 0 and at > fault_pod + timedelta(seconds=2):
                    pod_name, port = None, 0   # no ready frontend pod: the client posts to port 0
                slow = after_factor if fault_pod is not None and at > fault_pod else 1.0
                attempt = _attempt(hit, crng, base_latency * slow, port)
                attempts.append(attempt)
                at = at + timedelta(seconds=attempt.latency)
                if attempt.status == 200:
                    break
                if attempt_no == 0:
                    at = at + timedelta(seconds=1.0)  # retry delay
            total = (at - t).total_seconds()
            finished = (at + timedelta(seconds=clock_offset)).replace(microsecond=0)
            reqs.append(Request(client=c, index=i, time=finished, total_time=total, pod=pod_name, port=port,
                                attempts=attempts))
            t = t + timedelta(seconds=max(total, 1.0))  # rate limit: at most 1 request/s per client
    # The harness collects the pod logs once the clients are done: later lines do not exist.
    end = max(r.time for r in reqs) + timedelta(seconds=2) if reqs else ready + timedelta(seconds=2)
    end_pod = end - timedelta(seconds=clock_offset)
    for pod in pods:
        pod.runs = [r for r in pod.runs if r.started <= end_pod]
        for run in pod.runs:
            run.events = [e for e in run.events if e.time <= end_pod]
        pod.current.exit_code = pod.current.reason = None
    return ScenarioPlan(deployment=deployment, failure=failure, clients=clients, start=start, ready=ready,
                        load_start=load_start, fault=fault, clock_offset=clock_offset, requests=reqs,
                        pods=pods, terminated_pids=terminated, deleted_pods=deleted, fault_after=fault_after,
                        end=end)


def _outage_at(outage: list[tuple[datetime, datetime, str, float]], when: datetime, rng: random.Random,
               first_frontend: bool) -> str | None:
    for begin, end, mode, share in outage:
        if begin <= when < end:
            if mode == "connection" and share < 1.0 and not first_frontend:
                return None
            if rng.random() < share:
                return mode
    return None


def _attempt(mode: str | None, rng: random.Random, latency: float, port: int) -> Attempt:
    if mode is None:
        return Attempt(200, max(0.3, rng.gauss(latency, latency * 0.025)), rng.randint(196, 214))
    if mode == "connection":
        return Attempt(_conn_refused(rng, port), rng.uniform(0.0015, 0.004), None)
    if mode == "unavailable":
        return Attempt(503, rng.uniform(0.003, 0.009), None)
    if mode == "internal":
        return Attempt(500, rng.uniform(0.4, 1.6), None)
    # in flight on the killed worker: cut off, sometimes with a truncated 200 reply
    if rng.random() < 0.3:
        return Attempt(200, rng.uniform(0.3, 0.9), rng.randint(20, 95))
    return Attempt(500, rng.uniform(0.2, 1.0), None)


def _conn_refused(rng: random.Random, port: int) -> str:
    addr = "0x7f" + "".join(rng.choice(_RS_HASH) for _ in range(10))
    return (f"HTTPConnectionPool(host='localhost', port={port}): Max retries exceeded with url: "
            f"/v1/chat/completions (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object "
            f"at {addr}>: Failed to establish a new connection: [Errno 111] Connection refused'))")


def _worker_start(run: Container, began: datetime, up: datetime, service: str, rng: random.Random,
                  oom: bool = False) -> None:
    """The log events of a vLLM worker from container start to ready (or to a CUDA OOM)."""
    span = (up - began).total_seconds()
    step = lambda f: began + timedelta(seconds=span * f)  # noqa: E731
    run.events += [
        LogEvent(began, "worker_boot", {"service": service}),
        LogEvent(step(0.10), "vllm_platform"),
        LogEvent(step(0.30), "vllm_loading", {"secs": round(rng.uniform(4.5, 7.5), 6), "gib": 1.1201}),
    ]
    if oom:
        run.events.append(LogEvent(step(0.45), "cuda_oom", {"pid": rng.randint(30000, 60000)}))
        return
    run.events += [
        LogEvent(step(0.55), "vllm_kv", {"tokens": rng.choice([541200, 523968, 498112])}),
        LogEvent(step(0.85), "vllm_init", {"secs": round(span * 0.5, 2)}),
        LogEvent(up, "ready", {"service": service}),
    ]


def _frontend_start(run: Container, began: datetime, added: datetime) -> None:
    run.events += [LogEvent(began, "frontend_boot"), LogEvent(added, "ready"),
                   LogEvent(added + timedelta(milliseconds=2), "chat_ready")]


def _restart(pod: PodPlan, fault: datetime, back: datetime, rng: random.Random, is_pod: bool,
             deleted: list[str], frontend_ready: datetime | None = None, oom: bool = False,
             engine_death: bool = False, collateral: bool = False) -> None:
    """The target pod after the fault: a new container (process kill) or a new pod (pod delete)."""
    if is_pod:
        deleted.append(pod.name)
        pod.name = _renamed(rng, pod.name)
        began = fault + timedelta(seconds=rng.uniform(2, 4))
        pod.runs = [Container(started=began)]
    else:
        old = pod.current
        if engine_death:
            old.events.append(LogEvent(fault + timedelta(seconds=rng.uniform(0.05, 0.4)), "engine_dead",
                                       {"collateral": collateral}))
            old.exit_code, old.reason = 1, "Error"
        elif pod.service == "Frontend":
            old.events.append(LogEvent(fault + timedelta(milliseconds=3), "sigint"))
            old.exit_code, old.reason = 0, "Completed"
        else:
            old.exit_code, old.reason = 137, "Error"  # SIGKILL: the log just stops
        began = fault + timedelta(seconds=rng.uniform(1.0, 2.5))
        if oom:
            crash = Container(started=began)
            _worker_start(crash, began, began + timedelta(seconds=16), pod.service, rng, oom=True)
            crash.exit_code, crash.reason = 1, "Error"
            pod.runs.append(crash)
            began = began + timedelta(seconds=rng.uniform(16, 19))  # CrashLoopBackOff: 10s
        pod.runs.append(Container(started=began))
    if pod.service == "Frontend":
        _frontend_start(pod.current, pod.current.started, frontend_ready or back)
    else:
        _worker_start(pod.current, pod.current.started, back, pod.service, rng)


def plan_results(seed: int = 0, clients: int = 10, requests_per_client: int = 100,
                 deployments: tuple[str, ...] = DEPLOYMENTS, fault_after: float = 30.0,
                 only: tuple[str, ...] = ()) -> list[ScenarioPlan]:
    """Plans for every deployment x failure type of the seed (or only the `<deployment>-<failure>`
    names in ``only``), one 15-minute slot each."""
    plans: list[ScenarioPlan] = []
    for deployment in deployments:
        failures = DISAGG_FAILURES if deployment.startswith("disagg") else AGG_FAILURES
        for failure in failures:
            if only and f"{deployment}-{failure}" not in only:
                continue
            plans.append(plan_scenario(deployment, failure, seed=seed, clients=clients,
                                       requests_per_client=requests_per_client, fault_after=fault_after,
                                       slot=len(plans)))
    return plans
