"""Match the pattern library over the line tables, vectorised -> ``signals``.

Plan (see ``shared/reference/matching-speed.md``): a pattern only runs on lines that contain
one of its literal ``hint`` strings. ``Plan`` (built once per library from a sample of the first
batch, and cached) splits the patterns:

- *rare* patterns, least frequent hints first, while the union of the lines their hints hit
  stays under ``BROAD_SHARE`` of the sample: they share one literal pass over each batch (a
  Rust regex alternation of their hints: Teddy/Aho-Corasick), then one Aho-Corasick
  ``extract_many`` over the few candidate rows says which patterns' hints each row holds, and
  one vectorised ``str.contains`` (a regex per row) confirms those (pattern, row) pairs;
- *broad* patterns (access-log status codes, a component name) each get their own hint pass
  over the batch, then their regex on the rows it keeps.

A line is a hit of a pattern when it is of one of the pattern's sources, contains one of its
hints and its regex matches: the same rule whichever backend finds the hits. With hyperscan
installed (``pip install .[fast]``) ``hyperscan_backend`` finds them over whole-batch buffers
instead, with the same result. Named-group captures are extracted with Python ``regex`` from
the hit rows only. No Python loop runs over lines x patterns.

Memory: log lines are matched batch by batch and never kept. Hits of a broad pattern can be
numerous, so log signals are compacted per (pattern, affected object): the rows the diagnosis
reads (the first ``KEEP_FIRST`` and the last by time, the latest time) stay, and ``weight``
counts the lines each kept row stands for; the sum of ``weight`` over a pattern's log rows is
its line count.

Rows matched:

- ``log``: ``log_lines`` rows from container logs and plain text files (source log/text);
- ``describe``: raw lines of describe output outside its Events section;
- ``events``: one row per event, text ``"<Type> <Reason> <message>"``;
- ``metrics``: one row per sample, text ``name{labels} value``.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from typing import Callable, Iterable

import polars as pl
import regex

from analyzer.library import Library, Pattern
from analyzer.parse.logs import RFC3339, annotate_rows
from analyzer.readahead import prefetch
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
BROAD_SHARE = 0.01  # the shared literal pass keeps at most this share of sampled lines
SAMPLE_ROWS = 10_000
KEEP_FIRST = 4  # = diagnose.findings.MAX_EVIDENCE - 1: the diagnosis shows the first 4 and the last
# capture names that re-attribute a log line to the pod it names (diagnose.findings._attribute)
_REF_GROUPS = frozenset({"pod_ref", "pod_ref2", "pod_ref3", "pod_name", "ns"})
_KEY = ["pattern_id", "source", "namespace", "object_kind", "object_name", "container", "_ref"]
_ORDER = ["time", "path", "line"]
_KTS = (r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))"
        r"(?: (?:stdout|stderr) [FP])? ")


@dataclass(frozen=True)
class Plan:
    """Per-library matching plan: which literals prefilter which patterns."""

    prefilter: str          # one regex: the alternation of every hint literal
    patterns: tuple[Pattern, ...]
    broad: frozenset[str] = frozenset()     # ids of patterns with their own pass
    rare_cs: tuple[str, ...] = ()           # hint literals of the other patterns
    rare_ci: tuple[str, ...] = ()           # ... of those that ignore case
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    # hint literal -> pattern index (``_lit``, ``_p``); ``ci`` literals lower-cased
    lits: dict[tuple[bool, bool], pl.DataFrame] = field(default_factory=dict, compare=False)
    rules: pl.DataFrame | None = field(default=None, compare=False)  # _p, source, _rx

    @classmethod
    def build(cls, library: Library | Iterable[Pattern], sample: pl.Series | None = None) -> "Plan":
        """The plan; with a ``sample`` of lines, patterns with frequent hints are marked broad."""
        patterns = tuple(library)
        cs = sorted({h for p in patterns for h in p.hint if not p.ignore_case})
        ci = sorted({h.lower() for p in patterns for h in p.hint if p.ignore_case})
        parts = [regex.escape(h) for h in cs]
        if ci:
            parts.append("(?i:" + "|".join(regex.escape(h) for h in ci) + ")")
        broad: set[str] = set()
        if sample is not None and sample.len():
            # rare patterns, least frequent hints first, share the literal pass while the union
            # of their candidates stays small; the rest get their own pass
            rows = pl.DataFrame([pl.int_range(0, sample.len(), dtype=pl.UInt32, eager=True).alias("_row"),
                                 sample.alias("text")])
            pairs = _hint_pairs(rows, cls.build(patterns), only_rare=False)
            by_p: dict[int, set[int]] = {}
            for pi, row in pairs.iter_rows():
                by_p.setdefault(pi, set()).add(row)
            union: set[int] = set()
            limit = sample.len() * BROAD_SHARE
            for pi, hit in sorted(by_p.items(), key=lambda kv: (len(kv[1]), kv[0])):
                if len(union | hit) > limit:
                    broad.add(patterns[pi].id)
                else:
                    union |= hit
        rare = [p for p in patterns if p.id not in broad]
        sources = {p.id: tuple(sorted({s for src in p.sources for s in _SOURCE_OF[src]})) for p in patterns}
        lits: dict[tuple[bool, bool], pl.DataFrame] = {}
        for only_rare in (True, False):
            for ci in (False, True):
                pairs = [(h.lower() if ci else h, i) for i, p in enumerate(patterns)
                         if p.ignore_case == ci and (not only_rare or p.id not in broad) for h in p.hint]
                lits[(only_rare, ci)] = pl.DataFrame(pairs, schema={"_lit": pl.Utf8, "_p": pl.UInt32},
                                                     orient="row").unique()
        rules = pl.DataFrame([(i, s, p.regex) for i, p in enumerate(patterns) for s in sources[p.id]],
                             schema={"_p": pl.UInt32, "source": pl.Utf8, "_rx": pl.Utf8}, orient="row")
        return cls(prefilter="|".join(parts) or "(?!)", patterns=patterns, broad=frozenset(broad),
                   rare_cs=tuple(sorted({h for p in rare for h in p.hint if not p.ignore_case})),
                   rare_ci=tuple(sorted({h.lower() for p in rare for h in p.hint if p.ignore_case})),
                   sources=sources, lits=lits, rules=rules)

    def sources_of(self, p: Pattern) -> tuple[str, ...]:
        got = self.sources.get(p.id)
        if got is None:
            got = tuple(sorted({s for src in p.sources for s in _SOURCE_OF[src]}))
        return got


_PLANS: dict[str, Plan] = {}


def plan_for(library: Library, sample: pl.Series | None = None) -> Plan:
    """The library's plan, built on the first sample seen and cached per library fingerprint."""
    key = library.fingerprint() if isinstance(library, Library) else None
    if key is not None and key in _PLANS:
        return _PLANS[key]
    plan = Plan.build(library, sample)
    if key is not None and sample is not None:
        _PLANS[key] = plan
    return plan


