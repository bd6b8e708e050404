"""Session-wide test setup: ``tests/`` is importable (``testkit``), the sample analyses are shared
and closed at the end."""

from __future__ import annotations

import pytest

from testkit import samples


@pytest.fixture(scope="session")
def library():
    """The built-in pattern library, loaded once (``testkit.samples.library``)."""
    return samples.library()


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001 - pytest hook
    samples.close_all()
