"""Inference engine and Dynamo graph checks (analyzer/checks/engines.py, dynamo.py) on small
collector-layout bundles read by the real ingest, parse and match stages (the ``bundle`` fixture
of conftest.py): each fires, stays clear on a sound spec, and skips without its source."""

from __future__ import annotations

import json

from checkdata import container, dgd, pod

from analyzer.checks.dynamo import dgd_no_pods, dynamo_image_skew, kv_events_config
from analyzer.checks.engines import benchmark_job, engine_of, gpu_request, model_load_probe

RUNTIME = "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.7.1"


def spec_pod(name: str, command: list[str], args: list[str], *, limits: dict | None = None, image: str = RUNTIME,
             graph: str | None = "qwen-agg", component: str = "VllmDecodeWorker", ns: str = "dynamo",
             ready: bool = True, restarts: int = 0, env: list[dict] | None = None) -> dict:
    spec, status = container("main", limits=limits, ready=ready, restarts=restarts)
    spec.update(image=image, command=command, args=args, env=env or [])
    labels = {"nvidia.com/dynamo-graph-deployment-name": graph, "nvidia.com/dynamo-component": component} if graph \
        else {"app": name.rsplit("-", 2)[0]}
    return pod(name, ns, containers=[(spec, status)], labels=labels, scheduler="default-scheduler")


def frontend(args: list[str] | None = None, image: str = RUNTIME, env: list[dict] | None = None) -> dict:
    return spec_pod("qwen-agg-frontend-6c8d9f7b5-q7x2m", ["python3", "-m", "dynamo.frontend"],
                    args if args is not None else ["--http-port", "8000"], image=image, component="Frontend",
                    limits={"cpu": "2", "memory": "4Gi"}, env=env)


def worker(name: str = "qwen-agg-vllmdecodeworker-8d5f9c7b4-h2k4x", args: list[str] | None = None, **kw) -> dict:
    kw.setdefault("limits", {"memory": "96Gi", "nvidia.com/gpu": "1"})
    return spec_pod(name, ["python3", "-m", "dynamo.vllm"],
                    args if args is not None else ["--model", "Qwen/Qwen3-8B", "--gpu-memory-utilization", "0.90"], **kw)


def test_engine_recognition():
    assert engine_of({"command": ["python3", "-m", "dynamo.sglang"], "image": RUNTIME}) == "sglang"
    assert engine_of({"command": ["python3", "-m", "dynamo.frontend"], "image": RUNTIME}) is None
    assert engine_of({"image": "vllm/vllm-openai:v0.11.0", "args": ["--model", "x"]}) == "vllm"
    assert engine_of({"command": ["/bin/sh", "-c"], "args": ["vllm serve Qwen/Qwen3-8B --port 8000"]}) == "vllm"
    assert engine_of({"command": ["python3", "-m", "http.server"], "image": "python:3.11"}) is None


# --- CHK031 model-load-probe -----------------------------------------------------------------

POD = "llama70b-vllmdecodeworker-5d7c9b8f6-k2m4x"
LOADING_LOG = """2026-11-20T10:02:11.482193005Z INFO 11-20 10:02:11 [__init__.py:239] Automatically detected platform cuda.
2026-11-20T10:02:15.913002117Z INFO 11-20 10:02:15 [gpu_model_runner.py:1329] Starting to load model meta-llama/Llama-3.3-70B-Instruct...
2026-11-20T10:02:16.204115800Z INFO 11-20 10:02:16 [weight_utils.py:265] Using model weights format ['*.safetensors']
2026-11-20T10:02:20.017650391Z Loading safetensors checkpoint shards:   0% Completed | 0/30 [00:00<?, ?it/s]
2026-11-20T10:05:40.551024735Z Loading safetensors checkpoint shards:  43% Completed | 13/30 [03:20<04:21, 15.4s/it]
"""
LOADED_LOG = LOADING_LOG + """2026-11-20T10:09:58.301944121Z Loading safetensors checkpoint shards: 100% Completed | 30/30 [07:38<00:00, 15.3s/it]
2026-11-20T10:09:58.412376403Z INFO 11-20 10:09:58 [default_loader.py:262] Loading weights took 458.37 seconds
2026-11-20T10:09:59.004217830Z INFO 11-20 10:09:59 [gpu_model_runner.py:1351] Model loading took 65.9 GiB and 463.04 seconds
"""


def probe_kill(probe: str = "startup") -> dict:
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{POD}.187a3f1c2b9d4e01", "namespace": "dynamo"},
            "involvedObject": {"kind": "Pod", "namespace": "dynamo", "name": POD, "fieldPath": "spec.containers{main}"},
            "reason": "Killing", "type": "Normal", "count": 4,
            "message": f"Container main failed {probe} probe, will be restarted",
            "firstTimestamp": "2026-11-20T09:45:40Z", "lastTimestamp": "2026-11-20T10:05:41Z",
            "source": {"component": "kubelet", "host": "gpu-node-3"}}


