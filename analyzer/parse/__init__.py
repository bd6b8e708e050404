"""Parse an opened bundle into Polars tables (schemas in ``analyzer.tables``).

``parse_bundle`` reads every structured member (objects, describe text, events tables, metrics)
into small tables at once, and leaves the log-like members to ``Parsed.iter_log_batches``,
which streams ``log_lines`` frames a batch at a time so that memory stays bounded whatever the
size of the logs. A member that cannot be parsed becomes a ``read_errors`` row, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator

import polars as pl

from analyzer.ingest import Bundle, Member, ReadError, ReadFailed
from analyzer.ingest.sniff import is_binary
from analyzer.parse.collected import collection_facts
from analyzer.parse.describe import (events_section_lines, loose_event_rows, may_hold_event_rows, node_from_describe,
                                     pod_from_describe, split_objects)
from analyzer.parse.events import table_rows
from analyzer.parse.collection import DUMP_LOG_ERROR, DUMP_LOG_MARKER, NotCollected, dump_log_failure, not_collected
from analyzer.parse.logs import DUMP_LOG_START, annotate_rows, log_frames
from analyzer.parse.manifest import checked_manifest
from analyzer.parse.metrics import metric_rows
from analyzer.parse.objects import NameLines, ObjectFiles, ObjectRows, ObjectsError, read_objects, server_version
from analyzer.parse.places import is_cluster_state, list_kind, marker_dirs
from analyzer.parse.pods import may_hold_status_fragment, status_fragment_rows
from analyzer.parse.quantity import parse_time, value_problems
from analyzer.tables import SCHEMAS, TABLE_NAMES, frame

LOG_KINDS = ("log", "log_multi", "text", "describe_pod", "describe_node", "describe")
BATCH_ROWS = 100_000
TAIL_ROWS = 50  # the last lines of a log file read for its newest time
TAIL_FILES = 64  # files whose last lines are annotated together


@dataclass
class Parsed:
    """The parsed bundle: small tables, facts, and the log members to stream."""

    bundle: Bundle
    tables: dict[str, pl.DataFrame]
    facts: dict[str, Any]
    errors: list[ReadError] = field(default_factory=list)
    _describe_events: dict[str, set[int]] = field(default_factory=dict, repr=False)
    # called with each log member once it has been streamed (progress reporting)
    on_member_done: Callable[[Member], None] | None = field(default=None, repr=False)
    # log members still inside a compressed archive that this accepts are kept on disk as they
    # are streamed, for the checks that read them again (see ``Bundle.stream``)
    keep_logs: Callable[[Member], bool] | None = field(default=None, repr=False)
    # fault-tolerance result folders, parsed (``analyzer.ft.ScenarioData``; ft-results layout only)
    ft_scenarios: list[Any] = field(default_factory=list, repr=False)
    # the newest time of any log line streamed so far (a pasted log's only record of its time)
    newest_log_time: datetime | None = field(default=None, repr=False)
    # sources the collector could not collect (``analyzer.parse.collection``); those met while
    # reading the logs (cluster-info dump) are added as they are read
    not_collected: list[NotCollected] = field(default_factory=list)
    # the Pod objects behind the ``pods`` rows read from object files: (path, the file's
    # namespace, object), in the order read (``ObjectRows.pod_objects``)
    pod_objects: list[tuple[str, str | None, dict]] = field(default_factory=list, repr=False)

    @property
    def ref_year(self) -> int | None:
        return self.facts.get("ref_year")

    def log_members(self) -> list[Member]:
        return [m for m in self.bundle.members if m.kind in LOG_KINDS]

    def read_errors(self) -> pl.DataFrame:
        """All problems so far: ingest, parse and (once streamed) log reading."""
        rows = [{"path": e.path, "error": e.error} for e in [*self.bundle.read_errors, *self.errors]]
        seen, unique = set(), []
        for r in rows:
            key = (r["path"], r["error"])
            if key not in seen:
                seen.add(key)
                unique.append(r)
        return frame("read_errors", unique)

    def iter_log_frames(self, members: list[Member] | None = None,
                        annotated: bool = True) -> Iterator[pl.DataFrame]:
        """``log_lines`` frames, one file block at a time (raw text only unless ``annotated``)."""
        limits = self.bundle.limits
        wanted = members if members is not None else self.log_members()
        tails: list[pl.DataFrame] = []   # the last lines of files read without annotation
        for m, f in self.bundle.stream(wanted, self.keep_logs):
            source = {"log": "log", "log_multi": "log", "text": "text"}.get(m.kind, "describe")
            identity = {"path": m.path, "namespace": m.meta.get("namespace"),
                        "pod": m.meta.get("pod"), "container": m.meta.get("container"),
                        "previous": bool(m.meta.get("previous", False)), "source": source}
            if not isinstance(f, ReadFailed) and is_binary(m.head()):
                f.close()
                self.errors.append(ReadError(m.path, "binary file skipped"))
                continue
            problems: list[str] = []
            # a bundle without a record of its collection time takes its newest log line's;
            # frames read without annotation give it from the tail of each file
            tail: pl.DataFrame | None = None
            section: list[str | None] = [None]  # the container a logs.txt section is about, across blocks
            try:
                if isinstance(f, ReadFailed):
                    raise f
                with f:
                    for df in log_frames(f, identity, limits.max_line_bytes, self.ref_year, problems,
                                         annotated=annotated):
                        if annotated:
                            self._note_log_time(df.get_column("time").max())
                        elif not self.facts.get("collected_at"):
                            tail = df.tail(TAIL_ROWS)
                        if m.kind == "log_multi":
                            df = self._split_containers(df, section)
                        if source == "describe":
                            df = _describe_identity(df, m.kind)
                            skip = self._describe_events.get(m.path)
                            if skip:
                                df = df.filter(~pl.col("line").is_in(sorted(skip)))
                        yield df
            except ReadFailed as exc:
                self.errors.append(ReadError(m.path, str(exc)))
            if tail is not None and tail.height:
                # copied (a slice would keep the file's last block alive) and annotated many
                # files at a time: a record never spans files, and one call per file cost more
                # than reading it for a bundle of many small logs
                tails.append(tail.select("path", "line", pl.Series("text", tail.get_column("text").to_list(),
                                                                    dtype=pl.Utf8)))
                if len(tails) >= TAIL_FILES:
                    self._note_tail_times(tails)
            self.errors.extend(ReadError(m.path, p) for p in problems)
            if self.on_member_done is not None:
                self.on_member_done(m)
        self._note_tail_times(tails)

    def _note_tail_times(self, tails: list[pl.DataFrame]) -> None:
        """Note the newest time of the ``tails`` of files (and empty the list)."""
        if tails:
            rows = pl.concat(tails)
            tails.clear()
            self._note_log_time(annotate_rows(rows, rows.select("path", "line"), self.ref_year)
                                .get_column("time").max())

    def _note_log_time(self, t: Any) -> None:
        if t is not None and (self.newest_log_time is None or t > self.newest_log_time):
            self.newest_log_time = t

    def iter_log_batches(self, batch_rows: int = BATCH_ROWS, annotated: bool = True) -> Iterator[pl.DataFrame]:
        """``log_lines`` frames of ``batch_rows`` rows (the last one fewer): small files grouped
        together, a long file cut between batches, so that the memory a batch takes does not
        depend on how the bundle's bytes are spread over files."""
        pending: list[pl.DataFrame] = []
        rows = 0
        for df in self.iter_log_frames(annotated=annotated):
            while rows + df.height >= batch_rows:
                take = batch_rows - rows
                pending.append(df.slice(0, take))
                yield pl.concat(pending)
                pending, rows, df = [], 0, df.slice(take)
            if df.height:
                pending.append(df)
                rows += df.height
        if pending:
            yield pl.concat(pending)

    def _split_containers(self, df: pl.DataFrame, section: list[str | None]) -> pl.DataFrame:
        """cluster-info dump ``logs.txt``: containers concatenated between START/END markers.
        The markers are not log lines; a ``Request log error`` standing for a container's log is
        a collection failure (``not_collected``), not log content. ``section`` carries the
        container of the section open at the end of the previous block."""
        df = df.with_columns(pl.col("text").str.extract(DUMP_LOG_START, 1).forward_fill()
                             .fill_null(pl.lit(section[0], dtype=pl.String)).alias("container"))
        if df.height:
            section[0] = df.get_column("container")[-1]
        failed = df.filter(pl.col("text").str.contains(DUMP_LOG_ERROR))
        for row in failed.iter_rows(named=True):
            entry = dump_log_failure(row["path"], row["namespace"], row["pod"], row["container"], row["text"])
            if entry is not None and entry not in self.not_collected:
                self.not_collected.append(entry)
        return df.filter(~pl.col("text").str.contains(DUMP_LOG_MARKER) & ~pl.col("text").str.contains(DUMP_LOG_ERROR))

    def log_lines(self) -> pl.DataFrame:
        """All log lines in one frame (for small bundles and tests; prefer the iterators)."""
        frames = list(self.iter_log_frames())
        return pl.concat(frames) if frames else frame("log_lines", [])


