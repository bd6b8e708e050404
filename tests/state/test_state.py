"""The cluster at collection time (``analyzer.state``): the model of current state built from the
tables, and the state every finding gets from it (active, recovered, past)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from analyzer.diagnose import correlate
from analyzer.findings import Affected, Evidence, Finding
from analyzer.library import load_library
from analyzer.parse.objects import ObjectRows
from analyzer.state import ACTIVE, PAST, RECOVERED, build_state, judge_findings, verdict
from analyzer.tables import TABLE_NAMES, frame

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
LIBRARY = load_library()


def ts(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def t(minutes_ago: float) -> datetime:
    return NOW - timedelta(minutes=minutes_ago)


def pod(name: str, ns: str = "llm", *, phase: str = "Running", node: str | None = "gpu-1", ready: bool = True,
        containers: list[dict] | None = None, started: float = 120) -> dict:
    statuses = containers if containers is not None else [running("main", started=started)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"containers": [{"name": c["name"], "image": "vllm/vllm-openai:v0.11.0"} for c in statuses],
                     **({"nodeName": node} if node else {})},
            "status": {"phase": phase, "startTime": ts(180),
                       "conditions": [{"type": "PodScheduled", "status": "True" if node else "False",
                                       "lastTransitionTime": ts(180)},
                                      {"type": "Ready", "status": "True" if ready else "False",
                                       "lastTransitionTime": ts(started)}],
                       "containerStatuses": statuses}}


def running(name: str = "main", *, started: float = 120, restarts: int = 0, ready: bool = True,
            last: dict | None = None) -> dict:
    return {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {"startedAt": ts(started)}},
            "lastState": {"terminated": last} if last else {}}


def waiting(name: str, reason: str, *, restarts: int = 0, last: dict | None = None) -> dict:
    return {"name": name, "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}},
            "lastState": {"terminated": last} if last else {}}


def ended(minutes_ago: float, code: int = 1, reason: str = "Error", ran: float = 2) -> dict:
    return {"exitCode": code, "reason": reason, "startedAt": ts(minutes_ago + ran), "finishedAt": ts(minutes_ago)}


def node(name: str, *, ready: bool = True, since: float = 600, kind: str = "Node", api: str = "v1") -> dict:
    status = {"conditions": [{"type": "Ready", "status": "True" if ready else "False",
                              "reason": "KubeletReady" if ready else "KubeletNotReady",
                              "lastHeartbeatTime": ts(1), "lastTransitionTime": ts(since)}]}
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name}, "status": status}


def tables(objects: list[dict]) -> dict:
    acc = ObjectRows()
    for i, o in enumerate(objects):
        acc.add(o, f"objects-{i}.json")
    return {name: frame(name, acc.rows.get(name, [])) for name in TABLE_NAMES}


def state_of(objects: list[dict], snapshot: bool = True):
    return build_state(tables(objects), {"collected_at": ts(0)}, snapshot=snapshot)


def finding(category: str, *, kind: str = "Pod", name: str = "w-0", ns: str | None = "llm",
            container: str | None = None, last: float | None = 30, rule: str = "K8S030",
            source: str = "pattern", captures: dict | None = None, previous: bool = False,
            severity: str = "error") -> Finding:
    when = t(last) if last is not None else None
    affected = [Affected(ns, kind, name, container)] if name else []
    return Finding(rule=rule, source=source, category=category, severity=severity, title=category,
                   summary=category, root_cause_text="", remediation="do something", checks=[],
                   affected=affected, evidence=[Evidence("x.log", 1, "line", when)],
                   first_seen=when, last_seen=when,
                   details={"captures": captures or {}, "previous": previous})


# --------------------------------------------------------------------------- the model

def test_one_object_per_identity():
    # a must-gather lists each pod twice; a Longhorn Node custom resource shares the node's name
    p = pod("w-0")
    longhorn = {"apiVersion": "longhorn.io/v1beta2", "kind": "Node", "metadata": {"name": "gpu-1",
                                                                                  "namespace": "longhorn-system"},
                "status": {"conditions": [{"type": "Schedulable", "status": "True"}]}}
    st = state_of([p, p, node("gpu-1"), longhorn])
    assert list(st.pods) == [("llm", "w-0")]
    assert len(st.pods[("llm", "w-0")].containers) == 1
    assert st.nodes["gpu-1"].ready is True and st.nodes["gpu-1"].ready_since == t(600)


def test_restart_semantics():
    st = state_of([
        pod("loop", containers=[waiting("main", "CrashLoopBackOff", restarts=7, last=ended(1))]),
        pod("recent", containers=[running("main", started=4, restarts=5, last=ended(4, 137, "OOMKilled", 40))]),
        pod("settled", containers=[running("main", started=300, restarts=9, last=ended(300))]),
        pod("clean", containers=[running("main", started=30, restarts=4, last=ended(30, 0, "Completed"))]),
    ])
    c = {k[1]: p.containers[0] for k, p in st.pods.items()}
    assert c["loop"].crash_looping(NOW) and c["recent"].crash_looping(NOW)
    assert not c["settled"].crash_looping(NOW) and c["settled"].settled(NOW)
    assert not c["clean"].crash_looping(NOW) and c["clean"].last_clean


def test_node_restart_is_many_containers_ending_at_one_instant():
    lost = dict(ended(400, 255, "Unknown"), finishedAt="2026-03-02T03:20:35Z")
    other = dict(ended(400, 255, "Unknown"), finishedAt="2026-03-02T03:20:37Z")
    st = state_of([node("gpu-1"),
                   pod("a", containers=[running("main", restarts=3, last=lost)]),
                   pod("b", containers=[running("x", restarts=3, last=other), running("y", restarts=3, last=lost)]),
                   pod("c", containers=[running("main", restarts=1, last=ended(200, 255, "Error"))])])
    restarts = st.node_restarts()
    assert len(restarts) == 1
    r = restarts[0]
    assert (r.node, r.time.strftime("%H:%M:%S"), r.pods) == ("gpu-1", "03:20:37", [("llm", "a"), ("llm", "b")])
    # one container of one pod ending with 255 is that program's own exit
    assert ("llm", "c", "main") not in st.restarted_by_node()


# --------------------------------------------------------------------------- the judgement

def test_scheduling_failure_recovers_once_the_pod_is_bound():
    st = state_of([pod("w-0"), pod("w-1", phase="Pending", node=None, containers=[])])
    assert verdict(finding("scheduling.insufficient_gpu", last=40), st)[0] == RECOVERED
    # even a minute ago: the pod runs now
    assert verdict(finding("scheduling.insufficient_gpu", last=1), st)[0] == RECOVERED
    assert verdict(finding("scheduling.insufficient_gpu", name="w-1", last=50), st)[0] == ACTIVE


def test_image_pull_failure_recovers_once_the_container_started():
    st = state_of([pod("w-0"), pod("w-1", phase="Pending", ready=False,
                                   containers=[waiting("main", "ImagePullBackOff")])])
    assert verdict(finding("image.pull_failed", last=20), st)[0] == RECOVERED
    assert verdict(finding("image.pull_auth", name="w-1", last=60), st)[0] == ACTIVE


def test_a_crash_is_over_only_when_the_container_has_settled():
    st = state_of([
        pod("w-0", containers=[running("main", started=90, restarts=4, last=ended(90))]),
        pod("w-1", containers=[running("main", started=5, restarts=4, last=ended(5, 137, "OOMKilled", 40))]),
        pod("w-2", ready=False, containers=[waiting("main", "CrashLoopBackOff", restarts=9, last=ended(2))]),
    ])
    assert verdict(finding("runtime.cuda_oom", container="main", last=91, previous=True), st)[0] == RECOVERED
    state, why = verdict(finding("runtime.oom_killed", name="w-1", container="main", last=5, source="check",
                                 rule="CHK001"), st)
    assert state == ACTIVE and "restarting" in why
    assert verdict(finding("runtime.cuda_oom", name="w-2", last=200), st)[0] == ACTIVE


def test_errors_logged_while_running_are_judged_by_their_age():
    st = state_of([pod("w-0", started=300)])
    assert verdict(finding("endpoint.http_errors", last=2), st)[0] == ACTIVE
    assert verdict(finding("endpoint.http_errors", last=45), st)[0] == PAST


def test_untimed_pattern_line_about_a_healthy_pod_is_recovered_but_a_check_fact_stays():
    st = state_of([pod("w-0", started=300)])
    assert verdict(finding("network.connection", last=None), st)[0] == RECOVERED
    assert verdict(finding("access.secret_missing", last=None), st)[0] == RECOVERED
    # a check of the current objects (the Secret is missing from the list now) stays true
    assert verdict(finding("access.secret_missing", last=None, source="check", rule="CHK006"), st)[0] == ACTIVE


def test_gone_and_unknown_objects():
    st = state_of([pod("w-0")])
    state, why = verdict(finding("runtime.crashloop", name="w-9", last=1), st)
    assert state == PAST and "gone" in why
    # no pod of that namespace in the bundle: only the time can tell
    assert verdict(finding("runtime.crashloop", ns="other", last=1), st)[0] == ACTIVE
    assert verdict(finding("runtime.crashloop", ns="other", last=40), st)[0] == PAST


def test_the_structure_wins_over_a_log_line():
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "console"}, "status": {"phase": "Active"}}
    st = state_of([pod("w-0"), node("gpu-1"), ns])
    missing_ns = finding("cluster.namespace_missing", rule="K8S051", captures={"ns": "console"}, last=1,
                         severity="critical")
    state, why = verdict(missing_ns, st, LIBRARY)
    assert state == PAST and "Namespace console" in why
    absent = finding("cluster.namespace_missing", rule="K8S051", captures={"ns": "other"}, last=1, ns="x", name="")
    assert verdict(absent, st, LIBRARY)[0] == ACTIVE
    no_nodes = finding("cluster.no_gpu_nodes", rule="K8S010", last=1, ns="x", name="")
    state, why = verdict(no_nodes, st, LIBRARY)
    assert state == PAST and "1 Ready, schedulable node" in why
    assert verdict(no_nodes, state_of([pod("w-0"), node("gpu-1", ready=False)]), LIBRARY)[0] == ACTIVE


def test_a_gpu_off_the_bus_lasts_until_the_node_restarts():
    xid = finding("gpu.hardware", kind="Node", name="gpu-1", ns=None, last=40, rule="GPU030")
    assert verdict(xid, state_of([node("gpu-1", since=600)]))[0] == ACTIVE
    assert verdict(xid, state_of([node("gpu-1", since=20)]))[0] == RECOVERED


def test_openshift_operator_reports_its_component_healthy():
    co = {"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator", "metadata": {"name": "console"},
          "status": {"conditions": [{"type": "Available", "status": "True"}, {"type": "Degraded", "status": "False"}],
                     "relatedObjects": [{"group": "", "resource": "namespaces", "name": "llm"}]}}
    f = finding("network.connection", last=2)
    assert verdict(f, state_of([pod("w-0", started=300)]))[0] == ACTIVE
    assert verdict(f, state_of([pod("w-0", started=300), co]))[0] == RECOVERED
    degraded = {**co, "status": {**co["status"], "conditions": [{"type": "Available", "status": "True"},
                                                                 {"type": "Degraded", "status": "True"}]}}
    assert verdict(f, state_of([pod("w-0", started=300), degraded]))[0] == ACTIVE


def test_test_run_records_stay_active():
    assert verdict(finding("runtime.cuda_oom", last=600), state_of([pod("w-0")], snapshot=False))[0] == ACTIVE


def test_old_failures_are_history_not_root_causes_and_never_hide_a_current_one():
    st = state_of([pod("w-0", containers=[waiting("main", "CrashLoopBackOff", restarts=9, last=ended(1))])])
    # the pod waited for a GPU an hour ago (a failure of an earlier layer) and crash-loops now
    old = finding("scheduling.insufficient_gpu", last=60, severity="critical", rule="K8S001")
    crash = finding("runtime.crashloop", last=1, rule="CHK002", source="check")
    judge_findings([old, crash], st)
    assert (old.state, crash.state) == (RECOVERED, ACTIVE)
    diagnosis = correlate([old, crash], {})
    assert [rc.category for rc in diagnosis.root_causes] == ["runtime.crashloop"]
    assert old.caused_by is None and crash.caused_by is None


def test_a_pattern_claim_names_a_kind_and_its_capture(tmp_path):
    import pytest

    from analyzer.library import LibraryError, load_file

    entry = """- id: TST001
  name: ns-missing
  title: Namespace missing
  category: cluster.namespace_missing
  severity: critical
  sources: [log]
  hint: ['not found']
  regex: 'namespaces "(?P<ns>[^"]+)" not found'
  claims: {CLAIM}
  summary: 'Namespace {{ ns }} does not exist'
  root_cause: x
  remediation: y
  examples:
    match: [{line: 'namespaces "a" not found', captures: {ns: a}}]
"""
    good = tmp_path / "good.yaml"
    good.write_text(entry.replace("{CLAIM}", "{absent: Namespace, name: ns}"))
    (p,) = load_file(good)
    assert (p.claims_absent, p.claims_name) == ("Namespace", ("ns",))
    for bad in ("{absent: Namespace, name: namespace}", "{absent: Pod, name: ns}", "{absent: Namespace}"):
        f = tmp_path / "bad.yaml"
        f.write_text(entry.replace("{CLAIM}", bad))
        with pytest.raises(LibraryError, match="claims"):
            load_file(f)
