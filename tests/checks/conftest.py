"""The check tests' bundle fixture: small collector-layout bundles read by the real stages.

``bundle(objects, ...)`` writes the objects (and ``files``, ``empty`` list files, a ``manifest``)
with the shared writer ``testkit.bundle.write_bundle``, opens, parses and matches the bundle like the pipeline does, and
returns the CheckContext the checks see. Bundles are closed when the test ends.
"""

from __future__ import annotations

import pytest

from analyzer.checks import CheckContext
from analyzer.ingest import open_bundle
from analyzer.match import match_parsed
from analyzer.parse import parse_bundle
from testkit.bundle import write_bundle


@pytest.fixture
def bundle(tmp_path, library):
    """``bundle(objects, ...)`` -> CheckContext with the pattern signals, like the pipeline builds it."""
    opened = []

    def make(objects: list[dict], **kw) -> CheckContext:
        root = tmp_path / f"bundle{len(opened)}"
        root.mkdir()
        b = open_bundle(str(write_bundle(root, objects, **kw)))
        opened.append(b)
        parsed = parse_bundle(b)
        return CheckContext(parsed.tables, parsed.facts, match_parsed(parsed, library), parsed)

    yield make
    for b in opened:
        b.close()
