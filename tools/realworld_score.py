"""Score the analyzer on folders of real pasted outputs (``tests/fixtures/realworld*``).

Each folder has an ``index.yaml`` whose entries name a file and the category that its public
thread concluded (``expected``), or ``healthy`` for the output of a working system. Every file is
analyzed in-process as one pasted input (``analyzer.pipeline.analyze_path``, redaction on, the
built-in pattern library loaded once), the way the CLI reads a ticket attachment.

Per fixture the script prints one line::

    ok     runtime.cuda_oom        runtime.cuda_oom     vllm-...-oom.txt
    MISS   runtime.nccl            runtime.crashloop    sglang-....txt
    SILENT gpu.not_visible         -                    triton-....txt
    ALARM  healthy                 runtime.engine_dead  vllm-healthy-....txt

- ``ok``: a failure whose first root cause has the expected category, or a healthy output with
  no root cause at ``error`` or ``critical``;
- ``MISS``: a failure whose first root cause has another category;
- ``SILENT``: a failure with no root cause at all;
- ``ALARM``: a healthy output with a root cause at ``error`` or ``critical``;
- ``ERROR``: the analyzer raised (the message is shown; the other fixtures still run).

The summary gives, per folder and over all folders: top-cause accuracy over the failures, the
silent failures, and the alarms on healthy outputs.

Run: ``python3 tools/realworld_score.py [--set DIR ...] [--json]``. Without ``--set`` the three
folders ``tests/fixtures/realworld``, ``realworld_dev`` and ``realworld_holdout`` are scored. Exit code 2 when a
folder or its index cannot be read; the score itself never fails the run.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SETS = (ROOT / "tests" / "fixtures" / "realworld", ROOT / "tests" / "fixtures" / "realworld_dev",
                ROOT / "tests" / "fixtures" / "realworld_holdout")
HEALTHY = "healthy"
# A healthy system may show warnings, never a finding above warning.
ALARM_SEVERITIES = frozenset({"critical", "error"})


class FixtureIndexError(Exception):
    """A fixture folder or its index.yaml cannot be used."""


@dataclass
class Outcome:
    """What the analyzer said about one fixture, and how that scores."""

    file: str
    expected: str
    status: str                       # ok, MISS, SILENT, ALARM, ERROR
    top: str | None = None
    categories: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    inferred: bool = False            # the first root cause was inferred, not matched
    error: str = ""


@dataclass
class Summary:
    """Counts over a group of outcomes."""

    fixtures: int
    failures: int
    hits: int
    accuracy: float | None
    silent: int
    healthy: int
    alarms: int
    errors: int


def load_index(folder: Path) -> list[dict[str, Any]]:
    """The ``fixtures:`` entries of ``folder/index.yaml`` (``FixtureIndexError`` when unusable)."""
    index = folder / "index.yaml"
    try:
        data = yaml.safe_load(index.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureIndexError(f"{index}: cannot read ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise FixtureIndexError(f"{index}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    entries = data.get("fixtures") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("file") for e in entries):
        raise FixtureIndexError(f"{index}: expected a 'fixtures:' list of entries with a 'file' key")
    return entries


def score_one(path: Path, expected: str, library: Any) -> Outcome:
    """Analyze one pasted file and classify the answer against ``expected``."""
    from analyzer.pipeline import analyze_path

    try:
        analysis = analyze_path(str(path), library, redact=True)
    except Exception as exc:  # one broken fixture must not stop the score of the others
        first = (str(exc).splitlines() or [""])[0]
        return Outcome(path.name, expected, "ERROR", error=f"{type(exc).__name__}: {first}"[:300])
    try:
        roots = analysis.result.get("root_causes") or []
    finally:
        analysis.close()
    cats = [rc.get("category", "?") for rc in roots]
    sevs = [rc.get("severity", "?") for rc in roots]
    top = cats[0] if cats else None
    inferred = bool(roots and roots[0].get("inferred"))
    if expected == HEALTHY:
        status = "ALARM" if any(s in ALARM_SEVERITIES for s in sevs) else "ok"
    elif not roots:
        status = "SILENT"
    else:
        status = "ok" if top == expected else "MISS"
    return Outcome(path.name, expected, status, top, cats, sevs, inferred)


def summarize(outcomes: list[Outcome]) -> Summary:
    """Accuracy over failures, silent failures, alarms on healthy outputs."""
    failures = [o for o in outcomes if o.expected != HEALTHY]
    healthy = [o for o in outcomes if o.expected == HEALTHY]
    hits = sum(1 for o in failures if o.status == "ok")
    return Summary(
        fixtures=len(outcomes),
        failures=len(failures),
        hits=hits,
        accuracy=round(hits / len(failures), 4) if failures else None,
        silent=sum(1 for o in failures if o.status == "SILENT"),
        healthy=len(healthy),
        alarms=sum(1 for o in healthy if o.status == "ALARM"),
        errors=sum(1 for o in outcomes if o.status == "ERROR"),
    )


def score_set(folder: Path, library: Any) -> list[Outcome]:
    """Score every fixture listed in ``folder/index.yaml``, in index order."""
    outcomes = []
    for entry in load_index(folder):
        expected = str(entry.get("expected") or "")
        path = folder / str(entry["file"])
        if not path.is_file():
            outcomes.append(Outcome(path.name, expected, "ERROR", error="file listed in index.yaml is missing"))
            continue
        outcomes.append(score_one(path, expected, library))
    return outcomes


def _fmt_summary(name: str, s: Summary) -> str:
    acc = f"{s.hits}/{s.failures} = {s.accuracy:.1%}" if s.accuracy is not None else "no failures"
    line = (f"{name}: top-cause accuracy {acc}; silent {s.silent}/{s.failures}; "
            f"alarms {s.alarms}/{s.healthy} healthy")
    return line + (f"; {s.errors} analyzer errors" if s.errors else "")


def render_text(results: list[tuple[Path, list[Outcome]]]) -> str:
    """The per-fixture table of each folder followed by the summaries."""
    lines: list[str] = []
    for folder, outcomes in results:
        lines.append(f"== {_rel(folder)} ({len(outcomes)} fixtures)")
        for o in outcomes:
            top = o.top or "-"
            if o.inferred:
                top += " (inferred)"
            tail = f"  [{o.error}]" if o.error else ""
            lines.append(f"{o.status:<6} {o.expected:<34} {top:<40} {o.file}{tail}")
        lines.append("")
    for folder, outcomes in results:
        lines.append(_fmt_summary(_rel(folder), summarize(outcomes)))
    if len(results) > 1:
        lines.append(_fmt_summary("all", summarize([o for _, outs in results for o in outs])))
    return "\n".join(lines)


def render_json(results: list[tuple[Path, list[Outcome]]]) -> str:
    """The same data as JSON: one object per folder and an overall summary."""
    doc = {
        "sets": [{"dir": _rel(folder), "fixtures": [asdict(o) for o in outcomes],
                  "summary": asdict(summarize(outcomes))} for folder, outcomes in results],
        "summary": asdict(summarize([o for _, outs in results for o in outs])),
    }
    return json.dumps(doc, indent=2)


def _rel(folder: Path) -> str:
    try:
        return str(folder.resolve().relative_to(ROOT))
    except ValueError:
        return str(folder)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", dest="sets", action="append", type=Path, metavar="DIR",
                        help="a fixture folder with an index.yaml (repeatable; default: the "
                             "realworld and realworld_dev folders)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = parser.parse_args(argv)
    from analyzer.library import load_library

    library = load_library()
    results = []
    for folder in args.sets or list(DEFAULT_SETS):
        try:
            results.append((folder, score_set(folder, library)))
        except FixtureIndexError as exc:
            print(f"realworld_score: {exc}", file=sys.stderr)
            return 2
    print(render_json(results) if args.json else render_text(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
