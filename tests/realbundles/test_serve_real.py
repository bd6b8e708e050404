"""The real kubectl against ``serve`` over the published troubleshoot bundles: the CRDs of a
CRD list that names no kind, the core Nodes only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from analyzer.serve import load_cluster, start, write_kubeconfig


@pytest.fixture(params=["sbctl-support-bundle", "troubleshoot-k3s"])
def kubectl(request: pytest.FixtureRequest, realbundle, tmp_path: Path
            ) -> Iterator[tuple[str, Path, Callable[..., str]]]:
    """(bundle name, its unpacked folder, a function running kubectl against serve over it)."""
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not installed (the serve end-to-end tests need it)")
    root = realbundle(request.param)
    cluster = load_cluster(str(root))
    server, thread = start(cluster)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server.server_address[1], cluster.context)
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "KUBECACHEDIR": str(tmp_path / "cache")}

    def run(*args: str) -> str:
        proc = subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"kubectl {' '.join(args)}: {proc.stderr}"
        return proc.stdout

    try:
        yield request.param, root, run
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        cluster.close()


def test_get_crd_lists_the_bundles_crds(kubectl) -> None:
    name, root, run = kubectl
    (top,) = [p for p in root.iterdir() if p.is_dir()]
    listed = json.loads((top / "cluster-resources/custom-resource-definitions.json").read_text())
    expected = sorted(i["metadata"]["name"] for i in listed["items"])
    out = run("get", "crd", "-o", "name")
    assert sorted(line.removeprefix("customresourcedefinition.apiextensions.k8s.io/")
                  for line in out.split()) == expected
    table = run("get", "crd")
    assert table.startswith("NAME") and all(n in table for n in expected)


def test_get_nodes_lists_the_core_nodes(kubectl) -> None:
    name, root, run = kubectl
    (top,) = [p for p in root.iterdir() if p.is_dir()]
    listed = json.loads((top / "cluster-resources/nodes.json").read_text())
    expected = sorted(n["metadata"]["name"] for n in listed["items"])
    assert sorted(run("get", "nodes", "-o", "name").split()) == [f"node/{n}" for n in expected]
