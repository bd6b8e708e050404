"""Every cell of the summary of a generated results set equals the value known from the generator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from analyzer.ft import render, summarize
from analyzer.ft.render import main_headers
from tests.ft.ftexpect import expected_row
from tools.ftgen.plan import AGG_FAILURES, DEPLOYMENTS, DISAGG_FAILURES

SLA = 1.22


def _close(got: float | None, want: float | None) -> bool:
    if want is None or got is None:
        return got is None and want is None
    return abs(got - want) < 1e-9


@pytest.fixture(scope="module")
def summary(full_set):
    root, _ = full_set
    return summarize([root], sla=SLA)


def test_every_scenario_becomes_one_row_in_upstream_order(summary, full_set):
    assert summary.groups == list(DEPLOYMENTS)
    for group in DEPLOYMENTS:
        want = DISAGG_FAILURES if group.startswith("disagg") else AGG_FAILURES
        assert [r.failure for r in summary.group_rows(group)] == list(want)
    assert summary.layout == "k8s-jsonl"


def test_every_cell_equals_the_generator_value(summary, full_set):
    _, plans = full_set
    rows = {(r.group, r.failure): r for r in summary.rows}
    checked = 0
    for plan in plans:
        row = rows[(plan.deployment, plan.failure)]
        exp = expected_row(plan, sla=SLA)
        assert row.startup == exp.startup, plan.folder
        assert (row.success_before, row.failed_before) == (exp.success_before, exp.failed_before), plan.folder
        assert (row.success_after, row.failed_after) == (exp.success_after, exp.failed_after), plan.folder
        assert _close(row.latency_before, exp.latency_before), plan.folder
        assert _close(row.latency_after, exp.latency_after), plan.folder
        assert _close(row.recovery, exp.recovery), plan.folder
        assert (row.violations_before, row.violations_after) == (exp.violations_before, exp.violations_after)
        assert _close(row.latency_p50_before, exp.p50_before) and _close(row.latency_p90_before, exp.p90_before)
        assert _close(row.latency_p99_before, exp.p99_before) and _close(row.latency_p50_after, exp.p50_after)
        assert _close(row.latency_p99_after, exp.p99_after), plan.folder
        got_status = {("connection refused" if "Connection refused" in k else k): n
                      for k, n in row.failed_by_status.items()}
        assert got_status == exp.statuses, plan.folder
        checked += 1
    assert checked == 30


def test_the_generated_set_exercises_every_column(summary, full_set):
    """Guards the test above against a degenerate generator (all-N/A or all-zero columns)."""
    _, plans = full_set
    exps = [expected_row(p, sla=SLA) for p in plans]
    assert any(e.failed_after for e in exps)
    assert sum(e.recovery is not None for e in exps) == 26          # every faulted scenario recovers
    assert any(e.recovery and e.recovery < 10 for e in exps) and any(e.recovery and e.recovery > 150 for e in exps)
    assert any(e.violations_after for e in exps)
    assert any("200 (reply shorter than 100 characters)" in e.statuses for e in exps)   # the 100-char rule
    assert not summary.warnings and not any(r.warnings for r in summary.rows)


def test_grid_cells_print_the_known_values(summary, full_set):
    """The printed table (not only the dataclass) carries the values, with upstream's number format."""
    _, plans = full_set
    text = render(summary, "grid")
    fmt = lambda v: "N/A" if v is None else f"{float(v):.2f}"  # noqa: E731
    for plan in plans:
        exp = expected_row(plan, sla=SLA)
        want = [plan.failure, fmt(exp.startup), fmt(exp.success_before), fmt(exp.failed_before),
                fmt(exp.success_after), fmt(exp.failed_after), fmt(exp.latency_before), fmt(exp.latency_after),
                fmt(exp.violations_before), fmt(exp.violations_after), fmt(exp.recovery)]
        line = r"│\s+" + re.escape(want[0]) + r"\s+│" + "│".join(r"\s+" + re.escape(c) + " " for c in want[1:]) + "│"
        assert re.search(line, text), (plan.folder, want)
    assert text.count("Test Group: ") == 8   # four groups, twice (upstream table + percentiles)


def test_json_rows_carry_upstream_keys_and_numbers(summary, full_set):
    _, plans = full_set
    rows = json.loads(render(summary, "json"))
    assert isinstance(rows, list) and len(rows) == 30
    keys = ["group", "failure", "startup", "success_before", "failed_before", "success_after", "failed_after",
            "latency_before", "latency_after", "recovery"]
    for row in rows:
        assert list(row)[:10] == keys
        for k in keys[2:] + ["violations_before", "latency_p50_before", "latency_p99_after"]:
            assert row[k] is None or isinstance(row[k], (int, float))
    by = {(r["group"], r["failure"]): r for r in rows}
    for plan in plans:
        exp = expected_row(plan, sla=SLA)
        row = by[(plan.deployment, plan.failure)]
        assert row["success_after"] == exp.success_after
        assert row["recovery"] == (None if exp.recovery is None else pytest.approx(exp.recovery, abs=1e-6))


def test_sla_adds_violation_columns_before_recovery(full_set):
    root, _ = full_set
    plain = render(summarize([root]), "grid")
    with_sla = render(summarize([root], sla=SLA), "grid")
    assert "Violations" not in plain.split("Latency percentiles")[0]
    header = with_sla.splitlines()[3]
    assert header.index("Latency") < header.index("Violations") < header.index("Recovery")
    assert main_headers(1.0)[-3:] == ["Violations\nBefore", "Violations\nAfter", "Recovery"]


def test_a_single_scenario_folder_is_accepted(full_set):
    root, plans = full_set
    plan = plans[3]
    summary = summarize([Path(root) / plan.folder])
    assert [(r.group, r.failure) for r in summary.rows] == [(plan.deployment, plan.failure)]


def test_recovery_of_the_injected_service_alone(summary, full_set):
    """Upstream's Recovery takes every service's ready lines (a frontend re-adding the model after a
    worker restart counts); `recovery_failed_service` keeps to the service the fault hit."""
    from datetime import timedelta

    from tools.ftgen.plan import FAILURE_SPEC

    _, plans = full_set
    rows = {(r.group, r.failure): r for r in summary.rows}
    differs = 0
    for plan in plans:
        row = rows[(plan.deployment, plan.failure)]
        if plan.fault is None:
            assert row.recovery_failed_service is None
            continue
        service = FAILURE_SPEC[plan.failure][0]
        deltas = [(t + timedelta(seconds=plan.clock_offset) - plan.fault).total_seconds()
                  for pod in plan.pods if pod.service == service for t in pod.ready_times()]
        want = max((d for d in deltas if d > 0), default=None)
        assert _close(row.recovery_failed_service, want), plan.folder
        differs += row.recovery != row.recovery_failed_service
    assert differs >= 4   # the dp-1 decode failures, where the frontend re-adds the model later
