"""Schemas of the parsed tables (docs/ARCHITECTURE.md), helpers to build frames from rows, and
the one writer of tables to files (``tables`` and ``analyze --format parquet`` both use it).

Every table carries ``path`` so that evidence can point at file:line. JSON columns hold compact,
key-sorted JSON text, which keeps Parquet/CSV export simple and output deterministic.

Files: Parquet (zstd, column statistics) or CSV with a header. A table that arrives in batches
(``log_lines``) is written as it comes, one Parquet row group per batch, later batches cast to
the first one's schema; with no rows at all it is still written, empty, with its schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import polars as pl

TIME = pl.Datetime("us", "UTC")

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "files": {"path": pl.Utf8, "size": pl.Int64, "kind": pl.Utf8, "namespace": pl.Utf8,
              "pod": pl.Utf8, "container": pl.Utf8, "previous": pl.Boolean, "source": pl.Utf8},
    "read_errors": {"path": pl.Utf8, "error": pl.Utf8},
    "log_lines": {"path": pl.Utf8, "line": pl.UInt32, "record_line": pl.UInt32,
                  "namespace": pl.Utf8, "pod": pl.Utf8, "container": pl.Utf8,
                  "previous": pl.Boolean, "source": pl.Utf8, "time": TIME, "level": pl.Utf8,
                  "format": pl.Utf8, "text": pl.Utf8},
    "events": {"path": pl.Utf8, "line": pl.UInt32, "origin": pl.Utf8, "namespace": pl.Utf8,
               "object_kind": pl.Utf8, "object_name": pl.Utf8, "field_path": pl.Utf8,
               "type": pl.Utf8, "reason": pl.Utf8, "message": pl.Utf8, "count": pl.Int64,
               "first_time": TIME, "last_time": TIME, "component": pl.Utf8, "host": pl.Utf8},
    "pods": {"path": pl.Utf8, "line": pl.UInt32, "origin": pl.Utf8, "namespace": pl.Utf8, "name": pl.Utf8,
             "uid": pl.Utf8, "phase": pl.Utf8, "reason": pl.Utf8, "message": pl.Utf8,
             "node": pl.Utf8, "scheduler_name": pl.Utf8, "start_time": TIME, "ready": pl.Boolean,
             "conditions": pl.Utf8, "labels": pl.Utf8, "annotations": pl.Utf8,
             "owner_kind": pl.Utf8, "owner_name": pl.Utf8, "qos_class": pl.Utf8,
             "gpu": pl.Int64, "gpumem": pl.Int64, "gpumem_percentage": pl.Int64,
             "gpucores": pl.Int64, "node_selector": pl.Utf8, "tolerations": pl.Utf8,
             "ready_since": TIME, "scheduled_at": TIME},
    "containers": {"path": pl.Utf8, "line": pl.UInt32, "origin": pl.Utf8, "namespace": pl.Utf8, "pod": pl.Utf8,
                   "name": pl.Utf8, "init": pl.Boolean, "image": pl.Utf8, "ready": pl.Boolean,
                   "restart_count": pl.Int64, "state": pl.Utf8, "state_reason": pl.Utf8,
                   "state_message": pl.Utf8, "state_exit_code": pl.Int64,
                   "state_started": TIME, "state_finished": TIME, "last_state": pl.Utf8,
                   "last_reason": pl.Utf8, "last_message": pl.Utf8, "last_exit_code": pl.Int64,
                   "last_started": TIME, "last_finished": TIME, "requests": pl.Utf8,
                   "limits": pl.Utf8, "gpu": pl.Int64, "gpumem": pl.Int64,
                   "gpumem_percentage": pl.Int64, "gpucores": pl.Int64, "env_names": pl.Utf8,
                   "secret_refs": pl.Utf8, "configmap_refs": pl.Utf8, "probes": pl.Utf8},
    "nodes": {"path": pl.Utf8, "line": pl.UInt32, "origin": pl.Utf8, "name": pl.Utf8, "ready": pl.Boolean,
              "ready_reason": pl.Utf8, "unschedulable": pl.Boolean, "conditions": pl.Utf8,
              "taints": pl.Utf8, "labels": pl.Utf8, "annotations": pl.Utf8, "capacity": pl.Utf8,
              "allocatable": pl.Utf8, "allocated": pl.Utf8, "gpu_capacity": pl.Int64,
              "gpu_allocatable": pl.Int64, "gpu_allocated": pl.Int64, "gpu_product": pl.Utf8,
              "kubelet_version": pl.Utf8, "container_runtime": pl.Utf8,
              "kernel_version": pl.Utf8, "os_image": pl.Utf8, "internal_ip": pl.Utf8,
              "ready_since": TIME, "heartbeat": TIME},
    "metrics": {"path": pl.Utf8, "namespace": pl.Utf8, "pod": pl.Utf8, "name": pl.Utf8,
                "labels": pl.Utf8, "value": pl.Float64},
    "objects": {"path": pl.Utf8, "line": pl.UInt32, "api_version": pl.Utf8, "kind": pl.Utf8, "namespace": pl.Utf8,
                "name": pl.Utf8, "conditions": pl.Utf8, "body": pl.Utf8},
}

# tables every bundle has (possibly empty); ft_* tables come from analyzer.ft
TABLE_NAMES: tuple[str, ...] = tuple(SCHEMAS)


def empty(name: str) -> pl.DataFrame:
    """An empty frame with the table's schema."""
    return pl.DataFrame(schema=SCHEMAS[name])


