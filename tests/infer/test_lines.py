"""Which log lines are failures no pattern knows, how telling each is, and how they fold."""

from __future__ import annotations

import polars as pl

from analyzer.infer.lines import (
    GROUP_SCHEMA,
    MAX_GROUPS,
    ErrorLines,
    candidate_features,
)


def rows(*lines: str | tuple[str, str | None], path: str = "pod.log", source: str = "log") -> pl.DataFrame:
    texts = [x if isinstance(x, str) else x[0] for x in lines]
    levels = [None if isinstance(x, str) else x[1] for x in lines]
    n = len(texts)
    return pl.DataFrame({
        "path": [path] * n, "line": pl.Series(range(1, n + 1), dtype=pl.UInt32), "text": texts,
        "level": pl.Series(levels, dtype=pl.Utf8), "time": pl.Series([None] * n, dtype=GROUP_SCHEMA["time"]),
        "source": [source] * n, "namespace": pl.Series([None] * n, dtype=pl.Utf8),
        "pod": pl.Series([None] * n, dtype=pl.Utf8), "container": pl.Series([None] * n, dtype=pl.Utf8)})


def kept(*lines, **kw) -> dict[str, dict]:
    return {r["text"]: r for r in candidate_features(rows(*lines, **kw)).to_dicts()}


def test_failure_shapes_are_strong_and_telling() -> None:
    got = kept("RuntimeError: the driver refused the context",
               "panic: runtime error: invalid memory address or nil pointer dereference",
               "Error: failed to load the router configuration",
               'time="2026-01-02T03:04:05Z" level=fatal msg="cannot open the metrics socket"',
               ("E1120 10:00:00.000000 1 sched.go:5] the scheduler answered 7 requests with no data", "ERROR"))
    assert len(got) == 5
    strong = {t: r["strong"] for t, r in got.items()}
    assert strong.pop("E1120 10:00:00.000000 1 sched.go:5] the scheduler answered 7 requests with no data") is False
    assert all(strong.values()), strong
    assert min(r["tell"] for r in got.values()) >= 2


def test_quoted_code_frames_and_quiet_levels_are_not_messages() -> None:
    got = kept(('  File "/usr/lib/python3.12/site-packages/vllm/engine.py", line 12, in run', "ERROR"),
               ("(EngineCore pid=1) ERROR 08-06 21:18:16 [core.py:700]     return func(*args, **kwargs)", "ERROR"),
               ("(EngineCore pid=1) ERROR 08-06 21:18:16 [core.py:700]     raise ValueError(", "ERROR"),
               "goroutine 1 [running]:",
               "        /build/cmd/plugin/main.go:247 +0x4bd",
               ("INFO 08-06 21:18:16 [api.py:1] Failed requests so far: none worth noting", "INFO"),
               "Traceback (most recent call last):")
    assert got == {}


def test_harmless_noise_does_not_count() -> None:
    optional = ("WARNING 06-23 15:00:27 [cuda.py:45] Failed to import from vllm._C_ext: "
                "ModuleNotFoundError(\"No module named 'vllm._C_ext'\")")
    got = kept((optional, "WARNING"),
               ("the tokenizer option is deprecated and will be removed; falling back to slow", "WARNING"),
               ("ERROR fetching metadata failed, retrying 1 of 3", "ERROR"),
               "    Uncorrectable Error                : 0",
               "errors=0 failures=0")
    assert all(r["tell"] <= 0 or r["noise"] for r in got.values()), got
    assert not any(r["strong"] for r in got.values())


def test_describe_output_counts_its_message_only() -> None:
    got = kept("Tolerations:     node.kubernetes.io/unreachable:NoExecute op=Exists for 300s",
               "    Liveness:   http-get http://:8000/health delay=0s timeout=1s period=10s #success=1 #failure=3",
               "Message:        Pod was rejected: the device plugin could not allocate the devices",
               source="describe")
    assert list(got) == ["Message:        Pod was rejected: the device plugin could not allocate the devices"]


def test_an_exit_is_kept_apart() -> None:
    got = kept("command terminated with exit code 255")
    (r,) = got.values()
    assert r["exit"] and not r["strong"]


