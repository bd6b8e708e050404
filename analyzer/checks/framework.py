"""What a check is: its declaration, what it can read (``CheckContext``) and what it returns.

A check is a function decorated with ``@check(id, name, category, severity, title)``; its
docstring is its documentation page (``patterns/CHECKS.md``). It returns an ``Outcome``:
findings, or clear with a note of what it looked at, or skipped with the reason the bundle
cannot answer it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import polars as pl

from analyzer.findings import Affected, Evidence, Finding
from analyzer.gpu.cluster import GpuCluster
from analyzer.state import ClusterState, build_state
from analyzer.parse.collection import SOURCE_DEPRIVES
from analyzer.tables import object_bodies

# the source (``NotCollected.deprives``) each table is read from
TABLE_SOURCES = {"pods": "pods", "containers": "pods", "nodes": "nodes", "events": "events",
                 "metrics": "metrics", "objects": "objects", "log_lines": "logs"}


class ReadingGpu:
    """The cluster's GPU model as one check uses it: using it reads the pods and nodes it is
    worked out from (recorded in the check's ``reads``)."""

    def __init__(self, gpu: GpuCluster, reads: set[str]) -> None:
        self._gpu, self._reads = gpu, reads

    def __getattr__(self, name: str) -> Any:
        self._reads.update(("pods", "nodes"))
        return getattr(self._gpu, name)


@dataclass
class CheckContext:
    """What a check can read: the parsed tables, bundle facts, the pattern signals, the
    cluster's GPUs and HAMi (``gpu``: the diagnosis's own, else built from the tables), the
    cluster at collection time (``state``: likewise) and the pattern library (``library``: to
    classify lines a check reads itself)."""

    tables: dict[str, pl.DataFrame]
    facts: dict[str, Any]
    signals: pl.DataFrame
    parsed: Any = None  # the Parsed bundle: for the few checks that read chosen log files
    gpu: GpuCluster = None  # type: ignore[assignment]
    state: ClusterState = None  # type: ignore[assignment]
    library: Any = None
    # the sources read since the last ``reads.clear()`` (``pods``, ``logs``, ``objects:<Kind>``...,
    # the vocabulary of ``NotCollected.deprives``): what a check would miss when one was not collected
    reads: set[str] = field(default_factory=set, repr=False)
    _bodies: dict[str, list[dict]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.gpu is None:
            self.gpu = GpuCluster(self.tables, self.facts)
        if self.state is None:
            self.state = build_state(self.tables, self.facts)

    def log_lines(self, keep: Callable[[dict], bool], contains: str) -> pl.DataFrame:
        """The ``log_lines`` matching regex ``contains`` in the container logs whose member meta
        (namespace, pod, container, previous) ``keep`` accepts. Reads only those files, streamed;
        empty without a parsed bundle."""
        self.reads.add("logs")
        if self.parsed is None:
            return pl.DataFrame()
        from analyzer.parse.logs import annotate_rows

        members = [m for m in self.parsed.log_members() if m.kind == "log" and keep(m.meta)]
        frames = []
        for raw in (self.parsed.iter_log_frames(members, annotated=False) if members else []):
            hits = raw.filter(pl.col("text").str.contains(contains))
            if hits.is_empty():
                continue
            # time/level/record only for the kept rows; copying the texts out lets the block go
            ann = annotate_rows(raw, hits.select("path", "line"), self.parsed.ref_year)
            hits = hits.drop("record_line", "time", "level", "format").join(ann, on=["path", "line"], how="left")
            frames.append(pl.DataFrame(hits.to_dict(as_series=False), schema=hits.schema))
        return pl.concat(frames).select(raw.columns) if frames else pl.DataFrame()

    def table(self, name: str) -> pl.DataFrame:
        if name in TABLE_SOURCES:
            self.reads.add(TABLE_SOURCES[name])
        return self.tables.get(name, pl.DataFrame())

    def objects(self, kind: str) -> list[dict]:
        """Bodies of the ``objects`` rows of one kind (each a copy of its own; the JSON is read
        once per kind, however many checks ask: a must-gather's ConfigMaps are megabytes)."""
        self.reads.add(f"objects:{kind}")
        bodies = self._bodies.get(kind)
        if bodies is None:
            bodies = self._bodies[kind] = object_bodies(self.tables.get("objects", pl.DataFrame()), kind)
        return [dict(b) for b in bodies]

    def has_source(self, *names: str) -> bool:
        for name in names:
            self.reads.update(SOURCE_DEPRIVES.get(name, ()))
        files = self.tables.get("files", pl.DataFrame())
        return not files.is_empty() and files.filter(pl.col("source").is_in(list(names))).height > 0


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None  # why the check could not run
    note: str | None = None     # what was checked when clear


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    category: str
    severity: str
    title: str
    run: Callable[[CheckContext], Outcome]

    @property
    def doc(self) -> str:
        return (self.run.__doc__ or "").strip()

    def finding(self, *, summary: str, remediation: str, affected: list[Affected],
                evidence: list[Evidence] | None = None, checks: list[str] | None = None,
                category: str | None = None, severity: str | None = None, title: str | None = None,
                explanation: str = "", count: int = 1, first_seen=None, last_seen=None,
                node: str | None = None, details: dict | None = None, state: str | None = None,
                state_reason: str = "") -> Finding:
        """A finding of this check (category/severity/title may be refined per finding; ``state``
        when the check itself knows whether it is still true, else the diagnosis judges it)."""
        return Finding(
            rule=self.id, source="check", category=category or self.category,
            severity=severity or self.severity, title=title or self.title, summary=summary,
            root_cause_text=explanation or self.doc.split("\n\n")[0], remediation=remediation,
            checks=checks or [], affected=affected, evidence=evidence or [], count=count,
            first_seen=first_seen, last_seen=last_seen, node=node, details=details or {},
            state=state, state_reason=state_reason)


def check(id: str, name: str, category: str, severity: str, title: str):
    """Declare a check function (its docstring documents it); ``fn.check`` is its ``Check``."""
    def wrap(fn: Callable[[CheckContext], Outcome]) -> Callable[[CheckContext], Outcome]:
        fn.check = Check(id, name, category, severity, title, fn)  # type: ignore[attr-defined]
        return fn
    return wrap


def checks_in(module: Any) -> list[Check]:
    """The checks a module declares (not those it imports)."""
    return [fn.check for fn in vars(module).values()
            if isinstance(getattr(fn, "check", None), Check) and fn.__module__ == module.__name__]