def probing_worker(restarts: int = 4) -> dict:
    p = worker(POD, graph="llama70b", restarts=restarts, ready=False)
    p["spec"]["containers"][0]["startupProbe"] = {"httpGet": {"path": "/health", "port": 9090},
                                                   "periodSeconds": 10, "failureThreshold": 30}
    return p


def test_model_load_probe_fires_while_shards_load(bundle):
    ctx = bundle([probing_worker(), probe_kill()],
                 files={f"namespaces/dynamo/logs/{POD}/main.previous.log": LOADING_LOG,
                        f"namespaces/dynamo/logs/{POD}/main.log": LOADING_LOG.splitlines(keepends=True)[0]})
    [f] = model_load_probe(ctx).findings
    assert f.category == "runtime.model_load_timeout" and f.severity == "critical"
    assert "killed by its startup probe (budget 300 s) while still loading" in f.summary
    assert "43% Completed" in f.summary and "4 restarts" in f.summary
    assert f.evidence[0].path == "namespaces/dynamo/events.json" and f.evidence[0].line
    assert (f.evidence[1].path, f.evidence[1].line) == (f"namespaces/dynamo/logs/{POD}/main.previous.log", 5)


def test_model_load_probe_clear_when_the_model_had_loaded(bundle):
    ctx = bundle([probing_worker(), probe_kill("liveness")],
                 files={f"namespaces/dynamo/logs/{POD}/main.previous.log": LOADED_LOG})
    out = model_load_probe(ctx)
    assert out.findings == [] and "1 probe kill event(s)" in out.note


def test_model_load_probe_skips_without_events(bundle):
    assert model_load_probe(bundle([probing_worker()])).skipped == "no events in the bundle"


# --- CHK032 gpu-request ----------------------------------------------------------------------

def test_gpu_request_missing_on_a_crashing_worker_and_plain_vllm(bundle):
    plain = pod("llama31-8b-chat-5x5xpsxbqw-cjms5", "inference", scheduler="default-scheduler",
                containers=[container("vllm", limits={"memory": "32Gi"})])
    ctx = bundle([frontend(), worker(limits={"memory": "96Gi"}, ready=False, restarts=5), plain])
    out = gpu_request(ctx)
    by_pod = {f.affected[0].name: f for f in out.findings}
    assert set(by_pod) == {"qwen-agg-vllmdecodeworker-8d5f9c7b4-h2k4x", "llama31-8b-chat-5x5xpsxbqw-cjms5"}
    crash = by_pod["qwen-agg-vllmdecodeworker-8d5f9c7b4-h2k4x"]
    assert crash.severity == "error" and crash.category == "gpu.not_visible"
    assert "runs vllm but requests no GPU" in crash.summary and "restarts=5" in crash.summary
    assert crash.evidence[0].path == "namespaces/dynamo/pods.json" and crash.evidence[0].line
    assert by_pod["llama31-8b-chat-5x5xpsxbqw-cjms5"].severity == "warning"  # still running


def test_gpu_request_clear_and_skip(bundle):
    out = gpu_request(bundle([frontend(), worker()]))
    assert out.findings == [] and out.note == "1 engine container(s) checked"
    assert gpu_request(bundle([dgd()])).skipped


# --- CHK033 dynamo-image-skew ----------------------------------------------------------------

def test_dynamo_image_skew(bundle):
    ctx = bundle([frontend(image="nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1"), worker()])
    [f] = dynamo_image_skew(ctx).findings
    assert f.category == "runtime.config_error" and f.severity == "warning"
    assert "runs 2 Dynamo versions: 0.6.1 (1: qwen-agg-frontend" in f.summary and "0.7.1 (1:" in f.summary
    assert len(f.evidence) == 2 and all(e.path == "namespaces/dynamo/pods.json" for e in f.evidence)


def test_dynamo_image_skew_clear_and_skip(bundle):
    assert dynamo_image_skew(bundle([frontend(), worker()])).findings == []
    plain = pod("llama31-8b-chat-5x5xpsxbqw-cjms5", "inference", containers=[container("vllm")])
    assert dynamo_image_skew(bundle([plain])).skipped


# --- CHK034 dgd-no-pods ----------------------------------------------------------------------

def quota_event() -> dict:
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "qwen-agg-vllmdecodeworker-8d5f9c7b4.187a3f", "namespace": "dynamo"},
            "involvedObject": {"kind": "ReplicaSet", "namespace": "dynamo", "name": "qwen-agg-vllmdecodeworker-8d5f9c7b4"},
            "reason": "FailedCreate", "type": "Warning", "count": 17,
            "message": ('Error creating: pods "qwen-agg-vllmdecodeworker-8d5f9c7b4-x8k2p" is forbidden: exceeded quota: '
                        'gpu-quota, requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=8, '
                        'limited: requests.nvidia.com/gpu=8'),
            "firstTimestamp": "2026-11-20T09:30:00Z", "lastTimestamp": "2026-11-20T10:14:00Z",
            "source": {"component": "replicaset-controller"}}


