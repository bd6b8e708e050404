"""Write a Cluster to disk in our collector's layout, with manifest.json recording every command.

Paths come from `analyzer.sources` (the one table of source name -> path), so the samples
cannot drift from what the ingest stage expects. Command records carry the argv the collector
runs, exit code, bytes, a deterministic duration and the stderr kubectl prints on failure.
"""

from __future__ import annotations

import json
import random
import shutil
import zlib
from pathlib import Path
from typing import Any

from analyzer.sources import source_path

from .clock import rfc3339, rfc3339_nano
from .describe import describe_nodes, describe_pods
from .kube import Cluster, Obj, kubectl_json, list_of

COLLECTOR_VERSION = "0.1.0"
MAX_LOG_BYTES = 5 * 1024 * 1024

NS_SOURCES: tuple[tuple[str, list[str]], ...] = (
    ("deployments", ["get", "deployments"]),
    ("statefulsets", ["get", "statefulsets"]),
    ("daemonsets", ["get", "daemonsets"]),
    ("replicasets", ["get", "replicasets"]),
    ("jobs", ["get", "jobs"]),
    ("services", ["get", "services"]),
    ("endpoints", ["get", "endpoints"]),
    ("pvcs", ["get", "pvc"]),
    ("configmaps", ["get", "configmaps"]),
    ("secrets", ["get", "secrets"]),
)


