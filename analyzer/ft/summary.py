"""Parsed scenario folders -> summary rows with upstream's definitions, plus our extra columns.

Definitions (Kubernetes harness, upstream `legacy_parse_results.py`):

- rows are HTTP attempts; an attempt succeeds when its reply text has >= 100 characters;
- before = client time <= fault time, after = client time > fault time (the single-node
  harness used < and >=); no fault line -> every row is before and the After cells are N/A;
- latency = mean `request_elapsed_time` of the successful rows of the window;
- startup = "Deployment ... is ready" - "Starting Deployment ... with spec" (test.log.txt);
- recovery = the largest (ready-line time - fault time) over every ready line of every service
  folder, positive values only (the single-node harness: the failed component's last start line).
  Upstream looks at every service, so a frontend that re-adds the model after a worker restart
  sets the value; `recovery_failed_service` (JSON) looks at the injected service alone.

Where upstream prints `nan` (a window with no successful row) we print N/A.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from analyzer.ft.folders import FtInputError, open_results
from analyzer.ft.model import (
    FAILURE_ORDER, FAILURE_ORDER_SINGLE_NODE, LAYOUT_AIPERF, LAYOUT_SINGLE_NODE, FtRow, FtSummary, ScenarioData,
)
from analyzer.ft.parse import READY_PATTERNS, read_scenarios

CLOCK_TOLERANCE = 60.0      # seconds: the "more than a minute apart"
RECOVERY_SUSPICIOUS = 3600.0  # seconds: upstream's own "possible timezone issue" bound

# Single-node harness: which component's start line ends the recovery of each failure.
_SINGLE_NODE_RECOVERY: dict[str, tuple[str, str | None]] = {
    "frontend": ("dynamo_Frontend", None),
    "processor": ("dynamo_Processor", None),
    "decode_worker": ("dynamo_VllmWorker", "VllmWorker:1"),
    "prefill_worker": ("dynamo_PrefillWorker", "PrefillWorker:1"),
}
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_PORT = re.compile(r"port=\d+")


def summarize(paths: list[Path] | list[str], sla: float | None = None) -> FtSummary:
    """Summarize every scenario folder found under ``paths`` (results roots or scenario folders,
    as directories or archives, read through ``analyzer.ingest``).

    Raises :class:`FtInputError` when a path cannot be opened or holds no scenario folder.
    """
    scenarios: list[ScenarioData] = []
    for root in paths:
        with open_results(root) as bundle:
            found = read_scenarios(bundle)
        if not found:
            raise FtInputError(
                f"{root}: no test_fault_scenario[...] or test_worker_failure[...] folder with client or test "
                "logs found; give the folder the fault-tolerance tests wrote their logs into")
        scenarios.extend(found)
    return summarize_scenarios(scenarios, sla=sla, roots=[Path(str(p)) for p in paths])


def summarize_scenarios(scenarios: list[ScenarioData], sla: float | None = None,
                        roots: list[Path] | None = None) -> FtSummary:
    """Rows for already-parsed scenarios (the analyze report parses once and calls this)."""
    rows: list[FtRow] = []
    warnings: list[str] = []
    for data in scenarios:
        if data.requests.height == 0 and (data.aiperf is None or data.aiperf.clients == 0):
            warnings.append(f"{data.display}: no client requests found; left out of the table, as upstream does")
            warnings.extend(f"{data.display}: {w}" if not w.startswith(data.display) else w for w in data.warnings)
            continue
        rows.append(summarize_scenario(data, sla))
    rows.sort(key=_row_key)
    seen: dict[str, list[str]] = {}
    for data in scenarios:
        seen.setdefault(data.scenario, []).append(data.display)
    for name, where in seen.items():
        if len(where) > 1:
            warnings.append(f"{name} found {len(where)} times ({', '.join(where)}): the rows are shown side by "
                            "side; give one results root per run")
    layouts = sorted({r.layout for r in rows}) or sorted({d.layout for d in scenarios})
    layout = " + ".join(layouts) if layouts else "none"
    for row in rows:
        order = FAILURE_ORDER_SINGLE_NODE if row.layout == LAYOUT_SINGLE_NODE else FAILURE_ORDER
        if row.failure not in order:
            row.warnings.append(f"failure type '{row.failure}' is not in upstream's list; upstream's parser "
                                "would leave this row out (shown last here)")
    return FtSummary(rows=rows, warnings=warnings, layout=layout, sla=sla, roots=roots or [])


def _row_key(row: FtRow) -> tuple[Any, ...]:
    order = FAILURE_ORDER_SINGLE_NODE if row.layout == LAYOUT_SINGLE_NODE else FAILURE_ORDER
    index = order.index(row.failure) if row.failure in order else len(order)
    return (row.group, index, row.failure, row.scenario)


def _last(events: pl.DataFrame, kind: str) -> datetime | None:
    hit = events.filter(pl.col("kind") == kind)
    if hit.height == 0:
        return None
    return _plain(hit.sort("line").row(hit.height - 1, named=True)["time"])


def _plain(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=None) if value is not None else None


def summarize_scenario(data: ScenarioData, sla: float | None = None) -> FtRow:
    """One table row from one parsed scenario folder."""
    row = FtRow(group=data.group, failure=data.failure, scenario=data.scenario, path=str(data.path),
                layout=data.layout, fault_target=data.fault_target)
    row.warnings.extend(data.warnings)
    ev = data.events
    start, ready = _last(ev, "deployment_start"), _last(ev, "deployment_ready")
    if start is not None and ready is not None:
        row.startup = (ready - start).total_seconds()
    fault = _last(ev, "fault_injected")
    row.fault_time = fault

    if data.layout == LAYOUT_AIPERF and data.aiperf is not None:
        _fill_aiperf(row, data)
    else:
        _fill_requests(row, data.requests, fault, data.layout == LAYOUT_SINGLE_NODE, sla)

    if data.layout == LAYOUT_SINGLE_NODE:
        row.pending_before, row.pending_after = _pending(ev, fault)
    if fault is not None:
        if data.layout == LAYOUT_SINGLE_NODE:
            row.recovery, row.recovery_service = _recovery_single_node(ev, data.failure, fault)
        else:
            row.recovery, row.recovery_service = _recovery(ev, fault)
            if data.fault_target:
                row.recovery_failed_service, _ = _recovery(
                    ev.filter(pl.col("service") == data.fault_target), fault)
    _check(row, data, start, ready, fault)
    return row


def _fill_requests(row: FtRow, df: pl.DataFrame, fault: datetime | None, strict_before: bool,
                   sla: float | None) -> None:
    if df.height == 0:
        return
    t = pl.col("time").dt.replace_time_zone(None)
    if fault is None:
        before, after = df, None
    elif strict_before:
        before, after = df.filter(t < fault), df.filter(t >= fault)
    else:
        before, after = df.filter(t <= fault), df.filter(t > fault)
    s = _window(before, sla)
    row.success_before, row.failed_before, row.latency_before = s["ok"], s["failed"], s["mean"]
    row.latency_p50_before, row.latency_p90_before, row.latency_p99_before = s["p50"], s["p90"], s["p99"]
    if sla is not None:
        row.violations_before = s["violations"]
    if after is not None and after.height > 0:
        a = _window(after, sla)
        row.success_after, row.failed_after, row.latency_after = a["ok"], a["failed"], a["mean"]
        row.latency_p50_after, row.latency_p90_after, row.latency_p99_after = a["p50"], a["p90"], a["p99"]
        if sla is not None:
            row.violations_after = a["violations"]
    row.success_total = int(df["success"].sum())
    row.failed_total = df.height - row.success_total
    failed = (df.filter(~pl.col("success"))
              .with_columns(pl.col("error").map_elements(_status_key, return_dtype=pl.Utf8).alias("key"))
              .group_by("key").len().sort(["len", "key"], descending=[True, False]))
    row.failed_by_status = {k: int(n) for k, n in failed.iter_rows()}
    per_second = (df.group_by(t.alias("second"))
                  .agg(pl.col("success").sum().alias("ok"), (~pl.col("success")).sum().alias("failed"))
                  .sort("second"))
    row.timeline = [(sec, int(ok), int(bad)) for sec, ok, bad in per_second.iter_rows()]


def _window(df: pl.DataFrame, sla: float | None) -> dict[str, Any]:
    ok = df.filter(pl.col("success"))
    lat = ok["latency"].drop_nulls()
    out: dict[str, Any] = {"ok": ok.height, "failed": df.height - ok.height,
                           "mean": float(lat.mean()) if lat.len() else None}  # type: ignore[arg-type]
    for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        out[name] = float(lat.quantile(q, interpolation="linear")) if lat.len() else None  # type: ignore[arg-type]
    out["violations"] = int((lat > sla).sum()) if sla is not None else None
    return out


def _status_key(error: str | None) -> str:
    """Group failed attempts by HTTP code or connection-error text; ports and object addresses vary."""
    if not error:
        return "unknown"
    return _PORT.sub("port=N", _ADDRESS.sub("", error))[:300]


def _fill_aiperf(row: FtRow, data: ScenarioData) -> None:
    totals = data.aiperf
    assert totals is not None
    row.success_total, row.failed_total = totals.success, totals.failed
    row.failed_by_status = dict(sorted(totals.errors.items(), key=lambda kv: (-kv[1], kv[0])))
    # Totals cannot be split at the fault: the whole run goes into the total columns only.
    row.warnings.append("AI-Perf exports hold totals only: the Before/After columns are N/A; "
                        f"the whole run had {totals.success} successful and {totals.failed} failed requests"
                        + "".join(f", {name} latency {value:.2f}s" for name, value in (
                            ("mean", totals.latency_avg), ("p50", totals.latency_p50),
                            ("p90", totals.latency_p90), ("p99", totals.latency_p99)) if value is not None))


def _pending(ev: pl.DataFrame, fault: datetime | None) -> tuple[float | None, float | None]:
    """Single-node harness "Pending Before/After": mean waiting requests of samples with active slots,
    split at the fault (before: earlier than the fault)."""
    samples = [(_plain(t), float(v)) for t, v in
               ev.filter(pl.col("kind") == "pending").select("time", "text").iter_rows()]
    before = [v for t, v in samples if fault is None or (t is not None and t < fault)]
    after = [v for t, v in samples if fault is not None and t is not None and t >= fault]
    return (sum(before) / len(before) if before else None, sum(after) / len(after) if after else None)


def _recovery(ev: pl.DataFrame, fault: datetime) -> tuple[float | None, str | None]:
    ready = ev.filter(pl.col("kind") == "ready")
    best: tuple[float, str] | None = None
    for when, service in ready.select("time", "service").iter_rows():
        delta = (_plain(when) - fault).total_seconds()
        if delta > 0 and (best is None or delta > best[0]):
            best = (delta, service)
    return (best[0], best[1]) if best else (None, None)


def _recovery_single_node(ev: pl.DataFrame, failure: str, fault: datetime) -> tuple[float | None, str | None]:
    if failure not in _SINGLE_NODE_RECOVERY:
        return None, None
    service, needle = _SINGLE_NODE_RECOVERY[failure]
    starts = ev.filter((pl.col("kind") == "ready") & (pl.col("service") == service)).sort(["path", "line"])
    if needle:
        starts = starts.filter(pl.col("text").str.contains(needle, literal=True))
    if starts.height == 0:
        return None, None
    last = _plain(starts.row(starts.height - 1, named=True)["time"])
    if last is None or fault > last:
        return None, None
    return (last - fault).total_seconds(), service


def _check(row: FtRow, data: ScenarioData, start: datetime | None, ready: datetime | None,
           fault: datetime | None) -> None:
    """Warnings for incomplete or suspicious data; each names what is affected."""
    ev = data.events
    w = row.warnings
    if fault is None and data.failure != "none":
        w.append("no 'Injecting failure for:' line in test.log.txt: every request counts as Before, "
                 "the After columns and Recovery are N/A")
    if start is None or ready is None:
        missing = "'Starting Deployment ... with spec'" if start is None else "'Deployment ... is ready'"
        w.append(f"no {missing} line in test.log.txt: Startup is N/A")
    ready_ev = ev.filter(pl.col("kind") == "ready")
    if not data.service_dirs:
        w.append("no pod logs (<Service>/<pod>.log) in the folder: Recovery cannot be measured")
    else:
        for service in data.service_dirs:
            if data.layout != LAYOUT_SINGLE_NODE and service not in READY_PATTERNS:
                continue
            if ready_ev.filter(pl.col("service") == service).height == 0:
                w.append(f"no ready line in the {service} pod logs: that service's start and recovery are unknown")
    if fault is not None and data.failure != "none" and row.recovery is None and data.service_dirs:
        w.append("no ready line after the fault in any pod log: Recovery is N/A "
                 "(the service did not come back before the logs were collected, or its clock is behind)")
    if row.recovery is not None and row.recovery > RECOVERY_SUSPICIOUS:
        w.append(f"recovery of {row.recovery:.0f}s is over an hour: likely a clock or timezone "
                 "difference between the test host and the pods, not a real recovery time")
    skew = _clock_skew(ev, start, ready, fault, data)
    if skew:
        w.append(skew)


def _clock_skew(ev: pl.DataFrame, start: datetime | None, ready: datetime | None,
                fault: datetime | None, data: ScenarioData) -> str | None:
    """Compare pod-log times with the test host's (client) clock at moments both must agree on."""
    tol = timedelta(seconds=CLOCK_TOLERANCE)
    firsts = ev.filter((pl.col("kind") == "log_first") & ~pl.col("path").str.ends_with(".previous.log"))
    if start is not None and firsts.height:
        earliest = _plain(firsts["time"].min())  # type: ignore[arg-type]
        if earliest is not None and earliest < start - tol:
            gap = (start - earliest).total_seconds()
            return (f"client and pod clocks look {gap:.0f}s apart: a pod log starts at {earliest:%Y-%m-%dT%H:%M:%S}, "
                    f"before the deployment was created at {start:%Y-%m-%dT%H:%M:%S} (test host clock); "
                    "the Before/After split and Recovery mix the two clocks")
    readies = ev.filter(pl.col("kind") == "ready")
    if ready is not None and readies.height:
        earliest_ready = _plain(readies["time"].min())  # type: ignore[arg-type]
        if earliest_ready is not None and earliest_ready > ready + tol:
            gap = (earliest_ready - ready).total_seconds()
            return (f"client and pod clocks look {gap:.0f}s apart: the first ready line in the pod logs is at "
                    f"{earliest_ready:%Y-%m-%dT%H:%M:%S}, after the deployment was reported ready at "
                    f"{ready:%Y-%m-%dT%H:%M:%S} (test host clock); Recovery mixes the two clocks")
    if fault is not None and data.fault_target and not data.failure.endswith("_pod"):
        prev = ev.filter((pl.col("kind") == "log_last") & (pl.col("service") == data.fault_target)
                         & pl.col("path").str.ends_with(".previous.log"))
        if prev.height:
            latest = _plain(prev["time"].max())  # type: ignore[arg-type]
            if latest is not None and latest < fault - tol:
                gap = (fault - latest).total_seconds()
                return (f"client and pod clocks look {gap:.0f}s apart: the killed {data.fault_target} container's "
                        f"last line is at {latest:%Y-%m-%dT%H:%M:%S}, before the fault at "
                        f"{fault:%Y-%m-%dT%H:%M:%S} (test host clock)")
    return None
