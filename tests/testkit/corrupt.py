"""Damage made to order for the tests of hostile and broken inputs: one way to do each kind."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path


def patch_zip_member(data: bytes, name: str, *, flags: int | None = None, method: int | None = None,
                     data_patch: bytes | None = None) -> bytes:
    """The zip ``data`` with one member's general-purpose flags or compression method changed in
    its local and central headers, or the start of its data overwritten by ``data_patch``."""
    out = bytearray(data)
    local = zipfile.ZipFile(io.BytesIO(data)).getinfo(name).header_offset
    central = out.find(b"PK\x01\x02")
    while out[central + 46:central + 46 + len(name.encode())] != name.encode():
        central = out.find(b"PK\x01\x02", central + 1)
        if central < 0:
            raise ValueError(f"{name}: not in the zip's central directory")
    if flags is not None:
        struct.pack_into("<H", out, local + 6, flags)
        struct.pack_into("<H", out, central + 8, flags)
    if method is not None:
        struct.pack_into("<H", out, local + 8, method)
        struct.pack_into("<H", out, central + 10, method)
    if data_patch is not None:
        nlen, xlen = struct.unpack_from("<HH", out, local + 26)
        start = local + 30 + nlen + xlen
        out[start:start + len(data_patch)] = data_patch
    return bytes(out)


def deep_tree(folder: Path, levels: int, name: str, data: bytes) -> None:
    """``levels`` nested folders ``d/d/...`` under ``folder`` with the file ``name`` at the bottom,
    made through directory descriptors (a path that long is past PATH_MAX)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir("d", dir_fd=fd)
            fd, old = os.open("d", os.O_RDONLY, dir_fd=fd), fd
            os.close(old)
        with open(os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as f:
            f.write(data)
    finally:
        os.close(fd)
