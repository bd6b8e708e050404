"""The built-in structured checks. Each function's docstring is its documentation."""

from __future__ import annotations

import json

import polars as pl
import regex

from analyzer.checks import CheckContext, Outcome, check
from analyzer.findings import Affected, Evidence

HAMI_RESOURCES = ("gpumem", "gpumem_percentage", "gpucores")


def _pod_affected(row: dict, container: str | None = None) -> list[Affected]:
    return [Affected(row.get("namespace"), "Pod", row.get("pod") or row.get("name"), container)]


def _ev(path: str | None, text: str, time=None, line: int | None = None) -> Evidence:
    """Evidence pointing at an object (``line``: where its name stands in the file)."""
    return Evidence(path or "", line, text, time, None, "object")


@check("CHK001", "container-oomkilled", "runtime.oom_killed", "critical",
       "Container killed for exceeding its memory limit (OOMKilled)")
def container_oomkilled(ctx: CheckContext) -> Outcome:
    """A container whose current or last state is ``terminated`` with reason ``OOMKilled``.

    The kernel's OOM killer stopped the process because the container's memory (host RAM, not
    GPU memory) went past its limit. Exit code 137 is SIGKILL.
    """
    c = ctx.table("containers")
    if c.is_empty():
        return Outcome(skipped="no pod status in the bundle (pods JSON or describe)")
    hits = c.filter((pl.col("last_reason") == "OOMKilled") | (pl.col("state_reason") == "OOMKilled"))
    out = Outcome(note=f"{c.height} containers checked")
    for r in hits.iter_rows(named=True):
        limit = json.loads(r["limits"] or "{}").get("memory", "none")
        out.findings.append(container_oomkilled.check.finding(
            summary=(f"Container {r['name']} of pod {r['pod']} was OOMKilled (memory limit {limit}, "
                     f"restarts {r['restart_count']})"),
            remediation=("Raise the container's memory limit (model weights are staged in host RAM "
                         "while loading), or lower what it holds: fewer workers, smaller batch, "
                         "--swap-space 0, a smaller model or quantisation."),
            checks=[f"kubectl describe pod {r['pod']} -n {r['namespace']}",
                    f"kubectl top pod {r['pod']} -n {r['namespace']} --containers"],
            affected=_pod_affected(r, r["name"]),
            evidence=[_ev(r["path"], f"{r['name']}: lastState terminated reason=OOMKilled "
                                     f"exitCode={r['last_exit_code'] if r['last_exit_code'] is not None else r['state_exit_code']} "
                                     f"restartCount={r['restart_count']}", r["last_finished"] or r["state_finished"], r["line"])],
            count=max(1, r["restart_count"] or 1), first_seen=r["last_finished"] or r["state_finished"],
            last_seen=r["last_finished"] or r["state_finished"],
            details={"memory_limit": limit, "restart_count": r["restart_count"]}))
    return out


_EXIT_MEANING = {1: "application error", 2: "misuse of shell builtins / bad arguments",
                 126: "command not executable", 127: "command not found", 134: "SIGABRT (abort)",
                 137: "SIGKILL (OOM or killed)", 139: "SIGSEGV (segfault)", 143: "SIGTERM"}


@check("CHK002", "container-crashloop", "runtime.crashloop", "error",
       "Container restarting repeatedly (CrashLoopBackOff)")
