"""AI-Perf result folders (the third harness generation): ``client_N/attempt_M/profile_export_aiperf.json``
(and ``load/profile_export_aiperf.json``) -> per-scenario totals.

These exports hold totals and latency percentiles only, no per-request times, so a scenario of
this layout cannot be split at the fault (upstream-strings section 1.6)::

    {"request_count": {"unit": "requests", "avg": 1480.0}, "error_request_count": {"avg": 20.0},
     "request_latency": {"unit": "ms", "avg": 1210.4, "p50": 1180.2, "p90": 1420.7, "p99": 1810.3},
     "error_summary": [{"error_details": {"code": 503, "type": "ServiceUnavailable"}, "count": 20}],
     "was_cancelled": false}
"""

from __future__ import annotations

import re
from typing import Any

from analyzer.ft.folders import Folder
from analyzer.ft.model import AiperfTotals
from analyzer.ingest.layout import FT_AIPERF_EXPORT
from analyzer.parse.documents import load_json
from analyzer.parse.quantity import QUANTITY_MAX, quantity

_CLIENT_DIR = re.compile(r"^client_(\d+)$")


def _metric(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """A metric record: at top level in newer AI-Perf exports, under `records` in older ones."""
    rec = doc.get(name)
    if not isinstance(rec, dict):
        rec = (doc.get("records") or {}).get(name) if isinstance(doc.get("records"), dict) else None
    return rec if isinstance(rec, dict) else {}


def parse_aiperf(folder: Folder, display: str, warnings: list[str]) -> AiperfTotals:
    """Totals of a scenario folder's AI-Perf exports (the first attempt of each client that has
    one, as upstream); unreadable exports become warnings."""
    totals = AiperfTotals()
    exports: list[str] = []
    clients = sorted({f.split("/", 1)[0] for f in folder.files if _CLIENT_DIR.match(f.split("/", 1)[0]) and "/" in f})
    for client in clients:
        attempts = sorted(f for f in folder.files if f.startswith(client + "/") and FT_AIPERF_EXPORT.match(f))
        if attempts:
            exports.append(attempts[0])  # upstream uses the first attempt that has an export
        else:
            warnings.append(f"{display}/{client} has no profile_export_aiperf.json")
    if folder.has("load/profile_export_aiperf.json"):
        exports.append("load/profile_export_aiperf.json")
    lat_avg: list[float] = []
    pct: dict[str, list[float]] = {"p50": [], "p90": [], "p99": []}
    for export in exports:
        try:
            doc = load_json(folder.text(export))
            if not isinstance(doc, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:  # DocumentError too
            warnings.append(f"{display}/{export}: cannot read ({exc})")
            continue
        totals.clients += 1

        def number(value: Any, what: str) -> float | None:
            """A count or a latency of the export: a finite number, else None (a warning)."""
            got = quantity(value) if value is not None else None
            if value is not None and (got is None or abs(got) >= QUANTITY_MAX):
                warnings.append(f"{display}/{export}: {what} {str(value)[:40]!r} is not a number")
                return None
            return got

        ok = int(number(_metric(doc, "request_count").get("avg"), "request_count.avg") or 0)
        err = int(number(_metric(doc, "error_request_count").get("avg"), "error_request_count.avg") or 0)
        summary = doc.get("error_summary") if isinstance(doc.get("error_summary"), list) else []
        counted = sum(int(number(e.get("count"), "error_summary count") or 0) for e in summary if isinstance(e, dict))
        total = ok + err
        failed = total if doc.get("was_cancelled") else counted
        totals.success += total - failed
        totals.failed += failed
        for e in summary:
            if isinstance(e, dict):
                detail = e.get("error_details") or {}
                key = str(detail.get("code") or detail.get("type") or detail.get("message") or "error") \
                    if isinstance(detail, dict) else str(detail)
                totals.errors[key] = totals.errors.get(key, 0) + int(number(e.get("count"), "error_summary count") or 0)
        lat = _metric(doc, "request_latency")
        scale = 1000.0 if lat.get("unit", "ms") == "ms" else 1.0
        for k, series in (("avg", lat_avg), *pct.items()):
            value = number(lat.get(k), f"request_latency.{k}")
            if value is not None:
                series.append(value / scale)
    # Per-client figures are averaged across clients, as upstream prints them.
    totals.latency_avg = sum(lat_avg) / len(lat_avg) if lat_avg else None
    totals.latency_p50 = sum(pct["p50"]) / len(pct["p50"]) if pct["p50"] else None
    totals.latency_p90 = sum(pct["p90"]) / len(pct["p90"]) if pct["p90"] else None
    totals.latency_p99 = sum(pct["p99"]) / len(pct["p99"]) if pct["p99"] else None
    return totals
