"""Reading an input into members: a directory, a tar or zip read in place, a compressed tar or
standard input unpacked once into a private folder (see the package docstring).

``read_source`` lists the members of one input; it does not classify them (``analyzer.ingest.layout``
does). The container is told by magic bytes, never by the file name. Unsafe names, links, devices,
oversize members and members that cannot be extracted are refused here, each as a read error of
that member alone; names that are not UTF-8 are kept (``display_name``).
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
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from analyzer.ingest.bundle import (TAR_BUFFER, Bundle, BundleError, Limits, Member, ReadFailed, display_name,
                                    file_opener, iter_tar, link_target, safe_name)
from analyzer.ingest.streams import (MAGIC_BYTES, Capped, Prefixed, ReadAheadStream, Slice, UnsupportedFormat,
                                     compression, decompressor, describe_error, expansion_cap, one_line, read_head,
                                     stream_error, unsupported_format)
from analyzer.ingest.spool import Spool
from analyzer.ingest.zipscan import overlapping_entries, recover_zip

_MAGIC_ZIP = b"PK\x03\x04"
_MAGIC_ZIP_EMPTY = b"PK\x05\x06"

SYMLINK_REFUSED = "symbolic link refused"
HARDLINK_REFUSED = "hard link member refused"


def read_source(source: str | os.PathLike[str], limits: Limits,
                on_read: Callable[[int], None] | None = None) -> Bundle:
    """The members of ``source`` (a path or ``-``), unclassified; BundleError when it cannot be
    opened at all. ``on_read`` gets the byte counts of a compressed input as it is unpacked."""
    if str(source) == "-":
        return _open_stdin(limits, on_read)
    path = Path(source)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file or directory") from None
    except OSError as exc:
        raise BundleError(f"{path}: cannot read: {exc.strerror or one_line(exc)}") from None
    if stat.S_ISDIR(st.st_mode):
        return _open_dir(path, limits)
    if stat.S_ISREG(st.st_mode):
        return _open_file(path, limits, on_read)
    raise BundleError(f"{path}: not a regular file or directory")


def _open_dir(path: Path, limits: Limits, display: str | None = None) -> Bundle:
    bundle = Bundle(root=display or str(path), limits=limits)
    count = total = 0
    for rel, full, st in _walk(path, bundle):
        if stat.S_ISLNK(st.st_mode):
            bundle.error(rel, SYMLINK_REFUSED)
            try:  # where it points, never followed: a link inside the bundle is an alias
                bundle.links[rel] = link_target(rel, os.readlink(full))
            except OSError:
                bundle.links[rel] = None
            continue
        if not stat.S_ISREG(st.st_mode):
            bundle.error(rel, "not a regular file (device, fifo or socket) refused")
            continue
        count += 1
        if count > limits.max_members:
            bundle.error(rel, f"more than {limits.max_members} files; the rest were not read")
            break
        total += st.st_size
        bundle.members.append(Member(rel, st.st_size, file_opener(full), limits=limits))
    bundle.budget = limits.budget(total)
    return bundle


def _walk(root: Path, bundle: Bundle) -> Iterator[tuple[str, str, os.stat_result]]:
    """(path shown, path on disk, lstat) of every entry under ``root`` except folders, depth
    first in name order, without recursion (a tree thousands of levels deep) and without
    following links. A folder that cannot be listed is a read error."""
    stack: list[tuple[str, str]] = [("", str(root))]
    while stack:
        rel, full = stack.pop()
        try:
            # names only: a DirEntry kept per file of a 200,000-file folder is tens of MB
            with os.scandir(full) as it:
                names = sorted(entry.name for entry in it)
        except OSError as exc:
            bundle.error(f"{display_name(rel)}/" if rel else ".",
                         f"cannot read folder: {exc.strerror or one_line(exc)}")
            continue
        subdirs = []
        for name in names:
            path = os.path.join(full, name)
            shown = display_name(f"{rel}/{name}" if rel else name)
            try:
                st = os.lstat(path)
            except OSError as exc:
                bundle.error(shown, f"cannot stat: {exc.strerror or one_line(exc)}")
                continue
            if stat.S_ISDIR(st.st_mode):
                subdirs.append((f"{rel}/{name}" if rel else name, path))
            else:
                yield shown, path, st
        stack.extend(reversed(subdirs))


def _sniff_container(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as exc:
        raise BundleError(f"{path}: cannot read: {exc.strerror or one_line(exc)}") from None
    return _container(head, str(path)) or "file"


def _container(head: bytes, who: str) -> str | None:
    """``zip``, ``tar``, a compression (``gz``, ``zst``, ``xz``, ``bz2``) or None, from the first
    512 bytes; BundleError naming a format that is recognised but not read."""
    if head.startswith((_MAGIC_ZIP, _MAGIC_ZIP_EMPTY)):
        return "zip"
    kind = compression(head)
    if kind:
        return kind
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    name = unsupported_format(head)
    if name:
        raise UnsupportedFormat(who, name)
    return None


def _open_file(path: Path, limits: Limits, on_read: Callable[[int], None] | None = None) -> Bundle:
    kind = _sniff_container(path)
    size = path.stat().st_size
    if kind == "zip":
        bundle = _open_zip(path, limits)
    elif kind == "tar":
        bundle = _open_tar(path, limits)
    elif kind != "file":
        return _open_compressed(path, kind, limits, on_read)
    else:
        if size == 0:
            raise BundleError(f"{path}: the file is empty")
        bundle = Bundle(root=str(path), layout="file", limits=limits)
        bundle.members.append(Member(path.name, size, file_opener(path), limits=limits))
    bundle.budget = limits.budget(size)
    return bundle


def _open_tar(path: Path, limits: Limits) -> Bundle:
    bundle = Bundle(root=str(path), limits=limits)
    try:
        tf = tarfile.open(path, mode="r:")
    except (tarfile.TarError, OSError) as exc:
        raise BundleError(f"{path}: not a readable tar archive ({one_line(exc)})") from None
    bundle.on_close(tf.close)
    count = 0
    size = path.stat().st_size
    try:
        for info in iter_tar(tf):
            count += 1
            if count > limits.max_members:
                bundle.error(display_name(info.name), f"more than {limits.max_members} archive entries; "
                                                      "the rest were not read")
                break
            _add_tar_member(bundle, tf, info, limits, path, size)
    except Exception as exc:  # noqa: BLE001 - a damaged header ends the listing, not the run
        bundle.error(path.name, f"archive truncated or corrupt after {count} entries: {describe_error(exc)}")
    return bundle


def _refusal(info: tarfile.TarInfo) -> str | None:
    """Why a tar entry is not a member (None for a regular file; "" for a folder)."""
    if info.isdir():
        return ""
    if info.issym():
        return SYMLINK_REFUSED
    if info.islnk():
        return HARDLINK_REFUSED
    if not info.isfile():
        return "device, fifo or special member refused"
    return None


def _member_name(bundle: Bundle, info: tarfile.TarInfo) -> str | None:
    """The name a tar entry is read under, or None when it is not read as a member (an unsafe
    path, a folder, a link: where a link points is recorded, never followed)."""
    name = safe_name(info.name)
    if name is None:
        bundle.error(display_name(info.name), "unsafe member path (absolute or '..') refused")
        return None
    name = display_name(name)
    refused = _refusal(info)
    if refused is None:
        return name
    if refused:
        bundle.error(name, refused)
    if info.issym() or info.islnk():
        bundle.links[name] = link_target(name, info.linkname, hard=info.islnk())
    return None


def _add_tar_member(bundle: Bundle, tf: tarfile.TarFile, info: tarfile.TarInfo, limits: Limits,
                    path: Path, archive_size: int) -> None:
    name = _member_name(bundle, info)
    if name is None:
        return

    there = archive_size - info.offset_data
    if not info.sparse and there < info.size:  # the archive ends inside this member: its first bytes
        cut = f"cut short: the archive ends after {max(there, 0)} of its {info.size} bytes"
        bundle.error(name, cut)
        bundle.members.append(Member(name, info.size, lambda: Slice(str(path), info.offset_data, max(there, 0), cut),
                                     limits=limits))
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
    except Exception as exc:  # noqa: BLE001 - no central directory (cut), a name that is not UTF-8...
        recovered = recover_zip(path, limits, bundle)
        if recovered is None:
            raise BundleError(f"{path}: not a readable zip archive ({one_line(exc)})") from None
        return recovered
    bundle.on_close(zf.close)
    overlapping = overlapping_entries(infos)
    for count, info in enumerate(infos, 1):
        if count > limits.max_members:
            bundle.error(info.filename, f"more than {limits.max_members} archive entries; the rest were not read")
            break
        name = safe_name(info.filename)
        if name is None:
            bundle.error(info.filename, "unsafe member path (absolute or '..') refused")
            continue
        name = display_name(name)
        if info.is_dir():
            continue
        mode = (info.external_attr >> 16) & 0o170000
        if mode and not stat.S_ISREG(mode):
            bundle.error(name, SYMLINK_REFUSED if stat.S_ISLNK(mode) else "link or special member refused")
            continue
        if id(info) in overlapping:
            bundle.error(name, "shares its compressed data with another member: refused (possible zip bomb)")
            continue
        # a member may expand at most max_ratio times its compressed size (past the floor): a zip
        # bomb stops at that cap, whatever its header claims
        cap = expansion_cap(limits.max_member_bytes, limits.max_ratio, info.compress_size, limits.ratio_floor)
        if info.file_size > cap:
            bundle.error(name, f"expands {info.file_size} bytes from {info.compress_size}: compression "
                               "ratio over the limit, refused (possible zip bomb)")
            continue
        bundle.members.append(Member(name, info.file_size, lambda info=info: zf.open(info), limits=limits,
                                     compressed=info.compress_type != zipfile.ZIP_STORED,
                                     stored_size=info.compress_size))
    return bundle


def _open_compressed(path: Path, kind: str, limits: Limits,
                     on_read: Callable[[int], None] | None = None) -> Bundle:
    """A compressed file (gzip, zstd, xz, bzip2): a compressed tar is unpacked into memory and a
    private folder (big logs that memory does not hold are left in it, read again in one pass
    when the logs are streamed), else kept as one text file."""
    st = path.stat()
    budget = limits.budget(st.st_size)
    cap = expansion_cap(budget.total, limits.max_ratio, st.st_size, limits.ratio_floor)

    @contextlib.contextmanager
    def replay() -> Iterator[IO[bytes]]:
        with open(path, "rb") as raw:
            now = os.fstat(raw.fileno())
            if (now.st_size, now.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
                raise ReadFailed("the archive changed after it was opened")
            ahead = ReadAheadStream(Capped(decompressor(kind, raw), cap, str(path)))
            try:
                yield ahead  # unbuffered, see _unpack
            finally:
                ahead.close()

    with open(path, "rb") as raw:
        bundle = _spool(decompressor(kind, raw), str(path), limits, single_name=_inner_name(path.name),
                        cap=cap, on_read=on_read, replay=replay, charge=budget.charge)
    bundle.budget = budget
    return bundle


def _inner_name(name: str) -> str:
    """The name of the file inside a compressed file: ``app.log.xz`` -> ``app.log``."""
    stem, dot, ext = name.rpartition(".")
    return stem if dot and stem and ext.lower() in ("gz", "tgz", "xz", "txz", "bz2", "tbz2", "tbz", "zst", "tzst") \
        else name


def _stdin() -> IO[bytes]:
    """Standard input as a raw stream: its file descriptor itself, not ``sys.stdin.buffer``, so
    that a reader thread blocked on a slow pipe holds no lock that interpreter shutdown needs (an
    interrupted run ends at once); a stand-in without a descriptor (a test runner) as it is."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return sys.stdin.buffer
    return io.FileIO(fd, "rb", closefd=False)


