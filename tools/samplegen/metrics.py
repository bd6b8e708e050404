"""Prometheus text exposition for the pods the collector scrapes (frontend, workers, HAMi, DCGM).

Names and labels follow the real exporters: Dynamo ``dynamo_frontend_*`` / ``dynamo_component_*``,
vLLM ``vllm:*`` (labels ``engine``, ``model_name``), HAMi ``hami_*`` (v2.9+) or the legacy
CamelCase names, DCGM ``DCGM_FI_DEV_*``.
"""

from __future__ import annotations

from .clock import Rng

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
TOKEN_BUCKETS = (1.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0)


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def _num(v: float) -> str:
    # Go and Rust exporters print integers bare; the Python client prints floats ("12.0")
    return str(v) if isinstance(v, int) else repr(float(v))


class Prom:
    """A small writer of the text format (HELP, TYPE, samples; histograms with buckets)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def family(self, name: str, kind: str, help_: str, samples: list[tuple[dict[str, str], float]]) -> "Prom":
        self.parts.append(f"# HELP {name} {help_}\n# TYPE {name} {kind}\n")
        for labels, value in samples:
            self.parts.append(f"{name}{_labels(labels)} {_num(value)}\n")
        return self

    def histogram(self, name: str, help_: str, series: list[tuple[dict[str, str], list[float]]],
                  buckets: tuple[float, ...] = LATENCY_BUCKETS, total: int | None = None) -> "Prom":
        """A histogram from sample observations, scaled to ``total`` observations when given
        (so ``_count`` agrees with the matching ``_total`` counter)."""
        self.parts.append(f"# HELP {name} {help_}\n# TYPE {name} histogram\n")
        for labels, observations in series:
            n = total if total is not None else len(observations)
            scale = n / len(observations) if observations else 0.0
            for b in buckets:
                cnt = round(sum(1 for o in observations if o <= b) * scale)
                self.parts.append(f"{name}_bucket{_labels({**labels, 'le': repr(float(b))})} {cnt}\n")
            self.parts.append(f"{name}_bucket{_labels({**labels, 'le': '+Inf'})} {n}\n")
            self.parts.append(f"{name}_sum{_labels(labels)} {repr(float(round(sum(observations) * scale, 6)))}\n")
            self.parts.append(f"{name}_count{_labels(labels)} {n}\n")
        return self

    def text(self) -> str:
        return "".join(self.parts)


def _obs(rng: Rng, n: int, lo: float, hi: float) -> list[float]:
    return [round(rng.uniform(lo, hi) ** 1.0, 4) for _ in range(n)]


def frontend(rng: Rng, model: str, *, ok: int, errors: dict[str, int] | None = None, workers: int,
             ready: bool = True, inflight: int = 0, migrations: int = 0) -> str:
    """A Dynamo frontend /metrics scrape."""
    m = model.lower()
    p = Prom()
    req = [({"endpoint": "chat_completions", "model": m, "request_type": "stream", "status": "success"},
            float(ok * 3 // 4)),
           ({"endpoint": "chat_completions", "model": m, "request_type": "unary", "status": "success"},
            float(ok - ok * 3 // 4))]
    for etype, n in (errors or {}).items():
        req.append(({"endpoint": "chat_completions", "error_type": etype, "model": m, "request_type": "stream",
                     "status": "error"}, float(n)))
    p.family("dynamo_frontend_requests_total", "counter", "Total number of LLM requests processed", req)
    p.family("dynamo_frontend_inflight_requests", "gauge", "Number of inflight requests", [({"model": m}, inflight)])
    p.family("dynamo_frontend_queued_requests", "gauge", "Number of requests in HTTP processing queue",
             [({"model": m}, 0)])
    p.family("dynamo_frontend_disconnected_clients", "gauge", "Number of disconnected clients", [({}, 0)])
    n = min(ok, 400)
    p.histogram("dynamo_frontend_request_duration_seconds", "Duration of LLM requests",
                [({"model": m}, _obs(rng, n, 0.4, 14.0))], total=ok)
    p.histogram("dynamo_frontend_time_to_first_token_seconds", "Time to first token in seconds",
                [({"model": m}, _obs(rng, n, 0.02, 0.9))], total=ok)
    p.histogram("dynamo_frontend_inter_token_latency_seconds", "Inter-token latency in seconds",
                [({"model": m}, _obs(rng, n, 0.006, 0.04))], total=ok)
    p.histogram("dynamo_frontend_input_sequence_tokens", "Input sequence length in tokens",
                [({"model": m}, _obs(rng, n, 40, 3800))], TOKEN_BUCKETS, total=ok)
    p.histogram("dynamo_frontend_output_sequence_tokens", "Output sequence length in tokens",
                [({"model": m}, _obs(rng, n, 16, 900))], TOKEN_BUCKETS, total=ok)
    p.family("dynamo_frontend_output_tokens_total", "counter", "Total number of output tokens generated",
             [({"model": m}, float(ok * rng.randint(180, 320)))])
    p.family("dynamo_frontend_model_migration_total", "counter", "Total number of request migrations",
             [({"migration_type": "new_request", "model": m}, float(migrations)),
              ({"migration_type": "ongoing_request", "model": m}, 0.0)])
    p.family("dynamo_frontend_model_workers", "gauge", "Number of workers serving the model",
             [({"model": m}, workers)])
    p.family("dynamo_frontend_model_ready", "gauge", "Whether the model has routable workers (1) or not (0)",
             [({"model": m}, 1 if ready else 0)])
    p.family("dynamo_frontend_model_context_length", "gauge", "Maximum context length in tokens for a worker",
             [({"model": m}, 32768)] if workers else [])
    p.family("dynamo_frontend_model_kv_cache_block_size", "gauge", "KV cache block size in tokens for a worker",
             [({"model": m}, 16)] if workers else [])
    return p.text()


def worker(rng: Rng, model: str, dyn_ns: str, component: str, *, requests: int, kv_blocks: int,
           active_blocks: int, uptime: float, engine: str = "0", running: int = 2, waiting: int = 0,
           errors: int = 0, preemptions: int = 0) -> str:
    """A Dynamo vLLM worker system-server scrape: ``dynamo_component_*`` plus vLLM's own."""
    base = {"dynamo_component": component, "dynamo_endpoint": "generate", "dynamo_namespace": dyn_ns}
    p = Prom()
    p.family("dynamo_component_requests_total", "counter", "Total number of requests processed by work handler",
             [(base, float(requests))])
    p.family("dynamo_component_errors_total", "counter", "Total number of errors in work handler processing",
             [({**base, "error_type": "generate"}, float(errors))] if errors else [])
    p.family("dynamo_component_inflight_requests", "gauge",
             "Number of requests currently being processed by work handler", [(base, running)])
    p.histogram("dynamo_component_request_duration_seconds", "Time spent processing requests by work handler",
                [(base, _obs(rng, min(requests, 300), 0.3, 12.0))], total=requests)
    p.family("dynamo_component_request_bytes_total", "counter", "Total number of bytes received in requests by work handler",
             [(base, float(requests * rng.randint(2400, 9000)))])
    p.family("dynamo_component_response_bytes_total", "counter", "Total number of bytes sent in responses by work handler",
             [(base, float(requests * rng.randint(30000, 90000)))])
    p.family("dynamo_component_uptime_seconds", "gauge", "Total uptime of the DistributedRuntime in seconds",
             [({}, round(uptime, 3))])
    kvb = {"dynamo_component": component, "dynamo_namespace": dyn_ns}
    p.family("dynamo_component_kvstats_active_blocks", "gauge", "Number of active KV cache blocks in use",
             [(kvb, active_blocks)])
    p.family("dynamo_component_kvstats_total_blocks", "gauge", "Total number of KV cache blocks available",
             [(kvb, kv_blocks)])
    p.family("dynamo_component_kvstats_gpu_cache_usage_percent", "gauge", "GPU cache usage as a percentage (0.0-1.0)",
             [(kvb, round(active_blocks / max(kv_blocks, 1), 6))])
    p.family("dynamo_component_kvstats_gpu_prefix_cache_hit_rate", "gauge", "GPU prefix cache hit rate as a percentage (0.0-1.0)",
             [(kvb, round(rng.uniform(0.05, 0.6), 6))])
    v = {"engine": engine, "model_name": model}
    p.family("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", [(v, running)])
    p.family("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", [(v, waiting)])
    p.family("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.",
             [(v, round(active_blocks / max(kv_blocks, 1), 6))])
    p.family("vllm:num_preemptions_total", "counter", "Cumulative number of preemption from the engine.",
             [(v, float(preemptions))])
    p.family("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.",
             [(v, float(requests * rng.randint(300, 2400)))])
    p.family("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.",
             [(v, float(requests * rng.randint(150, 400)))])
    n = min(requests, 300)
    p.histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
                [(v, _obs(rng, n, 0.02, 0.8))], total=requests)
    p.histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.",
                [(v, _obs(rng, n, 0.3, 12.0))], total=requests)
    return p.text()


