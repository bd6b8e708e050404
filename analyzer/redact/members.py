"""The redacted content of one bundle member: a text, a binary file, or a compressed attachment.

A text is redacted whole (up to `WHOLE_TEXT_BYTES`) or in batches of lines; a binary file is
copied byte for byte unless it may hold a secret. A compressed attachment inside the bundle
(``.gz``, ``.bz2``, ``.xz``, ``.zst``, a ``.zip``, a tar in any of them; told by its first bytes,
not its name) is decompressed, each file in it redacted (file names included), and packed again
with the same compression, deterministically. It is bounded like every other read: the ingest
limits on one member's expanded size, on the expansion ratio and on the number of entries hold
for every level, and nesting stops at `MAX_DEPTH`. An attachment that cannot be read whole
(corrupt, encrypted, an unsupported method, over a limit) is left out with the reason, never
copied as it came::

    >>> import bz2
    >>> out = Content(Limits())
    >>> packed = bz2.compress(b"HF_TOKEN=hf_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL\\n")
    >>> data, changed = out.redact(io.BytesIO(packed), "notes.txt.bz2", Redactor())
    >>> bz2.decompress(data.read()), changed
    (b'HF_TOKEN=<HF_TOKEN-1>\\n', True)

Outputs are spooled files (in memory up to `SPOOL_BYTES`, then on disk in the folder given),
so a large member never has to fit in memory.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import IO, Any, Iterable

import polars as pl

from analyzer.ingest import Limits
from analyzer.ingest.sniff import is_binary
from analyzer.redact.redactor import Redactor

try:
    import zstandard
except ImportError:  # pragma: no cover - a declared dependency
    zstandard = None

# members up to this size are redacted as one text (every multi-line secret is seen whole);
# larger ones in batches of lines through the vectorised `Redactor.frame`
WHOLE_TEXT_BYTES = 8 << 20
BATCH_LINES = 200_000
BINARY_SCAN_BYTES = 64 << 20
CARRY_LINES = 200  # longest multi-line secret kept whole across batches (a PEM key is ~50)
# a longer line (a 200 MiB ConfigMap value on one line) is not run through the detectors: their
# copies of it would take gigabytes; the file is left out instead, as a large binary file is
LONG_LINE_BYTES = 8 << 20
SPOOL_BYTES = 8 << 20
MAX_DEPTH = 4      # an archive in an archive in ... this deep at most
RATIO_FREE_BYTES = 64 << 20  # the expansion ratio is checked past this size (as in ingest)
_CHUNK = 1 << 20

_ERRORS = (OSError, EOFError, ValueError, RuntimeError, NotImplementedError, MemoryError,
           zlib.error, lzma.LZMAError, tarfile.TarError, zipfile.BadZipFile, KeyError)
if zstandard is not None:
    _ERRORS = _ERRORS + (zstandard.ZstdError,)


class Unreadable(Exception):
    """A compressed attachment cannot be read whole: it is left out, with this reason."""


class Withheld(Exception):
    """A member (or a file inside an attachment) may hold a secret that cannot be replaced."""


def container_kind(head: bytes) -> str | None:
    """gz, bz2, xz, zst, zip or tar from a stream's first bytes (at least 262), else None."""
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if head[:3] == b"BZh" and head[3:4] in b"123456789" and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zst"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head[257:262] == b"ustar":
        return "tar"
    return None


