"""The matching plan: hint literals decide which regexes run on which rows, sources filter rows,
and the rare/broad split changes only the speed: every plan gives the hits of the plain rule."""

from __future__ import annotations

import polars as pl
import pytest

from analyzer.match import BROAD_SHARE, Plan, literal_regex, polars_hits
from analyzer.match.hits import confirm_hits
from matchdata import frame, hit_set, oracle_hits, pattern

PATTERNS = [
    pattern("T01", r"CUDA error: out of memory", ("CUDA error",)),
    pattern("T02", r"error: out of memory \(code (?P<code>\d+)\)", ("error: out of memory",)),
    pattern("T03", r"(?i)connection refused", ("connection refused",)),
    pattern("T04", r'" (?P<status>5\d\d) ', ('" 5',), sources=("log",)),
    pattern("T05", r"Insufficient nvidia\.com/gpu", ("Insufficient nvidia.com/gpu",), sources=("events", "describe")),
    pattern("T06", r"ECC errors? detected", ("ECC error",), sources=("text",)),
    pattern("T07", r"Error", ("Error", "ErrorX"), sources=("log",)),
    pattern("T08", r"DCGM_FI_DEV_XID_ERRORS\{[^}]*\} [1-9]", ("DCGM_FI_DEV_XID_ERRORS",), sources=("metrics",)),
]

LINES = [
    "CUDA error: out of memory (code 2)",            # T01, T02 (hints overlap in the line), T07
    "RuntimeError: CUDA error: out of memory",      # T01, T07
    "cuda ERROR: OUT OF MEMORY",                     # no hint in its case: nothing
    "dial tcp 10.0.0.1:2379: Connection Refused",    # T03 (case-insensitive hint and regex)
    "CONNECTION REFUSED by peer",                    # T03
    '10.0.0.9 - - "GET /v1/models HTTP/1.1" 503 12',  # T04
    '10.0.0.9 - - "GET /v1/models HTTP/1.1" 200 12',  # hint '" 5' absent: nothing
    "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",  # T05 on events/describe only
    "NVRM: Xid (PCI:0000:3b:00): 48, ECC errors detected",      # T06 on text only
    "ErrorX happened",                                # T07 (hint that is a prefix of another)
    'DCGM_FI_DEV_XID_ERRORS{gpu="0"} 79',            # T08 on metrics only
    "the regex of T02 without its hint: error: out of memory (code 7)",  # T02, hint in the line
    "out of memory (code 7)",                         # no hint: nothing
]
SOURCES = ("log", "text", "describe", "events", "metrics")
ROWS = [(s, t) for t in LINES for s in SOURCES]


def test_hits_follow_the_rule_hint_source_and_regex() -> None:
    got = hit_set(polars_hits(frame(ROWS), Plan.build(PATTERNS)))
    assert got == oracle_hits(ROWS, PATTERNS)
    assert got  # and the rows above do hit
    by_pattern = {PATTERNS[i].id: {ROWS[r] for i2, r in got if i2 == i} for i in range(len(PATTERNS))}
    # overlapping hint literals in one line: both patterns run
    assert ("log", LINES[0]) in by_pattern["T01"] and ("log", LINES[0]) in by_pattern["T02"]
    # case: a case-sensitive hint in another case does not let the regex run
    assert not any(t == LINES[2] for _, t in by_pattern["T01"] | by_pattern["T02"])
    # ignore-case patterns compare hints case-insensitively
    assert {t for _, t in by_pattern["T03"]} == {LINES[3], LINES[4]}
    # sources: log covers log and text rows; text only text; events/describe/metrics their own
    assert {s for s, _ in by_pattern["T04"]} == {"log", "text"}
    assert {s for s, _ in by_pattern["T05"]} == {"events", "describe"}
    assert {s for s, _ in by_pattern["T06"]} == {"text"}
    assert {s for s, _ in by_pattern["T08"]} == {"metrics"}


def test_a_regex_match_without_its_hint_is_not_a_hit() -> None:
    p = pattern("T09", r"out of memory", ("CUDA",))
    rows = [("log", "out of memory"), ("log", "CUDA out of memory")]
    assert hit_set(polars_hits(frame(rows), Plan.build([p]))) == {(0, 1)}


