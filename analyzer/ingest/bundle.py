"""The Bundle and Member types and ``open_bundle`` (see the package docstring)."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import stat
import sys
import tarfile
import tempfile
import weakref
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import IO, Any, Callable, Iterator

try:
    import zstandard
except ImportError:  # pragma: no cover - a declared dependency; keep tars readable without it
    zstandard = None


class BundleError(Exception):
    """The input cannot be opened at all; the message is one line saying what to do."""


class ReadFailed(Exception):
    """One member cannot be read; recorded as a ReadError, the rest goes on."""


@dataclass(frozen=True)
class Limits:
    """Bounds for untrusted input; all configurable."""

    max_total_bytes: int = 32 << 30        # uncompressed bytes read from one bundle
    max_member_bytes: int = 4 << 30        # one member, after decompression
    max_line_bytes: int = 1 << 20          # longer lines are cut and recorded
    max_members: int = 200_000             # entries in one archive
    max_object_bytes: int = 256 << 20      # JSON/YAML documents parsed whole
    max_ratio: int = 200                   # decompressed/compressed beyond 64 MiB: a bomb


@dataclass(frozen=True)
class ReadError:
    path: str
    error: str


@dataclass
class Member:
    """One file of the bundle. ``path`` is relative to the bundle root, POSIX style."""

    path: str
    size: int | None
    opener: Callable[[], IO[bytes]]
    kind: str = "text"
    meta: dict[str, Any] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    # a big log left inside a compressed archive: read by ``Bundle.stream`` in one pass over the
    # archive, or unpacked to disk on the first ``open`` (see ``_DEFER_MIN``)
    deferred: bool = False
    cached_head: bytes | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    def open(self) -> IO[bytes]:
        """A binary stream of the content (gzip members decompressed), capped at the limit."""
        try:
            raw = self.opener()
        except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
            raise ReadFailed(f"cannot open: {_one_line(exc)}") from None
        if self.path.endswith(".gz"):
            raw = _decompressor("gz", raw)
        return _Capped(raw, self.limits.max_member_bytes, self.path)

    def read_bytes(self, limit: int | None = None) -> bytes:
        """The whole content; ReadFailed when corrupt or larger than ``limit``."""
        cap = self.limits.max_member_bytes if limit is None else limit
        with self.open() as f:
            try:
                data = f.read(cap + 1)
            except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, ValueError) as exc:
                raise ReadFailed(f"corrupt or truncated: {_one_line(exc)}") from None
        if len(data) > cap:
            raise ReadFailed(f"larger than the {cap} byte limit for this kind of file")
        return data

    def head(self, n: int = 8192) -> bytes:
        """The first ``n`` bytes (for sniffing); empty on error."""
        if self.cached_head is not None and (n <= len(self.cached_head) or self.size == len(self.cached_head)):
            return self.cached_head[:n]
        try:
            with self.open() as f:
                return f.read(n)
        except (ReadFailed, OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, ValueError):
            return b""


class _Capped(io.RawIOBase):
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
            raise ReadFailed(f"corrupt or truncated: {_one_line(exc)}") from None
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


class _Tee(io.RawIOBase):
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


def _failing_opener(message: str) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        raise ReadFailed(message)

    return opener


def _one_line(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text.splitlines()[0][:300]


@dataclass
class Bundle:
    """An opened bundle: layout, members and the problems met so far."""

    root: str
    layout: str = "loose"
    members: list[Member] = field(default_factory=list)
    read_errors: list[ReadError] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    top: str = ""
    limits: Limits = field(default_factory=Limits)
    _cleanup: list[Callable[[], None]] = field(default_factory=list, repr=False)
    # a compressed archive whose big logs were left in it: the decompressed tar again, from its
    # start, and the archive entry name of each deferred member
    _replay: Callable[[], Any] | None = field(default=None, repr=False)
    _deferred: dict[str, Member] = field(default_factory=dict, repr=False)
    _spool_dir: Path | None = field(default=None, repr=False)

    def error(self, path: str, message: str) -> None:
        self.read_errors.append(ReadError(path, message))

    def stream(self, members: list[Member], keep: Callable[[Member], bool] | None = None
               ) -> Iterator[tuple[Member, IO[bytes] | ReadFailed]]:
        """(member, open stream or the ReadFailed met opening it) for each of ``members``.

        Members on disk come first, in the given order; members still inside a compressed
        archive follow in one pass over it, in archive order (decompression read ahead in a
        thread). Those that ``keep`` accepts are also written to disk as they pass, so that a
        later ``open`` of them is a plain file read. The caller reads each stream before asking
        for the next one.
        """
        later = []
        for m in members:
            if m.deferred:
                later.append(m)
                continue
            try:
                yield m, m.open()
            except ReadFailed as exc:
                yield m, exc
        if later:
            yield from self._replay_members(later, keep or (lambda m: False))

    def _replay_members(self, wanted: list[Member], keep: Callable[[Member], bool]
                        ) -> Iterator[tuple[Member, IO[bytes] | ReadFailed]]:
        left = {id(m): m for m in wanted}
        names = {id(m): name for name, m in self._deferred.items()}
        failure = "not found when the archive was read again"
        try:
            assert self._replay is not None
            with self._replay() as raw, tarfile.open(fileobj=raw, mode="r|", bufsize=1 << 20) as tf:
                for info in _iter_tar(tf):
                    if not left:
                        break
                    name = _safe_name(info.name)
                    m = self._deferred.get(name) if name else None
                    if m is None or id(m) not in left or not info.isfile():
                        continue
                    del left[id(m)]
                    src = _Capped(tf.extractfile(info) or io.BytesIO(), m.limits.max_member_bytes, m.path)
                    if not (keep(m) and self._spool_dir is not None):
                        yield m, src
                        continue
                    target = self._spool_dir / "kept" / names[id(m)]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with open(target, "wb") as out:
                        yield m, _Tee(src, out)
                        shutil.copyfileobj(src, out, 1 << 20)  # whatever the reader left
                    m.opener, m.deferred = _file_opener(target), False
        except ReadFailed as exc:
            failure = str(exc)
        except Exception as exc:  # noqa: BLE001 - tar or decompressor error: the members left fail
            failure = f"archive unreadable when read again: {_one_line(exc)}"
        for m in left.values():
            yield m, ReadFailed(failure)

    def _materialize(self) -> None:
        """Unpack every member still deferred to disk (the first random read of one of them)."""
        pending = [m for m in self._deferred.values() if m.deferred]
        for m, got in self._replay_members(pending, lambda m: True):
            if isinstance(got, ReadFailed):
                m.opener, m.deferred = _failing_opener(str(got)), False
            else:
                with got:
                    while got.read(1 << 20):
                        pass

    def close(self) -> None:
        while self._cleanup:
            self._cleanup.pop()()

    def __enter__(self) -> "Bundle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def by_kind(self, *kinds: str) -> list[Member]:
        return [m for m in self.members if m.kind in kinds]


# --------------------------------------------------------------------------- opening

_MAGIC_GZ = b"\x1f\x8b"
_MAGIC_ZST = b"\x28\xb5\x2f\xfd"
_MAGIC_ZIP = b"PK\x03\x04"
_MAGIC_ZIP_EMPTY = b"PK\x05\x06"


def _safe_name(name: str) -> str | None:
    """The member name as a clean relative POSIX path, or None when it must be refused."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def open_bundle(source: str | os.PathLike[str], limits: Limits | None = None,
                on_read: Callable[[int], None] | None = None) -> Bundle:
    """Open ``source`` (path or ``-``), list its members, detect the layout and member kinds.

    ``on_read`` is called with the byte counts of a compressed input as it is unpacked
    (progress); a directory or plain archive is not read here."""
    from analyzer.ingest.layout import classify

    limits = limits or Limits()
    if str(source) == "-":
        bundle = _open_stdin(limits, on_read)
    else:
        path = Path(source)
        if not path.exists():
            raise BundleError(f"{path}: no such file or directory")
        if path.is_dir():
            bundle = _open_dir(path, limits)
        elif path.is_file():
            bundle = _open_file(path, limits, on_read)
        else:
            raise BundleError(f"{path}: not a regular file or directory")
    _strip_common_top(bundle)
    bundle.members.sort(key=lambda m: m.path)
    classify(bundle)
    return bundle


