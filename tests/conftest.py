"""Session-wide test setup: ``tests/`` is importable (``testkit``), the sample analyses are shared
and closed at the end, and the suite runs on the default matcher.

The default matcher is the Polars path that ``pip install .`` gives; with hyperscan installed
(the ``test`` extra brings it) the analyzer would take the accelerator instead, so the suite
pins ``BUNDLE_ANALYZER_BACKEND=polars`` (subprocesses inherit it) unless the run sets it;
``tests/bench/test_accelerator.py`` compares the two finders explicitly.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("BUNDLE_ANALYZER_BACKEND", "polars")

from testkit import samples  # noqa: E402 - after the backend is chosen


@pytest.fixture(scope="session")
def library():
    """The built-in pattern library, loaded once (``testkit.samples.library``)."""
    return samples.library()


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001 - pytest hook
    samples.close_all()
