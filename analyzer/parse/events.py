"""Kubernetes events -> ``events`` rows, from ``kubectl get events -o json`` and the plain table.

JSON (core/v1 Event)::

    {"involvedObject": {"kind": "Pod", "namespace": "dynamo", "name": "vllm-0", "fieldPath": "spec.containers{main}"},
     "reason": "BackOff", "message": "Back-off restarting failed container main in pod vllm-0_dynamo(...)",
     "type": "Warning", "count": 42, "firstTimestamp": "...", "lastTimestamp": "...",
     "source": {"component": "kubelet", "host": "gpu-node-1"}}

Table (``kubectl get events [-A]``)::

    NAMESPACE   LAST SEEN   TYPE      REASON             OBJECT                  MESSAGE
    dynamo      2m          Warning   FailedScheduling   pod/vllm-decode-1       0/3 nodes are available: 3 Insufficient nvidia.com/gpumem.

Time is ``lastTimestamp ?? series.lastObservedTime ?? eventTime ?? metadata.creationTimestamp``;
the table only has relative ages, so its rows have no time.
"""

from __future__ import annotations

import regex

from analyzer.parse.quantity import parse_time


def event_row(obj: dict, path: str, line: int | None = None) -> dict:
    """The ``events`` row of one Event object (core/v1 or events.k8s.io/v1)."""
    meta = obj.get("metadata") or {}
    inv = obj.get("involvedObject") or obj.get("regarding") or {}
    series = obj.get("series") or {}
    source = obj.get("source") or {}
    last = (parse_time(obj.get("lastTimestamp")) or parse_time(obj.get("deprecatedLastTimestamp"))
            or parse_time(series.get("lastObservedTime")) or parse_time(obj.get("eventTime"))
            or parse_time(meta.get("creationTimestamp")))
    first = (parse_time(obj.get("firstTimestamp")) or parse_time(obj.get("deprecatedFirstTimestamp"))
             or parse_time(obj.get("eventTime")) or last)
    cnt = obj.get("count") or obj.get("deprecatedCount") or series.get("count") or 1
    return {
        "path": path, "line": line, "origin": "json",
        "namespace": inv.get("namespace") or meta.get("namespace"),
        "object_kind": inv.get("kind"), "object_name": inv.get("name"),
        "field_path": inv.get("fieldPath"), "type": obj.get("type"), "reason": obj.get("reason"),
        "message": (obj.get("message") or obj.get("note") or "").strip(), "count": int(cnt) if str(cnt).isdigit() else 1,
        "first_time": first, "last_time": last,
        "component": source.get("component") or obj.get("reportingComponent") or obj.get("reportingController"),
        "host": source.get("host") or obj.get("reportingInstance"),
    }


_HEADER = regex.compile(r"^(?P<cols>(?:NAMESPACE\s+)?LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+.*MESSAGE)\s*$")


def table_rows(text: str, path: str) -> list[dict]:
    """Rows of a plain ``kubectl get events`` table (columns located from the header)."""
    rows: list[dict] = []
    cols: list[tuple[str, int]] = []
    for n, line in enumerate(text.splitlines(), 1):
        hm = _HEADER.match(line)
        if hm:
            cols = [(m.group(0), m.start()) for m in regex.finditer(r"[A-Z]+(?: [A-Z]+)?", line)
                    if m.group(0) in ("NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT",
                                      "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT", "NAME")]
            continue
        if not cols or not line.strip():
            continue
        values = _split_columns(line, cols)
        if values is None:
            if rows:  # a message wrapped onto the next line
                rows[-1]["message"] += " " + line.strip()
            continue
        kind, _, name = (values.get("OBJECT") or "").partition("/")
        rows.append({
            "path": path, "line": n, "origin": "table", "namespace": values.get("NAMESPACE"),
            "object_kind": kind.capitalize() if kind and name else None,
            "object_name": name or kind or None, "field_path": values.get("SUBOBJECT") or None,
            "type": values.get("TYPE"), "reason": values.get("REASON"),
            "message": values.get("MESSAGE", ""), "count": _count(values.get("COUNT")),
            "first_time": None, "last_time": None, "component": values.get("SOURCE"), "host": None,
        })
    return rows


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 1


def _split_columns(line: str, cols: list[tuple[str, int]]) -> dict[str, str] | None:
    """Split a table row on whitespace runs, the last column taking the rest of the line."""
    parts = regex.split(r"\s{2,}|\t", line.strip(), maxsplit=len(cols) - 1)
    if len(parts) < len(cols) - 1:
        # single-space separated short values: fall back to splitting on any whitespace
        parts = line.split(None, len(cols) - 1)
    if len(parts) < len(cols):
        return None
    values = {name: val.strip() for (name, _), val in zip(cols, parts)}
    if values.get("TYPE") not in ("Normal", "Warning"):
        return None
    return values
