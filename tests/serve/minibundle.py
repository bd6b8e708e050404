"""A small bundle in our collector's layout, written with the shared writer (``testkit.bundle``)
for the serve and collector tests.

It holds what kubectl needs for get/describe/logs/events: a GPU node and a CPU node, a Dynamo
namespace with a crash-looping vLLM worker (CUDA OOM in its previous log), a frontend with a
metrics scrape, a pending pod with a FailedScheduling event, a DynamoGraphDeployment and its CRD,
a HAMi namespace, and Secrets whose values are planted so that tests can prove they never leak.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from testkit.bundle import BundleWriter
from tools.samplegen.kube import list_of

T0 = "2026-11-20T10:00:00Z"
COLLECTED = "2026-11-20T12:00:00Z"
NS = "dynamo"
HAMI_NS = "hami-system"

# values that must never appear in anything the collector writes
SECRET_VALUES = ("hf_PLANTEDsecretVALUE0123456789abcd", "c3VwZXJzZWNyZXRwYXNzd29yZA==",
                 "supersecretpassword")
PLANTED_TOKENS = ("hf_PlantedEnvToken9876543210zyxwvu", "nvapi-PlantedNgcKey0123456789abcdefghij",
                  "plantedDbPassword42")


def _meta(name: str, ns: str | None = None, **extra: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name, "uid": f"uid-{ns or 'cluster'}-{name}", "creationTimestamp": T0,
                         "resourceVersion": "1000"}
    if ns:
        m["namespace"] = ns
    m.update(extra)
    return m


def _node(name: str, gpus: int) -> dict[str, Any]:
    cap = {"cpu": "64", "memory": "527952572Ki", "pods": "110", "ephemeral-storage": "1843126940Ki"}
    if gpus:
        cap |= {"nvidia.com/gpu": str(gpus), "nvidia.com/gpumem": str(gpus * 81920), "nvidia.com/gpucores": str(gpus * 100)}
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    if gpus:
        labels |= {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3", "gpu": "on"}
    else:
        labels["node-role.kubernetes.io/control-plane"] = ""
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": _meta(name, labels=labels, annotations={"hami.io/node-nvidia-register": "GPU-0,10,81920,100,NVIDIA-H100-80GB-HBM3,0,true:"} if gpus else {}),
        "spec": {"podCIDR": "10.244.1.0/24"} | ({} if gpus else {"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]}),
        "status": {
            "capacity": cap, "allocatable": cap,
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available", "lastHeartbeatTime": COLLECTED, "lastTransitionTime": T0},
                {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure", "lastHeartbeatTime": COLLECTED, "lastTransitionTime": T0},
                {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available", "lastHeartbeatTime": COLLECTED, "lastTransitionTime": T0},
                {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status", "lastHeartbeatTime": COLLECTED, "lastTransitionTime": T0},
            ],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.11" if gpus else "10.0.0.10"}, {"type": "Hostname", "address": name}],
            "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b", "kernelVersion": "5.15.0-124-generic",
                         "osImage": "Ubuntu 22.04.5 LTS", "containerRuntimeVersion": "containerd://1.7.22",
                         "kubeletVersion": "v1.30.5", "kubeProxyVersion": "v1.30.5", "operatingSystem": "linux",
                         "architecture": "amd64"},
        },
    }


def _pod(name: str, ns: str, node: str | None, containers: list[dict[str, Any]], statuses: list[dict[str, Any]] | None,
         phase: str, labels: dict[str, str] | None = None, conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase, "qosClass": "Burstable", "startTime": T0}
    if node:
        status |= {"hostIP": "10.0.0.11", "podIP": f"10.244.1.{len(name)}"}
    if statuses is not None:
        status["containerStatuses"] = statuses
    status["conditions"] = conditions or [{"type": "PodScheduled", "status": "True", "lastTransitionTime": T0}]
    spec: dict[str, Any] = {"containers": containers, "restartPolicy": "Always", "schedulerName": "default-scheduler",
                            "serviceAccountName": "default", "terminationGracePeriodSeconds": 30}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": _meta(name, ns, labels=labels or {"app": name.rsplit("-", 2)[0]}), "spec": spec, "status": status}


def _container(name: str, image: str, gpu: int = 0, env: list[dict[str, Any]] | None = None,
               ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"memory": "16Gi"}}
    if gpu:
        res["limits"]["nvidia.com/gpu"] = str(gpu)
        res["requests"]["nvidia.com/gpu"] = str(gpu)
    c: dict[str, Any] = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent", "resources": res,
                         "env": env or []}
    if ports:
        c["ports"] = ports
    return c


def _event(name: str, ns: str, kind: str, obj: str, typ: str, reason: str, msg: str, count: int = 1,
           component: str = "kubelet", first: str = T0, last: str = COLLECTED) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event", "metadata": _meta(name, ns),
            "involvedObject": {"kind": kind, "namespace": ns if kind != "Node" else "", "name": obj,
                               "uid": f"uid-{ns if kind != 'Node' else 'cluster'}-{obj}", "apiVersion": "v1"},
            "reason": reason, "message": msg, "type": typ, "count": count, "firstTimestamp": first,
            "lastTimestamp": last, "source": {"component": component, "host": "gpu-node-1"},
            "reportingComponent": component, "reportingInstance": "gpu-node-1"}


WORKER_PREVIOUS_LOG = """\
2026-11-20T11:50:01.000000000Z INFO 11-20 11:50:01 [__init__.py:239] Automatically detected platform cuda.
2026-11-20T11:50:05.123456789Z INFO 11-20 11:50:05 [gpu_model_runner.py:1329] Starting to load model Qwen/Qwen3-32B...
2026-11-20T11:50:40.000000000Z INFO 11-20 11:50:40 [gpu_model_runner.py:1349] Model loading took 61.03 GiB and 34.2 seconds
2026-11-20T11:50:41.000000000Z ERROR 11-20 11:50:41 [core.py:586] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total capacity of 79.11 GiB of which 3.81 GiB is free. Including non-PyTorch memory, this process has 75.29 GiB memory in use.
"""
WORKER_LOG = """\
2026-11-20T11:59:01.000000000Z INFO 11-20 11:59:01 [__init__.py:239] Automatically detected platform cuda.
2026-11-20T11:59:05.000000000Z INFO 11-20 11:59:05 [gpu_model_runner.py:1329] Starting to load model Qwen/Qwen3-32B...
"""
FRONTEND_LOG = """\
2026-11-20T11:58:00.000000000Z 2026-11-20T11:58:00.000000Z  WARN dynamo_llm::http::service::openai: no instances found for endpoint dyn://dynamo.backend.generate
2026-11-20T11:58:30.000000000Z 2026-11-20T11:58:30.000000Z  INFO dynamo_llm::http::service::service_v2: Starting HTTP service on: 0.0.0.0:8000
"""
FRONTEND_METRICS = """\
# HELP dynamo_frontend_requests_total Total number of LLM requests processed
# TYPE dynamo_frontend_requests_total counter
dynamo_frontend_requests_total{endpoint="chat_completions",model="qwen/qwen3-32b",request_type="unary",status="error"} 17
"""


def write_bundle(root: Path, *, forbidden_namespace: str | None = None) -> Path:
    """Write the bundle under ``root/mini-bundle`` and return that folder."""
    out = BundleWriter(root / "mini-bundle", collected_at=COLLECTED, context="prod-gpu", server_version="v1.30.5",
                       namespaces=[NS, HAMI_NS], hami_namespace=HAMI_NS)

    version = {"clientVersion": {"major": "1", "minor": "30", "gitVersion": "v1.30.5", "platform": "linux/amd64"},
               "serverVersion": {"major": "1", "minor": "30", "gitVersion": "v1.30.5", "gitCommit": "74e84a90c725047b1328ff3d589fedb1cb7a120e",
                                 "gitTreeState": "clean", "buildDate": "2024-09-12T00:11:42Z", "goVersion": "go1.22.6",
                                 "compiler": "gc", "platform": "linux/amd64"}}
    out.put("version", version)
    out.put("context", "prod-gpu\n")
    out.put("nodes", list_of([_node("cpu-node-1", 0), _node("gpu-node-1", 8)]))
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(n, labels={"kubernetes.io/metadata.name": n}),
                   "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}} for n in (NS, HAMI_NS, "default")]
    out.put("namespaces", list_of(namespaces))
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": _meta("dynamographdeployments.nvidia.com"),
           "spec": {"group": "nvidia.com", "scope": "Namespaced",
                    "names": {"kind": "DynamoGraphDeployment", "listKind": "DynamoGraphDeploymentList",
                              "plural": "dynamographdeployments", "singular": "dynamographdeployment", "shortNames": ["dgd"]},
                    "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                                  "additionalPrinterColumns": [
                                      {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
                                      {"name": "Backend", "type": "string", "jsonPath": ".spec.backendFramework"},
                                      {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]}]}}
    out.put("crds", list_of([crd]))

    hf_env = [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token-secret", "key": "HF_TOKEN"}}},
              {"name": "NGC_API_KEY", "value": PLANTED_TOKENS[1]},
              {"name": "DB_PASSWORD", "value": PLANTED_TOKENS[2]},
              {"name": "HUGGING_FACE_HUB_TOKEN", "value": PLANTED_TOKENS[0]},
              {"name": "DYN_SYSTEM_PORT", "value": "9090"}]
    worker = _pod("qwen-vllmdecodeworker-7d9f8-abcde", NS, "gpu-node-1",
                  [_container("main", "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1", gpu=1, env=hf_env,
                              ports=[{"name": "system", "containerPort": 9090, "protocol": "TCP"}])],
                  [{"name": "main", "ready": False, "restartCount": 4, "image": "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1",
                    "imageID": "", "containerID": "containerd://abc", "started": False,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 1m20s restarting failed container=main pod=qwen-vllmdecodeworker-7d9f8-abcde_dynamo(uid)"}},
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "2026-11-20T11:50:00Z", "finishedAt": "2026-11-20T11:50:42Z", "containerID": "containerd://abc"}}}],
                  "Running", labels={"nvidia.com/dynamo-component-type": "worker", "app": "qwen-decode"})
    frontend = _pod("qwen-frontend-5c6d7-fghij", NS, "cpu-node-1",
                    [_container("main", "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1",
                                ports=[{"name": "http", "containerPort": 8000, "protocol": "TCP"}])],
                    [{"name": "main", "ready": True, "restartCount": 0, "image": "x", "imageID": "", "started": True,
                      "state": {"running": {"startedAt": "2026-11-20T10:01:00Z"}}}],
                    "Running", labels={"nvidia.com/dynamo-component-type": "frontend", "app": "qwen-frontend"},
                    conditions=[{"type": "Ready", "status": "True", "lastTransitionTime": T0},
                                {"type": "PodScheduled", "status": "True", "lastTransitionTime": T0}])
    pending = _pod("qwen-prefill-6b5a4-klmno", NS, None,
                   [_container("main", "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1", gpu=4)], None, "Pending",
                   conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                "message": "0/2 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
                                "lastTransitionTime": T0}])
    pods = [worker, frontend, pending]
    if forbidden_namespace != NS:
        out.put("pods", list_of(pods), namespace=NS)
    events = [
        _event("qwen-vllmdecodeworker-7d9f8-abcde.1", NS, "Pod", worker["metadata"]["name"], "Warning", "BackOff",
               "Back-off restarting failed container main in pod qwen-vllmdecodeworker-7d9f8-abcde_dynamo(uid)", 23),
        _event("qwen-prefill-6b5a4-klmno.1", NS, "Pod", pending["metadata"]["name"], "Warning", "FailedScheduling",
               pending["status"]["conditions"][0]["message"], 5, component="default-scheduler"),
        _event("gpu-node-1.1", "default", "Node", "gpu-node-1", "Normal", "NodeReady",
               "Node gpu-node-1 status is now: NodeReady", 1),
    ]
    out.put("events", list_of(events[:2]), namespace=NS)
    out.put("events", list_of(events[2:]), namespace="default")
    secrets = [{"apiVersion": "v1", "kind": "Secret", "metadata": _meta("hf-token-secret", NS, annotations={
                    "kubectl.kubernetes.io/last-applied-configuration": json.dumps({"data": {"HF_TOKEN": SECRET_VALUES[1]}})}),
                "type": "Opaque", "data": {"HF_TOKEN": SECRET_VALUES[1]}, },
               {"apiVersion": "v1", "kind": "Secret", "metadata": _meta("db", NS), "type": "Opaque",
                "stringData": {"password": SECRET_VALUES[2]}, "data": {"token": SECRET_VALUES[0]}}]
    out.put("secrets", list_of(secrets), namespace=NS)
    dgd = {"apiVersion": "nvidia.com/v1alpha1", "kind": "DynamoGraphDeployment", "metadata": _meta("qwen", NS),
           "spec": {"backendFramework": "vllm", "services": {"Frontend": {"replicas": 1}, "VllmDecodeWorker": {"replicas": 1}}},
           "status": {"state": "pending", "conditions": [{"type": "Ready", "status": "False", "reason": "SomeResourcesAreNotReady",
                                                         "message": "Resources not ready: qwen-vllmdecodeworker", "lastTransitionTime": T0}]}}
    out.put("custom_resources", list_of([dgd]), namespace=NS, resource="dynamographdeployments.nvidia.com")
    out.put("previous_log", WORKER_PREVIOUS_LOG, namespace=NS, pod=worker["metadata"]["name"], container="main")
    out.put("log", WORKER_LOG, namespace=NS, pod=worker["metadata"]["name"], container="main")
    out.put("log", FRONTEND_LOG, namespace=NS, pod=frontend["metadata"]["name"], container="main")
    out.put("metrics", FRONTEND_METRICS, namespace=NS, pod=frontend["metadata"]["name"])

    hami = _pod("hami-scheduler-6c8b9d-pqrst", HAMI_NS, "cpu-node-1",
                [_container("vgpu-scheduler-extender", "projecthami/hami:v2.6.1")],
                [{"name": "vgpu-scheduler-extender", "ready": True, "restartCount": 0, "image": "x", "imageID": "",
                  "state": {"running": {"startedAt": T0}}}], "Running", labels={"app": "hami-scheduler"})
    out.put("pods", list_of([hami]), namespace=HAMI_NS)
    out.put("log", "2026-11-20T11:00:00.000000000Z I1120 11:00:00.000000       1 scheduler.go:100] Starting HAMi scheduler\n",
            namespace=HAMI_NS, pod=hami["metadata"]["name"], container="vgpu-scheduler-extender")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("hami-scheduler-device", HAMI_NS),
          "data": {"device-config.yaml": "nvidia:\n  resourceCountName: nvidia.com/gpu\n  deviceSplitCount: 10\n  deviceMemoryScaling: 1\n"}}
    out.put("configmaps", list_of([cm]), namespace=HAMI_NS)
    if forbidden_namespace:
        out.refused("pods", forbidden_namespace, ["kubectl", "get", "pods", "-n", forbidden_namespace, "-o", "json"],
                    f'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:support:collector" cannot list resource "pods" in API group "" in the namespace "{forbidden_namespace}"')
    return out.finish(options={})
