"""Server-side tables (``meta.k8s.io/v1 Table``), the format `kubectl get` asks for.

The API server renders the columns of `kubectl get`; kubectl only hides the columns with
priority > 0 unless ``-o wide``. The cells follow the API server's printers for the kinds that
support engineers look at (pods, nodes, events, workloads, storage, services), a custom
resource's ``additionalPrinterColumns``, and NAME/AGE for everything else. Ages are measured
from the bundle's collection time, so they read as they did on the customer's cluster.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

from analyzer.parse.quantity import human_duration, parse_time
from analyzer.serve.resources import Resource

Obj = dict[str, Any]


class _Ctx:
    def __init__(self, now: datetime):
        self.now = now

    def age(self, value: Any) -> str:
        t = parse_time(value)
        return "<unknown>" if t is None else human_duration((self.now - t).total_seconds())


def _get(obj: Any, *path: str, default: Any = None) -> Any:
    for p in path:
        if not isinstance(obj, dict):
            return default
        obj = obj.get(p)
    return default if obj is None else obj


def _none(v: Any) -> Any:
    return "<none>" if v in (None, "", []) else v


Col = tuple[str, str, int]  # name, type, priority


# --------------------------------------------------------------------------- pods

def pod_status(pod: Obj) -> tuple[str, int, int, int, str | None]:
    """STATUS, ready containers, total containers, restarts and last restart time, as kubectl."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or ""
    init_specs = spec.get("initContainers") or []
    sidecars = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    ready = restarts = 0
    last_restart: str | None = None

    def note_restart(cs: Obj) -> None:
        nonlocal restarts, last_restart
        restarts += int(cs.get("restartCount") or 0)
        fin = _get(cs, "lastState", "terminated", "finishedAt")
        if fin and (last_restart is None or fin > last_restart):
            last_restart = fin

    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        note_restart(cs)
        term, wait = _get(cs, "state", "terminated"), _get(cs, "state", "waiting")
        if term is not None and int(term.get("exitCode") or 0) == 0:
            continue
        if cs.get("name") in sidecars and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term is not None:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode')}"
        elif wait is not None and wait.get("reason") and wait.get("reason") != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    conds = {c.get("type"): c.get("status") for c in status.get("conditions") or [] if isinstance(c, dict)}
    if not initializing or conds.get("Initialized") == "True":
        restarts = 0
        last_restart = None
        for cs in status.get("initContainerStatuses") or []:
            if cs.get("name") in sidecars:
                note_restart(cs)
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            note_restart(cs)
            term, wait = _get(cs, "state", "terminated"), _get(cs, "state", "waiting")
            if wait is not None and wait.get("reason"):
                reason = wait["reason"]
            elif term is not None and term.get("reason"):
                reason = term["reason"]
            elif term is not None:
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode')}"
            elif cs.get("ready") and _get(cs, "state", "running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if conds.get("Ready") == "True" else "NotReady"
    if _get(pod, "metadata", "deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason, ready, total, restarts, last_restart


def _pod(ctx: _Ctx, o: Obj) -> list[Any]:
    reason, ready, total, restarts, last = pod_status(o)
    restarts_cell = f"{restarts} ({ctx.age(last)} ago)" if restarts and last else restarts
    gates = _get(o, "spec", "readinessGates", default=[])
    if gates:
        conds = {c.get("type"): c.get("status") for c in _get(o, "status", "conditions", default=[])}
        gates_cell = f"{sum(1 for g in gates if conds.get(g.get('conditionType')) == 'True')}/{len(gates)}"
    else:
        gates_cell = "<none>"
    return [o["metadata"]["name"], f"{ready}/{total}", reason, restarts_cell,
            ctx.age(_get(o, "metadata", "creationTimestamp")),
            _none(_get(o, "status", "podIP")), _none(_get(o, "spec", "nodeName")),
            _none(_get(o, "status", "nominatedNodeName")), gates_cell]


_POD_COLS: list[Col] = [("Name", "string", 0), ("Ready", "string", 0), ("Status", "string", 0),
                        ("Restarts", "string", 0), ("Age", "string", 0), ("IP", "string", 1),
                        ("Node", "string", 1), ("Nominated Node", "string", 1),
                        ("Readiness Gates", "string", 1)]


# --------------------------------------------------------------------------- nodes

def _node(ctx: _Ctx, o: Obj) -> list[Any]:
    conds = [c for c in _get(o, "status", "conditions", default=[]) if isinstance(c, dict)]
    ready = next((c for c in conds if c.get("type") == "Ready"), None)
    status = ["Unknown"] if ready is None else ["Ready" if ready.get("status") == "True" else "NotReady"]
    if _get(o, "spec", "unschedulable"):
        status.append("SchedulingDisabled")
    labels = _get(o, "metadata", "labels", default={})
    roles = sorted({k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/") and "/" in k}
                   | ({labels["kubernetes.io/role"]} if labels.get("kubernetes.io/role") else set()))
    addrs = _get(o, "status", "addresses", default=[])
    internal = [a.get("address") for a in addrs if a.get("type") == "InternalIP"]
    external = [a.get("address") for a in addrs if a.get("type") == "ExternalIP"]
    info = _get(o, "status", "nodeInfo", default={})
    return [o["metadata"]["name"], ",".join(status), ",".join(r for r in roles if r) or "<none>",
            ctx.age(_get(o, "metadata", "creationTimestamp")), info.get("kubeletVersion", ""),
            internal[0] if internal else "<none>", external[0] if external else "<none>",
            _none(info.get("osImage")), _none(info.get("kernelVersion")), _none(info.get("containerRuntimeVersion"))]


_NODE_COLS: list[Col] = [("Name", "string", 0), ("Status", "string", 0), ("Roles", "string", 0),
                         ("Age", "string", 0), ("Version", "string", 0), ("Internal-IP", "string", 1),
                         ("External-IP", "string", 1), ("OS-Image", "string", 1),
                         ("Kernel-Version", "string", 1), ("Container-Runtime", "string", 1)]


# --------------------------------------------------------------------------- events

def _event(ctx: _Ctx, o: Obj) -> list[Any]:
    first = ctx.age(o.get("firstTimestamp")) if o.get("firstTimestamp") else ctx.age(o.get("eventTime"))
    last = ctx.age(o.get("lastTimestamp")) if o.get("lastTimestamp") else first
    count = o.get("count") or 1
    series = o.get("series")
    if isinstance(series, dict):
        last = ctx.age(series.get("lastObservedTime"))
        count = series.get("count") or count
    inv = o.get("involvedObject") or {}
    target = f"{str(inv.get('kind', '')).lower()}/{inv['name']}" if inv.get("name") else str(inv.get("kind", "")).lower()
    src = o.get("source") or {}
    component = src.get("component") or o.get("reportingController") or ""
    host = src.get("host") or o.get("reportingInstance") or ""
    source = f"{component}, {host}" if component and host else component or host
    return [last, o.get("type", ""), o.get("reason", ""), target, inv.get("fieldPath", ""), source,
            str(o.get("message", "")).strip(), first, int(count), o["metadata"]["name"]]


_EVENT_COLS: list[Col] = [("Last Seen", "string", 0), ("Type", "string", 0), ("Reason", "string", 0),
                          ("Object", "string", 0), ("Subobject", "string", 1), ("Source", "string", 1),
                          ("Message", "string", 0), ("First Seen", "string", 1), ("Count", "integer", 1),
                          ("Name", "string", 1)]


# --------------------------------------------------------------------------- other built-ins

def _images(o: Obj) -> tuple[str, str]:
    cs = _get(o, "spec", "template", "spec", "containers", default=[])
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


def _selector(sel: Any) -> str:
    if not isinstance(sel, dict) or not sel:
        return "<none>"
    labels = sel.get("matchLabels", sel if "matchExpressions" not in sel else {})
    parts = [f"{k}={v}" for k, v in sorted(labels.items()) if isinstance(v, str)]
    for e in sel.get("matchExpressions") or []:
        parts.append(f"{e.get('key')} {str(e.get('operator', '')).lower()} ({','.join(e.get('values') or [])})")
    return ",".join(parts) or "<none>"


def _deployment(ctx: _Ctx, o: Obj) -> list[Any]:
    st = o.get("status") or {}
    names, images = _images(o)
    return [o["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{_get(o, 'spec', 'replicas', default=1)}",
            st.get("updatedReplicas", 0), st.get("availableReplicas", 0),
            ctx.age(_get(o, "metadata", "creationTimestamp")), names, images, _selector(_get(o, "spec", "selector"))]


def _statefulset(ctx: _Ctx, o: Obj) -> list[Any]:
    names, images = _images(o)
    return [o["metadata"]["name"], f"{_get(o, 'status', 'readyReplicas', default=0)}/{_get(o, 'spec', 'replicas', default=1)}",
            ctx.age(_get(o, "metadata", "creationTimestamp")), names, images]


def _daemonset(ctx: _Ctx, o: Obj) -> list[Any]:
    st = o.get("status") or {}
    names, images = _images(o)
    sel = _get(o, "spec", "template", "spec", "nodeSelector", default={})
    return [o["metadata"]["name"], st.get("desiredNumberScheduled", 0), st.get("currentNumberScheduled", 0),
            st.get("numberReady", 0), st.get("updatedNumberScheduled", 0), st.get("numberAvailable", 0),
            ",".join(f"{k}={v}" for k, v in sorted(sel.items())) or "<none>",
            ctx.age(_get(o, "metadata", "creationTimestamp")), names, images, _selector(_get(o, "spec", "selector"))]


def _replicaset(ctx: _Ctx, o: Obj) -> list[Any]:
    st = o.get("status") or {}
    names, images = _images(o)
    return [o["metadata"]["name"], _get(o, "spec", "replicas", default=0), st.get("replicas", 0),
            st.get("readyReplicas", 0), ctx.age(_get(o, "metadata", "creationTimestamp")), names, images,
            _selector(_get(o, "spec", "selector"))]


def _job(ctx: _Ctx, o: Obj) -> list[Any]:
    st = o.get("status") or {}
    conds = {c.get("type"): c.get("status") for c in st.get("conditions") or []}
    status = ("Complete" if conds.get("Complete") == "True" else "Failed" if conds.get("Failed") == "True"
              else "Suspended" if conds.get("Suspended") == "True" else "Running")
    comp = _get(o, "spec", "completions", default=1)
    start, end = parse_time(st.get("startTime")), parse_time(st.get("completionTime"))
    duration = human_duration(((end or ctx.now) - start).total_seconds()) if start else ""
    names, images = _images(o)
    return [o["metadata"]["name"], status, f"{st.get('succeeded', 0)}/{comp}", duration,
            ctx.age(_get(o, "metadata", "creationTimestamp")), names, images,
            _selector(_get(o, "spec", "selector"))]


def _service(ctx: _Ctx, o: Obj) -> list[Any]:
    spec = o.get("spec") or {}
    ports = []
    for p in spec.get("ports") or []:
        s = f"{p.get('port')}"
        if p.get("nodePort"):
            s += f":{p['nodePort']}"
        ports.append(f"{s}/{p.get('protocol', 'TCP')}")
    ingress = [i.get("ip") or i.get("hostname") for i in _get(o, "status", "loadBalancer", "ingress", default=[])]
    external = ",".join([*(x for x in ingress if x), *(spec.get("externalIPs") or [])])
    if not external:
        external = "<pending>" if spec.get("type") == "LoadBalancer" else "<none>"
    sel = spec.get("selector") or {}
    return [o["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP") or "<none>", external,
            ",".join(ports) or "<none>", ctx.age(_get(o, "metadata", "creationTimestamp")),
            ",".join(f"{k}={v}" for k, v in sorted(sel.items())) or "<none>"]


def _endpoints(ctx: _Ctx, o: Obj) -> list[Any]:
    eps = []
    for sub in o.get("subsets") or []:
        for a in sub.get("addresses") or []:
            for p in sub.get("ports") or [{}]:
                eps.append(f"{a.get('ip')}:{p.get('port')}" if p.get("port") else str(a.get("ip")))
    shown = ",".join(eps[:3]) + (f" + {len(eps) - 3} more..." if len(eps) > 3 else "")
    return [o["metadata"]["name"], shown or "<none>", ctx.age(_get(o, "metadata", "creationTimestamp"))]


def _pvc(ctx: _Ctx, o: Obj) -> list[Any]:
    spec, st = o.get("spec") or {}, o.get("status") or {}
    modes = ",".join({"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX",
                      "ReadWriteOncePod": "RWOP"}.get(m, m) for m in st.get("accessModes") or [])
    return [o["metadata"]["name"], st.get("phase", ""), spec.get("volumeName", ""),
            _get(st, "capacity", "storage", default=""), modes, spec.get("storageClassName") or "",
            spec.get("volumeAttributesClassName") or "<unset>", ctx.age(_get(o, "metadata", "creationTimestamp")),
            spec.get("volumeMode") or "Filesystem"]


def _pv(ctx: _Ctx, o: Obj) -> list[Any]:
    spec, st = o.get("spec") or {}, o.get("status") or {}
    claim = spec.get("claimRef") or {}
    modes = ",".join({"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX",
                      "ReadWriteOncePod": "RWOP"}.get(m, m) for m in spec.get("accessModes") or [])
    return [o["metadata"]["name"], _get(spec, "capacity", "storage", default=""), modes,
            spec.get("persistentVolumeReclaimPolicy", ""), st.get("phase", ""),
            f"{claim['namespace']}/{claim['name']}" if claim.get("name") else "",
            spec.get("storageClassName", ""), spec.get("volumeAttributesClassName") or "<unset>",
            st.get("reason", ""), ctx.age(_get(o, "metadata", "creationTimestamp")),
            spec.get("volumeMode") or "Filesystem"]


def _storageclass(ctx: _Ctx, o: Obj) -> list[Any]:
    ann = _get(o, "metadata", "annotations", default={})
    name = o["metadata"]["name"]
    if ann.get("storageclass.kubernetes.io/is-default-class") == "true":
        name += " (default)"
    return [name, o.get("provisioner", ""), o.get("reclaimPolicy", "Delete"),
            o.get("volumeBindingMode", "Immediate"), bool(o.get("allowVolumeExpansion", False)),
            ctx.age(_get(o, "metadata", "creationTimestamp"))]


def _namespace(ctx: _Ctx, o: Obj) -> list[Any]:
    return [o["metadata"]["name"], _get(o, "status", "phase", default="Active"),
            ctx.age(_get(o, "metadata", "creationTimestamp"))]


def _configmap(ctx: _Ctx, o: Obj) -> list[Any]:
    return [o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}),
            ctx.age(_get(o, "metadata", "creationTimestamp"))]


def _secret(ctx: _Ctx, o: Obj) -> list[Any]:
    return [o["metadata"]["name"], o.get("type", "Opaque"), len(o.get("data") or {}),
            ctx.age(_get(o, "metadata", "creationTimestamp"))]


def _crd(ctx: _Ctx, o: Obj) -> list[Any]:
    return [o["metadata"]["name"], _get(o, "metadata", "creationTimestamp", default="")]


def _generic(ctx: _Ctx, o: Obj) -> list[Any]:
    return [o["metadata"]["name"], ctx.age(_get(o, "metadata", "creationTimestamp"))]


_GENERIC_COLS: list[Col] = [("Name", "string", 0), ("Age", "string", 0)]

_PRINTERS: dict[tuple[str, str], tuple[list[Col], Callable[[_Ctx, Obj], list[Any]]]] = {
    ("", "pods"): (_POD_COLS, _pod),
    ("", "nodes"): (_NODE_COLS, _node),
    ("", "events"): (_EVENT_COLS, _event),
    ("", "namespaces"): ([("Name", "string", 0), ("Status", "string", 0), ("Age", "string", 0)], _namespace),
    ("", "services"): ([("Name", "string", 0), ("Type", "string", 0), ("Cluster-IP", "string", 0),
                        ("External-IP", "string", 0), ("Port(s)", "string", 0), ("Age", "string", 0),
                        ("Selector", "string", 1)], _service),
    ("", "endpoints"): ([("Name", "string", 0), ("Endpoints", "string", 0), ("Age", "string", 0)], _endpoints),
    ("", "persistentvolumeclaims"): ([("Name", "string", 0), ("Status", "string", 0), ("Volume", "string", 0),
                                      ("Capacity", "string", 0), ("Access Modes", "string", 0),
                                      ("StorageClass", "string", 0), ("VolumeAttributesClass", "string", 0),
                                      ("Age", "string", 0), ("VolumeMode", "string", 1)], _pvc),
    ("", "persistentvolumes"): ([("Name", "string", 0), ("Capacity", "string", 0), ("Access Modes", "string", 0),
                                 ("Reclaim Policy", "string", 0), ("Status", "string", 0), ("Claim", "string", 0),
                                 ("StorageClass", "string", 0), ("VolumeAttributesClass", "string", 0),
                                 ("Reason", "string", 0), ("Age", "string", 0), ("VolumeMode", "string", 1)], _pv),
    ("", "configmaps"): ([("Name", "string", 0), ("Data", "integer", 0), ("Age", "string", 0)], _configmap),
    ("", "secrets"): ([("Name", "string", 0), ("Type", "string", 0), ("Data", "integer", 0), ("Age", "string", 0)],
                      _secret),
    ("apps", "deployments"): ([("Name", "string", 0), ("Ready", "string", 0), ("Up-to-date", "integer", 0),
                               ("Available", "integer", 0), ("Age", "string", 0), ("Containers", "string", 1),
                               ("Images", "string", 1), ("Selector", "string", 1)], _deployment),
    ("apps", "statefulsets"): ([("Name", "string", 0), ("Ready", "string", 0), ("Age", "string", 0),
                                ("Containers", "string", 1), ("Images", "string", 1)], _statefulset),
    ("apps", "daemonsets"): ([("Name", "string", 0), ("Desired", "integer", 0), ("Current", "integer", 0),
                              ("Ready", "integer", 0), ("Up-to-date", "integer", 0), ("Available", "integer", 0),
                              ("Node Selector", "string", 0), ("Age", "string", 0), ("Containers", "string", 1),
                              ("Images", "string", 1), ("Selector", "string", 1)], _daemonset),
    ("apps", "replicasets"): ([("Name", "string", 0), ("Desired", "integer", 0), ("Current", "integer", 0),
                               ("Ready", "integer", 0), ("Age", "string", 0), ("Containers", "string", 1),
                               ("Images", "string", 1), ("Selector", "string", 1)], _replicaset),
    ("batch", "jobs"): ([("Name", "string", 0), ("Status", "string", 0), ("Completions", "string", 0),
                         ("Duration", "string", 0), ("Age", "string", 0), ("Containers", "string", 1),
                         ("Images", "string", 1), ("Selector", "string", 1)], _job),
    ("storage.k8s.io", "storageclasses"): ([("Name", "string", 0), ("Provisioner", "string", 0),
                                            ("ReclaimPolicy", "string", 0), ("VolumeBindingMode", "string", 0),
                                            ("AllowVolumeExpansion", "boolean", 0), ("Age", "string", 0)],
                                           _storageclass),
    ("apiextensions.k8s.io", "customresourcedefinitions"): ([("Name", "string", 0), ("Created At", "date", 0)],
                                                            _crd),
}


# --------------------------------------------------------------------------- custom resources

def jsonpath_value(obj: Any, path: str) -> Any:
    """Evaluate the simple JSONPath forms of additionalPrinterColumns: ``.a.b``, ``.a[0].b``,
    ``.a[?(@.type=="Ready")].status``. Returns None when a step is missing."""
    path = path.strip().lstrip("$").strip("{}")
    i, cur = 0, obj
    while i < len(path) and cur is not None:
        if path[i] == ".":
            j = i + 1
            while j < len(path) and path[j] not in ".[":
                j += 1
            key = path[i + 1:j]
            if key:
                cur = cur.get(key) if isinstance(cur, dict) else None
            i = j
        elif path[i] == "[":
            j = path.find("]", i)
            if j < 0:
                return None
            inner = path[i + 1:j]
            if inner.startswith("?(@.") and "==" in inner:
                k, _, v = inner[4:].rstrip(")").partition("==")
                v = v.strip().strip("'\"")
                matches = [e for e in cur if isinstance(e, dict) and str(e.get(k.strip())) == v] \
                    if isinstance(cur, list) else []
                cur = matches[0] if matches else None
            elif inner.lstrip("-").isdigit() and isinstance(cur, list):
                n = int(inner)
                cur = cur[n] if -len(cur) <= n < len(cur) else None
            elif inner == "*":
                pass
            else:
                cur = None
            i = j + 1
        else:
            return None
    return cur


def _custom(res: Resource) -> tuple[list[Col], Callable[[_Ctx, Obj], list[Any]]]:
    specs = list(res.printer_columns)
    if not specs:
        return _GENERIC_COLS, _generic
    cols: list[Col] = [("Name", "string", 0)] + [
        (c["name"], "string" if c["type"] == "date" else c["type"], c["priority"]) for c in specs]

    def row(ctx: _Ctx, o: Obj) -> list[Any]:
        cells: list[Any] = [o["metadata"]["name"]]
        for c in specs:
            v = jsonpath_value(o, c["jsonPath"])
            if c["type"] == "date":
                cells.append(ctx.age(v) if v else "<unknown>")
            elif isinstance(v, (dict, list)):
                cells.append(json.dumps(v, sort_keys=True))
            else:
                cells.append(v)
        return cells

    return cols, row


def table(res: Resource, objects: list[Obj], now: datetime, include_object: str = "Metadata") -> Obj:
    """A ``meta.k8s.io/v1`` Table of ``objects`` of resource ``res``."""
    cols, row = _PRINTERS.get((res.group, res.plural)) or _custom(res)
    ctx = _Ctx(now)
    rows = []
    for o in objects:
        if include_object == "Object":
            embedded: Obj | None = o
        elif include_object == "None":
            embedded = None
        else:
            embedded = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                        "metadata": o.get("metadata") or {}}
        try:
            cells = row(ctx, o)
        except Exception:  # noqa: BLE001 - an object of a shape no API server would keep
            # (fields of the wrong type): its name, and <unknown> as kubectl prints a missing value
            cells = [o["metadata"]["name"]] + ["<unknown>"] * (len(cols) - 1)
        rows.append({"cells": cells, "object": embedded})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "1"},
            "columnDefinitions": [{"name": n, "type": t, "format": "name" if n == "Name" else "",
                                   "description": "", "priority": p} for n, t, p in cols],
            "rows": rows}
