"""The cluster as it was when the bundle was collected: one model of every pod, container, node,
namespace, PVC and workload, built once from the parsed tables (``build_state``).

Checks, the diagnosis and the reports read current state here instead of each working it out
again from table rows: whether a pod is scheduled, a container crash-looping now or restarted
and running again, a node Ready, a PVC Bound, a Deployment available. Objects are keyed by
identity (a pod by namespace and name, a node by name), so an object that a bundle lists twice
(a must-gather lists each pod in its namespace's list and in its own file; a Longhorn ``Node``
custom resource shares its Kubernetes node's name) is one object here: the most complete record
of it wins.

``ACTIVE_WINDOW`` is how long before the collection time a failure still counts as current:
15 minutes, three times the kubelet's longest crash back-off (5 minutes), so a failure that is
still recurring shows again within it, and a container that last failed longer ago than that
and runs now has settled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

import polars as pl

from analyzer.state.events import EventLog
from analyzer.parse.quantity import parse_time
from analyzer.tables import object_bodies

ACTIVE_WINDOW = timedelta(minutes=15)

# waiting reasons of a container whose image cannot be pulled
PULL_WAITING = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
                          "RegistryUnavailable", "SignatureValidationFailed"})
# waiting reasons of a container that cannot be created or started (a missing Secret or
# ConfigMap, a bad command, a failing hook)
START_WAITING = frozenset({"CreateContainerConfigError", "CreateContainerError", "RunContainerError",
                           "ContainerCannotRun", "PreStartHookError", "PostStartHookError"})
# the reasons kubelet gives a container it lost track of: the node or its runtime restarted
# under it (exit code 255 goes with them)
LOST_REASONS = frozenset({"Unknown", "ContainerStatusUnknown"})
LOST_EXIT_CODE = 255
# how often a container must have restarted before restarts are a finding of their own
RESTARTS_WORTH_REPORTING = 3
# containers of one node ending within this many seconds ended together
SAME_INSTANT = timedelta(seconds=10)
DONE_PHASES = ("Succeeded", "Failed")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


def unscheduled(row: dict[str, Any]) -> bool:
    """A Pending pod (a ``pods`` row) that no node was assigned to yet."""
    return row.get("phase") == "Pending" and (row.get("node") or "<none>") in ("<none>", "")


def _recent(t: datetime | None, now: datetime | None) -> bool:
    """``t`` lies within ``ACTIVE_WINDOW`` of ``now`` (True when either time is unknown)."""
    return t is None or now is None or now - t <= ACTIVE_WINDOW


@dataclass(frozen=True)
class ContainerState:
    """One container as its pod's status showed it at collection time."""

    namespace: str | None
    pod: str
    name: str
    init: bool = False
    image: str | None = None
    ready: bool | None = None
    restarts: int = 0
    state: str | None = None          # running | waiting | terminated
    reason: str | None = None
    message: str | None = None
    exit_code: int | None = None
    started: datetime | None = None
    finished: datetime | None = None
    last_state: str | None = None
    last_reason: str | None = None
    last_message: str | None = None
    last_exit_code: int | None = None
    last_started: datetime | None = None
    last_finished: datetime | None = None
    path: str = ""
    line: int | None = None

    @property
    def waiting_reason(self) -> str | None:
        return self.reason if self.state == "waiting" else None

    @property
    def pull_failing(self) -> bool:
        """Waiting because its image cannot be pulled."""
        return self.waiting_reason in PULL_WAITING

    @property
    def start_failing(self) -> bool:
        """Waiting because it cannot be created or started."""
        return self.waiting_reason in START_WAITING

    @property
    def started_once(self) -> bool:
        """It ran at some point: running, terminated, or restarted before."""
        return self.state in ("running", "terminated") or self.restarts > 0 or self.last_state is not None

    @property
    def last_clean(self) -> bool:
        """Its last run ended by itself with exit code 0 (``Completed``)."""
        return self.last_exit_code == 0 or (self.last_exit_code is None and self.last_reason == "Completed")

    @property
    def last_lost(self) -> bool:
        """Its last run ended because the node or container runtime lost it (exit 255 / Unknown)."""
        return self.last_reason in LOST_REASONS or self.last_exit_code == LOST_EXIT_CODE

    @property
    def running_ready(self) -> bool:
        return self.state == "running" and self.ready is not False

    @property
    def healthy(self) -> bool:
        """Running and ready, or (an init container, a Job's) finished with exit code 0."""
        if self.state == "terminated":
            return self.exit_code == 0
        return self.running_ready

    def crash_looping(self, now: datetime | None) -> bool:
        """Crash-looping at ``now``: waiting in ``CrashLoopBackOff``; or it restarted and its last
        run failed within ``ACTIVE_WINDOW`` while it is not ready; or it restarted
        ``RESTARTS_WORTH_REPORTING`` times or more and failed again within the window (ready or
        not: the failure recurs). Clean exits (exit 0) count only when it is in back-off."""
        if self.waiting_reason == "CrashLoopBackOff":
            return True
        if self.restarts < 1 or self.last_state != "terminated" or self.last_clean:
            return False
        if not _recent(self.last_finished, now):
            return False
        return self.ready is False or self.restarts >= RESTARTS_WORTH_REPORTING

    def failing(self, now: datetime | None) -> bool:
        """Not doing its job at ``now``: crash-looping, or unable to pull, create or start."""
        return self.crash_looping(now) or self.pull_failing or self.start_failing or (
            self.state == "terminated" and self.exit_code not in (0, None) and not self.init)

    def settled(self, now: datetime | None) -> bool:
        """Healthy, and its last failure (if any) ended longer than ``ACTIVE_WINDOW`` before ``now``."""
        if not self.healthy:
            return False
        return self.last_finished is None or (now is not None and now - self.last_finished > ACTIVE_WINDOW)


