"""Where the members of a compressed tar (or of standard input) go as it is unpacked: into memory
while a budget lasts, else into the private folder (``analyzer.ingest.archive._extract_tar``).

Writing each member to a file of its own and removing the folder afterwards cost more than
everything else of opening a published must-gather (3,500 files: 1.5 CPU-seconds, most of them
the kernel's), and the big logs left in the archive cost one more pass over all of it. So members
are kept in memory up to ``MEMORY_BYTES`` in all (``MEMORY_MEMBER`` each, names a file system
takes whole); the rest take the folder as before. Names are checked against each other as the
folder's file system would check them, wherever each member went: a second copy of a name, a file
where a folder of another member's path is, or a folder where a file is, is a conflict.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO, Callable

from analyzer.ingest.bundle import Bundle, Limits, Member, file_opener

MEMORY_BYTES = 128 << 20   # members of one archive held in memory, in all
MEMORY_MEMBER = 16 << 20   # one member held in memory at most
_NAME_MAX = 255            # bytes of one name in a folder (ext4, XFS, APFS, NTFS)
_PATH_MAX = 4000           # bytes of a path from the root, under Linux's 4096


class Spool:
    """The members unpacked so far: in memory or in the folder ``dest``, and the names they
    take (files, and the folders on their paths)."""

    def __init__(self, dest: Path, memory: int | None = None) -> None:
        self.dest = dest
        self.memory_left = MEMORY_BYTES if memory is None else memory
        self._files: dict[str, tuple[int, bytes | None]] = {}  # name -> (size, bytes in memory or None)
        self._dirs: set[str] = set()

    def exists(self, name: str) -> bool:
        """Whether ``name`` is a file or a folder already (``Path.exists`` of the folder's)."""
        return name in self._files or name in self._dirs

    def taken(self, name: str) -> bool:
        """Whether a file ``name`` cannot be made: the name exists, or a folder on its path is a file."""
        return self.exists(name) or any(p in self._files for p in _parents(name))

    def fits(self, name: str, size: int) -> bool:
        """Whether a member of ``size`` bytes under ``name`` is kept in memory."""
        if size > MEMORY_MEMBER or size > self.memory_left:
            return False
        encoded = name.encode("utf-8", "surrogateescape")
        return (len(encoded) + len(os.fsencode(self.dest)) < _PATH_MAX
                and all(len(part) <= _NAME_MAX for part in encoded.split(b"/")))

    def keep(self, name: str, data: bytes) -> None:
        """A member held in memory."""
        self.memory_left -= len(data)
        self._files[name] = (len(data), data)
        self._dirs.update(_parents(name))

    def made_folders(self, name: str) -> None:
        """The folders on the path of ``name`` were made in ``dest`` (before its file was)."""
        self._dirs.update(_parents(name))

    def written(self, name: str, size: int) -> None:
        """A member written to ``dest``, ``size`` bytes."""
        self._files[name] = (size, None)
        self._dirs.update(_parents(name))

    def members(self, bundle: Bundle, limits: Limits) -> list[Member]:
        """Every member kept, in the order a walk of the folder lists them (a folder's files by
        name, then its folders by name, depth first)."""
        out: list[Member] = []
        for count, name in enumerate(sorted(self._files, key=_walk_key), 1):
            if count > limits.max_members:
                bundle.error(name, f"more than {limits.max_members} files; the rest were not read")
                break
            size, data = self._files[name]
            opener = _memory_opener(data) if data is not None else file_opener(self.dest / name)
            out.append(Member(name, size, opener, limits=limits))
        return out


def _memory_opener(data: bytes) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        return io.BytesIO(data)

    return opener


def _parents(name: str) -> list[str]:
    """The folders on the path of ``name``: ``a/b/c`` -> ``a``, ``a/b``."""
    parts = name.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _walk_key(name: str) -> tuple[tuple[int, str], ...]:
    """Sorts names as a depth-first walk of their folder lists them: files before folders."""
    parts = name.split("/")
    return tuple((1, p) for p in parts[:-1]) + ((0, parts[-1]),)