def _open_dir(path: Path, limits: Limits, display: str | None = None) -> Bundle:
    bundle = Bundle(root=display or str(path), limits=limits)
    count = 0
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        for d in list(dirnames):
            if (base / d).is_symlink():
                bundle.error(_rel(base / d, path), "symbolic link refused")
                dirnames.remove(d)
        for fn in sorted(filenames):
            full = base / fn
            rel = _rel(full, path)
            try:
                st = full.lstat()
            except OSError as exc:
                bundle.error(rel, f"cannot stat: {_one_line(exc)}")
                continue
            if stat.S_ISLNK(st.st_mode):
                bundle.error(rel, "symbolic link refused")
                continue
            if not stat.S_ISREG(st.st_mode):
                bundle.error(rel, "not a regular file (device, fifo or socket) refused")
                continue
            count += 1
            if count > limits.max_members:
                bundle.error(rel, f"more than {limits.max_members} files; the rest were not read")
                return bundle
            bundle.members.append(Member(rel, st.st_size, _file_opener(full), limits=limits))
    return bundle


def _rel(full: Path, root: Path) -> str:
    return full.relative_to(root).as_posix()


def _file_opener(full: Path) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        # O_NOFOLLOW: a file swapped for a link after listing is still refused
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        return os.fdopen(fd, "rb")

    return opener


