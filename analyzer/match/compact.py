"""Compaction of log signals: the rows the diagnosis reads, and weights for the rest.

Hits of a broad pattern can be numerous, so log signals are compacted per (pattern, affected
object): the rows the diagnosis reads (the first ``KEEP_FIRST`` and the last by time, the
latest time) stay, and ``weight`` counts the lines each kept row stands for; the sum of
``weight`` over a pattern's log rows is its line count.
"""

from __future__ import annotations

from typing import Iterable

import polars as pl

KEEP_FIRST = 4  # = diagnose.findings.MAX_EVIDENCE - 1: the diagnosis shows the first 4 and the last
_KEY = ["pattern_id", "source", "namespace", "object_kind", "object_name", "container", "_ref"]
_ORDER = ["time", "path", "line"]


def compact(sig: pl.DataFrame, ref_ids: Iterable[str] = ()) -> pl.DataFrame:
    """Log/text signals reduced to the rows the diagnosis reads, per (pattern, object).

    Kept per group (ordered by time, path, line): the first ``KEEP_FIRST``, the last, and the
    latest-time row; ``weight`` of the last kept row absorbs the dropped rows. Patterns in
    ``ref_ids`` (captures naming another pod) are grouped by their captures too. Events and
    metrics rows, and groups with few rows, are returned unchanged.
    """
    if sig.height <= KEEP_FIRST + 2:
        return sig
    is_log = pl.col("source").is_in(["log", "text"])
    ref_ids = list(ref_ids)
    keyed = sig.with_columns(
        pl.when(pl.col("pattern_id").is_in(ref_ids)).then(pl.col("captures")).otherwise(None).alias("_ref"))
    other = keyed.filter(~is_log)
    logs = keyed.filter(is_log).sort(_KEY + _ORDER, nulls_last=True)
    logs = logs.with_columns(
        pl.int_range(pl.len()).over(_KEY).alias("_i"), pl.len().over(_KEY).alias("_n"),
        pl.col("time").max().over(_KEY).alias("_tmax"))
    first_latest = pl.when(pl.col("time") == pl.col("_tmax")).then(pl.col("_i")).min().over(_KEY)
    logs = logs.with_columns(((pl.col("_i") < KEEP_FIRST) | (pl.col("_i") == pl.col("_n") - 1)
                              | (pl.col("_i") == first_latest).fill_null(False)).alias("_keep"))
    dropped = logs.filter(~pl.col("_keep")).group_by(_KEY).agg(pl.col("weight").sum().alias("_w"))
    kept = logs.filter(pl.col("_keep"))
    if not dropped.is_empty():
        kept = kept.join(dropped, on=_KEY, how="left", nulls_equal=True, maintain_order="left").with_columns(
            pl.when(pl.col("_i") == pl.col("_n") - 1).then(pl.col("weight") + pl.col("_w").fill_null(0))
            .otherwise(pl.col("weight")).alias("weight")).drop("_w")
    kept = kept.drop("_i", "_n", "_tmax", "_keep")
    return pl.concat([other, kept], how="vertical_relaxed").drop("_ref")
