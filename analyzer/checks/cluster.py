"""Cluster checks: nodes, storage, taints and runtime classes, and whether the cluster offers
GPUs at all to the pods that ask for them."""

from __future__ import annotations

import json
from collections import defaultdict


from analyzer.checks.framework import CheckContext, Outcome, check
from analyzer.checks.helpers import collected, object_evidence, pod_evidence, pod_specs
from analyzer.findings import Affected, PodRef
from analyzer.gpu.hami import REGISTER
from analyzer.gpu.resources import GPU_PRESENT_LABEL, is_gpu_node, offers_gpus, requests_gpu, unscheduled
from analyzer.parse.shape import dig, name_of, text
from analyzer.state import RECOVERED, describe_container
from analyzer.tables import from_json


@check("CHK003", "pvc-pending", "storage.pvc_pending", "critical", "PersistentVolumeClaim stuck Pending")
def pvc_pending(ctx: CheckContext) -> Outcome:
    """A PVC whose ``status.phase`` is ``Pending``: no volume bound, so pods using it cannot start."""
    pvcs = ctx.objects("PersistentVolumeClaim")
    if not pvcs:
        return Outcome(skipped="no PersistentVolumeClaims in the bundle")
    classes = {o.get("metadata", {}).get("name") for o in ctx.objects("StorageClass")}
    out = Outcome(note=f"{len(pvcs)} PVCs checked")
    for o in pvcs:
        meta, spec = o.get("metadata") or {}, o.get("spec") or {}
        if ctx.state.pvcs.get((meta.get("namespace"), meta.get("name"))) != "Pending":
            continue
        sc = spec.get("storageClassName")
        why = ("no storageClassName and no default StorageClass" if not sc else
               f"StorageClass {sc!r} not found" if classes and sc not in classes else f"StorageClass {sc!r}")
        out.findings.append(pvc_pending.check.finding(
            summary=f"PVC {meta.get('name')} in {meta.get('namespace')} is Pending ({why})",
            remediation=("Set spec.storageClassName to an existing StorageClass (or mark one default), "
                         "or create a matching PersistentVolume."),
            checks=[f"kubectl describe pvc {meta.get('name')} -n {meta.get('namespace')}",
                    "kubectl get storageclass"],
            affected=[Affected(meta.get("namespace"), "PersistentVolumeClaim", meta.get("name"))],
            evidence=[object_evidence(o["_path"], f"persistentvolumeclaim/{meta.get('name')} phase=Pending "
                                      f"storageClassName={sc}", None, o["_line"])],
            details={"storage_class": sc}))
    return out


@check("CHK004", "node-not-ready", "cluster.node_not_ready", "error", "Node NotReady")
def node_not_ready(ctx: CheckContext) -> Outcome:
    """A node whose ``Ready`` condition is not ``True``: its pods are evicted or stuck."""
    nodes = ctx.state.nodes
    if not nodes:
        return Outcome(skipped="no nodes in the bundle")
    out = Outcome(note=f"{len(nodes)} nodes checked")
    for n in nodes.values():
        if n.ready is not False:
            continue
        out.findings.append(node_not_ready.check.finding(
            summary=f"Node {n.name} is NotReady ({n.ready_reason or 'no reason given'})"
                    + (f" since {n.ready_since.strftime('%Y-%m-%dT%H:%M:%SZ')}" if n.ready_since else ""),
            remediation="Check the kubelet and container runtime on the node; drain it if it stays NotReady.",
            checks=[f"kubectl describe node {n.name}"],
            affected=[Affected(None, "Node", n.name)], node=n.name,
            evidence=[object_evidence(n.path, f"node/{n.name} Ready={n.ready} reason={n.ready_reason}",
                                     n.ready_since, n.line)]))
    return out


@check("CHK037", "node-restarted", "cluster.node_restarted", "warning",
       "Node or container runtime restarted (many containers ended at one instant)")
