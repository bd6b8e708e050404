"""When a bundle was collected and which server it describes, from wherever its layout records it.

Every finding is judged against the collection time (``analyzer.state``), so each layout's own
record is read, best first:

- our collector: ``manifest.json`` (``collected_at``, ``server_version``);
- OpenShift must-gather: the ``timestamp`` files, Go's ``time.Time.String()`` of the start and
  the end of each gather (``2021-08-03 12:14:13.632016778 +0200 CEST m=+138.368642668``): the
  newest line is when the gather ended; the OpenShift version is the ClusterVersion's newest
  completed update (``status.history``) or its ``status.desired.version``;
- Replicated troubleshoot: the bundle records no time of its own (``version.yaml`` holds the
  troubleshoot version, ``execution-data/summary.txt`` durations only), so the newest time the
  cluster's own records show; the server version is ``cluster-info/cluster_version.json`` (read
  by the parse stage as a ``version`` member);
- ``kubectl cluster-info dump``, loose folders and pasted text: the newest time in the input.

"The newest time the cluster's records show" is the newest of: event times, node heartbeats
(the kubelet posts node status every few minutes), pod and node condition transitions and
container start/finish times. Only when the input holds none of them (a pasted log) is the
newest log line taken (``newest_log_time``, set by the diagnosis once the logs were read). A
troubleshoot archive's default top folder name (``support-bundle-2006-01-02T15_04_05``, the
collecting machine's local time, zone unknown) is the last resort.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

import polars as pl
import regex

from analyzer.findings import iso
from analyzer.parse.quantity import parse_time

# (table, column) pairs holding times the cluster itself recorded
RECORD_TIMES: tuple[tuple[str, str], ...] = (
    ("events", "last_time"), ("events", "first_time"), ("nodes", "heartbeat"), ("nodes", "ready_since"),
    ("pods", "ready_since"), ("pods", "scheduled_at"), ("pods", "start_time"),
    ("containers", "state_started"), ("containers", "state_finished"), ("containers", "last_finished"))

SOURCE_MANIFEST = "manifest.json collected_at"
SOURCE_MUST_GATHER = "must-gather timestamp file (end of the gather)"
SOURCE_RECORDS = "newest event, node heartbeat or container state time in the bundle"
SOURCE_LOGS = "newest log line time in the input"
SOURCE_FOLDER = "troubleshoot folder name (collecting machine's local time, zone unknown)"

_TS_FOLDER = regex.compile(r"^support-bundle-(\d{4}-\d\d-\d\d)T(\d\d)_(\d\d)_(\d\d)$")
# fault-tolerance results record runs, not the state of a cluster at one time
NO_SNAPSHOT_LAYOUTS = frozenset({"ft-results"})


def newest_record_time(tables: dict[str, pl.DataFrame]) -> datetime | None:
    """The newest time among the cluster's own records in the tables (see ``RECORD_TIMES``)."""
    newest = None
    for name, col in RECORD_TIMES:
        df = tables.get(name)
        if df is None or df.is_empty() or col not in df.columns:
            continue
        t = df.get_column(col).max()
        if t is not None and (newest is None or t > newest):
            newest = t
    return newest


def must_gather_time(bundle: Any) -> datetime | None:
    """The newest time in the must-gather's ``timestamp`` files (None when there is none)."""
    newest = None
    for m in bundle.members:
        if m.name != "timestamp" or (m.size or 0) > 1 << 16:
            continue
        try:
            text = m.read_bytes(1 << 16).decode("utf-8", errors="replace")
        except Exception:  # noqa: BLE001 - an unreadable timestamp file is the ingest's read error
            continue
        for line in text.splitlines():
            t = parse_time(line.strip())
            if t is not None and (newest is None or t > newest):
                newest = t
    return newest


def openshift_version(tables: dict[str, pl.DataFrame]) -> str | None:
    """``OpenShift <version>`` from the ClusterVersion object of a must-gather (None without one)."""
    from analyzer.tables import object_bodies

    for cv in object_bodies(tables.get("objects"), "ClusterVersion"):
        status = cv.get("status") or {}
        history = [h for h in status.get("history") or [] if isinstance(h, dict)]
        done = [h for h in history if h.get("state") == "Completed" and h.get("version")]
        version = (done[0] if done else {}).get("version") or (status.get("desired") or {}).get("version")
        if version:
            return f"OpenShift {version}"
    return None


def collection_facts(bundle: Any, tables: dict[str, pl.DataFrame], facts: dict[str, Any]) -> dict[str, Any]:
    """``collected_at`` (RFC3339 text), ``collected_at_source`` and ``server_version`` for the
    facts, from the layout's own record (``facts`` already holds the manifest's and the version
    file's). Keys the bundle cannot answer are left out."""
    out: dict[str, Any] = {}
    if facts.get("collected_at"):
        out["collected_at_source"] = SOURCE_MANIFEST
    elif bundle.layout not in NO_SNAPSHOT_LAYOUTS:
        when, source = None, None
        if bundle.layout == "must-gather":
            when, source = must_gather_time(bundle), SOURCE_MUST_GATHER
        if when is None:
            when, source = newest_record_time(tables), SOURCE_RECORDS
        if when is not None:
            out.update(collected_at=iso(when), collected_at_source=source)
    if not facts.get("server_version"):
        version = openshift_version(tables)
        if version:
            out["server_version"] = version
    return out


def folder_time(top: str | None) -> datetime | None:
    """The time in troubleshoot's default top folder name, taken as UTC.

    >>> folder_time("support-bundle-2026-01-31T12_00_00").isoformat()
    '2026-01-31T12:00:00+00:00'
    """
    m = _TS_FOLDER.match(top or "")
    return parse_time(f"{m[1]}T{m[2]}:{m[3]}:{m[4]}Z") if m else None


def with_log_time(facts: dict[str, Any], bundle: Any, newest_log: datetime | None) -> None:
    """Once the logs were read: a bundle with no other record of its time (a pasted log) takes
    the newest log line's time, else the time in troubleshoot's folder name."""
    if facts.get("collected_at") or bundle.layout in NO_SNAPSHOT_LAYOUTS:
        return
    when, source = newest_log, SOURCE_LOGS
    if when is None:
        # an archive's top folder, or the folder given itself
        when, source = folder_time(bundle.top or PurePosixPath(str(bundle.root)).name), SOURCE_FOLDER
    if when is not None:
        facts["collected_at"] = iso(when)
        facts["collected_at_source"] = source
