"""The matching plan: which literals prefilter which patterns, on which sources.

A pattern only runs on lines that contain one of its prefilter literals: its ``hint`` strings,
or, when the sample holds them less often, one of the sets of literals its regex requires
(``analyzer.match.literals``: ``Dynamo`` is in most lines of a Dynamo deployment, ``no matches
for kind "`` in few). ``Plan`` (built from a sample of the first batch, cached per library, and
made again on a later batch whose lines its shared pass would keep too many of: ``replan``)
chooses those literals and splits the patterns:

- *rare* patterns, least frequent literals first, while the union of the lines their literals
  hit stays under ``BROAD_SHARE`` of the sample: they share one literal pass over each batch;
- *broad* patterns (access-log status codes, a component name) each get their own pass.

The choice and the split change only the speed, never the hits (``analyzer.match.hits``
applies one rule)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Iterable

import polars as pl
import regex

from analyzer.library import Library, Pattern
from analyzer.match.literals import candidates_all, prefilter_literals, score

# a pattern's ``sources`` -> the ``source`` values of the rows it runs on
SOURCE_OF = {"log": ("log", "text"), "text": ("text",), "describe": ("describe",),
             "events": ("events",), "metrics": ("metrics",), "objects": ("objects",)}
BROAD_SHARE = 0.01  # the shared literal pass keeps at most this share of sampled lines
SAMPLE_ROWS = 10_000


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
    # _p, source, _rx (the regex), _hx (its hints as one literal regex)
    rules: pl.DataFrame | None = field(default=None, compare=False)
    # the literals each pattern (by index) is prefiltered on: its hints or a required set
    # of its regex, whichever the sample holds least (``analyzer.match.literals``)
    literals: tuple[tuple[str, ...], ...] = field(default=(), compare=False)

    @classmethod
    def build(cls, library: Library | Iterable[Pattern], sample: pl.Series | None = None,
              broad_ids: Iterable[str] = (), literals: tuple[tuple[str, ...], ...] | None = None) -> "Plan":
        """The plan; with a ``sample`` of lines, each pattern's literals are the set of its
        ``candidates`` the sample holds least, and patterns with frequent literals are marked
        broad (besides those of ``broad_ids``, found broad on other lines)."""
        patterns = tuple(library)
        chosen = literals if literals is not None else _choose(patterns, sample)
        cs = sorted({h for p, c in zip(patterns, chosen) for h in c if not p.ignore_case})
        ci = sorted({h.lower() for p, c in zip(patterns, chosen) for h in c if p.ignore_case})
        parts = [regex.escape(h) for h in cs]
        if ci:
            parts.append("(?i:" + "|".join(regex.escape(h) for h in ci) + ")")
        broad: set[str] = set(broad_ids) & {p.id for p in patterns}
        if sample is not None and sample.len():
            # rare patterns, least frequent hints first, share the literal pass while the union
            # of their candidates stays small; the rest get their own pass
            rows = pl.DataFrame([pl.int_range(0, sample.len(), dtype=pl.UInt32, eager=True).alias("_row"),
                                 sample.alias("text")])
            pairs = hint_pairs(rows, cls.build(patterns, literals=chosen), only_rare=False)
            by_p: dict[int, set[int]] = {}
            for pi, row in pairs.iter_rows():
                by_p.setdefault(pi, set()).add(row)
            union: set[int] = set()
            limit = sample.len() * BROAD_SHARE
            for pi, hit in sorted(by_p.items(), key=lambda kv: (len(kv[1]), kv[0])):
                if patterns[pi].id in broad:
                    continue
                if len(union | hit) > limit:
                    broad.add(patterns[pi].id)
                else:
                    union |= hit
        sources = {p.id: tuple(sorted({s for src in p.sources for s in SOURCE_OF[src]})) for p in patterns}
        lits: dict[tuple[bool, bool], pl.DataFrame] = {}
        for only_rare in (True, False):
            for ci in (False, True):
                pairs = [(h.lower() if ci else h, i) for i, p in enumerate(patterns)
                         if p.ignore_case == ci and (not only_rare or p.id not in broad) for h in chosen[i]]
                lits[(only_rare, ci)] = pl.DataFrame(pairs, schema={"_lit": pl.Utf8, "_p": pl.UInt32},
                                                     orient="row").unique()
        rules = pl.DataFrame([(i, s, p.regex, _hint_regex(p.hint, p.ignore_case))
                              for i, p in enumerate(patterns) for s in sources[p.id]],
                             schema={"_p": pl.UInt32, "source": pl.Utf8, "_rx": pl.Utf8, "_hx": pl.Utf8},
                             orient="row")
        return cls(prefilter="|".join(parts) or "(?!)", patterns=patterns, broad=frozenset(broad),
                   rare_cs=tuple(sorted({h for p, c in zip(patterns, chosen) if p.id not in broad
                                         for h in c if not p.ignore_case})),
                   rare_ci=tuple(sorted({h.lower() for p, c in zip(patterns, chosen) if p.id not in broad
                                         for h in c if p.ignore_case})),
                   sources=sources, lits=lits, rules=rules, literals=chosen)

    def literals_of(self, i: int) -> tuple[str, ...]:
        """The literals pattern ``i`` of the plan is prefiltered on."""
        return self.literals[i] if self.literals else prefilter_literals(self.patterns[i])

    def sources_of(self, p: Pattern) -> tuple[str, ...]:
        """The ``source`` values of the rows ``p`` runs on."""
        got = self.sources.get(p.id)
        if got is None:
            got = tuple(sorted({s for src in p.sources for s in SOURCE_OF[src]}))
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


def literal_mask(text: pl.Series, cs: Iterable[str] = (), ci: Iterable[str] = ()) -> pl.Series:
    """True on the rows of ``text`` that hold one of the literals (``literal_regex``'s rule).
    One pass per case mode: a single regex of both kinds defeats the engine's literal search
    (3-4x slower with a few hundred literals)."""
    cs, ci = tuple(cs), tuple(ci)
    if cs and ci:
        return text.str.contains(literal_regex(cs=cs)) | text.str.contains(literal_regex(ci=ci))
    return text.str.contains(literal_regex(cs, ci))


@functools.lru_cache(maxsize=4096)
def _hint_regex(hint: tuple[str, ...], ignore_case: bool) -> str:
    return literal_regex(ci=hint) if ignore_case else literal_regex(cs=hint)


def hint_mask(text: pl.Series, plan: Plan, i: int, own: bool = False) -> pl.Series:
    """True on the rows of ``text`` that hold one of the prefilter literals of the plan's
    pattern ``i`` (with ``own``, one of its hints)."""
    p = plan.patterns[i]
    return text.str.contains(_hint_regex(tuple(p.hint) if own else plan.literals_of(i), p.ignore_case))


def _choose(patterns: tuple[Pattern, ...], sample: pl.Series | None) -> tuple[tuple[str, ...], ...]:
    """Each pattern's prefilter literals: of its ``candidates`` (hints, required sets of its
    regex), the set fewest lines of ``sample`` hold (ties: the longest);
    without a sample the longest (``prefilter_literals``)."""
    cands = candidates_all(patterns)
    if sample is None or not sample.len() or not any(len(c) > 1 for c in cands):
        return tuple(prefilter_literals(p, c) for p, c in zip(patterns, cands))
    rows = pl.DataFrame([pl.int_range(0, sample.len(), dtype=pl.UInt32, eager=True).alias("_row"),
                         sample.alias("text")])
    counts: dict[tuple[int, int], int] = {}
    for ci in (False, True):
        keys = [(lit, i, k) for i, (p, cs) in enumerate(zip(patterns, cands)) if p.ignore_case == ci and len(cs) > 1
                for k, c in enumerate(cs) for lit in c]
        if not keys:
            continue
        lits = pl.DataFrame(keys, schema={"_lit": pl.Utf8, "_i": pl.UInt32, "_k": pl.UInt32}, orient="row")
        found = rows.select("_row", pl.col("text").str.extract_many(
            lits.get_column("_lit").unique().to_list(), ascii_case_insensitive=ci, overlapping=True).alias("_lit"))
        found = found.explode("_lit").drop_nulls("_lit")
        if ci:
            found = found.with_columns(pl.col("_lit").str.to_lowercase())
        got = (found.unique().join(lits, on="_lit").group_by("_i", "_k").agg(pl.col("_row").n_unique().alias("_n")))
        counts.update({(i, k): n for i, k, n in got.iter_rows()})
    out = []
    for i, cs in enumerate(cands):
        if len(cs) == 1:
            out.append(cs[0])
        else:
            out.append(min(cs, key=lambda c, i=i, cs=cs: (counts.get((i, cs.index(c)), 0), [-x for x in score(c)])))
    return tuple(out)


HITS_SCHEMA = {"_p": pl.UInt32, "_row": pl.UInt32}


def hint_pairs(cand: pl.DataFrame, plan: Plan, only_rare: bool) -> pl.DataFrame:
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


def replan(library: Library, plan: Plan | None, text: pl.Series) -> Plan:
    """The plan for a batch of lines ``text``: ``plan`` (the one so far) unless the shared literal
    pass would keep more than twice ``BROAD_SHARE`` of a sample of these lines, which happens
    when the lines differ from those the plan was made on (other files, other programs); then a
    plan made on this sample, with the patterns found broad so far kept broad."""
    sample = text.gather_every(max(1, text.len() // SAMPLE_ROWS))
    if plan is None:
        return plan_for(library, sample)
    check = sample.gather_every(CHECK_EVERY)
    if not (plan.rare_cs or plan.rare_ci) or not check.len():
        return plan
    kept = int(literal_mask(check, plan.rare_cs, plan.rare_ci).sum())
    if kept <= 2 * BROAD_SHARE * check.len():
        return plan
    return Plan.build(library, sample, broad_ids=plan.broad)


CHECK_EVERY = 5  # the staleness check of ``replan`` reads every 5th sampled line
