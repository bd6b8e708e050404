"""The sample scenarios: one function per bundle directory, each returning its cluster and expectation.

Directory names and each ``expected.json`` are contracts: the analyzer's acceptance tests read
``root_causes`` (ranked categories of analyzer/taxonomy.py, [] for healthy). ``notes`` says what was
planted and where, so a reviewer can check a finding against the evidence by hand.
"""

from __future__ import annotations

from typing import Callable

from . import engines as EN
from . import logs as L
from . import nodes as N
from . import stacks as S
from .clock import NS, parse_time
from .bundle import MAX_LOG_BYTES
from .engines import MS
from .kube import Cluster, Ctr, env_secret, http_probe, mount, running, terminated, waiting
from .stacks import DAY, HOUR, Env, WorkerPlan

Scenario = Callable[[], tuple[Cluster, dict]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    def wrap(fn: Scenario) -> Scenario:
        SCENARIOS[name] = fn
        return fn
    return wrap


def _t(text: str) -> int:
    return S._t(text)


def _eks(cl: Cluster, n: int, offset: int = 0) -> list[str]:
    return [f"ip-10-0-{12 + i + offset}-{cl.rng.randint(10, 250)}.us-west-2.compute.internal" for i in range(n)]


def plain_vllm(e: Env, ns: str, name: str, m: EN.Model, *, node: str, gpu_req: dict[str, str], created_h: float,
               hami: tuple[S.GpuNode, int, int, int] | None = None, load: float = 0.3, scheduler: str = "default-scheduler",
               req_every_s: float = 3.0, window_h: float = 2.0) -> dict:
    """A ``vllm serve`` Deployment with one pod (uvicorn access lines, stats); optionally placed by HAMi."""
    cl = e.cl
    created = cl.ago(created_h * HOUR)

    def ctr(i: int) -> list[Ctr]:
        return [Ctr("vllm", "vllm/vllm-openai:v0.11.0", args=["--model", m.name, "--port", "8000",
                                                            "--gpu-memory-utilization", "0.90", "--max-model-len", "8192"],
                    ports=[(8000, "http")], env=[env_secret("HF_TOKEN", "hf-token", "token")],
                    requests={"cpu": "4", "memory": "24Gi"}, limits={"memory": "32Gi", **gpu_req},
                    liveness=http_probe("/health", "http", delay=120, period=10, failure=3),
                    readiness=http_probe("/health", "http", delay=30, period=5, failure=3),
                    mounts=[mount("/root/.cache/huggingface", "hf-cache"), mount("/dev/shm", "dshm")])]
    ann = None
    if hami:
        gn, gidx, mem, cores = hami
        ann = lambda i, pname: S.hami_annotations(cl, gn, gidx, mem, cores, created + NS)  # noqa: E731
    pods = S.deployment_pods(cl, ns, name, replicas=1, labels={"app": name, "app.kubernetes.io/name": name},
                             created=created, containers_fn=ctr, nodes=[node], annotations_fn=ann,
                             scheduler_name=scheduler,
                             volumes=[S.empty_dir("hf-cache"), S.empty_dir("dshm", "Memory", "8Gi")])
    pod = pods[0]
    t0 = _t(pod["status"]["startTime"]) + 3 * NS
    lines: L.Lines = []
    if hami:
        pid = 1
        lines += [(t0 - 400 * MS, f"[HAMI-core Msg({pid}:{cl.rng.randint(10**14, 10**15)}:libvgpu.c:836)]: Initializing....."),
                  (t0 - 300 * MS, f"[HAMI-core Msg({pid}:{cl.rng.randint(10**14, 10**15)}:libvgpu.c:855)]: Initialized")]
    log_start = max(t0, cl.now - int(window_h * HOUR * NS))
    lines += EN.vllm_serve_log(cl.rng, t0, cl.now, m, load=load, req_every_s=req_every_s, noise_from=log_start)
    cl.log(ns, pod["metadata"]["name"], "vllm", lines)
    S.service(cl, ns, name, [("http", 8000, "http")], {"app": name}, created=created)
    return pod


# ---------------------------------------------------------------------------------------------
# 1


@scenario("healthy-dynamo-agg")
def healthy_dynamo_agg() -> tuple[Cluster, dict]:
    cl = Cluster("healthy-dynamo-agg", parse_time("2026-11-20T10:15:00Z"),
                 "arn:aws:eks:us-west-2:481516234200:cluster/inference-prod")
    S.cpu_node(cl, "ip-10-0-8-41.us-west-2.compute.internal", 0)
    e = Env(cl)
    e.gpu_nodes = S.gpu_nodes(cl, _eks(cl, 2), "H100", 8)
    S.storage_class(cl)
    S.runtime_class(cl)
    S.kube_system(cl)
    p = S.dynamo_platform(e, "dynamo")
    graph = S.dynamo_graph(e, p, "dynamo", "vllm-agg", EN.QWEN3_8B,
                           workers=[WorkerPlan(node=e.gpu_nodes[0].name), WorkerPlan(node=e.gpu_nodes[1].name)],
                           worker_args=["--gpu-memory-utilization", "0.90", "--max-model-len", "32768"], created_h=5.0)
    cl.ns("inference")
    S.root_ca(cl, "inference")
    S.secret(cl, "inference", "hf-token", ["token"], created=cl.ago(40 * DAY))
    chat = plain_vllm(e, "inference", "llama31-8b-chat", EN.LLAMA_8B, node=e.gpu_nodes[1].name,
                      gpu_req={"nvidia.com/gpu": "1"}, created_h=26, load=0.35, req_every_s=4.0, window_h=1.0)
    for pod in graph["decode"] + graph["frontend"]:
        S.std_events(cl, "dynamo", pod)
    S.gpu_operator(e, gpu_pods={e.gpu_nodes[0].name: {0: ("dynamo", graph["decode"][0]["metadata"]["name"], "main")},
                                e.gpu_nodes[1].name: {0: ("dynamo", graph["decode"][1]["metadata"]["name"], "main"),
                                                      1: ("inference", chat["metadata"]["name"], "vllm")}})
    return cl, {"root_causes": [],
                "notes": "Healthy Dynamo aggregated deployment vllm-agg (frontend + 2 vLLM decode workers on Qwen3-8B, "
                         "etcd and NATS from dynamo-platform) in namespace dynamo, plus a plain vLLM server in "
                         "inference. Only ordinary noise: metrics-server scrape timeouts, CoreDNS upstream i/o "
                         "timeouts, etcd 'apply request took too long' and NATS readloop warnings."}


# ---------------------------------------------------------------------------------------------
# 2


@scenario("hami-gpumem-pending")
def hami_gpumem_pending() -> tuple[Cluster, dict]:
    cl = Cluster("hami-gpumem-pending", parse_time("2026-11-19T14:42:00Z"), "ml-platform-a100")
    e = Env(cl, hami=True)
    e.gpu_nodes = S.gpu_nodes(cl, ["gpu-a100-1", "gpu-a100-2", "gpu-a100-3"], "A100-40", 2, hami=True)
    S.storage_class(cl, "local-path", True)
    S.runtime_class(cl)
    S.kube_system(cl)
    ns = "ml-serving"
    cl.ns(ns, 50 * DAY)
    S.root_ca(cl, ns)
    S.secret(cl, ns, "hf-token", ["token"], created=cl.ago(49 * DAY))
    # (name, model, node index, gpu index, gpumem MiB, gpucores): every card keeps < 24576 MiB free
    placed = [("chat-qwen25-7b-a", EN.QWEN25_7B, 0, 0, 10240, 30), ("chat-qwen25-7b-b", EN.QWEN25_7B, 0, 0, 10240, 30),
              ("mistral-7b-support", EN.MISTRAL_7B, 0, 1, 16384, 40), ("mistral-7b-search", EN.MISTRAL_7B, 0, 1, 16384, 40),
              ("summarizer-qwen25-7b", EN.QWEN25_7B, 1, 0, 8192, 25), ("chat-qwen25-7b-c", EN.QWEN25_7B, 1, 0, 10240, 30),
              ("llama31-8b-agents", EN.LLAMA_8B, 1, 1, 24576, 50), ("mistral-7b-batch", EN.MISTRAL_7B, 2, 0, 20480, 40),
              ("chat-qwen25-7b-d", EN.QWEN25_7B, 2, 0, 10240, 30), ("llama31-8b-eval", EN.LLAMA_8B, 2, 1, 20480, 40)]
    allocations = []
    for i, (name, m, ni, gi, mem, cores) in enumerate(placed):
        gn = e.gpu_nodes[ni]
        pod = plain_vllm(e, ns, name, m, node=gn.name, hami=(gn, gi, mem, cores), scheduler="hami-scheduler",
                         gpu_req={"nvidia.com/gpu": "1", "nvidia.com/gpumem": str(mem), "nvidia.com/gpucores": str(cores)},
                         created_h=20 + i * 7.5, load=0.2, req_every_s=9.0, window_h=0.4)
        allocations.append((ns, pod["metadata"]["name"], gi, gn.name, mem, cores))
    # the pod that cannot fit: 24576 MiB on one card; largest free card is 40960 - 18432 = 22528 MiB
    req = 24576
    created = cl.ago(41 * 60)

    def big(i: int) -> list[Ctr]:
        return [Ctr("vllm", "vllm/vllm-openai:v0.11.0",
                    args=["--model", EN.QWEN25_32B_AWQ.name, "--quantization", "awq_marlin", "--port", "8000",
                          "--max-model-len", "16384", "--gpu-memory-utilization", "0.92"],
                    ports=[(8000, "http")], env=[env_secret("HF_TOKEN", "hf-token", "token")],
                    requests={"cpu": "6", "memory": "48Gi"},
                    limits={"memory": "64Gi", "nvidia.com/gpu": "1", "nvidia.com/gpumem": str(req), "nvidia.com/gpucores": "60"},
                    liveness=http_probe("/health", "http", delay=180, period=10, failure=3),
                    readiness=http_probe("/health", "http", delay=30, period=5, failure=3),
                    mounts=[mount("/root/.cache/huggingface", "hf-cache"), mount("/dev/shm", "dshm")])]
    n = len(e.gpu_nodes)
    msg = (f"0/{n} nodes are available: {n} 2/2 CardInsufficientMemory. preemption: 0/{n} nodes are available: "
           f"{n} No preemption victims found for incoming pod.")
    pods = S.deployment_pods(cl, ns, "qwen25-32b-awq", replicas=1, labels={"app": "qwen25-32b-awq", "team": "search"},
                             created=created, containers_fn=big, nodes=[None], phase="Pending",
                             scheduler_name="hami-scheduler", unschedulable=msg,
                             volumes=[S.empty_dir("hf-cache"), S.empty_dir("dshm", "Memory", "8Gi")])
    pend = pods[0]
    pname = pend["metadata"]["name"]
    tries = [created + int(x * NS) for x in (0.4, 1.6, 3.9, 8.1, 16.5, 33.2, 66.8, 130.0, 250.0, 490.0, 790.0,
                                               1090.0, 1390.0, 1690.0, 1990.0, 2290.0, 2412.0)]
    tries = [t for t in tries if t < cl.now]
    cl.event(ns, pend, "FailedScheduling", msg, type="Warning", first=tries[0], last=tries[-1], count=len(tries),
             component="hami-scheduler", new_api=True, action="Scheduling",
             instance=f"hami-scheduler-hami-scheduler-{cl.rng.suffix(5)}")
    names = ",".join(g.name for g in e.gpu_nodes)
    cl.event(ns, pend, "FilteringFailed", f"{n} nodes CardInsufficientMemory({names})", type="Warning",
             first=tries[0] + 3 * MS, last=tries[-1] + 3 * MS, count=len(tries), component="hami-scheduler")
    cl.event(ns, pend, "FilteringFailed", f"no available node, {n} nodes do not meet", type="Warning",
             first=tries[0] + 4 * MS, last=tries[-1] + 4 * MS, count=len(tries), component="hami-scheduler")
    ext: L.Lines = []
    ks: L.Lines = []
    used = {}
    for a in allocations:
        used[(a[3], a[2])] = used.get((a[3], a[2]), 0) + a[4]
    for t in tries:
        ext.append(L.klog(t, "I", "scheduler.go:1068", f'"Starting schedule filter process" pod="{pname}" '
                                                       f'uuid="{pend["metadata"]["uid"]}" namespace="{ns}"'))
        for ni, gn in enumerate(e.gpu_nodes):
            for g in gn.gpus:
                ext.append(L.klog(t + 900_000 + ni * 160_000 + g.index * 21_000, "I", "device.go:791",
                                  f'"CardInsufficientMemory" pod="{ns}/{pname}" device="{g.uuid}" device index={g.index} '
                                  f'device total memory={g.mem_mib} device used memory={used.get((gn.name, g.index), 0)} '
                                  f'request memory={req}'))
            ext.append(L.klog(t + 1_000_000 + ni * 160_000, "I", "score.go:275",
                              f'"NodeUnfitPod" pod="{ns}/{pname}" node="{gn.name}" reason="2/2 CardInsufficientMemory"'))
        ext.append(L.klog(t + 1_400_000, "I", "scheduler.go:1110", f'"No available nodes meet the required scores" pod="{pname}"'))
        ks.append(L.klog(t + 2_100_000, "I", "schedule_one.go:1058",
                         f'"Unable to schedule pod; no fit; waiting" pod="{ns}/{pname}" err="{msg}"'))
    S.hami(e, scheduler_extra=ks, extender_extra=ext, allocations=allocations, extender_v=5)
    S.service(cl, ns, "qwen25-32b-awq", [("http", 8000, "http")], {"app": "qwen25-32b-awq"}, created=created)
    return cl, {"root_causes": ["scheduling.insufficient_gpumem"],
                "notes": f"ml-serving/{pname} asks nvidia.com/gpumem={req} (one A100-40GB slice) and stays Pending: "
                         "FailedScheduling from hami-scheduler '0/3 nodes are available: 3 2/2 CardInsufficientMemory' "
                         "(the extender's reason as kube-scheduler folds it) plus FilteringFailed events. Node "
                         "annotations hami.io/node-nvidia-register give devmem 40960 per card; the ten running pods' "
                         "hami.io/vgpu-devices-allocated sum to 20480/32768, 18432/24576, 30720/20480 MiB used per card, "
                         "so the best card has 22528 MiB free: 2048 MiB short. The extender runs at -v=5 (raised while "
                         "debugging), so its log has the per-card device.go 'CardInsufficientMemory' lines with the same "
                         "numbers. The reason text is HAMi's, as kube-scheduler folds the extender's per-node reason "
                         "('3 2/2 CardInsufficientMemory'), not 'Insufficient nvidia.com/gpumem' (that one is what "
                         "default-scheduler says when the webhook did not apply: see hami-webhook-not-applied)."}


# ---------------------------------------------------------------------------------------------
# shared fault builders


def crash_runs(cl: Cluster, start: int, run_s: tuple[float, float]) -> list[tuple[int, int]]:
    """Container runs of a crash-looping container from ``start`` to now, with kubelet's back-off
    (10 s doubling to 5 m) between a crash and the next start."""
    backoff = [10, 20, 40, 80, 160]
    runs: list[tuple[int, int]] = []
    t = start
    while True:
        end = t + int(cl.rng.uniform(*run_s) * NS)
        if end > cl.now - 20 * NS:
            break
        runs.append((t, end))
        t = end + (backoff[len(runs) - 1] if len(runs) <= len(backoff) else 300) * NS + int(cl.rng.uniform(0.5, 2) * NS)
    return runs


def crashloop_events(cl: Cluster, ns: str, pod: dict, runs: list[tuple[int, int]], image: str, *,
                     pulled_first: bool = True, container: str = "main", scheduled: bool = True) -> None:
    """Scheduled, Pulling/Pulled, Created/Started per run and the BackOff warning series."""
    name = pod["metadata"]["name"]
    node = pod["spec"]["nodeName"]
    fp = f"spec.containers{{{container}}}"
    start = runs[0][0] - 6 * NS
    sched = pod["spec"]["schedulerName"]
    if scheduled:
        cl.event(ns, pod, "Scheduled", f"Successfully assigned {ns}/{name} to {node}", first=start - NS, component=sched,
                 new_api=True, action="Binding", instance=f"{sched}-{cl.nodes[0].name}")
    if pulled_first:
        cl.event(ns, pod, "Pulled", f'Container image "{image}" already present on machine', first=runs[0][0] - NS,
                 last=runs[-1][0] - NS, count=len(runs), host=node, field_path=fp)
    else:
        cl.event(ns, pod, "Pulling", f'Pulling image "{image}"', first=start, host=node, field_path=fp)
        cl.event(ns, pod, "Pulled", f'Successfully pulled image "{image}" in 1m52.114s (1m52.114s including waiting). '
                 f'Image size: 11438573204 bytes.', first=runs[0][0] - 2 * NS, host=node, field_path=fp)
        if len(runs) > 1:
            cl.event(ns, pod, "Pulled", f'Container image "{image}" already present on machine', first=runs[1][0] - NS,
                     last=runs[-1][0] - NS, count=len(runs) - 1, host=node, field_path=fp)
    cl.event(ns, pod, "Created", f"Created container {container}", first=runs[0][0] - 500 * MS,
             last=runs[-1][0] - 500 * MS, count=len(runs), host=node, field_path=fp)
    cl.event(ns, pod, "Started", f"Started container {container}", first=runs[0][0] - 200 * MS,
             last=runs[-1][0] - 200 * MS, count=len(runs), host=node, field_path=fp)
    if len(runs) > 1:
        cl.event(ns, pod, "BackOff", f"Back-off restarting failed container {container} in pod {name}_{ns}"
                 f"({pod['metadata']['uid']})", type="Warning", first=runs[0][1] + NS, last=cl.ago(8),
                 count=len(runs) * 4 + 9, host=node, field_path=fp)


def fix_crashloop_pod(pod: dict, ns: str, start: int, created: int | None = None) -> None:
    """Put the pod's own name/uid in the back-off message and make its times agree with the runs:
    created (default: just before ``start``), scheduled and initialised then, unready since ``start``."""
    for st in pod["status"]["containerStatuses"]:
        w = st["state"].get("waiting")
        if w and w.get("reason") == "CrashLoopBackOff":
            w["message"] = f"back-off 5m0s restarting failed container={st['name']} pod={pod['metadata']['name']}_{ns}" \
                           f"({pod['metadata']['uid']})"
    created = created if created is not None else start - 8 * NS
    pod["metadata"]["creationTimestamp"] = S.rfc3339(created)
    pod["status"]["startTime"] = S.rfc3339(created + NS)
    when = {"PodScheduled": created + NS // 2, "Initialized": created + NS, "PodReadyToStartContainers": created + 3 * NS,
            "Ready": start, "ContainersReady": start}
    for c in pod["status"].get("conditions", []):
        if c["type"] in when:
            c["lastTransitionTime"] = S.rfc3339(when[c["type"]])


def crashloop_plan(cl: Cluster, runs: list[tuple[int, int]], run_log: Callable[[int, int], L.Lines], *,
                   node: str | None, role: str = "decode", reason: str = "Error", code: int = 1) -> WorkerPlan:
    """A worker in CrashLoopBackOff whose current and previous logs are its last two runs."""
    last_start, last_end = runs[-1]
    return WorkerPlan(role=role, node=node,
                      state=waiting("CrashLoopBackOff", "back-off 5m0s restarting failed container=main"),
                      last_state=terminated(reason, code, last_start, last_end, f"containerd://{cl.rng.hex(64)}"),
                      ready=False, restarts=len(runs) - 1, log=run_log(*runs[-1]),
                      previous_log=run_log(*runs[-2]) if len(runs) > 1 else None,
                      metric_error="Error from server (ServiceUnavailable): error trying to reach service: dial tcp "
                                   "{ip}:9090: connect: connection refused")


def frontend_lost_model(cl: Cluster, p: S.Platform, dyn_ns: str, m: EN.Model, fe_start: int, lost: int,
                        end: int | None = None, every_s: float = 1.3) -> tuple[L.Lines, int, int]:
    """A frontend that served ``m`` until ``lost``, then answers 503 'no instances found' and 404."""
    fe = EN.dynamo_frontend_startup(cl.rng, fe_start, dyn_ns=dyn_ns, etcd=p.etcd, nats=p.nats)
    fe += EN.frontend_added_model(fe_start + 140 * NS, m, dyn_ns)
    fe.append(L.dyn(lost + 2 * NS, "INFO", "dynamo_llm::discovery::watcher", "removed model",
                    f'model_name="{m.name}" namespace="{dyn_ns}"'))
    n503 = n404 = 0
    for t in L.spread(cl.rng, lost, end or cl.now, every_s, jitter=0.9):
        rid = cl.rng.uid()
        span = f'http-request{{method=POST uri=/v1/chat/completions version=HTTP/1.1 x_request_id="{rid}"}}: '
        if t < lost + 2 * NS + 4 * MS or cl.rng.random() < 0.18:
            n503 += 1
            fe.append(L.dyn(t, "ERROR", span + "dynamo_llm::http::service::openai",
                            f'no instances found for endpoint "{dyn_ns}/backend/generate"', "status=503"))
        else:
            n404 += 1
            fe.append(L.dyn(t, "WARN", span + "dynamo_llm::http::service::openai", f"Model not found: {m.name}",
                            "status=404"))
    return fe, n503, n404


def oom_crashloop(e: Env, p: S.Platform, ns: str, dgd: str, m: EN.Model, node: str, *, start_ago_s: float,
                  lost_ago_s: float, gpu_total_gib: float, fe_every_s: float = 2.6) -> dict:
    """A one-worker DGD whose worker dies in load_model with torch.OutOfMemoryError on every run."""
    cl = e.cl
    start = cl.ago(start_ago_s)
    runs = crash_runs(cl, start, (70, 82))

    def run_log(t0: int, t_end: int) -> L.Lines:
        lines, tl = EN.dynamo_worker_startup(cl.rng, t0, m, dyn_ns=dgd, role="decode", etcd=p.etcd, nats=p.nats,
                                             upto="load", max_len=32768, gpu_util=0.92)
        eng = [x for x in lines if "EngineCore_DP0 pid=" in x[1]][0][1].split(")")[0][1:]
        t_oom = min(tl + int(cl.rng.uniform(30, 45) * NS), t_end - 2 * NS)
        lines += EN.cuda_oom_startup(cl.rng, t_oom, proc=eng, total_gib=gpu_total_gib, free_mib=181.06,
                                     alloc="270.00 MiB", in_use_gib=gpu_total_gib - 0.19, by_torch_gib=gpu_total_gib - 0.68,
                                     reserved_mib=14.27, phase="load")
        tf = lines[-1][0] + 300 * MS
        lines.append(L.vllm(tf, "ERROR", "core_client.py:564",
                            f"Engine core proc {eng.split(' ')[0]} died unexpectedly, shutting down client."))
        lines += EN.front_engine_init_failed(tf + 200 * MS)
        lines.append(L.dyn(tf + 260 * MS, "ERROR", "dynamo_runtime::worker", "Application shutdown with error: "
                           "RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}"))
        return lines

    worker = crashloop_plan(cl, runs, run_log, node=node)
    fe, n503, n404 = frontend_lost_model(cl, p, dgd, m, cl.ago(29 * HOUR), cl.ago(lost_ago_s), every_s=fe_every_s)
    graph = S.dynamo_graph(e, p, ns, dgd, m, workers=[worker], frontend_log=fe, created_h=29,
                           frontend_ok_requests=61_204, frontend_errors={"unavailable": n503, "not_found": n404},
                           worker_args=["--gpu-memory-utilization", "0.92", "--max-model-len", "32768"])
    wpod = graph["decode"][0]
    fix_crashloop_pod(wpod, ns, start)
    crashloop_events(cl, ns, wpod, runs, S.DYNAMO_IMAGE, pulled_first=False)
    return {"pod": wpod, "restarts": len(runs) - 1, "graph": graph}


def image_pull_graph(e: Env, p: S.Platform, ns: str, dgd: str, m: EN.Model, *, age_s: float, secret: str) -> dict:
    """A DGD whose worker image cannot be pulled: nvcr.io answers 401 to the pull secret's key."""
    cl = e.cl
    image = S.DYNAMO_IMAGE
    created = cl.ago(age_s)
    pulls = [created + int(x * NS) for x in (3, 19, 45, 81, 150, 290, 590, 890, 1190, 1490, 1790, 2090, 2390, 2690)]
    pulls = [t for t in pulls if t < cl.now - 30 * NS]
    workers = [WorkerPlan(node=e.gpu_nodes[i % len(e.gpu_nodes)].name,
                          state=waiting("ImagePullBackOff", f'Back-off pulling image "{image}"'),
                          ready=False, log=[], metrics=False) for i in range(2)]
    fe = EN.dynamo_frontend_startup(cl.rng, created + 40 * NS, dyn_ns=dgd, etcd=p.etcd, nats=p.nats)
    graph = S.dynamo_graph(e, p, ns, dgd, m, workers=workers, frontend_log=fe, created_h=age_s / HOUR,
                           frontend_ok_requests=0, image=image,
                           worker_pod_kw={"image_pull_secrets": [secret], "phase": "Pending"})
    for pod in graph["decode"]:
        pname = pod["metadata"]["name"]
        node = pod["spec"]["nodeName"]
        fp = "spec.containers{main}"
        cl.event(ns, pod, "Scheduled", f"Successfully assigned {ns}/{pname} to {node}", first=created + NS,
                 component="default-scheduler", new_api=True, action="Binding",
                 instance=f"default-scheduler-{cl.nodes[0].name}")
        cl.event(ns, pod, "Pulling", f'Pulling image "{image}"', first=pulls[0], last=pulls[-1], count=len(pulls),
                 host=node, field_path=fp)
        cl.event(ns, pod, "Failed", f'Failed to pull image "{image}": failed to pull and unpack image '
                 f'"{image}": failed to resolve reference "{image}": failed to authorize: failed to fetch oauth token: '
                 f'unexpected status from GET request to https://nvcr.io/proxy_auth?scope=repository%3Anvidia%2Fai-dynamo%2F'
                 f'vllm-runtime%3Apull: 401 Unauthorized', type="Warning", first=pulls[0] + 900 * MS,
                 last=pulls[-1] + 900 * MS, count=len(pulls), host=node, field_path=fp)
        cl.event(ns, pod, "Failed", "Error: ErrImagePull", type="Warning", first=pulls[0] + 901 * MS,
                 last=pulls[-1] + 901 * MS, count=len(pulls), host=node, field_path=fp)
        cl.event(ns, pod, "BackOff", f'Back-off pulling image "{image}"', first=pulls[0] + 2 * NS,
                 last=cl.ago(21), count=len(pulls) * 9 + 4, host=node, field_path=fp)
        cl.event(ns, pod, "Failed", "Error: ImagePullBackOff", type="Warning", first=pulls[0] + 2 * NS,
                 last=cl.ago(21), count=len(pulls) * 9 + 4, host=node, field_path=fp)
    S.secret(cl, ns, secret, [".dockerconfigjson"], created=cl.ago(200 * DAY), typ="kubernetes.io/dockerconfigjson")
    return graph


def base(name: str, when: str, context: str, *, gpu: str = "H100", gpus: int = 8, names: list[str] | None = None,
         cpu_node: str | None = "platform-01", hami: bool = False, sc: str | None = "gp3", driver: str = "550.127.05",
         cuda: str = "12.4") -> Env:
    """A cluster with system node, GPU nodes, kube-system, a storage class and the nvidia RuntimeClass."""
    cl = Cluster(name, parse_time(when), context)
    if cpu_node:
        S.cpu_node(cl, cpu_node, 0)
    e = Env(cl, hami=hami)
    e.gpu_nodes = S.gpu_nodes(cl, names or ["gpu-node-1", "gpu-node-2"], gpu, gpus, hami=hami, driver=driver, cuda=cuda)
    if sc:
        S.storage_class(cl, sc)
    S.runtime_class(cl)
    S.kube_system(cl)
    return e


# ---------------------------------------------------------------------------------------------
# 3


@scenario("vllm-cuda-oom-crashloop")
def vllm_cuda_oom_crashloop() -> tuple[Cluster, dict]:
    cl = Cluster("vllm-cuda-oom-crashloop", parse_time("2026-11-21T03:27:00Z"), "gke_acme-ml_us-central1_serving-1")
    S.cpu_node(cl, "gke-serving-1-default-pool-5c2a9e1b-x7qd", 0)
    e = Env(cl)
    h100 = S.gpu_nodes(cl, ["gke-serving-1-h100-pool-8f3e21aa-m2kc"], "H100", 8, created_days=70)
    l40s = S.gpu_nodes(cl, ["gke-serving-1-l40s-pool-0b9d4c71-5rtz", "gke-serving-1-l40s-pool-0b9d4c71-q8wn"], "L40S", 4,
                       created_days=30)
    e.gpu_nodes = h100 + l40s
    # the H100 node was cordoned and drained for a driver upgrade 40 minutes ago
    hn = cl.node(h100[0].name).obj
    hn["spec"]["unschedulable"] = True
    hn["spec"]["taints"] = [{"effect": "NoSchedule", "key": "node.kubernetes.io/unschedulable",
                             "timeAdded": S.rfc3339(cl.ago(41 * 60))}]
    S.storage_class(cl, "standard-rwo")
    S.runtime_class(cl)
    S.kube_system(cl)
    p = S.dynamo_platform(e, "dynamo-system")
    r = oom_crashloop(e, p, "llm", "qwen3-32b", EN.QWEN3_32B, l40s[0].name, start_ago_s=38 * 60, lost_ago_s=41 * 60,
                      gpu_total_gib=44.39)
    wpod = r["pod"]
    S.gpu_operator(e, gpu_pods={wpod["spec"]["nodeName"]: {0: ("llm", wpod["metadata"]["name"], "main")}})
    return cl, {"root_causes": ["runtime.cuda_oom"],
                "notes": f"llm/{wpod['metadata']['name']} (the only decode worker of DGD qwen3-32b) was rescheduled "
                         f"from the cordoned H100 node to an L40S (44.39 GiB) where Qwen3-32B weights do not fit: every "
                         f"run dies in load_model with torch.OutOfMemoryError (current and previous log; the front "
                         f"process then prints 'Engine core initialization failed'), CrashLoopBackOff with "
                         f"restartCount {r['restarts']}, lastState Error exit 1. The frontend logs 'removed model' then "
                         f"503 'no instances found' and 404s: symptoms of the OOM."}


# ---------------------------------------------------------------------------------------------
# 6


@scenario("image-pull-auth")
def image_pull_auth() -> tuple[Cluster, dict]:
    e = base("image-pull-auth", "2026-11-18T16:05:00Z", "kubernetes-admin@dgx-cluster", names=["dgx-h100-01", "dgx-h100-02"],
             cpu_node="dgx-mgmt-01", sc="nfs-client")
    p = S.dynamo_platform(e, "dynamo-system")
    image_pull_graph(e, p, "inference", "llama-agg", EN.LLAMA_8B, age_s=47 * 60, secret="nvcr-pull")
    S.gpu_operator(e)
    return e.cl, {"root_causes": ["image.pull_auth"],
                  "notes": "Both llama-agg decode workers in inference/ are Pending in ImagePullBackOff: kubelet 'Failed "
                           "to pull image \"nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.7.1\" ... 401 Unauthorized' from the "
                           "nvcr.io token endpoint, with imagePullSecrets nvcr-pull (an NGC key that no longer works). "
                           "The frontend runs from the node's cached image but never sees a model (no 'added model')."}


# ---------------------------------------------------------------------------------------------
# 4


@scenario("hami-webhook-not-applied")
def hami_webhook_not_applied() -> tuple[Cluster, dict]:
    e = base("hami-webhook-not-applied", "2026-11-17T09:12:00Z", "prod-inference@rancher",
             names=["gpu-l40s-01", "gpu-l40s-02", "gpu-l40s-03"], gpu="L40S", gpus=4, cpu_node=None, hami=True,
             sc="longhorn")
    cl = e.cl
    ns = "serving"
    cl.ns(ns, 80 * DAY)
    S.root_ca(cl, ns)
    S.secret(cl, ns, "hf-token", ["token"], created=cl.ago(70 * DAY))
    # placed by HAMi last week, before the failed upgrade removed the webhook configuration
    allocations = []
    for i, (name, m, ni, gi, mem, cores) in enumerate([("embed-qwen25-7b", EN.QWEN25_7B, 0, 0, 20480, 40),
                                                      ("chat-mistral-7b", EN.MISTRAL_7B, 1, 2, 22528, 50)]):
        gn = e.gpu_nodes[ni]
        pod = plain_vllm(e, ns, name, m, node=gn.name, hami=(gn, gi, mem, cores), scheduler="hami-scheduler",
                         gpu_req={"nvidia.com/gpu": "1", "nvidia.com/gpumem": str(mem), "nvidia.com/gpucores": str(cores)},
                         created_h=150 + 20 * i, load=0.25, req_every_s=7.0, window_h=0.5)
        allocations.append((ns, pod["metadata"]["name"], gi, gn.name, mem, cores))
    S.hami(e, webhook=False, allocations=allocations, helm_status="failed")
    p = S.dynamo_platform(e, "dynamo-system", sc="longhorn")
    n = len(cl.nodes)
    msg = (f"0/{n} nodes are available: {n} Insufficient nvidia.com/gpumem. preemption: 0/{n} nodes are available: "
           f"{n} No preemption victims found for incoming pod.")
    created = cl.ago(33 * 60)
    workers = [WorkerPlan(unscheduled=True, ready=False, log=[], metrics=False) for _ in range(2)]
    fe = EN.dynamo_frontend_startup(cl.rng, created + 30 * NS, dyn_ns="mistral-agg", etcd=p.etcd, nats=p.nats)
    for t in L.spread(cl.rng, created + 300 * NS, cl.now, 40, jitter=0.9):
        fe.append(L.dyn(t, "WARN", f'http-request{{method=POST uri=/v1/chat/completions version=HTTP/1.1 '
                        f'x_request_id="{cl.rng.uid()}"}}: dynamo_llm::http::service::openai',
                        f"Model not found: {EN.MISTRAL_7B.name}", "status=404"))
    graph = S.dynamo_graph(e, p, ns, "mistral-agg", EN.MISTRAL_7B, workers=workers, frontend_log=fe, created_h=33 / 60,
                           frontend_ok_requests=0, frontend_errors={"not_found": 46}, cache_sc="longhorn",
                           gpu_resources={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "20480"},
                           worker_pod_kw={"phase": "Pending", "unschedulable": msg})
    tries = [created + int(x * NS) for x in (1, 2, 4, 9, 17, 34, 66, 131, 261, 521, 821, 1121, 1421, 1721, 1921)]
    for pod in graph["decode"]:
        cl.event(ns, pod, "FailedScheduling", msg, type="Warning", first=tries[0], last=tries[-1], count=len(tries),
                 component="default-scheduler", new_api=True, action="Scheduling",
                 instance=f"default-scheduler-{cl.nodes[0].name}")
    return cl, {"root_causes": ["hami.webhook_not_applied"],
                "notes": "serving/mistral-agg decode workers request nvidia.com/gpumem=20480 but keep schedulerName "
                         "default-scheduler: no MutatingWebhookConfiguration for vgpu.hami.io exists (cluster/"
                         "mutatingwebhookconfigurations.json is empty; helm release hami revision 4 failed 5 days ago), so the pods "
                         "never reach hami-scheduler and default-scheduler reports '0/3 nodes are available: 3 "
                         "Insufficient nvidia.com/gpumem' (nodes advertise only nvidia.com/gpu). Older pods in the same "
                         "namespace carry hami.io annotations and schedulerName hami-scheduler."}


# ---------------------------------------------------------------------------------------------
# 5


@scenario("model-download-401")
def model_download_401() -> tuple[Cluster, dict]:
    e = base("model-download-401", "2026-11-16T21:48:00Z", "aks-llm-westeurope-admin",
             names=["aks-gpu-31866094-vmss000000", "aks-gpu-31866094-vmss000001"], gpu="A100-80", gpus=4,
             cpu_node="aks-system-12345678-vmss000000", sc="managed-csi")
    cl = e.cl
    p = S.dynamo_platform(e, "dynamo-system", sc="managed-csi")
    m = EN.LLAMA_8B
    ns, dgd = "llm", "llama31-8b"
    start = cl.ago(26 * 60)

    def run_log(t0: int, t_end: int) -> L.Lines:
        d = L.dyn
        lines = [d(t0, "INFO", "dynamo_runtime::distributed", f"Initializing DistributedRuntime (etcd: {p.etcd}, nats: {p.nats})"),
                 d(t0 + 20 * MS, "INFO", "dynamo_runtime::transports::etcd", f"Connected to etcd at {p.etcd}"),
                 d(t0 + 33 * MS, "INFO", "dynamo_runtime::transports::nats", f"Connected to NATS server at {p.nats}"),
                 d(t0 + 61 * MS, "INFO", "dynamo_runtime::system_status_server", "System status server listening on 0.0.0.0:9090"),
                 d(t0 + 400 * MS, "INFO", "main.worker", f"Starting decode worker for model {m.name} in namespace {dgd}"),
                 L.vllm(t0 + 2100 * MS, "INFO", "__init__.py:216", "Automatically detected platform cuda.")]
        rid = f"Root=1-{cl.rng.hex(8)}-{cl.rng.hex(24)};{cl.rng.uid()}"
        lines += EN.hf_gated_401(min(t0 + 3400 * MS, t_end - NS), m.name, rid)
        return lines

    all_runs = [crash_runs(cl, start + i * 4 * NS, (11, 17)) for i in range(2)]
    workers = [crashloop_plan(cl, all_runs[i], run_log, node=e.gpu_nodes[i].name) for i in range(2)]
    fe = EN.dynamo_frontend_startup(cl.rng, start - 20 * NS, dyn_ns=dgd, etcd=p.etcd, nats=p.nats)
    graph = S.dynamo_graph(e, p, ns, dgd, m, workers=workers, frontend_log=fe, created_h=27 / 60, frontend_ok_requests=0,
                           cache_sc="managed-csi", worker_args=["--max-model-len", "32768"])
    # the secret exists, but its key is lower-case: envFrom exports hf_token, which huggingface_hub ignores
    for s in cl.ns(ns).objects["secrets"]:
        if s["metadata"]["name"] == "hf-token-secret":
            s["data"] = {"hf_token": ""}
    for pod, runs in zip(graph["decode"], all_runs):
        fix_crashloop_pod(pod, ns, runs[0][0])
        crashloop_events(cl, ns, pod, runs, S.DYNAMO_IMAGE)
    S.gpu_operator(e)
    return cl, {"root_causes": ["access.model_auth"],
                "notes": "llm/llama31-8b decode workers crash every ~15 s (CrashLoopBackOff, exit 1) while vLLM reads "
                         "config.json of the gated meta-llama/Llama-3.1-8B-Instruct: requests HTTPError 401 -> "
                         "huggingface_hub.errors.GatedRepoError 'Cannot access gated repo ... Please log in.' -> "
                         "transformers OSError 'You are trying to access a gated repo.'. Secret hf-token-secret is "
                         "mounted with envFrom but holds key 'hf_token' instead of HF_TOKEN, so no token is sent."}


# ---------------------------------------------------------------------------------------------
# 7


@scenario("pvc-pending-no-storageclass")
def pvc_pending_no_storageclass() -> tuple[Cluster, dict]:
    e = base("pvc-pending-no-storageclass", "2026-11-15T11:20:00Z", "kind-gpu-lab", names=["lab-gpu-01", "lab-gpu-02"],
             gpu="L40S", gpus=2, cpu_node="lab-cp-01", sc=None)
    cl = e.cl
    cp = cl.node("lab-cp-01").obj
    cp["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] = ""
    cp["spec"]["taints"] = [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]
    p = S.dynamo_platform(e, "dynamo-system", sc="")
    n = len(cl.nodes)
    msg = (f"0/{n} nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/{n} nodes are "
           f"available: {n} Preemption is not helpful for scheduling.")
    ns, dgd = "dynamo-cloud", "qwen-agg"
    created = cl.ago(52 * 60)
    workers = [WorkerPlan(unscheduled=True, ready=False, log=[], metrics=False) for _ in range(2)]
    fe = EN.dynamo_frontend_startup(cl.rng, created + 25 * NS, dyn_ns=dgd, etcd=p.etcd, nats=p.nats)
    graph = S.dynamo_graph(e, p, ns, dgd, EN.QWEN25_7B, workers=workers, frontend_log=fe, created_h=52 / 60,
                           frontend_ok_requests=0, cache_sc=None, cache_bound=False,
                           worker_pod_kw={"phase": "Pending", "unschedulable": msg})
    pvc = [x for x in cl.ns(ns).objects["pvcs"] if x["metadata"]["name"] == f"{dgd}-model-cache"][0]
    cl.event(ns, pvc, "FailedBinding", "no persistent volumes available for this claim and no storage class is set",
             first=created + NS, last=cl.ago(4), count=int((cl.now - created) / NS / 15), component="persistentvolume-controller")
    tries = [created + int(x * NS) for x in (1, 2, 4, 9, 17, 34, 66, 131, 261, 521, 821, 1121, 1421, 1721, 2021, 2321, 2621, 2921)]
    for pod in graph["decode"]:
        cl.event(ns, pod, "FailedScheduling", msg, type="Warning", first=tries[0], last=tries[-1], count=len(tries),
                 component="default-scheduler", new_api=True, action="Scheduling", instance="default-scheduler-lab-cp-01")
    S.gpu_operator(e)
    return cl, {"root_causes": ["storage.pvc_pending"],
                "notes": "dynamo-cloud/qwen-agg-model-cache (ReadWriteMany, no storageClassName) stays Pending: the "
                         "cluster has no StorageClass at all (cluster/storageclasses.json is empty) and no matching PV, "
                         "event FailedBinding 'no persistent volumes available for this claim and no storage class is "
                         "set'. Both decode workers are Pending with FailedScheduling 'pod has unbound immediate "
                         "PersistentVolumeClaims'. etcd and NATS use pre-created local PVs and are fine."}


# ---------------------------------------------------------------------------------------------
# 8


@scenario("kv-cache-too-small")
def kv_cache_too_small() -> tuple[Cluster, dict]:
    e = base("kv-cache-too-small", "2026-11-14T08:31:00Z", "oke-cluster-c3x7b2kq",
             names=["10.0.10.87", "10.0.10.142"], gpu="L40S", gpus=4, cpu_node="10.0.10.21", sc="oci-bv")
    cl = e.cl
    ns = "genai"
    cl.ns(ns, 30 * DAY)
    S.root_ca(cl, ns)
    S.secret(cl, ns, "hf-token", ["token"], created=cl.ago(29 * DAY))
    plain_vllm(e, ns, "mistral-7b-instruct", EN.MISTRAL_7B, node=e.gpu_nodes[1].name, gpu_req={"nvidia.com/gpu": "1"},
               created_h=90, load=0.3, req_every_s=5.0, window_h=0.6)
    m = EN.LLAMA_8B
    image = "vllm/vllm-openai:v0.6.6.post1"
    start = cl.ago(19 * 60)
    runs = crash_runs(cl, start, (27, 31))

    def run_log(t0: int, t_end: int) -> L.Lines:
        return EN.vllm_v0_kv_too_small(cl.rng, t0, m, max_len=131072, blocks=5975, total_gib=44.32, kv_gib=11.67,
                                       activation_gib=13.09)

    last_start, last_end = runs[-1]

    def ctr(i: int) -> list[Ctr]:
        return [Ctr("vllm", image, args=["--model", m.name, "--max-model-len", "131072", "--disable-log-requests"],
                    ports=[(8000, "http")], env=[env_secret("HF_TOKEN", "hf-token", "token")],
                    requests={"cpu": "6", "memory": "40Gi"}, limits={"memory": "48Gi", "nvidia.com/gpu": "1"},
                    liveness=http_probe("/health", "http", delay=240, period=10, failure=3),
                    readiness=http_probe("/health", "http", delay=30, period=5, failure=3),
                    mounts=[mount("/root/.cache/huggingface", "hf-cache"), mount("/dev/shm", "dshm")],
                    state=waiting("CrashLoopBackOff", "x"), ready=False, restarts=len(runs) - 1, started=False,
                    last_state=terminated("Error", 1, last_start, last_end, f"containerd://{cl.rng.hex(64)}"))]
    pods = S.deployment_pods(cl, ns, "llama31-8b-128k", replicas=1, labels={"app": "llama31-8b-128k"},
                             created=start - 8 * NS, containers_fn=ctr, nodes=[e.gpu_nodes[0].name],
                             volumes=[S.empty_dir("hf-cache"), S.empty_dir("dshm", "Memory", "16Gi")])
    pod = pods[0]
    fix_crashloop_pod(pod, ns, start)
    pname = pod["metadata"]["name"]
    cl.log(ns, pname, "vllm", run_log(*runs[-1]))
    cl.log(ns, pname, "vllm", run_log(*runs[-2]), previous=True)
    crashloop_events(cl, ns, pod, runs, image, container="vllm")
    S.service(cl, ns, "llama31-8b-128k", [("http", 8000, "http")], {"app": "llama31-8b-128k"}, created=start)
    S.gpu_operator(e)
    return cl, {"root_causes": ["runtime.kv_cache_capacity"],
                "notes": f"genai/{pname} (vllm/vllm-openai:v0.6.6.post1, Llama-3.1-8B on a 44 GiB L40S) starts with "
                         "--max-model-len 131072; after profiling only 11.67 GiB are left for KV cache (5975 blocks = "
                         "95600 tokens) and the engine raises 'ValueError: The model's max seq len (131072) is larger "
                         "than the maximum number of tokens that can be stored in KV cache (95600)'. The API server then "
                         "fails with 'Engine process failed to start'; CrashLoopBackOff, exit 1."}


# ---------------------------------------------------------------------------------------------
# 9


@scenario("disagg-prefill-engine-dead")
def disagg_prefill_engine_dead() -> tuple[Cluster, dict]:
    e = base("disagg-prefill-engine-dead", "2026-11-22T01:05:00Z", "dynamo-ft@coreweave-lga1",
             names=["g9b4f1c", "g9b4f2d", "g9b4f3a"], cpu_node="c1a7e20")
    cl = e.cl
    p = S.dynamo_platform(e, "dynamo-system", sc="shared-vast")
    m = EN.LLAMA_70B_FP8
    dgd, ns = "llama70b-disagg", "dynamo"
    created = cl.ago(3 * HOUR)
    died = cl.ago(14 * 60)
    pf_start = created + 9 * NS
    # prefill worker: healthy until its EngineCore process is killed, then every request fails
    lines, t_ready = EN.dynamo_worker_startup(cl.rng, pf_start, m, dyn_ns=dgd, role="prefill", etcd=p.etcd, nats=p.nats)
    eng = [x for x in lines if "EngineCore_DP0 pid=" in x[1]][0][1].split(")")[0][1:]
    lines += L.vllm_stats(cl.rng, t_ready + 5 * NS, died, load=0.6)
    lines.append(L.vllm(died + 120 * MS, "ERROR", "core_client.py:564",
                        f"Engine core proc {eng.split(' ')[0]} died unexpectedly, shutting down client."))
    err = ("vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue. See stack trace (above) for "
           "the root cause.")
    frames = [(f"{EN.SITE}/vllm/v1/engine/async_llm.py", 439, "output_handler", "outputs = await engine_core.get_output_async()"),
              (f"{EN.SITE}/vllm/v1/engine/core_client.py", 845, "get_output_async", "raise self._format_exception(outputs) from None")]
    lines.append(L.vllm(died + 125 * MS, "ERROR", "async_llm.py:480", "AsyncLLM output_handler failed."))
    lines += [L.vllm(tt, "ERROR", "async_llm.py:480", x) for tt, x in L.traceback_lines(died + 126 * MS, frames, err)]
    for t in L.spread(cl.rng, died + NS, cl.now, 6.0, jitter=0.8):
        rid = cl.rng.uid()
        lines.append(L.dyn(t, "ERROR", "handlers.generate", f"Prefill request {rid} failed: EngineCore encountered an "
                           "issue. See stack trace (above) for the root cause."))
        lines.append(L.vllm(t + 2 * MS, "ERROR", "async_llm.py:525", f"AsyncLLM.generate() failed for request {rid}: "
                            "EngineCore encountered an issue."))
    prefill = WorkerPlan(role="prefill", node=e.gpu_nodes[0].name, ready=False, log=lines, metrics=False,
                         metric_error=None)
    decode: list[WorkerPlan] = []
    for i in (1, 2):
        dl, t_ok = EN.dynamo_worker_startup(cl.rng, created + (12 + i) * NS, m, dyn_ns=dgd, role="decode", etcd=p.etcd,
                                            nats=p.nats)
        dl += L.vllm_stats(cl.rng, t_ok + 5 * NS, died, load=0.5)
        for t in L.spread(cl.rng, died + 2 * NS, cl.now, 8.0, jitter=0.8):
            dl.append(L.dyn(t, "ERROR", "dynamo_runtime::pipeline::network::egress::push_router",
                            "Remote prefill failed: remote error: EngineCore encountered an issue. See stack trace "
                            "(above) for the root cause.", f'instance_id={cl.rng.randint(10**17, 10**18):x} '
                                                           f'request_id="{cl.rng.uid()}"'))
        decode.append(WorkerPlan(role="decode", node=e.gpu_nodes[i].name, log=dl))
    fe = EN.dynamo_frontend_startup(cl.rng, created + 4 * NS, dyn_ns=dgd, etcd=p.etcd, nats=p.nats, router="kv")
    fe += EN.frontend_added_model(t_ready + 2 * NS, m, dgd)
    n500 = 0
    for t in L.spread(cl.rng, died + 2 * NS, cl.now, 5.0, jitter=0.8):
        n500 += 1
        fe.append(L.dyn(t, "ERROR", f'http-request{{method=POST uri=/v1/chat/completions version=HTTP/1.1 '
                        f'x_request_id="{cl.rng.uid()}"}}: dynamo_llm::http::service::openai',
                        "Internal server error: Failed to generate completions: remote error: EngineCore encountered "
                        "an issue. See stack trace (above) for the root cause.", "status=500"))
    graph = S.dynamo_graph(e, p, ns, dgd, m, workers=[prefill] + decode, frontend_log=fe, created_h=3,
                           frontend_ok_requests=40_112, frontend_errors={"internal": n500}, cache_sc="shared-vast",
                           worker_args=["--max-model-len", "32768", "--kv-transfer-config",
                                        '{"kv_connector":"NixlConnector","kv_role":"kv_both"}'])
    pf = graph["prefill"][0]
    node = pf["spec"]["nodeName"]
    cl.event(ns, pf, "Unhealthy", 'Readiness probe failed: HTTP probe failed with statuscode: 503', type="Warning",
             first=died + 8 * NS, last=cl.ago(6), count=int((cl.now - died) / NS / 10), host=node,
             field_path="spec.containers{main}")
    S.gpu_operator(e, gpu_pods={n.name: {0: (ns, pod["metadata"]["name"], "main")}
                                for n, pod in zip(e.gpu_nodes, graph["prefill"] + graph["decode"])})
    return cl, {"root_causes": ["runtime.engine_dead"],
                "notes": f"Disaggregated DGD {dgd}: the prefill worker's EngineCore process died 14 minutes before "
                         f"collection ('Engine core proc EngineCore_DP0 died unexpectedly', then EngineDeadError for "
                         f"every prefill request; no CUDA or Xid error, the process was killed). The pod stays Running "
                         f"but not Ready (readiness 503). Both decode workers log 'Remote prefill failed' and the "
                         f"frontend returns 500s: symptoms of the dead prefill engine."}


# ---------------------------------------------------------------------------------------------
# 10


ETCD_PANIC = ["panic: failed to recover v3 backend from snapshot", "",
              "goroutine 1 [running]:",
              "go.uber.org/zap/zapcore.CheckWriteAction.OnWrite(0x0?, 0x0?, {0x0?, 0x0?, 0xc0001c2a80?})",
              "\tgo.uber.org/zap@v1.17.0/zapcore/entry.go:198 +0x65",
              "go.uber.org/zap/zapcore.(*CheckedEntry).Write(0xc0001ae0d0, {0xc000236240, 0x1, 0x1})",
              "\tgo.uber.org/zap@v1.17.0/zapcore/entry.go:264 +0x3ec",
              "go.uber.org/zap.(*Logger).Panic(0xc000116000?, {0x1173a4e?, 0x0?}, {0xc000236240, 0x1, 0x1})",
              "\tgo.uber.org/zap@v1.17.0/logger.go:227 +0x51",
              "go.etcd.io/etcd/server/v3/etcdserver.NewServer({{0xc0001a2000, 0x1b}, {0x0, 0x0}, {0x0, 0x0}, {0xc00021e090, 0x1, 0x1}, {0xc00021e0c0, 0x1, 0x1}, ...})",
              "\tgo.etcd.io/etcd/server/v3/etcdserver/server.go:515 +0x1656",
              "go.etcd.io/etcd/server/v3/embed.StartEtcd(0xc000262000)",
              "\tgo.etcd.io/etcd/server/v3/embed/etcd.go:245 +0xef8",
              "go.etcd.io/etcd/server/v3/etcdmain.startEtcd(0xc000262000)",
              "\tgo.etcd.io/etcd/server/v3/etcdmain/etcd.go:228 +0x32",
              "go.etcd.io/etcd/server/v3/etcdmain.startEtcdOrProxyV2({0xc000134000, 0x1, 0x1})",
              "\tgo.etcd.io/etcd/server/v3/etcdmain/etcd.go:123 +0x1b1c",
              "go.etcd.io/etcd/server/v3/etcdmain.Main({0xc000134000, 0x1, 0x1})",
              "\tgo.etcd.io/etcd/server/v3/etcdmain/main.go:40 +0x11e",
              "main.main()",
              "\tgo.etcd.io/etcd/server/v3/main.go:32 +0x45"]


@scenario("etcd-nats-unreachable")
def etcd_nats_unreachable() -> tuple[Cluster, dict]:
    e = base("etcd-nats-unreachable", "2026-11-13T13:58:00Z", "gpu-prod-eu@openshift", names=["worker-gpu-0", "worker-gpu-1"],
             gpu="A100-80", gpus=8, cpu_node="infra-0", sc="ocs-storagecluster-ceph-rbd")
    cl = e.cl
    crash_start = cl.ago(34 * 60)
    runs = crash_runs(cl, crash_start, (0.8, 1.4))
    last_start, last_end = runs[-1]

    def etcd_over(c: Ctr) -> None:
        c.state = waiting("CrashLoopBackOff", "x")
        c.last_state = terminated("Error", 2, last_start, last_end, f"containerd://{cl.rng.hex(64)}")
        c.ready, c.restarts, c.started = False, len(runs), False

    p = S.dynamo_platform(e, "dynamo-system", etcd_ok=False, etcd_override=etcd_over, sc="ocs-storagecluster-ceph-rbd")
    etcd_pod = [x for x in cl.ns("dynamo-system").pods if x["metadata"]["name"].endswith("-etcd-0")][0]

    def etcd_run(t0: int) -> L.Lines:
        E = L.etcd
        out = [E(t0, "info", "etcdmain/etcd.go:73", "Running: ", args=["etcd"]),
               E(t0 + 2 * MS, "info", "etcdmain/etcd.go:116", "server has been already initialized",
                 **{"data-dir": "/bitnami/etcd/data", "dir-type": "member"}),
               E(t0 + 5 * MS, "info", "embed/etcd.go:128", "configuring peer listeners", **{"listen-peer-urls": ["http://0.0.0.0:2380"]}),
               E(t0 + 7 * MS, "info", "embed/etcd.go:136", "configuring client listeners", **{"listen-client-urls": ["http://0.0.0.0:2379"]}),
               E(t0 + 31 * MS, "info", "etcdserver/backend.go:81", "opened backend db", path="/bitnami/etcd/data/member/snap/db",
                 took="5.871311ms"),
               E(t0 + 40 * MS, "info", "etcdserver/server.go:508", "recovered v2 store from snapshot",
                 **{"snapshot-index": 500005, "snapshot-size": "8.9 kB"}),
               E(t0 + 44 * MS, "panic", "etcdserver/server.go:515", "failed to recover v3 backend from snapshot",
                 error="failed to find database snapshot file (snap: snapshot file doesn't exist)")]
        out += [(t0 + 45 * MS + i * 1000, line) for i, line in enumerate(ETCD_PANIC)]
        return out

    cl.log("dynamo-system", etcd_pod["metadata"]["name"], "etcd", etcd_run(last_start))
    cl.log("dynamo-system", etcd_pod["metadata"]["name"], "etcd", etcd_run(runs[-2][0]), previous=True)
    fix_crashloop_pod(etcd_pod, "dynamo-system", crash_start, created=cl.ago(21 * DAY))
    crashloop_events(cl, "dynamo-system", etcd_pod, runs, "docker.io/bitnami/etcd:3.5.18-debian-12-r1", container="etcd",
                     scheduled=False)
    m = EN.LLAMA_70B_FP8
    dgd, ns = "llama70b", "inference"
    lost = crash_start - 2 * NS

    def worker_run(t0: int, t_end: int) -> L.Lines:
        return [L.dyn(t0, "INFO", "dynamo_runtime::distributed", f"Initializing DistributedRuntime (etcd: {p.etcd}, nats: {p.nats})"),
                L.dyn(t0 + 5012 * MS, "ERROR", "dynamo_runtime::transports::etcd",
                      f"Unable to connect to etcd server at [\"{p.etcd}\"]. Check etcd server status"),
                L.dyn(t0 + 5014 * MS, "ERROR", "dynamo_runtime::worker", "Application shutdown with error: Unable to connect "
                      "to etcd server. Caused by: 0: grpc request error: status: Unavailable, message: \"tcp connect "
                      "error: Connection refused (os error 111)\"")]

    def first_life(t0: int) -> L.Lines:
        lines, t = EN.dynamo_worker_startup(cl.rng, t0, m, dyn_ns=dgd, role="decode", etcd=p.etcd, nats=p.nats)
        lines += L.vllm_stats(cl.rng, t + 5 * NS, lost, load=0.4)
        ka = 'grpc request error: status: Unavailable, message: "tcp connect error: Connection refused (os error 111)"'
        lines += [L.dyn(lost + 1 * NS, "WARN", "dynamo_runtime::transports::etcd::lease", f"keep alive failed: {ka}"),
                  L.dyn(lost + 4 * NS, "ERROR", "dynamo_runtime::transports::etcd::lease", "failed to issue heartbeat in time"),
                  L.dyn(lost + 4 * NS + 2 * MS, "ERROR", "dynamo_runtime::transports::etcd::lease",
                        f"keep alive task failed: {ka}"),
                  L.dyn(lost + 4 * NS + 9 * MS, "INFO", "dynamo_runtime::worker", "Runtime cancelled; shutting down")]
        return lines

    workers = []
    all_runs = [crash_runs(cl, lost + (9 + 4 * i) * NS, (1.5, 3)) for i in range(2)]
    for i, wruns in enumerate(all_runs):
        plan = crashloop_plan(cl, wruns, worker_run, node=e.gpu_nodes[i].name)
        plan.previous_log = worker_run(*wruns[-2]) if len(wruns) > 1 else first_life(cl.ago(9 * HOUR))
        plan.restarts = len(wruns)
        workers.append(plan)
    fe = EN.dynamo_frontend_startup(cl.rng, cl.ago(9 * HOUR), dyn_ns=dgd, etcd=p.etcd, nats=p.nats)
    fe += EN.frontend_added_model(cl.ago(9 * HOUR) + 150 * NS, m, dgd)
    fe += [L.dyn(lost + 200 * MS, "WARN", "dynamo_runtime::transports::etcd", "Watch stream unexpectedly closed for prefix 'v1/mdc/'"),
           L.dyn(lost + 300 * MS, "ERROR", "dynamo_runtime::transports::etcd",
                 "Failed to reconnect to ETCD for watching prefix 'v1/mdc/': grpc request error: status: Unavailable, "
                 "message: \"tcp connect error: Connection refused (os error 111)\""),
           L.dyn(lost + 5 * NS, "INFO", "dynamo_llm::discovery::watcher", "removed model", f'model_name="{m.name}" namespace="{dgd}"')]
    for t in L.spread(cl.rng, lost + 6 * NS, cl.now, 7.0, jitter=0.9):
        fe.append(L.dyn(t, "WARN", f'http-request{{method=POST uri=/v1/chat/completions version=HTTP/1.1 '
                        f'x_request_id="{cl.rng.uid()}"}}: dynamo_llm::http::service::openai', f"Model not found: {m.name}",
                        "status=404"))
    graph = S.dynamo_graph(e, p, ns, dgd, m, workers=workers, frontend_log=fe, created_h=9, frontend_ok_requests=9_310,
                           frontend_errors={"not_found": 290}, cache_sc="ocs-storagecluster-cephfs")
    for pod, wruns in zip(graph["decode"], all_runs):
        fix_crashloop_pod(pod, ns, wruns[0][0], created=cl.ago(9 * HOUR))
        crashloop_events(cl, ns, pod, wruns, S.DYNAMO_IMAGE, scheduled=False)
    S.gpu_operator(e)
    return cl, {"root_causes": ["control_plane.etcd"],
                "notes": "One root cause: dynamo-system/dynamo-platform-etcd-0 crash-loops (exit 2) with 'failed to "
                         "recover v3 backend from snapshot' (snapshot file missing after the volume was restored). NATS is "
                         "healthy (its log shows 'Server is ready' and no errors). Workers lost their etcd lease ('keep "
                         "alive failed', 'failed to issue heartbeat in time') and now crash at start with 'Unable to "
                         "connect to etcd server'; the frontend lost its watch and 'removed model', answering 404: all "
                         "symptoms of etcd."}


# ---------------------------------------------------------------------------------------------
# 11


def _torch_too_old_warning(t: int, site: str) -> L.Lines:
    return [(t, f"{site}/torch/cuda/__init__.py:182: UserWarning: CUDA initialization: The NVIDIA driver on your system "
                "is too old (found version 12020). Please update your GPU driver by downloading and installing a new "
                "version from the URL: http://www.nvidia.com/Download/index.aspx Alternatively, go to: https://pytorch.org "
                "to install a PyTorch version that has been compiled with your version of the CUDA driver. (Triggered "
                "internally at /pytorch/c10/cuda/CUDAFunctions.cpp:109.)"),
            (t + 1000, "  return torch._C._cuda_getDeviceCount() > 0")]


@scenario("driver-cuda-mismatch")
def driver_cuda_mismatch() -> tuple[Cluster, dict]:
    e = base("driver-cuda-mismatch", "2026-11-12T17:40:00Z", "gpu-lab", names=["lab-4090-a", "lab-4090-b"], gpu="RTX4090",
             gpus=2, cpu_node="lab-ctrl", sc="local-path", driver="535.183.01", cuda="12.2")
    cl = e.cl
    p = S.dynamo_platform(e, "dynamo-system", sc="local-path")
    m = EN.QWEN25_7B
    dgd, ns = "qwen7b", "dynamo-lab"
    start = cl.ago(22 * 60)

    def run_log(t0: int, t_end: int) -> L.Lines:
        lines, tl = EN.dynamo_worker_startup(cl.rng, t0, m, dyn_ns=dgd, role="decode", etcd=p.etcd, nats=p.nats,
                                             upto="load", max_len=16384)
        lines = [x for x in lines if "loading" not in x[1].lower() and "weights format" not in x[1]
                 and "Flash Attention" not in x[1] and "FlashInfer" not in x[1] and "parallel_state" not in x[1]]
        lines += _torch_too_old_warning(t0 + 1900 * MS, EN.SITE)
        eng = [x for x in lines if "EngineCore_DP0 pid=" in x[1]][0][1].split(")")[0][1:]
        e_ = lambda tt, lvl, w, msg: L.vllm(tt, lvl, w, msg, eng)  # noqa: E731
        tf = max(x[0] for x in lines) + 300 * MS
        exc = ("RuntimeError: Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions before calling "
               "NumCudaDevices() that might have already set an error? Error 804: forward compatibility was attempted on "
               "non supported HW")
        frames = [(f"{EN.SITE}/vllm/v1/engine/core.py", 699, "run_engine_core", "engine_core = EngineCoreProc(*args, **kwargs)"),
                  (f"{EN.SITE}/vllm/v1/engine/core.py", 498, "__init__", "super().__init__(vllm_config, executor_class, log_stats,"),
                  (f"{EN.SITE}/vllm/v1/engine/core.py", 83, "__init__", "self.model_executor = executor_class(vllm_config)"),
                  (f"{EN.SITE}/vllm/executor/executor_base.py", 54, "__init__", "self._init_executor()"),
                  (f"{EN.SITE}/vllm/executor/uniproc_executor.py", 54, "_init_executor", 'self.collective_rpc("init_device")'),
                  (f"{EN.SITE}/vllm/executor/uniproc_executor.py", 83, "collective_rpc", "return [run_method(self.driver_worker, method, args, kwargs)]"),
                  (f"{EN.SITE}/vllm/utils/__init__.py", 3122, "run_method", "return func(*args, **kwargs)"),
                  (f"{EN.SITE}/vllm/worker/worker_base.py", 259, "init_device", "self.worker.init_device()  # type: ignore"),
                  (f"{EN.SITE}/vllm/v1/worker/gpu_worker.py", 171, "init_device", "current_platform.set_device(self.device)"),
                  (f"{EN.SITE}/vllm/platforms/cuda.py", 82, "set_device", "torch.cuda.set_device(device)"),
                  (f"{EN.SITE}/torch/cuda/__init__.py", 567, "set_device", "torch._C._cuda_setDevice(device)"),
                  (f"{EN.SITE}/torch/cuda/__init__.py", 410, "_lazy_init", "torch._C._cuda_init()")]
        lines.append(e_(tf, "ERROR", "core.py:708", "EngineCore failed to start."))
        lines += EN.traceback_prefixed(tf, frames, exc, e_, "core.py:708")
        lines += EN.raw_process_traceback(tf + 40 * MS, eng, frames, exc, EN.SITE)
        t2 = tf + 400 * MS
        lines.append(L.vllm(t2, "ERROR", "core_client.py:564", f"Engine core proc {eng.split(' ')[0]} died unexpectedly, shutting down client."))
        lines += EN.front_engine_init_failed(t2 + 200 * MS)
        return lines

    runs = crash_runs(cl, start, (14, 18))
    worker = crashloop_plan(cl, runs, run_log, node=e.gpu_nodes[0].name)
    fe = EN.dynamo_frontend_startup(cl.rng, start - 30 * NS, dyn_ns=dgd, etcd=p.etcd, nats=p.nats)
    graph = S.dynamo_graph(e, p, ns, dgd, m, workers=[worker], frontend_log=fe, created_h=23 / 60, frontend_ok_requests=0,
                           cache_sc="local-path", worker_args=["--max-model-len", "16384"])
    wpod = graph["decode"][0]
    # someone silenced the toolkit's NVIDIA_REQUIRE_CUDA check instead of upgrading the driver
    wpod["spec"]["containers"][0]["env"].append({"name": "NVIDIA_DISABLE_REQUIRE", "value": "true"})
    for d in cl.ns(ns).objects["deployments"]:
        if d["metadata"]["name"].endswith("vllmdecodeworker"):
            d["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "NVIDIA_DISABLE_REQUIRE", "value": "true"})
    fix_crashloop_pod(wpod, ns, start)
    crashloop_events(cl, ns, wpod, runs, S.DYNAMO_IMAGE)
    # a plain vLLM image without the compat libraries fails the other way
    pname_runs = crash_runs(cl, cl.ago(15 * 60), (9, 12))
    ls, le = pname_runs[-1]

    def plain_run(t0: int, t_end: int) -> L.Lines:
        v = lambda tt, lvl, w, msg: L.vllm(tt, lvl, w, msg, "APIServer pid=1")  # noqa: E731
        out = [v(t0, "INFO", "api_server.py:1839", "vLLM API server version 0.11.0")]
        out += [(tt, f"(APIServer pid=1) {x}") for tt, x in _torch_too_old_warning(t0 + 1500 * MS, EN.PLAIN_SITE)]
        out.append(v(t0 + 2100 * MS, "INFO", "__init__.py:216", "Automatically detected platform cuda."))
        exc = ("RuntimeError: The NVIDIA driver on your system is too old (found version 12020). Please update your GPU "
               "driver by downloading and installing a new version from the URL: http://www.nvidia.com/Download/index.aspx "
               "Alternatively, go to: https://pytorch.org to install a PyTorch version that has been compiled with your "
               "version of the CUDA driver.")
        frames = [("/usr/local/bin/vllm", 10, "<module>", "sys.exit(main())"),
                  (f"{EN.PLAIN_SITE}/vllm/entrypoints/cli/main.py", 54, "main", "args.dispatch_function(args)"),
                  (f"{EN.PLAIN_SITE}/vllm/entrypoints/cli/serve.py", 57, "cmd", "uvloop.run(run_server(args))"),
                  (f"{EN.PLAIN_SITE}/vllm/entrypoints/openai/api_server.py", 1884, "run_server", "await run_server_worker(listen_address, sock, args, **uvicorn_kwargs)"),
                  (f"{EN.PLAIN_SITE}/vllm/entrypoints/openai/api_server.py", 1902, "run_server_worker", "async with build_async_engine_client("),
                  (f"{EN.PLAIN_SITE}/vllm/entrypoints/openai/api_server.py", 180, "build_async_engine_client", "async with build_async_engine_client_from_engine_args("),
                  (f"{EN.PLAIN_SITE}/vllm/entrypoints/openai/api_server.py", 206, "build_async_engine_client_from_engine_args", "vllm_config = engine_args.create_engine_config(usage_context=usage_context)"),
                  (f"{EN.PLAIN_SITE}/vllm/engine/arg_utils.py", 1142, "create_engine_config", "device_config = DeviceConfig(device=cast(Device, current_platform.device_type))"),
                  (f"{EN.PLAIN_SITE}/vllm/config/device.py", 58, "__post_init__", "self.device = torch.device(self.device_type)"),
                  (f"{EN.PLAIN_SITE}/torch/cuda/__init__.py", 410, "_lazy_init", "torch._C._cuda_init()")]
        out += [(tt, f"(APIServer pid=1) {x}") for tt, x in L.traceback_lines(t0 + 2600 * MS, frames, exc)]
        return out

    def ctr(i: int) -> list[Ctr]:
        return [Ctr("vllm", "vllm/vllm-openai:v0.11.0", args=["--model", EN.MISTRAL_7B.name, "--max-model-len", "8192"],
                    ports=[(8000, "http")], requests={"cpu": "4", "memory": "24Gi"},
                    limits={"memory": "32Gi", "nvidia.com/gpu": "1"},
                    env=[{"name": "NVIDIA_DISABLE_REQUIRE", "value": "1"}],
                    readiness=http_probe("/health", "http", delay=30, period=5, failure=3),
                    state=waiting("CrashLoopBackOff", "x"), ready=False, restarts=len(pname_runs) - 1, started=False,
                    last_state=terminated("Error", 1, ls, le, f"containerd://{cl.rng.hex(64)}"))]
    cl.ns("lab")
    S.root_ca(cl, "lab")
    pods = S.deployment_pods(cl, "lab", "mistral-test", replicas=1, labels={"app": "mistral-test"},
                             created=pname_runs[0][0] - 8 * NS, containers_fn=ctr, nodes=[e.gpu_nodes[1].name])
    pod = pods[0]
    fix_crashloop_pod(pod, "lab", pname_runs[0][0])
    cl.log("lab", pod["metadata"]["name"], "vllm", plain_run(*pname_runs[-1]))
    cl.log("lab", pod["metadata"]["name"], "vllm", plain_run(*pname_runs[-2]), previous=True)
    crashloop_events(cl, "lab", pod, pname_runs, "vllm/vllm-openai:v0.11.0", container="vllm")
    # the CUDA sample the admin ran to check the node
    job_created = cl.ago(9 * 60)
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": cl.meta("cuda-vectoradd", "lab", job_created, {"app": "cuda-vectoradd"}, extra={"generation": 1}),
           "spec": {"backoffLimit": 0, "completionMode": "NonIndexed", "completions": 1, "parallelism": 1,
                    "template": {"spec": {"containers": [{"name": "cuda-vectoradd",
                                                          "image": "nvcr.io/nvidia/k8s/cuda-sample:vectoradd-cuda12.5.0"}],
                                          "restartPolicy": "Never"}}},
           "status": {"conditions": [{"lastProbeTime": S.rfc3339(job_created + 9 * NS), "lastTransitionTime": S.rfc3339(job_created + 9 * NS),
                                      "message": "Job has reached the specified backoff limit", "reason": "BackoffLimitExceeded",
                                      "status": "True", "type": "FailureTarget"},
                                     {"lastProbeTime": S.rfc3339(job_created + 9 * NS), "lastTransitionTime": S.rfc3339(job_created + 9 * NS),
                                      "message": "Job has reached the specified backoff limit", "reason": "BackoffLimitExceeded",
                                      "status": "True", "type": "Failed"}],
                      "failed": 1, "ready": 0, "startTime": S.rfc3339(job_created), "terminating": 0,
                      "uncountedTerminatedPods": {}}}
    cl.add("lab", "jobs", job)
    js, je = job_created + 3 * NS, job_created + 4 * NS
    jp = cl.pod("lab", f"cuda-vectoradd-{cl.rng.suffix(5)}", node=e.gpu_nodes[1].name, phase="Failed",
                containers=[Ctr("cuda-vectoradd", "nvcr.io/nvidia/k8s/cuda-sample:vectoradd-cuda12.5.0",
                                limits={"nvidia.com/gpu": "1"}, ready=False, started=False,
                                state=terminated("Error", 1, js, je, f"containerd://{cl.rng.hex(64)}"))],
                owner=Cluster.owner_ref(job), labels={"batch.kubernetes.io/job-name": "cuda-vectoradd", "job-name": "cuda-vectoradd"},
                created=job_created)
    jp["spec"]["restartPolicy"] = "Never"
    cl.log("lab", jp["metadata"]["name"], "cuda-vectoradd",
           [(js + 300 * MS, "[Vector addition of 50000 elements]"),
            (js + 310 * MS, "Failed to allocate device vector A (error code CUDA driver version is insufficient for CUDA runtime version)!")])
    S.gpu_operator(e)
    return cl, {"root_causes": ["gpu.driver_mismatch"],
                "notes": "The lab nodes run driver 535.183.01 (CUDA 12.2, node label nvidia.com/cuda.driver-version.full) "
                         "on GeForce RTX 4090 cards; the images need CUDA 12.5-12.9 and NVIDIA_DISABLE_REQUIRE was set to "
                         "skip the toolkit's check. Dynamo worker (image with cuda-compat): 'Error 804: forward "
                         "compatibility was attempted on non supported HW'; plain vLLM: 'The NVIDIA driver on your system "
                         "is too old (found version 12020)'; the cuda-vectoradd Job: 'CUDA driver version is insufficient "
                         "for CUDA runtime version'."}


# ---------------------------------------------------------------------------------------------
# 12


def lost_gpu_worker_log(cl: Cluster, p: S.Platform, m: EN.Model, dgd: str, jsonl: bool = True) -> Callable[[int, int], L.Lines]:
    """One run of a Dynamo vLLM worker whose GPU is gone (fell off the bus): CUDA initialisation
    fails with 'CUDA unknown error', torch sees no device, the engine core dies at start-up."""

    def run_log(t0: int, t_end: int) -> L.Lines:
        lines, tl = EN.dynamo_worker_startup(cl.rng, t0, m, dyn_ns=dgd, role="decode", etcd=p.etcd, nats=p.nats, upto="load", jsonl=jsonl)
        lines = [x for x in lines if "EngineCore" not in x[1] or "Waiting for init" in x[1] or "Initializing a V1" in x[1]]
        warn = (f"{EN.SITE}/torch/cuda/__init__.py:182: UserWarning: CUDA initialization: CUDA unknown error - this may be "
                "due to an incorrectly set up environment, e.g. changing env variable CUDA_VISIBLE_DEVICES after program "
                "start. Setting the available devices to be zero. (Triggered internally at "
                "/pytorch/c10/cuda/CUDAFunctions.cpp:119.)")
        lines += [(t0 + 1900 * MS, warn), (t0 + 1901 * MS, "  return torch._C._cuda_getDeviceCount() > 0")]
        eng = [x for x in lines if "EngineCore_DP0 pid=" in x[1]][0][1].split(")")[0][1:]
        e_ = lambda tt, lvl, w, msg: L.vllm(tt, lvl, w, msg, eng)  # noqa: E731
        tf = max(x[0] for x in lines) + 600 * MS
        frames = [(f"{EN.SITE}/vllm/v1/engine/core.py", 699, "run_engine_core", "engine_core = EngineCoreProc(*args, **kwargs)"),
                  (f"{EN.SITE}/vllm/v1/engine/core.py", 498, "__init__", "super().__init__(vllm_config, executor_class, log_stats,"),
                  (f"{EN.SITE}/vllm/v1/engine/core.py", 83, "__init__", "self.model_executor = executor_class(vllm_config)"),
                  (f"{EN.SITE}/vllm/executor/executor_base.py", 54, "__init__", "self._init_executor()"),
                  (f"{EN.SITE}/vllm/executor/uniproc_executor.py", 54, "_init_executor", 'self.collective_rpc("init_device")'),
                  (f"{EN.SITE}/vllm/executor/uniproc_executor.py", 83, "collective_rpc", "return [run_method(self.driver_worker, method, args, kwargs)]"),
                  (f"{EN.SITE}/vllm/utils/__init__.py", 3122, "run_method", "return func(*args, **kwargs)"),
                  (f"{EN.SITE}/vllm/worker/worker_base.py", 259, "init_device", "self.worker.init_device()  # type: ignore"),
                  (f"{EN.SITE}/vllm/v1/worker/gpu_worker.py", 171, "init_device", "current_platform.set_device(self.device)"),
                  (f"{EN.SITE}/vllm/platforms/cuda.py", 82, "set_device", "torch.cuda.set_device(device)"),
                  (f"{EN.SITE}/torch/cuda/__init__.py", 567, "set_device", "torch._C._cuda_setDevice(device)"),
                  (f"{EN.SITE}/torch/cuda/__init__.py", 410, "_lazy_init", "torch._C._cuda_init()")]
        exc = "RuntimeError: No CUDA GPUs are available"
        lines.append(e_(tf, "ERROR", "core.py:708", "EngineCore failed to start."))
        lines += EN.traceback_prefixed(tf, frames, exc, e_, "core.py:708")
        lines += EN.raw_process_traceback(tf + 40 * MS, eng, frames, exc, EN.SITE)
        lines.append(L.vllm(tf + 400 * MS, "ERROR", "core_client.py:564",
                            f"Engine core proc {eng.split(' ')[0]} died unexpectedly, shutting down client."))
        lines += EN.front_engine_init_failed(tf + 600 * MS)
        return lines

    return run_log


@scenario("xid79-gpu-fell-off-bus")
def xid79_gpu_fell_off_bus() -> tuple[Cluster, dict]:
    e = base("xid79-gpu-fell-off-bus", "2026-11-10T04:12:00Z", "arn:aws:eks:us-east-1:902117463318:cluster/genai-serving",
             names=_eks_names(2), cpu_node="ip-10-0-8-17.ec2.internal")
    cl = e.cl
    bad_node = e.gpu_nodes[1]
    bad_gpu = bad_node.gpus[3]
    bad_bus = bad_gpu.bus[:-2].lower()  # NVRM prints domain:bus:device
    xid_t = cl.ago(17 * 60)
    node_obj = cl.node(bad_node.name).obj
    node_obj["status"]["allocatable"]["nvidia.com/gpu"] = "7"
    p = S.dynamo_platform(e, "dynamo")
    m = EN.QWEN3_8B
    dgd, ns = "qwen3-agg", "dynamo"
    created = cl.ago(3.2 * HOUR)
    runs = crash_runs(cl, xid_t + 14 * NS, (19, 24))

    run_log = lost_gpu_worker_log(cl, p, m, dgd)

    workers = [WorkerPlan(node=e.gpu_nodes[0].name), WorkerPlan(node=e.gpu_nodes[0].name), WorkerPlan(node=bad_node.name),
               crashloop_plan(cl, runs, run_log, node=bad_node.name)]
    graph = S.dynamo_graph(e, p, ns, dgd, m, workers=workers, created_h=3.2, frontend_ok_requests=88_420, jsonl=True,
                           frontend_errors={"internal": 37}, worker_args=["--max-model-len", "32768"])
    dec = graph["decode"]
    broken = dec[3]
    fix_crashloop_pod(broken, ns, runs[0][0], created=created + 3 * NS)
    cl.event(ns, broken, "Pulled", f'Container image "{S.DYNAMO_IMAGE}" already present on machine', first=runs[0][0] - NS,
             last=runs[-1][0] - NS, count=len(runs), host=bad_node.name, field_path="spec.containers{main}")
    cl.event(ns, broken, "Created", "Created container main", first=runs[0][0] - 500 * MS, last=runs[-1][0] - 500 * MS,
             count=len(runs), host=bad_node.name, field_path="spec.containers{main}")
    cl.event(ns, broken, "Started", "Started container main", first=runs[0][0] - 200 * MS, last=runs[-1][0] - 200 * MS,
             count=len(runs), host=bad_node.name, field_path="spec.containers{main}")
    cl.event(ns, broken, "BackOff", f"Back-off restarting failed container main in pod {broken['metadata']['name']}_{ns}"
             f"({broken['metadata']['uid']})", type="Warning", first=runs[0][1] + NS, last=cl.ago(7),
             count=len(runs) * 4 + 5, host=bad_node.name, field_path="spec.containers{main}")
    # kernel and device-plugin evidence
    eng_pid = 280 + cl.rng.randint(0, 90)
    xid_line = f"NVRM: Xid (PCI:{bad_bus}): 79, pid={eng_pid}, name=VLLM::EngineCor, GPU has fallen off the bus."
    cl.node_event(bad_node.name, "NVRMXid", xid_line, type="Warning", first=xid_t, component="kernel-monitor",
                  host=bad_node.name)
    plugin = {bad_node.name: [
        L.klog(xid_t + 40 * MS, "I", "health.go:151", "Processing event {Device:{Handle:0x7f2b8c0043a0} EventType:8 EventData:79 "
                                                    "GpuInstanceId:4294967295 ComputeInstanceId:4294967295}"),
        L.klog(xid_t + 41 * MS, "I", "health.go:177", f"XidCriticalError: Xid=79 on Device={bad_gpu.uuid}; marking device as unhealthy."),
        L.klog(xid_t + 43 * MS, "I", "server.go:287", f"'nvidia.com/gpu' device marked unhealthy: {bad_gpu.uuid}")]}
    S.gpu_operator(e, plugin_extra=plugin, xid={bad_node.name: {3: 79}},
                   gpu_pods={e.gpu_nodes[0].name: {0: (ns, dec[0]["metadata"]["name"], "main"), 1: (ns, dec[1]["metadata"]["name"], "main")},
                             bad_node.name: {0: (ns, dec[2]["metadata"]["name"], "main"), 3: (ns, broken["metadata"]["name"], "main")}})
    # node-problem-detector saw the kernel line
    npd_labels = {"app": "node-problem-detector"}

    def npd(i: int, node: str) -> list[Ctr]:
        return [Ctr("node-problem-detector", "registry.k8s.io/node-problem-detector/node-problem-detector:v0.8.20",
                    command=["/node-problem-detector", "--logtostderr", "--config.system-log-monitor=/config/kernel-monitor.json"],
                    env=[S.env_field("NODE_NAME", "spec.nodeName")], requests={"cpu": "10m", "memory": "80Mi"},
                    limits={"cpu": "10m", "memory": "80Mi"}, mounts=[mount("/var/log", "log", True), mount("/config", "config", True)],
                    security_context={"privileged": True})]
    npods = S.daemonset_pods(cl, "kube-system", "node-problem-detector", labels=npd_labels, created=cl.ago(40 * DAY),
                             nodes=[n.name for n in cl.nodes], containers_fn=npd, service_account="node-problem-detector",
                             volumes=[S.host_path("log", "/var/log", ""), S.configmap_vol("config", "node-problem-detector-config")])
    for pod in npods:
        t0 = _t(pod["status"]["startTime"]) + 2 * NS
        node = pod["spec"]["nodeName"]
        lines = [L.klog(t0, "I", "custom_plugin_monitor.go:81", "Finish parsing custom plugin monitor config file /config/kernel-monitor.json"),
                 L.klog(t0 + 30 * MS, "I", "log_monitor.go:79", "Finish parsing log monitor config file /config/kernel-monitor.json"),
                 L.klog(t0 + 90 * MS, "I", "log_watcher.go:80", "Start watching journald"),
                 L.klog(t0 + 91 * MS, "I", "problem_detector.go:76", "Problem detector started"),
                 L.klog(t0 + 95 * MS, "I", "log_monitor.go:228", "Initialize condition generated: [{Type:KernelDeadlock Status:False "
                        "Transition:" + S.go_datetime(t0) + " +0000 UTC Reason:KernelHasNoDeadlock Message:kernel has no deadlock}]")]
        if node == bad_node.name:
            lines.append(L.klog(xid_t + 300 * MS, "I", "log_monitor.go:160", "New status generated: &{Source:kernel-monitor "
                                f"Events:[{{Severity:warn Timestamp:{S.go_datetime(xid_t)}.{cl.rng.randint(100, 999)} +0000 UTC "
                                f"Reason:NVRMXid Message:{xid_line}}}] Conditions:[]}}"))
        cl.log("kube-system", pod["metadata"]["name"], "node-problem-detector", lines)
    S.configmap(cl, "kube-system", "node-problem-detector-config", {"kernel-monitor.json": json_dumps({
        "plugin": "journald", "pluginConfig": {"source": "kernel"}, "logPath": "/var/log/journal", "lookback": "5m",
        "bufferSize": 10, "source": "kernel-monitor", "conditions": [{"type": "KernelDeadlock", "reason": "KernelHasNoDeadlock",
                                                                       "message": "kernel has no deadlock"}],
        "rules": [{"type": "temporary", "reason": "OOMKilling", "pattern": "Killed process \\d+ (.+) total-vm:\\d+kB, anon-rss:\\d+kB, file-rss:\\d+kB.*"},
                  {"type": "temporary", "reason": "NVRMXid", "pattern": "NVRM: Xid.*"}]})}, created=cl.ago(40 * DAY))
    gpu_ns = cl.ns("gpu-operator")
    dp = [x for x in gpu_ns.pods if x["metadata"]["name"].startswith("nvidia-device-plugin-daemonset")
          and x["spec"]["nodeName"] == bad_node.name][0]
    smi = f"Unable to determine the device handle for GPU{bad_gpu.bus.upper()}: GPU is lost.  Reboot the system to recover this GPU\n"
    gpu_ns.execs[(dp["metadata"]["name"], "nvidia-device-plugin")] = (["nvidia-smi"], smi, 15, "command terminated with exit code 15")
    return cl, {"root_causes": ["gpu.hardware"],
                "notes": f"GPU 3 ({bad_gpu.uuid}, PCI {bad_gpu.bus}) on {bad_node.name} fell off the bus 17 minutes "
                         f"before collection: node-problem-detector log and node event 'NVRM: Xid (PCI:{bad_bus}): 79 ... "
                         "GPU has fallen off the bus.', device plugin 'XidCriticalError: Xid=79 ... marking device as "
                         "unhealthy', allocatable nvidia.com/gpu 7 of 8, DCGM_FI_DEV_XID_ERRORS 79, nvidia-smi exec 'GPU is "
                         f"lost'. The decode worker on that GPU ({broken['metadata']['name']}) now crash-loops with 'No "
                         "CUDA GPUs are available'."}


# ---------------------------------------------------------------------------------------------
# 12b


# what the collector runs for a GPU node (collect-bundle.sh: DMESG_SCRIPT, HOST_KERNEL_SCRIPT with
# its --max-log-bytes line budget)
DMESG_SCRIPT = "dmesg -T 2>/dev/null || dmesg"
HOST_KERNEL_SCRIPT = (f"journalctl -k -o short-iso --no-pager -n {MAX_LOG_BYTES // 64 + 1} 2>/dev/null || "
                      "dmesg -T 2>/dev/null || dmesg")


@scenario("xid79-node-kernel-log")
def xid79_node_kernel_log() -> tuple[Cluster, dict]:
    cl = Cluster("xid79-node-kernel-log", parse_time("2026-12-07T10:30:00Z"),
                 "arn:aws:eks:us-west-2:318204667591:cluster/llm-serving")
    S.cpu_node(cl, "ip-10-0-8-36.us-west-2.compute.internal", 0)
    e = Env(cl)
    # H100 nodes get their driver from the GPU Operator's driver daemonset; the L40S node group
    # runs the EKS GPU AMI (driver on the host), so the operator deploys no driver pod there
    h100 = S.gpu_nodes(cl, _eks(cl, 3), "H100", 8, created_days=70)
    l40s = S.gpu_nodes(cl, _eks(cl, 1, offset=3), "L40S", 4, created_days=70)
    for n, deploy in [(n, "true") for n in h100] + [(n, "pre-installed") for n in l40s]:
        cl.node(n.name).obj["metadata"]["labels"]["nvidia.com/gpu.deploy.driver"] = deploy
    e.gpu_nodes = h100 + l40s
    S.storage_class(cl)
    S.runtime_class(cl)
    S.kube_system(cl)
    p = S.dynamo_platform(e, "dynamo-system")
    m = EN.LLAMA_8B
    dgd, ns = "llama-agg", "llm"
    bad_node = h100[1]
    bad_gpu = bad_node.gpus[5]
    xid_t = cl.ago(38 * 60)
    runs = crash_runs(cl, xid_t + 11 * NS, (19, 24))
    run_log = lost_gpu_worker_log(cl, p, m, dgd, jsonl=False)
    workers = [WorkerPlan(node=h100[0].name), WorkerPlan(node=bad_node.name),
               crashloop_plan(cl, runs, run_log, node=bad_node.name), WorkerPlan(node=h100[2].name)]
    created = cl.ago(1.5 * HOUR)
    graph = S.dynamo_graph(e, p, ns, dgd, m, workers=workers, created_h=1.5, frontend_ok_requests=41_260,
                           frontend_errors={"internal": 52}, worker_args=["--max-model-len", "32768"])
    dec = graph["decode"]
    broken = dec[2]
    fix_crashloop_pod(broken, ns, runs[0][0], created=created + 3 * NS)
    fp = "spec.containers{main}"
    cl.event(ns, broken, "Pulled", f'Container image "{S.DYNAMO_IMAGE}" already present on machine', first=runs[0][0] - NS,
             last=runs[-1][0] - NS, count=len(runs), host=bad_node.name, field_path=fp)
    cl.event(ns, broken, "Created", "Created container main", first=runs[0][0] - 500 * MS, last=runs[-1][0] - 500 * MS,
             count=len(runs), host=bad_node.name, field_path=fp)
    cl.event(ns, broken, "Started", "Started container main", first=runs[0][0] - 200 * MS, last=runs[-1][0] - 200 * MS,
             count=len(runs), host=bad_node.name, field_path=fp)
    cl.event(ns, broken, "BackOff", f"Back-off restarting failed container main in pod {broken['metadata']['name']}_{ns}"
             f"({broken['metadata']['uid']})", type="Warning", first=runs[0][1] + NS, last=cl.ago(9),
             count=len(runs) * 4 + 3, host=bad_node.name, field_path=fp)
    # plain vLLM servers: one on the L40S node, one next to the Dynamo worker on the third H100
    cl.ns("inference")
    S.root_ca(cl, "inference")
    S.secret(cl, "inference", "hf-token", ["token"], created=cl.ago(60 * DAY))
    mistral = plain_vllm(e, "inference", "mistral-7b-instruct", EN.MISTRAL_7B, node=l40s[0].name,
                         gpu_req={"nvidia.com/gpu": "1"}, created_h=70, load=0.25, req_every_s=7.0, window_h=0.75)
    chat = plain_vllm(e, "inference", "llama31-8b-chat", EN.LLAMA_8B, node=h100[2].name,
                      gpu_req={"nvidia.com/gpu": "1"}, created_h=52, load=0.35, req_every_s=6.0, window_h=0.75)
    # device plugin health checks were turned off in the ClusterPolicy (DP_DISABLE_HEALTHCHECKS=all),
    # and the DCGM exporter is not deployed: the node still advertises 8 GPUs, and only the kernel log
    # knows that one of them is gone
    drivers = S.gpu_operator(e, driver_nodes=[n.name for n in h100], dcgm=False, plugin_health_checks=False)

    # what the collector read on each GPU node
    used = {h100[0].name: {0: dec[0]}, bad_node.name: {0: dec[1], 5: broken}, h100[2].name: {0: dec[3], 1: chat},
            l40s[0].name: {0: mistral}}
    smi_at = cl.now - 62 * NS
    eng_pid = 280 + cl.rng.randint(0, 90)
    for gn in e.gpu_nodes:
        noise = N.pod_network_noise(cl.rng, cl.ago(40 * HOUR), cl.now - 70 * NS, 1500 if gn in h100 else 2700)
        gpus = [N.SmiGpu(g.bus, g.uuid, g.name, g.index, f"16529230{cl.rng.randint(10000, 99999)}", g.mem_mib,
                         used_mib=int(g.mem_mib * 0.9) if g.index in used[gn.name] else 0,
                         util=cl.rng.randint(38, 96) if g.index in used[gn.name] else 0,
                         temp=cl.rng.randint(52, 66) if g.index in used[gn.name] else cl.rng.randint(29, 35),
                         mem_temp=cl.rng.randint(40, 60) if g.name.startswith("NVIDIA H100") else None,
                         power_w=round(cl.rng.uniform(310, 640) if g.index in used[gn.name] else cl.rng.uniform(68, 75), 2),
                         processes=[(cl.rng.randint(3_000_000, 3_900_000), int(g.mem_mib * 0.9) - 600)]
                         if g.index in used[gn.name] else [])
                for g in gn.gpus]
        if gn in l40s:
            # a correctable error history on one card: nothing to act on
            gpus[2].dram_correctable_aggregate, gpus[2].remapped_correctable = 3, 1
            boot = cl.ago(12 * DAY) + 5 * NS  # rebooted for maintenance 12 days ago
            host = gn.name.split(".")[0]
            kernel = [(boot, f"Linux version {KERNEL_AWS} (buildd@lcy02-amd64-111) (x86_64-linux-gnu-gcc-11 (Ubuntu "
                             "11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38) #77-Ubuntu SMP Fri Sep 20 "
                             "14:02:49 UTC 2024 (Ubuntu 5.15.0-1071.77-aws 5.15.163)"),
                      (boot + 1 * MS, f"Command line: BOOT_IMAGE=/boot/vmlinuz-{KERNEL_AWS} root=PARTUUID="
                                      f"{cl.rng.uid()} ro console=tty1 console=ttyS0 nvme_core.io_timeout=4294967295 panic=-1")]
            kernel += N.driver_load(boot + 14 * NS, gn.driver, len(gn.gpus), cl.rng)
            kernel += N.pod_network_noise(cl.rng, boot + 60 * NS, cl.ago(40 * HOUR), 9000) + noise
            dbg = f"node-debugger-{gn.name}-{cl.rng.suffix(5)}"
            into = ["kubectl", "exec", "-n", "default", dbg, "-c", "debugger", "--", "chroot", "/host"]
            cl.node_file(gn.name, "node_kernel_log", "default", into + ["sh", "-c", HOST_KERNEL_SCRIPT],
                         N.render_journal(kernel, host))
            cl.node_file(gn.name, "node_nvidia_smi", "default", into + ["nvidia-smi", "-q"],
                         N.nvidia_smi_q(smi_at, gn.driver, "12.4", gpus))
            continue
        dpod = drivers[gn.name]["metadata"]["name"]
        into = ["kubectl", "exec", "-n", "gpu-operator", dpod, "-c", "nvidia-driver-ctr", "--"]
        kernel = list(noise)
        if gn is bad_node:
            kernel += N.fell_off_bus(xid_t - 400 * MS, bad_gpu.bus, "0000:a8:02.0", bad_gpu.uuid,
                                     f"16529230{cl.rng.randint(10000, 99999)}", eng_pid, "VLLM::EngineCor")
        cl.node_file(gn.name, "node_kernel_log", "gpu-operator", into + ["sh", "-c", DMESG_SCRIPT], N.render_dmesg(kernel))
        if gn is bad_node:
            cl.node_file(gn.name, "node_nvidia_smi", "gpu-operator", into + ["nvidia-smi", "-q"],
                         f"Unable to determine the device handle for GPU{bad_gpu.bus.upper()}: GPU is lost.  "
                         "Reboot the system to recover this GPU\n", 15, "command terminated with exit code 15")
        else:
            cl.node_file(gn.name, "node_nvidia_smi", "gpu-operator", into + ["nvidia-smi", "-q"],
                         N.nvidia_smi_q(smi_at, gn.driver, "12.4", gpus))
    return cl, {"root_causes": ["gpu.hardware"],
                "notes": f"GPU 5 ({bad_gpu.uuid}, PCI {bad_gpu.bus}) of {bad_node.name} fell off the bus 38 minutes "
                         f"before collection. The only trace is the node's kernel log, read by the collector through the "
                         f"GPU Operator driver pod (nodes/{bad_node.name}/kernel.log, dmesg -T): the root port's AER "
                         f"fatal error, then 'NVRM: Xid (PCI:{bad_gpu.bus[:-2].lower()}): 79, pid={eng_pid}, "
                         "name=VLLM::EngineCor, GPU has fallen off the bus.'; nvidia-smi -q there answers 'GPU is lost'. "
                         "The device plugin's health checks are off (DP_DISABLE_HEALTHCHECKS=all) and no DCGM exporter "
                         "runs, so allocatable still says 8 and no pod log or event names the Xid. The Dynamo decode "
                         f"worker on that GPU ({broken['metadata']['name']}) crash-loops with 'No CUDA GPUs are available'; "
                         f"the worker on GPU 0 of the same node ({dec[1]['metadata']['name']}) keeps serving. The L40S node ({l40s[0].name}, driver on the "
                         "host) was read through kubectl debug (journalctl -k, short-iso) and is healthy: one correctable "
                         "DRAM error and one remapped row in its history."}


KERNEL_AWS = "5.15.0-1071-aws"


def _eks_names(n: int) -> list[str]:
    return [f"ip-10-0-{40 + 3 * i}-{101 + 17 * i}.ec2.internal" for i in range(n)]


def json_dumps(obj: object) -> str:
    import json
    return json.dumps(obj, indent=2)


# ---------------------------------------------------------------------------------------------
# 13


@scenario("oomkilled-memory-growth")
def oomkilled_memory_growth() -> tuple[Cluster, dict]:
    e = base("oomkilled-memory-growth", "2026-11-11T06:47:00Z", "k3s-inference-edge", names=["edge-gpu-01"], gpu="L40S",
             gpus=4, cpu_node="edge-cpu-01", sc="local-path")
    cl = e.cl
    p = S.dynamo_platform(e, "dynamo-system", sc="local-path")
    S.dynamo_graph(e, p, "llm", "mistral-agg", EN.MISTRAL_7B, workers=[WorkerPlan(node="edge-gpu-01")], created_h=2.5,
                   cache_sc="local-path")
    ns = "apps"
    cl.ns(ns, 60 * DAY)
    S.root_ca(cl, ns)
    limit_gib = 8.0
    # each life grows ~0.18 GiB/min from ~1.1 GiB until the cgroup limit kills it
    lives = []
    t = cl.ago(3.4 * HOUR)
    while True:
        dur = (limit_gib - 1.1) / cl.rng.uniform(0.16, 0.2) * 60
        if t + int(dur * NS) > cl.now:
            break
        lives.append((t, t + int(dur * NS)))
        t = t + int(dur * NS) + int(cl.rng.uniform(1.2, 2.5) * NS)
    cur_start = t
    restarts = len(lives)

    def life_log(t0: int, t_end: int, killed: bool) -> L.Lines:
        out: L.Lines = [(t0, "INFO:     Started server process [1]"), (t0 + 2 * MS, "INFO:     Waiting for application startup."),
                        (t0 + 900 * MS, "2026-11-11 00:00:00,000 INFO rag_gateway.app: connected to vector store "
                                        "qdrant.apps.svc:6334 collection=support-kb-v7")]
        out[-1] = (out[-1][0], f"{_pydt(t0 + 900 * MS)} INFO rag_gateway.app: connected to vector store qdrant.apps.svc:6334 "
                               "collection=support-kb-v7")
        out += [(t0 + 1000 * MS, "INFO:     Application startup complete."),
                (t0 + 1001 * MS, "INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)")]
        rate = (limit_gib - 1.1) / max(1.0, (t_end - t0) / NS)
        entries = 0
        for tt in L.spread(cl.rng, t0 + 20 * NS, t_end, 60, jitter=0.01):
            rss = 1.1 + rate * (tt - t0) / NS
            entries += cl.rng.randint(900, 1400)
            lvl = "WARNING" if rss > limit_gib * 0.85 else "INFO"
            msg = (f"rss={rss:.2f}GiB limit={limit_gib:.2f}GiB prompt_cache_entries={entries} "
                   f"gc_gen2_collections={cl.rng.randint(40, 90)}")
            if lvl == "WARNING":
                msg += " - above 85% of the container memory limit"
            out.append((tt, f"{_pydt(tt)} {lvl} rag_gateway.memwatch: {msg}"))
        for tt in L.spread(cl.rng, t0 + 5 * NS, t_end, 3.5, jitter=0.9):
            code = 200 if cl.rng.random() > 0.01 else 504
            out.append(L.uvicorn_access(tt, L.client_ip(cl.rng), "POST", "/v1/rag/query", 200) if code == 200 else
                       (tt, f'INFO:     {L.client_ip(cl.rng)} - "POST /v1/rag/query HTTP/1.1" 504 Gateway Timeout'))
        for tt in L.spread(cl.rng, t0 + 5 * NS, t_end, 10, jitter=0.05):
            out.append(L.uvicorn_access(tt, f"10.42.0.{cl.rng.randint(2, 9)}:{cl.rng.randint(30000, 60000)}", "GET", "/healthz", 200))
        return out

    ls, le = lives[-1]

    def ctr(i: int) -> list[Ctr]:
        return [Ctr("gateway", "ghcr.io/acme-ai/rag-gateway:1.8.2",
                    command=["uvicorn", "rag_gateway.app:app", "--host", "0.0.0.0", "--port", "8080", "--workers", "1"],
                    ports=[(8080, "http")],
                    env=[S.env("LLM_BASE_URL", "http://mistral-agg-frontend.llm.svc:8000/v1"),
                         S.env("PROMPT_CACHE_MAX_ENTRIES", "0"), S.env("PYTHONUNBUFFERED", "1")],
                    requests={"cpu": "1", "memory": "4Gi"}, limits={"cpu": "2", "memory": "8Gi"},
                    liveness=http_probe("/healthz", "http", delay=10, period=10, failure=3),
                    readiness=http_probe("/healthz", "http", delay=5, period=10, failure=3),
                    state=running(cur_start), restarts=restarts, started=True,
                    last_state=terminated("OOMKilled", 137, ls, le, f"containerd://{cl.rng.hex(64)}"))]
    pods = S.deployment_pods(cl, ns, "rag-gateway", replicas=1, labels={"app": "rag-gateway"}, created=lives[0][0] - 6 * NS,
                             containers_fn=ctr, nodes=["edge-cpu-01"],
                             annotations_fn=lambda i, n: {"prometheus.io/port": "8080", "prometheus.io/scrape": "true"})
    pod = pods[0]
    pod["status"]["startTime"] = S.rfc3339(lives[0][0] - 5 * NS)
    for c in pod["status"]["conditions"]:
        if c["type"] in ("Ready", "ContainersReady"):
            c["lastTransitionTime"] = S.rfc3339(cur_start + 6 * NS)  # readiness came back after the last restart
    pname = pod["metadata"]["name"]
    cl.log(ns, pname, "gateway", life_log(cur_start, cl.now, False))
    cl.log(ns, pname, "gateway", life_log(ls, le, True), previous=True)
    cur_rss = 1.1 + (limit_gib - 1.1) / ((le - ls) / NS) * ((cl.now - cur_start) / NS)
    cl.metrics(ns, pname, 8080, _gateway_metrics(int(cur_rss * 2**30), (cur_start // NS), cl))
    node = "edge-cpu-01"
    fp = "spec.containers{gateway}"
    recent = [lf for lf in lives if lf[1] > cl.now - HOUR * NS]
    if recent:
        cl.event(ns, pod, "Pulled", 'Container image "ghcr.io/acme-ai/rag-gateway:1.8.2" already present on machine',
                 first=recent[0][1] + NS, last=cur_start - NS, count=len(recent), host=node, field_path=fp)
        cl.event(ns, pod, "Created", "Created container gateway", first=recent[0][1] + NS + 300 * MS,
                 last=cur_start - 300 * MS, count=len(recent), host=node, field_path=fp)
        cl.event(ns, pod, "Started", "Started container gateway", first=recent[0][1] + NS + 500 * MS,
                 last=cur_start - 100 * MS, count=len(recent), host=node, field_path=fp)
    for a, b in lives:
        pid = cl.rng.randint(2000, 30000)
        cl.node_event(node, "OOMKilling", f"Memory cgroup out of memory: Killed process {pid} (uvicorn) total-vm:"
                      f"{cl.rng.randint(10_400_000, 11_200_000)}kB, anon-rss:{8_380_000 + cl.rng.randint(0, 8000)}kB, "
                      f"file-rss:{cl.rng.randint(18_000, 24_000)}kB, shmem-rss:0kB, UID:1000 pgtables:{cl.rng.randint(16_000, 18_000)}kB "
                      f"oom_score_adj:969", type="Warning", first=b, component="kernel-monitor", host=node)
    S.service(cl, ns, "rag-gateway", [("http", 80, "http")], {"app": "rag-gateway"}, created=lives[0][0])
    S.gpu_operator(e)
    return cl, {"root_causes": ["runtime.oom_killed"],
                "notes": f"apps/{pname} (rag-gateway, memory limit 8Gi) has restartCount {restarts}, lastState "
                         "OOMKilled exit 137, and kernel-monitor node events 'Memory cgroup out of memory: Killed process "
                         "... (uvicorn)'. Its memwatch log lines show rss growing from ~1.1 GiB to the limit in every life "
                         "(prompt_cache_entries never shrinks; PROMPT_CACHE_MAX_ENTRIES=0 means unbounded); the previous "
                         "log stops without a traceback; process_resident_memory_bytes in the scrape is climbing again."}


def _pydt(t: int) -> str:
    """Python logging's default asctime: ``2026-11-11 06:10:00,123``."""
    return f"{S.go_datetime(t)},{(t % NS) // 1_000_000:03d}"


def _gateway_metrics(rss: int, start: int, cl: Cluster) -> str:
    from .metrics import Prom, process_memory
    p = Prom()
    p.family("rag_gateway_requests_total", "counter", "Requests handled",
             [({"route": "/v1/rag/query", "status": "200"}, float(cl.rng.randint(400, 900))),
              ({"route": "/v1/rag/query", "status": "504"}, float(cl.rng.randint(2, 9)))])
    p.family("rag_gateway_prompt_cache_entries", "gauge", "Entries in the in-process prompt cache",
             [({}, float(cl.rng.randint(20000, 40000)))])
    return process_memory(rss, float(start), round(cl.rng.uniform(300, 900), 2)) + p.text()


# ---------------------------------------------------------------------------------------------
# 14


@scenario("multi-fault")
def multi_fault() -> tuple[Cluster, dict]:
    cl = Cluster("multi-fault", parse_time("2026-11-09T15:33:00Z"), "gke_acme-ml_us-central1_serving-2")
    S.cpu_node(cl, "gke-serving-2-default-pool-1d7e93c0-g4kd", 0)
    e = Env(cl)
    h100 = S.gpu_nodes(cl, ["gke-serving-2-h100-pool-a81c55e2-7hxb", "gke-serving-2-h100-pool-a81c55e2-t2mn"], "H100", 8)
    l40s = S.gpu_nodes(cl, ["gke-serving-2-l40s-pool-3e0f2d91-kq7z"], "L40S", 4, created_days=12)
    e.gpu_nodes = h100 + l40s
    S.storage_class(cl, "standard-rwo")
    S.runtime_class(cl)
    S.kube_system(cl)
    p = S.dynamo_platform(e, "dynamo-system", sc="standard-rwo")
    # healthy traffic all around: a Dynamo deployment and two plain vLLM servers
    healthy = S.dynamo_graph(e, p, "prod", "qwen3-8b", EN.QWEN3_8B, created_h=2.5, cache_sc="standard-rwo", jsonl=True,
                             workers=[WorkerPlan(node=h100[0].name), WorkerPlan(node=h100[1].name)])
    cl.ns("research")
    S.root_ca(cl, "research")
    S.secret(cl, "research", "hf-token", ["token"], created=cl.ago(90 * DAY))
    r1 = plain_vllm(e, "research", "mistral-7b-eval", EN.MISTRAL_7B, node=h100[0].name, gpu_req={"nvidia.com/gpu": "1"},
                    created_h=50, load=0.2, req_every_s=6.0, window_h=0.3)
    r2 = plain_vllm(e, "research", "qwen25-7b-sandbox", EN.QWEN25_7B, node=h100[1].name, gpu_req={"nvidia.com/gpu": "1"},
                    created_h=70, load=0.15, req_every_s=9.0, window_h=0.3)
    # fault 1: a new team's deployment with an NGC key that does not work
    image_pull_graph(e, p, "team-a", "llama-agg", EN.LLAMA_8B, age_s=36 * 60, secret="ngc-secret")
    # fault 2: a large model placed on the L40S pool
    r = oom_crashloop(e, p, "llm", "qwen3-32b", EN.QWEN3_32B, l40s[0].name, start_ago_s=31 * 60, lost_ago_s=33 * 60,
                      gpu_total_gib=44.39, fe_every_s=6.0)
    S.gpu_operator(e, gpu_pods={h100[0].name: {0: ("prod", healthy["decode"][0]["metadata"]["name"], "main"),
                                               1: ("research", r1["metadata"]["name"], "vllm")},
                                h100[1].name: {0: ("prod", healthy["decode"][1]["metadata"]["name"], "main"),
                                               1: ("research", r2["metadata"]["name"], "vllm")},
                                l40s[0].name: {0: ("llm", r["pod"]["metadata"]["name"], "main")}})
    return cl, {"root_causes": ["image.pull_auth", "runtime.cuda_oom"],
                "notes": "Two independent faults among healthy workloads (prod/qwen3-8b, research/*): team-a/llama-agg "
                         "workers are stuck in ImagePullBackOff with nvcr.io '401 Unauthorized' (imagePullSecrets "
                         f"ngc-secret), and llm/{r['pod']['metadata']['name']} crash-loops with torch.OutOfMemoryError in "
                         "load_model on an L40S (Qwen3-32B does not fit), its frontend answering 503/404. Ranked by "
                         "triage layer: image before runtime."}
