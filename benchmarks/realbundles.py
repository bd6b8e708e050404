"""Benchmark: ``analyze`` on the bundles other projects published (``../shared/realbundles``).

    python3 benchmarks/realbundles.py                       # the four bundles, unpacked
    python3 benchmarks/realbundles.py --bundle must-gather-aws --repeat 3
    python3 benchmarks/realbundles.py --archives            # also each archive as published
    python3 benchmarks/realbundles.py --format md           # the Markdown report instead of JSON
    python3 benchmarks/realbundles.py --unpacked /work/rb --checkout ../main   # another checkout, same inputs

Each archive is unpacked once into ``--out`` (default ``benchmarks/out/realbundles``, gitignored),
unless ``--unpacked DIR`` already holds it as ``DIR/<bundle>``. ``--checkout`` times another
checkout of the analyzer (a branch before a change) on the same inputs.
For each bundle it runs ``python3 -m analyzer analyze BUNDLE --format json -o /dev/null`` and
prints one line: CPU seconds (user + system of the process, which is what a shared machine
cannot steal; the best of ``--repeat`` runs), peak RSS and wall time. The YAML-heavy
must-gathers have a target: under 4 CPU-seconds each (PASS/FAIL; exit status 1 on a FAIL).
Another engineer's ``benchmarks/run.py --world realbundles`` times the same bundles beside
ripgrep; this script is the per-bundle CPU and memory line.

This is a benchmark, not a test: nothing here is timed by the test suite.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from run import default_realbundles  # the same folder benchmarks/run.py's realbundles world reads

REPO = Path(__file__).resolve().parents[1]
ARCHIVES = {"must-gather-aws": "must-gather-aws.tar.xz", "must-gather-azure": "must-gather-azure.tar.xz",
            "sbctl-support-bundle": "sbctl-support-bundle.tar.gz", "troubleshoot-k3s": "troubleshoot-k3s.tar.gz"}
CPU_TARGET = {"must-gather-aws": 4.0, "must-gather-azure": 4.0}


@dataclass
class Run:
    cpu: float     # user + system seconds
    rss_mb: float  # peak resident set
    wall: float
    code: int


def unpacked(archive: Path, out: Path) -> Path:
    """The folder ``archive`` unpacks to, unpacked once (a stamp file marks a finished one)."""
    dest = out / archive.name.split(".tar")[0]
    stamp = dest / ".unpacked"
    if not stamp.exists():
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
        stamp.write_text(archive.name + "\n")
    return dest


def measure(python: str, bundle: Path, fmt: str, checkout: Path = REPO) -> Run:
    """One ``analyze`` run of ``checkout``'s analyzer as a child process, with its own resource
    usage (``wait4``)."""
    start = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(checkout))
    proc = subprocess.Popen([python, "-m", "analyzer", "analyze", str(bundle.resolve()), "--format", fmt,
                             "-o", os.devnull], cwd=checkout, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if proc.stderr is not None:
        proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, wall, proc.returncode)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, default=None, help="folder of the published archives")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "realbundles")
    ap.add_argument("--bundle", action="append", choices=sorted(ARCHIVES), help="only these (repeatable)")
    ap.add_argument("--format", default="json", choices=["json", "md", "html"])
    ap.add_argument("--repeat", type=int, default=1, help="runs per bundle; the best CPU time is kept")
    ap.add_argument("--archives", action="store_true", help="also analyze each archive as published")
    ap.add_argument("--python", default=sys.executable, help="the interpreter to run the analyzer with")
    ap.add_argument("--unpacked", type=Path, default=None, help="folder already holding each bundle unpacked")
    ap.add_argument("--checkout", type=Path, default=REPO, help="the analyzer checkout to time (default: this one)")
    args = ap.parse_args(argv)
    source = args.source or default_realbundles()
    names = args.bundle or sorted(ARCHIVES)
    missing = [n for n in names if not (source / ARCHIVES[n]).is_file()]
    if missing:
        print(f"error: published bundles missing in {source}: {', '.join(missing)}", file=sys.stderr)
        return 2
    failed = False
    print(f"{'bundle':<34} {'input':<9} {'CPU s':>7} {'peak RSS':>10} {'wall s':>7}  target")
    for name in names:
        ready = args.unpacked / name if args.unpacked is not None else None
        folder = ready if ready is not None and ready.is_dir() else unpacked(source / ARCHIVES[name], args.out)
        inputs = [("unpacked", folder)]
        if args.archives:
            inputs.append(("archive", source / ARCHIVES[name]))
        for label, path in inputs:
            runs = [measure(args.python, path, args.format, args.checkout.resolve())
                    for _ in range(max(1, args.repeat))]
            best = min(runs, key=lambda r: r.cpu)
            target = CPU_TARGET.get(name)
            if best.code != 0:
                verdict, failed = f"FAIL (exit {best.code})", True
            elif target is None:
                verdict = "INFO"
            elif best.cpu < target:
                verdict = f"PASS (< {target:g} CPU-s)"
            else:
                verdict, failed = f"FAIL (>= {target:g} CPU-s)", True
            print(f"{name:<34} {label:<9} {best.cpu:>7.2f} {best.rss_mb:>7.0f} MB {best.wall:>7.1f}  {verdict}")
    try:
        load = os.getloadavg()[0]
        print(f"(load average {load:.1f} on {os.cpu_count()} CPUs: CPU seconds rise a little on a busy machine)")
    except OSError:
        pass
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
