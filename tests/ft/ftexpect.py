"""The expected fault-tolerance table computed from the generator's plan alone (never from analyzer code)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tools.ftgen.plan import ScenarioPlan

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_bundles" / "ft-results"


@dataclass
class Expected:
    """The cells of one row, from the plan."""

    startup: float
    success_before: int
    failed_before: int
    success_after: int | None
    failed_after: int | None
    latency_before: float | None
    latency_after: float | None
    recovery: float | None
    violations_before: int | None
    violations_after: int | None
    p50_before: float | None
    p90_before: float | None
    p99_before: float | None
    p50_after: float | None
    p99_after: float | None
    statuses: dict[str, int]


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), written out."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def expected_row(plan: ScenarioPlan, sla: float | None = None) -> Expected:
    """Upstream's definitions applied to the plan: rows per attempt, 100-character success,
    before = finish time <= fault time, latency = mean of successes, recovery = latest ready
    line of any service after the fault."""
    rows = [(req.time, a) for req in plan.requests for a in req.attempts]
    before = [a for t, a in rows if plan.fault is None or t <= plan.fault]
    after = [a for t, a in rows if plan.fault is not None and t > plan.fault]
    ok_b = [a.latency for a in before if a.success]
    ok_a = [a.latency for a in after if a.success]
    recovery = None
    if plan.fault is not None:
        deltas = [(t + timedelta(seconds=plan.clock_offset) - plan.fault).total_seconds()
                  for pod in plan.pods for t in pod.ready_times()]
        positive = [d for d in deltas if d > 0]
        recovery = max(positive) if positive else None
    statuses: dict[str, int] = {}
    for _, a in rows:
        if not a.success:
            key = ("200 (reply shorter than 100 characters)" if a.status == 200
                   else "connection refused" if isinstance(a.status, str) else str(a.status))
            statuses[key] = statuses.get(key, 0) + 1
    has_after = bool(after)
    return Expected(
        startup=(plan.ready - plan.start).total_seconds(),
        success_before=len(ok_b), failed_before=len(before) - len(ok_b),
        success_after=len(ok_a) if has_after else None,
        failed_after=len(after) - len(ok_a) if has_after else None,
        latency_before=sum(ok_b) / len(ok_b) if ok_b else None,
        latency_after=sum(ok_a) / len(ok_a) if ok_a else None,
        recovery=recovery,
        violations_before=sum(1 for x in ok_b if x > sla) if sla is not None else None,
        violations_after=(sum(1 for x in ok_a if x > sla) if has_after else None) if sla is not None else None,
        p50_before=percentile(ok_b, 0.5), p90_before=percentile(ok_b, 0.9), p99_before=percentile(ok_b, 0.99),
        p50_after=percentile(ok_a, 0.5), p99_after=percentile(ok_a, 0.99),
        statuses=statuses,
    )
