"""A worker process for the red-team suite: runs ``bundle-analyzer`` commands in-process, one after
another, so that each case costs its own work and not a Python start with Polars imported.

Requests arrive as JSON lines on one pipe, answers leave on another (their descriptors in
REDTEAM_FDS). Each request runs one command as a
user would (``analyzer.cli.main`` with its argv) in the case's working folder, with TMPDIR set to
the case's temporary folder, the case's file (or nothing) on standard input, and standard output
and error written to files. The answer carries the exit code and the peak resident memory of the
run (the high-water mark is reset before each run through /proc/self/clear_refs).

A request ``{"op": "serve", ...}`` loads the bundle as ``serve`` does and answers the requests
kubectl sends (``analyzer.serve.respond``), writing each answer's status and body to the output
folder, so that serve is tested without a socket per case.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
import traceback


def _peak_kb() -> int:
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:  # pragma: no cover - kernels without it: the peak is the process's own
        pass


def _run_cli(argv: list[str]) -> int:
    from analyzer.cli import main

    try:
        main(argv, prog_name="bundle-analyzer", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException:  # noqa: BLE001 - what Python would print for an uncaught exception
        traceback.print_exc()
        return 1
    return 0


JSON = "application/json"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def kubectl_requests(cluster) -> list[list[str]]:
    """What kubectl asks of an API server for get/describe/logs of everything the bundle holds:
    discovery, every resource listed as JSON and as a Table, every object got, every container's
    log (current and previous, with kubectl's query fields), every metrics proxy path."""
    reqs = [["GET", p, JSON] for p in ("/version", "/api", "/api/v1", "/apis")]
    for (group, plural), res in sorted(cluster.resources.items()):
        base = f"/apis/{group}/{res.version}" if group else "/api/v1"
        reqs.append(["GET", base, JSON])
        for accept in (JSON, TABLE):
            reqs.append(["GET", f"{base}/{plural}?limit=500", accept])
        for obj in cluster.items(res)[:20]:
            meta = obj.get("metadata") or {}
            ns = meta.get("namespace") if res.namespaced else None
            where = f"{base}/namespaces/{ns}/{plural}" if ns else f"{base}/{plural}"
            reqs.append(["GET", f"{where}/{meta.get('name')}", JSON])
            reqs.append(["GET", f"{where}/{meta.get('name')}", TABLE])
    for ns, pod, container, previous in sorted(cluster.logs, key=str)[:40]:
        q = f"container={container}&previous={str(previous).lower()}"
        for extra in ("", "&timestamps=true", "&tailLines=10", "&sinceSeconds=99999999999999999999",
                      "&limitBytes=100", "&sinceTime=0001-01-01T00:00:00Z"):
            reqs.append(["GET", f"/api/v1/namespaces/{ns or 'default'}/pods/{pod}/log?{q}{extra}", JSON])
    for ns, pod in sorted(cluster.metrics)[:20]:
        reqs.append(["GET", f"/api/v1/namespaces/{ns or 'default'}/pods/{pod}/proxy/metrics", JSON])
    return reqs


def _over_socket(cluster, raw: list[bytes]) -> list[tuple[int, str, bytes]]:
    """Send each raw request (bytes as they go on the wire, Content-Length lies included) to a real
    server on 127.0.0.1, half-close, and read the whole answer: (status, content type, body);
    status 0 for a connection dropped without an answer."""
    import socket

    from analyzer.serve import start

    server, thread = start(cluster)
    out = []
    try:
        for data in raw:
            with socket.create_connection(server.server_address[:2], timeout=20) as sock:
                try:
                    sock.sendall(data)
                    sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass  # the server may answer and close before it has read everything
                chunks = []
                try:
                    while chunk := sock.recv(1 << 16):
                        chunks.append(chunk)
                except OSError:
                    pass
            out.append(_parse_answer(b"".join(chunks)))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    return out


def _parse_answer(answer: bytes) -> tuple[int, str, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3}) ", lines[0] + " ")
    if not m:
        return 0, "", answer
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    if headers.get("transfer-encoding") == "chunked":
        data, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size.split(b";")[0] or b"0", 16)
            if n == 0:
                break
            data, rest = data + rest[:n], rest[n + 2:]
        body = data
    elif headers.get("content-length", "").isdigit():
        body = body[:int(headers["content-length"])]  # what follows answers the next request on the connection
    return int(m[1]), headers.get("content-type", ""), body


