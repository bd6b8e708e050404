"""Finding hits: the (pattern index, row index) pairs of a frame of rows (columns source, text).

A row is a hit of a pattern when it is of one of the pattern's sources, contains one of its
hints and its regex matches: the same rule whichever backend finds the hits. Rows are found by
each pattern's prefilter literals (``Plan.literals``: its hints, or a set of literals its regex
requires when the batch holds those less often; ``analyzer.match.literals``), which any match
holds, so the choice changes the speed only. ``polars_hits`` runs one literal pass per case
mode (a Rust regex alternation of the rare patterns' literals: Teddy/Aho-Corasick) over the
batch, one Aho-Corasick ``extract_many`` over the few candidate rows to say which patterns'
literals each row holds, and one vectorised ``str.contains`` (a regex per row) to confirm those
pairs; each broad pattern gets its own literal pass, then its regex on the rows it keeps. No
Python loop runs over lines x patterns."""

from __future__ import annotations

from typing import Callable

import polars as pl

from analyzer.match.plan import HITS_SCHEMA, Plan, hint_mask, hint_pairs, literal_mask

HitFinder = Callable[[pl.DataFrame, Plan], pl.DataFrame]


def polars_hits(df: pl.DataFrame, plan: Plan, ci_superset: pl.Series | None = None) -> pl.DataFrame:
    """Every (pattern index, row index) hit of ``df`` (columns source, text), Polars only.
    ``ci_superset`` (one boolean per row), when given, is True on every row holding one of the
    plan's rare case-insensitive literals (``rare_superset``): they are searched on those rows
    only."""
    text = df.get_column("text")
    rows = pl.DataFrame([pl.int_range(0, df.height, dtype=pl.UInt32, eager=True).alias("_row"), text,
                         df.get_column("source")])
    out: list[pl.DataFrame] = []
    if plan.rare_cs or plan.rare_ci:
        if ci_superset is not None and plan.rare_ci:
            mask = literal_mask(text, plan.rare_cs) if plan.rare_cs else pl.repeat(False, df.height, eager=True)
            at = ci_superset.arg_true()
            mask = mask | mask.clear().extend_constant(False, df.height).scatter(
                at, literal_mask(text.gather(at), ci=plan.rare_ci))
        else:
            mask = literal_mask(text, plan.rare_cs, plan.rare_ci)
        cand = rows.filter(mask)
        if cand.height:
            out.append(_apply_rule(hint_pairs(cand, plan, only_rare=True), cand, plan))
    broad = [i for i, p in enumerate(plan.patterns) if p.id in plan.broad]
    if len(broad) > 1:
        # one pass for all broad patterns' literals, then each pattern's own pass over the rows
        # it kept (a few percent of the batch) instead of over the whole batch
        ps = [plan.patterns[i] for i in broad]
        rows = rows.filter(literal_mask(text, [h for i, p in zip(broad, ps) if not p.ignore_case
                                               for h in plan.literals_of(i)],
                                        [h for i, p in zip(broad, ps) if p.ignore_case for h in plan.literals_of(i)]))
        text = rows.get_column("text")
    for i in broad:
        sub = rows.filter(hint_mask(text, plan, i))
        if sub.height:
            pairs = sub.select(pl.lit(i, dtype=pl.UInt32).alias("_p"), "_row")
            out.append(_apply_rule(pairs, sub, plan))
    out = [o for o in out if not o.is_empty()]
    return pl.concat(out) if out else pl.DataFrame(schema=HITS_SCHEMA)


def _apply_rule(pairs: pl.DataFrame, rows: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """The (pattern, row) pairs whose row is of one of the pattern's sources and matches its
    regex (one vectorised ``str.contains`` with a regex per row)."""
    if pairs.is_empty():
        return pairs
    # rows of one pattern together: Polars compiles a row's regex again whenever it differs
    # from the previous row's (8x slower over pairs of ~170 patterns in join order)
    got = pairs.join(rows, on="_row").join(plan.rules, on=["_p", "source"]).sort("_p", "_row")
    got = got.filter(pl.col("text").str.contains(pl.col("_rx")))
    # the pairs were found by the pattern's prefilter literals, which may be required literals
    # of its regex instead of its hints: the hint is part of the rule all the same
    return got.filter(pl.col("text").str.contains(pl.col("_hx"))).select("_p", "_row")


def confirm_hits(df: pl.DataFrame, plan: Plan, hits: pl.DataFrame) -> pl.DataFrame:
    """Keep the (pattern, row) pairs that satisfy the hit rule (for backends that over-report)."""
    if hits.is_empty():
        return hits
    rows = df.select(pl.int_range(0, df.height, dtype=pl.UInt32).alias("_row"), "text", "source")
    cand = rows.join(hits.select("_row").unique(), on="_row", how="semi")
    pairs = hits.join(hint_pairs(cand, plan, only_rare=False), on=["_p", "_row"], how="semi")
    return _apply_rule(pairs, cand, plan)


def confirm_each(cand: pl.DataFrame, plan: Plan, which: list[int], present: set) -> list[pl.DataFrame]:
    """The hit rule for each pattern of ``which`` over all rows of ``cand`` (_row, text, source);
    ``present`` is the set of sources the rows hold."""
    out = []
    for i in which:
        p = plan.patterns[i]
        srcs = [s for s in plan.sources_of(p) if s in present]
        if not srcs:
            continue
        sub = cand.filter(pl.col("source").is_in(srcs) & hint_mask(cand.get_column("text"), plan, i))
        if sub.height:
            sub = sub.filter(pl.col("text").str.contains(p.regex))
        if sub.height and plan.literals_of(i) != p.hint:
            sub = sub.filter(hint_mask(sub.get_column("text"), plan, i, own=True))
        if sub.height:
            out.append(sub.select(pl.lit(i, dtype=pl.UInt32).alias("_p"), "_row"))
    return out
