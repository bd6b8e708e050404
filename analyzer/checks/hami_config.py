"""HAMi configuration checks: its two ConfigMaps against the nodes, and the limits HAMi-core
enforces inside a vGPU container (its environment, its vGPU memory at the limit)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import polars as pl

from analyzer.checks.framework import CheckContext, Outcome, check
from analyzer.checks.helpers import containers_of, env_value, object_evidence, pod_specs
from analyzer.findings import Affected, Evidence, PodRef
from analyzer.gpu.hami import ALLOCATED, device_plugin_config, scheduler_device_config
from analyzer.gpu.resources import requests_hami
from analyzer.parse.quantity import quantity
from analyzer.parse.shape import list_of, name_of
from analyzer.tables import from_json


# ---------------------------------------------------------------------------------------------
# CHK021


def _num(value: Any) -> float | None:
    """A setting as a number (the one quantity parser: capped, NaN and non-numbers None)."""
    return quantity(value)


@check("CHK021", "hami-config", "hami.config", "warning",
       "HAMi device configuration overcommits, hides GPUs or mismatches the nodes")
def hami_config(ctx: CheckContext) -> Outcome:
    """HAMi's two ConfigMaps: ``hami-scheduler-device`` (``device-config.yaml``, section
    ``nvidia:``) and ``hami-device-plugin`` (``config.json``, per-node ``nodeconfig[]``).

    - ``deviceMemoryScaling`` (or a node's ``devicememoryscaling``) above 1: GPU memory is
      overcommitted; pods the scheduler placed can hit HAMi-core's ``Device N OOM`` although each
      stayed within its ``gpumem`` (warning). ``deviceSplitCount``/``devicesplitcount`` below 1
      registers no slot at all (error).
    - A ``nodeconfig`` entry whose ``name`` is no node of the bundle: the override is silently
      ignored (warning).
    - ``filterdevices`` (``uuid``/``index``) on a node: those GPUs are hidden from HAMi, which
      explains "fewer GPUs than the node has" (info).
    - ``operatingmode: mig`` on a node whose labels say MIG is off (``nvidia.com/mig.config=
      all-disabled`` or ``nvidia.com/mig.capable=false``) registers no usable device (error); MIG
      partitions configured (``nvidia.com/mig.config`` other than ``all-disabled``) on a node HAMi
      runs in ``hami-core`` mode confuse both (warning).

    - hami-scheduler pods in more than one namespace: two HAMi installations, each with its own
      webhook and device view, compete for the same pods and GPUs (warning).

    ``defaultMemory``/``defaultCores``/``gpuCorePolicy`` are reported in the note.
    """
    sched_cm, _, nv = scheduler_device_config(ctx.objects("ConfigMap"))
    plugin_cm, entries = device_plugin_config(ctx.objects("ConfigMap"))
    if sched_cm is None and plugin_cm is None and not (ctx.gpu.hami_installed or ctx.gpu.hami_askers):
        return Outcome(note="HAMi is not installed and no pod asks for HAMi resources")
    if sched_cm is None and plugin_cm is None:
        return Outcome(skipped="no HAMi ConfigMap (hami-scheduler-device / hami-device-plugin) in the bundle")
    nodes = {r["name"]: r for r in ctx.table("nodes").iter_rows(named=True)} if not ctx.table("nodes").is_empty() else {}
    out = Outcome(note=(f"deviceSplitCount={nv.get('deviceSplitCount')} deviceMemoryScaling={nv.get('deviceMemoryScaling')} "
                        f"defaultMemory={nv.get('defaultMemory')} defaultCores={nv.get('defaultCores')} "
                        f"gpuCorePolicy={nv.get('gpuCorePolicy', 'default')}; {len(entries)} per-node entr(y/ies)"
                        if sched_cm is not None else f"{len(entries)} per-node entr(y/ies) in hami-device-plugin"))
    f = hami_config.check

    schedulers = [r for r, component in ctx.gpu.components if component == "scheduler"]
    installs = sorted({r["namespace"] for r in schedulers})
    if len(installs) > 1:
        firsts = [next(r for r in schedulers if r["namespace"] == ns) for ns in installs]
        out.findings.append(f.finding(
            summary=(f"hami-scheduler runs in {len(installs)} namespaces ({', '.join(installs)}): several HAMi installations "
                     "mutate and schedule the same pods and register the same GPUs"),
            remediation="Keep one HAMi release: helm uninstall the extra one (helm list -A | grep -i hami).",
            checks=["kubectl get pods -A -l app.kubernetes.io/component=hami-scheduler", "helm list -A | grep -i hami",
                    "kubectl get mutatingwebhookconfigurations | grep -i hami"],
            affected=[PodRef.of(r).affected() for r in firsts],
            evidence=[object_evidence(r["path"], f"pod/{r['name']} in namespace {r['namespace']}: HAMi scheduler", None, r.get("line"))
                      for r in firsts[:3]],
            details={"namespaces": installs}))

    def cm_ev(cm: dict, text: str) -> Evidence:
        return object_evidence(cm["_path"], f"configmap/{(cm.get('metadata') or {}).get('name')}: {text}", None, cm.get("_line"))

    if sched_cm is not None:
        scaling, split = _num(nv.get("deviceMemoryScaling")), _num(nv.get("deviceSplitCount"))
        if scaling is not None and scaling > 1:
            out.findings.append(f.finding(
                summary=(f"HAMi deviceMemoryScaling={nv.get('deviceMemoryScaling')}: every GPU's memory is promised "
                         f"{scaling:g} times over; pods within their gpumem can still hit HAMi-core's 'Device N OOM'"),
                remediation="Set deviceMemoryScaling to 1 unless the workloads are known to leave memory unused.",
                checks=["kubectl get configmap hami-scheduler-device -n <hami-namespace> -o yaml"],
                affected=[Affected((sched_cm.get("metadata") or {}).get("namespace"), "ConfigMap",
                                   (sched_cm.get("metadata") or {}).get("name"))],
                evidence=[cm_ev(sched_cm, f"nvidia.deviceMemoryScaling={nv.get('deviceMemoryScaling')}")],
                details={"deviceMemoryScaling": scaling}))
        if split is not None and split < 1:
            out.findings.append(f.finding(
                severity="error",
                summary=f"HAMi deviceSplitCount={nv.get('deviceSplitCount')}: no GPU offers a single slot",
                remediation="Set deviceSplitCount to 1 (no sharing) or more (the chart default is 10).",
                checks=["kubectl get configmap hami-scheduler-device -n <hami-namespace> -o yaml"],
                affected=[Affected((sched_cm.get("metadata") or {}).get("namespace"), "ConfigMap",
                                   (sched_cm.get("metadata") or {}).get("name"))],
                evidence=[cm_ev(sched_cm, f"nvidia.deviceSplitCount={nv.get('deviceSplitCount')}")]))
    for e in entries:
        name = str(e.get("name") or "")
        aff = [Affected(None, "Node", name)]
        where = f"config.json nodeconfig name={name}"
        if nodes and name not in nodes:
            out.findings.append(f.finding(
                summary=f"HAMi device-plugin override for node {name!r} matches no node: it is ignored",
                remediation="Fix the node name in the hami-device-plugin ConfigMap (kubectl get nodes shows the names).",
                checks=["kubectl get nodes", "kubectl get configmap hami-device-plugin -n <hami-namespace> -o yaml"],
                affected=aff, evidence=[cm_ev(plugin_cm, where)], details={"node": name}))
            continue
        scaling, split = _num(e.get("devicememoryscaling")), _num(e.get("devicesplitcount"))
        if scaling is not None and scaling > 1:
            out.findings.append(f.finding(
                summary=f"Node {name}: HAMi devicememoryscaling={e.get('devicememoryscaling')} overcommits GPU memory",
                remediation="Set devicememoryscaling to 1 for this node unless overcommit is intended.",
                checks=["kubectl get configmap hami-device-plugin -n <hami-namespace> -o yaml"],
                affected=aff, node=name, evidence=[cm_ev(plugin_cm, f"{where} devicememoryscaling={e.get('devicememoryscaling')}")]))
        if split is not None and split < 1:
            out.findings.append(f.finding(
                severity="error", summary=f"Node {name}: HAMi devicesplitcount={e.get('devicesplitcount')} offers no slot",
                remediation="Set devicesplitcount to 1 or more for this node.",
                checks=["kubectl get configmap hami-device-plugin -n <hami-namespace> -o yaml"],
                affected=aff, node=name, evidence=[cm_ev(plugin_cm, f"{where} devicesplitcount={e.get('devicesplitcount')}")]))
        filt = e.get("filterdevices") if isinstance(e.get("filterdevices"), dict) else {}
        hidden = [str(x) for x in list_of(filt.get("uuid")) + list_of(filt.get("index"))]
        if hidden:
            out.findings.append(f.finding(
                severity="info",
                summary=f"Node {name}: HAMi filterdevices hides {len(hidden)} GPU(s) ({', '.join(hidden[:4])}) from scheduling",
                remediation="Expected only for GPUs reserved on purpose; otherwise remove them from filterdevices.",
                checks=["kubectl get configmap hami-device-plugin -n <hami-namespace> -o yaml",
                        f"kubectl get node {name} -o jsonpath='{{.metadata.annotations.hami\\.io/node-nvidia-register}}'"],
                affected=aff, node=name, evidence=[cm_ev(plugin_cm, f"{where} filterdevices={json.dumps(filt)}")],
                details={"hidden": hidden}))
        labels = from_json(nodes[name]["labels"], {}) if name in nodes else {}
        mig_cfg, capable = labels.get("nvidia.com/mig.config"), labels.get("nvidia.com/mig.capable")
        mode = str(e.get("operatingmode") or "hami-core")
        node_ev = object_evidence(nodes[name]["path"], f"node/{name} nvidia.com/mig.config={mig_cfg} nvidia.com/mig.capable={capable}",
                      None, nodes[name].get("line")) if name in nodes else None
        if mode == "mig" and (mig_cfg == "all-disabled" or capable == "false"):
            out.findings.append(f.finding(
                severity="error",
                summary=(f"Node {name}: HAMi operatingmode=mig but its GPUs are not in MIG mode "
                         f"(mig.config={mig_cfg}, mig.capable={capable}): HAMi registers no usable MIG device"),
                remediation=("Either enable MIG on the node (GPU Operator: label nvidia.com/mig.config=<profile>) or set "
                             "operatingmode: hami-core for it in the hami-device-plugin ConfigMap."),
                checks=[f"kubectl get node {name} --show-labels | tr ',' '\\n' | grep mig"],
                affected=aff, node=name, evidence=[cm_ev(plugin_cm, f"{where} operatingmode=mig migstrategy={e.get('migstrategy')}")]
                + ([node_ev] if node_ev else [])))
        elif mode == "hami-core" and mig_cfg and mig_cfg != "all-disabled":
            out.findings.append(f.finding(
                summary=(f"Node {name}: MIG partitions are configured (nvidia.com/mig.config={mig_cfg}) but HAMi runs it in "
                         "hami-core mode: HAMi shares whole cards that are split into MIG instances"),
                remediation="Set operatingmode: mig for this node in the hami-device-plugin ConfigMap, or disable MIG.",
                checks=[f"kubectl get node {name} --show-labels | tr ',' '\\n' | grep mig"],
                affected=aff, node=name, evidence=[cm_ev(plugin_cm, f"{where} operatingmode={mode}")] + ([node_ev] if node_ev else [])))
    return out


# ---------------------------------------------------------------------------------------------
# CHK022

CORE_UTIL_METRICS = ("hami_container_device_utilization_ratio", "Device_utilization_desc_of_container")
PINNED = 0.9  # utilisation at 90 % of the gpucores limit or more: the limit is what holds it


def _label(labels: dict, *keys: str) -> str | None:
    return next((str(labels[k]) for k in keys if labels.get(k) not in (None, "")), None)


@check("CHK022", "hami-core-env", "hami.config", "warning",
       "HAMi-core limits switched off, or GPU compute capped, in a vGPU container")
def hami_core_env(ctx: CheckContext) -> Outcome:
    """The environment HAMi-core reads inside a container that shares a GPU through HAMi (asks
    for ``nvidia.com/gpumem``/``gpucores`` or carries ``hami.io/vgpu-devices-allocated``).

    - ``CUDA_DISABLE_CONTROL`` set (to anything but ``false``): HAMi-core enforces neither the
      memory nor the core limit; the container can take a whole card and make its neighbours run
      out of memory (warning, hami.config).
    - ``GPU_CORE_UTILIZATION_POLICY=force`` (or the scheduler's ``gpuCorePolicy: force``) with
      ``gpucores`` below 100, or the container's utilisation metric
      (``hami_container_device_utilization_ratio`` / ``Device_utilization_desc_of_container``)
      pinned at 90 % of its ``gpucores`` limit or more: compute is throttled to the limit, which
      explains low throughput (performance.low_throughput; warning when the metric shows it, info
      from the configuration alone).

    Env values come from the pod's own JSON; without it only the variable names are known.
    """
    ctrs = ctx.table("containers")
    if ctrs.is_empty():
        return Outcome(skipped="no pod status in the bundle (pods JSON or describe)")
    pods = ctx.table("pods")
    pod_rows = {PodRef.of(r).key: r for r in pods.iter_rows(named=True)} if not pods.is_empty() else {}
    specs = {PodRef(p["_ns"], name_of(p)).key: p for p in pod_specs(ctx)}
    _, _, nv = scheduler_device_config(ctx.objects("ConfigMap"))
    global_force = str(nv.get("gpuCorePolicy") or "").lower() == "force"
    util: dict[PodRef, tuple[float, dict]] = {}
    metrics = ctx.table("metrics")
    if not metrics.is_empty():
        for r in metrics.filter(pl.col("name").is_in(list(CORE_UTIL_METRICS))).iter_rows(named=True):
            lab = from_json(r["labels"], {})
            key = PodRef(_label(lab, "namespace", "podnamespace"), _label(lab, "pod", "podname"),
                         _label(lab, "container", "ctrname"))
            if r["value"] is not None and (key not in util or r["value"] > util[key][0]):
                util[key] = (float(r["value"]), r)
    out = Outcome()
    checked = 0
    f = hami_core_env.check
    for c in ctrs.filter(pl.col("init") == False).iter_rows(named=True):  # noqa: E712
        pod = pod_rows.get(PodRef.of(c).key) or {}
        ann = from_json(pod.get("annotations"), {})
        if not (requests_hami(c) or ALLOCATED in ann):
            continue
        checked += 1
        spec_ctr = next((x for x in containers_of(specs.get(PodRef.of(c).key, {}))
                         if x.get("name") == c["name"]), None)
        names = from_json(c["env_names"], []) or []
        disable = env_value(spec_ctr, "CUDA_DISABLE_CONTROL") if spec_ctr else (
            "<set>" if "CUDA_DISABLE_CONTROL" in names else None)
        ev = object_evidence(c["path"], f"{c['pod']}/{c['name']} nvidia.com/gpumem={c['gpumem']} nvidia.com/gpucores={c['gpucores']} "
                            f"env CUDA_DISABLE_CONTROL={disable} GPU_CORE_UTILIZATION_POLICY="
                            f"{env_value(spec_ctr, 'GPU_CORE_UTILIZATION_POLICY') if spec_ctr else None}", None, c.get("line"))
        aff = [PodRef.of(c, c["name"]).affected()]
        if disable is not None and disable.lower() not in ("false", "0", ""):
            out.findings.append(f.finding(
                summary=(f"Container {c['name']} of pod {c['pod']} shares a GPU through HAMi but sets "
                         f"CUDA_DISABLE_CONTROL={disable}: its gpumem/gpucores limits are not enforced"),
                remediation=("Remove CUDA_DISABLE_CONTROL from the container (it is meant for debugging); otherwise give "
                             "the workload a whole GPU."),
                checks=[f"kubectl get pod {c['pod']} -n {c['namespace']} -o jsonpath='{{.spec.containers[*].env}}'"],
                affected=aff, evidence=[ev], details={"CUDA_DISABLE_CONTROL": disable}))
        cores = c["gpucores"]
        if cores is None or cores >= 100:
            continue
        policy = (env_value(spec_ctr, "GPU_CORE_UTILIZATION_POLICY") or "") if spec_ctr else ""
        force = policy.lower() == "force" or (global_force and policy.lower() in ("", "force"))
        used = util.get(PodRef.of(c, c["name"]))
        pinned = used is not None and used[0] >= PINNED * cores
        if not (force or pinned):
            continue
        evidence = [ev]
        if used is not None:
            evidence.append(Evidence(used[1]["path"], None, f"{used[1]['name']}{used[1]['labels']} {used[0]:g}",
                                     None, None, "metrics"))
        out.findings.append(f.finding(
            category="performance.low_throughput", severity="warning" if pinned else "info",
            summary=(f"Container {c['name']} of pod {c['pod']} is capped at {cores}% of a GPU's compute"
                     + (f" and runs at {used[0]:g}% (the cap holds it)" if pinned else "")
                     + (" with GPU_CORE_UTILIZATION_POLICY=force" if force else "")),
            remediation=("Raise nvidia.com/gpucores (or drop GPU_CORE_UTILIZATION_POLICY=force) for latency- or "
                         "throughput-sensitive serving; the cap is working as configured."),
            checks=[f"kubectl get pod {c['pod']} -n {c['namespace']} -o jsonpath='{{.spec.containers[*].resources.limits}}'"],
            affected=aff, evidence=evidence,
            details={"gpucores": cores, "policy": policy or ("force (scheduler)" if global_force else "default"),
                     "utilization": used[0] if used else None}))
    out.note = f"{checked} HAMi container(s) checked" if checked else "no container shares a GPU through HAMi"
    return out


# ---------------------------------------------------------------------------------------------
# CHK023

VGPU_MEMORY = (("hami_vgpu_memory_used_bytes", "hami_vgpu_memory_limit_bytes"),
               ("vGPU_device_memory_usage_in_bytes", "vGPU_device_memory_limit_in_bytes"))
NEAR_LIMIT = 0.95


@check("CHK023", "hami-vgpu-memory", "runtime.vgpu_memory_limit", "warning",
       "vGPU memory use at HAMi's limit inside a container")
def hami_vgpu_memory(ctx: CheckContext) -> Outcome:
    """The vGPU monitor's per-container device memory, used over limit:
    ``hami_vgpu_memory_used_bytes / hami_vgpu_memory_limit_bytes`` (v2.9+) or
    ``vGPU_device_memory_usage_in_bytes / vGPU_device_memory_limit_in_bytes`` (older), per pod,
    container and virtual device. At 95 % or more the next allocation fails inside HAMi-core
    (``Device N OOM``), which the framework reports as CUDA out of memory."""
    metrics = ctx.table("metrics")
    names = [n for pair in VGPU_MEMORY for n in pair]
    rows = metrics.filter(pl.col("name").is_in(names)) if not metrics.is_empty() else metrics
    if rows.is_empty() and not (ctx.gpu.hami_installed or ctx.gpu.hami_askers):
        return Outcome(note="HAMi is not installed and no pod asks for HAMi resources")
    if rows.is_empty():
        return Outcome(skipped="no vGPU memory metrics in the bundle (HAMi vGPU monitor :9394 not scraped)")
    series: dict[tuple, dict[str, Any]] = defaultdict(dict)
    for r in rows.iter_rows(named=True):
        lab = from_json(r["labels"], {})
        key = (_label(lab, "namespace", "podnamespace"), _label(lab, "pod", "podname"),
               _label(lab, "container", "ctrname"), _label(lab, "vdevice_index", "vdeviceid", "device_uuid", "deviceuuid"))
        kind = "used" if r["name"] in (VGPU_MEMORY[0][0], VGPU_MEMORY[1][0]) else "limit"
        series[key][kind] = float(r["value"] or 0)
        series[key]["_" + kind] = r
    out = Outcome(note=f"{len(series)} vGPU device(s) checked")
    for (ns, pod, ctr, dev), s in sorted(series.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        if not s.get("limit") or "used" not in s:
            continue
        ratio = s["used"] / s["limit"]
        if ratio < NEAR_LIMIT:
            continue
        used_row, limit_row = s["_used"], s["_limit"]
        out.findings.append(hami_vgpu_memory.check.finding(
            summary=(f"Container {ctr} of pod {pod} uses {s['used'] / 2**20:.0f} MiB of its {s['limit'] / 2**20:.0f} MiB "
                     f"HAMi vGPU limit ({ratio:.0%}) on device {dev}: the next allocation fails inside HAMi-core"),
            remediation=("Raise the pod's nvidia.com/gpumem, or lower what the engine reserves (vLLM "
                         "--gpu-memory-utilization applies to the whole card, not to the HAMi slice)."),
            checks=[f"kubectl logs {pod} -n {ns} -c {ctr} | grep -E 'HAMI-core|OOM'"],
            affected=[PodRef(ns, pod, ctr).affected()],
            evidence=[Evidence(used_row["path"], None, f"{used_row['name']}{used_row['labels']} {s['used']:.0f}", None, None, "metrics"),
                      Evidence(limit_row["path"], None, f"{limit_row['name']}{limit_row['labels']} {s['limit']:.0f}", None, None, "metrics")],
            details={"used_bytes": s["used"], "limit_bytes": s["limit"], "ratio": round(ratio, 3), "device": dev}))
    return out
