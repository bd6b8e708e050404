"""Counts for the hostile-input suite: each test records what it ran as properties of its report
(``count:`` hostile inputs and property examples from ``hostile_cases.RUN_COUNTS``; ``set:`` the
red-team cases, runs, classes and secret kinds from ``redteam.COUNTS``; ``max:`` the highest peak
memory of a red-team run), so that the totals printed at the end of the run (``tests/conftest.py``)
hold with pytest-xdist's workers too.
"""

from __future__ import annotations

import pytest

import redteam
from hostile_cases import RUN_COUNTS


@pytest.fixture(autouse=True)
def _record_run_counts(request: pytest.FixtureRequest):
    before = dict(RUN_COUNTS)
    seen = {what: set(items) for what, items in redteam.COUNTS.items()}
    peak = redteam.PEAK["mb"]
    yield
    props = request.node.user_properties
    for what, n in RUN_COUNTS.items():
        if n - before.get(what, 0):
            props.append((f"count:{what}", n - before.get(what, 0)))
    for what, items in redteam.COUNTS.items():
        props.extend((f"set:red team {what}", item) for item in sorted(items - seen[what]))
    if redteam.PEAK["mb"] > peak:
        props.append(("max:red team peak MiB", f"{redteam.PEAK['mb']}|{redteam.PEAK['run']}"))
