"""FtSummary -> text: `grid` (upstream's printout), `md`, `json`, `html` (self-contained, inline SVG)."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from analyzer.ft.grid import Cell, fancy_grid, format_cell, pipe_table
from analyzer.ft.model import FtRow, FtSummary, ScenarioData, layout_description
from analyzer.ft.summary import summarize_scenarios

FORMATS = ("grid", "md", "json", "html")

# The keys of one JSON row, in order: upstream's columns, then ours.
JSON_KEYS = (
    "group", "failure", "startup", "success_before", "failed_before", "success_after", "failed_after",
    "latency_before", "latency_after", "recovery",
    "violations_before", "violations_after",
    "latency_p50_before", "latency_p90_before", "latency_p99_before",
    "latency_p50_after", "latency_p90_after", "latency_p99_after",
    "pending_before", "pending_after", "success_total", "failed_total", "failed_by_status", "recovery_service", "recovery_failed_service",
    "fault_time",
    "scenario", "layout", "warnings",
)


def main_headers(sla: float | None) -> list[str]:
    """Upstream's column headers (two-line), with the Violations pair before Recovery under --sla."""
    heads = ["Failure", "Startup", "Success\nBefore", "Failed\nBefore", "Success\nAfter", "Failed\nAfter",
             "Latency\nBefore", "Latency\nAfter"]
    if sla is not None:
        heads += ["Violations\nBefore", "Violations\nAfter"]
    return heads + ["Recovery"]


def main_cells(row: FtRow, sla: float | None) -> list[Cell]:
    """One row of upstream's table."""
    cells: list[Cell] = [row.failure, row.startup, row.success_before, row.failed_before, row.success_after,
                         row.failed_after, row.latency_before, row.latency_after]
    if sla is not None:
        cells += [row.violations_before, row.violations_after]
    return cells + [row.recovery]


EXTRA_HEADERS = ["Failure", "p50\nBefore", "p90\nBefore", "p99\nBefore", "p50\nAfter", "p90\nAfter",
                 "p99\nAfter", "Success\nTotal", "Failed\nTotal"]


def extra_cells(row: FtRow) -> list[Cell]:
    """Our percentile and total columns for one row."""
    return [row.failure, row.latency_p50_before, row.latency_p90_before, row.latency_p99_before,
            row.latency_p50_after, row.latency_p90_after, row.latency_p99_after, row.success_total,
            row.failed_total]


