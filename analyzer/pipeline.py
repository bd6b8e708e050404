"""The main job, as one function: ingest -> parse -> match -> diagnose -> the result dict.

The result dict is the JSON contract (docs/result.schema.json) plus the facts the reports show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from analyzer.checks import reread_logs
from analyzer.diagnose import Diagnosis, diagnose, finding_dict
from analyzer.infer.lines import ErrorLines
from analyzer.ingest import Limits, open_bundle
from analyzer.library import Library, load_library
from analyzer.match import match_parsed
from analyzer.parse import Parsed, parse_bundle
from analyzer.progress import Progress
from analyzer.state.judge import state_counts
from analyzer.tables import empty, write_table, write_table_batches

SCHEMA_VERSION = 1


@dataclass
class Analysis:
    """Everything one run produced: the result dict, the parsed bundle and the signals."""

    result: dict[str, Any]
    parsed: Parsed
    signals: pl.DataFrame
    diagnosis: Diagnosis
    redactor: Any = None   # one Redactor per analysis: a secret keeps one pseudonym everywhere

    def close(self) -> None:
        """Release the bundle (temporary files of a decompressed archive)."""
        self.parsed.bundle.close()

    def __enter__(self) -> "Analysis":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def analyze_path(source: str, library: Library | None = None, redact: bool = True,
                 limits: Limits | None = None, progress: Progress | None = None) -> Analysis:
    """Analyze one input (dir, archive, file or ``-``); close the returned Analysis when done.
    ``progress``: where the stages are shown (default: stderr when it is a terminal)."""
    library = library or load_library()
    progress = progress or Progress()
    progress.stage("opening the bundle")
    bundle = open_bundle(source, limits, on_read=lambda n: progress.advance(0, n))
    try:
        progress.stage("parsing")
        parsed = parse_bundle(bundle)
        members = parsed.log_members()
        progress.stage("reading and matching logs", len(members), sum(m.size or 0 for m in members))
        parsed.on_member_done = lambda m: progress.advance(1, m.size or 0)
        parsed.keep_logs = reread_logs(parsed.tables)
        errors = ErrorLines()
        signals = match_parsed(parsed, library, errors=errors)
        parsed.on_member_done = None
        progress.stage("diagnosing")
        diagnosis = diagnose(parsed, signals, library, errors)
        result = build_result(parsed, diagnosis, source)
    except BaseException:
        bundle.close()
        raise
    finally:
        progress.done()
    red = None
    if redact:
        from analyzer.redact import Redactor

        red = Redactor()
        result = redact_result(result, library, red)
    result["redacted"] = redact
    return Analysis(result, parsed, signals, diagnosis, red)


def no_readable_file(result: dict[str, Any]) -> str | None:
    """Why the input gives nothing to diagnose (no file could be read), or None when it does."""
    if result["input"]["files_read"] != 0:
        return None
    errors = result["input"]["read_errors"]
    why = f" (first problem: {errors[0]['path']}: {errors[0]['error']})" if errors else ""
    return f"no readable file in this input{why}"


# the tables the Markdown and HTML reports read (the timeline, the file kinds, could not read)
REPORT_TABLES = ("events", "containers", "ft_events", "files", "read_errors")


def _output_tables(parsed: Parsed, red: Any = None, names: tuple[str, ...] | None = None) -> dict[str, pl.DataFrame]:
    """The parsed tables as they leave the tool (all, or ``names``): read errors included, secrets
    redacted with ``red`` in every text column (paths and names too: a token in a folder name
    reaches `path` and `pod`)."""
    tables = dict(parsed.tables)
    tables["read_errors"] = parsed.read_errors()
    if names is not None:
        tables = {name: df for name, df in tables.items() if name in names}
    return {name: red.frame(df) for name, df in tables.items()} if red is not None else tables


def _output_log_batches(parsed: Parsed, red: Any = None) -> Iterator[pl.DataFrame]:
    """``log_lines`` batch by batch as it leaves the tool: every text column redacted with ``red``,
    a multi-line secret kept whole across batches."""
    if red is None:
        return parsed.iter_log_batches()
    return red.frames(parsed.iter_log_batches())


def write_tables(source: str, out_dir: Path, fmt: str = "parquet", redact: bool = True) -> dict[str, int]:
    """The ``tables`` command: parse ``source`` and write every table to ``out_dir`` as Parquet or
    CSV (secrets redacted unless ``redact`` is false); returns rows per table."""
    red = None
    if redact:
        from analyzer.redact import Redactor

        red = Redactor()
    with open_bundle(source) as bundle:
        out_dir.mkdir(parents=True, exist_ok=True)  # once the input opened: a bad input leaves nothing
        parsed = parse_bundle(bundle)
        # log_lines first: reading the logs may add read errors
        written = {"log_lines": write_table_batches(_output_log_batches(parsed, red), out_dir / f"log_lines.{fmt}",
                                                    empty("log_lines"), fmt)}
        for name, df in sorted(_output_tables(parsed, red).items()):
            written[name] = write_table(df, out_dir / f"{name}.{fmt}", fmt)
    return dict(sorted(written.items()))


def write_report(analysis: Analysis, fmt: str, target: Path | None, max_chars: int | None = None) -> str | None:
    """Render ``analysis`` as md/html/json (returned when ``target`` is None) or parquet (a dir)."""
    import json

    from analyzer.report import render, write_parquet

    red = analysis.redactor
    if fmt == "parquet":
        assert target is not None
        tables = _output_tables(analysis.parsed, red)
        signals = analysis.signals if red is None else red.frame(analysis.signals)
        write_parquet(analysis.result, tables, signals, _output_log_batches(analysis.parsed, red), target)
        return None
    if fmt == "json":
        text = json.dumps(analysis.result, indent=2, ensure_ascii=False) + "\n"
    else:
        # only what the report reads leaves the tool: the other tables are neither redacted nor shown
        gpu = analysis.diagnosis.gpu if red is None else red.data(analysis.diagnosis.gpu)
        text = render(analysis.result, _output_tables(analysis.parsed, red, REPORT_TABLES), gpu, fmt,
                      max_chars=max_chars)
    if target is None:
        return text
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return None






def build_result(parsed: Parsed, diagnosis: Diagnosis, source: str) -> dict[str, Any]:
    """The JSON contract (docs/result.schema.json) plus bundle facts."""
    roots = {f.id for f in diagnosis.root_causes}
    errors = parsed.read_errors()
    files = parsed.tables["files"]
    facts = parsed.facts
    by_kind = dict(sorted(files.group_by("kind").len().iter_rows())) if not files.is_empty() else {}
    # one definition for both keys: files whose content was read, i.e. every listed file but
    # the empty ones (never opened) and the binary ones (skipped); files_by_kind counts them all
    files_read = files.height - int(by_kind.get("binary", 0)) - int(by_kind.get("empty", 0))
    result = {
        "schema_version": SCHEMA_VERSION,
        "input": {"path": str(source), "layout": parsed.bundle.layout,
                  "files_read": files_read,
                  "read_errors": errors.to_dicts(),
                  "not_collected": [n.as_dict() for n in parsed.not_collected]},
        "root_causes": [finding_dict(f, True) for f in diagnosis.root_causes],
        "findings": [finding_dict(f, f.id in roots) for f in diagnosis.findings],
        "unexplained": diagnosis.unexplained,
        "checks": diagnosis.checks,
        "bundle": {"layout": parsed.bundle.layout, "root": Path(str(source)).name or str(source),
                   "collected_at": facts.get("collected_at"),
                   "collected_at_source": facts.get("collected_at_source"), "context": facts.get("context"),
                   "server_version": facts.get("server_version"),
                   "namespaces": facts.get("namespaces") or sorted(
                       {n for n in parsed.tables["pods"].get_column("namespace").to_list() if n}),
                   "hami_namespace": facts.get("hami_namespace"),
                   "files_read": files_read, "files_by_kind": by_kind,
                   # the cluster at collection time (analyzer.state) and what that made of the findings
                   "state": {**diagnosis.state.summary(), "findings": state_counts(diagnosis.findings)}},
    }
    if parsed.bundle.layout == "ft-results":
        from analyzer.ft import summary_for_report

        result["ft_summary"] = summary_for_report(parsed.ft_scenarios)
    return result


# what a result holds that came from the bundle, redacted by the detectors; our own prose
# (titles, explanations, remediation, commands) is not run through them, so that a detector never
# rewrites the words of a pattern's page, but any secret the bundle put into it through a
# capture is replaced there by the same pseudonym
_BUNDLE_KEYS = ("summary", "text", "details", "affected", "read_errors", "reason", "evidence", "input",
                "bundle", "ft_summary", "state_reason", "unexplained",
                "not_collected")
# an inferred finding's title quotes the error line it was made of
_INFERRED_KEYS = _BUNDLE_KEYS + ("title",)
_STRUCTURAL = frozenset({"id", "category", "layer", "severity", "pattern", "source", "status",
                         "caused_by", "merged_into", "symptoms", "schema_version", "layout", "time",
                         "first_seen", "last_seen", "root_cause", "match", "line", "end_line", "count", "node"})


def redact_result(result: dict[str, Any], library: Library | None = None, red=None) -> dict[str, Any]:
    """The result with every secret from the bundle replaced by a stable pseudonym."""
    if red is None:
        from analyzer.redact import Redactor

        red = Redactor()

    def walk(value: Any, inside: bool) -> Any:
        if isinstance(value, str):
            return red.text(value) if inside else value
        if isinstance(value, list):
            return [walk(v, inside) for v in value]
        if isinstance(value, dict):
            keys = _INFERRED_KEYS if value.get("inferred") is True else _BUNDLE_KEYS
            return {k: (v if k in _STRUCTURAL else walk(v, inside or k in keys))
                    for k, v in value.items()}
        return value

    out = walk(result, False)
    secrets = sorted(((orig, pseudo) for pseudo, orig in red.mapping.items() if orig), key=lambda x: -len(x[0]))

    def scrub(value: Any, key: str = "") -> Any:
        if isinstance(value, str):
            if key in _STRUCTURAL:
                return value
            for orig, pseudo in secrets:
                if orig in value:
                    value = value.replace(orig, pseudo)
            return value
        if isinstance(value, list):
            return [scrub(v, key) for v in value]
        if isinstance(value, dict):
            return {k: scrub(v, k) for k, v in value.items()}
        return value

    if secrets:
        out = scrub(out)
    for f in out.get("root_causes", []) + out.get("findings", []):
        pattern = library.by_id.get(f.get("pattern", "")) if library else None
        for new, old in zip(f["evidence"], _evidence_of(result, f["id"])):
            if new["text"] != old["text"]:
                m = pattern.compiled.search(new["text"]) if pattern else None
                new["match"] = [m.start(), m.end()] if m else None
    return out


def _evidence_of(result: dict[str, Any], fid: str) -> list[dict]:
    for f in result.get("findings", []):
        if f["id"] == fid:
            return f["evidence"]
    return []
