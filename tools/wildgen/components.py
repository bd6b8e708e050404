"""What each program of a GPU serving cluster prints, in its upstream format.

A component is one program's log stream: ``startup(t)`` gives the lines it prints once when it
starts, ``record(t)`` one steady-state record (a line, or several physical lines: a traceback,
a table), ``incident(t)`` one record of a real failure of that program, for the few streams the
plan picks to carry one. Times are integer nanoseconds since the epoch, UTC.

Formats (from the upstream sources and from logs pasted in their issue trackers):

- vLLM: ``%(levelname)s %(asctime)s [%(fileinfo)s:%(lineno)d] %(message)s`` with datefmt
  ``%m-%d %H:%M:%S``; V1 multiprocess builds prefix the process, ``(APIServer pid=1)``,
  ``(EngineCore_DP0 pid=N)`` (older ``EngineCore_0``), ``(Worker_TP0 pid=N)``; Ray workers
  ``(RayWorkerWrapper pid=N, ip=A.B.C.D)``; uvicorn access lines ``INFO:     ip:port - "..." 200 OK``;
  NCCL's own ``host:pid:tid [dev] NCCL INFO ...`` lines;
- SGLang: ``[%Y-%m-%d %H:%M:%S TP0] Prefill batch, #new-seq: ...`` and ``Decode batch, ...``;
- TensorRT-LLM: C++ ``[TensorRT-LLM][INFO] ...``, Python ``[%m/%d/%Y-%H:%M:%S] [TRT-LLM] [I] ...``;
  Triton: glog ``I%m%d %H:%M:%S.%f <tid> file.cc:N] "message"``;
- Dynamo: Rust ``tracing`` compact (``<ts>  INFO span{k=v}: target: message k=v``, ANSI colours
  on by default) and JSONL (``time``, ``level``, ``file``, ``line``, ``target``, ``message``,
  span fields, ``SPAN_CLOSED`` with ``time.busy_us``; Python lines bridged as ``"target":"log"``);
- ingress-nginx: ``log_format upstreaminfo`` (remote_addr ... $upstream_status $req_id) and the
  nginx error log ``%Y/%m/%d %H:%M:%S [level] pid#tid: *cid ...``; Envoy: the default access log
  format and its ``[%Y-%m-%d %T.%e][tid][level][logger] [file:line] msg`` application log;
- Python: ``logging`` default and app formats, gunicorn ``[%Y-%m-%d %H:%M:%S %z] [pid] [LEVEL]``,
  httpx ``HTTP Request: POST url "HTTP/1.1 200 OK"``, openai ``Retrying request to ...``, urllib3
  retry warnings, ``warnings`` module lines, structlog JSON;
- Go: zap production JSON (``level``, ``ts``, ``caller``, ``msg``), controller-runtime,
  logrus text (``time="..." level=info msg="..."``) and JSON, etcd's zap lines;
- node: kubelet klog through journald, containerd logfmt through journald, the kernel.
"""

from __future__ import annotations

import functools
import json
import random
import time as _time
from dataclasses import dataclass, field

from tools.wildgen.text import AGENTS, SYSTEM, Pool

NS = 1_000_000_000
_RS = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet of Kubernetes generated name suffixes


@functools.lru_cache(maxsize=8192)
def _sec(fmt: str, sec: int) -> str:
    return _time.strftime(fmt, _time.gmtime(sec))


