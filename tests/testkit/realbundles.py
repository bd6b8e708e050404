"""Where the published bundles of other collectors are: one answer for every test that reads them.

They live in ``shared/realbundles`` beside the repository (``../shared/realbundles`` from the main
checkout; a git worktree, a folder one level deeper or a local clone elsewhere finds it beside a
parent folder, the main checkout or the clone's origin), or wherever
``$BUNDLE_ANALYZER_REALBUNDLES`` points. They are data this project did not write: a test that
needs them and cannot find them fails and says where it looked, never skips, since it would
otherwise pass on nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
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


# ------------------------------------------------------------------ one copy per test session
# Unpacking a must-gather takes seconds and analysing one tens of seconds: each is done once per
# session, by whichever test process (pytest-xdist worker) needs it first, under a file lock in the
# folder the workers share; the others wait for it and read what it left there.


def _shared_root(factory: pytest.TempPathFactory) -> Path:
    """A folder all processes of this test session share (pytest-xdist gives each worker its own
    base temporary folder below one per session)."""
    base = factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "realbundles-shared"
    root.mkdir(exist_ok=True)
    return root


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def unpacked(name: str, factory: pytest.TempPathFactory) -> Path:
    """The folder the archive of ``name`` unpacks to (tarfile's safe 'data' filter, as a user
    would), made once per session. Tests read it, never write into it."""
    root = _shared_root(factory)
    dest = root / "unpacked" / name
    with _locked(root / f"{name}.unpack.lock"):
        if not (root / f"{name}.unpacked").is_file():
            shutil.rmtree(dest, ignore_errors=True)     # a worker that died half-way
            with tarfile.open(archive(name)) as tar:
                tar.extractall(dest, filter="data")
            (root / f"{name}.unpacked").touch()
    return dest


def _compute(source: Path) -> tuple[dict, dict[str, pl.DataFrame]]:
    from analyzer.pipeline import analyze_path

    from testkit.samples import library

    with analyze_path(str(source), library()) as a:
        result = json.loads(json.dumps(a.result))
        tables = dict(a.parsed.tables)
        tables["read_errors"] = a.parsed.read_errors()
        # logs left inside a compressed archive are streamed after those on disk (one more pass
        # over the archive, see analyzer.ingest): the same rows, in another order
        tables["log_lines"] = pl.concat(list(a.parsed.iter_log_batches()), how="vertical_relaxed").sort(
            "path", "line", maintain_order=True)
        tables["signals"] = a.signals
    return result, tables


def analysis(name: str, form: str, factory: pytest.TempPathFactory) -> tuple[dict, dict[str, pl.DataFrame]]:
    """``analyze`` of published bundle ``name`` as published (``form="published"``, the archive)
    or unpacked (``"unpacked"``): (JSON result, every table, the log lines sorted by path and
    line, the read errors and the signals). Made once per session; the tables go through Arrow IPC
    files (lossless), the result through JSON, as ``analyze --format json`` writes it."""
    assert form in ("published", "unpacked"), form
    root = _shared_root(factory)
    source = archive(name) if form == "published" else unpacked(name, factory)
    where = root / "analysis" / f"{name}.{form}"
    with _locked(root / f"{name}.{form}.lock"):
        if not (where / "result.json").is_file():
            shutil.rmtree(where, ignore_errors=True)
            result, tables = _compute(source)
            (where / "tables").mkdir(parents=True)
            for table, df in tables.items():
                df.write_ipc(where / "tables" / f"{table}.arrow")
            (where / "result.json").write_text(json.dumps(result))   # written last: the mark of done
    tables = {p.stem: pl.read_ipc(p) for p in sorted((where / "tables").glob("*.arrow"))}
    return json.loads((where / "result.json").read_text()), tables
