"""The published bundles of other collectors (``../shared/realbundles``), unpacked once per run.

They are data the project did not write: the test of whether the analyzer reads real
collectors' output. A missing archive fails the test that needs it (never a skip): without them
these tests would pass on nothing.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from analyzer.ingest import open_bundle
from analyzer.parse import Parsed, parse_bundle

REPO = Path(__file__).resolve().parents[2]
ARCHIVES = {"must-gather-aws": "must-gather-aws.tar.xz", "must-gather-azure": "must-gather-azure.tar.xz",
            "sbctl-support-bundle": "sbctl-support-bundle.tar.gz", "troubleshoot-k3s": "troubleshoot-k3s.tar.gz"}


def realbundles_dir() -> Path:
    """``../shared/realbundles`` beside the repository (from a git worktree: beside its main
    checkout), or ``$BUNDLE_ANALYZER_REALBUNDLES``."""
    candidates = [Path(os.environ["BUNDLE_ANALYZER_REALBUNDLES"])] if os.environ.get("BUNDLE_ANALYZER_REALBUNDLES") else []
    candidates.append(REPO.parent / "shared" / "realbundles")
    try:
        common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout.strip()
        candidates.append(Path(common).parent.parent / "shared" / "realbundles")
    except (OSError, subprocess.CalledProcessError):
        pass
    for c in candidates:
        if c.is_dir():
            return c
    pytest.fail(f"the published bundles are missing: none of {', '.join(map(str, candidates))} exists")


def archive(name: str) -> Path:
    """The published archive of one bundle; the test fails when it is not there."""
    path = realbundles_dir() / ARCHIVES[name]
    if not path.is_file():
        pytest.fail(f"published bundle missing: {path}")
    return path


@pytest.fixture(scope="session")
def published() -> Callable[[str], Path]:
    """``published(name)``: the archive as its project published it."""
    return archive


@pytest.fixture(scope="session")
def realbundle(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``realbundle(name)``: the folder the archive unpacks to (unpacked once per session)."""
    unpacked: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in unpacked:
            dest = tmp_path_factory.mktemp(name)
            with tarfile.open(archive(name)) as tar:
                tar.extractall(dest, filter="data")
            unpacked[name] = dest
        return unpacked[name]

    return get


@pytest.fixture(scope="session")
def parsed_real(realbundle: Callable[[str], Path]) -> Iterator[Callable[[str], Parsed]]:
    """``parsed_real(name)``: the unpacked bundle opened and parsed (once per session)."""
    done: dict[str, Parsed] = {}

    def get(name: str) -> Parsed:
        if name not in done:
            done[name] = parse_bundle(open_bundle(realbundle(name)))
        return done[name]

    yield get
    for parsed in done.values():
        parsed.bundle.close()
