"""Real-world pastes: the analyzer must name the root cause that each public thread concluded.

Three sets of text files hold output exactly as users pasted it into public issue threads or
forums: ``tests/fixtures/realworld/`` (the pastes the library was written from),
``tests/fixtures/realworld_dev/`` (gathered later from threads the library had not seen; a
healthy entry, ``expected: healthy``, is the output of a working system with alarming-looking
lines) and ``tests/fixtures/realworld_holdout/`` (gathered after both, labelled and scored
blind before any change; its README keeps that first score). Each file is analyzed as a single pasted input, the way a support engineer feeds a
ticket attachment to ``bundle-analyzer analyze FILE``: in-process, by the runner
``tools/realworld_score.py`` uses (``score_one``), with the pattern library loaded once.

How the tests gate:

* ``test_index_*`` check the first set's index (files exist, categories are real, one entry per
  thread); ``tests/test_realworld_dev_index.py`` checks the development and holdout sets'.
* ``test_fixture`` runs once per fixture of every set (one test id per file). It fails when the
  analyzer raises or names a category outside the taxonomy; in the first set it also fails when
  another category comes first (every paste there stays right). The development and holdout
  sets are held to their bars as a whole by the gates below, and their misses are listed by
  ``test_accuracy``.
* ``test_accuracy``, ``test_silent`` and ``test_no_alarm`` are the gates, one per set
  (``GATES``): the share of failures whose top root cause category equals ``expected``, the share
  of failures answered with no root cause at all, and the healthy outputs answered with a root
  cause at ``error`` or ``critical``.
* ``test_command_line_gives_what_the_runner_gives``: the CLI, in one process over one fixture of
  each kind, writes the JSON contract with the same ranked root causes as the in-process runner.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from analyzer.taxonomy import CATEGORIES
from testkit.samples import library
from tools.realworld_score import ALARM_SEVERITIES, HEALTHY, Outcome, load_index, score_one

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "realworld"
DEV_FIXTURES = REPO / "tests" / "fixtures" / "realworld_dev"
HOLDOUT_FIXTURES = REPO / "tests" / "fixtures" / "realworld_holdout"
MIN_FIXTURES = 40
KINDS = frozenset({"describe-pod", "describe-node", "events", "log", "traceback", "yaml", "mixed"})
REQUIRED_KEYS = ("file", "url", "title", "kind", "expected", "note")
# a cold interpreter plus the pattern library and a few pastes; generous because the machine is shared
CLI_TIMEOUT_S = 300


@dataclass(frozen=True)
class Gate:
    """What a set must score: top-cause accuracy over its failures, at most this share of
    failures without any root cause, at most this many healthy outputs with an alarm; ``strict``:
    every fixture's top cause is asserted on its own."""

    folder: Path
    min_accuracy: float
    max_silent_share: float
    max_alarms: int
    strict: bool


GATES: dict[str, Gate] = {
    # the pastes the library was written from: every one stays right
    "realworld": Gate(FIXTURES, min_accuracy=1.0, max_silent_share=0.0, max_alarms=0, strict=True),
    # issue 14's bar on output the library was not written from
    "realworld_dev": Gate(DEV_FIXTURES, min_accuracy=0.85, max_silent_share=0.05, max_alarms=0, strict=False),
    # output neither earlier set cites, first scored blind (29/39, 1 silent); the bar is what the
    # fixes of its misses' classes reached (36/39, none silent): it may not slip back
    "realworld_holdout": Gate(HOLDOUT_FIXTURES, min_accuracy=0.92, max_silent_share=0.0, max_alarms=0, strict=False),
}

ENTRIES: list[dict[str, str]] = load_index(FIXTURES)
SET_ENTRIES = {name: load_index(gate.folder) for name, gate in GATES.items()}
ALL_ENTRIES = [(name, e) for name, entries in SET_ENTRIES.items() for e in entries]


@cache
def analyze(set_name: str, file: str, expected: str) -> Outcome:
    """The runner's outcome for one fixture file (analyzed once per session)."""
    return score_one(GATES[set_name].folder / file, expected, library())


def _describe_miss(entry: dict[str, str], outcome: Outcome) -> str:
    got = ", ".join(outcome.categories[:5]) or "no root cause"
    return f"{entry['file']}: expected {entry['expected']}, got {got} ({entry['note']}; {entry['url']})"


# --- the fixture set itself ---------------------------------------------------------------


def test_index_has_enough_fixtures() -> None:
    assert len(ENTRIES) >= MIN_FIXTURES, f"only {len(ENTRIES)} real-world fixtures, want {MIN_FIXTURES}+"


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_index_entry_is_complete(entry: dict[str, str]) -> None:
    missing = [k for k in REQUIRED_KEYS if not entry.get(k)]
    assert not missing, f"{entry.get('file')}: missing {missing}"
    assert entry["expected"] in CATEGORIES, f"{entry['file']}: unknown category {entry['expected']}"
    assert entry["kind"] in KINDS, f"{entry['file']}: unknown kind {entry['kind']}"
    assert entry["url"].startswith("https://"), entry["url"]
    text = (FIXTURES / entry["file"]).read_text(encoding="utf-8")
    assert text.strip(), f"{entry['file']} is empty"


