"""DGD status, taints, memory growth and serving metrics checks (analyzer/checks/dynamo.py,
cluster.py, containers.py, metrics.py)."""

from __future__ import annotations

import pytest
from checkdata import bundle_context, container, context, node, pod

from analyzer.checks.cluster import node_taints, parse_taint, tolerates
from analyzer.checks.containers import memory_growth
from analyzer.checks.dynamo import dgd_conditions
from analyzer.checks.metrics import histogram_quantile, metrics_latency


# --- CHK014 dgd-conditions ------------------------------------------------------------------

def dgd(name: str, state: str | None, ready: str | None, reason: str = "", message: str = "") -> dict:
    status: dict = {}
    if state:
        status["state"] = state
    if ready:
        status["conditions"] = [{"type": "Ready", "status": ready, "reason": reason, "message": message,
                                 "lastTransitionTime": "2026-11-20T10:02:11Z", "observedGeneration": 1}]
    return {"apiVersion": "nvidia.com/v1alpha1", "kind": "DynamoGraphDeployment",
            "metadata": {"name": name, "namespace": "dynamo", "generation": 1},
            "spec": {"services": {"Frontend": {"replicas": 1}, "VllmDecodeWorker": {"replicas": 2}}},
            "status": status}


def test_dgd_failed_reconcile_is_an_error():
    out = dgd_conditions(context([dgd("llama-disagg", "failed", "False", "NoOrchestratorAvailable",
                                      "Multinode requires LWS when Grove is disabled or unavailable")]))
    f = out.findings[0]
    assert (f.category, f.severity) == ("operator.reconcile_error", "error")
    assert f.summary == ("DynamoGraphDeployment llama-disagg state=failed, Ready=False (NoOrchestratorAvailable): "
                         "Multinode requires LWS when Grove is disabled or unavailable")
    assert f.affected[0].kind == "DynamoGraphDeployment"
    assert f.evidence[0].path == "namespaces/dynamo/custom/dynamographdeployments.json"


def test_dgd_resources_not_ready_is_a_warning():
    msg = "Resources not ready: qwen3: podclique/qwen3-0-vllmdecodeworker: desired=2, ready=1"
    f = dgd_conditions(context([dgd("qwen3", "pending", "False", "some_resources_are_not_ready", msg)])).findings[0]
    assert f.severity == "warning"
    assert msg in f.summary


def test_dgd_ready_clear_and_skipped():
    out = dgd_conditions(context([dgd("qwen3", "successful", "True", "all_resources_are_ready",
                                      "All resources are ready")]))
    assert out.findings == [] and out.note == "1 DynamoGraphDeployment(s) checked"
    assert dgd_conditions(context([pod("a")])).skipped == "no DynamoGraphDeployment objects in the bundle"


# --- CHK015 node-taints ---------------------------------------------------------------------

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}


def pending_gpu_pod(tolerations=None, selector=None) -> dict:
    return pod("llama-8b-0", phase="Pending", scheduler="default-scheduler", tolerations=tolerations,
               node_selector=selector, containers=[container(limits={"nvidia.com/gpu": "1"})])


def test_taint_parsing_and_tolerations():
    t = parse_taint("nvidia.com/gpu=present:NoSchedule")
    assert t == {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
    assert parse_taint("node.kubernetes.io/unreachable:NoExecute")["value"] == ""
    assert tolerates([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}], t)
    assert tolerates([{"operator": "Exists"}], t)
    assert tolerates([{"key": "nvidia.com/gpu", "value": "present"}], t)
    assert not tolerates([{"key": "nvidia.com/gpu", "value": "absent"}], t)
    assert not tolerates([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}], t)


def test_taints_block_every_gpu_node():
    objs = [node("gpu-node-1", gpus=8, taints=[GPU_TAINT]), node("gpu-node-2", gpus=8, taints=[GPU_TAINT]),
            node("cpu-node-1"), pending_gpu_pod(tolerations=[{"key": "node.kubernetes.io/not-ready",
                                                              "operator": "Exists", "effect": "NoExecute",
                                                              "tolerationSeconds": 300}])]
    f = node_taints(context(objs)).findings[0]
    assert f.category == "scheduling.taint"
    assert f.summary == ("Pod llama-8b-0 (Pending) tolerates none of the taints on the 2 GPU node(s): "
                         "gpu-node-1: nvidia.com/gpu=present:NoSchedule; gpu-node-2: nvidia.com/gpu=present:NoSchedule "
                         "(pod tolerations: 1)")
    assert '"key": "nvidia.com/gpu"' in f.remediation


