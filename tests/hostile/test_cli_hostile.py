"""Every command as a user runs it, against what ingest's one read path promises (issue 16 items
1 and 4): output paths mixed up, formats that are not read, the cap on standard input, Ctrl-C and
SIGTERM on a run reading a slow pipe, escape sequences kept off the terminal.

Each case asserts the exit code, a one-line message and no traceback, nothing left in TMPDIR,
and the input unchanged.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile_cases import LOG, LOG_PATH, MANIFEST, RUN_COUNTS

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_bundles" / "kv-cache-too-small"
FT = ROOT / "sample_bundles" / "ft-results"


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")) if path.is_dir() else [path]:
        h.update(str(p.relative_to(path) if path.is_dir() else p.name).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def _run(args: list[str], tmp_path: Path, stdin: bytes | None = None, timeout: float = 300):
    tmp = tmp_path / "tmpdir"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "analyzer", *args], input=stdin, capture_output=True,
                          env=env, cwd=tmp_path, timeout=timeout)
    RUN_COUNTS["hostile cases"] += 1
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err[-2000:]
    assert list(tmp.iterdir()) == [], "temporary files left behind"
    return proc.returncode, proc.stdout, err


def _one_line_error(rc: int, err: str) -> str:
    assert rc == 2, err
    line = err.strip()
    assert line.startswith("Error: ") and "\n" not in line, err
    return line


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    a_dir = tmp_path / "a-dir"
    a_dir.mkdir()
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder\n")
    return {"dir": a_dir, "file": a_file, "below-file": a_file / "x", "deep-below-file": a_file / "x" / "y.md"}


MIXUPS = [
    (["analyze", str(SAMPLE), "--format", "md", "-o"], "dir"),
    (["analyze", str(SAMPLE), "--format", "json", "-o"], "dir"),
    (["analyze", str(SAMPLE), "--format", "html", "-o"], "below-file"),
    (["analyze", str(SAMPLE), "--format", "parquet", "-o"], "file"),
    (["analyze", str(SAMPLE), "--format", "parquet", "-o"], "deep-below-file"),
    (["tables", str(SAMPLE), "-o"], "file"),
    (["tables", str(SAMPLE), "--format", "csv", "-o"], "below-file"),
    (["redact", str(SAMPLE), "-o"], "file"),
    (["redact", str(SAMPLE), "-o"], "deep-below-file"),
    (["ft-summary", str(FT), "-o"], "dir"),
    (["ft-summary", str(FT), "--format", "json", "-o"], "below-file"),
    (["collector", "-o"], "dir"),
]


@pytest.mark.parametrize("args,where", MIXUPS, ids=[f"{a[0]}-{a[-2] if a[-2] != '-o' else ''}{w}" for a, w in MIXUPS])
def test_an_output_path_of_the_wrong_kind_is_a_one_line_error(tmp_path, places, args, where):
    before = {name: _digest(p) for name, p in places.items() if p.exists()}
    sample_before = _digest(SAMPLE) if args[0] != "collector" else None
    rc, _, err = _run(args + [str(places[where])], tmp_path)
    _one_line_error(rc, err)
    assert {name: _digest(p) for name, p in places.items() if p.exists()} == before
    if sample_before:
        assert _digest(SAMPLE) == sample_before


UNSUPPORTED = {"7z": b"7z\xbc\xaf\x27\x1c\x00\x04", "rar": b"Rar!\x1a\x07\x01\x00", "lz4": b"\x04\x22\x4d\x18\x64\x40"}


@pytest.mark.parametrize("fmt", sorted(UNSUPPORTED))
def test_a_format_not_read_gets_the_same_line_from_every_command(tmp_path, fmt):
    path = tmp_path / "bundle.tar.gz"     # named like a tarball; the bytes say otherwise
    path.write_bytes(UNSUPPORTED[fmt] + os.urandom(4096))
    lines = set()
    for args in (["analyze", str(path)], ["tables", str(path), "-o", str(tmp_path / "t")],
                 ["redact", str(path), "-o", str(tmp_path / "r")], ["serve", str(path)],
                 ["ft-summary", str(path)]):
        rc, _, err = _run(args, tmp_path)
        lines.add(_one_line_error(rc, err))
    assert len(lines) == 1, lines
    (line,) = lines
    assert "a format that is not read" in line and {"7z": "7z", "rar": "RAR", "lz4": "LZ4"}[fmt] in line
    assert not (tmp_path / "t").exists() and not (tmp_path / "r").exists()
    rc, _, err = _run(["analyze", "-"], tmp_path, stdin=UNSUPPORTED[fmt] + b"\0" * 600)
    assert "standard input is a" in _one_line_error(rc, err)


def test_standard_input_stops_at_its_cap_and_the_rest_is_analyzed(tmp_path):
    oom = (b"2026-11-20T09:59:12.000000001Z torch.OutOfMemoryError: CUDA out of memory. "
           b"Tried to allocate 1.76 GiB.\n")
    filler = b"2026-11-20T09:59:13.000000001Z INFO engine step ok\n" * 60_000   # ~3 MiB after the OOM
    rc, out, err = _run(["analyze", "-", "--format", "json", "--max-stdin-bytes", "1MiB"], tmp_path,
                        stdin=oom + filler)
    assert rc == 0, err
    import json

    report = json.loads(out)
    assert any("--max-stdin-bytes" in e["error"] for e in report["input"]["read_errors"])
    assert report["root_causes"][0]["category"] == "runtime.cuda_oom"   # what came before the cap is read
    # compressed input: the cap is on what is spooled (decompressed), not on the wire
    rc, out, err = _run(["analyze", "-", "--format", "json", "--max-stdin-bytes", "1MiB"], tmp_path,
                        stdin=gzip.compress(oom + filler))
    assert rc == 0 and any("--max-stdin-bytes" in e["error"] for e in json.loads(out)["input"]["read_errors"])
    rc, _, err = _run(["analyze", "-", "--max-stdin-bytes", "lots"], tmp_path, stdin=oom)
    assert rc == 2 and "is not a size" in err


@pytest.mark.parametrize("command", ["analyze", "tables", "redact", "serve", "ft-summary"])
def test_every_command_that_reads_stdin_takes_the_cap(command):
    from click.testing import CliRunner

    from analyzer.cli import main

    assert "--max-stdin-bytes" in CliRunner().invoke(main, [command, "--help"]).output


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_a_signal_ends_a_run_on_a_slow_pipe_at_once_and_cleans_up(tmp_path, sig, code, compressed):
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", "analyze", "-", "--format", "json"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    data = LOG * 20_000
    if compressed:
        data = gzip.compress(data)[:-4096]     # the pipe stays open: the stream never ends
    proc.stdin.write(data)
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while not any(tmp.iterdir()) and time.monotonic() < deadline:   # spooling has begun
        time.sleep(0.1)
    assert any(tmp.iterdir()), "standard input was never spooled"
    started = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    took = time.monotonic() - started
    RUN_COUNTS["hostile cases"] += 1
    assert proc.returncode == code, err.decode()
    assert took < 5, f"{took:.1f} s to stop"
    message = err.decode().strip()
    assert message.startswith("Error: interrupted") and "\n" not in message and "Traceback" not in message
    assert list(tmp.iterdir()) == [], "the spooled copy was left behind"


ESCAPES = b"\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]0;owned\x07\x1b[2J\x1b[31m\x9b31m"


def _bundle_with_escapes(root: Path) -> Path:
    b = root / "bundle"
    (b / "namespaces/llm/logs/llama-8b-0").mkdir(parents=True)
    (b / "manifest.json").write_bytes(MANIFEST)
    (b / LOG_PATH).write_bytes(LOG + b"2026-11-20T09:12:35Z ERROR OSError: You are trying to access a gated repo. "
                               + ESCAPES + b"\n")
    with open(os.path.join(os.fsencode(b / "namespaces/llm/logs/llama-8b-0"), b"evil\x1b]0;t\x07.log"), "wb") as f:
        f.write(LOG + ESCAPES + b"\n")
    return b


def _no_escapes(text: str) -> None:
    for seq in ("\x1b", "\x9b", "\x07"):
        assert seq not in text, repr(text[max(0, text.find(seq) - 80):text.find(seq) + 80])


def test_a_report_written_to_a_terminal_carries_no_escape_sequence(tmp_path):
    bundle = _bundle_with_escapes(tmp_path)
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(ROOT), TERM="xterm")
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", "analyze", str(bundle), "--format", "md"],
                            stdout=slave, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=120)
    os.close(master)
    RUN_COUNTS["hostile cases"] += 1
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0 and "gated repo" in shown
    _no_escapes(shown)
    # to a file or a pipe the report is as it was written (escaped by the format where it must be)
    rc, out, _ = _run(["analyze", str(bundle), "--format", "json"], tmp_path)
    assert rc == 0 and b"\\u001b]52" in out


def test_error_messages_carry_no_escape_sequence(tmp_path):
    name = "bad\x1b]0;owned\x07\x1b[2Jname"
    rc, _, err = _run(["analyze", str(tmp_path / name)], tmp_path)
    line = _one_line_error(rc, err)
    _no_escapes(line)
    assert "badname" in line.replace("]0;owned", "")
