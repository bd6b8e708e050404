"""The benchmark's smoke mode: a generated 20 MB biggen bundle and a 5 MB wildgen folder of logs,
every log pattern's line count in the analyzer equal to its own ``rg -c -e`` run on each.
Correctness only: no timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from testkit.tools import need

REPO = Path(__file__).resolve().parents[2]


def test_smoke_counts_equal_ripgrep(tmp_path: Path) -> None:
    need("rg")
    need("time")
    p = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--smoke", "--out", str(tmp_path)],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    out = p.stdout
    lines = out.splitlines()
    for world in ("biggen 20MB", "wildgen 5MB"):
        counts = [line for line in lines if line.endswith(")") and f" {world}: every pattern's line count" in line]
        assert counts, out + p.stderr
        assert counts[0].startswith("PASS"), out
        # the table was printed for analyze and for rg on this world
        assert f"== {world}:" in out
    assert out.count("\nrg -c -f ") == 2 and out.count("\nanalyze ") == 2, out
    assert not any(l.startswith("FAIL") and "peak RSS" in l for l in lines), out
