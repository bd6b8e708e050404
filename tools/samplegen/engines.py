"""Inference-engine logs: vLLM (plain ``vllm serve`` and inside Dynamo workers), the Dynamo frontend.

Startup sequences follow vLLM V1 (0.10/0.11): config resolution, EngineCore init, weight loading,
torch.compile, KV-cache sizing, CUDA-graph capture, then the periodic ``loggers.py`` stats. Failure
tails (CUDA OOM, KV capacity, engine death) are separate functions that scenarios append.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import logs as L
from .clock import NS, Rng

MS = 1_000_000
VLLM_VERSION = "0.11.0"
SITE = "/opt/dynamo/venv/lib/python3.12/site-packages"
PLAIN_SITE = "/usr/local/lib/python3.12/dist-packages"


@dataclass
class Model:
    name: str
    weights_gib: float
    max_len: int
    arch: str
    shards: int
    kv_tokens: int            # GPU KV cache size in tokens after profiling
    kv_gib: float


QWEN3_8B = Model("Qwen/Qwen3-8B", 15.27, 32768, "Qwen3ForCausalLM", 5, 381_632, 52.41)
QWEN3_32B = Model("Qwen/Qwen3-32B", 61.03, 32768, "Qwen3ForCausalLM", 17, 142_288, 19.54)
LLAMA_8B = Model("meta-llama/Llama-3.1-8B-Instruct", 14.99, 131072, "LlamaForCausalLM", 4, 418_624, 51.1)
LLAMA_70B_FP8 = Model("nvidia/Llama-3.3-70B-Instruct-FP8", 67.72, 131072, "LlamaForCausalLM", 15, 70_144, 10.7)
QWEN25_7B = Model("Qwen/Qwen2.5-7B-Instruct", 14.25, 32768, "Qwen2ForCausalLM", 4, 96_416, 5.15)
QWEN25_32B_AWQ = Model("Qwen/Qwen2.5-32B-Instruct-AWQ", 18.14, 32768, "Qwen2ForCausalLM", 5, 20_992, 2.56)
MISTRAL_7B = Model("mistralai/Mistral-7B-Instruct-v0.3", 13.5, 32768, "MistralForCausalLM", 3, 81_920, 5.0)


def _eng(proc: str | None):  # type: ignore[no-untyped-def]
    def f(t: int, level: str, where: str, msg: str) -> tuple[int, str]:
        return L.vllm(t, level, where, msg, proc)
    return f


def vllm_config_lines(t: int, m: Model, *, proc: str | None, tp: int = 1, gpu_util: float = 0.9,
                      max_len: int | None = None, extra_args: str = "") -> L.Lines:
    """The front-process lines before the engine core starts."""
    v = _eng(proc)
    ml = max_len or m.max_len
    return [v(t, "INFO", "__init__.py:216", "Automatically detected platform cuda."),
            v(t + 2100 * MS, "INFO", "utils.py:233", f"non-default args: {{'model': '{m.name}', "
              f"'max_model_len': {ml}, 'gpu_memory_utilization': {gpu_util}, 'tensor_parallel_size': {tp}{extra_args}}}"),
            v(t + 5400 * MS, "INFO", "model.py:547", f"Resolved architecture: {m.arch}"),
            v(t + 5401 * MS, "INFO", "model.py:1510", f"Using max model len {ml}"),
            v(t + 5720 * MS, "INFO", "scheduler.py:205", "Chunked prefill is enabled with max_num_batched_tokens=8192."),
            v(t + 6100 * MS, "WARNING", "__init__.py:2245", "We must use the `spawn` multiprocessing start method. "
              "Overriding VLLM_WORKER_MULTIPROC_METHOD to 'spawn'. See https://docs.vllm.ai/en/latest/usage/"
              "troubleshooting.html#python-multiprocessing for more information. Reasons: CUDA is initialized")]


def engine_init_lines(rng: Rng, t: int, m: Model, *, proc: str, tp: int = 1, max_len: int | None = None,
                      upto: str = "ready", gpu_util: float = 0.9) -> tuple[L.Lines, int]:
    """EngineCore startup from init to ready (or stopping just before ``upto``: 'load', 'profile', 'kv')."""
    e = _eng(proc)
    ml = max_len or m.max_len
    out: L.Lines = [
        e(t, "INFO", "core.py:644", "Waiting for init message from front-end."),
        e(t + 40 * MS, "INFO", "core.py:77", f"Initializing a V1 LLM engine (v{VLLM_VERSION}) with config: model='{m.name}', "
          f"speculative_config=None, tokenizer='{m.name}', skip_tokenizer_init=False, tokenizer_mode=auto, revision=None, "
          f"tokenizer_revision=None, trust_remote_code=False, dtype=torch.bfloat16, max_seq_len={ml}, download_dir=None, "
          f"load_format=auto, tensor_parallel_size={tp}, pipeline_parallel_size=1, data_parallel_size=1, "
          f"disable_custom_all_reduce=False, quantization=None, enforce_eager=False, kv_cache_dtype=auto, "
          f"device_config=cuda, structured_outputs_config=StructuredOutputsConfig(backend='auto'), seed=0, "
          f"served_model_name={m.name}, enable_prefix_caching=True, chunked_prefill_enabled=True, pooler_config=None, "
          f"compilation_config={{\"level\":3,\"debug_dump_path\":\"\",\"cache_dir\":\"\",\"backend\":\"\",\"custom_ops\":[],"
          f"\"splitting_ops\":[\"vllm.unified_attention\",\"vllm.unified_attention_with_output\",\"vllm.mamba_mixer2\"],"
          f"\"use_inductor\":true,\"cudagraph_mode\":[2,1],\"use_cudagraph\":true,\"cudagraph_num_of_warmups\":1,"
          f"\"max_capture_size\":512,\"local_cache_dir\":null}}"),
        e(t + 1900 * MS, "INFO", "parallel_state.py:1208", "rank 0 in world size 1 is assigned as DP rank 0, PP rank 0, "
          "TP rank 0, EP rank 0"),
        e(t + 2000 * MS, "INFO", "topk_topp_sampler.py:55", "Using FlashInfer for top-p & top-k sampling."),
        e(t + 2100 * MS, "INFO", "gpu_model_runner.py:2602", f"Starting to load model {m.name}..."),
        e(t + 2400 * MS, "INFO", "gpu_model_runner.py:2634", "Loading model from scratch..."),
        e(t + 2500 * MS, "INFO", "cuda.py:366", "Using Flash Attention backend on V1 engine."),
        e(t + 2900 * MS, "INFO", "weight_utils.py:392", "Using model weights format ['*.safetensors']"),
    ]
    tt = t + 3000 * MS
    if upto == "load":
        return out, tt
    per = m.weights_gib / m.shards * 0.31
    for i in range(0, m.shards + 1, max(1, m.shards // 4)):
        pct = int(i * 100 / m.shards)
        el = per * i
        out.append((tt + int(el * NS), f"({proc}) Loading safetensors checkpoint shards: {pct:>3}% Completed | {i}/{m.shards} "
                    f"[{int(el) // 60:02d}:{int(el) % 60:02d}<{int(per * (m.shards - i)) // 60:02d}:{int(per * (m.shards - i)) % 60:02d}, "
                    f"{per:.2f}s/it]"))
    tt += int(per * m.shards * NS) + 200 * MS
    out.append(e(tt, "INFO", "default_loader.py:267", f"Loading weights took {per * m.shards:.2f} seconds"))
    out.append(e(tt + 600 * MS, "INFO", "gpu_model_runner.py:2653",
                 f"Model loading took {m.weights_gib:.4f} GiB and {per * m.shards + 1.3:.6f} seconds"))
    tt += 1200 * MS
    cache = f"/root/.cache/vllm/torch_compile_cache/{rng.hex(10)}/rank_0_0/backbone"
    out += [e(tt + 5800 * MS, "INFO", "backends.py:548", f"Using cache directory: {cache} for vLLM's torch.compile"),
            e(tt + 5801 * MS, "INFO", "backends.py:559", f"Dynamo bytecode transform time: {rng.uniform(5, 9):.2f} s")]
    tt += 6000 * MS
    if upto == "profile":
        return out, tt
    comp = rng.uniform(18, 34)
    out += [e(tt + 4000 * MS, "INFO", "backends.py:197", "Cache the graph for dynamic shape for later use"),
            e(tt + int(comp * NS), "INFO", "backends.py:218", f"Compiling a graph for dynamic shape takes {comp:.2f} s"),
            e(tt + int((comp + 5) * NS), "INFO", "monitor.py:34", f"torch.compile takes {comp + 6.4:.2f} s in total")]
    tt += int((comp + 6) * NS)
    if upto == "kv":
        return out, tt
    out += [e(tt, "INFO", "gpu_worker.py:298", f"Available KV cache memory: {m.kv_gib:.2f} GiB"),
            e(tt + 400 * MS, "INFO", "kv_cache_utils.py:1087", f"GPU KV cache size: {m.kv_tokens:,} tokens"),
            e(tt + 401 * MS, "INFO", "kv_cache_utils.py:1091",
              f"Maximum concurrency for {ml:,} tokens per request: {m.kv_tokens / ml:.2f}x")]
    tt += 500 * MS
    out.append((tt + 6200 * MS, f"({proc}) Capturing CUDA graphs (mixed prefill-decode, PIECEWISE): 100%|██████████| "
                               f"67/67 [00:06<00:00, 10.84it/s]"))
    out.append((tt + 8100 * MS, f"({proc}) Capturing CUDA graphs (decode, FULL): 100%|██████████| 35/35 [00:01<00:00, 19.62it/s]"))
    out.append(e(tt + 8300 * MS, "INFO", "gpu_model_runner.py:3480", "Graph capturing finished in 8 secs, took 0.61 GiB"))
    out.append(e(tt + 8500 * MS, "INFO", "core.py:210",
                 f"init engine (profile, create kv cache, warmup model) took {comp + 16.2:.2f} seconds"))
    return out, tt + 8600 * MS


def vllm_serve_log(rng: Rng, t0: int, t_end: int, m: Model, *, port: int = 8000, load: float = 0.4,
                   req_every_s: float = 2.0, pid: int = 1,
                   noise_from: int | None = None) -> L.Lines:
    """A plain ``vllm serve`` pod (OpenAI API server): startup, uvicorn, access lines, stats."""
    api = f"APIServer pid={pid}"
    v = _eng(api)
    out: L.Lines = [v(t0, "INFO", "api_server.py:1839", f"vLLM API server version {VLLM_VERSION}")]
    out += vllm_config_lines(t0 + 100 * MS, m, proc=api)
    eng_pid = pid + rng.randint(90, 300)
    lines, t = engine_init_lines(rng, t0 + 9 * NS, m, proc=f"EngineCore_DP0 pid={eng_pid}")
    out += lines
    out += [v(t + 300 * MS, "INFO", "loggers.py:147", f"Engine 000: vllm cache_config_info with initialization after num_gpu_blocks is: {m.kv_tokens // 16}"),
            v(t + 700 * MS, "INFO", "api_server.py:1634", "Supported_tasks: ['generate']"),
            v(t + 900 * MS, "INFO", "api_server.py:1912", f"Starting vLLM API server 0 on http://0.0.0.0:{port}"),
            v(t + 901 * MS, "INFO", "launcher.py:34", "Available routes are:")]
    for i, r in enumerate(["/openapi.json", "/docs", "/health", "/load", "/ping", "/tokenize", "/detokenize",
                           "/v1/models", "/version", "/v1/responses", "/v1/chat/completions", "/v1/completions",
                           "/v1/embeddings", "/metrics"]):
        out.append(v(t + (902 + i) * MS, "INFO", "launcher.py:42", f"Route: {r}, Methods: {'GET' if r in ('/health', '/v1/models', '/version', '/metrics', '/load', '/openapi.json', '/docs') else 'POST'}"))
    out += [(t + 950 * MS, f"({api}) INFO:     Started server process [{pid}]"),
            (t + 951 * MS, f"({api}) INFO:     Waiting for application startup."),
            (t + 990 * MS, f"({api}) INFO:     Application startup complete.")]
    # a long-lived server's log is its startup plus the recent window (older noise is not generated)
    start = max(t + 2 * NS, noise_from or 0)
    kube_probe = L.client_ip(rng).rsplit(".", 1)[0] + ".1"
    for tt in L.spread(rng, start, t_end, 10.0, jitter=0.05):
        out.append((tt, f'({api}) INFO:     {kube_probe}:{rng.randint(30000, 60000)} - "GET /health HTTP/1.1" 200 OK'))
    for tt in L.spread(rng, start, t_end, req_every_s, jitter=0.9):
        path = "/v1/chat/completions" if rng.random() < 0.85 else "/v1/completions"
        code = 200 if rng.random() > 0.004 else 400
        out.append((tt, f'({api}) INFO:     {L.client_ip(rng)}:{rng.randint(30000, 60999)} - "POST {path} HTTP/1.1" '
                        f'{code} {"OK" if code == 200 else "Bad Request"}'))
    for tt in L.spread(rng, start, t_end, 15.0, jitter=0.05):
        out.append((tt, f'({api}) INFO:     10.244.0.{rng.randint(10, 40)}:{rng.randint(30000, 60000)} - "GET /metrics HTTP/1.1" 200 OK'))
    out += L.vllm_stats(rng, start, t_end, proc=api, load=load)
    return out


# ---------------------------------------------------------------------------------------------
# Dynamo


def dynamo_worker_startup(rng: Rng, t0: int, m: Model, *, dyn_ns: str, role: str, pid: int = 1,
                          etcd: str, nats: str, upto: str = "ready", max_len: int | None = None,
                          gpu_util: float = 0.9, jsonl: bool = False) -> tuple[L.Lines, int]:
    """A Dynamo vLLM worker (``python3 -m dynamo.vllm``): runtime init, vLLM engine, registration."""
    d = L.dyn_json if jsonl else L.dyn
    comp = "prefill" if role == "prefill" else "backend"
    out: L.Lines = [
        d(t0, "INFO", "dynamo_runtime::distributed", f"Initializing DistributedRuntime (etcd: {etcd}, nats: {nats})"),
        d(t0 + 20 * MS, "INFO", "dynamo_runtime::transports::etcd", f"Connected to etcd at {etcd}"),
        d(t0 + 35 * MS, "INFO", "dynamo_runtime::transports::nats", f"Connected to NATS server at {nats}"),
        d(t0 + 60 * MS, "INFO", "dynamo_runtime::system_status_server", "System status server listening on 0.0.0.0:9090"),
        d(t0 + 400 * MS, "INFO", "main.worker", f"Starting {'prefill' if role == 'prefill' else 'decode'} worker "
          f"for model {m.name} in namespace {dyn_ns}"),
    ]
    out += vllm_config_lines(t0 + 800 * MS, m, proc=None, max_len=max_len, gpu_util=gpu_util,
                             extra_args=", 'enable_prefix_caching': True")
    eng_pid = pid + rng.randint(120, 400)
    lines, t = engine_init_lines(rng, t0 + 9 * NS, m, proc=f"EngineCore_DP0 pid={eng_pid}", upto=upto, max_len=max_len,
                                 gpu_util=gpu_util)
    out += lines
    if upto != "ready":
        return out, t
    blocks = m.kv_tokens // 16
    out += [d(t + 200 * MS, "INFO", "main.get_engine_cache_info", f"Cache config values: {{'num_gpu_blocks': {blocks}}}"),
            d(t + 260 * MS, "INFO", "main.init", f"Reading Events from tcp://127.0.0.1:{20080 + rng.randint(0, 2000)}"),
            d(t + 900 * MS, "INFO", "dynamo_runtime::component::endpoint",
              f"Registering endpoint {dyn_ns}/{comp}/generate instance_id={rng.randint(10**17, 10**18):x}"),
            d(t + 950 * MS, "INFO", "dynamo_llm::local_model", f"Registered model card for {m.name} namespace={dyn_ns}"),
            d(t + 1000 * MS, "INFO", "main.init", f"VllmWorker for {m.name} has been initialized"),
            d(t + 1010 * MS, "INFO", "handlers.__init__",
              "Prefill worker handler initialized" if role == "prefill" else "Decode worker handler initialized")]
    return out, t + 1100 * MS


def dynamo_worker_log(rng: Rng, t0: int, t_end: int, m: Model, *, dyn_ns: str, role: str, etcd: str,
                      nats: str, load: float = 0.5, jsonl: bool = False) -> L.Lines:
    lines, t = dynamo_worker_startup(rng, t0, m, dyn_ns=dyn_ns, role=role, etcd=etcd, nats=nats, jsonl=jsonl)
    lines += L.vllm_stats(rng, t + 5 * NS, t_end, load=load)
    return lines


def dynamo_frontend_startup(rng: Rng, t0: int, *, dyn_ns: str, etcd: str, nats: str, port: int = 8000,
                            router: str = "round-robin", jsonl: bool = False) -> L.Lines:
    d = L.dyn_json if jsonl else L.dyn
    return [d(t0, "INFO", "dynamo_runtime::distributed", f"Initializing DistributedRuntime (etcd: {etcd}, nats: {nats})"),
            d(t0 + 25 * MS, "INFO", "dynamo_runtime::transports::etcd", f"Connected to etcd at {etcd}"),
            d(t0 + 31 * MS, "INFO", "dynamo_runtime::transports::nats", f"Connected to NATS server at {nats}"),
            d(t0 + 300 * MS, "INFO", "dynamo_frontend.main", f"Router mode: {router}; namespace: {dyn_ns}"),
            d(t0 + 520 * MS, "INFO", "dynamo_llm::http::service::service_v2",
              f"Starting HTTP service on: 0.0.0.0:{port}", f'address="0.0.0.0:{port}"'),
            d(t0 + 540 * MS, "INFO", "dynamo_llm::discovery::watcher", "Watching for models", f'namespace="{dyn_ns}"')]


def frontend_added_model(t: int, m: Model, dyn_ns: str, jsonl: bool = False) -> L.Lines:
    d = L.dyn_json if jsonl else L.dyn
    return [d(t, "INFO", "dynamo_llm::discovery::watcher", "added model", f'model_name="{m.name}" namespace="{dyn_ns}"'),
            d(t + 2 * MS, "INFO", "dynamo_llm::http::service::service_v2", "Chat completions is ready"),
            d(t + 3 * MS, "INFO", "dynamo_llm::http::service::service_v2", "Completions is ready")]


# ---------------------------------------------------------------------------------------------
# failure tails


def _frames_engine_core(site: str) -> list[tuple[str, int, str, str]]:
    return [(f"{site}/vllm/v1/engine/core.py", 699, "run_engine_core", "engine_core = EngineCoreProc(*args, **kwargs)"),
            (f"{site}/vllm/v1/engine/core.py", 498, "__init__", "super().__init__(vllm_config, executor_class, log_stats,"),
            (f"{site}/vllm/v1/engine/core.py", 92, "__init__", "self._initialize_kv_caches(vllm_config)")]


def cuda_oom_startup(rng: Rng, t: int, *, proc: str, site: str = SITE, total_gib: float = 79.19,
                     free_mib: float = 406.38, alloc: str = "2.00 GiB", in_use_gib: float = 78.56,
                     by_torch_gib: float = 76.02, reserved_mib: float = 861.53, phase: str = "profile") -> L.Lines:
    """EngineCore dies in the profiling dummy run with torch.OutOfMemoryError, then the front process."""
    e = _eng(proc)
    msg = (f"CUDA out of memory. Tried to allocate {alloc}. GPU 0 has a total capacity of {total_gib:.2f} GiB of which "
           f"{free_mib:.2f} MiB is free. Including non-PyTorch memory, this process has {in_use_gib:.2f} GiB memory in use. "
           f"Of the allocated memory {by_torch_gib:.2f} GiB is allocated by PyTorch, and {reserved_mib:.2f} MiB is reserved "
           f"by PyTorch but unallocated. If reserved but unallocated memory is large try setting "
           f"PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory "
           f"Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)")
    load_frames = [
        (f"{site}/vllm/v1/engine/core.py", 699, "run_engine_core", "engine_core = EngineCoreProc(*args, **kwargs)"),
        (f"{site}/vllm/v1/engine/core.py", 498, "__init__", "super().__init__(vllm_config, executor_class, log_stats,"),
        (f"{site}/vllm/v1/engine/core.py", 83, "__init__", "self.model_executor = executor_class(vllm_config)"),
        (f"{site}/vllm/executor/executor_base.py", 54, "__init__", "self._init_executor()"),
        (f"{site}/vllm/executor/uniproc_executor.py", 55, "_init_executor", 'self.collective_rpc("load_model")'),
        (f"{site}/vllm/executor/uniproc_executor.py", 83, "collective_rpc", "return [run_method(self.driver_worker, method, args, kwargs)]"),
        (f"{site}/vllm/utils/__init__.py", 3122, "run_method", "return func(*args, **kwargs)"),
        (f"{site}/vllm/v1/worker/gpu_worker.py", 230, "load_model", "self.model_runner.load_model(eep_scale_up=eep_scale_up)"),
        (f"{site}/vllm/v1/worker/gpu_model_runner.py", 2635, "load_model", "self.model = model_loader.load_model("),
        (f"{site}/vllm/model_executor/model_loader/base_loader.py", 45, "load_model", "model = initialize_model(vllm_config=vllm_config,"),
        (f"{site}/vllm/model_executor/model_loader/utils.py", 63, "initialize_model", "return model_class(vllm_config=vllm_config, prefix=prefix)"),
        (f"{site}/vllm/model_executor/models/qwen3.py", 287, "__init__", 'self.model = Qwen3Model(vllm_config=vllm_config,'),
        (f"{site}/vllm/compilation/decorators.py", 201, "__init__", "old_init(self, vllm_config=vllm_config, prefix=prefix, **kwargs)"),
        (f"{site}/vllm/model_executor/models/qwen2.py", 336, "__init__", "self.start_layer, self.end_layer, self.layers = make_layers("),
        (f"{site}/vllm/model_executor/models/utils.py", 641, "make_layers", "maybe_offload_to_cpu(layer_fn(prefix=f\"{prefix}.{idx}\"))"),
        (f"{site}/vllm/model_executor/layers/linear.py", 463, "__init__", "self.quant_method.create_weights("),
        (f"{site}/vllm/model_executor/layers/linear.py", 208, "create_weights", "weight = Parameter(torch.empty(sum(output_partition_sizes),"),
        (f"{site}/torch/utils/_device.py", 104, "__torch_function__", "return func(*args, **kwargs)"),
    ]
    frames = load_frames if phase == "load" else _frames_engine_core(site) + [
        (f"{site}/vllm/v1/engine/core.py", 190, "_initialize_kv_caches", "self.model_executor.determine_available_memory())"),
        (f"{site}/vllm/v1/executor/abstract.py", 85, "determine_available_memory", 'return self.collective_rpc("determine_available_memory")'),
        (f"{site}/vllm/executor/uniproc_executor.py", 83, "collective_rpc", "return [run_method(self.driver_worker, method, args, kwargs)]"),
        (f"{site}/vllm/utils/__init__.py", 3122, "run_method", "return func(*args, **kwargs)"),
        (f"{site}/torch/utils/_contextlib.py", 120, "decorate_context", "return func(*args, **kwargs)"),
        (f"{site}/vllm/v1/worker/gpu_worker.py", 263, "determine_available_memory", "self.model_runner.profile_run()"),
        (f"{site}/vllm/v1/worker/gpu_model_runner.py", 3373, "profile_run", "= self._dummy_run(self.max_num_tokens, is_profile=True)"),
        (f"{site}/torch/utils/_contextlib.py", 120, "decorate_context", "return func(*args, **kwargs)"),
        (f"{site}/vllm/v1/worker/gpu_model_runner.py", 3111, "_dummy_run", "outputs = self.model("),
        (f"{site}/vllm/compilation/cuda_graph.py", 126, "__call__", "return self.runnable(*args, **kwargs)"),
        (f"{site}/torch/nn/modules/module.py", 1773, "_wrapped_call_impl", "return self._call_impl(*args, **kwargs)"),
        (f"{site}/torch/nn/modules/module.py", 1784, "_call_impl", "return forward_call(*args, **kwargs)"),
        (f"{site}/vllm/model_executor/models/qwen3.py", 305, "forward", "hidden_states = self.model(input_ids, positions, intermediate_tensors,"),
        (f"{site}/vllm/model_executor/layers/activation.py", 89, "forward_cuda", "out = torch.empty(output_shape, dtype=x.dtype, device=x.device)"),
    ]
    out = [e(t, "ERROR", "core.py:708", "EngineCore failed to start.")]
    out += traceback_prefixed(t, frames, f"torch.OutOfMemoryError: {msg}", e, "core.py:708")
    t2 = t + 40 * MS
    out += raw_process_traceback(t2, proc, frames, f"torch.OutOfMemoryError: {msg}", site)
    return out


def traceback_prefixed(t: int, frames, exc: str, e, where: str) -> L.Lines:  # type: ignore[no-untyped-def]
    """vLLM's logger.exception: every traceback line carries the level/time/file prefix."""
    return [e(tt, "ERROR", where, line) for tt, line in L.traceback_lines(t + MS, frames, exc)]