def test_taints_clear_when_tolerated_or_one_node_free():
    tol = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert node_taints(context([node("gpu-node-1", gpus=8, taints=[GPU_TAINT]), pending_gpu_pod(tol)])).findings == []
    assert node_taints(context([node("gpu-node-1", gpus=8, taints=[GPU_TAINT]), node("gpu-node-2", gpus=8),
                                pending_gpu_pod()])).findings == []
    # PreferNoSchedule does not block
    soft = {**GPU_TAINT, "effect": "PreferNoSchedule"}
    assert node_taints(context([node("gpu-node-1", gpus=8, taints=[soft]), pending_gpu_pod()])).findings == []
    assert node_taints(context([pending_gpu_pod()])).skipped == "needs both pods and nodes in the bundle"


# --- CHK019 metrics-latency -----------------------------------------------------------------

def ttft(buckets: list[tuple[str, int]], model: str = "qwen/qwen3-8b") -> str:
    lines = ["# HELP dynamo_frontend_time_to_first_token_seconds Time to first token in seconds",
             "# TYPE dynamo_frontend_time_to_first_token_seconds histogram"]
    lines += [f'dynamo_frontend_time_to_first_token_seconds_bucket{{model="{model}",le="{le}"}} {n}'
              for le, n in buckets]
    total = buckets[-1][1]
    lines += [f'dynamo_frontend_time_to_first_token_seconds_sum{{model="{model}"}} {total * 3.1}',
              f'dynamo_frontend_time_to_first_token_seconds_count{{model="{model}"}} {total}']
    return "\n".join(lines) + "\n"


def test_histogram_quantile_like_prometheus():
    b = [(0.5, 10.0), (1.0, 60.0), (2.5, 90.0), (float("inf"), 100.0)]
    assert histogram_quantile(0.5, b) == pytest.approx(0.9)
    assert histogram_quantile(0.99, b) == 2.5  # in the +Inf bucket: the highest finite bound
    assert histogram_quantile(0.5, [(1.0, 0.0), (float("inf"), 0.0)]) is None


def test_high_ttft_fires_with_numbers():
    slow = ttft([("0.1", 0), ("0.5", 2), ("1", 5), ("2.5", 20), ("5", 70), ("10", 95), ("+Inf", 100)])
    out = metrics_latency(context([], metrics={"dynamo/qwen3-frontend-7d9c": slow}))
    f = out.findings[0]
    assert (f.category, f.severity) == ("performance.high_latency", "warning")
    assert f.summary == ("Time to first token of qwen3-frontend-7d9c (qwen/qwen3-8b): p50 4 s, p99 10 s over "
                         "100 requests (limits 2 s / 10 s)")
    assert f.details["p50_seconds"] == 4.0  # 2.5 + 2.5 * (50 - 20) / (70 - 20)


def test_fast_ttft_and_too_few_observations_are_clear():
    fast = ttft([("0.1", 10), ("0.5", 80), ("1", 99), ("2.5", 100), ("+Inf", 100)])
    out = metrics_latency(context([], metrics={"dynamo/fe": fast}))
    assert out.findings == [] and out.note == "1 latency histogram(s)/engine gauge set(s) checked"
    few = ttft([("5", 0), ("10", 3), ("+Inf", 3)])
    assert metrics_latency(context([], metrics={"dynamo/fe": few})).findings == []


