"""Real-world pastes: the analyzer must name the root cause that each public thread concluded.

Every entry of ``tests/fixtures/realworld/index.yaml`` points at a text file that holds output
exactly as a user pasted it into a public issue thread or forum. Each file is analyzed as a
single pasted input, the way a support engineer feeds a ticket attachment to
``bundle-analyzer analyze FILE``: in-process, by the runner ``tools/realworld_score.py`` uses
(``score_one``), with the pattern library loaded once for the session.

How the tests gate:

* ``test_index_*`` check the fixture set itself (files exist, categories are real, one entry
  per thread); they need no analyzer.
* ``test_fixture`` runs once per fixture (one test id per file). It fails when the analyzer
  raises, names a category outside the taxonomy, or ranks another category first: the message
  gives the expected category, what came first and the thread.
* ``test_accuracy`` prints the per-fixture table and holds the share of hits to ``MIN_ACCURACY``.
* ``test_command_line_gives_what_the_runner_gives``: the CLI, in one process over one fixture of
  each kind, writes the JSON contract with the same ranked root causes as the in-process runner.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from analyzer.taxonomy import CATEGORIES
from testkit.samples import library
from tools.realworld_score import Outcome, load_index, score_one

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "realworld"
MIN_ACCURACY = 0.9
MIN_FIXTURES = 40
KINDS = frozenset({"describe-pod", "describe-node", "events", "log", "traceback", "yaml", "mixed"})
REQUIRED_KEYS = ("file", "url", "title", "kind", "expected", "note")
# a cold interpreter plus the pattern library and a few pastes; generous because the machine is shared
CLI_TIMEOUT_S = 300

ENTRIES: list[dict[str, str]] = load_index(FIXTURES)


@cache
def analyze(file: str, expected: str) -> Outcome:
    """The runner's outcome for one fixture file (analyzed once per session)."""
    return score_one(FIXTURES / file, expected, library())


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


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"].removesuffix(".txt") for e in ENTRIES])
def test_fixture(entry: dict[str, str], record_property: pytest.RecordProperty) -> None:
    outcome = analyze(entry["file"], entry["expected"])
    assert outcome.status != "ERROR", f"{entry['file']}: analyzer failed: {outcome.error}"
    unknown = [c for c in outcome.categories if c not in CATEGORIES]
    assert not unknown, f"{entry['file']}: root causes with categories outside the taxonomy: {unknown}"
    record_property("expected", entry["expected"])
    record_property("top", outcome.top or "")
    assert outcome.top == entry["expected"], _describe_miss(entry, outcome)


def test_accuracy() -> None:
    rows = [(e, analyze(e["file"], e["expected"])) for e in ENTRIES]
    broken = [f"{e['file']}: {o.error}" for e, o in rows if o.status == "ERROR"]
    hits = sum(1 for e, o in rows if o.top == e["expected"])
    accuracy = hits / len(rows)
    lines = [f"{'ok ' if o.top == e['expected'] else 'MISS'} {e['expected']:<34} {o.top or '-':<34} {e['file']}"
             for e, o in rows]
    print("\n".join(["", f"real-world accuracy: {hits}/{len(rows)} = {accuracy:.1%}", *lines]))
    assert not broken, "analyzer failed on:\n" + "\n".join(broken[:10])
    misses = [_describe_miss(e, o) for e, o in rows if o.top != e["expected"]]
    assert accuracy >= MIN_ACCURACY, (
        f"top-cause accuracy {accuracy:.1%} < {MIN_ACCURACY:.0%} on {len(rows)} real pastes; misses:\n"
        + "\n".join(misses)
    )


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
        assert got == analyze(e["file"], e["expected"]).categories, e["file"]