class BundleWriter:
    """Collects files and command records, then writes them and the manifest."""

    def __init__(self, cluster: Cluster) -> None:
        self.c = cluster
        self.files: dict[str, bytes] = {}
        self.commands: list[dict[str, Any]] = []

    def _duration(self, size: int, base: int = 60) -> int:
        return base + self.c.rng.randint(0, 140) + size // 40_000

    def put(self, source: str, argv: list[str], data: bytes | None, *, namespace: str | None = None,
            exit_code: int = 0, stderr: str = "", **where: str) -> None:
        path = source_path(source, **({"namespace": namespace} if namespace else {}), **where) if data is not None else None
        if data is not None and path is not None:
            self.files[path] = data
        self.commands.append({"source": source, "namespace": namespace, "argv": argv, "exit_code": exit_code,
                              "bytes": len(data) if data is not None else 0,
                              "duration_ms": self._duration(len(data) if data else 0), "stderr": stderr,
                              "path": path})

    def render(self) -> None:
        c = self.c
        self.put("version", ["kubectl", "version", "-o", "json"], version_json(c).encode())
        self.put("context", ["kubectl", "config", "current-context"], (c.context + "\n").encode())
        nodes = [n.obj for n in c.nodes]
        self.put("nodes", ["kubectl", "get", "nodes", "-o", "json"], kubectl_json(list_of(nodes)).encode())
        all_pods = [p for ns in c.namespaces.values() for p in ns.pods]
        self.put("nodes_describe", ["kubectl", "describe", "nodes"],
                 describe_nodes(nodes, all_pods, c.node_events, c.now).encode())
        self.put("namespaces", ["kubectl", "get", "namespaces", "-o", "json"],
                 kubectl_json(list_of(namespace_objects(c))).encode())
        for source, argv in (("persistentvolumes", ["get", "pv"]), ("storageclasses", ["get", "storageclasses"]),
                             ("crds", ["get", "crd"]),
                             ("mutatingwebhooks", ["get", "mutatingwebhookconfigurations"]),
                             ("runtimeclasses", ["get", "runtimeclasses"])):
            items = sorted(c.cluster_objects[source], key=lambda o: o["metadata"]["name"])
            self.put(source, ["kubectl", *argv, "-o", "json"], kubectl_json(list_of(items)).encode())
        if c.helm is None:
            self.put("helm_releases", ["helm", "list", "-A", "-o", "json"], None, exit_code=127,
                     stderr="helm: command not found")
        else:
            self.put("helm_releases", ["helm", "list", "-A", "-o", "json"],
                     (json.dumps(c.helm, separators=(",", ":")) + "\n").encode())
        # the collector reads the GPU nodes before the namespaces
        for node in sorted(c.node_files):
            for source, ns, argv, output, rc, err in c.node_files[node]:
                self.put(source, argv, None if output is None else output.encode(), namespace=ns, exit_code=rc,
                         stderr=err, node=node)
        for name in sorted(c.namespaces):
            self._render_namespace(name)

    def _render_namespace(self, name: str) -> None:
        c = self.c
        ns = c.namespaces[name]
        pods = sorted(ns.pods, key=lambda p: p["metadata"]["name"])
        kns = ["-n", name]
        self.put("pods", ["kubectl", "get", "pods", *kns, "-o", "json"], kubectl_json(list_of(pods)).encode(),
                 namespace=name)
        self.put("pods_describe", ["kubectl", "describe", "pods", *kns],
                 describe_pods(pods, ns.events, c.now).encode(), namespace=name)
        events = sorted(ns.events, key=lambda e: e["metadata"]["name"])
        self.put("events", ["kubectl", "get", "events", *kns, "-o", "json"], kubectl_json(list_of(events)).encode(),
                 namespace=name)
        for source, argv in NS_SOURCES:
            items = sorted(ns.objects.get(source, []), key=lambda o: o["metadata"]["name"])
            self.put(source, ["kubectl", *argv, *kns, "-o", "json"], kubectl_json(list_of(items)).encode(),
                     namespace=name)
        for resource in sorted(set(ns.custom) | set(c.missing_crd_resources)):
            argv = ["kubectl", "get", f"{resource}.nvidia.com", *kns, "-o", "json"]
            if resource in c.missing_crd_resources:
                self.put("custom_resources", argv, None, namespace=name, exit_code=1,
                         stderr=f'error: the server doesn\'t have a resource type "{resource}.nvidia.com"')
                continue
            items = sorted(ns.custom[resource], key=lambda o: o["metadata"]["name"])
            self.put("custom_resources", argv, kubectl_json(list_of(items)).encode(), namespace=name,
                     resource=resource)
        for pod in pods:
            pname = pod["metadata"]["name"]
            for ctr in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
                for previous in (False, True):
                    self._render_log(name, pod, ctr["name"], previous)
            for (epod, ectr), (tail, out, rc, err) in sorted(ns.execs.items()):
                if epod == pname:
                    self.put("exec", ["kubectl", "exec", "-n", name, pname, "-c", ectr, "--", *tail], out.encode(),
                             namespace=name, exit_code=rc, stderr=err, pod=pname, container=ectr)
            if pname in ns.metrics:
                port, text = ns.metrics[pname]
                self.put("metrics", ["kubectl", "get", "--raw",
                                     f"/api/v1/namespaces/{name}/pods/{pname}:{port}/proxy/metrics"],
                         text.encode(), namespace=name, pod=pname)
            elif pname in ns.metric_errors:
                port, err = ns.metric_errors[pname]
                self.put("metrics", ["kubectl", "get", "--raw",
                                     f"/api/v1/namespaces/{name}/pods/{pname}:{port}/proxy/metrics"],
                         None, namespace=name, exit_code=1, stderr=err)

    def _render_log(self, ns_name: str, pod: Obj, container: str, previous: bool) -> None:
        ns = self.c.namespaces[ns_name]
        pname = pod["metadata"]["name"]
        argv = ["kubectl", "logs", "-n", ns_name, pname, "-c", container, "--timestamps",
                f"--limit-bytes={MAX_LOG_BYTES}"]
        if previous:
            argv.insert(-1, "--previous")
        source = "previous_log" if previous else "log"
        key = (pname, container, previous)
        if key in ns.logs:
            text = "".join(f"{rfc3339_nano(t)} {line}\n" for t, line in kubelet_times(ns.logs[key], pname + container))
            self.put(source, argv, text.encode(), namespace=ns_name, pod=pname, container=container)
            return
        stderr = ns.log_errors.get(key) or default_log_error(pod, container, previous)
        if stderr == "":
            # the container ran but printed nothing: kubectl exits 0 with no output
            self.put(source, argv, b"", namespace=ns_name, pod=pname, container=container)
            return
        self.put(source, argv, None, namespace=ns_name, exit_code=1, stderr=stderr)

    def manifest(self) -> dict[str, Any]:
        c = self.c
        return {"collector": "collect-bundle.sh", "collector_version": COLLECTOR_VERSION,
                "collected_at": rfc3339(c.now), "context": c.context, "server_version": c.server_version,
                "namespaces": sorted(c.namespaces), "hami_namespace": c.hami_namespace,
                "options": {"namespaces": sorted(c.namespaces), "max_log_bytes": MAX_LOG_BYTES,
                            "previous_logs": True, "metrics": True, "exec_nvidia_smi": False,
                            "request_timeout": "30s", "redact": True},
                "commands": self.commands}

    def write(self, out_dir: Path) -> None:
        """Replace ``out_dir`` with the bundle (expected.json is written by the caller)."""
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.mkdir(parents=True)
        for path, data in sorted(self.files.items()):
            p = out_dir / path
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        (out_dir / "manifest.json").write_text(json.dumps(self.manifest(), indent=2) + "\n")