def test_vllm_stalled_engine_and_full_kv_cache():
    stalled = ('# TYPE vllm:num_requests_running gauge\n'
               'vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-8B"} 0.0\n'
               '# TYPE vllm:num_requests_waiting gauge\n'
               'vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen3-8B"} 12.0\n')
    full = ('# TYPE vllm:num_requests_running gauge\n'
            'vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-8B"} 31.0\n'
            '# TYPE vllm:num_requests_waiting gauge\n'
            'vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen3-8B"} 7.0\n'
            '# TYPE vllm:kv_cache_usage_perc gauge\n'
            'vllm:kv_cache_usage_perc{engine="0",model_name="Qwen/Qwen3-8B"} 0.995\n')
    out = metrics_latency(context([], metrics={"dynamo/worker-a": stalled, "dynamo/worker-b": full}))
    got = {f.affected[0].name: f for f in out.findings}
    assert got["worker-a"].category == "performance.low_throughput"
    assert "12 request(s) waiting and none running" in got["worker-a"].summary
    assert "KV cache 99.5% full with 7 request(s) waiting for blocks" in got["worker-b"].summary


def test_frontend_zero_output_tokens():
    text = ('# TYPE dynamo_frontend_inflight_requests gauge\n'
            'dynamo_frontend_inflight_requests{model="qwen/qwen3-8b"} 4\n'
            '# TYPE dynamo_frontend_output_tokens_total counter\n'
            'dynamo_frontend_output_tokens_total{model="qwen/qwen3-8b"} 0\n')
    f = metrics_latency(context([], metrics={"dynamo/fe-0": text})).findings[0]
    assert f.summary == ("Frontend fe-0 (qwen/qwen3-8b): 4 request(s) in flight or queued and 0 output tokens "
                         "produced since it started")


def test_metrics_skipped_without_scrapes():
    assert metrics_latency(context([pod("a")])).skipped == "no metrics scrapes in the bundle"


# --- CHK018 memory-growth -------------------------------------------------------------------

def oom_pod(*, reason: str = "OOMKilled", started: str = "2026-11-20T09:00:00Z",
            finished: str = "2026-11-20T09:40:00Z") -> dict:
    worker = container("worker", limits={"cpu": "8", "memory": "16Gi", "nvidia.com/gpu": "1"}, restarts=3,
                       state={"running": {"startedAt": "2026-11-20T09:41:00Z"}},
                       last={"terminated": {"reason": reason, "exitCode": 137 if reason == "OOMKilled" else 1,
                                            "startedAt": started, "finishedAt": finished}})
    return pod("embedder-7f9c-x2x", "serving", node_name="gpu-node-1", containers=[worker])


def process_metrics(rss_gib: float) -> str:
    start = 1795167660.0  # 2026-11-20T09:41:00Z
    return ("# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
            "# TYPE process_resident_memory_bytes gauge\n"
            f"process_resident_memory_bytes {rss_gib * 2**30:.1f}\n"
            "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
            "# TYPE process_start_time_seconds gauge\n"
            f"process_start_time_seconds {start}\n")


def test_memory_growth_fires_when_this_run_follows_the_killed_one():
    out = memory_growth(context([oom_pod()], metrics={"serving/embedder-7f9c-x2x": process_metrics(12)}))
    f = out.findings[0]
    assert (f.category, f.severity) == ("performance.memory_leak", "warning")
    assert f.summary == ("Container worker of pod embedder-7f9c-x2x: previous run OOMKilled after 40m00s at its "
                         "16.00 GiB limit; this run holds 12.00 GiB (75% of the limit) after 34m00s, about 361 MiB/min: "
                         "at this pace it reaches the limit after ~45m20s (3 restarts so far)")
    assert f.details["seconds_to_limit"] == 2720
    assert f.affected[0].container == "worker"


def test_memory_growth_clear_or_unmeasured():
    # 2 GiB after 34 min: 4.5 h to the limit, far longer than the 40 min run that was killed
    out = memory_growth(context([oom_pod()], metrics={"serving/embedder-7f9c-x2x": process_metrics(2)}))
    assert out.findings == [] and out.note == "1 restarted container(s) checked"
    # killed 90 s after start: a loading peak, not growth
    out = memory_growth(context([oom_pod(finished="2026-11-20T09:01:30Z")],
                                metrics={"serving/embedder-7f9c-x2x": process_metrics(12)}))
    assert out.findings == [] and "previous run only 1m30s" in out.note
    out = memory_growth(context([oom_pod(reason="Error")], metrics={"serving/embedder-7f9c-x2x": process_metrics(12)}))
    assert out.findings == [] and "embedder-7f9c-x2x/worker (previous run not OOMKilled)" in out.note
    assert memory_growth(context([oom_pod()])).skipped == (
        "1 restarted container(s) but neither memory readings in their logs nor a metrics scrape: "
        "memory over time cannot be measured")
    assert memory_growth(context([node("n")])).skipped == "no pod status in the bundle (pods JSON or describe)"


