"""The published bundles judged as they are at collection time (issue 13): the two must-gathers of
healthy clusters and the k3d bundle whose node restarted have no active root cause at error or
critical; the sbctl bundle's top root cause is Velero's ``Error: unknown command "server-junk"``.
Each archive is unpacked from ``../shared/realbundles`` by tarfile (see conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

@pytest.fixture(scope="module")
def result(real_result: Callable[[str], dict]) -> Callable[[str], dict]:
    """``result(name)``: the session's analysis of the unpacked bundle (a fresh copy each time)."""
    return real_result


def current_failures(r: dict) -> list[dict]:
    """Root causes, and any finding, still true at collection time at error or critical."""
    return [f for f in r["root_causes"] + r["findings"]
            if f["severity"] in ("critical", "error") and f.get("state", "active") == "active"]


@pytest.mark.parametrize("name,collected,version", [
    ("must-gather-aws", "2021-08-03T10:14:13.632016Z", "OpenShift 4.8.0-0.nightly-2021-07-31-065602"),
    ("must-gather-azure", "2021-09-13T15:34:43.222134Z", "OpenShift 4.8.11"),
])
def test_healthy_must_gather_has_no_current_failure(result, name, collected, version):
    r = result(name)
    assert r["root_causes"] == [] and current_failures(r) == []
    b = r["bundle"]
    assert (b["collected_at"], b["server_version"]) == (collected, version)
    assert b["collected_at_source"].startswith("must-gather timestamp")
    assert b["state"]["pods_failing"] == 0 and b["state"]["nodes_ready"] == b["state"]["nodes"] == 6
    # install-time errors 35-55 minutes old are history, still on record
    history = [f for f in r["findings"] if f["state"] in ("recovered", "past")]
    assert len(history) > 100 and all(f["state_reason"] for f in history)
    # facts beat log lines: the namespace exists, and Ready schedulable nodes are listed
    ns_missing = [f for f in r["findings"] if f["pattern"] == "K8S051"]
    assert ns_missing and all(f["state"] == "past" and "holds Namespace" in f["state_reason"] for f in ns_missing)
    no_nodes = [f for f in r["findings"] if f["pattern"] == "K8S010"]
    assert no_nodes and all(f["state"] == "past" and "6 Ready, schedulable node(s)" in f["state_reason"]
                            for f in no_nodes)


def test_k3d_node_restart_is_one_finding_and_nothing_is_failing(result):
    r = result("troubleshoot-k3s")
    assert r["root_causes"] == [] and current_failures(r) == []
    assert (r["bundle"]["server_version"], r["bundle"]["collected_at"]) == ("v1.24.4+k3s1", "2022-12-21T16:43:09Z")
    (restart,) = [f for f in r["findings"] if f["category"] == "cluster.node_restarted"]
    assert restart["node"] == "k3d-mycluster-server-0" and restart["details"]["time"] == "2022-12-21T09:42:35Z"
    assert restart["count"] == 6 and restart["state"] == "recovered"
    # the containers that restarted with the node are not crash loops; two that crashed while it
    # came back up restarted many times and run now: warnings in history
    crashes = [f for f in r["findings"] if f["pattern"] == "CHK002"]
    assert {f["affected"][0]["name"].rsplit("-", 2)[0] for f in crashes} == {"local-path-provisioner", "metrics-server"}
    assert all(f["severity"] == "warning" and "running now" in f["summary"] for f in crashes)


def test_sbctl_velero_crash_is_named_by_its_error(result):
    r = result("sbctl-support-bundle")
    top = r["root_causes"][0]
    assert (top["category"], top["state"]) == ("runtime.config_error", "active")
    assert 'unknown command "server-junk" for "velero"' in top["summary"].lower()
    assert top["evidence"][0]["text"] == 'Error: unknown command "server-junk" for "velero"'
    assert top["evidence"][0]["path"].endswith("velero-previous.log")
    assert any('args=["server-junk"' in e["text"] for e in top["evidence"])
    # the BackOff events of the old ReplicaSet's pods, gone by collection time, are history
    assert all(f["state"] == "past" for f in r["findings"] if f["pattern"] == "K8S030"
               and f["affected"][0]["name"] != top["affected"][0]["name"])
