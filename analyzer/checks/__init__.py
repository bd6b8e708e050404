"""Structured checks: what a regex cannot see, computed over the tables.

Each check is declared once with an id, a category and a severity like a pattern, and its
docstring is its documentation page. A check returns findings, or says it found nothing
(``clear``), or that it could not run because the bundle lacks its source (``skipped``, with
the reason: this is the report's "not checked" list).

The checks live in modules named after what they know (``MODULES``); ``framework`` defines what
a check is and ``helpers`` what several modules read the same way. What the rest of the pipeline
needs from checks is here: ``run_checks`` (the diagnosis) and ``reread_logs`` (which log files
the checks read again after matching, so that ingest keeps them at hand).
"""

from __future__ import annotations

import os
from typing import Any

import polars as pl

from analyzer.checks import (cluster, collection, containers, dynamo, engines, hami_components, hami_config,
                             hami_scheduling, metrics)
from analyzer.checks.containers import reread_logs
from analyzer.checks.framework import Check, CheckContext, Outcome, ReadingGpu, check, checks_in
from analyzer.findings import Finding
from analyzer.gpu.cluster import GpuCluster
from analyzer.state import ClusterState

MODULES = (containers, cluster, collection, hami_scheduling, hami_components, hami_config, dynamo, engines,
           metrics)

# every check, in id order (the order they run and are documented in)
CHECKS: tuple[Check, ...] = tuple(sorted((c for m in MODULES for c in checks_in(m)), key=lambda c: c.id))

__all__ = ["CHECKS", "Check", "CheckContext", "MODULES", "Outcome", "check", "reread_logs", "run_checks"]

# set (tests set it) to let a check that raises end the run with its traceback, so that a test
# fails instead of seeing a "could not check" row
STRICT_ENV = "BUNDLE_ANALYZER_STRICT_CHECKS"


