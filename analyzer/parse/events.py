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

from analyzer.parse.quantity import bounded_int, parse_time
from analyzer.parse.shape import dict_of, text

INT32 = 2**31 - 1  # an event's count is int32 in the API


def event_row(obj: dict, path: str, line: int | None = None) -> dict:
    """The ``events`` row of one Event object (core/v1 or events.k8s.io/v1); fields of the wrong
    type or out of range read as absent and are noted (``analyzer.parse.shape``)."""
    meta = dict_of(obj.get("metadata"), "event metadata")
    where = f"event {text(meta.get('name'))}"  # names the field in "could not read"
    inv = dict_of(obj.get("involvedObject") or obj.get("regarding"), f"{where} involvedObject")
    series = dict_of(obj.get("series"), f"{where} series")
    source = dict_of(obj.get("source"), f"{where} source")

    def when(d: dict, key: str) -> object:
        return parse_time(d.get(key), f"{where} {key}")

    last = (when(obj, "lastTimestamp") or when(obj, "deprecatedLastTimestamp")
            or when(series, "lastObservedTime") or when(obj, "eventTime") or when(meta, "creationTimestamp"))
    first = when(obj, "firstTimestamp") or when(obj, "deprecatedFirstTimestamp") or when(obj, "eventTime") or last
    cnt = next((bounded_int(v, f"{where} count", 0, INT32) for v in
                (obj.get("count"), obj.get("deprecatedCount"), series.get("count")) if v), None)
    return {
        "path": path, "line": line, "origin": "json",
        "namespace": text(inv.get("namespace")) or text(meta.get("namespace")),
        "object_kind": text(inv.get("kind")), "object_name": text(inv.get("name")),
        "field_path": text(inv.get("fieldPath")), "type": text(obj.get("type")), "reason": text(obj.get("reason")),
        "message": (text(obj.get("message")) or text(obj.get("note")) or "").strip(), "count": cnt or 1,
        "first_time": first, "last_time": last,
        "component": text(source.get("component")) or text(obj.get("reportingComponent"))
        or text(obj.get("reportingController")),
        "host": text(source.get("host")) or text(obj.get("reportingInstance")),
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
    return (bounded_int(value, None, 0, INT32) or 1) if value and value.isdigit() else 1


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
