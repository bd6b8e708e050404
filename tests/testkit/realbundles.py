"""Where the published bundles of other collectors are: one answer for every test that reads them.

They live in ``shared/realbundles`` beside the repository (``../shared/realbundles`` from the main
checkout; a git worktree, a folder one level deeper or a local clone elsewhere finds it beside a
parent folder, the main checkout or the clone's origin), or wherever
``$BUNDLE_ANALYZER_REALBUNDLES`` points. They are data this project did not write: a test that
needs them and cannot find them fails and says where it looked, never skips, since it would
otherwise pass on nothing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENV = "BUNDLE_ANALYZER_REALBUNDLES"
# each published bundle and its archive as published
ARCHIVES = {"must-gather-aws": "must-gather-aws.tar.xz", "must-gather-azure": "must-gather-azure.tar.xz",
            "sbctl-support-bundle": "sbctl-support-bundle.tar.gz", "troubleshoot-k3s": "troubleshoot-k3s.tar.gz"}
# the layout each one is read as
LAYOUTS = {"must-gather-aws": "must-gather", "must-gather-azure": "must-gather",
           "sbctl-support-bundle": "troubleshoot", "troubleshoot-k3s": "troubleshoot"}


def _candidates() -> list[Path]:
    named = os.environ.get(ENV)
    if named:
        return [Path(named)]
    found = [p / "shared" / "realbundles" for p in REPO.parents]
    # a git worktree: beside the main checkout; a clone (git clone . /tmp/x): beside its origin
    for argv in (["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                 ["git", "config", "--get", "remote.origin.url"]):
        try:
            where = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        where = where.removeprefix("file://")
        if where.startswith("/"):
            found += [p / "shared" / "realbundles" for p in Path(where).parents]
    return list(dict.fromkeys(found))


def realbundles_dir() -> Path:
    """The folder of published archives; fails the calling test when there is none."""
    candidates = _candidates()
    for c in candidates:
        if c.is_dir():
            return c
    pytest.fail(f"the published bundles are missing: none of {', '.join(map(str, candidates[:4]))} exists "
                f"(set {ENV} to their folder)")


def archive(name: str) -> Path:
    """The archive of one published bundle; fails the calling test when it is not there."""
    path = realbundles_dir() / ARCHIVES[name]
    if not path.is_file():
        pytest.fail(f"published bundle missing: {path}")
    return path
