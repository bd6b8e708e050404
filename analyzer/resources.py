"""Where the shipped data lives: `patterns/` and `reports/` inside the wheel, or in a checkout."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The `patterns` or `reports` folder: the wheel's copy, else the source checkout's."""
    installed = _HERE / "_data" / name
    if installed.is_dir():
        return installed
    return _HERE.parent / name
