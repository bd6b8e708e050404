"""The root-cause taxonomy: every category, its layer, and the triage order.

When several layers fail, the earliest failing layer is usually the root cause and the later
ones are its symptoms; `LAYER_ORDER` is that order.
"""

from __future__ import annotations

LAYERS: dict[str, tuple[str, ...]] = {
    "cluster": ("cluster.unreachable", "cluster.namespace_missing", "cluster.no_gpu_nodes",
                "cluster.rbac_forbidden", "cluster.node_not_ready", "cluster.node_restarted"),
    "access": ("access.model_auth", "access.secret_missing", "access.model_not_found"),
    "storage": ("storage.pvc_pending", "storage.mount_failed", "storage.disk_full"),
    "image": ("image.pull_auth", "image.not_found", "image.pull_failed", "image.backend_missing"),
    "scheduling": ("scheduling.insufficient_gpu", "scheduling.insufficient_gpumem",
                   "scheduling.insufficient_gpucores", "scheduling.insufficient_cpu_memory",
                   "scheduling.node_affinity", "scheduling.taint"),
    "gpu_platform": ("hami.component_unhealthy", "hami.webhook_not_applied", "hami.config",
                     "gpu.device_plugin", "gpu.not_visible", "gpu.driver_mismatch", "gpu.hardware",
                     "gpu.thermal"),
    "operator": ("operator.crd_missing", "operator.reconcile_error"),
    "control_plane": ("control_plane.etcd", "control_plane.nats"),
    "runtime": ("runtime.cuda_oom", "runtime.vgpu_memory_limit", "runtime.kv_cache_capacity",
                "runtime.oom_killed", "runtime.model_load_timeout", "runtime.model_file_missing",
                "runtime.engine_version_mismatch", "runtime.nccl", "runtime.engine_dead",
                "runtime.config_error", "runtime.crashloop", "runtime.probe_failed"),
    "network": ("network.dns", "network.connection"),
    "frontend": ("frontend.no_workers", "router.kv_events_missing"),
    "endpoint": ("endpoint.http_errors", "endpoint.model_name_mismatch"),
    "benchmark": ("benchmark.job_failed",),
    "performance": ("performance.high_latency", "performance.low_throughput",
                    "performance.memory_leak"),
    # a failure no pattern or check knows and whose words point to no category: the line itself
    # is the finding (``analyzer.infer``); last, so that anything named explains it
    "unclassified": ("unclassified.error",),
}

LAYER_ORDER: tuple[str, ...] = tuple(LAYERS)
# categories that name a failure without its cause: anything more specific explains them
GENERIC_CATEGORIES: frozenset[str] = frozenset({
    "runtime.crashloop", "runtime.probe_failed", "network.connection", "endpoint.http_errors",
    "frontend.no_workers", "benchmark.job_failed", "performance.high_latency", "performance.low_throughput"})
CATEGORY_LAYER: dict[str, str] = {c: layer for layer, cats in LAYERS.items() for c in cats}
CATEGORIES: frozenset[str] = frozenset(CATEGORY_LAYER)

SEVERITIES: tuple[str, ...] = ("critical", "error", "warning", "info")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}


def layer_rank(category: str) -> int:
    """Position of the category's layer in the triage order (0 = cluster)."""
    return LAYER_ORDER.index(CATEGORY_LAYER[category])


def at_least(severity: str, threshold: str) -> bool:
    """True when ``severity`` is as severe as ``threshold`` or more."""
    return SEVERITY_RANK[severity] <= SEVERITY_RANK[threshold]
