"""Platform checks: HAMi's webhook, configuration, in-container limits and allocations, the
RuntimeClass, the Dynamo operator and CRDs, and what the collector itself could not read.

The HAMi checks reuse the model of ``analyzer/checks/hami.py`` (device register, ConfigMaps,
allocations); pod specs and the collector's manifest records come from ``analyzer/checks/readers.py``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

import polars as pl
import regex

from analyzer.checks import CheckContext, Outcome, check
from analyzer.checks import hami
from analyzer.checks.builtin import _ev
from analyzer.checks.readers import (scheduler_device_config, DGD_LABEL, collected, containers_of, env_value, labels_match, manifest_records,
                                     pod_specs, source_path)
from analyzer.findings import Affected, Evidence
from analyzer.parse.quantity import parse_time

HAMI_WEBHOOK = "vgpu.hami.io"
DGD_CRD = "dynamographdeployments.nvidia.com"


def _hami_askers(ctx: CheckContext) -> list[dict]:
    pods = ctx.table("pods")
    return [] if pods.is_empty() else [r for r in pods.iter_rows(named=True) if hami.requests_hami(r)]


def _hami_installed(ctx: CheckContext) -> bool:
    pods = ctx.table("pods")
    return bool(ctx.facts.get("hami_namespace")) or (
        not pods.is_empty() and any(hami.hami_component(r) for r in pods.iter_rows(named=True)))


# ---------------------------------------------------------------------------------------------
# CHK020


@check("CHK020", "hami-webhook", "hami.webhook_not_applied", "critical",
       "HAMi's mutating webhook is missing, unreachable or excludes the pod")
def hami_webhook(ctx: CheckContext) -> Outcome:
    """HAMi's ``MutatingWebhookConfiguration`` (webhook ``vgpu.hami.io``, served by the
    ``hami-scheduler`` Service) seen from the pods it should have mutated.

    - No webhook ``vgpu.hami.io`` at all while HAMi runs: critical when pods asking for
      ``nvidia.com/gpumem``/``gpucores`` kept ``schedulerName: default-scheduler`` (they wait for
      a scheduler that knows no such resource), a warning when no such pod exists yet.
    - For each such unmutated pod: the webhook's ``namespaceSelector`` (against the Namespace's
      labels, ``kubernetes.io/metadata.name`` included) or ``objectSelector`` (against the pod's
      labels) excludes it; or the webhook's Service is absent, has no ready endpoint, or its
      ``caBundle`` is empty without a cert-manager injection (the API server cannot call it; with
      ``failurePolicy: Ignore`` it lets the pod through unmutated).

    Webhook defects are reported only next to a pod they left unmutated: a sound cluster can show
    an empty ``caBundle`` in a redacted or freshly patched copy.
    """
    if not collected(ctx, "mutatingwebhooks") and not ctx.objects("MutatingWebhookConfiguration"):
        return Outcome(skipped="no MutatingWebhookConfiguration list in the bundle (cluster/mutatingwebhookconfigurations.json)")
    askers = _hami_askers(ctx)
    if not askers and not _hami_installed(ctx):
        return Outcome(note="HAMi is not installed and no pod asks for HAMi resources")
    configs = ctx.objects("MutatingWebhookConfiguration")
    hooks = [(c, w) for c in configs for w in c.get("webhooks") or []
             if isinstance(w, dict) and (w.get("name") == HAMI_WEBHOOK or "hami" in str(
                 ((w.get("clientConfig") or {}).get("service") or {}).get("name", "")))]
    unmutated = [r for r in askers if (r["scheduler_name"] or "default-scheduler") == "default-scheduler"]
    out = Outcome(note=f"{len(hooks)} HAMi webhook(s); {len(askers)} pod(s) ask for HAMi resources, "
                       f"{len(unmutated)} not mutated")
    path = source_path(ctx, "mutatingwebhooks") or (configs[0]["_path"] if configs else "")
    if not hooks:
        names = [(c.get("metadata") or {}).get("name") for c in configs]
        out.findings.append(hami_webhook.check.finding(
            severity="critical" if unmutated else "warning",
            summary=(f"No MutatingWebhookConfiguration registers HAMi's webhook {HAMI_WEBHOOK}"
                     + (f": {len(unmutated)} pod(s) asking for HAMi resources kept schedulerName default-scheduler "
                        f"(e.g. {unmutated[0]['name']})" if unmutated else
                        ": new pods asking for nvidia.com/gpumem/gpucores will not be sent to hami-scheduler")),
            remediation=("Reinstall or upgrade the HAMi Helm release with scheduler.admissionWebhook.enabled=true "
                         "(helm upgrade hami hami-charts/hami -n <hami-namespace> --reuse-values), then recreate "
                         "the pending pods so that the webhook mutates them."),
            checks=["kubectl get mutatingwebhookconfigurations -o custom-columns=NAME:.metadata.name,WEBHOOKS:.webhooks[*].name",
                    "helm history hami -n <hami-namespace>"],
            affected=[Affected(r["namespace"], "Pod", r["name"]) for r in unmutated[:5]],
            evidence=[_ev(path, f"{len(configs)} MutatingWebhookConfiguration(s): "
                                + (", ".join(str(n) for n in names) or "none") + f"; none has webhook {HAMI_WEBHOOK}")]
            + [hami.pod_evidence(r) for r in unmutated[:3]],
            details={"configurations": names, "unmutated_pods": [r["name"] for r in unmutated]}))
        return out
    namespaces = {(o.get("metadata") or {}).get("name"): o for o in ctx.objects("Namespace")}
    for cfg, hook in hooks:
        cname = (cfg.get("metadata") or {}).get("name")
        client = hook.get("clientConfig") or {}
        svc = client.get("service") or {}
        excluded: dict[str, list[dict]] = defaultdict(list)
        for r in unmutated:
            ns_obj = namespaces.get(r["namespace"])
            if ns_obj is not None:
                labels = {"kubernetes.io/metadata.name": r["namespace"],
                          **((ns_obj.get("metadata") or {}).get("labels") or {})}
                ok, term = labels_match(hook.get("namespaceSelector"), labels)
                if not ok:
                    excluded[f"namespaceSelector ({term}) excludes namespace {r['namespace']}"].append(r)
                    continue
            ok, term = labels_match(hook.get("objectSelector"), hami.jcol(r["labels"], {}))
            if not ok:
                excluded[f"objectSelector ({term}) excludes the pod's labels"].append(r)
        for why, rows in excluded.items():
            out.findings.append(hami_webhook.check.finding(
                summary=(f"HAMi webhook {HAMI_WEBHOOK} ({cname}) skips {len(rows)} pod(s) asking for HAMi resources "
                         f"(e.g. {rows[0]['name']}): {why}, so they keep schedulerName default-scheduler"),
                remediation=("Remove the label that opts the namespace or pod out (hami.io/webhook=ignore) or adjust "
                             "scheduler.admissionWebhook.whitelistNamespaces, then recreate the pods."),
                checks=[f"kubectl get namespace {rows[0]['namespace']} --show-labels",
                        f"kubectl get mutatingwebhookconfiguration {cname} -o yaml | grep -A6 -E 'namespaceSelector|objectSelector'"],
                affected=[Affected(r["namespace"], "Pod", r["name"]) for r in rows[:5]],
                evidence=[_ev(cfg["_path"], f"mutatingwebhookconfiguration/{cname} webhook {hook.get('name')} "
                                            f"namespaceSelector={json.dumps(hook.get('namespaceSelector'))} "
                                            f"objectSelector={json.dumps(hook.get('objectSelector'))}", None, cfg.get("_line"))]
                + [hami.pod_evidence(r, f" labels={r['labels']}") for r in rows[:3]],
                details={"webhook": cname, "reason": why, "pods": [r["name"] for r in rows]}))
        rest = [r for r in unmutated if not any(r in rows for rows in excluded.values())]
        if not rest:
            continue
        problems = []
        ann = (cfg.get("metadata") or {}).get("annotations") or {}
        if not client.get("caBundle") and not client.get("url") and "cert-manager.io/inject-ca-from" not in ann:
            problems.append("its clientConfig.caBundle is empty (the API server cannot verify the webhook's certificate)")
        if svc.get("name") and collected(ctx, "services", svc.get("namespace")):
            service = [s for s in ctx.objects("Service") if (s.get("metadata") or {}).get("name") == svc["name"]
                       and (s.get("metadata") or {}).get("namespace") == svc.get("namespace")]
            if not service:
                problems.append(f"its Service {svc.get('namespace')}/{svc['name']} does not exist")
            else:
                eps = [e for e in ctx.objects("Endpoints") if (e.get("metadata") or {}).get("name") == svc["name"]
                       and (e.get("metadata") or {}).get("namespace") == svc.get("namespace")]
                if eps and not any(s.get("addresses") for s in eps[0].get("subsets") or [] if isinstance(s, dict)):
                    problems.append(f"its Service {svc.get('namespace')}/{svc['name']} has no ready endpoint "
                                    "(hami-scheduler pod down)")
        if not problems:
            continue
        policy = hook.get("failurePolicy") or "Fail"
        out.findings.append(hami_webhook.check.finding(
            summary=(f"HAMi webhook {HAMI_WEBHOOK} ({cname}) cannot be called: " + "; ".join(problems)
                     + f". failurePolicy {policy}: {len(rest)} pod(s) asking for HAMi resources were admitted "
                       f"unmutated (e.g. {rest[0]['name']})"),
            remediation=("Restore the webhook's serving path: the hami-scheduler pod and Service must be up and the "
                         "caBundle patched (HAMi's certgen/patch job or cert-manager); then recreate the pods."),
            checks=[f"kubectl get mutatingwebhookconfiguration {cname} -o yaml",
                    f"kubectl get endpoints {svc.get('name', 'hami-scheduler')} -n {svc.get('namespace', '<hami-namespace>')}"],
            affected=[Affected(r["namespace"], "Pod", r["name"]) for r in rest[:5]],
            evidence=[_ev(cfg["_path"], f"mutatingwebhookconfiguration/{cname} webhook {hook.get('name')} service="
                                        f"{svc.get('namespace')}/{svc.get('name')} caBundle="
                                        f"{'set' if client.get('caBundle') else 'empty'} failurePolicy={policy}",
                          None, cfg.get("_line"))] + [hami.pod_evidence(r) for r in rest[:3]],
            details={"webhook": cname, "problems": problems, "pods": [r["name"] for r in rest]}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK021


def _device_plugin_config(ctx: CheckContext) -> tuple[dict | None, list[dict]]:
    """(the ConfigMap holding HAMi's device-plugin ``config.json``, its ``nodeconfig`` entries)."""
    for cm in ctx.objects("ConfigMap"):
        text = (cm.get("data") or {}).get("config.json") if isinstance(cm.get("data"), dict) else None
        if isinstance(text, str) and "nodeconfig" in text:
            doc = hami.jcol(text, {})
            entries = doc.get("nodeconfig") if isinstance(doc, dict) else None
            return cm, [e for e in entries or [] if isinstance(e, dict)]
    return None, []


def _scheduler_device_config(ctx: CheckContext) -> tuple[dict | None, dict]:
    """(the ConfigMap holding ``device-config.yaml``, its ``nvidia:`` section)."""
    cm, _, nv = scheduler_device_config(ctx)
    return cm, nv


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


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
    sched_cm, nv = _scheduler_device_config(ctx)
    plugin_cm, entries = _device_plugin_config(ctx)
    if sched_cm is None and plugin_cm is None and not (_hami_installed(ctx) or _hami_askers(ctx)):
        return Outcome(note="HAMi is not installed and no pod asks for HAMi resources")
    if sched_cm is None and plugin_cm is None:
        return Outcome(skipped="no HAMi ConfigMap (hami-scheduler-device / hami-device-plugin) in the bundle")
    nodes = {r["name"]: r for r in ctx.table("nodes").iter_rows(named=True)} if not ctx.table("nodes").is_empty() else {}
    out = Outcome(note=(f"deviceSplitCount={nv.get('deviceSplitCount')} deviceMemoryScaling={nv.get('deviceMemoryScaling')} "
                        f"defaultMemory={nv.get('defaultMemory')} defaultCores={nv.get('defaultCores')} "
                        f"gpuCorePolicy={nv.get('gpuCorePolicy', 'default')}; {len(entries)} per-node entr(y/ies)"
                        if sched_cm is not None else f"{len(entries)} per-node entr(y/ies) in hami-device-plugin"))
    f = hami_config.check

    pods = ctx.table("pods")
    schedulers = [] if pods.is_empty() else [r for r in pods.iter_rows(named=True) if hami.hami_component(r) == "scheduler"]
    installs = sorted({r["namespace"] for r in schedulers})
    if len(installs) > 1:
        firsts = [next(r for r in schedulers if r["namespace"] == ns) for ns in installs]
        out.findings.append(f.finding(
            summary=(f"hami-scheduler runs in {len(installs)} namespaces ({', '.join(installs)}): several HAMi installations "
                     "mutate and schedule the same pods and register the same GPUs"),
            remediation="Keep one HAMi release: helm uninstall the extra one (helm list -A | grep -i hami).",
            checks=["kubectl get pods -A -l app.kubernetes.io/component=hami-scheduler", "helm list -A | grep -i hami",
                    "kubectl get mutatingwebhookconfigurations | grep -i hami"],
            affected=[Affected(r["namespace"], "Pod", r["name"]) for r in firsts],
            evidence=[_ev(r["path"], f"pod/{r['name']} in namespace {r['namespace']}: HAMi scheduler", None, r.get("line"))
                      for r in firsts[:3]],
            details={"namespaces": installs}))

    def cm_ev(cm: dict, text: str) -> Evidence:
        return _ev(cm["_path"], f"configmap/{(cm.get('metadata') or {}).get('name')}: {text}", None, cm.get("_line"))

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
        hidden = [str(x) for x in (filt.get("uuid") or []) + (filt.get("index") or [])]
        if hidden:
            out.findings.append(f.finding(
                severity="info",
                summary=f"Node {name}: HAMi filterdevices hides {len(hidden)} GPU(s) ({', '.join(hidden[:4])}) from scheduling",
                remediation="Expected only for GPUs reserved on purpose; otherwise remove them from filterdevices.",
                checks=["kubectl get configmap hami-device-plugin -n <hami-namespace> -o yaml",
                        f"kubectl get node {name} -o jsonpath='{{.metadata.annotations.hami\\.io/node-nvidia-register}}'"],
                affected=aff, node=name, evidence=[cm_ev(plugin_cm, f"{where} filterdevices={json.dumps(filt)}")],
                details={"hidden": hidden}))
        labels = hami.jcol(nodes[name]["labels"], {}) if name in nodes else {}
        mig_cfg, capable = labels.get("nvidia.com/mig.config"), labels.get("nvidia.com/mig.capable")
        mode = str(e.get("operatingmode") or "hami-core")
        node_ev = _ev(nodes[name]["path"], f"node/{name} nvidia.com/mig.config={mig_cfg} nvidia.com/mig.capable={capable}",
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
    pod_rows = {(r["namespace"], r["name"]): r for r in pods.iter_rows(named=True)} if not pods.is_empty() else {}
    specs = {(p["_ns"], (p.get("metadata") or {}).get("name")): p for p in pod_specs(ctx)}
    _, nv = _scheduler_device_config(ctx)
    global_force = str(nv.get("gpuCorePolicy") or "").lower() == "force"
    util: dict[tuple, tuple[float, dict]] = {}
    metrics = ctx.table("metrics")
    if not metrics.is_empty():
        for r in metrics.filter(pl.col("name").is_in(list(CORE_UTIL_METRICS))).iter_rows(named=True):
            lab = hami.jcol(r["labels"], {})
            key = (_label(lab, "namespace", "podnamespace"), _label(lab, "pod", "podname"),
                   _label(lab, "container", "ctrname"))
            if r["value"] is not None and (key not in util or r["value"] > util[key][0]):
                util[key] = (float(r["value"]), r)
    out = Outcome()
    checked = 0
    f = hami_core_env.check
    for c in ctrs.filter(pl.col("init") == False).iter_rows(named=True):  # noqa: E712
        pod = pod_rows.get((c["namespace"], c["pod"])) or {}
        ann = hami.jcol(pod.get("annotations"), {})
        if not (hami.requests_hami(c) or hami.ALLOCATED in ann):
            continue
        checked += 1
        spec_ctr = next((x for x in containers_of(specs.get((c["namespace"], c["pod"]), {}))
                         if x.get("name") == c["name"]), None)
        names = hami.jcol(c["env_names"], []) or []
        disable = env_value(spec_ctr, "CUDA_DISABLE_CONTROL") if spec_ctr else (
            "<set>" if "CUDA_DISABLE_CONTROL" in names else None)
        ev = _ev(c["path"], f"{c['pod']}/{c['name']} nvidia.com/gpumem={c['gpumem']} nvidia.com/gpucores={c['gpucores']} "
                            f"env CUDA_DISABLE_CONTROL={disable} GPU_CORE_UTILIZATION_POLICY="
                            f"{env_value(spec_ctr, 'GPU_CORE_UTILIZATION_POLICY') if spec_ctr else None}", None, c.get("line"))
        aff = [Affected(c["namespace"], "Pod", c["pod"], c["name"])]
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
        used = util.get((c["namespace"], c["pod"], c["name"]))
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
    if rows.is_empty() and not (_hami_installed(ctx) or _hami_askers(ctx)):
        return Outcome(note="HAMi is not installed and no pod asks for HAMi resources")
    if rows.is_empty():
        return Outcome(skipped="no vGPU memory metrics in the bundle (HAMi vGPU monitor :9394 not scraped)")
    series: dict[tuple, dict[str, Any]] = defaultdict(dict)
    for r in rows.iter_rows(named=True):
        lab = hami.jcol(r["labels"], {})
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
            affected=[Affected(ns, "Pod", pod, ctr)],
            evidence=[Evidence(used_row["path"], None, f"{used_row['name']}{used_row['labels']} {s['used']:.0f}", None, None, "metrics"),
                      Evidence(limit_row["path"], None, f"{limit_row['name']}{limit_row['labels']} {s['limit']:.0f}", None, None, "metrics")],
            details={"used_bytes": s["used"], "limit_bytes": s["limit"], "ratio": round(ratio, 3), "device": dev}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK024

BIND_PHASE, BIND_TIME = "hami.io/bind-phase", "hami.io/bind-time"
BIND_STALE_S = 300  # HAMi's node lock times out after 5 minutes


@check("CHK024", "hami-pod-allocation", "hami.component_unhealthy", "error",
       "HAMi allocation of a pod failed, is stuck, or ignores its GPU selection")
def hami_pod_allocation(ctx: CheckContext) -> Outcome:
    """A pod's HAMi annotations after the scheduler picked a node:

    - ``hami.io/bind-phase: failed``, or ``allocating`` for more than 5 minutes (since
      ``hami.io/bind-time``, against ``collected_at``) on a pod still Pending: the device
      plugin's ``Allocate`` never matched the scheduler's decision (error,
      hami.component_unhealthy).
    - ``hami.io/vgpu-devices-allocated`` names a card outside the pod's ``nvidia.com/use-gpuuuid``
      or inside ``nouse-gpuuuid``, or of a type outside ``use-gputype``/inside ``nouse-gputype``:
      the workload runs on a GPU it asked not to (warning, scheduling.node_affinity).
    """
    pods = ctx.table("pods")
    if pods.is_empty():
        return Outcome(skipped="no pods in the bundle")
    ref = parse_time(ctx.facts.get("collected_at"))
    out = Outcome()
    checked = 0
    f = hami_pod_allocation.check
    for p in pods.iter_rows(named=True):
        ann = hami.jcol(p["annotations"], {})
        if BIND_PHASE not in ann and hami.ALLOCATED not in ann:
            continue
        checked += 1
        phase = ann.get(BIND_PHASE)
        aff = [Affected(p["namespace"], "Pod", p["name"])]
        bind_time = _unix(ann.get(BIND_TIME))
        age = (ref - bind_time).total_seconds() if ref and bind_time else None
        stuck = phase == "allocating" and p["phase"] == "Pending" and (age is None or age > BIND_STALE_S)
        if (phase == "failed" and p["phase"] != "Succeeded") or stuck:
            out.findings.append(f.finding(
                summary=(f"Pod {p['name']} on node {p['node']}: {BIND_PHASE}={phase}"
                         + (f" for {int(age)} s" if age is not None and phase == "allocating" else "")
                         + f", pod phase {p['phase']}: the HAMi device plugin did not allocate the chosen GPU(s)"),
                remediation=("Read the hami-device-plugin log on that node (Allocate errors such as 'device number not "
                             "matched'); restart the device plugin pod and recreate the pod."),
                checks=[f"kubectl describe pod {p['name']} -n {p['namespace']}",
                        f"kubectl get pods -A -o wide --field-selector spec.nodeName={p['node']} | grep hami-device-plugin"],
                affected=aff, node=p["node"],
                evidence=[_ev(p["path"], f"pod/{p['name']} {BIND_PHASE}={phase} {BIND_TIME}={ann.get(BIND_TIME)} "
                                         f"phase={p['phase']} hami.io/vgpu-node={ann.get('hami.io/vgpu-node')}", None, p.get("line"))],
                details={"bind_phase": phase, "age_seconds": int(age) if age is not None else None}))
        wrong = []
        for ctr in hami.decode_allocated(ann.get(hami.ALLOCATED, "")):
            for uuid, typ, _, _ in ctr:
                if hami.USE_UUID in ann and uuid not in [u.strip() for u in ann[hami.USE_UUID].split(",")]:
                    wrong.append(f"{uuid} not in {hami.USE_UUID}")
                if hami.NOUSE_UUID in ann and uuid in [u.strip() for u in ann[hami.NOUSE_UUID].split(",")]:
                    wrong.append(f"{uuid} listed in {hami.NOUSE_UUID}")
                if hami.USE_TYPE in ann and not any(t.strip().upper() in typ.upper() for t in ann[hami.USE_TYPE].split(",") if t.strip()):
                    wrong.append(f"{uuid} type {typ} not in {hami.USE_TYPE}")
                if hami.NOUSE_TYPE in ann and any(t.strip().upper() in typ.upper() for t in ann[hami.NOUSE_TYPE].split(",") if t.strip()):
                    wrong.append(f"{uuid} type {typ} listed in {hami.NOUSE_TYPE}")
        if wrong:
            out.findings.append(f.finding(
                category="scheduling.node_affinity", severity="warning",
                summary=f"Pod {p['name']} got GPU(s) its annotations exclude: " + "; ".join(wrong[:3]),
                remediation=("Check the pod's use-gpuuuid/use-gputype annotations (added after scheduling?) and the "
                             "HAMi version; recreate the pod so that the scheduler applies them."),
                checks=[f"kubectl get pod {p['name']} -n {p['namespace']} -o jsonpath='{{.metadata.annotations}}'"],
                affected=aff, node=p["node"],
                evidence=[_ev(p["path"], f"pod/{p['name']} {hami.ALLOCATED}={ann.get(hami.ALLOCATED)} "
                                         + " ".join(f"{k}={ann[k]}" for k in (hami.USE_UUID, hami.NOUSE_UUID, hami.USE_TYPE,
                                                                               hami.NOUSE_TYPE) if k in ann), None, p.get("line"))],
                details={"mismatches": wrong}))
    out.note = f"{checked} pod(s) with HAMi allocation annotations checked" if checked else \
        "no pod carries HAMi allocation annotations"
    return out


def _unix(value: str | None) -> datetime | None:
    """HAMi writes bind-time as Unix seconds."""
    try:
        return datetime.fromtimestamp(int(str(value).strip()), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


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
    cfg = hami.hami_config(ctx)
    inventory, _ = hami.node_devices(ctx, cfg)
    if not inventory and not (_hami_installed(ctx) or _hami_askers(ctx)):
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
        if not (hami.unscheduled(pod) and hami.requests_hami(pod)):
            continue
        for req in hami.gpu_pod_requests(ctx, pod, cfg):
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
                affected=[Affected(pod["namespace"], "Pod", pod["name"])],
                evidence=[hami.pod_evidence(pod),
                          _ev(n.get("path", ""), f"node/{name} free MiB per card: "
                                                 + ", ".join(f"{d.uuid[:12]}={d.free_mem}" for d in usable[:6]), None, n.get("line"))],
                details={"node": name, "request_mib": need, "free_total_mib": free,
                         "free_per_card_mib": [d.free_mem for d in usable]}))
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
    have = {(o.get("metadata") or {}).get("name") for o in ctx.objects("RuntimeClass")}
    users: list[tuple[str, str, str | None, str, int | None, str]] = []
    for p in pod_specs(ctx):
        rc = (p.get("spec") or {}).get("runtimeClassName")
        if rc:
            users.append(("Pod", (p.get("metadata") or {}).get("name"), p["_ns"], p["_path"], p["_line"], rc))
    for kind in WORKLOAD_KINDS:
        for o in ctx.objects(kind):
            rc = (((o.get("spec") or {}).get("template") or {}).get("spec") or {}).get("runtimeClassName")
            if rc:
                meta = o.get("metadata") or {}
                users.append((kind, meta.get("name"), meta.get("namespace"), o["_path"], o.get("_line"), rc))
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
            evidence=[_ev(u[3], f"{u[0].lower()}/{u[1]} runtimeClassName={rc}", None, u[4]) for u in us[:3]],
            details={"runtime_class": rc, "users": [f"{u[0]}/{u[2]}/{u[1]}" for u in us]}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK027 / CHK028

# stderr of a failed command -> what it means. The first match wins; order matters.
_FORBIDDEN = regex.compile(r"\(Forbidden\)|is forbidden: User|forbidden: User")
_UNREACHABLE = regex.compile(r"Unable to connect to the server|The connection to the server .* was refused|"
                             r"dial tcp [^ ]+:(?:443|6443): (?:i/o timeout|connect: connection refused)|"
                             r"couldn't get current server API group list|^timed out after")
_NO_TYPE = regex.compile(r"the server doesn't have a resource type \"([^\"]+)\"")
_NS_GONE = regex.compile(r"namespaces? \"([^\"]+)\" not found")
_UNAUTHORIZED = regex.compile(r"\(Unauthorized\)|You must be logged in to the server")


# sources whose commands may time out on size alone (a huge log, a slow exec): not a sign of an
# unreachable API server
_BULKY = ("log", "previous_log", "exec", "metrics", "top_pods", "top_nodes", "helm_releases")


def _classify(stderr: str, code: int, source: str) -> str | None:
    if _FORBIDDEN.search(stderr):
        return "forbidden"
    if _UNAUTHORIZED.search(stderr):
        return "unauthorized"
    if _UNREACHABLE.search(stderr) and not (code == 124 and source in _BULKY):
        return "unreachable"
    if code == 124:
        return "slow" if source in _BULKY else "unreachable"
    if _NO_TYPE.search(stderr):
        return "no_type"
    return None


_CORE_SOURCES = ("version", "nodes", "namespaces", "pods", "events")


@check("CHK027", "collection-errors", "cluster.rbac_forbidden", "warning",
       "The collector could not read part of the cluster")
def collection_errors(ctx: CheckContext) -> Outcome:
    """The collector's manifest records every command with its exit code and stderr. Failed
    commands become findings instead of silent gaps:

    - ``Error from server (Forbidden): ... is forbidden: User "..." cannot list resource ...``:
      the collecting identity lacks RBAC (cluster.rbac_forbidden, warning: the bundle is blind
      there, every "clear" for those sources means "not checked");
    - ``Unable to connect to the server``, ``The connection to the server ... was refused``,
      ``You must be logged in`` / ``Unauthorized``, or a command timeout: the API server was
      unreachable or refused the credentials (cluster.unreachable; error when the nodes, pods or
      version could not be read at all, which leaves nothing to diagnose);
    - ``the server doesn't have a resource type "..."``: a CRD is not installed (info);
    - a log, exec or metrics command that hit the collector's time limit: its output is missing
      (info; the API server answered the other commands).

    Expected failures are not findings: ``--previous`` logs of containers that never restarted,
    logs of pods not started yet, metrics ports that refuse, ``helm``/``exec`` not available.
    A missing namespace (``namespaces "x" not found``) is the namespace-missing check's.
    """
    records = manifest_records(ctx)
    if not records:
        return Outcome(skipped="no collector manifest with command records (manifest.json)")
    failed = [r for r in records if r.get("exit_code") not in (0, None)]
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in failed:
        kind = _classify(str(r.get("stderr") or ""), int(r.get("exit_code") or 0), str(r.get("source") or ""))
        if kind:
            groups[kind].append(r)
    out = Outcome(note=f"{len(records)} collector commands, {len(failed)} failed, "
                       f"{sum(len(v) for v in groups.values())} of them by permission, connection or missing type")
    f = collection_errors.check

    def ev(r: dict) -> Evidence:
        return Evidence("manifest.json", r.get("_line"), f"exit {r.get('exit_code')}: {' '.join(r.get('argv') or [])[:160]}: "
                                                         f"{str(r.get('stderr') or '').strip()[:240]}", None, None, "object")

    def what(rs: list[dict]) -> str:
        items = sorted({f"{r.get('source')}{' (' + r['namespace'] + ')' if r.get('namespace') else ''}" for r in rs})
        return ", ".join(items[:8]) + (f" and {len(items) - 8} more" if len(items) > 8 else "")

    if groups.get("forbidden"):
        rs = groups["forbidden"]
        user = regex.search(r'User "([^"]+)"', " ".join(str(r.get("stderr")) for r in rs))
        out.findings.append(f.finding(
            summary=(f"{len(rs)} collector command(s) were forbidden{' for ' + user[1] if user else ''}: {what(rs)}; "
                     "the bundle has nothing from them"),
            remediation=("Re-run the collector with an identity that may get/list those resources (a read-only "
                         "ClusterRole such as 'view' plus nodes, CRDs and webhook configurations), or accept the gap."),
            checks=[f"kubectl auth can-i list {rs[0].get('source') or 'pods'} -n {rs[0].get('namespace') or 'default'}",
                    "kubectl auth can-i --list"],
            affected=[], evidence=[ev(r) for r in rs[:4]], count=len(rs),
            details={"commands": [" ".join(r.get("argv") or []) for r in rs[:20]], "user": user[1] if user else None}))
    for kind in ("unreachable", "unauthorized"):
        rs = groups.get(kind) or []
        if not rs:
            continue
        blind = any(r.get("source") in _CORE_SOURCES for r in rs)
        out.findings.append(f.finding(
            category="cluster.unreachable", severity="error" if blind else "warning",
            summary=(f"{len(rs)} collector command(s) could not reach or authenticate to the API server "
                     f"({'timeouts and connection errors' if kind == 'unreachable' else 'credentials refused'}): {what(rs)}"),
            remediation=("Check the kubeconfig context, network path and credentials to the API server "
                         "(kubectl cluster-info), then collect again; a slow API server needs a longer --timeout."),
            checks=["kubectl config current-context", "kubectl cluster-info", "kubectl get --raw /readyz?verbose"],
            affected=[], evidence=[ev(r) for r in rs[:4]], count=len(rs),
            details={"commands": [" ".join(r.get("argv") or []) for r in rs[:20]]}))
    if groups.get("slow"):
        rs = groups["slow"]
        out.findings.append(f.finding(
            severity="info", category="cluster.unreachable",
            summary=f"{len(rs)} collector command(s) timed out, so the bundle lacks their output: {what(rs)}",
            remediation="Collect again with a longer --timeout or a smaller --max-log-bytes if these logs matter.",
            checks=[f"{' '.join(rs[0].get('argv') or [])[:120]}"],
            affected=[], evidence=[ev(r) for r in rs[:3]], count=len(rs)))
    if groups.get("no_type"):
        rs = groups["no_type"]
        types = sorted({m[1] for r in rs for m in [_NO_TYPE.search(str(r.get("stderr")))] if m})
        out.findings.append(f.finding(
            severity="info", category="operator.crd_missing",
            summary=f"Resource type(s) not installed in the cluster: {', '.join(types)} (nothing collected for them)",
            remediation="Expected when that component is not used; otherwise install its CRDs.",
            checks=["kubectl api-resources | grep -i -E '" + "|".join(t.split(".")[0] for t in types) + "'"],
            affected=[], evidence=[ev(r) for r in rs[:3]], details={"types": types}))
    return out


@check("CHK028", "namespace-missing", "cluster.namespace_missing", "critical",
       "Target namespace does not exist or is being deleted")
def namespace_missing(ctx: CheckContext) -> Outcome:
    """The namespaces the collector was pointed at (manifest ``namespaces``) against the
    cluster's Namespace list (``cluster/namespaces.json``): a target that is not there, or a
    collector command that answered ``namespaces "x" not found``, means the workload was deployed
    elsewhere or its namespace was never created (critical). A target whose Namespace has
    ``status.phase: Terminating`` is being deleted with everything in it (error)."""
    targets = [str(n) for n in ctx.facts.get("namespaces") or []]
    have = {(o.get("metadata") or {}).get("name"): o for o in ctx.objects("Namespace")}
    gone_cmds = [r for r in manifest_records(ctx) if r.get("exit_code") not in (0, None)
                 and _NS_GONE.search(str(r.get("stderr") or ""))]
    if not targets and not gone_cmds:
        return Outcome(skipped="no target namespaces recorded (collector manifest)")
    if not collected(ctx, "namespaces") and not have and not gone_cmds:
        return Outcome(skipped="no Namespace list in the bundle (cluster/namespaces.json)")
    out = Outcome(note=f"{len(targets)} target namespace(s) checked against {len(have)} Namespace(s)")
    missing: dict[str, list[Evidence]] = defaultdict(list)
    ns_path = source_path(ctx, "namespaces") or "cluster/namespaces.json"
    if have:
        for t in targets:
            if t not in have:
                missing[t].append(_ev(ns_path, f"namespace {t} is a collector target but not in the Namespace list "
                                               f"({len(have)} namespaces)"))
    for r in gone_cmds:
        name = _NS_GONE.search(str(r.get("stderr")))[1]
        missing[name].append(Evidence("manifest.json", r.get("_line"), f"exit {r.get('exit_code')}: "
                                      f"{' '.join(r.get('argv') or [])[:140]}: {str(r.get('stderr')).strip()[:200]}",
                                      None, None, "object"))
    for name, evidence in sorted(missing.items()):
        out.findings.append(namespace_missing.check.finding(
            summary=f"Namespace {name} does not exist in the cluster (context {ctx.facts.get('context') or 'unknown'})",
            remediation=("Deploy into an existing namespace or create it (kubectl create namespace), and check the "
                         "kubectl context points at the right cluster."),
            checks=["kubectl get namespaces", "kubectl config current-context"],
            affected=[Affected(None, "Namespace", name)], evidence=evidence[:4], details={"namespace": name}))
    for t in targets:
        o = have.get(t)
        if o is not None and (o.get("status") or {}).get("phase") == "Terminating":
            out.findings.append(namespace_missing.check.finding(
                severity="error", summary=f"Namespace {t} is Terminating: everything in it is being deleted",
                remediation=("Wait for the deletion or find the finalizer that holds it (kubectl get namespace -o yaml); "
                             "deploy into another namespace meanwhile."),
                checks=[f"kubectl get namespace {t} -o jsonpath='{{.status}}'"],
                affected=[Affected(None, "Namespace", t)],
                evidence=[_ev(o["_path"], f"namespace/{t} status.phase=Terminating", None, o.get("_line"))]))
    return out


# ---------------------------------------------------------------------------------------------
# CHK029 / CHK030


def dynamo_pods(ctx: CheckContext) -> list[dict]:
    """Pods of Dynamo graphs: the operator's labels or a Dynamo runtime image."""
    pods, ctrs = ctx.table("pods"), ctx.table("containers")
    out = []
    images = {}
    if not ctrs.is_empty():
        for c in ctrs.iter_rows(named=True):
            images.setdefault((c["namespace"], c["pod"]), []).append(c["image"] or "")
    for p in ([] if pods.is_empty() else pods.iter_rows(named=True)):
        labels = hami.jcol(p["labels"], {})
        if DGD_LABEL in labels or any("ai-dynamo/" in i and "operator" not in i
                                      for i in images.get((p["namespace"], p["name"]), [])):
            out.append(p)
    return out


def _is_operator(pod: dict, images: list[str]) -> bool:
    return "dynamo-operator" in (pod.get("name") or "") or any("ai-dynamo/kubernetes-operator" in i for i in images)


@check("CHK029", "dynamo-crds", "operator.crd_missing", "critical",
       "Dynamo is used but its CRDs are not installed")
def dynamo_crds(ctx: CheckContext) -> Outcome:
    """The cluster's CRD list (``cluster/customresourcedefinitions.json``) lacks
    ``dynamographdeployments.nvidia.com`` while Dynamo is in use: Dynamo pods run (operator
    labels, ``ai-dynamo`` runtime images), the Dynamo operator runs, or a collector command
    answered ``the server doesn't have a resource type "dynamographdeployments"``. Without the CRD
    ``kubectl apply`` of a DynamoGraphDeployment fails and the operator cannot start its
    controllers."""
    crds = ctx.objects("CustomResourceDefinition")
    if not collected(ctx, "crds") and not crds:
        return Outcome(skipped="no CRD list in the bundle (cluster/customresourcedefinitions.json)")
    names = {(o.get("metadata") or {}).get("name") for o in crds}
    dyn = sorted(n for n in names if n and n.endswith(".nvidia.com") and n.startswith("dynamo"))
    if DGD_CRD in names:
        return Outcome(note="Dynamo CRDs installed: " + ", ".join(dyn))
    users = dynamo_pods(ctx)
    ctrs = ctx.table("containers")
    operators = []
    if not ctrs.is_empty():
        imgs: dict[tuple, list[str]] = defaultdict(list)
        for c in ctrs.iter_rows(named=True):
            imgs[(c["namespace"], c["pod"])].append(c["image"] or "")
        operators = [p for p in ctx.table("pods").iter_rows(named=True) if _is_operator(p, imgs[(p["namespace"], p["name"])])]
    asked = [r for r in manifest_records(ctx) if "dynamographdeployments" in str(r.get("stderr") or "")
             and _NO_TYPE.search(str(r.get("stderr") or ""))]
    if not (users or operators or asked or ctx.objects("DynamoGraphDeployment")):
        return Outcome(note="Dynamo is not in use (no Dynamo pods, operator or graph deployments) and its CRDs are absent")
    out = Outcome(note=f"{len(crds)} CRDs; Dynamo ones: {', '.join(dyn) or 'none'}")
    evidence = [_ev(source_path(ctx, "crds") or (crds[0]["_path"] if crds else ""),
                    f"{len(crds)} CustomResourceDefinitions, {DGD_CRD} not among them"
                    + (f" (Dynamo CRDs present: {', '.join(dyn)})" if dyn else ""))]
    evidence += [Evidence("manifest.json", r.get("_line"), f"{' '.join(r.get('argv') or [])[:120]}: {str(r.get('stderr')).strip()[:200]}",
                          None, None, "object") for r in asked[:1]]
    evidence += [hami.pod_evidence(p) for p in (operators or users)[:2]]
    out.findings.append(dynamo_crds.check.finding(
        summary=(f"CRD {DGD_CRD} is not installed but Dynamo is in use "
                 f"({len(users)} Dynamo pod(s), {len(operators)} operator pod(s))"),
        remediation=("Install the Dynamo CRDs (helm install dynamo-crds of the same release as the platform chart) "
                     "before the operator and the graphs; then re-apply the DynamoGraphDeployment."),
        checks=["kubectl get crd | grep -i dynamo", "helm list -A | grep -i dynamo"],
        affected=[Affected(p["namespace"], "Pod", p["name"]) for p in (operators or users)[:3]],
        evidence=evidence, details={"dynamo_crds": dyn, "dynamo_pods": len(users), "operator_pods": len(operators)}))
    return out


@check("CHK030", "dynamo-operator", "operator.reconcile_error", "error",
       "Dynamo operator missing or not ready while graphs exist")
def dynamo_operator(ctx: CheckContext) -> Outcome:
    """DynamoGraphDeployments exist but the Dynamo operator (its controller-manager pod, image
    ``ai-dynamo/kubernetes-operator``) is not Running and Ready, restarts 3 times or more, or is
    absent from every collected namespace. Nothing then creates or repairs the graphs' pods.

    Absence is reported only when the collector looked broadly (namespaces ``all`` or
    ``discovered``, or the manifest does not say): with an explicit namespace list the
    operator's namespace may simply not be collected.
    """
    dgds = ctx.objects("DynamoGraphDeployment")
    if not dgds:
        return Outcome(skipped="no DynamoGraphDeployment objects in the bundle")
    pods, ctrs = ctx.table("pods"), ctx.table("containers")
    if pods.is_empty():
        return Outcome(skipped="no pods in the bundle")
    by_pod: dict[tuple, list[dict]] = defaultdict(list)
    for c in ([] if ctrs.is_empty() else ctrs.iter_rows(named=True)):
        by_pod[(c["namespace"], c["pod"])].append(c)
    ops = [p for p in pods.iter_rows(named=True)
           if _is_operator(p, [c["image"] or "" for c in by_pod[(p["namespace"], p["name"])]])]
    out = Outcome(note=f"{len(ops)} Dynamo operator pod(s) for {len(dgds)} graph(s)")
    names = ", ".join(sorted(f"{(d.get('metadata') or {}).get('namespace')}/{(d.get('metadata') or {}).get('name')}"
                             for d in dgds)[:4])
    f = dynamo_operator.check
    if not ops:
        mode = ((ctx.facts.get("manifest") or {}).get("options") or {}).get("namespace_mode")
        if mode == "explicit":
            out.note = "no Dynamo operator pod in the collected namespaces (explicit list: its namespace may not be collected)"
            return out
        d = dgds[0]
        out.findings.append(f.finding(
            summary=f"No Dynamo operator pod in any collected namespace, but {len(dgds)} DynamoGraphDeployment(s) exist ({names})",
            remediation=("Install or restore the Dynamo platform chart (its operator Deployment); without it the graphs' "
                         "pods are neither created nor repaired."),
            checks=["kubectl get pods -A | grep -i dynamo-operator", "helm list -A | grep -i dynamo"],
            affected=[Affected((d.get("metadata") or {}).get("namespace"), "DynamoGraphDeployment",
                               (d.get("metadata") or {}).get("name"))],
            evidence=[_ev(d["_path"], f"dynamographdeployment/{(d.get('metadata') or {}).get('name')}: no operator pod in "
                                      f"namespaces {', '.join(str(n) for n in ctx.facts.get('namespaces') or [])}",
                          None, d.get("_line"))]))
        return out
    if any(p["phase"] == "Running" and p["ready"] is not False for p in ops):
        return out
    for p in ops:
        cs = by_pod[(p["namespace"], p["name"])]
        worst = max(cs, key=lambda c: c["restart_count"] or 0) if cs else None
        state = (f"container {worst['name']} {worst['state_reason'] or worst['state']}, {worst['restart_count']} restarts"
                 if worst else f"phase {p['phase']}")
        out.findings.append(f.finding(
            summary=f"Dynamo operator pod {p['name']} is not ready ({state}); {len(dgds)} graph(s) are not reconciled ({names})",
            remediation="Read the operator's (previous) log: missing CRDs, RBAC, etcd/NATS addresses or webhook certificates.",
            checks=[f"kubectl logs {p['name']} -n {p['namespace']} -c manager --previous",
                    f"kubectl describe pod {p['name']} -n {p['namespace']}"],
            affected=[Affected(p["namespace"], "Pod", p["name"], worst["name"] if worst else None)],
            evidence=[_ev(p["path"], f"pod/{p['name']} phase={p['phase']} ready={p['ready']} "
                                     + " ".join(f"{c['name']}:ready={c['ready']},restarts={c['restart_count']}" for c in cs),
                          None, p.get("line"))]))
        break
    return out
