"""Progress on stderr: shown on a terminal once a run takes a while, never in pipes or files."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from analyzer import progress as prog

REPO = Path(__file__).resolve().parents[2]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_shows_stage_files_and_bytes_then_clears(monkeypatch):
    monkeypatch.setattr(prog, "DELAY", 0.0)
    monkeypatch.setattr(prog, "INTERVAL", 0.0)
    out = _Tty()
    p = prog.Progress(out)
    p.stage("reading and matching logs", total_files=4, total_bytes=8 << 20)
    p.advance(1, 2 << 20)
    text = out.getvalue()
    assert "reading and matching logs: 1/4 files, 2/8 MiB" in text
    p.done()
    assert out.getvalue().endswith("\r")


def test_quick_runs_and_pipes_stay_silent():
    out = _Tty()
    p = prog.Progress(out)          # a terminal, but the run is younger than DELAY
    p.stage("parsing")
    p.advance(1, 1)
    assert out.getvalue() == ""
    piped = io.StringIO()
    q = prog.Progress(piped)
    q.start -= 100                  # long run, but stderr is not a terminal
    q.stage("parsing")
    assert piped.getvalue() == ""


def test_analyze_writes_nothing_to_a_piped_stderr():
    p = subprocess.run([sys.executable, "-m", "analyzer", "analyze", "sample_bundles/image-pull-auth",
                        "--format", "json", "-o", "/dev/null"], cwd=REPO, capture_output=True, text=True)
    assert p.returncode in (0, 1)
    assert p.stderr == ""
