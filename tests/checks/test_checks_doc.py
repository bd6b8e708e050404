"""patterns/CHECKS.md is generated from the check registry and must not drift from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from analyzer.checks import REGISTRY, builtin  # noqa: F401  (registers every check)
from analyzer.taxonomy import CATEGORIES, SEVERITIES

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import checks_doc  # noqa: E402


def test_committed_checks_page_equals_generated():
    committed = (ROOT / "patterns" / "CHECKS.md").read_text(encoding="utf-8")
    assert committed == checks_doc.render(), "patterns/CHECKS.md is stale: run python3 tools/checks_doc.py"


def test_check_mode_of_the_generator_passes():
    res = subprocess.run([sys.executable, str(ROOT / "tools" / "checks_doc.py"), "--check"],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr


def test_every_check_is_declared_completely():
    ids = [c.id for c in REGISTRY]
    assert len(ids) == len(set(ids))
    names = [c.name for c in REGISTRY]
    assert len(names) == len(set(names))
    for c in REGISTRY:
        assert c.category in CATEGORIES and c.severity in SEVERITIES, c.id
        assert len(c.doc) > 40, f"{c.id} needs a docstring: it is its documentation"


def test_page_documents_what_each_new_check_reads_and_when_it_skips():
    text = checks_doc.render()
    section = text.split("## CHK010 `gpu-capacity`")[1].split("\n## ")[0]
    assert "table `pods`, table `nodes`, table `containers`" in section
    assert "`ConfigMap` objects" in section
    assert '"no nodes in the bundle (cluster/nodes.json)"' in section
    assert "## CHK018 `memory-growth`" in text and "## CHK019 `metrics-latency`" in text
