"""HAMi scheduling checks: why a GPU pod waits, from HAMi's own view of every node's devices.

The device model (register, allocations, HAMi's card checks) is ``analyzer.gpu``; the checks
read the bundle's one ``GpuCluster`` as ``ctx.gpu``. HAMi's filter reasons map to our
categories here: memory -> ``scheduling.insufficient_gpumem``, cores -> ``insufficient_gpucores``,
type/uuid selection -> ``node_affinity``, slots and counts -> ``insufficient_gpu``."""

from __future__ import annotations

from collections import Counter

import polars as pl

from analyzer.checks.framework import CheckContext, Outcome, check
from analyzer.checks.helpers import event_evidence, object_evidence, pod_evidence, sched_failures
from analyzer.findings import PodRef
from analyzer.gpu.fit import NodeFit, fit_node
from analyzer.gpu.hami import FILTER_REASONS, REGISTER, UNREGISTERED, Device, HamiConfig, parse_filtering
from analyzer.gpu.resources import HAMI_RESOURCES, is_gpu_node, requests_gpu, requests_hami, unscheduled
from analyzer.parse.quantity import GPU
from analyzer.tables import from_json


# HAMi's per-device filter reasons (pkg/device/common/common.go) -> our category
REASON_CATEGORY: dict[str, str] = {
    "CardInsufficientMemory": "scheduling.insufficient_gpumem",
    "CardInsufficientCore": "scheduling.insufficient_gpucores",
    "CardComputeUnitsExhausted": "scheduling.insufficient_gpucores",
    "ExclusiveDeviceAllocateConflict": "scheduling.insufficient_gpucores",
    "CardTimeSlicingExhausted": "scheduling.insufficient_gpu",
    "AllocatedCardsInsufficientRequest": "scheduling.insufficient_gpu",
    "NodeInsufficientDevice": "scheduling.insufficient_gpu",
    "CardNotHealth": "scheduling.insufficient_gpu",
    "CardTypeMismatch": "scheduling.node_affinity",
    "CardUuidMismatch": "scheduling.node_affinity",
    "NumaNotFit": "scheduling.node_affinity",
    "ModeNotFit": "scheduling.node_affinity",
    "CardNotFoundCustomFilterRule": "scheduling.node_affinity",
    "CardMigTopologyInfeasible": "scheduling.insufficient_gpu",
    "CardCordoned": "scheduling.insufficient_gpu",
    "ResourceQuotaNotFit": "scheduling.insufficient_gpu",
    UNREGISTERED: "hami.component_unhealthy",
}

_REASON_TEXT = {
    "CardInsufficientMemory": "not enough free device memory",
    "CardInsufficientCore": "not enough free GPU cores",
    "CardComputeUnitsExhausted": "all cores of the card in use",
    "ExclusiveDeviceAllocateConflict": "whole-card request on a shared card",
    "CardTimeSlicingExhausted": "all deviceSplitCount slots taken",
    "AllocatedCardsInsufficientRequest": "fewer fitting cards than requested",
    "NodeInsufficientDevice": "fewer cards on the node than requested",
    "CardNotHealth": "card unhealthy",
    "CardTypeMismatch": "card type excluded by use-gputype/nouse-gputype",
    "CardUuidMismatch": "card excluded by use-gpuuuid/nouse-gpuuuid",
}


def _selector_ok(pod: dict, node: dict) -> bool:
    sel = from_json(pod.get("node_selector"), {}) or {}
    labels = from_json(node.get("labels"), {})
    return all(labels.get(k) == v for k, v in sel.items())


def _category(reasons: Counter) -> tuple[str, str]:
    """The dominant reason across nodes and its category."""
    order = list(REASON_CATEGORY)
    top = sorted(reasons.items(), key=lambda kv: (-kv[1], order.index(kv[0]) if kv[0] in order else 99))
    reason = top[0][0] if top else "AllocatedCardsInsufficientRequest"
    return reason, REASON_CATEGORY.get(reason, "scheduling.insufficient_gpu")


# ---------------------------------------------------------------------------------------------
# CHK010


@check("CHK010", "gpu-capacity", "scheduling.insufficient_gpu", "error",
       "Pending GPU pod does not fit the free GPU capacity of any node")
