"""Every finding gets a ``state``: is it still true when the bundle was collected?

- ``active``: still true at collection time (the object is failing now, or the evidence is
  recent and nothing shows the object healthy since);
- ``recovered``: the object the finding is about is healthy now (the pod got scheduled, its
  image pulled, its volumes mounted, the container runs and is ready and has not failed for
  ``ACTIVE_WINDOW``, the node is Ready, the PVC Bound, the workload available);
- ``past``: the evidence is older than ``ACTIVE_WINDOW`` before the collection time and nothing
  current confirms it; or the object is gone from the bundle (its namespace's pods are listed,
  it is not among them); or the structure contradicts what the line claims (a pattern's
  ``claims``: "namespace X not found" while the bundle holds namespace X, "no nodes available"
  while Ready schedulable nodes are listed): where structure and a log line disagree, the
  structure wins.

Which current state decides depends on what the finding is about (``concern``): a scheduling
failure is over once the pod is bound to a node, an image pull failure once the container has
started, a mount failure once the pod runs; anything else about a pod is over once its
containers run, are ready and have not failed within the window (a container that restarted
five minutes ago is not recovered yet: the failure recurs). Errors a settled, ready pod logs are
judged by their age, unless the operator that reports on its namespace (an OpenShift
ClusterOperator listing it in ``relatedObjects``) says the component is Available and not
Degraded: the structure wins there too. A hardware fault of a node's GPU (fallen off the bus,
uncorrectable ECC) lasts until the node restarts.

An object's own events count as its state where the bundle has no object for it: a failure
before a container starts (scheduling, mount, image pull, a missing Secret) followed by a later
``Started`` (or ``Scheduled``) event of the same object is recovered (``analyzer.state.events``).

Without object state: a finding about an object the bundle does not know (its namespace's pods
were not collected, a pasted log) is judged by its age alone; with no time either, it cannot be
shown old and stays active. A finding that no pattern timed and that is about an object healthy
now is recovered; a check's finding without a time is a fact about the collection-time state
and stays active. Fault-tolerance test results are records of runs, not of one moment: their
findings all stay active.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analyzer.findings import Affected, Finding
from analyzer.library import Library
from analyzer.parse.quantity import human_duration
from analyzer.taxonomy import CATEGORY_LAYER
from analyzer.state.model import ACTIVE_WINDOW, ClusterState, PodState, WorkloadState

ACTIVE, RECOVERED, PAST = "active", "recovered", "past"
STATES = (ACTIVE, RECOVERED, PAST)
Verdict = tuple[str, str]   # (state, why)

# what ends a finding of these categories about a pod
_SCHEDULE = frozenset({"scheduling.insufficient_gpu", "scheduling.insufficient_gpumem",
                       "scheduling.insufficient_gpucores", "scheduling.insufficient_cpu_memory",
                       "scheduling.node_affinity", "scheduling.taint", "cluster.no_gpu_nodes",
                       "cluster.node_not_ready", "hami.webhook_not_applied"})
_PULL = frozenset({"image.pull_auth", "image.not_found", "image.pull_failed", "image.backend_missing"})
_MOUNT = frozenset({"storage.pvc_pending", "storage.mount_failed"})
# a Secret or ConfigMap the pod needs to start: over once the pod runs (it has what it needs)
_START = frozenset({"access.secret_missing"})
_START_CLAIMS = frozenset({"Secret", "ConfigMap"})
# node failures that last until the node restarts (a GPU fallen off the bus stays off)
_UNTIL_NODE_RESTART = frozenset({"gpu.hardware"})
_NODE_HEALTH = frozenset({"cluster.node_not_ready", "cluster.node_restarted"})


def last_time(f: Finding, now: datetime | None = None) -> datetime | None:
    """The newest time of the finding's evidence (``last_seen``, else its evidence lines); a
    metric sample without a time was scraped when the bundle was collected (``now``)."""
    times = [t for t in [f.last_seen, *(e.time for e in f.evidence)] if t is not None]
    if now is not None and any(e.source == "metrics" and e.time is None for e in f.evidence):
        times.append(now)
    return max(times) if times else None


def _ago(now: datetime | None, t: datetime | None) -> str:
    if now is None or t is None:
        return ""
    return f"{human_duration((now - t).total_seconds())} before collection"


def by_time(f: Finding, state: ClusterState, what: str = "") -> Verdict:
    """Recent evidence is active, old evidence is past; without a time it cannot be old."""
    now = state.collected_at
    last = last_time(f, now)
    lead = f"{what}; " if what else ""
    if now is None:
        return ACTIVE, lead + "the bundle records no collection time"
    if last is None:
        return ACTIVE, lead + "the evidence carries no time"
    if now - last <= ACTIVE_WINDOW:
        return ACTIVE, lead + f"last seen {_ago(now, last)}"
    return PAST, lead + f"last seen {_ago(now, last)}; nothing current confirms it"


def contradiction(f: Finding, state: ClusterState, library: Library | None) -> str | None:
    """Why the bundle's structure contradicts what the finding's line claims, or None."""
    p = library.by_id.get(f.rule) if library is not None and f.source == "pattern" else None
    if p is None or not p.claims_absent:
        return None
    if p.claims_absent == "Node":
        ready = state.ready_schedulable_nodes()
        return f"the bundle lists {len(ready)} Ready, schedulable node(s)" if ready else None
    captures = (f.details or {}).get("captures") or {}
    name = next((captures[c] for c in p.claims_name if captures.get(c)), None)
    if not name:
        return None
    namespace = f.namespace if p.claims_absent in ("Secret", "ConfigMap") else None
    if state.has(p.claims_absent, str(name), namespace):
        where = f" in namespace {namespace}" if namespace else ""
        return f"the bundle holds {p.claims_absent} {name}{where}"
    return None


def _pod_verdict(f: Finding, a: Affected, pod: PodState, state: ClusterState, library: Library | None) -> Verdict | None:
    now = state.collected_at
    ctr = pod.container(a.container)
    ctrs = (ctr,) if ctr else pod.containers
    label = f"pod {pod.namespace}/{pod.name}" + (f" container {ctr.name}" if ctr else "")
    if f.category in _SCHEDULE:
        if pod.unscheduled:
            return ACTIVE, f"{label} is still Pending with no node"
        if pod.scheduled:
            return RECOVERED, f"{label} is scheduled on node {pod.node}" if pod.node else f"{label} is {pod.phase}"
        return None
    if f.category in _PULL:
        if any(c.pull_failing for c in ctrs):
            bad = next(c for c in ctrs if c.pull_failing)
            return ACTIVE, f"{label} waits in {bad.waiting_reason}"
        if ctrs and all(c.started_once for c in ctrs):
            return RECOVERED, f"{label}: image pulled, container started"
        return None
    if f.category in _MOUNT and pod.phase in ("Running", "Succeeded"):
        return RECOVERED, f"{label} is {pod.phase}: its volumes are mounted"
    if _needs_to_start(f, library):
        if any(c.start_failing for c in ctrs):
            bad = next(c for c in ctrs if c.start_failing)
            return ACTIVE, f"{label} waits in {bad.waiting_reason}"
        if (ctr.running_ready if ctr else pod.healthy):
            return RECOVERED, f"{label} runs and is ready: it has the Secrets and ConfigMaps it needs"
    if any(c.failing(now) for c in ctrs) or (not ctr and pod.failing(now)):
        bad = next((c for c in ctrs if c.failing(now)), None)
        what = (bad.waiting_reason or ("restarting" if bad.restarts else bad.state)) if bad else (
            "Pending with no node" if pod.unscheduled else pod.phase)
        return ACTIVE, f"{label} is failing now ({what})"
    healthy = ctr.healthy if ctr else pod.healthy
    if not healthy:
        return None
    settled = all(c.settled(now) for c in ctrs if not c.init or not c.healthy)
    last = last_time(f, now)
    start = (ctr.started if ctr else pod.run_start()) or pod.start_time
    previous = bool((f.details or {}).get("previous"))
    if last is None:
        if previous and settled:
            return RECOVERED, f"{label} has run and been ready since {_stamp(start)}; the evidence is from a previous run"
        if f.source == "check" or previous:
            return None
        return RECOVERED, f"{label} is running and ready; the evidence carries no time"
    if start is not None and last <= start:
        if settled:
            return RECOVERED, f"{label} has run and been ready since {_stamp(start)}"
        return ACTIVE, f"{label} runs again but last failed {_ago(now, _last_failure(ctrs))}"
    if settled:
        ops = state.operators_healthy(pod.namespace)
        if ops:
            return RECOVERED, (f"{label} is running and ready, and its operator ({', '.join(ops[:3])}) reports "
                               "it Available and not Degraded")
    return None


def _needs_to_start(f: Finding, library: Library | None) -> bool:
    """A line (not a check of the current objects) says the pod lacks a Secret or ConfigMap it
    needs to start."""
    if f.source != "pattern":
        return False
    if f.category in _START:
        return True
    p = library.by_id.get(f.rule) if library is not None else None
    return p is not None and p.claims_absent in _START_CLAIMS


def _last_failure(ctrs) -> datetime | None:
    times = [c.last_finished for c in ctrs if c.last_finished]
    return max(times) if times else None


def _stamp(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else "its start"


def _workload_verdict(w: WorkloadState) -> Verdict | None:
    if w.healthy is True:
        return RECOVERED, f"{w.kind.lower()} {w.namespace}/{w.name} has {w.ready}/{w.desired} ready"
    if w.healthy is False:
        return ACTIVE, f"{w.kind.lower()} {w.namespace}/{w.name} has {w.ready}/{w.desired} ready"
    return None


def _node_verdict(f: Finding, name: str | None, state: ClusterState) -> Verdict | None:
    now = state.collected_at
    if name is None:
        # a node failure no line placed on a node: over when every node is Ready and settled
        if f.category in _NODE_HEALTH and state.nodes and all(n.settled(now) for n in state.nodes.values()):
            return RECOVERED, f"all {len(state.nodes)} node(s) are Ready"
        return None
    node = state.nodes.get(name)
    if node is None:
        return (PAST, f"node {name} is not in the bundle's node list") if state.nodes else None
    if f.category in _UNTIL_NODE_RESTART:
        last = last_time(f)
        if node.ready is True and node.ready_since and last and node.ready_since > last:
            return RECOVERED, f"node {name} became Ready again at {_stamp(node.ready_since)}, after the fault"
        return ACTIVE, f"node {name} has not restarted since the fault"
    if f.category in _NODE_HEALTH:
        if node.ready is False:
            return ACTIVE, f"node {name} is NotReady ({node.ready_reason or 'no reason'})"
        if node.settled(now):
            return RECOVERED, f"node {name} is Ready" + (f" since {_stamp(node.ready_since)}" if node.ready_since else "")
    return None


def verdict(f: Finding, state: ClusterState, library: Library | None = None) -> Verdict:
    """The state of one finding and why (see the module docstring)."""
    if not state.snapshot:
        return ACTIVE, "test-run results: every finding is part of the run's record"
    why = contradiction(f, state, library)
    if why:
        return PAST, f"contradicted by the bundle: {why}"
    a = f.affected[0] if f.affected else None
    kind = a.kind if a else None
    if kind == "Pod" and a.name:
        pod = state.pod(a.namespace, a.name)
        if pod is None:
            if state.pod_listed(a.namespace):
                return PAST, f"pod {a.namespace}/{a.name} is gone: not among its namespace's pods"
            return _events_verdict(f, state) or by_time(f, state)
        return _pod_verdict(f, a, pod, state, library) or by_time(f, state)
    if kind == "Node" or (a is None and f.category in _NODE_HEALTH):
        return _node_verdict(f, a.name if a else f.node, state) or by_time(f, state)
    if kind == "PersistentVolumeClaim" and a.name:
        phase = state.pvcs.get((a.namespace, a.name))
        if phase == "Bound":
            return RECOVERED, f"PVC {a.namespace}/{a.name} is Bound"
        if phase == "Pending":
            return ACTIVE, f"PVC {a.namespace}/{a.name} is Pending"
        return by_time(f, state)
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job") and a.name:
        w = state.workloads.get((kind, a.namespace, a.name))
        if w is None:
            listed = any(k == kind and ns == a.namespace for k, ns, _ in state.workloads)
            if listed:
                return PAST, f"{kind.lower()} {a.namespace}/{a.name} is gone: not in the bundle"
            return by_time(f, state)
        return _workload_verdict(w) or by_time(f, state)
    return _events_verdict(f, state) or by_time(f, state)


def _events_verdict(f: Finding, state: ClusterState) -> Verdict | None:
    """Recovered when every line behind the finding is an event (a pasted Events row is also read
    as a text line: the same place) followed by one of its object showing it past that stage
    (see ``analyzer.state.events``); None when events do not decide."""
    if not f.evidence or not any(e.source == "events" for e in f.evidence):
        return None
    layer = CATEGORY_LAYER.get(f.category, "")
    after = []
    for e in f.evidence:
        failure = state.events.at.get((e.path, e.line)) if e.line is not None else None
        went_on = state.events.went_on(failure, layer) if failure is not None else None
        if went_on is None:
            return None
        after.append(went_on)
    last = after[-1]
    what = "container started" if last.reason == "Started" else "pod scheduled"
    where = f"{e.path}:{last.line}" if last.line is not None else e.path
    return RECOVERED, f"a later event of the same object says it went on: {last.reason} ({what}, {where})"


def judge_findings(findings: list[Finding], state: ClusterState, library: Library | None = None) -> None:
    """Set ``state`` and ``state_reason`` of every finding that its producer left undecided."""
    for f in findings:
        if f.state is None:
            f.state, f.state_reason = verdict(f, state, library)


def state_counts(findings: list[Finding]) -> dict[str, Any]:
    """How many findings are in each state (for the result's ``bundle`` facts)."""
    return {s: sum(1 for f in findings if f.state == s) for s in STATES}
