"""The shipped sample and the generator: small, deterministic, real formats, crashes in the pod logs."""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from pathlib import Path

from analyzer.ft import read_scenarios, scenario_tables, summarize, summary_for_report
from tests.ft.ftexpect import SAMPLE
from tools.ftgen import generate


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def test_sample_is_small_and_clean():
    size = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert size < 2_000_000
    summary = summarize([SAMPLE])
    assert summary.groups == ["agg-tp-1-dp-1", "agg-tp-1-dp-2", "disagg-tp-1-dp-1", "disagg-tp-1-dp-2"]
    assert summary.warnings == [] and all(r.warnings == [] for r in summary.rows)
    assert all(r.recovery is not None for r in summary.rows if r.failure != "none")


def test_sample_pod_logs_show_the_oom_and_the_prefill_engine_death():
    oom = SAMPLE / "test_fault_scenario[agg-tp-1-dp-1-decode_worker]" / "VllmDecodeWorker"
    text = "".join(p.read_text() for p in oom.glob("*.previous.log"))
    assert "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate" in text
    assert "EngineCore failed to start." in text
    prefill = SAMPLE / "test_fault_scenario[disagg-tp-1-dp-1-vllm_prefill_engine_core]" / "VllmPrefillWorker"
    text = "".join(p.read_text() for p in prefill.glob("*.previous.log"))
    assert "vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue" in text
    assert "Engine core proc EngineCore_DP0 died unexpectedly" in text


def test_sample_files_are_in_the_real_formats():
    folder = SAMPLE / "test_fault_scenario[agg-tp-1-dp-1-frontend]"
    line = json.loads((folder / "client_0.log.txt").read_text().splitlines()[0])
    assert list(line) == ["time", "results", "total_time", "url", "pod"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line["time"])
    assert set(line["results"][0]) == {"status", "result", "request_elapsed_time", "url", "pod"}
    test_log = (folder / "test.log.txt").read_text().splitlines()
    assert all(re.match(r"^\[TEST\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d [A-Z]+ .+?: ", l) for l in test_log)
    assert any("Injecting failure for: Failure(time=10, pod_name='Frontend', command='dynamo.frontend', "
               "signal='SIGINT', replicas=1)" in l for l in test_log)
    fe = next((folder / "Frontend").glob("*[!s].log"))
    ready = [json.loads(l) for l in fe.read_text().splitlines() if '"added model"' in l]
    assert ready and ready[0]["time"].endswith("Z") and ready[0]["model_name"] == "Qwen/Qwen3-0.6B"


def test_shipped_sample_is_the_generator_output(tmp_path):
    import subprocess
    import sys

    from tests.ft.ftexpect import REPO
    from tools.ftgen import SAMPLE_ARGS

    subprocess.run([sys.executable, "-m", "tools.ftgen", "--out", str(tmp_path), *SAMPLE_ARGS],
                   cwd=REPO, check=True, capture_output=True)
    assert _tree_hash(tmp_path) == _tree_hash(SAMPLE)


def test_generator_is_deterministic(tmp_path):
    a = generate(tmp_path / "a", seed=5, clients=1, requests_per_client=30, deployments=("agg-tp-1-dp-2",))
    generate(tmp_path / "b", seed=5, clients=1, requests_per_client=30, deployments=("agg-tp-1-dp-2",))
    generate(tmp_path / "c", seed=6, clients=1, requests_per_client=30, deployments=("agg-tp-1-dp-2",))
    assert len(a) == 6
    assert _tree_hash(tmp_path / "a") == _tree_hash(tmp_path / "b") != _tree_hash(tmp_path / "c")


def test_tables_and_report_summary_from_an_archive(tmp_path):
    """The analyze pipeline hands over an ingested Bundle: archives work as folders do."""
    from analyzer.ingest import open_bundle

    archive = tmp_path / "ft.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(SAMPLE, arcname="ft-results")
    with open_bundle(str(archive)) as bundle:
        assert bundle.layout == "ft-results"
        scenarios = read_scenarios(bundle)
    tables = scenario_tables(scenarios)
    report = summary_for_report(scenarios)
    req = tables["ft_requests"]
    assert req.height == sum(1 for p in SAMPLE.rglob("client_*.log.txt") for l in p.read_text().splitlines()
                             for _ in json.loads(l)["results"])
    assert set(req.columns) >= {"group", "scenario", "failure", "client", "attempt", "time", "latency",
                                "status", "success", "error", "path", "line"}
    ev = tables["ft_events"]
    assert set(ev["kind"].unique()) >= {"deployment_start", "deployment_ready", "fault_injected", "ready"}
    assert report is not None and [g["group"] for g in report["groups"]][0] == "agg-tp-1-dp-1"
    assert report["layout"] == "k8s-jsonl" and "| Failure | Startup |" in report["markdown"]
    assert summary_for_report([]) is None
