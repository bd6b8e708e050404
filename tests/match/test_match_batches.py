"""Carry-over between batches: logs are matched 100,000 rows at a time, and wherever the batches
are cut (inside a record, inside a run of repeated lines, between files) the signals say the same
as one batch would: same rows, times and record starts, same line counts."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import analyzer.match as match
from analyzer.ingest import open_bundle
from analyzer.library import load_library
from analyzer.match import match_parsed, polars_hits
from analyzer.parse import parse_bundle
from matchdata import cut, diagnosis_reads

LIBRARY = load_library()
# batch sizes: one line per batch, cuts at many offsets of the 10-line records, a few larger
CUTS = (1, 2, 3, 7, 10, 11, 13, 40)
OOM = ("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total "
       "capacity of 79.19 GiB of which 1.02 GiB is free.")


def _traceback(minute: int) -> list[str]:
    """A vLLM worker's logged exception: a timestamped ERROR line, then the traceback (no
    timestamps of its own) ending in the CUDA OOM."""
    lines = [f"2025-08-06 21:{minute:02d}:16,412 - vllm.worker - ERROR - Error executing model step",
             "Traceback (most recent call last):"]
    for k in range(3):
        lines += [f'  File "/usr/local/lib/python3.12/site-packages/vllm/worker/model_runner.py", line {1500 + k}, in execute_model',
                  "    hidden_states = model_executable(input_ids=input_ids, positions=positions)"]
    return lines + [OOM]


def _signals(path: Path, rows: int | None) -> pl.DataFrame:
    with open_bundle(str(path)) as bundle:
        parsed = parse_bundle(bundle)
        batches = parsed.iter_log_batches(batch_rows=rows, annotated=False) if rows else None
        return match_parsed(parsed, LIBRARY, log_batches=batches, finder=polars_hits)


def _cut_signals(path: Path, cuts: tuple[int, ...]) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Signals of one batch, and of the same lines cut into batches of each size in ``cuts``."""
    with open_bundle(str(path)) as bundle:
        parsed = parse_bundle(bundle)
        (lines,) = list(parsed.iter_log_batches(batch_rows=1 << 30, annotated=False))
        whole = match_parsed(parsed, LIBRARY, log_batches=[lines], finder=polars_hits)
        return whole, [match_parsed(parsed, LIBRARY, log_batches=cut(lines, n), finder=polars_hits) for n in cuts]


def _same(a: pl.DataFrame, b: pl.DataFrame) -> None:
    """The same kept rows (all but the weights, which may sit on other kept rows) and the same
    reading for the diagnosis."""
    assert a.drop("weight").equals(b.drop("weight"))
    assert diagnosis_reads(a) == diagnosis_reads(b)


def test_a_traceback_cut_by_the_batch_boundary_keeps_its_time_and_start(tmp_path: Path) -> None:
    lines = [f"2025-08-06 21:00:{s:02d},000 - vllm.engine - INFO - Avg prompt throughput: 0.0 tokens/s" for s in range(5)]
    for minute in range(1, 9):  # eight of them: compaction keeps some, weighs the others
        lines += _traceback(minute) + ["2025-08-06 21:30:00,000 - vllm.engine - INFO - restarting step"]
    log = tmp_path / "vllm-worker.log"
    log.write_text("\n".join(lines) + "\n")
    whole, split = _cut_signals(log, CUTS)
    assert whole.equals(_signals(log, None))
    oom = whole.filter(pl.col("pattern_id") == "CUDA001")
    assert oom.get_column("weight").sum() == 8
    # each OOM line belongs to the record its ERROR line starts, and has that line's time
    for row in oom.iter_rows(named=True):
        assert lines[row["record_line"] - 1].endswith("Error executing model step")
        assert row["time"] is not None and row["time"].minute == (row["record_line"] - 6) // 10 + 1
    for got in split:
        _same(got, whole)


def test_a_repeated_signal_split_over_batches_counts_every_line(tmp_path: Path) -> None:
    logs = tmp_path / "b" / "namespaces" / "dynamo" / "logs" / "vllm-0"
    logs.mkdir(parents=True)
    lines = []
    for i in range(40):
        lines.append(f"2025-08-06T21:{i // 60:02d}:{i % 60:02d}.000000000Z ERROR 08-06 21:00:{i % 60:02d} [core.py:708] {OOM}")
        lines.append(f"2025-08-06T21:{i // 60:02d}:{i % 60:02d}.500000000Z INFO 08-06 21:00:{i % 60:02d} [metrics.py:1] ok")
    (logs / "vllm.log").write_text("\n".join(lines) + "\n")
    whole, split = _cut_signals(tmp_path / "b", (2, 3, 7, 13, 40, 79, 80))
    assert whole.filter(pl.col("pattern_id") == "CUDA001").get_column("weight").sum() == 40
    assert whole.filter(pl.col("pattern_id") == "CUDA001").height == 5
    for got in split:
        _same(got, whole)
    # and as the parser cuts them
    _same(_signals(tmp_path / "b", 7), whole)


def test_a_file_does_not_continue_the_record_of_the_file_before_it(tmp_path: Path) -> None:
    d = tmp_path / "b"
    d.mkdir()
    # a.log ends inside a traceback; b.log starts with lines that would continue one
    (d / "a.log").write_text("\n".join(_traceback(1)[:-1]) + "\n")
    (d / "b.log").write_text("\n".join(['  File "x.py", line 1, in f', OOM,
                                        "2025-08-06 21:40:00,000 - vllm.engine - INFO - up"]) + "\n")
    whole, split = _cut_signals(d, tuple(range(1, 12)))
    hit = whole.filter(pl.col("pattern_id") == "CUDA001").row(0, named=True)
    assert hit["path"] == "b.log" and hit["record_line"] == 1 and hit["time"] is None
    for got in split:
        _same(got, whole)


def test_folding_past_batches_early_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = []
    for minute in range(1, 9):
        lines += _traceback(minute)
    log = tmp_path / "w.log"
    log.write_text("\n".join(lines) + "\n")
    whole = _signals(log, None)
    monkeypatch.setattr(match, "FOLD_ROWS", 0)
    for got in _cut_signals(log, (3, 9, 17))[1]:
        _same(got, whole)
