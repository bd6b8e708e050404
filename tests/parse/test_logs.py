"""Log lines: formats, timestamps, levels, and tracebacks attached to the record that began them."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import polars as pl

from analyzer.parse.logs import iter_line_blocks, log_frames

VLLM_OOM = """\
2026-11-20T09:59:10.112233445Z INFO 11-20 09:59:10 [model_runner.py:1025] Loading model weights took 15.2683 GB
2026-11-20T09:59:11.000000001Z (EngineCore_DP0 pid=312) ERROR 11-20 09:59:11 [core.py:708] EngineCore failed to start.
2026-11-20T09:59:11.000000002Z (EngineCore_DP0 pid=312) Traceback (most recent call last):
2026-11-20T09:59:11.000000003Z (EngineCore_DP0 pid=312)   File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 699, in run_engine_core
2026-11-20T09:59:11.000000004Z (EngineCore_DP0 pid=312)     engine_core = EngineCoreProc(*args, **kwargs)
2026-11-20T09:59:11.000000005Z (EngineCore_DP0 pid=312) torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.76 GiB. GPU 0 has a total capacity of 79.19 GiB of which 1.05 GiB is free.
"""

PLAIN_TRACEBACK = """\
2024-01-15 10:30:05,456 - model_server - ERROR - Prediction failed
Traceback (most recent call last):
  File "/app/server.py", line 88, in predict
    out = model(batch)
RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 15.78 GiB total capacity; 14.21 GiB already allocated)
2024-01-15 10:30:06,001 - model_server - INFO - Request completed
Traceback (most recent call last):
  File "/app/loader.py", line 3, in <module>
FileNotFoundError: [Errno 2] No such file or directory: '/models/resnet50/config.json'
"""


def _frame(text: str, year: int | None = 2026) -> pl.DataFrame:
    errors: list[str] = []
    frames = list(log_frames(io.BytesIO(text.encode()), {"path": "p", "pod": "x"}, 1 << 20, year, errors))
    return pl.concat(frames)


def test_traceback_lines_point_at_the_record_that_started_them():
    df = _frame(VLLM_OOM)
    oom = df.filter(pl.col("text").str.contains("OutOfMemoryError")).row(0, named=True)
    assert oom["line"] == 6
    assert oom["record_line"] == 2          # the "EngineCore failed to start." ERROR line
    assert oom["level"] == "ERROR"
    assert df.get_column("record_line").to_list() == [1, 2, 2, 2, 2, 2]


def test_bare_traceback_after_info_starts_its_own_record():
    df = _frame(PLAIN_TRACEBACK, year=None)
    rows = df.select("line", "record_line", "level").rows()
    # lines 2-5 belong to the ERROR record of line 1; the second traceback starts at line 7
    assert [r[1] for r in rows] == [1, 1, 1, 1, 1, 6, 7, 7, 7]
    assert rows[4][2] == "ERROR"
    first_time = df.row(4, named=True)["time"]
    assert first_time == datetime(2024, 1, 15, 10, 30, 5, 456000, tzinfo=timezone.utc)


def test_formats_levels_and_times():
    lines = {
        "2025-09-02T15:50:01.770028Z  INFO main.init: VllmWorker for Qwen/Qwen3-0.6B has been initialized":
            ("dynamo", "INFO", datetime(2025, 9, 2, 15, 50, 1, 770028, tzinfo=timezone.utc)),
        '{"time":"2025-09-02T15:53:31.943377Z","level":"WARN","target":"log","message":"x"}':
            ("dynamo-jsonl", "WARNING", datetime(2025, 9, 2, 15, 53, 31, 943377, tzinfo=timezone.utc)),
        'E1120 09:58:02.123456       1 scheduler.go:412] "Error scheduling pod"':
            ("klog", "ERROR", datetime(2026, 11, 20, 9, 58, 2, 123456, tzinfo=timezone.utc)),
        "(APIServer pid=1) WARNING 11-20 09:58:03 [api_server.py:91] Slow request":
            ("vllm", "WARNING", datetime(2026, 11, 20, 9, 58, 3, tzinfo=timezone.utc)),
        'INFO:     10.254.5.122:45440 - "POST /v1/completions HTTP/1.1" 500 Internal Server Error':
            ("uvicorn", "INFO", None),
        "[7] 2026/11/20 09:58:04.000100 [ERR] Error trying to connect to route":
            ("nats", "ERROR", datetime(2026, 11, 20, 9, 58, 4, 100, tzinfo=timezone.utc)),
        "2026-11-20T09:58:05.5Z stderr F I1120 09:58:05.000000 1 main.go:1] cri wrapped":
            ("klog", "INFO", datetime(2026, 11, 20, 9, 58, 5, 500000, tzinfo=timezone.utc)),
    }
    df = _frame("\n".join(lines) + "\n")
    for (text, (fmt, level, time)), row in zip(lines.items(), df.iter_rows(named=True)):
        assert (row["format"], row["level"], row["time"]) == (fmt, level, time), text


def test_long_lines_are_cut_and_reported_without_holding_them():
    big = b"x" * (3 << 20)
    data = b"first\n" + big + b"\nlast\n"
    errors: list[str] = []
    frames = list(log_frames(io.BytesIO(data), {"path": "p"}, 1 << 20, None, errors, block=1 << 20))
    df = pl.concat(frames)
    assert df.get_column("line").to_list() == [1, 2, 3]
    assert df.row(1, named=True)["text"] == "x" * (1 << 20)
    assert df.row(2, named=True)["text"] == "last"
    assert errors == ["line 2 longer than 1048576 bytes: cut"]


def test_blocks_cover_every_line_once():
    data = b"".join(f"line {i}\n".encode() for i in range(10_000))
    got = []
    for text, first, _ in iter_line_blocks(io.BytesIO(data), 1 << 20, block=4096):
        got.extend((first + k, t) for k, t in enumerate(text.split("\n")))
    assert got == [(i + 1, f"line {i}") for i in range(10_000)]


def test_invalid_utf8_survives():
    df = _frame("ok \xff\n".encode("latin-1").decode("latin-1"))
    assert df.height == 1
    errors: list[str] = []
    raw = list(log_frames(io.BytesIO(b"bad \xff\xfe bytes\n"), {"path": "p"}, 1 << 20, None, errors))
    assert raw[0].row(0, named=True)["text"] == "bad \ufffd\ufffd bytes"


def test_batches_are_cut_to_the_same_size_whatever_the_file_sizes(tmp_path):
    # memory per batch must not depend on how lines are spread over files: one long file is
    # cut between batches, small files are grouped, and every line comes once, in order
    from analyzer.ingest import open_bundle
    from analyzer.parse import parse_bundle

    logs = tmp_path / "b" / "namespaces" / "ns" / "logs"
    sizes = {"big-0": 2_345, "small-1": 7, "small-2": 13, "mid-3": 555}
    for pod, n in sizes.items():
        (logs / pod).mkdir(parents=True)
        (logs / pod / "main.log").write_text("".join(f"2026-11-20T09:59:00Z INFO {pod} line {i}\n" for i in range(n)))
    with open_bundle(tmp_path / "b") as bundle:
        batches = list(parse_bundle(bundle).iter_log_batches(batch_rows=500, annotated=False))
    heights = [b.height for b in batches]
    total = sum(sizes.values())
    assert heights == [500] * (total // 500) + [total % 500]
    lines = pl.concat(batches)
    assert lines.select("path", "line").n_unique() == total
    for path, g in lines.group_by("path", maintain_order=True):
        assert g.get_column("line").to_list() == list(range(1, g.height + 1))
