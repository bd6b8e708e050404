"""`bundle-analyzer redact`: the planted-secrets bundle comes out clean, same layout, mapping private."""

from __future__ import annotations

import gzip
import json
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from analyzer.ingest import open_bundle
from analyzer.redact import redact_bundle
from analyzer.redact import members as members_mod
from analyzer.redact.members import container_kind

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "sample_bundles" / "planted-secrets"
sys.path.insert(0, str(ROOT))
from tools.make_secrets_bundle import HF_TOKEN, PLANTED, WRAPPED  # noqa: E402
from tests.redact.archives import unpacked  # noqa: E402


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def tree_blob(path: Path) -> bytes:
    """Every file's name and bytes, compressed attachments opened."""
    return b"\n".join(name.encode() + b"\n" + unpacked(data) for name, data in tree_bytes(path).items())


def pieces(value: str) -> tuple[str, ...]:
    return WRAPPED.get(value, (value,))


def tree_bytes(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
    with tarfile.open(path) as tf:
        return {m.name.split("/", 1)[1]: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}


@pytest.fixture(scope="module")
def redacted(tmp_path_factory):
    """``bundle-analyzer redact`` of the planted-secrets sample, in-process (what it writes and
    prints is under test; exit codes and one-line errors of the command are, in a process of its
    own, in test_refuses_to_overwrite_or_write_into_the_input)."""
    from click.testing import CliRunner

    from analyzer.cli import main

    out = tmp_path_factory.mktemp("redact") / "planted-redacted"
    proc = CliRunner().invoke(main, ["redact", str(BUNDLE), "-o", str(out)])
    assert proc.exit_code == 0, proc.output
    return out, proc


def test_every_planted_secret_is_in_the_sample():
    original = tree_blob(BUNDLE)
    for det, value, where in PLANTED:
        assert all(p.encode() in original for p in pieces(value)), f"{det} value not planted ({where})"


def test_no_planted_secret_survives_and_each_is_counted(redacted):
    out, proc = redacted
    blob = tree_blob(out)
    report = json.loads(Path(f"{out}.redaction-report.json").read_text())
    counts = {d["id"]: d["count"] for d in report["detectors"]}
    for det, value, where in PLANTED:
        assert not any(p.encode() in blob for p in pieces(value)), f"{det} secret from {where} leaked"
        assert counts.get(det, 0) >= 1, f"{det} ({where}) not counted"
        assert f"  {det}  " in proc.stdout
    assert b"hf_" + HF_TOKEN[3:].encode() not in blob
    # the report itself names places, never values
    assert not any(p in Path(f"{out}.redaction-report.json").read_text() for _, v, _ in PLANTED for p in pieces(v))


def test_report_lists_file_and_line(redacted):
    out, proc = redacted
    report = json.loads(Path(f"{out}.redaction-report.json").read_text())
    locs = {(loc["path"], loc["line"], loc["detector"]) for loc in report["locations"]}
    assert ("namespaces/llm/logs/llama-8b-6d5f8c7b9d-x2k4p/vllm.previous.log", 1, "SEC001") in locs
    assert ("attachments/hf-token-secret.yaml", 3, "SEC011") in locs
    assert "namespaces/llm/logs/llama-8b-6d5f8c7b9d-x2k4p/vllm.previous.log:1  SEC001 x1" in proc.stdout


def renamed(out: Path) -> dict[str, str]:
    """Input path -> output path: a secret in a file or folder name becomes its pseudonym."""
    mapping = json.loads(Path(f"{out}.mapping.private.json").read_text())["pseudonyms"]
    names = {}
    for path in tree_bytes(BUNDLE):
        new = path
        for pseudonym, value in sorted(mapping.items(), key=lambda kv: -len(kv[1])):
            new = new.replace(value, pseudonym)
        names[path] = new
    return names


def test_same_layout_same_lines_and_valid_json(redacted):
    out, _ = redacted
    before, after = tree_bytes(BUNDLE), tree_bytes(out)
    names = renamed(out)
    assert sorted(names.values()) == sorted(after)
    assert any(a != b for a, b in names.items()), "the sample has a file named after a token"
    changed = [p for p in before if before[p] != after[names[p]]]
    assert "namespaces/llm/pods.json" in changed and "cluster/nodes.json" not in changed
    for path in before:
        if container_kind(before[path][:8192]) is None:
            assert before[path].count(b"\n") == after[names[path]].count(b"\n"), path
        if path.endswith(".json"):
            json.loads(after[path])
    with open_bundle(out) as b:
        assert b.layout == "collector"
        assert b.read_errors == []


def test_pseudonyms_are_consistent_across_files(redacted):
    out, _ = redacted
    mapping = json.loads(Path(f"{out}.mapping.private.json").read_text())["pseudonyms"]
    hf = next(p for p, v in mapping.items() if v == HF_TOKEN)
    files = tree_bytes(out)
    for path in ("namespaces/llm/pods.json", "namespaces/llm/pods.describe.txt",
                 "namespaces/llm/logs/llama-8b-6d5f8c7b9d-x2k4p/vllm.previous.log",
                 "namespaces/llm/deployments.json"):
        assert hf.encode() in files[path], path


def test_mapping_is_private_and_next_to_the_output(redacted):
    out, proc = redacted
    mapping_path = Path(f"{out}.mapping.private.json")
    assert mapping_path.parent == out.parent
    assert stat.S_IMODE(mapping_path.stat().st_mode) == 0o600
    mapping = json.loads(mapping_path.read_text())
    assert set(mapping["pseudonyms"].values()) >= {v for _, v, _ in PLANTED if "\n" not in v} - {
        v for d, v, _ in PLANTED if d == "SEC006"}
    assert "PRIVATE" in mapping["warning"]
    assert "do not share" in proc.stdout
    assert not any(p.name.endswith(".private.json") for p in out.rglob("*"))


def test_tar_gz_output_is_deterministic_and_readable(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    report = redact_bundle(BUNDLE, tmp_path / "one" / "planted.tar.gz")
    redact_bundle(BUNDLE, tmp_path / "two" / "planted.tar.gz")
    first = (tmp_path / "one" / "planted.tar.gz").read_bytes()
    assert first == (tmp_path / "two" / "planted.tar.gz").read_bytes()
    with tarfile.open(tmp_path / "one" / "planted.tar.gz") as tf:
        assert all(m.name.startswith("planted/") and m.isfile() and m.mode == 0o644 for m in tf.getmembers())
    with open_bundle(tmp_path / "one" / "planted.tar.gz") as b:
        assert b.layout == "collector"
    assert report.files_written == len(tree_bytes(BUNDLE))
    names = renamed(tmp_path / "one" / "planted.tar.gz")
    assert sorted(tree_bytes(tmp_path / "one" / "planted.tar.gz")) == sorted(names.values())


def test_refuses_to_overwrite_or_write_into_the_input(tmp_path):
    existing = tmp_path / "exists"
    existing.mkdir()
    (existing / "f").write_text("x")
    proc = run_cli("redact", str(BUNDLE), "-o", str(existing))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "already exists" in proc.stderr
    proc = run_cli("redact", str(BUNDLE), "-o", str(BUNDLE / "redacted"))
    assert proc.returncode == 2 and "inside the input" in proc.stderr
    assert not (BUNDLE / "redacted").exists()
    proc = run_cli("redact", str(tmp_path / "missing"), "-o", str(tmp_path / "out"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = run_cli("redact", str(BUNDLE), "-o", str(tmp_path / "o2"), "--pseudonymize", "macs")
    assert proc.returncode == 2 and "macs" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists"]


def _small_bundle(root: Path) -> Path:
    b = root / "in"
    (b / "cluster").mkdir(parents=True)
    (b / "namespaces/llm/logs/w").mkdir(parents=True)
    (b / "manifest.json").write_text(json.dumps({"collector": "collect-bundle.sh", "commands": []}))
    (b / "cluster/nodes.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "dgx-a100-07"},
         "status": {"addresses": [{"address": "10.20.4.17", "type": "InternalIP"},
                                  {"address": "dgx-a100-07", "type": "Hostname"}]}}]}))
    (b / "namespaces/llm/logs/w/main.log").write_bytes(
        b"ok \xff\xfe not utf-8\nHF_TOKEN=" + HF_TOKEN.encode() + b" on dgx-a100-07 from 10.20.4.17\n")
    (b / "namespaces/llm/logs/w/old.log.gz").write_bytes(gzip.compress(b"token " + HF_TOKEN.encode() + b"\n"))
    (b / "namespaces/llm/exec").mkdir(parents=True)
    (b / "namespaces/llm/exec/core.bin").write_bytes(b"\x00\x01ELF\x00" * 100)
    (b / "namespaces/llm/exec/leak.bin").write_bytes(b"\x00\x01\x02" * 100 + HF_TOKEN.encode() + b"\x00" * 50)
    return b


