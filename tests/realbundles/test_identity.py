"""One object per identity on the published bundles: must-gather's pods counted once, only core
Nodes as nodes, troubleshoot's kind-less CRD list read as CRDs, its redaction marker read as a value."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from analyzer.ingest import open_bundle


def _top(root: Path) -> Path:
    (top,) = [p for p in root.iterdir() if p.is_dir()]
    return top


@pytest.mark.parametrize("name", ["must-gather-aws", "must-gather-azure"])
def test_must_gather_pods_counted_once(name: str, realbundle, parsed_real) -> None:
    # oc adm inspect writes every pod twice: in namespaces/<ns>/core/pods.yaml and in
    # namespaces/<ns>/pods/<pod>/<pod>.yaml; each pod also has its own folder there
    pod_dirs = {(d.parent.parent.name, d.name) for d in realbundle(name).glob("*/*/namespaces/*/pods/*") if d.is_dir()}
    assert len(pod_dirs) > 200
    tables = parsed_real(name).tables
    pods = tables["pods"]
    assert pods.height == len(pod_dirs)
    assert set(pods.select("namespace", "name").iter_rows()) == pod_dirs
    assert pods.get_column("uid").n_unique() == pods.height
    containers = tables["containers"]
    assert not containers.select("namespace", "pod", "name", "init").is_duplicated().any()
    assert set(containers.select("namespace", "pod").unique().iter_rows()) <= pod_dirs
    objects = tables["objects"].filter(pl.col("name").is_not_null())
    assert not objects.select("api_version", "kind", "namespace", "name").is_duplicated().any()
    # Go writes an empty list as "items: null": a list with nothing in it, not an object
    assert objects.filter(pl.col("kind").str.ends_with("List")).is_empty()


def test_sbctl_nodes_are_the_core_nodes(realbundle, parsed_real) -> None:
    listed = json.loads((_top(realbundle("sbctl-support-bundle")) / "cluster-resources/nodes.json").read_text())
    names = sorted(n["metadata"]["name"] for n in listed["items"])
    assert len(names) == 3
    tables = parsed_real("sbctl-support-bundle").tables
    assert sorted(tables["nodes"].get_column("name").to_list()) == names
    # Longhorn's nodes.longhorn.io resources share the kind name, not the meaning
    longhorn = tables["objects"].filter((pl.col("kind") == "Node") & pl.col("api_version").str.starts_with("longhorn.io/"))
    assert sorted(longhorn.get_column("name").to_list()) == names


@pytest.mark.parametrize("name", ["sbctl-support-bundle", "troubleshoot-k3s"])
def test_troubleshoot_crd_list_without_kinds(name: str, realbundle, parsed_real) -> None:
    listed = json.loads((_top(realbundle(name)) / "cluster-resources/custom-resource-definitions.json").read_text())
    assert "kind" not in listed and all("kind" not in i for i in listed["items"])  # as troubleshoot wrote it
    objects = parsed_real(name).tables["objects"]
    crds = objects.filter(pl.col("kind") == "CustomResourceDefinition")
    assert sorted(crds.get_column("name").to_list()) == sorted(i["metadata"]["name"] for i in listed["items"])
    assert crds.get_column("api_version").unique().to_list() == ["apiextensions.k8s.io/v1"]
    assert objects.filter(pl.col("kind").is_null()).is_empty()


def test_redaction_marker_reads_as_a_value(parsed_real) -> None:
    parsed = parsed_real("sbctl-support-bundle")
    assert parsed.read_errors().is_empty()
    replicas = parsed.tables["objects"].filter(pl.col("kind") == "Replica")
    assert replicas.height == 3
    for body in replicas.get_column("body"):
        spec = json.loads(body)["spec"]
        assert spec["nodeID"].startswith("troubleshoot-demo-")
    instance_managers = parsed.tables["objects"].filter(pl.col("kind") == "InstanceManager")
    ips = {json.loads(b)["status"].get("ip") for b in instance_managers.get_column("body")}
    assert ips == {"***HIDDEN***"}


def test_troubleshoot_links_into_its_own_tree_are_aliases(realbundle, published) -> None:
    for source in (realbundle("troubleshoot-k3s"), published("troubleshoot-k3s")):
        with open_bundle(source) as bundle:
            assert bundle.read_errors == []
            assert len(bundle.aliases) == 19
            assert bundle.aliases["static-hi.log"] == "cluster-resources/pods/logs/default/static-hi/static-hi.log"
            members = {m.path for m in bundle.members}
            assert set(bundle.aliases.values()) <= members
            assert not any(p.startswith("all-logs/") for p in members)  # read once, through their targets


def test_a_link_out_of_the_bundle_stays_refused(tmp_path: Path) -> None:
    top = tmp_path / "support-bundle"
    (top / "cluster-resources/pods/logs/ns/p").mkdir(parents=True)
    (top / "cluster-resources/pods/logs/ns/p/c.log").write_text("hello\n")
    (top / "version.yaml").write_text("kind: SupportBundle\n")
    (top / "all-logs").mkdir()
    (top / "all-logs/c.log").symlink_to("../cluster-resources/pods/logs/ns/p/c.log")
    (top / "all-logs/passwd").symlink_to("/etc/passwd")
    (top / "all-logs/gone.log").symlink_to("../cluster-resources/pods/logs/ns/p/gone.log")
    with open_bundle(tmp_path) as bundle:
        assert bundle.aliases == {"all-logs/c.log": "cluster-resources/pods/logs/ns/p/c.log"}
        errors = {e.path: e.error for e in bundle.read_errors}
        assert errors == {"all-logs/passwd": "symbolic link refused (points outside the bundle)",
                          "all-logs/gone.log": "symbolic link refused (its target cluster-resources/pods/logs/ns/p/"
                                               "gone.log is not in the bundle)"}