def _describe_identity(df: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Lines of ``kubectl describe pods`` belong to the pod whose ``Name:`` block holds them."""
    if kind == "describe_node":
        return df
    name = pl.col("text").str.extract(r"^Name:\s+(\S+)", 1)
    ns = pl.col("text").str.extract(r"^Namespace:\s+(\S+)", 1)
    block = pl.col("text").str.starts_with("Name:").cum_sum()
    return df.with_columns(
        pl.coalesce(name.forward_fill(), pl.col("pod")).alias("pod"),
        pl.coalesce(ns.forward_fill().over(block), pl.col("namespace")).alias("namespace"))




def parse_bundle(bundle: Bundle) -> Parsed:
    """Read every structured member into tables; logs are left to stream."""
    acc = ObjectRows()
    metrics: list[dict] = []
    errors: list[ReadError] = []
    describe_events: dict[str, set[int]] = {}
    facts: dict[str, Any] = {"layout": bundle.layout, "root": bundle.root}
    markers = marker_dirs([m.path for m in bundle.members]) if bundle.layout == "must-gather" else frozenset()
    object_files = ObjectFiles(bundle.by_kind("objects"), bundle.limits.max_object_bytes)
    for m in bundle.members:
        with value_problems() as notes:
            _parse_member(bundle, m, acc, metrics, errors, describe_events, facts, object_files, markers)
        errors.extend(ReadError(m.path, n) for n in dict.fromkeys(notes))
    acc.finish()
    tables = {name: frame(name, acc.rows.get(name, [])) for name in TABLE_NAMES
              if name not in ("log_lines", "read_errors", "files", "metrics")}
    tables["metrics"] = frame("metrics", metrics)
    tables["files"] = frame("files", [
        {"path": m.path, "size": m.size, "kind": m.kind, "namespace": m.meta.get("namespace"),
         "pod": m.meta.get("pod"), "container": m.meta.get("container"),
         "previous": bool(m.meta.get("previous", False)), "source": m.meta.get("source")}
        for m in bundle.members])
    _merge_describe_duplicates(tables)
    with value_problems() as notes:
        facts.update(_manifest_facts(bundle.manifest))
    manifest_path = next((m.path for m in bundle.members if m.kind == "manifest"), "manifest.json")
    errors.extend(ReadError(manifest_path, n) for n in dict.fromkeys(notes))
    facts.update(collection_facts(bundle, tables, facts))
    facts["ref_year"] = _ref_year(facts, tables)
    parsed = Parsed(bundle=bundle, tables=tables, facts=facts, errors=errors,
                    _describe_events=describe_events, not_collected=not_collected(bundle),
                    pod_objects=acc.pod_objects)
    _add_ft_tables(parsed)
    return parsed


def _read_paste(raw: bytes, m: Member, acc: ObjectRows) -> None:
    """What a pasted text holds besides its lines: an Events section (or event rows copied out of
    one, a k9s pane of them), container statuses pasted as YAML without their pod. Most texts of
    a loose folder are logs that hold neither: their bytes say so, and they are not decoded."""
    events, status = may_hold_event_rows(raw), may_hold_status_fragment(raw)
    if not (events or status):
        return
    text = raw.decode("utf-8", errors="replace")
    if events:
        acc.rows["events"].extend(loose_event_rows(text, m.path))
    if status:
        acc.rows["containers"].extend(status_fragment_rows(text, m.path))


def _parse_member(bundle: Bundle, m: Member, acc: ObjectRows, metrics: list[dict], errors: list[ReadError],
                  describe_events: dict[str, set[int]], facts: dict[str, Any], object_files: ObjectFiles,
                  markers: frozenset[str]) -> None:
    """Rows of one structured member into ``acc``/``metrics``; its problems into ``errors``."""
    limits = bundle.limits
    try:
        if m.kind == "objects":
            raw, yaml11 = object_files.read(m)
            try:
                objs = read_objects(raw, m.name, list_kind(bundle.layout, m.path), yaml11)
            except ObjectsError:
                if bundle.layout not in ("file", "loose"):
                    raise
                # a paste that mixes YAML with other text: read it as text
                m.kind = "text"
                objs = []
            if objs and not is_cluster_state(bundle.layout, m.path, markers):
                # objects outside the layout's places: a manifest, not what the cluster held
                m.kind = "manifests"
                return
            names = NameLines(raw if isinstance(raw, str) else raw.decode("utf-8", errors="replace")) if objs else None
            for obj in objs:
                acc.add(obj, m.path, m.meta.get("namespace"), names.line_of(obj) if names else None)
            if m.kind == "text":
                _read_paste(m.read_bytes(limits.max_object_bytes), m, acc)
        elif m.kind == "text" and bundle.layout in ("file", "loose"):
            _read_paste(m.read_bytes(limits.max_object_bytes), m, acc)
        elif m.kind in ("describe_pod", "describe_node", "describe"):
            content = m.read_bytes(limits.max_object_bytes).decode("utf-8", errors="replace")
            _parse_describe(content, m, acc)
            describe_events[m.path] = events_section_lines(content)
        elif m.kind == "events_table":
            content = m.read_bytes(limits.max_object_bytes).decode("utf-8", errors="replace")
            acc.rows["events"].extend(table_rows(content, m.path))
        elif m.kind == "metrics":
            content = m.read_bytes(limits.max_object_bytes).decode("utf-8", errors="replace")
            problems: list[str] = []
            metrics.extend(metric_rows(content, m.path, m.meta.get("namespace"), m.meta.get("pod"), problems))
            errors.extend(ReadError(m.path, p) for p in problems)
        elif m.kind == "version":
            facts.update(_version(m))
        elif m.kind == "binary":
            errors.append(ReadError(m.path, "binary file skipped"))
    except ReadFailed as exc:
        errors.append(ReadError(m.path, str(exc)))
    except ObjectsError as exc:
        errors.append(ReadError(m.path, str(exc)))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        # a document of the right syntax but the wrong shape
        errors.append(ReadError(m.path, f"unexpected content: {type(exc).__name__}: {str(exc)[:200]}"))


def _parse_describe(text: str, m: Member, acc: ObjectRows) -> None:
    # a paste of part of a describe (no Name: header) is one object
    for first, lines in split_objects(text) or [(1, text.splitlines())]:
        if m.kind == "describe_node" or _looks_like_node(lines):
            node, events = node_from_describe(lines, first, m.path)
            acc.rows["nodes"].append(node)
            acc.rows["events"].extend(events)
        elif any(l.startswith(("Containers:", "Init Containers:")) for l in lines) or m.kind == "describe_pod":
            pod, containers, events = pod_from_describe(lines, first, m.path)
            if pod is not None:
                acc.rows["pods"].append(pod)
            acc.rows["containers"].extend(containers)
            acc.rows["events"].extend(events)


def _looks_like_node(lines: list[str]) -> bool:
    return any(l.startswith(("Roles:", "Capacity:", "System Info:")) for l in lines)


def _merge_describe_duplicates(tables: dict[str, pl.DataFrame]) -> None:
    """Our collector saves both JSON and describe: keep the JSON rows, add describe-only facts.

    Describe rows stay only for objects that have no JSON row (a pasted describe). Node
    ``allocated`` comes only from describe, so it is copied onto the JSON row.
    """
    for name, keys in (("pods", ["namespace", "name"]), ("containers", ["namespace", "pod", "name", "init"]),
                       ("nodes", ["name"])):
        df = tables[name]
        if df.is_empty():
            continue
        json_rows = df.filter(pl.col("origin") != "describe")
        desc = df.filter(pl.col("origin") == "describe")
        if json_rows.is_empty() or desc.is_empty():
            continue
        if name == "nodes":
            extra = desc.select("name", pl.col("allocated").alias("_a"), pl.col("gpu_allocated").alias("_g"))
            json_rows = json_rows.join(extra.unique("name", keep="first"), on="name", how="left").with_columns(
                pl.coalesce("allocated", "_a").alias("allocated"),
                pl.coalesce("gpu_allocated", "_g").alias("gpu_allocated")).drop("_a", "_g")
        only_desc = desc.join(json_rows.select(keys), on=keys, how="anti")
        tables[name] = pl.concat([json_rows.select(df.columns), only_desc])
    ev = tables["events"]
    if not ev.is_empty() and ev.filter(pl.col("origin") == "json").height:
        # describe Events repeat the JSON events of the same object: keep the JSON ones
        json_objs = ev.filter(pl.col("origin") == "json").select("object_kind", "object_name").unique()
        desc = ev.filter(pl.col("origin") == "describe").join(json_objs, on=["object_kind", "object_name"], how="anti")
        tables["events"] = pl.concat([ev.filter(pl.col("origin") != "describe"), desc])


def _version(m: Member) -> dict[str, Any]:
    try:
        info = server_version(m.read_bytes(1 << 20), m.name)
    except ObjectsError:
        return {}
    return {"server_version": info["gitVersion"]} if info.get("gitVersion") else {}


def _manifest_facts(manifest: dict[str, Any]) -> dict[str, Any]:
    """Facts our collector's manifest states, type-checked (``analyzer.parse.manifest``), and the
    checked manifest itself as the fact ``manifest`` (what the checks read of it)."""
    if not manifest:
        return {"manifest": {}}
    checked = checked_manifest(manifest)
    keys = ("collected_at", "context", "server_version", "namespaces", "hami_namespace", "collector_version")
    return {"manifest": checked, **{k: checked[k] for k in keys if checked.get(k)}}


def _ref_year(facts: dict[str, Any], tables: dict[str, pl.DataFrame]) -> int | None:
    """The year for log formats that print none (vLLM, klog): collection time, else the data."""
    collected = parse_time(facts.get("collected_at"))
    if collected:
        return collected.year
    for name, col in (("events", "last_time"), ("pods", "start_time"), ("containers", "state_started")):
        df = tables.get(name)
        if df is not None and not df.is_empty():
            latest = df.get_column(col).max()
            if latest is not None:
                return latest.year  # type: ignore[union-attr]
    return None


def _add_ft_tables(parsed: Parsed) -> None:
    """Fault-tolerance result folders add ``ft_requests`` and ``ft_events``; the parsed folders are
    kept (``Parsed.ft_scenarios``) for the report's summary, so each is read once."""
    if parsed.bundle.layout != "ft-results":
        return
    from analyzer.ft import read_scenarios, scenario_tables

    try:
        parsed.ft_scenarios = read_scenarios(parsed.bundle)
    except Exception as exc:  # noqa: BLE001 - one broken folder must not stop the analysis
        parsed.errors.append(ReadError(parsed.bundle.root, f"fault-tolerance results unreadable: {exc}"))
        return
    parsed.tables.update(scenario_tables(parsed.ft_scenarios))


__all__ = ["Parsed", "parse_bundle", "SCHEMAS"]
