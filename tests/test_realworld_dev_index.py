"""The real-world development set (``tests/fixtures/realworld_dev``) is well formed.

These tests check the folder and its index only; they never run the analyzer (the score is
measured with ``tools/realworld_score.py`` and gated by ``tests/test_realworld.py``). They fail
when a fixture is listed but missing, present but unlisted, labelled with a category the
taxonomy does not know, or taken from a thread that is already cited (twice here, or by the first
set in ``tests/fixtures/realworld``), which would turn the development set into training data.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analyzer.taxonomy import CATEGORIES

REPO = Path(__file__).resolve().parents[1]
DEV = REPO / "tests" / "fixtures" / "realworld_dev"
OLD = REPO / "tests" / "fixtures" / "realworld"
HEALTHY = "healthy"
KINDS = frozenset({"describe-pod", "describe-node", "events", "log", "traceback", "yaml", "mixed"})
REQUIRED_KEYS = ("file", "url", "title", "kind", "expected", "note")
MIN_FIXTURES = 40
MIN_HEALTHY = 6


def _entries(folder: Path) -> list[dict[str, str]]:
    with (folder / "index.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["fixtures"]


ENTRIES = _entries(DEV)


def test_set_is_large_enough_and_has_healthy_outputs() -> None:
    healthy = [e for e in ENTRIES if e.get("expected") == HEALTHY]
    assert len(ENTRIES) >= MIN_FIXTURES, f"only {len(ENTRIES)} fixtures, want {MIN_FIXTURES}+"
    assert len(healthy) >= MIN_HEALTHY, f"only {len(healthy)} healthy outputs, want {MIN_HEALTHY}+"


@pytest.mark.parametrize("entry", ENTRIES, ids=[str(e.get("file")) for e in ENTRIES])
def test_entry_is_complete(entry: dict[str, str]) -> None:
    assert set(entry) == set(REQUIRED_KEYS), (
        f"{entry.get('file')}: keys {sorted(entry)}, want {sorted(REQUIRED_KEYS)}")
    missing = [k for k in REQUIRED_KEYS if not str(entry.get(k) or "").strip()]
    assert not missing, f"{entry.get('file')}: empty {missing}"
    assert entry["expected"] in CATEGORIES or entry["expected"] == HEALTHY, (
        f"{entry['file']}: {entry['expected']!r} is neither a taxonomy category nor {HEALTHY!r}")
    assert entry["kind"] in KINDS, f"{entry['file']}: unknown kind {entry['kind']}"
    assert entry["url"].startswith("https://"), entry["url"]
    assert "\n" not in entry["note"], f"{entry['file']}: note must be one line"
    path = DEV / entry["file"]
    assert path.is_file(), f"{entry['file']} is listed but missing"
    assert path.read_text(encoding="utf-8").strip(), f"{entry['file']} is empty"


def test_threads_are_distinct_and_new() -> None:
    urls = [e["url"] for e in ENTRIES]
    dupes = sorted({u for u in urls if urls.count(u) > 1})
    assert not dupes, f"threads cited twice: {dupes}"
    reused = sorted(set(urls) & {e["url"] for e in _entries(OLD)})
    assert not reused, f"threads already in tests/fixtures/realworld: {reused}"


def test_every_file_is_listed_once() -> None:
    files = [e["file"] for e in ENTRIES]
    assert len(set(files)) == len(files), "a fixture file is listed twice"
    on_disk = {p.name for p in DEV.iterdir() if p.is_file() and p.name not in ("index.yaml", "README.md")}
    assert on_disk == set(files), f"unlisted: {sorted(on_disk - set(files))}, missing: {sorted(set(files) - on_disk)}"
