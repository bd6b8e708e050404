"""Attribution: a log line is about the pod it names (klog ``pod="ns/name"``, a ``pod_ref``
capture), whatever pod logged it; lines are attributed before compaction, so each named pod keeps
its own findings, counted once per line."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import polars as pl
import pytest

from analyzer.library import load_library
from analyzer.match import KEEP_FIRST, Plan, event_rows, match_frame, match_log_batch
from analyzer.match.attribute import attribute
from analyzer.pipeline import analyze_path
from analyzer.tables import frame
from matchdata import batch, extender_timeout, insufficient_gpu, no_fit, pattern, scheduler_noise

LIBRARY = load_library()
PODS = 10


def _scheduler_lines(stamp: bool) -> list[str]:
    lines = []
    for i in range(PODS):
        lines += scheduler_noise(2 * i)
        lines.append(insufficient_gpu(f"dynamo/vllm-{i}", 2 * i))
        lines += scheduler_noise(2 * i + 1)
        lines.append(extender_timeout(f"dynamo/decode-{i}", 2 * i + 1))
    if stamp:  # the collector runs ``kubectl logs --timestamps``
        lines = [f"2025-04-12T10:{n // 60:02d}:{n % 60:02d}.000000000Z {t}" for n, t in enumerate(lines)]
    return lines


def _pasted(tmp: Path) -> Path:
    path = tmp / "kube-scheduler.log"
    path.write_text("\n".join(_scheduler_lines(stamp=False)) + "\n")
    return path


def _collector(tmp: Path) -> Path:
    logs = tmp / "bundle" / "namespaces" / "kube-system" / "logs" / "kube-scheduler-cp-1"
    logs.mkdir(parents=True)
    (logs / "kube-scheduler.log").write_text("\n".join(_scheduler_lines(stamp=True)) + "\n")
    return tmp / "bundle"


@pytest.mark.parametrize("make", [_pasted, _collector], ids=["pasted-log", "collector-bundle"])
def test_ten_pods_named_by_the_scheduler_give_ten_findings_per_category(tmp_path: Path, make) -> None:
    with analyze_path(str(make(tmp_path)), LIBRARY) as analysis:
        findings = analysis.result["findings"]
    by_category: dict[str, list[dict]] = defaultdict(list)
    for f in findings:
        if f["source"] == "pattern":
            by_category[f["category"]].append(f)
    expected = {"scheduling.insufficient_gpu": "vllm", "hami.component_unhealthy": "decode",
                "network.connection": "decode"}
    assert set(by_category) == set(expected)
    for category, name in expected.items():
        got = by_category[category]
        pods = Counter((a["namespace"], a["kind"], a["name"]) for f in got for a in f["affected"])
        assert pods == Counter({("dynamo", "Pod", f"{name}-{i}"): 1 for i in range(PODS)}), category
        assert [f["count"] for f in got] == [1] * PODS, category
        for f in got:  # the one line that names the pod is its evidence
            (ev,) = f["evidence"]
            assert f'pod="dynamo/{f["affected"][0]["name"]}"' in ev["text"]


# ---------------------------------------------------------------------------------------------
# unit level: match_log_batch attributes every hit row before compacting

GPU = pattern("T01", r"Insufficient nvidia\.com/gpu", ("Insufficient nvidia.com/gpu",), sources=("log", "events"))
UNBOUND = pattern("T02", r"Error scheduling (?P<pod_ref>\S+?)(?: in (?P<ns>\S+))?: pod has unbound PersistentVolumeClaims",
                  ("pod has unbound",))
PLAN = Plan.build([GPU, UNBOUND])
IDENTITY = ["namespace", "object_kind", "object_name", "pod", "container"]


def _identities(sig: pl.DataFrame) -> dict[tuple, int]:
    return {tuple(r[:-1]): r[-1] for r in sig.group_by(IDENTITY).agg(pl.col("weight").sum()).iter_rows()}


def test_klog_pod_key_moves_a_line_to_that_pod_before_compaction() -> None:
    per_pod = 2 * KEEP_FIRST + 3  # enough for compaction to drop lines of each pod
    lines = []
    for k in range(per_pod):
        for i in range(PODS):
            # both orders of klog's keys: err then pod, pod then err
            error = insufficient_gpu if k % 2 else no_fit
            lines += scheduler_noise(i) + [error(f"dynamo/vllm-{i}", k)]
    sig = match_log_batch(batch(lines, namespace="kube-system", pod="kube-scheduler-cp-1",
                                container="kube-scheduler"), PLAN, 2025)
    assert _identities(sig) == {("dynamo", "Pod", f"vllm-{i}", f"vllm-{i}", None): per_pod for i in range(PODS)}
    assert sig.height == PODS * (KEEP_FIRST + 1)  # compacted per pod, not across pods


def test_captures_name_the_pod_in_each_form() -> None:
    lines = ["Error scheduling dynamo/vllm-0: pod has unbound PersistentVolumeClaims",    # ns/name
             "Error scheduling vllm-1_dynamo(4b1e-77): pod has unbound PersistentVolumeClaims",  # kubelet
             "Error scheduling vllm-2 in other: pod has unbound PersistentVolumeClaims",  # ns capture
             "Error scheduling vllm-3: pod has unbound PersistentVolumeClaims",           # the line's namespace
             # a capture wins over the klog key of the same line
             'E0412 10:00:00.000000       1 x.go:1] "Error scheduling dynamo/vllm-4: pod has unbound '
             'PersistentVolumeClaims" pod="dynamo/not-this-one"']
    sig = match_log_batch(batch(lines, namespace="kube-system", pod="sched", container="c"), PLAN, 2025)
    got = {r["line"]: (r["namespace"], r["object_kind"], r["object_name"], r["pod"], r["container"])
           for r in sig.iter_rows(named=True)}
    assert got == {1: ("dynamo", "Pod", "vllm-0", "vllm-0", None), 2: ("dynamo", "Pod", "vllm-1", "vllm-1", None),
                   3: ("other", "Pod", "vllm-2", "vllm-2", None), 4: ("kube-system", "Pod", "vllm-3", "vllm-3", None),
                   5: ("dynamo", "Pod", "vllm-4", "vllm-4", None)}
    assert json.loads(sig.filter(pl.col("line") == 1).get_column("captures").item()) == {"pod_ref": "dynamo/vllm-0"}


def test_lines_naming_no_pod_keep_the_identity_they_were_read_with() -> None:
    line = "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."
    from_meta = match_log_batch(batch([line] * 9, namespace="ml", pod="vllm-0", container="vllm"), PLAN, 2025)
    assert _identities(from_meta) == {("ml", "Pod", "vllm-0", "vllm-0", "vllm"): 9}
    pasted = match_log_batch(batch([line] * 9, path="paste.txt", namespace=None, pod=None, container=None,
                                   source="text"), PLAN, 2025)
    assert _identities(pasted) == {(None, None, None, None, None): 9}


def test_describe_lines_and_events_are_never_moved() -> None:
    named = 'Warning FailedScheduling 0/3 nodes are available: 3 Insufficient nvidia.com/gpu. pod="dynamo/vllm-9"'
    describe = pattern("T03", r"Insufficient nvidia\.com/gpu", ("Insufficient nvidia.com/gpu",), sources=("describe",))
    sig = match_log_batch(batch([named] * 9, path="pods.describe.txt", namespace="dynamo", pod="vllm-0",
                                container=None, source="describe"), Plan.build([describe]), 2025)
    assert sig.height == 9  # describe rows are not compacted either
    assert set(sig.get_column("object_name")) == {"vllm-0"}
    events = frame("events", [{"path": "events.json", "line": i + 1, "namespace": "dynamo", "object_kind": "Pod",
                               "object_name": f"vllm-{i}", "type": "Warning", "reason": "FailedScheduling",
                               "message": named.split("FailedScheduling ", 1)[1], "count": 3} for i in range(PODS)])
    sig = match_frame(event_rows(events), PLAN)
    assert _identities(sig) == {("dynamo", "Pod", f"vllm-{i}", f"vllm-{i}", None): 3 for i in range(PODS)}


def test_attribution_is_idempotent() -> None:
    lines = [insufficient_gpu(f"dynamo/vllm-{i}", i) for i in range(3)] + ["Error scheduling vllm-1_dynamo(4b1e-77): pod has unbound PersistentVolumeClaims"]
    sig = match_log_batch(batch(lines, namespace="kube-system", pod="sched"), PLAN, 2025)
    assert attribute(sig).equals(sig)
