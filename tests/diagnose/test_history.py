"""Failures that happened and recovered before collection are history, not root causes; the same
failure still going on is a root cause even when its evidence is old. The sample bundles
gpu-pending-recovered, image-pull-recovered and gpu-pending-still-active (tools/samplegen/history.py)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from analyzer.library import load_library
from analyzer.parse.quantity import parse_time
from analyzer.pipeline import analyze_path, write_report

SAMPLES = Path(__file__).resolve().parents[2] / "sample_bundles"
LIBRARY = load_library()


@pytest.fixture(scope="module")
def analyses():
    out = {}
    for name in ("gpu-pending-recovered", "image-pull-recovered", "gpu-pending-still-active"):
        with analyze_path(str(SAMPLES / name), LIBRARY) as a:
            out[name] = (json.loads(json.dumps(a.result)), write_report(a, "md", None), write_report(a, "html", None))
    return out


def current_errors(result: dict) -> list[dict]:
    return [f for f in result["findings"] if f["state"] == "active" and f["severity"] in ("critical", "error")]


@pytest.mark.parametrize("name,category", [("gpu-pending-recovered", "scheduling.insufficient_gpu"),
                                           ("image-pull-recovered", "image.pull_failed")])
def test_a_failure_that_recovered_is_history(analyses, name, category):
    result, md, html = analyses[name]
    assert result["root_causes"] == [] and current_errors(result) == []
    (old,) = [f for f in result["findings"] if f["category"] == category and f["severity"] == "error"][:1]
    assert old["state"] == "recovered" and not old["root_cause"]
    assert "## History" in md and old["title"] in md.split("## History", 1)[1]
    assert 'id="history"' in html and old["id"] in html.split('id="history"', 1)[1]


def test_the_same_failure_still_going_on_is_the_root_cause(analyses):
    result, md, _ = analyses["gpu-pending-still-active"]
    assert [rc["category"] for rc in result["root_causes"]] == ["scheduling.insufficient_gpu"]
    collected = parse_time(result["bundle"]["collected_at"])
    event = next(f for f in result["findings"] if f["pattern"] == "K8S001")
    # its newest evidence is 24 minutes old, yet the pod is still Pending: active
    assert collected - parse_time(event["last_seen"]) > timedelta(minutes=15)
    assert event["state"] == "active" and "still Pending" in event["state_reason"]
    history = {f["category"] for f in result["findings"] if f["state"] == "recovered" and f["severity"] != "warning"}
    assert {"image.pull_failed", "runtime.oom_killed"} <= history
    assert md.index("## Root causes") < md.index("## History")


def test_state_reaches_parquet(analyses, tmp_path):
    with analyze_path(str(SAMPLES / "image-pull-recovered"), LIBRARY) as a:
        write_report(a, "parquet", tmp_path)
        states = dict(zip(*pl.read_parquet(tmp_path / "findings.parquet").select("id", "state").to_dict(as_series=False).values()))
        expected = {f["id"]: f["state"] for f in a.result["findings"]}
    assert states == expected and "recovered" in states.values()
