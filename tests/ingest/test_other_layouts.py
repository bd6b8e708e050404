"""Bundles of other collectors: troubleshoot, must-gather, cluster-info dump (layouts in
docs/ARCHITECTURE.md) give the same kinds of rows as ours."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl

from analyzer.ingest import open_bundle
from analyzer.parse import parse_bundle

POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "vllm-decode-0", "namespace": "dynamo"},
       "spec": {"containers": [{"name": "main", "image": "vllm/vllm-openai:v0.11.0",
                                "resources": {"limits": {"nvidia.com/gpu": "1"}}}],
                "nodeName": "gpu-node-1", "schedulerName": "default-scheduler"},
       "status": {"phase": "Running", "containerStatuses": [{
           "name": "main", "ready": False, "restartCount": 4,
           "state": {"waiting": {"reason": "CrashLoopBackOff"}},
           "lastState": {"terminated": {"reason": "Error", "exitCode": 1,
                                        "finishedAt": "2026-11-20T09:59:12Z"}}}]}}
OOM_LOG = ("2026-11-20T09:59:11.000000001Z INFO 11-20 09:59:10 [model_runner.py:1025] Loading model weights took 15.2 GB\n"
           "2026-11-20T09:59:11.500000000Z torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.76 GiB. "
           "GPU 0 has a total capacity of 79.19 GiB of which 1.05 GiB is free.\n")


def _write(root: Path, files: dict[str, bytes | str]) -> None:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())


def _check(root: Path, layout: str, log_path_part: str, previous: bool) -> None:
    with open_bundle(root) as bundle:
        assert bundle.layout == layout
        parsed = parse_bundle(bundle)
        logs = parsed.log_lines().filter(pl.col("path").str.contains(log_path_part, literal=True))
        containers = parsed.tables["containers"]
    assert containers.select("namespace", "pod", "name", "state_reason", "restart_count").row(0) == \
        ("dynamo", "vllm-decode-0", "main", "CrashLoopBackOff", 4)
    row = logs.filter(pl.col("text").str.contains("OutOfMemoryError")).row(0, named=True)
    assert (row["namespace"], row["pod"], row["container"], row["previous"]) == \
        ("dynamo", "vllm-decode-0", "main", previous)


def test_troubleshoot_support_bundle(tmp_path):
    top = tmp_path / "support-bundle-2026-11-20T10_00_00"
    _write(top, {
        "version.yaml": "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.107.0\n",
        "cluster-info/cluster_version.json": json.dumps({"info": {"gitVersion": "v1.30.5"}, "string": "v1.30.5"}),
        "cluster-resources/pods/dynamo.json": json.dumps({"kind": "PodList", "apiVersion": "v1", "items": [
            {k: v for k, v in POD.items() if k != "kind"}]}),
        "cluster-resources/pods/logs/dynamo/vllm-decode-0/main-previous.log": OOM_LOG,
        "cluster-resources/pods/logs/dynamo/vllm-decode-0/main.log": "2026-11-20T10:00:00Z INFO 11-20 10:00:00 [api_server.py:1] starting\n",
        "cluster-resources/pods-errors.json": json.dumps(["pods is forbidden: User cannot list pods in kube-system"]),
    })
    _check(tmp_path, "troubleshoot", "main-previous.log", True)


def test_openshift_must_gather_with_gzip_logs(tmp_path):
    image = tmp_path / "must-gather.local.5170" / "quay-io-openshift-release-dev-sha256-abc"
    _write(image, {
        "version": "openshift-must-gather\n4.16.3\n",
        "cluster-scoped-resources/core/nodes/gpu-node-1.yaml": "apiVersion: v1\nkind: Node\nmetadata:\n  name: gpu-node-1\n",
        "namespaces/dynamo/core/pods.yaml": "apiVersion: v1\nkind: PodList\nitems:\n" + "\n".join(
            "- " + line if i == 0 else "  " + line
            for i, line in enumerate(_yaml(POD).splitlines())) + "\n",
        "namespaces/dynamo/pods/vllm-decode-0/main/main/logs/previous.log.gz": gzip.compress(OOM_LOG.encode()),
        "namespaces/dynamo/pods/vllm-decode-0/main/main/logs/current.log": "2026-11-20T10:00:00Z started\n",
    })
    _check(tmp_path, "must-gather", "previous.log.gz", True)


def test_kubectl_cluster_info_dump(tmp_path):
    marker = "==== START logs for container main of pod dynamo/vllm-decode-0 ====\n"
    _write(tmp_path, {
        "nodes.json": json.dumps({"kind": "NodeList", "items": []}),
        "dynamo/pods.json": json.dumps({"kind": "PodList", "items": [POD]}),
        "dynamo/events.json": json.dumps({"kind": "EventList", "items": []}),
        "dynamo/vllm-decode-0/logs.txt": marker + OOM_LOG + "==== END logs for container main of pod dynamo/vllm-decode-0 ====\n",
    })
    _check(tmp_path, "cluster-info-dump", "logs.txt", False)


def _yaml(obj: dict) -> str:
    import yaml

    return yaml.safe_dump(obj, sort_keys=True)