def raw_process_traceback(t: int, proc: str, frames, exc: str, site: str) -> L.Lines:  # type: ignore[no-untyped-def]
    """multiprocessing's own report of the dead child (``Process EngineCore_DP0:``)."""
    name = proc.split(" ")[0]
    head = [(t, f"({proc}) Process {name}:")]
    mp = [("/usr/lib/python3.12/multiprocessing/process.py", 314, "_bootstrap", "self.run()"),
          ("/usr/lib/python3.12/multiprocessing/process.py", 108, "run", "self._target(*self._args, **self._kwargs)"),
          (f"{site}/vllm/v1/engine/core.py", 712, "run_engine_core", "raise e")] + list(frames)[1:]
    return head + [(tt, f"({proc}) {line}") for tt, line in L.traceback_lines(t + MS, mp, exc)]


def front_engine_init_failed(t: int, *, site: str = SITE, dynamo: bool = True) -> L.Lines:
    """The front process's own traceback after the engine core died at startup."""
    frames = [("<frozen runpy>", 198, "_run_module_as_main", ""), ("<frozen runpy>", 88, "_run_code", "")]
    if dynamo:
        frames += [(f"{site}/dynamo/vllm/__main__.py", 7, "<module>", "main()"),
                   (f"{site}/dynamo/vllm/main.py", 1079, "main", "uvloop.run(worker())"),
                   (f"{site}/uvloop/__init__.py", 96, "run", "return __asyncio.run("),
                   ("/usr/lib/python3.12/asyncio/runners.py", 195, "run", "return runner.run(main)"),
                   ("/usr/lib/python3.12/asyncio/runners.py", 118, "run", "return self._loop.run_until_complete(task)"),
                   ("uvloop/loop.pyx", 1518, "uvloop.loop.Loop.run_until_complete", ""),
                   (f"{site}/uvloop/__init__.py", 48, "wrapper", "return await main"),
                   (f"{site}/dynamo/runtime/__init__.py", 48, "wrapper", "await func(runtime, *args, **kwargs)"),
                   (f"{site}/dynamo/vllm/main.py", 122, "worker", "await init(runtime, config)"),
                   (f"{site}/dynamo/vllm/main.py", 527, "init", "engine_client, vllm_config, default_sampling_params = setup_vllm_engine(config)"),
                   (f"{site}/dynamo/vllm/main.py", 327, "setup_vllm_engine", "engine_client = AsyncLLM.from_vllm_config(")]
    frames += [(f"{site}/vllm/utils/__init__.py", 1572, "inner", "return fn(*args, **kwargs)"),
               (f"{site}/vllm/v1/engine/async_llm.py", 207, "from_vllm_config", "return cls("),
               (f"{site}/vllm/v1/engine/async_llm.py", 134, "__init__", "self.engine_core = EngineCoreClient.make_async_mp_client("),
               (f"{site}/vllm/v1/engine/core_client.py", 102, "make_async_mp_client", "return AsyncMPClient(*client_args)"),
               (f"{site}/vllm/v1/engine/core_client.py", 769, "__init__", "super().__init__("),
               (f"{site}/vllm/v1/engine/core_client.py", 448, "__init__", "with launch_core_engines(vllm_config, executor_class,"),
               ("/usr/lib/python3.12/contextlib.py", 144, "__exit__", "next(self.gen)"),
               (f"{site}/vllm/v1/engine/utils.py", 732, "launch_core_engines", "wait_for_engine_startup("),
               (f"{site}/vllm/v1/engine/utils.py", 785, "wait_for_engine_startup", "raise RuntimeError(")]
    return L.traceback_lines(t, frames, "RuntimeError: Engine core initialization failed. See root cause above. "
                                       "Failed core proc(s): {}")


