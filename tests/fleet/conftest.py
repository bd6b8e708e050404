"""Fixtures of the fleet tests: every sample bundle plus a damaged one (a download cut short),
analysed once into a dataset by the local pool, and what ``analyze --format json`` says of each."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import main
from testkit.samples import SAMPLES, sample_dirs, sample_run


def sample_bundles() -> list[Path]:
    return sample_dirs()


def damaged_bundle(folder: Path) -> Path:
    """A sample packed as .tar.gz, then cut after 200 bytes (a download that stopped at once):
    gzip ends before its end marker and no file of the bundle is in what came. A cut further on
    would still give the files before it, and ``analyze`` would diagnose those (with the cut as a
    read error); this one it refuses, so the fleet has a bundle that fails."""
    whole = folder / "whole.tar.gz"
    with tarfile.open(whole, "w:gz") as tf:
        tf.add(SAMPLES / "multi-fault", arcname="multi-fault")
    damaged = folder / "damaged.tar.gz"
    damaged.write_bytes(whole.read_bytes()[:200])
    whole.unlink()
    return damaged


def fleet(*args: str) -> tuple[int, str, str]:
    """``bundle-analyzer fleet ARGS`` in this process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, ["fleet", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="session")
def analyze_json() -> dict[str, dict]:
    """``analyze --format json`` of every sample bundle, by its path as given: the session's
    analysis of each (``testkit.samples``, the report ``analyze`` writes)."""
    return {str(bundle): json.loads(sample_run(bundle).report("json")) for bundle in sample_bundles()}


@pytest.fixture(scope="session")
def sample_dataset(tmp_path_factory) -> tuple[Path, Path, str, str]:
    """(dataset, damaged bundle, stdout of the first run, stdout of the rerun)."""
    work = tmp_path_factory.mktemp("fleet")
    damaged = damaged_bundle(work)
    dataset = work / "dataset"
    inputs = [str(p) for p in sample_bundles()] + [str(damaged)]
    code, first, err = fleet(*inputs, "-o", str(dataset), "--jobs", "2")
    assert code == 0, err
    code, again, err = fleet(*inputs, "-o", str(dataset), "--jobs", "2")
    assert code == 0, err
    return dataset, damaged, first, again
