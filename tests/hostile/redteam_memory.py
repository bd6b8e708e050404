"""Inputs that took runs past 1 GiB (issue 16): each written cheaply (text templates, no JSON
encoder over millions of objects), each a real shape scaled up.

- ``tiny_files``: 100,000 log files of one line each in a collector bundle;
- ``million_series``: one Prometheus scrape of a pod with 1,000,000 series;
- ``big_configmap``: one ConfigMap whose one value is 200 MiB;
- ``many_pods``: one ``kubectl get pods -o json`` list of 50,000 pods (a real pod, renamed).

``python tests/hostile/redteam_memory.py KIND DIR`` writes one of them (for measuring a run with
``/usr/bin/time -v``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POD = ROOT / "sample_bundles/hami-gpumem-pending/namespaces/ml-serving/pods.json"
MANIFEST = {"collector": "collect-bundle.sh", "collector_version": "0.1.0", "collected_at": "2026-11-19T14:42:00Z",
            "namespaces": ["ml-serving"], "commands": []}
OOM = "2026-11-18T18:50:00.000000001Z torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.76 GiB.\n"


def _bundle(root: Path) -> Path:
    b = root / "bundle"
    (b / "namespaces/ml-serving").mkdir(parents=True)
    (b / "manifest.json").write_text(json.dumps(MANIFEST))
    return b


def tiny_files(root: Path, n: int = 100_000) -> Path:
    b = _bundle(root)
    logs = b / "namespaces/ml-serving/logs"
    for i in range(n):
        d = logs / f"worker-{i // 100:04d}-{i:06d}"
        os.makedirs(d)
        with open(d / "main.log", "w") as f:
            f.write(f"2026-11-18T18:50:{i % 60:02d}.000000001Z INFO worker {i} step ok\n")
    # one of them is the one that matters
    with open(logs / "worker-0000-000007/main.log", "a") as f:
        f.write(OOM)
    return b


def million_series(root: Path, n: int = 1_000_000) -> Path:
    b = _bundle(root)
    (b / "namespaces/ml-serving/metrics").mkdir()
    with open(b / "namespaces/ml-serving/metrics/vllm-0.prom", "w") as f:
        f.write("# HELP vllm:request_success_total Count of successfully processed requests.\n"
                "# TYPE vllm:request_success_total counter\n")
        batch = []
        for i in range(n):
            batch.append(f'vllm:request_success_total{{engine="{i % 8}",finished_reason="stop",'
                         f'model_name="qwen-{i}",request_id="r{i:07d}"}} {i}.0\n')
            if len(batch) == 10_000:
                f.write("".join(batch))
                batch.clear()
        f.write("".join(batch))
    return b


def big_configmap(root: Path, size: int = 200 << 20) -> Path:
    b = _bundle(root)
    with open(b / "namespaces/ml-serving/configmaps.json", "w") as f:
        f.write('{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap", '
                '"metadata": {"name": "model-index", "namespace": "ml-serving"}, "data": {"index.txt": "')
        line = "shard-00001-of-00042.safetensors 4.9G sha256:" + "0" * 64 + "\\n"
        chunk = line * ((8 << 20) // len(line))
        written = 0
        while written < size:
            f.write(chunk)
            written += len(chunk)
        f.write('"}}]}\n')
    return b


def many_pods(root: Path, n: int = 50_000) -> Path:
    b = _bundle(root)
    pod = next(p for p in json.loads(POD.read_text())["items"] if p["status"]["phase"] == "Running")
    name = pod["metadata"]["name"]
    template = json.dumps(pod, indent=4).replace(name, "\x00")
    with open(b / "namespaces/ml-serving/pods.json", "w") as f:
        f.write('{\n    "apiVersion": "v1",\n    "items": [\n')
        for i in range(n):
            f.write(("," if i else "") + template.replace("\x00", f"{name[:-6]}{i:06d}"))
        f.write('\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n')
    return b


KINDS = {"tiny-files": tiny_files, "million-series": million_series, "big-configmap": big_configmap,
         "many-pods": many_pods}

if __name__ == "__main__":
    print(KINDS[sys.argv[1]](Path(sys.argv[2])))
