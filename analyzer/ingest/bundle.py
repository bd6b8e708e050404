"""The Bundle and Member types: what ``open_bundle`` hands to the parse stage.

A member is read through ``Member.open``: the one read path of ``streams.content_stream``
(compressed members decompressed by their magic bytes within a ratio cap and the bundle's
``Budget``, UTF-16/32 read as UTF-8, every decoder error a ``ReadFailed``).
Members of a compressed archive that were left in it (big logs, ``Member.deferred``) are read by
``Bundle.stream`` in one more pass over the archive (see ``analyzer.ingest.archive``).
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import weakref
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, Callable, Iterator

from analyzer.ingest.streams import (MAGIC_BYTES, Budget, BundleError, ReadFailed, Tee, compression,
                                     content_stream, describe_error, expansion_cap, read_head)

__all__ = ["Bundle", "BundleError", "Limits", "Member", "ReadError", "ReadFailed", "display_name",
           "file_opener", "failing_opener", "iter_tar", "link_target", "safe_name"]


# what tarfile reads of a tar stream at a time: each read of a header or a piece of a member copies
# the rest of this buffer, so a big one costs more than it saves (1 MiB: 0.6 CPU-seconds for the
# 3,500 members of a must-gather, 32 KiB: 0.25, the decompression included)
TAR_BUFFER = 32 << 10


@dataclass(frozen=True)
class Limits:
    """Bounds for untrusted input; all configurable."""

    max_total_bytes: int = 32 << 30        # uncompressed bytes read from one bundle
    max_member_bytes: int = 4 << 30        # one member, after decompression
    max_line_bytes: int = 1 << 20          # longer lines are cut and recorded
    max_members: int = 200_000             # entries in one archive
    max_object_bytes: int = 256 << 20      # JSON/YAML documents parsed whole
    max_ratio: int = 200                   # one member: decompressed/compressed beyond ratio_floor: a bomb
    ratio_floor: int = 64 << 20
    # all decompression of one bundle (the archive, zip members, nested .gz/.xz/... members):
    # at most max_bundle_ratio times the input's size, and never less than expanded_floor
    max_bundle_ratio: int = 100
    expanded_floor: int = 256 << 20
    max_stdin_bytes: int = 1 << 30         # standard input is spooled to disk: --max-stdin-bytes

    def budget(self, input_bytes: int) -> Budget:
        """The decompression budget of a bundle whose input holds ``input_bytes``."""
        return Budget(min(self.max_total_bytes, max(self.expanded_floor, input_bytes * self.max_bundle_ratio)))


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
    # archive, or unpacked to disk on the first ``open`` (see ``Bundle.leave_in_archive``)
    deferred: bool = False
    cached_head: bytes | None = field(default=None, repr=False)
    # the opener already decompresses (a deflated zip member) from ``stored_size`` bytes
    compressed: bool = False
    stored_size: int | None = None
    # decompression of the whole bundle (set by ``open_bundle``); charged once per byte of a
    # member, however often it is read
    budget: Budget | None = field(default=None, repr=False)
    _charged: int = field(default=0, repr=False)

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    def open(self) -> IO[bytes]:
        """A binary stream of the content (decompressed, UTF-8), capped at the limits; it raises
        only ReadFailed (see ``streams.content_stream``)."""
        try:
            raw = self.opener()
        except ReadFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - zipfile raises RuntimeError, NotImplementedError...
            raise ReadFailed(f"cannot open: {describe_error(exc)}") from None
        return self.content(raw)

    def content(self, raw: IO[bytes]) -> IO[bytes]:
        """The content stream of this member from a stream of its stored bytes (``open``)."""
        stored = self.stored_size if self.stored_size is not None else self.size
        ratio_cap = expansion_cap(self.limits.max_member_bytes, self.limits.max_ratio, stored, self.limits.ratio_floor)
        try:
            return content_stream(raw, self.path, self.limits.max_member_bytes, ratio_cap,
                                  self._charge if self.budget is not None else None, self.compressed)
        except BaseException:
            raw.close()
            raise

    def _charge(self, pos: int) -> None:
        """Charge the bundle's budget for decompressed bytes past what this member already used."""
        if pos > self._charged and self.budget is not None:
            extra, self._charged = pos - self._charged, pos
            self.budget.charge(extra)

    def compression(self) -> str | None:
        """How the stored bytes are compressed (``gz``, ``xz``, ``bz2``, ``zst``) or None: the
        format to write the content back in."""
        try:
            with self.opener() as raw:
                return compression(read_head(raw, MAGIC_BYTES))
        except Exception:  # noqa: BLE001 - unreadable: open() tells why
            return None

    def read_bytes(self, limit: int | None = None) -> bytes:
        """The whole content; ReadFailed when corrupt or larger than ``limit``."""
        cap = self.limits.max_member_bytes if limit is None else limit
        with self.open() as f:
            data = f.read(cap + 1)
            if len(data) <= cap:
                f.read(1)  # raises the error met after the bytes read (a truncated member)
        if len(data) > cap:
            raise ReadFailed(f"larger than the {cap} byte limit for this kind of file")
        return data

    def head(self, n: int = 8192) -> bytes:
        """The first ``n`` bytes of the content (for sniffing); empty on error."""
        if self.cached_head is not None and (self.deferred or n <= len(self.cached_head)
                                             or self.size == len(self.cached_head)):
            return self.cached_head[:n]
        try:
            with self.open() as f:
                return f.read(n)
        except ReadFailed:
            return b""


