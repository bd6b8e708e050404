"""Healthy log line families, as the real components print them, written fast.

Each family is a function ``(rng, t_ns) -> str`` returning one line *without* the kubelet's
``kubectl logs --timestamps`` prefix (the writer adds it). Shapes follow what the components
print in steady state:

    INFO:     10.244.3.17:51234 - "POST /v1/chat/completions HTTP/1.1" 200 OK
    INFO 11-20 09:12:45 [loggers.py:123] Engine 000: Avg prompt throughput: 812.3 tokens/s, ...
    2026-11-20T09:12:45.123456Z  INFO dynamo_llm::http::service::openai: request completed ...
    {"time":"2026-11-20T09:12:45.123456Z","level":"INFO","target":"dynamo_llm::kv_router",...}
    I1120 09:12:45.123456       1 scheduler.go:615] "Successfully bound pod to node" pod="..."
    2026-11-20 09:12:45,123 - model_server - INFO - Prediction completed in 123ms

The mix includes the "broad" healthy-looking lines real bundles are full of: access lines with
4xx/5xx statuses, WARNING lines, retries. They are what makes a matcher's broad patterns busy.
"""

from __future__ import annotations

import random
import time as _time
from typing import Callable

Family = Callable[[random.Random, int], str]

MODELS = ("Qwen/Qwen3-8B", "meta-llama/Llama-3.1-8B-Instruct", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
          "mistralai/Mistral-7B-Instruct-v0.3")
_ROUTES = ('POST /v1/chat/completions HTTP/1.1', 'POST /v1/completions HTTP/1.1', 'GET /metrics HTTP/1.1',
           'GET /health HTTP/1.1', 'GET /v1/models HTTP/1.1')
_ROUTE_W = (60, 15, 12, 10, 3)
_STATUS = ((200, "OK"), (400, "Bad Request"), (404, "Not Found"), (422, "Unprocessable Entity"),
           (500, "Internal Server Error"), (503, "Service Unavailable"))
_STATUS_W = (9900, 40, 20, 20, 12, 8)


def _hex(rng: random.Random, n: int = 32) -> str:
    return f"{rng.getrandbits(n * 4):0{n}x}"


