"""Benchmark of ``bundle-analyzer fleet``: bundles per minute in one process, on the local pool
and as Ray tasks on a local Ray, over the same bundles into fresh datasets.

    python3 benchmarks/fleet.py                       # sample_bundles/, every engine
    python3 benchmarks/fleet.py BUNDLE_OR_FOLDER...   # other bundles (folders of bundles too)
    python3 benchmarks/fleet.py --repeat 2 --no-ray

Prints one line per engine (wall time, bundles/min, speed-up over one process, wall and CPU
seconds per bundle inside the workers) and Ray's own cost (starting Ray, and the run beyond the
local pool's). benchmarks/README.md makes its estimate for a cluster from the CPU seconds per
bundle. A benchmark, not a test: nothing here is timed by the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analyzer.fleet.dataset import load  # noqa: E402
from analyzer.fleet.run import run_fleet  # noqa: E402


def _run(inputs: list[str], engine: str, jobs: int | None, scratch: Path,
         repeat: int) -> tuple[float, int, float, float]:
    """(best wall seconds, bundles analysed, mean wall and CPU seconds per bundle in the worker)."""
    best, analysed, per_bundle, cpu = float("inf"), 0, 0.0, 0.0
    for i in range(repeat):
        dataset = scratch / f"{engine}-{jobs}-{i}"
        start = time.perf_counter()
        run = run_fleet(inputs, dataset, engine=engine, jobs=jobs)
        wall = time.perf_counter() - start
        if wall < best:
            best, analysed = wall, run.analysed
            bundles = load(dataset, "bundles")
            per_bundle = float(bundles.get_column("seconds").mean() or 0.0)
            cpu = float(bundles.get_column("cpu_seconds").mean() or 0.0)
        shutil.rmtree(dataset)
    return best, analysed, per_bundle, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="*", default=[str(REPO / "sample_bundles")])
    ap.add_argument("--repeat", type=int, default=1, help="best of N runs per engine")
    ap.add_argument("--no-ray", action="store_true", help="leave the Ray engine out")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    rows = []
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        scratch = Path(tmp)
        serial = _run(args.inputs, "local", 1, scratch, args.repeat)
        rows.append(("one process", *serial))
        pool = _run(args.inputs, "local", None, scratch, args.repeat)
        rows.append((f"local pool ({cores} processes)", *pool))
        ray_start = None
        if not args.no_ray:
            try:
                import ray
            except ImportError:
                print("ray: not installed (pip install '.[ray]'); left out")
            else:
                t = time.perf_counter()
                ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False, configure_logging=False)
                ray_start = time.perf_counter() - t
                try:
                    rows.append((f"ray tasks ({cores} CPUs, Ray started)", *_run(args.inputs, "ray", None, scratch,
                                                                                 args.repeat)))
                finally:
                    ray.shutdown()
    n = rows[0][2]
    load_avg = os.getloadavg()[0]
    print(f"{n} bundles, {cores} cores, load average {load_avg:.1f} at the end")
    for name, wall, analysed, per_bundle, cpu in rows:
        print(f"{name:38s} {wall:7.1f} s  {analysed / wall * 60:7.1f} bundles/min  "
              f"x{rows[0][1] / wall:4.2f}  (per bundle in the worker: {per_bundle:.2f} s wall, {cpu:.2f} s CPU)")
    if ray_start is not None:
        ray_wall, pool_wall = rows[-1][1], rows[1][1]
        print(f"ray overhead: {ray_start:.1f} s to start a local Ray, then {ray_wall - pool_wall:+.1f} s "
              f"({(ray_wall - pool_wall) / max(n, 1):+.2f} s per bundle) beyond the local pool")


if __name__ == "__main__":
    main()
