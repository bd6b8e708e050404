"""patterns/COVERAGE.md maps every seed signal to a pattern or check that exists, or says why none can;
tools/coverage_check.py enforces it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import coverage_check  # noqa: E402

MAP = ROOT / "patterns" / "COVERAGE.md"
SEEDS = ("hami-gpu-pod-troubleshooter.md", "dynamo-failure-decision-tree.md", "model-serving-troubleshooting-guide.md",
         "dynamo-fault-tolerance-dep.md", "dynamo-fault-tolerance-test-suite.md")


@pytest.fixture(scope="module")
def known():
    return coverage_check.known_ids()


def check(text: str, known) -> list[str]:
    return coverage_check.problems(text, *known)


TABLE = "| signal | covered by | note |\n|---|---|---|\n"


def test_committed_map_is_clean(known):
    assert check(MAP.read_text(encoding="utf-8"), known) == []


def test_command_line_passes_on_the_committed_map():
    res = subprocess.run([sys.executable, str(ROOT / "tools" / "coverage_check.py")], capture_output=True, text=True,
                         cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert "COVERAGE.md: ok" in res.stdout


def test_one_map_per_seed_and_the_drafts_are_gone():
    text = MAP.read_text(encoding="utf-8")
    for seed in SEEDS:
        assert f"(`{seed}`)" in text, seed
    assert not (ROOT / "patterns" / "COVERAGE-a.md").exists()
    assert not (ROOT / "patterns" / "COVERAGE-b.md").exists()


def test_every_check_is_named_in_the_map(known):
    text = MAP.read_text(encoding="utf-8")
    missing = [f"{cid} {name}" for cid, name in known[1].items() if f"{cid} {name}" not in text]
    assert missing == []


def test_unknown_pattern_id_fails(known):
    out = check(TABLE + "| Xid 79 | GPU999, GPU030 | |\n", known)
    assert out == ["line 3: pattern GPU999 does not exist"]


def test_unknown_check_or_wrong_name_fails(known):
    out = check(TABLE + "| Pod Pending | CHK099 gpu-capacity | |\n| OOM | CHK001 oom | |\n| x | CHK002 | |\n", known)
    assert out == ["line 3: check CHK099 does not exist",
                   "line 4: CHK001 must be written 'CHK001 container-oomkilled' (found 'oom')",
                   "line 5: CHK002 must be written 'CHK002 container-crashloop'"]


def test_provisional_names_fail(known):
    out = check(TABLE + "| Webhook | CHK-hami-webhook | |\n", known)
    assert "line 3: provisional check name CHK-hami-webhook (use the real id and name)" in out


def test_row_without_id_needs_a_marker_and_an_explanation(known):
    out = check(TABLE + "| A | | |\n| B | see above | reason |\n| C | Not in a bundle | |\n"
                        "| D | Not in a bundle | interactive only |\n", known)
    assert out == [
        "line 3: 'A' names no pattern or check id (or start the cell with one of: "
        + ", ".join(coverage_check.MARKERS) + ")",
        "line 4: 'B' names no pattern or check id (or start the cell with one of: "
        + ", ".join(coverage_check.MARKERS) + ")",
        "line 5: 'C' is not covered and its note does not say why"]


def test_table_shape_is_enforced(known):
    out = check("| issue | pattern |\n|---|---|\n| x | K8S001 |\n", known)
    assert out[0].startswith("line 1: table header must be '| <signal> | covered by | note |'")
    out = check(TABLE + "| x | K8S001 |\n", known)
    assert out == ["line 3: row has 2 cells, the table 3"]


def test_words_that_look_like_ids_are_not_ids(known):
    assert check(TABLE + "| H100 at 85°C, x509 errors | GPU045 | A100 and GB200 cards too |\n", known) == []
