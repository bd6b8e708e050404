"""The shared context: the diagnosis's HAMi Step 10 sections presented, findings grouped,
timeline. (How the GPU and HAMi status is worked out is tested in ``tests/gpu``.)"""

from __future__ import annotations

from analyzer.report.context import build_context

from report_samples import gpu_status


def test_cluster_gpu_status_per_node(multi_fault):
    ctx = build_context(*multi_fault)
    nodes = {n["name"]: n for n in ctx["cluster_gpu"]["nodes"]}
    assert set(nodes) == {"gpu-a100-1", "gpu-v100-2"}        # the CPU node is not a GPU node
    a100 = nodes["gpu-a100-1"]
    assert a100["devices"] == 2 and a100["gpumem_total"] == 163840
    assert a100["allocated"] == 3.0                         # from kubectl describe
    assert a100["gpumem_used"] == 80000                     # two running decode pods' allocations
    assert a100["handshake"].startswith("Reported 2026-11-20")
    assert nodes["gpu-v100-2"]["unhealthy"] == 1
    totals = ctx["cluster_gpu"]["totals"]
    assert totals["gpu_nodes"] == 2 and totals["devices"] == 4
    assert totals["memory_scaling"] == 1 and totals["split_count"] == 10


def test_hami_components(multi_fault):
    hami = build_context(*multi_fault)["hami"]
    assert hami["namespace"] == "hami-system"
    rows = {r["component"]: r for r in hami["components"]}
    assert rows["Scheduler"]["status"] == "OK" and rows["Scheduler"]["version"] == "v2.5.1"
    assert rows["Device Plugin"]["status"] == "FAIL"
    assert "hami-device-plugin-k2v9n/device-plugin: CrashLoopBackOff" in rows["Device Plugin"]["detail"]
    assert rows["Monitor"]["status"] == "OK"                # vgpu-monitor containers are ready
    assert rows["Webhook"]["status"] == "OK" and "hami-webhook" in rows["Webhook"]["detail"]


def test_resource_allocation_requested_vs_available(multi_fault):
    alloc = build_context(*multi_fault)["allocation"]
    llm = next(r for r in alloc["namespaces"] if r["namespace"] == "llm")
    assert (llm["running"], llm["pending"]) == (2, 1)
    assert llm["gpumem"] == 80000 and llm["pending_gpumem"] == 40000
    assert alloc["capacity"]["gpumem"] == 163840 + 65536
    assert alloc["capacity"]["free"]["gpumem"] == 163840 + 65536 - 88000


def test_root_causes_keep_rank_and_group_symptoms(multi_fault):
    ctx = build_context(*multi_fault)
    assert [r["id"] for r in ctx["root_causes"]] == ["F1", "F2", "F3"]
    assert [s["id"] for s in ctx["root_causes"][0]["symptoms"]] == ["F4", "F5", "F6"]
    assert [f["id"] for f in ctx["other_findings"]] == ["F7"]
    assert [a["finding"] for a in ctx["actions"]] == ["F1", "F2", "F3"]
    ev = ctx["root_causes"][0]["evidence"][0]
    assert ev["match"] == "CUDA out of memory" and ev["location"].endswith("main.previous.log:412")


def test_verdict_names_the_top_root_cause(multi_fault, healthy):
    verdict = build_context(*multi_fault)["verdict"]
    assert verdict["severity"] == "critical"
    assert verdict["text"].startswith("Most likely root cause: CUDA out of memory")
    ok = build_context(*healthy)["verdict"]
    assert ok["status"] == "healthy" and "No problem above warning" in ok["text"]


def test_timeline_has_events_restarts_and_findings(multi_fault):
    items = build_context(*multi_fault)["timeline"]
    kinds = {(i["kind"], i["lane"]) for i in items}
    assert ("restart", "llm/vllm-decode-7c9f5d8b6-x2kqp") in kinds
    assert ("event-warning", "llm/vllm-prefill-0") in kinds
    assert ("finding", "llm/vllm-prefill-0") in kinds
    assert [i["start"] for i in items] == sorted(i["start"] for i in items)


def test_checks_are_split_by_outcome(multi_fault):
    ctx = build_context(*multi_fault)
    assert [c["name"] for c in ctx["not_checked"]] == ["CHK012 PVC bound", "CHK015 Xid errors in dmesg"]
    assert len(ctx["checked_clear"]) == 2
    # read errors from ingest and from the parse table, merged and sorted
    assert [e["path"] for e in ctx["could_not_read"]] == [
        "namespaces/llm/logs/router-0/router.log.gz",
        "namespaces/llm/metrics/frontend-5d4c9b7f8-h7m2n.prom"]


def test_hami_webhook_found_by_its_webhook_name(multi_fault):
    import json

    import polars as pl

    result, tables, _ = multi_fault
    body = {"metadata": {"name": "gpu-share-webhook"},
            "webhooks": [{"name": "vgpu.hami.io", "failurePolicy": "Ignore"}]}
    objects = tables["objects"].with_columns(
        pl.when(pl.col("kind") == "MutatingWebhookConfiguration").then(pl.lit("gpu-share-webhook"))
        .otherwise(pl.col("name")).alias("name"),
        pl.when(pl.col("kind") == "MutatingWebhookConfiguration").then(pl.lit(json.dumps(body)))
        .otherwise(pl.col("body")).alias("body"))
    renamed = {**tables, "objects": objects}
    rows = {r["component"]: r for r in build_context(result, renamed, gpu_status(result, renamed))["hami"]["components"]}
    assert rows["Webhook"]["status"] == "OK" and rows["Webhook"]["detail"] == "gpu-share-webhook"
    no_webhook = {**tables, "objects": tables["objects"].filter(pl.col("kind") != "MutatingWebhookConfiguration")}
    rows = {r["component"]: r for r in build_context(result, no_webhook, gpu_status(result, no_webhook))["hami"]["components"]}
    # the collector listed the webhook configurations and none is HAMi's
    assert rows["Webhook"]["status"] == "FAIL"


def test_gpu_sections_come_from_the_diagnosis(multi_fault):
    result, tables, _ = multi_fault
    ctx = build_context(result, tables, None)
    # the report works nothing out itself: without the diagnosis's status, no GPU sections
    assert ctx["cluster_gpu"] is None and ctx["hami"] is None and ctx["allocation"] is None
    assert ctx["root_causes"] and ctx["timeline"]


def test_gpu_status_text_is_redacted(multi_fault):
    result, tables, gpu = multi_fault
    token = "hf_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z"
    gpu = {**gpu, "hami": {**gpu["hami"], "components": [
        dict(gpu["hami"]["components"][0], detail=f"1/1 pods ready: HF_TOKEN={token}")]}}
    assert token not in str(build_context(result, tables, gpu)["hami"])
    assert token in str(build_context({**result, "redacted": False}, tables, gpu)["hami"])