def _gmt(t_ns: int) -> _time.struct_time:
    return _time.gmtime(t_ns // 1_000_000_000)


def vllm_ts(t_ns: int) -> str:
    return _time.strftime("%m-%d %H:%M:%S", _gmt(t_ns))


def rfc_us(t_ns: int) -> str:
    return _time.strftime("%Y-%m-%dT%H:%M:%S", _gmt(t_ns)) + f".{(t_ns // 1000) % 1_000_000:06d}Z"


def uvicorn(rng: random.Random, t: int) -> str:
    route = rng.choices(_ROUTES, _ROUTE_W)[0]
    code, phrase = rng.choices(_STATUS, _STATUS_W)[0] if route.startswith("POST") else (200, "OK")
    return (f'INFO:     10.244.{rng.randrange(256)}.{rng.randrange(1, 255)}:{rng.randrange(32768, 60999)} - '
            f'"{route}" {code} {phrase}')


def vllm(rng: random.Random, t: int) -> str:
    r = rng.random()
    ts = vllm_ts(t)
    if r < 0.45:
        return uvicorn(rng, t)
    if r < 0.60:
        return (f"INFO {ts} [loggers.py:123] Engine 000: Avg prompt throughput: {rng.uniform(0, 4000):.1f} tokens/s, "
                f"Avg generation throughput: {rng.uniform(0, 900):.1f} tokens/s, Running: {rng.randrange(64)} reqs, "
                f"Waiting: {rng.randrange(4)} reqs, GPU KV cache usage: {rng.uniform(0, 95):.1f}%, "
                f"Prefix cache hit rate: {rng.uniform(0, 80):.1f}%")
    if r < 0.80:
        return (f"INFO {ts} [logger.py:43] Received request chatcmpl-{_hex(rng)}: prompt: '<|im_start|>user\\n"
                f"Summarise the incident report for ticket {rng.randrange(10**6)}<|im_end|>', params: SamplingParams(n=1, "
                f"presence_penalty=0.0, frequency_penalty=0.0, temperature={rng.choice((0.0, 0.6, 0.7, 1.0))}, top_p=1.0, "
                f"max_tokens={rng.choice((128, 256, 512, 1024))}), prompt_token_ids: None, lora_request: None.")
    if r < 0.97:
        return f"INFO {ts} [async_llm.py:270] Added request chatcmpl-{_hex(rng)}."
    if r < 0.99:
        return (f"WARNING {ts} [protocol.py:58] The following fields were present in the request but ignored: "
                f"{{'{rng.choice(('stream_options', 'user', 'metadata'))}'}}")
    return f"INFO {ts} [metrics.py:88] Prefix cache hit rate: GPU: {rng.uniform(0, 80):.2f}%, CPU: 0.00%"


def dynamo(rng: random.Random, t: int) -> str:
    r = rng.random()
    ts = rfc_us(t)
    if r < 0.5:
        return (f"{ts}  INFO dynamo_llm::http::service::openai: request completed request_id={_hex(rng, 16)} "
                f"model={rng.choice(MODELS)} status={rng.choices((200, 500, 503), (995, 3, 2))[0]} "
                f"duration_ms={rng.randrange(20, 9000)}")
    if r < 0.8:
        return (f"{ts} DEBUG dynamo_runtime::pipeline::network::egress::push_router: routing request "
                f"instance_id={rng.randrange(1 << 40):x} subject=namespace.dynamo.component.backend.endpoint.generate")
    if r < 0.97:
        return (f"{ts}  INFO dynamo_llm::kv_router::scheduler: selected worker worker_id={rng.randrange(1 << 40):x} "
                f"overlap_blocks={rng.randrange(64)} total_blocks={rng.randrange(64, 512)}")
    return (f"{ts}  WARN dynamo_runtime::transports::etcd: lease keep-alive took {rng.randrange(200, 900)}ms "
            f"lease_id={rng.randrange(1 << 60):x}")


def dynamo_jsonl(rng: random.Random, t: int) -> str:
    r = rng.random()
    ts = rfc_us(t)
    if r < 0.6:
        return ('{"time":"%s","level":"INFO","target":"dynamo_llm::http::service::openai","message":"request completed",'
                '"request_id":"%s","model":"%s","status":200,"duration_ms":%d}'
                % (ts, _hex(rng, 16), rng.choice(MODELS), rng.randrange(20, 9000)))
    if r < 0.97:
        return ('{"time":"%s","level":"DEBUG","target":"dynamo_llm::kv_router::indexer","message":"applied kv event",'
                '"worker_id":"%x","event_id":%d,"blocks":%d}' % (ts, rng.randrange(1 << 40), rng.randrange(10**7),
                                                              rng.randrange(1, 32)))
    return ('{"time":"%s","level":"WARN","target":"dynamo_runtime::component::client","message":"instance list '
            'changed","added":0,"removed":1}' % ts)


def klog(rng: random.Random, t: int) -> str:
    r = rng.random()
    head = _time.strftime("%m%d %H:%M:%S", _gmt(t)) + f".{(t // 1000) % 1_000_000:06d}"
    if r < 0.4:
        return (f'I{head}       1 scheduler.go:615] "Successfully bound pod to node" pod="inference-{rng.randrange(8)}/'
                f'worker-{_hex(rng, 5)}" node="ip-10-0-{rng.randrange(16)}-{rng.randrange(255)}.us-west-2.compute.internal" '
                f'evaluatedNodes={rng.randrange(4, 16)} feasibleNodes={rng.randrange(1, 4)}')
    if r < 0.75:
        return (f'I{head}       1 reflector.go:368] "Caches populated" type="*v1.Pod" '
                f'reflector="k8s.io/client-go/informers/factory.go:160"')
    if r < 0.97:
        return (f'I{head}    {rng.randrange(1, 99):>4} server.go:{rng.randrange(100, 400)}] "Allocate" '
                f'resourceName="nvidia.com/gpu" devices=["GPU-{_hex(rng, 8)}-{_hex(rng, 4)}"]')
    return (f'W{head}       1 warnings.go:70] "Warning: spec.template.spec.containers[0].resources: '
            f'nvidia.com/gpumem request is larger than the node default"')


def python_app(rng: random.Random, t: int) -> str:
    r = rng.random()
    ts = _time.strftime("%Y-%m-%d %H:%M:%S", _gmt(t)) + f",{(t // 1_000_000) % 1000:03d}"
    if r < 0.7:
        return (f"{ts} - model_server - INFO - Prediction completed in {rng.randrange(5, 900)}ms "
                f"request_id={_hex(rng, 12)} tokens={rng.randrange(1, 2048)}")
    if r < 0.97:
        return f"{ts} - model_server.cache - DEBUG - cache hit key=emb:{_hex(rng, 10)} size={rng.randrange(100, 9000)}"
    return f"{ts} - model_server - WARNING - slow request request_id={_hex(rng, 12)} took {rng.randrange(2, 30)}s"


FAMILIES: dict[str, Family] = {"vllm": vllm, "dynamo": dynamo, "dynamo-jsonl": dynamo_jsonl,
                               "klog": klog, "python": python_app}
