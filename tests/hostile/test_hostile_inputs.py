"""Every hostile input of issue 7 through `python3 -m analyzer analyze`, as a user would run it.

For each case: exit 0 with the problem under "could not read" (JSON `input.read_errors`) or
exit 2 with a one-line message; never a traceback; nothing written outside the output file
(the working directory, TMPDIR and the input stay as they were; no member escapes); peak memory
under 1 GiB (measured, and the address space capped at 3 GiB so a blow-up fails fast instead of
taking the shared machine down).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from hostile_cases import CASES, RUN_COUNTS, Case

ROOT = Path(__file__).resolve().parents[2]
MAX_RSS_MB = 1024
ADDRESS_SPACE = 3 << 30
TIMEOUT_S = 120

# Known failures, reported to the lead; strict, so a fix makes these tests fail until unmarked.
# cases the analyzer does not handle yet: (reason, timeout); empty when all are handled
KNOWN: dict[str, tuple[str, int | None]] = {}

# Runs the analyzer with a capped address space and reports its exit code and peak RSS. The time
# limit is on CPU time (a run that spins), with WALL_FACTOR times as much wall time for a run that
# blocks: on a machine shared by several test runs, wall time alone measured the machine.
WALL_FACTOR = 3
_WRAPPER = r"""
import json, os, resource, signal, subprocess, sys
out, limit, timeout, *cmd = sys.argv[1:]
def cap():
    resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
    resource.setrlimit(resource.RLIMIT_CPU, (int(float(timeout)), int(float(timeout)) + 5))
p = subprocess.Popen(cmd, preexec_fn=cap, start_new_session=True)
try:
    rc = p.wait(timeout=float(timeout) * %d)
    timed_out = rc in (-signal.SIGXCPU, -signal.SIGKILL)
except subprocess.TimeoutExpired:
    os.killpg(p.pid, signal.SIGKILL)
    rc, timed_out = p.wait(), True
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(out, "w").write(json.dumps({"rc": rc, "maxrss_kb": rss, "timed_out": timed_out}))
""" % WALL_FACTOR


def _snapshot(path: Path) -> dict[str, int]:
    if path.is_file():
        return {path.name: path.stat().st_size}
    return {str(p.relative_to(path)): (p.lstat().st_size if not p.is_dir() else -1)
            for p in sorted(path.rglob("*"))}


def _params():
    for build in CASES:
        marks = []
        if build.__name__ in KNOWN:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[build.__name__][0]))
        yield pytest.param(build, id=build.__name__, marks=marks)


@pytest.mark.parametrize("build", list(_params()))
def test_hostile_input(build, tmp_path):
    inputs, out, tmp, work = (tmp_path / d for d in ("in", "out", "tmp", "work"))
    for d in (inputs, out, tmp, work):
        d.mkdir()
    case: Case = build(inputs)
    before = _snapshot(inputs)
    result = tmp_path / "result.json"
    timeout = (KNOWN.get(build.__name__, (None, None))[1]) or TIMEOUT_S
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(ROOT))
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(result), str(ADDRESS_SPACE), str(timeout),
         sys.executable, "-m", "analyzer", "analyze", str(case.input), "--format", "json",
         "-o", str(out / "report.json")],
        cwd=work, env=env, capture_output=True, text=True, timeout=timeout * WALL_FACTOR + 60)
    RUN_COUNTS["hostile cases"] += 1
    run = json.loads(result.read_text())
    assert not run["timed_out"], f"{case.name}: still running after {timeout} s of CPU time or {timeout * WALL_FACTOR} s"
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