def test_index_threads_and_files_are_distinct() -> None:
    urls = [e["url"] for e in ENTRIES]
    files = [e["file"] for e in ENTRIES]
    assert len(set(urls)) == len(urls), "two fixtures cite the same thread"
    assert len(set(files)) == len(files), "a fixture file is listed twice"
    on_disk = {p.name for p in FIXTURES.glob("*.txt")}
    assert on_disk == set(files), f"unlisted: {sorted(on_disk - set(files))}, missing: {sorted(set(files) - on_disk)}"


# --- the analyzer on each paste -----------------------------------------------------------


@pytest.mark.parametrize("set_name, entry", ALL_ENTRIES,
                         ids=[f"{n}/{e['file'].removesuffix('.txt')}" for n, e in ALL_ENTRIES])
def test_fixture(set_name: str, entry: dict[str, str], record_property: pytest.RecordProperty) -> None:
    outcome = analyze(set_name, entry["file"], entry["expected"])
    assert outcome.status != "ERROR", f"{entry['file']}: analyzer failed: {outcome.error}"
    unknown = [c for c in outcome.categories if c not in CATEGORIES]
    assert not unknown, f"{entry['file']}: root causes with categories outside the taxonomy: {unknown}"
    record_property("expected", entry["expected"])
    record_property("top", outcome.top or "")
    if GATES[set_name].strict:
        assert outcome.top == entry["expected"], _describe_miss(entry, outcome)


def _outcomes(set_name: str) -> list[tuple[dict[str, str], Outcome]]:
    rows = [(e, analyze(set_name, e["file"], e["expected"])) for e in SET_ENTRIES[set_name]]
    broken = [f"{e['file']}: {o.error}" for e, o in rows if o.status == "ERROR"]
    assert not broken, "analyzer failed on:\n" + "\n".join(broken[:10])
    return rows


def _failures(set_name: str) -> list[tuple[dict[str, str], Outcome]]:
    return [(e, o) for e, o in _outcomes(set_name) if e["expected"] != HEALTHY]


@pytest.mark.parametrize("set_name", list(GATES))
def test_accuracy(set_name: str) -> None:
    rows = _failures(set_name)
    hits = sum(1 for e, o in rows if o.top == e["expected"])
    accuracy = hits / len(rows)
    lines = [f"{'ok ' if o.top == e['expected'] else 'MISS'} {e['expected']:<34} {o.top or '-':<34} {e['file']}"
             for e, o in rows]
    print("\n".join(["", f"{set_name} top-cause accuracy: {hits}/{len(rows)} = {accuracy:.1%}", *lines]))
    misses = [_describe_miss(e, o) for e, o in rows if o.top != e["expected"]]
    minimum = GATES[set_name].min_accuracy
    assert accuracy >= minimum, (
        f"{set_name}: top-cause accuracy {accuracy:.1%} < {minimum:.0%} on {len(rows)} real pastes; misses:\n"
        + "\n".join(misses)
    )


@pytest.mark.parametrize("set_name", list(GATES))
def test_silent(set_name: str) -> None:
    """A failing paste is never answered with silence."""
    rows = _failures(set_name)
    silent = [e["file"] for e, o in rows if not o.categories]
    limit = GATES[set_name].max_silent_share
    assert len(silent) <= limit * len(rows), (
        f"{set_name}: {len(silent)}/{len(rows)} failures without any root cause (at most {limit:.0%}): "
        + ", ".join(silent))


@pytest.mark.parametrize("set_name", list(GATES))
def test_no_alarm(set_name: str) -> None:
    """A healthy output has no root cause at error or critical."""
    alarms = [f"{e['file']}: {', '.join(f'{c} ({s})' for c, s in zip(o.categories, o.severities))}"
              for e, o in _outcomes(set_name)
              if e["expected"] == HEALTHY and ALARM_SEVERITIES & set(o.severities)]
    assert len(alarms) <= GATES[set_name].max_alarms, (
        f"{set_name}: healthy outputs answered with an error or critical root cause:\n" + "\n".join(alarms))


def test_command_line_gives_what_the_runner_gives(tmp_path: Path) -> None:
    """``python -m analyzer analyze FILE... --format json -o OUT``, one fixture of each kind."""
    chosen = list({e["kind"]: e for e in reversed(ENTRIES)}.values())
    assert {e["kind"] for e in chosen} == {e["kind"] for e in ENTRIES}
    out = tmp_path / "out.json"
    proc = subprocess.run([sys.executable, "-m", "analyzer", "analyze", *(str(FIXTURES / e["file"]) for e in chosen),
                           "--format", "json", "-o", str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for e in chosen:
        report = json.loads((tmp_path / f"out-{e['file']}.json").read_text(encoding="utf-8"))
        assert report["input"]["layout"] == "file", e["file"]
        got = [rc["category"] for rc in report["root_causes"]]
        assert got == analyze("realworld", e["file"], e["expected"]).categories, e["file"]
