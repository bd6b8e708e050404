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


def test_unpacking_an_archive_counts_the_bytes_read(monkeypatch, tmp_path):
    import tarfile

    import zstandard

    from analyzer.ingest import open_bundle

    monkeypatch.setattr(prog, "DELAY", 0.0)
    monkeypatch.setattr(prog, "INTERVAL", 0.0)
    src = tmp_path / "b"
    (src / "logs").mkdir(parents=True)
    (src / "logs" / "main.log").write_bytes(b"2026-11-20T09:59:00Z INFO serving\n" * 100_000)
    tar = tmp_path / "b.tar"
    with tarfile.open(tar, "w") as tf:
        tf.add(src, arcname="b")
    archive = tmp_path / "b.tar.zst"
    archive.write_bytes(zstandard.ZstdCompressor().compress(tar.read_bytes()))
    out = _Tty()
    p = prog.Progress(out)
    p.stage("opening the bundle")
    with open_bundle(archive, on_read=lambda n: p.advance(0, n)) as bundle:
        assert [m.path for m in bundle.members] == ["logs/main.log"]
    assert p.bytes == tar.stat().st_size
    assert "opening the bundle: 3 MiB" in out.getvalue()
