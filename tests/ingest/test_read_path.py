"""One read path for every byte: formats told by magic bytes, decoder errors as read errors of
one member, caps on what decompression may produce, truncated archives keep what came first."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import struct
import tarfile
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
import zstandard

from analyzer.ingest import Limits, ReadFailed, UnsupportedFormat, open_bundle
from analyzer.ingest.streams import Capped, compression, unsupported_format
from analyzer.parse import parse_bundle
from testkit.corrupt import patch_zip_member

LINE = b"2026-11-20T09:59:11.000000001Z INFO engine step %06d ok\n"
OOM = b"2026-11-20T09:59:12.000000001Z torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.76 GiB.\n"


def text(lines: int = 200) -> bytes:
    return b"".join(LINE % i for i in range(lines))


COMPRESS = {
    "gz": lambda d: gzip.compress(d, mtime=0),
    "xz": lzma.compress,
    "bz2": bz2.compress,
    "zst": lambda d: zstandard.ZstdCompressor().compress(d),
}


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def tar_bytes(files: dict[str, bytes], top: str = "b") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for rel, data in files.items():
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size, info.mode = len(data), 0o644
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def tables(source: Path | str, limits: Limits | None = None) -> tuple[dict[str, pl.DataFrame], dict[str, str]]:
    with open_bundle(source, limits) as bundle:
        parsed = parse_bundle(bundle)
        out = dict(parsed.tables)
        out["log_lines"] = parsed.log_lines()
        errors = {r["path"]: r["error"] for r in parsed.read_errors().to_dicts()}
    return out, errors


def pop_error(errors: dict[str, str], suffix: str) -> str:
    """The read error of the one path ending in ``suffix`` (removed from ``errors``)."""
    (path,) = [p for p in errors if p.endswith(suffix)]
    return errors.pop(path)


def lines_of(t: dict[str, pl.DataFrame], suffix: str) -> list[str]:
    return t["log_lines"].filter(pl.col("path").str.ends_with(suffix)).get_column("text").to_list()


# ---------------------------------------------------------------- formats by magic bytes

@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_a_compressed_tar_is_read_whatever_its_name(tmp_path, kind):
    files = {"app.log": text(), "other/x.log": OOM}
    want, _ = tables(write_tree(tmp_path / "dir" / "b", files))
    for name in (f"bundle.tar.{kind}", "bundle.bin"):  # .txz/.tbz2 or no telling name at all
        path = tmp_path / name
        path.write_bytes(COMPRESS[kind](tar_bytes(files)))
        got, errors = tables(path)
        assert errors == {}
        assert got["log_lines"].equals(want["log_lines"]), name


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_a_single_compressed_log_is_one_text_file(tmp_path, kind):
    path = tmp_path / f"vllm.log.{kind}"
    path.write_bytes(COMPRESS[kind](text(5) + OOM))
    with open_bundle(path) as bundle:
        assert bundle.layout == "file" and [m.path for m in bundle.members] == ["vllm.log"]
    got, errors = tables(path)
    assert errors == {} and got["log_lines"].height == 6


def test_nested_members_are_decompressed_by_magic_not_name(tmp_path):
    """A must-gather's ``current.log.gz``, and the same compressed under names that do not say so."""
    mg = "namespaces/llm/pods/vllm-0/main/main/logs"
    files = {f"{mg}/current.log.gz": COMPRESS["gz"](OOM),
             f"{mg}/previous.log": COMPRESS["xz"](text(3)),        # xz data named .log
             "namespaces/llm/core/pods.yaml": b"apiVersion: v1\nkind: List\nitems: []\n",
             "extra/a.log": COMPRESS["bz2"](text(4)), "extra/b.txt": COMPRESS["zst"](text(5))}
    got, errors = tables(write_tree(tmp_path / "mg", files))
    assert errors == {}
    assert lines_of(got, "current.log.gz") == [OOM.decode().rstrip("\n")]
    assert len(lines_of(got, "previous.log")) == 3
    assert len(lines_of(got, "a.log")) == 4 and len(lines_of(got, "b.txt")) == 5