def test_members_of_every_sort(tmp_path):
    src = _small_bundle(tmp_path)
    report = redact_bundle(src, tmp_path / "out", "ips,hosts")
    out = tmp_path / "out"
    log = (out / "namespaces/llm/logs/w/main.log").read_bytes()
    # invalid UTF-8 kept byte for byte around the replacement; node name and IP pseudonymized
    assert log == b"ok \xff\xfe not utf-8\nHF_TOKEN=<HF_TOKEN-1> on <HOST-1> from <IP-1>\n"
    assert gzip.decompress((out / "namespaces/llm/logs/w/old.log.gz").read_bytes()) == b"token <HF_TOKEN-1>\n"
    assert (out / "namespaces/llm/exec/core.bin").read_bytes() == (src / "namespaces/llm/exec/core.bin").read_bytes()
    assert not (out / "namespaces/llm/exec/leak.bin").exists()
    assert report.withheld == [{"path": "namespaces/llm/exec/leak.bin", "reason": "binary file holds a secret"}]
    assert HF_TOKEN.encode() not in b"".join(tree_bytes(out).values())
    assert json.loads((out / "cluster/nodes.json").read_text())["items"][0]["metadata"]["name"] == "<HOST-1>"


def test_large_members_are_streamed_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(members_mod, "WHOLE_TEXT_BYTES", 4096)
    monkeypatch.setattr(members_mod, "BATCH_LINES", 1000)
    src = tmp_path / "in"
    src.mkdir()
    lines = [f"INFO line {i} Avg prompt throughput: {i}.0 tokens/s" for i in range(5000)]
    lines[2500] = f"HF_TOKEN={HF_TOKEN}"
    lines[999:1001] = ["      --api-key", "      sk-dyn-4f9a2c7e1b6d8a3f5e0c9b2a7d4f1e6c"]
    (src / "big.log").write_text("\n".join(lines) + "\n")
    report = redact_bundle(src, tmp_path / "out")
    text = (tmp_path / "out" / "big.log").read_text()
    assert text.count("\n") == 5000 and text.endswith("tokens/s\n")
    assert HF_TOKEN not in text and text.split("\n")[2500] == "HF_TOKEN=<HF_TOKEN-1>"
    # a flag at the end of one batch and its value at the start of the next are seen together
    assert "sk-dyn-" not in text and text.split("\n")[1000] == "      <FLAG_SECRET-1>"
    assert {(loc["line"], loc["detector"]) for loc in report.locations} >= {(2501, "SEC001")}


