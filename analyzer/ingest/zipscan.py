"""Zip archives that ``zipfile`` cannot take whole: entries that share compressed data (an
overlapping zip bomb), and archives without a readable central directory (cut short, or a name
that is not UTF-8 in an entry flagged UTF-8), whose members are recovered from their local
headers, in order, up to the cut.

Local header layout (APPNOTE.TXT 4.3.7): signature ``PK\\x03\\x04``, version, flags, method, time,
date, CRC-32, compressed size, uncompressed size, name length, extra length, then the name, the
extra field and the data; flag bit 3 puts the sizes in a data descriptor after the data.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO

from analyzer.ingest.bundle import Bundle, Limits, Member, display_name, safe_name

_LOCAL = b"PK\x03\x04"
_DESCRIPTOR = b"PK\x07\x08"
_HEADER = struct.Struct("<4sHHHHHIIIHH")
_STORED, _DEFLATED = 0, 8


def overlapping_entries(infos: list[zipfile.ZipInfo]) -> set[int]:
    """``id``s of the entries whose data starts inside the data of the entry before them: many
    central directory entries pointing at one deflate stream expand it again and again."""
    bad: set[int] = set()
    end = -1
    for info in sorted((i for i in infos if not i.is_dir()), key=lambda i: i.header_offset):
        offset = info.header_offset
        if offset < end:
            bad.add(id(info))
        # the data ends at least past the fixed header, the name and the compressed bytes
        end = max(end, offset + _HEADER.size + len(info.orig_filename.encode("utf-8", "surrogateescape"))
                  + info.compress_size)
    return bad


def recover_zip(path: Path, limits: Limits, bundle: Bundle) -> Bundle | None:
    """The members of a damaged zip found by walking its local headers from the start; None
    when the file does not start with one. The members before a cut are whole, the cut one
    yields what can be read of it."""
    with open(path, "rb") as f:
        data_len = f.seek(0, io.SEEK_END)
        f.seek(0)
        if f.read(4) != _LOCAL:
            return None
        offset, found = 0, 0
        while offset + _HEADER.size <= data_len and found < limits.max_members:
            f.seek(offset)
            raw = f.read(_HEADER.size)
            if len(raw) < _HEADER.size or not raw.startswith(_LOCAL):
                break
            _, _, flags, method, _, _, _, csize, usize, nlen, xlen = _HEADER.unpack(raw)
            name_bytes = f.read(nlen)
            extra = f.read(xlen)
            start = offset + _HEADER.size + nlen + xlen
            csize, usize = _zip64_sizes(extra, csize, usize)
            end = _data_end(f, start, csize, flags, method, data_len, limits.max_member_bytes)
            name = name_bytes.decode("utf-8" if flags & 0x800 else "cp437", "surrogateescape")
            _add(bundle, path, name, flags, method, start, min(end, data_len) - start, usize, limits,
                 cut=end > data_len or (flags & 0x08 and end == data_len))
            found += 1
            if end >= data_len:
                break
            offset = _next_header(f, end, data_len)
            if offset is None:
                break
    if not bundle.members and not bundle.read_errors:
        return None
    bundle.error(path.name, f"zip central directory missing or unreadable (cut short?): {found} members "
                            "read from their local headers")
    return bundle


def _zip64_sizes(extra: bytes, csize: int, usize: int) -> tuple[int, int]:
    """Sizes from the Zip64 extra field (id 1) when the header says 0xFFFFFFFF."""
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, i)
        body = extra[i + 4:i + 4 + size]
        if tag == 1:
            values = [struct.unpack_from("<Q", body, k)[0] for k in range(0, len(body) - 7, 8)]
            if usize == 0xFFFFFFFF and values:
                usize = values.pop(0)
            if csize == 0xFFFFFFFF and values:
                csize = values.pop(0)
        i += 4 + size
    return csize, usize


def _data_end(f: IO[bytes], start: int, csize: int, flags: int, method: int, data_len: int,
              max_out: int) -> int:
    """Where an entry's data ends; past the end of the file when it was cut."""
    if not flags & 0x08:
        return start + csize
    if method != _DEFLATED:
        return data_len  # stored data of unknown size: its end cannot be told
    # the sizes are in a descriptor after the data, but a deflate stream marks its own end;
    # inflated in bounded steps (a bomb stops at ``max_out``, then the member's caps apply)
    d = zlib.decompressobj(-15)
    f.seek(start)
    out = 0
    try:
        while not d.eof:
            chunk = f.read(1 << 20)
            if not chunk:
                return data_len
            out += len(d.decompress(chunk, 1 << 20))
            while d.unconsumed_tail and not d.eof and out <= max_out:
                out += len(d.decompress(d.unconsumed_tail, 1 << 20))
            if out > max_out:
                return data_len
    except zlib.error:
        return data_len
    return f.tell() - len(d.unused_data)


def _next_header(f: IO[bytes], end: int, data_len: int) -> int | None:
    """The offset of the next local header after an entry's data (and its data descriptor)."""
    f.seek(end)
    window = f.read(64)
    for at in (0, 12, 16, 20, 24):  # no descriptor; 12/16 bytes (with/without signature); Zip64
        if window[at:at + 4] == _LOCAL:
            return end + at
    return None


def _add(bundle: Bundle, path: Path, name: str, flags: int, method: int, start: int, length: int,
         usize: int, limits: Limits, cut: bool) -> None:
    safe = safe_name(name)
    if safe is None:
        bundle.error(display_name(name), "unsafe member path (absolute or '..') refused")
        return
    shown = display_name(safe)
    if name.endswith("/"):
        return
    if flags & 0x01:
        bundle.error(shown, "encrypted, not read")
        return
    if method not in (_STORED, _DEFLATED):
        bundle.error(shown, f"unsupported compression method {method} in a damaged zip")
        return

    def opener() -> IO[bytes]:
        return _LocalData(path, start, length, method == _DEFLATED, cut)

    bundle.members.append(Member(shown, usize or length, opener, limits=limits,
                                 compressed=method == _DEFLATED, stored_size=length))


class _LocalData(io.RawIOBase):
    """The data of one entry, inflated when deflated; an entry cut short raises EOFError after
    the bytes that could be read."""

    def __init__(self, path: Path, start: int, length: int, deflated: bool, cut: bool):
        self._f = open(path, "rb")
        self._f.seek(start)
        self._left, self._cut = length, cut
        self._d = zlib.decompressobj(-15) if deflated else None

    def readable(self) -> bool:
        return True

    def _raw(self, n: int) -> bytes:
        chunk = self._f.read(min(n, self._left)) if self._left > 0 else b""
        self._left -= len(chunk)
        return chunk

    def readinto(self, b) -> int:  # type: ignore[override]
        n = len(b)
        if self._d is None:
            out = self._raw(n)
            if not out and self._cut:
                raise EOFError("zip member cut short: the archive ends inside its data")
        else:
            out = b""
            while not out and not self._d.eof:
                if self._d.unconsumed_tail:
                    out = self._d.decompress(self._d.unconsumed_tail, n)
                    continue
                chunk = self._raw(1 << 20)
                if not chunk:
                    raise EOFError("zip member cut short: its compressed data ends before the end of its stream")
                out = self._d.decompress(chunk, n)
        b[:len(out)] = out
        return len(out)

    def close(self) -> None:
        self._f.close()
        super().close()