class Content:
    """Redacts member contents under one set of limits; every nested byte counts to the total."""

    def __init__(self, limits: Limits, spool_dir: str | None = None) -> None:
        self.limits = limits
        self.spool_dir = spool_dir
        self.expanded = 0          # bytes decompressed from nested attachments so far
        self.notes: list[dict[str, str]] = []   # files inside attachments that were left out

    def spool(self) -> IO[bytes]:
        """A private scratch file: memory first, then disk in ``spool_dir``."""
        return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, dir=self.spool_dir)

    def redact(self, src: IO[bytes], shown: str, red: Redactor, kind: str | None = "sniff",
               depth: int = 0) -> tuple[IO[bytes], bool]:
        """(redacted content rewound, whether anything was replaced) of the stream ``src``.

        ``shown`` is the (redacted) path that hits are counted at; ``kind`` "binary" or "text"
        when the caller knows, else it is sniffed. Raises `Unreadable` or `Withheld`.
        """
        head = _read_upto(src, 8192)
        container = container_kind(head) if len(head) else None
        if container is not None:
            if depth >= MAX_DEPTH:
                raise Unreadable(f"archives nested more than {MAX_DEPTH} deep")
            return self._container(_Prefixed(head, src), container, shown, red, depth + 1)
        if kind == "sniff":
            kind = "binary" if is_binary(head) else "text"
        if kind == "binary":
            return self._binary(head, src, red), False
        return self._text(head, src, shown, red)

    # --- plain members ----------------------------------------------------------------------

    def _binary(self, head: bytes, src: IO[bytes], red: Redactor) -> IO[bytes]:
        raw = head + _read_upto(src, BINARY_SCAN_BYTES + 1 - len(head))
        # a binary file is copied byte for byte, unless it may hold a secret: rewriting it could
        # corrupt it, so it is left out and listed
        if len(raw) > BINARY_SCAN_BYTES:
            raise Withheld(f"binary file larger than {BINARY_SCAN_BYTES >> 20} MiB, not checked for secrets")
        if red.find(raw.decode("latin-1")):
            raise Withheld("binary file holds a secret")
        return _rewound(self.spool(), raw)

    def _text(self, head: bytes, src: IO[bytes], shown: str, red: Redactor) -> tuple[IO[bytes], bool]:
        head += _read_upto(src, WHOLE_TEXT_BYTES + 1 - len(head))
        if len(head) <= WHOLE_TEXT_BYTES:
            text = head.decode("utf-8", "surrogateescape")
            new = red.text(text, shown, 1)
            if new == text:
                return _rewound(self.spool(), head), False
            return _rewound(self.spool(), new.encode("utf-8", "surrogateescape")), True
        out = self.spool()
        changed = redact_lines(_lines(head, src), shown, red, out)
        out.seek(0)
        return out, changed

    # --- compressed attachments ---------------------------------------------------------------

    def _container(self, src: IO[bytes], kind: str, shown: str, red: Redactor,
                   depth: int) -> tuple[IO[bytes], bool]:
        try:
            if kind == "tar":
                return self._tar(src, shown, red, depth)
            if kind == "zip":
                return self._zip(src, shown, red, depth)
            inner = self._expand(src, kind)
            new, changed = self.redact(inner, shown, red, depth=depth)
            inner.close()
            return self.pack(new, kind), changed
        except (Unreadable, Withheld):
            raise
        except _ERRORS as exc:
            raise Unreadable(f"{kind} data unreadable: {_one_line(exc)}") from None

    def _expand(self, src: IO[bytes], kind: str) -> IO[bytes]:
        """The decompressed stream in a spool, under the member, ratio and total limits."""
        counted = _Counting(src)
        if kind == "gz":
            stream: IO[bytes] = gzip.GzipFile(fileobj=counted, mode="rb")
        elif kind == "bz2":
            stream = bz2.BZ2File(counted, mode="rb")
        elif kind == "xz":
            stream = lzma.LZMAFile(counted, mode="rb")
        else:
            if zstandard is None:
                raise Unreadable("zstd data and no zstandard module")
            stream = zstandard.ZstdDecompressor().stream_reader(counted, read_across_frames=True)
        out = self.spool()
        size = 0
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            self._check(size, counted.count)
            self._account(len(chunk))
            out.write(chunk)
        out.seek(0)
        return out

    def _check(self, size: int, compressed: int) -> None:
        limits = self.limits
        if size > limits.max_member_bytes:
            raise Unreadable(f"expands past the {limits.max_member_bytes} byte limit for one member")
        if size > RATIO_FREE_BYTES and size > limits.max_ratio * max(compressed, 1):
            raise Unreadable(f"expands more than {limits.max_ratio} times (a decompression bomb?)")

    def _account(self, n: int) -> None:
        self.expanded += n
        if self.expanded > self.limits.max_total_bytes:
            raise Unreadable(f"attachments expand past the {self.limits.max_total_bytes} byte total limit")

    def pack(self, data: IO[bytes], kind: str) -> IO[bytes]:
        """``data`` compressed again as ``kind``, deterministically (no name, no time)."""
        out = self.spool()
        if kind == "gz":
            with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as z:
                shutil.copyfileobj(data, z, _CHUNK)
        elif kind == "bz2":
            comp = bz2.BZ2Compressor(9)
            _pipe(data, out, comp.compress, comp.flush)
        elif kind == "xz":
            comp_x = lzma.LZMACompressor(format=lzma.FORMAT_XZ)
            _pipe(data, out, comp_x.compress, comp_x.flush)
        else:
            assert zstandard is not None
            comp_z = zstandard.ZstdCompressor(level=3).compressobj()
            _pipe(data, out, comp_z.compress, comp_z.flush)
        data.close()
        out.seek(0)
        return out

    def _tar(self, src: IO[bytes], shown: str, red: Redactor, depth: int) -> tuple[IO[bytes], bool]:
        out = self.spool()
        changed = False
        entries = 0
        with tarfile.open(fileobj=src, mode="r|") as tin, \
                tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tout:
            for info in tin:
                entries += 1
                if entries > self.limits.max_members:
                    raise Unreadable(f"more than {self.limits.max_members} entries")
                name = _inner_name(info.name)
                if name is None:
                    self.notes.append({"path": f"{shown}/{red.path(info.name, count=False)}",
                                       "reason": "unsafe name inside an attachment, not copied"})
                    continue
                new_name = red.path(name, count=False)
                changed |= new_name != name
                if info.isdir():
                    d = tarfile.TarInfo(new_name)
                    d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, info.mtime
                    tout.addfile(d)
                    continue
                if not info.isfile():
                    self.notes.append({"path": f"{shown}/{new_name}",
                                       "reason": "link or device inside an attachment, not copied"})
                    continue
                self._check(info.size, info.size)
                f = tin.extractfile(info)
                assert f is not None
                body, hit = self.redact(f, f"{shown}/{new_name}", red, depth=depth)
                changed |= hit
                entry = tarfile.TarInfo(new_name)
                entry.size = _size(body)
                entry.mode, entry.mtime = (info.mode & 0o755) | 0o644, info.mtime
                tout.addfile(entry, body)
                body.close()
        out.seek(0)
        return out, changed

    def _zip(self, src: IO[bytes], shown: str, red: Redactor, depth: int) -> tuple[IO[bytes], bool]:
        whole = self.spool()   # a zip's directory is at its end: it needs a seekable copy
        shutil.copyfileobj(src, whole, _CHUNK)
        whole.seek(0)
        out = self.spool()
        changed = False
        with zipfile.ZipFile(whole) as zin, zipfile.ZipFile(out, "w") as zout:
            infos = zin.infolist()
            if len(infos) > self.limits.max_members:
                raise Unreadable(f"more than {self.limits.max_members} entries")
            for info in infos:
                if info.flag_bits & 0x1:
                    raise Unreadable(f"{info.filename}: encrypted, cannot be checked for secrets")
                name = _inner_name(info.filename)
                if name is None:
                    self.notes.append({"path": f"{shown}/{red.path(info.filename, count=False)}",
                                       "reason": "unsafe name inside an attachment, not copied"})
                    continue
                new_name = red.path(name, count=False)
                changed |= new_name != name
                entry = zipfile.ZipInfo(new_name + ("/" if info.is_dir() else ""), info.date_time)
                entry.compress_type = info.compress_type if info.compress_type in (
                    zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA) else zipfile.ZIP_DEFLATED
                entry.external_attr = (0o40755 << 16) | 0x10 if info.is_dir() else 0o644 << 16
                if info.is_dir():
                    zout.writestr(entry, b"")
                    continue
                self._check(info.file_size, info.compress_size)
                self._account(info.file_size)
                with zin.open(info) as f:
                    body, hit = self.redact(_Bounded(f, info.file_size), f"{shown}/{new_name}", red, depth=depth)
                changed |= hit
                with zout.open(entry, "w", force_zip64=_size(body) > (1 << 31)) as w:
                    shutil.copyfileobj(body, w, _CHUNK)
                body.close()
        whole.close()
        out.seek(0)
        return out, changed


