"""Compaction of log signals: the rows the diagnosis reads, and weights for the rest.

Hits of a broad pattern can be numerous, so log signals are compacted per (pattern, affected
object as ``attribute`` set it): the rows the diagnosis reads (the first ``KEEP_FIRST`` and the
last by time, the latest time) stay, and ``weight`` counts the lines each kept row stands for;
the sum of ``weight`` over a pattern's log rows is its line count.
"""

from __future__ import annotations

import polars as pl

from analyzer.match.attribute import AFFECTED

KEEP_FIRST = 4  # = diagnose.findings.MAX_EVIDENCE - 1: the diagnosis shows the first 4 and the last
# one group per pattern, source and affected object: at least as fine as the diagnosis's
# grouping, so that every finding's first rows, last row, times and count survive compaction
KEY = ["pattern_id", "source", *AFFECTED]
_ORDER = ["time", "path", "line"]


def compact(sig: pl.DataFrame) -> pl.DataFrame:
    """Log/text signals reduced to the rows the diagnosis reads, per (pattern, affected object).

    Rows must be attributed first (``attribute``): a line naming another pod is grouped with
    that pod's. Kept per group (ordered by time, path, line): the first ``KEEP_FIRST``, the last,
    and the latest-time row; ``weight`` of the last kept row absorbs the dropped rows. Events,
    metrics and describe rows, and frames with few rows, are returned unchanged.
    """
    if sig.height <= KEEP_FIRST + 1:  # no group can lose a row
        return sig
    is_log = pl.col("source").is_in(["log", "text"])
    other = sig.filter(~is_log)
    logs = sig.filter(is_log).sort(KEY + _ORDER, nulls_last=True)
    logs = logs.with_columns(
        pl.int_range(pl.len()).over(KEY).alias("_i"), pl.len().over(KEY).alias("_n"),
        pl.col("time").max().over(KEY).alias("_tmax"))
    first_latest = pl.when(pl.col("time") == pl.col("_tmax")).then(pl.col("_i")).min().over(KEY)
    logs = logs.with_columns(((pl.col("_i") < KEEP_FIRST) | (pl.col("_i") == pl.col("_n") - 1)
                              | (pl.col("_i") == first_latest).fill_null(False)).alias("_keep"))
    dropped = logs.filter(~pl.col("_keep")).group_by(KEY).agg(pl.col("weight").sum().alias("_w"))
    kept = logs.filter(pl.col("_keep"))
    if not dropped.is_empty():
        kept = kept.join(dropped, on=KEY, how="left", nulls_equal=True, maintain_order="left").with_columns(
            pl.when(pl.col("_i") == pl.col("_n") - 1).then(pl.col("weight") + pl.col("_w").fill_null(0))
            .otherwise(pl.col("weight")).alias("weight")).drop("_w")
    kept = kept.drop("_i", "_n", "_tmax", "_keep")
    return pl.concat([other, kept], how="vertical_relaxed")
