"""A read-only Kubernetes API over a support bundle, so that kubectl works offline.

    bundle-analyzer serve BUNDLE --port 0
    export KUBECONFIG=/tmp/bundle-analyzer-serve-41873.kubeconfig
    kubectl get pods -A; kubectl describe node gpu-1; kubectl logs -n ns pod --previous

``load_cluster`` indexes the bundle (any layout ``analyzer.ingest`` reads), ``make_server`` answers
kubectl's requests on 127.0.0.1 only, ``write_kubeconfig`` writes the file kubectl needs: created
new (never over an existing file, never through a symbolic link), readable by its owner only, at
an unpredictable name in the temporary folder unless a path is given, and removed when serve stops.
"""

from __future__ import annotations

import os
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import yaml

from analyzer.serve.server import make_server, respond
from analyzer.serve.store import Cluster, load_cluster

__all__ = ["Cluster", "KubeconfigError", "load_cluster", "make_server", "respond", "write_kubeconfig", "start",
           "serve"]


class KubeconfigError(OSError):
    """The kubeconfig cannot be created where asked (it exists, or is a link); one line."""


def write_kubeconfig(path: Path | None, port: int, context: str, namespace: str | None = None) -> Path:
    """Write a kubeconfig whose current context points at the local server; returns its path.

    ``path`` None: a new file of a random name in the temporary folder. Either way the file is
    created exclusively with mode 0600 and no symbolic link is followed: a file or link planted
    at the path is refused (``KubeconfigError``), never written through."""
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
    text = yaml.safe_dump(config, sort_keys=False).encode()
    if path is None:
        fd, name = tempfile.mkstemp(prefix="bundle-analyzer-serve-", suffix=".kubeconfig")  # O_EXCL, 0600
        path = Path(name)
    else:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
        except FileExistsError:
            raise KubeconfigError(f"{path} exists: remove it or give another --kubeconfig path") from None
        except OSError as exc:  # a link (O_NOFOLLOW), a missing folder, no permission
            raise KubeconfigError(f"cannot create {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
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
    cluster = load_cluster(input_path)
    path: Path | None = None
    try:
        server = make_server(cluster, port, quiet=not verbose)
        bound = server.server_address[1]
        path = write_kubeconfig(kubeconfig, bound, cluster.context, default_namespace(cluster))
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
        if path is not None:
            path.unlink(missing_ok=True)  # it points at a port nothing listens on any more
        cluster.close()