def _open_stdin(limits: Limits, on_read: Callable[[int], None] | None = None) -> Bundle:
    raw = _stdin()
    try:
        head = read_head(raw, 512)
    except OSError as exc:
        raise BundleError(f"standard input: cannot read: {exc.strerror or one_line(exc)}") from None
    kind = _container(head, "standard input")
    stream: IO[bytes] = Prefixed(head, raw)
    # the bytes spooled to disk (decompressed) stop at --max-stdin-bytes: what came before is read
    cap = limits.max_stdin_bytes
    over = (f"standard input is larger than the {cap} byte limit (--max-stdin-bytes): the rest was not read")
    budget = limits.budget(cap)
    if kind in ("gz", "zst", "xz", "bz2"):
        stream = decompressor(kind, stream)
    bundle = _spool(stream, "<stdin>", limits, single_name="stdin", cap=cap, on_read=on_read, over=over,
                    charge=budget.charge if kind in ("gz", "zst", "xz", "bz2") else None)
    bundle.budget = budget
    return bundle


def _spool(stream: IO[bytes], display: str, limits: Limits, single_name: str,
           cap: int | None = None, on_read: Callable[[int], None] | None = None,
           replay: Callable[[], Any] | None = None, over: str | None = None,
           charge: Callable[[int], None] | None = None) -> Bundle:
    """Unpack a one-pass stream into a private temp dir: a tar is extracted as it streams (one
    pass, decompression read ahead in a thread), anything else is kept as one file. With
    ``replay`` (the stream again, from its start), big logs are left in the archive. The folder
    is removed when the bundle is closed, and at once when unpacking is interrupted."""
    tmp = Path(tempfile.mkdtemp(prefix="bundle-analyzer-"))
    try:
        os.chmod(tmp, 0o700)
        used = [0]

        def charge_delta(pos: int) -> None:
            if charge is not None:
                charge(pos - used[0])
            used[0] = pos

        source = ReadAheadStream(Capped(stream, cap or limits.max_total_bytes, display, charge_delta, over=over),
                                 on_read=on_read)
        try:
            bundle = _unpack(source, tmp, display, limits, single_name, defer=replay is not None)
        except BaseException:
            source.close(wait=False)  # interrupted: a reader blocked on a slow pipe is left behind
            raise
        source.close()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
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
    except ReadFailed as exc:
        head, truncated = b"", str(exc)
    if truncated is None and len(head) >= 262 and head[257:262] == b"ustar":
        # unbuffered: a BufferedReader's read(n) would drop the bytes it gathered before an error
        # of the stream (a cut archive); tarfile takes short reads
        return _extract_tar(Prefixed(head, source), tmp / "tree", display, limits, defer=defer)
    blob = tmp / "input"
    with open(blob, "wb") as out:
        out.write(head)
        if truncated is None:
            try:
                shutil.copyfileobj(source, out, 1 << 20)
            except ReadFailed as exc:  # Capped below the read-ahead: every stream error is one
                truncated = stream_error(exc)
    if head.startswith((_MAGIC_ZIP, _MAGIC_ZIP_EMPTY)):
        bundle = _open_zip(blob, limits)
        bundle.root = display
    else:
        inner = unsupported_format(head[:MAGIC_BYTES])
        if inner:  # a compressed file holding one
            raise UnsupportedFormat(f"{display} (decompressed)", inner)
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
    """Extract regular files only, with safe names, into memory or under ``dest`` (``Spool``),
    reading ``stream`` once; refuse the rest. A member that cannot be written (a name too long
    or too deep for this file system) is refused alone; a stream that stops early keeps what
    came before it, the cut member's readable part included. With ``defer``, big logs that
    memory does not hold are not written: their members stay in the archive (``Member.deferred``)."""
    bundle = Bundle(root=display, limits=limits)
    dest.mkdir()
    spool = Spool(dest)
    left_in: list[Member] = []
    count = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|", bufsize=TAR_BUFFER) as tf:
            for info in iter_tar(tf):
                count += 1
                if count > limits.max_members:
                    bundle.error(display_name(info.name), f"more than {limits.max_members} archive entries; "
                                                          "the rest were not read")
                    break
                name = _member_name(bundle, info)
                if name is None:
                    continue
                src = tf.extractfile(info)
                if src is None:
                    continue
                big = defer and _is_big_log(name, info.size)
                if bundle.is_left_in_archive(name) or (big and spool.exists(name)):
                    bundle.error(name, "duplicate or conflicting member refused")
                    continue
                if spool.fits(name, info.size):
                    # a big log too: held, it is neither read again from the archive nor written
                    _keep_member(bundle, spool, src, name, info.size, check=not big)
                    continue
                if big:
                    m = Member(name, info.size, io.BytesIO, limits=limits)
                    try:
                        with m.content(src) as content:
                            m.cached_head = content.read(_HEAD_BYTES)
                    except ReadFailed:
                        m.cached_head = b""  # read again when streamed, where the failure is recorded
                    bundle.leave_in_archive(name, m)
                    left_in.append(m)
                    continue
                _write_member(bundle, spool, src, name, info.size)
        # the end-of-archive blocks can come before a cut: the compressed stream is read to its
        # end (a little way: the padding of the last record) so that a truncated one says so
        _drain(stream, _DRAIN_BYTES)
    except Exception as exc:  # noqa: BLE001 - a tar or stream error ends the archive, not the run
        if isinstance(exc, ReadFailed) or not isinstance(exc, (tarfile.TarError, OSError, EOFError)):
            bundle.error(Path(display).name, f"archive stopped after {count} entries: {stream_error(exc)}")
        else:
            bundle.error(Path(display).name, f"archive truncated or corrupt after {count} entries: {one_line(exc)}")
    bundle.members = spool.members(bundle, limits) + left_in
    return bundle