def gpu_capacity(ctx: CheckContext) -> Outcome:
    """Every Pending pod that asks for GPUs, compared with every node's free GPUs.

    With HAMi (nodes carry ``hami.io/node-nvidia-register``) each container's request
    (``nvidia.com/gpu`` x ``gpumem`` or ``gpumem-percentage``, ``gpucores``; HAMi's defaults
    from the ``hami-scheduler-device`` ConfigMap) is placed on each node's registered devices
    minus what the node's live pods hold (``hami.io/vgpu-devices-allocated``, else their
    limits), with HAMi's own card checks. Without HAMi a node's free count is its allocatable
    ``nvidia.com/gpu`` minus the allocated count of ``kubectl describe node`` (else the sum of
    its live pods' GPU limits). Fires when no schedulable node fits; the summary gives the
    shortfall in numbers and the category follows the dominant reason (memory, cores, count).
    Cordoned and NotReady nodes are not candidates; a pod's ``nodeSelector`` narrows them.
    """
    pods, nodes = ctx.table("pods"), ctx.table("nodes")
    if pods.is_empty():
        return Outcome(skipped="no pods in the bundle")
    if nodes.is_empty():
        return Outcome(skipped="no nodes in the bundle (cluster/nodes.json)")
    pending = [r for r in pods.iter_rows(named=True) if unscheduled(r) and requests_gpu(r)]
    if not pending:
        gpu_pods = sum(1 for r in pods.iter_rows(named=True) if requests_gpu(r))
        return Outcome(note=f"no Pending pod waits for GPUs ({gpu_pods} GPU pods, {nodes.height} nodes)")
    cfg, inventory, notes = ctx.gpu.config, ctx.gpu.inventory, ctx.gpu.estimates
    node_rows = {r["name"]: r for r in nodes.iter_rows(named=True)}
    out = Outcome(note=f"{len(pending)} Pending GPU pod(s) checked against {nodes.height} nodes")
    fitting: list[str] = []
    for pod in pending:
        candidates = [n for n in node_rows.values() if _selector_ok(pod, n)]
        excluded = [n["name"] for n in candidates if n["unschedulable"] or n["ready"] is False]
        candidates = [n for n in candidates if n["name"] not in excluded]
        hami_pod = bool(inventory) and (pod["scheduler_name"] == "hami-scheduler" or requests_hami(pod))
        if hami_pod:
            f = _hami_pod(ctx, pod, candidates, inventory, cfg, excluded, notes)
        elif requests_hami(pod):
            continue  # HAMi resources but no registered node: CHK012/CHK017 say why
        else:
            f = _plain_pod(ctx, pod, candidates, excluded)
        if isinstance(f, str):
            fitting.append(f)
        elif f is not None:
            out.findings.append(f)
    if fitting:
        out.note += "; GPU capacity is free for " + ", ".join(fitting[:5]) + ": not what they wait on"
    return out


