"""The older single-node layout and the AI-Perf layout are read where their data allows, and named."""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.ft import render, summarize

REPLY = {"id": "chatcmpl-1", "object": "chat.completion", "model": "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]}


def _client_line(time: str, status, latency: float, body=REPLY) -> str:
    # single-node client: no url/pod keys; any JSON body is stored
    return json.dumps({"time": time, "results": [{"status": status, "result": body,
                                                  "request_elapsed_time": latency}], "total_time": latency}) + "\n"


def _single_node(root: Path) -> Path:
    d = root / "test_worker_failure[agg-tp-1-dp-1-decode_worker]"
    (d / "dynamo_VllmWorker").mkdir(parents=True)
    (d / "dynamo_Frontend").mkdir()
    (d / "test.log.txt").write_text(
        "[TEST] 2025-06-10T14:02:11 INFO root: Running command: dynamo serve graphs.agg:Frontend "
        "-f /workspace/tests/fault_tolerance/configs/agg_tp_1_dp_1.yaml\n"
        "[TEST] 2025-06-10T14:04:05 INFO root: Deployment Ready\n"
        "[TEST] 2025-06-10T14:04:35 INFO root: Injecting failure for: dynamo_VllmWorker\n")
    (d / "client_0.log.txt").write_text(
        _client_line("2025-06-10T14:04:20", 200, 1.0)
        + _client_line("2025-06-10T14:04:35", 200, 3.0)          # at the fault second: after (>=) in this harness
        + _client_line("2025-06-10T14:04:40", 500, 0.01, None)
        + _client_line("2025-06-10T14:06:50", 200, 2.0))
    (d / "watcher.log.txt").write_text("".join(json.dumps({"time": t, "metrics": [
        ["VllmWorker", {"num_requests_waiting": w, "request_active_slots": a}]]}) + "\n" for t, w, a in (
        ("2025-06-10T14:04:30", 2, 5), ("2025-06-10T14:04:32", 4, 5), ("2025-06-10T14:04:33", 9, 0),
        ("2025-06-10T14:04:35", 6, 3))))
    (d / "dynamo_VllmWorker" / "error.log").write_text(
        "2025-06-10T14:03:50.100Z  INFO worker: Starting VllmWorker instance VllmWorker:1 with all registered endpoints\n"
        "2025-06-10T14:06:40.600Z  INFO worker: Starting VllmWorker instance VllmWorker:1 with all registered endpoints\n"
        "2025-06-10T14:06:41.000Z  INFO worker: Starting VllmWorker instance VllmWorker:2 with all registered endpoints\n")
    (d / "dynamo_Frontend" / "error.log").write_text(
        "\x1b[2m2025-06-10T14:03:58.000Z\x1b[0m  INFO http: added model deepseek-ai/DeepSeek-R1-Distill-Llama-8B\n")
    return d


def test_single_node_layout_uses_its_own_rules(tmp_path):
    _single_node(tmp_path)
    summary = summarize([tmp_path])
    assert summary.layout == "single-node"
    row = summary.rows[0]
    assert (row.group, row.failure, row.startup) == ("agg-tp-1-dp-1", "decode_worker", 114.0)
    # a short but non-empty reply is a success here; the fault second belongs to "after"
    assert (row.success_before, row.failed_before) == (1, 0)
    assert (row.success_after, row.failed_after) == (2, 1)
    assert row.latency_before == 1.0 and row.latency_after == 2.5
    # the failed component's last "VllmWorker:1" start line: 14:06:40.6 - 14:04:35
    assert abs(row.recovery - 125.6) < 1e-9
    # watcher samples with active slots only: (2 + 4) / 2 before, 6 at the fault second and after
    assert (row.pending_before, row.pending_after) == (3.0, 6.0)
    text = render(summary, "grid")
    assert "Layout found: single-node" in text and "watcher.log.txt" in text


def _aiperf(root: Path, layout_new: bool = False) -> Path:
    d = root / "test_fault_scenario[vllm-agg-tp-1-dp-2-decode_worker]"
    for client, (ok, err) in enumerate([(140, 10), (150, 0)]):
        export = {"request_latency": {"unit": "ms", "avg": 1200.0 + client * 100, "p50": 1180.0, "p90": 1300.0,
                                      "p99": 1500.0},
                  "request_count": {"unit": "requests", "avg": ok},
                  "error_request_count": {"unit": "requests", "avg": err},
                  "error_summary": [{"error_details": {"code": 503, "type": "Service Unavailable",
                                                       "message": "Service temporarily unavailable"}, "count": err}]
                  if err else [],
                  "was_cancelled": False}
        target = d / f"client_{client}" / "attempt_0"
        target.mkdir(parents=True)
        (target / "profile_export_aiperf.json").write_text(json.dumps(export))
    (d / "test.log.txt").write_text(
        "[TEST] 2025-10-21T08:00:00 INFO ManagedDeployment: Starting Deployment fault-tolerance-test with spec x\n"
        "[TEST] 2025-10-21T08:03:00 INFO ManagedDeployment: Deployment fault-tolerance-test is ready\n"
        "[TEST] 2025-10-21T08:03:40 INFO test: Injecting failure for: Failure(time=30, pod_name='VllmDecodeWorker', "
        "command='dynamo.vllm', signal='SIGKILL', replicas=1)\n")
    (d / "VllmDecodeWorker").mkdir()
    (d / "VllmDecodeWorker" / "fault-tolerance-test-vllmdecodeworker-abc-x1.log").write_text(
        '{"time":"2025-10-21T08:06:15.500000Z","level":"INFO","target":"log",'
        '"message":"VllmWorker for Qwen/Qwen3-0.6B has been initialized"}\n')
    return d


def test_aiperf_layout_gives_totals_and_says_so(tmp_path):
    _aiperf(tmp_path)
    summary = summarize([tmp_path])
    assert summary.layout == "aiperf"
    row = summary.rows[0]
    assert (row.success_total, row.failed_total) == (290, 10)
    assert row.success_before is None and row.success_after is None
    assert row.startup == 180.0 and abs(row.recovery - 155.5) < 1e-9
    assert row.failed_by_status == {"503": 10}
    assert any("totals only" in w and "mean latency 1.25s" in w for w in row.warnings)
    assert "Layout found: aiperf: AI-Perf client" in render(summary, "grid")
