"""Kubernetes objects in JSON or YAML (one object, a ``List``, or YAML documents) -> rows.

``read_objects`` is the one reader of such files (the parse stage and ``serve`` both use it):
Lists unwrapped, YAML aliases bounded, and a Secret's values never kept: only its key names,
each with an empty value. ``ObjectRows`` turns what it read into rows: core v1 Pods go to
``pods``/``containers``, core v1 Nodes to ``nodes``, Events to ``events``; every other object
(a Longhorn ``nodes.longhorn.io`` Node among them) to ``objects`` with its status conditions and
its body. An object met twice in one bundle (must-gather keeps each pod in ``core/pods.yaml``
and in its own file) gives one set of rows: its identity is its uid, else its API group, kind,
namespace and name; the copy with the newer ``resourceVersion`` wins, the first one on a tie.

Collectors' own conventions read here: items of a list that left out their kind take it from the
list or from the file (``kind`` of ``read_objects``: troubleshoot writes its CRD list with neither);
the internal serialization of older kubectl (``analyzer.parse.internal``); troubleshoot's
redaction marker ``***HIDDEN***`` standing as a plain YAML value (a YAML alias by its syntax) is
read as the string it stands for.

Real sample: the output of ``kubectl get pods -n dynamo -o json``::

    {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod", ...}]}
"""

from __future__ import annotations

import re
from typing import Any, Iterator


from analyzer.ingest import Member, ReadFailed
from analyzer.parse.documents import DocumentError, load_documents
from analyzer.parse.events import event_row
from analyzer.parse.internal import internal_items, is_internal, versioned
from analyzer.parse.nodes import node_row
from analyzer.parse.yaml_docs import yaml11_flags
from analyzer.parse.pods import pod_rows
from analyzer.parse.quantity import note_value
from analyzer.parse.shape import conform, dict_of, name_of, text
from analyzer.tables import to_json

# the API server stores no object over 1.5 MiB (a ConfigMap's data is at most 1 MiB): a longer
# text value is not from a cluster
MAX_TEXT = 1 << 20

# the one loader of JSON/YAML documents (bounded nesting, alias guard); ObjectsError is its error
ObjectsError = DocumentError


def read_objects(data: bytes | str, name: str, kind: tuple[str, str] | None = None,
                 yaml11: bool | None = None) -> list[dict]:
    """Every Kubernetes object of one JSON/YAML file, Lists unwrapped and Secret values dropped:
    the one reader of object files (the parse stage and ``serve`` both read through it).
    ``kind`` is (apiVersion, kind) of the objects the file holds, for list items that name none
    (``analyzer.parse.places.list_kind`` knows it for each layout). ``data`` may be the file's
    text already decoded (``ObjectFiles.read``).

    Raises ObjectsError for a file that is not JSON/YAML (or an alias bomb). Each object's
    top-level fields have the API's types (``analyzer.parse.shape.conform``).

    >>> read_objects(b'{"kind": "SecretList", "apiVersion": "v1", "items": [{"metadata": '
    ...              b'{"name": "hf"}, "data": {"HF_TOKEN": "aGZfeHl6"}}]}', "secrets.json")
    [{'kind': 'Secret', 'apiVersion': 'v1', 'metadata': {'name': 'hf'}, 'data': {'HF_TOKEN': ''}}]
    """
    docs = load_documents(data, name, yaml11)
    if len(data) > MAX_TEXT:
        _cut_long_texts(docs)
    objects = (conform(o) for doc in docs for o in iter_objects(doc, kind))
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


class ObjectFiles:
    """Object files read a few megabytes ahead, so that one ``yaml11_flags`` pass (one regex
    compile) covers many YAML files: ``read(member)`` returns its bytes and its flag, in any
    order of the members given (usually theirs)."""

    def __init__(self, members: list[Member], limit: int, ahead: int = 16 << 20) -> None:
        self._order = {id(m): i for i, m in enumerate(members)}
        self._members = members
        self._limit, self._ahead_bytes = limit, ahead
        self._ahead: dict[int, tuple[bytes | ReadFailed, bool | None]] = {}

    def read(self, m: Member) -> tuple[bytes | str, bool | None]:
        """The member's content (bounded by ``limit``) and whether PyYAML must read it (None for
        JSON); raises ReadFailed like ``Member.read_bytes``. A YAML file's content is its text,
        decoded once here for the flag (the readers after take it as it is), JSON's its bytes."""
        if id(m) not in self._ahead:
            self._fill(self._order.get(id(m)), m)
        got, flag = self._ahead.pop(id(m))
        if isinstance(got, ReadFailed):
            raise got
        return got, flag

    def _fill(self, start: int | None, first: Member) -> None:
        batch = [first] if start is None else []
        size = 0
        for m in self._members[start:] if start is not None else []:
            if size >= self._ahead_bytes and batch:
                break
            if id(m) in self._ahead:
                continue
            batch.append(m)
            size += m.size or 0
        read: list[tuple[Member, bytes | ReadFailed]] = []
        for m in batch:
            try:
                read.append((m, m.read_bytes(self._limit)))
            except ReadFailed as exc:
                read.append((m, exc))
        texts = {id(m): data.decode("utf-8", errors="replace") for m, data in read
                 if isinstance(data, bytes) and not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"["))}
        flags = dict(zip(texts, yaml11_flags(list(texts.values()))))
        for m, data in read:
            self._ahead[id(m)] = (texts.get(id(m), data), flags.get(id(m)))


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