# what is read of a tar stream after its end-of-archive marker (tar pads to 10 KiB records)
_DRAIN_BYTES = 1 << 20


def _drain(stream: IO[bytes], limit: int) -> None:
    """Read ``stream`` on to its end or ``limit`` bytes, whichever is first (errors raise)."""
    while limit > 0:
        piece = stream.read(min(limit, 64 << 10))
        if not piece:
            return
        limit -= len(piece)


def _read_member(bundle: Bundle, src: IO[bytes], name: str, size: int, out: Callable[[bytes], None]) -> int:
    """Copy one tar member to ``out``, a MiB at a time; returns the bytes copied. A failure of the
    stream is re-raised after the member's own read error (what was copied stays: the readable
    part)."""
    written = 0
    pending = bytearray()
    try:
        while True:
            # small reads: when the archive stops, tarfile drops what it gathered for the read
            # under way, so at most this much of the cut member is lost
            chunk = src.read(64 << 10)
            if chunk:
                pending += chunk
            if pending and (not chunk or len(pending) >= 1 << 20):
                out(bytes(pending))
                written += len(pending)
                pending.clear()
            if not chunk:
                return written
    except Exception as exc:  # noqa: BLE001 - recorded on the member, then ends the archive
        out(bytes(pending))
        written += len(pending)
        bundle.error(name, f"cut short after {written} of {size} bytes: {describe_error(exc)}")
        raise


