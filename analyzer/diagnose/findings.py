"""Findings from pattern signals: one per pattern and affected object, with count and first/last seen."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from analyzer.findings import Affected, Evidence, Finding, PodRef, iso
from analyzer.library import Library, Pattern

MAX_EVIDENCE = 5


def _context(row: dict[str, Any], captures: dict[str, Any], node: str | None, count: int) -> dict[str, Any]:
    ctx = {"namespace": row.get("namespace") or "", "pod": row.get("pod") or row.get("object_name") or "",
           "container": row.get("container") or "", "node": node or "", "path": row.get("path") or "",
           "line": row.get("line") or "", "count": count, "object_kind": row.get("object_kind") or "",
           "object_name": row.get("object_name") or "", "time": iso(row.get("time")) or ""}
    ctx.update({k: v for k, v in captures.items() if v is not None})
    return ctx


def _placeholders(ctx: dict[str, Any]) -> dict[str, Any]:
    """For commands: an unknown name shows as ``<pod>`` rather than vanishing."""
    return {k: (v if v not in ("", None) else f"<{k}>") for k, v in ctx.items()}


_POD_REF_KEYS = ("pod_ref", "pod_ref2", "pod_ref3", "pod_name")


def _attribute(signals: pl.DataFrame) -> pl.DataFrame:
    """A line that names another pod (a scheduler log about ``ns/pod``) is about that pod."""
    caps = signals.get_column("captures")
    # klog's structured key names the pod a scheduler or kubelet line is about
    klog_ref = signals.get_column("text").str.extract(r'\bpod="([^"\s/]+/[^"\s]+)"', 1)
    if not caps.str.contains('"pod_(?:ref2?3?|name)"').any() and klog_ref.null_count() == len(klog_ref):
        return signals
    ns_out, kind_out, name_out, ctr_out = [], [], [], []
    rows = signals.select("namespace", "object_kind", "object_name", "container", "captures",
                          "source").with_columns(klog_ref.alias("_klog")).iter_rows()
    for ns, kind, name, ctr, cap, source, klog in rows:
        values = json.loads(cap or "{}")
        ref = next((values[k] for k in _POD_REF_KEYS if values.get(k)), None) or klog
        # an event already names its object; a log line about another pod is re-attributed
        if ref and source in ("log", "text"):
            pod = PodRef.parse(ref)
            ns, kind, name, ctr = (pod.namespace or values.get("ns") or ns), "Pod", pod.name, None
        ns_out.append(ns)
        kind_out.append(kind)
        name_out.append(name)
        ctr_out.append(ctr)
    return signals.with_columns(
        pl.Series("namespace", ns_out, dtype=pl.Utf8), pl.Series("object_kind", kind_out, dtype=pl.Utf8),
        pl.Series("object_name", name_out, dtype=pl.Utf8), pl.Series("container", ctr_out, dtype=pl.Utf8),
        pl.when(pl.Series(kind_out) == "Pod").then(pl.Series(name_out)).otherwise(pl.col("pod")).alias("pod"))


# failures of a node's hardware: whichever pod logged them (device plugin, node problem
# detector, DCGM exporter), the object affected is the node the pod runs on
NODE_CATEGORIES = frozenset({"gpu.hardware", "gpu.thermal", "cluster.node_not_ready"})


def _to_nodes(signals: pl.DataFrame, library: Library, pod_nodes: dict[tuple, str]) -> pl.DataFrame:
    node_ids = [p.id for p in library if p.category in NODE_CATEGORIES]
    if not node_ids or not pod_nodes:
        return signals
    lookup = pl.DataFrame({"namespace": [k[0] for k in pod_nodes], "object_name": [k[1] for k in pod_nodes],
                           "_node": list(pod_nodes.values())}, schema={"namespace": pl.Utf8, "object_name": pl.Utf8, "_node": pl.Utf8})
    joined = signals.join(lookup, on=["namespace", "object_name"], how="left")
    move = pl.col("pattern_id").is_in(node_ids) & (pl.col("object_kind") == "Pod") & pl.col("_node").is_not_null()
    return joined.with_columns(
        pl.when(move).then(pl.lit("Node")).otherwise(pl.col("object_kind")).alias("object_kind"),
        pl.when(move).then(pl.col("_node")).otherwise(pl.col("object_name")).alias("object_name"),
        pl.when(move).then(pl.lit(None, dtype=pl.Utf8)).otherwise(pl.col("namespace")).alias("namespace"),
        pl.when(move).then(pl.lit(None, dtype=pl.Utf8)).otherwise(pl.col("container")).alias("container"),
    ).drop("_node")


def node_evidence(signals: pl.DataFrame, node_paths: dict[str, str]) -> pl.DataFrame:
    """Lines and samples of a node's own files are about that node: the kernel log, nvidia-smi -q
    and DCGM exporter scrape our collector saves under ``nodes/NODE/`` (``node_paths``: member path
    -> node, from the members whose ``meta`` names a node). Rows already about a pod keep it."""
    if signals.is_empty() or not node_paths:
        return signals
    lookup = pl.DataFrame({"path": list(node_paths), "_node": list(node_paths.values())},
                          schema={"path": pl.Utf8, "_node": pl.Utf8})
    joined = signals.join(lookup, on="path", how="left", maintain_order="left")
    move = pl.col("_node").is_not_null() & pl.col("object_kind").is_null()
    return joined.with_columns(
        pl.when(move).then(pl.lit("Node")).otherwise(pl.col("object_kind")).alias("object_kind"),
        pl.when(move).then(pl.col("_node")).otherwise(pl.col("object_name")).alias("object_name"),
    ).drop("_node")


def findings_from_signals(signals: pl.DataFrame, library: Library, pod_nodes: dict[tuple, str]) -> list[Finding]:
    """Group signals by (pattern, affected object): count, first/last seen, a few evidence lines."""
    if signals.is_empty():
        return []
    keyed = _to_nodes(_attribute(signals), library, pod_nodes).with_columns(
        pl.coalesce(pl.col("object_kind"), pl.lit("")).alias("_kind"),
        pl.coalesce(pl.col("object_name"), pl.lit("")).alias("_name"),
        pl.coalesce(pl.col("namespace"), pl.lit("")).alias("_ns"),
        pl.coalesce(pl.col("container"), pl.lit("")).alias("_ctr"),
    )
    # a must-gather has hundreds of small groups: one pass in Python over rows sorted once costs
    # less than a Polars sort and gather per group
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in keyed.to_dicts():
        key = (row["pattern_id"], row["_ns"], row["_kind"], row["_name"], row["_ctr"])
        groups.setdefault(key, []).append(row)
    findings: list[Finding] = []
    for (pid, ns, kind, name, ctr), rows in groups.items():
        p = library.by_id.get(pid)
        if p is None:
            continue
        count = int(sum(r["weight"] for r in rows if r["weight"] is not None))
        if count < p.min_count:
            continue
        rows.sort(key=_time_order)
        findings.append(_finding(p, rows, count, ns or None, kind or None, name or None, ctr or None,
                                 pod_nodes))
    return findings


def _time_order(row: dict[str, Any]) -> tuple:
    """Sort key of a signal row: by time, path, line, each with unknowns last."""
    t, path, line = row["time"], row["path"], row["line"]
    return (t is None, t if t is not None else 0, path is None, path or "", line is None, line or 0)


def _finding(p: Pattern, rows: list[dict[str, Any]], count: int, ns, kind, name, ctr, pod_nodes) -> Finding:
    first = rows[0]
    captures = json.loads(first.get("captures") or "{}")
    node = pod_nodes.get(PodRef(ns, name).key) if kind == "Pod" else (name if kind == "Node" else None)
    ctx = _context(first, captures, node, count)
    evidence, seen = [], set()
    picks = rows[:MAX_EVIDENCE - 1] + ([rows[-1]] if len(rows) >= MAX_EVIDENCE else [])
    for r in picks:
        k = (r["path"], r["line"], r["text"])
        if k in seen:
            continue
        seen.add(k)
        span = (r["span_start"], r["span_end"]) if r.get("span_start") is not None else None
        evidence.append(Evidence(r["path"], r["line"], r["text"], r["time"], span, r["source"],
                                 r.get("end_line")))
    times = [r["time"] for r in rows if r["time"] is not None]
    if name:
        affected = [Affected(ns, kind, name, ctr)]
    else:  # a line we can place in a namespace only (a describe preamble, a metric without pod)
        affected = [Affected(ns, "Namespace", ns)] if ns else []
    return Finding(
        rule=p.id, source="pattern", category=p.category, severity=p.severity, title=p.title,
        summary=p.render(p.summary, ctx), root_cause_text=p.render(p.root_cause, ctx),
        remediation=p.render(p.remediation, ctx), checks=[p.render(c, _placeholders(ctx)) for c in p.checks],
        affected=affected, evidence=evidence, count=count,
        first_seen=min(times) if times else None, last_seen=max(times) if times else None,
        node=node, references=list(p.references), explains=p.explains,
        details={"captures": captures, "previous": bool(first.get("previous"))},
    )