def kubelet_times(lines: list[tuple[int, str]], seed: str) -> list[tuple[int, str]]:
    """Kubelet stamps for the lines: the application's time plus the pipe delay, strictly increasing."""
    rnd = random.Random(zlib.crc32(seed.encode()))
    out = []
    prev = 0
    for t, line in lines:
        # the kubelet stamps a line when it reads it from the pipe: a little after the write
        t += rnd.randrange(20_000, 400_000) + (rnd.randrange(0, 600_000) if t % 1_000_000 == 0 else 0)
        t = max(t, prev + rnd.randrange(900, 4_000))
        out.append((t, line))
        prev = t
    return out


def default_log_error(pod: Obj, container: str, previous: bool) -> str:
    """The stderr kubectl prints when a log cannot be read (pod not scheduled, never started...)."""
    name = pod["metadata"]["name"]
    if not pod["spec"].get("nodeName"):
        return f"Error from server (BadRequest): pod {name} does not have a host assigned"
    statuses = pod["status"].get("containerStatuses", []) + pod["status"].get("initContainerStatuses", [])
    st = next((s for s in statuses if s["name"] == container), None)
    if previous:
        return (f'Error from server (BadRequest): previous terminated container "{container}" in pod '
                f'"{name}" not found')
    if st and "waiting" in st["state"] and not st.get("lastState"):
        reason = st["state"]["waiting"].get("reason", "ContainerCreating")
        if reason in ("ErrImagePull", "ImagePullBackOff"):
            reason = "trying and failing to pull image"
        return f'Error from server (BadRequest): container "{container}" in pod "{name}" is waiting to start: {reason}'
    return ""


def version_json(c: Cluster) -> str:
    major, minor = c.server_version.lstrip("v").split(".")[:2]
    v = {"clientVersion": {"buildDate": "2026-09-10T11:23:39Z", "compiler": "gc",
                           "gitCommit": "8f2d4a1e6c7b3d9f0a5e2c1b4d7f8a9e0c3b6d2f", "gitTreeState": "clean",
                           "gitVersion": "v1.31.4", "goVersion": "go1.22.10", "major": "1", "minor": "31",
                           "platform": "linux/amd64"},
         "kustomizeVersion": "v5.4.2",
         "serverVersion": {"buildDate": "2026-08-14T09:41:02Z", "compiler": "gc",
                           "gitCommit": "3e1f9c07d2b8a4e65f0c9d1b7a2e3f4c5d6b8a90", "gitTreeState": "clean",
                           "gitVersion": c.server_version, "goVersion": "go1.22.8", "major": major,
                           "minor": minor, "platform": "linux/amd64"}}
    return json.dumps(v, indent=2) + "\n"


def namespace_objects(c: Cluster) -> list[Obj]:
    out = []
    for name in sorted(c.namespaces):
        ns = c.namespaces[name]
        labels = ns.objects.get("_labels", [{}])[0]
        out.append({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"creationTimestamp": rfc3339(ns.created), "labels": labels, "name": name,
                                 "resourceVersion": str(1000 + len(name) * 37), "uid": c.rng.uid()},
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    return out