def frame(name: str, rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """Rows (dicts, missing keys = null) as a frame of the table's schema, columns in order."""
    return frame_of(SCHEMAS[name], rows)


def frame_of(schema: dict[str, pl.DataType], rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """Rows (dicts, missing keys = null) as a frame of ``schema``, columns in its order."""
    rows = list(rows)
    if not rows:
        return pl.DataFrame(schema=schema)
    cols = {c: [r.get(c) for r in rows] for c in schema}
    return pl.DataFrame(cols, schema=schema, strict=False)


def to_json(value: Any) -> str | None:
    """Compact, key-sorted JSON text (None stays None)."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


FILE_FORMATS = ("parquet", "csv")


def write_table(df: pl.DataFrame, path: Path, fmt: str = "parquet") -> int:
    """Write one table to ``path`` as Parquet or CSV; returns its rows."""
    if fmt == "parquet":
        df.write_parquet(path, compression="zstd", statistics=True)
    elif fmt == "csv":
        df.write_csv(path)
    else:
        raise ValueError(f"unknown table format {fmt!r}; use one of {', '.join(FILE_FORMATS)}")
    return df.height


def write_table_batches(batches: Iterable[pl.DataFrame], path: Path, empty_frame: pl.DataFrame,
                        fmt: str = "parquet") -> int:
    """Write a table that arrives in batches without holding it whole; ``empty_frame`` (the
    table's schema) is written when no batch has a row. Returns the rows written."""
    if fmt not in FILE_FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; use one of {', '.join(FILE_FORMATS)}")
    rows = 0
    if fmt == "csv":
        with open(path, "wb") as f:
            for batch in batches:
                if batch.height:
                    batch.write_csv(f, include_header=rows == 0)
                    rows += batch.height
        if rows == 0:
            empty_frame.write_csv(path)
        return rows
    import pyarrow.parquet as pq

    writer: pq.ParquetWriter | None = None
    try:
        for batch in batches:
            if batch.height == 0:
                continue
            arrow = batch.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(path, arrow.schema, compression="zstd")
            elif arrow.schema != writer.schema:
                arrow = arrow.cast(writer.schema)
            writer.write_table(arrow)
            rows += batch.height
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        write_table(empty_frame, path, "parquet")
    return rows


def from_json(value: Any, default: Any = None) -> Any:
    """A JSON column's value as Python data; ``default`` when null, empty or not JSON (a value
    already decoded passes through)."""
    if value is None or value == "":
        return default
    if isinstance(value, (dict, list)):
        return value
    try:
        return json.loads(value)
    except (TypeError, ValueError, RecursionError):
        return default


def object_bodies(objects: pl.DataFrame | None, kind: str) -> list[dict[str, Any]]:
    """The bodies of the ``objects`` rows of one kind, each with ``_path`` and ``_line`` (where
    its name stands in its file)."""
    if objects is None or objects.is_empty():
        return []
    return [dict(json.loads(b), _path=p, _line=n) for p, n, b in
            objects.filter(pl.col("kind") == kind).select("path", "line", "body").iter_rows()]
