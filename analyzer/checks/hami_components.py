"""HAMi component checks: its scheduler, device plugins and vGPU monitors, the handshake between
scheduler and device plugin, the mutating webhook, and each pod's allocation by the device plugin."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone

import polars as pl

from analyzer.checks.framework import CheckContext, Outcome, check
from analyzer.checks.helpers import collected, labels_match, object_evidence, pod_evidence, source_path
from analyzer.findings import Affected, PodRef
from analyzer.gpu.fit import allocation_mismatches
from analyzer.gpu.hami import (ALLOCATED, BIND_PHASE, BIND_TIME, HANDSHAKE, NOUSE_TYPE, NOUSE_UUID, USE_TYPE, USE_UUID,
                               WEBHOOK, container_component, handshake, hami_webhooks)
from analyzer.parse.quantity import parse_time
from analyzer.parse.shape import dig, name_of
from analyzer.tables import from_json


@check("CHK012", "hami-components", "hami.component_unhealthy", "error",
       "HAMi component not Ready, restarting, or missing")
def hami_components(ctx: CheckContext) -> Outcome:
    """HAMi scheduler, device-plugin and vGPU-monitor pods (by the chart's
    ``app.kubernetes.io/component``/``app`` label or their name, in any namespace) that are not
    Running and Ready, or whose containers are failing at collection time (crash-looping, or
    restarted and failed again within the last 15 minutes: ``analyzer.state``). Restarts that are
    over (running and ready since) are CHK002's "restarted N times, running now".

    Also "HAMi expected but absent": pods ask for ``nvidia.com/gpumem``/``gpucores`` and the
    namespace HAMi lives in (bundle fact ``hami_namespace``) was collected, yet it holds no
    hami-scheduler pod. Without a known HAMi namespace that second part cannot tell "not
    installed" from "not collected" and is left out.
    """
    pods = ctx.table("pods")
    if pods.is_empty():
        return Outcome(skipped="no pods in the bundle")
    comps = ctx.gpu.components
    state = ctx.state
    ctrs = ctx.table("containers")
    out = Outcome(note=f"{len(comps)} HAMi pod(s) checked")
    for p, comp in comps:
        crows = [] if ctrs.is_empty() else ctrs.filter(
            (pl.col("namespace") == p["namespace"]) & (pl.col("pod") == p["name"])).to_dicts()
        restarts = max((c["restart_count"] or 0 for c in crows), default=0)
        now_state = state.pod(p["namespace"], p["name"])
        failing = {c.name for c in (now_state.containers if now_state else ())
                   if c.failing(state.collected_at) or c.ready is False}
        bad = [c for c in crows if c["name"] in failing]
        if p["phase"] == "Running" and p["ready"] is not False and not bad:
            continue
        if p["phase"] == "Succeeded":
            continue
        worst = max(bad, key=lambda c: c["restart_count"] or 0) if bad else None
        # the vGPU monitor runs as a container of the device-plugin pod: its failure is the monitor's
        comp = container_component(comp, worst["name"]) if worst else comp
        state = (f"container {worst['name']} {worst['state_reason'] or worst['state']}, "
                 f"{worst['restart_count']} restarts, last exit {worst['last_exit_code']}"
                 if worst else f"phase {p['phase']}" + (f" ({p['reason']})" if p["reason"] else ""))
        impact = {"scheduler": "new GPU pods are not mutated or scheduled by HAMi",
                  "device plugin": f"node {p['node']} stops registering its GPUs (and allocating them)",
                  "vGPU monitor": "GPU usage metrics and limits feedback on that node are missing"}[comp]
        out.findings.append(hami_components.check.finding(
            severity="warning" if comp == "vGPU monitor" else None,
            summary=f"HAMi {comp} pod {p['name']} is not healthy: {state}; {impact}",
            remediation=("Read the component's (previous) log: device plugins fail on driver/NVML problems "
                         "or missing privileges, the scheduler on certificate/webhook or RBAC errors."),
            checks=[f"kubectl describe pod {p['name']} -n {p['namespace']}",
                    f"kubectl logs {p['name']} -n {p['namespace']} --all-containers --previous"],
            affected=[PodRef.of(p, worst["name"] if worst else None).affected()],
            node=p["node"],
            evidence=[object_evidence(p["path"], f"pod/{p['name']} phase={p['phase']} ready={p['ready']} "
                                      + " ".join(f"{c['name']}:ready={c['ready']},restarts={c['restart_count']},"
                                                 f"state={c['state_reason'] or c['state']}" for c in crows),
                                      None, p.get("line"))],
            count=max(1, restarts), details={"component": comp, "restarts": restarts}))
    hami_ns = ctx.facts.get("hami_namespace")
    askers = ctx.gpu.hami_askers
    if askers and hami_ns and collected(ctx, "pods", hami_ns) and not any(c == "scheduler" for _, c in comps):
        r = askers[0]
        out.findings.append(hami_components.check.finding(
            severity="critical",
            summary=(f"{len(askers)} pod(s) request HAMi resources (e.g. {r['name']}) but namespace {hami_ns} "
                     "has no hami-scheduler pod"),
            remediation="Install or restore HAMi (helm status/upgrade of the hami release) before scheduling vGPU pods.",
            checks=[f"kubectl get pods -n {hami_ns}", "helm list -A | grep -i hami"],
            affected=[Affected(hami_ns, "Deployment", "hami-scheduler")],
            evidence=[pod_evidence(r)], details={"hami_namespace": hami_ns, "pods": len(askers)}))
    elif not comps and not askers:
        out.note = "no HAMi pods and no pod asks for HAMi resources"
    return out


HANDSHAKE_STALE_S = 60  # HAMi's scheduler gives the device plugin 60 s to answer a Requesting_


@check("CHK013", "hami-handshake", "hami.component_unhealthy", "error",
       "HAMi device plugin stopped answering the scheduler's handshake")
def hami_handshake(ctx: CheckContext) -> Outcome:
    """Node annotation ``hami.io/node-handshake``: the scheduler writes ``Requesting_<time>`` and
    the device plugin answers ``Reported <time>``. ``Requesting_`` older than 60 s before the
    bundle was collected, or ``Deleted_`` (the scheduler gave up and dropped the node's devices),
    means the device plugin on that node is not running or cannot reach the API server.

    The reference time is the bundle's ``collected_at``; without it, the newest event time.
    """
    nodes = ctx.table("nodes")
    if nodes.is_empty():
        return Outcome(skipped="no nodes in the bundle")
    shakes = []
    for r in nodes.iter_rows(named=True):
        ann = from_json(r["annotations"], {})
        if ann.get(HANDSHAKE):
            shakes.append((r, ann[HANDSHAKE]))
    if not shakes:
        return Outcome(skipped="no node carries hami.io/node-handshake (HAMi not installed or annotations not collected)")
    ref = parse_time(ctx.facts.get("collected_at"))
    ref_text = "collected_at"
    if ref is None:
        ev = ctx.table("events")
        ref = None if ev.is_empty() else ev.get_column("last_time").max()
        ref_text = "the newest event"
    out = Outcome(note=f"handshake of {len(shakes)} node(s) checked against {ref_text}")
    for r, value in shakes:
        state, t = handshake(value)
        if state == "Requesting" and (ref is None or t is None or (ref - t).total_seconds() <= HANDSHAKE_STALE_S):
            continue
        if state not in ("Requesting", "Deleted"):
            continue
        age = f"{int((ref - t).total_seconds())} s before {ref_text}" if ref is not None and t is not None else ""
        what = ("the scheduler asked the device plugin to report and got no answer" if state == "Requesting"
                else "the scheduler dropped the node's devices after the device plugin stopped answering")
        out.findings.append(hami_handshake.check.finding(
            summary=f"Node {r['name']}: {HANDSHAKE}={value} ({age}); {what}".replace(" ()", ""),
            remediation=("Check the hami-device-plugin pod on this node (running? logs?) and restart it; "
                         "HAMi schedules nothing onto the node's GPUs until it reports again."),
            checks=[f"kubectl get pods -A -o wide --field-selector spec.nodeName={r['name']} | grep -i hami",
                    f"kubectl get node {r['name']} -o jsonpath='{{.metadata.annotations.hami\\.io/node-handshake}}'"],
            affected=[Affected(None, "Node", r["name"])], node=r["name"],
            evidence=[object_evidence(r["path"], f"node/{r['name']} {HANDSHAKE}={value}", t, r.get("line"))],
            first_seen=t, details={"state": state, "age_seconds": int((ref - t).total_seconds())
                                   if ref is not None and t is not None else None}))
    return out


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
    askers = ctx.gpu.hami_askers
    if not askers and not ctx.gpu.hami_installed:
        return Outcome(note="HAMi is not installed and no pod asks for HAMi resources")
    configs = ctx.objects("MutatingWebhookConfiguration")
    hooks = hami_webhooks(configs)
    unmutated = [r for r in askers if (r["scheduler_name"] or "default-scheduler") == "default-scheduler"]
    out = Outcome(note=f"{len(hooks)} HAMi webhook(s); {len(askers)} pod(s) ask for HAMi resources, "
                       f"{len(unmutated)} not mutated")
    path = source_path(ctx, "mutatingwebhooks") or (configs[0]["_path"] if configs else "")
    if not hooks:
        names = [(c.get("metadata") or {}).get("name") for c in configs]
        out.findings.append(hami_webhook.check.finding(
            severity="critical" if unmutated else "warning",
            summary=(f"No MutatingWebhookConfiguration registers HAMi's webhook {WEBHOOK}"
                     + (f": {len(unmutated)} pod(s) asking for HAMi resources kept schedulerName default-scheduler "
                        f"(e.g. {unmutated[0]['name']})" if unmutated else
                        ": new pods asking for nvidia.com/gpumem/gpucores will not be sent to hami-scheduler")),
            remediation=("Reinstall or upgrade the HAMi Helm release with scheduler.admissionWebhook.enabled=true "
                         "(helm upgrade hami hami-charts/hami -n <hami-namespace> --reuse-values), then recreate "
                         "the pending pods so that the webhook mutates them."),
            checks=["kubectl get mutatingwebhookconfigurations -o custom-columns=NAME:.metadata.name,WEBHOOKS:.webhooks[*].name",
                    "helm history hami -n <hami-namespace>"],
            affected=[PodRef.of(r).affected() for r in unmutated[:5]],
            evidence=[object_evidence(path, f"{len(configs)} MutatingWebhookConfiguration(s): "
                                      + (", ".join(str(n) for n in names) or "none") + f"; none has webhook {WEBHOOK}")]
            + [pod_evidence(r) for r in unmutated[:3]],
            details={"configurations": names, "unmutated_pods": [r["name"] for r in unmutated]}))
        return out
    namespaces = {name_of(o): o for o in ctx.objects("Namespace")}
    for cfg, hook in hooks:
        cname = name_of(cfg)
        client = dig(hook, "clientConfig", default={})
        svc = dig(client, "service", default={})
        excluded: dict[str, list[dict]] = defaultdict(list)
        for r in unmutated:
            ns_obj = namespaces.get(r["namespace"])
            if ns_obj is not None:
                labels = {"kubernetes.io/metadata.name": r["namespace"], **dig(ns_obj, "metadata", "labels", default={})}
                ok, term = labels_match(hook.get("namespaceSelector"), labels)
                if not ok:
                    excluded[f"namespaceSelector ({term}) excludes namespace {r['namespace']}"].append(r)
                    continue
            ok, term = labels_match(hook.get("objectSelector"), from_json(r["labels"], {}))
            if not ok:
                excluded[f"objectSelector ({term}) excludes the pod's labels"].append(r)
        for why, rows in excluded.items():
            out.findings.append(hami_webhook.check.finding(
                summary=(f"HAMi webhook {WEBHOOK} ({cname}) skips {len(rows)} pod(s) asking for HAMi resources "
                         f"(e.g. {rows[0]['name']}): {why}, so they keep schedulerName default-scheduler"),
                remediation=("Remove the label that opts the namespace or pod out (hami.io/webhook=ignore) or adjust "
                             "scheduler.admissionWebhook.whitelistNamespaces, then recreate the pods."),
                checks=[f"kubectl get namespace {rows[0]['namespace']} --show-labels",
                        f"kubectl get mutatingwebhookconfiguration {cname} -o yaml | grep -A6 -E 'namespaceSelector|objectSelector'"],
                affected=[PodRef.of(r).affected() for r in rows[:5]],
                evidence=[object_evidence(cfg["_path"], f"mutatingwebhookconfiguration/{cname} webhook {hook.get('name')} "
                                            f"namespaceSelector={json.dumps(hook.get('namespaceSelector'))} "
                                            f"objectSelector={json.dumps(hook.get('objectSelector'))}", None, cfg.get("_line"))]
                + [pod_evidence(r, f" labels={r['labels']}") for r in rows[:3]],
                details={"webhook": cname, "reason": why, "pods": [r["name"] for r in rows]}))
        rest = [r for r in unmutated if not any(r in rows for rows in excluded.values())]
        if not rest:
            continue
        problems = []
        ann = dig(cfg, "metadata", "annotations", default={})
        if not client.get("caBundle") and not client.get("url") and "cert-manager.io/inject-ca-from" not in ann:
            problems.append("its clientConfig.caBundle is empty (the API server cannot verify the webhook's certificate)")
        if svc.get("name") and collected(ctx, "services", svc.get("namespace")):
            service = [s for s in ctx.objects("Service") if name_of(s) == svc["name"]
                       and name_of(s, "namespace") == svc.get("namespace")]
            if not service:
                problems.append(f"its Service {svc.get('namespace')}/{svc['name']} does not exist")
            else:
                eps = [e for e in ctx.objects("Endpoints") if name_of(e) == svc["name"]
                       and name_of(e, "namespace") == svc.get("namespace")]
                if eps and not any(s.get("addresses") for s in dig(eps[0], "subsets", default=[]) if isinstance(s, dict)):
                    problems.append(f"its Service {svc.get('namespace')}/{svc['name']} has no ready endpoint "
                                    "(hami-scheduler pod down)")
        if not problems:
            continue
        policy = hook.get("failurePolicy") or "Fail"
        out.findings.append(hami_webhook.check.finding(
            summary=(f"HAMi webhook {WEBHOOK} ({cname}) cannot be called: " + "; ".join(problems)
                     + f". failurePolicy {policy}: {len(rest)} pod(s) asking for HAMi resources were admitted "
                       f"unmutated (e.g. {rest[0]['name']})"),
            remediation=("Restore the webhook's serving path: the hami-scheduler pod and Service must be up and the "
                         "caBundle patched (HAMi's certgen/patch job or cert-manager); then recreate the pods."),
            checks=[f"kubectl get mutatingwebhookconfiguration {cname} -o yaml",
                    f"kubectl get endpoints {svc.get('name', 'hami-scheduler')} -n {svc.get('namespace', '<hami-namespace>')}"],
            affected=[PodRef.of(r).affected() for r in rest[:5]],
            evidence=[object_evidence(cfg["_path"], f"mutatingwebhookconfiguration/{cname} webhook {hook.get('name')} service="
                                        f"{svc.get('namespace')}/{svc.get('name')} caBundle="
                                        f"{'set' if client.get('caBundle') else 'empty'} failurePolicy={policy}",
                          None, cfg.get("_line"))] + [pod_evidence(r) for r in rest[:3]],
            details={"webhook": cname, "problems": problems, "pods": [r["name"] for r in rest]}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK024

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
        ann = from_json(p["annotations"], {})
        if BIND_PHASE not in ann and ALLOCATED not in ann:
            continue
        checked += 1
        phase = ann.get(BIND_PHASE)
        aff = [PodRef.of(p).affected()]
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
                evidence=[object_evidence(p["path"], f"pod/{p['name']} {BIND_PHASE}={phase} {BIND_TIME}={ann.get(BIND_TIME)} "
                                                  f"phase={p['phase']} hami.io/vgpu-node={ann.get('hami.io/vgpu-node')}", None, p.get("line"))],
                details={"bind_phase": phase, "age_seconds": int(age) if age is not None else None}))
        wrong = allocation_mismatches(ann, ctx.gpu.card_types)
        if wrong:
            out.findings.append(f.finding(
                category="scheduling.node_affinity", severity="warning",
                summary=f"Pod {p['name']} got GPU(s) its annotations exclude: " + "; ".join(wrong[:3]),
                remediation=("Check the pod's use-gpuuuid/use-gputype annotations (added after scheduling?) and the "
                             "HAMi version; recreate the pod so that the scheduler applies them."),
                checks=[f"kubectl get pod {p['name']} -n {p['namespace']} -o jsonpath='{{.metadata.annotations}}'"],
                affected=aff, node=p["node"],
                evidence=[object_evidence(p["path"], f"pod/{p['name']} {ALLOCATED}={ann.get(ALLOCATED)} "
                                          + " ".join(f"{k}={ann[k]}" for k in (USE_UUID, NOUSE_UUID, USE_TYPE, NOUSE_TYPE)
                                                     if k in ann), None, p.get("line"))],
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
