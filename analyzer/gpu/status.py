"""What the report shows about GPUs and HAMi (the HAMi troubleshooter's Step 10 sections),
computed from the one ``GpuCluster`` the checks also read:

- ``cluster_gpu``: per GPU node its product, ``nvidia.com/gpu`` capacity / allocatable /
  allocated, HAMi's registered devices and what the live pods hold of their memory and cores;
  totals; the scheduler's device configuration;
- ``hami``: each component (scheduler, device plugin, webhook, vGPU monitor) OK, FAIL, not found
  or not checked, with its version and pods;
- ``allocation``: GPU requests per namespace (running / pending) against the cluster's capacity.

Plain dicts and lists, ready for a template; None where the bundle lacks the data.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from analyzer.gpu.cluster import GpuCluster
from analyzer.gpu.hami import HANDSHAKE, container_component, hami_webhooks
from analyzer.gpu.resources import GPU_COLUMNS, is_gpu_node
from analyzer.tables import from_json

# (component, its row's title, the chart's name for it) in report order; the webhook is a
# configuration, not a pod
COMPONENT_ROWS = (("scheduler", "Scheduler", "scheduler"), ("device plugin", "Device Plugin", "device-plugin"),
                  ("webhook", "Webhook", "webhook"), ("vGPU monitor", "Monitor", "vgpu-monitor"))


def cluster_status(cluster: GpuCluster) -> dict[str, Any]:
    """The three sections, each None when the bundle holds nothing for it."""
    gpu = gpu_nodes(cluster)
    return {"cluster_gpu": gpu, "hami": components(cluster), "allocation": allocation(cluster, gpu)}


def _num(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def gpu_nodes(cluster: GpuCluster) -> dict[str, Any] | None:
    """Per GPU node: product, counts and HAMi memory; totals; None when the bundle has no nodes."""
    if not cluster.nodes:
        return None
    cfg = cluster.config
    config = {"namespace": cfg.namespace, **cfg.section} if cfg.path else {}
    out = []
    for node in sorted(cluster.nodes, key=lambda n: n["name"]):
        if not is_gpu_node(node):
            continue
        annotations = from_json(node.get("annotations"), {}) or {}
        devices = cluster.inventory.get(node["name"]) or []
        allocatable = _num(node.get("gpu_allocatable"))
        allocated = cluster.gpus_allocated(node)
        out.append({
            "name": node["name"],
            "ready": node.get("ready"),
            "product": node.get("gpu_product") or (devices[0].product if devices else ""),
            "devices": len(devices) if devices else None,
            "unhealthy": sum(1 for d in devices if not d.health),
            "capacity": _num(node.get("gpu_capacity")),
            "allocatable": allocatable,
            # "–" rather than 0 when only the pods say (none of them asking for a GPU)
            "allocated": allocated if node.get("gpu_allocated") is not None else (allocated or None),
            "slots": sum(d.count for d in devices) if devices else None,
            "gpumem_total": sum(d.devmem for d in devices) if devices else None,
            "gpumem_used": sum(d.usedmem for d in devices) if devices else None,
            "gpucores_total": sum(d.devcore for d in devices) if devices else None,
            "gpucores_used": sum(d.usedcores for d in devices) if devices else None,
            "handshake": annotations.get(HANDSHAKE, ""),
            "modes": sorted({d.mode for d in devices}),
        })
    if not out:
        return {"nodes": [], "totals": {"gpu_nodes": 0, "devices": 0}, "config": config}
    free_slots = [(n["allocatable"] or 0) - (n["allocated"] or 0) for n in out if n["allocatable"] is not None]
    totals = {
        "gpu_nodes": len(out),
        "devices": sum((n["devices"] if n["devices"] is not None else n["capacity"] or 0) for n in out),
        "free_slots": sum(free_slots) if free_slots else None,
        "gpumem_total": sum(n["gpumem_total"] or 0 for n in out) if any(n["gpumem_total"] for n in out) else None,
        "gpumem_used": sum(n["gpumem_used"] or 0 for n in out),
        "unhealthy": sum(n["unhealthy"] for n in out),
        "hami": any(n["devices"] for n in out),   # any node registered with HAMi
        "memory_scaling": config.get("deviceMemoryScaling"),
        "split_count": config.get("deviceSplitCount"),
    }
    return {"nodes": out, "totals": totals, "config": config}


def image_version(image: str | None) -> str:
    """The tag of an image reference ("latest" when it has none)."""
    if not image:
        return ""
    tail = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return tail.split(":", 1)[1] if ":" in tail else "latest"


def _webhook_row(cluster: GpuCluster) -> dict[str, Any]:
    configs = cluster.objects("MutatingWebhookConfiguration")
    names = sorted({(c.get("metadata") or {}).get("name") or "" for c, _ in hami_webhooks(configs)})
    if names:
        return {"component": "Webhook", "status": "OK", "version": "Active", "detail": ", ".join(names), "pods": []}
    files = cluster.table("files")
    listed = bool(configs) or (not files.is_empty() and files.filter(pl.col("source") == "mutatingwebhooks").height > 0)
    if listed:
        return {"component": "Webhook", "status": "FAIL", "version": "",
                "detail": "no HAMi MutatingWebhookConfiguration registered", "pods": []}
    return {"component": "Webhook", "status": "not checked", "version": "",
            "detail": "webhook configurations not in the bundle", "pods": []}


def components(cluster: GpuCluster) -> dict[str, Any] | None:
    """One row per HAMi component in HAMi's namespace: OK, FAIL, not found or not checked.
    None when the bundle shows no HAMi at all (no HAMi pod, namespace or webhook)."""
    namespace = cluster.hami_namespace
    webhook = _webhook_row(cluster)
    if namespace is None and webhook["status"] != "OK":
        return None
    pods = {p["name"]: comp for p, comp in cluster.components if p.get("namespace") == namespace}
    phases = {p["name"]: p for p, _ in cluster.components if p.get("namespace") == namespace}
    containers = [(c, container_component(pods.get(c["pod"]), c.get("name")))
                  for c in cluster.table("containers").to_dicts()
                  if c.get("namespace") == namespace and not c.get("init")]
    rows = []
    for comp, title, chart_name in COMPONENT_ROWS:
        if comp == "webhook":
            rows.append(webhook)
            continue
        mine = [c for c, cc in containers if cc == comp]
        pod_names = sorted({c["pod"] for c in mine} | {name for name, pc in pods.items() if pc == comp})
        if not pod_names:
            rows.append({"component": title, "status": "not found", "version": "",
                         "detail": f"no {chart_name} pod in namespace {namespace}" if namespace
                         else "HAMi namespace not found", "pods": []})
            continue
        problems = [f"{c['pod']}/{c['name']}: {c.get('state_reason') or c.get('state') or 'not ready'}"
                    for c in sorted(mine, key=lambda c: (c.get("pod") or "", c.get("name") or "")) if not c.get("ready")]
        problems += [f"{name}: {phases[name].get('phase')}"
                     + (f" ({phases[name]['reason']})" if phases[name].get("reason") else "")
                     for name in pod_names if name in phases and phases[name].get("phase") not in ("Running", None)]
        ready = sum(1 for name in pod_names if any(c["pod"] == name for c in mine)
                    and all(c.get("ready") for c in mine if c["pod"] == name))
        images = [c.get("image") for c in mine]
        version = image_version(([i for i in images if "hami" in (i or "")] or images or [None])[0])
        rows.append({"component": title, "status": "FAIL" if problems else "OK", "version": version,
                     "detail": f"{ready}/{len(pod_names)} pods ready"
                               + (": " + "; ".join(sorted(set(problems))[:4]) if problems else ""),
                     "pods": pod_names})
    return {"namespace": namespace, "components": rows}


def _gpu_pods(cluster: GpuCluster) -> list[dict[str, Any]]:
    """Pods that request any GPU resource, one row per pod, sorted by namespace and name."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for p in sorted(cluster.pods, key=lambda r: 0 if r.get("origin", "json") == "json" else 1):
        key = (p.get("namespace") or "", p.get("name") or "")
        values = {k: _num(p.get(k)) for k in GPU_COLUMNS}
        if key in seen or not any(values.values()):
            continue
        seen[key] = {"namespace": key[0], "name": key[1], "phase": p.get("phase") or "Unknown",
                     "node": p.get("node"), **values}
    return [seen[k] for k in sorted(seen)]


