"""Node objects (``kubectl get nodes -o json``) -> ``nodes`` rows.

Real sample (trimmed)::

    {"kind": "Node", "metadata": {"name": "gpu-node-1",
       "labels": {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"},
       "annotations": {"hami.io/node-handshake": "Reported 2026-11-20 10:00:00",
                       "hami.io/node-nvidia-register": "GPU-0f3e...,10,81920,100,NVIDIA-NVIDIA A100-SXM4-80GB,0,true:"}},
     "spec": {"taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]},
     "status": {"capacity": {"nvidia.com/gpu": "8"}, "allocatable": {"nvidia.com/gpu": "8"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                "nodeInfo": {"kubeletVersion": "v1.30.4", ...}}}
"""

from __future__ import annotations

from analyzer.parse.quantity import GPU, count, parse_time
from analyzer.parse.shape import CONDITION_KEYS, conditions_of, dict_of, labels_of, list_of, text
from analyzer.tables import to_json

GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"


def taint_text(t: dict) -> str:
    """A taint as kubectl prints it: ``key=value:Effect`` (``key:Effect`` without a value)."""
    value = f"={text(t['value'])}" if t.get("value") else ""
    return f"{text(t.get('key'))}{value}:{text(t.get('effect'))}"


def node_row(obj: dict, path: str, origin: str = "json") -> dict:
    """The ``nodes`` row of one Node object."""
    meta = dict_of(obj.get("metadata"), "node metadata")
    name = text(meta.get("name"))
    where = f"node {name}"  # names the field in "could not read"
    spec = dict_of(obj.get("spec"), f"{where} spec")
    status = dict_of(obj.get("status"), f"{where} status")
    timed = conditions_of(status.get("conditions"), f"{where} status.conditions", times=True)
    conditions = [{k: v for k, v in c.items() if k in CONDITION_KEYS} for c in timed]
    ready_c = next((c for c in timed if c.get("type") == "Ready"), None)
    info = dict_of(status.get("nodeInfo"), f"{where} status.nodeInfo")
    capacity = labels_of(status.get("capacity"), f"{where} status.capacity")
    allocatable = labels_of(status.get("allocatable"), f"{where} status.allocatable")
    labels = labels_of(meta.get("labels"), f"{where} metadata.labels")
    addresses = {text(a.get("type")): text(a.get("address"))
                 for a in list_of(status.get("addresses"), f"{where} status.addresses") if isinstance(a, dict)}
    taints = [t for t in list_of(spec.get("taints"), f"{where} spec.taints") if isinstance(t, dict)]
    return {
        "path": path, "origin": origin, "name": name,
        "ready": None if ready_c is None else ready_c.get("status") == "True",
        "ready_reason": ready_c.get("reason") if ready_c else None,
        "unschedulable": spec.get("unschedulable") is True,
        "conditions": to_json(conditions),
        "taints": to_json([taint_text(t) for t in taints]),
        "labels": to_json(labels),
        "annotations": to_json(labels_of(meta.get("annotations"), f"{where} metadata.annotations")),
        "capacity": to_json(capacity), "allocatable": to_json(allocatable), "allocated": None,
        "gpu_capacity": count(capacity.get(GPU), f"{where} status.capacity.{GPU}"),
        "gpu_allocatable": count(allocatable.get(GPU), f"{where} status.allocatable.{GPU}"),
        "gpu_allocated": None, "gpu_product": labels.get(GPU_PRODUCT_LABEL),
        "kubelet_version": text(info.get("kubeletVersion")),
        "container_runtime": text(info.get("containerRuntimeVersion")),
        "kernel_version": text(info.get("kernelVersion")), "os_image": text(info.get("osImage")),
        "internal_ip": addresses.get("InternalIP"),
        # when Ready last changed, and the kubelet's newest heartbeat (the node status it posts
        # every few minutes: the newest one is close to when the bundle was collected)
        "ready_since": parse_time(ready_c.get("lastTransitionTime"), f"{where} Ready lastTransitionTime") if ready_c else None,
        "heartbeat": max((t for t in (parse_time(c.get("lastHeartbeatTime"), f"{where} lastHeartbeatTime") for c in timed) if t),
                         default=None),
    }
