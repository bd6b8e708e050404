"""Deterministic generator of Dynamo fault-tolerance test results (Kubernetes harness layout).

``python3 -m tools.ftgen --out DIR [--seed N]`` writes one ``test_fault_scenario[<deployment>-<failure>]``
folder per deployment of the seed (agg/disagg, dp 1/2) and failure type.  Every number the summary
table shows follows from the plan (:mod:`tools.ftgen.plan`), so tests can compute the expected
table from the plan without the analyzer.
"""

from __future__ import annotations

from pathlib import Path

from tools.ftgen.plan import DEPLOYMENTS, ScenarioPlan, plan_results, plan_scenario
from tools.ftgen.write import write_scenario

__all__ = ["DEPLOYMENTS", "SAMPLE_ARGS", "ScenarioPlan", "generate", "plan_results", "plan_scenario",
           "write_scenario"]

# How `sample_bundles/ft-results` was made (one client per scenario keeps it under 2 MB):
#   python3 -m tools.ftgen --out sample_bundles/ft-results <SAMPLE_ARGS>
# agg-tp-1-dp-1-decode_worker: the restarted decode worker first dies out of GPU memory
# (VllmDecodeWorker/*.previous.log); disagg-tp-1-dp-1-vllm_prefill_engine_core: the prefill
# engine dies and takes the decode engine with it (both services' *.previous.log).
SAMPLE_ARGS: tuple[str, ...] = (
    "--clients", "1", "--requests", "205", "--fault-after", "10",
    "--scenario", "agg-tp-1-dp-1-none", "--scenario", "agg-tp-1-dp-1-frontend",
    "--scenario", "agg-tp-1-dp-1-decode_worker", "--scenario", "agg-tp-1-dp-2-decode_worker_pod",
    "--scenario", "disagg-tp-1-dp-1-prefill_worker", "--scenario", "disagg-tp-1-dp-1-vllm_prefill_engine_core",
    "--scenario", "disagg-tp-1-dp-2-frontend_pod",
)


def generate(out: Path, seed: int = 0, clients: int = 10, requests_per_client: int = 100,
             deployments: tuple[str, ...] = DEPLOYMENTS, fault_after: float = 30.0,
             only: tuple[str, ...] = ()) -> list[ScenarioPlan]:
    """Plan and write a results set under ``out`` (all scenarios, or ``only`` those named
    `<deployment>-<failure>`); returns the plans."""
    plans = plan_results(seed=seed, clients=clients, requests_per_client=requests_per_client,
                         deployments=deployments, fault_after=fault_after, only=only)
    for plan in plans:
        write_scenario(plan, Path(out))
    return plans