def redact_lines(lines: Iterable[bytes], path: str, red: Redactor, out: IO[bytes]) -> bool:
    """Large texts: batches of lines through the vectorised table redaction, written to ``out``;
    whether anything was replaced.

    A batch never ends inside a multi-line secret: from the last line that can start one
    (see `Redactor.multiline_start`), the lines are carried over to the next batch.
    """
    changed = False
    batch: list[str] = []
    first = 1
    wrote = False

    def flush(final: bool) -> None:
        nonlocal changed, first, wrote
        cut = len(batch) if final else red.multiline_start(batch, CARRY_LINES)
        if cut == 0:
            return
        part = batch[:cut]
        df = pl.DataFrame({"path": [path] * len(part),
                           "line": pl.int_range(first, first + len(part), eager=True),
                           "text": part})
        new = red.frame(df, ["text"])["text"]
        if not new.equals(df["text"]):
            changed = True
        if wrote:
            out.write(b"\n")
        out.write("\n".join(new.to_list()).encode("utf-8", "surrogateescape"))
        wrote = True
        first += cut
        del batch[:cut]

    for raw in lines:
        batch.append(raw.decode("utf-8", "surrogateescape"))
        if len(batch) >= BATCH_LINES:
            flush(final=False)
    flush(final=True)
    return changed


