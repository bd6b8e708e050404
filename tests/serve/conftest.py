"""Fixtures for the serve and round-trip tests: the mini bundle, a running server, kubectl."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.serve import Cluster, load_cluster, start, write_kubeconfig
from minibundle import write_bundle
from serve_helpers import Kube
from testkit.tools import need


@pytest.fixture(scope="session")
def mini_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bundle(tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="session")
def mini_cluster(mini_bundle: Path) -> Iterator[Cluster]:
    cluster = load_cluster(str(mini_bundle))
    yield cluster
    cluster.close()


@pytest.fixture
def serve_bundle(tmp_path: Path) -> Iterator:
    """A function that serves a bundle path and returns a ``Kube`` for it; servers stop after the test."""
    need("kubectl")
    running = []

    def serve(bundle: Path, context: str | None = None) -> Kube:
        cluster = load_cluster(str(bundle))
        server, thread = start(cluster)
        running.append((server, thread, cluster))
        kc = write_kubeconfig(tmp_path / f"kubeconfig-{len(running)}", server.server_address[1],
                              context or cluster.context)
        return Kube(kc, tmp_path / "kube-cache")

    yield serve
    for server, thread, cluster in running:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        cluster.close()