def chained(t: int, parts: list[tuple[list[tuple[str, int, str, str]], str]], step_us: int = 3) -> L.Lines:
    """A chained Python traceback (``The above exception was the direct cause ...``)."""
    out: L.Lines = []
    for i, (frames, exc) in enumerate(parts):
        if i:
            for line in ("", "The above exception was the direct cause of the following exception:", ""):
                out.append((t + len(out) * step_us * 1000, line))
        for _, line in L.traceback_lines(0, frames, exc):
            out.append((t + len(out) * step_us * 1000, line))
    return out


def hf_gated_401(t: int, repo: str, request_id: str, *, site: str = SITE) -> L.Lines:
    """vLLM's config download of a gated repo without a token: HTTPError -> GatedRepoError -> OSError."""
    url = f"https://huggingface.co/{repo}/resolve/main/config.json"
    gated = (f"401 Client Error. (Request ID: {request_id})\n\nCannot access gated repo for url {url}.\n"
             f"Access to model {repo} is restricted. You must have access to it and be authenticated to access it. "
             f"Please log in.")
    hub = f"{site}/huggingface_hub"
    part1 = ([(f"{hub}/utils/_http.py", 409, "hf_raise_for_status", "response.raise_for_status()"),
              (f"{site}/requests/models.py", 1026, "raise_for_status", "raise HTTPError(http_error_msg, response=self)")],
             f"requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: {url}")
    part2 = ([(f"{site}/transformers/utils/hub.py", 479, "cached_files", "hf_hub_download("),
              (f"{hub}/utils/_validators.py", 114, "_inner_fn", "return fn(*args, **kwargs)"),
              (f"{hub}/file_download.py", 1007, "hf_hub_download", "return _hf_hub_download_to_cache_dir("),
              (f"{hub}/file_download.py", 1114, "_hf_hub_download_to_cache_dir",
               "_raise_on_head_call_error(head_call_error, force_download, local_files_only)"),
              (f"{hub}/file_download.py", 1655, "_raise_on_head_call_error", "raise head_call_error"),
              (f"{hub}/file_download.py", 1543, "_get_metadata_or_catch_error", "metadata = get_hf_file_metadata("),
              (f"{hub}/utils/_validators.py", 114, "_inner_fn", "return fn(*args, **kwargs)"),
              (f"{hub}/file_download.py", 1460, "get_hf_file_metadata", "r = _request_wrapper("),
              (f"{hub}/file_download.py", 283, "_request_wrapper", "response = _request_wrapper("),
              (f"{hub}/file_download.py", 307, "_request_wrapper", "hf_raise_for_status(response)"),
              (f"{hub}/utils/_http.py", 426, "hf_raise_for_status", "raise _format(GatedRepoError, message, response) from e")],
             f"huggingface_hub.errors.GatedRepoError: {gated}")
    part3 = ([("<frozen runpy>", 198, "_run_module_as_main", ""), ("<frozen runpy>", 88, "_run_code", ""),
              (f"{site}/dynamo/vllm/__main__.py", 7, "<module>", "main()"),
              (f"{site}/dynamo/vllm/main.py", 1079, "main", "uvloop.run(worker())"),
              (f"{site}/uvloop/__init__.py", 96, "run", "return __asyncio.run("),
              ("/usr/lib/python3.12/asyncio/runners.py", 195, "run", "return runner.run(main)"),
              ("/usr/lib/python3.12/asyncio/runners.py", 118, "run", "return self._loop.run_until_complete(task)"),
              ("uvloop/loop.pyx", 1518, "uvloop.loop.Loop.run_until_complete", ""),
              (f"{site}/uvloop/__init__.py", 48, "wrapper", "return await main"),
              (f"{site}/dynamo/vllm/main.py", 98, "worker", "config = parse_args()"),
              (f"{site}/dynamo/vllm/args.py", 286, "parse_args", "vllm_config = engine_args.create_engine_config()"),
              (f"{site}/vllm/engine/arg_utils.py", 1101, "create_engine_config", "model_config = self.create_model_config()"),
              (f"{site}/vllm/engine/arg_utils.py", 963, "create_model_config", "return ModelConfig("),
              (f"{site}/pydantic/_internal/_dataclasses.py", 123, "__init__",
               "s.__pydantic_validator__.validate_python(ArgsKwargs(args, kwargs), self_instance=s)"),
              (f"{site}/vllm/config/model.py", 516, "__post_init__", "hf_config = get_config(self.hf_config_path or self.model,"),
              (f"{site}/vllm/transformers_utils/config.py", 563, "get_config", "config_dict, _ = PretrainedConfig.get_config_dict("),
              (f"{site}/transformers/configuration_utils.py", 662, "get_config_dict",
               "config_dict, kwargs = cls._get_config_dict(pretrained_model_name_or_path, **kwargs)"),
              (f"{site}/transformers/configuration_utils.py", 721, "_get_config_dict", "resolved_config_file = cached_file("),
              (f"{site}/transformers/utils/hub.py", 322, "cached_file",
               "file = cached_files(path_or_repo_id=path_or_repo_id, filenames=[filename], **kwargs)"),
              (f"{site}/transformers/utils/hub.py", 543, "cached_files", "raise OSError(")],
             f"OSError: You are trying to access a gated repo.\nMake sure to have access to it at "
             f"https://huggingface.co/{repo}.\n{gated}")
    return chained(t, [part1, part2, part3])


