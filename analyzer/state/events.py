"""What an object's own events say happened after a failure event: the pod went on.

A pod's events are its history in order (``kubectl describe`` lists them by time; a cluster's
event list carries times). A failure before a container starts (scheduling, a volume that would
not mount, an image that would not pull, a missing Secret, a sandbox that could not be made) is
over once a later event of the same object shows the pod past that stage: ``Scheduled`` for a
scheduling failure, a container ``Started`` for any of them. This is what lets a paste of an
Events section alone, with no pod object and no collection time, be judged as it is now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

# the layers whose failures come before a container starts (a later start ends them)
PRE_START_LAYERS = frozenset({"scheduling", "storage", "image", "access"})
# reasons the kubelet and the scheduler give to the steps past each failure
STARTED = "Started"
SCHEDULED = "Scheduled"


@dataclass(frozen=True)
class Event:
    """One row of the ``events`` table, as the judgement reads it."""

    path: str
    line: int | None
    kind: str | None
    namespace: str | None
    name: str | None
    container: str | None
    type: str | None
    reason: str | None
    time: datetime | None

    def object_key(self) -> tuple[str | None, str | None, str | None, str | None]:
        # a pasted Events section names no object: its events are one object's, in its file
        return (self.path if self.name is None else None, self.kind, self.namespace, self.name)

    def before(self, other: "Event") -> bool:
        """This event happened before ``other`` (by time when both have one; else by place in
        the same file, which lists one object's events oldest first)."""
        if self.time is not None and other.time is not None:
            return self.time < other.time
        if self.path == other.path and self.line is not None and other.line is not None:
            return self.line < other.line
        return False


@dataclass
class EventLog:
    """The bundle's events by place and by object."""

    at: dict[tuple[str, int], Event] = field(default_factory=dict)
    progress: dict[tuple, list[Event]] = field(default_factory=dict)   # object -> Started/Scheduled events

    @classmethod
    def of(cls, events: pl.DataFrame | None) -> "EventLog":
        log = cls()
        if events is None or events.is_empty():
            return log
        container = pl.col("field_path").str.extract(r"\{([^}]*)\}", 1).alias("container")
        rows = events.select("path", "line", "object_kind", "namespace", "object_name", container, "type", "reason",
                             pl.coalesce("last_time", "first_time").alias("time"))
        for path, line, kind, ns, name, ctr, typ, reason, t in rows.iter_rows():
            ev = Event(path, line, kind, ns, name, ctr, typ, reason, t)
            if line is not None:
                log.at[(path, line)] = ev
            if typ == "Normal" and reason in (STARTED, SCHEDULED):
                log.progress.setdefault(ev.object_key(), []).append(ev)
        return log

    def went_on(self, failure: Event, layer: str) -> Event | None:
        """The first event of the failure's object showing it past the failure's stage, if any."""
        if layer not in PRE_START_LAYERS:
            return None
        reasons = {STARTED, SCHEDULED} if layer == "scheduling" else {STARTED}
        for ev in self.progress.get(failure.object_key(), ()):
            if ev.reason not in reasons or not failure.before(ev):
                continue
            # a container's own failure (its image) ends when that container starts
            if failure.container and ev.container and ev.container != failure.container:
                continue
            return ev
        return None
