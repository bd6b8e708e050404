"""``bundle-analyzer fleet``: find the bundles, skip those already in the dataset, analyse the
others on an engine, write their rows as they come."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from analyzer import __version__
from analyzer.fleet.dataset import Writer, check_root, input_row, known, now_utc, rows_of
from analyzer.fleet.engines import run_engine
from analyzer.fleet.inputs import BundleInput, find_bundles, stat_key
from analyzer.fleet.worker import ENGINE_ERROR
from analyzer.ingest.streams import one_line
from analyzer.progress import Progress

FLUSH_BUNDLES = 200     # rows are written at least every this many bundles...
FLUSH_SECONDS = 60.0    # ...or this many seconds: an interrupted run keeps what it finished


class FleetError(Exception):
    """The fleet cannot run at all (bad dataset folder, nothing to analyse): one line."""


@dataclass
class FleetRun:
    """What a run did: counts, and one line per problem (inputs not found, failed bundles)."""

    found: int = 0
    analysed: int = 0
    ok: int = 0
    failed: int = 0
    already: int = 0
    lost: int = 0
    duplicates: int = 0
    left_out: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        rate = f", {self.analysed / self.seconds * 60:.1f} bundles/min" if self.analysed and self.seconds else ""
        text = (f"{self.found} bundle(s): {self.analysed} analysed ({self.ok} ok, {self.failed} failed), "
                f"{self.already} already in the dataset")
        if self.duplicates:
            text += f", {self.duplicates} duplicate(s) of another input"
        if self.lost:
            text += f", {self.lost} lost by the engine (tried again next run)"
        if self.left_out:
            text += f", {self.left_out} file(s) left out (not a bundle)"
        return text + f" in {self.seconds:.1f} s{rate}"


def _cleaner(redact: bool) -> Callable[[str], str]:
    if not redact:
        return lambda text: text
    from analyzer.redact import Redactor

    return Redactor().path


def run_fleet(inputs: list[str] | tuple[str, ...], dataset: Path, labels: dict[str, str] | None = None,
              engine: str = "local", jobs: int | None = None, address: str | None = None,
              redact: bool = True, patterns: tuple[str, ...] = (), progress: Progress | None = None,
              on_problem: Callable[[str], None] | None = None) -> FleetRun:
    """Analyse every new bundle named by ``inputs`` into ``dataset``; returns what was done.
    Raises FleetError when the dataset folder cannot be used, EngineError when the engine
    cannot start."""
    start = time.monotonic()
    progress = progress or Progress()
    report = on_problem or (lambda line: None)
    why = check_root(dataset)
    if why:
        raise FleetError(why)
    run = FleetRun()
    found = find_bundles(inputs, labels)
    for line in found.problems:
        run.problems.append(line)
        report(line)
    run.left_out = len(found.left_out)
    if not found.bundles:
        raise FleetError("no bundle found in " + " ".join(inputs) + "; give bundle folders, archives or "
                         "folders holding them")
    run.found = len(found.bundles)
    have, keys = known(dataset)
    analyzed_at = now_utc()
    # unique per run, even for two runs of one process within a second: a part is never replaced
    writer = Writer(dataset, f"{analyzed_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}", f"{analyzed_at:%Y-%m-%d}")
    seen: set[str] = set()
    # the paths and labels that reach the dataset are redacted like the results' own paths (a
    # token pasted into a folder name); the terminal lines keep them as given
    clean = _cleaner(redact)

    def record(b: BundleInput, out: dict[str, Any]) -> None:
        out = {**out, "input": clean(b.input)}
        bid = out["bundle_id"]
        if bid in have or bid in seen:
            # the same content under a new path or a touched file: analysed once, its key kept
            run.already += bid in have
            run.duplicates += bid not in have
            writer.add(input_row(out, analyzed_at))
            return
        seen.add(bid)
        run.analysed += 1
        if out["result"] is None:
            run.failed += 1
            line = f"{b.input}: {out['error']}"
            run.problems.append(line)
            report(line)
        else:
            run.ok += 1
        writer.add(rows_of(out, {k: clean(v) for k, v in b.labels.items()}, analyzed_at, __version__))

    progress.stage("checking bundles", len(found.bundles), unit="bundles")
    todo: list[BundleInput] = []
    for b in found.bundles:
        progress.advance(1)
        try:
            b.key = stat_key(b.input)
        except OSError as exc:   # gone since it was listed
            full = os.path.abspath(b.input)
            record(b, {"key": None, "bundle_id": "unreadable:" + full, "bytes": 0, "input": b.input,
                       "result": None, "facts": {}, "error": f"cannot read: {one_line(exc)}",
                       "seconds": 0.0, "cpu_seconds": 0.0})
            continue
        if b.key in keys:
            run.already += 1   # nothing changed since a run met it: not even read
        else:
            todo.append(b)
    by_key = {b.key: b for b in todo}
    tasks = [{"key": b.key, "input": b.input, "path": os.path.abspath(b.input),
              "redact": redact, "patterns": list(patterns)} for b in todo]
    progress.stage(f"analysing bundles ({engine})", len(tasks), unit="bundles")
    try:
        outputs = run_engine(engine, tasks, jobs, address) if tasks else iter(())
    except BaseException:
        progress.done()
        raise
    last_flush = time.monotonic()
    try:
        for out in outputs:
            progress.advance(1)
            b = by_key[out["key"]]
            if (out["error"] or "").startswith(ENGINE_ERROR):
                run.lost += 1
                line = f"{b.input}: {out['error']}"
                run.problems.append(line)
                report(line)
                continue
            record(b, out)
            if writer.bundles >= FLUSH_BUNDLES or time.monotonic() - last_flush > FLUSH_SECONDS:
                writer.flush()
                last_flush = time.monotonic()
    finally:
        writer.flush()
        progress.done()
    run.seconds = time.monotonic() - start
    return run
