"""Broken result folders give a table and warnings, never a traceback."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.ft import render, summarize

SCENARIO = "test_fault_scenario[agg-tp-1-dp-1-frontend]"
GOOD = ('{"time": "2025-10-03T10:30:45", "results": [{"status": 200, "result": {"choices": [{"message": '
        '{"content": "' + "7 " * 60 + '"}}]}, "request_elapsed_time": 1.2}], "total_time": 1.2}\n')


def _folder(root: Path, client: bytes, test_log: bytes, pod_log: bytes) -> Path:
    d = root / SCENARIO
    (d / "Frontend").mkdir(parents=True, exist_ok=True)
    (d / "client_0.log.txt").write_bytes(GOOD.encode() + client)
    (d / "test.log.txt").write_bytes(test_log)
    (d / "Frontend" / "fault-tolerance-test-frontend-x-y.log").write_bytes(pod_log)
    return d


odd_lines = st.lists(st.sampled_from([
    b'{"time": "2025-10-03T10:30:46", "results": "nope"}', b'{"time": 5, "results": []}', b"\xff\xfe\x00binary",
    b'{"time": "2025-10-03T10:30:47", "results": [{"status": true, "result": [1], "request_elapsed_time": "x"}]}',
    b'{"time": "2025-10-03T10:30:48", "results": [{"status": 503}]}', b'{"results": []}', b"[1, 2]", b"null",
    b'{"time": "2025-13-45T99:99:99", "results": []}', b'{"time": "2025-10-03T10:30:49", "results": [7, null]}',
    b'{"time":"2025-10-03T10:31:00.5Z","message":"added model"}', b"[TEST] 2025-10-03T10:30:40 INFO t: "
    b"Injecting failure for: Failure(time=30, pod_name='Frontend'", b"2025-10-03T10:31:01.000Z INFO added model",
]), max_size=8)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(client=odd_lines, test_log=odd_lines, pod_log=odd_lines)
def test_never_raises(tmp_path, client, test_log, pod_log):
    folder = _folder(tmp_path, b"\n".join(client), b"\n".join(test_log), b"\n".join(pod_log))
    summary = summarize([folder.parent])
    for fmt in ("grid", "md", "json", "html"):
        assert "Test Group: agg-tp-1-dp-1" in render(summary, fmt) or fmt == "json"
    row = summary.rows[0]
    assert (row.success_before or 0) + (row.success_after or 0) >= 1   # the good line still counts