def process_memory(rss_bytes: int, start_time: float, cpu_s: float) -> str:
    """The Python client's process collector families (prometheus_client default registry)."""
    p = Prom()
    p.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", [({}, float(rss_bytes * 3))])
    p.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [({}, float(rss_bytes))])
    p.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
             [({}, start_time)])
    p.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", [({}, cpu_s)])
    p.family("process_open_fds", "gauge", "Number of open file descriptors.", [({}, 212.0)])
    p.family("process_max_fds", "gauge", "Maximum number of open file descriptors.", [({}, 1048576.0)])
    return p.text()


def hami_monitor(node: str, gpus: list[tuple[str, int, str]], used_mib: list[int], util: list[int],
                 containers: list[tuple[str, str, str, int, str, int, int]]) -> str:
    """hami-vgpu-monitor scrape (:9394). gpus: (uuid, index, type); containers:
    (namespace, pod, container, vdevice, uuid, used_bytes, limit_bytes)."""
    p = Prom()
    p.family("hami_host_gpu_memory_used_bytes", "gauge", "GPU device memory usage in bytes",
             [({"device_index": str(i), "device_type": t, "device_uuid": u, "node": node}, float(m * 2**20))
              for (u, i, t), m in zip(gpus, used_mib)])
    p.family("hami_host_gpu_utilization_ratio", "gauge", "GPU core utilization",
             [({"device_index": str(i), "device_type": t, "device_uuid": u, "node": node}, float(x))
              for (u, i, t), x in zip(gpus, util)])
    p.family("hami_vgpu_memory_used_bytes", "gauge", "vGPU device memory usage in bytes",
             [({"container": c, "device_uuid": u, "namespace": ns, "pod": pod, "vdevice_index": str(vd)}, float(used))
              for ns, pod, c, vd, u, used, _ in containers])
    p.family("hami_vgpu_memory_limit_bytes", "gauge", "vGPU device memory limit in bytes",
             [({"container": c, "device_uuid": u, "namespace": ns, "pod": pod, "vdevice_index": str(vd)}, float(lim))
              for ns, pod, c, vd, u, _, lim in containers])
    return p.text()


