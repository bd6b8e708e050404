"""The time a bundle describes and the server it came from, read from each layout's own record
(``analyzer.parse.collected``): our manifest, must-gather's ``timestamp`` files and
ClusterVersion, troubleshoot's newest cluster record, a pasted text's newest line."""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.ingest import open_bundle
from analyzer.parse import parse_bundle
from analyzer.parse.collected import (SOURCE_FOLDER, SOURCE_LOGS, SOURCE_MANIFEST, SOURCE_MUST_GATHER,
                                      SOURCE_RECORDS)
from analyzer.pipeline import analyze_path


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(data)


def _bundle_facts(path: Path | str) -> dict:
    with analyze_path(str(path)) as analysis:
        return analysis.result["bundle"]


NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "worker-1"},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                   "lastHeartbeatTime": "2026-03-02T08:14:51Z",
                                   "lastTransitionTime": "2026-02-20T11:00:00Z"}]}}
EVENT = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web-1.17f", "namespace": "web"},
         "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "web"}, "reason": "Pulled",
         "type": "Normal", "message": 'Container image "nginx:1.27" already present on machine',
         "firstTimestamp": "2026-03-02T08:10:00Z", "lastTimestamp": "2026-03-02T08:12:30Z", "count": 1}
CLUSTER_VERSION = """apiVersion: config.openshift.io/v1
items:
- apiVersion: config.openshift.io/v1
  kind: ClusterVersion
  metadata:
    name: version
  status:
    desired:
      version: 4.14.12
    history:
    - state: Partial
      version: 4.14.12
    - completionTime: "2026-02-01T10:00:00Z"
      state: Completed
      version: 4.14.10
kind: ClusterVersionList
"""


def test_must_gather_timestamp_and_cluster_version(tmp_path):
    # oc adm must-gather writes time.Time.String() lines: the start and the end of each gather,
    # at the top in the local zone of the machine that ran oc, in the image folder in UTC
    root = tmp_path / "must-gather.local.123"
    image = root / "quay-io-openshift-release-dev-ocp-v4-0-art-dev-sha256-abc"
    _write(root, {"timestamp": "2026-03-02 09:11:56.91501602 +0100 CET m=+1.651641915\n"
                               "2026-03-02 09:15:13.632016778 +0100 CET m=+138.368642668\n"})
    _write(image, {
        "timestamp": "2026-03-02 08:12:00.016988581 +0000 UTC m=+0.380233555\n"
                     "2026-03-02 08:13:45.468134164 +0000 UTC m=+99.614184111\n",
        "version": "openshift/must-gather\n4.14\n",
        "cluster-scoped-resources/config.openshift.io/clusterversions.yaml": CLUSTER_VERSION,
        "cluster-scoped-resources/core/nodes/worker-1.yaml": json.dumps(NODE),
        "namespaces/web/core/events.yaml": json.dumps({"kind": "EventList", "apiVersion": "v1", "items": [EVENT]}),
    })
    b = _bundle_facts(root)
    assert b["layout"] == "must-gather"
    assert (b["collected_at"], b["collected_at_source"]) == ("2026-03-02T08:15:13.632016Z", SOURCE_MUST_GATHER)
    # the newest completed update, not the one still being applied
    assert b["server_version"] == "OpenShift 4.14.10"


def test_troubleshoot_newest_cluster_record(tmp_path):
    # troubleshoot records no time of its own: its version.yaml holds only its own version
    top = tmp_path / "support-bundle"
    _write(top, {
        "version.yaml": "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.50.0\n",
        "cluster-info/cluster_version.json": json.dumps({"info": {"gitVersion": "v1.24.4+k3s1"}, "string": "v1.24.4+k3s1"}),
        "cluster-resources/nodes.json": json.dumps({"kind": "NodeList", "apiVersion": "v1", "items": [NODE]}),
        "cluster-resources/events/web.json": json.dumps({"kind": "EventList", "apiVersion": "v1", "items": [EVENT]}),
    })
    b = _bundle_facts(top)
    # the node heartbeat is newer than the event
    assert (b["collected_at"], b["collected_at_source"]) == ("2026-03-02T08:14:51Z", SOURCE_RECORDS)
    assert b["server_version"] == "v1.24.4+k3s1"


def test_troubleshoot_folder_name_is_the_last_resort(tmp_path):
    top = tmp_path / "support-bundle-2026-03-02T08_20_00"
    _write(top, {"version.yaml": "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n",
                 "cluster-resources/namespaces.json": json.dumps({"kind": "NamespaceList", "apiVersion": "v1", "items": [
                     {"metadata": {"name": "web"}, "status": {"phase": "Active"}}]}),
                 "cluster-info/cluster_version.json": json.dumps({"info": {"gitVersion": "v1.30.5"}})})
    b = _bundle_facts(top)
    assert (b["collected_at"], b["collected_at_source"]) == ("2026-03-02T08:20:00Z", SOURCE_FOLDER)


def test_pasted_log_takes_its_newest_line(tmp_path):
    log = tmp_path / "vllm.log"
    # kubectl logs --timestamps: the newest line is not the last one
    log.write_text("2026-03-02T08:01:02.000000001Z INFO 03-02 08:01:02 [api_server.py:1] Starting vLLM API server\n"
                   "2026-03-02T08:05:09.000000001Z ERROR 03-02 08:05:09 [engine.py:2] EngineCore encountered an issue\n"
                   "2026-03-02T08:04:00.000000001Z INFO 03-02 08:04:00 [metrics.py:3] Avg prompt throughput: 0.0\n")
    b = _bundle_facts(log)
    assert (b["collected_at"], b["collected_at_source"]) == ("2026-03-02T08:05:09Z", SOURCE_LOGS)


def test_collector_manifest_wins():
    b = _bundle_facts(Path(__file__).resolve().parents[2] / "sample_bundles" / "healthy-dynamo-agg")
    assert (b["collected_at"], b["collected_at_source"]) == ("2026-11-20T10:15:00Z", SOURCE_MANIFEST)
    assert b["server_version"].startswith("v1.")


def test_fault_tolerance_results_have_no_collection_time():
    with open_bundle(str(Path(__file__).resolve().parents[2] / "sample_bundles" / "ft-results")) as bundle:
        facts = parse_bundle(bundle).facts
    assert "collected_at" not in facts and "collected_at_source" not in facts
