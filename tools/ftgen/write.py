"""ScenarioPlan -> the files the Dynamo fault-tolerance harness writes, in their real formats.

- `client_N.log.txt`: one `json.dumps(result)` line per logical request (legacy client);
- `test.log.txt`: `[TEST] %(asctime)s %(levelname)s %(name)s: %(message)s`, second resolution;
- `<Service>/<pod>.log|.previous.log`: Dynamo JSON lines (DYN_LOGGING_JSONL=true, UTC) mixed with
  vLLM's own `LEVEL MM-DD HH:MM:SS [file.py:N] message` lines;
- `<Service>/<pod>.metrics.log` (a /metrics scrape) and `<Service>/<pod>.yaml` (the pod object).
"""

from __future__ import annotations

import json
import random
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from tools.ftgen.plan import FAILURE_SPEC, MODEL, Container, PodPlan, ScenarioPlan

NAMESPACE = "ft-test"
_WORDS = ("the numbers", "sequence", "digits", "pattern", "so", "let", "me", "check", "again", "okay",
          "first", "then", "which", "means", "each", "value", "repeats", "and", "the", "user", "sent",
          "list", "of", "random", "maybe", "they", "want", "count", "how", "many", "times")
VLLM_SITE = "/opt/dynamo/venv/lib/python3.12/site-packages/vllm"


def write_scenario(plan: ScenarioPlan, out: Path) -> Path:
    """Write one scenario folder under ``out``; returns its path."""
    folder = out / plan.folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(zlib.crc32(plan.folder.encode()))
    _write_clients(plan, folder, rng)
    end = plan.end or plan.ready
    (folder / "test.log.txt").write_text(_test_log(plan, end, rng), encoding="utf-8")
    end_pod = end - timedelta(seconds=plan.clock_offset)
    for pod in plan.pods:
        service_dir = folder / pod.service
        service_dir.mkdir(exist_ok=True)
        (service_dir / f"{pod.name}.log").write_text(_pod_log(pod, pod.current, end_pod, rng), encoding="utf-8")
        prev = pod.previous
        prev_end = pod.current.started
        (service_dir / f"{pod.name}.previous.log").write_text(
            _pod_log(pod, prev, prev_end, rng) if prev else "", encoding="utf-8")
        (service_dir / f"{pod.name}.metrics.log").write_text(_metrics(pod, plan, rng), encoding="utf-8")
        (service_dir / f"{pod.name}.yaml").write_text(_pod_yaml(pod, plan), encoding="utf-8")
    return folder


# --- clients ------------------------------------------------------------------------------------

def _content(rng: random.Random, length: int) -> str:
    """The reply to a prompt of random digits with ignore_eos: ~100 tokens of digits and words."""
    text = rng.choice(("3 7 1", "0 4 4", "9 2 8"))
    while len(text) < length:
        text += " " + (rng.choice(_WORDS) if rng.random() < 0.1 else str(rng.randint(0, 9)))
    return text[:length]


def _write_clients(plan: ScenarioPlan, folder: Path, rng: random.Random) -> None:
    by_client: dict[int, list[str]] = {c: [] for c in range(plan.clients)}
    for req in plan.requests:
        url = f"http://localhost:{req.port}/v1/chat/completions"
        results = []
        for a in req.attempts:
            body = None
            if a.status == 200 and a.content_len is not None:
                created = int((req.time - timedelta(seconds=a.latency)).timestamp())
                body = {
                    "id": "chatcmpl-" + "".join(rng.choice("0123456789abcdef") for _ in range(32)),
                    "choices": [{"index": 0, "message": {"content": _content(rng, a.content_len),
                                                         "role": "assistant", "reasoning_content": None},
                                 "finish_reason": "length" if a.content_len >= 100 else "stop", "logprobs": None}],
                    "created": created, "model": MODEL, "object": "chat.completion",
                    "usage": {"prompt_tokens": 111, "completion_tokens": 100 if a.content_len >= 100 else 21,
                              "total_tokens": 211 if a.content_len >= 100 else 132},
                }
            results.append({"status": a.status, "result": body, "request_elapsed_time": a.latency,
                            "url": url, "pod": req.pod})
        line = {"time": req.time.strftime("%Y-%m-%dT%H:%M:%S"), "results": results,
                "total_time": req.total_time, "url": url, "pod": req.pod}
        by_client[req.client].append(json.dumps(line))
    for client, lines in by_client.items():
        (folder / f"client_{client}.log.txt").write_text("".join(x + "\n" for x in lines), encoding="utf-8")