@dataclass(frozen=True)
class PodState:
    """One pod at collection time, with its containers."""

    namespace: str | None
    name: str
    phase: str | None = None
    reason: str | None = None
    node: str | None = None
    ready: bool | None = None
    start_time: datetime | None = None
    ready_since: datetime | None = None
    scheduled_at: datetime | None = None
    owner_kind: str | None = None
    owner_name: str | None = None
    containers: tuple[ContainerState, ...] = ()
    path: str = ""
    line: int | None = None

    @property
    def key(self) -> tuple[str | None, str]:
        return self.namespace, self.name

    @property
    def unscheduled(self) -> bool:
        return unscheduled({"phase": self.phase, "node": self.node})

    @property
    def scheduled(self) -> bool:
        return bool(self.node) or self.phase in ("Running", *DONE_PHASES)

    @property
    def app_containers(self) -> tuple[ContainerState, ...]:
        return tuple(c for c in self.containers if not c.init)

    def container(self, name: str | None) -> ContainerState | None:
        return next((c for c in self.containers if c.name == name), None) if name else None

    @property
    def healthy(self) -> bool:
        """Succeeded, or Running with every app container running and ready."""
        if self.phase == "Succeeded":
            return True
        if self.phase != "Running" or self.ready is False:
            return False
        return all(c.running_ready for c in self.app_containers)

    def failing(self, now: datetime | None) -> bool:
        """Unscheduled, Failed, or a container failing at ``now``."""
        return self.unscheduled or self.phase == "Failed" or any(c.failing(now) for c in self.containers)

    def run_start(self) -> datetime | None:
        """When the current run of its app containers began (the latest start among them)."""
        starts = [c.started for c in self.app_containers if c.started]
        return max(starts) if starts else self.start_time


@dataclass(frozen=True)
class NodeState:
    """One node at collection time."""

    name: str
    ready: bool | None = None
    ready_reason: str | None = None
    ready_since: datetime | None = None
    heartbeat: datetime | None = None
    unschedulable: bool = False
    path: str = ""
    line: int | None = None

    @property
    def schedulable(self) -> bool:
        """Ready and not cordoned: the scheduler can place pods on it."""
        return self.ready is True and not self.unschedulable

    def settled(self, now: datetime | None) -> bool:
        """Ready, and Ready for longer than ``ACTIVE_WINDOW`` (when the bundle says since when)."""
        if self.ready is not True:
            return False
        return self.ready_since is None or now is None or now - self.ready_since > ACTIVE_WINDOW


@dataclass(frozen=True)
class WorkloadState:
    """A Deployment, StatefulSet, DaemonSet, ReplicaSet or Job: does it have what it wants?"""

    kind: str
    namespace: str | None
    name: str
    desired: int | None
    ready: int | None
    healthy: bool | None      # None: its status does not say
    path: str = ""
    line: int | None = None


@dataclass(frozen=True)
class NodeRestart:
    """Containers of one node that all ended at one instant with exit 255 / ``Unknown``: the node
    or its container runtime restarted under them."""

    node: str
    time: datetime
    containers: tuple[ContainerState, ...]

    @property
    def pods(self) -> list[tuple[str | None, str]]:
        return sorted({(c.namespace, c.pod) for c in self.containers}, key=str)


