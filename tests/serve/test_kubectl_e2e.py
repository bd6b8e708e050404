"""The real kubectl against `serve`, on the mini bundle and on every sample bundle.

What a support engineer types first: get pods -A, get nodes -o wide, describe pod, describe node,
logs --previous, get events. Each answer is checked against what the bundle holds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import polars as pl
import pytest

from analyzer.ingest import open_bundle
from analyzer.parse import parse_bundle
from analyzer.serve import Cluster, load_cluster, start, write_kubeconfig
from serve_helpers import SAMPLES, Kube
from testkit.samples import sample_dirs, sample_run
from testkit.tools import need

Obj = dict


class Served(NamedTuple):
    kube: Kube
    cluster: Cluster
    tables: dict[str, pl.DataFrame]  # what the analyzer's parser reads from the same bundle


def _parsed_tables(path: Path) -> dict[str, pl.DataFrame]:
    """The bundle's tables as ``analyze`` parses them (a sample's from the session's analysis):
    what serve must agree with, read by another path than serve's."""
    if path.parent == SAMPLES:
        return dict(sample_run(path).analysis.parsed.tables)
    with open_bundle(str(path)) as bundle:
        return dict(parse_bundle(bundle).tables)


@pytest.fixture(scope="module", params=["mini", *[p.name for p in sample_dirs()]])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mini_bundle: Path):
    """(Kube, Cluster, parsed tables) for one bundle; one server per bundle for all the checks."""
    need("kubectl")
    path = mini_bundle if request.param == "mini" else SAMPLES / request.param
    cluster = load_cluster(str(path))
    server, thread = start(cluster)
    tmp = tmp_path_factory.mktemp("kube")
    kube = Kube(write_kubeconfig(tmp / "kubeconfig", server.server_address[1], cluster.context), tmp / "cache")
    yield Served(kube, cluster, _parsed_tables(path))
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    cluster.close()


def _pods(cluster: Cluster) -> list[Obj]:
    return cluster.items(cluster.resources[("", "pods")])


def _events(cluster: Cluster) -> list[Obj]:
    return cluster.items(cluster.resources[("", "events")])


def _rows(text: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()[1:] if line.strip()]


def test_get_pods_all_namespaces(served) -> None:
    kube, cluster, tables = served
    pods = _pods(cluster)
    if not pods:  # only a bundle whose files hold no pod at all
        assert tables["pods"].is_empty(), "serve lost the pods the parser reads"
        assert "No resources found" in kube.run("get", "pods", "-A").stderr
        return
    out = kube("get", "pods", "-A")
    assert re.match(r"NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE", out)
    listed = {(r[0], r[1]) for r in _rows(out)}
    assert {(p["metadata"].get("namespace", ""), p["metadata"]["name"]) for p in pods} == listed
    for p in pods:  # a container's waiting reason is what STATUS shows for it
        waiting = [(cs.get("state") or {}).get("waiting", {}).get("reason")
                   for cs in (p.get("status") or {}).get("containerStatuses") or []]
        if waiting and all(waiting) and len(set(waiting)) == 1 and not (p["status"].get("initContainerStatuses")):
            row = next(r for r in _rows(out) if r[1] == p["metadata"]["name"])
            assert row[3] == waiting[0]


def test_get_nodes_wide(served) -> None:
    kube, cluster, tables = served
    nodes = cluster.items(cluster.resources[("", "nodes")])
    out = kube("get", "nodes", "-o", "wide")
    if not nodes:
        assert tables["nodes"].is_empty(), "serve lost the nodes the parser reads"
        assert "No resources found" in kube.run("get", "nodes").stderr
        return
    assert re.match(r"NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE", out)
    for n in nodes:
        ip = next((a["address"] for a in n["status"].get("addresses", []) if a["type"] == "InternalIP"), "<none>")
        row = next(r for r in _rows(out) if r[0] == n["metadata"]["name"])
        assert row[5] == ip
        assert row[4] == n["status"]["nodeInfo"]["kubeletVersion"]


