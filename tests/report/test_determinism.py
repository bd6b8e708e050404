"""Same input, same bytes: times come from the bundle, never the clock, the time zone or hash order.

The sample-bundle checks run once `analyze` exists; they compare an in-process run with a
second run in a fresh interpreter that has another hash seed and another time zone.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.report import render

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_bundles"
BUNDLES = sorted(p for p in SAMPLES.iterdir() if p.is_dir()) if SAMPLES.is_dir() else []

_RENDER_SAMPLES = """
import hashlib, sys
sys.path.insert(0, {here!r})
from report_samples import multi_fault_gpu, multi_fault_result, multi_fault_tables
from analyzer.report import render
for fmt in ("md", "html"):
    text = render(multi_fault_result(), multi_fault_tables(), multi_fault_gpu(), fmt)
    print(fmt, hashlib.sha256(text.encode()).hexdigest())
"""

_ANALYZE = """
import json, sys
from analyzer.pipeline import analyze_path, write_report
with analyze_path(sys.argv[1]) as a:
    out = {fmt: write_report(a, fmt, None) for fmt in ("md", "html", "json")}
json.dump(out, sys.stdout)
"""


def _fresh_env(seed: str, tz: str) -> dict[str, str]:
    return {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz, "PYTHONPATH": str(ROOT)}


def test_rendering_ignores_hash_seed_and_time_zone():
    here = str(Path(__file__).parent)
    runs = [subprocess.run([sys.executable, "-c", _RENDER_SAMPLES.format(here=here)], cwd=ROOT,
                           env=_fresh_env(seed, tz), capture_output=True, text=True, check=True).stdout
            for seed, tz in (("1", "UTC"), ("2", "America/Los_Angeles"))]
    assert runs[0] == runs[1] and runs[0].count("\n") == 2


def test_in_process_renders_are_identical(multi_fault):
    for fmt in ("md", "html"):
        assert render(*multi_fault, fmt) == render(*multi_fault, fmt)


def _can_analyze() -> bool:
    try:
        from analyzer.pipeline import analyze_path, write_report  # noqa: F401
    except Exception:  # the pipeline is being assembled by other work
        return False
    return True


needs_analyze = pytest.mark.skipif(not (BUNDLES and _can_analyze()),
                                   reason="`analyze` or sample_bundles/ not there yet")


@functools.lru_cache(maxsize=None)
def _analyzed(bundle: Path) -> dict:
    from analyzer.pipeline import analyze_path, write_report

    with analyze_path(str(bundle)) as a:
        return {"result": a.result,
                **{fmt: write_report(a, fmt, None) for fmt in ("md", "html", "json")},
                "cut": write_report(a, "md", None, max_chars=4000)}


# two runs of the whole analysis cost time: the multi-fault and a healthy bundle show it
TWICE = [b for b in BUNDLES if b.name == "multi-fault" or b.name.startswith("healthy")] or BUNDLES[:1]


@needs_analyze
@pytest.mark.parametrize("bundle", TWICE, ids=[b.name for b in TWICE])
def test_analyze_twice_gives_identical_bytes(bundle):
    _analyzed.cache_clear()
    first = _analyzed(bundle)
    proc = subprocess.run([sys.executable, "-c", _ANALYZE, str(bundle)], cwd=ROOT,
                          env=_fresh_env("4242", "Asia/Kolkata"), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    second = json.loads(proc.stdout)
    for fmt in ("md", "html", "json"):
        assert second[fmt] == first[fmt], f"{fmt} differs between runs"


@needs_analyze
@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_max_chars_4000_keeps_the_ranked_root_causes(bundle):
    run = _analyzed(bundle)
    cut = run["cut"]
    assert len(cut) <= 4000
    assert cut.count("```") % 2 == 0
    if len(run["md"]) > 4000:
        assert "(--max-chars)" in cut.splitlines()[-1]
    for rank, rc in enumerate(run["result"]["root_causes"], start=1):
        assert f"| {rank} | **{rc['severity']}** | {rc['id']} " in cut, rc["id"]
