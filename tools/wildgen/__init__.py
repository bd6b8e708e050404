"""Deterministic large log sets in the upstream formats, with a mix nobody tuned a matcher for.

``tools/biggen`` writes the benchmark bundle the matcher grew up on. This generator writes a
second world, from the formats the upstream projects print (see ``components``) and not from
the pattern library: nothing here reads the library's examples or hints. What it is made of:

- the serving stack of a GPU cluster: vLLM (V1 process prefixes, Ray workers, NCCL INFO,
  request logging with long prompts), SGLang, TensorRT-LLM and Triton, Dynamo (readable
  ``tracing`` with ANSI colours, and JSONL), NATS, etcd; in front of it ingress-nginx and Envoy
  access logs; Python services (gunicorn, httpx, openai retries, urllib3 warnings, tracebacks of
  handled errors) and a gateway logging each exchange as a multi-KB JSON record (now and then a
  base64 image inline, 100 KB and more on one line); controller-runtime operators (zap JSON);
  dcgm-exporter and GPU Operator validators (logrus); one-shot jobs (model downloads, nightly
  evaluations, ``istio-init``);
- healthy lines full of alarming words: ``num_errors=0``, 404s for ``/favicon.ico``, 401s from
  probes without a key, retries that then succeed, ``NCCL INFO`` and ``torch.cuda`` lines,
  ``FutureWarning``\\ s, kubelet killing containers on a scale-down, ``exit_status:137`` of a
  stopped container, user prompts about errors and timeouts in several languages;
- a few real failures at low rates, each in one or two streams: a CUDA OOM at engine start, an
  NCCL watchdog timeout, an ``NVRM: Xid`` line, a memory-cgroup OOM kill, an image pull 401, a
  gated Hugging Face repository, readiness probe timeouts, an nginx upstream timeout;
- many small files (init containers, jobs: thousands at 1 GiB) and few huge ones (three
  streams take 42% of the bytes), medium ones between with heavy-tailed sizes.

Two layouts of the same streams:

- ``plain``: a folder of logs as a node keeps them, ``pods/<ns>_<pod>_<uid>/<container>/<n>.log``
  in the CRI format (``<RFC3339Nano> stdout|stderr F|P <line>``, lines over 16 KiB split into
  ``P`` parts as containerd does) and ``journal/<node>/<unit>.log`` (``journalctl -o
  short-precise`` of kubelet, containerd and the kernel);
- ``collector``: our collector layout (``tools.biggen.write_skeleton``: cluster files, manifest,
  pods, events), ``namespaces/<ns>/logs/<pod>/<container>[.previous].log`` with ``kubectl logs
  --timestamps`` prefixes (partial lines joined, as kubectl does); no node journals.

The same (size, seed, layout) gives the same bytes. Generated data goes to /tmp or
``benchmarks/out`` (gitignored), never into the repository.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tools.biggen import NODES, PodPlan, write_skeleton
from tools.wildgen.components import (COMPONENTS, NS, Component, Env, rfc3339nano, suffix, ts, us,
                                      uuid, pod_ip)
from tools.wildgen.text import MODELS, Pool

LAYOUTS = ("plain", "collector")
T0_NS = 1_763_629_200 * NS           # 2025-11-20T09:00:00Z, as tools.biggen
CRI_MAX_LINE = 16 * 1024             # containerd's max_container_log_line_size: longer lines split
HUGE_STREAMS = 3
HUGE_SHARE = 0.14                    # of the log budget, each
JOURNAL_SHARE = 0.08                 # of the log budget, all node journals (plain layout)
RESTART_SHARE = 0.12                 # medium streams with a previous log too
INCIDENT_RATE = 3e-5                 # per record, in the streams that carry an incident

# role -> (namespace, [(container, component, extra)], image, GPU, weight among medium pods)
ROLES: dict[str, tuple[str, list[tuple[str, str, dict]], str, bool, float]] = {
    "vllm": ("llm-serving", [("vllm", "vllm", {})], "vllm/vllm-openai:v0.11.0", True, 14),
    "vllm-tp": ("llm-serving", [("vllm", "vllm", {"tp": 2})], "vllm/vllm-openai:v0.11.0", True, 4),
    "vllm-ray": ("kuberay", [("vllm", "vllm", {"tp": 2, "ray": True})], "vllm/vllm-openai:v0.10.2", True, 3),
    "vllm-mesh": ("team-a", [("vllm", "vllm", {}), ("istio-proxy", "envoy", {})], "vllm/vllm-openai:v0.11.0", True, 4),
    "sglang": ("llm-serving", [("sglang", "sglang", {})], "lmsysorg/sglang:v0.5.4-cu129", True, 6),
    "trtllm": ("llm-serving", [("trtllm", "trtllm-serve", {})], "nvcr.io/nvidia/tensorrt-llm/release:1.0.0", True, 4),
    "dynamo-frontend": ("dynamo-system", [("frontend", "dynamo", {})], "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.7.1", False, 6),
    "dynamo-worker": ("dynamo-system", [("worker", "dynamo", {"worker": True})], "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.7.1", True, 6),
    "dynamo-router": ("dynamo-system", [("router", "dynamo-jsonl", {})], "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.7.1", False, 4),
    "etcd": ("dynamo-system", [("etcd", "etcd", {})], "bitnami/etcd:3.5.18", False, 1),
    "ingress-nginx": ("ingress-nginx", [("controller", "ingress-nginx", {})], "registry.k8s.io/ingress-nginx/controller:v1.11.3", False, 3),
    "gateway": ("istio-system", [("istio-proxy", "envoy", {})], "docker.io/istio/proxyv2:1.24.1", False, 4),
    "rag": ("rag", [("app", "rag", {}), ("istio-proxy", "envoy", {})], "registry.example.com/rag/api:4.2.1", False, 10),
    "audit-gateway": ("rag", [("api", "json-api", {})], "registry.example.com/gateway/audit:1.9.0", False, 5),
    "operator": ("kserve", [("manager", "operator", {})], "kserve/kserve-controller:v0.14.0", False, 3),
}
# small pods: one-shot jobs, exporters, init containers
SMALL_ROLES: dict[str, tuple[str, list[tuple[str, str, dict]], str, bool, float]] = {
    "model-download": ("llm-serving", [("download", "model-download", {})], "python:3.11-slim", False, 30),
    "batch-eval": ("batch", [("eval", "batch-eval", {})], "registry.example.com/ml/eval:2.0.3", True, 30),
    "triton": ("llm-serving", [("triton", "triton", {})], "nvcr.io/nvidia/tritonserver:25.01-trtllm-python-py3", True, 8),
    "nats": ("dynamo-system", [("nats", "nats", {})], "nats:2.10.22-alpine", False, 4),
    "dcgm-exporter": ("gpu-operator", [("dcgm-exporter", "dcgm-exporter", {})], "nvcr.io/nvidia/k8s/dcgm-exporter:4.1.1-4.0.4-ubuntu22.04", True, 10),
    "validator": ("gpu-operator", [("driver-validation", "gpu-validator", {}), ("cuda-validation", "gpu-validator", {})],
                  "nvcr.io/nvidia/cloud-native/gpu-operator-validator:v24.9.0", False, 8),
    "mesh-init": ("team-a", [("istio-init", "istio-init", {})], "docker.io/istio/proxyv2:1.24.1", False, 10),
}
HUGE_ROLES = ("ingress-nginx", "vllm", "audit-gateway")
UNITS = (("kubelet", "kubelet", 5.0), ("containerd", "containerd", 2.5), ("kernel", "kernel", 0.5))


@dataclass
class Stream:
    """One log file to write: whose it is, what writes it, about how many bytes."""

    namespace: str
    pod: str
    uid: str
    node: str
    container: str
    component: str
    extra: dict
    target: float
    previous: bool = False
    unit: str = ""              # node journals: the systemd unit ("" for container logs)
    incidents: bool = False
    peers: list[str] = field(default_factory=list)


def _pod_name(rng: random.Random, role: str, kind: str) -> str:
    if kind == "job":
        return f"{role}-{29_394_000 + rng.randrange(9000)}-{suffix(rng, 5)}"
    if kind == "set":
        return f"{role}-{rng.randrange(4)}"
    return f"{role}-{suffix(rng, 10)}-{suffix(rng, 5)}"


def plan(size: int, seed: int, layout: str) -> tuple[list[PodPlan], list[Stream]]:
    """The pods and the streams (files) of a world of about ``size`` log bytes."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    rng = random.Random(f"wild-plan:{seed}")
    n_med = max(16, min(300, size // (4 << 20)))
    n_small = max(30, min(2500, size // (512 << 10)))
    pods: list[PodPlan] = []
    streams: list[Stream] = []

    def add_pod(role: str, spec, kind: str) -> None:
        ns, containers, image, gpu, _ = spec
        if ns == "team-a" and rng.random() < 0.5:
            ns = f"team-{rng.choice('bcdef')}"
        name = _pod_name(rng, role, kind)
        node = NODES[len(pods) % len(NODES)]
        uid = uuid(rng)
        # the huge streams stay one file each; jobs and quiet pods do not restart
        restarted = frozenset(c for c, comp, _ in containers
                              if kind == "deploy" and COMPONENTS[comp].chatty and rng.random() < RESTART_SHARE)
        pods.append(PodPlan(ns, name, role, node, tuple(c for c, _, _ in containers), restarted, image, gpu))
        for c, comp, extra in containers:
            for prev in ((True, False) if c in restarted else (False,)):
                streams.append(Stream(ns, name, uid, node, c, comp, dict(extra), 0.0, previous=prev))

    for role in HUGE_ROLES:
        add_pod(role, ROLES[role], "huge")
    roles, weights = list(ROLES), [ROLES[r][4] for r in ROLES]
    for _ in range(n_med):
        role = rng.choices(roles, weights)[0]
        add_pod(role, ROLES[role], "set" if role in ("etcd",) else "deploy")
    sroles, sweights = list(SMALL_ROLES), [SMALL_ROLES[r][4] for r in SMALL_ROLES]
    for _ in range(n_small):
        role = rng.choices(sroles, sweights)[0]
        add_pod(role, SMALL_ROLES[role], "job" if role in ("model-download", "batch-eval") else "deploy")
    if layout == "plain":
        for node in NODES[:max(2, min(len(NODES), size // (128 << 20)))]:
            for unit, comp, _ in UNITS:
                streams.append(Stream("", node.split(".")[0], "", node, unit, comp,
                                      {"pid": rng.randrange(900, 3000)}, 0.0, unit=unit))
    _size_streams(streams, size, rng)
    everyone = [f"{p.namespace}/{p.name}" for p in pods]
    for s in streams:
        s.peers = rng.sample(everyone, min(24, len(everyone)))
    _place_incidents(streams, rng)
    return pods, streams


def _size_streams(streams: list[Stream], size: int, rng: random.Random) -> None:
    """Targets: the first ``HUGE_STREAMS`` streams take ``HUGE_SHARE`` each, node journals
    ``JOURNAL_SHARE`` together, quiet components a few KiB, the rest heavy-tailed shares."""
    journals = [s for s in streams if s.unit]
    small = [s for s in streams if not s.unit and not COMPONENTS[s.component].chatty]
    medium = [s for s in streams[HUGE_STREAMS:] if not s.unit and COMPONENTS[s.component].chatty]
    for s in small:
        s.target = rng.lognormvariate(8.3, 0.8)          # ~4 KiB, 1-30 KiB
    budget = max(size - sum(s.target for s in small), 0)
    for s in streams[:HUGE_STREAMS]:
        s.target = budget * HUGE_SHARE
    jw = {u: w for u, _, w in UNITS}
    jbudget = budget * JOURNAL_SHARE if journals else 0.0
    for s in journals:
        s.target = jbudget * jw[s.unit] / sum(jw[j.unit] for j in journals)
    rest = budget - HUGE_STREAMS * budget * HUGE_SHARE - jbudget
    weights = [rng.paretovariate(1.4) * (0.25 if s.previous else 1.0) for s in medium]
    cap = max(rest / 10, 64 << 10)
    targets = [min(w * rest / sum(weights), cap) for w in weights]
    free = sum(t for t in targets if t < cap)
    grow = (rest - sum(targets)) / free if free else 0.0
    for s, t in zip(medium, targets):
        s.target = t if t >= cap else t * (1 + grow)


def _place_incidents(streams: list[Stream], rng: random.Random) -> None:
    """Each component that has a failure to print gets it in one or two of its streams."""
    by_comp: dict[str, list[Stream]] = {}
    for s in streams:
        if COMPONENTS[s.component].incident_kind:
            by_comp.setdefault(s.component, []).append(s)
    for comp in sorted(by_comp):
        for k, s in enumerate(rng.sample(by_comp[comp], min(2, len(by_comp[comp])))):
            s.incidents = True
            s.extra["incident_offset"] = k   # the second stream starts with the next kind


class _Prefix:
    """The per-line prefix of a layout: CRI (split over 16 KiB), kubectl --timestamps, journald."""

    def __init__(self, style: str, stream: str = "stdout", host: str = "", unit: str = "", pid: int = 0) -> None:
        self.style = style
        self.stream = stream
        self.tag = f"{unit}[{pid}]" if unit != "kernel" else "kernel"
        self.host = host

    def lines(self, t: int, text: str) -> list[str]:
        if self.style == "kubectl":
            return [f"{rfc3339nano(t)} {text}\n"]
        if self.style == "journal":
            return [f"{ts('%b %d %H:%M:%S', t)}.{us(t)} {self.host} {self.tag}: {text}\n"]
        head = f"{rfc3339nano(t)} {self.stream} "
        if len(text) <= CRI_MAX_LINE // 4 or len(text.encode("utf-8")) <= CRI_MAX_LINE:
            return [f"{head}F {text}\n"]
        data = text.encode("utf-8")
        out, i = [], 0
        while len(data) - i > CRI_MAX_LINE:
            j = i + CRI_MAX_LINE
            while data[j] & 0xC0 == 0x80:   # not inside a UTF-8 character
                j -= 1
            out.append(f"{head}P {data[i:j].decode('utf-8')}\n")
            i = j
        out.append(f"{head}F {data[i:].decode('utf-8')}\n")
        return out


def write_stream(path: Path, comp: Component, target: float, rng: random.Random, prefix: _Prefix,
                 start: int, incidents: bool, header: str = "") -> int:
    """Write one log file of about ``target`` bytes (``header`` first, as is); returns the bytes."""
    t = start
    lo, hi = comp.step
    # a stream covers about an hour whatever its size: a chattier program logs more often
    scale = min(1.0, 3600 * NS / max(1.0, target / 250 * (lo + hi) / 2))
    lo, hi = max(1000, int(lo * scale)), max(2000, int(hi * scale))
    first_incident = rng.uniform(0.05, 0.95) * target if incidents else float("inf")
    written = 0
    buf: list[str] = [header] if header else []
    size = len(header.encode("utf-8"))

    def emit(record: str | list[str]) -> None:
        nonlocal size
        for text in ([record] if isinstance(record, str) else record):
            for ln in prefix.lines(t, text):
                buf.append(ln)
                size += len(ln) if ln.isascii() else len(ln.encode("utf-8"))

    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in comp.startup(t):
            emit(line)
            t += rng.randrange(100_000, 30_000_000)
        while written + size < target:
            t += rng.randrange(lo, hi)
            if written + size >= first_incident or (incidents and rng.random() < INCIDENT_RATE):
                first_incident = float("inf")
                emit(comp.incident(t))
            else:
                emit(comp.record(t))
            if size >= 1 << 20:
                f.write("".join(buf))
                written += size
                buf, size = [], 0
        f.write("".join(buf))
        written += size
    return written


def generate(out: Path, size: int, seed: int = 1, layout: str = "plain",
             progress: Callable[[int, int], None] | None = None) -> Path:
    """Write a world of about ``size`` bytes under ``out`` (created, must not exist); returns it."""
    out = Path(out)
    pods, streams = plan(size, seed, layout)
    if layout == "collector":
        write_skeleton(out, pods, metrics=False)
        left = max(size - sum(f.stat().st_size for f in out.rglob("*") if f.is_file()), 0)
        total = sum(s.target for s in streams) or 1.0
        for s in streams:   # the logs get what the cluster files left
            s.target *= left / total
    elif out.exists():
        raise FileExistsError(f"{out} exists: remove it or choose another --out")
    budget = int(sum(s.target for s in streams))
    restarted = {(s.namespace, s.pod, s.container) for s in streams if s.previous}
    pools: dict[str, Pool] = {}
    done = 0
    for s in streams:
        rng = random.Random(f"wild-log:{seed}:{s.namespace}/{s.pod}/{s.container}/{s.previous}")
        model = MODELS[sum(map(ord, s.pod)) % len(MODELS)]
        pool = pools.setdefault(model, Pool(random.Random(f"wild-text:{seed}:{model}")))
        env = Env(s.namespace, s.pod, s.container, s.node, pod_ip(rng), model, pool, s.peers, dict(s.extra))
        comp = COMPONENTS[s.component](rng, env)
        # a previous container ran before the current one
        start = T0_NS + rng.randrange(600 * NS) - (3000 * NS if s.previous else 0)
        header = ""
        if s.unit:
            path = out / "journal" / s.node / f"{s.unit}.log"
            prefix = _Prefix("journal", host=s.node.split(".")[0], unit=s.unit, pid=s.extra["pid"])
            header = (f"-- Logs begin at {ts('%a %Y-%m-%d %H:%M:%S UTC', start)}, end at "
                      f"{ts('%a %Y-%m-%d %H:%M:%S UTC', T0_NS + 4500 * NS)}. --\n")
        elif layout == "plain":
            # /var/log/pods keeps the current container's log and the one before it
            n = 0 if s.previous or (s.namespace, s.pod, s.container) not in restarted else 1
            path = out / "pods" / f"{s.namespace}_{s.pod}_{s.uid}" / s.container / f"{n}.log"
            prefix = _Prefix("cri", comp.stream)
        else:
            name = f"{s.container}.previous.log" if s.previous else f"{s.container}.log"
            path = out / "namespaces" / s.namespace / "logs" / s.pod / name
            prefix = _Prefix("kubectl")
        path.parent.mkdir(parents=True, exist_ok=True)
        done += write_stream(path, comp, s.target, rng, prefix, start, s.incidents, header)
        if progress:
            progress(done, budget)
    return out