def _sniff_container(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as exc:
        raise BundleError(f"{path}: cannot read: {_one_line(exc)}") from None
    if head.startswith((_MAGIC_ZIP, _MAGIC_ZIP_EMPTY)):
        return "zip"
    if head.startswith(_MAGIC_GZ):
        return "gz"
    if head.startswith(_MAGIC_ZST):
        return "zst"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    return "file"


def _open_file(path: Path, limits: Limits, on_read: Callable[[int], None] | None = None) -> Bundle:
    kind = _sniff_container(path)
    if kind == "zip":
        return _open_zip(path, limits)
    if kind == "tar":
        return _open_tar(path, limits)
    if kind in ("gz", "zst"):
        return _open_compressed(path, kind, limits, on_read)
    size = path.stat().st_size
    if size == 0:
        raise BundleError(f"{path}: the file is empty")
    bundle = Bundle(root=str(path), layout="file", limits=limits)
    bundle.members.append(Member(path.name, size, _file_opener(path), limits=limits))
    return bundle


def _open_tar(path: Path, limits: Limits) -> Bundle:
    bundle = Bundle(root=str(path), limits=limits)
    try:
        tf = tarfile.open(path, mode="r:")
    except (tarfile.TarError, OSError) as exc:
        raise BundleError(f"{path}: not a readable tar archive ({_one_line(exc)})") from None
    bundle._cleanup.append(tf.close)
    count = 0
    try:
        for info in _iter_tar(tf):
            count += 1
            if count > limits.max_members:
                bundle.error(info.name, f"more than {limits.max_members} archive entries; the rest were not read")
                break
            _add_tar_member(bundle, tf, info, limits)
    except (tarfile.TarError, OSError, EOFError) as exc:
        bundle.error(path.name, f"archive truncated or corrupt after {count} entries: {_one_line(exc)}")
    return bundle


def _iter_tar(tf: tarfile.TarFile):
    """Members one by one without tarfile keeping every header (a million-entry archive)."""
    while True:
        info = tf.next()
        if info is None:
            return
        tf.members.clear()  # next() appends each header; only offsets in the TarInfo are needed
        yield info


def _add_tar_member(bundle: Bundle, tf: tarfile.TarFile, info: tarfile.TarInfo, limits: Limits) -> None:
    name = _safe_name(info.name)
    if name is None:
        bundle.error(info.name, "unsafe member path (absolute or '..') refused")
        return
    if info.isdir():
        return
    if info.issym() or info.islnk():
        bundle.error(name, "link member refused")
        return
    if not info.isfile():
        bundle.error(name, "device, fifo or special member refused")
        return

    def opener(info=info) -> IO[bytes]:
        f = tf.extractfile(info)
        if f is None:
            raise OSError("no content")
        return f

    bundle.members.append(Member(name, info.size, opener, limits=limits))


def _open_zip(path: Path, limits: Limits) -> Bundle:
    bundle = Bundle(root=str(path), limits=limits)
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise BundleError(f"{path}: not a readable zip archive ({_one_line(exc)})") from None
    bundle._cleanup.append(zf.close)
    for count, info in enumerate(infos, 1):
        if count > limits.max_members:
            bundle.error(info.filename, f"more than {limits.max_members} archive entries; the rest were not read")
            break
        name = _safe_name(info.filename)
        if name is None:
            bundle.error(info.filename, "unsafe member path (absolute or '..') refused")
            continue
        if info.is_dir():
            continue
        mode = (info.external_attr >> 16) & 0o170000
        if mode and not stat.S_ISREG(mode):
            bundle.error(name, "link or special member refused")
            continue
        # a member may expand at most max_ratio times its compressed size (past 256 MiB): a
        # zip bomb stops at that cap, whatever its header claims
        cap = min(limits.max_member_bytes, max(64 << 20, info.compress_size * limits.max_ratio))
        if info.file_size > cap:
            bundle.error(name, f"expands {info.file_size} bytes from {info.compress_size}: compression "
                               "ratio over the limit, refused (possible zip bomb)")
            continue
        member_limits = limits if cap == limits.max_member_bytes else replace(limits, max_member_bytes=cap)
        bundle.members.append(Member(name, info.file_size, lambda info=info: zf.open(info), limits=member_limits))
    return bundle


def _decompressor(kind: str, raw: IO[bytes]) -> IO[bytes]:
    if kind == "gz":
        try:  # ISA-L's gzip (`pip install .[fast]`) decompresses about 1.6x faster than zlib
            from isal import igzip
        except ImportError:
            return gzip.GzipFile(fileobj=raw)
        return igzip.IGzipFile(fileobj=raw)
    if zstandard is None:
        raise BundleError("this bundle is zstd-compressed: pip install zstandard")
    return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)


