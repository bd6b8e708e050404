"""Match the pattern library over the line tables, vectorised -> ``signals``.

The package holds one concept per module:

- ``plan``: which literals prefilter which patterns on which sources (``Plan``, built on a
  sample of the first batch and cached per library, made again on a batch unlike that one);
- ``hits``: the (pattern, row) hits of a frame under one rule: a line is a hit of a pattern
  when it is of one of the pattern's sources, contains one of its hints and its regex matches.
  With hyperscan installed (``pip install .[fast]``) ``hyperscan_backend`` finds them over
  whole-batch buffers instead, with the same result;
- ``signals``: the ``signals`` schema, the matchable rows of each source, captures (Python
  ``regex``, on the hit rows only);
- ``attribute``: which object each signal is about (the member meta, or the pod a line names);
- ``compact``: log signals reduced per (pattern, affected object) to the rows the diagnosis
  reads, with weights (the sum of ``weight`` over a pattern's log rows is its line count).

This module runs them: log lines are read as logical lines (``analyzer.parse.logical``: wrapped
and continued lines joined, structured records unescaped) and matched batch by batch and never
kept (hits -> attribution -> cheap time -> compaction -> captures and annotation of the kept
rows), then events and metrics. A message a batch ends in the middle of is matched with the next
batch.
"""

from __future__ import annotations

import functools
import os
from typing import Iterable

import polars as pl

from analyzer.infer.lines import PREFILTER_FAST, ErrorLines
from analyzer.library import Library
from analyzer.match.attribute import attribute, ref_patterns
from analyzer.match.compact import KEEP_FIRST, compact
from analyzer.match.hits import HitFinder, confirm_hits, polars_hits
from analyzer.match.plan import BROAD_SHARE, HITS_SCHEMA, SAMPLE_ROWS, Plan, literal_regex, plan_for, replan
from analyzer.match.signals import (LINE_COLUMNS, MAX_TEXT, SIGNAL_SCHEMA, empty_signals, event_rows,
                                    finish, hit_rows, log_rows, metric_rows, with_captures)
from analyzer.parse.logical import logical_rows, unescaped_rows
from analyzer.parse.logs import RFC3339, annotate_rows, representable
from analyzer.readahead import prefetch
from analyzer.tables import TIME

__all__ = ["BROAD_SHARE", "CARRY_ROWS", "FOLD_ROWS", "HITS_SCHEMA", "KEEP_FIRST", "LINE_COLUMNS",
           "MAX_TEXT", "SAMPLE_ROWS", "SIGNAL_SCHEMA", "HitFinder", "Plan", "backend_name",
           "carry_rows", "compact", "confirm_hits", "default_finder", "empty_signals", "event_rows",
           "literal_regex", "log_rows", "match_frame", "match_log_batch", "match_parsed",
           "metric_rows", "plan_for", "polars_hits", "prefetch", "replan"]

# lines before a hit that its annotation reads (its record's start, time and level); the last
# ones of each batch are carried into the next, so a record cut by the batch boundary is whole
CARRY_ROWS = 200
FOLD_ROWS = 200_000  # signal rows kept from past batches before they are compacted together
# rows of a message left open at the end of a batch that are held for the next one; a longer
# message (a block scalar or table of thousands of lines) is closed where the batch ends
MAX_HELD = 5_000
_KTS = (r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))"
        r"(?: (?:stdout|stderr) [FP])? ")


def backend_name() -> str:
    """``hyperscan`` when the accelerator is installed and enabled, else ``polars``."""
    return "hyperscan" if _accelerator() is not None else "polars"


def _accelerator():
    if os.environ.get("BUNDLE_ANALYZER_BACKEND", "").lower() == "polars":
        return None
    try:
        from analyzer.match import hyperscan_backend
    except ImportError:
        return None
    return hyperscan_backend if hyperscan_backend.available() else None


def default_finder() -> HitFinder:
    """The hit finder to use: hyperscan's when available, else ``polars_hits``."""
    acc = _accelerator()
    return acc.find_hits if acc is not None else polars_hits


def match_frame(df: pl.DataFrame, plan: Plan, finder: HitFinder | None = None) -> pl.DataFrame:
    """Signals of every pattern over one frame with the LINE_COLUMNS (one row per hit)."""
    if df.is_empty() or not plan.patterns:
        return empty_signals()
    hits = (finder or polars_hits)(df, plan)
    if hits.is_empty():
        return empty_signals()
    sig = with_captures(hit_rows(df, plan, hits), plan)
    return finish(attribute(sig))


# ---------------------------------------------------------------------------------------------
# log batches: hits -> attribution -> cheap time -> compaction -> captures and annotation


