"""Every command reads every archive format the same: a sample bundle packed as .tar.xz and
.tar.bz2 gives `analyze`, `tables`, `redact` and `serve` what its folder gives; fault-tolerance
results packed so give `ft-summary` the same summary; a compressed member is written back by
`redact` in its own format."""

from __future__ import annotations

import bz2
import io
import lzma
import tarfile
from pathlib import Path

import polars as pl
import pytest

from analyzer.ft import render, summarize
from analyzer.ingest import open_bundle
from analyzer.ingest.streams import compression
from analyzer.pipeline import analyze_path, write_tables
from analyzer.redact import redact_bundle
from analyzer.serve import load_cluster

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_bundles" / "planted-secrets"
FT = ROOT / "sample_bundles" / "ft-results"
PACK = {"tar.xz": lzma.compress, "tar.bz2": bz2.compress}


def _pack(src: Path, dest: Path, fmt: str) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        tf.add(src, arcname=src.name)
    dest.write_bytes(PACK[fmt](buf.getvalue()))
    return dest


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", sorted(PACK))
def test_analyze_tables_redact_and_serve_read_the_packed_bundle_as_its_folder(tmp_path, fmt):
    packed = _pack(SAMPLE, tmp_path / f"bundle.{fmt}", fmt)
    results = []
    for source in (SAMPLE, packed):
        with analyze_path(str(source)) as a:
            r = dict(a.result)
        r["input"] = {k: v for k, v in r["input"].items() if k != "path"}
        r["bundle"] = {k: v for k, v in r["bundle"].items() if k != "root"}
        results.append(r)
    assert results[0] == results[1]
    assert write_tables(str(SAMPLE), tmp_path / "t-dir") == write_tables(str(packed), tmp_path / "t-packed")
    for f in sorted((tmp_path / "t-dir").iterdir()):
        assert pl.read_parquet(f).equals(pl.read_parquet(tmp_path / "t-packed" / f.name)), f.name
    redact_bundle(str(SAMPLE), tmp_path / "r-dir")
    redact_bundle(str(packed), tmp_path / "r-packed")
    assert _tree(tmp_path / "r-dir") == _tree(tmp_path / "r-packed")
    counts = []
    for source in (SAMPLE, packed):
        cluster = load_cluster(str(source))
        try:
            counts.append((sum(len(v) for v in cluster.objects.values()), len(cluster.logs)))
        finally:
            cluster.close()
    assert counts[0] == counts[1] and counts[0][0] > 0


@pytest.mark.parametrize("fmt", sorted(PACK))
def test_ft_summary_reads_packed_results(tmp_path, fmt):
    packed = _pack(FT, tmp_path / f"results.{fmt}", fmt)
    want = render(summarize([FT]), "md")
    got = render(summarize([packed]), "md")
    assert got == want and "|" in got


def test_redact_writes_a_compressed_member_back_in_its_own_format(tmp_path):
    secret = b"HF_TOKEN=hf_" + b"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7" + b"\n"
    src = tmp_path / "b"
    (src / "logs").mkdir(parents=True)
    (src / "logs" / "app.log.xz").write_bytes(lzma.compress(b"2026-11-20T09:00:00Z INFO start\n" + secret))
    (src / "logs" / "app.log.bz2").write_bytes(bz2.compress(secret))
    (src / "plain.log").write_bytes(b"2026-11-20T09:00:00Z INFO ok\n")
    redact_bundle(str(src), tmp_path / "out")
    for name, kind, unpack in (("app.log.xz", "xz", lzma.decompress), ("app.log.bz2", "bz2", bz2.decompress)):
        data = (tmp_path / "out" / "logs" / name).read_bytes()
        assert compression(data[:8]) == kind
        assert b"hf_a1B2" not in unpack(data)
    with open_bundle(tmp_path / "out") as bundle:
        assert {m.path for m in bundle.members} == {"logs/app.log.xz", "logs/app.log.bz2", "plain.log"}
