"""Byte streams of untrusted input: capped, decompressed, read ahead, and the errors they raise.

Every byte that comes in passes a ``Capped`` stream, so a decompression bomb stops at its cap
with a ``ReadFailed`` instead of filling memory or disk.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from typing import IO, Callable

from analyzer.readahead import ReadAhead

try:
    import zstandard
except ImportError:  # pragma: no cover - a declared dependency; keep tars readable without it
    zstandard = None


class BundleError(Exception):
    """The input cannot be opened at all; the message is one line saying what to do."""


class ReadFailed(Exception):
    """One member cannot be read; recorded as a ReadError, the rest goes on."""


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (its class name when it has none), cut at 300."""
    text = str(exc) or exc.__class__.__name__
    return text.splitlines()[0][:300]


class Capped(io.RawIOBase):
    """Wraps a stream; raises ReadFailed past ``cap`` bytes (a decompression bomb stops here)."""

    def __init__(self, raw: IO[bytes], cap: int, path: str):
        self._raw, self._cap, self._path, self._pos = raw, cap, path, 0

    def readable(self) -> bool:
        return True

    def _pull(self, n: int) -> bytes:
        """At most ``n`` bytes of the stream (at most one past the cap, which the next call refuses)."""
        if self._pos > self._cap:
            raise ReadFailed(f"larger than the {self._cap} byte limit")
        try:
            data = self._raw.read(min(n, self._cap + 1 - self._pos))
        except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, ValueError) as exc:
            raise ReadFailed(f"corrupt or truncated: {one_line(exc)}") from None
        self._pos += len(data)
        return data

    def readinto(self, b) -> int:  # type: ignore[override]
        data = self._pull(len(b))
        b[:len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        """Up to ``size`` bytes (all when negative), read in chunks of at most 1 MiB."""
        want = None if size is None or size < 0 else size
        chunks = []
        got = 0
        while want is None or got < want:
            data = self._pull(1 << 20 if want is None else min(1 << 20, want - got))
            if not data:
                break
            chunks.append(data)
            got += len(data)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

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

    def close(self) -> None:
        self._ahead.close()  # a reader blocked on a slow pipe is a daemon: it ends with the process
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


def stream_error(exc: BaseException) -> str:
    """The one-line record of a compressed stream that stopped early."""
    if isinstance(exc, ReadFailed):
        return str(exc)
    if isinstance(exc, (OSError, EOFError, ValueError, tarfile.TarError)):
        return f"compressed stream truncated or corrupt: {one_line(exc)}"
    return f"compressed stream corrupt: {one_line(exc)}"  # zstd raises its own error type


def decompressor(kind: str, raw: IO[bytes]) -> IO[bytes]:
    """A decompressing reader of ``raw``: ``gz`` or ``zst``."""
    if kind == "gz":
        try:  # ISA-L's gzip (`pip install .[fast]`) decompresses about 1.6x faster than zlib
            from isal import igzip
        except ImportError:
            return gzip.GzipFile(fileobj=raw)
        return igzip.IGzipFile(fileobj=raw)
    if zstandard is None:
        raise BundleError("this bundle is zstd-compressed: pip install zstandard")
    return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
