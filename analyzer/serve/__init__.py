"""A read-only Kubernetes API over a support bundle, so that kubectl works offline.

    bundle-analyzer serve BUNDLE --port 0
    export KUBECONFIG=/tmp/bundle-analyzer-serve-41873.kubeconfig
    kubectl get pods -A; kubectl describe node gpu-1; kubectl logs -n ns pod --previous

``load_cluster`` indexes the bundle (any layout ``analyzer.ingest`` reads), ``make_server`` answers
kubectl's requests on 127.0.0.1 only, ``write_kubeconfig`` writes the file kubectl needs.
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import yaml

from analyzer.serve.server import make_server, respond
from analyzer.serve.store import Cluster, load_cluster

__all__ = ["Cluster", "load_cluster", "make_server", "respond", "write_kubeconfig", "start", "serve"]


def write_kubeconfig(path: Path, port: int, context: str, namespace: str | None = None) -> Path:
    """Write a kubeconfig whose current context points at the local server; returns ``path``."""
    ctx: dict[str, str] = {"cluster": "bundle", "user": "bundle"}
    if namespace:
        ctx["namespace"] = namespace
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": "bundle", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "bundle", "user": {}}],
        "contexts": [{"name": context, "context": ctx}],
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def default_namespace(cluster: Cluster, manifest_namespaces: list[str] | None = None) -> str | None:
    """The namespace the kubeconfig starts in: the bundle's first namespace holding pods."""
    pods = cluster.resources[("", "pods")]
    names = manifest_namespaces or sorted({ns for ns, _ in cluster.objects.get(("", "pods"), {})})
    for ns in names:
        if cluster.items(pods, ns):
            return ns
    return names[0] if names else None


def start(cluster: Cluster, port: int = 0) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Serve ``cluster`` from a background thread (for tests and embedding); stop with ``shutdown()``."""
    server = make_server(cluster, port)
    thread = threading.Thread(target=server.serve_forever, name="bundle-api", daemon=True)
    thread.start()
    return server, thread


def serve(input_path: str, port: int, kubeconfig: Path | None, echo: Callable[[str], None] = print,
          verbose: bool = False) -> None:
    """Serve the bundle at ``input_path`` until interrupted; writes the kubeconfig and says how to use it."""
    import tempfile

    cluster = load_cluster(input_path)
    try:
        server = make_server(cluster, port, quiet=not verbose)
        bound = server.server_address[1]
        path = kubeconfig or Path(tempfile.gettempdir()) / f"bundle-analyzer-serve-{bound}.kubeconfig"
        write_kubeconfig(path, bound, cluster.context, default_namespace(cluster))
        count = sum(len(v) for v in cluster.objects.values())
        echo(f"Serving {cluster.name} ({count} objects, {len(cluster.logs)} logs) "
             f"read-only on http://127.0.0.1:{bound}")
        echo(f"Port: {bound}")
        echo(f"export KUBECONFIG={path}")
        echo("Then: kubectl get pods -A, kubectl describe node NODE, kubectl logs -n NS POD --previous")
        for problem in cluster.problems[:20]:
            echo(f"could not read: {problem}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    finally:
        cluster.close()
