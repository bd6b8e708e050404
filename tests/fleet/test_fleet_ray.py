"""``fleet --engine ray``: the same per-bundle function as Ray tasks on a local Ray this test
starts writes the same rows as the local pool. Skipped only when Ray (the ``[ray]`` extra) is not
installed; CI installs it."""

from __future__ import annotations

import polars as pl
import pytest

from analyzer.fleet.dataset import load

from conftest import SAMPLES, fleet

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed (pip install '.[ray]')")

COLUMNS = ("bundle_id", "rank", "category", "severity", "state", "finding_id", "title", "summary")


@pytest.fixture(scope="module")
def local_ray():
    # two CPUs: this machine's cores are shared; no dashboard, nothing listening outside
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_ray_engine_writes_the_local_pools_rows(local_ray, sample_dataset):
    dataset, damaged, _, _ = sample_dataset
    inputs = [str(SAMPLES / "multi-fault"), str(SAMPLES / "ft-results"), str(damaged)]
    out = dataset.parent / "ray-dataset"
    code, text, err = fleet(*inputs, "-o", str(out), "--engine", "ray")
    assert code == 0, err
    assert text.startswith("3 bundle(s): 3 analysed (2 ok, 1 failed)")
    assert ray.is_initialized()   # the engine used the Ray it found and left it running
    for table, columns in (("root_causes", COLUMNS), ("bundles", ("bundle_id", "input", "status", "error"))):
        mine = load(out, table).select(columns).sort(columns[:3])
        pool = load(dataset, table).filter(pl.col("input").is_in(inputs)).select(columns).sort(columns[:3])
        assert mine.rows() == pool.rows(), table
    code, text, err = fleet(*inputs, "-o", str(out), "--engine", "ray")
    assert code == 0, err
    assert text.startswith("3 bundle(s): 0 analysed (0 ok, 0 failed), 3 already in the dataset")

