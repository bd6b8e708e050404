"""Dynamo checks: graphs (DynamoGraphDeployments), their operator and CRDs, and what the
pods of one graph must agree on (Dynamo version, KV events between router and workers).

A graph's pods carry the operator's label ``nvidia.com/dynamo-graph-deployment-name``."""

from __future__ import annotations

from collections import defaultdict

import polars as pl
import regex

from analyzer.checks.engines import engine_of, is_frontend
from analyzer.checks.framework import CheckContext, Outcome, check
from analyzer.checks.helpers import (NO_RESOURCE_TYPE, collected, command_line, containers_of, env_value,
                                     manifest_records, metadata, object_evidence, pod_evidence, pod_specs,
                                     source_path, spec_evidence)
from analyzer.findings import Affected, Evidence, PodRef
from analyzer.parse.shape import labels_of
from analyzer.tables import from_json

DGD_LABEL = "nvidia.com/dynamo-graph-deployment-name"  # set by the Dynamo operator on a graph's pods
DGD_CRD = "dynamographdeployments.nvidia.com"


# ---------------------------------------------------------------------------------------------
# CHK014

# DGD Ready=False reasons that mean the operator itself failed (dynamographdeployment_controller.go);
# "some_resources_are_not_ready" only says its pods are not ready yet: a symptom, not a cause
DGD_FAILED_REASONS = ("failed_to_reconcile_the_resources", "failed_to_handle_the_finalizer",
                      "grove_scaling_failed", "NoOrchestratorAvailable")


@check("CHK014", "dgd-conditions", "operator.reconcile_error", "error",
       "DynamoGraphDeployment not Ready or failed")
