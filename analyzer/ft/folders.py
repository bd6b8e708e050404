"""Fault-tolerance result folders, read through ``analyzer.ingest``: a results root or a scenario
folder, as a directory or an archive (``.tgz``, ``.zip``...), or an already opened Bundle.

Which members form a scenario folder is ingest's rule (``ft_scenario_folders``); a ``Folder``
gives the parser its files by their path inside the folder, read within ingest's limits.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from analyzer.ingest import Bundle, BundleError, Member, ReadFailed, open_bundle
from analyzer.ingest.layout import ft_scenario_folders


class FtInputError(Exception):
    """The given path cannot be read as fault-tolerance results (missing, unreadable, no scenario)."""


def open_results(root: Path | str) -> Bundle:
    """The results at ``root`` (folder, archive or ``-``) opened by ingest; FtInputError when the
    input cannot be opened at all. Close the bundle when done."""
    try:
        return open_bundle(str(root))
    except BundleError as exc:
        raise FtInputError(str(exc)) from None


@dataclass
class Folder:
    """One scenario folder of a bundle: ``prefix`` is its path in the bundle ("" for the root)."""

    prefix: str
    name: str
    members: dict[str, Member] = field(repr=False)   # by path relative to the folder

    @property
    def files(self) -> list[str]:
        """The folder's files, by path relative to it, sorted."""
        return sorted(self.members)

    def path(self, rel: str) -> str:
        """The bundle path of a file of this folder."""
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def has(self, rel: str) -> bool:
        """Whether the folder holds this file."""
        return rel in self.members

    def lines(self, rel: str) -> Iterator[tuple[int, str]]:
        """Numbered lines of a file, invalid UTF-8 replaced; an unreadable file yields nothing and
        a truncated one what could be read."""
        member = self.members.get(rel)
        if member is None:
            return
        try:
            raw = member.open()
        except (ReadFailed, OSError):
            return
        with io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8", errors="replace") as fh:
            try:
                for lineno, line in enumerate(fh, 1):
                    yield lineno, line.rstrip("\n")
            except Exception:  # noqa: BLE001 - truncated archive member or size cap: keep what was read
                return

    def text(self, rel: str) -> str:
        """The whole file ('' when unreadable)."""
        return "\n".join(line for _, line in self.lines(rel))


def scenario_folders(bundle: Bundle) -> list[Folder]:
    """The scenario folders of an opened bundle (the bundle itself when it is one), sorted by path."""
    return [Folder(prefix, name, dict(members)) for prefix, name, members in ft_scenario_folders(bundle)]
