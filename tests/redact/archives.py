"""Test helper: open every archive in a blob (gz, bz2, xz, zst, zip, tar, nested), names included,
so a search for a planted secret also looks inside compressed attachments."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile

import zstandard

from analyzer.redact.members import container_kind


def unpacked(data: bytes, depth: int = 0) -> bytes:
    """``data`` with every archive in it opened (entry names included), as one blob."""
    kind = container_kind(data[:8192])
    if kind is None or depth > 5:
        return data
    if kind == "gz":
        return unpacked(gzip.decompress(data), depth + 1)
    if kind == "bz2":
        return unpacked(bz2.decompress(data), depth + 1)
    if kind == "xz":
        return unpacked(lzma.decompress(data), depth + 1)
    if kind == "zst":
        return unpacked(zstandard.ZstdDecompressor().decompressobj().decompress(data), depth + 1)
    parts: list[bytes] = []
    if kind == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                parts += [info.filename.encode(), unpacked(zf.read(info), depth + 1)]
    else:
        with tarfile.open(fileobj=io.BytesIO(data)) as tf:
            for m in tf.getmembers():
                f = tf.extractfile(m) if m.isfile() else None
                parts += [m.name.encode(), unpacked(f.read(), depth + 1) if f else b""]
    return b"\n".join(parts)