def dgd_conditions(ctx: CheckContext) -> Outcome:
    """A DynamoGraphDeployment whose ``status.state`` is ``failed`` or whose ``Ready`` condition
    is ``False``, with the condition's reason and message.

    ``failed`` and the operator's own failure reasons (``failed_to_reconcile_the_resources``,
    ``failed_to_handle_the_finalizer``, ``grove_scaling_failed``, ``NoOrchestratorAvailable``)
    are errors. ``some_resources_are_not_ready`` (``Resources not ready: ...: desired=2,
    ready=1``) is a warning: the pods' own findings say why they are not ready.
    """
    dgds = ctx.objects("DynamoGraphDeployment")
    if not dgds:
        return Outcome(skipped="no DynamoGraphDeployment objects in the bundle")
    out = Outcome(note=f"{len(dgds)} DynamoGraphDeployment(s) checked")
    for o in dgds:
        meta, status = o.get("metadata") or {}, o.get("status") or {}
        state = status.get("state")
        conds = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
        ready = next((c for c in conds if c.get("type") == "Ready"), None)
        not_ready = ready is not None and ready.get("status") != "True"
        if state != "failed" and not not_ready:
            continue
        reason = (ready or {}).get("reason")
        message = ((ready or {}).get("message") or "").strip()
        failed = state == "failed" or reason in DGD_FAILED_REASONS
        others = [f"{c.get('type')}={c.get('status')}" for c in conds if c is not ready]
        name, ns = meta.get("name"), meta.get("namespace")
        out.findings.append(dgd_conditions.check.finding(
            severity=None if failed else "warning",
            summary=(f"DynamoGraphDeployment {name} state={state or 'unset'}, Ready={(ready or {}).get('status')}"
                     f" ({reason or 'no reason'})" + (f": {message[:200]}" if message else "")),
            remediation=("Read the Dynamo operator's log for the reconcile error and fix the spec or "
                         "the missing prerequisite it names (CRD, Grove/LWS, RBAC)." if failed else
                         "Look at the components the message names: their pods' findings say why they are not ready."),
            checks=[f"kubectl describe dynamographdeployment {name} -n {ns}",
                    f"kubectl get dynamographdeployment {name} -n {ns} -o jsonpath='{{.status}}'",
                    "kubectl logs -n <operator-namespace> deploy/<dynamo-operator> --tail=200"],
            affected=[Affected(ns, "DynamoGraphDeployment", name)],
            evidence=[object_evidence(o["_path"], f"dynamographdeployment/{name} status.state={state} Ready={(ready or {}).get('status')} "
                                      f"reason={reason} message={message[:160]!r}" + (f" {' '.join(others)}" if others else ""),
                          None, o.get("_line"))],
            details={"state": state, "reason": reason, "message": message, "conditions": conds}))
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
            images.setdefault(PodRef.of(c).key, []).append(c["image"] or "")
    for p in ([] if pods.is_empty() else pods.iter_rows(named=True)):
        labels = from_json(p["labels"], {})
        if DGD_LABEL in labels or any("ai-dynamo/" in i and "operator" not in i
                                      for i in images.get(PodRef.of(p).key, [])):
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
            imgs[PodRef.of(c).key].append(c["image"] or "")
        operators = [p for p in ctx.table("pods").iter_rows(named=True) if _is_operator(p, imgs[PodRef.of(p).key])]
    asked = [r for r in manifest_records(ctx) if "dynamographdeployments" in str(r.get("stderr") or "")
             and NO_RESOURCE_TYPE.search(str(r.get("stderr") or ""))]
    if not (users or operators or asked or ctx.objects("DynamoGraphDeployment")):
        return Outcome(note="Dynamo is not in use (no Dynamo pods, operator or graph deployments) and its CRDs are absent")
    out = Outcome(note=f"{len(crds)} CRDs; Dynamo ones: {', '.join(dyn) or 'none'}")
    evidence = [object_evidence(source_path(ctx, "crds") or (crds[0]["_path"] if crds else ""),
                    f"{len(crds)} CustomResourceDefinitions, {DGD_CRD} not among them"
                    + (f" (Dynamo CRDs present: {', '.join(dyn)})" if dyn else ""))]
    evidence += [Evidence("manifest.json", r.get("_line"), f"{' '.join(r.get('argv') or [])[:120]}: {str(r.get('stderr')).strip()[:200]}",
                          None, None, "object") for r in asked[:1]]
    evidence += [pod_evidence(p) for p in (operators or users)[:2]]
    out.findings.append(dynamo_crds.check.finding(
        summary=(f"CRD {DGD_CRD} is not installed but Dynamo is in use "
                 f"({len(users)} Dynamo pod(s), {len(operators)} operator pod(s))"),
        remediation=("Install the Dynamo CRDs (helm install dynamo-crds of the same release as the platform chart) "
                     "before the operator and the graphs; then re-apply the DynamoGraphDeployment."),
        checks=["kubectl get crd | grep -i dynamo", "helm list -A | grep -i dynamo"],
        affected=[PodRef.of(p).affected() for p in (operators or users)[:3]],
        evidence=evidence, details={"dynamo_crds": dyn, "dynamo_pods": len(users), "operator_pods": len(operators)}))
    return out


@check("CHK030", "dynamo-operator", "operator.reconcile_error", "error",
       "Dynamo operator missing or not ready while graphs exist")
