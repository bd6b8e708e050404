"""The fleet dataset on disk: its tables, their schemas, rows from a bundle's result, writing.

``DATASET/<table>/analyzed_on=YYYY-MM-DD/part-<run>-<n>.parquet`` (Hive partitioning): every
run adds files and never rewrites one, each written under a temporary name and renamed, so an
interrupted run leaves whole files only (the bundles written so far are not analysed again).
``DATASET/fleet.json`` names the dataset's schema version. docs/fleet-schema.md is the contract.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from analyzer.parse.quantity import parse_time
from analyzer.tables import TIME, frame_of, to_json, write_table

DATASET_VERSION = 1
PARTITION = "analyzed_on"
LIST = pl.List(pl.Utf8)

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "bundles": {"bundle_id": pl.Utf8, "input": pl.Utf8, "status": pl.Utf8, "error": pl.Utf8,
                "labels": pl.Utf8, "analyzed_at": TIME, "analyzer_version": pl.Utf8, "seconds": pl.Float64,
                "cpu_seconds": pl.Float64,
                "bytes": pl.Int64, "layout": pl.Utf8, "collected_at": TIME, "collected_at_source": pl.Utf8,
                "server_version": pl.Utf8, "context": pl.Utf8, "gpu_models": LIST, "engines": LIST,
                "files_read": pl.Int64, "read_errors": pl.Int64, "root_causes": pl.Int64,
                "findings": pl.Int64, "unexplained": pl.Int64, "top_category": pl.Utf8,
                "top_severity": pl.Utf8, "redacted": pl.Boolean},
    "root_causes": {"bundle_id": pl.Utf8, "input": pl.Utf8, "rank": pl.Int32, "category": pl.Utf8,
                    "severity": pl.Utf8, "state": pl.Utf8, "finding_id": pl.Utf8, "layer": pl.Utf8,
                    "title": pl.Utf8, "summary": pl.Utf8, "count": pl.Int64, "first_seen": TIME,
                    "last_seen": TIME, "pattern": pl.Utf8, "inferred": pl.Boolean, "labels": pl.Utf8},
    "findings": {"bundle_id": pl.Utf8, "finding_id": pl.Utf8, "category": pl.Utf8, "layer": pl.Utf8,
                 "severity": pl.Utf8, "state": pl.Utf8, "root_cause": pl.Boolean, "caused_by": pl.Utf8,
                 "merged_into": pl.Utf8, "title": pl.Utf8, "summary": pl.Utf8, "count": pl.Int64,
                 "first_seen": TIME, "last_seen": TIME, "pattern": pl.Utf8, "source": pl.Utf8,
                 "node": pl.Utf8, "affected": pl.Utf8, "inferred": pl.Boolean, "confidence": pl.Float64},
    "evidence": {"bundle_id": pl.Utf8, "finding_id": pl.Utf8, "n": pl.Int32, "path": pl.Utf8,
                 "line": pl.Int64, "time": TIME, "source": pl.Utf8, "text": pl.Utf8},
    # every input a run met, by stat key: a rerun skips those whose key it finds here unread
    "inputs": {"stat_key": pl.Utf8, "bundle_id": pl.Utf8, "input": pl.Utf8, "seen_at": TIME},
    "unexplained": {"bundle_id": pl.Utf8, "n": pl.Int32, "template": pl.Utf8, "count": pl.Int64,
                    "category": pl.Utf8, "confidence": pl.Float64, "source": pl.Utf8, "level": pl.Utf8,
                    "first_seen": TIME, "last_seen": TIME, "finding_id": pl.Utf8, "example": pl.Utf8,
                    "path": pl.Utf8, "line": pl.Int64},
}
TABLES: tuple[str, ...] = tuple(SCHEMAS)


def _time(value: Any) -> datetime | None:
    return parse_time(value) if value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def input_row(out: dict[str, Any], seen_at: datetime) -> dict[str, list[dict[str, Any]]]:
    """The ``inputs`` row of a worker output: its stat key names its bundle from now on."""
    return {"inputs": [{"stat_key": out.get("key"), "bundle_id": out["bundle_id"], "input": out["input"],
                        "seen_at": seen_at}]}


def rows_of(out: dict[str, Any], labels: dict[str, str], analyzed_at: datetime,
            version: str) -> dict[str, list[dict[str, Any]]]:
    """The rows of every table for one worker output (see ``worker.analyze_bundle``)."""
    bid, given, result = out["bundle_id"], out["input"], out["result"]
    label_text = to_json(dict(sorted(labels.items())))
    bundle = {"bundle_id": bid, "input": given, "status": "failed" if result is None else "ok",
              "error": out["error"], "labels": label_text, "analyzed_at": analyzed_at,
              "analyzer_version": version, "seconds": out["seconds"],
              "cpu_seconds": out.get("cpu_seconds"), "bytes": out.get("bytes")}
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    tables.update(input_row(out, analyzed_at))
    tables["bundles"].append(bundle)
    if result is None:
        return tables
    facts = result.get("bundle") or {}
    roots = result.get("root_causes") or []
    unexplained = result.get("unexplained") or []   # the fallback's list, when the analyzer has it
    bundle.update({
        "layout": facts.get("layout"), "collected_at": _time(facts.get("collected_at")),
        "collected_at_source": facts.get("collected_at_source"), "server_version": facts.get("server_version"),
        "context": facts.get("context"), "gpu_models": out["facts"].get("gpu_models", []),
        "engines": out["facts"].get("engines", []), "files_read": result["input"].get("files_read"),
        "read_errors": len(result["input"].get("read_errors") or []), "root_causes": len(roots),
        "findings": len(result.get("findings") or []),
        # null: the analyzer that made the result does not report unexplained errors at all
        "unexplained": len(unexplained) if "unexplained" in result else None,
        "top_category": roots[0]["category"] if roots else None,
        "top_severity": roots[0]["severity"] if roots else None, "redacted": result.get("redacted")})
    for rank, rc in enumerate(roots, 1):
        tables["root_causes"].append({
            "bundle_id": bid, "input": given, "rank": rank, "category": rc.get("category"),
            "severity": rc.get("severity"), "state": rc.get("state"), "finding_id": rc.get("id"),
            "layer": rc.get("layer"), "title": rc.get("title"), "summary": rc.get("summary"),
            "count": _int(rc.get("count")), "first_seen": _time(rc.get("first_seen")),
            "last_seen": _time(rc.get("last_seen")), "pattern": rc.get("pattern"),
            "inferred": rc.get("inferred"), "labels": label_text})
    for f in result.get("findings") or []:
        tables["findings"].append({
            "bundle_id": bid, "finding_id": f.get("id"), "category": f.get("category"),
            "layer": f.get("layer"), "severity": f.get("severity"), "state": f.get("state"),
            "root_cause": f.get("root_cause"), "caused_by": f.get("caused_by"),
            "merged_into": f.get("merged_into"), "title": f.get("title"), "summary": f.get("summary"),
            "count": _int(f.get("count")), "first_seen": _time(f.get("first_seen")),
            "last_seen": _time(f.get("last_seen")), "pattern": f.get("pattern"), "source": f.get("source"),
            "node": f.get("node"), "affected": to_json(f.get("affected") or []),
            "inferred": f.get("inferred"), "confidence": f.get("confidence")})
        for n, ev in enumerate(f.get("evidence") or [], 1):
            tables["evidence"].append({
                "bundle_id": bid, "finding_id": f.get("id"), "n": n, "path": ev.get("path"),
                "line": _int(ev.get("line")), "time": _time(ev.get("time")), "source": ev.get("source"),
                "text": ev.get("text")})
    for n, u in enumerate(unexplained, 1):
        first = (u.get("evidence") or [{}])[0]
        tables["unexplained"].append({
            "bundle_id": bid, "n": n, "template": u.get("template"), "count": _int(u.get("count")),
            "category": u.get("category"), "confidence": u.get("confidence"), "source": u.get("source"),
            "level": u.get("level"), "first_seen": _time(u.get("first_seen")),
            "last_seen": _time(u.get("last_seen")), "finding_id": u.get("finding"),
            "example": first.get("text"), "path": first.get("path"), "line": _int(first.get("line"))})
    return tables


class Writer:
    """Appends rows to the dataset in parts: ``add`` rows, ``flush`` writes one file per table."""

    def __init__(self, root: Path, run: str, day: str) -> None:
        self.root, self.run, self.day = root, run, day
        self.parts = 0
        self.pending: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self.bundles = 0

    def add(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        for name, rows in tables.items():
            self.pending[name].extend(rows)
        self.bundles += 1

    def flush(self) -> None:
        """Write what was added since the last flush (every table, empty ones with their schema,
        so that a dataset always has every table); ``bundles`` then ``inputs`` last: a stat key is
        only known once its bundle's rows are all written."""
        if not self.bundles:
            return
        # the folder is made with the first rows: a run that cannot start leaves nothing behind
        self.root.mkdir(parents=True, exist_ok=True)
        meta = self.root / "fleet.json"
        if not meta.exists():
            meta.write_text(json.dumps({"dataset_version": DATASET_VERSION, "tables": list(TABLES),
                                        "partitioning": PARTITION}, indent=2) + "\n", encoding="utf-8")
        for name in (*[t for t in TABLES if t not in ("bundles", "inputs")], "bundles", "inputs"):
            folder = self.root / name / f"{PARTITION}={self.day}"
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"part-{self.run}-{self.parts:05d}.parquet"
            if target.exists():   # a run id is unique: anything else is a bug, never an overwrite
                raise FileExistsError(f"{target}: a part of this name exists already")
            tmp = folder / f".{target.name}.tmp"
            write_table(frame_of(SCHEMAS[name], self.pending[name]), tmp)
            os.replace(tmp, target)
        self.parts += 1
        self.pending = {name: [] for name in TABLES}
        self.bundles = 0


