"""The per-bundle function every engine runs: one bundle in, its ``analyze`` result out.

``analyze_bundle`` runs the same pipeline as ``bundle-analyzer analyze`` (redaction included,
the same read limits) and returns a plain, picklable dict: the result dict that
``analyze --format json`` prints, the bundle facts the result does not hold (GPU models,
engines seen) and, for a bundle that cannot be analysed, its one-line error. It never raises:
a failing bundle is a row with its error and the fleet goes on.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from analyzer.ingest.streams import one_line

# the error of a bundle the engine lost (not the bundle's fault): analysed again next run
ENGINE_ERROR = "engine: "
_LIBRARY: dict[tuple[str, ...], Any] = {}   # one pattern library per worker process


def _library(extra: tuple[str, ...]) -> Any:
    from pathlib import Path

    from analyzer.library import load_library

    if extra not in _LIBRARY:
        _LIBRARY[extra] = load_library(tuple(Path(p) for p in extra))
    return _LIBRARY[extra]


def analyze_bundle(task: dict[str, Any]) -> dict[str, Any]:
    """Hash and analyse ``task["input"]`` (``task["redact"]`` default true, ``task["patterns"]``
    extra pattern folders); returns ``{"key", "bundle_id", "bytes", "input", "result", "facts",
    "error", "seconds", "cpu_seconds"}``, ``result`` None and ``error`` set when the bundle
    cannot be analysed."""
    from analyzer.ingest import BundleError
    from analyzer.pipeline import analyze_path, no_readable_file
    from analyzer.progress import Progress

    from analyzer.fleet.inputs import content_hash

    start, cpu = time.perf_counter(), time.process_time()
    out: dict[str, Any] = {"key": task.get("key"), "bundle_id": None, "bytes": 0, "input": task["input"],
                           "result": None, "facts": {}, "error": None, "seconds": 0.0, "cpu_seconds": 0.0}
    try:
        # the content hash is the bundle's id; taken here, in parallel, not by the driver
        out["bundle_id"], out["bytes"] = content_hash(_source(task))
    except OSError as exc:
        out["bundle_id"] = "unreadable:" + (task.get("path") or os.path.abspath(task["input"]))
        out["error"] = f"cannot read: {one_line(exc)}"
        return out
    try:
        library = _library(tuple(task.get("patterns") or ()))
        analysis = analyze_path(_source(task), library, redact=task.get("redact", True),
                                progress=Progress(enabled=False))
        with analysis:
            unreadable = no_readable_file(analysis.result)
            if unreadable:
                out["error"] = unreadable
            else:
                # exactly what `analyze --format json` prints, as data
                out["result"] = json.loads(json.dumps(analysis.result, ensure_ascii=False))
                out["facts"] = bundle_facts(analysis)
    except BundleError as exc:
        out["error"] = one_line(exc)
    except MemoryError:
        out["error"] = "out of memory while analysing this bundle"
    except Exception as exc:  # noqa: BLE001 - one bad bundle must not stop the fleet
        out["error"] = f"internal error ({type(exc).__name__}): {one_line(exc)}"
    out["seconds"] = round(time.perf_counter() - start, 3)
    # CPU of this process only (the analysis runs in it): what capacity planning needs, where
    # the wall time also counts waiting for a core on a busy machine
    out["cpu_seconds"] = round(time.process_time() - cpu, 3)
    return out


def _source(task: dict[str, Any]) -> str:
    """The path as given when it names the same file here (the result then says what
    ``analyze`` says), else the absolute path (a Ray worker in another folder)."""
    given, full = task["input"], task.get("path")
    if not full or os.path.abspath(given) == full:
        return given
    return full


def bundle_facts(analysis: Any) -> dict[str, Any]:
    """GPU models (from the nodes and HAMi's registered devices) and inference engines seen
    (from the pods' commands and images), redacted like the rest of the output."""
    from analyzer.checks.engines import engine_of
    from analyzer.tables import object_bodies

    gpu = analysis.diagnosis.gpu or {}
    nodes = ((gpu.get("cluster_gpu") or {}).get("nodes")) or []
    models = {n.get("product") for n in nodes if n.get("product")}
    node_table = analysis.parsed.tables.get("nodes")
    if node_table is not None and not node_table.is_empty():
        models |= {p for p in node_table.get_column("gpu_product").to_list() if p}
    engines: set[str] = set()
    for pod in object_bodies(analysis.parsed.tables.get("objects"), "Pod"):
        spec = pod.get("spec") or {}
        for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
            if isinstance(c, dict) and (engine := engine_of(c)):
                engines.add(engine)
    containers = analysis.parsed.tables.get("containers")
    if containers is not None and not containers.is_empty():
        # describe output shows the image, not always the command
        for image in containers.get_column("image").unique().to_list():
            if image and (engine := engine_of({"image": image})):
                engines.add(engine)
    facts = {"gpu_models": sorted(models), "engines": sorted(engines)}
    red = analysis.redactor
    return red.data(facts) if red is not None else facts
