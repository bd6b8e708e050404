"""`analyze --format parquet -o DIR`: the diagnosis and every table as Parquet files.

Written: ``findings.parquet`` (one row per finding, root causes included, flattened, with its
``state`` at collection time: active, recovered or past),
``root_causes.parquet`` (rank, id, symptom ids), ``evidence.parquet`` (one row per evidence line),
``checks.parquet``, ``unexplained.parquet`` (the errors no pattern knows: one row per template),
``signals.parquet``, one file per parsed table, and ``log_lines.parquet``
streamed batch by batch so memory stays bounded whatever the size of the logs. Files are
written by ``analyzer.tables`` (the same rules as the ``tables`` command).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import polars as pl

from analyzer.tables import empty, write_table, write_table_batches

_FINDING_SCHEMA = {
    "rank": pl.Int32, "id": pl.Utf8, "root_cause": pl.Boolean, "caused_by": pl.Utf8,
    "category": pl.Utf8, "layer": pl.Utf8, "severity": pl.Utf8, "title": pl.Utf8,
    "summary": pl.Utf8, "count": pl.Int64, "first_seen": pl.Utf8, "last_seen": pl.Utf8,
    "remediation": pl.Utf8, "checks": pl.List(pl.Utf8), "symptoms": pl.List(pl.Utf8),
    "pattern": pl.Utf8, "source": pl.Utf8, "affected": pl.Utf8,
    "namespaces": pl.List(pl.Utf8), "pods": pl.List(pl.Utf8), "evidence_lines": pl.Int64,
    "state": pl.Utf8, "state_reason": pl.Utf8,
    "inferred": pl.Boolean, "confidence": pl.Float64, "inferred_from": pl.List(pl.Utf8),
}
_UNEXPLAINED_SCHEMA = {
    "rank": pl.Int32, "template": pl.Utf8, "count": pl.Int64, "category": pl.Utf8, "confidence": pl.Float64,
    "inferred_from": pl.List(pl.Utf8), "source": pl.Utf8, "level": pl.Utf8, "affected": pl.Utf8,
    "first_seen": pl.Utf8, "last_seen": pl.Utf8, "path": pl.Utf8, "line": pl.Int64, "text": pl.Utf8,
    "finding": pl.Utf8,
}


def _cj(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def findings_frame(result: dict[str, Any]) -> pl.DataFrame:
    """One row per finding; affected objects as JSON text plus list columns to filter on."""
    ranks = {rc["id"]: i + 1 for i, rc in enumerate(result.get("root_causes") or [])}
    symptoms = {rc["id"]: list(rc.get("symptoms") or []) for rc in result.get("root_causes") or []}
    rows = []
    for f in result.get("findings") or []:
        affected = f.get("affected") or []
        rows.append({
            "rank": ranks.get(f["id"]), "id": f["id"],
            "root_cause": bool(f.get("root_cause", f["id"] in ranks)),
            "caused_by": f.get("caused_by"), "category": f.get("category"),
            "layer": f.get("layer"), "severity": f.get("severity"), "title": f.get("title"),
            "summary": f.get("summary"), "count": f.get("count"),
            "first_seen": f.get("first_seen"), "last_seen": f.get("last_seen"),
            "remediation": f.get("remediation"), "checks": list(f.get("checks") or []),
            "symptoms": symptoms.get(f["id"], list(f.get("symptoms") or [])),
            "pattern": f.get("pattern"), "source": f.get("source"), "affected": _cj(affected),
            "namespaces": sorted({a["namespace"] for a in affected if a.get("namespace")}),
            "pods": sorted({a["name"] for a in affected if a.get("kind") == "Pod"}),
            "evidence_lines": len(f.get("evidence") or []),
            "state": f.get("state"), "state_reason": f.get("state_reason"),
            "inferred": bool(f.get("inferred")), "confidence": f.get("confidence"),
            "inferred_from": list(f.get("inferred_from") or []),
        })
    return pl.DataFrame(rows, schema=_FINDING_SCHEMA)


def unexplained_frame(result: dict[str, Any]) -> pl.DataFrame:
    """One row per template of the result's ``unexplained`` list (errors no pattern knows), in
    rank order, with its first evidence line."""
    rows = []
    for i, u in enumerate(result.get("unexplained") or [], 1):
        ev = (u.get("evidence") or [{}])[0]
        rows.append({
            "rank": i, "template": u.get("template"), "count": u.get("count"), "category": u.get("category"),
            "confidence": u.get("confidence"), "inferred_from": list(u.get("inferred_from") or []),
            "source": u.get("source"), "level": u.get("level"), "affected": _cj(u.get("affected") or []),
            "first_seen": u.get("first_seen"), "last_seen": u.get("last_seen"), "path": ev.get("path"),
            "line": ev.get("line"), "text": ev.get("text"), "finding": u.get("finding"),
        })
    return pl.DataFrame(rows, schema=_UNEXPLAINED_SCHEMA)


def evidence_frame(result: dict[str, Any]) -> pl.DataFrame:
    """One row per evidence line of every finding, with the match span."""
    rows = []
    for f in result.get("findings") or []:
        for ev in f.get("evidence") or []:
            span = ev.get("match") or [None, None]
            rows.append({"finding": f["id"], "path": ev.get("path"), "line": ev.get("line"),
                         "time": ev.get("time"), "text": ev.get("text"),
                         "match_start": span[0], "match_end": span[1]})
    return pl.DataFrame(rows, schema={"finding": pl.Utf8, "path": pl.Utf8, "line": pl.Int64,
                                      "time": pl.Utf8, "text": pl.Utf8, "match_start": pl.Int64,
                                      "match_end": pl.Int64})


def write_parquet(result: dict[str, Any], tables: dict[str, pl.DataFrame],
                  signals: pl.DataFrame | None, log_batches: Iterable[pl.DataFrame],
                  out_dir: str | Path) -> dict[str, int]:
    """Write everything to `out_dir` (created); returns rows written per file name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}

    def put(name: str, df: pl.DataFrame) -> None:
        written[name] = write_table(df, out / f"{name}.parquet")

    findings = findings_frame(result)
    put("findings", findings)
    put("root_causes", findings.filter(pl.col("root_cause")).sort("rank"))
    put("evidence", evidence_frame(result))
    put("unexplained", unexplained_frame(result))
    put("checks", pl.DataFrame(result.get("checks") or [],
                               schema={"name": pl.Utf8, "status": pl.Utf8, "reason": pl.Utf8}))
    if signals is not None:
        put("signals", signals)
    for name in sorted(tables):
        if name in written or name == "log_lines":
            continue
        put(name, tables[name])
    # log lines arrive in batches: each is appended as a row group, never all held at once
    written["log_lines"] = write_table_batches(log_batches, out / "log_lines.parquet", empty("log_lines"))
    return written
