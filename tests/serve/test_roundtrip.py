"""The collector run against `serve`: sample bundle -> serve -> collect-bundle.sh -> analyze.

The bundle the collector writes must analyze to the same ranked root causes as the original,
hold no Secret value and no planted token, and record what the API refused.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from serve_helpers import REPO, SAMPLES, Kube, sample_bundles
from testkit.samples import sample, sample_run
from minibundle import NS, PLANTED_TOKENS, SECRET_VALUES

SCRIPT = REPO / "analyzer" / "collector" / "collect-bundle.sh"


def collect(kube: Kube, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the collector with kubectl pointed at the served bundle."""
    return subprocess.run(["bash", str(SCRIPT), "-o", str(out), "--timeout", "30", *args], env=kube.env,
                          capture_output=True, text=True, timeout=600)


def root_causes(bundle: Path) -> list[str]:
    """The ranked root-cause categories of ``bundle-analyzer analyze BUNDLE --format json`` (run
    in-process: the same command, without a Python start-up per bundle); a committed sample
    bundle's are the session's analysis (``testkit.samples``)."""
    if bundle.parent == SAMPLES:
        return sample_run(bundle).root_causes()
    from click.testing import CliRunner

    from analyzer.cli import main

    result = CliRunner().invoke(main, ["analyze", str(bundle), "--format", "json"])
    assert result.exit_code == 0, result.output
    return [rc["category"] for rc in json.loads(result.stdout)["root_causes"]]


def collected_at(archive: Path, when: str, tmp: Path) -> Path:
    """The collected bundle unpacked, its manifest's ``collected_at`` set to ``when``."""
    out = tmp / "collected"
    with tarfile.open(archive) as tf:
        tf.extractall(out, filter="data")
    (top,) = out.iterdir()
    manifest = top / "manifest.json"
    data = json.loads(manifest.read_text())
    assert data["collected_at"], "the collector records when it ran"
    data["collected_at"] = when
    manifest.write_text(json.dumps(data, indent=2))
    return top


def members(archive: Path) -> dict[str, bytes]:
    """Every file of the collected .tar.gz, by path below the top folder."""
    out = {}
    with tarfile.open(archive) as tf:
        tops = {m.name.split("/", 1)[0] for m in tf.getmembers()}
        assert len(tops) == 1, f"one top folder expected, got {tops}"
        for m in tf.getmembers():
            if m.isfile():
                out[m.name.split("/", 1)[1]] = tf.extractfile(m).read()
    return out


def served_part(bundle: Path, tmp: Path) -> Path:
    """The bundle as far as `serve` can give it back: it answers get, list, logs and the pods'
    metrics proxy, not kubectl exec or debug; the files the collector read with kubectl exec
    (nvidia-smi in a pod, a GPU node's kernel log and nvidia-smi -q) cannot come back."""
    commands = json.loads((bundle / "manifest.json").read_text())["commands"]
    by_exec = sorted({c["path"] for c in commands if c["path"] and "exec" in c["argv"]})
    if not by_exec:
        return bundle
    out = tmp / f"{bundle.name}-served"
    shutil.copytree(bundle, out)
    for path in by_exec:
        (out / path).unlink()
    return out


@pytest.mark.parametrize("bundle", sample_bundles(), ids=lambda p: p.name)
def test_round_trip_gives_the_same_root_causes(bundle: Path, serve_bundle, tmp_path: Path) -> None:
    kube = serve_bundle(bundle)
    namespaces = json.loads((bundle / "manifest.json").read_text())["namespaces"]
    out = tmp_path / "collected.tar.gz"
    proc = collect(kube, out, *[a for ns in namespaces for a in ("-n", ns)])
    assert proc.returncode == 0, proc.stderr
    assert f"Bundle written: {out}" in proc.stdout
    # serve replays the cluster as it was when the sample was collected; the collector stamps
    # the time it runs. The analysis judges the cluster at its collection time, so the copy is
    # judged at the sample's: as if the collector had run at that moment
    original = json.loads((bundle / "manifest.json").read_text())["collected_at"]
    assert root_causes(collected_at(out, original, tmp_path)) == root_causes(served_part(bundle, tmp_path))


def test_no_secret_value_or_planted_token_is_collected(mini_bundle: Path, serve_bundle, tmp_path: Path) -> None:
    kube = serve_bundle(mini_bundle)
    out = tmp_path / "collected.tar.gz"
    proc = collect(kube, out, "-n", NS)
    assert proc.returncode == 0, proc.stderr
    files = members(out)
    # the Secrets are there, by name and key name, with no value
    secrets = json.loads(files[f"namespaces/{NS}/secrets.json"])
    assert {s["metadata"]["name"]: sorted(s["data"]) for s in secrets["items"]} == {
        "db": ["token"], "hf-token-secret": ["HF_TOKEN"]}
    assert all(v is None for s in secrets["items"] for v in s["data"].values())
    # nowhere in the archive either: member names and tar headers included
    tar = gzip.decompress(out.read_bytes())
    for value in (*SECRET_VALUES, *PLANTED_TOKENS):
        leaked = [path for path, data in files.items() if value.encode() in data]
        assert not leaked, f"{value[:6]}... found in {leaked}"
        assert value.encode() not in tar, f"{value[:6]}... found in the archive"
    # the env values were there and are now marked
    assert b'"value": "REDACTED"' in files[f"namespaces/{NS}/pods.json"]


def test_planted_secrets_sample_leaks_nothing(serve_bundle, tmp_path: Path) -> None:
    bundle = sample("planted-secrets")
    from tools.make_secrets_bundle import PLANTED

    kube = serve_bundle(bundle)
    out = tmp_path / "collected.tar.gz"
    assert collect(kube, out, "-n", "llm").returncode == 0
    files = members(out)
    leaks = [(sid, where, path) for sid, value, where in PLANTED for path, data in files.items()
             if value.encode() in data]
    assert leaks == []


def test_forbidden_namespace_is_recorded_and_the_run_goes_on(tmp_path: Path, serve_bundle) -> None:
    from minibundle import write_bundle

    kube = serve_bundle(write_bundle(tmp_path / "src", forbidden_namespace="locked"))
    out = tmp_path / "collected.tar.gz"
    proc = collect(kube, out, "-n", "locked", "-n", NS)
    assert proc.returncode == 0, proc.stderr
    assert "pods (locked): exit 1: Error from server (Forbidden): pods is forbidden" in proc.stdout
    files = members(out)
    manifest = json.loads(files["manifest.json"])
    refused = [c for c in manifest["commands"] if c["namespace"] == "locked" and c["source"] == "pods"]
    assert refused and refused[0]["exit_code"] == 1 and "Forbidden" in refused[0]["stderr"]
    assert refused[0]["path"] is None
    # the namespace after it was still collected
    assert f"namespaces/{NS}/pods.json" in files
    assert manifest["namespaces"] == ["locked", NS, "hami-system"]
