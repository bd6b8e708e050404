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
from analyzer.tables import to_json

GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"


def taint_text(t: dict) -> str:
    """A taint as kubectl prints it: ``key=value:Effect`` (``key:Effect`` without a value)."""
    value = f"={t['value']}" if t.get("value") else ""
    return f"{t.get('key')}{value}:{t.get('effect')}"


def node_row(obj: dict, path: str, origin: str = "json") -> dict:
    """The ``nodes`` row of one Node object."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    ready_c = next((c for c in conditions if c.get("type") == "Ready"), None)
    info = status.get("nodeInfo") or {}
    capacity, allocatable = status.get("capacity") or {}, status.get("allocatable") or {}
    labels = meta.get("labels") or {}
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or [] if isinstance(a, dict)}
    return {
        "path": path, "origin": origin, "name": meta.get("name"),
        "ready": None if ready_c is None else ready_c.get("status") == "True",
        "ready_reason": ready_c.get("reason") if ready_c else None,
        "unschedulable": bool(spec.get("unschedulable")),
        "conditions": to_json([{k: c.get(k) for k in ("type", "status", "reason", "message")
                                if c.get(k) is not None} for c in conditions]),
        "taints": to_json([taint_text(t) for t in spec.get("taints") or [] if isinstance(t, dict)]),
        "labels": to_json(labels), "annotations": to_json(meta.get("annotations") or {}),
        "capacity": to_json(capacity), "allocatable": to_json(allocatable), "allocated": None,
        "gpu_capacity": count(capacity.get(GPU)), "gpu_allocatable": count(allocatable.get(GPU)),
        "gpu_allocated": None, "gpu_product": labels.get(GPU_PRODUCT_LABEL),
        "kubelet_version": info.get("kubeletVersion"),
        "container_runtime": info.get("containerRuntimeVersion"),
        "kernel_version": info.get("kernelVersion"), "os_image": info.get("osImage"),
        "internal_ip": addresses.get("InternalIP"),
        # when Ready last changed, and the kubelet's newest heartbeat (the node status it posts
        # every few minutes: the newest one is close to when the bundle was collected)
        "ready_since": parse_time(ready_c.get("lastTransitionTime")) if ready_c else None,
        "heartbeat": max((t for t in (parse_time(c.get("lastHeartbeatTime")) for c in conditions) if t),
                         default=None),
    }
