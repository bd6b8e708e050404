"""Other collectors' bundles as they write them: kubectl cluster-info dump in the internal
serialization of kubectl <= 1.10 and in the versioned one, its log markers and log errors,
manifests dropped into a bundle, and each collector's record of what it could not collect."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from analyzer.ingest import open_bundle
from analyzer.parse import parse_bundle
from analyzer.pipeline import analyze_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OLD_DUMP = FIXTURES / "cluster-info-dump-kubectl-1.10"


def _write(root: Path, files: dict[str, str | dict | list]) -> Path:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return root


def test_old_cluster_info_dump_reads_pods_events_and_nodes() -> None:
    with open_bundle(OLD_DUMP) as bundle:
        assert bundle.layout == "cluster-info-dump"
        parsed = parse_bundle(bundle)
        t = parsed.tables
        assert sorted(t["pods"].get_column("name").to_list()) == [
            "kube-dns-86f4d74b45-9vqtl", "nvidia-device-plugin-daemonset-2x7qk", "resnet-train-0"]
        plugin = t["containers"].filter(pl.col("pod") == "nvidia-device-plugin-daemonset-2x7qk").row(0, named=True)
        assert (plugin["restart_count"], plugin["state_reason"], plugin["last_reason"], plugin["last_exit_code"]) == (
            412, "CrashLoopBackOff", "Error", 1)
        trainer = t["pods"].filter(pl.col("name") == "resnet-train-0").row(0, named=True)
        assert (trainer["namespace"], trainer["phase"], trainer["gpu"], trainer["node"]) == ("default", "Pending", 1, None)
        assert json.loads(trainer["conditions"])[0]["reason"] == "Unschedulable"
        node = t["nodes"].row(0, named=True)
        assert (node["name"], node["ready"], node["gpu_capacity"], node["kubelet_version"], node["internal_ip"]) == (
            "gpu-node-1", True, 8, "v1.10.3", "10.128.0.5")
        assert json.loads(node["taints"]) == ["nvidia.com/gpu=present:NoSchedule"]
        events = {r["reason"]: r for r in t["events"].iter_rows(named=True)}
        assert events["BackOff"]["count"] == 9874 and events["BackOff"]["namespace"] == "kube-system"
        assert events["FailedScheduling"]["message"] == "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."
        assert parsed.read_errors().is_empty()


def test_dump_log_markers_are_not_log_lines_and_log_errors_are_not_collected() -> None:
    with open_bundle(OLD_DUMP) as bundle:
        parsed = parse_bundle(bundle)
        lines = parsed.log_lines()
        assert not lines.filter(pl.col("text").str.starts_with("====")).height
        assert not lines.filter(pl.col("text").str.contains("log error")).height
        dns = lines.filter(pl.col("pod") == "kube-dns-86f4d74b45-9vqtl")
        assert dns.group_by("container").len().sort("container").rows() == [("dnsmasq", 4), ("kubedns", 6), ("sidecar", 3)]
        # the device plugin's log could not be read; the unscheduled pod had no log to read
        assert [(n.source, n.deprives) for n in parsed.not_collected] == [
            ("logs of kube-system/nvidia-device-plugin-daemonset-2x7qk/nvidia-device-plugin-ctr", ("logs",))]
        assert "i/o timeout" in parsed.not_collected[0].error


def test_new_dump_with_a_stray_manifest(tmp_path: Path) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "vllm-0", "namespace": "llm", "uid": "u1"},
           "spec": {"containers": [{"name": "main", "image": "vllm/vllm-openai:v0.6.3"}], "nodeName": "n1"},
           "status": {"phase": "Running"}}
    root = _write(tmp_path / "dump", {
        "nodes.json": {"kind": "NodeList", "apiVersion": "v1", "items": [
            {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}, "status": {}}]},
        "llm/pods.json": {"kind": "PodList", "apiVersion": "v1", "items": [pod]},
        "llm/events.json": {"kind": "EventList", "apiVersion": "v1", "items": []},
        "llm/vllm-0/logs.txt": "==== START logs for container main of pod llm/vllm-0 ====\n"
                               "INFO 06-11 08:06:03 api_server.py:219] vLLM API server version 0.6.3\n"
                               "==== END logs for container main of pod llm/vllm-0 ====\n",
        # what someone meant to deploy, saved next to the dump
        "vllm-fix.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: vllm-0-fixed\nspec:\n"
                         "  containers:\n  - name: main\n    image: vllm/vllm-openai:v0.6.4\n",
    })
    with open_bundle(root) as bundle:
        parsed = parse_bundle(bundle)
        assert parsed.tables["pods"].select("namespace", "name").rows() == [("llm", "vllm-0")]
        files = dict(parsed.tables["files"].select("path", "kind").iter_rows())
        assert files["vllm-fix.yaml"] == "manifests"
        lines = parsed.log_lines()
        assert lines.select("line", "container").rows() == [(2, "main")]


def test_troubleshoot_collection_failures(tmp_path: Path) -> None:
    forbidden = ('pods is forbidden: User "system:serviceaccount:default:troubleshoot" cannot list resource '
                 '"pods" in API group "" in the namespace "llm"')
    root = _write(tmp_path / "support-bundle-2026-01-31T12_00_00", {
        "version.yaml": "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nmetadata:\n  name: supportbundle\n"
                        "spec:\n  versionNumber: v0.117.0\n",
        "cluster-info/cluster_version.json": {"info": {"gitVersion": "v1.30.4"}, "string": "v1.30.4"},
        "cluster-resources/nodes.json": {"kind": "NodeList", "apiVersion": "v1", "items": [
            {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "gpu-1"}, "status": {}}]},
        "cluster-resources/pods-errors.json": [forbidden],
        "cluster-resources/deployments-errors.json": [forbidden.replace('"pods"', '"deployments"').replace("pods is", "deployments.apps is")],
        "cluster-resources/pods/logs/gpu-operator/driver-x/nvidia-driver-ctr-logs-errors.log":
            'container "nvidia-driver-ctr" in pod "driver-x" is terminated',
        "collector-errors/logs/app=vllm-error.json": {"collector": "logs/app=vllm", "error": "context deadline exceeded",
                                                      "timestamp": "2026-01-31T12:00:40Z"},
        "execution-data/summary.txt": "============ Collectors summary =============\n"
                                      "Succeeded (S), eXcluded (X), Failed (F)\n"
                                      "=============================================\n"
                                      "cluster-resources (S) : 2,041ms\n"
                                      "exec/nvidia-smi (F)   : 31ms\n\n"
                                      "============= Analyzers summary =============\n"
                                      "Succeeded (S), eXcluded (X), Failed (F)\n"
                                      "=============================================\n"
                                      "gpu-count (F) : 1ms\n\nDuration: 2,414ms\n",
    })
    with analyze_path(str(root), redact=False) as analysis:
        nc = analysis.result["input"]["not_collected"]
        by_source = {n["source"]: n for n in nc}
        assert by_source["pods"]["deprives"] == ["pods"] and by_source["pods"]["error"] == forbidden
        assert by_source["pods"]["path"] == "cluster-resources/pods-errors.json"
        assert by_source["deployments"]["deprives"] == ["objects:Deployment"]
        assert by_source["logs of gpu-operator/driver-x/nvidia-driver-ctr"]["deprives"] == ["logs"]
        assert by_source["collector logs/app=vllm"]["error"] == "context deadline exceeded"
        assert by_source["collector exec/nvidia-smi"]["path"] == "execution-data/summary.txt"
        assert "collector gpu-count" not in by_source  # an analyzer, not a collector
        # no pod could be read: what would have read them says why
        checks = {c["name"].split()[0]: c for c in analysis.result["checks"]}
        crash = checks["CHK001"]
        assert crash["status"] == "skipped" and crash["reason"].startswith("not collected: pods (pods is forbidden")


def test_must_gather_gather_errors(tmp_path: Path) -> None:
    image = "quay-io-openshift-release-dev-ocp-v4-0-art-dev-sha256-eede85cb"
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "master-0", "uid": "n0"}, "status": {}}
    root = _write(tmp_path / "must-gather.local.5309", {
        "must-gather.logs": "[must-gather      ] OUT 2026-05-17T12:00:01.1Z Using must-gather plug-in image: quay.io/x\n"
                            "[must-gather-7rx2m] OUT 2026-05-17T12:10:01.5Z gather never finished: timed out waiting "
                            "for the condition\n",
        f"{image}/cluster-scoped-resources/core/nodes/master-0.yaml": json.dumps(node),
        f"{image}/gather.logs":
            "2026-05-17T12:00:19.639258446Z W0517 12:00:19.639224     176 util.go:119] the server doesn't have a "
            "resource type egressqoses, skipping the inspection\n"
            "2026-05-17T12:00:20.012199454Z error: inspection completed with the errors occurred while gathering data:\n"
            "2026-05-17T12:00:20.012199454Z     [skipping gathering namespaces/openshift-multus due to error: one or more "
            "errors occurred while gathering pod-specific data for namespace: openshift-multus\n"
            "2026-05-17T12:00:20.012199454Z \n"
            "2026-05-17T12:00:20.012199454Z     one or more errors occurred while gathering container data for pod multus-zr88j:\n"
            "2026-05-17T12:00:20.012199454Z \n"
            "2026-05-17T12:00:20.012199454Z     [Get https://10.16.39.171:10250/containerLogs/openshift-multus/multus-zr88j/"
            "kube-multus?previous=true&timestamps=true: previous terminated container \"kube-multus\" in pod "
            "\"multus-zr88j\" not found, Get https://10.16.39.171:10250/containerLogs/openshift-multus/multus-zr88j/"
            "kube-multus?timestamps=true: dial tcp 10.16.39.171:10250: connect: connection refused]]\n",
    })
    with open_bundle(root) as bundle:
        assert bundle.layout == "must-gather"
        parsed = parse_bundle(bundle)
        got = {(n.source, n.deprives) for n in parsed.not_collected}
        assert got == {("must-gather run must-gather-7rx2m", ("everything",)),
                       ("namespaces/openshift-multus", ("objects",)),
                       ("logs of openshift-multus/multus-zr88j/kube-multus", ("logs",))}
        errors = {n.source: n.error for n in parsed.not_collected}
        assert errors["logs of openshift-multus/multus-zr88j/kube-multus"] == (
            "dial tcp 10.16.39.171:10250: connect: connection refused")


def test_our_collectors_failed_commands(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[2] / "sample_bundles" / "multi-fault"
    with analyze_path(str(sample)) as analysis:
        nc = analysis.result["input"]["not_collected"]
        # a refused metrics scrape is a gap; previous logs of containers that never restarted are not
        assert [n["deprives"] for n in nc] == [["metrics"]]
        assert nc[0]["source"].startswith("metrics of llm/") and "connection refused" in nc[0]["error"]
        metrics_checks = [c for c in analysis.result["checks"] if c["name"].startswith("CHK019")]
        assert metrics_checks[0]["status"] == "clear" and "not collected: metrics of llm/" in metrics_checks[0]["reason"]
