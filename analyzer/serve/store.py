"""The bundle as a read-only cluster: objects by resource, container logs, metrics scrapes.

``load_cluster(path)`` opens any bundle layout with ``analyzer.ingest.open_bundle`` and indexes:

- every Kubernetes object of the ``objects`` members in the layout's places for cluster state
  (``analyzer.parse.places``), read as the parse stage reads them
  (``analyzer.parse.objects.read_objects``: JSON or YAML, ``*List``s unwrapped, list items given
  the kind their file holds, the object size cap and the YAML alias guard, Secret values
  dropped), keyed by (group, plural), deduplicated by namespace/name;
- ``log`` members by (namespace, pod, container, previous), and the per-container sections of
  ``kubectl cluster-info dump``'s ``<ns>/<pod>/logs.txt`` (``log_multi`` members);
- ``metrics`` members by (namespace, pod), for the pod proxy path ``/metrics``;
- the server version, and the collection time used as "now" for the AGE columns;
- for our own collector's bundles, the commands that the cluster refused (403) so that the
  offline API refuses them the same way (each source's resource: ``analyzer.sources``).
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any, Iterator

from analyzer.ingest import Member, ReadFailed, open_bundle
from analyzer.parse.collection import DUMP_LOG_ERROR
from analyzer.parse.logs import split_dump_logs
from analyzer.parse.objects import ObjectFiles, ObjectsError, read_objects, server_version
from analyzer.parse.places import is_cluster_state, list_kind, marker_dirs
from analyzer.parse.quantity import parse_time
from analyzer.serve.resources import BUILTIN, Resource, from_crd, guess_plural
from analyzer.sources import BY_NAME

CHUNK = 1 << 20       # bytes read from a member at a time
LINE_MAX = 1 << 20    # a longer line is passed on in pieces


_DUMP_ERROR = re.compile(DUMP_LOG_ERROR.encode())


@dataclass
class Cluster:
    """Everything `serve` answers from; read-only after ``load_cluster``."""

    name: str
    resources: dict[tuple[str, str], Resource] = field(default_factory=dict)
    objects: dict[tuple[str, str], dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)
    logs: dict[tuple[str, str, str, bool], Member | bytes] = field(default_factory=dict)
    metrics: dict[tuple[str, str], Member] = field(default_factory=dict)
    version: dict[str, Any] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    context: str = "bundle"
    # (group, plural, namespace or "") -> the refusal message recorded at collection time
    forbidden: dict[tuple[str, str, str], str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _close: Any = None

    def items(self, res: Resource, namespace: str | None = None) -> list[dict[str, Any]]:
        """The objects of ``res``, all namespaces or one, sorted by namespace and name."""
        store = self.objects.get((res.group, res.plural), {})
        return [o for (ns, _), o in sorted(store.items()) if namespace is None or ns == namespace]

    def get(self, res: Resource, namespace: str, name: str) -> dict[str, Any] | None:
        """One object or None."""
        return self.objects.get((res.group, res.plural), {}).get((namespace, name))

    def read(self, member: Member | bytes) -> bytes:
        """A member's bytes (bounded by the ingest limits); archive handles are shared, so reads
        are serialised. Raises ReadFailed."""
        if isinstance(member, bytes):
            return member
        with self._lock:
            return member.read_bytes()

    def open_lines(self, member: Member | bytes) -> Iterator[bytes]:
        """The lines of a member (ends kept), streamed a chunk at a time so that no log is held
        whole; a line longer than ``LINE_MAX`` comes in pieces. Opening raises ReadFailed at
        once; a read that fails later raises it from the iterator."""
        if isinstance(member, bytes):
            return iter(io.BytesIO(member))
        with self._lock:  # archive handles are shared: every read is serialised, one chunk at a time
            f = member.open()
        return self._lines(f)

    def _lines(self, f: IO[bytes]) -> Iterator[bytes]:
        pending = b""
        try:
            while True:
                with self._lock:
                    chunk = f.read(CHUNK)
                if not chunk:
                    break
                pending += chunk
                cut = pending.rfind(b"\n") + 1
                if cut:
                    yield from io.BytesIO(pending[:cut])
                    pending = pending[cut:]
                if len(pending) > LINE_MAX:
                    yield pending
                    pending = b""
            if pending:
                yield pending
        finally:
            with self._lock:
                f.close()

    def close(self) -> None:
        """Release the bundle (temporary files of compressed archives)."""
        if self._close:
            self._close()
            self._close = None


def _addressable(obj: dict[str, Any]) -> bool:
    """An object the API can serve: a kind and a name (what ``read_objects`` found may lack them)."""
    meta = obj.get("metadata")
    return isinstance(obj.get("kind"), str) and isinstance(meta, dict) and isinstance(meta.get("name"), str)


def _event_v1(obj: dict[str, Any]) -> dict[str, Any]:
    """An events.k8s.io/v1 Event in the core v1 shape that kubectl get/describe read."""
    out = dict(obj)
    out["apiVersion"] = "v1"
    out.setdefault("involvedObject", obj.get("regarding") or {})
    out.setdefault("message", obj.get("note", ""))
    if "deprecatedCount" in obj:
        out.setdefault("count", obj["deprecatedCount"])
    out.setdefault("firstTimestamp", obj.get("deprecatedFirstTimestamp"))
    out.setdefault("lastTimestamp", obj.get("deprecatedLastTimestamp"))
    out.setdefault("source", obj.get("deprecatedSource") or {"component": obj.get("reportingController", "")})
    return out


def load_cluster(path: str) -> Cluster:
    """Open the bundle at ``path`` and index it; raises ``BundleError`` when it cannot be opened."""
    bundle = open_bundle(path)
    cluster = Cluster(name=bundle.root, _close=bundle.close)
    for res in BUILTIN:
        cluster.resources[(res.group, res.plural)] = res
    objects: list[dict[str, Any]] = []
    markers = marker_dirs([m.path for m in bundle.members]) if bundle.layout == "must-gather" else frozenset()
    states = [m for m in bundle.by_kind("objects") if is_cluster_state(bundle.layout, m.path, markers)]
    object_files = ObjectFiles(states, bundle.limits.max_object_bytes)
    for m in bundle.members:
        if m.kind == "objects" and not is_cluster_state(bundle.layout, m.path, markers):
            continue  # a manifest in the folder, not what the cluster held
        if m.kind in ("objects", "version"):
            # the parse stage's reader: the same size cap, YAML alias guard and Secret stripping
            try:
                if m.kind == "version":
                    data = m.read_bytes(bundle.limits.max_object_bytes)
                    cluster.version = server_version(data, m.name) or cluster.version
                else:
                    data, yaml11 = object_files.read(m)
                    objects.extend(o for o in read_objects(data, m.name, list_kind(bundle.layout, m.path), yaml11)
                                   if _addressable(o))
            except (ReadFailed, ObjectsError) as exc:
                cluster.problems.append(f"{m.path}: {str(exc).splitlines()[0] if str(exc) else exc}")
        elif m.kind == "log":
            meta = m.meta
            if meta.get("pod"):
                key = (str(meta.get("namespace") or ""), str(meta["pod"]), str(meta.get("container") or ""),
                       bool(meta.get("previous")))
                cluster.logs.setdefault(key, m)
        elif m.kind == "log_multi" and m.meta.get("pod"):
            try:
                sections = split_dump_logs(cluster.read(m))
            except ReadFailed as exc:
                cluster.problems.append(f"{m.path}: {exc}")
                continue
            for container, text in sections.items():
                # a "Request log error" stands where the log could not be read: not log content
                text = b"".join(line for line in text.splitlines(keepends=True) if not _DUMP_ERROR.match(line))
                cluster.logs.setdefault((str(m.meta.get("namespace") or ""), str(m.meta["pod"]), container, False),
                                        text)
        elif m.kind == "metrics" and m.meta.get("pod"):
            cluster.metrics.setdefault((str(m.meta.get("namespace") or ""), str(m.meta["pod"])), m)
    _index(cluster, objects)
    _from_manifest(cluster, bundle.manifest)
    return cluster


def _index(cluster: Cluster, objects: list[dict[str, Any]]) -> None:
    by_kind: dict[tuple[str, str], Resource] = {(r.group, r.kind): r for r in BUILTIN}
    for o in objects:
        if o.get("kind") == "CustomResourceDefinition":
            for res in from_crd(o):
                cluster.resources.setdefault((res.group, res.plural), res)
                by_kind.setdefault((res.group, res.kind), res)
    latest: datetime | None = None
    for o in objects:
        api_version = str(o.get("apiVersion") or "v1")
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        kind = str(o["kind"])
        if group == "events.k8s.io" and kind == "Event":
            o, group = _event_v1(o), ""
        res = by_kind.get((group, kind))
        if res is None:
            version = api_version.rpartition("/")[2]
            namespaced = bool(o["metadata"].get("namespace"))
            res = Resource(group, version, kind, guess_plural(kind), namespaced)
            cluster.resources.setdefault((group, res.plural), res)
            by_kind[(group, kind)] = res
        ns = str(o["metadata"].get("namespace") or "") if res.namespaced else ""
        cluster.objects.setdefault((res.group, res.plural), {}).setdefault((ns, o["metadata"]["name"]), o)
        for t in (o["metadata"].get("creationTimestamp"), o.get("lastTimestamp")):
            parsed = parse_time(t)
            if parsed and (latest is None or parsed > latest):
                latest = parsed
    if latest is not None:
        cluster.now = latest


def _refused_resource(cmd: dict[str, Any]) -> tuple[str, str] | None:
    """(group, plural) of the resource a collector command read (``analyzer.sources``); for
    custom resources the name follows ``get`` in the command's argv."""
    source = BY_NAME.get(str(cmd.get("source")))
    if source is None:
        return None
    values = {}
    if "{resource}" in source.resource:
        argv = [a for a in cmd.get("argv") or () if isinstance(a, str)]
        after = argv[argv.index("get") + 1:argv.index("get") + 2] if "get" in argv else []
        if not after or "." not in after[0]:
            return None
        values["resource"] = after[0]
    return source.group_resource(values)


def _from_manifest(cluster: Cluster, manifest: dict[str, Any]) -> None:
    """Collection time, context, server version and the refusals recorded by our collector."""
    if not manifest:
        return
    t = parse_time(manifest.get("collected_at"))
    if t:
        cluster.now = t
    if isinstance(manifest.get("context"), str) and manifest["context"]:
        cluster.context = manifest["context"]
    if not cluster.version and isinstance(manifest.get("server_version"), str):
        cluster.version = {"gitVersion": manifest["server_version"]}
    for cmd in manifest.get("commands") or ():
        if not isinstance(cmd, dict) or cmd.get("exit_code") in (0, None):
            continue
        stderr = str(cmd.get("stderr") or "")
        if "forbidden" not in stderr.lower():
            continue
        target = _refused_resource(cmd)
        if target is None:
            continue
        msg = stderr.split("(Forbidden):", 1)[-1].strip().splitlines()[0] if stderr.strip() else "forbidden"
        cluster.forbidden[(target[0], target[1], str(cmd.get("namespace") or ""))] = msg
