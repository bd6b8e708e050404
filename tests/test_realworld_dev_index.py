"""The later real-world sets are well formed: the development set (``tests/fixtures/realworld_dev``)
and the holdout set (``tests/fixtures/realworld_holdout``).

These tests check the folders and their indexes only; they never run the analyzer (the score is
measured with ``tools/realworld_score.py`` and gated by ``tests/test_realworld.py``). They fail
when a fixture is listed but missing, present but unlisted, labelled with a category the
taxonomy does not know, or taken from a thread that is already cited (twice in its set, or by an
earlier set), which would turn a set that measures the analyzer into training data.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analyzer.taxonomy import CATEGORIES

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
OLD = FIXTURES / "realworld"
DEV = FIXTURES / "realworld_dev"
HOLDOUT = FIXTURES / "realworld_holdout"
# each later set, with the sets gathered before it (whose threads it may not cite)
SETS: dict[str, tuple[Path, tuple[Path, ...]]] = {
    "realworld_dev": (DEV, (OLD,)),
    "realworld_holdout": (HOLDOUT, (OLD, DEV)),
}
HEALTHY = "healthy"
KINDS = frozenset({"describe-pod", "describe-node", "events", "log", "traceback", "yaml", "mixed"})
REQUIRED_KEYS = ("file", "url", "title", "kind", "expected", "note")
MIN_FIXTURES = 40
MIN_HEALTHY = 6


def _entries(folder: Path) -> list[dict[str, str]]:
    with (folder / "index.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["fixtures"]


ENTRIES = [(name, e) for name, (folder, _) in SETS.items() for e in _entries(folder)]


@pytest.mark.parametrize("set_name", list(SETS))
def test_set_is_large_enough_and_has_healthy_outputs(set_name: str) -> None:
    entries = _entries(SETS[set_name][0])
    healthy = [e for e in entries if e.get("expected") == HEALTHY]
    assert len(entries) >= MIN_FIXTURES, f"{set_name}: only {len(entries)} fixtures, want {MIN_FIXTURES}+"
    assert len(healthy) >= MIN_HEALTHY, f"{set_name}: only {len(healthy)} healthy outputs, want {MIN_HEALTHY}+"


@pytest.mark.parametrize("set_name, entry", ENTRIES, ids=[f"{n}/{e.get('file')}" for n, e in ENTRIES])
def test_entry_is_complete(set_name: str, entry: dict[str, str]) -> None:
    assert set(entry) == set(REQUIRED_KEYS), (
        f"{entry.get('file')}: keys {sorted(entry)}, want {sorted(REQUIRED_KEYS)}")
    missing = [k for k in REQUIRED_KEYS if not str(entry.get(k) or "").strip()]
    assert not missing, f"{entry.get('file')}: empty {missing}"
    assert entry["expected"] in CATEGORIES or entry["expected"] == HEALTHY, (
        f"{entry['file']}: {entry['expected']!r} is neither a taxonomy category nor {HEALTHY!r}")
    assert entry["kind"] in KINDS, f"{entry['file']}: unknown kind {entry['kind']}"
    assert entry["url"].startswith("https://"), entry["url"]
    assert "\n" not in entry["note"], f"{entry['file']}: note must be one line"
    path = SETS[set_name][0] / entry["file"]
    assert path.is_file(), f"{entry['file']} is listed but missing"
    assert path.read_text(encoding="utf-8").strip(), f"{entry['file']} is empty"


@pytest.mark.parametrize("set_name", list(SETS))
def test_threads_are_distinct_and_new(set_name: str) -> None:
    folder, earlier = SETS[set_name]
    urls = [e["url"] for e in _entries(folder)]
    dupes = sorted({u for u in urls if urls.count(u) > 1})
    assert not dupes, f"{set_name}: threads cited twice: {dupes}"
    for other in earlier:
        reused = sorted(set(urls) & {e["url"] for e in _entries(other)})
        assert not reused, f"{set_name}: threads already in {other.relative_to(REPO)}: {reused}"


@pytest.mark.parametrize("set_name", list(SETS))
def test_every_file_is_listed_once(set_name: str) -> None:
    folder = SETS[set_name][0]
    files = [e["file"] for e in _entries(folder)]
    assert len(set(files)) == len(files), f"{set_name}: a fixture file is listed twice"
    on_disk = {p.name for p in folder.iterdir() if p.is_file() and p.name not in ("index.yaml", "README.md")}
    assert on_disk == set(files), f"unlisted: {sorted(on_disk - set(files))}, missing: {sorted(set(files) - on_disk)}"
