"""patterns/CHECKS.md is generated from the checks and must not drift from them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from analyzer.checks import CHECKS, MODULES
from analyzer.checks.framework import checks_in
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
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names))
    for c in CHECKS:
        assert c.category in CATEGORIES and c.severity in SEVERITIES, c.id
        assert len(c.doc) > 40, f"{c.id} needs a docstring: it is its documentation"


def test_page_documents_what_each_new_check_reads_and_when_it_skips():
    text = checks_doc.render()
    section = text.split("## CHK010 `gpu-capacity`")[1].split("\n## ")[0]
    assert "table `pods`, table `nodes`, table `containers`" in section
    assert "`ConfigMap` objects" in section
    assert '"no nodes in the bundle (cluster/nodes.json)"' in section
    assert "## CHK018 `memory-growth`" in text and "## CHK019 `metrics-latency`" in text


def test_every_check_module_is_listed_and_every_check_runs():
    """A check module missing from ``MODULES`` would never run: every module of analyzer/checks
    that declares a check is listed, and ``CHECKS`` holds all of their checks in id order."""
    import importlib
    import pkgutil

    import analyzer.checks as package

    declaring = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"analyzer.checks.{info.name}")
        if checks_in(module):
            declaring.add(module.__name__)
    assert declaring == {m.__name__ for m in MODULES}
    assert [c.id for c in CHECKS] == sorted(c.id for m in MODULES for c in checks_in(m))
