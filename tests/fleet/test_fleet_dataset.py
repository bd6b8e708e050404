"""``bundle-analyzer fleet``: the dataset of every sample bundle plus a damaged one says what
``analyze --format json`` says of each; a rerun analyses none; the damaged one is a failed row."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from analyzer.fleet.dataset import SCHEMAS, TABLES, load, table_glob

from conftest import damaged_bundle, fleet, sample_bundles

RC_KEYS = ("rank", "category", "severity", "state", "finding_id", "title", "summary")


def _expected_roots(result: dict) -> list[tuple]:
    return [(rank, rc["category"], rc["severity"], rc.get("state"), rc["id"], rc["title"], rc["summary"])
            for rank, rc in enumerate(result["root_causes"], 1)]


def test_root_causes_per_bundle_equal_analyze_json(sample_dataset, analyze_json):
    dataset, _, _, _ = sample_dataset
    roots = load(dataset, "root_causes")
    for given, result in analyze_json.items():
        got = roots.filter(pl.col("input") == given).sort("rank").select(RC_KEYS).rows()
        assert got == _expected_roots(result), given


def test_findings_evidence_and_facts_follow_the_result(sample_dataset, analyze_json):
    dataset, _, _, _ = sample_dataset
    bundles = load(dataset, "bundles")
    findings = load(dataset, "findings")
    evidence = load(dataset, "evidence")
    for given, result in analyze_json.items():
        row = bundles.filter(pl.col("input") == given).to_dicts()[0]
        assert row["status"] == "ok" and row["error"] is None
        assert row["layout"] == result["bundle"]["layout"]
        assert row["server_version"] == result["bundle"]["server_version"]
        assert row["root_causes"] == len(result["root_causes"])
        assert (row["collected_at"] is None) == (result["bundle"]["collected_at"] is None)
        mine = findings.filter(pl.col("bundle_id") == row["bundle_id"]).sort("finding_id")
        want = sorted(result["findings"], key=lambda f: f["id"])
        assert mine.select("finding_id", "category", "root_cause").rows() == \
            [(f["id"], f["category"], f["root_cause"]) for f in want]
        texts = evidence.filter(pl.col("bundle_id") == row["bundle_id"]).sort("finding_id", "n")
        assert texts.get_column("text").to_list() == \
            [e["text"] for f in want for e in f["evidence"]], given


def test_gpu_models_come_from_the_nodes(sample_dataset):
    dataset, _, _, _ = sample_dataset
    bundles = load(dataset, "bundles")
    xid = bundles.filter(pl.col("input").str.ends_with("xid79-gpu-fell-off-bus")).to_dicts()[0]
    assert "NVIDIA-H100-80GB-HBM3" in xid["gpu_models"]
    ft = bundles.filter(pl.col("layout") == "ft-results").to_dicts()[0]
    assert ft["gpu_models"] == []


def test_damaged_bundle_is_a_failed_row_with_its_error(sample_dataset):
    dataset, damaged, first, _ = sample_dataset
    rows = load(dataset, "bundles").filter(pl.col("input") == str(damaged)).to_dicts()
    assert len(rows) == 1
    assert rows[0]["status"] == "failed"
    assert "truncated" in rows[0]["error"] and "no readable file" in rows[0]["error"]
    assert load(dataset, "root_causes").filter(pl.col("bundle_id") == rows[0]["bundle_id"]).is_empty()
    n = len(sample_bundles())
    assert f"{n + 1} bundle(s): {n + 1} analysed ({n} ok, 1 failed)" in first


def test_rerun_analyses_none(sample_dataset):
    dataset, _, _, again = sample_dataset
    n = len(sample_bundles()) + 1
    assert again.startswith(f"{n} bundle(s): 0 analysed (0 ok, 0 failed), {n} already in the dataset")
    bundles = load(dataset, "bundles")
    assert bundles.height == n and bundles.get_column("bundle_id").n_unique() == n


def test_hive_layout_and_fixed_names_read_by_duckdb(sample_dataset):
    dataset, _, _, _ = sample_dataset
    for name in TABLES:
        parts = list((dataset / name).glob("analyzed_on=*/part-*.parquet"))
        assert parts, name
        assert list(pl.read_parquet(parts[0]).schema) == list(SCHEMAS[name])
    con = duckdb.connect()
    top = con.execute(
        f"SELECT b.status, count(*) FROM read_parquet('{table_glob(dataset, 'bundles')}', hive_partitioning=true) b "
        "GROUP BY ALL ORDER BY 1").fetchall()
    assert top == [("failed", 1), ("ok", len(sample_bundles()))]
    ranks = con.execute(
        f"SELECT min(rank), max(analyzed_on) IS NOT NULL FROM read_parquet('{table_glob(dataset, 'root_causes')}', "
        "hive_partitioning=true)").fetchone()
    assert ranks == (1, True)


def test_changed_bundle_is_analysed_again_and_labels_come_from_folders(tmp_path):
    tickets = tmp_path / "tickets"
    first = tickets / "acme" / "T-1001"
    first.mkdir(parents=True)
    shutil.copytree(Path(sample_bundles()[0]), first / "bundle")
    other = tickets / "globex" / "T-2002"
    other.mkdir(parents=True)
    damaged_bundle(other)
    (other / "notes.txt").write_text("customer says it broke after the upgrade\n")
    dataset = tmp_path / "ds"
    code, out, err = fleet(str(tickets), "-o", str(dataset), "-j", "1", "--label", "region=eu")
    assert code == 0, err
    assert "2 bundle(s): 2 analysed (1 ok, 1 failed)" in out and "1 file(s) left out" in out
    labels = {row["input"]: pl.Series([row["labels"]]).str.json_decode().to_list()[0]
              for row in load(dataset, "bundles").to_dicts()}
    assert labels == {str(first / "bundle"): {"customer": "acme", "ticket": "T-1001", "region": "eu"},
                      str(other / "damaged.tar.gz"): {"customer": "globex", "ticket": "T-2002", "region": "eu"}}
    # a changed file makes a new bundle id: only that bundle is analysed again
    manifest = first / "bundle" / "manifest.json"
    manifest.write_text(manifest.read_text() + "\n")
    code, out, err = fleet(str(tickets), "-o", str(dataset), "-j", "1")
    assert code == 0, err
    assert "2 bundle(s): 1 analysed (1 ok, 0 failed), 1 already in the dataset" in out
    # a copy elsewhere is the same bundle: read once by a worker, not analysed, then known by its key
    shutil.copytree(first / "bundle", tickets / "initech" / "T-3003" / "bundle")
    code, out, err = fleet(str(tickets), "-o", str(dataset), "-j", "1")
    assert code == 0, err
    assert "3 bundle(s): 0 analysed (0 ok, 0 failed), 3 already in the dataset" in out
    assert load(dataset, "bundles").height == 3
    assert load(dataset, "inputs").filter(pl.col("input").str.contains("initech")).height == 1


def test_bad_inputs_are_one_line_errors(tmp_path):
    code, _, err = fleet(str(tmp_path / "missing"), "-o", str(tmp_path / "ds"))
    assert code == 2 and "no such file or directory" in err and "no bundle found" in err
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "x.txt").write_text("hello\n")
    code, _, err = fleet(str(tmp_path), "-o", str(tmp_path / "notes" / "x.txt"))
    assert code == 2 and "is not a directory" in err
    code, _, err = fleet(str(tmp_path), "-o", str(tmp_path / "d"), "--label", "nokey")
    assert code == 2 and "KEY=VALUE" in err
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("name", ["planted-secrets"])
def test_no_planted_secret_reaches_the_dataset(sample_dataset, name):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tools.make_secrets_bundle import PLANTED, WRAPPED

    dataset, _, _, _ = sample_dataset
    text = "\n".join(repr(row) for t in TABLES for row in load(dataset, t).rows())
    leaks = [det for det, value, _ in PLANTED if any(p in text for p in WRAPPED.get(value, (value,)))]
    assert leaks == []
    assert load(dataset, "bundles").filter(pl.col("input").str.ends_with(name)).get_column("redacted").to_list() == [True]


def test_readme_queries_run_on_the_dataset(sample_dataset, capsys):
    """The README's DuckDB and Polars lines, as written, over the sample dataset."""
    import re

    dataset, _, _, _ = sample_dataset
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Many bundles: the fleet dataset", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert 'DATASET = "fleet-ds"' in code
    exec(compile(code.replace('DATASET = "fleet-ds"', f"DATASET = {str(dataset)!r}"), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "runtime.cuda_oom" in printed and "gpu.hardware" in printed
    assert "shape: (1, 2)" in printed   # the one failed bundle: input and error
    assert "NVIDIA-H100" in printed


def test_every_table_and_column_is_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "fleet-schema.md").read_text(encoding="utf-8")
    for name, schema in SCHEMAS.items():
        assert f"## {name}:" in doc, name
        section = doc.split(f"## {name}:", 1)[1].split("\n## ", 1)[0]
        missing = [c for c in schema if f"`{c}`" not in section]
        assert missing == [], f"{name}: {missing}"


def test_progress_on_a_terminal_counts_bundles(tmp_path, monkeypatch):
    import io

    from analyzer import progress as prog
    from analyzer.fleet.run import run_fleet

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(prog, "DELAY", 0.0)
    monkeypatch.setattr(prog, "INTERVAL", 0.0)
    for i in range(2):
        (tmp_path / "in" / f"T-{i}").mkdir(parents=True)
        (tmp_path / "in" / f"T-{i}" / "paste.log").write_text(
            f"torch.OutOfMemoryError: CUDA out of memory. Tried to allocate {i + 2}.00 GiB\n")
    screen = Tty()
    # given one by one: a folder of plain logs is one (loose) bundle
    run = run_fleet([str(tmp_path / "in" / "T-0"), str(tmp_path / "in" / "T-1")], tmp_path / "ds", jobs=1,
                    progress=prog.Progress(screen))
    assert (run.analysed, run.ok) == (2, 2)
    assert "analysing bundles (local): 1/2 bundles" in screen.getvalue()
    assert screen.getvalue().endswith("\r")   # the line is cleared for the summary


def test_a_token_in_a_folder_name_is_redacted(tmp_path):
    token = "hf_" + "Q7x2Lm9Pz4Kd8Rt1Vb6Nc3Hs5Jw0Gy2Fa"
    ticket = tmp_path / "in" / "acme" / f"T-7-{token}"
    ticket.mkdir(parents=True)
    damaged_bundle(ticket)
    dataset = tmp_path / "ds"
    code, _, err = fleet(str(tmp_path / "in"), "-o", str(dataset), "-j", "1")
    assert code == 0 and token in err   # the terminal says which input failed, as given
    text = "\n".join(repr(row) for t in TABLES for row in load(dataset, t).rows())
    assert "damaged.tar.gz" in text and token not in text
