"""The GPU model of a bundle (``GpuCluster``) and the status the report shows from it, over tables
the real parser builds from ``kubectl get -o json`` objects."""

from __future__ import annotations

import json

from analyzer.gpu.cluster import GpuCluster
from analyzer.gpu.status import cluster_status
from analyzer.parse.objects import ObjectRows
from analyzer.tables import TABLE_NAMES, frame

A100 = "NVIDIA-NVIDIA A100-SXM4-80GB"
REGISTER = json.dumps([{"id": "GPU-a", "count": 10, "devmem": 81920, "devcore": 100, "type": A100, "health": True},
                       {"id": "GPU-b", "index": 1, "count": 10, "devmem": 81920, "devcore": 100, "type": A100,
                        "health": True}], separators=(",", ":"))


def node(name: str, *, gpus: int | None = None, annotations: dict | None = None, labels: dict | None = None) -> dict:
    cap = {"cpu": "64", "memory": "512Gi", **({"nvidia.com/gpu": str(gpus)} if gpus is not None else {})}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels or {}, "annotations": annotations or {}},
            "status": {"capacity": cap, "allocatable": cap, "conditions": [{"type": "Ready", "status": "True"}]}}


def pod(name: str, ns: str, node_name: str | None, limits: dict, *, phase: str = "Running",
        annotations: dict | None = None, labels: dict | None = None, containers: list[str] = ("main",),
        image: str = "vllm/vllm-openai:v0.8.5", ready: bool = True) -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {}, "annotations": annotations or {}},
            "spec": {"nodeName": node_name, "schedulerName": "hami-scheduler",
                     "containers": [{"name": c, "image": image, "resources": {"limits": limits}} for c in containers]},
            "status": {"phase": phase, "containerStatuses": [
                {"name": c, "ready": ready, "restartCount": 0, "image": image,
                 "state": {"running": {}} if ready else {"waiting": {"reason": "CrashLoopBackOff"}}}
                for c in containers]}}


def cluster(objects: list[dict], facts: dict | None = None) -> GpuCluster:
    acc = ObjectRows()
    for i, o in enumerate(objects):
        ns = (o.get("metadata") or {}).get("namespace")
        acc.add(o, "cluster/nodes.json" if o["kind"] == "Node" else f"namespaces/{ns}/pods.json", line=i + 1)
    return GpuCluster({name: frame(name, acc.rows.get(name, [])) for name in TABLE_NAMES}, facts or {})


def test_memory_held_is_what_hami_recorded_on_each_card():
    """A two-GPU pod holds its gpumem on each card; a pod with no gpumem holds the whole card
    (HAMi's default): the report shows what HAMi's scheduler counts, as the checks do."""
    gpu = cluster([
        node("gpu-1", gpus=20, annotations={"hami.io/node-nvidia-register": REGISTER,
                                            "hami.io/node-handshake": "Reported 2026-11-20 10:14:58"}),
        pod("tp2-0", "ml", "gpu-1", {"nvidia.com/gpu": "2", "nvidia.com/gpumem": "20000"},
            annotations={"hami.io/vgpu-devices-allocated": "GPU-a,NVIDIA,20000,0:GPU-b,NVIDIA,20000,0:;"}),
    ])
    [n] = cluster_status(gpu)["cluster_gpu"]["nodes"]
    assert (n["devices"], n["gpumem_total"], n["gpumem_used"], n["slots"]) == (2, 163840, 40000, 20)
    assert n["handshake"] == "Reported 2026-11-20 10:14:58" and n["product"] == "NVIDIA A100-SXM4-80GB"
    whole = cluster([node("gpu-1", gpus=20, annotations={"hami.io/node-nvidia-register": REGISTER}),
                     pod("plain-0", "ml", "gpu-1", {"nvidia.com/gpu": "1"})])
    assert cluster_status(whole)["cluster_gpu"]["nodes"][0]["gpumem_used"] == 81920


def test_gpu_nodes_are_the_nodes_the_checks_call_gpu_nodes():
    """A node labelled by GPU feature discovery whose device plugin is down (no capacity) is a GPU
    node in the report as in the device-plugin check; a CPU node is not; a register HAMi would
    reject gives no HAMi devices (the scheduler calls the node unregistered)."""
    gpu = cluster([node("cpu-1"), node("gpu-dead", labels={"nvidia.com/gpu.present": "true"}),
                   node("gpu-bad", gpus=8, annotations={"hami.io/node-nvidia-register": "GPU-a,10,81920:"})])
    nodes = {n["name"]: n for n in cluster_status(gpu)["cluster_gpu"]["nodes"]}
    assert set(nodes) == {"gpu-dead", "gpu-bad"}
    assert nodes["gpu-dead"]["capacity"] is None and nodes["gpu-bad"]["devices"] is None
    assert gpu.inventory == {}


def test_components_and_their_namespace():
    hami = [pod("gpu-hami-scheduler-6d9f7-abcde", "gpu-system", "cp-1", {},
                labels={"app.kubernetes.io/component": "hami-scheduler"},
                containers=["kube-scheduler", "vgpu-scheduler-extender"], image="projecthami/hami:v2.6.1"),
            pod("gpu-hami-device-plugin-x7k2p", "gpu-system", "gpu-1", {}, containers=["device-plugin"],
                image="projecthami/hami:v2.6.1"),
            pod("gpu-hami-device-plugin-q9w8e", "gpu-system", "gpu-2", {}, containers=["device-plugin", "vgpu-monitor"],
                image="projecthami/hami:v2.6.1", ready=False)]
    status = cluster_status(cluster(hami))["hami"]
    assert status["namespace"] == "gpu-system"      # where its pods are, when the bundle does not say
    rows = {r["component"]: r for r in status["components"]}
    assert rows["Scheduler"]["status"] == "OK" and rows["Scheduler"]["version"] == "v2.6.1"
    assert rows["Device Plugin"]["status"] == "FAIL" and rows["Device Plugin"]["detail"].startswith("1/2 pods ready")
    assert rows["Monitor"]["status"] == "FAIL" and rows["Monitor"]["pods"] == ["gpu-hami-device-plugin-q9w8e"]
    assert rows["Webhook"]["status"] == "not checked"
    assert cluster_status(cluster([node("cpu-1")]))["hami"] is None


def test_allocation_per_namespace_against_capacity():
    gpu = cluster([node("gpu-1", gpus=20, annotations={"hami.io/node-nvidia-register": REGISTER}),
                   pod("a-0", "ml", "gpu-1", {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "8000"}),
                   pod("b-0", "ml", None, {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "90000"}, phase="Pending")])
    alloc = cluster_status(gpu)["allocation"]
    [ml] = alloc["namespaces"]
    assert (ml["running"], ml["pending"], ml["gpumem"], ml["pending_gpumem"]) == (1, 1, 8000, 90000)
    assert alloc["capacity"]["gpumem"] == 163840 and alloc["capacity"]["free"]["gpumem"] == 163840 - 8000
