"""`bundle-analyzer patterns export`: the library in a form ripgrep accepts as one `-f` file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


from analyzer.export import export_patterns, scoped, unnamed
from analyzer.library import load_library
from testkit.tools import need

REPO = Path(__file__).resolve().parents[2]


def test_unnamed_keeps_escaped_parentheses_and_groups():
    assert unnamed(r"a (?P<x>\d+) \(?P<not>\) (?<y>b)") == r"a (\d+) \(?P<not>\) (b)"


def test_scoped_flags_do_not_leak():
    lib = load_library()
    ci = next(p for p in lib if p.ignore_case)
    cs = next(p for p in lib if not p.ignore_case and "(?P<" in p.regex)
    assert scoped(ci).startswith("(?i:") and "(?i)" not in scoped(ci)
    assert scoped(cs).startswith("(?:") and "(?P<" not in scoped(cs)


def test_cli_export_tsv_has_every_pattern():
    out = subprocess.run([sys.executable, "-m", "analyzer", "patterns", "export", "--format", "tsv"],
                         cwd=REPO, capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "id\tregex"
    assert len(out) - 1 == len(load_library())


def test_ripgrep_accepts_the_whole_library_and_counts_like_single_patterns(tmp_path):
    lib = load_library()
    (tmp_path / "p.txt").write_text(export_patterns(lib, "rg"))
    lines = [ex["line"] for p in lib for ex in p.examples_match if "\n" not in ex["line"]]
    (tmp_path / "a.log").write_text("\n".join(lines + ["INFO all good", "2026-11-20 nothing here"]) + "\n")
    p = subprocess.run([need("rg"), "-c", "-f", str(tmp_path / "p.txt"), str(tmp_path / "a.log")],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert int(p.stdout.strip()) == len(lines)