def test_errorlines_fold_batches_and_skip_explained_lines() -> None:
    acc = ErrorLines()
    b1 = rows(("ERROR worker 3 lost its lease after 12s", "ERROR"), ("ERROR worker 4 lost its lease after 9s", "ERROR"),
              ("torch.OutOfMemoryError: CUDA out of memory", "ERROR"))
    acc.add(b1, hit_rows=pl.Series([2], dtype=pl.UInt32))          # the third line: a pattern knows it
    acc.add(rows(("ERROR worker 9 lost its lease after 1s", "ERROR"), path="other.log"))
    g = acc.groups()
    assert g.height == 1
    r = g.row(0, named=True)
    assert r["count"] == 3 and r["template"] == "worker <n> lost its lease after <n>s"
    assert (r["path"], r["line"]) == ("other.log", 1) or (r["path"], r["line"]) == ("pod.log", 1)
    assert r["text"].startswith("ERROR worker")


def test_errorlines_stay_bounded() -> None:
    acc = ErrorLines()
    lines = [(f"ERROR shard-{i} says the {'abcdefghijklmnopqrstuvwxyz'[i % 26] * (1 + i // 26)} part failed", "ERROR")
             for i in range(MAX_GROUPS + 300)]
    acc.add(rows(*lines))
    assert acc.groups().height <= MAX_GROUPS


def test_classify_lines_names_what_a_crashed_process_died_of() -> None:
    """For the last lines of a crash-looping container (the current-state work calls it)."""
    from analyzer.infer import classify_lines

    last = ["INFO 03-01 10:00:00 [api_server.py:1] vLLM API server version 0.9.2",
            "WARNING 03-01 10:00:01 [config.py:9] The --max-num-seqs default is deprecated",
            "ERROR 03-01 10:00:02 [core.py:700] EngineCore failed to start.",
            "Traceback (most recent call last):",
            '  File "/usr/lib/python3.12/site-packages/vllm/v1/engine/core.py", line 700, in run_engine_core',
            ("urllib3.exceptions.NameResolutionError: <HTTPSConnection(host='hub.internal', port=443)>: "
             "Failed to resolve 'hub.internal' ([Errno -2] Name or service not known)")]
    got = classify_lines(last)
    assert got is not None and got["index"] == 5 and got["strong"]
    assert got["category"] == "network.dns" and "NameResolutionError" in got["inferred_from"]
    assert classify_lines(["INFO all good", "INFO serving"]) is None
    assert classify_lines([]) is None


def test_quiet_record_starts_dropped_before_annotation_change_nothing(monkeypatch) -> None:
    # raw lines (no level yet): INFO/DEBUG record starts with failure words go before the
    # annotation; those with an exception, an error tag or under an ERROR record stay
    texts = [
        "2025-11-20T09:00:00.000000000Z INFO 11-20 09:00:00 [loggers.py:123] num_errors=0 failed=0",
        "2025-11-20T09:00:01.000000000Z DEBUG 11-20 09:00:01 [x.py:1] retrying after timeout",
        "2025-11-20T09:00:02.000000000Z INFO 11-20 09:00:02 [x.py:2] ValueError: could not parse header",
        "2025-11-20T09:00:03.000000000Z INFO 11-20 09:00:03 [x.py:3] request failed error=\"boom\"",
        "2025-11-20T09:00:04.000000000Z ERROR 11-20 09:00:04 [x.py:4] engine failed",
        "  the worker could not start: connection refused",
        "I1120 09:00:05.000000       1 event.go:1] \"Killing container with a grace period\" failed=false",
        "E1120 09:00:06.000000       1 pod_workers.go:1] \"Error syncing pod\" err=\"failed to start\"",
        '{"level":"info","msg":"cache miss: not found","ts":"2025-11-20T09:00:07Z"}',
        '{"level":"error","msg":"upstream unavailable","ts":"2025-11-20T09:00:08Z"}',
        "10.0.0.1 - - [20/Nov/2025:09:00:09 +0000] \"GET /x?error=denied HTTP/1.1\" 302 1 \"-\" \"curl\"",
        "Traceback (most recent call last):",
        "RuntimeError: CUDA error: unknown error",
    ]
    batch = rows(*texts)
    lines = batch.select("path", "line", "text")

    def groups(drop: bool) -> pl.DataFrame:
        if not drop:
            monkeypatch.setattr("analyzer.infer.lines.drop_quiet_starts", lambda r: r)
        acc = ErrorLines()
        acc.add(batch, lines=lines)
        monkeypatch.undo()
        return acc.groups().sort("path", "line")

    fast, full = groups(True), groups(False)
    assert fast.height >= 5
    assert fast.equals(full)
