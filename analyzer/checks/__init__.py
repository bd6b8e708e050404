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
from analyzer.checks.framework import Check, CheckContext, Outcome, check, checks_in
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
    findings: list[Finding] = []
    statuses: list[dict[str, Any]] = []
    strict = bool(os.environ.get(STRICT_ENV))
    for c in CHECKS:
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
            statuses.append({"name": f"{c.id} {c.title}", "status": "skipped", "reason": out.skipped})
        else:
            statuses.append({"name": f"{c.id} {c.title}", "status": "clear", "reason": out.note or ""})
    statuses.extend(_pattern_statuses(parsed, signals, library))
    return findings, statuses


def _pattern_statuses(parsed, signals: pl.DataFrame, library) -> list[dict[str, Any]]:
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
        if found:
            out.append({"name": label, "status": "found", "reason": ", ".join(found[:10])})
        elif usable:
            srcs = sorted({s for p in usable for s in p.sources if have.get(s)})
            out.append({"name": label, "status": "clear", "reason": "no match in " + ", ".join(srcs)})
        else:
            need = sorted({s for p in pats for s in p.sources})
            out.append({"name": label, "status": "skipped",
                        "reason": "bundle has none of: " + ", ".join(need)})
    return out