def _hami_pod(ctx: CheckContext, pod: dict, candidates: list[dict], inventory: dict[str, list[Device]],
              cfg: HamiConfig, excluded: list[str], notes: list[str]):
    reqs = ctx.gpu.requests(pod)
    if not reqs:
        return None
    ann = from_json(pod["annotations"], {})
    fits: list[NodeFit] = []
    unregistered = []
    for n in candidates:
        if n["name"] not in inventory:
            if is_gpu_node(n):
                unregistered.append(n["name"])
            continue
        fits.append(fit_node(n["name"], n["path"], n.get("line"), inventory[n["name"]], reqs, ann))
    room = [f.node for f in fits if f.fits]
    if room:
        return f"{pod['name']} (fits {', '.join(room[:3])})"  # it waits on something else
    if not (fits or unregistered):
        return None  # no GPU node is a candidate
    reasons: Counter = Counter()
    for f in fits:
        for reason in f.reasons:
            reasons[reason] += 1  # nodes failing for this reason
    if unregistered and not fits:
        reasons[UNREGISTERED] += len(unregistered)
    reason, category = _category(reasons)
    need = next((f.need for f in fits if f.need), reqs[0])
    checked = len(fits) + len(unregistered)
    k = need.nums
    nth = "" if k == 1 else f"{k}{'nd' if k == 2 else 'rd' if k == 3 else 'th'} "
    if category == "scheduling.insufficient_gpumem":
        best = max(fits, key=lambda f: f.kth(f.free_mems, k))
        want = max((need.memreq(d) for d in inventory[best.node]), default=need.mem)
        have = best.kth(best.free_mems, k)
        shortfall = (f"best node {best.node} has {have} MiB free on its {nth or ''}largest device "
                     f"({want - have} MiB short)")
    elif category == "scheduling.insufficient_gpucores":
        best = max(fits, key=lambda f: f.kth(f.free_cores, k))
        have = best.kth(best.free_cores, k)
        short = need.cores - have
        shortfall = (f"best node {best.node} has {have}% cores free on its {nth}best device"
                     + (f" ({short}% short)" if short > 0 else ""))
    elif fits:
        best = max(fits, key=lambda f: (f.usable, f.free_slots))
        shortfall = (f"best node {best.node} has {best.usable} fitting device(s) of {best.devices} "
                     f"({best.free_slots} free slot(s))")
    else:
        best = None
        shortfall = f"GPU node(s) {', '.join(unregistered)} have no HAMi device registration"
    if category == "hami.component_unhealthy":
        return None  # the device plugin is the problem: CHK012/CHK013/CHK017 report it
    by_reason = ", ".join(f"{k} on {v} node(s)" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]))
    extra = f"; {len(excluded)} cordoned/NotReady node(s) not counted" if excluded else ""
    summary = (f"Pod {pod['name']} requests {need.text()}; {shortfall} ({checked} node(s) checked: "
               f"{by_reason}){extra}")
    evidence = [pod_evidence(pod)]
    if best is not None:
        devs = inventory[best.node]
        evidence.append(object_evidence(best.path, f"node/{best.node} {REGISTER}: " + "; ".join(
            f"{d.uuid[:12]} devmem={d.devmem} count={d.count} devcore={d.devcore} health={str(d.health).lower()}"
            for d in devs[:4]) + (f" (+{len(devs) - 4} more)" if len(devs) > 4 else ""), None, best.line))
    if cfg.path:
        evidence.append(object_evidence(cfg.path, f"configmap/{cfg.name}: nvidia.deviceSplitCount={cfg.split} "
                                      f"deviceMemoryScaling={cfg.mem_scaling} defaultMemory={cfg.default_memory} "
                                      f"defaultCores={cfg.default_cores}", None, cfg.line))
    remediation = {
        "scheduling.insufficient_gpumem": (
            "Lower nvidia.com/gpumem (or use gpumem-percentage) to fit a card's free memory, free memory "
            "by scaling down pods sharing those cards, add GPUs with more memory, or raise "
            "deviceMemoryScaling in the hami-scheduler-device ConfigMap (overcommit: only with care)."),
        "scheduling.insufficient_gpucores": (
            "Lower nvidia.com/gpucores, or wait for / scale down the pods holding the cards' cores "
            "(a 100% request needs a card no other pod uses)."),
        "scheduling.node_affinity": (
            "Relax the pod's nvidia.com/use-gputype / use-gpuuuid (or nouse-*) annotations to match the "
            "registered cards, or add nodes with that GPU type."),
    }.get(category, "Lower the pod's nvidia.com/gpu count, free slots by scaling down other GPU pods, "
                    "raise deviceSplitCount, or add GPU nodes.")
    return gpu_capacity.check.finding(
        category=category, summary=summary, remediation=remediation,
        checks=[f"kubectl describe pod {pod['name']} -n {pod['namespace']}",
                "kubectl get nodes -o custom-columns='NAME:.metadata.name,REGISTER:.metadata.annotations.hami\\.io/node-nvidia-register'",
                "kubectl get pods -A -o wide --field-selector=status.phase=Running | grep <gpu-node>"],
        affected=[PodRef.of(pod).affected()], evidence=evidence,
        **sched_failures(ctx, pod),
        details={"request": [{"container": r.container, "gpus": r.nums, "gpumem_mib": r.mem or None,
                              "gpumem_percentage": r.pct, "gpucores": r.cores} for r in reqs],
                 "dominant_reason": reason, "nodes_checked": checked,
                 "nodes": [f.as_dict() for f in sorted(fits, key=lambda f: f.node)]
                 + [{"node": n, "fits": False, "reasons": {UNREGISTERED: 1}} for n in unregistered],
                 "excluded_nodes": excluded, "hami_config": cfg.as_dict(),
                 "node_overrides": {f.node: cfg.node_overrides[f.node] for f in fits if f.node in cfg.node_overrides},
                 "estimates": notes[:5]})