def node_restarted(ctx: CheckContext) -> Outcome:
    """Containers of two or more pods of one node whose last run ended at the same instant
    (within 10 seconds) with exit code 255 or reason ``Unknown``: what kubelet reports for the
    containers its node or container runtime lost when it restarted. One finding per node and
    instant, with the node and the time; the restarts it caused are not crash loops (CHK002
    leaves them out). Still true while the node is not Ready again (or has been Ready for less
    than 15 minutes); recovered once it has.
    """
    state = ctx.state
    if not state.pods:
        return Outcome(skipped="no pod status in the bundle (pods JSON or describe)")
    restarts = state.node_restarts()
    out = Outcome(note=f"{len(state.nodes) or len({p.node for p in state.pods.values() if p.node})} node(s): "
                       "no instant at which containers of several pods ended together with exit 255/Unknown")
    for r in restarts:
        node = state.nodes.get(r.node)
        when = r.time.strftime("%Y-%m-%dT%H:%M:%SZ")
        ready = node is not None and node.settled(state.collected_at)
        pods = r.pods
        out.findings.append(node_restarted.check.finding(
            summary=(f"Node {r.node} or its container runtime restarted at {when}: {len(r.containers)} containers of "
                     f"{len(pods)} pods ended then with exit code 255 / Unknown"
                     + ("; the node is Ready again" + (f" since {node.ready_since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
                                                        if node.ready_since else "") if ready else "")),
            remediation=("Find why the node restarted (a reboot, kubelet or containerd/CRI-O restart, an upgrade, "
                         "memory pressure on the host): the node's system journal around that time. Restarts "
                         "of these containers at that instant are not application crashes."),
            checks=[f"kubectl describe node {r.node}",
                    f"kubectl get events -A --field-selector involvedObject.kind=Node,involvedObject.name={r.node}",
                    "journalctl -b -1 -u kubelet -u containerd  # on the node"],
            affected=[Affected(None, "Node", r.node)], node=r.node,
            evidence=[object_evidence(c.path, f"pod/{c.pod} " + describe_container(c), c.last_finished, c.line)
                      for c in r.containers[:5]],
            count=len(r.containers), first_seen=r.time, last_seen=r.time,
            details={"node": r.node, "time": when, "containers": [f"{c.namespace}/{c.pod}/{c.name}" for c in r.containers],
                     "pods": [f"{ns}/{name}" for ns, name in pods]},
            state=RECOVERED if ready else None,
            state_reason=f"node {r.node} is Ready" if ready else ""))
    return out


# ---------------------------------------------------------------------------------------------
# CHK015

BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")


def parse_taint(text: str) -> dict[str, str]:
    """``key=value:Effect`` (the nodes table's form) -> {key, value, effect}."""
    body, _, effect = text.rpartition(":")
    key, _, value = body.partition("=")
    return {"key": key, "value": value, "effect": effect}


def tolerates(tolerations: list[dict], taint: dict[str, str]) -> bool:
    """Kubernetes' rule: one toleration matching the taint's key, value (or Exists) and effect."""
    for t in tolerations:
        if not isinstance(t, dict):
            continue
        if t.get("effect") and t["effect"] != taint["effect"]:
            continue
        if (t.get("operator") or "Equal") == "Exists":
            if not t.get("key") or t["key"] == taint["key"]:
                return True
        elif t.get("key") == taint["key"] and (t.get("value") or "") == taint["value"]:
            return True
    return False


@check("CHK015", "node-taints", "scheduling.taint", "error",
       "Pending GPU pod tolerates no GPU node's taints")
