"""The published bundles of other collectors (``../shared/realbundles``), unpacked once per run.

They are data the project did not write: the test of whether the analyzer reads real
collectors' output. A missing archive fails the test that needs it (never a skip): without them
these tests would pass on nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from analyzer.ingest import open_bundle
from analyzer.parse import Parsed, parse_bundle

from testkit.realbundles import ARCHIVES, analysis, archive, unpacked  # noqa: F401 - ARCHIVES for the tests here


@pytest.fixture(scope="session")
def published() -> Callable[[str], Path]:
    """``published(name)``: the archive as its project published it."""
    return archive


@pytest.fixture(scope="session")
def realbundle(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``realbundle(name)``: the folder the archive unpacks to (unpacked once per session,
    ``testkit.realbundles.unpacked``)."""
    return lambda name: unpacked(name, tmp_path_factory)


@pytest.fixture(scope="session")
def real_result(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict]:
    """``real_result(name)``: the JSON result of ``analyze`` on the unpacked bundle (analysed once
    per session, ``testkit.realbundles.analysis``)."""
    return lambda name: analysis(name, "unpacked", tmp_path_factory)[0]


@pytest.fixture(scope="session")
def parsed_real(realbundle: Callable[[str], Path]) -> Iterator[Callable[[str], Parsed]]:
    """``parsed_real(name)``: the unpacked bundle opened and parsed (once per session)."""
    done: dict[str, Parsed] = {}

    def get(name: str) -> Parsed:
        if name not in done:
            done[name] = parse_bundle(open_bundle(realbundle(name)))
        return done[name]

    yield get
    for parsed in done.values():
        parsed.bundle.close()