def container_crashloop(ctx: CheckContext) -> Outcome:
    """A container waiting in ``CrashLoopBackOff``, or restarted 3 times or more.

    On its own it names no cause: the previous log and the last exit code do. Other findings on
    the same pod (CUDA OOM, model access, OOMKilled) take it as their symptom.
    """
    c = ctx.table("containers")
    if c.is_empty():
        return Outcome(skipped="no pod status in the bundle (pods JSON or describe)")
    hits = c.filter((pl.col("state_reason") == "CrashLoopBackOff") | (pl.col("restart_count") >= 3))
    hits = hits.filter(pl.col("last_reason").fill_null("") != "OOMKilled")
    out = Outcome(note=f"{c.height} containers checked")
    for r in hits.iter_rows(named=True):
        code = r["last_exit_code"]
        meaning = f" ({_EXIT_MEANING[code]})" if code in _EXIT_MEANING else ""
        category = "runtime.config_error" if code in (126, 127) else None
        severity = None
        component = _control_plane(r["pod"], r["name"])
        if component:
            # the control plane itself is down: every worker that needs it fails after it
            category, severity = f"control_plane.{component}", "critical"
        out.findings.append(container_crashloop.check.finding(
            category=category, severity=severity,
            summary=(f"Container {r['name']} of pod {r['pod']} restarted {r['restart_count']} times; "
                     f"state {r['state_reason'] or r['state']}, last exit code {code}{meaning}"),
            remediation=("Read the previous container log for the error that ended it; the exit "
                         "code and last state narrow it down."),
            checks=[f"kubectl logs {r['pod']} -n {r['namespace']} -c {r['name']} --previous",
                    f"kubectl describe pod {r['pod']} -n {r['namespace']}"],
            affected=_pod_affected(r, r["name"]),
            evidence=[_ev(r["path"], f"{r['name']}: state={r['state_reason'] or r['state']} "
                                     f"lastState={r['last_reason']} exitCode={code} "
                                     f"restartCount={r['restart_count']}", r["last_finished"], r["line"])],
            count=max(1, r["restart_count"] or 1), first_seen=r["last_started"], last_seen=r["last_finished"],
            details={"exit_code": code, "restart_count": r["restart_count"]}))
    return out


def _control_plane(pod: str | None, container: str | None) -> str | None:
    """'etcd' or 'nats' when the container is the Dynamo control plane's etcd or NATS."""
    for name in (container or "", pod or ""):
        for component in ("etcd", "nats"):
            if regex.search(rf"(?:^|[-_]){component}(?:$|[-_])", name):
                return component
    return None


@check("CHK003", "pvc-pending", "storage.pvc_pending", "critical", "PersistentVolumeClaim stuck Pending")
def pvc_pending(ctx: CheckContext) -> Outcome:
    """A PVC whose ``status.phase`` is ``Pending``: no volume bound, so pods using it cannot start."""
    pvcs = ctx.objects("PersistentVolumeClaim")
    if not pvcs:
        return Outcome(skipped="no PersistentVolumeClaims in the bundle")
    classes = {o.get("metadata", {}).get("name") for o in ctx.objects("StorageClass")}
    out = Outcome(note=f"{len(pvcs)} PVCs checked")
    for o in pvcs:
        phase = (o.get("status") or {}).get("phase")
        if phase != "Pending":
            continue
        meta, spec = o.get("metadata") or {}, o.get("spec") or {}
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
            evidence=[_ev(o["_path"], f"persistentvolumeclaim/{meta.get('name')} phase=Pending "
                                      f"storageClassName={sc}", None, o["_line"])],
            details={"storage_class": sc}))
    return out


