"""The collector's GPU node steps with the real kubectl against `serve` (the kubectl end-to-end setup).

`serve` answers get, list, logs and the pods' metrics proxy, and refuses everything else (POST:
MethodNotAllowed; `auth can-i` says no to create). So the driver pods are found by their GPU
Operator labels and the DCGM exporters are scraped, while `kubectl exec` and `kubectl debug` fail:
each failure is recorded in the manifest and the run goes on.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.collector import SCRIPT_NAME
from analyzer.serve import load_cluster, start, write_kubeconfig
from testkit.samples import sample
from testkit.tools import need

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "analyzer" / "collector" / SCRIPT_NAME
NODE_SAMPLE = sample("xid79-node-kernel-log")      # driver pods on the H100 nodes, none on the L40S node
DCGM_SAMPLE = sample("xid79-gpu-fell-off-bus")     # GPU Operator DCGM exporters with a scrape each


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    """A function serving a bundle; returns the environment that points kubectl at it."""
    need("kubectl")
    running = []

    def run(bundle: Path) -> dict[str, str]:
        cluster = load_cluster(str(bundle))
        server, thread = start(cluster)
        running.append((server, thread, cluster))
        kc = write_kubeconfig(tmp_path / f"kubeconfig-{len(running)}", server.server_address[1], cluster.context)
        return {**os.environ, "KUBECONFIG": str(kc), "KUBECACHEDIR": str(tmp_path / "kube-cache")}

    yield run
    for server, thread, cluster in running:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        cluster.close()


def exec_allowed(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """kubectl on PATH whose `auth can-i` says yes (RBAC that allows pods/exec); every other
    command is the real kubectl talking to `serve`."""
    bindir = tmp_path / "rbac-yes"
    bindir.mkdir()
    wrapper = bindir / "kubectl"
    wrapper.write_text('#!/usr/bin/env bash\nfor a in "$@"; do [ "$a" = can-i ] && { echo yes; exit 0; }; done\n'
                       f'exec {need("kubectl")} "$@"\n')
    wrapper.chmod(0o755)
    return {**env, "PATH": f"{bindir}{os.pathsep}{env['PATH']}"}


def collect(env: dict[str, str], out: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, bytes]]:
    proc = subprocess.run(["bash", str(SCRIPT), "-o", str(out), "--timeout", "30", *args], env=env,
                          capture_output=True, text=True, timeout=600)
    files = {}
    if out.exists():
        with tarfile.open(out) as tf:
            files = {m.name.split("/", 1)[1]: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}
    return proc, files


def commands(files: dict[str, bytes], source: str) -> list[dict]:
    return [c for c in json.loads(files["manifest.json"])["commands"] if c["source"] == source]


def _driver_pods(bundle: Path) -> dict[str, str]:
    """node -> GPU Operator driver pod, as the bundle holds them."""
    items = json.loads((bundle / "namespaces/gpu-operator/pods.json").read_text())["items"]
    return {p["spec"]["nodeName"]: p["metadata"]["name"] for p in items
            if p["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "nvidia-driver"}


def test_exec_and_debug_refused_by_serve_are_recorded_and_the_run_goes_on(serve, tmp_path: Path) -> None:
    env = exec_allowed(tmp_path, serve(NODE_SAMPLE))
    proc, files = collect(env, tmp_path / "b.tar.gz", "-n", "llm", "--node-debug")
    assert proc.returncode == 0, proc.stderr
    drivers = _driver_pods(NODE_SAMPLE)
    assert len(drivers) == 3
    # every driver pod was found by its labels and exec'd into: both commands refused and recorded
    for source in ("node_kernel_log", "node_nvidia_smi"):
        runs = commands(files, source)
        assert sorted(c["argv"][c["argv"].index("exec") + 3] for c in runs) == sorted(drivers.values())
        for c in runs:
            assert c["exit_code"] == 1 and c["path"] is None and c["namespace"] == "gpu-operator"
            assert "MethodNotAllowed" in c["stderr"]
    # the GPU node without a driver pod: kubectl debug refused once, recorded, nothing left behind
    nodes = json.loads((NODE_SAMPLE / "cluster/nodes.json").read_text())["items"]
    without = sorted(n["metadata"]["name"] for n in nodes
                     if n["status"]["capacity"].get("nvidia.com/gpu") and n["metadata"]["name"] not in drivers)
    debug = commands(files, "node_debug")
    assert [c["argv"][c["argv"].index("debug") + 1] for c in debug] == [f"node/{n}" for n in without]
    assert debug[0]["exit_code"] == 1 and "MethodNotAllowed" in debug[0]["stderr"]
    assert not [c for c in json.loads(files["manifest.json"])["commands"] if "delete" in c["argv"]]
    assert "node_kernel_log (gpu-operator): exit 1: Error from server (MethodNotAllowed)" in proc.stdout
    assert "node_debug (default): exit 1: Error from server (MethodNotAllowed)" in proc.stdout
    # nothing from the nodes, everything else still collected
    assert not [p for p in files if p.startswith("nodes/")]
    assert "namespaces/llm/pods.json" in files and "cluster/nodes.json" in files
    assert [p for p in files if p.startswith("namespaces/llm/logs/")]


def test_without_exec_rights_the_driver_pods_are_not_exec_d_into(serve, tmp_path: Path) -> None:
    proc, files = collect(serve(NODE_SAMPLE), tmp_path / "b.tar.gz", "-n", "llm")
    assert proc.returncode == 0, proc.stderr
    asked = [c for c in commands(files, "exec") if c["namespace"] == "gpu-operator"]
    assert len(asked) == 1 and asked[0]["exit_code"] == 1 and "can-i" in asked[0]["argv"]
    assert not commands(files, "node_kernel_log") and not commands(files, "node_debug")
    assert "exec (gpu-operator)" not in proc.stdout


def test_dcgm_exporters_are_scraped_through_the_api_server_proxy(serve, tmp_path: Path) -> None:
    proc, files = collect(serve(DCGM_SAMPLE), tmp_path / "b.tar.gz", "-n", "gpu-operator")
    assert proc.returncode == 0, proc.stderr
    items = json.loads((DCGM_SAMPLE / "namespaces/gpu-operator/pods.json").read_text())["items"]
    exporters = {p["spec"]["nodeName"]: p["metadata"]["name"] for p in items
                 if p["metadata"].get("labels", {}).get("app") == "nvidia-dcgm-exporter"}
    assert exporters
    for node, pod in exporters.items():
        scraped = files[f"nodes/{node}/dcgm-exporter.prom"]
        assert scraped == (DCGM_SAMPLE / f"namespaces/gpu-operator/metrics/{pod}.prom").read_bytes()
        # scraped once: not again as a pod of the collected namespace
        assert f"namespaces/gpu-operator/metrics/{pod}.prom" not in files
    assert len(commands(files, "node_dcgm_metrics")) == len(exporters)
