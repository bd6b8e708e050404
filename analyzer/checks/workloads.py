"""Workload checks: Dynamo graph status, taints against Pending GPU pods, memory growth across
restarts, and serving latency/throughput from the scraped metrics."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import polars as pl

from analyzer.checks import CheckContext, Outcome, check
from analyzer.checks import hami  # the module, not its names: builtin imports both (no import cycle)
from analyzer.checks.builtin import _ev
from analyzer.findings import Affected, Evidence
from analyzer.parse.quantity import parse_time, quantity

# ---------------------------------------------------------------------------------------------
# CHK014

# DGD Ready=False reasons that mean the operator itself failed (dynamographdeployment_controller.go);
# "some_resources_are_not_ready" only says its pods are not ready yet: a symptom, not a cause
DGD_FAILED_REASONS = ("failed_to_reconcile_the_resources", "failed_to_handle_the_finalizer",
                      "grove_scaling_failed", "NoOrchestratorAvailable")


@check("CHK014", "dgd-conditions", "operator.reconcile_error", "error",
       "DynamoGraphDeployment not Ready or failed")
def dgd_conditions(ctx: CheckContext) -> Outcome:
    """A DynamoGraphDeployment whose ``status.state`` is ``failed`` or whose ``Ready`` condition
    is ``False``, with the condition's reason and message.

    ``failed`` and the operator's own failure reasons (``failed_to_reconcile_the_resources``,
    ``failed_to_handle_the_finalizer``, ``grove_scaling_failed``, ``NoOrchestratorAvailable``)
    are errors. ``some_resources_are_not_ready`` (``Resources not ready: ...: desired=2,
    ready=1``) is a warning: the pods' own findings say why they are not ready.
    """
    dgds = ctx.objects("DynamoGraphDeployment")
    if not dgds:
        return Outcome(skipped="no DynamoGraphDeployment objects in the bundle")
    out = Outcome(note=f"{len(dgds)} DynamoGraphDeployment(s) checked")
    for o in dgds:
        meta, status = o.get("metadata") or {}, o.get("status") or {}
        state = status.get("state")
        conds = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
        ready = next((c for c in conds if c.get("type") == "Ready"), None)
        not_ready = ready is not None and ready.get("status") != "True"
        if state != "failed" and not not_ready:
            continue
        reason = (ready or {}).get("reason")
        message = ((ready or {}).get("message") or "").strip()
        failed = state == "failed" or reason in DGD_FAILED_REASONS
        others = [f"{c.get('type')}={c.get('status')}" for c in conds if c is not ready]
        name, ns = meta.get("name"), meta.get("namespace")
        out.findings.append(dgd_conditions.check.finding(
            severity=None if failed else "warning",
            summary=(f"DynamoGraphDeployment {name} state={state or 'unset'}, Ready={(ready or {}).get('status')}"
                     f" ({reason or 'no reason'})" + (f": {message[:200]}" if message else "")),
            remediation=("Read the Dynamo operator's log for the reconcile error and fix the spec or "
                         "the missing prerequisite it names (CRD, Grove/LWS, RBAC)." if failed else
                         "Look at the components the message names: their pods' findings say why they are not ready."),
            checks=[f"kubectl describe dynamographdeployment {name} -n {ns}",
                    f"kubectl get dynamographdeployment {name} -n {ns} -o jsonpath='{{.status}}'",
                    "kubectl logs -n <operator-namespace> deploy/<dynamo-operator> --tail=200"],
            affected=[Affected(ns, "DynamoGraphDeployment", name)],
            evidence=[_ev(o["_path"], f"dynamographdeployment/{name} status.state={state} Ready={(ready or {}).get('status')} "
                                      f"reason={reason} message={message[:160]!r}" + (f" {' '.join(others)}" if others else ""),
                          None, o.get("_line"))],
            details={"state": state, "reason": reason, "message": message, "conditions": conds}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK015

BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")


def parse_taint(text: str) -> dict[str, str]:
    """``key=value:Effect`` (the nodes table's form) -> {key, value, effect}."""
    body, _, effect = text.rpartition(":")
    key, _, value = body.partition("=")
    return {"key": key, "value": value, "effect": effect}


def tolerates(tolerations: list[dict], taint: dict[str, str]) -> bool:
    """Kubernetes' rule: one toleration matching the taint's key, value (or Exists) and effect."""
    for t in tolerations:
        if not isinstance(t, dict):
            continue
        if t.get("effect") and t["effect"] != taint["effect"]:
            continue
        if (t.get("operator") or "Equal") == "Exists":
            if not t.get("key") or t["key"] == taint["key"]:
                return True
        elif t.get("key") == taint["key"] and (t.get("value") or "") == taint["value"]:
            return True
    return False


@check("CHK015", "node-taints", "scheduling.taint", "error",
       "Pending GPU pod tolerates no GPU node's taints")
def node_taints(ctx: CheckContext) -> Outcome:
    """A Pending, unscheduled pod that asks for GPUs, when every GPU node (matching its
    ``nodeSelector``) carries a ``NoSchedule``/``NoExecute`` taint the pod does not tolerate
    (``spec.tolerations``, Kubernetes' matching rules). GPU node pools are often tainted
    ``nvidia.com/gpu=present:NoSchedule``; pods without the toleration stay Pending."""
    pods, nodes = ctx.table("pods"), ctx.table("nodes")
    if pods.is_empty() or nodes.is_empty():
        return Outcome(skipped="needs both pods and nodes in the bundle")
    gpu_nodes = [r for r in nodes.iter_rows(named=True) if hami.is_gpu_node(r)]
    pending = [r for r in pods.iter_rows(named=True) if hami.unscheduled(r) and hami.requests_gpu(r)]
    out = Outcome(note=f"{len(pending)} Pending GPU pod(s) against {len(gpu_nodes)} GPU node(s)")
    for pod in pending:
        tols = hami.jcol(pod["tolerations"], []) or []
        sel = hami.jcol(pod["node_selector"], {}) or {}
        candidates = [n for n in gpu_nodes if all(hami.jcol(n["labels"], {}).get(k) == v for k, v in sel.items())]
        if not candidates:
            continue
        blocked: dict[str, list[str]] = {}
        for n in candidates:
            bad = [t for t in hami.jcol(n["taints"], []) or []
                   if parse_taint(t)["effect"] in BLOCKING_EFFECTS and not tolerates(tols, parse_taint(t))]
            if bad:
                blocked[n["name"]] = bad
        if len(blocked) < len(candidates):
            continue
        node_rows = {n["name"]: n for n in candidates}
        listed = "; ".join(f"{n}: {', '.join(ts)}" for n, ts in sorted(blocked.items())[:5])
        first_taint = parse_taint(next(iter(sorted(blocked.items())))[1][0])
        toleration = {"key": first_taint["key"], "operator": "Exists" if not first_taint["value"] else "Equal",
                      **({"value": first_taint["value"]} if first_taint["value"] else {}),
                      "effect": first_taint["effect"]}
        out.findings.append(node_taints.check.finding(
            summary=(f"Pod {pod['name']} (Pending) tolerates none of the taints on the {len(candidates)} GPU node(s): "
                     f"{listed}" + (f" (pod tolerations: {len(tols)})" if tols else " (pod has no tolerations)")),
            remediation=f"Add a toleration to the pod template, e.g. {json.dumps(toleration)}, or remove the taint.",
            checks=[f"kubectl get pod {pod['name']} -n {pod['namespace']} -o jsonpath='{{.spec.tolerations}}'",
                    "kubectl get nodes -o custom-columns='NAME:.metadata.name,TAINTS:.spec.taints'"],
            affected=[Affected(pod["namespace"], "Pod", pod["name"])],
            evidence=[hami.pod_evidence(pod, f" tolerations={json.dumps(tols)[:160]}")]
            + [_ev(node_rows[n]["path"], f"node/{n} taints={json.dumps(ts)}", None, node_rows[n].get("line"))
               for n, ts in sorted(blocked.items())[:3]],
            details={"blocked_nodes": blocked, "tolerations": tols}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK018

MIN_RUN_S = 300   # a run shorter than this died while loading (a peak), not from growth
RSS_METRICS = ("container_memory_working_set_bytes", "process_resident_memory_bytes")
# "rss=1.18GiB", "RSS: 812 MiB", "memory_used=3.2GB", "resident memory 1024MB" in an app's own log
MEM_LINE = (r"(?i)\b(?:rss|resident[ _]memory|mem(?:ory)?[ _](?:used|usage|rss))\s*[=:]?\s*"
            r"(\d+(?:\.\d+)?)\s*(GiB|MiB|KiB|GB|MB|KB|kB|G|M|K|bytes|B)\b")
_UNIT = {"gib": 2**30, "mib": 2**20, "kib": 2**10, "gb": 1e9, "mb": 1e6, "kb": 1e3, "g": 2**30, "m": 2**20,
         "k": 2**10, "bytes": 1, "b": 1}
GROWTH_RATIO = 1.5        # a run's last reading at least 1.5x its first ...
GROWTH_MIN = 256 * 2**20  # ... and 256 MiB more
MONOTONE = 0.7            # with at least 70 % of the steps going up (a leak, not a sawtooth)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def _pod_memory(metrics: pl.DataFrame, ns: str, pod: str, container: str) -> tuple[float | None, float | None, str]:
    """(memory bytes, process start unix time, metric name) of one container from its pod's scrape."""
    if metrics.is_empty():
        return None, None, ""
    rows = metrics.filter((pl.col("namespace") == ns) & (pl.col("pod") == pod))
    if rows.is_empty():
        return None, None, ""
    mem, name = None, ""
    for metric in RSS_METRICS:
        sel = rows.filter(pl.col("name") == metric)
        if metric == "container_memory_working_set_bytes":
            sel = sel.filter(pl.col("labels").str.contains(f'"container":"{container}"', literal=True))
        if sel.height:
            mem, name = float(sel.get_column("value").max()), metric
            break
    start = rows.filter(pl.col("name") == "process_start_time_seconds").get_column("value").max()
    return mem, (float(start) if start is not None else None), name


@dataclass
class Run:
    """The memory readings one run of a container logged about itself."""

    rows: list[dict]  # log_lines rows with "bytes", in time order

    @property
    def first(self) -> float:
        return self.rows[0]["bytes"]

    @property
    def last(self) -> float:
        return self.rows[-1]["bytes"]

    @property
    def seconds(self) -> float:
        return (self.rows[-1]["time"] - self.rows[0]["time"]).total_seconds()

    @property
    def pace(self) -> float:
        """Bytes per second from the first reading to the last."""
        return (self.last - self.first) / self.seconds if self.seconds > 0 else 0.0

    def grows(self) -> bool:
        if len(self.rows) < 3 or self.seconds < 60:
            return False
        steps = [b["bytes"] >= a["bytes"] for a, b in zip(self.rows, self.rows[1:])]
        return (self.last >= GROWTH_RATIO * self.first and self.last - self.first >= GROWTH_MIN
                and sum(steps) >= MONOTONE * len(steps))

    def text(self) -> str:
        return (f"{_gib(self.first)} -> {_gib(self.last)} in {_duration(self.seconds)} "
                f"({self.pace * 60 / 2**20:.0f} MiB/min)")


def restarted_containers(containers: pl.DataFrame) -> pl.DataFrame:
    """The app containers that restarted: CHK018 reads their logs again."""
    if containers.is_empty():
        return containers
    return containers.filter((pl.col("restart_count") >= 1) & (pl.col("init") != True))  # noqa: E712


def reread_logs(tables: dict[str, pl.DataFrame]):
    """Which log members the checks read again after matching (a predicate over members)."""
    wanted = {(r["namespace"], r["pod"], r["name"])
              for r in restarted_containers(tables.get("containers", pl.DataFrame())).iter_rows(named=True)}
    return lambda m: (m.meta.get("namespace"), m.meta.get("pod"), m.meta.get("container")) in wanted


def _log_runs(ctx: CheckContext, restarted: pl.DataFrame) -> dict[tuple, Run]:
    """(namespace, pod, container, previous) -> the memory readings in that log."""
    wanted = {(r["namespace"], r["pod"], r["name"]) for r in restarted.iter_rows(named=True)}
    lines = ctx.log_lines(lambda m: (m.get("namespace"), m.get("pod"), m.get("container")) in wanted, MEM_LINE)
    if lines.is_empty():
        return {}
    lines = lines.filter(pl.col("time").is_not_null()).with_columns(
        pl.col("text").str.extract(MEM_LINE, 1).cast(pl.Float64, strict=False).alias("_n"),
        pl.col("text").str.extract(MEM_LINE, 2).str.to_lowercase().alias("_u"))
    out: dict[tuple, Run] = {}
    for key, g in lines.sort("time").group_by(["namespace", "pod", "container", "previous"], maintain_order=True):
        rows = [dict(r, bytes=r["_n"] * _UNIT.get(r["_u"], 1)) for r in g.iter_rows(named=True) if r["_n"] is not None]
        if rows:
            out[tuple(key)] = Run(rows)
    return out


def _line_ev(r: dict) -> Evidence:
    return Evidence(r["path"], r["line"], r["text"], r["time"], None, "log")


@check("CHK018", "memory-growth", "performance.memory_leak", "warning",
       "Container memory grows until the limit, run after run (likely leak)")
def memory_growth(ctx: CheckContext) -> Outcome:
    """A restarted container whose memory climbs while it serves, in the run that ended and again
    in the current one.

    Two sources, best first:

    - readings the application logs about itself (``rss=1.18GiB``, ``RSS: 812 MiB``,
      ``memory_used=3.2GB``) in its previous and current log: fires when the previous run
      grew (last reading at least 1.5x and 256 MiB over the first, mostly rising) and the
      current run grows too, or the previous run grew to within 80 % of the memory limit and
      was OOMKilled;
    - otherwise the pod's scrape (``container_memory_working_set_bytes``, else
      ``process_resident_memory_bytes``, with ``process_start_time_seconds``): fires when the
      previous run was OOMKilled after 5 minutes or more (not a loading peak) and the current
      run, at its average pace since start (memory at start taken as 0: an upper bound),
      reaches the limit within twice the previous run's length.

    A bundle holds one scrape per pod and a restart that was not OOMKilled leaves no reading
    of how high the previous run went, so containers with neither log readings nor a scrape
    are listed as unmeasured in the note rather than guessed at.
    """
    containers = ctx.table("containers")
    if containers.is_empty():
        return Outcome(skipped="no pod status in the bundle (pods JSON or describe)")
    restarted = restarted_containers(containers)
    if restarted.is_empty():
        return Outcome(note=f"no restarted container among {containers.height}")
    metrics = ctx.table("metrics")
    runs = _log_runs(ctx, restarted)
    if metrics.is_empty() and not runs:
        return Outcome(skipped=f"{restarted.height} restarted container(s) but neither memory readings in their "
                               "logs nor a metrics scrape: memory over time cannot be measured")
    ref = parse_time(ctx.facts.get("collected_at"))
    out = Outcome()
    unmeasured: list[str] = []
    for c in restarted.iter_rows(named=True):
        limit = quantity(hami.jcol(c["limits"], {}).get("memory"))
        oom = c["last_reason"] == "OOMKilled"
        prev = ((c["last_finished"] - c["last_started"]).total_seconds()
                if c["last_finished"] and c["last_started"] else None)
        mem, start, metric = _pod_memory(metrics, c["namespace"], c["pod"], c["name"])
        who = f"{c['pod']}/{c['name']}"
        before = runs.get((c["namespace"], c["pod"], c["name"], True))
        now = runs.get((c["namespace"], c["pod"], c["name"], False))
        f = None
        if before is not None and before.grows():
            near_limit = limit is not None and before.last >= 0.8 * limit
            if (now is not None and now.grows()) or (oom and near_limit):
                f = _log_finding(c, before, now, limit, oom, mem, metric)
        if f is None and (before is None or not before.grows()):
            f, why = _scrape_finding(c, limit, oom, prev, mem, start, metric, ref)
            if why:
                unmeasured.append(f"{who} ({why})")
        if f is not None:
            out.findings.append(f)
    out.note = (f"{restarted.height} restarted container(s) checked"
                + (f"; unmeasured: {'; '.join(unmeasured[:5])}" if unmeasured else ""))
    return out


def _log_finding(c: dict, before: Run, now: Run | None, limit: float | None, oom: bool, mem, metric):
    end = (f"until OOMKilled at the {_gib(limit)} limit" if oom and limit else
           f"until it ended ({c['last_reason'] or 'exit ' + str(c['last_exit_code'])})")
    current = f"; this run {now.text()}" if now is not None and now.grows() else ""
    eta = ""
    if now is not None and now.grows() and limit and now.pace > 0 and now.last < limit:
        eta = f"; at this pace it reaches the limit in ~{_duration((limit - now.last) / now.pace)}"
    scrape = f" (scrape: {metric} {_gib(mem)})" if mem is not None else ""
    evidence = [_line_ev(before.rows[0]), _line_ev(before.rows[-1])]
    if now is not None:
        evidence += [_line_ev(now.rows[0]), _line_ev(now.rows[-1])]
    return memory_growth.check.finding(
        summary=(f"Container {c['name']} of pod {c['pod']}: memory grows in every run: previous run "
                 f"{before.text()} {end}{current}{scrape}{eta} ({c['restart_count']} restarts)"),
        remediation=_LEAK_FIX, checks=_leak_checks(c), affected=[Affected(c["namespace"], "Pod", c["pod"], c["name"])],
        evidence=evidence, count=c["restart_count"] or 1, first_seen=before.rows[0]["time"],
        last_seen=(now or before).rows[-1]["time"],
        details={"previous_run": {"first_bytes": int(before.first), "last_bytes": int(before.last),
                                  "seconds": int(before.seconds), "mib_per_minute": round(before.pace * 60 / 2**20, 1)},
                 "current_run": None if now is None else {
                     "first_bytes": int(now.first), "last_bytes": int(now.last), "seconds": int(now.seconds),
                     "mib_per_minute": round(now.pace * 60 / 2**20, 1)},
                 "limit_bytes": int(limit) if limit else None, "source": "log"})


_LEAK_FIX = ("Memory climbs while the container serves and it dies at the limit, run after run: look for what "
             "accumulates (unbounded request/prompt caches, prefix caches in host RAM, metric label sets, leaked "
             "tensors or buffers) and bound it; raising the limit only delays the kill.")


def _leak_checks(c: dict) -> list[str]:
    return [f"kubectl top pod {c['pod']} -n {c['namespace']} --containers",
            f"kubectl logs {c['pod']} -n {c['namespace']} -c {c['name']} --previous | tail -50"]


def _scrape_finding(c: dict, limit, oom: bool, prev, mem, start, metric, ref):
    """(finding or None, why unmeasured or "") from the scrape and the previous run's kill."""
    if not oom or limit is None or prev is None:
        return None, "previous run " + ("not OOMKilled" if not oom else "without limit or times")
    if mem is None:
        return None, "no memory metric scraped"
    if prev < MIN_RUN_S:
        return None, f"previous run only {_duration(prev)}"
    begun = datetime.fromtimestamp(start, timezone.utc) if start else c["state_started"]
    if ref is None or begun is None:
        return None, "no uptime"
    uptime = (ref - begun).total_seconds()
    if uptime < 60 or mem <= 0:
        return None, f"current run {int(uptime)} s old"
    pace = mem / uptime  # bytes per second since start
    to_limit = limit / pace
    if to_limit > 2 * prev:
        return None, ""
    f = memory_growth.check.finding(
        summary=(f"Container {c['name']} of pod {c['pod']}: previous run OOMKilled after {_duration(prev)} at its "
                 f"{_gib(limit)} limit; this run holds {_gib(mem)} ({mem / limit:.0%} of the limit) after "
                 f"{_duration(uptime)}, about {pace * 60 / 2**20:.0f} MiB/min: at this pace it reaches the limit "
                 f"after ~{_duration(to_limit)} ({c['restart_count']} restarts so far)"),
        remediation=_LEAK_FIX, checks=_leak_checks(c), affected=[Affected(c["namespace"], "Pod", c["pod"], c["name"])],
        evidence=[_ev(c["path"], f"{c['name']}: lastState terminated reason=OOMKilled started={c['last_started']} "
                                 f"finished={c['last_finished']} limits.memory={hami.jcol(c['limits'], {}).get('memory')} "
                                 f"restartCount={c['restart_count']}", c["last_finished"], c.get("line")),
                  Evidence(f"namespaces/{c['namespace']}/metrics/{c['pod']}.prom", None,
                           f"{metric} {mem:.0f} ({_gib(mem)}); process_start_time_seconds {start}", ref, None,
                           "metrics")],
        count=c["restart_count"] or 1, first_seen=c["last_started"], last_seen=ref,
        details={"previous_run_seconds": int(prev), "limit_bytes": int(limit), "memory_bytes": int(mem),
                 "uptime_seconds": int(uptime), "mib_per_minute": round(pace * 60 / 2**20, 1),
                 "seconds_to_limit": int(to_limit), "metric": metric, "source": "metrics"})
    return f, ""


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
        labels = hami.jcol(r["labels"], {})
        le = labels.pop("le", None)
        if le is None or r["value"] is None:
            continue
        key = (r["name"][:-len("_bucket")], r["path"], r["pod"], json.dumps(labels, sort_keys=True))
        h = out.setdefault(key, {"buckets": [], "namespace": r["namespace"], "labels": labels})
        h["buckets"].append((math.inf if le in ("+Inf", "Inf", "inf") else float(le), float(r["value"])))
    return out


def _gauges(metrics: pl.DataFrame, names: tuple[str, ...]) -> dict[tuple, dict[str, float]]:
    """(path, pod, engine labels) -> {metric: value} for gauge families."""
    rows = metrics.filter(pl.col("name").is_in(list(names)))
    out: dict[tuple, dict[str, float]] = defaultdict(dict)
    for r in rows.iter_rows(named=True):
        labels = hami.jcol(r["labels"], {})
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
            affected=[Affected(h["namespace"], "Pod", pod)] if pod else [],
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
            affected=[Affected(ns, "Pod", pod)] if pod else [],
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
            affected=[Affected(ns, "Pod", pod)] if pod else [],
            evidence=[Evidence(path, None, " ".join(f"{k}={v:g}" for k, v in sorted(g.items())), None, None, "metrics")],
            details={"in_flight": busy, "output_tokens_total": 0}))
    out.note = f"{checked} latency histogram(s)/engine gauge set(s) checked"
    if not checked:
        out.note = "no serving latency histograms or vLLM queue gauges among the metrics"
    return out