def _plain_pod(ctx: CheckContext, pod: dict, candidates: list[dict], excluded: list[str]):
    want = pod.get("gpu") or 0
    if not want:
        return None
    rows = []
    for n in candidates:
        alloc = n["gpu_allocatable"] or 0
        used = ctx.gpu.gpus_allocated(n) if alloc else 0
        rows.append((n, alloc, used, alloc - used))
    room = [n["name"] for n, _, _, free in rows if free >= want]
    if room:
        return f"{pod['name']} (fits {', '.join(room[:3])})"
    gpu_rows = [r for r in rows if r[1] > 0]
    if not gpu_rows:
        return None  # no node offers nvidia.com/gpu at all: CHK016 no-gpu-nodes
    best = max(gpu_rows, key=lambda r: r[3])
    n, alloc, used, free = best
    extra = f"; {len(excluded)} cordoned/NotReady node(s) not counted" if excluded else ""
    return gpu_capacity.check.finding(
        category="scheduling.insufficient_gpu",
        summary=(f"Pod {pod['name']} requests {want} nvidia.com/gpu; best node {n['name']} has {max(free, 0)} free "
                 f"(allocatable {alloc}, allocated {used}) ({len(gpu_rows)} GPU node(s) checked){extra}"),
        remediation=("Lower the GPU count per pod (tensor parallelism), scale down other GPU workloads, "
                     "or add GPU nodes."),
        checks=[f"kubectl describe pod {pod['name']} -n {pod['namespace']}",
                "kubectl describe nodes | grep -A 12 'Allocated resources'"],
        affected=[PodRef.of(pod).affected()],
        evidence=[pod_evidence(pod), object_evidence(n["path"], f"node/{n['name']} allocatable {GPU}={alloc} allocated={used}",
                                         None, n.get("line"))],
        **sched_failures(ctx, pod),
        details={"request_gpus": want, "nodes": [{"node": r[0]["name"], "allocatable": r[1], "allocated": r[2],
                                                  "free": r[3]} for r in rows],
                 "excluded_nodes": excluded})


@check("CHK005", "hami-scheduler-name", "hami.webhook_not_applied", "critical",
       "Pod asks for HAMi resources but was not mutated to use the HAMi scheduler")
def hami_scheduler_name(ctx: CheckContext) -> Outcome:
    """A pod requesting ``nvidia.com/gpumem``/``gpucores``/``gpumem-percentage`` whose
    ``schedulerName`` is still ``default-scheduler``, or whose FailedScheduling comes from
    ``default-scheduler`` with ``Insufficient nvidia.com/gpumem|gpucores``.

    HAMi's mutating webhook sets ``schedulerName: hami-scheduler`` on such pods; kube-scheduler
    has no node advertising these resources, so the pod stays Pending with "Insufficient".
    """
    pods = ctx.table("pods")
    events = ctx.table("events")
    out = Outcome(note="")
    seen: set[tuple] = set()
    if not pods.is_empty():
        hami = pods.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in HAMI_RESOURCES])
                           & (pl.col("scheduler_name") == "default-scheduler"))
        for r in hami.iter_rows(named=True):
            seen.add(PodRef.of(r).key)
            out.findings.append(hami_scheduler_name.check.finding(
                summary=(f"Pod {r['name']} requests HAMi resources (gpumem={r['gpumem']}, "
                         f"gpucores={r['gpucores']}) but schedulerName is default-scheduler"),
                remediation=("Make the HAMi webhook mutate this pod: check the "
                             "MutatingWebhookConfiguration (vgpu.hami.io) exists and its namespace/"
                             "object selectors match, the hami-scheduler pod and its webhook service "
                             "are up, and the pod is not privileged (HAMi skips privileged pods)."),
                checks=["kubectl get mutatingwebhookconfigurations | grep -i hami",
                        f"kubectl get pod {r['name']} -n {r['namespace']} -o jsonpath='{{.spec.schedulerName}}'"],
                affected=[PodRef.of(r).affected()], node=r["node"],
                evidence=[object_evidence(r["path"], f"pod/{r['name']} schedulerName=default-scheduler "
                                         f"nvidia.com/gpumem={r['gpumem']} nvidia.com/gpucores={r['gpucores']}", None, r["line"])]))
    if not events.is_empty():
        ev = events.filter((pl.col("reason") == "FailedScheduling") & (pl.col("component") == "default-scheduler")
                           & pl.col("message").str.contains(r"Insufficient nvidia\.com/(?:gpumem|gpucores)"))
        for r in ev.iter_rows(named=True):
            key = PodRef(r["namespace"], r["object_name"]).key
            if key in seen:
                continue
            seen.add(key)
            out.findings.append(hami_scheduler_name.check.finding(
                summary=(f"default-scheduler reports {r['message'].strip()[:160]} for pod {r['object_name']}: "
                         "the HAMi webhook did not set schedulerName: hami-scheduler"),
                remediation=("Make the HAMi webhook mutate this pod (MutatingWebhookConfiguration "
                             "vgpu.hami.io present and reachable, selectors match, pod not privileged)."),
                checks=["kubectl get mutatingwebhookconfigurations | grep -i hami",
                        f"kubectl describe pod {r['object_name']} -n {r['namespace']}"],
                affected=[PodRef(r["namespace"], r["object_name"]).affected()],
                evidence=[event_evidence(r)],
                count=r["count"] or 1, first_seen=r["first_time"], last_seen=r["last_time"]))
    if pods.is_empty() and events.is_empty():
        out.skipped = "no pods or events in the bundle"
    return out


