"""Pasted parts of describe output, YAML status and event tables are read into the same tables as
whole objects: told by their fields, not by a header (shapes from tests/fixtures/realworld_dev)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.ingest import open_bundle
from analyzer.ingest.sniff import describe_fragment, sniff_kind
from analyzer.library import load_library
from analyzer.parse import parse_bundle
from analyzer.pipeline import analyze_path

CONTAINER_BLOCK = """\
    State:          Waiting
      Reason:       CrashLoopBackOff
    Last State:     Terminated
      Reason:       OOMKilled
      Exit Code:    137
      Started:      Mon, 12 Feb 2024 10:01:02 +0000
      Finished:     Mon, 12 Feb 2024 10:03:40 +0000
    Ready:          False
    Restart Count:  7
"""
POD_STATUS = """\
Status:         Failed
Reason:         UnexpectedAdmissionError
Message:        Pod Allocate failed due to requested number of devices unavailable for nvidia.com/gpu. Requested: 1, Available: 0, which is unexpected
"""
NODE_CAPACITY = """\
Capacity:
 attachable-volumes-gce-pd:  127
 cpu:                        16
 ephemeral-storage:          98868448Ki
 memory:                     107260540Ki
 pods:                       110
Allocatable:
 attachable-volumes-gce-pd:  127
 cpu:                        15890m
 memory:                     98936444Ki
 pods:                       110
"""
NODE_CONDITIONS_TABS = (
    "Conditions:\n"
    "  Type\t\t\tStatus\t\tLastHeartbeatTime\t\t\tLastTransitionTime\t\t\tReason\t\t\t\tMessage\n"
    "  ----\t\t\t------\t\t-----------------\t\t\t------------------\t\t\t------\t\t\t\t-------\n"
    "  OutOfDisk \t\tUnknown \tThu, 03 Nov 2016 12:18:28 +0000 \tThu, 03 Nov 2016 12:19:12 +0000 \tNodeStatusUnknown \t\tKubelet stopped posting node status.\n"
    "  MemoryPressure \tFalse \t\tThu, 03 Nov 2016 12:18:28 +0000 \tThu, 03 Nov 2016 12:05:44 +0000 \tKubeletHasSufficientMemory \tkubelet has sufficient memory available\n"
    "  Ready \t\tUnknown \tThu, 03 Nov 2016 12:18:28 +0000 \tThu, 03 Nov 2016 12:19:12 +0000 \tNodeStatusUnknown \t\tKubelet stopped posting node status.\n")
YAML_STATUS = """\
  containerStatuses:
  - containerID: containerd://4f2a9c
    image: nvcr.io/nvidia/tritonserver:24.01-py3
    lastState:
      terminated:
        containerID: containerd://4f2a9c
        exitCode: 139
        finishedAt: "2024-02-12T10:03:40Z"
        message: >-
          Signal (11) received.
        reason: Error
        startedAt: "2024-02-12T10:01:02Z"
    name: triton
    ready: false
    restartCount: 5
    started: false
    state:
      waiting:
        message: back-off 5m0s restarting failed container=triton pod=triton-0_ml(9b2f)
        reason: CrashLoopBackOff
  qosClass: Burstable
