"""Required literals of a regex (analyzer.match.literals): only what the syntax tree proves."""

from __future__ import annotations

import pytest
import regex

from analyzer.library import group_names, load_library
from analyzer.match.literals import candidates, candidates_all, minimal, prefilter_literals, required


def sets(rx: str, ci: bool = False) -> set[frozenset[str]]:
    return set(required(rx, ci))


@pytest.mark.parametrize(("rx", "ci", "want"), [
    # a plain run of characters, with escapes
    (r"CUDA error: out of memory", False, {frozenset({"CUDA error: out of memory"})}),
    (r"a\.b\(c\) \$x", False, {frozenset({"a.b(c) $x"})}),
    # an alternation gives one set holding a literal of each alternative
    (r"connection (?:refused|reset)", False, {frozenset({"connection refused", "connection reset"})}),
    (r"(?:foo\d+|bar\s)x", False, {frozenset({"foo", "bar"}), frozenset({"x"})}),
    # a small class is spelled out; a wide one or a category cuts the literal
    (r"[Ee]rror 42", False, {frozenset({"Error 42", "error 42"})}),
    (r"code=\d+ failed", False, {frozenset({"code="}), frozenset({" failed"})}),
    (r"x[^a]y", False, {frozenset({"x"}), frozenset({"y"})}),
    # an optional part: both spellings of the run; a {0,} part requires nothing
    (r"colou?r", False, {frozenset({"color", "colour"})}),
    (r"ab(?:cd){0,}ef", False, {frozenset({"ab"}), frozenset({"ef"})}),
    (r"ab(?:cd)*ef", False, {frozenset({"ab"}), frozenset({"ef"})}),
    # a repetition of at least one requires its body
    (r"(?:xyz)+!", False, {frozenset({"xyz"}), frozenset({"!"})}),
    (r"(?:ab){2}", False, {frozenset({"ab"}), frozenset({"abab"})}),
    # a run followed by a part that is not exact: the run with what that part starts with
    (r"usage: (?P<u>(?:9[5-9]|100)(?:\.\d+)?)%", False,
     {frozenset({"usage: 95", "usage: 96", "usage: 97", "usage: 98", "usage: 99", "usage: 100"}),
      frozenset({"95", "96", "97", "98", "99", "100"}), frozenset({"%"})}),
    (r"Waiting: [1-9]\d+ reqs", False,
     {frozenset(f"Waiting: {d}" for d in range(1, 10)), frozenset({" reqs"})}),
    (r"x(?:ab|cd\d)+y", False, {frozenset({"xab", "xcd"}), frozenset({"ab", "cd"}), frozenset({"y"})}),
    # word boundaries and anchors are zero-width
    (r"^\bKilled\b$", False, {frozenset({"Killed"})}),
    # case-insensitive: lower-cased; a non-ASCII letter ends the literal (ASCII folding misses it)
    (r"(?i)Out Of Memory", False, {frozenset({"out of memory"})}),
    (r"Out Of Memory", True, {frozenset({"out of memory"})}),
    (r"(?i)temp 85°C reached", False, {frozenset({"temp 85"}), frozenset({"c reached"})}),
    (r"temp 85°C", False, {frozenset({"temp 85°C"})}),
])
def test_required_sets(rx: str, ci: bool, want: set[frozenset[str]]) -> None:
    assert sets(rx, ci) == want


@pytest.mark.parametrize("rx", [
    r".*",                          # nothing literal
    r"(?:foo|\d+)",                 # an alternative without a literal
    r"(?:foo)?",                    # optional
    r"(?:foo){0,3}",
    r"(?=foo)bar|baz\d",            # a lookahead proves nothing (the branch lacks a literal)
    r"(?<!foo)\w+",
    r"[[:alpha:]]+x",               # a POSIX class Rust reads, Python reads as a nested set
    r"[a-z&&[^aeiou]]",             # a Rust set operation
    r"\p{Greek}+",                  # syntax the standard parser refuses
    r"(?i:abc)",                    # ... and a local case-insensitive group in a case-sensitive regex
])
def test_nothing_is_proved(rx: str) -> None:
    got = sets(rx)
    assert not got or all(not any(s) for s in got) or rx.startswith("(?=")
    if rx.startswith("(?="):
        assert "foo" not in {x for s in got for x in s}


def test_local_case_insensitive_part_gives_no_literal() -> None:
    assert sets(r"abc(?i:def)ghi") == {frozenset({"abc"}), frozenset({"ghi"})}


def test_minimal_drops_literals_holding_another() -> None:
    assert minimal({"container", "container ", "pod"}) == frozenset({"container", "pod"})


def test_every_match_example_holds_each_candidate_set() -> None:
    # the sets are proved by the syntax tree; the library's examples are a second witness
    for p in load_library():
        for ex in p.examples_match:
            line = ex["line"]
            if not regex.search(p.regex, line):
                continue
            text = line.lower() if p.ignore_case else line
            for lits in candidates(p)[1:]:
                assert any(x in text for x in lits), (p.id, lits, line)
            assert any(x.lower() in text if p.ignore_case else x in text for x in prefilter_literals(p)), p.id


def test_most_patterns_get_longer_literals_than_their_hints() -> None:
    lib = list(load_library())
    longer = [p for p in lib if len(candidates(p)) > 1]
    assert len(longer) > len(lib) // 2


@pytest.mark.parametrize("rx", [
    r"\(?P<x>a\)(?P<v>q)", r"[(?P<x>]", r"[]](?P<y>b)", r"(?<z>c)(?<=d)(?P<z>e)", r"[^]\]](?P<w>.)",
    r"\\(?P<u>x)", r"(?P<a_1>x)(?:y)(?P<B>z)",
])
def test_group_names_read_from_the_text_equal_the_compiled_ones(rx: str) -> None:
    assert group_names(rx) == tuple(regex.compile(rx).groupindex)


def test_group_names_of_the_library_equal_the_compiled_ones() -> None:
    for p in load_library():
        assert group_names(p.regex) == tuple(regex.compile(p.regex).groupindex), p.id


def test_candidates_cached_on_disk_equal_those_worked_out(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    lib = list(load_library())
    first = candidates_all(lib)
    assert list((tmp_path / "bundle-analyzer" / "literals").glob("*.json"))
    assert candidates_all(lib) == first == [candidates(p) for p in lib]


def test_a_cache_file_of_another_shape_is_worked_out_again(tmp_path, monkeypatch) -> None:
    """A cut or hand-edited cache file must not become the prefilter: a wrong set hides matches."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    lib = list(load_library())
    first = candidates_all(lib)
    (cached,) = (tmp_path / "bundle-analyzer" / "literals").glob("*.json")
    for bad in ('[' + ",".join(['["x"]'] * len(lib)) + ']',        # strings where lists belong
                '[' + ",".join(['[[1]]'] * len(lib)) + ']',        # numbers where literals belong
                '[[[""]]' + ',[["a"]]' * (len(lib) - 1) + ']',     # an empty literal
                "{}", "[", ""):
        cached.write_text(bad, encoding="utf-8")
        assert candidates_all(lib) == first
