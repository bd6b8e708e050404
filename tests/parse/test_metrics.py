"""Prometheus text scrapes."""

from __future__ import annotations

from analyzer.parse.metrics import metric_rows

SCRAPE = """\
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-8B"} 3.0
# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.1",model_name="Qwen/Qwen3-8B"} 10.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="Qwen/Qwen3-8B"} 12.0
vllm:time_to_first_token_seconds_count{engine="0",model_name="Qwen/Qwen3-8B"} 12.0
vllm:time_to_first_token_seconds_sum{engine="0",model_name="Qwen/Qwen3-8B"} 0.9
"""


def test_samples_with_labels():
    errors: list[str] = []
    rows = metric_rows(SCRAPE, "m.prom", "dynamo", "vllm-0", errors)
    assert errors == []
    assert len(rows) == 5
    assert rows[0] == {"path": "m.prom", "namespace": "dynamo", "pod": "vllm-0",
                       "name": "vllm:num_requests_running",
                       "labels": '{"engine":"0","model_name":"Qwen/Qwen3-8B"}', "value": 3.0}


def test_a_cut_scrape_keeps_the_good_lines():
    errors: list[str] = []
    rows = metric_rows(SCRAPE + "vllm:num_requests_waiting{engine=\"0\" 4\n<html>502 Bad Gateway</html>\n",
                       "m.prom", None, None, errors)
    assert len(rows) == 5
    assert errors == ["2 line(s) are not Prometheus text and were skipped"]
