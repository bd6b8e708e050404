"""Deterministic generator of the committed sample bundles (`sample_bundles/<scenario>/`).

Each scenario builds a whole cluster in memory (nodes, pods, events, logs, metrics) from one
collection time and a seed derived from its name, then writes it in our collector's layout
(`analyzer/sources.py`) with a manifest. Same code, same bytes: no wall clock, no global random.

    python3 -m tools.samplegen [--out sample_bundles] [--only NAME]
"""

from __future__ import annotations

import json
from pathlib import Path

from . import history  # noqa: F401 - registers its scenarios
from .bundle import BundleWriter
from .scenarios import SCENARIOS


def generate(name: str, out_root: Path) -> Path:
    """Build scenario ``name`` and write it under ``out_root/name``; returns the directory."""
    cluster, expected = SCENARIOS[name]()
    writer = BundleWriter(cluster)
    writer.render()
    out_dir = out_root / name
    writer.write(out_dir)
    (out_dir / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    return out_dir


__all__ = ["SCENARIOS", "generate"]
