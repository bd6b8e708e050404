"""Deterministic large bundles in our collector layout, for the benchmark (``benchmarks/run.py``).

``generate(out, size_bytes, seed)`` writes a bundle of about ``size_bytes``: the cluster-level
files of the ``healthy-dynamo-agg`` sample, then hundreds of pods across namespaces, each with
``kubectl logs --timestamps`` container logs of one healthy family (vLLM with uvicorn access
lines, Dynamo readable and JSONL, klog, Python), ``.previous.log`` files for restarted
containers, events and Prometheus metrics. Rare incident lines are the pattern library's own
match examples: each pattern family (file) makes between 0.01% and 0.1% of all lines and shows
in ``PODS_PER_FAMILY`` pods (its patterns split among them), as a real failure shows in a few
pods; every family of the library is exercised whatever patterns are added to it. The sample's
cluster files are copied as they are (their node names are the pods' nodes).

The same (size, seed, pattern library) gives the same bytes. Generated data goes to /tmp or
``benchmarks/out`` (gitignored), never into the repository.
"""

from __future__ import annotations

import json
import random
import shutil
import time as _time
from dataclasses import dataclass
from pathlib import Path

from analyzer.parse.quantity import byte_size
from tools.biggen.families import FAMILIES

BASE_SAMPLE = "healthy-dynamo-agg"
T0_NS = 1_763_629_200 * 1_000_000_000   # 2025-11-20T09:00:00Z, an hour before collection
COLLECTED_AT = "2025-11-20T10:15:00Z"
NODES = ("ip-10-0-8-41.us-west-2.compute.internal", "ip-10-0-12-105.us-west-2.compute.internal",
         "ip-10-0-13-131.us-west-2.compute.internal")
# role -> (log family, container names, image, share of pods)
ROLES = {
    "vllm-worker": ("vllm", ("vllm",), "vllm/vllm-openai:v0.11.0", 40),
    "frontend": ("dynamo", ("frontend",), "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.7.1", 15),
    "router": ("dynamo-jsonl", ("router",), "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.7.1", 10),
    "scheduler": ("klog", ("kube-scheduler", "device-plugin"), "projecthami/hami:v2.6.1", 10),
    "model-server": ("python", ("server",), "registry.example.com/ml/model-server:2.3.0", 25),
}
PREVIOUS_SHARE = 0.10      # restarted containers: a .previous.log beside the current one
INCIDENT_MIN, INCIDENT_MAX = 1e-4, 1e-3
PODS_PER_FAMILY = 3


@dataclass(frozen=True)
class PodPlan:
    """One pod of a generated bundle: where it runs, its containers and which restarted."""

    namespace: str
    name: str
    role: str
    node: str
    containers: tuple[str, ...]
    restarted: frozenset[str]
    image: str
    gpu: bool


def parse_size(text: str) -> int:
    """``1GiB``, ``20MB``, ``512MiB``, ``3000000`` -> bytes (the analyzer's size parser)."""
    size = byte_size(text)
    if size is None:
        raise ValueError(f"size {text!r}: use a number with B, KB, MB, GB, KiB, MiB or GiB")
    return int(size)


def incident_families() -> list[tuple[str, float, list[list[str]]]]:
    """(pattern file, rate per line, example lines of each pattern) for every family that reads logs."""
    from analyzer.library import load_library

    by_file: dict[str, list[list[str]]] = {}
    for p in load_library():
        if "log" not in p.sources:
            continue
        lines = [ex["line"] for ex in p.examples_match if "\n" not in ex["line"] and "\r" not in ex["line"]]
        if lines:
            by_file.setdefault(p.file, []).append(lines)
    rng = random.Random("incident-rates")
    return [(f, rng.uniform(INCIDENT_MIN, INCIDENT_MAX), pats) for f, pats in sorted(by_file.items())]


def place_incidents(targets: list[float], seed: int) -> list[list[tuple[float, list[str]]]]:
    """Per log file, its incident sources: (rate per line of that file, example lines).

    As in a real bundle, a failure shows in a few pods, not everywhere: each family goes to
    ``PODS_PER_FAMILY`` files, its patterns split among them; the file rate is raised so that
    the family still makes ``rate`` of all lines.
    """
    rng = random.Random(f"incidents:{seed}")
    total = sum(targets)
    per_file: list[list[tuple[float, list[str]]]] = [[] for _ in targets]
    for _, rate, pats in incident_families():
        chosen = rng.sample(range(len(targets)), min(PODS_PER_FAMILY, len(targets)))
        share = sum(targets[i] for i in chosen) or 1.0
        file_rate = min(rate * total / share, 0.05)
        for k, i in enumerate(chosen):
            mine = [line for j, lines in enumerate(pats) if j % len(chosen) == k for line in lines]
            if mine:
                per_file[i].append((file_rate, mine))
    return per_file


