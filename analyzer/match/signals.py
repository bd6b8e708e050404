"""The ``signals`` table: its schema, the matchable rows of each source, hit rows and captures.

Rows matched:

- ``log``: logical lines (``analyzer.parse.logical``) of container logs and plain text files
  (source log/text): ``line`` is where a joined message starts, ``end_line`` where it ends;
- ``describe``: logical lines of describe output outside its Events section;
- ``events``: one row per event, text ``"<Type> <Reason> <message>"``;
- ``metrics``: one row per sample, text ``name{labels} value``.
"""

from __future__ import annotations

import json

import polars as pl

from analyzer.library import Pattern
from analyzer.match.plan import Plan
from analyzer.tables import TIME

SIGNAL_SCHEMA: dict[str, pl.DataType] = {
    "pattern_id": pl.Utf8, "source": pl.Utf8, "path": pl.Utf8, "line": pl.UInt32, "end_line": pl.UInt32,
    "record_line": pl.UInt32, "time": TIME, "namespace": pl.Utf8, "pod": pl.Utf8,
    "container": pl.Utf8, "previous": pl.Boolean, "object_kind": pl.Utf8, "object_name": pl.Utf8,
    "weight": pl.Int64, "text": pl.Utf8, "captures": pl.Utf8, "span_start": pl.Int64,
    "span_end": pl.Int64,
}
LINE_COLUMNS = ("source", "path", "line", "end_line", "record_line", "time", "namespace", "pod", "container",
                "previous", "object_kind", "object_name", "weight", "text")
MAX_TEXT = 4000  # evidence text kept per signal


def empty_signals() -> pl.DataFrame:
    """A ``signals`` frame without rows."""
    return pl.DataFrame(schema=SIGNAL_SCHEMA)


def log_rows(df: pl.DataFrame) -> pl.DataFrame:
    """``log_lines`` -> the line columns the matcher reads (one row per physical line: ``end_line``
    is ``line`` until ``analyzer.parse.logical.logical_rows`` joins continued lines)."""
    return df.select(
        "source", "path", "line", pl.col("line").alias("end_line"), "record_line", "time", "namespace", "pod", "container", "previous",
        pl.when(pl.col("pod").is_not_null()).then(pl.lit("Pod")).otherwise(None).alias("object_kind"),
        pl.col("pod").alias("object_name"), pl.lit(1, dtype=pl.Int64).alias("weight"), "text")


def event_rows(events: pl.DataFrame) -> pl.DataFrame:
    """``events`` -> one matchable row per event (weight = the event's count)."""
    if events.is_empty():
        return pl.DataFrame(schema={c: SIGNAL_SCHEMA[c] for c in LINE_COLUMNS})
    container = pl.col("field_path").str.extract(r"\{([^}]*)\}", 1)
    return events.select(
        pl.lit("events").alias("source"), "path", pl.col("line").cast(pl.UInt32),
        pl.col("line").cast(pl.UInt32).alias("end_line"), pl.col("line").cast(pl.UInt32).alias("record_line"),
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
        pl.lit(None, dtype=pl.UInt32).alias("end_line"), pl.lit(None, dtype=pl.UInt32).alias("record_line"), pl.lit(None, dtype=TIME).alias("time"),
        "namespace", "pod", pl.lit(None, dtype=pl.Utf8).alias("container"), pl.lit(False).alias("previous"),
        pl.when(pl.col("pod").is_not_null()).then(pl.lit("Pod")).alias("object_kind"),
        pl.col("pod").alias("object_name"), pl.lit(1, dtype=pl.Int64).alias("weight"),
        pl.concat_str([pl.col("name"), pl.lit("{"), labels, pl.lit("} "),
                       pl.col("value").cast(pl.Utf8).fill_null("NaN")]).alias("text"))


def hit_rows(df: pl.DataFrame, plan: Plan, hits: pl.DataFrame) -> pl.DataFrame:
    """The LINE_COLUMNS rows of each (pattern, row) hit, with pattern_id and empty captures."""
    ids = pl.Series("pattern_id", [p.id for p in plan.patterns], dtype=pl.Utf8)
    if "end_line" not in df.columns:  # rows of single lines
        df = df.with_columns(pl.col("line").alias("end_line"))
    rows = df.select(list(LINE_COLUMNS)).with_row_index("_row")
    hits = hits.sort("_p", "_row")
    out = hits.join(rows, on="_row", how="left", maintain_order="left").with_columns(
        ids.gather(hits.get_column("_p")).alias("pattern_id"),
        pl.lit(None, dtype=pl.Utf8).alias("captures"), pl.lit(None, dtype=pl.Int64).alias("span_start"),
        pl.lit(None, dtype=pl.Int64).alias("span_end"))
    return out.drop("_p", "_row")


def _captures(p: Pattern, texts: list[str]) -> tuple[list[str], list[int | None], list[int | None]]:
    rx = p.compiled
    caps, starts, ends = [], [], []
    for text in texts:
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
    return caps, starts, ends


def with_captures(sig: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """Fill captures and match spans (Python ``regex``) on the rows that lack them."""
    if sig.is_empty():
        return sig
    need = sig.with_row_index("_i").filter(pl.col("captures").is_null())
    if need.is_empty():
        return sig
    by_id = {p.id: p for p in plan.patterns}
    idx, caps, starts, ends = [], [], [], []
    for (pid,), group in need.group_by(["pattern_id"], maintain_order=True):
        c, s, e = _captures(by_id[pid], group.get_column("text").to_list())
        idx.extend(group.get_column("_i").to_list())
        caps.extend(c)
        starts.extend(s)
        ends.extend(e)
    fill = pl.DataFrame({"_i": pl.Series(idx, dtype=pl.UInt32), "_c": pl.Series(caps, dtype=pl.Utf8),
                         "_s": pl.Series(starts, dtype=pl.Int64), "_e": pl.Series(ends, dtype=pl.Int64)})
    return sig.with_row_index("_i").join(fill, on="_i", how="left", maintain_order="left").with_columns(
        pl.coalesce("captures", "_c").alias("captures"), pl.coalesce("span_start", "_s").alias("span_start"),
        pl.coalesce("span_end", "_e").alias("span_end")).drop("_i", "_c", "_s", "_e")


def finish(sig: pl.DataFrame) -> pl.DataFrame:
    """Signal rows in ``SIGNAL_SCHEMA`` order and types, evidence text capped at ``MAX_TEXT``."""
    return sig.with_columns(pl.col("text").str.slice(0, MAX_TEXT)).select(
        [pl.col(c).cast(t) for c, t in SIGNAL_SCHEMA.items()])
