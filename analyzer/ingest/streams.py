"""Byte streams of untrusted input: capped, decompressed, transcoded, read ahead, and the errors
they raise.

Every byte that comes in passes a ``Capped`` stream: a decompression bomb stops at its cap, and
whatever a decoder raises (``zlib.error``, ``lzma.LZMAError``, ``EOFError``, zipfile's
``RuntimeError`` for an encrypted member or ``NotImplementedError`` for an unknown method,
``MemoryError``, zstd's own error...) becomes a ``ReadFailed`` with a one-line reason, after the
bytes read before it. Compression is told by magic bytes, never by the name (``compression``);
formats that are recognised but not read are named (``unsupported_format``).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import tarfile
import threading
import zipfile
import zlib
from typing import IO, Callable

from analyzer.readahead import ReadAhead

try:
    import zstandard
except ImportError:  # pragma: no cover - a declared dependency; keep tars readable without it
    zstandard = None


class BundleError(Exception):
    """The input cannot be opened at all; the message is one line saying what to do."""


class UnsupportedFormat(BundleError):
    """The input is an archive or compression format that is recognised but not read."""

    def __init__(self, who: str, name: str):
        super().__init__(f"{who} is a {name}, a format that is not read: unpack it and give the folder, "
                         "or repack it as .tar.gz")


class ReadFailed(Exception):
    """One member cannot be read; recorded as a ReadError, the rest goes on."""


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (its class name when it has none), cut at 300."""
    text = str(exc) or exc.__class__.__name__
    return (text.splitlines() or [exc.__class__.__name__])[0][:300]


# ------------------------------------------------------------------ formats, by magic bytes

MAGIC_BYTES = 8   # enough for every signature below

_XZ = b"\xfd7zXZ\x00"
_BZ2_BLOCK = (b"1AY&SY", b"\x17rE8P\x90")   # first block, or end of stream (empty input)


def compression(head: bytes) -> str | None:
    """The compression of a stream from its first bytes: ``gz``, ``zst``, ``xz``, ``bz2`` or None.

    >>> compression(b"\\x1f\\x8b\\x08\\x00"), compression(b"BZh91AY&SY"), compression(b"BZh, a log")
    ('gz', 'bz2', None)
    """
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zst"
    if head.startswith(_XZ):
        return "xz"
    if head[:3] == b"BZh" and head[3:4] in b"123456789" and len(head) >= 4 and (
            len(head) < 10 or head[4:10] in _BZ2_BLOCK):
        return "bz2"
    return None


# archive and compression formats recognised but not read: the user is told which one it is
_UNSUPPORTED = (
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x04\x22\x4d\x18", "LZ4 frame"),
    (b"\x02\x21\x4c\x18", "legacy LZ4"),
    (b"LZIP", "lzip"),
    (b"\x89LZO\x00\r\n\x1a", "lzop"),
    (b"\x1f\x9d", "Unix compress (.Z)"),
    (b"\x1f\xa0", "LZH (.Z)"),
    (b"MSCF\x00\x00\x00\x00", "Microsoft CAB archive"),
    (b"xar!", "xar archive"),
    (b"!<arch>\n", "ar archive"),
    (b"\xed\xab\xee\xdb", "RPM package"),
)


def unsupported_format(head: bytes) -> str | None:
    """The name of an archive/compression format that is recognised but not read, or None.

    >>> unsupported_format(b"7z\\xbc\\xaf\\x27\\x1c\\x00\\x04"), unsupported_format(b"hello")
    ('7z archive', None)
    """
    for magic, name in _UNSUPPORTED:
        if head.startswith(magic):
            return name
    return None


def unsupported_message(name: str) -> str:
    """The one-line reason for a format that is not read."""
    return f"a {name}: this format is not read (unpack it and give the folder, or repack it as .tar.gz)"


