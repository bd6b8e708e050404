"""`analyze --format parquet`: findings, signals and every table, log lines streamed."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pyarrow.parquet as pq

from analyzer.report import write_parquet


def _log_batches(n: int):
    for b in range(n):
        yield pl.DataFrame({
            "path": ["namespaces/llm/logs/vllm-decode-7c9f5d8b6-x2kqp/main.log"] * 3,
            "line": [b * 3 + 1, b * 3 + 2, b * 3 + 3],
            "time": [datetime(2026, 11, 20, 10, 0, b, tzinfo=timezone.utc)] * 3,
            "text": [f"INFO batch {b} line {i}" for i in range(3)],
        })


def test_everything_is_written(multi_fault, tmp_path):
    result, tables, _ = multi_fault
    signals = pl.DataFrame({"pattern_id": ["CUDA001"], "path": ["x.log"], "line": [412]})
    written = write_parquet(result, tables, signals, _log_batches(4), tmp_path / "out")
    files = sorted(p.stem for p in (tmp_path / "out").glob("*.parquet"))
    assert files == sorted(["findings", "root_causes", "evidence", "checks", "unexplained", "signals",
                            "log_lines", *tables])
    findings = pl.read_parquet(tmp_path / "out" / "findings.parquet")
    assert findings.height == 7 == written["findings"]
    f1 = findings.row(by_predicate=pl.col("id") == "F1", named=True)
    assert (f1["rank"], f1["root_cause"], f1["symptoms"]) == (1, True, ["F4", "F5", "F6"])
    assert f1["pods"] == ["vllm-decode-7c9f5d8b6-x2kqp"] and f1["namespaces"] == ["llm"]
    f5 = findings.row(by_predicate=pl.col("id") == "F5", named=True)
    assert (f5["caused_by"], f5["rank"]) == ("F1", None)
    roots = pl.read_parquet(tmp_path / "out" / "root_causes.parquet")
    assert roots["id"].to_list() == ["F1", "F2", "F3"]
    evidence = pl.read_parquet(tmp_path / "out" / "evidence.parquet")
    first = evidence.row(0, named=True)
    assert first["text"][first["match_start"]:first["match_end"]] == "CUDA out of memory"
    assert pl.read_parquet(tmp_path / "out" / "events.parquet").height == tables["events"].height


def test_log_lines_written_batch_by_batch(multi_fault, tmp_path):
    result, tables, _ = multi_fault
    written = write_parquet(result, tables, None, _log_batches(5), tmp_path)
    meta = pq.ParquetFile(tmp_path / "log_lines.parquet").metadata
    assert meta.num_row_groups == 5 and meta.num_rows == 15 == written["log_lines"]
    assert "signals" not in written


def test_no_log_lines_an_empty_table_with_its_schema(healthy, tmp_path):
    """Like every other table, log_lines is always written: a glob over a run's files finds it."""
    from analyzer.tables import SCHEMAS

    written = write_parquet(*healthy[:2], None, iter(()), tmp_path)
    assert written["log_lines"] == 0
    lines = pl.read_parquet(tmp_path / "log_lines.parquet")
    assert lines.height == 0 and dict(lines.schema) == SCHEMAS["log_lines"]
    assert pl.read_parquet(tmp_path / "findings.parquet").height == 0


def test_later_batches_take_the_first_batchs_schema(multi_fault, tmp_path):
    result, tables, _ = multi_fault
    batches = list(_log_batches(2))
    batches[1] = batches[1].with_columns(pl.col("line").cast(pl.Int32))   # a narrower type in batch 2
    write_parquet(result, tables, None, iter(batches), tmp_path)
    meta = pq.ParquetFile(tmp_path / "log_lines.parquet")
    assert meta.metadata.num_row_groups == 2 and meta.schema_arrow.field("line").type == "int64"


def test_analyze_parquet_and_the_tables_command_write_tables_alike(tmp_path):
    """One writer: the parsed tables of `analyze --format parquet` and of `tables` are the same
    files (same rows, same schema, same compression)."""
    from analyzer.pipeline import write_report, write_tables
    from testkit.samples import sample_run

    run = sample_run("oomkilled-memory-growth")
    write_report(run.analysis, "parquet", tmp_path / "analyze")
    written = write_tables(str(run.path), tmp_path / "tables")
    assert written["log_lines"] > 0
    for name in written:
        a, b = tmp_path / "analyze" / f"{name}.parquet", tmp_path / "tables" / f"{name}.parquet"
        assert pl.read_parquet(a).equals(pl.read_parquet(b)), name
        fa, fb = pq.ParquetFile(a), pq.ParquetFile(b)
        assert fa.schema_arrow == fb.schema_arrow, name
        codecs = {f.metadata.row_group(g).column(0).compression for f in (fa, fb)
                  for g in range(f.metadata.num_row_groups)}
        assert codecs <= {"ZSTD"}, (name, codecs)
    assert pq.ParquetFile(tmp_path / "tables" / "log_lines.parquet").metadata.row_group(0).column(0).compression == "ZSTD"


def test_errors_no_pattern_knows_and_inferred_findings(tmp_path):
    """``unexplained.parquet``: one row per template, in rank order; findings carry ``inferred``."""
    result = {"root_causes": [], "checks": [], "findings": [
        {"id": "F1", "category": "unclassified.error", "layer": "unclassified", "severity": "warning",
         "affected": [], "evidence": [], "inferred": True, "confidence": None, "inferred_from": []},
        {"id": "F2", "category": "network.dns", "layer": "network", "severity": "warning",
         "affected": [], "evidence": [], "inferred": True, "confidence": 0.7, "inferred_from": ["nxdomain"]}],
        "unexplained": [
        {"template": "shard <n> lost its lease", "count": 4, "category": None, "confidence": None,
         "inferred_from": [], "source": "log", "level": "ERROR", "affected": [], "first_seen": None,
         "last_seen": None, "evidence": [{"path": "a.log", "line": 7, "text": "ERROR shard 3 lost its lease"}],
         "finding": "F1"},
        {"template": "lookup <q> failed: NXDOMAIN", "count": 1, "category": "network.dns", "confidence": 0.7,
         "inferred_from": ["nxdomain"], "source": "log", "level": None, "affected": [], "first_seen": None,
         "last_seen": None, "evidence": [{"path": "a.log", "line": 9, "text": "lookup 'x.svc' failed: NXDOMAIN"}],
         "finding": "F2"}]}
    write_parquet(result, {}, None, iter(()), tmp_path)
    u = pl.read_parquet(tmp_path / "unexplained.parquet")
    assert u["rank"].to_list() == [1, 2] and u["count"].to_list() == [4, 1]
    assert u.row(0, named=True)["path"] == "a.log" and u.row(0, named=True)["line"] == 7
    assert u["category"].to_list() == [None, "network.dns"] and u["finding"].to_list() == ["F1", "F2"]
    f = pl.read_parquet(tmp_path / "findings.parquet")
    assert f["inferred"].to_list() == [True, True] and f["confidence"].to_list() == [None, 0.7]
