"""Markdown and HTML reports from the shared context, through the templates in `reports/`.

HTML: autoescaped; the stylesheet and the filter script are template files inlined verbatim, and
their SHA-256 hashes go into the page's Content-Security-Policy, so the browser runs that script
and nothing else, and fetches nothing at all.

Markdown: every value printed by the template is escaped for Markdown unless a filter marked it
as already formatted (code spans, code blocks), the same idea as HTML autoescaping, so that a pod
name or a log line cannot turn into a link, an image or a broken table.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import Any, Literal

import jinja2
import polars as pl
import regex
from markupsafe import Markup

from analyzer.parse.quantity import parse_time
from analyzer.report.context import build_context, fmt_num
from analyzer.report.timeline import layout as timeline_layout
from analyzer.resources import data_dir

MD_EVIDENCE_LINES = 3     # evidence lines per finding in Markdown ("N more" after)
MD_LINE_CAP = 240         # characters of one evidence line in Markdown
MD_TIMELINE_ROWS = 25
MD_HISTORY_ROWS = 20  # history entries listed in Markdown (the HTML and JSON list them all)
MD_UNEXPLAINED_ROWS = 15  # templates of "errors no pattern knows" in Markdown (HTML lists all)
HTML_EVIDENCE_LINES = 50


class MdSafe(str):
    """Markdown that a filter already formatted; the template prints it unescaped."""


_MD_SPECIAL = regex.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = regex.compile(r"^(\s*)([#+\-=>]|\d+[.)])", regex.M)


def md_escape(value: Any) -> str:
    """Text that Markdown renders literally: no emphasis, links, HTML, tables or headings."""
    if value is None:
        return ""
    if isinstance(value, MdSafe):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return fmt_num(value)
    text = str(value).replace("\r", "").replace("\n", " ")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LINE_START.sub(r"\1\\\2", text)


def md_code(value: Any, cell: bool = False) -> MdSafe:
    """An inline code span that survives backticks inside (and `|` inside a table cell)."""
    text = "" if value is None else str(value).replace("\r", "").replace("\n", " ")
    if not text:
        return MdSafe("")
    runs = [len(r) for r in regex.findall(r"`+", text)]
    fence = "`" * (max(runs) + 1 if runs else 1)
    pad = " " if text.startswith("`") or text.endswith("`") or runs else ""
    if cell:
        text = text.replace("|", "\\|")
    return MdSafe(f"{fence}{pad}{text}{pad}{fence}")


def md_block(lines: Any, lang: str = "") -> MdSafe:
    """A fenced code block, its fence longer than any backtick run in the content."""
    text = "\n".join(lines) if isinstance(lines, (list, tuple)) else str(lines or "")
    text = text.replace("\r", "")
    runs = [len(r) for r in regex.findall(r"`{3,}", text)]
    fence = "`" * max(3, (max(runs) + 1) if runs else 3)
    return MdSafe(f"{fence}{lang}\n{text}\n{fence}")


def md_evidence(ev: dict[str, Any]) -> MdSafe:
    """One evidence line as a code block: location and time, the line, carets under the match."""
    before, match = ev["before"].replace("\t", " "), ev["match"].replace("\t", " ")
    full = before + match + ev["after"].replace("\t", " ")
    start, end = len(before), len(before) + len(match)
    if len(full) > MD_LINE_CAP:
        # a window of the line that shows the start of the match with a little context
        lo = max(0, start - 60) if match else 0
        lo = min(lo, len(full) - MD_LINE_CAP)
        prefix = "…" if lo else ""
        suffix = "…" if lo + MD_LINE_CAP < len(full) else ""
        line = prefix + full[lo:lo + MD_LINE_CAP] + suffix
        start, end = len(prefix) + start - lo, len(prefix) + min(end, lo + MD_LINE_CAP) - lo
    else:
        line = full
    head = ev["location"] + (f"  {ev['time']}" if ev["time"] else "")
    lines = [head, line]
    if match and end > start:
        lines.append(" " * start + "^" * (end - start))
    return md_block(lines)


_DIGITS = regex.compile(r"\d+")


def distinct_evidence(evidence: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Up to `limit` evidence lines with different messages, each with where it repeats.

    Lines that differ only in numbers (timestamps, sizes, pids) are the same message: a ticket
    shows it once and says where else it occurs. Returns ``{"ev", "same", "more"}`` dicts:
    `same` is a readable list of the other places, `more` counts lines beyond `limit`.
    """
    groups: dict[str, dict[str, Any]] = {}
    more = 0
    for ev in evidence:
        key = _DIGITS.sub("0", ev["text"])
        if key in groups:
            groups[key]["places"].append(ev)
        elif len(groups) < limit:
            groups[key] = {"ev": ev, "places": []}
        else:
            more += 1
    out = []
    for g in groups.values():
        here = [str(p["line"]) for p in g["places"] if p["path"] == g["ev"]["path"]]
        there = [p["location"] for p in g["places"] if p["path"] != g["ev"]["path"]]
        parts = ([("line " if len(here) == 1 else "lines ") + ", ".join(here[:8])
                  + (f" and {len(here) - 8} more" if len(here) > 8 else "")] if here else [])
        parts += there[:3] + ([f"{len(there) - 3} more places"] if len(there) > 3 else [])
        out.append({"ev": g["ev"], "same": "; ".join(parts), "more": 0})
    if out:
        out[-1]["more"] = more
    return out


