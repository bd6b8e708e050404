"""The command line as a user meets it: exit codes, one-line errors, every command documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from analyzer.cli import main
from testkit.samples import sample_run

ROOT = Path(__file__).resolve().parents[1]
OOM = ROOT / "sample_bundles" / "vllm-cuda-oom-crashloop"
HEALTHY = ROOT / "sample_bundles" / "healthy-dynamo-agg"


def run(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, cwd=ROOT,
                          input=input, timeout=300)


def test_fail_on_sets_exit_code_1_only_when_a_root_cause_reaches_it():
    assert run("analyze", str(OOM), "--format", "json", "--fail-on", "critical").returncode == 1
    assert run("analyze", str(HEALTHY), "--format", "json", "--fail-on", "warning").returncode == 0


def test_unreadable_input_is_one_line_and_exit_2():
    proc = run("analyze", "/nonexistent/bundle.tar.gz")
    assert proc.returncode == 2
    err = proc.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and "no such file" in err and "Traceback" not in err


def test_markdown_names_the_root_cause_and_its_evidence():
    # in-process: the report's content is under test here, the process boundary in the tests above
    proc = CliRunner().invoke(main, ["analyze", str(OOM)])
    assert proc.exit_code == 0, proc.output
    md = proc.stdout
    assert "runtime.cuda_oom" in md
    assert "OutOfMemoryError" in md


def test_stdin_paste_of_a_describe():
    describe = (ROOT / "tests/parse/samples/pod-crashloop.describe.txt").read_bytes()
    proc = run("analyze", "-", "--format", "json", input=describe)
    assert proc.returncode == 0
    result = json.loads(proc.stdout)
    assert result["input"]["layout"] == "file"
    assert [rc["category"] for rc in result["root_causes"]] == ["runtime.crashloop"]


def test_tables_writes_parquet_and_csv(tmp_path):
    runner = CliRunner()
    out = runner.invoke(main, ["tables", str(OOM), "-o", str(tmp_path / "pq")])
    assert out.exit_code == 0, out.output
    pods = pl.read_parquet(tmp_path / "pq" / "pods.parquet")
    assert pods.height > 10
    assert pl.read_parquet(tmp_path / "pq" / "log_lines.parquet").height > 1000
    out = runner.invoke(main, ["tables", str(OOM), "-o", str(tmp_path / "csv"), "--format", "csv"])
    assert out.exit_code == 0
    assert (tmp_path / "csv" / "events.csv").read_text().startswith("path,line,origin,")


def test_patterns_list_show_check():
    runner = CliRunner()
    listed = runner.invoke(main, ["patterns", "list"])
    assert listed.exit_code == 0
    first_id = listed.output.split("\t", 1)[0]
    shown = runner.invoke(main, ["patterns", "show", first_id])
    assert shown.exit_code == 0 and shown.output.startswith(f"# {first_id} ")
    assert runner.invoke(main, ["patterns", "show", "NOPE999"]).exit_code == 2
    checked = runner.invoke(main, ["patterns", "check"])
    assert checked.exit_code == 0, checked.output
    assert checked.output.rstrip().endswith("0 problems")


def test_patterns_check_reports_a_broken_library(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "- id: BAD001\n  name: bad\n  title: t\n  category: runtime.cuda_oom\n  severity: critical\n"
        "  sources: [log]\n  hint: ['zzz']\n  regex: 'CUDA out of memory'\n  summary: s\n"
        "  root_cause: r\n  remediation: x\n  examples:\n    match: ['CUDA out of memory']\n"
        "    no_match: ['fine']\n")
    out = CliRunner().invoke(main, ["patterns", "check", str(tmp_path)])
    assert out.exit_code == 1
    assert "bad.yaml BAD001: hint ['zzz'] does not occur in match example" in out.output


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name, cmd in main.commands.items():
        assert f"bundle-analyzer {name}" in readme, name
        for sub in getattr(cmd, "commands", {}):
            assert f"bundle-analyzer {name} {sub}" in readme, f"{name} {sub}"


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_same_input_same_bytes(tmp_path, fmt):
    """Two runs, the same bytes: the command in a fresh process and the session's in-process run."""
    out = tmp_path / f"report.{fmt}"
    assert run("analyze", str(OOM), "--format", fmt, "-o", str(out)).returncode == 0
    assert out.read_bytes() == sample_run(OOM).report(fmt).encode("utf-8")
