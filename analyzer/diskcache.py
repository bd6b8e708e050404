"""The per-user cache on disk (``$XDG_CACHE_HOME/bundle-analyzer``, else ``~/.cache``): what is
worked out from the pattern library alone and costs every short command more to build than to
read back (validated patterns, prefilter literals, the inference vocabulary, hyperscan's
database). Nothing read from a bundle is kept there.

A cache file is a convenience, never an input to trust: one that cannot be read, or reads as
another shape, is built again; a home that cannot be written is built every time.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def cache_root() -> Path:
    """The folder of every cache of the analyzer."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bundle-analyzer"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a reader in another process never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def remembered(kind: str, key: str, build: Callable[[], T], encode: Callable[[T], Any],
               decode: Callable[[Any], T | None]) -> T:
    """``build()``, kept as JSON in ``<cache>/<kind>/<key>.json``: ``decode`` turns the stored
    JSON back into the value, or returns None (or raises ValueError/TypeError) for a file of
    another shape, which is then built and written again."""
    path = cache_root() / kind / f"{key}.json"
    try:
        value = decode(json.loads(path.read_text(encoding="utf-8")))
        if value is not None:
            return value
    except (OSError, ValueError, TypeError):
        pass
    value = build()
    try:
        write_atomic(path, json.dumps(encode(value)).encode("utf-8"))
    except OSError:
        pass  # a read-only home: built every time
    return value