def failing_opener(message: str) -> Callable[[], IO[bytes]]:
    """An opener that raises ``ReadFailed(message)``: a member known to be unreadable."""

    def opener() -> IO[bytes]:
        raise ReadFailed(message)

    return opener


@dataclass
class Bundle:
    """An opened bundle: layout, members and the problems met so far."""

    root: str
    layout: str = "loose"
    members: list[Member] = field(default_factory=list)
    read_errors: list[ReadError] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    top: str = ""
    # where the layout's tree starts inside the bundle: a prefix of member paths to drop and one
    # to add (troubleshoot's cluster-resources folder given alone); see ``layout.layout_path``
    layout_base: tuple[str, str] = ("", "")
    limits: Limits = field(default_factory=Limits)
    # what decompression may still produce for this bundle (``Limits.budget``)
    budget: Budget | None = field(default=None, repr=False)
    _cleanup: list[Callable[[], None]] = field(default_factory=list, repr=False)
    # a compressed archive whose big logs were left in it: the decompressed tar again, from its
    # start, and the archive entry name of each deferred member
    _replay: Callable[[], Any] | None = field(default=None, repr=False)
    _deferred: dict[str, Member] = field(default_factory=dict, repr=False)
    _spool_dir: Path | None = field(default=None, repr=False)
    # links met while listing (never followed): path as listed -> its target as a path from the
    # input's root (None when it points outside it); ``layout.resolve_links`` tells aliases of
    # members (troubleshoot's all-logs/) from links that are refused
    links: dict[str, str | None] = field(default_factory=dict, repr=False)
    aliases: dict[str, str] = field(default_factory=dict, repr=False)

    def error(self, path: str, message: str) -> None:
        """Record a problem of one member (or of the input)."""
        self.read_errors.append(ReadError(path, message))

    def on_close(self, release: Callable[[], None]) -> None:
        """Call ``release`` when the bundle is closed (archive handles, temporary folders)."""
        self._cleanup.append(release)

    def is_left_in_archive(self, name: str) -> bool:
        """Whether the archive entry ``name`` is already a member left in the archive."""
        return name in self._deferred

    def leave_in_archive(self, name: str, member: Member) -> None:
        """``member`` (archive entry ``name``) stays in the compressed archive: ``stream`` reads it
        in one more pass, and its first ``open`` unpacks every such member to disk."""
        ref = weakref.ref(self)

        def opener() -> IO[bytes]:
            b = ref()
            if b is None:
                raise OSError("the bundle was closed")
            b._materialize()  # replaces this opener with the unpacked file's
            return member.opener()

        member.opener, member.deferred = opener, True
        self._deferred[name] = member

    def replay_with(self, replay: Callable[[], Any], spool_dir: Path) -> None:
        """How to read the archive again from its start (for the members left in it), and the
        private folder where members kept on disk go."""
        if self._deferred:
            self._replay, self._spool_dir = replay, spool_dir

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
            with self._replay() as raw, tarfile.open(fileobj=raw, mode="r|", bufsize=TAR_BUFFER) as tf:
                for info in iter_tar(tf):
                    if not left:
                        break
                    name = safe_name(info.name)
                    m = self._deferred.get(name) if name else None
                    if m is None or id(m) not in left or not info.isfile():
                        continue
                    del left[id(m)]
                    try:
                        src = m.content(tf.extractfile(info) or io.BytesIO())
                    except ReadFailed as exc:
                        yield m, exc
                        continue
                    if not (keep(m) and self._spool_dir is not None):
                        yield m, src
                        continue
                    target = self._spool_dir / "kept" / names[id(m)]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with open(target, "wb") as out:
                        yield m, Tee(src, out)
                        shutil.copyfileobj(src, out, 1 << 20)  # whatever the reader left
                    m.opener, m.deferred = file_opener(target), False
        except ReadFailed as exc:
            failure = str(exc)
        except Exception as exc:  # noqa: BLE001 - tar or decompressor error: the members left fail
            failure = f"archive unreadable when read again: {describe_error(exc)}"
        for m in left.values():
            yield m, ReadFailed(failure)

    def _materialize(self) -> None:
        """Unpack every member still deferred to disk (the first random read of one of them)."""
        pending = [m for m in self._deferred.values() if m.deferred]
        for m, got in self._replay_members(pending, lambda m: True):
            if isinstance(got, ReadFailed):
                m.opener, m.deferred = failing_opener(str(got)), False
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
        """The members of the given kinds, in path order."""
        return [m for m in self.members if m.kind in kinds]


