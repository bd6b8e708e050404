"""Counts for the hostile-input suite: each test records how many hostile inputs and property-test
examples it ran (``hostile_cases.RUN_COUNTS``) as ``count:`` properties of its report, so that the
total printed at the end of the run (``tests/conftest.py``) holds with pytest-xdist's workers too.
"""

from __future__ import annotations

import pytest

from hostile_cases import RUN_COUNTS


@pytest.fixture(autouse=True)
def _record_run_counts(request: pytest.FixtureRequest):
    before = dict(RUN_COUNTS)
    yield
    for what, n in RUN_COUNTS.items():
        if n - before.get(what, 0):
            request.node.user_properties.append((f"count:{what}", n - before.get(what, 0)))
