"""Correlation: which finding explains which, and how root causes are ranked and merged."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from analyzer.diagnose import correlate
from analyzer.findings import Affected, Finding

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def finding(rule: str, category: str, severity: str, pod: str | None, ns: str = "dynamo",
            minutes: int = 0, count: int = 1, node: str | None = None) -> Finding:
    affected = [Affected(ns, "Pod", pod, "main")] if pod else []
    return Finding(rule=rule, source="pattern", category=category, severity=severity, title=rule,
                   summary=rule, root_cause_text="", remediation="do something", checks=[],
                   affected=affected, count=count, first_seen=T0 + timedelta(minutes=minutes),
                   last_seen=T0 + timedelta(minutes=minutes), node=node)


def by_rule(diagnosis, rule):
    return next(f for f in diagnosis.findings if f.rule == rule)


def test_worker_oom_explains_its_crashloop_and_the_frontend_errors():
    oom = finding("CUDA001", "runtime.cuda_oom", "critical", "vllm-decode-0", minutes=1)
    crash = finding("CHK002", "runtime.crashloop", "error", "vllm-decode-0", minutes=3)
    no_workers = finding("DYN001", "frontend.no_workers", "error", "frontend-0", minutes=2)
    http = finding("EP001", "endpoint.http_errors", "error", "frontend-0", minutes=2, count=500)
    d = correlate([http, no_workers, crash, oom], {})
    assert [f.category for f in d.root_causes] == ["runtime.cuda_oom"]
    root = d.root_causes[0]
    assert sorted(by_rule(d, r).caused_by for r in ("CHK002", "DYN001", "EP001")) == [root.id] * 3
    assert len(root.symptoms) == 3


def test_frontend_errors_in_another_namespace_are_not_explained():
    oom = finding("CUDA001", "runtime.cuda_oom", "critical", "vllm-decode-0", ns="team-a")
    http = finding("EP001", "endpoint.http_errors", "error", "frontend-0", ns="team-b")
    d = correlate([oom, http], {})
    assert [f.category for f in d.root_causes] == ["runtime.cuda_oom", "endpoint.http_errors"]


def test_webhook_not_applied_explains_the_insufficient_gpumem_of_the_same_pod():
    sched = finding("HAMI020", "scheduling.insufficient_gpumem", "error", "vllm-0")
    hook = finding("CHK005", "hami.webhook_not_applied", "critical", "vllm-0")
    d = correlate([sched, hook], {})
    assert [f.category for f in d.root_causes] == ["hami.webhook_not_applied"]
    assert by_rule(d, "HAMI020").caused_by == d.root_causes[0].id


def test_a_warning_never_explains_an_error():
    warn = finding("VLLM007", "runtime.kv_cache_capacity", "warning", "prefill-0", minutes=0)
    dead = finding("VLLM010", "runtime.engine_dead", "error", "prefill-0", minutes=5)
    d = correlate([warn, dead], {})
    assert [f.category for f in d.root_causes] == ["runtime.engine_dead"]
    assert by_rule(d, "VLLM010").caused_by is None


def test_gpu_hardware_on_a_node_explains_crashes_of_pods_on_that_node_only():
    xid = finding("GPU010", "gpu.hardware", "critical", None, node="gpu-node-3")
    xid.affected = [Affected(None, "Node", "gpu-node-3")]
    on_node = finding("CHK002", "runtime.crashloop", "error", "vllm-a")
    elsewhere = finding("CHK002", "runtime.crashloop", "error", "vllm-b")
    d = correlate([xid, on_node, elsewhere], {("dynamo", "vllm-a"): "gpu-node-3", ("dynamo", "vllm-b"): "gpu-node-1"})
    causes = {f.affected[0].name: f.caused_by for f in d.findings if f.rule == "CHK002"}
    assert causes["vllm-a"] == by_rule(d, "GPU010").id
    assert causes["vllm-b"] is None


def test_independent_root_causes_rank_by_severity_then_layer():
    pull = finding("K8S020", "image.pull_auth", "critical", "a-0", ns="team-a", minutes=30)
    oom = finding("CUDA001", "runtime.cuda_oom", "critical", "b-0", ns="team-b", minutes=0)
    probe = finding("K8S033", "runtime.probe_failed", "error", "c-0", ns="team-c")
    d = correlate([probe, oom, pull], {})
    assert [f.category for f in d.root_causes] == ["image.pull_auth", "runtime.cuda_oom", "runtime.probe_failed"]
    assert [f.id for f in d.root_causes] == ["F1", "F2", "F3"]


def test_the_same_cause_on_two_pods_is_one_root_cause_with_both_affected():
    a = finding("K8S020", "image.pull_auth", "critical", "worker-0", count=3)
    b = finding("K8S020", "image.pull_auth", "critical", "worker-1", count=4, minutes=1)
    d = correlate([a, b], {})
    assert len(d.root_causes) == 1
    rc = d.root_causes[0]
    assert [x.name for x in rc.affected] == ["worker-0", "worker-1"]
    assert rc.count == 7
    assert by_rule(d, "K8S020").id == rc.id


def test_pasted_text_with_only_warnings_still_names_a_cause():
    dns = finding("NET001", "network.dns", "warning", None)
    assert correlate([dns], {}).root_causes == []
    assert [f.category for f in correlate([dns], {}, promote_warnings=True).root_causes] == ["network.dns"]


def _guess(category: str, tell: float, line: int) -> Finding:
    """An inferred finding of a pasted text (no object), as the fallback makes it."""
    f = finding("inferred", category, "warning", None)
    f.inferred, f.details = True, {"tell": tell, "template": f"line {line}"}
    return f


def test_a_guess_from_a_weak_line_neither_leads_nor_explains_a_much_more_telling_unknown_error():
    # a prose line whose words point to an early layer vs an unknown ERROR record (tell 4)
    prose = _guess("performance.high_latency", 1.0, 3)
    record = _guess("unclassified.error", 4.0, 4)
    d = correlate([prose, record], {}, promote_warnings=True)
    assert [f.category for f in d.root_causes] == ["unclassified.error", "performance.high_latency"]
    assert all(f.caused_by is None for f in d.findings)


def test_within_a_step_of_tell_the_guessed_category_keeps_its_place():
    guess = _guess("runtime.oom_killed", 1.0, 2)
    unknown = _guess("unclassified.error", 2.0, 3)  # only a file's-last-line bonus ahead
    d = correlate([unknown, guess], {}, promote_warnings=True)
    assert d.root_causes[0].category == "runtime.oom_killed"
