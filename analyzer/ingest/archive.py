"""Reading an input into members: a directory, a tar or zip read in place, a compressed tar or
standard input unpacked once into a private folder (see the package docstring).

``read_source`` lists the members of one input; it does not classify them (``analyzer.ingest.layout``
does). Unsafe names, links, devices and oversize members are refused here, each as a read error.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import stat
import sys
import tarfile
import tempfile
import weakref
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from analyzer.ingest.bundle import (Bundle, BundleError, Limits, Member, ReadFailed, file_opener, iter_tar,
                                    link_target, safe_name)
from analyzer.ingest.streams import (Capped, Prefixed, ReadAheadStream, decompressor, one_line, read_head,
                                     stream_error)

_MAGIC_GZ = b"\x1f\x8b"
_MAGIC_ZST = b"\x28\xb5\x2f\xfd"
_MAGIC_ZIP = b"PK\x03\x04"
_MAGIC_ZIP_EMPTY = b"PK\x05\x06"


def read_source(source: str | os.PathLike[str], limits: Limits,
                on_read: Callable[[int], None] | None = None) -> Bundle:
    """The members of ``source`` (a path or ``-``), unclassified; BundleError when it cannot be
    opened at all. ``on_read`` gets the byte counts of a compressed input as it is unpacked."""
    if str(source) == "-":
        return _open_stdin(limits, on_read)
    path = Path(source)
    if not path.exists():
        raise BundleError(f"{path}: no such file or directory")
    if path.is_dir():
        return _open_dir(path, limits)
    if path.is_file():
        return _open_file(path, limits, on_read)
    raise BundleError(f"{path}: not a regular file or directory")


def _open_dir(path: Path, limits: Limits, display: str | None = None) -> Bundle:
    bundle = Bundle(root=display or str(path), limits=limits)
    count = 0
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        for d in list(dirnames):
            if (base / d).is_symlink():
                bundle.error(_rel(base / d, path), "symbolic link refused")
                bundle.links[_rel(base / d, path)] = link_target(_rel(base / d, path), os.readlink(base / d))
                dirnames.remove(d)
        for fn in sorted(filenames):
            full = base / fn
            rel = _rel(full, path)
            try:
                st = full.lstat()
            except OSError as exc:
                bundle.error(rel, f"cannot stat: {one_line(exc)}")
                continue
            if stat.S_ISLNK(st.st_mode):
                bundle.error(rel, "symbolic link refused")
                bundle.links[rel] = link_target(rel, os.readlink(full))
                continue
            if not stat.S_ISREG(st.st_mode):
                bundle.error(rel, "not a regular file (device, fifo or socket) refused")
                continue
            count += 1
            if count > limits.max_members:
                bundle.error(rel, f"more than {limits.max_members} files; the rest were not read")
                return bundle
            bundle.members.append(Member(rel, st.st_size, file_opener(full), limits=limits))
    return bundle


def _rel(full: Path, root: Path) -> str:
    return full.relative_to(root).as_posix()


def _sniff_container(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as exc:
        raise BundleError(f"{path}: cannot read: {one_line(exc)}") from None
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
    bundle.members.append(Member(path.name, size, file_opener(path), limits=limits))
    return bundle


def _open_tar(path: Path, limits: Limits) -> Bundle:
    bundle = Bundle(root=str(path), limits=limits)
    try:
        tf = tarfile.open(path, mode="r:")
    except (tarfile.TarError, OSError) as exc:
        raise BundleError(f"{path}: not a readable tar archive ({one_line(exc)})") from None
    bundle.on_close(tf.close)
    count = 0
    try:
        for info in iter_tar(tf):
            count += 1
            if count > limits.max_members:
                bundle.error(info.name, f"more than {limits.max_members} archive entries; the rest were not read")
                break
            _add_tar_member(bundle, tf, info, limits)
    except (tarfile.TarError, OSError, EOFError) as exc:
        bundle.error(path.name, f"archive truncated or corrupt after {count} entries: {one_line(exc)}")
    return bundle


def _add_tar_member(bundle: Bundle, tf: tarfile.TarFile, info: tarfile.TarInfo, limits: Limits) -> None:
    name = safe_name(info.name)
    if name is None:
        bundle.error(info.name, "unsafe member path (absolute or '..') refused")
        return
    if info.isdir():
        return
    if info.issym() or info.islnk():
        bundle.error(name, "link member refused")
        bundle.links[name] = link_target(name, info.linkname, hard=info.islnk())
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
        raise BundleError(f"{path}: not a readable zip archive ({one_line(exc)})") from None
    bundle.on_close(zf.close)
    for count, info in enumerate(infos, 1):
        if count > limits.max_members:
            bundle.error(info.filename, f"more than {limits.max_members} archive entries; the rest were not read")
            break
        name = safe_name(info.filename)
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
            ahead = ReadAheadStream(Capped(decompressor(kind, raw), cap, str(path)))
            try:
                yield io.BufferedReader(ahead, 1 << 20)
            finally:
                ahead.close()

    with open(path, "rb") as raw:
        return _spool(decompressor(kind, raw), str(path), limits,
                      single_name=path.name.rsplit(".", 1)[0], cap=cap, on_read=on_read, replay=replay)


def _open_stdin(limits: Limits, on_read: Callable[[int], None] | None = None) -> Bundle:
    data = sys.stdin.buffer
    head = data.peek(512)[:512] if hasattr(data, "peek") else b""
    if head.startswith(_MAGIC_GZ) or head.startswith(_MAGIC_ZST):
        return _spool(decompressor("gz" if head.startswith(_MAGIC_GZ) else "zst", data), "<stdin>",
                      limits, single_name="stdin", on_read=on_read)
    return _spool(data, "<stdin>", limits, single_name="stdin", on_read=on_read)


def _spool(stream: IO[bytes], display: str, limits: Limits, single_name: str,
           cap: int | None = None, on_read: Callable[[int], None] | None = None,
           replay: Callable[[], Any] | None = None) -> Bundle:
    """Unpack a one-pass stream into a private temp dir: a tar is extracted as it streams (one
    pass, decompression read ahead in a thread), anything else is kept as one file. With
    ``replay`` (the stream again, from its start), big logs are left in the archive."""
    tmp = Path(tempfile.mkdtemp(prefix="bundle-analyzer-"))
    os.chmod(tmp, 0o700)
    source = ReadAheadStream(Capped(stream, cap or limits.max_total_bytes, display), on_read=on_read)
    try:
        bundle = _unpack(source, tmp, display, limits, single_name, defer=replay is not None)
    finally:
        source.close()
    if replay is not None:
        bundle.replay_with(replay, tmp)
    # removed on close(), or when the bundle is garbage-collected unclosed
    remove = weakref.finalize(bundle, shutil.rmtree, tmp, True)
    bundle.on_close(remove)
    return bundle


def _unpack(source: IO[bytes], tmp: Path, display: str, limits: Limits, single_name: str,
            defer: bool = False) -> Bundle:
    truncated = None
    try:
        head = read_head(source, 512)
    except Exception as exc:  # noqa: BLE001 - any stream failure is recorded, never raised
        head, truncated = b"", stream_error(exc)
    if truncated is None and len(head) >= 262 and head[257:262] == b"ustar":
        return _extract_tar(io.BufferedReader(Prefixed(head, source), 1 << 20), tmp / "tree", display, limits,
                            defer=defer)
    blob = tmp / "input"
    with open(blob, "wb") as out:
        out.write(head)
        if truncated is None:
            try:
                shutil.copyfileobj(source, out, 1 << 20)
            except Exception as exc:  # noqa: BLE001 - recorded on the bundle
                truncated = stream_error(exc)
    if head.startswith((_MAGIC_ZIP, _MAGIC_ZIP_EMPTY)):
        bundle = _open_zip(blob, limits)
        bundle.root = display
    else:
        bundle = Bundle(root=display, layout="file", limits=limits)
        bundle.members.append(Member(single_name, blob.stat().st_size, file_opener(blob), limits=limits))
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
            for info in iter_tar(tf):
                count += 1
                if count > limits.max_members:
                    bundle.error(info.name, f"more than {limits.max_members} archive entries; the rest were not read")
                    break
                name = safe_name(info.name)
                if name is None:
                    bundle.error(info.name, "unsafe member path (absolute or '..') refused")
                    continue
                if info.isdir():
                    continue
                if info.issym() or info.islnk():
                    bundle.error(name, "link member refused")
                    bundle.links[name] = link_target(name, info.linkname, hard=info.islnk())
                    continue
                if not info.isfile():
                    bundle.error(name, "device, fifo or special member refused")
                    continue
                target = dest / name
                src = tf.extractfile(info)
                if src is None:
                    continue
                big = defer and _is_big_log(name, info.size)
                if bundle.is_left_in_archive(name) or (big and target.exists()):
                    bundle.error(name, "duplicate or conflicting member refused")
                    continue
                if big:
                    m = Member(name, info.size, io.BytesIO, limits=limits, cached_head=src.read(_HEAD_BYTES))
                    bundle.leave_in_archive(name, m)
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
        bundle.error(Path(display).name, f"archive truncated or corrupt after {count} entries: {one_line(exc)}")
    except Exception as exc:  # noqa: BLE001 - the stream under the tar: limit, zstd error
        bundle.error(Path(display).name, f"archive stopped after {count} entries: {stream_error(exc)}")
    inner = _open_dir(dest, limits, display)
    bundle.members = inner.members + left_in
    bundle.read_errors.extend(inner.read_errors)
    return bundle
