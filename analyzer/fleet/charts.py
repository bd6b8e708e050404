"""The fleet report as text: inline SVG charts (no script, no font, nothing fetched) and the
rendering of ``reports/fleet.md.j2`` / ``reports/fleet.html.j2`` over ``report.build``'s context."""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Any

import jinja2
from markupsafe import Markup

from analyzer.resources import data_dir

# colour-blind-safe palette (Okabe-Ito), the last one for "other"
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#999999")
FONT = 'font-family="system-ui,sans-serif" font-size="12"'


def hbar(items: list[tuple[str, int]], width: int = 640, bar: int = 18) -> str:
    """Horizontal bars, one per (label, value), the value written at the bar's end."""
    if not items:
        return ""
    left, gap = 260, 6
    biggest = max(v for _, v in items) or 1
    height = len(items) * (bar + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" {FONT}>']
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar + gap)
        w = max(1, round((width - left - 50) * value / biggest))
        parts.append(f'<text x="{left - 8}" y="{y + bar - 5}" text-anchor="end">{escape(_cut(label, 40))}</text>'
                     f'<rect x="{left}" y="{y}" width="{w}" height="{bar}" fill="{PALETTE[0]}">'
                     f'<title>{escape(label)}: {value}</title></rect>'
                     f'<text x="{left + w + 6}" y="{y + bar - 5}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked(buckets: list[str], series: list[dict[str, Any]], width: int = 720, height: int = 260) -> str:
    """Stacked columns: one column per time bucket, one colour per series, with a legend."""
    if not buckets or not series:
        return ""
    top, bottom, left, legend = 10, 40, 40, 16 * ((len(series) + 2) // 3)
    plot_h = height - top - bottom
    totals = [sum(s["values"][i] for s in series) for i in range(len(buckets))]
    biggest = max(totals) or 1
    step = (width - left - 10) / len(buckets)
    col = max(4.0, step * 0.7)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
             f'height="{height + legend}" viewBox="0 0 {width} {height + legend}" {FONT}>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#666"/>',
             f'<text x="{left - 6}" y="{top + 10}" text-anchor="end">{biggest}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>']
    for i, b in enumerate(buckets):
        x = left + i * step + (step - col) / 2
        y = top + plot_h
        for k, s in enumerate(series):
            v = s["values"][i]
            if not v:
                continue
            h = plot_h * v / biggest
            y -= h
            colour = PALETTE[-1] if s["name"] == "other" else PALETTE[k % (len(PALETTE) - 1)]
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{col:.1f}" height="{h:.1f}" fill="{colour}">'
                         f'<title>{escape(b)} {escape(s["name"])}: {v}</title></rect>')
        if len(buckets) <= 16 or i % max(1, len(buckets) // 12) == 0:
            parts.append(f'<text x="{x + col / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                         f'{escape(b)}</text>')
    for k, s in enumerate(series):
        x, y = 10 + (k % 3) * (width // 3), height + (k // 3) * 16
        colour = PALETTE[-1] if s["name"] == "other" else PALETTE[k % (len(PALETTE) - 1)]
        parts.append(f'<rect x="{x}" y="{y - 10}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="{y}">{escape(_cut(s["name"], 38))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _md_cell(value: Any) -> str:
    """A value inside a Markdown table cell: one line, pipes and backticks made harmless."""
    text = "" if value is None else str(value)
    return " ".join(text.split()).replace("|", "\\|").replace("`", "'")


def _env(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(data_dir("reports"))), autoescape=html,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["cell"] = _md_cell
    return env


def render(context: dict[str, Any], fmt: str) -> str:
    """The report of a fleet dataset as ``md`` or ``html`` (one self-contained file)."""
    if fmt == "md":
        return _env(False).get_template("fleet.md.j2").render(**context).strip() + "\n"
    if fmt != "html":
        raise ValueError(f"unknown report format {fmt!r}: use md or html")
    env = _env(True)
    style = env.loader.get_source(env, "partials/fleet.css")[0]
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
    csp = (f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; font-src 'none'; "
           "connect-src 'none'; script-src 'none'; object-src 'none'; frame-src 'none'; "
           "base-uri 'none'; form-action 'none'")
    over = context["over_time"]
    charts = {
        "top": hbar([(r["category"], r["bundles"]) for r in context["top"]]),
        "over_time": stacked(over["buckets"], over["series"]),
        "engines": hbar([(r["name"], r["bundles"]) for r in context["engines"]]),
        "gpu_models": hbar([(r["name"], r["bundles"]) for r in context["gpu_models"]]),
        "unexplained": hbar([(r["template"], r["bundles"]) for r in context["unexplained"][:10]]),
    }
    return env.get_template("fleet.html.j2").render(
        **context, csp=csp, style=Markup(style), charts={k: Markup(v) for k, v in charts.items()})