\u276f  k exec -it -n ml triton-0 -- nvidia-smi
Failed to initialize NVML: Unknown Error
command terminated with exit code 255
"""
K9S_EVENTS = (
    "\u2502   Normal   Pulling    102s (x4 over 3m9s)  kubelet            Pulling image \"pf/kubelet-csr-approver:0.1.0\"       \u2502\n"
    "\u2502   Warning  Failed     101s (x4 over 3m7s)  kubelet            Failed to pull image \"pf/kubelet-csr-approver:0.1.0\": rpc error: code = Unknown desc = Error response from \u2502\n"
    "\u2502  daemon: pull access denied for pf/kubelet-csr-approver, repository does not exist or may require 'docker login'      \u2502\n"
    "\u2502   Warning  Failed     101s (x4 over 3m7s)  kubelet            Error: ErrImagePull                                    \u2502\n")


@pytest.mark.parametrize("text, kind", [
    (CONTAINER_BLOCK, "describe_pod"), (POD_STATUS, "describe_pod"), (NODE_CAPACITY, "describe_node"),
    (NODE_CONDITIONS_TABS, "describe_node"),
    # a log that prints "Reason: x" or "Status: y" stays a log
    ("INFO 11-20 10:00:01 starting\nStatus: loading weights\nReason: none\nINFO 11-20 10:00:05 ready\n", "text"),
    ("Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: State: bad\n", "text"),
    (YAML_STATUS, "text"),
], ids=["container-block", "pod-status", "node-capacity", "node-conditions-tabs", "log-with-fields", "traceback",
        "yaml-status"])
def test_partial_describe_is_told_by_its_fields(text, kind):
    assert sniff_kind(text.encode(), "paste.txt") == kind


def test_a_whole_describe_is_still_told_by_its_header():
    assert describe_fragment("Name:         vllm-0\nNamespace:    ml\n") is None
    assert sniff_kind(b"Name:         vllm-0\nNamespace:    ml\nStatus:       Running\nContainers:\n", "p.txt") == "describe_pod"


def _tables(tmp_path: Path, text: str) -> dict:
    paste = tmp_path / "paste.txt"
    paste.write_text(text)
    with open_bundle(str(paste)) as bundle:
        return parse_bundle(bundle).tables


def test_a_container_block_without_its_pod_is_a_containers_row(tmp_path: Path) -> None:
    t = _tables(tmp_path, CONTAINER_BLOCK)
    assert t["pods"].is_empty()    # nothing in the paste says anything of the pod
    (row,) = t["containers"].to_dicts()
    assert (row["state"], row["state_reason"], row["last_state"], row["last_reason"], row["last_exit_code"],
            row["restart_count"], row["ready"]) == ("waiting", "CrashLoopBackOff", "terminated", "OOMKilled", 137, 7, False)
    assert row["last_finished"].isoformat() == "2024-02-12T10:03:40+00:00"
    assert (row["path"], row["line"]) == ("paste.txt", 1)


def test_pod_fields_without_a_name_are_a_pods_row(tmp_path: Path) -> None:
    (row,) = _tables(tmp_path, POD_STATUS)["pods"].to_dicts()
    assert (row["name"], row["phase"], row["reason"]) == (None, "Failed", "UnexpectedAdmissionError")
    assert row["message"].endswith("Requested: 1, Available: 0, which is unexpected")


def test_a_capacity_block_is_a_nodes_row_without_gpus(tmp_path: Path) -> None:
    (row,) = _tables(tmp_path, NODE_CAPACITY)["nodes"].to_dicts()
    assert json.loads(row["capacity"])["cpu"] == "16"
    assert json.loads(row["allocatable"])["cpu"] == "15890m"
    assert row["gpu_capacity"] is None and row["gpu_allocatable"] is None


def test_tab_separated_conditions_are_a_nodes_row(tmp_path: Path) -> None:
    (row,) = _tables(tmp_path, NODE_CONDITIONS_TABS)["nodes"].to_dicts()
    assert (row["ready"], row["ready_reason"]) == (False, "NodeStatusUnknown")
    assert {c["type"]: c["status"] for c in json.loads(row["conditions"])}["MemoryPressure"] == "False"


def test_a_yaml_status_fragment_is_a_containers_row(tmp_path: Path) -> None:
    (row,) = _tables(tmp_path, YAML_STATUS)["containers"].to_dicts()
    assert (row["name"], row["image"], row["restart_count"], row["ready"]) == (
        "triton", "nvcr.io/nvidia/tritonserver:24.01-py3", 5, False)
    assert (row["last_reason"], row["last_exit_code"], row["last_message"]) == ("Error", 139, "Signal (11) received.")
    assert (row["state"], row["state_reason"]) == ("waiting", "CrashLoopBackOff")
    assert row["line"] == 2


def test_a_yaml_fragment_without_a_state_gives_no_row(tmp_path: Path) -> None:
    text = "    restartCount: 0\n    started: true\n  qosClass: Burstable\n  startTime: \"2026-03-20T09:23:45Z\"\n"
    assert _tables(tmp_path, text)["containers"].is_empty()


def test_k9s_event_rows_are_events_with_their_whole_message(tmp_path: Path) -> None:
    rows = _tables(tmp_path, K9S_EVENTS)["events"].to_dicts()
    assert [(r["line"], r["reason"]) for r in rows] == [(1, "Pulling"), (2, "Failed"), (4, "Failed")]
    assert rows[1]["message"].endswith("Error response from daemon: pull access denied for pf/kubelet-csr-approver, "
                                       "repository does not exist or may require 'docker login'")
    assert "\u2502" not in rows[0]["message"]


def test_the_checks_read_a_pasted_container_block(tmp_path: Path) -> None:
    paste = tmp_path / "paste.txt"
    paste.write_text(CONTAINER_BLOCK)
    with analyze_path(str(paste), load_library()) as a:
        checks = {f["pattern"] for f in a.result["findings"]}
    assert "CHK001" in checks   # the OOMKilled container, read from the fragment's row