def run_checks(parsed, signals: pl.DataFrame, library, gpu: GpuCluster | None = None,
               state: ClusterState | None = None) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Run every check; returns findings and one status row per check (and per pattern file).

    ``gpu``: the diagnosis's model of the cluster's GPUs and HAMi, shared with the report;
    ``state``: its model of the cluster at collection time."""
    # the collector's manifest, type-checked by the parse stage, is the fact ``manifest``
    ctx = CheckContext(parsed.tables, parsed.facts, signals, parsed, gpu, state, library)
    model = ctx.gpu
    ctx.gpu = ReadingGpu(model, ctx.reads)  # type: ignore[assignment]
    gaps = Gaps(getattr(parsed, "not_collected", None) or [], parsed)
    findings: list[Finding] = []
    statuses: list[dict[str, Any]] = []
    strict = bool(os.environ.get(STRICT_ENV))
    for c in CHECKS:
        ctx.reads.clear()
        try:
            out = c.run(ctx)
        except Exception as exc:  # noqa: BLE001 - one check that fails must not end the run
            if strict:
                raise
            # "could not check", with the reason: listed with the checks the bundle cannot answer
            reason = " ".join(str(exc).split())
            statuses.append({"name": f"{c.id} {c.title}", "status": "skipped",
                             "reason": f"could not check: {type(exc).__name__}: {reason}"[:300]})
            continue
        findings.extend(out.findings)
        if out.findings:
            statuses.append({"name": f"{c.id} {c.title}", "status": "found",
                             "reason": f"{len(out.findings)} finding(s)"})
        elif out.skipped:
            statuses.append(gaps.status(f"{c.id} {c.title}", "skipped", out.skipped, ctx.reads))
        else:
            statuses.append(gaps.status(f"{c.id} {c.title}", "clear", out.note or "", ctx.reads))
    ctx.gpu = model
    statuses.extend(_pattern_statuses(parsed, signals, library, gaps))
    return findings, statuses


class Gaps:
    """The sources the collector could not collect, as the check statuses tell them: a check
    that found nothing in a source that was not collected at all is ``skipped`` for that reason;
    one that read what part of it was collected stays as it is, its reason saying what was not."""

    def __init__(self, not_collected: list, parsed) -> None:
        self.entries = not_collected
        self.parsed = parsed

    def status(self, name: str, status: str, reason: str, reads: set[str]) -> dict[str, Any]:
        """The status of a check that found nothing, given the sources it read."""
        hits: list[tuple[Any, str]] = []
        for entry in self.entries:
            for key in _deprived(entry.deprives, reads):
                hits.append((entry, key))
        if not hits:
            return {"name": name, "status": status, "reason": reason}
        said = _describe([e for e, _ in hits])
        if any(not self._has_data(key) for _, key in hits):
            return {"name": name, "status": "skipped", "reason": f"not collected: {said}"}
        return {"name": name, "status": status, "reason": f"{reason}; not collected: {said}" if reason
                else f"not collected: {said}"}

    def _has_data(self, key: str) -> bool:
        tables = self.parsed.tables
        if key == "logs":
            files = tables.get("files")
            return files is not None and not files.is_empty() and files.filter(
                pl.col("kind").is_in(["log", "log_multi", "text"])).height > 0
        if key == "version":
            return bool(self.parsed.facts.get("server_version"))
        if key.startswith("objects:"):
            objs = tables.get("objects")
            return objs is not None and not objs.is_empty() and objs.filter(pl.col("kind") == key[8:]).height > 0
        df = tables.get(key)
        return df is not None and not df.is_empty()


def _deprived(deprives: tuple[str, ...], reads: set[str]) -> list[str]:
    """The sources among ``reads`` that a failure depriving ``deprives`` took away (the more
    specific name of each pair)."""
    out = []
    for d in deprives:
        for r in reads:
            if d == "everything" or d == r:
                out.append(r)
            elif d == "objects" and r.startswith("objects:"):
                out.append(r)
            elif r == "objects" and d.startswith("objects:"):
                out.append(d)
    return out


def _describe(entries: list) -> str:
    unique = list(dict.fromkeys(entries))
    first = unique[0]
    more = f" and {len(unique) - 1} more" if len(unique) > 1 else ""
    return f"{first.source} ({first.error[:160]}){more}"


# the sources (``NotCollected.deprives``) a pattern source is matched over
_PATTERN_READS = {"log": ("logs",), "events": ("events",), "describe": ("pods", "nodes"), "metrics": ("metrics",),
                  "text": ("logs",), "objects": ("objects",)}


def _pattern_statuses(parsed, signals: pl.DataFrame, library, gaps: Gaps | None = None) -> list[dict[str, Any]]:
    """One status per pattern file: found, clear (its sources were read), or skipped."""
    files = parsed.tables["files"]
    kinds = set(files.get_column("kind").to_list()) if not files.is_empty() else set()
    have = {"log": bool(kinds & {"log", "log_multi", "text"}),
            "events": not parsed.tables["events"].is_empty(),
            "describe": bool(kinds & {"describe_pod", "describe_node", "describe"}),
            "metrics": not parsed.tables["metrics"].is_empty()}
    hit_ids = set(signals.get_column("pattern_id").unique().to_list()) if not signals.is_empty() else set()
    by_file: dict[str, list] = {}
    for p in library:
        by_file.setdefault(p.file or "patterns", []).append(p)
    out = []
    for fname in sorted(by_file):
        pats = by_file[fname]
        label = f"patterns {fname.rsplit('.', 1)[0]} ({len(pats)})"
        found = sorted(p.id for p in pats if p.id in hit_ids)
        usable = [p for p in pats if any(have.get(s, False) for s in p.sources)]
        reads = {r for p in pats for s in p.sources for r in _PATTERN_READS.get(s, ())}
        if found:
            out.append({"name": label, "status": "found", "reason": ", ".join(found[:10])})
        elif usable:
            srcs = sorted({s for p in usable for s in p.sources if have.get(s)})
            status = {"name": label, "status": "clear", "reason": "no match in " + ", ".join(srcs)}
            out.append(gaps.status(label, status["status"], status["reason"], reads) if gaps else status)
        else:
            need = sorted({s for p in pats for s in p.sources})
            reason = "bundle has none of: " + ", ".join(need)
            out.append(gaps.status(label, "skipped", reason, reads) if gaps else
                       {"name": label, "status": "skipped", "reason": reason})
    return out
