"""Kubernetes objects in JSON or YAML (one object, a ``List``, or YAML documents) -> rows.

``read_objects`` is the one reader of such files (the parse stage and ``serve`` both use it):
Lists unwrapped, YAML aliases bounded, and a Secret's values never kept: only its key names,
each with an empty value. ``ObjectRows`` turns what it read into rows: Pods go to
``pods``/``containers``, Nodes to ``nodes``, Events to ``events``; every other object to
``objects`` with its status conditions and its body.

Real sample: the output of ``kubectl get pods -n dynamo -o json``::

    {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod", ...}]}
"""

from __future__ import annotations

from typing import Any, Iterator

import regex

from analyzer.parse.documents import DocumentError, load_documents
from analyzer.parse.events import event_row
from analyzer.parse.nodes import node_row
from analyzer.parse.pods import pod_rows
from analyzer.parse.quantity import note_value
from analyzer.parse.shape import conform, dict_of, text
from analyzer.tables import to_json

# the API server stores no object over 1.5 MiB (a ConfigMap's data is at most 1 MiB): a longer
# text value is not from a cluster
MAX_TEXT = 1 << 20

# the one loader of JSON/YAML documents (bounded nesting, alias guard); ObjectsError is its error
ObjectsError = DocumentError


def read_objects(data: bytes, name: str) -> list[dict]:
    """Every Kubernetes object of one JSON/YAML file, Lists unwrapped and Secret values dropped:
    the one reader of object files (the parse stage and ``serve`` both read through it).

    Raises ObjectsError for a file that is not JSON/YAML (or an alias bomb). Each object's
    top-level fields have the API's types (``analyzer.parse.shape.conform``).

    >>> read_objects(b'{"kind": "SecretList", "apiVersion": "v1", "items": [{"metadata": '
    ...              b'{"name": "hf"}, "data": {"HF_TOKEN": "aGZfeHl6"}}]}', "secrets.json")
    [{'kind': 'Secret', 'apiVersion': 'v1', 'metadata': {'name': 'hf'}, 'data': {'HF_TOKEN': ''}}]
    """
    docs = load_documents(data, name)
    if len(data) > MAX_TEXT:
        _cut_long_texts(docs)
    objects = (conform(o) for doc in docs for o in iter_objects(doc))
    return [strip_secret(o) if is_secret(o) else o for o in objects]


def _cut_long_texts(docs: list[Any]) -> None:
    """Cut, in place, every text value longer than ``MAX_TEXT`` (noted under its key): no object
    of a cluster holds one, and a 200 MiB ConfigMap value copied into rows, tables and reports
    took a run past 1 GiB."""
    stack: list[Any] = [docs]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if isinstance(value, (dict, list)):
                stack.append(value)
            elif isinstance(value, str) and len(value) > MAX_TEXT:
                note_value(str(key), value, f"longer than {MAX_TEXT} characters, cut there")
                node[key] = value[:MAX_TEXT]


def is_secret(obj: dict) -> bool:
    """Whether an object is a Secret, however its kind was written (``"Secret"``, `` secret``)."""
    return isinstance(obj.get("kind"), str) and obj["kind"].strip().lower() == "secret"


def server_version(data: bytes, name: str) -> dict[str, Any]:
    """The API server's ``version.Info`` in a version file: ``kubectl version -o json``
    (``serverVersion``), troubleshoot's ``cluster_version.json`` (``info``) or the bare object;
    {} when it holds none. Raises ObjectsError when the file is not JSON/YAML.

    >>> server_version(b'{"info": {"gitVersion": "v1.24.4+k3s1"}, "string": "v1.24.4+k3s1"}', "v.json")
    {'gitVersion': 'v1.24.4+k3s1'}
    """
    for doc in load_documents(data, name):
        if isinstance(doc, dict):
            for candidate in (doc.get("serverVersion"), doc.get("info"), doc):
                if isinstance(candidate, dict) and isinstance(candidate.get("gitVersion"), str):
                    return candidate
    return {}