def test_describe_pod_shows_its_events(served) -> None:
    kube, cluster, tables = served
    pods = _pods(cluster)
    if not pods:  # only a bundle whose files hold no pod at all
        assert tables["pods"].is_empty(), "serve lost the pods the parser reads"
        proc = kube.run("describe", "pod", "any-pod", "-n", "default", check=False)
        assert proc.returncode == 1 and 'pods "any-pod" not found' in proc.stderr, proc.stderr
        return

    def events_of(p: Obj) -> list[Obj]:
        return [e for e in _events(cluster) if e.get("involvedObject", {}).get("name") == p["metadata"]["name"]
                and e.get("involvedObject", {}).get("kind") == "Pod"
                and e.get("involvedObject", {}).get("uid", p["metadata"].get("uid")) in ("", p["metadata"].get("uid"))]

    pod = max(pods, key=lambda p: len(events_of(p)))
    ns, name = pod["metadata"].get("namespace", ""), pod["metadata"]["name"]
    out = kube("describe", "pod", name, "-n", ns)
    assert re.search(rf"^Name:\s+{re.escape(name)}$", out, re.M)
    assert re.search(rf"^Namespace:\s+{re.escape(ns)}$", out, re.M)
    section = out.split("\nEvents:", 1)[1]
    for e in events_of(pod):
        assert e["reason"] in section


def test_describe_node(served) -> None:
    kube, cluster, tables = served
    nodes = cluster.items(cluster.resources[("", "nodes")])
    if not nodes:  # only a bundle whose files hold no node at all
        assert tables["nodes"].is_empty(), "serve lost the nodes the parser reads"
        proc = kube.run("describe", "node", "any-node", check=False)
        assert proc.returncode == 1 and 'nodes "any-node" not found' in proc.stderr, proc.stderr
        return
    node = max(nodes, key=lambda n: int(n["status"].get("capacity", {}).get("nvidia.com/gpu", "0") or 0))
    name = node["metadata"]["name"]
    out = kube("describe", "node", name)
    assert re.search(rf"^Name:\s+{re.escape(name)}$", out, re.M)
    assert "Allocated resources:" in out and "Non-terminated Pods:" in out
    gpus = node["status"].get("capacity", {}).get("nvidia.com/gpu")
    if gpus:
        assert re.search(rf"nvidia\.com/gpu:\s+{gpus}$", out, re.M)
    on_node = [p for p in _pods(cluster) if (p.get("spec") or {}).get("nodeName") == name
               and (p.get("status") or {}).get("phase") not in ("Failed", "Succeeded")]
    assert f"Non-terminated Pods:          ({len(on_node)} in total)" in out


def test_logs_previous_is_the_bundles_previous_log(served) -> None:
    kube, cluster, tables = served
    pods = {(p["metadata"].get("namespace", ""), p["metadata"]["name"]): p for p in _pods(cluster)}
    candidates = []
    for (ns, pod, container, previous), member in sorted(cluster.logs.items()):
        for key in ((ns, pod), *[k for k in pods if not ns and k[1] == pod]):
            if previous and key in pods:
                names = [c["name"] for c in pods[key]["spec"]["containers"]]
                data = cluster.read(member)
                if data.strip():  # a log named after its service stands for the pod's container
                    candidates.append((key[0], pod, container if container in names else names[0], data))
    if not candidates:
        # no container restarted: kubectl gets the API server's refusal
        running = [p for p in pods.values() if (p.get("status") or {}).get("phase") == "Running"
                   and p["spec"].get("nodeName")]
        if not running:  # nothing to ask for: the bundle's files hold no previous log and no running pod
            assert tables["pods"].filter((pl.col("phase") == "Running") & pl.col("node").is_not_null()).is_empty()
            assert not tables["files"].filter(pl.col("previous").fill_null(False)).height
            return
        p = running[0]
        c = p["spec"]["containers"][0]["name"]
        proc = kube.run("logs", p["metadata"]["name"], "-n", p["metadata"]["namespace"], "-c", c, "--previous",
                        check=False)
        assert proc.returncode == 1
        assert f'previous terminated container "{c}" in pod "{p["metadata"]["name"]}" not found' in proc.stderr
        return
    ns, pod, container, data = candidates[0]
    out = kube("logs", pod, "-n", ns, "-c", container, "--previous")
    last = data.decode("utf-8", "replace").rstrip("\n").splitlines()[-1]
    expected = re.sub(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) ", "", last)
    assert out.rstrip("\n").splitlines()[-1] == expected
    stamped = kube("logs", pod, "-n", ns, "-c", container, "--previous", "--timestamps", "--tail=1")
    assert stamped.rstrip("\n") == last or not re.match(r"^\d{4}-", last)


def test_get_events_all_namespaces(served) -> None:
    kube, cluster, _ = served
    events = _events(cluster)
    proc = kube.run("get", "events", "-A")
    if not events:
        assert "No resources found" in proc.stderr
        return
    assert re.match(r"NAMESPACE\s+LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE", proc.stdout)
    for e in events:
        inv = e.get("involvedObject", {})
        obj = f"{str(inv.get('kind', '')).lower()}/{inv.get('name')}"
        assert any(e["reason"] in line and obj in line for line in proc.stdout.splitlines()), (e["reason"], obj)
