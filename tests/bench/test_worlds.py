"""The benchmark worlds: the wildgen generator (deterministic, both layouts read as intended,
never shaped by the pattern library) and the run's helpers (ripgrep reference patterns, the
per-pattern count check over several bundles at once)."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.ingest import open_bundle
from tools.wildgen import generate, plan

REPO = Path(__file__).resolve().parents[2]


def _run_module():
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "benchmarks" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod   # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", 2 << 20, seed=5)
    b = generate(tmp_path / "b", 2 << 20, seed=5)
    c = generate(tmp_path / "c", 2 << 20, seed=6)
    assert _digest(a) == _digest(b) != _digest(c)


def test_plain_layout_is_a_folder_of_logs(tmp_path: Path) -> None:
    root = generate(tmp_path / "w", 3 << 20, seed=1)
    files = [p for p in root.rglob("*") if p.is_file()]
    assert 2_500_000 < sum(f.stat().st_size for f in files) < 3_800_000
    with open_bundle(str(root)) as bundle:
        assert bundle.layout == "loose"
        # every file is read as a log (so rg and the analyzer read the same lines)
        assert {m.kind for m in bundle.members} <= {"log", "log_multi", "text"}
    cri = [f for f in files if f.parts[-4] == "pods"]
    journal = [f for f in files if "journal" in f.parts]
    assert cri and journal
    first = cri[0].read_text(encoding="utf-8").splitlines()[0]
    assert first.split(" ")[1] in ("stdout", "stderr") and first.split(" ")[2] in ("F", "P")
    assert journal[0].read_text(encoding="utf-8").startswith("-- Logs begin at ")


def test_long_lines_split_into_cri_partials(tmp_path: Path) -> None:
    root = generate(tmp_path / "w", 6 << 20, seed=2)
    partial = 0
    for f in root.joinpath("pods").rglob("*.log"):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.split(" ", 3)[2:3] == ["P"]:
                partial += 1
                assert len(line.split(" ", 3)[3].encode("utf-8")) <= 16 * 1024
    assert partial   # the gateway's inline images are longer than containerd's 16 KiB


def test_collector_layout(tmp_path: Path) -> None:
    root = generate(tmp_path / "w", 3 << 20, seed=1, layout="collector")
    with open_bundle(str(root)) as bundle:
        assert bundle.layout == "collector"
        logs = [m for m in bundle.members if m.kind == "log"]
        assert logs and all(m.meta.get("namespace") and m.meta.get("pod") for m in logs)
    line = next(root.joinpath("namespaces").rglob("*.log")).read_text(encoding="utf-8").splitlines()[0]
    assert line[:4].isdigit() and line[10] == "T" and " stdout " not in line[:45]


def test_mix_many_small_few_huge() -> None:
    _, streams = plan(1 << 30, 1, "plain")
    sizes = sorted(s.target for s in streams)
    assert len(streams) > 2000
    assert sum(1 for t in sizes if t < 64 << 10) > 1500          # many small files
    assert sum(sizes[-3:]) > 0.35 * sum(sizes)                   # few huge ones


def test_generator_never_reads_the_pattern_library(tmp_path: Path) -> None:
    code = ("import sys; from tools.wildgen import generate; "
            f"generate({str(tmp_path / 'w')!r}, 1 << 20, 1); "
            f"generate({str(tmp_path / 'c')!r}, 1 << 20, 1, 'collector'); "
            "print(sorted(m for m in sys.modules if m.startswith('analyzer.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "analyzer.library" not in out and "analyzer.match" not in out


def test_reference_patterns_use_ascii_word_boundaries(tmp_path: Path) -> None:
    run = _run_module()
    src = tmp_path / "p.txt"
    src.write_text("(?:\\bKilled\\b)\n(?:a\\\\b)\n(?i:x\\B)\n")
    out = run.ascii_boundaries(src, tmp_path / "q.txt").read_text().splitlines()
    assert out == ["(?:(?-u:\\b)Killed(?-u:\\b))", "(?:a\\\\b)", "(?i:x(?-u:\\B))"]


@pytest.mark.skipif(shutil.which("rg") is None, reason="needs ripgrep")
def test_rg_counts_per_bundle(tmp_path: Path) -> None:
    run = _run_module()
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("error one\nfine\nerror two\n")
    b.write_text("error three\n")
    got = run.rg_counts([[a], [b]], [("E", "error"), ("F", "fine"), ("N", "nothing")])
    assert got == [{"E": 2, "F": 1, "N": 0}, {"E": 1, "F": 0, "N": 0}]


def test_every_failure_kind_is_written(tmp_path: Path) -> None:
    root = generate(tmp_path / "w", 6 << 20, seed=1)
    text = "\n".join(f.read_text(encoding="utf-8") for f in root.rglob("*.log"))
    # one of each component's failures, in the streams the plan picked
    for either in (("Watchdog caught collective operation timeout", "torch.OutOfMemoryError: CUDA out of memory"),
                   ("PullImage from image service failed", 'probeType="Readiness"'),
                   ("NVRM: Xid", "Memory cgroup out of memory: Killed process"),
                   ("huggingface_hub.errors.GatedRepoError",), ("upstream timed out (110",)):
        assert any(s in text for s in either), either