@check("CHK011", "hami-filtering-reasons", "scheduling.insufficient_gpu", "error",
       "HAMi scheduler found no node for the pod (reasons per node)")
def hami_filtering_reasons(ctx: CheckContext) -> Outcome:
    """``FilteringFailed`` events of ``hami-scheduler`` (``1 nodes CardInsufficientMemory(node-a)``,
    ``no available node, 3 nodes do not meet``) and its ``FailedScheduling`` histogram
    (``0/3 nodes are available: 2 1/1 CardInsufficientMemory, ...``), per pod, counted per reason
    and per node. The category follows the reason that rejected the most nodes:
    ``CardInsufficientMemory`` -> gpumem, ``CardInsufficientCore`` -> gpucores,
    ``CardTypeMismatch``/``CardUuidMismatch`` -> node affinity, slots and counts -> gpu.
    """
    events = ctx.table("events")
    if events.is_empty():
        return Outcome(skipped="no events in the bundle")
    reason_rx = "|".join((*FILTER_REASONS, UNREGISTERED))
    ev = events.filter(pl.col("reason").is_in(["FilteringFailed", "FailedScheduling"])
                       & (pl.col("component").fill_null("").str.contains("(?i)hami")
                          | pl.col("message").fill_null("").str.contains(reason_rx)))
    out = Outcome(note=f"{events.height} events checked: no HAMi filtering failure")
    if ev.is_empty():
        return out
    for key, group in ev.sort("last_time", nulls_last=True).group_by(["namespace", "object_name"], maintain_order=True):
        ns, pod = key
        per_reason: dict[str, set[str]] = {}
        histogram: Counter = Counter()
        total, n_events = None, 0
        for r in group.iter_rows(named=True):
            parsed = parse_filtering(r["message"] or "")
            if not (parsed["reasons"] or parsed["histogram"] or parsed["total"]):
                continue
            n_events += r["count"] or 1
            for reason, nodes in parsed["reasons"].items():
                per_reason.setdefault(reason, set()).update(nodes)
            for reason, n in parsed["histogram"].items():
                histogram[reason] = max(histogram[reason], n)
            total = parsed["total"] or total
        counts = Counter({k: len(v) for k, v in per_reason.items()})
        for k, n in histogram.items():
            counts[k] = max(counts[k], n)
        counts = Counter({k: v for k, v in counts.items() if k in REASON_CATEGORY})
        if not counts:
            continue
        reason, category = _category(counts)
        per_node: dict[str, list[str]] = {}
        for k, nodes in per_reason.items():
            for n in nodes:
                per_node.setdefault(n, []).append(k)
        parts = [f"{k} on {v} node(s)" + (f" ({', '.join(sorted(per_reason[k]))})" if per_reason.get(k) else "")
                 for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        rows = group.to_dicts()
        evidence = [event_evidence(r) for r in rows[:4]]
        out.findings.append(hami_filtering_reasons.check.finding(
            category=category,
            summary=(f"hami-scheduler could not place pod {pod}: " + "; ".join(parts)
                     + (f" (of {total} nodes)" if total else "") + f"; {n_events} event(s)"),
            remediation=(f"Dominant reason {reason}: {_REASON_TEXT.get(reason, reason)}. "
                         "Compare the request with each node's free GPU memory/cores/slots "
                         "(see the gpu-capacity check) and shrink the request or free capacity."),
            checks=[f"kubectl describe pod {pod} -n {ns}",
                    "kubectl logs -n <hami-namespace> -l app.kubernetes.io/component=hami-scheduler "
                    "-c vgpu-scheduler-extender | grep NodeUnfitPod"],
            affected=[PodRef(ns, pod).affected()], evidence=evidence, count=max(n_events, 1),
            first_seen=group.get_column("first_time").min(), last_seen=group.get_column("last_time").max(),
            details={"reasons": dict(sorted(counts.items())), "nodes": {n: sorted(v) for n, v in sorted(per_node.items())},
                     "dominant_reason": reason, "nodes_total": total}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK025


@check("CHK025", "hami-gpu-allocation", "scheduling.insufficient_gpumem", "warning",
       "GPU memory is free in total but fragmented across cards")
def hami_gpu_allocation(ctx: CheckContext) -> Outcome:
    """Per-device allocation of the HAMi nodes (register minus ``hami.io/vgpu-devices-allocated``
    of the live pods, as the gpu-capacity check computes it).

    Fires for a Pending HAMi pod whose per-GPU memory request fits no single card although the
    cards of one node have that much free together: memory is fragmented by pods spread over
    the cards (the ``spread`` GPU policy), and ``hami.io/gpu-scheduler-policy: binpack`` on the
    small pods (or moving one of them) makes room. The note lists each node's allocated share;
    uneven nodes alone are no finding, since HAMi's default node policy ``binpack`` fills one
    node first by design.
    """
    nodes = ctx.table("nodes")
    if nodes.is_empty():
        return Outcome(skipped="no nodes in the bundle")
    inventory = ctx.gpu.inventory
    if not inventory and not (ctx.gpu.hami_installed or ctx.gpu.hami_askers):
        return Outcome(note="HAMi is not installed and no pod asks for HAMi resources")
    if not inventory:
        return Outcome(skipped="no node carries hami.io/node-nvidia-register (HAMi not installed or annotations not collected)")
    shares = []
    for name, devs in sorted(inventory.items()):
        total = sum(d.devmem for d in devs) or 1
        shares.append(f"{name} {sum(d.usedmem for d in devs) / total:.0%}")
    out = Outcome(note="GPU memory allocated per node: " + ", ".join(shares[:8]))
    pods = ctx.table("pods")
    node_rows = {r["name"]: r for r in nodes.iter_rows(named=True)}
    for pod in ([] if pods.is_empty() else pods.iter_rows(named=True)):
        if not (unscheduled(pod) and requests_hami(pod)):
            continue
        for req in ctx.gpu.requests(pod):
            if req.nums != 1:
                continue
            best = None
            for name, devs in inventory.items():
                usable = [d for d in devs if d.health and d.free_slots > 0]
                if not usable or any(d.free_mem >= req.memreq(d) for d in usable):
                    continue
                free = sum(max(d.free_mem, 0) for d in usable)
                need = max(req.memreq(d) for d in usable)
                if free >= need and (best is None or free > best[1]):
                    best = (name, free, need, usable)
            if best is None or any(any(d.health and d.free_slots > 0 and d.free_mem >= req.memreq(d) for d in devs)
                                   for devs in inventory.values()):
                continue
            name, free, need, usable = best
            n = node_rows.get(name, {})
            out.findings.append(hami_gpu_allocation.check.finding(
                summary=(f"Pod {pod['name']} needs {need} MiB on one GPU; node {name} has {free} MiB free in total "
                         f"across {len(usable)} cards but at most {max(d.free_mem for d in usable)} MiB on any one: "
                         "GPU memory is fragmented"),
                remediation=("Pack the small pods onto fewer cards (annotation hami.io/gpu-scheduler-policy: binpack, "
                             "or scheduler flag --gpu-scheduler-policy=binpack) or move one of them; then the pending "
                             "pod fits."),
                checks=[f"kubectl get pods -A -o wide --field-selector spec.nodeName={name}",
                        f"kubectl get node {name} -o jsonpath='{{.metadata.annotations.hami\\.io/node-nvidia-register}}'"],
                affected=[PodRef.of(pod).affected()],
                evidence=[pod_evidence(pod),
                          object_evidence(n.get("path", ""), f"node/{name} free MiB per card: "
                                          + ", ".join(f"{d.uuid[:12]}={d.free_mem}" for d in usable[:6]), None, n.get("line"))],
                details={"node": name, "request_mib": need, "free_total_mib": free,
                         "free_per_card_mib": [d.free_mem for d in usable]}))
    return out