def node_taints(ctx: CheckContext) -> Outcome:
    """A Pending, unscheduled pod that asks for GPUs, when every GPU node (matching its
    ``nodeSelector``) carries a ``NoSchedule``/``NoExecute`` taint the pod does not tolerate
    (``spec.tolerations``, Kubernetes' matching rules). GPU node pools are often tainted
    ``nvidia.com/gpu=present:NoSchedule``; pods without the toleration stay Pending."""
    pods, nodes = ctx.table("pods"), ctx.table("nodes")
    if pods.is_empty() or nodes.is_empty():
        return Outcome(skipped="needs both pods and nodes in the bundle")
    gpu_nodes = [r for r in nodes.iter_rows(named=True) if is_gpu_node(r)]
    pending = [r for r in pods.iter_rows(named=True) if unscheduled(r) and requests_gpu(r)]
    out = Outcome(note=f"{len(pending)} Pending GPU pod(s) against {len(gpu_nodes)} GPU node(s)")
    for pod in pending:
        tols = from_json(pod["tolerations"], []) or []
        sel = from_json(pod["node_selector"], {}) or {}
        candidates = [n for n in gpu_nodes if all(from_json(n["labels"], {}).get(k) == v for k, v in sel.items())]
        if not candidates:
            continue
        blocked: dict[str, list[str]] = {}
        for n in candidates:
            bad = [t for t in from_json(n["taints"], []) or []
                   if parse_taint(t)["effect"] in BLOCKING_EFFECTS and not tolerates(tols, parse_taint(t))]
            if bad:
                blocked[n["name"]] = bad
        if len(blocked) < len(candidates):
            continue
        node_rows = {n["name"]: n for n in candidates}
        listed = "; ".join(f"{n}: {', '.join(ts)}" for n, ts in sorted(blocked.items())[:5])
        first_taint = parse_taint(next(iter(sorted(blocked.items())))[1][0])
        toleration = {"key": first_taint["key"], "operator": "Exists" if not first_taint["value"] else "Equal",
                      **({"value": first_taint["value"]} if first_taint["value"] else {}),
                      "effect": first_taint["effect"]}
        out.findings.append(node_taints.check.finding(
            summary=(f"Pod {pod['name']} (Pending) tolerates none of the taints on the {len(candidates)} GPU node(s): "
                     f"{listed}" + (f" (pod tolerations: {len(tols)})" if tols else " (pod has no tolerations)")),
            remediation=f"Add a toleration to the pod template, e.g. {json.dumps(toleration)}, or remove the taint.",
            checks=[f"kubectl get pod {pod['name']} -n {pod['namespace']} -o jsonpath='{{.spec.tolerations}}'",
                    "kubectl get nodes -o custom-columns='NAME:.metadata.name,TAINTS:.spec.taints'"],
            affected=[PodRef.of(pod).affected()],
            evidence=[pod_evidence(pod, f" tolerations={json.dumps(tols)[:160]}")]
            + [object_evidence(node_rows[n]["path"], f"node/{n} taints={json.dumps(ts)}", None, node_rows[n].get("line"))
               for n, ts in sorted(blocked.items())[:3]],
            details={"blocked_nodes": blocked, "tolerations": tols}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK016 / CHK017


@check("CHK016", "no-gpu-nodes", "cluster.no_gpu_nodes", "critical",
       "GPU pods but no node offers GPUs")
def no_gpu_nodes(ctx: CheckContext) -> Outcome:
    """Pods ask for ``nvidia.com/gpu`` (or HAMi resources) but no node has ``nvidia.com/gpu``
    capacity and none carries HAMi's device register: the cluster has no usable GPU node (none
    joined, or the device plugin/GPU Operator runs on none of them)."""
    pods, nodes = ctx.table("pods"), ctx.table("nodes")
    if pods.is_empty() or nodes.is_empty():
        return Outcome(skipped="needs both pods and nodes in the bundle")
    askers = [r for r in pods.iter_rows(named=True) if requests_gpu(r)]
    rows = nodes.to_dicts()
    offering = [r for r in rows if offers_gpus(r)]
    out = Outcome(note=f"{len(askers)} GPU pod(s); {len(offering)} of {len(rows)} nodes offer GPUs")
    if not askers or offering:
        return out
    labelled = [r["name"] for r in rows if is_gpu_node(r)]
    r = askers[0]
    out.findings.append(no_gpu_nodes.check.finding(
        summary=(f"{len(askers)} pod(s) ask for GPUs (e.g. {r['name']}) but none of the {len(rows)} node(s) "
                 f"advertises nvidia.com/gpu" + (f"; GPU-labelled nodes without it: {', '.join(labelled)}" if labelled else "")),
        remediation=("Add GPU nodes (or scale the GPU node pool up), and make sure the NVIDIA device plugin "
                     "(GPU Operator or HAMi) runs on them."),
        checks=["kubectl get nodes -o custom-columns='NAME:.metadata.name,GPU:.status.capacity.nvidia\\.com/gpu'",
                "kubectl get pods -A | grep -i -E 'device-plugin|gpu-operator|hami'"],
        affected=[PodRef.of(r).affected() for r in askers[:5]],
        evidence=[pod_evidence(r)] + [object_evidence(n["path"], f"node/{n['name']} capacity nvidia.com/gpu={n['gpu_capacity']}",
                                          None, n.get("line"))
                                      for n in rows[:3]],
        details={"gpu_pods": len(askers), "nodes": len(rows), "gpu_labelled_nodes": labelled}))
    return out


@check("CHK017", "device-plugin-allocatable", "gpu.device_plugin", "error",
       "GPU node advertises no allocatable nvidia.com/gpu")
def device_plugin_allocatable(ctx: CheckContext) -> Outcome:
    """A node that has GPUs (label ``nvidia.com/gpu.present=true``, a ``nvidia.com/gpu.product``
    label, or HAMi's device register) whose ``nvidia.com/gpu`` capacity is missing or whose
    allocatable count is 0: the device plugin is not running there, or reports every GPU
    unhealthy, so no GPU pod can land on it."""
    nodes = ctx.table("nodes")
    if nodes.is_empty():
        return Outcome(skipped="no nodes in the bundle")
    gpu_nodes = [r for r in nodes.iter_rows(named=True) if is_gpu_node(r)]
    out = Outcome(note=f"{len(gpu_nodes)} GPU node(s) checked")
    if not gpu_nodes:
        out.note = "no node is labelled or registered as a GPU node"
    for r in gpu_nodes:
        if (r["gpu_allocatable"] or 0) > 0:
            continue
        labels = from_json(r["labels"], {})
        why = ("label " + ", ".join(f"{k}={v}" for k, v in labels.items()
                                     if k in (GPU_PRESENT_LABEL, "nvidia.com/gpu.product", "nvidia.com/gpu.count"))
               or f"annotation {REGISTER}")
        cap = "missing" if r["gpu_capacity"] is None else str(r["gpu_capacity"])
        out.findings.append(device_plugin_allocatable.check.finding(
            summary=(f"Node {r['name']} has GPUs ({why}) but nvidia.com/gpu capacity is {cap} and allocatable "
                     f"{r['gpu_allocatable'] if r['gpu_allocatable'] is not None else 'missing'}"),
            remediation=("Check the device plugin daemonset pod on this node (GPU Operator: "
                         "nvidia-device-plugin-daemonset; HAMi: hami-device-plugin) and its log for NVML or "
                         "health errors; check the driver with nvidia-smi on the node."),
            checks=[f"kubectl describe node {r['name']}",
                    f"kubectl get pods -A -o wide --field-selector spec.nodeName={r['name']} | grep -i -E 'device-plugin|hami'"],
            affected=[Affected(None, "Node", r["name"])], node=r["name"],
            evidence=[object_evidence(r["path"], f"node/{r['name']} {why} capacity nvidia.com/gpu={cap} "
                                     f"allocatable nvidia.com/gpu={r['gpu_allocatable']}", None, r.get("line"))],
            details={"capacity": r["gpu_capacity"], "allocatable": r["gpu_allocatable"]}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK026

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


@check("CHK026", "runtimeclass", "gpu.device_plugin", "critical",
       "Pod or workload names a RuntimeClass the cluster does not have")
def runtimeclass(ctx: CheckContext) -> Outcome:
    """A pod's ``spec.runtimeClassName``, or a workload's pod template's (Deployment,
    StatefulSet, DaemonSet, ReplicaSet, Job), that is not in the cluster's RuntimeClass list.
    The API server refuses such pods (``pod rejected: RuntimeClass "nvidia" not found``), so a
    controller's pods never appear; GPU workloads usually name ``nvidia``, which the GPU
    Operator's toolkit creates.

    Whether the node's container runtime has the NVIDIA runtime as default (pods without a
    RuntimeClass) is in the node's containerd configuration, not in a bundle.
    """
    if not collected(ctx, "runtimeclasses") and not ctx.objects("RuntimeClass"):
        return Outcome(skipped="no RuntimeClass list in the bundle (cluster/runtimeclasses.json)")
    have = {name_of(o) for o in ctx.objects("RuntimeClass")}
    users: list[tuple[str, str, str | None, str, int | None, str]] = []
    for p in pod_specs(ctx):
        rc = text(dig(p, "spec", "runtimeClassName"))
        if rc:
            users.append(("Pod", name_of(p), p["_ns"], p["_path"], p["_line"], rc))
    for kind in WORKLOAD_KINDS:
        for o in ctx.objects(kind):
            rc = text(dig(o, "spec", "template", "spec", "runtimeClassName"))
            if rc:
                users.append((kind, name_of(o), name_of(o, "namespace"), o["_path"], o.get("_line"), rc))
    out = Outcome(note=f"{len(users)} pod(s)/workload(s) name a RuntimeClass; cluster has: "
                       + (", ".join(sorted(str(h) for h in have)) or "none"))
    missing: dict[str, list] = defaultdict(list)
    for u in users:
        if u[5] not in have:
            missing[u[5]].append(u)
    for rc, us in sorted(missing.items()):
        out.findings.append(runtimeclass.check.finding(
            summary=(f"RuntimeClass {rc!r} does not exist but {len(us)} object(s) use it (e.g. {us[0][0]} {us[0][2]}/{us[0][1]}); "
                     f"the cluster has {', '.join(sorted(str(h) for h in have)) or 'no RuntimeClass'}"),
            remediation=("Create the RuntimeClass (the GPU Operator's container toolkit creates 'nvidia' with handler "
                         "nvidia), or remove runtimeClassName where the NVIDIA runtime is containerd's default."),
            checks=["kubectl get runtimeclass", f"kubectl get events -A --field-selector reason=FailedCreate | grep -i {rc}"],
            affected=[Affected(u[2], u[0], u[1]) for u in us[:5]],
            evidence=[object_evidence(u[3], f"{u[0].lower()}/{u[1]} runtimeClassName={rc}", None, u[4]) for u in us[:3]],
            details={"runtime_class": rc, "users": [f"{u[0]}/{u[2]}/{u[1]}" for u in us]}))
    return out