def _open_compressed(path: Path, kind: str, limits: Limits,
                     on_read: Callable[[int], None] | None = None) -> Bundle:
    """A gzip/zstd file: a compressed tar is unpacked to a private folder (its big logs are left
    in it, read again in one pass when the logs are streamed), else kept as one text file."""
    st = path.stat()
    cap = min(limits.max_total_bytes, max(64 << 20, st.st_size * limits.max_ratio))

    @contextlib.contextmanager
    def replay() -> Iterator[IO[bytes]]:
        with open(path, "rb") as raw:
            now = os.fstat(raw.fileno())
            if (now.st_size, now.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
                raise ReadFailed("the archive changed after it was opened")
            ahead = _ReadAhead(_Capped(_decompressor(kind, raw), cap, str(path)))
            try:
                yield io.BufferedReader(ahead, 1 << 20)
            finally:
                ahead.close()

    with open(path, "rb") as raw:
        return _spool(_decompressor(kind, raw), str(path), limits,
                      single_name=path.name.rsplit(".", 1)[0], cap=cap, on_read=on_read, replay=replay)


def _open_stdin(limits: Limits, on_read: Callable[[int], None] | None = None) -> Bundle:
    data = sys.stdin.buffer
    head = data.peek(512)[:512] if hasattr(data, "peek") else b""
    if head.startswith(_MAGIC_GZ) or head.startswith(_MAGIC_ZST):
        return _spool(_decompressor("gz" if head.startswith(_MAGIC_GZ) else "zst", data), "<stdin>",
                      limits, single_name="stdin", on_read=on_read)
    return _spool(data, "<stdin>", limits, single_name="stdin", on_read=on_read)


class _ReadAhead(io.RawIOBase):
    """Reads ``stream`` in a helper thread, a few MiB ahead: decompression (zlib, ISA-L and zstd
    release the GIL) overlaps the tar parsing and file writing done by the caller. An error of
    the stream is raised to the caller at the point it was met."""

    _CHUNK = 1 << 20

    def __init__(self, stream: IO[bytes], depth: int = 8, on_read: Callable[[int], None] | None = None):
        import queue
        import threading

        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._buf = memoryview(b"")
        self._done = False
        self._on_read = on_read
        self._thread = threading.Thread(target=self._produce, args=(stream,), name="decompress", daemon=True)
        self._thread.start()

    def _produce(self, stream: IO[bytes]) -> None:
        import queue

        while not self._stop.is_set():
            try:
                item: bytes | BaseException = stream.read(self._CHUNK)
            except BaseException as exc:  # noqa: BLE001 - handed to the reader
                item = exc
            while not self._stop.is_set():
                try:
                    self._q.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if not isinstance(item, bytes) or not item:
                return

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        while not self._buf and not self._done:
            item = self._q.get()
            if isinstance(item, BaseException):
                self._done = True
                raise item
            if not item:
                self._done = True
            self._buf = memoryview(item)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        if n and self._on_read is not None:
            self._on_read(n)
        return n

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)  # a producer blocked on a slow pipe is a daemon: it exits with us
        super().close()


