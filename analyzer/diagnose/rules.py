"""Correlation rules: which finding explains which, beyond plain triage-layer order.

The default (applied to findings on the same pod, or on the same node for node findings): an
earlier triage layer explains a later one. The rules below add what layer order cannot know:

- a scope wider than one pod (a worker's failure explains the frontend's errors in the same
  namespace; a GPU failing on a node explains the crashes of pods on that node), and
- a later layer explaining an earlier one (a HAMi webhook that did not mutate the pod explains
  the ``Insufficient nvidia.com/gpumem`` that the default scheduler then reports).

Scopes: ``pod`` (same pod), ``node`` (the symptom's pod runs on the root's node, or is that
node), ``namespace`` (same namespace, or either side has no namespace: a pasted file),
``cluster`` (anywhere).
"""

from __future__ import annotations

from analyzer.taxonomy import GENERIC_CATEGORIES

# categories that name a failure without its cause: anything more specific explains them
GENERIC = GENERIC_CATEGORIES

_WORKER_FAILURES = (
    "runtime.cuda_oom", "runtime.vgpu_memory_limit", "runtime.kv_cache_capacity",
    "runtime.oom_killed", "runtime.model_load_timeout", "runtime.model_file_missing",
    "runtime.engine_version_mismatch", "runtime.nccl", "runtime.engine_dead", "runtime.config_error",
    "runtime.crashloop", "access.model_auth", "access.secret_missing", "access.model_not_found",
    "image.pull_auth", "image.not_found", "image.pull_failed", "image.backend_missing",
    "storage.pvc_pending", "storage.mount_failed", "storage.disk_full",
    "scheduling.insufficient_gpu", "scheduling.insufficient_gpumem", "scheduling.insufficient_gpucores",
    "scheduling.insufficient_cpu_memory", "scheduling.node_affinity", "scheduling.taint",
    "hami.webhook_not_applied", "gpu.driver_mismatch", "gpu.not_visible", "gpu.hardware",
    "gpu.device_plugin", "control_plane.etcd", "control_plane.nats",
)
_SERVICE_SYMPTOMS = ("frontend.no_workers", "endpoint.http_errors", "router.kv_events_missing",
                     "operator.reconcile_error",
                     "network.connection", "benchmark.job_failed", "performance.high_latency",
                     "performance.low_throughput", "runtime.probe_failed")

# (root category, symptom category, scope)
RULES: list[tuple[str, str, str]] = []
for _root in _WORKER_FAILURES:
    for _sym in _SERVICE_SYMPTOMS:
        if _root != _sym:
            RULES.append((_root, _sym, "namespace"))
for _sym in ("runtime.crashloop", "runtime.engine_dead", "runtime.cuda_oom", "runtime.nccl",
             "runtime.probe_failed", "gpu.not_visible", "runtime.config_error"):
    RULES.append(("gpu.hardware", _sym, "node"))
    RULES.append(("gpu.driver_mismatch", _sym, "pod"))
for _sym in ("scheduling.insufficient_gpumem", "scheduling.insufficient_gpucores",
             "scheduling.insufficient_gpu"):
    RULES.append(("hami.webhook_not_applied", _sym, "pod"))
# a dead prefill engine explains decode-side failures and the engine deaths it triggers
for _sym in ("runtime.engine_dead", "network.connection", "runtime.crashloop"):
    RULES.append(("runtime.engine_dead", _sym, "namespace"))
for _root in ("control_plane.etcd", "control_plane.nats"):
    for _sym in ("runtime.crashloop", "runtime.engine_dead", "runtime.config_error"):
        RULES.append((_root, _sym, "namespace"))
RULES.append(("control_plane.etcd", "control_plane.nats", "namespace"))
# the model cannot be fetched: workers never get ready, time out loading, crash
for _root in ("access.model_auth", "access.model_not_found", "access.secret_missing"):
    for _sym in ("runtime.model_load_timeout", "runtime.model_file_missing", "runtime.engine_dead",
                 "runtime.crashloop", "runtime.config_error"):
        RULES.append((_root, _sym, "namespace"))
RULES.append(("access.secret_missing", "access.model_auth", "namespace"))
# memory exhausted in the container explains its crash loop and its engine's death
for _root in ("runtime.cuda_oom", "runtime.vgpu_memory_limit", "runtime.kv_cache_capacity",
              "runtime.oom_killed"):
    for _sym in ("runtime.engine_dead", "runtime.crashloop", "runtime.nccl"):
        RULES.append((_root, _sym, "pod"))
RULES.append(("runtime.oom_killed", "performance.memory_leak", "pod"))
# ranks that cannot set up or run their collectives take the engine down with them: the
# scheduler / worker death that follows an NCCL failure in the same pod is its symptom
for _sym in ("runtime.engine_dead", "runtime.crashloop"):
    RULES.append(("runtime.nccl", _sym, "pod"))
RULES.append(("performance.memory_leak", "runtime.oom_killed", "pod"))
RULES.append(("cluster.node_not_ready", "gpu.hardware", "node"))
# a node or its container runtime restarted: the containers on it restarted with it, and the
# ones that failed while the node came back up (API server not reachable yet) crashed after it
for _sym in ("runtime.crashloop", "network.connection", "runtime.probe_failed"):
    RULES.append(("cluster.node_restarted", _sym, "node"))
for _sym in ("scheduling.insufficient_gpu", "gpu.device_plugin", "hami.component_unhealthy"):
    RULES.append(("gpu.hardware", _sym, "cluster"))
RULES.append(("cluster.no_gpu_nodes", "scheduling.insufficient_gpu", "cluster"))
RULES.append(("gpu.device_plugin", "scheduling.insufficient_gpu", "cluster"))
RULES.append(("hami.component_unhealthy", "hami.webhook_not_applied", "cluster"))
RULES.append(("storage.pvc_pending", "storage.mount_failed", "pod"))
RULES.append(("image.pull_auth", "image.pull_failed", "pod"))
RULES.append(("image.not_found", "image.pull_failed", "pod"))

# the specific shortage explains the generic "no node fits" of the same pod
for _root in ("scheduling.insufficient_gpumem", "scheduling.insufficient_gpucores"):
    RULES.append((_root, "scheduling.insufficient_gpu", "pod"))

RULE_INDEX: dict[tuple[str, str], str] = {}
for _r, _s, _scope in RULES:
    RULE_INDEX.setdefault((_r, _s), _scope)