@dataclass
class ClusterState:
    """What every object was at ``collected_at`` (see the module docstring)."""

    collected_at: datetime | None = None
    collected_at_source: str | None = None
    snapshot: bool = True           # False for test-run records (fault-tolerance results)
    pods: dict[tuple[str | None, str], PodState] = field(default_factory=dict)
    nodes: dict[str, NodeState] = field(default_factory=dict)
    namespaces: dict[str, str | None] = field(default_factory=dict)   # name -> phase
    pvcs: dict[tuple[str | None, str], str | None] = field(default_factory=dict)  # -> phase
    workloads: dict[tuple[str, str | None, str], WorkloadState] = field(default_factory=dict)
    # kind -> namespace (None: cluster-scoped) -> names of the other objects in the bundle; a
    # CustomResourceDefinition is also known by its kind, plural and singular
    names: dict[str, dict[str | None, set[str]]] = field(default_factory=dict)
    # pod placement of the pods table, for what only knows a pod by name
    pod_nodes: dict[tuple[str | None, str], str] = field(default_factory=dict)
    # namespace -> the operators that report on the components in it (OpenShift ClusterOperators,
    # by their status.relatedObjects), each as (name, healthy: Available and not Degraded)
    operators: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    # the events by place and what each object went on to do (``analyzer.state.events``)
    events: EventLog = field(default_factory=EventLog)

    def pod(self, namespace: str | None, name: str | None) -> PodState | None:
        return self.pods.get((namespace, name)) if name else None

    def pod_listed(self, namespace: str | None) -> bool:
        """The bundle holds the pods of this namespace (so a pod missing from it is gone)."""
        listed = self.__dict__.get("_pod_namespaces")
        if listed is None:
            listed = self.__dict__["_pod_namespaces"] = {ns for ns, _ in self.pods}
        return namespace in listed

    def has(self, kind: str, name: str, namespace: str | None = None) -> bool | None:
        """Whether the bundle holds an object of ``kind`` named ``name`` (in ``namespace`` when
        given and its list of that kind is in the bundle, else in any namespace); None when the
        bundle holds no object of that kind at all (it cannot tell)."""
        if kind == "Namespace":
            return (name in self.namespaces) if self.namespaces else None
        by_ns = self.names.get(kind)
        if not by_ns:
            return None
        if namespace is not None and namespace in by_ns:
            return name in by_ns[namespace]
        return any(name in names for names in by_ns.values())

    def operators_healthy(self, namespace: str | None) -> list[str]:
        """The operators reporting on ``namespace``, when there are some and every one of them
        reports Available and not Degraded; [] otherwise."""
        ops = self.operators.get(namespace or "", [])
        return [name for name, _ in ops] if ops and all(ok for _, ok in ops) else []

    def containers(self) -> Iterable[ContainerState]:
        for p in self.pods.values():
            yield from p.containers

    def ready_schedulable_nodes(self) -> list[NodeState]:
        return [n for n in self.nodes.values() if n.schedulable]

    def node_restarts(self) -> list[NodeRestart]:
        """Every instant at which containers of two or more pods of one node ended together with
        exit code 255 or reason ``Unknown`` (within ``SAME_INSTANT``): one per node and instant."""
        cached = self.__dict__.get("_node_restarts")
        if cached is None:
            cached = self.__dict__["_node_restarts"] = self._node_restarts()
        return cached

    def _node_restarts(self) -> list[NodeRestart]:
        lost: dict[str, list[ContainerState]] = {}
        for p in self.pods.values():
            if not p.node:
                continue
            for c in p.containers:
                if c.last_lost and c.last_finished is not None:
                    lost.setdefault(p.node, []).append(c)
        out: list[NodeRestart] = []
        for node, cs in sorted(lost.items()):
            cs.sort(key=lambda c: (c.last_finished, c.namespace or "", c.pod, c.name))
            group: list[ContainerState] = []
            for c in cs + [None]:  # type: ignore[list-item]
                if c is not None and group and c.last_finished - group[0].last_finished <= SAME_INSTANT:
                    group.append(c)
                    continue
                if len({(g.namespace, g.pod) for g in group}) >= 2:
                    out.append(NodeRestart(node, max(g.last_finished for g in group), tuple(group)))  # type: ignore[arg-type]
                group = [c] if c is not None else []
        return out

    def summary(self) -> dict[str, Any]:
        """The cluster at collection time in numbers, for the reports: pods and how many are
        failing now (crash-looping, unscheduled, failed), nodes and how many are Ready."""
        now = self.collected_at
        failing = sorted(f"{p.namespace}/{p.name}" for p in self.pods.values() if p.failing(now))
        return {"pods": len(self.pods), "pods_failing": len(failing), "failing": failing[:20],
                "nodes": len(self.nodes), "nodes_ready": sum(1 for n in self.nodes.values() if n.ready is True),
                "node_restarts": len(self.node_restarts())}

    def restarted_by_node(self) -> set[tuple[str | None, str, str]]:
        """(namespace, pod, container) of every container whose last run a node restart ended."""
        return {(c.namespace, c.pod, c.name) for r in self.node_restarts() for c in r.containers}