def memwatch(t0_min: int, minutes: int, rss0: float, step: float, entries0: int = 1200) -> str:
    """An app's own memory log lines, one a minute, as ``kubectl logs --timestamps`` saves them."""
    out = []
    for i in range(minutes):
        m = t0_min + i
        ts = f"2026-11-20T{9 + m // 60:02d}:{m % 60:02d}:07.5{i:02d}Z"
        out.append(f"{ts} 2026-11-20 {9 + m // 60:02d}:{m % 60:02d}:07,5{i:02d} INFO rag_gateway.memwatch: "
                   f"rss={rss0 + step * i:.2f}GiB limit=8.00GiB prompt_cache_entries={entries0 + 950 * i} "
                   f"gc_gen2_collections={40 + i % 30}")
        out.append(f"{ts} INFO:     10.42.0.17:51234 - \"POST /v1/rag/query HTTP/1.1\" 200 OK")
    return "\n".join(out) + "\n"


def gateway_pod(reason: str = "OOMKilled") -> dict:
    gw = container("gateway", limits={"cpu": "2", "memory": "8Gi"}, restarts=5,
                   state={"running": {"startedAt": "2026-11-20T09:41:00Z"}},
                   last={"terminated": {"reason": reason, "exitCode": 137 if reason == "OOMKilled" else 1,
                                        "startedAt": "2026-11-20T09:00:00Z", "finishedAt": "2026-11-20T09:40:10Z"}})
    return pod("rag-gateway-55xmxvslg7-fxttd", "apps", node_name="cpu-node-1", containers=[gw])


def test_memory_growth_from_the_apps_own_memory_lines(tmp_path):
    logs = "namespaces/apps/logs/rag-gateway-55xmxvslg7-fxttd"
    ctx, b = bundle_context(tmp_path, [gateway_pod()], {
        f"{logs}/gateway.previous.log": memwatch(0, 40, 1.18, 0.17),   # 1.18 -> 7.81 GiB, then killed
        f"{logs}/gateway.log": memwatch(41, 11, 1.10, 0.17)})
    with b:
        out = memory_growth(ctx)
    f = out.findings[0]
    assert f.category == "performance.memory_leak" and f.details["source"] == "log"
    assert f.summary.startswith(
        "Container gateway of pod rag-gateway-55xmxvslg7-fxttd: memory grows in every run: previous run "
        "1.18 GiB -> 7.81 GiB in 39m00s (174 MiB/min) until OOMKilled at the 8.00 GiB limit; this run "
        "1.10 GiB -> 2.80 GiB in 10m00s (174 MiB/min); at this pace it reaches the limit in ~30m")
    assert f.evidence[0].path == f"{logs}/gateway.previous.log" and f.evidence[0].line == 1
    assert "rss=1.18GiB" in f.evidence[0].text and "rss=7.81GiB" in f.evidence[1].text
    assert f.details["previous_run"]["mib_per_minute"] == 174.1


def test_memory_growth_logs_flat_memory_is_clear(tmp_path):
    logs = "namespaces/apps/logs/rag-gateway-55xmxvslg7-fxttd"
    ctx, b = bundle_context(tmp_path, [gateway_pod(reason="Error")], {
        f"{logs}/gateway.previous.log": memwatch(0, 40, 1.18, 0.0),
        f"{logs}/gateway.log": memwatch(41, 11, 1.10, 0.0)})
    with b:
        out = memory_growth(ctx)
    assert out.findings == []
    assert out.note == ("1 restarted container(s) checked; unmeasured: "
                        "rag-gateway-55xmxvslg7-fxttd/gateway (previous run not OOMKilled)")
