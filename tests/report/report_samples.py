"""Diagnoses and tables the report tests render: a multi-fault HAMi cluster and a healthy one.

The strings are what the real components print (PyTorch 2.2+ CUDA OOM, Dynamo's "no instances
found", kube-scheduler/HAMi FailedScheduling, Hugging Face gated-repo 401), placed in the paths
our collector writes.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import polars as pl

from analyzer.gpu.cluster import GpuCluster
from analyzer.gpu.status import cluster_status

UTC = timezone.utc
XSS = ("<script>document.title='pwned'</script><img src=x "
       "onerror=\"document.title='pwned'\">")


def t(hms: str) -> datetime:
    """A time on the day the sample cluster was collected."""
    return datetime.fromisoformat(f"2026-11-20T{hms}+00:00")


def iso(hms: str) -> str:
    return f"2026-11-20T{hms}Z"


def _cj(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def ev(path: str, line: int, hms: str | None, text: str, needle: str | None) -> dict:
    """An evidence record whose `match` span is where `needle` sits in `text`."""
    span = None
    if needle:
        start = text.index(needle)
        span = [start, start + len(needle)]
    return {"path": path, "line": line, "text": text, "time": iso(hms) if hms else None,
            "match": span}


OOM_LINE = ("2026-11-20T10:14:03.512Z ERROR engine.py:412] torch.OutOfMemoryError: CUDA out of "
            "memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.15 GiB of which "
            "1.12 GiB is free. Process 3122 has 38.20 GiB memory in use. Including non-PyTorch "
            "memory, this process has 39.81 GiB memory in use. Of the allocated memory 37.02 GiB is "
            "allocated by PyTorch, and 1.41 GiB is reserved by PyTorch but unallocated.")
NO_INSTANCES = ("2026-11-20T10:14:41.208Z ERROR chat_completions: dynamo_llm::http::service::openai: "
                "Internal server error: Failed to generate completions: no instances found for "
                "endpoint \"instances/dynamo/backend/generate\"")
FAILED_SCHED = ("0/3 nodes are available: 1 node(s) had untolerated taint "
                "{node-role.kubernetes.io/control-plane: }, 2 1/2 CardInsufficientMemory. "
                "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..")
GATED = ("huggingface_hub.errors.GatedRepoError: 401 Client Error. (Request ID: Root=1-673d9a1c-"
         "2f5b8e0a61c3d9a47b1e4f22;9c1b) Cannot access gated repo for url "
         "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/resolve/main/config.json. Access "
         "to model meta-llama/Llama-3.1-8B-Instruct is restricted. You must have access to it and "
         "be authenticated to access it. Please log in.")

DECODE_PREV = "namespaces/llm/logs/vllm-decode-7c9f5d8b6-x2kqp/main.previous.log"
FRONTEND_LOG = "namespaces/llm/logs/frontend-5d4c9b7f8-h7m2n/frontend.log"
EVENTS = "namespaces/llm/events.json"
PREFILL_LOG = "namespaces/rag/logs/embedder-6b8f9c7d5-vq4zt/main.log"


def _pod(ns, name, container="main"):
    return {"namespace": ns, "kind": "Pod", "name": name, "container": container}


def multi_fault_result() -> dict:
    """Three independent root causes, four symptoms, one orphan warning, and a planted XSS line."""
    oom = {
        "id": "F1", "category": "runtime.cuda_oom", "layer": "runtime", "severity": "critical",
        "title": "CUDA out of memory in the vLLM decode worker",
        "summary": "The decode worker asked for 2.00 GiB more on GPU 0 with 1.12 GiB free; another "
                   "process (3122) holds 38.20 GiB of the same GPU.",
        "affected": [_pod("llm", "vllm-decode-7c9f5d8b6-x2kqp")],
        "evidence": [
            ev(DECODE_PREV, 412, "10:14:03.512", OOM_LINE, "CUDA out of memory"),
            ev(DECODE_PREV, 988, "10:16:11.004", OOM_LINE.replace("10:14:03.512", "10:16:11.004"),
               "CUDA out of memory"),
            ev(DECODE_PREV, 1560, "10:18:27.730", OOM_LINE.replace("10:14:03.512", "10:18:27.730"),
               "CUDA out of memory"),
            ev(DECODE_PREV, 2011, "10:20:44.118", OOM_LINE.replace("10:14:03.512", "10:20:44.118"),
               "CUDA out of memory"),
        ],
        "count": 4, "first_seen": iso("10:14:03.512"), "last_seen": iso("10:20:44.118"),
        "remediation": "Lower --gpu-memory-utilization or raise the pod's nvidia.com/gpumem so that "
                       "the KV cache fits next to the other tenant of GPU 0.",
        "checks": ["kubectl logs vllm-decode-7c9f5d8b6-x2kqp -n llm -c main --previous | grep -n 'out of memory'",
                   "kubectl get pod vllm-decode-7c9f5d8b6-x2kqp -n llm -o jsonpath='{.spec.containers[*].resources}'"],
        "symptoms": ["F4", "F5", "F6"], "pattern": "CUDA001", "source": "pattern",
    }
    sched = {
        "id": "F2", "category": "scheduling.insufficient_gpumem", "layer": "scheduling",
        "severity": "critical",
        "title": "No node has enough free GPU memory for the pod (HAMi CardInsufficientMemory)",
        "summary": "vllm-prefill-0 asks for nvidia.com/gpumem 40000 MiB; the free memory on every "
                   "GPU is lower.",
        "affected": [_pod("llm", "vllm-prefill-0", None)],
        "evidence": [ev(EVENTS, 214, "10:05:12", FAILED_SCHED, "CardInsufficientMemory")],
        "count": 37, "first_seen": iso("10:05:12"), "last_seen": iso("10:21:40"),
        "remediation": "Reduce the pod's nvidia.com/gpumem request or free GPU memory on a node.",
        "checks": ["kubectl describe pod vllm-prefill-0 -n llm"],
        "symptoms": [], "pattern": "HAMI004", "source": "pattern",
    }
    gated = {
        "id": "F3", "category": "access.model_auth", "layer": "access", "severity": "error",
        "title": "Hugging Face refused the model download (gated repository, 401)",
        "summary": "meta-llama/Llama-3.1-8B-Instruct is gated and the pod has no accepted token.",
        "affected": [_pod("rag", "embedder-6b8f9c7d5-vq4zt")],
        "evidence": [ev(PREFILL_LOG, 57, "10:02:44.911", GATED, "Cannot access gated repo")],
        "count": 1, "first_seen": iso("10:02:44.911"), "last_seen": iso("10:02:44.911"),
        "remediation": "Accept the model licence on huggingface.co and put a token with read "
                       "access in the HF_TOKEN secret.",
        "checks": ["kubectl get secret -n rag"], "symptoms": [], "pattern": "HF002",
        "source": "pattern",
    }
    roots = [oom, sched, gated]
    symptoms = [
        {"id": "F4", "category": "runtime.crashloop", "layer": "runtime", "severity": "error",
         "title": "Container restarting (CrashLoopBackOff)",
         "summary": "main in vllm-decode-7c9f5d8b6-x2kqp restarted 4 times, last exit code 1.",
         "affected": [_pod("llm", "vllm-decode-7c9f5d8b6-x2kqp")],
         "evidence": [ev(EVENTS, 88, "10:20:50",
                         "Back-off restarting failed container main in pod "
                         "vllm-decode-7c9f5d8b6-x2kqp_llm(0b6c1e54-3f0e-4f7e-9d55-2f8a9c1d7e21)",
                         "Back-off restarting failed container")],
         "count": 12, "first_seen": iso("10:14:20"), "last_seen": iso("10:21:02"),
         "remediation": "", "checks": [], "symptoms": [], "root_cause": False, "caused_by": "F1",
         "pattern": "CHK003", "source": "check"},
        {"id": "F5", "category": "frontend.no_workers", "layer": "frontend", "severity": "error",
         "title": "Frontend has no live worker instances",
         "summary": "The router found no instances for instances/dynamo/backend/generate.",
         "affected": [_pod("llm", "frontend-5d4c9b7f8-h7m2n", "frontend")],
         "evidence": [ev(FRONTEND_LOG, 3391, "10:14:41.208", NO_INSTANCES, "no instances found"),
                      ev(FRONTEND_LOG, 3392, None, XSS, "<script>")],
         "count": 211, "first_seen": iso("10:14:41.208"), "last_seen": iso("10:21:38.040"),
         "remediation": "", "checks": [], "symptoms": [], "root_cause": False, "caused_by": "F1",
         "pattern": "DYN007", "source": "pattern"},
        {"id": "F6", "category": "endpoint.http_errors", "layer": "endpoint", "severity": "error",
         "title": "HTTP 503 from the frontend",
         "summary": "211 requests answered 503 Service Unavailable.",
         "affected": [_pod("llm", "frontend-5d4c9b7f8-h7m2n", "frontend")],
         "evidence": [ev(FRONTEND_LOG, 3394, "10:14:41.210",
                         "2026-11-20T10:14:41.210Z  INFO http-request: dynamo_llm::http::service: "
                         "method=POST uri=/v1/chat/completions status=503 latency_ms=3",
                         "status=503")],
         "count": 211, "first_seen": iso("10:14:41.210"), "last_seen": iso("10:21:38.041"),
         "remediation": "", "checks": [], "symptoms": [], "root_cause": False, "caused_by": "F1",
         "pattern": "DYN021", "source": "pattern"},
    ]
    orphan = {"id": "F7", "category": "performance.high_latency", "layer": "performance",
              "severity": "warning", "title": "Time to first token above 2 s (p95)",
              "summary": "p95 TTFT 2.8 s on the frontend.",
              "affected": [_pod("llm", "frontend-5d4c9b7f8-h7m2n", "frontend")],
              "evidence": [], "count": 1, "first_seen": None, "last_seen": None,
              "remediation": "Check the decode worker's batch size.", "checks": [], "symptoms": [],
              "root_cause": False, "caused_by": None, "pattern": "CHK020", "source": "check"}
    findings = [dict(r, root_cause=True, caused_by=None) for r in roots] + symptoms + [orphan]
    return {
        "schema_version": 1,
        "input": {"path": "bundle-2026-11-20T1022Z", "layout": "collector", "files_read": 412,
                  "read_errors": [{"path": "namespaces/llm/logs/router-0/router.log.gz",
                                   "error": "truncated gzip stream"}]},
        "root_causes": roots,
        "findings": findings,
        "checks": [
            {"name": "CHK001 GPU nodes present", "status": "clear", "reason": "3 nodes advertise nvidia.com/gpu"},
            {"name": "CHK004 HAMi webhook mutated GPU pods", "status": "clear", "reason": "schedulerName is hami-scheduler on 9 GPU pods"},
            {"name": "CHK003 container restarts", "status": "found", "reason": "1 container in CrashLoopBackOff"},
            {"name": "CHK012 PVC bound", "status": "skipped", "reason": "persistentvolumeclaims.json missing from the bundle"},
            {"name": "CHK015 Xid errors in dmesg", "status": "skipped", "reason": "no node dmesg in the bundle"},
        ],
        "bundle": {"layout": "collector", "root": "bundle-2026-11-20T1022Z",
                   "collected_at": iso("10:22:05"), "context": "prod-gpu-east",
                   "server_version": "v1.30.4", "namespaces": ["hami-system", "llm", "rag"],
                   "files_read": 412, "files_by_kind": {"log": 361, "objects": 38, "describe_pod": 3,
                                                         "describe_node": 1, "metrics": 7,
                                                         "manifest": 1, "version": 1}},
        "redacted": True,
    }


def healthy_result() -> dict:
    """A bundle where every check came back clear."""
    return {
        "schema_version": 1,
        "input": {"path": "bundle-healthy", "layout": "collector", "files_read": 120,
                  "read_errors": []},
        "root_causes": [], "findings": [],
        "checks": [
            {"name": "CHK001 GPU nodes present", "status": "clear", "reason": "2 nodes advertise nvidia.com/gpu"},
            {"name": "CHK003 container restarts", "status": "clear", "reason": "no restarts"},
            {"name": "CHK015 Xid errors in dmesg", "status": "skipped", "reason": "no node dmesg in the bundle"},
        ],
        "bundle": {"layout": "collector", "root": "bundle-healthy", "collected_at": iso("09:00:00"),
                   "context": "staging", "server_version": "v1.29.8", "namespaces": ["llm"],
                   "files_read": 120, "files_by_kind": {"log": 100, "objects": 20}},
        "redacted": True,
    }


JSON_REGISTER = _cj([
    {"id": "GPU-6f1c0a52-8d3e-4b8e-9a0f-3c2d1e4b5a69", "count": 10, "devmem": 81920,
     "devcore": 100, "type": "NVIDIA-NVIDIA A100-SXM4-80GB", "health": True, "mode": "hami-core"},
    {"id": "GPU-0b9e2f31-7c4a-4d1b-8e6f-5a3c2b1d0e98", "index": 1, "count": 10, "devmem": 81920,
     "devcore": 100, "type": "NVIDIA-NVIDIA A100-SXM4-80GB", "numa": 1, "health": True,
     "mode": "hami-core"}])
OLD_REGISTER = ("GPU-00552014-5c87-89ac-b1a6-7b53aa24b0ec,10,32768,100,NVIDIA-Tesla V100-PCIE-32GB,0,true:"
                "GPU-0fc3eda5-e98b-a25b-5b0d-cf5c855d1448,10,32768,100,NVIDIA-Tesla V100-PCIE-32GB,0,false:")


def multi_fault_tables() -> dict[str, pl.DataFrame]:
    """Nodes with both HAMi annotation encodings, HAMi pods, GPU pods, events, restarts."""
    nodes = pl.DataFrame([
        {"path": "cluster/nodes.json", "origin": "json", "name": "gpu-a100-1", "ready": True,
         "annotations": _cj({"hami.io/node-nvidia-register": JSON_REGISTER,
                             "hami.io/node-handshake": "Reported 2026-11-20 10:21:55.10 +0000 UTC"}),
         "gpu_capacity": 20.0, "gpu_allocatable": 20.0, "gpu_allocated": None,
         "gpu_product": "NVIDIA-A100-SXM4-80GB"},
        {"path": "cluster/nodes.describe.txt", "origin": "describe", "name": "gpu-a100-1",
         "ready": True, "annotations": None, "gpu_capacity": 20.0, "gpu_allocatable": 20.0,
         "gpu_allocated": 3.0, "gpu_product": None},
        {"path": "cluster/nodes.json", "origin": "json", "name": "gpu-v100-2", "ready": True,
         "annotations": _cj({"hami.io/node-nvidia-register": OLD_REGISTER}),
         "gpu_capacity": 20.0, "gpu_allocatable": 20.0, "gpu_allocated": None,
         "gpu_product": "Tesla-V100-PCIE-32GB"},
        {"path": "cluster/nodes.json", "origin": "json", "name": "cp-1", "ready": True,
         "annotations": "{}", "gpu_capacity": None, "gpu_allocatable": None,
         "gpu_allocated": None, "gpu_product": None},
    ])
    pod_rows = [
        ("hami-system", "hami-scheduler-6c9d8f7b5-2mxkq", "Running", "cp-1", None, None, None),
        ("hami-system", "hami-device-plugin-8zq4w", "Running", "gpu-a100-1", None, None, None),
        ("hami-system", "hami-device-plugin-k2v9n", "Running", "gpu-v100-2", None, None, None),
        ("llm", "vllm-decode-7c9f5d8b6-x2kqp", "Running", "gpu-a100-1", 1.0, 40000.0, 50.0),
        ("llm", "vllm-decode-7c9f5d8b6-p8wd4", "Running", "gpu-a100-1", 1.0, 40000.0, 50.0),
        ("llm", "vllm-prefill-0", "Pending", None, 1.0, 40000.0, 30.0),
        ("llm", "frontend-5d4c9b7f8-h7m2n", "Running", "cp-1", None, None, None),
        ("rag", "embedder-6b8f9c7d5-vq4zt", "Running", "gpu-v100-2", 1.0, 8000.0, 20.0),
    ]
    # the share HAMi recorded for each bound GPU pod: <uuid>,<type>,<usedmem>,<usedcores>:
    allocated = {
        "vllm-decode-7c9f5d8b6-x2kqp": "GPU-6f1c0a52-8d3e-4b8e-9a0f-3c2d1e4b5a69,NVIDIA,40000,50:;",
        "vllm-decode-7c9f5d8b6-p8wd4": "GPU-0b9e2f31-7c4a-4d1b-8e6f-5a3c2b1d0e98,NVIDIA,40000,50:;",
        "embedder-6b8f9c7d5-vq4zt": "GPU-00552014-5c87-89ac-b1a6-7b53aa24b0ec,NVIDIA,8000,20:;",
    }
    pods = pl.DataFrame([
        {"path": f"namespaces/{ns}/pods.json", "origin": "json", "namespace": ns, "name": name,
         "phase": phase, "reason": None, "node": node, "gpu": gpu, "gpumem": mem,
         "gpumem_percentage": None, "gpucores": cores,
         "scheduler_name": "hami-scheduler" if gpu else "default-scheduler",
         "annotations": _cj({"hami.io/vgpu-devices-allocated": allocated[name]} if name in allocated else {})}
        for ns, name, phase, node, gpu, mem, cores in pod_rows
    ], schema_overrides={"gpu": pl.Float64, "gpumem": pl.Float64, "gpumem_percentage": pl.Float64,
                         "gpucores": pl.Float64, "reason": pl.Utf8, "node": pl.Utf8})
    container_rows = [
        ("hami-system", "hami-scheduler-6c9d8f7b5-2mxkq", "kube-scheduler",
         "registry.k8s.io/kube-scheduler:v1.30.4", True, "running", None, 0, None, None, None, None),
        ("hami-system", "hami-scheduler-6c9d8f7b5-2mxkq", "vgpu-scheduler-extender",
         "docker.io/projecthami/hami:v2.5.1", True, "running", None, 0, None, None, None, None),
        ("hami-system", "hami-device-plugin-8zq4w", "device-plugin",
         "docker.io/projecthami/hami:v2.5.1", True, "running", None, 0, None, None, None, None),
        ("hami-system", "hami-device-plugin-8zq4w", "vgpu-monitor",
         "docker.io/projecthami/hami:v2.5.1", True, "running", None, 0, None, None, None, None),
        ("hami-system", "hami-device-plugin-k2v9n", "device-plugin",
         "docker.io/projecthami/hami:v2.5.1", False, "waiting", "CrashLoopBackOff", 6,
         t("10:19:02"), "Error", 1, None),
        ("hami-system", "hami-device-plugin-k2v9n", "vgpu-monitor",
         "docker.io/projecthami/hami:v2.5.1", True, "running", None, 0, None, None, None, None),
        ("llm", "vllm-decode-7c9f5d8b6-x2kqp", "main", "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1",
         False, "waiting", "CrashLoopBackOff", 4, t("10:20:44"), "Error", 1, None),
        ("llm", "vllm-decode-7c9f5d8b6-p8wd4", "main", "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1",
         True, "running", None, 1, t("10:11:30"), "OOMKilled", 137, t("10:11:41")),
        ("llm", "frontend-5d4c9b7f8-h7m2n", "frontend", "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1",
         True, "running", None, 0, None, None, None, None),
    ]
    containers = pl.DataFrame([
        {"path": f"namespaces/{ns}/pods.json", "origin": "json", "namespace": ns, "pod": pod,
         "name": name, "init": False, "image": image, "ready": ready, "state": state,
         "state_reason": reason, "restart_count": restarts, "last_finished": last_finished,
         "last_reason": last_reason, "last_exit_code": code, "state_started": started,
         "last_started": None}
        for ns, pod, name, image, ready, state, reason, restarts, last_finished, last_reason, code,
        started in container_rows
    ], schema_overrides={"last_finished": pl.Datetime("us", "UTC"),
                         "state_started": pl.Datetime("us", "UTC"),
                         "last_started": pl.Datetime("us", "UTC"), "state_reason": pl.Utf8,
                         "last_reason": pl.Utf8, "last_exit_code": pl.Int64})
    event_rows = [
        ("llm", "Pod", "vllm-prefill-0", "Warning", "FailedScheduling", FAILED_SCHED, 37,
         t("10:05:12"), t("10:21:40")),
        ("llm", "Pod", "vllm-decode-7c9f5d8b6-x2kqp", "Normal", "Pulled",
         "Container image \"nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1\" already present on machine",
         5, t("10:08:00"), t("10:20:44")),
        ("llm", "Pod", "vllm-decode-7c9f5d8b6-x2kqp", "Warning", "BackOff",
         "Back-off restarting failed container main in pod vllm-decode-7c9f5d8b6-x2kqp_llm(0b6c1e54-3f0e-4f7e-9d55-2f8a9c1d7e21)",
         12, t("10:14:20"), t("10:21:02")),
        ("hami-system", "Pod", "hami-device-plugin-k2v9n", "Warning", "BackOff",
         "Back-off restarting failed container device-plugin in pod hami-device-plugin-k2v9n_hami-system(7d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6)",
         9, t("10:10:00"), t("10:19:30")),
        ("llm", "Pod", "frontend-5d4c9b7f8-h7m2n", "Warning", "Unhealthy", XSS, 1,
         t("10:15:00"), t("10:15:00")),
    ]
    events = pl.DataFrame([
        {"path": f"namespaces/{ns}/events.json", "line": i + 1, "origin": "json", "namespace": ns,
         "object_kind": kind, "object_name": name, "type": typ, "reason": reason,
         "message": msg, "count": count, "first_time": first, "last_time": last}
        for i, (ns, kind, name, typ, reason, msg, count, first, last) in enumerate(event_rows)
    ], schema_overrides={"first_time": pl.Datetime("us", "UTC"),
                         "last_time": pl.Datetime("us", "UTC")})
    objects = pl.DataFrame([
        {"path": "cluster/mutatingwebhookconfigurations.json", "line": 7,
         "api_version": "admissionregistration.k8s.io/v1",
         "kind": "MutatingWebhookConfiguration", "namespace": None, "name": "hami-webhook",
         "body": _cj({"metadata": {"name": "hami-webhook"},
                      "webhooks": [{"name": "vgpu.hami.io", "failurePolicy": "Ignore",
                                    "clientConfig": {"service": {"name": "hami-scheduler", "namespace": "hami-system",
                                                                 "path": "/webhook", "port": 443}}}]})},
        {"path": "namespaces/hami-system/configmaps.json", "line": 12, "api_version": "v1", "kind": "ConfigMap",
         "namespace": "hami-system", "name": "hami-scheduler-device",
         "body": _cj({"metadata": {"name": "hami-scheduler-device", "namespace": "hami-system"},
                      "data": {"device-config.yaml":
                               "nvidia:\n  resourceCountName: nvidia.com/gpu\n"
                               "  resourceMemoryName: nvidia.com/gpumem\n"
                               "  deviceSplitCount: 10\n  deviceMemoryScaling: 1\n"
                               "  deviceCoreScaling: 1\n  defaultMemory: 0\n"}})},
    ])
    files = pl.DataFrame([
        {"path": "cluster/mutatingwebhookconfigurations.json", "size": 2811, "kind": "objects",
         "source": "mutatingwebhooks"},
        {"path": DECODE_PREV, "size": 880_112, "kind": "log", "source": "previous_log"},
    ])
    read_errors = pl.DataFrame([{"path": "namespaces/llm/metrics/frontend-5d4c9b7f8-h7m2n.prom",
                                 "error": "line 12: invalid metric name"}])
    return {"nodes": nodes, "pods": pods, "containers": containers, "events": events,
            "objects": objects, "files": files, "read_errors": read_errors}


def healthy_tables() -> dict[str, pl.DataFrame]:
    nodes = pl.DataFrame([
        {"path": "cluster/nodes.json", "origin": "json", "name": "gpu-l40s-1", "ready": True,
         "annotations": "{}", "gpu_capacity": 4.0, "gpu_allocatable": 4.0, "gpu_allocated": 2.0,
         "gpu_product": "NVIDIA-L40S"},
    ])
    events = pl.DataFrame([
        {"path": "namespaces/llm/events.json", "line": 1, "origin": "json", "namespace": "llm",
         "object_kind": "Pod", "object_name": "vllm-0", "type": "Normal", "reason": "Started",
         "message": "Started container main", "count": 1, "first_time": t("08:40:00"),
         "last_time": t("08:40:00")},
    ], schema_overrides={"first_time": pl.Datetime("us", "UTC"),
                         "last_time": pl.Datetime("us", "UTC")})
    return {"nodes": nodes, "events": events}


def gpu_status(result: dict, tables: dict[str, pl.DataFrame]) -> dict:
    """What the diagnosis of these tables hands the report about GPUs and HAMi."""
    return cluster_status(GpuCluster(tables, dict(result.get("bundle") or {})))


def multi_fault_gpu() -> dict:
    return gpu_status(multi_fault_result(), multi_fault_tables())


def healthy_gpu() -> dict:
    return gpu_status(healthy_result(), healthy_tables())