# --------------------------------------------------------------------------- building it

def _best(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, Any]:
    """The most complete of several records of one object: JSON over describe, then the one
    with the most of ``keys`` filled in (first wins ties)."""
    return max(rows, key=lambda r: (r.get("origin") != "describe", sum(r.get(k) is not None for k in keys)))


def _container(r: dict[str, Any]) -> ContainerState:
    return ContainerState(
        namespace=r.get("namespace"), pod=r.get("pod") or "", name=r.get("name") or "", init=bool(r.get("init")),
        image=r.get("image"), ready=r.get("ready"), restarts=int(r.get("restart_count") or 0),
        state=r.get("state"), reason=r.get("state_reason"), message=r.get("state_message"),
        exit_code=r.get("state_exit_code"), started=r.get("state_started"), finished=r.get("state_finished"),
        last_state=r.get("last_state"), last_reason=r.get("last_reason"), last_message=r.get("last_message"),
        last_exit_code=r.get("last_exit_code"), last_started=r.get("last_started"),
        last_finished=r.get("last_finished"), path=r.get("path") or "", line=r.get("line"))


_POD_KEYS = ("phase", "node", "ready", "start_time", "ready_since", "uid")
_CONTAINER_KEYS = ("state", "ready", "restart_count", "state_started", "last_state")
_NODE_KEYS = ("ready", "ready_since", "heartbeat", "kubelet_version", "capacity")


def _pods(tables: dict[str, pl.DataFrame]) -> dict[tuple[str | None, str], PodState]:
    pods_df, ctr_df = tables.get("pods"), tables.get("containers")
    by_pod: dict[tuple, dict[tuple, list[dict]]] = {}
    if ctr_df is not None and not ctr_df.is_empty():
        for r in ctr_df.iter_rows(named=True):
            by_pod.setdefault((r["namespace"], r["pod"]), {}).setdefault((r["name"], bool(r["init"])), []).append(r)
    rows: dict[tuple, list[dict]] = {}
    if pods_df is not None and not pods_df.is_empty():
        for r in pods_df.iter_rows(named=True):
            if r.get("name"):
                rows.setdefault((r["namespace"], r["name"]), []).append(r)
    out: dict[tuple[str | None, str], PodState] = {}
    for key, records in rows.items():
        r = _best(records, _POD_KEYS)
        containers = tuple(_container(_best(cs, _CONTAINER_KEYS)) for cs in by_pod.get(key, {}).values())
        out[key] = PodState(
            namespace=key[0], name=key[1], phase=r.get("phase"), reason=r.get("reason"), node=r.get("node"),
            ready=r.get("ready"), start_time=r.get("start_time"), ready_since=r.get("ready_since"),
            scheduled_at=r.get("scheduled_at"), owner_kind=r.get("owner_kind"), owner_name=r.get("owner_name"),
            containers=containers, path=r.get("path") or "", line=r.get("line"))
    return out