def table_glob(root: Path, name: str) -> str:
    """The glob of one table's files (what DuckDB's read_parquet and Polars' scan_parquet take)."""
    return str(root / name / "**" / "*.parquet")


def load(root: Path, name: str) -> pl.DataFrame:
    """One table of the dataset (with its ``analyzed_on`` partition column); empty when absent."""
    if not any((root / name).glob("*/*.parquet")):
        return pl.DataFrame(schema={**SCHEMAS[name], PARTITION: pl.Utf8})
    df = pl.read_parquet(table_glob(root, name), hive_partitioning=True)
    if PARTITION in df.columns:
        df = df.with_columns(pl.col(PARTITION).cast(pl.Utf8))
    return df


def known(root: Path) -> tuple[set[str], set[str]]:
    """(bundle ids already in the dataset, analysed ok or failed; stat keys of the inputs met)."""
    ids = load(root, "bundles").get_column("bundle_id").to_list()
    keys = load(root, "inputs").get_column("stat_key").drop_nulls().to_list()
    return set(ids), set(keys)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def check_root(root: Path) -> str | None:
    """Why ``root`` cannot be a fleet dataset (a file, or a folder holding other things), or None."""
    if root.exists() and not root.is_dir():
        return f"{root}: exists and is not a directory"
    if root.is_dir() and any(root.iterdir()) and not (root / "fleet.json").exists():
        return f"{root}: not a fleet dataset (no fleet.json) and not empty; give a new or empty folder"
    return None