def display_name(name: str) -> str:
    """A name as shown in tables and reports: bytes that are not UTF-8 (an OS or tar name
    decoded with ``surrogateescape``) written as ``\\xNN``, so that nothing is lost and every
    output stays valid UTF-8.

    >>> display_name(b"caf\\xe9.log".decode("utf-8", "surrogateescape"))
    'caf\\\\xe9.log'
    """
    if name.isascii():
        return name  # the common case: the same string object, no copy per member
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that no decoder made (a zip name, JSON)
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def link_target(name: str, target: str, hard: bool = False) -> str | None:
    """Where the link ``name`` points, as a path from the input's root (a hard link's target in
    a tar is one already; a symbolic link's is relative to its folder); None when it points
    outside the input (absolute, or above its root).

    >>> link_target("sb/all-logs/p/c.log", "../../cluster-resources/pods/logs/ns/p/c.log")
    'sb/cluster-resources/pods/logs/ns/p/c.log'
    >>> link_target("sb/x.log", "/etc/passwd") is None
    True
    """
    if target.startswith("/"):
        return None
    base = [] if hard else name.replace("\\", "/").split("/")[:-1]
    parts: list[str] = []
    for part in base + target.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts) or None


def safe_name(name: str) -> str | None:
    """The member name as a clean relative POSIX path, or None when it must be refused."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def file_opener(full: Path) -> Callable[[], IO[bytes]]:
    """An opener of a regular file that never follows a link."""

    def opener() -> IO[bytes]:
        # O_NOFOLLOW: a file swapped for a link after listing is still refused
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        return os.fdopen(fd, "rb")

    return opener


def iter_tar(tf: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """Members one by one without tarfile keeping every header (a million-entry archive)."""
    while True:
        info = tf.next()
        if info is None:
            return
        tf.members.clear()  # next() appends each header; only offsets in the TarInfo are needed
        yield info