def _md_finalize(value: Any) -> Any:
    return md_escape(value)


def _short(value: Any, n: int = 120) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= n else text[: n - 1] + "…"


def _num_filter(value: Any) -> str:
    if value is None or value == "":
        return "–"
    try:
        return fmt_num(float(value))
    except (TypeError, ValueError):
        return str(value)


@lru_cache(maxsize=2)
def _env(fmt: str) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(data_dir("reports")))
    if fmt == "md":
        env = jinja2.Environment(loader=loader, autoescape=False, finalize=_md_finalize,
                                 trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                                 undefined=jinja2.StrictUndefined)
        # `raw`: the output of a Markdown macro, already escaped piece by piece
        env.filters.update(code=md_code, block=md_block, evidence=md_evidence, raw=MdSafe,
                           distinct=distinct_evidence)
    else:
        env = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True,
                                 lstrip_blocks=True, keep_trailing_newline=True,
                                 undefined=jinja2.StrictUndefined)
    env.filters.update(short=_short, num=_num_filter)
    return env


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _inline_asset(env: jinja2.Environment, name: str) -> str:
    source, _, _ = env.loader.get_source(env, name)
    return source.replace("\r\n", "\n")


def render_context(context: dict[str, Any], fmt: Literal["md", "html"],
                   max_chars: int | None = None) -> str:
    """Render an already built context (see `build_context`)."""
    env = _env(fmt)
    if fmt == "md":
        text = env.get_template("report.md.j2").render(
            **context, md_evidence_lines=MD_EVIDENCE_LINES, md_timeline_rows=MD_TIMELINE_ROWS,
            md_history_rows=MD_HISTORY_ROWS, md_unexplained_rows=MD_UNEXPLAINED_ROWS)
        text = regex.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
        return cut_markdown(text, max_chars) if max_chars else text
    if fmt != "html":
        raise ValueError(f"unknown report format {fmt!r}: use md or html")
    style = _inline_asset(env, "partials/report.css")
    script = _inline_asset(env, "partials/report.js")
    csp = ("default-src 'none'; "
           f"script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; img-src data:; "
           "font-src 'none'; connect-src 'none'; media-src 'none'; object-src 'none'; "
           "frame-src 'none'; worker-src 'none'; manifest-src 'none'; base-uri 'none'; "
           "form-action 'none'")
    return env.get_template("report.html.j2").render(
        **context, csp=csp, style=Markup(style), script=Markup(script),
        svg=timeline_layout(context["timeline"], parse_time(context["bundle"]["collected_at"])),
        html_evidence_lines=HTML_EVIDENCE_LINES)


