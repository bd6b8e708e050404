"""The whole library over every pattern's examples: the matcher (plan, literal passes, Rust regex)
finds exactly the (pattern, line) pairs that Python ``regex`` and the hints give, on each source
the pattern reads, and the captures are the examples' captures."""

from __future__ import annotations

import json

import polars as pl
import pytest

from analyzer.library import load_library
from analyzer.match import Plan, match_frame, polars_hits
from matchdata import ROW_SOURCES, frame, hit_set, oracle_hits

try:  # the optional accelerator must agree as well when it is installed (``.[fast]``)
    from analyzer.match import hyperscan_backend
except ImportError:  # pragma: no cover - hyperscan itself is optional, the module is not
    hyperscan_backend = None


def _shared_pass_hits(df: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """``polars_hits`` with the rare case-insensitive literals searched only on the rows the pass
    shared with errors no pattern knows kept (as ``_match_batch`` runs it)."""
    from analyzer.match import _shared_regex

    maybe = df.get_column("text").str.contains(_shared_regex(plan.rare_ci)) if plan.rare_ci else None
    return polars_hits(df, plan, maybe)


FINDERS = {"polars": polars_hits, "polars-shared-pass": _shared_pass_hits}
if hyperscan_backend is not None and hyperscan_backend.available():
    FINDERS["hyperscan"] = hyperscan_backend.find_hits
LIBRARY = load_library()
PATTERNS = list(LIBRARY)
LINES = sorted({ex["line"] for p in PATTERNS for ex in p.examples_match}
               | {line for p in PATTERNS for line in p.examples_no_match})
SOURCES = ("log", "text", "describe", "events", "metrics")


@pytest.fixture(scope="module")
def rows() -> list[tuple[str, str]]:
    return [(s, t) for t in LINES for s in SOURCES]


@pytest.fixture(scope="module")
def oracle(rows) -> set[tuple[int, int]]:
    return oracle_hits(rows, PATTERNS)


@pytest.mark.parametrize("finder", sorted(FINDERS))
@pytest.mark.parametrize("sample", ["no-sample", "examples-sample"])
def test_matcher_agrees_with_python_regex_on_every_example(rows, oracle, sample: str, finder: str) -> None:
    # sampling the examples themselves marks the patterns with common hints broad
    plan = Plan.build(PATTERNS, pl.Series(LINES) if sample == "examples-sample" else None)
    if sample == "examples-sample":
        assert plan.broad
    got = hit_set(FINDERS[finder](frame(rows), plan))
    missed = sorted((PATTERNS[i].id, rows[r]) for i, r in oracle - got)
    extra = sorted((PATTERNS[i].id, rows[r]) for i, r in got - oracle)
    assert not missed and not extra, (missed[:5], extra[:5])


def test_every_match_example_hits_on_each_source_of_its_pattern(rows, oracle) -> None:
    where = {row: r for r, row in enumerate(rows)}
    index = {p.id: i for i, p in enumerate(PATTERNS)}
    for p in PATTERNS:
        for ex in p.examples_match:
            for s in sorted({s for src in p.sources for s in ROW_SOURCES[src]} & set(SOURCES)):
                assert (index[p.id], where[(s, ex["line"])]) in oracle, (p.id, s, ex["line"][:80])
        for line in p.examples_no_match:
            assert not any((index[p.id], where[(s, line)]) in oracle for s in SOURCES), (p.id, line[:80])


def test_captures_of_signals_are_the_examples_captures() -> None:
    plan = Plan.build(PATTERNS)
    lines = [(p, ex) for p in PATTERNS for ex in p.examples_match if ex["captures"]]
    assert lines
    df = pl.DataFrame({
        "source": [sorted({s for src in p.sources for s in ROW_SOURCES[src]} & set(SOURCES))[0] for p, _ in lines],
        "path": [f"ex/{p.id}" for p, _ in lines], "line": list(range(1, len(lines) + 1)),
        "record_line": [None] * len(lines), "time": [None] * len(lines), "namespace": [None] * len(lines),
        "pod": [None] * len(lines), "container": [None] * len(lines), "previous": [False] * len(lines),
        "object_kind": [None] * len(lines), "object_name": [None] * len(lines), "weight": [1] * len(lines),
        "text": [ex["line"] for _, ex in lines]},
        schema_overrides={"line": pl.UInt32, "record_line": pl.UInt32, "time": pl.Datetime("us", "UTC"),
                          "namespace": pl.Utf8, "pod": pl.Utf8, "container": pl.Utf8,
                          "object_kind": pl.Utf8, "object_name": pl.Utf8, "weight": pl.Int64})
    sig = match_frame(df, plan)
    got = {(r["pattern_id"], r["line"]): json.loads(r["captures"]) for r in sig.iter_rows(named=True)}
    for n, (p, ex) in enumerate(lines, start=1):
        caps = got[(p.id, n)]
        for k, v in ex["captures"].items():
            assert str(caps.get(k)) == str(v), (p.id, k, ex["line"][:80])
    # each hit row carries the span Python regex gives
    for r in sig.iter_rows(named=True):
        m = LIBRARY.by_id[r["pattern_id"]].compiled.search(r["text"])
        assert (r["span_start"], r["span_end"]) == (m.start(), m.end())
