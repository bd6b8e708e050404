"""The committed sample bundles and one cache of their analyses for the whole test session.

Each sample bundle is analysed at most once per session (per test process), in-process, with the
pattern library loaded once; every test that reads a sample's result or reports takes them from
here (``sample_run(name)``). Results are handed out as fresh copies, so a test that changes the
dict it got cannot change what the next test sees. A test that asserts determinism compares this
run with a second one of its own (another process, hash seed and time zone): the cache is one of
the two runs, never both.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from analyzer.library import Library, load_library
from analyzer.pipeline import Analysis, analyze_path, write_report

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_bundles"


def sample_dirs() -> list[Path]:
    """Every committed sample bundle, whatever its layout."""
    return sorted(p for p in SAMPLES.iterdir() if p.is_dir() and not p.name.startswith("."))


def collector_samples() -> list[Path]:
    """The sample bundles in our collector's layout (a folder with manifest.json)."""
    return [p for p in sample_dirs() if (p / "manifest.json").is_file()]


def expected_samples() -> list[Path]:
    """The sample bundles that name their ranked root causes (expected.json)."""
    return [p for p in sample_dirs() if (p / "expected.json").is_file()]


def sample(name: str) -> Path:
    """The folder of sample bundle ``name``; a missing one is a failure, never a skip (they are committed)."""
    path = SAMPLES / name
    if not path.is_dir():
        raise FileNotFoundError(f"sample bundle {name} is missing from sample_bundles/ (python3 -m tools.samplegen)")
    return path


@functools.cache
def library() -> Library:
    """The built-in pattern library, loaded once per session."""
    return load_library()


class SampleRun:
    """One analysis of a sample bundle (redaction on, as ``analyze`` runs by default), kept open for
    the session so that its reports and tables can be written on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.analysis: Analysis = analyze_path(str(path), library())
        self._result = json.dumps(self.analysis.result)
        self._reports: dict[tuple[str, int | None], str] = {}

    @property
    def result(self) -> dict[str, Any]:
        """The JSON result (a fresh copy on each access)."""
        return json.loads(self._result)

    def root_causes(self) -> list[str]:
        """The ranked root-cause categories."""
        return [rc["category"] for rc in self.analysis.result["root_causes"]]

    def report(self, fmt: str, max_chars: int | None = None) -> str:
        """The md/html/json report, as ``analyze --format FMT [--max-chars N]`` writes it."""
        key = (fmt, max_chars)
        if key not in self._reports:
            text = write_report(self.analysis, fmt, None, max_chars=max_chars)
            assert text is not None
            self._reports[key] = text
        return self._reports[key]

    def close(self) -> None:
        self.analysis.close()


_RUNS: dict[Path, SampleRun] = {}


def sample_run(bundle: str | Path) -> SampleRun:
    """The session's analysis of a sample bundle (by name or folder), made on first use."""
    path = sample(bundle) if isinstance(bundle, str) else Path(bundle)
    run = _RUNS.get(path)
    if run is None:
        run = _RUNS[path] = SampleRun(path)
    return run


def close_all() -> None:
    """Close every cached analysis (end of the session)."""
    while _RUNS:
        _RUNS.popitem()[1].close()