@check("CHK004", "node-not-ready", "cluster.node_not_ready", "error", "Node NotReady")
def node_not_ready(ctx: CheckContext) -> Outcome:
    """A node whose ``Ready`` condition is not ``True``: its pods are evicted or stuck."""
    nodes = ctx.table("nodes")
    if nodes.is_empty():
        return Outcome(skipped="no nodes in the bundle")
    out = Outcome(note=f"{nodes.height} nodes checked")
    for r in nodes.filter(pl.col("ready") == False).iter_rows(named=True):  # noqa: E712
        out.findings.append(node_not_ready.check.finding(
            summary=f"Node {r['name']} is NotReady ({r['ready_reason'] or 'no reason given'})",
            remediation="Check the kubelet and container runtime on the node; drain it if it stays NotReady.",
            checks=[f"kubectl describe node {r['name']}"],
            affected=[Affected(None, "Node", r["name"])], node=r["name"],
            evidence=[_ev(r["path"], f"node/{r['name']} Ready={r['ready']} reason={r['ready_reason']} "
                                     f"taints={r['taints']}", None, r["line"])]))
    return out


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
            seen.add((r["namespace"], r["name"]))
            out.findings.append(hami_scheduler_name.check.finding(
                summary=(f"Pod {r['name']} requests HAMi resources (gpumem={r['gpumem']}, "
                         f"gpucores={r['gpucores']}) but schedulerName is default-scheduler"),
                remediation=("Make the HAMi webhook mutate this pod: check the "
                             "MutatingWebhookConfiguration (vgpu.hami.io) exists and its namespace/"
                             "object selectors match, the hami-scheduler pod and its webhook service "
                             "are up, and the pod is not privileged (HAMi skips privileged pods)."),
                checks=["kubectl get mutatingwebhookconfigurations | grep -i hami",
                        f"kubectl get pod {r['name']} -n {r['namespace']} -o jsonpath='{{.spec.schedulerName}}'"],
                affected=[Affected(r["namespace"], "Pod", r["name"])], node=r["node"],
                evidence=[_ev(r["path"], f"pod/{r['name']} schedulerName=default-scheduler "
                                         f"nvidia.com/gpumem={r['gpumem']} nvidia.com/gpucores={r['gpucores']}", None, r["line"])]))
    if not events.is_empty():
        ev = events.filter((pl.col("reason") == "FailedScheduling") & (pl.col("component") == "default-scheduler")
                           & pl.col("message").str.contains(r"Insufficient nvidia\.com/(?:gpumem|gpucores)"))
        for r in ev.iter_rows(named=True):
            key = (r["namespace"], r["object_name"])
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
                affected=[Affected(r["namespace"], "Pod", r["object_name"])],
                evidence=[Evidence(r["path"], r["line"], f"{r['type']} {r['reason']} {r['component']}: {r['message']}",
                                   r["last_time"], None, "events")],
                count=r["count"] or 1, first_seen=r["first_time"], last_seen=r["last_time"]))
    if pods.is_empty() and events.is_empty():
        out.skipped = "no pods or events in the bundle"
    return out


@check("CHK006", "secret-missing", "access.secret_missing", "critical",
       "Pod references a Secret that does not exist")
def secret_missing(ctx: CheckContext) -> Outcome:
    """A container references a Secret (env ``secretKeyRef``, ``envFrom``, a secret volume) that
    is absent from its namespace's Secret list, or a key the Secret does not have.

    Only namespaces whose Secret list (names and key names) is in the bundle are checked.
    """
    containers = ctx.table("containers")
    secrets = ctx.objects("Secret")
    listed = {p.rsplit("/", 2)[-2] for p in ctx.table("files").filter(
        pl.col("source") == "secrets").get_column("path").to_list()} if ctx.has_source("secrets") else set()
    if containers.is_empty() or not listed:
        return Outcome(skipped="no Secret list (names and keys) in the bundle")
    keys: dict[tuple[str, str], set[str]] = {}
    for s in secrets:
        meta = s.get("metadata") or {}
        keys[(meta.get("namespace"), meta.get("name"))] = set((s.get("data") or {}) | (s.get("stringData") or {}))
    out = Outcome(note=f"secret references in {len(listed)} namespace(s) checked")
    for r in containers.filter(pl.col("namespace").is_in(sorted(listed))).iter_rows(named=True):
        for ref in json.loads(r["secret_refs"] or "[]"):
            name, _, key = ref.partition("/")
            have = keys.get((r["namespace"], name))
            if have is not None and (not key or key in have):
                continue
            problem = f"Secret {name!r} not found" if have is None else f"Secret {name!r} has no key {key!r}"
            out.findings.append(secret_missing.check.finding(
                summary=f"Pod {r['pod']} (container {r['name']}): {problem} in namespace {r['namespace']}",
                remediation=f"Create the Secret {name} in {r['namespace']} (with key {key or '...'}), or fix the reference.",
                checks=[f"kubectl get secret {name} -n {r['namespace']} -o jsonpath='{{.data}}' | jq 'keys'"],
                affected=_pod_affected(r, r["name"]),
                evidence=[_ev(r["path"], f"{r['pod']}/{r['name']} references secret {ref}; {problem}", None, r["line"])],
                details={"secret": name, "key": key or None}))
    return out


from analyzer.checks import hami  # noqa: E402,F401  (registers CHK010-CHK013, CHK016, CHK017)
from analyzer.checks import workloads  # noqa: E402,F401  (registers CHK014, CHK015, CHK018, CHK019)
from analyzer.checks import platform  # noqa: E402,F401  (registers CHK020-CHK030)
from analyzer.checks import serving  # noqa: E402,F401  (registers CHK031-CHK036)
