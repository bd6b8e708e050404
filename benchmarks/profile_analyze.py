"""Where the time of one ``analyze`` goes: stages, matching steps, hot functions, hint rates.

    python3 benchmarks/profile_analyze.py BUNDLE                 # cProfile of analyze + JSON report
    python3 benchmarks/profile_analyze.py BUNDLE --hints 40      # also the 40 patterns whose hints hit most
    python3 benchmarks/profile_analyze.py BUNDLE --read-floor    # also reading and splitting alone
    python3 benchmarks/profile_analyze.py BUNDLE --no-profile    # stage timings only (no profiler)

First the stages are timed with no profiler attached (wall and CPU seconds of each entry point
the pipeline calls). Then the analysis runs again in this process under ``cProfile`` (the main
thread, wall clock; it inflates code made of many small Python calls, such as YAML
construction, so read its shares next to the plain stage timings), as
``analyze BUNDLE --format json`` does: load the library, open, parse, match (logs streamed by a
reader thread, then events and metrics), diagnose, build the result, redact, render JSON. It
prints:

- the stages and the steps of matching, each with its wall seconds and share of the whole; the
  main thread waiting on the reader thread is the reading and splitting that matching did not
  hide (``--read-floor`` measures reading and splitting alone, with no matching);
- self time by library (Polars kernels, the ``regex`` module, YAML, JSON, Jinja, the analyzer's
  own Python) and the top functions by self time;
- with ``--hints N``: for a sample of log lines, each log pattern's share of lines holding one of
  its hint literals against its share of lines its regex matches, and the share holding the
  literals the matcher prefilters it on (its hints or literals its regex requires, whichever the
  sample holds least): a prefilter far more frequent than its regex is what makes a pattern
  "broad" (its own pass over every batch).

The profiled analysis is the second in the process: one-time costs (compiling the library's
Python regexes, building the matching plan) show in the stage timings only. Names are looked up
by module and function; a stage renamed in the code prints ``-``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# (label, module path suffix, function); indented labels are parts of the stage above them
STEPS = (
    ("load the pattern library", "analyzer/library.py", "load_library"),
    ("open the bundle (ingest, layout, kinds)", "analyzer/ingest/bundle.py", "open_bundle"),
    ("parse the tables (objects, events, describe)", "analyzer/parse/__init__.py", "parse_bundle"),
    ("match (logs, then events and metrics)", "analyzer/match/__init__.py", "match_parsed"),
    ("  wait for the reader thread (read + split)", "analyzer/readahead.py", "__next__"),
    ("  plan (hint frequencies; made again on unlike batches)", "analyzer/match/plan.py", "replan"),
    ("  log batches", "analyzer/match/__init__.py", "_match_batch"),
    ("    logical lines (join continuations)", "analyzer/parse/logical.py", "logical_rows"),
    ("    unescaped records", "analyzer/parse/logical.py", "unescaped_rows"),
    ("    find hits, Polars", "analyzer/match/hits.py", "polars_hits"),
    ("    find hits, hyperscan", "analyzer/match/hyperscan_backend.py", "find_hits"),
    ("      hint pairs (Aho-Corasick extract_many)", "analyzer/match/plan.py", "hint_pairs"),
    ("      hint passes of broad patterns", "analyzer/match/plan.py", "hint_mask"),
    ("      regexes on (pattern, row) pairs", "analyzer/match/hits.py", "_apply_rule"),
    ("    hit rows", "analyzer/match/signals.py", "hit_rows"),
    ("    captures (Python regex)", "analyzer/match/signals.py", "with_captures"),
    ("    errors no pattern knows (collect)", "analyzer/match/__init__.py", "_collect_errors"),
    ("      ErrorLines.add", "analyzer/infer/lines.py", "add"),
    ("    annotate (time, record line)", "analyzer/match/__init__.py", "_annotate"),
    ("    compact per (pattern, object)", "analyzer/match/compact.py", "compact"),
    ("  events and metrics", "analyzer/match/__init__.py", "match_frame"),
    ("diagnose (checks, findings, correlation)", "analyzer/diagnose/__init__.py", "diagnose"),
    ("build the result", "analyzer/pipeline.py", "build_result"),
    ("redact the result", "analyzer/pipeline.py", "redact_result"),
    ("render the report (JSON)", "analyzer/pipeline.py", "write_report"),
)
# self time by library: (label, test on (file, function name))
LIBS = (
    ("Polars kernels (Rust)", lambda f, n: f == "~" and ("'builtins.Py" in n or "polars" in n)),
    ("Polars Python wrappers", lambda f, n: "/polars/" in f),
    ("regex module (captures, checks)", lambda f, n: "/regex/" in f or "_regex." in n),
    ("YAML", lambda f, n: "/yaml/" in f or "_yaml" in n or "yaml" in n.lower()),
    ("JSON", lambda f, n: "/json/" in f or "_json" in n),
    ("Jinja", lambda f, n: "/jinja2/" in f),
    ("the analyzer's Python", lambda f, n: "/analyzer/" in f),
    ("hyperscan", lambda f, n: "hyperscan" in f or "hyperscan" in n),
)


def _find(stats: pstats.Stats, suffix: str, func: str) -> tuple[float, int] | None:
    """(cumulative seconds, calls) of ``func`` defined in a file ending in ``suffix``."""
    best = None
    for (file, _, name), (cc, nc, tt, ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if name == func and file.replace("\\", "/").endswith(suffix):
            best = (ct + (best[0] if best else 0.0), nc + (best[1] if best else 0))
    return best


def _callees(stats: pstats.Stats, suffix: str, func: str) -> list[tuple[tuple, float, int]]:
    """The functions ``func`` calls directly: (key, cumulative seconds from it, calls), largest first."""
    out: dict[tuple, list[float]] = {}
    for key, callees in stats.all_callees.items():  # type: ignore[attr-defined]
        file, _, name = key
        if name != func or not file.replace("\\", "/").endswith(suffix):
            continue
        for callee, value in callees.items():
            nc, ct = value[1], value[3]
            acc = out.setdefault(callee, [0.0, 0])
            acc[0] += ct
            acc[1] += nc
    return sorted(((k, v[0], int(v[1])) for k, v in out.items()), key=lambda r: -r[1])


def profile(bundle: str, top: int) -> None:
    """Analyze ``bundle`` under cProfile and print the stage table and the hot functions."""
    from analyzer.pipeline import analyze_path, write_report

    prof = cProfile.Profile()
    start = time.perf_counter()
    cpu0 = time.process_time()
    prof.enable()
    with analyze_path(bundle) as analysis:
        write_report(analysis, "json", None)
        backend = _backend()
    prof.disable()
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    stats = pstats.Stats(prof)
    print(f"\n{bundle}: wall {wall:.2f} s, CPU {cpu:.2f} s (all threads), backend {backend}\n")
    print(f"{'stage or step (main thread)':<52}{'wall s':>9}{'share':>8}{'calls':>9}")
    for label, suffix, func in STEPS:
        got = _find(stats, suffix, func)
        if got is None:
            if "hyperscan" in label or "Polars" in label:
                continue
            print(f"{label:<52}{'-':>9}")
            continue
        print(f"{label:<52}{got[0]:>9.2f}{got[0] / wall:>8.1%}{got[1]:>9}")
    stats.calc_callees()
    for suffix, func in (("analyzer/parse/__init__.py", "parse_bundle"),
                         ("analyzer/match/__init__.py", "_match_batch"),
                         ("analyzer/match/hits.py", "polars_hits"),
                         ("analyzer/match/hyperscan_backend.py", "find_hits"),
                         ("analyzer/diagnose/__init__.py", "diagnose")):
        kids = _callees(stats, suffix, func)
        if kids:
            print(f"\n{func}: what it calls, by cumulative wall seconds")
            for (file, line, name), ct, nc in kids[:8]:
                where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if file != "~" else "~"
                print(f"  {ct:8.2f} s {ct / wall:6.1%} {nc:>8} calls  {name[:60]}  ({where})")
    by_lib = {name: 0.0 for name, _ in LIBS}
    rest = 0.0
    for (file, _, name), (cc, nc, tt, ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        f = file.replace("\\", "/")
        for lib, test in LIBS:
            if test(f, name):
                by_lib[lib] += tt
                break
        else:
            rest += tt
    print(f"\n{'self time by library (main thread)':<52}{'wall s':>9}{'share':>8}")
    for lib, tt in sorted(by_lib.items(), key=lambda kv: -kv[1]):
        print(f"{lib:<52}{tt:>9.2f}{tt / wall:>8.1%}")
    print(f"{'other (waits on the reader, stdlib, ...)':<52}{rest:>9.2f}{rest / wall:>8.1%}")
    print(f"\ntop {top} functions by self time (main thread)")
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]  # type: ignore[attr-defined]
    for (file, line, name), (cc, nc, tt, ct, callers) in rows:
        where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if file != "~" else "~"
        print(f"  {tt:8.2f} s {tt / wall:6.1%} {nc:>8} calls  {name[:70]}  ({where})")


def stage_times(bundle: str) -> None:
    """Wall and CPU seconds of each pipeline stage with no profiler attached (cProfile inflates
    code that makes many small Python calls, such as YAML construction): the stages' entry points
    as ``analyzer.pipeline`` calls them, wrapped in timers."""
    import analyzer.pipeline as pipeline

    times: list[tuple[str, float, float]] = []

    def timed(name: str, fn):
        def wrapper(*a, **kw):
            w, c = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **kw)
            finally:
                times.append((name, time.perf_counter() - w, time.process_time() - c))
        return wrapper

    stages = ("load_library", "open_bundle", "parse_bundle", "match_parsed", "diagnose", "build_result",
              "redact_result")
    saved = {name: getattr(pipeline, name) for name in stages if hasattr(pipeline, name)}
    for name, fn in saved.items():
        setattr(pipeline, name, timed(name, fn))
    try:
        w, c = time.perf_counter(), time.process_time()
        with pipeline.analyze_path(bundle) as analysis:
            timed("write_report (JSON)", pipeline.write_report)(analysis, "json", None)
        wall, cpu = time.perf_counter() - w, time.process_time() - c
    finally:
        for name, fn in saved.items():
            setattr(pipeline, name, fn)
    print(f"\n{bundle}: stages with no profiler: wall {wall:.2f} s, CPU {cpu:.2f} s (CPU counts all threads)")
    print(f"{'stage':<30}{'wall s':>9}{'share':>8}{'CPU s':>9}")
    for name, sw, sc in times:
        print(f"{name:<30}{sw:>9.2f}{sw / wall:>8.1%}{sc:>9.2f}")
    rest = wall - sum(sw for _, sw, _ in times)
    print(f"{'other':<30}{rest:>9.2f}{rest / wall:>8.1%}")


def _backend() -> str:
    try:
        from analyzer.match import backend_name
        return backend_name()
    except ImportError:  # pragma: no cover - renamed
        return "?"


def read_floor(bundle: str) -> None:
    """Read and split every log member into batches, nothing else: the floor under matching."""
    from analyzer.ingest import open_bundle
    from analyzer.parse import parse_bundle

    start, cpu0 = time.perf_counter(), time.process_time()
    rows = 0
    with open_bundle(bundle) as b:
        parsed = parse_bundle(b)
        t_parse = time.perf_counter() - start
        for batch in parsed.iter_log_batches(annotated=False):
            rows += batch.height
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    print(f"\nread + split alone: {rows:,} lines, wall {wall:.2f} s (open and parse {t_parse:.2f} s), CPU {cpu:.2f} s")


def hint_rates(bundle: str, top: int, sample_rows: int = 400_000) -> None:
    """Each log pattern's share of sampled lines holding a hint against its regex's share."""
    import polars as pl

    from analyzer.ingest import open_bundle
    from analyzer.library import load_library
    from analyzer.parse import parse_bundle

    batches = []
    with open_bundle(bundle) as b:
        parsed = parse_bundle(b)
        # every k-th line of the whole bundle, not its first files (about 200 bytes a line)
        every = max(1, sum(m.size or 0 for m in parsed.log_members()) // 200 // sample_rows)
        for batch in parsed.iter_log_batches(annotated=False):
            batches.append(batch.get_column("text").gather_every(every))
    text = pl.concat(batches)
    n = text.len()
    from analyzer.match.plan import Plan, hint_mask

    patterns = [p for p in load_library() if "log" in p.sources and p.hint]
    # the literals the matcher prefilters each pattern on, chosen as a plan chooses them
    plan = Plan.build(patterns, text.gather_every(max(1, n // 20_000)))
    rows = []
    for i, p in enumerate(patterns):
        hint = hint_mask(text, plan, i, own=True)
        nh = int(hint.sum())
        lits = plan.literals_of(i)
        npf = int(hint_mask(text, plan, i).sum()) if lits != p.hint else nh
        nr = int(text.filter(hint).str.contains(p.regex).sum()) if nh else 0
        rows.append((nh, nr, p.id, p.hint, npf, lits))
    rows.sort(key=lambda r: -r[0])
    any_hint = sum(r[0] for r in rows)
    print(f"\nhint literals on {n:,} sampled lines: {sum(1 for r in rows if r[0] > n * 0.01)} patterns' hints "
          f"hit more than 1% of lines, {sum(1 for r in rows if r[0])} hit at least one (sum of hint hits "
          f"{any_hint:,}, {any_hint / max(n, 1):.1f} per line)")
    print(f"{'pattern':<10}{'hint %':>9}{'regex %':>9}{'prefilter %':>13}  hints -> the literals prefiltered on")
    for nh, nr, pid, hints, npf, lits in rows[:top]:
        used = "" if lits == hints else " -> " + ", ".join(repr(h) for h in lits)
        print(f"{pid:<10}{nh / n:>9.2%}{nr / n:>9.3%}{npf / n:>13.3%}  {(', '.join(repr(h) for h in hints) + used)[:120]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bundle")
    ap.add_argument("--top", type=int, default=25, help="functions to list by self time")
    ap.add_argument("--hints", type=int, default=0, metavar="N", help="list the N patterns whose hints hit most")
    ap.add_argument("--read-floor", action="store_true", help="also time reading and splitting alone")
    ap.add_argument("--no-profile", action="store_true", help="skip the profiled analysis")
    ap.add_argument("--no-stages", action="store_true", help="skip the stage timings without a profiler")
    args = ap.parse_args(argv)
    if not Path(args.bundle).exists():
        print(f"error: {args.bundle}: no such file or directory", file=sys.stderr)
        return 2
    if not args.no_stages:
        stage_times(args.bundle)
    if not args.no_profile:
        profile(args.bundle, args.top)
    if args.read_floor:
        read_floor(args.bundle)
    if args.hints:
        hint_rates(args.bundle, args.hints)
    return 0


if __name__ == "__main__":
    sys.exit(main())