def plan_pods(size: int, seed: int) -> list[PodPlan]:
    """Hundreds of pods (fewer for small sizes) over a handful of namespaces."""
    rng = random.Random(f"pods:{seed}")
    n_pods = max(24, min(480, size // (3 << 20)))
    namespaces = ["dynamo", "hami-system", "kube-system"] + [f"inference-{i}" for i in range(max(2, n_pods // 60))]
    roles = list(ROLES)
    weights = [ROLES[r][3] for r in roles]
    pods = []
    for i in range(n_pods):
        role = rng.choices(roles, weights)[0]
        ns = ("hami-system" if role == "scheduler" else
              "dynamo" if role in ("frontend", "router") and rng.random() < 0.5 else rng.choice(namespaces[3:]))
        name = f"{role}-{rng.getrandbits(40):010x}"[:len(role) + 11] + f"-{rng.getrandbits(20):05x}"
        containers = ROLES[role][1]
        restarted = frozenset(c for c in containers if rng.random() < PREVIOUS_SHARE)
        pods.append(PodPlan(ns, name, role, NODES[i % len(NODES)], containers, restarted,
                            ROLES[role][2], role == "vllm-worker"))
    return pods


def _pod_object(p: PodPlan) -> dict:
    created = "2025-11-20T08:55:00Z"
    statuses = []
    for c in p.containers:
        st = {"name": c, "ready": True, "restartCount": 3 if c in p.restarted else 0,
              "image": p.image, "imageID": "", "started": True,
              "state": {"running": {"startedAt": "2025-11-20T09:00:00Z"}}, "lastState": {}}
        if c in p.restarted:
            st["lastState"] = {"terminated": {"reason": "Error", "exitCode": 1,
                                              "startedAt": "2025-11-20T08:56:00Z",
                                              "finishedAt": "2025-11-20T08:59:58Z"}}
        statuses.append(st)
    gpu = {"nvidia.com/gpu": "1"} if p.gpu else {}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": p.name, "namespace": p.namespace, "uid": f"uid-{p.name}",
                     "creationTimestamp": created, "labels": {"app": p.role}},
        "spec": {"nodeName": p.node, "schedulerName": "default-scheduler",
                 "containers": [{"name": c, "image": p.image,
                                 "resources": {"limits": dict(gpu), "requests": dict(gpu)}}
                                for c in p.containers]},
        "status": {"phase": "Running", "startTime": created, "qosClass": "Burstable",
                   "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": statuses},
    }


def _events(pods: list[PodPlan]) -> list[dict]:
    out = []
    for i, p in enumerate(pods):
        def ev(reason: str, message: str, type_: str = "Normal", count: int = 1) -> dict:
            return {"apiVersion": "v1", "kind": "Event",
                    "metadata": {"name": f"{p.name}.{len(out):x}", "namespace": p.namespace},
                    "involvedObject": {"kind": "Pod", "name": p.name, "namespace": p.namespace},
                    "reason": reason, "message": message, "type": type_, "count": count,
                    "firstTimestamp": "2025-11-20T08:55:01Z", "lastTimestamp": "2025-11-20T08:55:30Z",
                    "source": {"component": "kubelet", "host": p.node}}
        out.append(ev("Scheduled", f"Successfully assigned {p.namespace}/{p.name} to {p.node}"))
        out.append(ev("Pulled", f'Container image "{p.image}" already present on machine'))
        out.append(ev("Started", f"Started container {p.containers[0]}"))
        if p.restarted:
            out.append(ev("BackOff", "Back-off restarting failed container", "Warning", 3))
    return out


def _metrics(p: PodPlan) -> str:
    m = "qwen/qwen3-8b"
    return (
        "# HELP vllm:num_requests_running Number of requests in model execution batches.\n"
        "# TYPE vllm:num_requests_running gauge\n"
        f'vllm:num_requests_running{{engine="0",model_name="{m}"}} 7.0\n'
        "# HELP vllm:gpu_cache_usage_perc GPU KV-cache usage. 1 means 100 percent usage.\n"
        "# TYPE vllm:gpu_cache_usage_perc gauge\n"
        f'vllm:gpu_cache_usage_perc{{engine="0",model_name="{m}"}} 0.31\n'
        "# HELP vllm:request_success_total Count of successfully processed requests.\n"
        "# TYPE vllm:request_success_total counter\n"
        f'vllm:request_success_total{{engine="0",finished_reason="stop",model_name="{m}"}} 18210.0\n')


class Stamp:
    """``kubectl logs --timestamps`` prefixes (RFC3339Nano), the second part cached."""

    def __init__(self) -> None:
        self._sec = -1
        self._text = ""

    def __call__(self, t_ns: int) -> str:
        sec = t_ns // 1_000_000_000
        if sec != self._sec:
            self._sec = sec
            self._text = _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(sec))
        return f"{self._text}.{t_ns % 1_000_000_000:09d}Z "


def write_log(path: Path, family: str, target: int, rng: random.Random,
              incidents: list[tuple[float, list[str]]]) -> int:
    """One container log of about ``target`` bytes; returns the bytes written."""
    gen = FAMILIES[family]
    stamp = Stamp()
    total_rate = sum(r for r, _ in incidents)
    weights = [r for r, _ in incidents]
    t = T0_NS + rng.randrange(60 * 1_000_000_000)
    written = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        while written < target:
            buf = []
            for _ in range(256):
                t += rng.randrange(200_000, 4_000_000)
                if rng.random() < total_rate:
                    lines = rng.choices(incidents, weights)[0][1]
                    text = rng.choice(lines)
                else:
                    text = gen(rng, t)
                buf.append(stamp(t) + text + "\n")
            chunk = "".join(buf)
            f.write(chunk)
            written += len(chunk.encode("utf-8")) if not chunk.isascii() else len(chunk)
    return written


def write_skeleton(out: Path, pods: list[PodPlan], metrics: bool = True) -> None:
    """Everything of our collector layout but the logs, under ``out`` (created, must not exist):
    the ``BASE_SAMPLE`` sample's cluster files, ``manifest.json``, and per namespace
    ``pods.json``, ``events.json`` and (with ``metrics``) the GPU pods' ``metrics/*.prom``."""
    from analyzer.resources import data_dir  # noqa: F401  (the analyzer must be importable)

    repo = Path(__file__).resolve().parents[2]
    base = repo / "sample_bundles" / BASE_SAMPLE
    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out} exists: remove it or choose another --out")
    out.mkdir(parents=True)
    shutil.copytree(base / "cluster", out / "cluster")
    namespaces = sorted({p.namespace for p in pods})
    manifest = json.loads((base / "manifest.json").read_text())
    manifest.update({"collected_at": COLLECTED_AT, "namespaces": namespaces, "commands": [],
                     "hami_namespace": "hami-system"})
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for ns in namespaces:
        mine = [p for p in pods if p.namespace == ns]
        d = out / "namespaces" / ns
        (d / "metrics").mkdir(parents=True)
        (d / "pods.json").write_text(json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": [_pod_object(p) for p in mine]}, indent=1) + "\n")
        (d / "events.json").write_text(json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": _events(mine)}, indent=1) + "\n")
        for p in mine:
            if metrics and p.gpu:
                (d / "metrics" / f"{p.name}.prom").write_text(_metrics(p))


def generate(out: Path, size: int, seed: int = 1, progress=None) -> Path:
    """Write a bundle of about ``size`` bytes under ``out`` (created, must not exist); returns it."""
    out = Path(out)
    pods = plan_pods(size, seed)
    write_skeleton(out, pods)
    files = []
    for p in pods:
        for c in p.containers:
            files.append((p, c, False))
            if c in p.restarted:
                files.append((p, c, True))
    frng = random.Random(f"sizes:{seed}")
    # heavy-tailed sizes, as in real bundles: a few chatty pods hold most of the bytes
    weights = [frng.paretovariate(1.6) * (0.25 if prev else 1.0) for _, _, prev in files]
    budget = max(size - sum(f.stat().st_size for f in out.rglob("*") if f.is_file()), 0)
    cap = max(budget // 8, 1 << 20)
    targets = [min(w * budget / sum(weights), cap) for w in weights]
    free = [t for t in targets if t < cap]
    grow = (budget - sum(targets)) / sum(free) if free else 0.0
    targets = [t if t >= cap else t * (1 + grow) for t in targets]
    placed = place_incidents(targets, seed)
    done = 0
    for (p, c, prev), target, incidents in zip(files, targets, placed):
        logdir = out / "namespaces" / p.namespace / "logs" / p.name
        logdir.mkdir(parents=True, exist_ok=True)
        name = f"{c}.previous.log" if prev else f"{c}.log"
        rng = random.Random(f"log:{seed}:{p.namespace}/{p.name}/{name}")
        done += write_log(logdir / name, ROLES[p.role][0], int(target), rng, incidents)
        if progress:
            progress(done, budget)
    return out
