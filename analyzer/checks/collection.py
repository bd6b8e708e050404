"""Collection checks: what the collector itself could not read, and target namespaces that do
not exist. The collector's manifest records every command with its exit code and stderr."""

from __future__ import annotations

from collections import defaultdict

import regex

from analyzer.checks.framework import CheckContext, Outcome, check
from analyzer.checks.helpers import NO_RESOURCE_TYPE, collected, manifest_records, object_evidence, source_path
from analyzer.findings import Affected, Evidence


# ---------------------------------------------------------------------------------------------
# CHK027 / CHK028

# stderr of a failed command -> what it means. The first match wins; order matters.
_FORBIDDEN = regex.compile(r"\(Forbidden\)|is forbidden: User|forbidden: User")
_UNREACHABLE = regex.compile(r"Unable to connect to the server|The connection to the server .* was refused|"
                             r"dial tcp [^ ]+:(?:443|6443): (?:i/o timeout|connect: connection refused)|"
                             r"couldn't get current server API group list|^timed out after")
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
    if NO_RESOURCE_TYPE.search(stderr):
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
        types = sorted({m[1] for r in rs for m in [NO_RESOURCE_TYPE.search(str(r.get("stderr")))] if m})
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
                missing[t].append(object_evidence(ns_path, f"namespace {t} is a collector target but not in the Namespace list "
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
                evidence=[object_evidence(o["_path"], f"namespace/{t} status.phase=Terminating", None, o.get("_line"))]))
    return out