class _Prefixed(io.RawIOBase):
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


def _read_head(stream: IO[bytes], n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        data = stream.read(n - got)
        if not data:
            break
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def _stream_error(exc: BaseException) -> str:
    """The one-line record of a compressed stream that stopped early."""
    if isinstance(exc, ReadFailed):
        return str(exc)
    if isinstance(exc, (OSError, EOFError, ValueError, tarfile.TarError)):
        return f"compressed stream truncated or corrupt: {_one_line(exc)}"
    return f"compressed stream corrupt: {_one_line(exc)}"  # zstd raises its own error type


def _spool(stream: IO[bytes], display: str, limits: Limits, single_name: str,
           cap: int | None = None, on_read: Callable[[int], None] | None = None,
           replay: Callable[[], Any] | None = None) -> Bundle:
    """Unpack a one-pass stream into a private temp dir: a tar is extracted as it streams (one
    pass, decompression read ahead in a thread), anything else is kept as one file. With
    ``replay`` (the stream again, from its start), big logs are left in the archive."""
    tmp = Path(tempfile.mkdtemp(prefix="bundle-analyzer-"))
    os.chmod(tmp, 0o700)
    source = _ReadAhead(_Capped(stream, cap or limits.max_total_bytes, display), on_read=on_read)
    try:
        bundle = _unpack(source, tmp, display, limits, single_name, defer=replay is not None)
    finally:
        source.close()
    if bundle._deferred:
        bundle._replay, bundle._spool_dir = replay, tmp
    # removed on close(), or when the bundle is garbage-collected unclosed
    remove = weakref.finalize(bundle, shutil.rmtree, tmp, True)
    bundle._cleanup.append(remove)
    return bundle


def _unpack(source: IO[bytes], tmp: Path, display: str, limits: Limits, single_name: str,
            defer: bool = False) -> Bundle:
    truncated = None
    try:
        head = _read_head(source, 512)
    except Exception as exc:  # noqa: BLE001 - any stream failure is recorded, never raised
        head, truncated = b"", _stream_error(exc)
    if truncated is None and len(head) >= 262 and head[257:262] == b"ustar":
        return _extract_tar(io.BufferedReader(_Prefixed(head, source), 1 << 20), tmp / "tree", display, limits,
                            defer=defer)
    blob = tmp / "input"
    with open(blob, "wb") as out:
        out.write(head)
        if truncated is None:
            try:
                shutil.copyfileobj(source, out, 1 << 20)
            except Exception as exc:  # noqa: BLE001 - recorded on the bundle
                truncated = _stream_error(exc)
    if head.startswith((_MAGIC_ZIP, _MAGIC_ZIP_EMPTY)):
        bundle = _open_zip(blob, limits)
        bundle.root = display
    else:
        bundle = Bundle(root=display, layout="file", limits=limits)
        bundle.members.append(Member(single_name, blob.stat().st_size, _file_opener(blob), limits=limits))
    if truncated:
        bundle.error(Path(display).name, truncated)
    return bundle


# a log of at least this size is left inside a compressed archive (``defer``) and streamed from
# it when the logs are matched: writing a gigabyte to disk and reading it back costs more than
# decompressing twice, and needs neither the disk space nor the page cache
_DEFER_MIN = 1 << 20
_HEAD_BYTES = 64 << 10


def _is_big_log(name: str, size: int) -> bool:
    low = name.lower()
    return size >= _DEFER_MIN and not low.endswith(".gz") and (
        low.endswith((".log", "logs.txt", ".log.txt")) or "/logs/" in "/" + low)


def _deferred_opener(bundle: Bundle, member: Member) -> Callable[[], IO[bytes]]:
    ref = weakref.ref(bundle)

    def opener() -> IO[bytes]:
        b = ref()
        if b is None:
            raise OSError("the bundle was closed")
        b._materialize()  # replaces this opener with the unpacked file's
        return member.opener()

    return opener


def _extract_tar(stream: IO[bytes], dest: Path, display: str, limits: Limits, defer: bool = False) -> Bundle:
    """Extract regular files only, with safe names, under ``dest``, reading ``stream`` once;
    refuse the rest. A stream that stops early keeps what came before it. With ``defer``, big
    logs are not written: their members stay in the archive (``Member.deferred``)."""
    bundle = Bundle(root=display, limits=limits)
    dest.mkdir()
    left_in: list[Member] = []
    count = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|", bufsize=1 << 20) as tf:
            for info in _iter_tar(tf):
                count += 1
                if count > limits.max_members:
                    bundle.error(info.name, f"more than {limits.max_members} archive entries; the rest were not read")
                    break
                name = _safe_name(info.name)
                if name is None:
                    bundle.error(info.name, "unsafe member path (absolute or '..') refused")
                    continue
                if info.isdir():
                    continue
                if info.issym() or info.islnk():
                    bundle.error(name, "link member refused")
                    continue
                if not info.isfile():
                    bundle.error(name, "device, fifo or special member refused")
                    continue
                target = dest / name
                src = tf.extractfile(info)
                if src is None:
                    continue
                big = defer and _is_big_log(name, info.size)
                if name in bundle._deferred or (big and target.exists()):
                    bundle.error(name, "duplicate or conflicting member refused")
                    continue
                if big:
                    m = Member(name, info.size, io.BytesIO, limits=limits, deferred=True,
                               cached_head=src.read(_HEAD_BYTES))
                    m.opener = _deferred_opener(bundle, m)
                    bundle._deferred[name] = m
                    left_in.append(m)
                    continue
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with open(target, "xb") as out:  # "x": a duplicate name never overwrites
                        shutil.copyfileobj(src, out, 1 << 20)
                except (FileExistsError, NotADirectoryError, IsADirectoryError):
                    bundle.error(name, "duplicate or conflicting member refused")
                    continue
    except (tarfile.TarError, OSError, EOFError) as exc:
        bundle.error(Path(display).name, f"archive truncated or corrupt after {count} entries: {_one_line(exc)}")
    except Exception as exc:  # noqa: BLE001 - the stream under the tar: limit, zstd error
        bundle.error(Path(display).name, f"archive stopped after {count} entries: {_stream_error(exc)}")
    inner = _open_dir(dest, limits, display)
    bundle.members = inner.members + left_in
    bundle.read_errors.extend(inner.read_errors)
    return bundle


def _strip_common_top(bundle: Bundle) -> None:
    """Bundles usually have one top folder (``gpu-bundle-.../``); paths are relative to it."""
    if bundle.layout == "file" or not bundle.members:
        return
    tops = {m.path.split("/", 1)[0] for m in bundle.members}
    if len(tops) == 1 and all("/" in m.path for m in bundle.members):
        top = tops.pop()
        if top.startswith(("test_fault_scenario[", "test_worker_failure[")):
            return  # the scenario folder's name carries the deployment and failure
        bundle.top = top
        for m in bundle.members:
            m.path = m.path[len(top) + 1:]
