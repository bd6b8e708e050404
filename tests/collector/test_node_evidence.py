"""The files our collector saves per GPU node (``nodes/NODE/``) are read as evidence about that node.

A small bundle in our layout: two GPU nodes, a crash-looping worker on each (CUDA cannot see its
GPU), and node A's kernel log with an Xid 79. The Xid is a gpu.hardware finding on node A, it
explains the worker on node A and not the one on node B; kernel log lines get their time from the
prefixes dmesg -T, journalctl and syslog print; nvidia-smi -q and the DCGM scrape of a node are
about that node too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analyzer.pipeline import analyze_path
from testkit.bundle import BundleWriter
from testkit.samples import library, sample, sample_run
from tools.samplegen.kube import list_of

COLLECTED = "2026-12-07T10:30:00Z"
NS = "serving"
XID = "NVRM: Xid (PCI:0000:3b:00): 79, pid=4821, name=python3, GPU has fallen off the bus."


def _node(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "uid": f"uid-{name}", "labels": {"nvidia.com/gpu.present": "true"}},
            "status": {"capacity": {"nvidia.com/gpu": "8"}, "allocatable": {"nvidia.com/gpu": "8"},
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}


def _pod(name: str, node: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}"},
            "spec": {"nodeName": node, "containers": [{"name": "main", "image": "vllm/vllm-openai:v0.11.0",
                                                        "resources": {"limits": {"nvidia.com/gpu": "1"}}}]},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "main", "ready": False, "restartCount": 6, "image": "vllm/vllm-openai:v0.11.0",
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "startedAt": "2026-12-07T10:20:00Z",
                                             "finishedAt": "2026-12-07T10:20:19Z"}}}]}}


def write_bundle(root: Path, node_files: dict[str, dict[str, str]]) -> Path:
    """Our layout: nodes gpu-a and gpu-b, worker-a on gpu-a and worker-b on gpu-b, and ``node_files``
    ({node: {source: text}}) under nodes/."""
    out = BundleWriter(root, collected_at=COLLECTED, context="test", namespaces=[NS])
    out.put("nodes", list_of([_node("gpu-a"), _node("gpu-b")]))
    out.put("pods", list_of([_pod("worker-a", "gpu-a"), _pod("worker-b", "gpu-b")]), namespace=NS)
    for pod in ("worker-a", "worker-b"):
        out.put("previous_log", "2026-12-07T10:20:18.120000000Z RuntimeError: No CUDA GPUs are available\n",
                namespace=NS, pod=pod, container="main")
    for node, sources in node_files.items():
        for source, text in sources.items():
            out.put(source, text, node=node, argv=["kubectl", "exec"])
    return out.finish()


def analyze(bundle: Path) -> dict:
    with analyze_path(str(bundle), library()) as analysis:
        return json.loads(json.dumps(analysis.result))


def _on_node(result: dict, node: str, pattern: str) -> dict:
    return next(f for f in result["findings"] if f["pattern"] == pattern
                and f["affected"] == [{"namespace": None, "kind": "Node", "name": node, "container": None}])


def test_xid_in_a_node_kernel_log_is_a_hardware_root_cause_on_that_node(tmp_path: Path) -> None:
    kernel = ("[Mon Dec  7 09:41:07 2026] NVRM: loading NVIDIA UNIX x86_64 Kernel Module  550.127.05  "
              "Tue Oct  8 03:22:07 UTC 2024\n"
              f"[Mon Dec  7 10:17:52 2026] {XID}\n"
              "[Mon Dec  7 10:17:52 2026] NVRM: GPU 0000:3b:00.0: GPU has fallen off the bus.\n")
    result = analyze(write_bundle(tmp_path, {"gpu-a": {"node_kernel_log": kernel}}))
    xid = _on_node(result, "gpu-a", "GPU030")
    assert xid["category"] == "gpu.hardware" and xid["node"] == "gpu-a"
    assert xid["evidence"][0]["path"] == "nodes/gpu-a/kernel.log" and xid["evidence"][0]["line"] == 2
    assert xid["first_seen"] == "2026-12-07T10:17:52Z"
    roots = {rc["id"]: rc for rc in result["root_causes"]}
    assert result["root_causes"][0]["category"] == "gpu.hardware"
    assert xid["id"] in roots or xid["merged_into"] in roots
    # the worker on gpu-a is explained by the lost GPU; the one on gpu-b is not
    by_pod = {f["affected"][0]["name"]: f for f in result["findings"] if f["pattern"] == "CUDA013"}
    by_id = {f["id"]: f for f in result["findings"]}
    assert by_id[by_pod["worker-a"]["caused_by"]]["category"] == "gpu.hardware"
    # worker-b's line is the crash its own crash loop names (CHK002), nothing of node gpu-a's
    cause_b = by_id.get(by_pod["worker-b"]["caused_by"] or "")
    assert cause_b is None or (cause_b["category"] != "gpu.hardware" and cause_b["affected"][0]["name"] == "worker-b")


def test_without_the_kernel_log_there_is_no_hardware_finding(tmp_path: Path) -> None:
    result = analyze(write_bundle(tmp_path, {}))
    assert not [f for f in result["findings"] if f["category"] == "gpu.hardware"]


@pytest.mark.parametrize("line, when", [
    (f"[Mon Dec  7 10:17:52 2026] {XID}", "2026-12-07T10:17:52Z"),                       # dmesg -T
    (f"Dec 07 10:17:52 gpu-a kernel: {XID}", "2026-12-07T10:17:52Z"),                     # journalctl -k
    (f"Dec  7 10:17:52 gpu-a kernel: [ 2205.481934] {XID}", "2026-12-07T10:17:52Z"),      # syslog kern.log
    (f"2026-12-07T11:17:52+0100 gpu-a kernel: {XID}", "2026-12-07T10:17:52Z"),            # journalctl -o short-iso
    (f"2026-12-07T10:17:52.481934+00:00 gpu-a kernel: {XID}", "2026-12-07T10:17:52.481934Z"),
    (f"[ 2205.481934] {XID}", None),                                                       # dmesg: seconds since boot
], ids=["dmesg-T", "journalctl", "syslog", "short-iso", "short-iso-precise", "dmesg-raw"])
def test_kernel_log_prefixes_give_the_evidence_its_time(tmp_path: Path, line: str, when: str | None) -> None:
    result = analyze(write_bundle(tmp_path, {"gpu-a": {"node_kernel_log": line + "\n"}}))
    xid = _on_node(result, "gpu-a", "GPU030")
    assert xid["evidence"][0]["time"] == when


def test_nvidia_smi_q_and_dcgm_scrape_are_about_their_node(tmp_path: Path) -> None:
    smi = ("\n==============NVSMI LOG==============\n\nTimestamp                                 : Mon Dec  7 10:29:41 2026\n"
           "Driver Version                            : 550.127.05\nCUDA Version                              : 12.4\n\n"
           "Attached GPUs                             : 8\nGPU 00000000:3B:00.0\n    GPU Reset Status\n"
           "        Reset Required                    : Yes\n        Drain and Reset Recommended       : No\n"
           "    ECC Errors\n        Volatile\n            SRAM Correctable              : 0\n"
           "            SRAM Uncorrectable Parity     : 0\n            SRAM Uncorrectable SEC-DED    : 0\n"
           "            DRAM Correctable              : 0\n            DRAM Uncorrectable            : 2\n"
           "    Remapped Rows\n        Correctable Error                 : 0\n        Uncorrectable Error               : 1\n"
           "        Pending                           : Yes\n        Remapping Failure Occurred        : No\n")
    dcgm = ("# HELP DCGM_FI_DEV_XID_ERRORS Value of the last XID error encountered.\n# TYPE DCGM_FI_DEV_XID_ERRORS gauge\n"
            'DCGM_FI_DEV_XID_ERRORS{gpu="3",UUID="GPU-6b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",device="nvidia3",'
            'modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-b",DCGM_FI_DRIVER_VERSION="550.127.05"} 48\n')
    result = analyze(write_bundle(tmp_path, {"gpu-a": {"node_nvidia_smi": smi}, "gpu-b": {"node_dcgm_metrics": dcgm}}))
    assert _on_node(result, "gpu-a", "GPU046")["severity"] == "warning"       # row remap pending
    assert _on_node(result, "gpu-a", "GPU047")["severity"] == "error"         # reset required
    ecc = _on_node(result, "gpu-a", "GPU048")                                  # uncorrectable counts
    assert {e["text"].split(":")[0].strip() for e in ecc["evidence"]} == {"DRAM Uncorrectable", "Uncorrectable Error"}
    assert _on_node(result, "gpu-b", "GPU040")["evidence"][0]["path"] == "nodes/gpu-b/dcgm-exporter.prom"


SAMPLE = sample("xid79-node-kernel-log")


def test_sample_bundle_diagnoses_the_xid_on_the_node_whose_kernel_log_has_it(tmp_path: Path) -> None:
    logs = {p.parent.name: p.read_text() for p in SAMPLE.glob("nodes/*/kernel.log")}
    xid_nodes = [node for node, text in logs.items() if "): 79, " in text]
    assert len(xid_nodes) == 1 and len(logs) > 1
    node = xid_nodes[0]
    pods = [p for f in SAMPLE.glob("namespaces/*/pods.json") for p in json.loads(f.read_text())["items"]]
    crashing = {p["metadata"]["name"] for p in pods if any(
        (cs.get("state") or {}).get("waiting", {}).get("reason") == "CrashLoopBackOff"
        for cs in p["status"].get("containerStatuses", []))}
    assert crashing
    result = sample_run(SAMPLE).result
    top = result["root_causes"][0]
    assert top["category"] == "gpu.hardware" and top["node"] == node
    assert top["affected"] == [{"namespace": None, "kind": "Node", "name": node, "container": None}]
    assert top["evidence"][0]["path"] == f"nodes/{node}/kernel.log" and top["evidence"][0]["time"]
    # the crash-looping pods run on that node, and the root cause explains them
    assert {p["spec"]["nodeName"] for p in pods if p["metadata"]["name"] in crashing} == {node}
    by_id = {f["id"]: f for f in result["findings"]}
    explained = {a["name"] for s in top["symptoms"] for a in by_id[s]["affected"] if a["kind"] == "Pod"}
    assert crashing <= explained
    # without the node's files the Xid is not seen at all
    copy = tmp_path / SAMPLE.name
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns("nodes"))
    assert "gpu.hardware" not in {rc["category"] for rc in analyze(copy)["root_causes"]}
