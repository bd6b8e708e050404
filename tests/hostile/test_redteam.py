"""The red-team suite: every case of ``redteam_cases`` through the command(s) it names, with the
assertions every case makes (``redteam.check_run``) and what the case adds: a read error that
names the problem, a root cause still found, ``serve`` answering every request with a result or a
Kubernetes ``Status``, JSON that is strict JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from redteam import counted, check_run, make_place, run_command, snapshot, stop_worker
from redteam_cases import CASES, RedCase

def _param(c: RedCase, cmd: str):
    return pytest.param(c, cmd, id=f"{c.klass}/{c.name}/{cmd}")


PARAMS = [_param(c, cmd) for c in CASES for cmd in c.commands]


@pytest.fixture(scope="module", autouse=True)
def _worker():
    yield
    stop_worker()


def _strict_json(text: str | bytes):
    """JSON as a strict parser reads it: NaN and Infinity are not JSON."""
    def refuse(token: str):
        raise ValueError(f"{token} is not JSON")
    return json.loads(text, parse_constant=refuse)


def _remove(root: Path) -> None:
    """Remove a case's folder: trees deeper than the recursion limit, folders without permission."""
    stack = [os.fsencode(root)]
    while stack:
        top = stack[-1]
        try:
            os.chmod(top, 0o700)
            subdirs = []
            with os.scandir(top) as it:
                for e in it:
                    if e.is_dir(follow_symlinks=False):
                        subdirs.append(e.path)
                    else:
                        os.unlink(e.path)
        except FileNotFoundError:
            subdirs = []
        if subdirs:
            stack.extend(subdirs)
        else:
            os.rmdir(top) if os.path.exists(top) else None
            stack.pop()


def _read_errors(run) -> list[str]:
    """The run's read errors: the JSON report's, or the read_errors table's."""
    if run.out.suffix == ".json" and run.out.is_file():
        return [e["error"] for e in _strict_json(run.out.read_text())["input"]["read_errors"]]
    for name in ("read_errors.csv", "read_errors.parquet"):
        p = run.out / name
        if p.exists():
            import polars as pl

            df = pl.read_csv(p) if name.endswith(".csv") else pl.read_parquet(p)
            return df.get_column("error").cast(str).to_list() if df.height else []
    return []


@pytest.mark.parametrize("case,command", PARAMS)
def test_red_team(case: RedCase, command: str, tmp_path: Path) -> None:
    place, inputs = make_place(tmp_path)
    try:
        _run_case(case, command, place, inputs)
    finally:
        _remove(inputs)


def _run_case(case: RedCase, command: str, place: Path, inputs: Path) -> None:
    built = case.build(inputs)
    src = built.stdin if str(built.input) == "-" else built.input
    before = snapshot(src)
    run = run_command(place, built.input, command, stdin=built.stdin, fresh=case.fresh, extra=built.extra,
                      clash=built.clash, raw=built.raw)
    counted(case.name, case.klass, tuple(s.kind for s in built.secrets), command, run.peak_mb)
    secrets = built.secrets if command != "serve" or built.serve_secrets else ()
    check_run(run, before, src, built.exits, secrets, expect_out=command != "serve")
    if built.clash:
        return
    if run.rc == 0 and command in ("analyze-json", "ft-summary-json"):
        report = _strict_json(run.out.read_text())
        if built.finds and command == "analyze-json":
            found = {r["category"] for r in report["root_causes"]} | {f["category"] for f in report["findings"]}
            assert built.finds in found, sorted(found)
        if command == "analyze-json":
            failed = [c for c in report["checks"] if c["reason"].startswith("could not check")]
            assert not failed, failed
    if built.read_error is not None and run.rc == 0 and command.startswith(("analyze-json", "tables")):
        errors = _read_errors(run)
        assert any(built.read_error in e for e in errors), errors
    if command == "serve" and run.rc == 0:
        _check_answers(run)
    if command.startswith("tables") and run.rc == 0:
        assert (run.out / f"read_errors.{command.split('-')[1]}").exists()


def _check_answers(run) -> None:
    """Every answer is a result or a Kubernetes Status of the same code, in strict JSON."""
    assert run.answers, "serve answered nothing"
    for i, a in enumerate(run.answers):
        body = (run.out / f"answer-{i:04d}.body").read_bytes()
        assert 200 <= a["status"] < 600, a
        if a["content_type"].startswith("application/json"):
            doc = _strict_json(body)
            if a["status"] >= 400:
                assert doc.get("kind") == "Status" and doc.get("code") == a["status"], (a, body[:300])
        else:
            assert a["status"] == 200, (a, body[:300])
