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


def _snapshot(path: Path) -> dict[str, int]:
    if path.is_file():
        return {path.name: path.stat().st_size}
    return {str(p.relative_to(path)): (p.lstat().st_size if not p.is_dir() else -1)
            for p in sorted(path.rglob("*"))}


@pytest.mark.parametrize("build", CASES, ids=[b.__name__ for b in CASES])
def test_hostile_input(build, tmp_path):
    inputs, out, tmp, work = (tmp_path / d for d in ("in", "out", "tmp", "work"))
    for d in (inputs, out, tmp, work):
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