def _keep_member(bundle: Bundle, spool: Spool, src: IO[bytes], name: str, size: int, check: bool = True) -> None:
    """Hold one tar member in memory (``Spool.fits``), as far as it was read when the stream
    fails; ``check``: refuse a name another member's takes (a big log is refused only for the
    same name, as when it stayed in the archive)."""
    if check and spool.taken(name):
        bundle.error(name, "duplicate or conflicting member refused")
        return
    parts: list[bytes] = []
    try:
        _read_member(bundle, src, name, size, parts.append)
    finally:
        spool.keep(name, b"".join(parts))


def _write_member(bundle: Bundle, spool: Spool, src: IO[bytes], name: str, size: int) -> None:
    """Write one tar member under the private folder (a name that another member's takes is a
    conflict, as the file system says); a failure of the stream is re-raised after the member's
    own read error (what was written stays: the readable part)."""
    if spool.taken(name):
        bundle.error(name, "duplicate or conflicting member refused")
        return
    target = spool.dest / name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        spool.made_folders(name)
        out = open(target, "xb")  # "x": a duplicate name never overwrites
    except (FileExistsError, NotADirectoryError, IsADirectoryError):
        bundle.error(name, "duplicate or conflicting member refused")
        return
    except OSError as exc:  # ENAMETOOLONG, too many levels, no space...: this member only
        bundle.error(name, f"cannot be extracted: {exc.strerror or one_line(exc)}")
        return
    with out:
        try:
            _read_member(bundle, src, name, size, out.write)
        finally:
            spool.written(name, out.tell())
