"""A pod's own events as its state: a failure before a container starts, followed by an event of
the same pod past that stage, is recovered; one the pod never got past stays active."""

from __future__ import annotations

from pathlib import Path

from analyzer.pipeline import analyze_path

HEAD = """Events:
  Type     Reason            Age                From               Message
  ----     ------            ----               ----               -------
"""


def _states(tmp_path: Path, rows: str) -> dict[str, str]:
    paste = tmp_path / "events.txt"
    paste.write_text(HEAD + rows)
    with analyze_path(str(paste)) as a:
        return {f["category"]: f["state"] for f in a.result["findings"]}


def test_a_mount_failure_then_a_started_container_is_recovered(tmp_path: Path) -> None:
    states = _states(tmp_path, (
        "  Normal   Scheduled         2m                 default-scheduler  Successfully assigned ml/vllm-0 to gpu-a\n"
        '  Warning  FailedMount       2m                 kubelet            MountVolume.SetUp failed for volume '
        '"model-cache" : mount failed: exit status 32\n'
        '  Normal   Pulled            90s                kubelet            Container image "vllm/vllm-openai:v0.8.5" '
        "already present on machine\n"
        "  Normal   Created           90s                kubelet            Created container vllm\n"
        "  Normal   Started           89s                kubelet            Started container vllm\n"))
    assert states["storage.mount_failed"] == "recovered"


def test_a_scheduling_failure_then_scheduled_is_recovered(tmp_path: Path) -> None:
    states = _states(tmp_path, (
        "  Warning  FailedScheduling  5m                 default-scheduler  0/3 nodes are available: 3 Insufficient "
        "nvidia.com/gpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.\n"
        "  Normal   Scheduled         1m                 default-scheduler  Successfully assigned ml/vllm-0 to gpu-b\n"))
    assert states["scheduling.insufficient_gpu"] == "recovered"


def test_a_failure_the_pod_never_got_past_stays_active(tmp_path: Path) -> None:
    states = _states(tmp_path, (
        "  Normal   Scheduled         2m                 default-scheduler  Successfully assigned ml/vllm-0 to gpu-a\n"
        '  Warning  FailedMount       10s (x5 over 2m)   kubelet            MountVolume.SetUp failed for volume '
        '"model-cache" : mount failed: exit status 32\n'))
    assert states["storage.mount_failed"] == "active"


def test_a_crash_is_not_ended_by_a_start(tmp_path: Path) -> None:
    states = _states(tmp_path, (
        "  Normal   Started           3m (x4 over 5m)    kubelet            Started container vllm\n"
        "  Warning  BackOff           1s (x20 over 5m)   kubelet            Back-off restarting failed container "
        "vllm in pod vllm-0_ml(0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b)\n"))
    assert states.get("runtime.crashloop", "active") == "active"
