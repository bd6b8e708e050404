"""Every hostile input of issue 7 through `python3 -m analyzer analyze`, as a user would run it.

For each case: exit 0 with the problem under "could not read" (JSON `input.read_errors`) or
exit 2 with a one-line message; never a traceback; nothing written outside the output file
(the working directory, TMPDIR and the input stay as they were; no member escapes); peak memory
under 1 GiB (measured, and the address space capped at 3 GiB so a blow-up fails fast instead of
taking the shared machine down); at most ``CPU_S`` seconds of CPU. The time limit is CPU time, not
wall time, so that a busy shared machine (or the suite's other workers) cannot fail a case that
does its work in time; a wall-clock limit several times larger still catches a run that waits
forever without using the CPU (a fifo, a lock).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
from pathlib import Path

import pytest

from hostile_cases import CASES, RUN_COUNTS, Case

ROOT = Path(__file__).resolve().parents[2]
MAX_RSS_MB = 1024
ADDRESS_SPACE = 3 << 30
CPU_S = 120
WALL_S = 600

# Runs the analyzer with a capped address space and CPU time (the kernel sends SIGXCPU, then
# SIGKILL at the hard limit) and reports its exit code, peak RSS and the CPU time it used.
_WRAPPER = r"""
import json, os, resource, signal, subprocess, sys
out, limit, cpu, wall, *cmd = sys.argv[1:]
def cap():
    resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
    resource.setrlimit(resource.RLIMIT_CPU, (int(cpu), int(cpu) + 5))
p = subprocess.Popen(cmd, preexec_fn=cap, start_new_session=True)
try:
    rc, timed_out = p.wait(timeout=float(wall)), False
except subprocess.TimeoutExpired:
    os.killpg(p.pid, signal.SIGKILL)
    rc, timed_out = p.wait(), True
use = resource.getrusage(resource.RUSAGE_CHILDREN)
open(out, "w").write(json.dumps({"rc": rc, "maxrss_kb": use.ru_maxrss, "timed_out": timed_out,
                                 "cpu_s": use.ru_utime + use.ru_stime}))
"""


def _entries(root: Path):
    """(path, lstat) of everything under ``root``, without recursion (a tree 1,100 levels deep
    is a case) and skipping folders that cannot be listed (a mode-000 folder is a case)."""
    stack = [str(root)]
    while stack:
        top = stack.pop()
        try:
            with os.scandir(top) as it:
                for entry in it:
                    st = entry.stat(follow_symlinks=False)
                    yield entry.path, st
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except PermissionError:
            continue


def _snapshot(path: Path) -> dict[str, int]:
    if path.is_file():
        return {path.name: path.stat().st_size}
    return dict(sorted((os.path.relpath(p, path), -1 if stat.S_ISDIR(st.st_mode) else st.st_size)
                       for p, st in _entries(path)))


def _remove_tree(root: Path) -> None:
    """Remove a case's input once it ran: deep trees (shutil.rmtree recurses once per level)
    and folders left without permissions."""
    stack = [str(root)]
    while stack:
        top = stack[-1]
        subdirs = []
        try:
            os.chmod(top, 0o700)
            with os.scandir(top) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        subdirs.append(entry.path)
                    else:
                        os.unlink(entry.path)
            if not subdirs:
                os.rmdir(top)
        except FileNotFoundError:
            subdirs = []
        if subdirs:
            stack.extend(subdirs)
        else:
            stack.pop()


@pytest.mark.parametrize("build", CASES, ids=[b.__name__ for b in CASES])
def test_hostile_input(build, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    try:
        _run_case(build, tmp_path, inputs)
    finally:
        # pytest's own clean-up of old temporary folders (shared by every session on the machine)
        # fails on a tree deeper than the recursion limit or a folder without permissions
        _remove_tree(inputs)


def _run_case(build, tmp_path: Path, inputs: Path) -> None:
    out, tmp, work = (tmp_path / d for d in ("out", "tmp", "work"))
    for d in (out, tmp, work):
        d.mkdir()
    case: Case = build(inputs)
    before = _snapshot(inputs)
    result = tmp_path / "result.json"
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(ROOT))
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(result), str(ADDRESS_SPACE), str(CPU_S), str(WALL_S),
         sys.executable, "-m", "analyzer", "analyze", str(case.input), "--format", "json",
         "-o", str(out / "report.json")],
        cwd=work, env=env, capture_output=True, text=True, timeout=WALL_S + 60)
    RUN_COUNTS["hostile cases"] += 1
    run = json.loads(result.read_text())
    assert not run["timed_out"], f"{case.name}: still running after {WALL_S} s ({run['cpu_s']:.0f} s of CPU)"
    assert run["rc"] not in (-signal.SIGXCPU, -signal.SIGKILL), (
        f"{case.name}: stopped at its CPU limit of {CPU_S} s ({run['cpu_s']:.0f} s used)")
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert run["rc"] in case.exits, f"{case.name}: exit {run['rc']}: {proc.stderr[-500:]}"
    assert run["maxrss_kb"] // 1024 < MAX_RSS_MB, f"{case.name}: peak RSS {run['maxrss_kb'] // 1024} MB"
    if run["rc"] == 2:
        message = proc.stderr.strip()
        assert message.startswith("Error: ") and "\n" not in message, message
        assert not (out / "report.json").exists()
    else:
        report = json.loads((out / "report.json").read_text())
        errors = report["input"]["read_errors"]
        if case.read_error is not None:
            assert any(case.read_error in e["error"] for e in errors), (case.name, errors)
        assert report["input"]["files_read"] > 0 or errors or report["root_causes"] == []
    # nothing written anywhere but the output file
    assert list(work.iterdir()) == [], list(work.iterdir())
    assert list(tmp.iterdir()) == [], "temporary files left behind"
    assert sorted(p.name for p in out.iterdir()) in ([], ["report.json"])
    assert _snapshot(inputs) == before, "the input was modified"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out", "result.json", "tmp", "work"]
    for escape in case.escapes:
        assert not escape.exists(), f"{case.name}: wrote {escape}"


def test_every_issue_case_is_in_the_suite():
    names = {b.__name__ for b in CASES}
    assert {"tar_dotdot", "tar_absolute", "tar_links", "zip_unsafe", "dir_links", "tar_devices",
            "bomb_tar_gz", "bomb_zip", "million_members", "long_line", "bad_bytes", "truncated_gzip",
            "truncated_zip", "yaml_bomb", "deep_json", "empty_tar", "empty_zip", "empty_dir",
            "not_a_bundle"} <= names
    # issue 16, items 1 and 4: one read path for every byte, names and encodings
    assert {"gz_corrupt_first_block_dir", "gz_corrupt_mid_stream_tar", "must_gather_corrupt_gz_xz",
            "zip_encrypted_member", "zip_unknown_method", "zip_corrupt_deflate", "zip_corrupt_lzma",
            "zip_overlapping_entries", "gz_members_bomb_dir", "non_utf8_names_dir", "non_utf8_names_tar",
            "utf16_log", "member_name_too_long", "deep_dir", "unreadable_folder", "escape_sequences",
            "truncated_tar_xz", "truncated_tar_bz2", "seven_zip"} <= names