def allocation(cluster: GpuCluster, gpu: dict[str, Any] | None) -> dict[str, Any] | None:
    """GPU requests per namespace (running / pending) against the cluster's capacity."""
    pods = _gpu_pods(cluster)
    if not pods:
        return None
    per_ns: dict[str, dict[str, Any]] = {}
    for p in pods:
        ns = per_ns.setdefault(p["namespace"], {
            "namespace": p["namespace"], "pending": 0, "running": 0, "other": 0,
            "gpu": 0.0, "gpumem": 0.0, "gpumem_percentage": 0.0, "gpucores": 0.0,
            "pending_gpu": 0.0, "pending_gpumem": 0.0, "pending_gpucores": 0.0})
        if p["phase"] == "Pending":
            ns["pending"] += 1
            for key in ("gpu", "gpumem", "gpucores"):
                ns["pending_" + key] += p[key] or 0
        elif p["phase"] == "Running":
            ns["running"] += 1
            for key in ("gpu", "gpumem", "gpumem_percentage", "gpucores"):
                ns[key] += p[key] or 0
        else:
            ns["other"] += 1
    rows = [per_ns[k] for k in sorted(per_ns)]
    # a cluster without HAMi has no gpumem/gpucores requests: "–", not zeros
    for key in ("gpumem", "gpucores"):
        if not any(p[key] for p in pods):
            for r in rows:
                r[key] = r["pending_" + key] = None
    capacity = None
    if gpu and gpu["nodes"]:
        nodes = gpu["nodes"]
        slots = [n["slots"] if n["slots"] is not None else n["allocatable"] for n in nodes]
        with_devices = [n for n in nodes if n["devices"]]
        capacity = {
            "gpu": sum(s or 0 for s in slots),
            "gpumem": sum(n["gpumem_total"] or 0 for n in with_devices) if with_devices else None,
            "gpucores": sum(n["gpucores_total"] or 0 for n in with_devices) if with_devices else None,
        }
        used = {k: sum(r[k] or 0 for r in rows) for k in ("gpu", "gpumem", "gpucores")}
        capacity["free"] = {k: (capacity[k] - used[k]) if capacity[k] is not None else None
                            for k in ("gpu", "gpumem", "gpucores")}
    return {"namespaces": rows, "capacity": capacity}