def dcgm(node: str, gpus: list[tuple[str, int, str, str]], *, xid: dict[int, int] | None = None,
         util: list[int] | None = None, fb_used: list[int] | None = None, fb_total: int = 81559,
         temp: list[int] | None = None, pods: dict[int, tuple[str, str, str]] | None = None) -> str:
    """dcgm-exporter scrape (:9400). gpus: (uuid, index, model, pci_bus_id)."""
    p = Prom()
    util = util or [0] * len(gpus)
    fb_used = fb_used or [0] * len(gpus)
    temp = temp or [34] * len(gpus)

    def lab(i: int) -> dict[str, str]:
        u, idx, model, bus = gpus[i]
        d = {"gpu": str(idx), "UUID": u, "pci_bus_id": bus, "device": f"nvidia{idx}", "modelName": model,
             "Hostname": node}
        if pods and idx in pods:
            ns, pod, c = pods[idx]
            d.update({"container": c, "namespace": ns, "pod": pod})
        return d

    rows = range(len(gpus))
    p.family("DCGM_FI_DEV_SM_CLOCK", "gauge", "SM clock frequency (in MHz).", [(lab(i), 1980 if util[i] else 345) for i in rows])
    p.family("DCGM_FI_DEV_MEM_CLOCK", "gauge", "Memory clock frequency (in MHz).", [(lab(i), 2619) for i in rows])
    p.family("DCGM_FI_DEV_GPU_TEMP", "gauge", "GPU temperature (in C).", [(lab(i), temp[i]) for i in rows])
    p.family("DCGM_FI_DEV_POWER_USAGE", "gauge", "Power draw (in W).",
             [(lab(i), round(70.5 + util[i] * 5.1, 3)) for i in rows])
    p.family("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "counter", "Total number of PCIe retries.", [(lab(i), 0) for i in rows])
    p.family("DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %).", [(lab(i), util[i]) for i in rows])
    p.family("DCGM_FI_DEV_MEM_COPY_UTIL", "gauge", "Memory utilization (in %).", [(lab(i), util[i] // 3) for i in rows])
    p.family("DCGM_FI_DEV_XID_ERRORS", "gauge", "Value of the last XID error encountered.",
             [(lab(i), (xid or {}).get(gpus[i][1], 0)) for i in rows])
    p.family("DCGM_FI_DEV_FB_FREE", "gauge", "Framebuffer memory free (in MiB).",
             [(lab(i), fb_total - fb_used[i]) for i in rows])
    p.family("DCGM_FI_DEV_FB_USED", "gauge", "Framebuffer memory used (in MiB).", [(lab(i), fb_used[i]) for i in rows])
    p.family("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", "counter", "Number of remapped rows for uncorrectable errors",
             [(lab(i), 0) for i in rows])
    p.family("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", "counter", "Number of remapped rows for correctable errors",
             [(lab(i), 0) for i in rows])
    p.family("DCGM_FI_DEV_ROW_REMAP_FAILURE", "gauge", "Whether remapping of rows has failed", [(lab(i), 0) for i in rows])
    return p.text()
