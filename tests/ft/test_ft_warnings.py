"""Each data-quality warning is raised by a results folder built to trigger it, and only by it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer.ft import render, summarize
from tools.ftgen import plan_scenario, write_scenario


def _one(tmp_path: Path, **kw) -> tuple[Path, object]:
    plan = plan_scenario(kw.pop("deployment", "agg-tp-1-dp-1"), kw.pop("failure", "decode_worker_pod"),
                         seed=3, clients=1, requests_per_client=kw.pop("requests", 200), fault_after=10.0, **kw)
    return write_scenario(plan, tmp_path), plan


def _warnings(folder: Path) -> list[str]:
    summary = summarize([folder])
    return summary.warnings + [w for r in summary.rows for w in r.warnings]


def test_clean_folder_has_no_warning(tmp_path):
    folder, _ = _one(tmp_path)
    assert _warnings(folder) == []


def test_missing_fault_line(tmp_path):
    folder, _ = _one(tmp_path)
    log = folder / "test.log.txt"
    log.write_text("".join(l for l in log.read_text().splitlines(True) if "Injecting failure for:" not in l))
    summary = summarize([folder])
    row = summary.rows[0]
    assert any("no 'Injecting failure for:' line" in w for w in row.warnings)
    assert row.success_after is None and row.recovery is None   # every request counts as before
    assert "no 'Injecting failure for:' line" in render(summary, "grid")


def test_no_ready_line_after_the_fault(tmp_path):
    # The clients stop (and the logs are collected) long before the worker is back.
    folder, plan = _one(tmp_path, requests=40)
    assert plan.fault is not None
    ws = _warnings(folder)
    assert any("no ready line after the fault" in w for w in ws), ws
    assert summarize([folder]).rows[0].recovery is None


def test_service_without_any_ready_line(tmp_path):
    folder, _ = _one(tmp_path)
    for log in (folder / "VllmDecodeWorker").glob("*.log"):
        log.write_text("".join(l for l in log.read_text().splitlines(True) if "has been initialized" not in l))
    ws = _warnings(folder)
    assert any("no ready line in the VllmDecodeWorker pod logs" in w for w in ws), ws


@pytest.mark.parametrize("offset", [600.0, -240.0])
def test_client_and_pod_clocks_more_than_a_minute_apart(tmp_path, offset):
    folder, _ = _one(tmp_path, failure="decode_worker", clock_offset=offset)
    ws = _warnings(folder)
    skew = [w for w in ws if w.startswith("client and pod clocks look")]
    assert len(skew) == 1, ws
    gap = float(re.search(r"look (\d+)s apart", skew[0]).group(1))
    assert gap > 60


def test_clocks_within_a_minute_are_not_reported(tmp_path):
    folder, _ = _one(tmp_path, failure="decode_worker", clock_offset=-20.0)
    assert not any("clocks look" in w for w in _warnings(folder))


def test_recovery_over_an_hour(tmp_path):
    # Test host on local time (UTC-1:30), pods on UTC: ready lines look 1.5 h after the fault.
    folder, _ = _one(tmp_path, clock_offset=-5400.0)
    summary = summarize([folder])
    row = summary.rows[0]
    assert row.recovery is not None and row.recovery > 3600
    assert any("over an hour" in w for w in row.warnings)


def test_truncated_client_line_is_reported_not_fatal(tmp_path):
    folder, _ = _one(tmp_path)
    client = folder / "client_0.log.txt"
    text = client.read_text()
    client.write_text(text + text.splitlines(True)[-1][:57])   # a half-written last line
    summary = summarize([folder])
    assert any("1 line(s) are not complete JSON request records" in w for w in summary.rows[0].warnings)
