"""Restarts mean what they mean (CHK002 container-crashloop, CHK037 node-restarted): crash-looping
now, named by the end of its last run; restarted and running again; clean exits; a node or
container-runtime restart. Run end to end on a troubleshoot-layout bundle."""

from __future__ import annotations

import json

import pytest

from analyzer.pipeline import analyze_path

NOW = "2026-03-02T10:00:00Z"
NODE = "worker-1"


def status(name: str, *, ready: bool, restarts: int, state: dict, last: dict | None = None) -> dict:
    return {"name": name, "ready": ready, "restartCount": restarts, "image": "example/app:1.4.2",
            "state": state, "lastState": {"terminated": last} if last else {}}


def pod(name: str, statuses: list[dict], *, args: list[str] | None = None, ready: bool = True) -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "apps", "uid": f"uid-{name}"},
            "spec": {"nodeName": NODE, "containers": [
                {"name": s["name"], "image": "example/app:1.4.2", "command": ["/app"], **({"args": args} if args else {})}
                for s in statuses]},
            "status": {"phase": "Running", "startTime": "2026-03-01T08:00:00Z",
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                       "lastTransitionTime": "2026-03-02T07:59:40Z"}],
                       "containerStatuses": statuses}}


def ended(at: str, code: int, reason: str, started: str = "2026-03-02T09:55:00Z") -> dict:
    return {"exitCode": code, "reason": reason, "startedAt": started, "finishedAt": at}


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("restarts") / "support-bundle"
    lost = "2026-03-02T07:59:31Z"  # the node's runtime restarted: every container ended at once
    pods = [
        # crash-looping now: its parser rejects a flag
        pod("api-7d9f", [status("api", ready=False, restarts=6, state={"waiting": {"reason": "CrashLoopBackOff"}},
                                last=ended("2026-03-02T09:58:12Z", 1, "Error", "2026-03-02T09:58:11Z"))],
            args=["serve", "--metrics-bind-addr=:8080"], ready=False),
        # crash-looping now, with an error no pattern knows
        pod("calib-5c2", [status("calib", ready=False, restarts=9, state={"waiting": {"reason": "CrashLoopBackOff"}},
                                 last=ended("2026-03-02T09:57:02Z", 3, "Error", "2026-03-02T09:56:50Z"))], ready=False),
        # restarted 5 times an hour ago, running and ready since
        pod("cache-0", [status("cache", ready=True, restarts=5, state={"running": {"startedAt": "2026-03-02T08:58:03Z"}},
                               last=ended("2026-03-02T08:58:01Z", 1, "Error", "2026-03-02T08:50:00Z"))]),
        # a process that exits 0 now and then and is started again: not a crash
        pod("sync-1", [status("sync", ready=True, restarts=4, state={"running": {"startedAt": "2026-03-02T09:50:00Z"}},
                              last=ended("2026-03-02T09:49:58Z", 0, "Completed", "2026-03-02T09:40:00Z"))]),
        # the node's runtime restarted under these two pods
        pod("web-a", [status("web", ready=True, restarts=12, state={"running": {"startedAt": "2026-03-02T07:59:38Z"}},
                             last=ended(lost, 255, "Unknown", "2026-03-01T08:00:00Z"))]),
        pod("web-b", [status("web", ready=True, restarts=12, state={"running": {"startedAt": "2026-03-02T07:59:39Z"}},
                             last=ended(lost, 255, "Unknown", "2026-03-01T08:00:00Z")),
                      status("proxy", ready=True, restarts=12, state={"running": {"startedAt": "2026-03-02T07:59:38Z"}},
                             last=ended("2026-03-02T07:59:33Z", 255, "Unknown", "2026-03-01T08:00:00Z"))]),
    ]
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "lastHeartbeatTime": NOW, "lastTransitionTime": "2026-03-02T07:59:35Z"}]}}
    files = {
        "version.yaml": "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.107.0\n",
        "cluster-info/cluster_version.json": json.dumps({"info": {"gitVersion": "v1.30.5"}, "string": "v1.30.5"}),
        "cluster-resources/nodes.json": json.dumps({"kind": "NodeList", "apiVersion": "v1", "items": [node]}),
        "cluster-resources/pods/apps.json": json.dumps({"kind": "PodList", "apiVersion": "v1", "items": pods}, indent=2),
        # pflag's error, printed by cobra, then its usage hint
        "cluster-resources/pods/logs/apps/api-7d9f/api-previous.log":
            "Error: unknown flag: --metrics-bind-addr\nUsage:\n  app serve [flags]\n",
        "cluster-resources/pods/logs/apps/calib-5c2/calib-previous.log":
            "2026-03-02T09:56:51Z INFO loading calibration table\n"
            "2026-03-02T09:57:01Z ERROR calibration drifted by 0.7 (limit 0.2)\n"
            "2026-03-02T09:57:02Z FATAL giving up after 3 calibration attempts\n",
    }
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    with analyze_path(str(root)) as analysis:
        return json.loads(json.dumps(analysis.result))


def by(result: dict, rule: str) -> list[dict]:
    return [f for f in result["findings"] if f["pattern"] == rule]


def pod_of(f: dict) -> str:
    return f["affected"][0]["name"]


def test_a_crash_loop_is_named_by_the_end_of_its_last_run(result):
    (api,) = [f for f in by(result, "CHK002") if pod_of(f) == "api-7d9f"]
    assert (api["category"], api["severity"], api["state"]) == ("runtime.config_error", "critical", "active")
    assert api["evidence"][0]["text"] == "Error: unknown flag: --metrics-bind-addr"
    assert api["evidence"][0]["path"].endswith("api-previous.log")
    # its command and args are evidence too
    assert any('args=["serve", "--metrics-bind-addr=:8080"]' in e["text"] for e in api["evidence"])
    assert result["root_causes"][0]["id"] == api["id"]


def test_a_crash_no_pattern_knows_shows_its_last_error_lines(result):
    (calib,) = [f for f in by(result, "CHK002") if pod_of(f) == "calib-5c2"]
    assert (calib["category"], calib["severity"], calib["state"]) == ("runtime.crashloop", "error", "active")
    assert "FATAL giving up after 3 calibration attempts" in calib["summary"]
    assert [e["line"] for e in calib["evidence"] if e["path"].endswith("calib-previous.log")] == [3, 2]


def test_restarted_and_running_again_is_a_warning_in_history(result):
    (cache,) = [f for f in by(result, "CHK002") if pod_of(f) == "cache-0"]
    assert (cache["severity"], cache["state"]) == ("warning", "recovered")
    assert "restarted 5 times, running now" in cache["summary"]
    assert not cache["root_cause"]


def test_clean_exits_and_node_restarts_are_not_crash_loops(result):
    assert {pod_of(f) for f in by(result, "CHK002")} == {"api-7d9f", "calib-5c2", "cache-0"}


def test_a_node_restart_is_reported_once_with_its_node_and_time(result):
    (restart,) = by(result, "CHK037")
    assert (restart["category"], restart["severity"], restart["state"]) == ("cluster.node_restarted", "warning",
                                                                           "recovered")
    assert restart["affected"] == [{"namespace": None, "kind": "Node", "name": NODE, "container": None}]
    assert restart["details"]["time"] == "2026-03-02T07:59:33Z"
    assert restart["details"]["pods"] == ["apps/web-a", "apps/web-b"] and restart["count"] == 3
    assert {rc["category"] for rc in result["root_causes"]} == {"runtime.config_error", "runtime.crashloop"}
