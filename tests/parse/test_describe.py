"""A pasted `kubectl describe pod` gives the same rows as the pod's JSON."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analyzer.ingest import open_bundle
from analyzer.parse import parse_bundle

SAMPLES = Path(__file__).parent / "samples"
STATE_COLUMNS = ["namespace", "pod", "name", "init", "image", "ready", "restart_count", "state",
                 "state_reason", "state_exit_code", "last_state", "last_reason", "last_exit_code",
                 "last_started", "last_finished", "gpu", "secret_refs"]


def _tables(path: Path) -> dict[str, pl.DataFrame]:
    with open_bundle(path) as bundle:
        return parse_bundle(bundle).tables


def test_describe_and_json_give_the_same_container_state_rows():
    from_json = _tables(SAMPLES / "pod-crashloop.json")["containers"].select(STATE_COLUMNS)
    from_describe = _tables(SAMPLES / "pod-crashloop.describe.txt")["containers"].select(STATE_COLUMNS)
    assert from_json.height == 1
    assert from_describe.to_dicts() == from_json.to_dicts()
    row = from_describe.row(0, named=True)
    assert (row["state_reason"], row["last_reason"], row["last_exit_code"], row["restart_count"]) == \
        ("CrashLoopBackOff", "Error", 1, 6)
    assert row["secret_refs"] == '["hf-token-secret/HF_TOKEN"]'


def test_describe_pod_fields_match_json():
    cols = ["namespace", "name", "phase", "node", "ready", "labels", "owner_kind", "owner_name",
            "qos_class", "start_time", "gpu"]
    from_json = _tables(SAMPLES / "pod-crashloop.json")["pods"].select(cols).to_dicts()
    from_describe = _tables(SAMPLES / "pod-crashloop.describe.txt")["pods"].select(cols).to_dicts()
    assert from_describe == from_json


def test_describe_events_section_rows():
    events = _tables(SAMPLES / "pod-crashloop.describe.txt")["events"]
    backoff = events.filter(pl.col("reason") == "BackOff").row(0, named=True)
    assert backoff["type"] == "Warning"
    assert backoff["count"] == 68
    assert backoff["component"] == "kubelet"
    assert backoff["object_name"] == "vllm-decode-7d9f6c8b5-x2kqp"
    assert backoff["message"].startswith("Back-off restarting failed container main")
    assert events.height == 5


def test_describe_node(tmp_path):
    text = (SAMPLES / "node-gpu.describe.txt").read_text()
    (tmp_path / "node.txt").write_text(text)
    nodes = _tables(tmp_path / "node.txt")["nodes"]
    row = nodes.row(0, named=True)
    assert row["name"] == "gpu-node-1"
    assert row["ready"] is True
    assert (row["gpu_capacity"], row["gpu_allocatable"], row["gpu_allocated"]) == (8, 8, 6)
    assert row["gpu_product"] == "NVIDIA-H100-80GB-HBM3"
    assert row["taints"] == '["nvidia.com/gpu=present:NoSchedule"]'
    assert "hami.io/node-handshake" in row["annotations"]
    assert row["kubelet_version"] == "v1.30.5"
