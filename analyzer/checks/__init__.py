"""Structured checks: what a regex cannot see, computed over the tables.

Each check is declared once with an id, a category and a severity like a pattern, and its
docstring is its documentation page. A check returns findings, or says it found nothing
(``clear``), or that it could not run because the bundle lacks its source (``skipped``, with
the reason: this is the report's "not checked" list).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

import polars as pl

from analyzer.findings import Affected, Evidence, Finding


@dataclass
class CheckContext:
    """What a check can read: the parsed tables, bundle facts and the pattern signals."""

    tables: dict[str, pl.DataFrame]
    facts: dict[str, Any]
    signals: pl.DataFrame
    parsed: Any = None  # the Parsed bundle: for the few checks that read chosen log files

    def log_lines(self, keep: Callable[[dict], bool], contains: str) -> pl.DataFrame:
        """The ``log_lines`` matching regex ``contains`` in the container logs whose member meta
        (namespace, pod, container, previous) ``keep`` accepts. Reads only those files, streamed;
        empty without a parsed bundle."""
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
        return self.tables.get(name, pl.DataFrame())

    def objects(self, kind: str) -> list[dict]:
        """Bodies of the ``objects`` rows of one kind."""
        df = self.table("objects")
        if df.is_empty():
            return []
        return [dict(json.loads(b), _path=p, _line=n) for p, n, b in
                df.filter(pl.col("kind") == kind).select("path", "line", "body").iter_rows()]

    def has_source(self, *names: str) -> bool:
        files = self.table("files")
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
                node: str | None = None, details: dict | None = None) -> Finding:
        """A finding of this check (category/severity/title may be refined per finding)."""
        return Finding(
            rule=self.id, source="check", category=category or self.category,
            severity=severity or self.severity, title=title or self.title, summary=summary,
            root_cause_text=explanation or self.doc.split("\n\n")[0], remediation=remediation,
            checks=checks or [], affected=affected, evidence=evidence or [], count=count,
            first_seen=first_seen, last_seen=last_seen, node=node, details=details or {})


REGISTRY: list[Check] = []


def check(id: str, name: str, category: str, severity: str, title: str):
    """Register a check function (its docstring documents it)."""
    def wrap(fn: Callable[[CheckContext], Outcome]) -> Callable[[CheckContext], Outcome]:
        c = Check(id, name, category, severity, title, fn)
        REGISTRY.append(c)
        fn.check = c  # type: ignore[attr-defined]  (lets the function build its own findings)
        return fn
    return wrap


def run_checks(parsed, signals: pl.DataFrame, library) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Run every registered check; returns findings and one status row per check."""
    from analyzer.checks import builtin  # noqa: F401  (registers the checks)

    # the collector's manifest (its per-command records) is a fact the platform checks read
    facts = {**parsed.facts, "manifest": getattr(parsed.bundle, "manifest", None) or {}}
    ctx = CheckContext(parsed.tables, facts, signals, parsed)
    findings: list[Finding] = []
    statuses: list[dict[str, Any]] = []
    # by id: the registry's order is the order its modules happened to be imported in
    for c in sorted(REGISTRY, key=lambda c: c.id):
        try:
            out = c.run(ctx)
        except (KeyError, ValueError, TypeError, AttributeError, pl.exceptions.PolarsError) as exc:
            statuses.append({"name": f"{c.id} {c.title}", "status": "skipped",
                             "reason": f"check failed on this bundle: {type(exc).__name__}: {exc}"[:300]})
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


_FAMILY_SOURCES = {"log": ("log", "text"), "events": ("events",), "describe": ("describe",),
                   "metrics": ("metrics",)}


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
