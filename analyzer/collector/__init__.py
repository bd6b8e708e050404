"""The collector script the customer runs (`collect-bundle.sh`), shipped inside the package.

`bundle-analyzer collector -o FILE` writes it out; the script's embedded source table is kept
equal to ``analyzer.sources.SOURCES`` by a test, so that what it writes is what ingest reads.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

SCRIPT_NAME = "collect-bundle.sh"


def script_text() -> str:
    """The collector script's text."""
    return resources.files(__package__).joinpath(SCRIPT_NAME).read_text(encoding="utf-8")


def embedded_sources(text: str | None = None) -> list[tuple[str, str, str]]:
    """The (name, path, kind) rows between the script's ``BEGIN SOURCES``/``END SOURCES`` markers."""
    text = script_text() if text is None else text
    block = text.split("# BEGIN SOURCES", 1)[1].split("# END SOURCES", 1)[0]
    rows = []
    for line in block.splitlines():
        parts = line.split()
        if len(parts) == 3 and not line.startswith(("#", "SOURCES_TABLE")):
            rows.append((parts[0], parts[1], parts[2]))
    return rows


def write_script(path: Path) -> Path:
    """Write the script to ``path`` (mode 0755) and return the path."""
    path.write_text(script_text(), encoding="utf-8")
    os.chmod(path, 0o755)
    return path