def render(summary: FtSummary, fmt: str) -> str:
    """The summary in one of FORMATS; the same summary always gives the same text."""
    if fmt == "grid":
        return _grid(summary)
    if fmt == "md":
        return _markdown(summary)
    if fmt == "json":
        return json.dumps([row_dict(r, summary.sla) for r in summary.rows], indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return _html(summary)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return None if value != value else round(value, 6)
    return value


def row_dict(row: FtRow, sla: float | None) -> dict[str, Any]:
    """One JSON row: upstream's columns as numbers or null, then the extra columns."""
    out: dict[str, Any] = {}
    for key in JSON_KEYS:
        if key == "fault_time":
            out[key] = row.fault_time.strftime("%Y-%m-%dT%H:%M:%S") if row.fault_time else None
        elif key in ("violations_before", "violations_after") and sla is None:
            out[key] = None
        else:
            out[key] = _round(getattr(row, key))
    return out


def all_warnings(summary: FtSummary) -> list[str]:
    """Summary-level warnings, then each row's prefixed with its scenario folder."""
    return list(summary.warnings) + [f"{r.scenario}: {w}" for r in summary.rows for w in r.warnings]


def _status_lines(row: FtRow) -> str:
    return ", ".join(f"{k} x{n}" for k, n in row.failed_by_status.items()) or "none"


def _grid(summary: FtSummary) -> str:
    out: list[str] = []
    for group in summary.groups:
        rows = summary.group_rows(group)
        out.append(f"\nTest Group: {group}")
        out.append(fancy_grid(main_headers(summary.sla), [main_cells(r, summary.sla) for r in rows]))
        out.append("\n" + "=" * 80)
    out.append("\nLatency percentiles of successful requests (seconds) and totals")
    for group in summary.groups:
        rows = summary.group_rows(group)
        out.append(f"\nTest Group: {group}")
        out.append(fancy_grid(EXTRA_HEADERS, [extra_cells(r) for r in rows]))
        out.append("Failed requests by status:")
        out.extend(f"  {r.failure}: {_status_lines(r)}" for r in rows)
    warnings = all_warnings(summary)
    if warnings:
        out.append("\nWarnings:")
        out.extend(f"  - {w}" for w in warnings)
    out.append(f"\nLayout found: {layout_description(summary)}")
    return "\n".join(out) + "\n"


def _markdown(summary: FtSummary) -> str:
    out = ["# Fault-tolerance test summary", "", f"Layout found: {layout_description(summary)}"]
    if summary.sla is not None:
        out.append(f"SLA: {summary.sla:g}s (Violations = successful requests slower than the SLA)")
    for group in summary.groups:
        rows = summary.group_rows(group)
        out += ["", f"## Test Group: {group}", "",
                pipe_table(main_headers(summary.sla), [main_cells(r, summary.sla) for r in rows]), "",
                "Latency percentiles of successful requests (seconds) and totals:", "",
                pipe_table(EXTRA_HEADERS, [extra_cells(r) for r in rows]), "",
                "Failed requests by status:", ""]
        out.extend(f"- `{r.failure}`: {_status_lines(r).replace('|', '/')}" for r in rows)
    warnings = all_warnings(summary)
    if warnings:
        out += ["", "## Warnings", ""]
        out.extend(f"- {w}" for w in warnings)
    return "\n".join(out) + "\n"


# --- HTML ---------------------------------------------------------------------------------------

def _html(summary: FtSummary) -> str:
    groups = []
    for group in summary.groups:
        rows = summary.group_rows(group)
        groups.append({
            "name": group,
            "headers": [h.replace("\n", " ") for h in main_headers(summary.sla)],
            "rows": [main_cells(r, summary.sla) for r in rows],
            "extra_headers": [h.replace("\n", " ") for h in EXTRA_HEADERS],
            "extra_rows": [extra_cells(r) for r in rows],
            "scenarios": [{"row": r, "svg": timeline_svg(r), "statuses": r.failed_by_status} for r in rows],
        })
    return _template().render(
        layout=layout_description(summary), sla=summary.sla, groups=groups,
        warnings=all_warnings(summary))


@functools.lru_cache(maxsize=1)
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=True, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["cell"] = format_cell
    return env.get_template("ft_summary.html.j2")


def timeline_svg(row: FtRow, width: int = 760, height: int = 150) -> Markup:
    """Per-second successes (up, green) and failures (down, red) with the fault and recovery marked."""
    if not row.timeline:
        return Markup('<p class="muted">No per-request times in this layout: no timeline.</p>')
    times = [t for t, _, _ in row.timeline]
    t0, t1 = min(times), max(times)
    marks: list[tuple[str, datetime, str]] = []
    if row.fault_time is not None:
        marks.append(("fault", row.fault_time, "#d97706"))
    if row.recovery_time is not None:
        marks.append(("recovered", row.recovery_time, "#2563eb"))
    for _, when, _ in marks:
        t0, t1 = min(t0, when), max(t1, when)
    span = max((t1 - t0).total_seconds(), 1.0) + 1.0
    left, right, top, bottom = 44, 10, 18, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    mid = top + plot_h / 2
    peak = max(max(ok, bad) for _, ok, bad in row.timeline) or 1
    bar_w = max(plot_w / span, 1.0)

    def x(when: datetime) -> float:
        return left + (when - t0).total_seconds() / span * plot_w

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(row.scenario)} timeline">',
             f'<title>{escape(row.scenario)}: successful (up) and failed (down) requests per second</title>',
             f'<line x1="{left}" y1="{mid:.1f}" x2="{width - right}" y2="{mid:.1f}" stroke="#9ca3af"/>',
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="10">{peak}</text>',
             f'<text x="{left - 4}" y="{mid + 4:.1f}" text-anchor="end" font-size="10">0</text>',
             f'<text x="{left - 4}" y="{top + plot_h:.1f}" text-anchor="end" font-size="10">{peak}</text>']
    for when, ok, bad in row.timeline:
        bx = x(when)
        if ok:
            h = ok / peak * plot_h / 2
            parts.append(f'<rect x="{bx:.1f}" y="{mid - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="#16a34a">'
                         f'<title>{when:%H:%M:%S}: {ok} ok</title></rect>')
        if bad:
            h = bad / peak * plot_h / 2
            parts.append(f'<rect x="{bx:.1f}" y="{mid:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="#dc2626">'
                         f'<title>{when:%H:%M:%S}: {bad} failed</title></rect>')
    for label, when, colour in marks:
        mx = x(when)
        parts.append(f'<line x1="{mx:.1f}" y1="{top - 4}" x2="{mx:.1f}" y2="{top + plot_h:.1f}" stroke="{colour}" '
                     f'stroke-width="2" stroke-dasharray="4 2" class="mark-{label}"/>')
        # Labels near the right edge grow leftwards so they stay inside the picture.
        anchor, tx = ("end", mx - 3) if mx > left + plot_w * 0.8 else ("start", mx + 3)
        parts.append(f'<text x="{tx:.1f}" y="{top - 6 + (12 if label == "recovered" else 0)}" font-size="10" '
                     f'text-anchor="{anchor}" fill="{colour}">{label} {when:%H:%M:%S}</text>')
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="10">{t0:%H:%M:%S}</text>')
    parts.append(f'<text x="{width - right}" y="{height - 6}" font-size="10" text-anchor="end">{t1:%H:%M:%S}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def summary_for_report(scenarios: list[ScenarioData]) -> dict[str, Any] | None:
    """The summary of already parsed scenario folders (the parse stage's, so that ``analyze``
    reads each folder once) as plain data for the analyze report, or None if it has no row.

    ``{"layout", "layout_description", "sla", "columns", "groups": [{"group", "rows": [row dict
    as in the JSON format]}], "warnings", "markdown"}``.
    """
    if not scenarios:
        return None
    summary = summarize_scenarios(scenarios)
    if not summary.rows:
        return None
    return {
        "layout": summary.layout,
        "layout_description": layout_description(summary),
        "sla": summary.sla,
        "columns": [h.replace("\n", " ") for h in main_headers(summary.sla)],
        "groups": [{"group": g, "rows": [row_dict(r, summary.sla) for r in summary.group_rows(g)]}
                   for g in summary.groups],
        "warnings": all_warnings(summary),
        "markdown": render(summary, "md"),
    }