def iter_objects(doc: Any) -> Iterator[dict]:
    """Every Kubernetes object in a document (Lists and ``items`` unwrapped; an item without a
    kind takes the list's item kind and apiVersion)."""
    if isinstance(doc, list):
        for d in doc:
            yield from iter_objects(d)
        return
    if not isinstance(doc, dict):
        return
    items = doc.get("items")
    if isinstance(items, list) and (str(doc.get("kind", "")).endswith("List") or "kind" not in doc):
        list_kind = str(doc.get("kind", ""))[:-4] if str(doc.get("kind", "")).endswith("List") else ""
        for item in items:
            if isinstance(item, dict):
                if "kind" not in item and list_kind:
                    item = {"kind": list_kind, "apiVersion": doc.get("apiVersion", "v1"), **item}
                yield item
        return
    if "kind" in doc or "metadata" in doc:
        yield doc


def strip_secret(obj: dict) -> dict:
    """A Secret with every value replaced by "" (key names kept; data of any other shape than a
    mapping dropped whole)."""
    out = dict(obj)
    for key in ("data", "stringData"):
        if isinstance(obj.get(key), dict):
            out[key] = {str(k): "" for k in obj[key]}
        elif key in obj:
            out[key] = {}
    meta = dict(obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {})
    ann = dict(meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {})
    if "kubectl.kubernetes.io/last-applied-configuration" in ann:
        ann["kubectl.kubernetes.io/last-applied-configuration"] = ""
        meta["annotations"] = ann
        out["metadata"] = meta
    return out


class ObjectRows:
    """Accumulates rows for pods, containers, nodes, events and objects."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {"pods": [], "containers": [], "nodes": [],
                                             "events": [], "objects": []}

    def add(self, obj: dict, path: str, default_namespace: str | None = None,
            line: int | None = None) -> None:
        """Rows of one object as ``read_objects`` gave it; ``line`` is where the object's name
        stands in its file."""
        kind = obj.get("kind")
        if kind == "Pod":
            pod, containers = pod_rows(obj, path)
            pod["line"] = line
            self.rows["pods"].append(pod)
            for c in containers:
                c["line"] = line
            self.rows["containers"].extend(containers)
        elif kind == "Node":
            self.rows["nodes"].append(dict(node_row(obj, path), line=line))
        elif kind == "Event":
            row = event_row(obj, path, line)
            row["namespace"] = row["namespace"] or default_namespace
            self.rows["events"].append(row)
        else:
            meta = dict_of(obj.get("metadata"), f"{text(kind)} metadata")
            status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
            conditions = status.get("conditions") if isinstance(status.get("conditions"), list) else None
            self.rows["objects"].append({
                "path": path, "line": line, "api_version": text(obj.get("apiVersion")), "kind": text(kind),
                "namespace": text(meta.get("namespace")) or None, "name": text(meta.get("name")),
                "conditions": to_json(conditions), "body": to_json(obj),
            })


_NAME_LINE = regex.compile(r'^\s*(?:"name"\s*:\s*"(?P<j>[^"]+)"|-?\s*name:\s*["\']?(?P<y>[^"\'\s]+))', regex.M)


class NameLines:
    """Line numbers of ``name`` fields in a JSON/YAML text, to point evidence at an object.

    Each lookup takes the first occurrence after the previous hit, so objects that share a
    name (a container and its pod) resolve in document order.
    """

    def __init__(self, text: str) -> None:
        self._lines: dict[str, list[int]] = {}
        line, pos = 1, 0
        for m in _NAME_LINE.finditer(text):
            line += text.count("\n", pos, m.start())
            pos = m.start()
            self._lines.setdefault(m["j"] or m["y"], []).append(line)
        self._last = 0

    def line_of(self, obj: dict) -> int | None:
        name = text(dict_of(obj.get("metadata")).get("name"))
        found = self._lines.get(name) if name else None
        if not found:
            return None
        after = next((n for n in found if n >= self._last), found[0])
        self._last = after
        return after