def test_dgd_no_pods_for_the_worker_service(bundle):
    [f] = dgd_no_pods(bundle([dgd(), frontend(), quota_event()])).findings
    assert f.category == "operator.reconcile_error" and f.severity == "error"
    assert "has no pods for VllmDecodeWorker (replicas 1)" in f.summary and "exceeded quota" in f.summary
    assert f.evidence[0].path == "namespaces/dynamo/custom/dynamographdeployments.nvidia.com.json"
    assert f.evidence[1].path == "namespaces/dynamo/events.json" and f.evidence[1].line


def test_dgd_no_pods_clear_and_skip(bundle):
    assert dgd_no_pods(bundle([dgd(), frontend(), worker()])).findings == []
    assert dgd_no_pods(bundle([frontend()])).skipped


# --- CHK035 benchmark-job --------------------------------------------------------------------

def job(name: str, failed: bool, command: list[str] | None = None) -> dict:
    cond = ({"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
             "message": "Job has reached the specified backoff limit"} if failed else
            {"type": "Complete", "status": "True"})
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": "dynamo"},
            "spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "Never", "containers": [
                {"name": "bench", "image": "vllm/vllm-openai:v0.11.0", "command": command or ["vllm", "bench", "serve"],
                 "args": ["--base-url", "http://qwen-agg-frontend:8000", "--model", "Qwen/Qwen3-8B"]}]}}},
            "status": {"failed": 3 if failed else 0, "succeeded": 0 if failed else 1, "conditions": [cond]}}


BENCH_LOG = ("2026-11-20T10:10:02.118274011Z Starting initial single prompt test run...\n"
             "2026-11-20T10:10:02.301927741Z ValueError: Initial test run failed - Please make sure benchmark "
             "arguments are correctly specified. Error: Not Found\n")


def test_benchmark_job_failed_with_its_log_line(bundle):
    bench_pod = pod("vllm-bench-qwen-9xk2p", "dynamo", phase="Failed", scheduler="default-scheduler",
                    containers=[container("bench", ready=False)])
    ctx = bundle([job("vllm-bench-qwen", failed=True), bench_pod],
                 files={"namespaces/dynamo/logs/vllm-bench-qwen-9xk2p/bench.log": BENCH_LOG})
    [f] = benchmark_job(ctx).findings
    assert f.category == "benchmark.job_failed" and "failed: BackoffLimitExceeded" in f.summary
    assert "its pods logged BENCH001" in f.summary
    assert f.evidence[0].path == "namespaces/dynamo/jobs.json"
    assert (f.evidence[1].path, f.evidence[1].line) == ("namespaces/dynamo/logs/vllm-bench-qwen-9xk2p/bench.log", 2)


def test_benchmark_job_clear_and_skip(bundle):
    out = benchmark_job(bundle([job("vllm-bench-qwen", failed=False), job("model-download", failed=True,
                                                                      command=["huggingface-cli", "download"])]))
    assert out.findings == [] and out.note == "1 benchmark Job(s) of 2 checked"
    assert benchmark_job(bundle([frontend()])).skipped == "no Job list in the bundle"


# --- CHK036 kv-events-config -----------------------------------------------------------------

KV_FRONTEND = ["--http-port", "8000", "--router-mode", "kv"]
KV_CONFIG = json.dumps({"publisher": "zmq", "topic": "kv-events", "endpoint": "tcp://*:20080"})


def test_kv_events_config_workers_do_not_publish(bundle):
    ctx = bundle([frontend(KV_FRONTEND), worker(), worker("qwen-agg-vllmdecodeworker-8d5f9c7b4-p9z3c",
                                                          args=["--model", "Qwen/Qwen3-8B", "--kv-events-config", KV_CONFIG])])
    [f] = kv_events_config(ctx).findings
    assert f.category == "router.kv_events_missing" and f.severity == "warning"
    assert "1 worker container(s) do not publish KV events" in f.summary and "h2k4x" in f.summary
    assert "vllm: --kv-events-config" in f.remediation


def test_kv_events_config_clear_when_publishing_or_events_off(bundle):
    publishing = worker(args=["--model", "Qwen/Qwen3-8B", "--kv-events-config", KV_CONFIG])
    assert kv_events_config(bundle([frontend(KV_FRONTEND), publishing])).findings == []
    off = frontend(KV_FRONTEND, env=[{"name": "DYN_ROUTER_USE_KV_EVENTS", "value": "false"}])
    assert kv_events_config(bundle([off, worker()])).findings == []
    out = kv_events_config(bundle([frontend(), worker()]))
    assert out.findings == [] and out.note == "no frontend routes in KV mode"


def test_kv_events_config_skips_without_graph_pods(bundle):
    assert kv_events_config(bundle([dgd()])).skipped
