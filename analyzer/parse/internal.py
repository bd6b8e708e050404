"""Kubernetes objects in the internal serialization of older kubectl -> the versioned (v1) shape.

``kubectl cluster-info dump`` up to kubectl 1.10 listed objects with the internal clientset and
printed them with a plain JSON printer (``printers.JSONPrinter{}``, then ``json.MarshalIndent``
over the internal types of ``pkg/apis/core``). Those types carry no json tags but embed
apimachinery's ``TypeMeta``, ``ListMeta`` and ``ObjectMeta``, which do. So a list's objects stand
under ``Items``; each object's metadata fields are flattened onto the object itself (``name``,
``namespace``, ``uid``, ``creationTimestamp``, ``labels``...); ``kind``/``apiVersion`` are left
out when empty (they are, on the internal types); every other field keeps its Go name
(``Spec``, ``Status``, ``Containers``, ``RestartCount``, ``LastTerminationState``...) and is
written even when empty (``null``). Shape of ``<ns>/pods.json`` (from the Go types; trimmed)::

    {
        "resourceVersion": "1234",
        "Items": [
            {
                "name": "kube-dns-6f4fd4bdf-x2k9p",
                "namespace": "kube-system",
                "uid": "8a2c...",
                "creationTimestamp": "2018-03-02T10:00:00Z",
                "labels": {"k8s-app": "kube-dns"},
                "Spec": {"Containers": [{"Name": "kubedns", "Image": "...",
                                         "Resources": {"Limits": {"memory": "170Mi"}, "Requests": null}}],
                         "NodeName": "node-1", ...},
                "Status": {"Phase": "Running", "ContainerStatuses": [{"Name": "kubedns",
                           "State": {"Waiting": null, "Running": {"StartedAt": "..."}, "Terminated": null},
                           "LastTerminationState": {...}, "Ready": true, "RestartCount": 0, ...}]}
            }
        ]
    }

Before metadata moved to apimachinery (kubectl 1.5 and older) the metadata names were Go names
too (``Name``, ``Namespace``, ``UID``, ``CreationTimestamp``); both are read.
"""

from __future__ import annotations

from typing import Any

# ObjectMeta's fields (json names): they go back under "metadata"
OBJECT_META = frozenset({
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
    "ownerReferences", "initializers", "finalizers", "clusterName", "managedFields"})

# map-typed fields whose keys are data (label keys, resource names, ConfigMap keys), not Go names
_MAPS = frozenset({"labels", "annotations", "nodeSelector", "limits", "requests", "capacity",
                   "allocatable", "data", "binaryData", "stringData", "matchLabels", "hard", "used"})

# Go field names whose json name is not the Go name with its leading capitals lowered
_RENAMED = {"LastTerminationState": "lastState", "ReportingController": "reportingComponent"}


def json_name(go_name: str) -> str:
    """The versioned json name of an internal (Go) field name.

    >>> [json_name(n) for n in ("Spec", "UID", "HostIP", "QOSClass", "APIVersion", "imageID")]
    ['spec', 'uid', 'hostIP', 'qosClass', 'apiVersion', 'imageID']
    """
    if go_name in _RENAMED:
        return _RENAMED[go_name]
    n = 0
    while n < len(go_name) and go_name[n].isupper():
        n += 1
    if n == 0:
        return go_name
    if n == len(go_name):
        return go_name.lower()
    if n > 1 and go_name[n].islower():
        n -= 1  # "QOSClass": the last capital starts the next word
    return go_name[:n].lower() + go_name[n:]


# top-level Go field names that only an object of the internal serialization has
_HALLMARKS = ("Spec", "Status", "InvolvedObject")


def is_internal(obj: Any) -> bool:
    """An object of the internal serialization: no ``metadata``, and ``Spec``, ``Status`` or (an
    Event) ``InvolvedObject`` under their Go names."""
    return isinstance(obj, dict) and "metadata" not in obj and any(k in obj for k in _HALLMARKS)


def internal_items(doc: dict) -> list | None:
    """The objects of an internal list (``Items``), or None when ``doc`` is not one."""
    items = doc.get("Items")
    return items if isinstance(items, list) and "items" not in doc else None


def versioned(obj: dict, kind: tuple[str, str] | None = None) -> dict:
    """One internal object in the versioned shape: fields renamed, metadata gathered back under
    ``metadata``, ``null`` and ``""`` fields left out (as the versioned types' omitempty does); ``kind`` (apiVersion, kind) when it names none, else
    guessed from the fields only a Pod, a Node or an Event has."""
    out: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for key, value in obj.items():
        if value is None or value == "" or not isinstance(key, str):
            continue
        name = json_name(key)
        target = meta if name in OBJECT_META else out
        target[name] = value if name in _MAPS else _convert(value)
    if meta:
        out["metadata"] = meta
    if not out.get("kind"):
        guess = kind or _guess_kind(out)
        if guess:
            out["apiVersion"], out["kind"] = out.get("apiVersion") or guess[0], guess[1]
    return out


def _convert(value: Any) -> Any:
    if isinstance(value, list):
        return [_convert(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, v in value.items():
        if v is None or v == "" or not isinstance(key, str):
            continue
        name = json_name(key)
        if name == "selector" and isinstance(v, dict) and not set(v) <= {"MatchLabels", "MatchExpressions"}:
            out[name] = v  # a Service's selector is a map of labels, a workload's a LabelSelector
        else:
            out[name] = v if name in _MAPS else _convert(v)
    return out


def _guess_kind(obj: dict) -> tuple[str, str] | None:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
    if "containers" in spec and "template" not in spec:
        return ("v1", "Pod")
    if "nodeInfo" in status:
        return ("v1", "Node")
    if "involvedObject" in obj:
        return ("v1", "Event")
    return None
