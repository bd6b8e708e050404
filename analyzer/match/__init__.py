"""Match the pattern library over the line tables, vectorised -> ``signals``.

Plan (see ``shared/reference/matching-speed.md``): a pattern only runs on lines that contain
one of its literal ``hint`` strings. One pass over a batch finds the rows that contain *any*
hint of the library (an Aho-Corasick literal search in Polars' Rust engine); each pattern's
regex then runs only on those candidate rows (``str.contains``, Rust regex); named-group
captures are extracted with Python ``regex`` from the few rows that matched. No Python loop
runs over lines x patterns.

Rows matched:

- ``log``: ``log_lines`` rows from container logs and plain text files (source log/text);
- ``describe``: raw lines of describe output outside its Events section;
- ``events``: one row per event, text ``"<Type> <Reason> <message>"``;
- ``metrics``: one row per sample, text ``name{labels} value``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

import polars as pl
import regex

from analyzer.library import Library, Pattern
from analyzer.parse.logs import annotate_rows
from analyzer.tables import TIME

SIGNAL_SCHEMA: dict[str, pl.DataType] = {
    "pattern_id": pl.Utf8, "source": pl.Utf8, "path": pl.Utf8, "line": pl.UInt32,
    "record_line": pl.UInt32, "time": TIME, "namespace": pl.Utf8, "pod": pl.Utf8,
    "container": pl.Utf8, "previous": pl.Boolean, "object_kind": pl.Utf8, "object_name": pl.Utf8,
    "weight": pl.Int64, "text": pl.Utf8, "captures": pl.Utf8, "span_start": pl.Int64,
    "span_end": pl.Int64,
}
LINE_COLUMNS = ("source", "path", "line", "record_line", "time", "namespace", "pod", "container",
                "previous", "object_kind", "object_name", "weight", "text")
_SOURCE_OF = {"log": ("log", "text"), "text": ("text",), "describe": ("describe",),
              "events": ("events",), "metrics": ("metrics",), "objects": ("objects",)}
MAX_TEXT = 4000  # evidence text kept per signal


@dataclass(frozen=True)
class Plan:
    """Per-library matching plan: which literals prefilter which patterns."""

    prefilter: str          # one regex: the alternation of every hint literal
    patterns: tuple[Pattern, ...]

    @classmethod
    def build(cls, library: Library) -> "Plan":
        cs = sorted({h for p in library for h in p.hint if not p.ignore_case})
        ci = sorted({h.lower() for p in library for h in p.hint if p.ignore_case})
        parts = [regex.escape(h) for h in cs]
        if ci:
            parts.append("(?i:" + "|".join(regex.escape(h) for h in ci) + ")")
        return cls(prefilter="|".join(parts) or "(?!)", patterns=tuple(library))


def _signal_rows(df: pl.DataFrame, p: Pattern) -> pl.DataFrame:
    """Regex hits of one pattern among candidate rows, with captures and the match span."""
    hint_mask = pl.col("text").str.contains_any(list(p.hint), ascii_case_insensitive=p.ignore_case)
    sources = {s for src in p.sources for s in _SOURCE_OF[src]}
    hits = df.filter(pl.col("source").is_in(sorted(sources)) & hint_mask).filter(
        pl.col("text").str.contains(p.regex))
    if hits.is_empty():
        return hits.clear().with_columns(
            pl.lit(None, dtype=pl.Utf8).alias("pattern_id"), pl.lit(None, dtype=pl.Utf8).alias("captures"),
            pl.lit(None, dtype=pl.Int64).alias("span_start"), pl.lit(None, dtype=pl.Int64).alias("span_end"))
    rx = p.compiled
    caps, starts, ends = [], [], []
    for text in hits.get_column("text"):
        m = rx.search(text)
        if m is None:  # Rust and Python regex disagree: keep the row, no captures
            caps.append("{}")
            starts.append(None)
            ends.append(None)
            continue
        caps.append(json.dumps({k: v for k, v in m.groupdict().items() if v is not None},
                               sort_keys=True, ensure_ascii=False))
        starts.append(m.start())
        ends.append(m.end())
    return hits.with_columns(
        pl.lit(p.id).alias("pattern_id"), pl.Series("captures", caps, dtype=pl.Utf8),
        pl.Series("span_start", starts, dtype=pl.Int64), pl.Series("span_end", ends, dtype=pl.Int64))


def match_frame(df: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """Signals of every pattern over one frame with the LINE_COLUMNS."""
    if df.is_empty() or not plan.patterns:
        return empty_signals()
    cand = df.filter(pl.col("text").str.contains(plan.prefilter)).rechunk()
    if cand.is_empty():
        return empty_signals()
    out = [_signal_rows(cand, p) for p in plan.patterns]
    out = [o for o in out if not o.is_empty()]
    if not out:
        return empty_signals()
    sig = pl.concat(out, how="diagonal_relaxed")
    return sig.with_columns(pl.col("text").str.slice(0, MAX_TEXT)).select(
        [pl.col(c).cast(t) for c, t in SIGNAL_SCHEMA.items()])


def empty_signals() -> pl.DataFrame:
    return pl.DataFrame(schema=SIGNAL_SCHEMA)


def log_rows(df: pl.DataFrame) -> pl.DataFrame:
    """``log_lines`` -> the line columns the matcher reads."""
    return df.select(
        "source", "path", "line", "record_line", "time", "namespace", "pod", "container", "previous",
        pl.when(pl.col("pod").is_not_null()).then(pl.lit("Pod")).otherwise(None).alias("object_kind"),
        pl.col("pod").alias("object_name"), pl.lit(1, dtype=pl.Int64).alias("weight"), "text")


def event_rows(events: pl.DataFrame) -> pl.DataFrame:
    """``events`` -> one matchable row per event (weight = the event's count)."""
    if events.is_empty():
        return pl.DataFrame(schema={c: SIGNAL_SCHEMA[c] for c in LINE_COLUMNS})
    container = pl.col("field_path").str.extract(r"\{([^}]*)\}", 1)
    return events.select(
        pl.lit("events").alias("source"), "path", pl.col("line").cast(pl.UInt32),
        pl.col("line").cast(pl.UInt32).alias("record_line"),
        pl.coalesce("last_time", "first_time").alias("time"), "namespace",
        pl.when(pl.col("object_kind") == "Pod").then(pl.col("object_name")).alias("pod"),
        container.alias("container"), pl.lit(False).alias("previous"), "object_kind", "object_name",
        pl.col("count").fill_null(1).cast(pl.Int64).alias("weight"),
        pl.concat_str([pl.col("type").fill_null(""), pl.col("reason").fill_null(""),
                       pl.col("message").fill_null("")], separator=" ").alias("text"))


def metric_rows(metrics: pl.DataFrame) -> pl.DataFrame:
    """``metrics`` -> one matchable row per sample, text ``name{k="v",...} value``."""
    if metrics.is_empty():
        return pl.DataFrame(schema={c: SIGNAL_SCHEMA[c] for c in LINE_COLUMNS})
    labels = (pl.col("labels").str.replace_all(r'"([^"]+)":', r'$1=').str.strip_chars("{}"))
    return metrics.select(
        pl.lit("metrics").alias("source"), "path", pl.lit(None, dtype=pl.UInt32).alias("line"),
        pl.lit(None, dtype=pl.UInt32).alias("record_line"), pl.lit(None, dtype=TIME).alias("time"),
        "namespace", "pod", pl.lit(None, dtype=pl.Utf8).alias("container"), pl.lit(False).alias("previous"),
        pl.when(pl.col("pod").is_not_null()).then(pl.lit("Pod")).alias("object_kind"),
        pl.col("pod").alias("object_name"), pl.lit(1, dtype=pl.Int64).alias("weight"),
        pl.concat_str([pl.col("name"), pl.lit("{"), labels, pl.lit("} "),
                       pl.col("value").cast(pl.Utf8).fill_null("NaN")]).alias("text"))


def match_log_batch(batch: pl.DataFrame, plan: Plan, ref_year: int | None) -> pl.DataFrame:
    """Signals of one raw ``log_lines`` batch; time, level and record of the hit rows only."""
    sig = match_frame(log_rows(batch), plan)
    if sig.is_empty():
        return sig
    need = sig.filter(pl.col("time").is_null() | pl.col("record_line").is_null()).select("path", "line").unique()
    if need.is_empty():
        return sig
    ann = annotate_rows(batch, need, ref_year)
    return sig.join(ann, on=["path", "line"], how="left", suffix="_a").with_columns(
        pl.coalesce("time", "time_a").alias("time"),
        pl.coalesce("record_line", "record_line_a").alias("record_line"),
    ).select(list(SIGNAL_SCHEMA))


def match_parsed(parsed, library: Library, log_batches: Iterable[pl.DataFrame] | None = None) -> pl.DataFrame:
    """All signals of a parsed bundle: logs streamed batch by batch, then events and metrics."""
    plan = Plan.build(library)
    batches = log_batches if log_batches is not None else parsed.iter_log_batches(annotated=False)
    out = [match_log_batch(b, plan, parsed.ref_year) for b in batches]
    out.append(match_frame(event_rows(parsed.tables["events"]), plan))
    out.append(match_frame(metric_rows(parsed.tables["metrics"]), plan))
    out = [o for o in out if not o.is_empty()]
    if not out:
        return empty_signals()
    return pl.concat(out).sort(["pattern_id", "path", "line"], nulls_last=True)