def iter_objects(doc: Any, kind: tuple[str, str] | None = None) -> Iterator[dict]:
    """Every Kubernetes object in a document (Lists and ``items`` unwrapped; an item without a
    kind takes the list's item kind and apiVersion, else ``kind``: (apiVersion, kind); objects of
    the internal serialization come out in the versioned shape)."""
    if isinstance(doc, list):
        for d in doc:
            yield from iter_objects(d, kind)
        return
    if not isinstance(doc, dict):
        return
    doc_kind = str(doc.get("kind") or "")
    items = doc.get("items")
    if "items" in doc and doc_kind.endswith("List") and items is None:
        return  # an empty list as Go writes it ("items: null")
    internal = internal_items(doc)
    if internal is not None:
        items = internal
    if isinstance(items, list) and (doc_kind.endswith("List") or not doc_kind):
        list_kind = (str(doc.get("apiVersion") or "v1"), doc_kind[:-4]) if doc_kind.endswith("List") else kind
        for item in items:
            if not isinstance(item, dict):
                continue
            if is_internal(item):
                item = versioned(item, list_kind)
            elif "kind" not in item and list_kind:
                item = {"kind": list_kind[1], "apiVersion": item.get("apiVersion") or list_kind[0], **item}
            yield item
        return
    if is_internal(doc):
        doc = versioned(doc, kind)
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


def api_group(obj: dict) -> str:
    """The API group of an object ("" for the core group)."""
    api_version = str(obj.get("apiVersion") or "v1")
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def identity(obj: dict, default_namespace: str | None = None) -> tuple | None:
    """What makes two copies of an object one object: its uid, else (API group, kind, namespace,
    name); None for an object without a name."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    if meta.get("uid"):
        return ("uid", str(meta["uid"]))
    if not meta.get("name"):
        return None
    return (api_group(obj), obj.get("kind"), meta.get("namespace") or default_namespace or "", str(meta["name"]))


def pod_key(path: str, default_namespace: str | None, obj: dict) -> tuple[str, str | None, str | None]:
    """What names a Pod object's ``pods`` row: its file, namespace (the file's when the object
    names none) and name."""
    return path, name_of(obj, "namespace") or default_namespace, name_of(obj)


def _version(obj: dict) -> str:
    """An object's resourceVersion as text ("" when it has none)."""
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def _newer(version: str, than: str) -> bool:
    """Whether resourceVersion ``version`` is of a later copy than ``than`` (greater, when both
    are numbers as etcd's are; opaque otherwise, and then the first copy stays)."""
    return version.isdigit() and than.isdigit() and int(version) > int(than)