def test_sample_is_what_the_generator_writes(tmp_path):
    from tools.make_secrets_bundle import build

    build(tmp_path / "fresh")
    assert tree_bytes(tmp_path / "fresh") == tree_bytes(BUNDLE), "run: python3 tools/make_secrets_bundle.py"
    size = sum(len(b) for b in tree_bytes(BUNDLE).values())
    assert size < 2_000_000


CLEAN_SAMPLES = sorted(p for p in (ROOT / "sample_bundles").iterdir()
                       if p.is_dir() and p.name != "planted-secrets")


@pytest.mark.parametrize("sample", CLEAN_SAMPLES, ids=lambda p: p.name)
def test_samples_without_secrets_come_out_unchanged(sample, tmp_path):
    """No false positives: pod names, digests, UUIDs, request ids, GPU UUIDs and every log line of
    the other samples survive `redact` byte for byte."""
    report = redact_bundle(sample, tmp_path / "out")
    assert report.counts == {}, report.locations[:5]
    assert tree_bytes(tmp_path / "out") == {k: v for k, v in tree_bytes(sample).items()
                                            if k not in {r["path"] for r in report.not_read}}


def test_hostile_members_are_not_copied_and_nothing_escapes(tmp_path):
    """`..`, absolute paths, symlinks, hardlinks and devices in the input never reach OUTPUT."""
    import io

    src = tmp_path / "hostile.tar.gz"
    with tarfile.open(src, "w:gz") as tf:
        def add(name: str, data: bytes = b"", **attrs) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            for k, v in attrs.items():
                setattr(info, k, v)
            tf.addfile(info, io.BytesIO(data) if data else None)
        add("b/manifest.json", b'{"commands": []}')
        add("b/namespaces/llm/logs/p/c.log", f"HF_TOKEN={HF_TOKEN}\n".encode())
        add("b/../../escaped.txt", b"x")
        add("/tmp/absolute-redact-test.txt", b"x")
        add("b/cluster/nodes.json", type=tarfile.SYMTYPE, linkname="/etc/passwd")
        add("b/cluster/hard.json", type=tarfile.LNKTYPE, linkname="/etc/passwd")
        add("b/dev/zero", type=tarfile.CHRTYPE, devmajor=1, devminor=5)
    out = tmp_path / "work" / "out.tar.gz"
    out.parent.mkdir()
    report = redact_bundle(src, out)
    names = set(tree_bytes(out))
    assert names == {"manifest.json", "namespaces/llm/logs/p/c.log"}
    assert tree_bytes(out)["namespaces/llm/logs/p/c.log"] == b"HF_TOKEN=<HF_TOKEN-1>\n"
    refused = {e["path"] for e in report.not_read}
    # shown like every other member path: the archive's top folder stripped
    assert {"cluster/nodes.json", "cluster/hard.json", "dev/zero"} <= refused
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "out.tar.gz", "out.tar.gz.mapping.private.json", "out.tar.gz.redaction-report.json"]
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/absolute-redact-test.txt").exists()


def test_a_pasted_file_gives_a_file(tmp_path):
    pasted = tmp_path / "describe.txt"
    pasted.write_text(f"Name: w\n    Environment:\n      HF_TOKEN:  {HF_TOKEN}\n")
    report = redact_bundle(pasted, tmp_path / "describe.redacted.txt")
    assert (tmp_path / "describe.redacted.txt").read_text() == "Name: w\n    Environment:\n      HF_TOKEN:  <HF_TOKEN-1>\n"
    assert report.locations == [{"path": "describe.txt", "line": 3, "detector": "SEC001", "count": 1}]
