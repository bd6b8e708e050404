"""Real-world pastes: the analyzer must name the root cause that each public thread concluded.

Every entry of ``tests/fixtures/realworld/index.yaml`` points at a text file that holds output
exactly as a user pasted it into a public issue thread or forum. Each file is analyzed as a
single pasted input through the command line (``python -m analyzer analyze FILE --format json``),
the way a support engineer would feed a ticket attachment to the tool.

How the tests gate:

* ``test_index_*`` check the fixture set itself (files exist, categories are real, one entry
  per thread); they need no analyzer.
* ``test_fixture`` runs once per fixture (one test id per file). It fails when the analyzer
  crashes or breaks the JSON contract; a wrong top root cause is *reported* as a warning with
  the expected category and the upstream line to match, so one miss does not hide the others.
  Set ``REALWORLD_STRICT=1`` to make a wrong top category fail that fixture's test as well.
* ``test_accuracy`` is the gate: the share of fixtures whose top root cause category equals
  ``expected`` must be at least ``MIN_ACCURACY``. It prints the per-fixture table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import yaml

from analyzer.taxonomy import CATEGORIES

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "realworld"
INDEX = FIXTURES / "index.yaml"
MIN_ACCURACY = 0.9
MIN_FIXTURES = 40
KINDS = frozenset({"describe-pod", "describe-node", "events", "log", "traceback", "yaml", "mixed"})
REQUIRED_KEYS = ("file", "url", "title", "kind", "expected", "note")
# A cold interpreter plus the pattern library; generous because the machine is shared.
RUN_TIMEOUT_S = 180


def _load_index() -> list[dict[str, str]]:
    """The fixture entries of index.yaml, in file order."""
    with INDEX.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["fixtures"]


ENTRIES = _load_index()


@dataclass(frozen=True)
class Outcome:
    """What the analyzer said about one fixture."""

    returncode: int
    categories: tuple[str, ...]
    error: str

    @property
    def top(self) -> str | None:
        """The category of the highest-ranked root cause, if any."""
        return self.categories[0] if self.categories else None


@cache
def analyze(file: str) -> Outcome:
    """Run the CLI on one fixture file as a single pasted input and read its root causes.

    Cached so that the per-fixture tests and the accuracy gate run the analyzer once per file.
    """
    path = FIXTURES / file
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "analyzer", "analyze", str(path), "--format", "json"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False,
        )
    except subprocess.TimeoutExpired:
        return Outcome(-1, (), f"timed out after {RUN_TIMEOUT_S}s")
    if proc.returncode not in (0, 1):  # 1 is a --fail-on hit, which we do not ask for, but is not a crash
        return Outcome(proc.returncode, (), proc.stderr.strip()[-2000:])
    try:
        report = json.loads(proc.stdout)
        causes = tuple(rc["category"] for rc in report["root_causes"])
    except (ValueError, KeyError, TypeError) as exc:
        return Outcome(proc.returncode, (), f"output is not the JSON contract: {exc}: {proc.stdout[:500]!r}")
    return Outcome(proc.returncode, causes, "")


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
    outcome = analyze(entry["file"])
    assert not outcome.error, f"{entry['file']}: analyzer failed (exit {outcome.returncode}): {outcome.error}"
    unknown = [c for c in outcome.categories if c not in CATEGORIES]
    assert not unknown, f"{entry['file']}: root causes with categories outside the taxonomy: {unknown}"
    record_property("expected", entry["expected"])
    record_property("top", outcome.top or "")
    if outcome.top != entry["expected"]:
        if os.environ.get("REALWORLD_STRICT") == "1":
            pytest.fail(_describe_miss(entry, outcome))
        warnings.warn(_describe_miss(entry, outcome), stacklevel=1)


def test_accuracy() -> None:
    rows = [(e, analyze(e["file"])) for e in ENTRIES]
    broken = [f"{e['file']}: {o.error}" for e, o in rows if o.error]
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