def _inner_name(name: str) -> str | None:
    """A clean relative name of a file inside an attachment, else None (absolute, `..`)."""
    p = PurePosixPath(name.replace("\\", "/"))
    parts = [x for x in p.parts if x not in ("", ".")]
    if p.is_absolute() or not parts or ".." in parts:
        return None
    return "/".join(parts)


def _read_upto(f: Any, n: int) -> bytes:
    """Up to ``n`` bytes (a raw stream may return fewer per read)."""
    chunks: list[bytes] = []
    got = 0
    while got < n:
        chunk = f.read(min(_CHUNK, n - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _lines(head: bytes, rest: Any) -> Iterable[bytes]:
    """The lines of ``head`` + ``rest`` as ``bytes.split(b"\\n")`` gives them, streamed."""
    carry = b""
    chunk = head
    while chunk:
        parts = (carry + chunk).split(b"\n")
        carry = parts.pop()
        if len(carry) > LONG_LINE_BYTES or any(len(p) > LONG_LINE_BYTES for p in parts):
            raise Withheld(f"a line longer than {LONG_LINE_BYTES >> 20} MiB, not checked for secrets")
        yield from parts
        chunk = _read_upto(rest, 4 << 20)
    yield carry


def _rewound(f: IO[bytes], data: bytes) -> IO[bytes]:
    f.write(data)
    f.seek(0)
    return f


def _size(f: IO[bytes]) -> int:
    pos = f.tell()
    f.seek(0, io.SEEK_END)
    size = f.tell()
    f.seek(pos)
    return size


def _pipe(src: IO[bytes], out: IO[bytes], compress: Any, flush: Any) -> None:
    while chunk := src.read(_CHUNK):
        out.write(compress(chunk))
    out.write(flush())


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class _Counting(io.RawIOBase):
    """Counts the compressed bytes read (for the expansion ratio)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._raw.read(len(b))
        b[: len(data)] = data
        self.count += len(data)
        return len(data)


class _Bounded(io.RawIOBase):
    """A zip member's stream, cut at the size its header declares (a lying header stops here)."""

    def __init__(self, raw: IO[bytes], size: int) -> None:
        self._raw, self._left = raw, size

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._left <= 0:
            if self._raw.read(1):
                raise Unreadable("a file inside the zip is larger than its header says")
            return 0
        data = self._raw.read(min(len(b), self._left))
        b[: len(data)] = data
        self._left -= len(data)
        return len(data)


class _Prefixed(io.RawIOBase):
    """``head`` (already read for sniffing) followed by the rest of ``stream``."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head, self._stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(b))
        b[: len(data)] = data
        return len(data)