def render(result: dict[str, Any], tables: dict[str, pl.DataFrame] | None, gpu: dict[str, Any] | None,
           fmt: Literal["md", "html"], max_chars: int | None = None) -> str:
    """The Markdown or HTML report of a diagnosis: its result, the tables and its GPU and HAMi
    status (``Diagnosis.gpu``; None: no GPU sections). ``max_chars`` applies to Markdown only."""
    return render_context(build_context(result, tables or {}, gpu), fmt, max_chars)


# --------------------------------------------------------------------------- --max-chars

def _split(text: str, marker: str) -> list[str]:
    """Split Markdown before every line starting with `marker`, ignoring code blocks."""
    parts, current, fence = [], [], None
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        if fence is None and stripped.startswith("```"):
            fence = stripped[: len(stripped) - len(stripped.lstrip("`"))]
        elif fence is not None and stripped.startswith(fence) and stripped.strip() == fence:
            fence = None
        elif fence is None and line.startswith(marker) and current:
            parts.append("".join(current))
            current = []
        current.append(line)
    if current:
        parts.append("".join(current))
    return parts


def _heading(block: str) -> str:
    first = block.lstrip("\n").splitlines()[0] if block.strip() else ""
    return first.lstrip("#").strip()


def _label(block: str, level: int) -> str:
    heading = _heading(block)
    # a root cause block is named by its rank and id ("1. F1"), enough to find it elsewhere
    return heading.split(" · ")[0] if level == 3 else heading


def _note(max_chars: int, left_out: list[str]) -> str:
    return (f"\n---\n*Cut to {max_chars} characters (--max-chars). Left out: "
            + md_escape("; ".join(left_out)) + ". The HTML and JSON reports have everything.*\n")


def cut_markdown(text: str, max_chars: int) -> str:
    """The report cut at the last section (or root-cause) boundary that fits in `max_chars`.

    Whole ``## `` sections are kept in order. The first one that does not fit is cut between its
    ``### `` blocks (each root cause is one) when its opening still fits, so the ranked table of
    root causes survives a tight limit. A closing note names everything left out.
    """
    if len(text) <= max_chars:
        return text
    sections = _split(text, "## ")

    def fits(parts: list[str], left_out: list[str]) -> bool:
        return len("".join(parts).rstrip("\n") + "\n" + _note(max_chars, left_out)) <= max_chars

    kept: list[str] = []
    left_out: list[str] = []
    for i, section in enumerate(sections):
        if left_out:
            left_out.append(_label(section, 2))
            continue
        rest = [_label(s, 2) for s in sections[i + 1:]]
        if fits(kept + [section], rest):
            kept.append(section)
            continue
        blocks = _split(section, "### ")
        take = blocks[:1]
        for j in range(1, len(blocks)):
            dropped = [_label(b, 3) for b in blocks[j + 1:]]
            label = [f"{_label(section, 2)}: details of {', '.join(dropped)}"] if dropped else []
            if not fits(kept + take + [blocks[j]], label + rest):
                break
            take.append(blocks[j])
        dropped = [_label(b, 3) for b in blocks[len(take):]]
        if i > 0 and len(blocks) > 1 and fits(
                kept + take, [f"{_label(section, 2)}: details of {', '.join(dropped)}"] + rest):
            kept.extend(take)
            left_out.append(f"{_label(section, 2)}: details of {', '.join(dropped)}")
        else:
            left_out.append(_label(section, 2))
    if kept:
        return "".join(kept).rstrip("\n") + "\n" + _note(max_chars, left_out)
    # not even the verdict fits: keep whole lines, never half a code block
    everything = ["the rest of the report"]
    budget = max_chars - len(_note(max_chars, everything)) - 1
    lines: list[str] = []
    size, fence = 0, False
    for line in text.splitlines(keepends=True):
        if size + len(line) > budget:
            break
        if line.lstrip().startswith("```"):
            fence = not fence
        lines.append(line)
        size += len(line)
    if fence:
        while lines and not lines[-1].lstrip().startswith("```"):
            lines.pop()
        if lines:
            lines.pop()
    return "".join(lines).rstrip("\n") + "\n" + _note(max_chars, everything)
