"""The checks on the sample bundles of sample_bundles/ (the session's analyses, ``testkit.samples``)."""

from __future__ import annotations

from testkit.samples import sample_run

MINE = tuple(f"CHK0{n}" for n in range(10, 20))


def analyze(name: str) -> dict:
    return sample_run(name).result


def status(result: dict, check_id: str) -> dict:
    return next(c for c in result["checks"] if c["name"].startswith(check_id))


def mine(result: dict) -> list[dict]:
    return [f for f in result["findings"] if f["pattern"] in MINE]


def test_hami_gpumem_pending_names_the_memory_shortfall():
    r = analyze("hami-gpumem-pending")
    f = next(f for f in r["findings"] if f["pattern"] == "CHK010")
    assert f["category"] == "scheduling.insufficient_gpumem"
    assert "1 GPU x 24576 MiB" in f["summary"] and "has 22528 MiB free on its largest device (2048 MiB short)" in f["summary"]
    assert f["root_cause"] is True
    reasons = next(f for f in r["findings"] if f["pattern"] == "CHK011")
    assert reasons["details"]["reasons"] == {"CardInsufficientMemory": 3}
    assert status(r, "CHK012")["status"] == "clear" and status(r, "CHK013")["status"] == "clear"


def test_hami_webhook_not_applied_is_not_a_capacity_problem():
    r = analyze("hami-webhook-not-applied")
    assert not [f for f in mine(r) if f["severity"] in ("critical", "error")]
    assert "not what they wait on" in status(r, "CHK010")["reason"]


def test_oomkilled_memory_growth_is_measured_and_explained_by_the_oom_kill():
    r = analyze("oomkilled-memory-growth")
    f = next(f for f in r["findings"] if f["pattern"] == "CHK018")
    assert f["category"] == "performance.memory_leak" and f["severity"] == "warning"
    assert "memory grows in every run: previous run" in f["summary"] and "until OOMKilled" in f["summary"]
    assert any(e["path"].endswith("gateway.previous.log") and "rss=" in e["text"] for e in f["evidence"])
    root = next(x for x in r["findings"] if x["id"] == f["caused_by"])
    assert root["category"] == "runtime.oom_killed"


def test_healthy_bundle_has_nothing_above_warning_from_these_checks():
    r = analyze("healthy-dynamo-agg")
    assert not [f for f in mine(r) if f["severity"] in ("critical", "error")]
    assert status(r, "CHK019")["status"] == "clear"
    assert status(r, "CHK014")["status"] == "clear"