class ObjectRows:
    """Accumulates rows for pods, containers, nodes, events and objects, one set per object.

    It also keeps the Pod objects behind the ``pods`` rows (``pod_objects``: path, the file's
    namespace, the object), for the checks that read more of a pod's spec than its rows hold,
    so that no pod file is read twice."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {"pods": [], "containers": [], "nodes": [],
                                             "events": [], "objects": []}
        # identity -> (the resourceVersion of the copy kept, its rows); rows of a copy replaced
        # by a newer one are emptied in place and dropped by ``finish``. Only the version is
        # kept: the object trees of a bundle need not stay alive until the end of the parse
        self._seen: dict[tuple, tuple[str, list[dict]]] = {}
        self.duplicates = 0
        self.pod_objects: list[tuple[str, str | None, dict]] = []

    def add(self, obj: dict, path: str, default_namespace: str | None = None,
            line: int | None = None) -> None:
        """Rows of one object as ``read_objects`` gave it; ``line`` is where the object's name
        stands in its file. A second copy of an object already added replaces it only if newer."""
        if obj.get("kind") == "Pod":
            self.pod_objects.append((path, default_namespace, obj))
        key = identity(obj, default_namespace)
        version = _version(obj)
        if key is not None and key in self._seen:
            self.duplicates += 1
            kept, rows = self._seen[key]
            if not _newer(version, kept):
                return
            for row in rows:
                row.clear()
        made = self._rows(obj, path, default_namespace, line)
        if key is not None:
            self._seen[key] = (version, made)

    def finish(self) -> dict[str, list[dict]]:
        """The rows, without those of copies replaced by newer ones; ``pod_objects`` only the
        objects a ``pods`` row of the same file, namespace and name was kept for."""
        for name, rows in self.rows.items():
            self.rows[name] = [r for r in rows if r]
        kept = {(r["path"], r["namespace"], r["name"]) for r in self.rows["pods"] if r.get("origin") != "describe"}
        self.pod_objects = [(path, ns, obj) for path, ns, obj in self.pod_objects
                            if pod_key(path, ns, obj) in kept]
        return self.rows

    def _rows(self, obj: dict, path: str, default_namespace: str | None, line: int | None) -> list[dict]:
        kind = obj.get("kind")
        core = api_group(obj) == ""
        if kind == "Pod" and core:
            pod, containers = pod_rows(obj, path)
            pod["line"] = line
            self.rows["pods"].append(pod)
            for c in containers:
                c["line"] = line
            self.rows["containers"].extend(containers)
            return [pod, *containers]
        if kind == "Node" and core:
            row = dict(node_row(obj, path), line=line)
            self.rows["nodes"].append(row)
            return [row]
        if kind == "Event" and (core or api_group(obj) == "events.k8s.io"):
            row = event_row(obj, path, line)
            row["namespace"] = row["namespace"] or default_namespace
            self.rows["events"].append(row)
            return [row]
        meta = dict_of(obj.get("metadata"), f"{text(kind)} metadata")
        status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
        conditions = status.get("conditions") if isinstance(status.get("conditions"), list) else None
        row = {
            "path": path, "line": line, "api_version": text(obj.get("apiVersion")), "kind": text(kind),
            "namespace": text(meta.get("namespace")) or None, "name": text(meta.get("name")),
            "conditions": to_json(conditions), "body": to_json(obj),
        }
        self.rows["objects"].append(row)
        return [row]


# a name field: JSON ``"name": "x"`` or YAML ``name: x``, alone at the start of its line (after
# spaces, and in YAML one list dash): found by its literal first, the line start checked after
_NAME_FIELD = re.compile(r'name(?:"\s*:\s*"(?P<j>[^"]+)"|:\s*["\']?(?P<y>[^"\'\s]+))')


class NameLines:
    """Line numbers of ``name`` fields in a JSON/YAML text, to point evidence at an object.

    Each lookup takes the first occurrence after the previous hit, so objects that share a
    name (a container and its pod) resolve in document order. A field's line is where its
    run of blank lines (and YAML list dash) before it starts, as a multiline
    ``^\\s*(?:"name"|-?\\s*name:)`` match would say, without trying that at every line.

    >>> names = NameLines('items:\\n- metadata:\\n    name: vllm-0\\n  spec:\\n    containers:\\n    - name: main\\n')
    >>> names.line_of({"metadata": {"name": "vllm-0"}}), names.line_of({"metadata": {"name": "main"}})
    (3, 6)
    """

    def __init__(self, text: str) -> None:
        self._lines: dict[str, list[int]] = {}
        line, pos, end = 1, 0, 0
        for m in _NAME_FIELD.finditer(text):
            at = self._line_start(text, m, end)
            if at is None:
                continue
            line += text.count("\n", pos, at)
            pos, end = at, m.end()
            self._lines.setdefault(m["j"] or m["y"], []).append(line)
        self._last = 0

    @staticmethod
    def _line_start(text: str, m: re.Match, end: int) -> int | None:
        """Where the field's line run starts (not before ``end``, the previous field's end), or
        None when something other than spaces (and, in YAML, one dash) stands before it."""
        json_field = m["j"] is not None
        head = m.start() - 1 if json_field else m.start()
        if json_field and (head < 0 or text[head] != '"'):
            return None
        start = text.rfind("\n", 0, head) + 1
        before = text[start:head].strip()
        if start < end or not (before == "" or (before == "-" and not json_field)):
            return None
        dash = before == "-"
        while start > 0:
            prev = text.rfind("\n", 0, start - 1) + 1
            above = text[prev:start].strip()
            if prev < end or not (above == "" or (above == "-" and not json_field and not dash)):
                break
            dash = dash or above == "-"
            start = prev
        return start

    def line_of(self, obj: dict) -> int | None:
        name = text(dict_of(obj.get("metadata")).get("name"))
        found = self._lines.get(name) if name else None
        if not found:
            return None
        after = next((n for n in found if n >= self._last), found[0])
        self._last = after
        return after