@pytest.mark.parametrize("magic,name", [
    (b"7z\xbc\xaf\x27\x1c\x00\x04", "7z archive"), (b"Rar!\x1a\x07\x01\x00", "RAR archive"),
    (b"\x04\x22\x4d\x18\x64\x40\xa7", "LZ4 frame"), (b"LZIP\x01", "lzip"), (b"\x1f\x9d\x90", "Unix compress (.Z)"),
])
def test_unsupported_formats_are_named(tmp_path, magic, name):
    assert unsupported_format(magic) == name and compression(magic) is None
    path = tmp_path / "bundle.tar.gz"  # the name lies: the bytes decide
    path.write_bytes(magic + b"\x00" * 600)
    with pytest.raises(UnsupportedFormat, match=re.escape(f"is a {name}, a format that is not read")):
        open_bundle(path)
    # inside a bundle: that member's read error, the rest read
    _, errors = tables(write_tree(tmp_path / "d", {"attach.bin": magic + b"\x00" * 600, "app.log": text(2)}))
    assert errors == {"attach.bin": f"a {name}: this format is not read (unpack it and give the folder, "
                                    "or repack it as .tar.gz)"}


def test_a_text_starting_like_bzip2_is_still_text():
    assert compression(b"BZh, a log line") is None and compression(b"BZh91AY&SY") == "bz2"


# ---------------------------------------------------------------- decoder errors: one member each

def _gzip_header() -> bytes:
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


