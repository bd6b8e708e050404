"""The shared test-bundle writer (``tests/testkit/bundle.py``) writes what our collector writes: the
ingest stage reads its bundles as our layout, each file with the kind and identity of its source,
and the manifest records every file it wrote like the collector does."""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.ingest import open_bundle
from analyzer.parse import parse_bundle
from analyzer.sources import match_source
from testkit.bundle import BundleWriter, write_bundle
from tools.samplegen.kube import list_of

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "vllm-0", "namespace": "llm", "uid": "u1"},
       "spec": {"nodeName": "gpu-1", "containers": [{"name": "main", "image": "vllm/vllm-openai:v0.11.0"}]},
       "status": {"phase": "Running", "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0,
                                                              "state": {"running": {"startedAt": "2026-11-20T10:00:00Z"}}}]}}
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "gpu-1"},
        "status": {"capacity": {"nvidia.com/gpu": "8"}, "allocatable": {"nvidia.com/gpu": "8"}}}
DGD = {"apiVersion": "nvidia.com/v1alpha1", "kind": "DynamoGraphDeployment",
       "metadata": {"name": "qwen", "namespace": "llm"}, "spec": {}}
LOG = "2026-11-20T10:00:01.000000000Z INFO 11-20 10:00:01 [api_server.py:1839] vLLM API server version 0.11.0\n"


def test_writer_bundle_reads_as_our_layout_with_every_file_recorded(tmp_path: Path) -> None:
    out = BundleWriter(tmp_path / "b", namespaces=["llm"])
    out.objects([POD, NODE, DGD])
    out.put("log", LOG, namespace="llm", pod="vllm-0", container="main")
    out.refused("pods", "locked", ["kubectl", "get", "pods", "-n", "locked", "-o", "json"],
                'Error from server (Forbidden): pods is forbidden: User "x" cannot list resource "pods"')
    root = out.finish()
    manifest = json.loads((root / "manifest.json").read_text())
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {"manifest.json"}
    assert {c["path"] for c in manifest["commands"] if c["path"]} == on_disk
    for c in manifest["commands"]:
        if c["path"]:
            assert match_source(c["path"])[0].name == c["source"] and c["exit_code"] == 0
            assert c["bytes"] == (root / c["path"]).stat().st_size
        else:
            assert c["exit_code"] == 1 and "Forbidden" in c["stderr"]
    assert ["kubectl", "get", "dynamographdeployments.nvidia.com", "-n", "llm", "-o", "json"] in [
        c["argv"] for c in manifest["commands"]]
    with open_bundle(str(root)) as bundle:
        assert bundle.layout == "collector"
        kinds = {m.path: (m.kind, m.meta.get("pod")) for m in bundle.members}
        parsed = parse_bundle(bundle)
    assert kinds["namespaces/llm/logs/vllm-0/main.log"] == ("log", "vllm-0")
    assert kinds["namespaces/llm/custom/dynamographdeployments.nvidia.com.json"][0] == "objects"
    assert parsed.tables["pods"].get_column("name").to_list() == ["vllm-0"]
    assert parsed.tables["nodes"].get_column("name").to_list() == ["gpu-1"]


def test_write_bundle_groups_objects_by_kind_and_keeps_extra_files(tmp_path: Path) -> None:
    root = write_bundle(tmp_path, [POD, NODE], empty=("namespaces/llm/events.json",),
                        files={"namespaces/llm/logs/vllm-0/main.log": LOG}, manifest={"hami_namespace": "hami"})
    assert json.loads((root / "namespaces/llm/pods.json").read_text()) == list_of([POD])
    assert json.loads((root / "namespaces/llm/events.json").read_text())["items"] == []
    manifest = json.loads((root / "manifest.json").read_text())
    assert "commands" not in manifest  # as other tools write a manifest: the checks must cope
    assert manifest["namespaces"] == ["llm"] and manifest["hami_namespace"] == "hami"
    assert (root / "namespaces/llm/logs/vllm-0/main.log").read_text() == LOG