def test_broad_split_follows_the_sample() -> None:
    # '" 5' is on every sampled line: T04 gets its own pass; the others share the literal pass
    sample = pl.Series([f'1.2.3.4 - - "GET / HTTP/1.1" 50{i % 4} 1' for i in range(1000)])
    plan = Plan.build(PATTERNS, sample)
    assert plan.broad == frozenset({"T04"})
    assert '" 5' not in plan.rare_cs
    # the other patterns' prefilter literals (hints, or longer literals their regexes require)
    # are those of the shared pass
    rare = {(p.ignore_case, h) for i, p in enumerate(plan.patterns) if p.id != "T04" for h in plan.literals_of(i)}
    assert rare == {(False, h) for h in plan.rare_cs} | {(True, h) for h in plan.rare_ci}
    assert any("CUDA error" in h for h in plan.rare_cs) and "connection refused" in plan.rare_ci
    # without a sample every pattern is rare
    assert Plan.build(PATTERNS).broad == frozenset()


def test_patterns_whose_hints_the_sample_lacks_stay_rare() -> None:
    sample = pl.Series(["nothing to see"] * 500)
    assert Plan.build(PATTERNS, sample).broad == frozenset()


def test_least_frequent_hints_share_the_pass_up_to_the_broad_share() -> None:
    n = 1000
    limit = int(n * BROAD_SHARE)  # lines the shared pass may keep
    a = pattern("A01", "alpha", ("alpha",))
    b = pattern("B01", "beta", ("beta",))
    c = pattern("C01", "gamma", ("gamma",))
    lines = ["alpha"] * (limit - 2) + ["beta"] * 2 + ["gamma"] * 3 + ["x"] * (n - limit - 3)
    plan = Plan.build([a, b, c], pl.Series(lines))
    # beta (2 lines) then gamma (3) join first; alpha no longer fits under the limit
    assert plan.broad == frozenset({"A01"})


@pytest.mark.parametrize("sample", ["none", "all-broad", "some-broad"])
def test_every_plan_gives_the_same_hits(sample: str) -> None:
    samples = {"none": None, "all-broad": pl.Series(LINES * 100),
               "some-broad": pl.Series(['"GET / HTTP/1.1" 500 1'] * 200 + ["x"] * 800)}
    plan = Plan.build(PATTERNS, samples[sample])
    if sample == "all-broad":
        assert len(plan.broad) > len(PATTERNS) // 2
    assert hit_set(polars_hits(frame(ROWS), plan)) == oracle_hits(ROWS, PATTERNS)


def test_a_pattern_without_hints_never_runs_and_harms_no_other() -> None:
    # the library refuses such patterns; a plan built from one still matches the others
    bare = pattern("T99", r"CUDA error", ())
    plan = Plan.build([bare, *PATTERNS], pl.Series(LINES))
    got = hit_set(polars_hits(frame(ROWS), plan))
    assert not any(i == 0 for i, _ in got)
    assert {(i - 1, r) for i, r in got} == oracle_hits(ROWS, PATTERNS)


def test_confirm_hits_drops_what_breaks_the_rule() -> None:
    plan = Plan.build(PATTERNS)
    df = frame(ROWS)
    every = pl.DataFrame({"_p": [i for i in range(len(PATTERNS)) for _ in ROWS],
                          "_row": [r for _ in PATTERNS for r in range(len(ROWS))]},
                         schema={"_p": pl.UInt32, "_row": pl.UInt32})
    assert hit_set(confirm_hits(df, plan, every)) == oracle_hits(ROWS, PATTERNS)


def test_literal_regex_escapes_and_folds_ascii_case_only() -> None:
    rx = literal_regex(cs=["a.b", "(x)"], ci=["Straße"])
    s = pl.Series(["a.b", "axb", "(x)", "STRAßE", "x"])
    assert s.str.contains(rx).to_list() == [True, False, True, True, False]
    assert not pl.Series(["anything"]).str.contains(literal_regex()).any()