# --- test.log.txt -------------------------------------------------------------------------------

def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def _test_log(plan: ScenarioPlan, end: datetime, rng: random.Random) -> str:
    test = plan.folder
    addr = "0x7f" + "".join(rng.choice("0123456789abcdef") for _ in range(10))
    s = plan.start
    lines = [
        (s - timedelta(seconds=26), "ManagedDeployment", "Restarting dynamo-platform-etcd app.kubernetes.io/component=etcd"),
        (s - timedelta(seconds=15), "ManagedDeployment", "Restarted dynamo-platform-etcd app.kubernetes.io/component=etcd"),
        (s - timedelta(seconds=15), "ManagedDeployment", "Restarting dynamo-platform-nats app.kubernetes.io/component=nats"),
        (s - timedelta(seconds=1), "ManagedDeployment", "Restarted dynamo-platform-nats app.kubernetes.io/component=nats"),
        (s, "ManagedDeployment", f"Starting Deployment fault-tolerance-test with spec "
                                 f"<tests.utils.managed_deployment.DeploymentSpec object at {addr}>"),
        (s, "ManagedDeployment", str(_dgd_spec(plan))),
        (s, "ManagedDeployment", "Deployment Started fault-tolerance-test"),
        (s, "ManagedDeployment", "Waiting for Deployment fault-tolerance-test"),
    ]
    elapsed = (plan.ready - s).total_seconds()
    for minute in range(1, int(elapsed // 60) + 1):
        t = s + timedelta(seconds=60 * minute + 1)
        lines += [
            (t, "ManagedDeployment", "Current deployment state: pending"),
            (t, "ManagedDeployment", "Current conditions: [{'lastTransitionTime': '"
             + _ts(s + timedelta(seconds=2)) + "Z', 'message': 'Resources not ready: fault-tolerance-test: "
             "podclique/fault-tolerance-test-0-vllmdecodeworker: desired=1, available=0', "
             "'reason': 'some_resources_are_not_ready', 'status': 'False', 'type': 'Ready'}]"),
            (t, "ManagedDeployment", f"Elapsed time: {60 * minute + rng.uniform(0.2, 0.9):.1f}s / 1800s"),
            (t, "ManagedDeployment", "Deployment not ready yet - Ready condition: False, State successful: False"),
        ]
    r = plan.ready
    lines += [
        (r, "ManagedDeployment", "Current deployment state: successful"),
        (r, "ManagedDeployment", "Current conditions: [{'lastTransitionTime': '" + _ts(r) + "Z', 'message': "
         "'All resources are ready', 'reason': 'all_resources_are_ready', 'status': 'True', 'type': 'Ready'}]"),
        (r, "ManagedDeployment", f"Elapsed time: {elapsed + rng.uniform(0.1, 0.9):.1f}s / 1800s"),
        (r, "ManagedDeployment", "Deployment fault-tolerance-test is ready"),
        (r, test, f"Starting {plan.clients} clients using 'legacy' client"),
    ]
    affected: dict[str, list[str]] = {}
    if plan.fault is not None:
        pod_name, command, signal = FAILURE_SPEC[plan.failure]
        fault_secs = f"{plan.fault_after:g}"
        lines.append((plan.fault, test, f"Injecting failure for: Failure(time={fault_secs}, pod_name='{pod_name}', "
                                        f"command='{command}', signal='{signal}', replicas=1)"))
        for service, pid, cmd in plan.terminated_pids:
            lines.append((plan.fault, test, f"Terminating {service} Pid {pid} Command {cmd}"))
        targets = plan.deleted_pods or [p.name for p in plan.pods if p.service == pod_name][:1]
        affected[plan.failure] = targets
    lines += [
        (end, test, f"Affected pods during test: {affected}"),
        (end + timedelta(seconds=9), "ManagedDeployment",
         f"Cleaning up {len([p for p in plan.pods])} active port forwards"),
    ]
    return "".join(f"[TEST] {_ts(t)} INFO {name}: {msg}\n" for t, name, msg in lines)


def _dgd_spec(plan: ScenarioPlan) -> dict[str, Any]:
    dp = int(plan.deployment.rsplit("-", 1)[1])
    image = "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.5.1"
    services: dict[str, Any] = {"Frontend": {"dynamoNamespace": "fault-tolerance-test", "componentType": "frontend",
                                             "replicas": dp, "extraPodSpec": {"mainContainer": {"image": image}}}}
    for service in plan.services()[1:]:
        flag = " --is-prefill-worker" if service == "VllmPrefillWorker" else ""
        services[service] = {"dynamoNamespace": "fault-tolerance-test", "componentType": "worker",
                             "replicas": dp, "resources": {"limits": {"gpu": "1"}},
                             "extraPodSpec": {"mainContainer": {"image": image, "workingDir": "/workspace/components/backends/vllm",
                                                                "command": ["/bin/sh", "-c"],
                                                                "args": [f"python3 -m dynamo.vllm --model {MODEL}{flag}"]}}}
    return {"apiVersion": "nvidia.com/v1alpha1", "kind": "DynamoGraphDeployment",
            "metadata": {"name": "fault-tolerance-test", "namespace": NAMESPACE},
            "spec": {"services": services, "envs": [{"name": "DYN_LOGGING_JSONL", "value": "true"},
                                                    {"name": "DYN_LOG", "value": "info"}]}}


# --- pod logs -----------------------------------------------------------------------------------

def _jl(t: datetime, level: str, target: str, message: str, **fields: Any) -> str:
    doc = {"time": t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z", "level": level, "target": target, "message": message}
    doc.update(fields)
    return json.dumps(doc, separators=(",", ":"))


def _py(t: datetime, level: str, message: str, line: int) -> str:
    """A Python (bridged) line from the Dynamo vLLM worker."""
    return _jl(t, level, "log", message, **{"log.file": "/opt/dynamo/venv/lib/python3.12/site-packages/dynamo/vllm/main.py",
                                             "log.line": line, "log.target": "main.init"})


def _vl(t: datetime, level: str, where: str, message: str, proc: str | None = None) -> str:
    prefix = f"({proc}) " if proc else ""
    return f"{prefix}{level} {t:%m-%d %H:%M:%S} [{where}] {message}"


def _pod_log(pod: PodPlan, run: Container | None, until: datetime, rng: random.Random) -> str:
    if run is None:
        return ""
    lines: list[tuple[datetime, str]] = []
    engine = f"EngineCore_DP0 pid={rng.randint(180, 420)}"
    ready_at: datetime | None = None
    for ev in run.events:
        t = ev.time
        k = ev.kind
        if k == "frontend_boot":
            lines += [(t, _jl(t, "INFO", "dynamo_runtime::distributed", "Initializing DistributedRuntime",
                              **{"file": "lib/runtime/src/distributed.rs", "line": 112})),
                      (t + timedelta(milliseconds=41), _jl(t + timedelta(milliseconds=41), "INFO",
                       "dynamo_llm::http::service::service_v2", "Starting HTTP service on: 0.0.0.0:8000",
                       address="0.0.0.0:8000"))]
        elif k == "worker_boot":
            lines += [(t, _py(t, "INFO", f"Loading model {MODEL}", 142)),
                      (t, _vl(t, "INFO", "__init__.py:216", "Automatically detected platform cuda."))]
        elif k == "vllm_platform":
            lines.append((t, _vl(t, "INFO", "core.py:77", f"Initializing a V1 LLM engine (v0.11.0) with config: "
                                 f"model='{MODEL}', speculative_config=None, tokenizer='{MODEL}', dtype=torch.bfloat16, "
                                 "max_seq_len=40960, tensor_parallel_size=1, enforce_eager=False", engine)))
        elif k == "vllm_loading":
            lines.append((t, _vl(t, "INFO", "gpu_model_runner.py:2602",
                                 f"Model loading took {ev.detail['gib']:.4f} GiB and {ev.detail['secs']:.6f} seconds", engine)))
        elif k == "vllm_kv":
            tokens = int(ev.detail["tokens"])  # type: ignore[call-overload]
            lines += [(t, _vl(t, "INFO", "kv_cache_utils.py:1087", f"GPU KV cache size: {tokens:,} tokens", engine)),
                      (t, _vl(t, "INFO", "kv_cache_utils.py:1091",
                              f"Maximum concurrency for 40,960 tokens per request: {tokens / 40960:.2f}x", engine))]
        elif k == "vllm_init":
            lines.append((t, _vl(t, "INFO", "core.py:210", "init engine (profile, create kv cache, warmup model) "
                                 f"took {ev.detail['secs']:.2f} seconds", engine)))
        elif k == "ready":
            ready_at = t
            if pod.service == "Frontend":
                lines.append((t, _jl(t, "INFO", "dynamo_llm::discovery::watcher", "added model",
                                     model_name=MODEL, namespace="fault-tolerance-test",
                                     **{"file": "lib/llm/src/discovery/watcher.rs", "line": 214})))
            else:
                lines.append((t, _py(t, "INFO", f"VllmWorker for {MODEL} has been initialized", 191)))
        elif k == "chat_ready":
            lines += [(t, _jl(t, "INFO", "dynamo_llm::http::service::service_v2", "Chat completions is ready")),
                      (t, _jl(t, "INFO", "dynamo_llm::http::service::service_v2", "Completions is ready"))]
        elif k == "removed_model":
            lines.append((t, _jl(t, "INFO", "dynamo_llm::discovery::watcher", "removed model", model_name=MODEL,
                                 **{"file": "lib/llm/src/discovery/watcher.rs", "line": 322})))
            for i in range(3):
                tt = t + timedelta(seconds=0.7 + i * 1.9)
                lines.append((tt, _jl(tt, "ERROR", "dynamo_llm::http::service::openai",
                                      f"Internal server error: Failed to generate completions: no instances found for "
                                      f"endpoint \"{NAMESPACE}-fault-tolerance-test/backend/generate\"")))
        elif k == "sigint":
            lines.append((t, _jl(t, "INFO", "dynamo_runtime::runtime", "SIGINT received, starting graceful shutdown")))
        elif k == "engine_dead":
            lines += _engine_dead(t)
        elif k == "cuda_oom":
            lines += _cuda_oom(t, engine, int(ev.detail["pid"]))  # type: ignore[call-overload]
    if ready_at is not None and pod.service != "Frontend":
        # vLLM's periodic stats line: the noise a real worker log is mostly made of.
        t = ready_at + timedelta(seconds=10)
        while t < until:
            running = rng.randint(3, 10)
            lines.append((t, _vl(t, "INFO", "loggers.py:127", f"Engine 000: Avg prompt throughput: "
                                 f"{running * 111 / 1.2:.1f} tokens/s, Avg generation throughput: {running * 100 / 1.2:.1f} "
                                 f"tokens/s, Running: {running} reqs, Waiting: 0 reqs, GPU KV cache usage: "
                                 f"{running * 0.04:.1f}%, Prefix cache hit rate: 0.0%")))
            t += timedelta(seconds=10)
    lines.sort(key=lambda x: x[0])
    return "\n".join(text for _, text in lines)   # the harness joins kr8s log lines with "\n"


def _engine_dead(t: datetime) -> list[tuple[datetime, str]]:
    where = "async_llm.py:480"
    tb = [
        "AsyncLLM output_handler failed.",
        "Traceback (most recent call last):",
        f'  File "{VLLM_SITE}/v1/engine/async_llm.py", line 439, in output_handler',
        "    outputs = await engine_core.get_output_async()",
        "              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        f'  File "{VLLM_SITE}/v1/engine/core_client.py", line 846, in get_output_async',
        "    raise self._format_exception(outputs) from None",
        "vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue. See stack trace (above) for the root cause.",
    ]
    out = [(t, _vl(t, "ERROR", "core_client.py:564", "Engine core proc EngineCore_DP0 died unexpectedly, shutting down client."))]
    out += [(t, _vl(t, "ERROR", where, line)) for line in tb]
    t2 = t + timedelta(milliseconds=12)
    out.append((t2, _py(t2, "ERROR", "Engine died: EngineCore encountered an issue. See stack trace (above) for the root cause.", 268)))
    return out


def _cuda_oom(t: datetime, engine: str, other_pid: int) -> list[tuple[datetime, str]]:
    where = "core.py:712"
    tb = [
        "EngineCore failed to start.",
        "Traceback (most recent call last):",
        f'  File "{VLLM_SITE}/v1/engine/core.py", line 703, in run_engine_core',
        "    engine_core = EngineCoreProc(*args, **kwargs)",
        f'  File "{VLLM_SITE}/v1/worker/gpu_model_runner.py", line 2555, in load_model',
        "    self.model = model_loader.load_model(",
        f'  File "{VLLM_SITE}/model_executor/model_loader/base_loader.py", line 49, in load_model',
        "    model = initialize_model(vllm_config=vllm_config,",
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.02 GiB. GPU 0 has a total capacity of "
        "79.25 GiB of which 612.94 MiB is free. Process " + str(other_pid) + " has 70.88 GiB memory in use. Including "
        "non-PyTorch memory, this process has 7.73 GiB memory in use. Of the allocated memory 6.91 GiB is allocated "
        "by PyTorch, and 312.45 MiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is "
        "large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See "
        "documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)",
    ]
    out = [(t, _vl(t, "ERROR", where, line, engine)) for line in tb]
    t2 = t + timedelta(seconds=1, milliseconds=207)
    out += [(t2, "Traceback (most recent call last):"),
            (t2, '  File "/opt/dynamo/venv/lib/python3.12/site-packages/dynamo/vllm/main.py", line 96, in init'),
            (t2, "RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}")]
    return out


# --- metrics and pod yaml -----------------------------------------------------------------------

def _metrics(pod: PodPlan, plan: ScenarioPlan, rng: random.Random) -> str:
    if pod.service == "Frontend":
        ok = sum(1 for r in plan.requests for a in r.attempts if a.status == 200) // max(1, len(plan.services()))
        err = sum(1 for r in plan.requests for a in r.attempts if isinstance(a.status, int) and a.status >= 500)
        model = MODEL.lower()
        return (
            "# HELP dynamo_frontend_inflight_requests Number of inflight requests\n"
            "# TYPE dynamo_frontend_inflight_requests gauge\n"
            f'dynamo_frontend_inflight_requests{{model="{model}"}} 0\n'
            "# HELP dynamo_frontend_requests_total Total number of LLM requests processed\n"
            "# TYPE dynamo_frontend_requests_total counter\n"
            f'dynamo_frontend_requests_total{{endpoint="chat_completions",model="{model}",request_type="unary",status="success"}} {ok}\n'
            f'dynamo_frontend_requests_total{{endpoint="chat_completions",model="{model}",request_type="unary",status="error"}} {err}\n'
        )
    return (
        "# HELP dynamo_component_requests_total Total number of requests processed by work handler\n"
        "# TYPE dynamo_component_requests_total counter\n"
        f'dynamo_component_requests_total{{dynamo_component="backend",dynamo_endpoint="generate",'
        f'dynamo_namespace="fault-tolerance-test"}} {rng.randint(200, 900)}\n'
        "# HELP vllm:num_requests_running Number of requests in model execution batches.\n"
        "# TYPE vllm:num_requests_running gauge\n"
        f'vllm:num_requests_running{{engine="0",model_name="{MODEL}"}} 0.0\n'
    )


def _pod_yaml(pod: PodPlan, plan: ScenarioPlan) -> str:
    component = pod.service.lower()
    cur = pod.current
    prev = pod.previous
    utc = lambda t: (t).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    status: dict[str, Any] = {
        "containerStatuses": [{
            "name": "main", "image": "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.5.1", "ready": True,
            "restartCount": len(pod.runs) - 1, "started": True,
            "state": {"running": {"startedAt": utc(cur.started)}},
            "lastState": ({"terminated": {"exitCode": prev.exit_code, "reason": prev.reason,
                                          "startedAt": utc(prev.started), "finishedAt": utc(cur.started)}}
                          if prev else {}),
        }],
        "phase": "Running", "hostIP": "10.0.3.17", "podIP": "10.244.3.41", "qosClass": "Burstable",
        "startTime": utc(pod.runs[0].started),
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": utc(cur.started)}],
    }
    doc = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod.name, "namespace": NAMESPACE,
                     "labels": {"nvidia.com/selector": f"fault-tolerance-test-{component}",
                                "nvidia.com/dynamo-component": pod.service,
                                "nvidia.com/dynamo-graph-deployment-name": "fault-tolerance-test"}},
        "spec": {"nodeName": pod.node, "containers": [{
            "name": "main", "image": "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.5.1",
            "resources": ({"limits": {"nvidia.com/gpu": "1"}, "requests": {"nvidia.com/gpu": "1"}}
                          if pod.service != "Frontend" else {"limits": {"cpu": "2", "memory": "4Gi"}})}]},
        "status": status,
    }
    return yaml.safe_dump(doc, sort_keys=True)