def _cheap_time(sig: pl.DataFrame) -> pl.DataFrame:
    """Time of hit rows from their ``kubectl logs --timestamps``/CRI prefix (what ``annotate``
    gives such rows); rows without one keep a null time for the full annotation."""
    kts = representable(pl.col("text").str.extract(_KTS, 1).str.to_datetime(RFC3339, strict=False,
                                                                            time_unit="us").cast(TIME))
    return sig.with_columns(pl.coalesce("time", kts).alias("time"))


def _annotate(sig: pl.DataFrame, lines: pl.DataFrame, ref_year: int | None, all_rows: bool) -> pl.DataFrame:
    """Time and record_line of signal rows from the raw ``lines`` (path, line, text) they are
    among (``annotate_rows``)."""
    cond = pl.col("record_line").is_null() if all_rows else pl.col("time").is_null()
    need = sig.filter(cond).select("path", "line").unique()
    if need.is_empty():
        return sig
    ann = annotate_rows(lines, need, ref_year, window=CARRY_ROWS)
    return sig.join(ann, on=["path", "line"], how="left", suffix="_a", nulls_equal=True,
                    maintain_order="left").with_columns(
        pl.coalesce("time", "time_a").alias("time"),
        pl.coalesce("record_line", "record_line_a").alias("record_line"),
    ).select(sig.columns)


