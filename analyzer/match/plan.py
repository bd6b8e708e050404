"""The matching plan: which hint literals prefilter which patterns, on which sources.

A pattern only runs on lines that contain one of its literal ``hint`` strings. ``Plan`` (built
from a sample of the first batch, cached per library, and made again on a later batch whose
lines its shared pass would keep too many of: ``replan``) splits the patterns:

- *rare* patterns, least frequent hints first, while the union of the lines their hints hit
  stays under ``BROAD_SHARE`` of the sample: they share one literal pass over each batch;
- *broad* patterns (access-log status codes, a component name) each get their own hint pass.

The split changes only the speed, never the hits (``analyzer.match.hits`` applies one rule).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Iterable

import polars as pl
import regex

from analyzer.library import Library, Pattern

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
    rules: pl.DataFrame | None = field(default=None, compare=False)  # _p, source, _rx

    @classmethod
    def build(cls, library: Library | Iterable[Pattern], sample: pl.Series | None = None,
              broad_ids: Iterable[str] = ()) -> "Plan":
        """The plan; with a ``sample`` of lines, patterns with frequent hints are marked broad
        (besides those of ``broad_ids``, found broad on other lines)."""
        patterns = tuple(library)
        cs = sorted({h for p in patterns for h in p.hint if not p.ignore_case})
        ci = sorted({h.lower() for p in patterns for h in p.hint if p.ignore_case})
        parts = [regex.escape(h) for h in cs]
        if ci:
            parts.append("(?i:" + "|".join(regex.escape(h) for h in ci) + ")")
        broad: set[str] = set(broad_ids) & {p.id for p in patterns}
        if sample is not None and sample.len():
            # rare patterns, least frequent hints first, share the literal pass while the union
            # of their candidates stays small; the rest get their own pass
            rows = pl.DataFrame([pl.int_range(0, sample.len(), dtype=pl.UInt32, eager=True).alias("_row"),
                                 sample.alias("text")])
            pairs = hint_pairs(rows, cls.build(patterns), only_rare=False)
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
        rare = [p for p in patterns if p.id not in broad]
        sources = {p.id: tuple(sorted({s for src in p.sources for s in SOURCE_OF[src]})) for p in patterns}
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


@functools.lru_cache(maxsize=4096)
def _hint_regex(hint: tuple[str, ...], ignore_case: bool) -> str:
    return literal_regex(ci=hint) if ignore_case else literal_regex(cs=hint)


def hint_mask(text: pl.Series, p: Pattern) -> pl.Series:
    """True on the rows of ``text`` that hold one of ``p``'s hint literals."""
    return text.str.contains(_hint_regex(p.hint, p.ignore_case))


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
    kept = int(check.str.contains(literal_regex(plan.rare_cs, plan.rare_ci)).sum())
    if kept <= 2 * BROAD_SHARE * check.len():
        return plan
    return Plan.build(library, sample, broad_ids=plan.broad)


CHECK_EVERY = 5  # the staleness check of ``replan`` reads every 5th sampled line
