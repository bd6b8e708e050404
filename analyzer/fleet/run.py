"""``bundle-analyzer fleet``: find the bundles, skip those already in the dataset, analyse the
others on an engine, write their rows as they come."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from analyzer import __version__
from analyzer.fleet.dataset import Writer, check_root, known_ids, now_utc, rows_of
from analyzer.fleet.engines import run_engine
from analyzer.fleet.inputs import content_hash, find_bundles
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
    have = known_ids(dataset)
    analyzed_at = now_utc()
    writer = Writer(dataset, f"{analyzed_at:%Y%m%dT%H%M%S}-{os.getpid()}", f"{analyzed_at:%Y-%m-%d}")

    def record(b: Any, out: dict[str, Any]) -> None:
        run.analysed += 1
        if out["result"] is None:
            run.failed += 1
            line = f"{b.input}: {out['error']}"
            run.problems.append(line)
            report(line)
        else:
            run.ok += 1
        writer.add(rows_of(out, b.labels, analyzed_at, __version__, b.size))

    progress.stage("hashing bundles", len(found.bundles), unit="bundles")
    todo: list[Any] = []
    seen: set[str] = set()
    for b in found.bundles:
        progress.advance(1)
        try:
            b.bundle_id, b.size = content_hash(b.input)
        except OSError as exc:
            # unreadable: keyed by its path (a later readable copy gets its content's id)
            b.bundle_id = "unreadable:" + os.path.abspath(b.input)
            if b.bundle_id not in have:
                record(b, {"bundle_id": b.bundle_id, "input": b.input, "result": None, "facts": {},
                           "error": f"cannot read: {one_line(exc)}", "seconds": 0.0})
            else:
                run.already += 1
            continue
        if b.bundle_id in have:
            run.already += 1
        elif b.bundle_id in seen:
            run.duplicates += 1
        else:
            seen.add(b.bundle_id)
            todo.append(b)
    by_id = {b.bundle_id: b for b in todo}
    tasks = [{"bundle_id": b.bundle_id, "input": b.input, "path": os.path.abspath(b.input),
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
            b = by_id[out["bundle_id"]]
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
