"""Bundles in our collector's layout, written from Python: the one writer the tests use.

Paths come from the source table (``analyzer.sources``), objects are printed as kubectl prints
them (``tools.samplegen.kube``: sorted keys, 4-space indent, the ``kind: List`` wrapper), and each
file can be recorded in ``manifest.json`` as the command that wrote it, with the argv the
collector runs. Two ways in:

- ``write_bundle(root, objects, files=..., empty=..., manifest=...)``: objects grouped into the
  list file of their kind, extra files by path, a manifest (with ``commands=True`` one record
  per file);
- ``BundleWriter(root, ...)``: file by file (``put`` a source, ``put_file`` any path,
  ``refused`` a command the API refused), then ``finish()`` writes the manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analyzer.sources import BY_NAME, source_path
from tools.samplegen.kube import kubectl_json, list_of

T_COLLECT = "2026-11-20T10:15:00Z"

# kind -> the source its `kubectl get` list lands in (the others go to custom_resources)
SOURCE_OF_KIND = {
    "Node": "nodes", "Namespace": "namespaces", "PersistentVolume": "persistentvolumes",
    "StorageClass": "storageclasses", "CustomResourceDefinition": "crds",
    "MutatingWebhookConfiguration": "mutatingwebhooks", "RuntimeClass": "runtimeclasses",
    "Pod": "pods", "Event": "events", "Deployment": "deployments", "StatefulSet": "statefulsets",
    "DaemonSet": "daemonsets", "ReplicaSet": "replicasets", "Job": "jobs", "Service": "services",
    "Endpoints": "endpoints", "PersistentVolumeClaim": "pvcs", "ConfigMap": "configmaps", "Secret": "secrets",
    "HorizontalPodAutoscaler": "hpas", "Ingress": "ingresses", "NetworkPolicy": "networkpolicies",
}
# kubectl's short names in the collector's commands (`kubectl get pv`, `get crd`, `get pvc`, `get hpa`)
_SHORT = {"persistentvolumes": "pv", "crds": "crd", "pvcs": "pvc", "hpas": "hpa", "ingresses": "ingress"}


def custom_resource(obj: dict) -> str:
    """``plural.group`` of a custom resource object, as the collector names its file
    (``DynamoGraphDeployment`` of ``nvidia.com/v1alpha1`` -> ``dynamographdeployments.nvidia.com``)."""
    group = str(obj.get("apiVersion") or "").rpartition("/")[0]
    plural = str(obj["kind"]).lower() + "s"
    return f"{plural}.{group}" if group else plural


def where(obj: dict) -> tuple[str, dict[str, str]]:
    """(source, path values) of the list file an object is collected in."""
    ns = (obj.get("metadata") or {}).get("namespace")
    source = SOURCE_OF_KIND.get(obj["kind"])
    if source is None:
        source = "custom_resources" if ns else "cluster_custom_resources"
        values = {"resource": custom_resource(obj)}
    else:
        values = {}
    if "{namespace}" in BY_NAME[source].path:
        values["namespace"] = ns
    return source, values


def argv_of(source: str, values: dict[str, str]) -> list[str]:
    """The argv our collector runs for ``source`` (what ``collect-bundle.sh`` records)."""
    ns = ["-n", values["namespace"]] if values.get("namespace") else []
    if source in ("log", "previous_log"):
        return ["kubectl", "logs", *ns, values["pod"], "-c", values["container"], "--timestamps",
                *(["--previous"] if source == "previous_log" else []), "--limit-bytes=5242880"]
    if source == "metrics":
        return ["kubectl", "get", "--raw", f"/api/v1/namespaces/{values['namespace']}/pods/{values['pod']}/proxy/metrics"]
    if source == "version":
        return ["kubectl", "version", "-o", "json"]
    if source == "context":
        return ["kubectl", "config", "current-context"]
    if source.endswith("_describe"):
        return ["kubectl", "describe", source.removesuffix("_describe"), *ns]
    if BY_NAME[source].kind == "objects":
        resource = values.get("resource") or _SHORT.get(source, BY_NAME[source].resource.partition(".")[0])
        return ["kubectl", "get", resource, *ns, "-o", "json"]
    return ["kubectl", *BY_NAME[source].what.split(" (")[0].split()]


class BundleWriter:
    """Writes a bundle under ``root`` file by file; ``finish()`` writes ``manifest.json``.

    ``record``: whether each file is recorded as a command in the manifest (our collector always
    does; ``False`` gives a manifest with no ``commands`` key, as other tools write it)."""

    def __init__(self, root: Path, *, collected_at: str = T_COLLECT, context: str = "gpu-prod",
                 server_version: str = "v1.30.6", namespaces: list[str] | None = None,
                 hami_namespace: str | None = None, record: bool = True) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.record = record
        self.commands: list[dict[str, Any]] = []
        self.seen: set[str] = set()  # namespaces of the sources written: the manifest's default list
        self.manifest: dict[str, Any] = {
            "collector": "collect-bundle.sh", "collector_version": "0.1.0", "collected_at": collected_at,
            "context": context, "server_version": server_version, "namespaces": namespaces,
            "hami_namespace": hami_namespace}

    def _write(self, path: str, content: Any) -> int:
        data = content if isinstance(content, bytes) else (
            content if isinstance(content, str) else kubectl_json(content)).encode()
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return len(data)

    def _rec(self, source: str, namespace: str | None, argv: list[str], path: str | None, size: int,
             exit_code: int = 0, stderr: str = "") -> None:
        if self.record:
            self.commands.append({"source": source, "namespace": namespace, "argv": argv, "exit_code": exit_code,
                                  "bytes": size, "duration_ms": 12, "stderr": stderr, "path": path})

    def put(self, source: str, content: Any, *, argv: list[str] | None = None, **values: str) -> str:
        """Write ``content`` (text, bytes, or a JSON value printed like kubectl) at the path of
        ``source`` with ``values`` (namespace, pod, container, node, resource); returns the path."""
        path = source_path(source, **values)
        size = self._write(path, content)
        if values.get("namespace"):
            self.seen.add(values["namespace"])
        self._rec(source, values.get("namespace"), argv or argv_of(source, values), path, size)
        return path

    def put_file(self, path: str, content: Any, *, source: str = "file", argv: list[str] | None = None,
                 namespace: str | None = None) -> str:
        """Write a file at any ``path`` (one the source table may not know)."""
        size = self._write(path, content)
        self._rec(source, namespace, argv or ["kubectl"], path, size)
        return path

    def objects(self, objects: list[dict], *, empty: tuple[str, ...] = ()) -> list[str]:
        """Each object in the ``kubectl get -o json`` list file of its kind; ``empty``: list-file
        paths collected with no item. Returns the paths written."""
        groups: dict[str, tuple[str, dict[str, str], list[dict]]] = {}
        for path in empty:
            groups[path] = ("file", {}, [])
        for obj in objects:
            source, values = where(obj)
            path = source_path(source, **values)
            groups.setdefault(path, (source, values, []))[2].append(obj)
        for path, (source, values, items) in groups.items():
            if source == "file":
                self.put_file(path, list_of(items))
                if path.startswith("namespaces/"):
                    self.seen.add(path.split("/")[1])
            else:
                self.put(source, list_of(items), **values)
        return list(groups)

    def refused(self, source: str, namespace: str | None, argv: list[str], stderr: str, exit_code: int = 1) -> None:
        """A command the cluster refused: recorded with its stderr, no file written."""
        self._rec(source, namespace, argv, None, 0, exit_code, stderr)

    def finish(self, **manifest: Any) -> Path:
        """Write ``manifest.json`` (``manifest`` overrides its keys) and return the bundle folder."""
        doc = dict(self.manifest)
        if doc["namespaces"] is None:
            doc["namespaces"] = sorted(self.seen)
        if self.record:
            doc["commands"] = self.commands
        doc.update(manifest)
        (self.root / "manifest.json").write_text(json.dumps(doc, indent=2))
        return self.root


def write_bundle(root: Path, objects: list[dict], *, empty: tuple[str, ...] = (), files: dict[str, Any] | None = None,
                 manifest: dict | None = None, commands: bool = False) -> Path:
    """A collector-layout bundle in ``root``: ``objects`` in the list files of their kinds, ``empty``
    list files (sources collected with no item), extra ``files`` by path (logs, metrics) and the
    manifest (``manifest`` overrides its keys; ``commands=True`` records each file as a command)."""
    writer = BundleWriter(root, record=commands)
    writer.objects(objects, empty=empty)
    for path, content in (files or {}).items():
        writer.put_file(path, content)
    return writer.finish(**(manifest or {}))
