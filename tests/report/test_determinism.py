"""Same input, same bytes: times come from the bundle, never the clock, the time zone or hash order.

The sample-bundle checks compare the session's in-process run (``testkit.samples``) with a
second run in a fresh interpreter that has another hash seed and another time zone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.report import render
from testkit.samples import sample_dirs, sample_run

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = sample_dirs()

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


# two runs of the whole analysis cost time: the multi-fault and a healthy bundle show it
TWICE = [b for b in BUNDLES if b.name == "multi-fault" or b.name.startswith("healthy")]


def test_the_twice_checked_bundles_are_there():
    assert {b.name for b in TWICE} >= {"multi-fault", "healthy-dynamo-agg"}


@pytest.mark.parametrize("bundle", TWICE, ids=[b.name for b in TWICE])
def test_analyze_twice_gives_identical_bytes(bundle):
    first = sample_run(bundle)
    proc = subprocess.run([sys.executable, "-c", _ANALYZE, str(bundle)], cwd=ROOT,
                          env=_fresh_env("4242", "Asia/Kolkata"), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    second = json.loads(proc.stdout)
    for fmt in ("md", "html", "json"):
        assert second[fmt] == first.report(fmt), f"{fmt} differs between runs"


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_max_chars_4000_keeps_the_ranked_root_causes(bundle):
    run = sample_run(bundle)
    cut = run.report("md", max_chars=4000)
    assert len(cut) <= 4000
    assert cut.count("```") % 2 == 0
    if len(run.report("md")) > 4000:
        assert "(--max-chars)" in cut.splitlines()[-1]
    for rank, rc in enumerate(run.result["root_causes"], start=1):
        assert f"| {rank} | **{rc['severity']}** | {rc['id']} " in cut, rc["id"]