def vllm_v0_kv_too_small(rng: Rng, t0: int, m: Model, *, max_len: int, blocks: int, total_gib: float,
                         kv_gib: float, activation_gib: float, version: str = "0.6.6.post1") -> L.Lines:
    """A v0 ``vllm serve`` (multiprocessing engine) that profiles, then refuses max_model_len."""
    v = L.vllm_v0
    site = PLAIN_SITE
    tokens = blocks * 16
    eng_pid = rng.randint(60, 120)
    out: L.Lines = [
        v(t0, "INFO", "api_server.py:712", f"vLLM API server version {version}"),
        v(t0 + 1 * MS, "INFO", "api_server.py:713", f"args: Namespace(subparser='serve', model_tag='{m.name}', config='', "
          f"host=None, port=8000, uvicorn_log_level='info', allow_credentials=False, allowed_origins=['*'], "
          f"allowed_methods=['*'], allowed_headers=['*'], api_key=None, lora_modules=None, prompt_adapters=None, "
          f"chat_template=None, response_role='assistant', ssl_keyfile=None, ssl_certfile=None, root_path=None, "
          f"middleware=[], return_tokens_as_token_ids=False, disable_frontend_multiprocessing=False, "
          f"enable_auto_tool_choice=False, tool_call_parser=None, model='{m.name}', tokenizer=None, "
          f"trust_remote_code=False, download_dir=None, load_format='auto', dtype='auto', kv_cache_dtype='auto', "
          f"max_model_len={max_len}, tensor_parallel_size=1, block_size=None, enable_prefix_caching=None, "
          f"swap_space=4, gpu_memory_utilization=0.9, max_num_batched_tokens=None, max_num_seqs=None, "
          f"enforce_eager=False, served_model_name=None, disable_log_requests=True, dispatch_function=<function "
          f"serve at 0x7f3c2a1b4e00>)"),
        v(t0 + 9 * MS, "INFO", "api_server.py:199", f"Started engine process with PID {eng_pid}"),
        v(t0 + 6100 * MS, "INFO", "config.py:510", "This model supports multiple tasks: {'generate', 'embed', 'classify', "
          "'score', 'reward'}. Defaulting to 'generate'."),
        v(t0 + 6900 * MS, "INFO", "llm_engine.py:234", f"Initializing an LLM engine (v{version}) with config: "
          f"model='{m.name}', speculative_config=None, tokenizer='{m.name}', skip_tokenizer_init=False, "
          f"tokenizer_mode=auto, revision=None, override_neuron_config=None, tokenizer_revision=None, "
          f"trust_remote_code=False, dtype=torch.bfloat16, max_seq_len={max_len}, download_dir=None, load_format=auto, "
          f"tensor_parallel_size=1, pipeline_parallel_size=1, disable_custom_all_reduce=False, quantization=None, "
          f"enforce_eager=False, kv_cache_dtype=auto, quantization_param_path=None, device_config=cuda, seed=0, "
          f"served_model_name={m.name}, num_scheduler_steps=1, chunked_prefill_enabled=False "
          f"multi_step_stream_outputs=True, enable_prefix_caching=False, use_async_output_proc=True, "
          f"disable_mm_preprocessor_cache=False, mm_processor_kwargs=None, pooler_config=None, "
          f"compilation_config={{\"splitting_ops\":[\"vllm.unified_attention\"],\"candidate_compile_sizes\":[],"
          f"\"compile_sizes\":[],\"capture_sizes\":[256,248,240,232,224,216,208,200,192,184,176,168,160,152,144,136,"
          f"128,120,112,104,96,88,80,72,64,56,48,40,32,24,16,8,4,2,1],\"max_capture_size\":256}}, use_cached_outputs=True, "),
        v(t0 + 8200 * MS, "INFO", "selector.py:120", "Using Flash Attention backend."),
        v(t0 + 8900 * MS, "INFO", "model_runner.py:1094", f"Starting to load model {m.name}..."),
        v(t0 + 9400 * MS, "INFO", "weight_utils.py:251", "Using model weights format ['*.safetensors']"),
    ]
    t = t0 + 9500 * MS
    for i in range(m.shards + 1):
        out.append((t + i * 1100 * MS, f"Loading safetensors checkpoint shards: {int(i * 100 / m.shards):>3}% Completed | "
                                       f"{i}/{m.shards} [00:{i:02d}<00:{m.shards - i:02d},  1.09s/it]"))
    t += (m.shards + 1) * 1100 * MS
    out += [(t, ""),
            v(t + 200 * MS, "INFO", "model_runner.py:1099", f"Loading model weights took {m.weights_gib:.4f} GB"),
            v(t + 2300 * MS, "INFO", "worker.py:241", "Memory profiling takes 1.93 seconds"),
            v(t + 2301 * MS, "INFO", "worker.py:241", f"the current vLLM instance can use total_gpu_memory ({total_gib:.2f}GiB) "
              f"x gpu_memory_utilization (0.90) = {total_gib * 0.9:.2f}GiB"),
            v(t + 2302 * MS, "INFO", "worker.py:241", f"model weights take {m.weights_gib:.2f}GiB; non_torch_memory takes "
              f"0.14GiB; PyTorch activation peak memory takes {activation_gib:.2f}GiB; the rest of the memory reserved "
              f"for KV Cache is {kv_gib:.2f}GiB."),
            v(t + 2500 * MS, "INFO", "gpu_executor.py:76", f"# GPU blocks: {blocks}, # CPU blocks: 2048"),
            v(t + 2501 * MS, "INFO", "gpu_executor.py:80",
              f"Maximum concurrency for {max_len} tokens per request: {tokens / max_len:.2f}x")]
    t += 2600 * MS
    msg = (f"ValueError: The model's max seq len ({max_len}) is larger than the maximum number of tokens that can be "
           f"stored in KV cache ({tokens}). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when "
           f"initializing the engine.")
    frames = [(f"{site}/vllm/engine/multiprocessing/engine.py", 357, "run_mp_engine", "engine = MQLLMEngine.from_engine_args("),
              (f"{site}/vllm/engine/multiprocessing/engine.py", 119, "from_engine_args", "return cls(ipc_path=ipc_path,"),
              (f"{site}/vllm/engine/multiprocessing/engine.py", 71, "__init__", "self.engine = LLMEngine(*args, **kwargs)"),
              (f"{site}/vllm/engine/llm_engine.py", 276, "__init__", "self._initialize_kv_caches()"),
              (f"{site}/vllm/engine/llm_engine.py", 429, "_initialize_kv_caches", "self.model_executor.initialize_cache(num_gpu_blocks, num_cpu_blocks)"),
              (f"{site}/vllm/executor/gpu_executor.py", 83, "initialize_cache", "self.driver_worker.initialize_cache(num_gpu_blocks, num_cpu_blocks)"),
              (f"{site}/vllm/worker/worker.py", 282, "initialize_cache", "raise_if_cache_size_invalid(num_gpu_blocks,"),
              (f"{site}/vllm/worker/worker.py", 504, "raise_if_cache_size_invalid", "raise ValueError(")]
    out.append(v(t, "ERROR", "engine.py:366", msg.removeprefix("ValueError: ")))
    out += [(tt, f"ERROR {vllm_ts_(tt)} engine.py:366] {line}") for tt, line in L.traceback_lines(t + MS, frames, msg)]
    t2 = t + 60 * MS
    out.append((t2, "Process SpawnProcess-1:"))
    mp = [("/usr/lib/python3.12/multiprocessing/process.py", 314, "_bootstrap", "self.run()"),
          ("/usr/lib/python3.12/multiprocessing/process.py", 108, "run", "self._target(*self._args, **self._kwargs)"),
          (f"{site}/vllm/engine/multiprocessing/engine.py", 368, "run_mp_engine", "raise e")] + frames
    out += L.traceback_lines(t2 + MS, mp, msg)
    t3 = t2 + 900 * MS
    front = [("/usr/local/bin/vllm", 8, "<module>", "sys.exit(main())"),
             (f"{site}/vllm/scripts.py", 201, "main", "args.dispatch_function(args)"),
             (f"{site}/vllm/scripts.py", 42, "serve", "uvloop.run(run_server(args))"),
             (f"{site}/uvloop/__init__.py", 109, "run", "return __asyncio.run("),
             ("/usr/lib/python3.12/asyncio/runners.py", 194, "run", "return runner.run(main)"),
             ("/usr/lib/python3.12/asyncio/runners.py", 118, "run", "return self._loop.run_until_complete(task)"),
             ("uvloop/loop.pyx", 1518, "uvloop.loop.Loop.run_until_complete", ""),
             (f"{site}/uvloop/__init__.py", 61, "wrapper", "return await main"),
             (f"{site}/vllm/entrypoints/openai/api_server.py", 740, "run_server", "async with build_async_engine_client(args) as engine_client:"),
             ("/usr/lib/python3.12/contextlib.py", 210, "__aenter__", "return await anext(self.gen)"),
             (f"{site}/vllm/entrypoints/openai/api_server.py", 118, "build_async_engine_client", "async with build_async_engine_client_from_engine_args("),
             ("/usr/lib/python3.12/contextlib.py", 210, "__aenter__", "return await anext(self.gen)"),
             (f"{site}/vllm/entrypoints/openai/api_server.py", 223, "build_async_engine_client_from_engine_args",
              "raise RuntimeError(")]
    out += L.traceback_lines(t3, front, "RuntimeError: Engine process failed to start. See stack trace for the root cause.")
    return out


def vllm_ts_(t: int) -> str:
    from .clock import vllm_ts
    return vllm_ts(t)
