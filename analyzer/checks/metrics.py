"""Serving metrics checks: latency histograms and engine gauges of the scraped ``/metrics``."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any

import polars as pl

from analyzer.checks.framework import CheckContext, Outcome, check
from analyzer.findings import Evidence, PodRef
from analyzer.parse.quantity import quantity
from analyzer.tables import from_json


# ---------------------------------------------------------------------------------------------
# CHK019

# A histogram's quantile needs a few observations to mean anything.
MIN_OBSERVATIONS = 5
# Thresholds for an interactive chat service (seconds). Past these a user waits visibly.
TTFT_P50, TTFT_P99 = 2.0, 10.0
ITL_P50, ITL_P99 = 0.2, 1.0
KV_FULL = 0.99

LATENCY_FAMILIES = {
    # family -> (what, p50 limit, p99 limit)
    "dynamo_frontend_time_to_first_token_seconds": ("time to first token", TTFT_P50, TTFT_P99),
    "nv_llm_http_service_time_to_first_token_seconds": ("time to first token", TTFT_P50, TTFT_P99),
    "vllm:time_to_first_token_seconds": ("time to first token", TTFT_P50, TTFT_P99),
    "sglang:time_to_first_token_seconds": ("time to first token", TTFT_P50, TTFT_P99),
    "dynamo_frontend_inter_token_latency_seconds": ("inter-token latency", ITL_P50, ITL_P99),
    "nv_llm_http_service_inter_token_latency_seconds": ("inter-token latency", ITL_P50, ITL_P99),
    "vllm:inter_token_latency_seconds": ("inter-token latency", ITL_P50, ITL_P99),
    "vllm:time_per_output_token_seconds": ("inter-token latency", ITL_P50, ITL_P99),
    "sglang:inter_token_latency_seconds": ("inter-token latency", ITL_P50, ITL_P99),
}


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """Prometheus' ``histogram_quantile`` over cumulative ``(le, count)`` buckets.

    >>> histogram_quantile(0.5, [(0.1, 0), (1.0, 10), (float("inf"), 10)])
    0.55
    """
    buckets = sorted(buckets)
    if not buckets or buckets[-1][0] != math.inf:
        return None
    total = buckets[-1][1]
    if total <= 0:
        return None
    rank = q * total
    prev_le, prev_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if le == math.inf:
                return prev_le  # the highest finite bound: all Prometheus can say
            if count == prev_count:
                return le
            return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count)
        prev_le, prev_count = le, count
    return prev_le


def _histograms(metrics: pl.DataFrame) -> dict[tuple, dict[str, Any]]:
    """(family, path, pod, labels without le) -> buckets and the row for evidence."""
    names = [f + "_bucket" for f in LATENCY_FAMILIES]
    rows = metrics.filter(pl.col("name").is_in(names))
    out: dict[tuple, dict[str, Any]] = {}
    for r in rows.iter_rows(named=True):
        labels = from_json(r["labels"], {})
        le = labels.pop("le", None)
        if le is None or r["value"] is None:
            continue
        key = (r["name"][:-len("_bucket")], r["path"], r["pod"], json.dumps(labels, sort_keys=True))
        h = out.setdefault(key, {"buckets": [], "namespace": r["namespace"], "labels": labels})
        bound = math.inf if le in ("+Inf", "Inf", "inf") else quantity(le)
        if bound is not None:  # an le that is no number is no bucket
            h["buckets"].append((bound, float(r["value"])))
    return out


def _gauges(metrics: pl.DataFrame, names: tuple[str, ...]) -> dict[tuple, dict[str, float]]:
    """(path, pod, engine labels) -> {metric: value} for gauge families."""
    rows = metrics.filter(pl.col("name").is_in(list(names)))
    out: dict[tuple, dict[str, float]] = defaultdict(dict)
    for r in rows.iter_rows(named=True):
        labels = from_json(r["labels"], {})
        key = (r["path"], r["namespace"], r["pod"], labels.get("model_name") or labels.get("model") or "",
               labels.get("engine") or "")
        out[key][r["name"]] = out[key].get(r["name"], 0.0) + (r["value"] or 0.0)
    return out


@check("CHK019", "metrics-latency", "performance.high_latency", "warning",
       "Serving metrics show high latency or no throughput")
def metrics_latency(ctx: CheckContext) -> Outcome:
    """Latency histograms and engine gauges from the scraped ``/metrics``.

    - p50/p99 (Prometheus ``histogram_quantile`` over the cumulative buckets, at least 5
      observations) of time to first token (``dynamo_frontend_time_to_first_token_seconds``,
      ``vllm:time_to_first_token_seconds``; limits 2 s / 10 s) and inter-token latency
      (``dynamo_frontend_inter_token_latency_seconds``, ``vllm:inter_token_latency_seconds`` or
      ``vllm:time_per_output_token_seconds``; limits 0.2 s / 1 s) -> performance.high_latency;
    - ``vllm:num_requests_waiting`` > 0 while ``vllm:num_requests_running`` is 0 (the engine
      takes no work), or KV cache usage (``vllm:gpu_cache_usage_perc``/``kv_cache_usage_perc``)
      at 99 % or more with requests waiting -> performance.low_throughput.

    Counters and histograms are cumulative since the process started: one scrape says what the
    service did over its whole life, not in the last minute.
    """
    metrics = ctx.table("metrics")
    if metrics.is_empty():
        return Outcome(skipped="no metrics scrapes in the bundle")
    out = Outcome()
    checked = 0
    for (family, path, pod, _), h in sorted(_histograms(metrics).items()):
        total = max(c for _, c in h["buckets"]) if h["buckets"] else 0
        if total < MIN_OBSERVATIONS:
            continue
        checked += 1
        what, lim50, lim99 = LATENCY_FAMILIES[family]
        p50, p99 = histogram_quantile(0.5, h["buckets"]), histogram_quantile(0.99, h["buckets"])
        if p50 is None or p99 is None or (p50 < lim50 and p99 < lim99):
            continue
        model = h["labels"].get("model") or h["labels"].get("model_name") or ""
        out.findings.append(metrics_latency.check.finding(
            summary=(f"{what.capitalize()} of {pod or path}{f' ({model})' if model else ''}: p50 {p50:.3g} s, "
                     f"p99 {p99:.3g} s over {int(total)} requests (limits {lim50:g} s / {lim99:g} s)"),
            remediation=("Check whether requests queue (num_requests_waiting, router queue), the KV cache is "
                         "full, or the GPU is shared/throttled; add workers or lower max_num_seqs/context."),
            checks=[f"kubectl top pod {pod or '<pod>'} -n {h['namespace'] or '<namespace>'}",
                    "curl -s <frontend>:8000/metrics | grep -E 'time_to_first_token|inter_token|waiting|running'"],
            affected=[PodRef(h["namespace"], pod).affected()] if pod else [],
            evidence=[Evidence(path, None, f"{family}_bucket {json.dumps(h['labels'])[:120]}: "
                                           f"count={int(total)} p50={p50:.3g}s p99={p99:.3g}s", None, None, "metrics")],
            details={"metric": family, "p50_seconds": round(p50, 4), "p99_seconds": round(p99, 4),
                     "observations": int(total), "labels": h["labels"]}))
    gauges = _gauges(metrics, ("vllm:num_requests_waiting", "vllm:num_requests_running",
                               "vllm:gpu_cache_usage_perc", "vllm:kv_cache_usage_perc"))
    for (path, ns, pod, model, _), g in sorted(gauges.items()):
        if "vllm:num_requests_waiting" not in g:
            continue
        checked += 1
        waiting, running = g["vllm:num_requests_waiting"], g.get("vllm:num_requests_running", 0.0)
        kv = g.get("vllm:kv_cache_usage_perc", g.get("vllm:gpu_cache_usage_perc"))
        if waiting > 0 and running == 0:
            why = f"{int(waiting)} request(s) waiting and none running: the engine takes no work"
        elif waiting > 0 and kv is not None and kv >= KV_FULL:
            why = f"KV cache {kv:.1%} full with {int(waiting)} request(s) waiting for blocks"
        else:
            continue
        out.findings.append(metrics_latency.check.finding(
            category="performance.low_throughput",
            summary=f"vLLM engine in {pod or path}{f' ({model})' if model else ''}: {why}",
            remediation=("A stalled engine (waiting > 0, running 0) points at a hung or dead engine core: read its "
                         "log. A full KV cache needs more GPU memory for KV (gpu-memory-utilization, smaller "
                         "max-model-len, more replicas)."),
            checks=[f"kubectl logs {pod or '<pod>'} -n {ns or '<namespace>'} --tail=200"],
            affected=[PodRef(ns, pod).affected()] if pod else [],
            evidence=[Evidence(path, None, " ".join(f"{k}={v:g}" for k, v in sorted(g.items())), None, None, "metrics")],
            details={"waiting": waiting, "running": running, "kv_cache_usage": kv}))
    frontends = _gauges(metrics, ("dynamo_frontend_inflight_requests", "dynamo_frontend_queued_requests",
                                  "dynamo_frontend_output_tokens_total"))
    for (path, ns, pod, model, _), g in sorted(frontends.items()):
        if "dynamo_frontend_output_tokens_total" not in g:
            continue
        checked += 1
        busy = g.get("dynamo_frontend_inflight_requests", 0.0) + g.get("dynamo_frontend_queued_requests", 0.0)
        if busy <= 0 or g["dynamo_frontend_output_tokens_total"] > 0:
            continue
        out.findings.append(metrics_latency.check.finding(
            category="performance.low_throughput",
            summary=(f"Frontend {pod or path}{f' ({model})' if model else ''}: {int(busy)} request(s) in flight or "
                     "queued and 0 output tokens produced since it started"),
            remediation="No worker returns tokens: check that workers are registered and their engines alive.",
            checks=[f"kubectl logs {pod or '<pod>'} -n {ns or '<namespace>'} --tail=200",
                    "curl -s <frontend>:8000/v1/models"],
            affected=[PodRef(ns, pod).affected()] if pod else [],
            evidence=[Evidence(path, None, " ".join(f"{k}={v:g}" for k, v in sorted(g.items())), None, None, "metrics")],
            details={"in_flight": busy, "output_tokens_total": 0}))
    out.note = f"{checked} latency histogram(s)/engine gauge set(s) checked"
    if not checked:
        out.note = "no serving latency histograms or vLLM queue gauges among the metrics"
    return out