def dynamo_operator(ctx: CheckContext) -> Outcome:
    """DynamoGraphDeployments exist but the Dynamo operator (its controller-manager pod, image
    ``ai-dynamo/kubernetes-operator``) is not Running and Ready (``analyzer.state``), or is absent
    from every collected namespace. Nothing then creates or repairs the graphs' pods.

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
        by_pod[PodRef.of(c).key].append(c)
    ops = [p for p in pods.iter_rows(named=True)
           if _is_operator(p, [c["image"] or "" for c in by_pod[PodRef.of(p).key]])]
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
            evidence=[object_evidence(d["_path"], f"dynamographdeployment/{(d.get('metadata') or {}).get('name')}: no operator pod in "
                                      f"namespaces {', '.join(str(n) for n in ctx.facts.get('namespaces') or [])}",
                          None, d.get("_line"))]))
        return out
    if any((sp := ctx.state.pod(p["namespace"], p["name"])) is not None and sp.healthy for p in ops):
        return out
    for p in ops:
        cs = by_pod[PodRef.of(p).key]
        worst = max(cs, key=lambda c: c["restart_count"] or 0) if cs else None
        state = (f"container {worst['name']} {worst['state_reason'] or worst['state']}, {worst['restart_count']} restarts"
                 if worst else f"phase {p['phase']}")
        out.findings.append(f.finding(
            summary=f"Dynamo operator pod {p['name']} is not ready ({state}); {len(dgds)} graph(s) are not reconciled ({names})",
            remediation="Read the operator's (previous) log: missing CRDs, RBAC, etcd/NATS addresses or webhook certificates.",
            checks=[f"kubectl logs {p['name']} -n {p['namespace']} -c manager --previous",
                    f"kubectl describe pod {p['name']} -n {p['namespace']}"],
            affected=[PodRef.of(p, worst["name"] if worst else None).affected()],
            evidence=[object_evidence(p["path"], f"pod/{p['name']} phase={p['phase']} ready={p['ready']} "
                                     + " ".join(f"{c['name']}:ready={c['ready']},restarts={c['restart_count']}" for c in cs),
                          None, p.get("line"))]))
        break
    return out


def dgd_groups(ctx: CheckContext) -> dict[tuple[str, str], list[dict]]:
    """(namespace, graph name) -> its pods (by the operator's graph-name label)."""
    out: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for p in pod_specs(ctx):
        name = labels_of(metadata(p).get("labels")).get(DGD_LABEL)
        if name:
            out[(p["_ns"], name)].append(p)
    return out


# ---------------------------------------------------------------------------------------------
# CHK033


def _tag(image: str) -> str:
    """The version part of an image reference (tag, else digest)."""
    ref = image.split("@", 1)
    last = ref[0].rsplit("/", 1)[-1]
    if ":" in last:
        return last.split(":", 1)[1]
    return ref[1][:19] if len(ref) > 1 else "latest"


@check("CHK033", "dynamo-image-skew", "runtime.config_error", "warning",
       "Pods of one Dynamo graph run different Dynamo versions")
def dynamo_image_skew(ctx: CheckContext) -> Outcome:
    """The containers of one DynamoGraphDeployment's pods (label
    ``nvidia.com/dynamo-graph-deployment-name``) that run a Dynamo image (``.../ai-dynamo/...``)
    carry more than one version tag, e.g. the frontend on ``vllm-runtime:0.6.1`` and the workers
    on ``vllm-runtime:0.7.1``. Frontend and workers exchange model cards and request formats;
    across versions the frontend ignores or misreads workers (``checksum mismatch``,
    ``Failed to deserialize model card``). A rolling update shows the same picture while it runs.
    """
    groups = dgd_groups(ctx)
    if not groups:
        return Outcome(skipped="no pods of a Dynamo graph in the bundle (label nvidia.com/dynamo-graph-deployment-name)")
    out = Outcome(note=f"{len(groups)} Dynamo graph(s) checked")
    for (ns, name), pods in sorted(groups.items()):
        tags: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
        for p in pods:
            for c in containers_of(p):
                image = str(c.get("image") or "")
                if "ai-dynamo/" in image and "operator" not in image:
                    tags[_tag(image)].append((p, c))
        if len(tags) < 2:
            continue
        parts = [f"{t} ({len(v)}: {', '.join(sorted({metadata(p).get('name') for p, _ in v})[:2])})" for t, v in sorted(tags.items())]
        out.findings.append(dynamo_image_skew.check.finding(
            summary=f"DynamoGraphDeployment {name} runs {len(tags)} Dynamo versions: " + "; ".join(parts),
            remediation=("Run one Dynamo release across the graph: set the same image tag for every service in the "
                         "DynamoGraphDeployment and let the rollout finish."),
            checks=[f"kubectl get pods -n {ns} -l {DGD_LABEL}={name} "
                    "-o custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[*].image"],
            affected=[Affected(ns, "DynamoGraphDeployment", name)],
            evidence=[spec_evidence(v[0][0], f"container {v[0][1].get('name')} image={v[0][1].get('image')}")
                      for _, v in sorted(tags.items())][:4],
            details={"versions": {t: sorted({metadata(p).get("name") for p, _ in v}) for t, v in tags.items()}}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK034


@check("CHK034", "dgd-no-pods", "operator.reconcile_error", "error",
       "DynamoGraphDeployment has no pods for some or all of its services")
def dgd_no_pods(ctx: CheckContext) -> Outcome:
    """A DynamoGraphDeployment whose namespace's pods were collected, but no pod carries its
    graph label (``nvidia.com/dynamo-graph-deployment-name``) or name prefix, or a service of its
    ``spec.services`` with replicas above 0 has no pod (label ``nvidia.com/dynamo-component``).
    The operator did not create them: it is down, the CRD or a dependency (Grove, LWS) is
    missing, or creation is refused (quota, admission webhook, unknown RuntimeClass), which the
    ``FailedCreate`` events of its ReplicaSets or PodCliques name (taken as evidence).
    """
    dgds = ctx.objects("DynamoGraphDeployment")
    if not dgds:
        return Outcome(skipped="no DynamoGraphDeployment objects in the bundle")
    pods = ctx.table("pods")
    events = ctx.table("events")
    out = Outcome(note=f"{len(dgds)} DynamoGraphDeployment(s) checked")
    for d in dgds:
        meta, spec = d.get("metadata") or {}, d.get("spec") or {}
        name, ns = meta.get("name"), meta.get("namespace")
        if not collected(ctx, "pods", ns) and (pods.is_empty() or pods.filter(pl.col("namespace") == ns).is_empty()):
            continue
        mine = [] if pods.is_empty() else [
            r for r in pods.filter(pl.col("namespace") == ns).iter_rows(named=True)
            if from_json(r["labels"], {}).get(DGD_LABEL) == name or (r["name"] or "").startswith(f"{name}-")]
        services = spec.get("services") if isinstance(spec.get("services"), dict) else {}
        missing = []
        for svc, body in services.items():
            replicas = (body or {}).get("replicas", 1) if isinstance(body, dict) else 1
            if replicas in (0, "0"):
                continue
            if not any(from_json(r["labels"], {}).get("nvidia.com/dynamo-component") == svc
                       or f"-{svc.lower()}-" in (r["name"] or "") for r in mine):
                missing.append(f"{svc} (replicas {replicas})")
        if mine and not missing:
            continue
        failed = [] if events.is_empty() else events.filter(
            (pl.col("namespace") == ns) & pl.col("reason").is_in(["FailedCreate", "FailedCreatePodSandBox"])
            & pl.col("object_name").fill_null("").str.starts_with(name)).to_dicts()
        what = "no pods at all" if not mine else f"no pods for {', '.join(missing)}"
        out.findings.append(dgd_no_pods.check.finding(
            summary=(f"DynamoGraphDeployment {name} in {ns} has {what}"
                     + (f"; {len(mine)} pod(s) exist for other services" if mine else "")
                     + (f"; {failed[0]['object_kind']} {failed[0]['object_name']}: {failed[0]['message'][:160]}" if failed else "")),
            remediation=("Check the Dynamo operator's log and the graph's events: the operator must be running, the "
                         "CRDs (and Grove/LWS for multi-node) installed, and pod creation allowed (quota, webhooks, "
                         "RuntimeClass)."),
            checks=[f"kubectl describe dynamographdeployment {name} -n {ns}",
                    f"kubectl get events -n {ns} --field-selector reason=FailedCreate",
                    "kubectl logs -n <operator-namespace> deploy/<dynamo-operator> --tail=200"],
            affected=[Affected(ns, "DynamoGraphDeployment", name)],
            evidence=[object_evidence(d["_path"], f"dynamographdeployment/{name} services={', '.join(services) or 'none'}; "
                                      f"pods found: {len(mine)}", None, d.get("_line"))]
            + [Evidence(e["path"], e["line"], f"{e['type']} {e['reason']} {e['object_kind']}/{e['object_name']}: {e['message']}",
                        e["last_time"], None, "events") for e in failed[:2]],
            details={"pods": [r["name"] for r in mine], "missing_services": missing}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK036

_KV_MODE = regex.compile(r"--router-mode[ =]kv\b")
_NO_EVENTS = regex.compile(r"--no-router-kv-events\b|--router-kv-events[ =](?:false|0)\b")
# the flag with which each engine's Dynamo worker publishes KV events
PUBLISH_FLAG = {"vllm": "--kv-events-config", "sglang": "--kv-events-config", "trtllm": "--publish-events-and-metrics"}


@check("CHK036", "kv-events-config", "router.kv_events_missing", "warning",
       "KV-aware router expects KV events the workers do not publish")
def kv_events_config(ctx: CheckContext) -> Outcome:
    """Within one Dynamo graph: the frontend routes with ``--router-mode kv`` (or
    ``DYN_ROUTER_MODE=kv``) and consumes KV events (no ``--no-router-kv-events``,
    ``DYN_ROUTER_USE_KV_EVENTS``/``DYN_USE_KV_EVENTS`` not ``false``), while some workers do not
    publish them: vLLM and SGLang workers without ``--kv-events-config``, TensorRT-LLM workers
    without ``--publish-events-and-metrics``. The router then degrades silently to load-only
    routing (no cache hits); builds from 2026 log it (``KV-event publishing is disabled``), older
    ones print nothing. Releases differ in their defaults, hence a warning.
    """
    groups = dgd_groups(ctx)
    if not groups:
        return Outcome(skipped="no pods of a Dynamo graph in the bundle (label nvidia.com/dynamo-graph-deployment-name)")
    out = Outcome()
    kv_graphs = 0
    for (ns, name), pods in sorted(groups.items()):
        frontends = [(p, c) for p in pods for c in containers_of(p) if is_frontend(c)]
        kv = [(p, c) for p, c in frontends
              if _KV_MODE.search(command_line(c)) or (env_value(c, "DYN_ROUTER_MODE") or "").lower() == "kv"]
        if not kv:
            continue
        kv_graphs += 1
        fp, fc = kv[0]
        off = _NO_EVENTS.search(command_line(fc)) or any(
            (env_value(fc, v) or "").lower() in ("false", "0") for v in ("DYN_ROUTER_USE_KV_EVENTS", "DYN_USE_KV_EVENTS"))
        if off:
            continue
        silent = []
        for p in pods:
            for c in containers_of(p):
                engine = engine_of(c)
                if engine in PUBLISH_FLAG and not regex.search(regex.escape(PUBLISH_FLAG[engine]) + r"\b", command_line(c)):
                    silent.append((p, c, engine))
        if not silent:
            continue
        engines = sorted({e for _, _, e in silent})
        flags = ", ".join(f"{e}: {PUBLISH_FLAG[e]}" for e in engines)
        out.findings.append(kv_events_config.check.finding(
            summary=(f"DynamoGraphDeployment {name}: frontend {metadata(fp).get('name')} routes in KV mode with KV events on, "
                     f"but {len(silent)} worker container(s) do not publish KV events "
                     f"(e.g. {metadata(silent[0][0]).get('name')}, {silent[0][2]} without its flag)"),
            remediation=(f"Start the workers with KV event publishing ({flags}), or run the frontend without KV events "
                         "(--no-router-kv-events, DYN_ROUTER_USE_KV_EVENTS=false) for approximate routing."),
            checks=[f"kubectl get pods -n {ns} -l {DGD_LABEL}={name} -o jsonpath='{{range .items[*]}}{{.metadata.name}} "
                    "{{.spec.containers[0].args}}{{\"\\n\"}}{{end}}'"],
            affected=[Affected(ns, "DynamoGraphDeployment", name)],
            evidence=[spec_evidence(fp, f"container {fc.get('name')}: {command_line(fc)[:160]}")]
            + [spec_evidence(p, f"container {c.get('name')}: {command_line(c)[:160]}") for p, c, _ in silent[:2]],
            details={"frontend": metadata(fp).get("name"), "silent_workers": [metadata(p).get("name") for p, _, _ in silent],
                     "engines": engines}))
    out.note = f"{kv_graphs} graph(s) route in KV mode" if kv_graphs else "no frontend routes in KV mode"
    return out
