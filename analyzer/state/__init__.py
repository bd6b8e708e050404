"""The cluster at collection time, and what that makes of every finding.

``build_state(tables, facts)`` is the one model of current state (``model``): pods, containers,
nodes, namespaces, PVCs and workloads as they were when the bundle was collected, with the
restart semantics (crash-looping now, restarted and running again, clean exits, node or runtime
restarts). The checks read it (``CheckContext.state``), the diagnosis judges every finding by
it (``judge_findings``: active, recovered or past) and the report shows the result.
"""

from analyzer.state.judge import ACTIVE, PAST, RECOVERED, STATES, judge_findings, verdict
from analyzer.state.model import (ACTIVE_WINDOW, ClusterState, ContainerState, NodeRestart, NodeState, PodState,
                                  WorkloadState, build_state, describe_container, unscheduled)

__all__ = ["ACTIVE", "ACTIVE_WINDOW", "PAST", "RECOVERED", "STATES", "ClusterState", "ContainerState",
           "NodeRestart", "NodeState", "PodState", "WorkloadState", "build_state", "describe_container",
           "judge_findings", "unscheduled", "verdict"]