def _serve(source: str, requests: list[list[str]], out_dir: str, raw: list[str] = ()) -> int:
    """Answer what kubectl asks (``kubectl_requests``) plus ``requests`` ([method, path, accept])
    from the bundle, then each of ``raw`` (latin-1 text of wire bytes) over a socket; one file per
    answer."""
    from analyzer.ingest import BundleError, ReadFailed
    from analyzer.serve import load_cluster, respond

    try:
        cluster = load_cluster(source)
    except BundleError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    try:
        answers = []
        for i, (method, path, accept) in enumerate(kubectl_requests(cluster) + requests):
            r = respond(cluster, method, path, accept)
            with open(os.path.join(out_dir, f"answer-{i:04d}.body"), "wb") as f:
                try:
                    for piece in [r.body] if r.stream is None else r.stream:
                        f.write(piece)
                except ReadFailed:
                    pass  # a member that breaks mid-way: the cut answer is what the client gets
            answers.append({"method": method, "path": path, "accept": accept, "status": r.status,
                            "content_type": r.content_type})
        for data, (status, ctype, body) in zip(raw, _over_socket(cluster, [r.encode("latin-1") for r in raw])):
            with open(os.path.join(out_dir, f"answer-{len(answers):04d}.body"), "wb") as f:
                f.write(body)
            answers.append({"method": "RAW", "path": data[:200], "accept": "", "status": status,
                            "content_type": ctype})
        with open(os.path.join(out_dir, "answers.json"), "w") as f:
            json.dump({"answers": answers, "problems": cluster.problems}, f)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        return 1
    finally:
        cluster.close()
    return 0


def _handle(req: dict) -> dict:
    saved = (os.getcwd(), os.environ.get("TMPDIR"), tempfile.tempdir)
    os.chdir(req["cwd"])
    os.environ["TMPDIR"] = req["tmpdir"]
    tempfile.tempdir = req["tmpdir"]
    for name in ("stdout", "stderr"):
        getattr(sys, name).flush()
    fds = {fd: os.dup(fd) for fd in (0, 1, 2)}
    stdin = os.open(req.get("stdin") or os.devnull, os.O_RDONLY)
    out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for src, dst in ((stdin, 0), (out, 1), (err, 2)):
        os.dup2(src, dst)
        os.close(src)
    sys.stdin = open(0, "r", closefd=False)
    _reset_peak()
    started = time.monotonic()
    try:
        if req.get("op") == "serve":
            rc = _serve(req["source"], req["requests"], req["out_dir"], req.get("raw") or [])
        else:
            rc = _run_cli(req["argv"])
    finally:
        for name in ("stdout", "stderr"):
            try:
                getattr(sys, name).flush()
            except (OSError, ValueError):
                pass
        for fd, saved_fd in fds.items():
            os.dup2(saved_fd, fd)
            os.close(saved_fd)
        os.chdir(saved[0])
        if saved[1] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[1]
        tempfile.tempdir = saved[2]
    return {"rc": rc, "peak_kb": _peak_kb(), "seconds": round(time.monotonic() - started, 3)}


def main() -> None:
    import analyzer.cli  # noqa: F401 - import once, before the first request
    import analyzer.pipeline  # noqa: F401
    import analyzer.serve  # noqa: F401

    req_fd, ans_fd = (int(x) for x in os.environ.pop("REDTEAM_FDS").split(","))
    requests = os.fdopen(req_fd, "r")
    answers = os.fdopen(ans_fd, "w")
    answers.write(json.dumps({"ready": True}) + "\n")
    answers.flush()
    for line in requests:
        answers.write(json.dumps(_handle(json.loads(line))) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
