"""Shared fixtures: generated fault-tolerance result sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.ftgen import generate
from tools.ftgen.plan import ScenarioPlan


@pytest.fixture(scope="session")
def full_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ScenarioPlan]]:
    """All 30 scenarios of the seed (4 deployments x their failure types), 2 clients x 220 requests,
    fault 10 s into the load so that the load outlasts the ~150-180 s recoveries."""
    out = tmp_path_factory.mktemp("ft-full")
    plans = generate(out, seed=7, clients=2, requests_per_client=220, fault_after=10.0)
    return out, plans
