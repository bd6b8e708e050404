"""Which bundles the INPUT arguments of ``fleet`` name, their labels and their content hash.

An INPUT is a bundle (directory, archive or text file), a folder holding bundles, or a glob
(``tickets/*/*.tar.gz``, ``**`` allowed). A folder is a folder of bundles when it holds archives
or folders that are bundles of a known layout (their marker files: ``manifest.json``,
``cluster-resources/``, ...), at any depth; otherwise it is one bundle (a loose folder of logs
is analysed as ``analyze`` would). Inside a folder of bundles, archives and folders are
bundles, other plain files (notes, mails) are left out and counted.

Labels from the folder layout: the folders between the folder given and the bundle are read as
``customer`` then ``ticket`` (``acme/T-1234/bundle.tar.gz``); a folder named ``key=value``
gives that label instead. ``--label KEY=VALUE`` applies to every bundle and wins.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.ingest.layout import detect_layout

# how deep below a bundle's top its layout's markers may stand (default 2)
_TOP_DEPTH = {"ft-results": 1}
_POSITIONAL = ("customer", "ticket")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"\x28\xb5\x2f\xfd")
_LIST_CAP = 20_000     # entries listed at most (a million-file bundle is not walked to decide)
_CHUNK = 1 << 20


@dataclass
class BundleInput:
    """One bundle to analyse: the path as given (``input``), its labels, its stat key."""

    input: str
    labels: dict[str, str] = field(default_factory=dict)
    key: str = ""


@dataclass
class Found:
    """What the INPUT arguments name: the bundles, and the problems met (one line each)."""

    bundles: list[BundleInput] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


def parse_labels(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings as a dict; ValueError with a one-line message for a malformed one."""
    labels = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key or not value or not key.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"--label {pair!r}: give KEY=VALUE (KEY letters, digits, - or _)")
        labels[key] = value
    return labels


def find_bundles(inputs: list[str] | tuple[str, ...], labels: dict[str, str] | None = None) -> Found:
    """The bundles named by ``inputs`` (in order, each once), with their labels."""
    found = Found()
    seen: set[str] = set()
    _holds_bundles.cache_clear()   # folders change between runs of one process
    _is_top.cache_clear()
    for arg in inputs:
        if arg == "-":
            found.problems.append("-: standard input cannot be part of a fleet; save it to a file")
            continue
        if os.path.lexists(arg):
            paths = [arg]
        elif glob.has_magic(arg):
            paths = sorted(glob.glob(arg, recursive=True))
            if not paths:
                found.problems.append(f"{arg}: no file matches this pattern")
                continue
        else:
            found.problems.append(f"{arg}: no such file or directory")
            continue
        for path in paths:
            for bundle, parts in _bundles_in(Path(path), found.left_out):
                key = os.path.normpath(bundle)
                if key in seen:
                    continue
                seen.add(key)
                found.bundles.append(BundleInput(bundle, {**layout_labels(parts), **(labels or {})}))
    return found


def layout_labels(parts: list[str]) -> dict[str, str]:
    """Labels from the folders between the folder given and a bundle (see the module doc): a
    ``key=value`` folder names its label, the others fill ``customer`` then ``ticket`` (those
    not named explicitly)."""
    explicit = dict(p.partition("=")[::2] for p in parts if "=" in p.strip("="))
    positional = iter(n for n in _POSITIONAL if n not in explicit)
    labels: dict[str, str] = {}
    for part in parts:
        if "=" in part.strip("="):
            continue
        name = next(positional, None)
        if name is None:
            break
        labels[name] = part
    return {**labels, **explicit}


def _bundles_in(path: Path, left_out: list[str]) -> list[tuple[str, list[str]]]:
    """(bundle path, folders between ``path`` and it) for one INPUT path."""
    if not path.is_dir() or not _holds_bundles(path):
        return [(str(path), [])]
    out: list[tuple[str, list[str]]] = []
    _walk(path, [], out, left_out)
    return out


