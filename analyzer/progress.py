"""Progress on stderr for long runs: stage, files and bytes read. Silent unless stderr is a
terminal, and silent for the first ``DELAY`` seconds (a quick run prints nothing).

    reading logs: 212/480 files, 431/1,024 MiB
"""

from __future__ import annotations

import sys
import time
from typing import IO

DELAY = 2.0       # seconds before the first line: short runs stay quiet
INTERVAL = 0.25   # seconds between redraws


class Progress:
    """One self-overwriting status line; every method is a no-op when disabled."""

    def __init__(self, stream: IO[str] | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.start = time.monotonic()
        self._last = 0.0
        self._width = 0
        self.name = ""
        self.files = self.total_files = 0
        self.bytes = self.total_bytes = 0
        self.unit = "files"

    def stage(self, name: str, total_files: int = 0, total_bytes: int = 0, unit: str = "files") -> None:
        """Enter a stage (``reading logs``, ``diagnosing``...), with its totals when known;
        ``unit`` names what is counted (``files``, ``bundles``)."""
        self.name, self.total_files, self.total_bytes, self.unit = name, total_files, total_bytes, unit
        self.files = self.bytes = 0
        self._draw(force=True)

    def advance(self, files: int = 0, nbytes: int = 0) -> None:
        """Count files and bytes done in the current stage."""
        self.files += files
        self.bytes += nbytes
        self._draw()

    def done(self) -> None:
        """Erase the status line (the report follows on stdout)."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < DELAY or (not force and now - self._last < INTERVAL):
            return
        self._last = now
        text = self.name
        if self.total_files:
            text += f": {self.files}/{self.total_files} {self.unit}"
        if self.total_bytes:
            text += f", {self.bytes >> 20:,}/{self.total_bytes >> 20:,} MiB"
        elif self.bytes:  # unpacking an archive: the size inside is known only at its end
            text += f": {self.bytes >> 20:,} MiB"
        text += f" ({now - self.start:.0f} s)"
        pad = max(self._width - len(text), 0)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)