def _nodes(tables: dict[str, pl.DataFrame]) -> dict[str, NodeState]:
    df = tables.get("nodes")
    rows: dict[str, list[dict]] = {}
    if df is not None and not df.is_empty():
        for r in df.iter_rows(named=True):
            if r.get("name"):
                rows.setdefault(r["name"], []).append(r)
    out = {}
    for name, records in rows.items():
        r = _best(records, _NODE_KEYS)
        out[name] = NodeState(name=name, ready=r.get("ready"), ready_reason=r.get("ready_reason"),
                              ready_since=r.get("ready_since"), heartbeat=r.get("heartbeat"),
                              unschedulable=bool(r.get("unschedulable")), path=r.get("path") or "", line=r.get("line"))
    return out


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def workload_state(obj: dict[str, Any]) -> WorkloadState:
    """What a workload object's status says about it (``healthy`` None when it does not say)."""
    kind, meta = obj.get("kind") or "", obj.get("metadata") or {}
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    desired, ready, healthy = None, None, None
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        desired = _int(spec.get("replicas"))
        desired = 1 if desired is None and "replicas" not in spec else desired
        ready = _int(status.get("readyReplicas")) or 0
        available = _int(status.get("availableReplicas"))
        unavailable = _int(status.get("unavailableReplicas")) or 0
        if desired is not None and status:
            healthy = ready >= desired and unavailable == 0 and (available is None or available >= desired)
    elif kind == "DaemonSet":
        desired, ready = _int(status.get("desiredNumberScheduled")), _int(status.get("numberReady"))
        if desired is not None and ready is not None:
            healthy = ready >= desired and not _int(status.get("numberUnavailable"))
    elif kind == "Job":
        conds = {c.get("type"): c.get("status") for c in status.get("conditions") or [] if isinstance(c, dict)}
        healthy = True if conds.get("Complete") == "True" else False if conds.get("Failed") == "True" else None
        desired, ready = _int(spec.get("completions")), _int(status.get("succeeded"))
    return WorkloadState(kind, meta.get("namespace"), meta.get("name") or "", desired, ready, healthy,
                         obj.get("_path") or "", obj.get("_line"))


def build_state(tables: dict[str, pl.DataFrame], facts: dict[str, Any], snapshot: bool = True) -> ClusterState:
    """The model of the bundle's cluster at its collection time (``facts["collected_at"]``)."""
    objects = tables.get("objects")
    state = ClusterState(collected_at=parse_time(facts.get("collected_at")),
                         collected_at_source=facts.get("collected_at_source"), snapshot=snapshot,
                         pods=_pods(tables), nodes=_nodes(tables))
    state.pod_nodes = {k: p.node for k, p in state.pods.items() if p.node}
    state.events = EventLog.of(tables.get("events"))
    for ns in object_bodies(objects, "Namespace"):
        meta = ns.get("metadata") or {}
        if meta.get("name"):
            state.namespaces[meta["name"]] = (ns.get("status") or {}).get("phase")
    if objects is None or objects.is_empty():
        return state
    for kind, ns, name in objects.select("kind", "namespace", "name").iter_rows():
        if kind and name:
            state.names.setdefault(kind, {}).setdefault(ns, set()).add(name)
    for pvc in object_bodies(objects, "PersistentVolumeClaim"):
        meta = pvc.get("metadata") or {}
        state.pvcs[(meta.get("namespace"), meta.get("name"))] = (pvc.get("status") or {}).get("phase")
    for kind in WORKLOAD_KINDS:
        for obj in object_bodies(objects, kind):
            w = workload_state(obj)
            state.workloads[(kind, w.namespace, w.name)] = w
    for co in object_bodies(objects, "ClusterOperator"):
        status = co.get("status") or {}
        conds = {c.get("type"): c.get("status") for c in status.get("conditions") or [] if isinstance(c, dict)}
        healthy = conds.get("Available") == "True" and conds.get("Degraded") != "True"
        name = (co.get("metadata") or {}).get("name") or ""
        for ref in status.get("relatedObjects") or []:
            if isinstance(ref, dict) and ref.get("resource") == "namespaces" and ref.get("name"):
                ops = state.operators.setdefault(ref["name"], [])
                if (name, healthy) not in ops:
                    ops.append((name, healthy))
    crds = state.names.get("CustomResourceDefinition", {}).get(None)
    for crd in object_bodies(objects, "CustomResourceDefinition") if crds is not None else ():
        names = (crd.get("spec") or {}).get("names") or {}
        crds.update(str(v) for k, v in names.items() if k in ("kind", "plural", "singular") and v)
    return state


def describe_container(c: ContainerState) -> str:
    """``state=running ready=True restarts=3 last=Error exit 1 at 2026-...`` for evidence lines."""
    last = (f" last={c.last_reason or c.last_state} exit {c.last_exit_code}"
            + (f" at {c.last_finished.strftime('%Y-%m-%dT%H:%M:%SZ')}" if c.last_finished else "")
            if c.last_state else "")
    return (f"{c.name}: state={c.waiting_reason or c.state} ready={c.ready} restartCount={c.restarts}{last}")


__all__ = ["ACTIVE_WINDOW", "ClusterState", "ContainerState", "NodeRestart", "NodeState", "PodState",
           "WorkloadState", "build_state", "describe_container", "unscheduled", "workload_state"]