def literal_regex(cs: Iterable[str] = (), ci: Iterable[str] = ()) -> str:
    """One Rust regex matching any of the literals (``ci`` ones ASCII-case-insensitively, as
    ``contains_any(ascii_case_insensitive=True)`` does). The regex engine's own literal search
    (Teddy/Aho-Corasick) runs 2-50x faster than ``contains_any`` here."""
    parts = [pl.escape_regex(h) for h in cs]
    ci = list(ci)
    if ci:
        parts.append("(?i-u:" + "|".join(pl.escape_regex(h) for h in ci) + ")")
    return "|".join(parts) or "[^\\s\\S]"


@functools.lru_cache(maxsize=4096)
def _hint_regex(hint: tuple[str, ...], ignore_case: bool) -> str:
    return literal_regex(ci=hint) if ignore_case else literal_regex(cs=hint)


def _hint_mask(text: pl.Series, p: Pattern) -> pl.Series:
    return text.str.contains(_hint_regex(p.hint, p.ignore_case))


# ---------------------------------------------------------------------------------------------
# finding hits: (pattern index, row) pairs

HitFinder = Callable[[pl.DataFrame, Plan], pl.DataFrame]
HITS_SCHEMA = {"_p": pl.UInt32, "_row": pl.UInt32}


def polars_hits(df: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """Every (pattern index, row index) hit of ``df`` (columns source, text), Polars only."""
    text = df.get_column("text")
    rows = pl.DataFrame([pl.int_range(0, df.height, dtype=pl.UInt32, eager=True).alias("_row"), text,
                         df.get_column("source")])
    out: list[pl.DataFrame] = []
    if plan.rare_cs or plan.rare_ci:
        cand = rows.filter(text.str.contains(literal_regex(plan.rare_cs, plan.rare_ci)))
        if cand.height:
            out.append(_apply_rule(_hint_pairs(cand, plan, only_rare=True), cand, plan))
    for i, p in enumerate(plan.patterns):
        if p.id not in plan.broad:
            continue
        sub = rows.filter(_hint_mask(text, p))
        if sub.height:
            pairs = sub.select(pl.lit(i, dtype=pl.UInt32).alias("_p"), "_row")
            out.append(_apply_rule(pairs, sub, plan))
    out = [o for o in out if not o.is_empty()]
    return pl.concat(out) if out else pl.DataFrame(schema=HITS_SCHEMA)


def _hint_pairs(cand: pl.DataFrame, plan: Plan, only_rare: bool) -> pl.DataFrame:
    """(pattern, row) pairs where the row holds one of the pattern's hint literals: one
    Aho-Corasick pass per case mode over the candidate rows, then a join on the literal."""
    out = []
    for ci in (False, True):
        lits = plan.lits[(only_rare, ci)]
        if lits.is_empty():
            continue
        found = cand.select("_row", pl.col("text").str.extract_many(
            lits.get_column("_lit").unique().to_list(), ascii_case_insensitive=ci, overlapping=True).alias("_lit"))
        found = found.explode("_lit").drop_nulls("_lit")
        if ci:
            found = found.with_columns(pl.col("_lit").str.to_lowercase())
        out.append(found.unique().join(lits, on="_lit").select("_p", "_row"))
    return pl.concat(out).unique() if out else pl.DataFrame(schema=HITS_SCHEMA)


def _apply_rule(pairs: pl.DataFrame, rows: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """The (pattern, row) pairs whose row is of one of the pattern's sources and matches its
    regex (one vectorised ``str.contains`` with a regex per row: Polars caches each regex)."""
    if pairs.is_empty():
        return pairs
    got = pairs.join(rows, on="_row").join(plan.rules, on=["_p", "source"])
    return got.filter(pl.col("text").str.contains(pl.col("_rx"))).select("_p", "_row")


def confirm_hits(df: pl.DataFrame, plan: Plan, hits: pl.DataFrame) -> pl.DataFrame:
    """Keep the (pattern, row) pairs that satisfy the hit rule (for backends that over-report)."""
    if hits.is_empty():
        return hits
    rows = df.select(pl.int_range(0, df.height, dtype=pl.UInt32).alias("_row"), "text", "source")
    cand = rows.join(hits.select("_row").unique(), on="_row", how="semi")
    pairs = hits.join(_hint_pairs(cand, plan, only_rare=False), on=["_p", "_row"], how="semi")
    return _apply_rule(pairs, cand, plan)


def _confirm(cand: pl.DataFrame, plan: Plan, which: list[int], present: set) -> list[pl.DataFrame]:
    """The hit rule for each pattern of ``which`` over all rows of ``cand`` (_row, text, source)."""
    out = []
    for i in which:
        p = plan.patterns[i]
        srcs = [s for s in plan.sources_of(p) if s in present]
        if not srcs:
            continue
        sub = cand.filter(pl.col("source").is_in(srcs) & _hint_mask(cand.get_column("text"), p))
        if sub.height:
            sub = sub.filter(pl.col("text").str.contains(p.regex))
        if sub.height:
            out.append(sub.select(pl.lit(i, dtype=pl.UInt32).alias("_p"), "_row"))
    return out


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
    acc = _accelerator()
    return acc.find_hits if acc is not None else polars_hits


# ---------------------------------------------------------------------------------------------
# signals


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


def _with_captures(sig: pl.DataFrame, plan: Plan) -> pl.DataFrame:
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


def _hit_rows(df: pl.DataFrame, plan: Plan, hits: pl.DataFrame) -> pl.DataFrame:
    """The LINE_COLUMNS rows of each hit, with pattern_id, empty captures and a ``_ref`` key."""
    ids = pl.Series("pattern_id", [p.id for p in plan.patterns], dtype=pl.Utf8)
    rows = df.select(list(LINE_COLUMNS)).with_row_index("_row")
    hits = hits.sort("_p", "_row")
    out = hits.join(rows, on="_row", how="left", maintain_order="left").with_columns(
        ids.gather(hits.get_column("_p")).alias("pattern_id"),
        pl.lit(None, dtype=pl.Utf8).alias("captures"), pl.lit(None, dtype=pl.Int64).alias("span_start"),
        pl.lit(None, dtype=pl.Int64).alias("span_end"))
    return out.drop("_p", "_row")


def _finish(sig: pl.DataFrame) -> pl.DataFrame:
    return sig.with_columns(pl.col("text").str.slice(0, MAX_TEXT)).select(
        [pl.col(c).cast(t) for c, t in SIGNAL_SCHEMA.items()])


def match_frame(df: pl.DataFrame, plan: Plan, finder: HitFinder | None = None) -> pl.DataFrame:
    """Signals of every pattern over one frame with the LINE_COLUMNS (one row per hit)."""
    if df.is_empty() or not plan.patterns:
        return empty_signals()
    hits = (finder or polars_hits)(df, plan)
    if hits.is_empty():
        return empty_signals()
    sig = _with_captures(_hit_rows(df, plan, hits), plan)
    return _finish(sig)


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


# ---------------------------------------------------------------------------------------------
# log batches: hits -> cheap time -> compaction -> captures and annotation of the kept rows


def _ref_patterns(plan: Plan) -> list[str]:
    return [p.id for p in plan.patterns if set(p.group_names) & _REF_GROUPS]


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


def _cheap_time(sig: pl.DataFrame) -> pl.DataFrame:
    """Time of hit rows from their ``kubectl logs --timestamps``/CRI prefix (what ``annotate``
    gives such rows); rows without one keep a null time for the full annotation."""
    kts = pl.col("text").str.extract(_KTS, 1).str.to_datetime(RFC3339, strict=False, time_unit="us").cast(TIME)
    return sig.with_columns(pl.coalesce("time", kts).alias("time"))


def _annotate(sig: pl.DataFrame, batch: pl.DataFrame, ref_year: int | None, all_rows: bool) -> pl.DataFrame:
    """Time and record_line of signal rows from the raw batch (``annotate_rows``)."""
    cond = pl.col("record_line").is_null() if all_rows else pl.col("time").is_null()
    need = sig.filter(cond).select("path", "line").unique()
    if need.is_empty():
        return sig
    ann = annotate_rows(batch, need, ref_year)
    return sig.join(ann, on=["path", "line"], how="left", suffix="_a", nulls_equal=True,
                    maintain_order="left").with_columns(
        pl.coalesce("time", "time_a").alias("time"),
        pl.coalesce("record_line", "record_line_a").alias("record_line"),
    ).select(sig.columns)


def match_log_batch(batch: pl.DataFrame, plan: Plan, ref_year: int | None,
                    finder: HitFinder | None = None) -> pl.DataFrame:
    """Signals of one raw ``log_lines`` batch, compacted; time, level and record of kept rows."""
    rows = log_rows(batch)
    if rows.is_empty() or not plan.patterns:
        return empty_signals()
    hits = (finder or polars_hits)(rows, plan)
    if hits.is_empty():
        return empty_signals()
    sig = _hit_rows(rows, plan, hits)
    refs = _ref_patterns(plan)
    if refs:
        is_ref = pl.col("pattern_id").is_in(refs)
        sig = pl.concat([_with_captures(sig.filter(is_ref), plan), sig.filter(~is_ref)])
    sig = _annotate(_cheap_time(sig), batch, ref_year, all_rows=False)
    sig = compact(sig, refs)
    sig = _annotate(sig, batch, ref_year, all_rows=True)
    sig = _finish(_with_captures(sig, plan))
    # Polars strings are views into the batch's buffers: copy the kept texts out, or every
    # signal would keep its whole batch alive and memory would grow with the bundle
    return sig.with_columns(pl.Series("text", sig.get_column("text").to_list(), dtype=pl.Utf8))


def match_parsed(parsed, library: Library, log_batches: Iterable[pl.DataFrame] | None = None,
                 finder: HitFinder | None = None) -> pl.DataFrame:
    """All signals of a parsed bundle: logs streamed batch by batch, then events and metrics."""
    finder = finder or default_finder()
    batches = log_batches if log_batches is not None else prefetch(parsed.iter_log_batches(annotated=False))
    out: list[pl.DataFrame] = []
    plan: Plan | None = None
    for b in batches:
        if plan is None:
            plan = plan_for(library, b.get_column("text").gather_every(max(1, b.height // SAMPLE_ROWS)))
        sig = match_log_batch(b, plan, parsed.ref_year, finder)
        if not sig.is_empty():
            out.append(sig)
        if sum(s.height for s in out) > 200_000:  # many objects hit: fold the batches together
            out = [compact(pl.concat(out), _ref_patterns(plan))]
    plan = plan or plan_for(library)
    out.append(match_frame(event_rows(parsed.tables["events"]), plan, finder))
    out.append(match_frame(metric_rows(parsed.tables["metrics"]), plan, finder))
    out = [o for o in out if not o.is_empty()]
    if not out:
        return empty_signals()
    sig = compact(pl.concat(out), _ref_patterns(plan))
    return sig.select(list(SIGNAL_SCHEMA)).sort(["pattern_id", "path", "line"], nulls_last=True)
