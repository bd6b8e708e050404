"""Log line families as each component prints them, plus their healthy background noise.

Every function returns ``[(t_ns, text), ...]``; the bundle writer prefixes each line with the
kubelet's RFC3339Nano stamp (``kubectl logs --timestamps``). Application stamps are taken a few
hundred microseconds before the kubelet's, as they are in real logs.
"""

from __future__ import annotations

import json

from .clock import NS, Rng, dynamo_ts, klog_header, nats_ts, vllm_ts

Lines = list[tuple[int, str]]

MS = 1_000_000


# ---------------------------------------------------------------------------------------------
# single-line formatters


def vllm(t: int, level: str, where: str, msg: str, proc: str | None = None) -> tuple[int, str]:
    """``(EngineCore_DP0 pid=312) INFO 11-20 09:12:45 [core.py:644] msg`` (proc prefix optional)."""
    prefix = f"({proc}) " if proc else ""
    return t, f"{prefix}{level} {vllm_ts(t)} [{where}] {msg}"


def dyn(t: int, level: str, target: str, msg: str, fields: str = "") -> tuple[int, str]:
    """Dynamo readable (tracing compact) line: ``<ts>  INFO target: msg key=value``."""
    text = f"{dynamo_ts(t - 120_000)} {level:>5} {target}: {msg}"
    if fields:
        text += " " + fields
    return t, text


def dyn_json(t: int, level: str, target: str, msg: str, fields: str = "") -> tuple[int, str]:
    """Dynamo JSONL line (``DYN_LOGGING_JSONL=true``); Python-side lines come through the ``log`` bridge."""
    rec: dict[str, object] = {"time": dynamo_ts(t - 120_000), "level": level}
    if "::" in target:
        rec.update({"file": "lib/" + target.split("::")[0].removeprefix("dynamo_") + "/src/"
                    + "/".join(target.split("::")[1:]) + ".rs", "line": 100 + len(msg) % 400, "target": target,
                    "message": msg})
    else:
        module = target.split(".")[0]
        rec.update({"target": "log", "message": msg, "log.file": f"/opt/dynamo/venv/lib/python3.12/site-packages/"
                    f"dynamo/vllm/{module}.py", "log.line": 100 + len(msg) % 900, "log.target": target})
    for part in fields.split(" ") if fields else []:
        if "=" in part:
            k, v = part.split("=", 1)
            rec[k] = v.strip('"')
    return t, json.dumps(rec, separators=(",", ":"))


def klog(t: int, level: str, fileline: str, msg: str, pid: int = 1) -> tuple[int, str]:
    return t, klog_header(level, t - 80_000, pid, fileline) + msg


def etcd(t: int, level: str, caller: str, msg: str, **fields: object) -> tuple[int, str]:
    rec: dict[str, object] = {"level": level, "ts": dynamo_ts(t - 50_000), "caller": caller, "msg": msg}
    rec.update(fields)
    return t, json.dumps(rec, separators=(",", ":"))


def nats(t: int, level: str, msg: str) -> tuple[int, str]:
    return t, f"[7] {nats_ts(t - 30_000)} [{level}] {msg}"


def uvicorn_access(t: int, client: str, method: str, path: str, status: int) -> tuple[int, str]:
    phrase = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error",
              503: "Service Unavailable"}[status]
    return t, f'INFO:     {client} - "{method} {path} HTTP/1.1" {status} {phrase}'


def zap_console(t: int, level: str, logger: str, msg: str, fields: dict[str, object] | None = None) -> tuple[int, str]:
    """controller-runtime zap console encoder: ``<ts>\\tINFO\\tlogger\\tmsg\\t{json}``."""
    text = f"{dynamo_ts(t)[:-4]}Z\t{level}\t{logger}\t{msg}" if logger else f"{dynamo_ts(t)[:-4]}Z\t{level}\t{msg}"
    if fields:
        text += "\t" + json.dumps(fields, separators=(",", ":"))
    return t, text


def traceback_lines(t: int, frames: list[tuple[str, int, str, str]], exc: str,
                    wrap: "callable | None" = None, step_us: int = 3) -> Lines:  # type: ignore[valid-type]
    """A Python traceback, one line per kubelet line; ``wrap`` adds a prefix to every line."""
    body = ["Traceback (most recent call last):"]
    for path, lineno, func, code in frames:
        body.append(f'  File "{path}", line {lineno}, in {func}')
        if code:
            body.append(f"    {code}")
    body.extend(exc.split("\n"))
    out: Lines = []
    for i, line in enumerate(body):
        text = wrap(line) if wrap else line
        out.append((t + i * step_us * 1000, text))
    return out


# ---------------------------------------------------------------------------------------------
# noise generators


def spread(rng: Rng, start: int, end: int, every_s: float, jitter: float = 0.25) -> list[int]:
    """Times from ``start`` to ``end`` about every ``every_s`` seconds."""
    out = []
    t = start + int(rng.uniform(0, every_s) * NS)
    while t < end:
        out.append(t)
        t += int(every_s * (1 + rng.uniform(-jitter, jitter)) * NS)
    return out


def vllm_stats(rng: Rng, start: int, end: int, *, engine: str = "000", proc: str | None = None,
               load: float = 0.5, every_s: float = 10.0, kv_base: float = 20.0, busy_p: float = 0.45) -> Lines:
    """vLLM V1 periodic ``loggers.py`` throughput lines: every 10 s while serving, one zero line
    when the engine goes idle, nothing while it stays idle (traffic comes in bursts)."""
    out: Lines = []
    busy_prev = False
    for t in spread(rng, start, end, every_s, jitter=0.02):
        busy = rng.random() < (busy_p + (0.4 if busy_prev else 0.0))
        if not busy and not busy_prev:
            continue
        run = rng.randint(1, int(4 + 40 * load)) if busy else 0
        wait = rng.randint(0, 3) if busy and rng.random() < 0.15 else 0
        pt = rng.uniform(200, 9000 * load) if busy else 0.0
        gt = rng.uniform(80, 2500 * load) if busy else 0.0
        kv = min(99.0, kv_base * load + rng.uniform(0, 25)) if busy else 0.0
        hit = rng.uniform(5, 70)
        out.append(vllm(t, "INFO", "loggers.py:123",
                        f"Engine {engine}: Avg prompt throughput: {pt:.1f} tokens/s, Avg generation throughput: "
                        f"{gt:.1f} tokens/s, Running: {run} reqs, Waiting: {wait} reqs, GPU KV cache usage: "
                        f"{kv:.1f}%, Prefix cache hit rate: {hit:.1f}%", proc))
        busy_prev = busy
    return out


def klog_noise(rng: Rng, start: int, end: int, every_s: float, messages: list[tuple[str, str]],
               pid: int = 1) -> Lines:
    """Periodic klog info lines picked from ``messages`` (fileline, text)."""
    out: Lines = []
    for t in spread(rng, start, end, every_s, jitter=0.6):
        fileline, msg = rng.choice(messages)
        out.append(klog(t, "I", fileline, msg, pid))
    return out


def client_ip(rng: Rng) -> str:
    return f"10.244.{rng.randint(0, 3)}.{rng.randint(2, 250)}"


def vllm_v0(t: int, level: str, where: str, msg: str) -> tuple[int, str]:
    """vLLM before ~0.7 logged ``INFO 11-14 08:00:01 worker.py:241] msg`` (no brackets)."""
    from .clock import vllm_ts as _ts
    return t, f"{level} {_ts(t)} {where}] {msg}"
