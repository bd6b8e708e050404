"""Plain data passed between the fault-tolerance parser, the summary and the renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

# The three harness generations (upstream-strings section 1.1) by the name we report them under.
LAYOUT_K8S = "k8s-jsonl"          # G2: Kubernetes harness, JSON-lines client_N.log.txt
LAYOUT_SINGLE_NODE = "single-node"  # G1: `dynamo serve` harness, client_N.log.txt + watcher.log.txt
LAYOUT_AIPERF = "aiperf"          # G3: AI-Perf client, client_N/attempt_M/profile_export_aiperf.json

LAYOUT_TITLES = {
    LAYOUT_K8S: "Kubernetes harness, JSON-lines client logs (client_N.log.txt)",
    LAYOUT_SINGLE_NODE: "single-node harness (client_N.log.txt with watcher.log.txt)",
    LAYOUT_AIPERF: "AI-Perf client (profile_export_aiperf.json, totals only)",
}

# Upstream's row order (legacy_parse_results.py for the Kubernetes harness).
FAILURE_ORDER: tuple[str, ...] = (
    "none", "frontend", "frontend_pod", "decode_worker", "decode_worker_pod", "prefill_worker",
    "prefill_worker_pod", "vllm_decode_engine_core", "vllm_prefill_engine_core",
    "sglang_decode_scheduler", "sglang_decode_detokenizer", "sglang_prefill_scheduler",
    "sglang_prefill_detokenizer", "trtllm_decode_engine_core", "trtllm_prefill_engine_core",
)
# The single-node harness ordered its own failure names (tests/fault_tolerance/parse_results.py).
FAILURE_ORDER_SINGLE_NODE: tuple[str, ...] = (
    "none", "frontend", "processor", "decode_worker", "prefill_worker", "vllm_worker",
)


@dataclass
class AiperfTotals:
    """Per-scenario totals from AI-Perf `profile_export_aiperf.json` files (summed over clients)."""

    clients: int = 0
    success: int = 0
    failed: int = 0
    latency_avg: float | None = None
    latency_p50: float | None = None
    latency_p90: float | None = None
    latency_p99: float | None = None
    errors: dict[str, int] = field(default_factory=dict)


@dataclass
class ScenarioData:
    """One scenario folder, parsed."""

    path: str
    display: str
    scenario: str
    group: str
    failure: str
    layout: str
    requests: pl.DataFrame
    events: pl.DataFrame
    aiperf: AiperfTotals | None = None
    fault_target: str | None = None
    service_dirs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class FtRow:
    """One table row: one scenario folder (deployment x failure)."""

    group: str
    failure: str
    scenario: str
    path: str
    layout: str
    startup: float | None = None
    success_before: int | None = None
    failed_before: int | None = None
    success_after: int | None = None
    failed_after: int | None = None
    latency_before: float | None = None
    latency_after: float | None = None
    violations_before: int | None = None
    violations_after: int | None = None
    recovery: float | None = None
    recovery_service: str | None = None        # the service whose ready line set Recovery
    recovery_failed_service: float | None = None  # latest ready line of the injected service only
    latency_p50_before: float | None = None
    latency_p90_before: float | None = None
    latency_p99_before: float | None = None
    latency_p50_after: float | None = None
    latency_p90_after: float | None = None
    latency_p99_after: float | None = None
    pending_before: float | None = None   # single-node harness: mean requests waiting (watcher.log.txt)
    pending_after: float | None = None
    success_total: int | None = None
    failed_total: int | None = None
    failed_by_status: dict[str, int] = field(default_factory=dict)
    fault_time: datetime | None = None
    fault_target: str | None = None
    # (second, successes, failures) per second of client time, for the timeline picture
    timeline: list[tuple[datetime, int, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def recovery_time(self) -> datetime | None:
        """Wall-clock time of the recovery mark (fault time + recovery), when both are known."""
        if self.fault_time is None or self.recovery is None:
            return None
        from datetime import timedelta

        return self.fault_time + timedelta(seconds=self.recovery)


@dataclass
class FtSummary:
    """Everything `ft-summary` prints: rows in table order, warnings, and the layouts found."""

    rows: list[FtRow]
    warnings: list[str]
    layout: str
    sla: float | None = None
    roots: list[Path] = field(default_factory=list)

    @property
    def groups(self) -> list[str]:
        """Test groups (deployments) in output order."""
        seen: list[str] = []
        for row in self.rows:
            if row.group not in seen:
                seen.append(row.group)
        return seen

    def group_rows(self, group: str) -> list[FtRow]:
        """The rows of one test group, in table order."""
        return [r for r in self.rows if r.group == group]


def layout_description(summary: FtSummary) -> str:
    """A sentence naming the result layout(s) found."""
    names = [n for n in summary.layout.split(" + ") if n in LAYOUT_TITLES]
    return "; ".join(f"{n}: {LAYOUT_TITLES[n]}" for n in names) or "no results"
