"""`bundle-analyzer ft-summary`: formats, exit codes and messages a user sees."""

from __future__ import annotations

import json
import re
import tarfile
import zipfile

import pytest
from click.testing import CliRunner

from analyzer.cli import main
from tests.ft.ftexpect import SAMPLE


def _run(*args: str):
    return CliRunner().invoke(main, ["ft-summary", *args])


def test_default_grid_on_the_shipped_sample():
    res = _run(str(SAMPLE))
    assert res.exit_code == 0, res.output
    assert res.output.startswith("\nTest Group: agg-tp-1-dp-1\n╒")
    assert "Layout found: k8s-jsonl" in res.output
    for group in ("agg-tp-1-dp-1", "agg-tp-1-dp-2", "disagg-tp-1-dp-1", "disagg-tp-1-dp-2"):
        assert f"Test Group: {group}" in res.output


def test_json_is_a_list_of_rows_with_numbers_or_null():
    res = _run(str(SAMPLE), "--format", "json")
    assert res.exit_code == 0
    rows = json.loads(res.output)
    assert {r["failure"] for r in rows} >= {"none", "frontend", "decode_worker", "vllm_prefill_engine_core"}
    for r in rows:
        for k in ("startup", "success_before", "failed_before", "success_after", "failed_after",
                  "latency_before", "latency_after", "recovery"):
            assert r[k] is None or isinstance(r[k], (int, float))


def test_markdown_and_sla():
    res = _run(str(SAMPLE), "--format", "md", "--sla", "1.22")
    assert res.exit_code == 0
    assert "## Test Group: disagg-tp-1-dp-1" in res.output
    assert "| Violations Before | Violations After | Recovery |" in res.output


def test_html_is_self_contained_with_timeline_marks(tmp_path):
    out = tmp_path / "ft.html"
    res = _run(str(SAMPLE), "--format", "html", "-o", str(out))
    assert res.exit_code == 0 and res.output == ""
    html = out.read_text()
    assert html.count("<svg") == 7                                  # one timeline per scenario
    assert html.count('class="mark-fault"') == 6 and html.count('class="mark-recovered"') == 6
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)   # no network request
    assert "<script" not in html and "<link" not in html and "@import" not in html


def test_missing_input_exits_2_with_one_line(tmp_path):
    res = _run(str(tmp_path / "nope"))
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0 and "no such file or directory" in res.output


@pytest.mark.parametrize("fmt", ["grid", "md", "json", "html"])
@pytest.mark.parametrize("archive", ["ft.tgz", "ft.zip", "ft.tar"])
def test_an_archive_of_the_results_gives_the_folders_table(tmp_path, archive, fmt):
    """The results as the CI job uploads them: one archive, read through ingest like `analyze`."""
    path = tmp_path / archive
    if archive.endswith(".zip"):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(SAMPLE.rglob("*")):
                if p.is_file():
                    zf.write(p, f"ft-results/{p.relative_to(SAMPLE).as_posix()}")
    else:
        with tarfile.open(path, "w:gz" if archive.endswith(".tgz") else "w") as tf:
            tf.add(SAMPLE, arcname="ft-results")
    folder, packed = _run(str(SAMPLE), "--format", fmt), _run(str(path), "--format", fmt)
    assert folder.exit_code == 0 and packed.exit_code == 0, packed.output
    assert packed.output == folder.output
    assert "Test Group: agg-tp-1-dp-1" in packed.output or fmt == "json"


def test_a_single_scenario_folder_archive_keeps_its_name(tmp_path):
    scenario = next(p for p in sorted(SAMPLE.iterdir()) if p.name.endswith("-frontend]"))
    path = tmp_path / "one.tgz"
    with tarfile.open(path, "w:gz") as tf:
        tf.add(scenario, arcname=scenario.name)
    rows = json.loads(_run(str(path), "--format", "json").output)
    assert [(r["group"], r["failure"], r["scenario"]) for r in rows] == [
        ("agg-tp-1-dp-1", "frontend", scenario.name)]
    assert rows == json.loads(_run(str(scenario), "--format", "json").output)


def test_folder_without_results_exits_2(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    res = _run(str(tmp_path))
    assert res.exit_code == 2
    assert "no test_fault_scenario[...]" in res.output