def _detached(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with their texts copied: a slice of a batch would keep the whole batch's
    buffers alive while the next one is read."""
    return rows.with_columns(pl.Series("text", rows.get_column("text").to_list(), dtype=pl.Utf8))


def carry_rows(before: pl.DataFrame | None, batch: pl.DataFrame) -> pl.DataFrame:
    """The last ``CARRY_ROWS`` lines (path, line, text) up to the end of ``batch``, for the next
    batch's annotation; texts are copied, so the carried rows do not keep ``batch`` alive."""
    rows = batch.select("path", "line", "text")
    if before is not None and rows.height < CARRY_ROWS:
        rows = pl.concat([before, rows])
    tail = rows.tail(CARRY_ROWS)
    return tail.with_columns(pl.Series("text", tail.get_column("text").to_list(), dtype=pl.Utf8))


def match_log_batch(batch: pl.DataFrame, plan: Plan, ref_year: int | None,
                    finder: HitFinder | None = None, before: pl.DataFrame | None = None,
                    errors: ErrorLines | None = None) -> pl.DataFrame:
    """Signals of one raw ``log_lines`` batch, compacted; time, level and record of kept rows.
    ``before`` (``carry_rows`` of the previous batches) are the lines just before the batch: a
    record they start gives its time and start line to the hits it continues into this batch.
    ``errors`` collects the error lines that no pattern hit (``analyzer.infer``)."""
    return _match_batch(batch, plan, ref_year, finder, before, final=True, errors=errors)[0]


def _match_batch(batch: pl.DataFrame, plan: Plan, ref_year: int | None, finder: HitFinder | None,
                 before: pl.DataFrame | None, final: bool,
                 errors: ErrorLines | None = None) -> tuple[pl.DataFrame, int]:
    """(signals, rows held): unless ``final``, the rows of the message the batch ends in are not
    matched here but held (their count is returned) for the next batch, which may continue it."""
    rows, tail = logical_rows(log_rows(batch), final=final)
    held = tail.height
    if held > MAX_HELD:
        rows, tail = logical_rows(log_rows(batch), final=True)
        held = 0
    if rows.is_empty() or not plan.patterns:
        return empty_signals(), held
    # the failure words of errors no pattern knows and the rare case-insensitive literals share
    # one whole-batch pass (one case-insensitive literal search instead of two); each is then
    # searched on the rows that pass kept
    maybe = None
    if errors is not None and finder in (None, polars_hits) and plan.rare_ci:
        maybe = rows.get_column("text").str.contains(_shared_regex(plan.rare_ci))
    sig = _hits(rows, plan, finder, maybe)
    lines = batch.select("path", "line", "text")
    if before is not None and not before.is_empty():
        lines = pl.concat([before, lines])
    if errors is not None:
        _collect_errors(errors, rows, batch, sig, plan, lines, ref_year, maybe)
    if sig.is_empty():
        return empty_signals(), held
    # attribute before compacting: compaction keeps a few rows per affected object, and a line
    # naming another pod (by klog key or by capture) must count for that pod
    refs = ref_patterns(plan.patterns)
    if refs:
        is_ref = pl.col("pattern_id").is_in(refs)
        sig = pl.concat([with_captures(sig.filter(is_ref), plan), sig.filter(~is_ref)])
    sig = attribute(sig)
    sig = _annotate(_cheap_time(sig), lines, ref_year, all_rows=False)
    sig = compact(sig)
    sig = _annotate(sig, lines, ref_year, all_rows=True)
    sig = finish(with_captures(sig, plan))
    # Polars strings are views into the batch's buffers: copy the kept texts out, or every
    # signal would keep its whole batch alive and memory would grow with the bundle
    return sig.with_columns(pl.Series("text", sig.get_column("text").to_list(), dtype=pl.Utf8)), held


@functools.lru_cache(maxsize=8)
def _shared_regex(rare_ci: tuple[str, ...]) -> str:
    """The pass shared by errors no pattern knows and the rare case-insensitive literals."""
    return PREFILTER_FAST + "|" + literal_regex(ci=rare_ci)


def _collect_errors(errors: ErrorLines, rows: pl.DataFrame, batch: pl.DataFrame, sig: pl.DataFrame, plan: Plan,
                    lines: pl.DataFrame, ref_year: int | None, maybe: pl.Series | None = None) -> None:
    """Give ``errors`` the logical ``rows`` of a batch with the ones a pattern hit marked: a
    pattern that needs several lines to count (min_count) explains them only if it counts in
    the end, so those rows are held with its id and the diagnosis decides."""
    level = batch.get_column("level")
    if level.null_count() == level.len():
        rows = rows.with_columns(pl.lit(None, dtype=level.dtype).alias("level"))
    else:
        rows = rows.join(batch.select("path", "line", "level"), on=["path", "line"], how="left",
                         nulls_equal=True, maintain_order="left")
    if sig.is_empty():
        errors.add(rows, None, lines, ref_year, None, maybe)
        return
    pos = rows.select("path", "line").with_row_index("_row")
    hit = sig.select("pattern_id", "path", "line").join(pos, on=["path", "line"], how="inner", nulls_equal=True)
    sure = pl.col("pattern_id").is_in([p.id for p in plan.patterns if p.min_count <= 1])
    errors.add(rows, hit.filter(sure).get_column("_row"), lines, ref_year,
               hit.filter(~sure).select(pl.col("_row").cast(pl.UInt32), "pattern_id"), maybe)


def _hits(rows: pl.DataFrame, plan: Plan, finder: HitFinder | None, maybe: pl.Series | None = None) -> pl.DataFrame:
    """Hit rows of logical ``rows``: as written, and for the structured records with escapes
    the hits only their unescaped text gives (evidence keeps the written text where it matches).
    ``maybe``: the shared pass of ``_match_batch`` over ``rows`` (Polars path only)."""
    find = finder or polars_hits
    hits = polars_hits(rows, plan, maybe) if maybe is not None else find(rows, plan)
    parts = [hit_rows(rows, plan, hits)] if not hits.is_empty() else []
    esc = unescaped_rows(rows)
    more = find(esc, plan) if not esc.is_empty() else None
    if more is not None and not more.is_empty():
        extra = hit_rows(esc, plan, more)
        if parts:
            extra = extra.join(parts[0].select("pattern_id", "path", "line"),
                               on=["pattern_id", "path", "line"], how="anti")
        parts.append(extra)
    return pl.concat(parts) if parts else empty_signals()


def match_parsed(parsed, library: Library, log_batches: Iterable[pl.DataFrame] | None = None,
                 finder: HitFinder | None = None, errors: ErrorLines | None = None) -> pl.DataFrame:
    """All signals of a parsed bundle: logs streamed batch by batch, then events and metrics;
    ``errors`` collects the log lines that look like failures and that no pattern hit."""
    finder = finder or default_finder()
    batches = log_batches if log_batches is not None else prefetch(parsed.iter_log_batches(annotated=False))
    out: list[pl.DataFrame] = []
    plan: Plan | None = None
    before: pl.DataFrame | None = None
    pending: pl.DataFrame | None = None   # the open message of the previous batch
    for b in batches:
        plan = replan(library, plan, b.get_column("text"))
        if pending is not None:
            b = pl.concat([pending, b])
        sig, held = _match_batch(b, plan, parsed.ref_year, finder, before, final=False, errors=errors)
        pending = _detached(b.slice(b.height - held)) if held else None
        before = carry_rows(before, b.slice(0, b.height - held))
        if not sig.is_empty():
            out.append(sig)
        if sum(s.height for s in out) > FOLD_ROWS:  # many objects hit: fold the batches together
            out = [compact(pl.concat(out))]
    if pending is not None:
        out.append(_match_batch(pending, plan, parsed.ref_year, finder, before, final=True, errors=errors)[0])
    plan = plan or plan_for(library)
    out.append(match_frame(event_rows(parsed.tables["events"]), plan, finder))
    out.append(match_frame(metric_rows(parsed.tables["metrics"]), plan, finder))
    out = [o for o in out if not o.is_empty()]
    if not out:
        return empty_signals()
    sig = compact(pl.concat(out))
    return sig.select(list(SIGNAL_SCHEMA)).sort(["pattern_id", "path", "line"], nulls_last=True)