def corrupt_gzip(before: bytes) -> bytes:
    """A gzip member whose deflate stream turns invalid after ``before`` (first block when empty):
    a block header with the reserved type 3."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = (c.compress(before) + c.flush(zlib.Z_FULL_FLUSH)) if before else b""
    return _gzip_header() + body + b"\x07" + b"\x00" * 32


@pytest.mark.parametrize("where", ["first-block", "mid-stream"])
@pytest.mark.parametrize("container", ["dir", "tar", "tar.gz", "must-gather"])
def test_corrupt_deflate_in_a_gz_member_fails_that_member_only(tmp_path, where, container):
    bad = corrupt_gzip(b"" if where == "first-block" else text(30000))
    name = "namespaces/llm/pods/vllm-0/main/main/logs/current.log.gz" if container == "must-gather" else "logs/bad.log.gz"
    files = {name: bad, "logs/good.log": text(7), "logs/good.log.gz": COMPRESS["gz"](OOM)}
    if container == "must-gather":
        files["namespaces/llm/core/pods.yaml"] = b"apiVersion: v1\nkind: List\nitems: []\n"
    if container in ("dir", "must-gather"):
        source = write_tree(tmp_path / "b", files)
    else:
        raw = tar_bytes(files)
        source = tmp_path / f"b.{container}"
        source.write_bytes(gzip.compress(raw) if container == "tar.gz" else raw)
    got, errors = tables(source)
    assert "corrupt compressed data" in pop_error(errors, name.split("/", 1)[1]), errors
    assert errors == {}
    assert len(lines_of(got, "good.log")) == 7 and lines_of(got, "good.log.gz") == [OOM.decode().rstrip()]


def _zip(members: dict[str, tuple[bytes, int]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, (data, method) in members.items():
            zf.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data, compress_type=method)
    return buf.getvalue()


_patch_zip = patch_zip_member


def test_bad_zip_members_fail_one_by_one(tmp_path):
    body = text(3000)
    members = {"b/good.log": (text(9), zipfile.ZIP_DEFLATED), "b/encrypted.log": (body, zipfile.ZIP_DEFLATED),
               "b/method.log": (body, zipfile.ZIP_DEFLATED), "b/deflate.log": (body, zipfile.ZIP_DEFLATED),
               "b/lzma.log": (body, zipfile.ZIP_LZMA), "b/stored.log": (OOM, zipfile.ZIP_STORED)}
    data = _zip(members)
    data = _patch_zip(data, "b/encrypted.log", flags=0x1)
    data = _patch_zip(data, "b/method.log", method=99)              # AES: not a method zipfile reads
    data = _patch_zip(data, "b/deflate.log", data_patch=b"\x07" * 16)
    data = _patch_zip(data, "b/lzma.log", data_patch=b"\x09\x04\x05\x00" + b"\xff" * 64)
    path = tmp_path / "bundle.zip"
    path.write_bytes(data)
    got, errors = tables(path)
    assert "encrypted" in errors.pop("encrypted.log")
    assert "unsupported compression method" in errors.pop("method.log")
    assert "corrupt" in errors.pop("deflate.log")
    assert "corrupt" in errors.pop("lzma.log")
    assert errors == {}
    assert len(lines_of(got, "good.log")) == 9 and len(lines_of(got, "stored.log")) == 1


def test_any_decoder_error_becomes_read_failed_after_the_bytes_before_it():
    class Failing(io.RawIOBase):
        def __init__(self, exc):
            self.exc, self.sent = exc, False

        def readable(self):
            return True

        def read(self, n=-1):
            if not self.sent:
                self.sent = True
                return b"first bytes\n"
            raise self.exc

    for exc in (zlib.error("invalid block type"), lzma.LZMAError("Corrupt input data"), EOFError("ended early"),
                RuntimeError("File is encrypted"), NotImplementedError("method"), MemoryError(),
                zipfile.BadZipFile("Bad CRC-32"), OSError("Invalid data stream"), KeyError("odd")):
        c = Capped(Failing(exc), 1 << 20, "m")
        assert c.read() == b"first bytes\n"     # what came before the error is kept
        with pytest.raises(ReadFailed):
            c.read()


# ---------------------------------------------------------------- caps on what decompression gives

def test_many_small_bombs_stop_at_the_bundle_budget(tmp_path):
    one = text(20000)                                     # ~1 MiB of log lines, a few KiB gzipped
    files = {f"logs/{i:02d}.log.gz": COMPRESS["gz"](one) for i in range(12)}
    files["logs/plain.log"] = text(3)
    limits = replace(Limits(), expanded_floor=4 << 20, max_bundle_ratio=1)
    got, errors = tables(write_tree(tmp_path / "b", files), limits)
    over = [p for p, e in errors.items() if "decompressed data passed its" in e]
    assert over and len(over) <= 9, errors                # at most 4 MiB were expanded, the rest refused
    assert len(lines_of(got, "plain.log")) == 3


def test_one_member_stops_at_its_expansion_ratio(tmp_path):
    limits = replace(Limits(), ratio_floor=1 << 20, max_ratio=10)
    files = {"logs/bomb.log.gz": COMPRESS["gz"](text(200_000)), "logs/plain.log": text(3)}
    got, errors = tables(write_tree(tmp_path / "b", files), limits)
    assert "compression ratio over the limit" in pop_error(errors, "bomb.log.gz")
    assert len(lines_of(got, "plain.log")) == 3


def test_zip_entries_sharing_one_member_are_refused(tmp_path):
    data = bytearray(_zip({"b/a.log": (text(5000), zipfile.ZIP_DEFLATED), "b/z.log": (text(2), zipfile.ZIP_DEFLATED)}))
    # a second central directory entry for the same local data (the overlapping-entries bomb)
    eocd = data.rfind(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack_from("<HII", data, eocd + 10)
    first = bytes(data[cd_offset:cd_offset + 46 + len("b/a.log")])
    dup = first[:46] + b"b/c.log"
    new = data[:cd_offset + cd_size] + dup + data[cd_offset + cd_size:]
    eocd = new.rfind(b"PK\x05\x06")
    struct.pack_into("<HHI", new, eocd + 8, count + 1, count + 1, cd_size + len(dup))
    path = tmp_path / "overlap.zip"
    path.write_bytes(bytes(new))
    got, errors = tables(path)
    assert any("shares its compressed data" in e for e in errors.values()), errors
    assert len(lines_of(got, "z.log")) == 2


# ---------------------------------------------------------------- truncated archives

CUT_FILES = {"a.log": text(10), "b.log": OOM, "c.log": text(12000)}   # c: ~600 KB, cut inside


@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "tar.xz", "tar.bz2", "zip"])
def test_a_truncated_archive_keeps_what_came_before_the_cut(tmp_path, fmt):
    if fmt == "zip":
        whole = _zip({f"b/{k}": (v, zipfile.ZIP_DEFLATED) for k, v in CUT_FILES.items()})
    else:
        raw = tar_bytes(CUT_FILES)
        whole = {"tar": raw, "tar.gz": gzip.compress(raw), "tar.xz": lzma.compress(raw),
                 "tar.bz2": bz2.compress(raw, compresslevel=1)}[fmt]
    path = tmp_path / f"cut.{fmt}"
    path.write_bytes(whole[: len(whole) * 2 // 3] if fmt != "zip" else whole[: len(whole) - 2000])
    got, errors = tables(path)
    assert len(lines_of(got, "a.log")) == 10 and len(lines_of(got, "b.log")) == 1, errors
    assert "c.log" in errors or fmt == "tar.bz2", errors   # the cut member is named (bzip2: whole blocks only)
    if fmt != "tar.bz2":
        assert 0 < len(lines_of(got, "c.log")) < 12000       # its readable part