def _walk(folder: Path, parts: list[str], out: list[tuple[str, list[str]]], left_out: list[str]) -> None:
    for child in _children(folder):
        if child.is_dir() and not child.is_symlink():
            if _holds_bundles(child):
                _walk(child, parts + [child.name], out, left_out)
            else:   # a bundle of a known layout, or a folder of plain logs
                out.append((str(child), parts))
        elif child.is_file() and not child.is_symlink():
            if _is_archive(child):
                out.append((str(child), parts))
            else:
                left_out.append(str(child))


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError:
        return []


@functools.lru_cache(maxsize=4096)
def _holds_bundles(folder: Path) -> bool:
    """Whether ``folder`` is a folder of bundles rather than one bundle: it is not a bundle's
    top itself, and holds archives or bundles of a known layout (at any depth below)."""
    if _is_top(folder):
        return False
    children = _children(folder)
    if any(c.is_file() and _is_archive(c) for c in children):
        return True
    dirs = [c for c in children if c.is_dir() and not c.is_symlink()]
    return any(_is_top(d) or _holds_bundles(d) for d in dirs)


@functools.lru_cache(maxsize=4096)
def _is_top(folder: Path) -> bool:
    """Whether ``folder`` is the top of a bundle of a known layout: its markers stand within
    the first levels (fault-tolerance scenario folders right at the top; a must-gather's one
    level down, below the image's folder; the others' at the top), not in a folder below."""
    for depth in (1, 2):
        layout = _layout(folder, depth)
        if layout != "loose":
            return depth <= _TOP_DEPTH.get(layout, 2)
    return False


def _layout(folder: Path, depth: int) -> str:
    """The layout of a folder from its first ``depth`` levels (folders with a trailing slash)."""
    paths: list[str] = []
    base = len(folder.parts)
    for root, dirs, files in os.walk(folder):
        level = len(Path(root).parts) - base
        rel = Path(root).relative_to(folder).as_posix()
        prefix = "" if rel == "." else rel + "/"
        paths.extend(prefix + f for f in files)
        paths.extend(prefix + d + "/" for d in dirs)
        if level >= depth - 1:
            dirs[:] = []
        if len(paths) > _LIST_CAP:
            break
    return detect_layout(paths)


def _is_archive(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return False
    return head.startswith(_ARCHIVE_MAGIC) or (len(head) >= 262 and head[257:262] == b"ustar")


def stat_key(path: str) -> str:
    """A cheap key of what is at ``path`` now: its absolute path and, per file, name, size and
    modification time (no byte is read). The same key on a rerun means the same bundle, so it is
    not read again; a new key sends the bundle to a worker, which hashes its content."""
    digest = hashlib.sha256(os.path.abspath(path).encode("utf-8", "surrogateescape") + b"\0")
    p = Path(path)
    st = p.stat()
    if p.is_dir():
        for root, dirs, files in os.walk(p):
            dirs.sort()
            for name in sorted(files):
                full = Path(root) / name
                try:
                    fs = full.lstat()
                except OSError:
                    continue
                rel = full.relative_to(p).as_posix()
                digest.update(f"{rel}\0{fs.st_size}\0{fs.st_mtime_ns}\0".encode("utf-8", "surrogateescape"))
    else:
        digest.update(f"{st.st_size}\0{st.st_mtime_ns}".encode())
    return digest.hexdigest()[:32]


def content_hash(path: str) -> tuple[str, int]:
    """(hex id, bytes) of the content: a file's bytes, or a folder's file names and bytes in
    name order (links and special files by their name only; the analysis refuses them). The name
    of the bundle itself is not part of it: a copy elsewhere is the same bundle."""
    digest = hashlib.sha256()
    total = 0
    p = Path(path)
    if p.is_dir():
        for root, dirs, files in os.walk(p):
            dirs.sort()
            for name in sorted(files):
                full = Path(root) / name
                rel = full.relative_to(p).as_posix()
                digest.update(b"F" + rel.encode("utf-8", "surrogateescape") + b"\0")
                if full.is_file() and not full.is_symlink():
                    total += _feed(digest, full)
                digest.update(b"\0")
    else:
        total = _feed(digest, p)
    return digest.hexdigest()[:32], total


def _feed(digest: "hashlib._Hash", path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            n += len(chunk)
    return n