def ts(fmt: str, t: int) -> str:
    """``t`` (ns) formatted with ``strftime`` ``fmt`` (whole seconds)."""
    return _sec(fmt, t // NS)


def us(t: int) -> str:
    return f"{(t // 1000) % 1_000_000:06d}"


def ms(t: int) -> str:
    return f"{(t // 1_000_000) % 1000:03d}"


def rfc3339nano(t: int) -> str:
    """Go's ``time.RFC3339Nano`` (trailing zeros of the fraction dropped), as CRI and kubectl print."""
    frac = f"{t % NS:09d}".rstrip("0")
    return _sec("%Y-%m-%dT%H:%M:%S", t // NS) + ("." + frac if frac else "") + "Z"


def iso_us(t: int) -> str:
    return _sec("%Y-%m-%dT%H:%M:%S", t // NS) + f".{us(t)}Z"


def iso_ms(t: int) -> str:
    return _sec("%Y-%m-%dT%H:%M:%S", t // NS) + f".{ms(t)}Z"


def hexs(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(n * 4):0{n}x}"


def uuid(rng: random.Random) -> str:
    h = hexs(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def suffix(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_RS) for _ in range(n))


def pod_ip(rng: random.Random) -> str:
    return f"10.244.{rng.randrange(64)}.{rng.randrange(2, 254)}"


@dataclass
class Env:
    """What a component knows about where it runs."""

    namespace: str
    pod: str
    container: str
    node: str
    ip: str
    model: str
    pool: Pool
    peers: list[str] = field(default_factory=list)   # pods it talks to, as namespace/name
    extra: dict = field(default_factory=dict)


def pick(rng: random.Random, table: list[tuple[float, object]]):
    """The entry of ``table`` ((cumulative weight, value), sorted) under a uniform draw."""
    r = rng.random() * table[-1][0]
    for w, v in table:
        if r < w:
            return v
    return table[-1][1]


def cumulative(pairs: list[tuple[float, object]]) -> list[tuple[float, object]]:
    out, acc = [], 0.0
    for w, v in pairs:
        acc += w
        out.append((acc, v))
    return out


class Component:
    """One program's log stream (see the module docstring)."""

    stream = "stdout"
    step = (50_000_000, 2_000_000_000)   # ns between records
    chatty = True                         # False: little after startup; its files stay small
    incident_kind = ""                    # what ``incident`` prints, for the plan's table

    def __init__(self, rng: random.Random, env: Env) -> None:
        self.rng = rng
        self.env = env
        # the streams of one component that carry a failure take its kinds in turn
        self._incidents = env.extra.get("incident_offset", 0)

    def next_kind(self, kinds: int) -> int:
        """Which of ``kinds`` failure kinds the next incident record is (in turn)."""
        k = self._incidents % kinds
        self._incidents += 1
        return k

    def startup(self, t: int) -> list[str]:
        return []

    def record(self, t: int) -> str | list[str]:
        raise NotImplementedError

    def incident(self, t: int) -> str | list[str]:
        return self.record(t)


# ---------------------------------------------------------------------------------------- vLLM

def _uvicorn(rng: random.Random, req: str, code: int, phrase: str) -> str:
    return f'INFO:     {pod_ip(rng)}:{rng.randrange(32768, 61000)} - "{req}" {code} {phrase}'


class Vllm(Component):
    """``vllm serve`` (V1 engine, multiprocess): API server, engine core, TP workers, Ray."""

    step = (2_000_000, 120_000_000)
    incident_kind = "torch CUDA OOM at engine start; NCCL watchdog timeout"

    def __init__(self, rng: random.Random, env: Env) -> None:
        super().__init__(rng, env)
        self.version = rng.choice(("0.10.1.1", "0.10.2", "0.11.0", "0.11.2"))
        self.api = "(APIServer pid=1) "
        core = "EngineCore_0" if self.version.startswith("0.10.1") else "EngineCore_DP0"
        self.core = f"({core} pid={rng.randrange(90, 400)}) "
        self.tp = env.extra.get("tp", 1)
        self.ray = env.extra.get("ray", False)
        self.log_requests = rng.random() < 0.7
        self.log_outputs = self.log_requests and rng.random() < 0.4
        self.table = cumulative([
            (18, self._health), (6, self._metrics), (30, self._completion), (12 if self.log_requests else 0, self._received),
            (6 if self.log_outputs else 0, self._output), (10, self._stats), (3, self._models), (1, self._unauthorized),
            (1, self._favicon), (0.5, self._root), (0.5, self._bad_request), (0.2, self._slow_tokenizer),
        ])

    def _h(self, level: str, t: int, where: str) -> str:
        return f"{level} {ts('%m-%d %H:%M:%S', t)} [{where}] "

    def startup(self, t: int) -> list[str]:
        rng, m, a, c = self.rng, self.env.model, self.api, self.core
        h = self._h
        lines = [
            "/usr/local/lib/python3.12/dist-packages/torch/cuda/__init__.py:63: FutureWarning: The pynvml package is "
            "deprecated. Please install nvidia-ml-py instead. If you did not install pynvml directly, please report "
            "this to the maintainers of the package that installed pynvml for you.",
            "  import pynvml  # type: ignore[import]",
            h("INFO", t, "__init__.py:216") + "Automatically detected platform cuda.",
            a + h("INFO", t, "api_server.py:1896") + f"vLLM API server version {self.version}",
            a + h("INFO", t, "utils.py:328") + f"non-default args: {{'model_tag': '{m}', 'host': '0.0.0.0', "
            f"'model': '{m}', 'max_model_len': {rng.choice((8192, 16384, 32768))}, "
            f"'gpu_memory_utilization': {rng.choice((0.85, 0.9, 0.92))}, 'tensor_parallel_size': {self.tp}, "
            f"'enable_prefix_caching': True, 'disable_log_requests': {not self.log_requests}, "
            f"'uvicorn_log_level': 'info', 'max_num_seqs': {rng.choice((64, 128, 256))}}}",
            a + h("INFO", t, "model.py:547") + f"Resolved architecture: {rng.choice(('Qwen3ForCausalLM', 'LlamaForCausalLM', 'Qwen2ForCausalLM'))}",
            a + h("INFO", t, "model.py:1510") + "Using max model len 32768",
            a + h("INFO", t, "scheduler.py:205") + "Chunked prefill is enabled with max_num_batched_tokens=8192.",
            c + h("INFO", t, "core.py:644") + "Waiting for init message from front-end.",
            c + h("INFO", t, "core.py:77") + f"Initializing a V1 LLM engine (v{self.version}) with config: "
            f"model='{m}', speculative_config=None, tokenizer='{m}', skip_tokenizer_init=False, tokenizer_mode=auto, "
            "revision=None, tokenizer_revision=None, trust_remote_code=False, dtype=torch.bfloat16, max_seq_len=32768, "
            f"download_dir=None, load_format=auto, tensor_parallel_size={self.tp}, pipeline_parallel_size=1, "
            "data_parallel_size=1, disable_custom_all_reduce=False, quantization=None, enforce_eager=False, "
            "kv_cache_dtype=auto, device_config=cuda, structured_outputs_config=StructuredOutputsConfig(backend='auto', "
            "disable_fallback=False, disable_any_whitespace=False, disable_additional_properties=False, "
            "reasoning_parser=''), observability_config=ObservabilityConfig(show_hidden_metrics_for_version=None, "
            f"otlp_traces_endpoint=None, collect_detailed_traces=None), seed=0, served_model_name={m}, "
            "enable_prefix_caching=True, chunked_prefill_enabled=True, pooler_config=None, compilation_config="
            "{\"level\":3,\"debug_dump_path\":\"\",\"cache_dir\":\"\",\"backend\":\"\",\"custom_ops\":[],"
            "\"splitting_ops\":[\"vllm.unified_attention\",\"vllm.unified_attention_with_output\",\"vllm.mamba_mixer2\"],"
            "\"use_inductor\":true,\"compile_sizes\":[],\"inductor_compile_config\":{\"enable_auto_functionalized_v2\":false},"
            "\"inductor_passes\":{},\"cudagraph_mode\":[2,1],\"use_cudagraph\":true,\"cudagraph_num_of_warmups\":1,"
            "\"cudagraph_capture_sizes\":[512,504,496,488,480,472,464,456,448,440,432,424,416,408,400,392,384,376,368,"
            "360,352,344,336,328,320,312,304,296,288,280,272,264,256,248,240,232,224,216,208,200,192,184,176,168,160,"
            "152,144,136,128,120,112,104,96,88,80,72,64,56,48,40,32,24,16,8,4,2,1],\"cudagraph_copy_inputs\":false,"
            "\"full_cuda_graph\":false,\"pass_config\":{},\"max_capture_size\":512,\"local_cache_dir\":null}",
        ]
        workers = [f"(Worker_TP{i} pid={rng.randrange(400, 900)}) " for i in range(self.tp)] if self.tp > 1 else [c]
        if self.ray:
            workers = [f"(RayWorkerWrapper pid={rng.randrange(200, 900)}, ip={pod_ip(rng)}) " for _ in range(self.tp)]
        for rank, w in enumerate(workers):
            lines.append(w + h("INFO", t, "parallel_state.py:1165") + f"rank {rank} in world size {self.tp} is assigned "
                         f"as DP rank 0, PP rank 0, TP rank {rank}, EP rank {rank}")
        if self.tp > 1:
            lines += self._nccl_init(t, workers)
        w0 = workers[0]
        lines += [
            w0 + h("INFO", t, "topk_topp_sampler.py:55") + "Using FlashInfer for top-p & top-k sampling.",
            w0 + h("INFO", t, "gpu_model_runner.py:2338") + f"Starting to load model {m}...",
            w0 + h("INFO", t, "gpu_model_runner.py:2370") + "Loading model from scratch...",
            w0 + h("INFO", t, "cuda.py:362") + "Using Flash Attention backend on V1 engine.",
            w0 + h("INFO", t, "weight_utils.py:348") + "Using model weights format ['*.safetensors']",
            "Loading safetensors checkpoint shards:   0% Completed | 0/4 [00:00<?, ?it/s]",
            "Loading safetensors checkpoint shards: 100% Completed | 4/4 [00:05<00:00,  1.31s/it]",
            w0 + h("INFO", t, "default_loader.py:268") + f"Loading weights took {rng.uniform(3, 40):.2f} seconds",
            w0 + h("INFO", t, "gpu_model_runner.py:2392") + f"Model loading took {rng.uniform(2, 40):.4f} GiB and "
            f"{rng.uniform(5, 90):.6f} seconds",
            w0 + h("INFO", t, "backends.py:539") + f"Using cache directory: /root/.cache/vllm/torch_compile_cache/"
            f"{hexs(rng, 10)}/rank_0_0/backbone for vLLM's torch.compile",
            w0 + h("INFO", t, "backends.py:550") + f"Dynamo bytecode transform time: {rng.uniform(3, 9):.2f} s",
            w0 + h("INFO", t, "backends.py:194") + f"Compiling a graph for dynamic shape takes {rng.uniform(9, 40):.2f} s",
            w0 + h("INFO", t, "monitor.py:34") + f"torch.compile takes {rng.uniform(15, 50):.2f} s in total",
            w0 + h("INFO", t, "gpu_worker.py:298") + f"Available KV cache memory: {rng.uniform(8, 60):.2f} GiB",
            c + h("INFO", t, "kv_cache_utils.py:1087") + f"GPU KV cache size: {rng.randrange(90_000, 1_600_000):,} tokens",
            c + h("INFO", t, "kv_cache_utils.py:1091") + f"Maximum concurrency for 32,768 tokens per request: "
            f"{rng.uniform(2, 50):.2f}x",
            "Capturing CUDA graphs (mixed prefill-decode, PIECEWISE): 100%|██████████| 67/67 [00:04<00:00, 15.94it/s]",
            "Capturing CUDA graphs (decode, FULL): 100%|██████████| 35/35 [00:02<00:00, 16.41it/s]",
            w0 + h("INFO", t, "gpu_model_runner.py:3118") + f"Graph capturing finished in {rng.randrange(3, 40)} secs, "
            f"took {rng.uniform(0.3, 1.8):.2f} GiB",
            c + h("INFO", t, "core.py:218") + f"init engine (profile, create kv cache, warmup model) took "
            f"{rng.uniform(10, 120):.2f} seconds",
            a + h("INFO", t, "loggers.py:142") + f"Engine 000: vllm cache_config_info with initialization after "
            f"num_gpu_blocks is: {rng.randrange(5000, 90000)}",
            a + h("INFO", t, "api_server.py:1634") + "Supported tasks: ['generate']",
            a + h("WARNING", t, "__init__.py:1625") + "Default sampling parameters have been overridden by the model's "
            "Hugging Face generation config recommended from the model creator. If this is not intended, please "
            "relaunch vLLM instance with `--generation-config vllm`.",
            a + h("INFO", t, "serving_responses.py:120") + "Using default chat sampling params from model: "
            "{'temperature': 0.6, 'top_k': 20, 'top_p': 0.95}",
            a + h("INFO", t, "api_server.py:1912") + "Starting vLLM API server 0 on http://0.0.0.0:8000",
            a + h("INFO", t, "launcher.py:29") + "Available routes are:",
        ]
        for route, methods in (("/openapi.json", "GET, HEAD"), ("/docs", "GET, HEAD"), ("/health", "GET"),
                               ("/load", "GET"), ("/ping", "POST"), ("/ping", "GET"), ("/tokenize", "POST"),
                               ("/detokenize", "POST"), ("/v1/models", "GET"), ("/version", "GET"),
                               ("/v1/responses", "POST"), ("/v1/chat/completions", "POST"),
                               ("/v1/completions", "POST"), ("/v1/embeddings", "POST"), ("/metrics", "GET")):
            lines.append(a + h("INFO", t, "launcher.py:37") + f"Route: {route}, Methods: {methods}")
        lines += [a + "INFO:     Started server process [1]", a + "INFO:     Waiting for application startup.",
                  a + "INFO:     Application startup complete."]
        return lines

    def _nccl_init(self, t: int, workers: list[str]) -> list[str]:
        rng, h = self.rng, self._h
        host = self.env.pod
        lines = []
        for rank, w in enumerate(workers):
            pid = rng.randrange(300, 900)
            lines += [
                w + h("INFO", t, "utils.py:1061") + "Found nccl from library libnccl.so.2",
                w + h("INFO", t, "pynccl.py:70") + "vLLM is using nccl==2.27.3",
                f"{host}:{pid}:{pid} [{rank}] NCCL INFO Bootstrap: Using eth0:{self.env.ip}<0>",
                f"{host}:{pid}:{pid} [{rank}] NCCL INFO cudaDriverVersion 12080",
                f"{host}:{pid}:{pid} [{rank}] NCCL INFO NCCL version 2.27.3+cuda12.9",
                f"{host}:{pid}:{pid} [{rank}] NCCL INFO NET/Plugin: Could not find: libnccl-net.so. Using internal net plugin.",
                f"{host}:{pid}:{pid + 37} [{rank}] NCCL INFO Failed to open libibverbs.so[.1]",
                f"{host}:{pid}:{pid + 37} [{rank}] NCCL INFO NET/Socket : Using [0]eth0:{self.env.ip}<0>",
                f"{host}:{pid}:{pid + 37} [{rank}] NCCL INFO Using network Socket",
                f"{host}:{pid}:{pid + 37} [{rank}] NCCL INFO ncclCommInitRank comm 0x{hexs(rng, 12)} rank {rank} "
                f"nranks {len(workers)} cudaDev {rank} nvmlDev {rank} busId {rank + 1}8000 commId 0x{hexs(rng, 16)} - Init START",
                f"{host}:{pid}:{pid + 37} [{rank}] NCCL INFO Channel 00/24 : 0 1",
                f"{host}:{pid}:{pid + 37} [{rank}] NCCL INFO P2P Chunksize set to 524288",
                f"{host}:{pid}:{pid + 37} [{rank}] NCCL INFO Connected all rings, use ring PXN 0 GDR 1",
                f"{host}:{pid}:{pid + 37} [{rank}] NCCL INFO ncclCommInitRank comm 0x{hexs(rng, 12)} rank {rank} "
                f"nranks {len(workers)} cudaDev {rank} nvmlDev {rank} busId {rank + 1}8000 commId 0x{hexs(rng, 16)} - Init COMPLETE",
                w + h("INFO", t, "custom_all_reduce.py:203") + f"Registering {rng.randrange(2000, 13000)} cuda graph addresses",
            ]
        return lines

    def _access(self, req: str, code: int, phrase: str) -> str:
        return self.api + _uvicorn(self.rng, req, code, phrase)

    def _health(self, t: int) -> str:
        return self._access("GET /health HTTP/1.1", 200, "OK")

    def _metrics(self, t: int) -> str:
        return self._access("GET /metrics HTTP/1.1", 200, "OK")

    def _completion(self, t: int) -> str:
        return self._access(self.rng.choice(("POST /v1/chat/completions HTTP/1.1", "POST /v1/chat/completions HTTP/1.1",
                                             "POST /v1/completions HTTP/1.1")), 200, "OK")

    def _models(self, t: int) -> str:
        return self._access("GET /v1/models HTTP/1.1", 200, "OK")

    def _unauthorized(self, t: int) -> str:
        return self._access("GET /v1/models HTTP/1.1", 401, "Unauthorized")

    def _favicon(self, t: int) -> str:
        return self._access("GET /favicon.ico HTTP/1.1", 404, "Not Found")

    def _root(self, t: int) -> str:
        return self._access("GET / HTTP/1.1", 404, "Not Found")

    def _bad_request(self, t: int) -> str:
        return self._access("POST /v1/chat/completions HTTP/1.1", 400, "Bad Request")

    def _slow_tokenizer(self, t: int) -> str:
        return (self.api + self._h("WARNING", t, "tokenizer.py:226")
                + "Using a slow tokenizer. This might cause a significant slowdown. Consider using a fast tokenizer instead.")

    def _received(self, t: int) -> str:
        rng, pool = self.rng, self.env.pool
        prompt = (f"<|im_start|>system\\n{rng.choice(SYSTEM)}<|im_end|>\\n<|im_start|>user\\n"
                  f"{pool.prompt(rng)}<|im_end|>\\n<|im_start|>assistant\\n").replace("'", "\\'")
        return (self.api + self._h("INFO", t, "logger.py:40") + f"Received request chatcmpl-{hexs(rng, 32)}: "
                f"prompt: '{prompt}', params: SamplingParams(n=1, presence_penalty=0.0, frequency_penalty=0.0, "
                f"repetition_penalty=1.0, temperature={rng.choice((0.0, 0.6, 0.7, 1.0))}, top_p=0.95, top_k=20, "
                "min_p=0.0, seed=None, stop=[], stop_token_ids=[], bad_words=[], include_stop_str_in_output=False, "
                f"ignore_eos=False, max_tokens={rng.choice((256, 1024, 4096))}, min_tokens=0, logprobs=None, "
                "prompt_logprobs=None, skip_special_tokens=True, spaces_between_special_tokens=True, "
                "truncate_prompt_tokens=None, guided_decoding=None, extra_args=None), prompt_token_ids: None, "
                "prompt_embeds shape: None, lora_request: None.")

    def _output(self, t: int) -> str:
        rng = self.rng
        text = rng.choice(self.env.pool.outputs).replace("'", "\\'")
        return (self.api + self._h("INFO", t, "logger.py:71") + f"Generated response chatcmpl-{hexs(rng, 32)}: "
                f"output: '{text}', output_token_ids: None, finish_reason: {rng.choice(('stop', 'stop', 'length'))}")

    def _stats(self, t: int) -> str:
        rng = self.rng
        return (self.api + self._h("INFO", t, "loggers.py:123") + f"Engine 000: Avg prompt throughput: "
                f"{rng.uniform(0, 6000):.1f} tokens/s, Avg generation throughput: {rng.uniform(0, 1500):.1f} tokens/s, "
                f"Running: {rng.randrange(40)} reqs, Waiting: {rng.choice((0, 0, 0, 1, 2))} reqs, GPU KV cache usage: "
                f"{rng.uniform(0, 60):.1f}%, Prefix cache hit rate: {rng.uniform(0, 90):.1f}%")

    def record(self, t: int) -> str:
        return pick(self.rng, self.table)(t)

    def incident(self, t: int) -> list[str]:
        rng, h, c = self.rng, self._h, self.core
        if self.next_kind(2):
            rank = rng.randrange(max(self.tp, 2))
            stamp = ts("%m%d %H:%M:%S", t) + f".{t % NS:09d}"
            return [f"[rank{rank}]:[E{stamp} ProcessGroupNCCL.cpp:632] [Rank {rank}] Watchdog caught collective "
                    f"operation timeout: WorkNCCL(SeqNum={rng.randrange(1000, 90000)}, OpType=ALLREDUCE, "
                    f"NumelIn={rng.choice((4194304, 8388608))}, NumelOut={rng.choice((4194304, 8388608))}, "
                    f"Timeout(ms)=600000) ran for {rng.randrange(600001, 600300)} milliseconds before timing out."]
        total, free = 79.19, rng.uniform(0.2, 1.5)
        return [
            c + h("ERROR", t, "core.py:708") + "EngineCore failed to start.",
            c + h("ERROR", t, "core.py:708") + "Traceback (most recent call last):",
            c + h("ERROR", t, "core.py:708") + '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", '
            "line 699, in run_engine_core",
            c + h("ERROR", t, "core.py:708") + "    engine_core = EngineCoreProc(*args, **kwargs)",
            c + h("ERROR", t, "core.py:708") + '  File "/usr/local/lib/python3.12/dist-packages/torch/nn/modules/module.py", '
            "line 1340, in convert",
            c + h("ERROR", t, "core.py:708") + "    return t.to(",
            c + h("ERROR", t, "core.py:708") + f"torch.OutOfMemoryError: CUDA out of memory. Tried to allocate "
            f"{rng.choice((1.95, 2.0, 3.5, 448.0))} {'MiB' if rng.random() < 0.3 else 'GiB'}. GPU 0 has a total capacity "
            f"of {total} GiB of which {free:.2f} GiB is free. Including non-PyTorch memory, this process has "
            f"{total - free:.2f} GiB memory in use. Of the allocated memory {total - free - 1.1:.2f} GiB is allocated by "
            "PyTorch, and 1.05 GiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large "
            "try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation "
            "for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)",
        ]


# -------------------------------------------------------------------------------------- SGLang

class Sglang(Component):
    """``python -m sglang.launch_server``: scheduler batches and uvicorn access lines."""

    step = (5_000_000, 200_000_000)

    def _h(self, t: int, tp: bool = True) -> str:
        return f"[{ts('%Y-%m-%d %H:%M:%S', t)}{' TP0' if tp else ''}] "

    def startup(self, t: int) -> list[str]:
        rng, h, m = self.rng, self._h, self.env.model
        return [
            h(t, False) + f"server_args=ServerArgs(model_path='{m}', tokenizer_path='{m}', tokenizer_mode='auto', "
            "load_format='auto', trust_remote_code=False, dtype='auto', kv_cache_dtype='auto', context_length=None, "
            f"host='0.0.0.0', port=30000, mem_fraction_static=0.88, max_running_requests=None, chunked_prefill_size=8192, "
            "max_prefill_tokens=16384, schedule_policy='fcfs', schedule_conservativeness=1.0, tp_size=1, stream_interval=1, "
            "random_seed=42, watchdog_timeout=300, log_level='info', log_requests=False, show_time_cost=False, "
            "enable_metrics=True, disable_radix_cache=False, disable_cuda_graph=False, enable_torch_compile=False)",
            h(t) + "Init torch distributed begin.",
            h(t) + "Init torch distributed ends. mem usage=0.00 GB",
            h(t) + "Load weight begin. avail mem=78.51 GB",
            h(t) + "Using model weights format ['*.safetensors']",
            "Loading safetensors checkpoint shards: 100% Completed | 5/5 [00:06<00:00,  1.23s/it]",
            h(t) + f"Load weight end. type=Qwen3ForCausalLM, dtype=torch.bfloat16, avail mem={rng.uniform(50, 70):.2f} GB, "
            f"mem usage={rng.uniform(8, 20):.2f} GB.",
            h(t) + f"KV Cache is allocated. #tokens: {rng.randrange(200_000, 900_000)}, K size: {rng.uniform(10, 30):.2f} GB, "
            f"V size: {rng.uniform(10, 30):.2f} GB",
            h(t) + f"Memory pool end. avail mem={rng.uniform(5, 12):.2f} GB",
            h(t) + "Capture cuda graph begin. This can take up to several minutes. avail mem=7.21 GB",
            "Capturing batches (bs=160 avail_mem=7.02 GB): 100%|██████████| 23/23 [00:05<00:00,  4.18it/s]",
            h(t) + f"Capture cuda graph end. Time elapsed: {rng.uniform(4, 20):.2f} s. mem usage=0.61 GB. avail mem=6.60 GB.",
            h(t) + "max_total_num_tokens=512000, chunked_prefill_size=8192, max_prefill_tokens=16384, "
            "max_running_requests=4096, context_len=40960, available_gpu_mem=6.60 GB",
            h(t, False) + "INFO:     Started server process [1]",
            h(t, False) + "INFO:     Waiting for application startup.",
            h(t, False) + "INFO:     Application startup complete.",
            h(t, False) + "INFO:     Uvicorn running on http://0.0.0.0:30000 (Press CTRL+C to quit)",
            h(t, False) + 'INFO:     127.0.0.1:34562 - "GET /get_model_info HTTP/1.1" 200 OK',
            h(t) + "Prefill batch, #new-seq: 1, #new-token: 7, #cached-token: 0, token usage: 0.00, #running-req: 0, "
            "#queue-req: 0, ",
            h(t, False) + 'INFO:     127.0.0.1:34568 - "POST /generate HTTP/1.1" 200 OK',
            h(t, False) + "The server is fired up and ready to roll!",
        ]

    def record(self, t: int) -> str:
        rng, h = self.rng, self._h
        r = rng.random()
        if r < 0.3:
            return (h(t) + f"Prefill batch, #new-seq: {rng.randrange(1, 8)}, #new-token: {rng.randrange(16, 8192)}, "
                    f"#cached-token: {rng.randrange(0, 4096)}, token usage: {rng.uniform(0, 0.6):.2f}, "
                    f"#running-req: {rng.randrange(64)}, #queue-req: {rng.choice((0, 0, 0, 1))}, cuda graph: False, "
                    f"input throughput (token/s): {rng.uniform(100, 20000):.2f}")
        if r < 0.6:
            return (h(t) + f"Decode batch, #running-req: {rng.randrange(1, 64)}, #token: {rng.randrange(100, 60000)}, "
                    f"token usage: {rng.uniform(0, 0.6):.2f}, cuda graph: True, gen throughput (token/s): "
                    f"{rng.uniform(50, 4000):.2f}, #queue-req: 0")
        if r < 0.95:
            return h(t, False) + _uvicorn(rng, "POST /v1/chat/completions HTTP/1.1", 200, "OK")
        if r < 0.995:
            return h(t, False) + _uvicorn(rng, "GET /health HTTP/1.1", 200, "OK")
        return h(t, False) + _uvicorn(rng, "GET /health_generate HTTP/1.1", 200, "OK")


# ------------------------------------------------------------------------ TensorRT-LLM, Triton

class TrtllmServe(Component):
    """``trtllm-serve`` (PyTorch backend): C++ and Python loggers, iteration log, access lines."""

    step = (5_000_000, 300_000_000)

    def _py(self, t: int, level: str = "I") -> str:
        return f"[{ts('%m/%d/%Y-%H:%M:%S', t)}] [TRT-LLM] [{level}] "

    def startup(self, t: int) -> list[str]:
        rng, p, m = self.rng, self._py, self.env.model
        return [
            "[TensorRT-LLM] TensorRT-LLM version: 1.0.0",
            p(t) + "Using LLM with PyTorch backend",
            p(t) + "Found hf_quant_config.json, pre-quantized checkpoint is used.",
            p(t, "W") + "Using default gpus_per_node: 1",
            p(t) + f"Loading model {m} ...",
            "[TensorRT-LLM][INFO] Initializing MPI with thread mode 3",
            "[TensorRT-LLM][INFO] MPI size: 1, MPI local size: 1, rank: 0",
            "[TensorRT-LLM][INFO] Refreshed the MPI local session",
            "[TensorRT-LLM][WARNING] [json.exception.type_error.302] type must be string, but is null",
            "[TensorRT-LLM][WARNING] Optional value for parameter kv_cache_quant_algo will not be set.",
            "[TensorRT-LLM][WARNING] Parameter max_draft_len cannot be read from json:",
            "[TensorRT-LLM][WARNING] [json.exception.out_of_range.403] key 'max_draft_len' not found",
            f"[TensorRT-LLM][INFO] Memory usage when calculating max tokens in paged kv cache: total: 79.14 GiB, "
            f"available: {rng.uniform(40, 70):.2f} GiB",
            f"[TensorRT-LLM][INFO] Number of blocks in KV cache primary pool: {rng.randrange(5000, 30000)}",
            "[TensorRT-LLM][INFO] Number of blocks in KV cache secondary pool: 0, onboard blocks to primary memory "
            "before reuse: true",
            "[TensorRT-LLM][INFO] Max KV cache pages per sequence: 125",
            f"[TensorRT-LLM][INFO] [MemUsageChange] Allocated {rng.uniform(1, 20):.2f} MB GPU memory for runtime buffers.",
            p(t) + "Run generation only CUDA graph warmup for batch size=1, draft_len=0",
            p(t) + "Run generation only CUDA graph warmup for batch size=8, draft_len=0",
            p(t) + "Run generation only CUDA graph warmup for batch size=64, draft_len=0",
            "INFO:     Started server process [1]", "INFO:     Waiting for application startup.",
            "INFO:     Application startup complete.",
            "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)",
        ]

    def record(self, t: int) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            return _uvicorn(rng, "POST /v1/chat/completions HTTP/1.1", 200, "OK")
        if r < 0.58:
            return _uvicorn(rng, "GET /health HTTP/1.1", 200, "OK")
        n = rng.randrange(1, 64)
        return (self._py(t) + f"iter = {rng.randrange(10**6)}, global_rank = 0, rank = 0, currank_total_requests = "
                f"{n}/{n}, host_step_time = {rng.uniform(5, 40):.3f}ms, prev_device_step_time = {rng.uniform(5, 40):.3f}ms, "
                f"timestamp = {ts('%Y-%m-%d %H:%M:%S', t)}, num_scheduled_requests: {n}, states = "
                f"{{'num_ctx_requests': {rng.randrange(3)}, 'num_ctx_tokens': {rng.randrange(4096)}, "
                f"'num_generation_tokens': {n}}}")


class Triton(Component):
    """``tritonserver`` with the TensorRT-LLM backend: a startup, then quiet."""

    chatty = False

    def _g(self, t: int, where: str, level: str = "I") -> str:
        return f"{level}{ts('%m%d %H:%M:%S', t)}.{us(t)} 1 {where}] "

    def startup(self, t: int) -> list[str]:
        rng, g = self.rng, self._g
        lines = [
            g(t, "pinned_memory_manager.cc:277") + f"\"Pinned memory pool is created at '0x7f{hexs(rng, 10)}' with size 268435456\"",
            g(t, "cuda_memory_manager.cc:107") + '"CUDA memory pool is created on device 0 with size 67108864"',
            g(t, "model_lifecycle.cc:472") + '"loading: preprocessing:1"',
            g(t, "model_lifecycle.cc:472") + '"loading: postprocessing:1"',
            g(t, "model_lifecycle.cc:472") + '"loading: tensorrt_llm:1"',
            g(t, "python_be.cc:2289") + '"TRITONBACKEND_ModelInstanceInitialize: preprocessing_0_0 (CPU device 0)"',
            "[TensorRT-LLM][WARNING] Don't setup 'skip_special_tokens' correctly (set value is ${skip_special_tokens}). "
            "Set it as True by default.",
            "[TensorRT-LLM][WARNING] 'max_num_images' parameter is not set correctly (value is ${max_num_images}). "
            "Will be set to None",
            "[TensorRT-LLM][INFO] Engine version 0.17.0 found in the config file, assuming engine(s) built by new builder API.",
            "[TensorRT-LLM][WARNING] [json.exception.type_error.302] type must be array, but is null",
            "[TensorRT-LLM][WARNING] Optional value for parameter lora_target_modules will not be set.",
            "[TensorRT-LLM][INFO] MPI size: 1, rank: 0",
            "[TensorRT-LLM][INFO] Rank 0 is using GPU 0",
            "[TensorRT-LLM][INFO] TRTGptModel maxNumSequences: 256",
            "[TensorRT-LLM][INFO] TRTGptModel maxBatchSize: 256",
            "[TensorRT-LLM][INFO] [MemUsageChange] TensorRT-managed allocation in IExecutionContext creation: CPU +0, "
            "GPU +0, now: CPU 0, GPU 2723 (MiB)",
            g(t, "model_lifecycle.cc:849") + "\"successfully loaded 'postprocessing'\"",
            g(t, "model_lifecycle.cc:849") + "\"successfully loaded 'preprocessing'\"",
            g(t, "model_lifecycle.cc:849") + "\"successfully loaded 'tensorrt_llm'\"",
            g(t, "model_lifecycle.cc:849") + "\"successfully loaded 'ensemble'\"",
            g(t, "server.cc:677"),
            "+----------------+---------+--------+",
            "| Model          | Version | Status |",
            "+----------------+---------+--------+",
            "| ensemble       | 1       | READY  |",
            "| postprocessing | 1       | READY  |",
            "| preprocessing  | 1       | READY  |",
            "| tensorrt_llm   | 1       | READY  |",
            "+----------------+---------+--------+",
            "",
            g(t, "metrics.cc:877") + '"Collecting metrics for GPU 0: NVIDIA H100 80GB HBM3"',
            g(t, "metrics.cc:770") + '"Collecting CPU metrics"',
            g(t, "grpc_server.cc:2558") + '"Started GRPCInferenceService at 0.0.0.0:8001"',
            g(t, "http_server.cc:4704") + '"Started HTTPService at 0.0.0.0:8000"',
            g(t, "http_server.cc:362") + '"Started Metrics Service at 0.0.0.0:8002"',
        ]
        return lines

    def record(self, t: int) -> str:
        return self._g(t, "model_repository_manager.cc:1413") + f'"Poll: model repository unchanged ({self.rng.randrange(4)} models)"'


# -------------------------------------------------------------------------------------- Dynamo

_DYN_TARGETS = ("dynamo_llm::http::service::openai", "dynamo_llm::kv_router::sequence",
                "dynamo_runtime::pipeline::network::tcp::server", "dynamo_llm::discovery::watcher",
                "dynamo_runtime::system_status_server", "dynamo_llm::preprocessor")


class DynamoReadable(Component):
    """Dynamo frontend or worker, readable ``tracing`` lines (ANSI colours on, as by default)."""

    stream = "stderr"
    step = (2_000_000, 150_000_000)

    def __init__(self, rng: random.Random, env: Env) -> None:
        super().__init__(rng, env)
        self.ansi = rng.random() < 0.5
        self.worker = env.extra.get("worker", False)
        self.vllm = Vllm(rng, env) if self.worker else None
        if self.vllm is not None:
            self.vllm.api = ""

    def _l(self, t: int, level: str, target: str, msg: str, span: str = "") -> str:
        pad = " " if len(level) == 4 else ""
        if self.ansi:
            color = {"INFO": "32", "DEBUG": "34", "WARN": "33", "ERROR": "31", "TRACE": "35"}[level]
            head = f"\x1b[2m{iso_us(t)}\x1b[0m \x1b[{color}m{pad}{level}\x1b[0m "
            span = f"\x1b[1m{span}\x1b[0m\x1b[2m:\x1b[0m " if span else ""
            return head + span + f"\x1b[2m{target}\x1b[0m\x1b[2m:\x1b[0m {msg}"
        return f"{iso_us(t)} {pad}{level} " + (f"{span}: " if span else "") + f"{target}: {msg}"

    def startup(self, t: int) -> list[str]:
        rng, L, m = self.rng, self._l, self.env.model
        lines = [
            L(t, "INFO", "dynamo_runtime::distributed", "Initializing distributed runtime namespace=dynamo "
              "etcd_endpoints=[\"http://etcd.dynamo-system.svc.cluster.local:2379\"]"),
            L(t, "INFO", "dynamo_runtime::transports::nats", "Connected to NATS server nats://nats.dynamo-system.svc.cluster.local:4222"),
            L(t, "INFO", "dynamo_runtime::system_status_server", "System status server started on 0.0.0.0:9090"),
        ]
        if self.worker:
            lines += [L(t, "INFO", "main.init", f"VllmWorker for {m} has been initialized"),
                      L(t, "INFO", "main.init", f"Reading Events from tcp://127.0.0.1:{rng.randrange(20000, 30000)}"),
                      L(t, "INFO", "main.get_engine_cache_info", f"Cache config values: {{'num_gpu_blocks': {rng.randrange(5000, 90000)}}}")]
            # the engine runs in the worker process: its lines, not the OpenAI API server's
            lines += [ln for ln in self.vllm.startup(t) if not ln.startswith("(APIServer")
                      and ("pid=" in ln or "NCCL" in ln)]
        else:
            lines += [L(t, "INFO", "dynamo_llm::http::service::service_v2", "Starting HTTP service on: 0.0.0.0:8000 address=\"0.0.0.0:8000\""),
                      L(t, "INFO", "dynamo_llm::discovery::watcher", f"added model model_name=\"{m}\""),
                      L(t, "INFO", "dynamo_llm::kv_router", "Worker query client initialized"),
                      L(t, "INFO", "dynamo_llm::kv_router", f"Found {rng.randrange(1, 8)} worker(s), starting KV event subscriber")]
        return lines

    def record(self, t: int) -> str:
        rng, L = self.rng, self._l
        if self.vllm is not None and rng.random() < 0.4:
            return self.vllm._stats(t) if rng.random() < 0.5 else self.vllm._h("INFO", t, "async_llm.py:380") + \
                f"Added request {uuid(rng)}."
        r = rng.random()
        rid = uuid(rng)
        span = f"http-request{{method=POST uri=/v1/chat/completions version=HTTP/1.1 x_request_id={rid}}}"
        if r < 0.45:
            return L(t, "INFO", "dynamo_llm::http::service::openai", f"request completed request_id={rid} "
                     f"model={self.env.model} status=200 elapsed_ms={rng.randrange(30, 20000)} "
                     f"input_tokens={rng.randrange(10, 8000)} output_tokens={rng.randrange(1, 4000)}", span)
        if r < 0.75:
            return L(t, "DEBUG", "dynamo_llm::kv_router::sequence", f"added request to worker worker_id={rng.randrange(1 << 60):x} "
                     f"request_id={rid} isl_blocks={rng.randrange(1, 200)} overlap_blocks={rng.randrange(0, 100)}", span)
        if r < 0.9:
            return L(t, "DEBUG", "dynamo_runtime::pipeline::network::tcp::server", f"response stream completed "
                     f"subject=namespace.dynamo.component.backend.endpoint.generate-{rng.randrange(1 << 48):x} "
                     f"num_responses={rng.randrange(1, 4000)}")
        if r < 0.97:
            return L(t, "INFO", "dynamo_runtime::system_status_server", "health check status=ready endpoints=1 "
                     "num_errors=0 uptime_s=" + str(rng.randrange(100, 90000)))
        if r < 0.995:
            return L(t, "WARN", "dynamo_llm::http::service::openai", f"client disconnected; stopping generation "
                     f"request_id={rid}", span)
        return L(t, "INFO", "dynamo_llm::discovery::watcher", f"removed model instance; retrying watch "
                 f"model_name=\"{self.env.model}\" timeout_s=30")


class DynamoJsonl(Component):
    """Dynamo with ``DYN_LOGGING_JSONL=1``: one JSON object a line, span events included."""

    stream = "stderr"
    step = (1_000_000, 80_000_000)

    def _rec(self, t: int, level: str, target: str, message: str, **fields) -> str:
        rec = {"time": iso_us(t), "level": level, "file": f"lib/{target.split('::')[0].removeprefix('dynamo_')}/src/"
               f"{target.split('::')[-1]}.rs", "line": self.rng.randrange(40, 900), "target": target, "message": message}
        rec.update(fields)
        return json.dumps(rec, separators=(",", ":"))

    def record(self, t: int) -> str:
        rng, R = self.rng, self._rec
        r = rng.random()
        span = {"span_id": hexs(rng, 16), "trace_id": hexs(rng, 32), "parent_id": hexs(rng, 16),
                "span_name": "http-request", "x_request_id": uuid(rng), "method": "POST",
                "uri": "/v1/chat/completions"}
        if r < 0.35:
            busy, idle = rng.randrange(100, 90000), rng.randrange(1000, 9_000_000)
            return R(t, "INFO", "dynamo_llm::http::service::openai", "SPAN_CLOSED", **span,
                     **{"time.busy_us": busy, "time.idle_us": idle, "time.duration_us": busy + idle})
        if r < 0.6:
            return R(t, "INFO", "dynamo_llm::http::service::openai", "request completed", **span, status=200,
                     model=self.env.model, elapsed_ms=rng.randrange(20, 30000), error_count=0)
        if r < 0.85:
            return R(t, "DEBUG", "dynamo_llm::kv_router::scheduler", "worker selection", **span,
                     worker_id=f"{rng.randrange(1 << 60):x}", logit=round(rng.uniform(-5, 5), 4),
                     cached_blocks=rng.randrange(200), potential_prefill_blocks=rng.randrange(200),
                     decode_blocks=rng.randrange(5000), failed_candidates=0)
        if r < 0.97:
            return R(t, "INFO", "log", "Decode worker handler initialized" if rng.random() < 0.01 else
                     f"request {uuid(rng)} finished with {rng.randrange(1, 4000)} tokens",
                     **{"log.file": "/opt/dynamo/venv/lib/python3.12/site-packages/dynamo/vllm/handlers.py",
                        "log.line": rng.randrange(50, 400), "log.target": "handlers.generate"})
        return R(t, "WARN", "dynamo_runtime::pipeline::network::tcp::client", "retrying connection after timeout",
                 attempt=1, max_attempts=5, timeout_ms=rng.choice((500, 1000)), peer=f"{pod_ip(rng)}:{rng.randrange(30000, 40000)}")


# ----------------------------------------------------------------------- ingress, Envoy, NATS

_PATHS = cumulative([
    (55, ("POST", "/v1/chat/completions", 200)), (8, ("POST", "/v1/completions", 200)),
    (6, ("GET", "/v1/models", 200)), (5, ("GET", "/healthz", 200)), (4, ("GET", "/", 200)),
    (3, ("GET", "/static/js/main.3f9a1c2e.js", 200)), (2, ("GET", "/static/js/error-boundary.8d1e0a.js", 200)),
    (2, ("GET", "/api/v1/errors/summary?window=24h", 200)), (1.5, ("GET", "/favicon.ico", 404)),
    (1, ("GET", "/robots.txt", 404)), (1, ("GET", "/auth/callback?error=access_denied&state=x", 302)),
    (0.8, ("GET", "/metrics", 401)), (0.6, ("POST", "/v1/chat/completions", 400)),
    (0.3, ("POST", "/v1/chat/completions", 429)), (0.3, ("GET", "/.env", 404)),
    (0.2, ("GET", "/wp-login.php", 404)), (0.1, ("POST", "/v1/chat/completions", 499)),
])


class IngressNginx(Component):
    """ingress-nginx controller: ``upstreaminfo`` access lines, nginx error log, controller klog."""

    step = (200_000, 30_000_000)
    incident_kind = "nginx upstream timeout"

    def _k(self, t: int, where: str, level: str = "I") -> str:
        return f"{level}{ts('%m%d %H:%M:%S', t)}.{us(t)}       7 {where}] "

    def startup(self, t: int) -> list[str]:
        k = self._k
        return ["-------------------------------------------------------------------------------",
                "NGINX Ingress controller", "  Release:       v1.11.3", "  Build:         0106de65cfccb74405a6dfa7d9daffc6f0a6ef1a",
                "  Repository:    https://github.com/kubernetes/ingress-nginx", "  nginx version: nginx/1.25.5", "",
                "-------------------------------------------------------------------------------", "",
                k(t, "main.go:205") + '"Creating API client" host="https://10.96.0.1:443"',
                k(t, "main.go:248") + '"Running in Kubernetes cluster" major="1" minor="31" git="v1.31.2" state="clean"',
                k(t, "main.go:101") + '"SSL fake certificate created" file="/etc/ingress-controller/ssl/default-fake-certificate.pem"',
                k(t, "nginx.go:271") + '"Starting NGINX Ingress controller"',
                k(t, "leaderelection.go:254") + "attempting to acquire leader lease ingress-nginx/ingress-nginx-leader...",
                k(t, "controller.go:213") + '"Backend successfully reloaded"',
                k(t, "controller.go:224") + '"Initial sync, sleeping for 1 second"']

    def record(self, t: int) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.0008:
            return self._k(t, "controller.go:193") + '"Configuration changes detected, backend reload required"'
        if r < 0.0016:
            return self._k(t, "controller.go:213") + '"Backend successfully reloaded"'
        if r < 0.0025:
            return (f"{ts('%Y/%m/%d %H:%M:%S', t)} [warn] 31#31: *{rng.randrange(10**7)} an upstream response is buffered "
                    f"to a temporary file /tmp/nginx/proxy-temp/{rng.randrange(10)}/{rng.randrange(100):02d}/"
                    f"00000{rng.randrange(10**5):05d} while reading upstream, client: {pod_ip(rng)}, server: llm.example.com, "
                    f'request: "POST /v1/chat/completions HTTP/1.1", upstream: "http://{pod_ip(rng)}:8000/v1/chat/completions", '
                    'host: "llm.example.com"')
        method, path, code = pick(rng, _PATHS)
        svc = "llm-serving-vllm-router-8000" if path.startswith("/v1") else "web-web-frontend-80"
        up = f"{pod_ip(rng)}:{8000 if path.startswith('/v1') else 80}"
        rt = rng.uniform(0.001, 12.0) if path.startswith("/v1/c") else rng.uniform(0.0005, 0.05)
        upstream = f"{up} {rng.randrange(100, 90000)} {rt:.3f} {code}" if code not in (404, 401, 302) or path == "/favicon.ico" \
            else "- - - -"
        return (f'{pod_ip(rng)} - - [{ts("%d/%b/%Y:%H:%M:%S +0000", t)}] "{method} {path} HTTP/1.1" {code} '
                f'{rng.randrange(0, 60000)} "-" "{rng.choice(AGENTS)}" {rng.randrange(200, 9000)} {rt:.3f} '
                f'[{svc}] [] {upstream} {hexs(rng, 32)}')

    def incident(self, t: int) -> str:
        rng = self.rng
        return (f"{ts('%Y/%m/%d %H:%M:%S', t)} [error] 31#31: *{rng.randrange(10**7)} upstream timed out (110: Operation "
                f"timed out) while reading response header from upstream, client: {pod_ip(rng)}, server: llm.example.com, "
                f'request: "POST /v1/chat/completions HTTP/1.1", upstream: "http://{pod_ip(rng)}:8000/v1/chat/completions", '
                'host: "llm.example.com"')


class Envoy(Component):
    """Envoy gateway: default access log format plus its own application log."""

    step = (500_000, 40_000_000)

    def _app(self, t: int, level: str, logger: str, where: str) -> str:
        return f"[{ts('%Y-%m-%d %H:%M:%S', t)}.{ms(t)}][{self.rng.randrange(1, 40)}][{level}][{logger}] [{where}] "

    def startup(self, t: int) -> list[str]:
        a = self._app
        return [a(t, "info", "main", "source/server/server.cc:430") + "initializing epoch 0 (base id=0, hot restart version=11.104)",
                a(t, "info", "main", "source/server/server.cc:432") + "statically linked extensions:",
                a(t, "info", "upstream", "source/common/upstream/cluster_manager_impl.cc:225") + "cm init: initializing cds",
                a(t, "info", "upstream", "source/common/upstream/cds_api_helper.cc:32") + "cds: add 14 cluster(s), remove 0 cluster(s)",
                a(t, "info", "main", "source/server/server.cc:1000") + "all clusters initialized. initializing init manager",
                a(t, "info", "config", "source/common/listener_manager/listener_manager_impl.cc:944") + "all dependencies initialized. starting workers",
                a(t, "info", "main", "source/server/server.cc:1023") + "starting main dispatch loop"]

    def record(self, t: int) -> str:
        rng = self.rng
        if rng.random() < 0.004:
            return (self._app(t, "info", "upstream", "source/common/upstream/cds_api_helper.cc:32")
                    + f"cds: add {rng.randrange(10, 20)} cluster(s), remove 0 cluster(s)")
        method, path, code = pick(rng, _PATHS)
        flags = "-" if code < 500 else "UF,URX"
        dur = rng.randrange(1, 30000) if path.startswith("/v1/c") else rng.randrange(0, 30)
        return (f'[{iso_ms(t)}] "{method} {path} HTTP/1.1" {code} {flags} {rng.randrange(0, 9000)} '
                f'{rng.randrange(0, 90000)} {dur} {max(dur - 1, 0)} "{pod_ip(rng)}" "{rng.choice(AGENTS)}" "{uuid(rng)}" '
                f'"llm.example.com" "{pod_ip(rng)}:8000"')


class Nats(Component):
    """NATS server (Dynamo's event plane): ``[pid] date [INF] ...``; quiet once up."""

    chatty = False

    def _h(self, t: int, level: str = "INF") -> str:
        return f"[1] {ts('%Y/%m/%d %H:%M:%S', t)}.{us(t)} [{level}] "

    def startup(self, t: int) -> list[str]:
        h = self._h
        return [h(t) + "Starting nats-server", h(t) + "  Version:  2.10.22", h(t) + "  Git:      [240e9a4]",
                h(t) + "  Name:     NCUHHTJOQIQX3L6FR4YWKNNV2LGYG5SUYGCIRQYLB4NHLVIKAK5T5AWF",
                h(t) + "  Node:     PH6xRfzd", h(t) + "  ID:       NCUHHTJOQIQX3L6FR4YWKNNV2LGYG5SUYGCIRQYLB4NHLVIKAK5T5AWF",
                h(t) + "Starting JetStream", h(t) + "    Max Memory:      1.00 GB", h(t) + "    Max Storage:     10.00 GB",
                h(t) + "Listening for client connections on 0.0.0.0:4222", h(t) + "Server is ready"]

    def record(self, t: int) -> str:
        rng = self.rng
        return (self._h(t) + f"{pod_ip(rng)}:{rng.randrange(30000, 60000)} - cid:{rng.randrange(10, 9000)} - "
                f'"v0.38.0:rust:async-nats" - Client connection closed: Client Closed')


# ------------------------------------------------------------------------------- Python apps

class RagApp(Component):
    """A Python retrieval service behind gunicorn: app loggers, httpx, openai retries, urllib3."""

    stream = "stderr"
    step = (5_000_000, 400_000_000)

    def _h(self, t: int, level: str, logger: str) -> str:
        return f"{ts('%Y-%m-%d %H:%M:%S', t)},{ms(t)} {level} {logger}: "

    def startup(self, t: int) -> list[str]:
        g = f"[{ts('%Y-%m-%d %H:%M:%S +0000', t)}] "
        h = self._h
        return [g + "[1] [INFO] Starting gunicorn 23.0.0", g + "[1] [INFO] Listening at: http://0.0.0.0:8080 (1)",
                g + "[1] [INFO] Using worker: uvicorn.workers.UvicornWorker",
                *[g + f"[{p}] [INFO] Booting worker with pid: {p}" for p in (7, 8, 9, 10)],
                "/usr/local/lib/python3.11/site-packages/transformers/utils/generic.py:441: FutureWarning: "
                "`torch.utils._pytree._register_pytree_node` is deprecated. Please use "
                "`torch.utils._pytree.register_pytree_node` instead.",
                "  _torch_pytree._register_pytree_node(",
                h(t, "INFO", "rag.embed") + "torch.cuda.is_available()=True device_count=1 device=NVIDIA L4 "
                "capability=(8, 9) CUDA_VISIBLE_DEVICES=0",
                h(t, "INFO", "rag.embed") + "loaded embedding model BAAI/bge-base-en-v1.5 in 3.2s (OOM-safe batch size 64)",
                h(t, "INFO", "uvicorn.error") + "Application startup complete."]

    def record(self, t: int) -> str | list[str]:
        rng, h = self.rng, self._h
        r = rng.random()
        up = rng.choice(self.env.peers) if self.env.peers else "llm-serving/vllm"
        host = f"{up.split('/')[1]}.{up.split('/')[0]}.svc.cluster.local"
        if r < 0.28:
            return h(t, "INFO", "httpx") + f'HTTP Request: POST http://{host}:8000/v1/chat/completions "HTTP/1.1 200 OK"'
        if r < 0.48:
            return _uvicorn(rng, "POST /api/answer HTTP/1.1", 200, "OK")
        if r < 0.58:
            return _uvicorn(rng, "GET /healthz HTTP/1.1", 200, "OK")
        if r < 0.78:
            return (h(t, "INFO", "rag.retriever") + f"retrieved {rng.randrange(1, 20)} chunks for query_id={hexs(rng, 12)} "
                    f"in {rng.randrange(5, 400)}ms (index=docs-v{rng.randrange(3, 9)}, rerank=True)")
        if r < 0.86:
            return (h(t, "INFO", "rag.stats") + f"window=60s requests={rng.randrange(100, 5000)} num_errors=0 "
                    f"num_timeouts=0 retries={rng.randrange(0, 4)} denied=0 oom_restarts=0 p50_ms={rng.randrange(80, 400)} "
                    f"p99_ms={rng.randrange(800, 6000)}")
        if r < 0.9:
            return (h(t, "INFO", "rag.api") + "static asset request failed with 404 for /favicon.ico; "
                    "serving the default icon")
        if r < 0.93:
            return h(t, "INFO", "openai._base_client") + f"Retrying request to /chat/completions in {rng.uniform(0.3, 2):.6f} seconds"
        if r < 0.95:
            q = hexs(rng, 12)
            return [h(t, "WARNING", "urllib3.connectionpool") + "Retrying (Retry(total=2, connect=None, read=None, "
                    "redirect=None, status=None)) after connection broken by 'ReadTimeoutError(\"HTTPConnectionPool("
                    "host='opensearch.rag.svc.cluster.local', port=9200): Read timed out. (read timeout=10)\")': "
                    "/docs-v7/_search",
                    h(t, "INFO", "rag.retriever") + f"search for query_id={q} succeeded on attempt 2 after a timeout"]
        if r < 0.97:
            return _uvicorn(rng, "GET /favicon.ico HTTP/1.1", 404, "Not Found")
        if r < 0.985:
            return _uvicorn(rng, "POST /api/answer HTTP/1.1", 422, "Unprocessable Entity")
        if r < 0.995:
            w = rng.randrange(7, 11)
            g = f"[{ts('%Y-%m-%d %H:%M:%S +0000', t)}] "
            return [g + "[1] [INFO] Autorestarting worker after current request.", g + f"[{w}] [INFO] Worker exiting (pid: {w})",
                    g + f"[1] [INFO] Booting worker with pid: {rng.randrange(11, 900)}"]
        return [h(t, "WARNING", "rag.api") + "request validation failed; answering 422",
                "Traceback (most recent call last):",
                '  File "/app/rag/api.py", line 88, in answer',
                "    req = AnswerRequest.model_validate_json(body)",
                "pydantic_core._pydantic_core.ValidationError: 1 validation error for AnswerRequest",
                "question",
                "  String should have at least 1 character [type=string_too_short, input_value='', input_type=str]",
                "    For further information visit https://errors.pydantic.dev/2.9/v/string_too_short"]


class JsonApi(Component):
    """An API gateway logging each exchange as one structlog JSON record (multi-KB lines)."""

    step = (10_000_000, 600_000_000)

    def record(self, t: int) -> str:
        rng, pool = self.rng, self.env.pool
        msgs = [{"role": "system", "content": rng.choice(SYSTEM)}]
        for _ in range(rng.randrange(1, 6)):
            msgs.append({"role": "user", "content": pool.prompt(rng)})
            msgs.append({"role": "assistant", "content": rng.choice(pool.outputs)})
        msgs.pop()
        if rng.random() < 0.002:  # a multimodal request logged with its image inline
            msgs[-1]["content"] = [{"type": "text", "text": pool.prompt(rng)},
                                   {"type": "image_url", "image_url": {"url": "data:image/png;base64,"
                                                                       + rng.choice(pool.images)}}]
        p, c = rng.randrange(20, 9000), rng.randrange(1, 2000)
        rec = {"event": "chat.completion", "level": "info", "timestamp": iso_us(t), "logger": "gateway.audit",
               "request_id": uuid(rng), "tenant": f"team-{rng.randrange(40)}", "model": self.env.model,
               "request": {"messages": msgs, "temperature": rng.choice((0, 0.2, 0.7)), "stream": rng.random() < 0.6},
               "response": {"finish_reason": "stop", "content": rng.choice(pool.outputs)},
               "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
               "latency_ms": rng.randrange(80, 30000), "upstream_status": 200, "retries": 0, "exception": None}
        return json.dumps(rec, ensure_ascii=rng.random() < 0.5)


# ------------------------------------------------------------------------------- Go services

class GoOperator(Component):
    """A controller-runtime operator logging zap JSON (ISO or epoch ``ts``)."""

    stream = "stderr"
    step = (20_000_000, 3_000_000_000)

    def __init__(self, rng: random.Random, env: Env) -> None:
        super().__init__(rng, env)
        self.epoch = rng.random() < 0.5
        self.kind = rng.choice(("InferenceService", "RayCluster", "DynamoGraphDeployment", "LeaderWorkerSet"))
        self.group = {"InferenceService": "serving.kserve.io", "RayCluster": "ray.io",
                      "DynamoGraphDeployment": "nvidia.com", "LeaderWorkerSet": "leaderworkerset.x-k8s.io"}[self.kind]

    def _rec(self, t: int, level: str, caller: str, msg: str, **fields) -> str:
        rec = {"level": level, "ts": round(t / NS, 6) if self.epoch else iso_us(t), "logger": "controller",
               "caller": caller, "msg": msg, "controller": self.kind.lower(), "controllerGroup": self.group,
               "controllerKind": self.kind}
        rec.update(fields)
        return json.dumps(rec, separators=(",", ":"))

    def startup(self, t: int) -> list[str]:
        R = self._rec
        return [R(t, "info", "manager/server.go:83", "starting server", name="health probe", addr="[::]:8081"),
                R(t, "info", "controller/controller.go:175", "Starting EventSource", source=f"kind source: *v1.{self.kind}"),
                R(t, "info", "controller/controller.go:183", "Starting Controller"),
                R(t, "info", "controller/controller.go:217", "Starting workers", **{"worker count": 1})]

    def record(self, t: int) -> str:
        rng = self.rng
        name = f"{rng.choice(('qwen3-8b', 'llama-8b', 'gemma-12b', 'embed'))}-{suffix(rng, 5)}"
        ns = rng.choice(("llm-serving", "team-a", "team-b", "rag"))
        ref = {self.kind: {"name": name, "namespace": ns}, "namespace": ns, "name": name, "reconcileID": uuid(rng)}
        r = rng.random()
        if r < 0.5:
            return self._rec(t, "info", "controllers/reconcile.go:112", "Reconciling", **ref)
        if r < 0.9:
            return self._rec(t, "info", "controllers/reconcile.go:241", "Reconcile successful", **ref,
                             readyReplicas=rng.randrange(1, 8), failedReplicas=0, durationMs=rng.randrange(2, 400))
        if r < 0.97:
            return self._rec(t, "debug", "controllers/status.go:77", "status unchanged; skipping update", **ref)
        return self._rec(t, "info", "controllers/reconcile.go:198", "Operation cannot be fulfilled: the object has been "
                         "modified; requeueing", **ref, requeueAfter="1s")


class DcgmExporter(Component):
    """dcgm-exporter (logrus text); prints its collectors at startup, then little."""

    chatty = False

    def _l(self, t: int, level: str, msg: str) -> str:
        return f'time="{iso_us(t)[:-8]}Z" level={level} msg="{msg}"'

    def startup(self, t: int) -> list[str]:
        L = self._l
        out = [L(t, "info", "Starting dcgm-exporter"), L(t, "info", "DCGM successfully initialized!"),
               L(t, "info", "Collecting DCP Metrics"),
               L(t, "info", "Falling back to metric file '/etc/dcgm-exporter/dcp-metrics-included.csv'"),
               L(t, "info", "Initializing system entities of type: GPU")]
        for metric in ("DCGM_FI_DEV_SM_CLOCK", "DCGM_FI_DEV_MEM_CLOCK", "DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_POWER_USAGE",
                       "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_XID_ERRORS",
                       "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "DCGM_FI_PROF_GR_ENGINE_ACTIVE", "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"):
            out.append(L(t, "info", f"Collecting metric {metric}"))
        out += [L(t, "warning", "Skipping line 58 ('DCGM_FI_PROF_PIPE_FP64_ACTIVE'): metric not enabled"),
                L(t, "info", "Pipeline starting"), L(t, "info", "Starting webserver"),
                L(t, "info", "Listening on address=[::]:9400"), L(t, "info", "TLS is disabled. http2=false address=[::]:9400")]
        return out

    def record(self, t: int) -> str:
        return self._l(t, "debug", f"Scraped {self.rng.randrange(40, 90)} metrics for 8 GPUs; xid_errors=0 ecc_dbe=0")


class Etcd(Component):
    """etcd (Dynamo's discovery store): zap JSON, compactions and snapshots."""

    step = (500_000_000, 30_000_000_000)

    def record(self, t: int) -> str:
        rng = self.rng
        rev = rng.randrange(10**5, 10**7)
        r = rng.random()
        if r < 0.5:
            rec = {"level": "info", "ts": iso_us(t), "caller": "mvcc/index.go:214", "msg": "compact tree index", "revision": rev}
        elif r < 0.9:
            rec = {"level": "info", "ts": iso_us(t), "caller": "mvcc/kvstore_compaction.go:68", "msg": "finished scheduled compaction",
                   "compact-revision": rev, "took": f"{rng.uniform(0.5, 9):.6f}ms", "hash": rng.randrange(1 << 32),
                   "current-db-size-bytes": rng.randrange(10**6, 10**8), "current-db-size": "2.1 MB"}
        else:
            rec = {"level": "warn", "ts": iso_us(t), "caller": "etcdserver/util.go:170",
                   "msg": "apply request took too long", "took": f"{rng.uniform(100, 300):.6f}ms", "expected-duration": "100ms",
                   "prefix": "read-only range ", "request": "key:\"/dynamo/instances/\" range_end:\"/dynamo/instances0\" ",
                   "response": f"range_response_count:{rng.randrange(1, 9)} size:{rng.randrange(300, 9000)}"}
        return json.dumps(rec, separators=(",", ":"))


# --------------------------------------------------------------------------- small job logs

class ModelDownload(Component):
    """A Job that pulls model weights with ``huggingface-cli download`` (progress bars, a few lines)."""

    chatty = False
    incident_kind = "Hugging Face gated repository (401/403)"

    def startup(self, t: int) -> list[str]:
        rng, m = self.rng, self.env.model
        n = rng.randrange(6, 20)
        return [f"Fetching {n} files:   0%|          | 0/{n} [00:00<?, ?it/s]",
                f"Fetching {n} files: 100%|██████████| {n}/{n} [00:{rng.randrange(10, 59)}<00:00,  3.45s/it]",
                f"/models/{m.split('/')[1]}", "download finished: 0 failed, 0 skipped, checksum ok"]

    def record(self, t: int) -> str:
        return f"model-00{self.rng.randrange(1, 9)}-of-0000{self.rng.randrange(4, 9)}.safetensors: 100%|██████████| " \
               f"{self.rng.uniform(1, 5):.2f}G/{self.rng.uniform(1, 5):.2f}G [00:{self.rng.randrange(10, 59)}<00:00, 112MB/s]"

    def incident(self, t: int) -> list[str]:
        rng, m = self.rng, self.env.model
        return ["Traceback (most recent call last):",
                '  File "/usr/local/lib/python3.11/site-packages/huggingface_hub/utils/_http.py", line 409, in hf_raise_for_status',
                "    response.raise_for_status()",
                f"requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: https://huggingface.co/{m}/resolve/main/config.json",
                "",
                "The above exception was the direct cause of the following exception:",
                "",
                f"huggingface_hub.errors.GatedRepoError: 401 Client Error. (Request ID: Root=1-{hexs(rng, 8)}-{hexs(rng, 24)};{uuid(rng)})",
                "",
                f"Cannot access gated repo for url https://huggingface.co/{m}/resolve/main/config.json.",
                f"Access to model {m} is restricted. You must have access to it and be authenticated to access it. Please log in."]


class BatchEval(Component):
    """A CronJob running an offline evaluation: Python ``print`` and ``logging`` lines."""

    chatty = False

    def startup(self, t: int) -> list[str]:
        rng = self.rng
        shards = rng.randrange(4, 16)
        out = [f"INFO:root:starting evaluation run={hexs(rng, 8)} shards={shards} model={self.env.model}"]
        for s in range(1, shards + 1):
            out.append(f"INFO:eval:shard {s}/{shards} done: accuracy={rng.uniform(0.6, 0.95):.3f} failed=0 "
                       f"skipped={rng.randrange(3)} timeouts=0 elapsed={rng.uniform(10, 300):.1f}s")
        out.append("INFO:root:evaluation finished; 0 errors, results written to s3://eval-results/nightly/")
        return out

    def record(self, t: int) -> str:
        return f"INFO:eval:progress {self.rng.randrange(100)}%"


class IstioInit(Component):
    """The ``istio-init`` init container: the iptables rules it installs, then exit."""

    chatty = False

    def startup(self, t: int) -> list[str]:
        return [f"{iso_us(t)}\tinfo\tIstio iptables environment:", "ENVOY_PORT=", "INBOUND_CAPTURE_PORT=",
                "ISTIO_INBOUND_INTERCEPTION_MODE=", "ISTIO_META_DNS_CAPTURE=", "",
                "* nat", "-N ISTIO_INBOUND", "-N ISTIO_REDIRECT", "-N ISTIO_IN_REDIRECT", "-N ISTIO_OUTPUT",
                "-A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN",
                "-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001",
                "-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006",
                "-A PREROUTING -p tcp -j ISTIO_INBOUND", "-A OUTPUT -p tcp -j ISTIO_OUTPUT",
                "-A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN", "-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN",
                "COMMIT", f"{iso_us(t)}\tinfo\tRunning iptables-restore with the following input:"]

    def record(self, t: int) -> str:
        return "-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN"


class GpuValidator(Component):
    """GPU Operator validator init containers (``all validations are successful``)."""

    chatty = False

    def startup(self, t: int) -> list[str]:
        def L(level: str, msg: str) -> str:
            return f'time="{iso_us(t)[:-8]}Z" level={level} msg="{msg}"'
        return [L("info", "version: v24.9.0"), L("info", "Attempting to validate a pre-installed driver on the host"),
                L("info", "Detected a pre-installed driver on the host"), L("info", "running nvidia-smi"),
                L("info", "cuda workload validation is successful"), L("info", "all validations are successful")]

    def record(self, t: int) -> str:
        return f'time="{iso_us(t)[:-8]}Z" level=info msg="waiting for nvidia container stack to be setup"'


# -------------------------------------------------------------------------------- node logs

class Kubelet(Component):
    """kubelet through journald: structured klog lines about the node's pods."""

    step = (5_000_000, 900_000_000)
    incident_kind = "image pull 401; readiness probe timeouts"

    def _k(self, t: int, where: str, level: str = "I") -> str:
        return f"{level}{ts('%m%d %H:%M:%S', t)}.{us(t)}    {self.env.extra['pid']} {where}] "

    def _pod(self) -> tuple[str, str]:
        p = self.rng.choice(self.env.peers) if self.env.peers else "default/app"
        return p, uuid(self.rng)

    def record(self, t: int) -> str:
        rng, k = self.rng, self._k
        pod, uid = self._pod()
        r = rng.random()
        if r < 0.3:
            return (k(t, "kubelet.go:2476") + f'"SyncLoop (PLEG): event for pod" pod="{pod}" event={{"ID":"{uid}",'
                    f'"Type":"ContainerStarted","Data":"{hexs(rng, 64)}"}}')
        if r < 0.45:
            return k(t, "kubelet.go:2407") + f'"SyncLoop UPDATE" source="api" pods=["{pod}"]'
        if r < 0.6:
            return k(t, "kubelet.go:2552") + f'"SyncLoop (probe)" probe="readiness" status="ready" pod="{pod}"'
        if r < 0.7:
            return (k(t, "reconciler_common.go:218") + f'"operationExecutor.MountVolume started for volume '
                    f'\\"kube-api-access-{suffix(rng, 5)}\\" (UniqueName: \\"kubernetes.io/projected/{uid}-kube-api-'
                    f'access\\") pod \\"{pod.split("/")[1]}\\" (UID: \\"{uid}\\") " pod="{pod}"')
        if r < 0.78:
            return (k(t, "pod_startup_latency_tracker.go:104") + f'"Observed pod startup duration" pod="{pod}" '
                    f"podStartSLOduration={rng.uniform(1, 30):.9f} podStartE2EDuration=\"{rng.uniform(2, 300):.6f}s\"")
        if r < 0.84:
            return (k(t, "kuberuntime_container.go:808") + f'"Killing container with a grace period" pod="{pod}" '
                    f'podUID="{uid}" containerName="{rng.choice(("main", "worker", "istio-proxy"))}" '
                    f'containerID="containerd://{hexs(rng, 64)}" gracePeriod=30')
        if r < 0.9:
            return k(t, "scope.go:117") + f'"RemoveContainer" containerID="{hexs(rng, 64)}"'
        if r < 0.95:
            return (k(t, "kubelet_volumes.go:163") + f'"Cleaned up orphaned pod volumes dir" podUID="{uid}" '
                    f'path="/var/lib/kubelet/pods/{uid}/volumes"')
        if r < 0.985:
            return (k(t, "prober.go:107") + f'"Probe failed" probeType="Startup" pod="{pod}" podUID="{uid}" '
                    f'containerName="main" probeResult="failure" output="Get \\"http://{pod_ip(rng)}:8000/health\\": '
                    'dial tcp: connect: connection refused"')
        return (k(t, "eviction_manager.go:376", "I") + '"Eviction manager: able to reduce resource pressure without '
                'evicting pods." resourceName="ephemeral-storage"')

    def incident(self, t: int) -> str:
        rng, k = self.rng, self._k
        pod, uid = self._pod()
        if not self.next_kind(2):
            image = "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.7.1"
            return (k(t, "log.go:32", "E") + f'"PullImage from image service failed" err="rpc error: code = Unknown desc = '
                    f'failed to pull and unpack image \\"{image}\\": failed to resolve reference \\"{image}\\": pulling from '
                    f'host nvcr.io failed with status code [manifests 0.7.1]: 401 Unauthorized" image="{image}"')
        return (k(t, "prober.go:107") + f'"Probe failed" probeType="Readiness" pod="{pod}" podUID="{uid}" '
                f'containerName="main" probeResult="failure" output="Get \\"http://{pod_ip(rng)}:8000/health\\": '
                'context deadline exceeded (Client.Timeout exceeded while awaiting headers)"')


class Containerd(Component):
    """containerd through journald: logfmt lines of the CRI plugin."""

    step = (5_000_000, 1_500_000_000)

    def record(self, t: int) -> str:
        rng = self.rng
        when = rfc3339nano(t)
        cid, sid = hexs(rng, 64), hexs(rng, 64)
        pod = (rng.choice(self.env.peers) if self.env.peers else "default/app").split("/")
        r = rng.random()
        if r < 0.2:
            msg = f'StartContainer for \\"{cid}\\" returns successfully'
        elif r < 0.35:
            msg = (f'CreateContainer within sandbox \\"{sid}\\" for container &ContainerMetadata{{Name:'
                   f'{rng.choice(("main", "worker", "istio-proxy"))},Attempt:0,}}')
        elif r < 0.5:
            msg = (f"RunPodSandbox for &PodSandboxMetadata{{Name:{pod[1]},Uid:{uuid(rng)},Namespace:{pod[0]},Attempt:0,}} "
                   f'returns sandbox id \\"{sid}\\"')
        elif r < 0.6:
            msg = 'ImageCreate event name:\\"docker.io/library/busybox:1.36\\" labels:{key:\\"io.cri-containerd.image\\" value:\\"managed\\"}'
        elif r < 0.7:
            return f'time="{when}" level=info msg="shim disconnected" id={cid} namespace=k8s.io'
        elif r < 0.78:
            return f'time="{when}" level=warning msg="cleaning up after shim disconnected" id={cid} namespace=k8s.io'
        elif r < 0.86:
            msg = f'StopContainer for \\"{cid}\\" with timeout 30 (s)'
        elif r < 0.93:
            msg = (f'received exit event container_id:\\"{cid}\\" id:\\"{cid}\\" pid:{rng.randrange(1000, 90000)} '
                   f'exit_status:{rng.choice((0, 0, 0, 137, 143))} exited_at:{{seconds:{t // NS} nanos:{t % NS}}}')
        else:
            msg = f'TearDown network for sandbox \\"{sid}\\" successfully'
        return f'time="{when}" level=info msg="{msg}"'


class Kernel(Component):
    """The kernel ring buffer through journald (``kernel:``): interfaces, the NVIDIA driver."""

    step = (1_000_000_000, 60_000_000_000)
    incident_kind = "NVRM Xid; memory cgroup OOM kill"

    def startup(self, t: int) -> list[str]:
        return ["nvidia: module license 'NVIDIA' taints kernel.",
                "NVRM: loading NVIDIA UNIX x86_64 Kernel Module  570.133.20  Wed Mar 26 22:03:41 UTC 2025",
                "nvidia-modeset: Loading NVIDIA Kernel Mode Setting Driver for UNIX platforms  570.133.20",
                "nvidia_uvm: module uses symbols nvUvmInterfaceDisableAccessCntr from proprietary module nvidia, inheriting taint."]

    def record(self, t: int) -> str:
        rng = self.rng
        dev = f"veth{hexs(rng, 8)}"
        r = rng.random()
        if r < 0.4:
            return f"IPv6: ADDRCONF(NETDEV_CHANGE): {dev}: link becomes ready"
        if r < 0.7:
            return f"cni0: port {rng.randrange(1, 40)}({dev}) entered forwarding state"
        if r < 0.9:
            return f"cni0: port {rng.randrange(1, 40)}({dev}) entered disabled state"
        return f"device {dev} left promiscuous mode"

    def incident(self, t: int) -> str:
        rng = self.rng
        if not self.next_kind(2):
            bus = rng.choice(("0000:18:00", "0000:3b:00", "0000:86:00", "0000:af:00"))
            return rng.choice((
                f"NVRM: Xid (PCI:{bus}): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus.",
                f"NVRM: Xid (PCI:{bus}): 48, pid={rng.randrange(1000, 90000)}, name=python3, An uncorrectable double bit "
                "error (DBE) has been detected on GPU in the framebuffer at partition 2, subpartition 0.",
                f"NVRM: Xid (PCI:{bus}): 31, pid={rng.randrange(1000, 90000)}, name=python3, Ch 00000008, intr 00000000. "
                "MMU Fault: ENGINE GRAPHICS GPCCLIENT_T1_0 faulted @ 0x7f12_34560000. Fault is of type FAULT_PDE "
                "ACCESS_TYPE_VIRT_READ"))
        pid = rng.randrange(1000, 90000)
        return (f"Memory cgroup out of memory: Killed process {pid} (python3) total-vm:{rng.randrange(10**7, 9 * 10**7)}kB, "
                f"anon-rss:{rng.randrange(10**7, 6 * 10**7)}kB, file-rss:{rng.randrange(10**4, 10**6)}kB, shmem-rss:0kB, "
                f"UID:0 pgtables:{rng.randrange(10**4, 10**5)}kB oom_score_adj:{rng.choice((-997, 984, 999))}")


COMPONENTS: dict[str, type[Component]] = {
    "vllm": Vllm, "sglang": Sglang, "trtllm-serve": TrtllmServe, "triton": Triton,
    "dynamo": DynamoReadable, "dynamo-jsonl": DynamoJsonl, "ingress-nginx": IngressNginx, "envoy": Envoy,
    "nats": Nats, "rag": RagApp, "json-api": JsonApi, "operator": GoOperator, "dcgm-exporter": DcgmExporter,
    "etcd": Etcd, "model-download": ModelDownload, "batch-eval": BatchEval, "istio-init": IstioInit,
    "gpu-validator": GpuValidator, "kubelet": Kubelet, "containerd": Containerd, "kernel": Kernel,
}