# text encodings told by their byte order mark; longest first (UTF-32-LE starts like UTF-16-LE)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def bom_encoding(head: bytes) -> str | None:
    """The UTF-16/32 encoding announced by a byte order mark, or None (UTF-8 or no BOM)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


# ------------------------------------------------------------------ errors

def describe_error(exc: BaseException) -> str:
    """The one-line reason for an exception met while reading one stream."""
    if isinstance(exc, ReadFailed):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "out of memory while decompressing (corrupt or hostile compressed data)"
    if isinstance(exc, NotImplementedError):
        return f"unsupported compression method: {one_line(exc)}"
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc).lower():
        return f"encrypted, not read: {one_line(exc)}"
    if isinstance(exc, (zlib.error, lzma.LZMAError)) or (
            zstandard is not None and isinstance(exc, zstandard.ZstdError)):
        return f"corrupt compressed data: {one_line(exc)}"
    if isinstance(exc, (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, ValueError)):
        return f"corrupt or truncated: {one_line(exc)}"
    return f"cannot read ({exc.__class__.__name__}): {one_line(exc)}"


def stream_error(exc: BaseException) -> str:
    """The one-line record of a compressed input stream that stopped early."""
    if isinstance(exc, ReadFailed):
        return str(exc)
    if isinstance(exc, (OSError, EOFError, ValueError, tarfile.TarError)):
        return f"compressed stream truncated or corrupt: {one_line(exc)}"
    return f"compressed stream corrupt: {one_line(exc)}"


# ------------------------------------------------------------------ caps

class Budget:
    """The bytes decompression may produce for one bundle, shared by all of its streams (the
    outer archive, zip members, nested ``.gz``/``.xz``/... members): many small bombs stop here
    when each alone is under its own cap. Thread-safe (the read-ahead thread charges it)."""

    def __init__(self, total: int):
        self.total, self.used = total, 0
        self._lock = threading.Lock()

    def charge(self, n: int) -> None:
        """Count ``n`` more decompressed bytes; ReadFailed once past the total."""
        with self._lock:
            self.used += n
            over = self.used > self.total
        if over:
            raise ReadFailed(f"the bundle's decompressed data passed its {self.total} byte limit "
                             "(possible decompression bomb); not read")

    def exhausted(self) -> bool:
        return self.used > self.total


def expansion_cap(max_member_bytes: int, max_ratio: int, compressed_size: int | None,
                  floor: int = 64 << 20) -> int:
    """How many bytes one compressed member may expand to: ``max_ratio`` times its compressed
    size past ``floor``, never past ``max_member_bytes``."""
    if compressed_size is None:
        return max_member_bytes
    return min(max_member_bytes, max(floor, compressed_size * max_ratio))


class Capped(io.RawIOBase):
    """Wraps a stream; raises ReadFailed past ``cap`` bytes (a decompression bomb stops here), and
    turns any error of the stream under it into ReadFailed, after the bytes read before it.

    ``charge`` is called with the position reached after each read (a shared ``Budget``)."""

    def __init__(self, raw: IO[bytes], cap: int, path: str, charge: Callable[[int], None] | None = None,
                 over: str | None = None):
        self._raw, self._cap, self._path, self._pos = raw, cap, path, 0
        self._read = getattr(raw, "read1", None) or raw.read
        self._charge = charge
        self._over = over or f"larger than the {cap} byte limit"
        self._error: ReadFailed | None = None

    def readable(self) -> bool:
        return True

    def _pull(self, n: int) -> bytes:
        """At most ``n`` bytes of the stream (at most one past the cap, which the next call refuses)."""
        if self._error is not None:
            raise self._error
        if self._pos > self._cap:
            raise ReadFailed(self._over)
        try:
            # read1 where there is one: a decoder hands over what it decoded before its error
            # (a BufferedReader's read(n) drops the bytes gathered so far when it raises)
            data = self._read(min(n, self._cap + 1 - self._pos))
        except ReadFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - every decoder has its own error types
            raise ReadFailed(describe_error(exc)) from None
        if data is None:
            data = b""
        self._pos += len(data)
        if self._charge is not None and data:
            self._charge(self._pos)
        return data

    def readinto(self, b) -> int:  # type: ignore[override]
        data = self._pull(len(b))
        b[:len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        """Up to ``size`` bytes (all when negative), read in chunks of at most 1 MiB. An error
        after some bytes returns those bytes; the next read raises it."""
        want = None if size is None or size < 0 else size
        chunks = []
        got = 0
        while want is None or got < want:
            try:
                data = self._pull(1 << 20 if want is None else min(1 << 20, want - got))
            except ReadFailed as exc:
                if not chunks:
                    raise
                self._error = exc
                break
            if not data:
                break
            chunks.append(data)
            got += len(data)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def close(self) -> None:
        try:
            self._raw.close()
        except Exception:  # noqa: BLE001 - closing a corrupt decoder may raise again; nothing to keep
            pass
        finally:
            super().close()


class Slice(io.RawIOBase):
    """``length`` bytes of a file from ``start``; when ``cut`` (the file ends inside them), an
    EOFError after the bytes that are there."""

    def __init__(self, path: str, start: int, length: int, cut: str | None = None):
        self._f = open(path, "rb")
        self._f.seek(start)
        self._left, self._cut = length, cut

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        data = self._f.read(min(len(b), self._left)) if self._left > 0 else b""
        self._left -= len(data)
        if not data and self._cut:
            raise EOFError(self._cut)
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._f.close()
        super().close()


class Transcoded(io.RawIOBase):
    """A UTF-16/32 stream (with its byte order mark) read as UTF-8; bad code units become U+FFFD."""

    def __init__(self, raw: IO[bytes], encoding: str):
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)("replace")
        self._buf = memoryview(b"")
        self._first = True
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        while not self._buf and not self._eof:
            data = self._raw.read(1 << 20)
            text = self._decoder.decode(data or b"", final=not data)
            self._eof = not data
            if self._first and text:  # the byte order mark itself is not content
                text, self._first = text[1:] if text[0] == "\ufeff" else text, False
            self._buf = memoryview(text.encode("utf-8"))
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


class Tee(io.RawIOBase):
    """Reads ``src`` and writes what it reads to ``out``."""

    def __init__(self, src: IO[bytes], out: IO[bytes]):
        self._src, self._out = src, out

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        data = self._src.read(len(b))
        self._out.write(data)
        b[:len(data)] = data
        return len(data)


class Prefixed(io.RawIOBase):
    """``head`` followed by the rest of ``stream`` (a header sniffed off a one-pass stream)."""

    def __init__(self, head: bytes, stream: IO[bytes]):
        self._head, self._stream = memoryview(head), stream

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(b))
        b[:len(data)] = data
        return len(data)


class ReadAheadStream(io.RawIOBase):
    """``stream`` read in a helper thread, a few MiB ahead (``analyzer.readahead``): decompression
    (zlib, ISA-L and zstd release the GIL) overlaps the tar parsing and file writing done by the
    caller. An error of the stream is raised to the caller at the point it was met."""

    CHUNK = 1 << 20

    def __init__(self, stream: IO[bytes], depth: int = 8, on_read: Callable[[int], None] | None = None,
                 grace: float = 5.0):
        self._ahead: ReadAhead[bytes] = ReadAhead(iter(lambda: stream.read(self.CHUNK), b""), depth,
                                                  name="decompress", grace=grace)
        self._buf = memoryview(b"")
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        if not self._buf:
            self._buf = memoryview(next(self._ahead, b""))
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        if n and self._on_read is not None:
            self._on_read(n)
        return n

    def close(self, wait: bool = True) -> None:
        """Stop the read-ahead thread; ``wait=False`` when the run is being interrupted."""
        self._ahead.close(wait)  # a reader blocked on a slow pipe is a daemon: it ends with the process
        super().close()


def read_head(stream: IO[bytes], n: int) -> bytes:
    """The first ``n`` bytes of a stream (fewer only at its end)."""
    chunks, got = [], 0
    while got < n:
        data = stream.read(n - got)
        if not data:
            break
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def decompressor(kind: str, raw: IO[bytes]) -> IO[bytes]:
    """A decompressing reader of ``raw``: ``gz``, ``zst``, ``xz`` or ``bz2`` (see ``compression``)."""
    if kind == "gz":
        try:  # ISA-L's gzip (`pip install .[fast]`) decompresses about 1.6x faster than zlib
            from isal import igzip
        except ImportError:
            return gzip.GzipFile(fileobj=raw)
        return igzip.IGzipFile(fileobj=raw)
    if kind == "xz":
        return lzma.LZMAFile(raw)
    if kind == "bz2":
        return bz2.BZ2File(raw)
    if zstandard is None:
        raise BundleError("this input is zstd-compressed: pip install zstandard")
    return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)


def peek(raw: IO[bytes], n: int = MAGIC_BYTES) -> tuple[bytes, IO[bytes]]:
    """The first ``n`` bytes of ``raw`` and a stream that reads ``raw`` from its start again;
    an error reading them is a ReadFailed."""
    try:
        head = read_head(raw, n)
    except ReadFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - see Capped
        raise ReadFailed(describe_error(exc)) from None
    return head, Prefixed(head, raw)


def content_stream(raw: IO[bytes], path: str, cap: int, ratio_cap: int,
                   charge: Callable[[int], None] | None = None, compressed: bool = False) -> IO[bytes]:
    """The content of one member from its raw bytes, through the one read path: decompressed when
    its magic bytes say so (at most ``ratio_cap`` bytes, charged to the bundle's budget), refused
    when it is a format not read, UTF-16/32 with a BOM read as UTF-8, capped at ``cap``.
    ``compressed``: ``raw`` already decompresses (a deflated zip member): charged and capped alike."""
    head, stream = peek(raw)
    name = unsupported_format(head)
    if name:
        stream.close()
        raise ReadFailed(unsupported_message(name))
    kind = compression(head)
    if kind is not None:
        try:
            inner = decompressor(kind, stream)
        except BundleError as exc:
            raise ReadFailed(str(exc)) from None
        stream = Capped(inner, ratio_cap, path, charge, over=_ratio_message(ratio_cap))
    elif compressed:
        stream = Capped(stream, ratio_cap, path, charge, over=_ratio_message(ratio_cap))
    head, stream = peek(stream, 4)
    enc = bom_encoding(head)
    if enc:
        stream = Transcoded(stream, enc)
    return Capped(stream, cap, path)


def _ratio_message(cap: int) -> str:
    return f"expands past {cap} bytes: compression ratio over the limit (possible decompression bomb)"
