"""The main job, as one function: ingest -> parse -> match -> diagnose -> the result dict.

The result dict is the JSON contract of SPEC section 7 plus the facts the reports show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import polars as pl

from analyzer.diagnose import Diagnosis, diagnose, finding_dict
from analyzer.ingest import Limits, open_bundle
from analyzer.library import Library, load_library
from analyzer.match import match_parsed
from analyzer.parse import Parsed, parse_bundle

SCHEMA_VERSION = 1


@dataclass
class Analysis:
    """Everything one run produced: the result dict, the parsed bundle and the signals."""

    result: dict[str, Any]
    parsed: Parsed
    signals: pl.DataFrame
    diagnosis: Diagnosis

    def close(self) -> None:
        """Release the bundle (temporary files of a decompressed archive)."""
        self.parsed.bundle.close()

    def __enter__(self) -> "Analysis":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def analyze_path(source: str, library: Library | None = None, redact: bool = True,
                 limits: Limits | None = None) -> Analysis:
    """Analyze one input (dir, archive, file or ``-``); close the returned Analysis when done."""
    library = library or load_library()
    bundle = open_bundle(source, limits)
    try:
        parsed = parse_bundle(bundle)
        signals = match_parsed(parsed, library)
        diagnosis = diagnose(parsed, signals, library)
        result = build_result(parsed, diagnosis, source)
    except BaseException:
        bundle.close()
        raise
    if redact:
        result = redact_result(result, library)
    result["redacted"] = redact
    return Analysis(result, parsed, signals, diagnosis)


def write_report(analysis: Analysis, fmt: str, target: Path | None, max_chars: int | None = None) -> str | None:
    """Render ``analysis`` as md/html/json (returned when ``target`` is None) or parquet (a dir)."""
    import json

    from analyzer.report import render, write_parquet

    tables = dict(analysis.parsed.tables)
    if fmt == "parquet":
        assert target is not None
        batches = analysis.parsed.iter_log_batches()
        if analysis.result.get("redacted"):
            batches = _redacted_batches(batches)
        tables["read_errors"] = analysis.parsed.read_errors()
        write_parquet(analysis.result, _redact_tables(tables) if analysis.result.get("redacted") else tables,
                      _redact_tables({"s": analysis.signals})["s"] if analysis.result.get("redacted") else analysis.signals,
                      batches, target)
        return None
    if fmt == "json":
        text = json.dumps(analysis.result, indent=2, ensure_ascii=False) + "\n"
    else:
        text = render(analysis.result, tables, fmt, max_chars=max_chars)
    if target is None:
        return text
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return None


def _redact_tables(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    try:
        from analyzer.redact import Redactor
    except ImportError:  # pragma: no cover
        return tables
    red = Redactor()
    return {name: red.frame(df) for name, df in tables.items()}


def _redacted_batches(batches: Iterable[pl.DataFrame]) -> Iterable[pl.DataFrame]:
    try:
        from analyzer.redact import Redactor
    except ImportError:  # pragma: no cover
        yield from batches
        return
    red = Redactor()
    for b in batches:
        yield red.frame(b, columns=["text"])


def build_result(parsed: Parsed, diagnosis: Diagnosis, source: str) -> dict[str, Any]:
    """The JSON contract (SPEC section 7) plus bundle facts."""
    roots = {f.id for f in diagnosis.root_causes}
    errors = parsed.read_errors()
    files = parsed.tables["files"]
    facts = parsed.facts
    by_kind = dict(sorted(files.group_by("kind").len().iter_rows())) if not files.is_empty() else {}
    return {
        "schema_version": SCHEMA_VERSION,
        "input": {"path": str(source), "layout": parsed.bundle.layout,
                  "files_read": files.height - int(by_kind.get("binary", 0)),
                  "read_errors": errors.to_dicts()},
        "root_causes": [finding_dict(f, True) for f in diagnosis.root_causes],
        "findings": [finding_dict(f, f.id in roots) for f in diagnosis.findings],
        "checks": diagnosis.checks,
        "bundle": {"layout": parsed.bundle.layout, "root": Path(str(source)).name or str(source),
                   "collected_at": facts.get("collected_at"), "context": facts.get("context"),
                   "server_version": facts.get("server_version"),
                   "namespaces": facts.get("namespaces") or sorted(
                       {n for n in parsed.tables["pods"].get_column("namespace").to_list() if n}),
                   "hami_namespace": facts.get("hami_namespace"),
                   "files_read": files.height, "files_by_kind": by_kind},
    }


# what a result holds that came from the bundle (our own prose, titles and remediation are not
# redacted: a detector must not rewrite the words of a pattern's explanation)
_BUNDLE_KEYS = ("summary", "text", "details", "affected", "read_errors", "reason", "checks")


def redact_result(result: dict[str, Any], library: Library | None = None) -> dict[str, Any]:
    """Bundle-derived strings of the result through the secret detectors."""
    try:
        from analyzer.redact import Redactor
    except ImportError:  # pragma: no cover - the redact package ships with the analyzer
        return result
    red = Redactor()

    def walk(value: Any, inside: bool) -> Any:
        if isinstance(value, str):
            return red.text(value) if inside else value
        if isinstance(value, list):
            return [walk(v, inside) for v in value]
        if isinstance(value, dict):
            return {k: walk(v, inside or k in _BUNDLE_KEYS) for k, v in value.items()}
        return value

    out = walk(result, False)
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


def load_patterns(extra: Iterable[Path] = ()) -> Library:
    return load_library(extra)
