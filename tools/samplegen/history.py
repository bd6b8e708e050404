"""Scenarios whose failures happened before collection: what was true then and what is true now.

- ``gpu-pending-recovered``: a vLLM server waited for a GPU (FailedScheduling "Insufficient
  nvidia.com/gpu") until a batch Job finished and freed one; it runs now. Healthy.
- ``image-pull-recovered``: a rollout's image pull hit Docker Hub's rate limit twice, then
  pulled; the server runs now. Healthy.
- ``gpu-pending-still-active``: the same wait for a GPU, still going on: the pod is Pending at
  collection time although the scheduler's event series was last refreshed 24 minutes before
  (events.k8s.io series are updated on a heartbeat, not on every retry), among recovered
  failures (an image pull that recovered, a server that restarted and runs again).
"""

from __future__ import annotations

from . import engines as EN
from . import logs as L
from . import stacks as S
from .clock import NS, micro_time, rfc3339
from .engines import MS
from . import kube
from .kube import Cluster, Ctr, http_probe, mount, terminated
from .scenarios import base, scenario
from .stacks import DAY, HOUR, Env

SCHED_MSG = ("0/{n} nodes are available: 1 node(s) didn't match Pod's node affinity/selector, {g} Insufficient "
             "nvidia.com/gpu. preemption: 0/{n} nodes are available: 1 Preemption is not helpful for scheduling, "
             "{g} No preemption victims found for incoming pod.")


def vllm_ctr(m: EN.Model, gpus: int = 1, image: str = "vllm/vllm-openai:v0.11.0", extra: list[str] | None = None) -> Ctr:
    """The container of a plain ``vllm serve`` Deployment."""
    return Ctr("vllm", image, args=["--model", m.name, "--port", "8000", "--gpu-memory-utilization", "0.90",
                                    "--max-model-len", "8192", *(["--tensor-parallel-size", str(gpus)] if gpus > 1 else []),
                                    *(extra or [])],
               ports=[(8000, "http")], env=[kube.env_secret("HF_TOKEN", "hf-token", "token")],
               requests={"cpu": "4", "memory": "24Gi"}, limits={"memory": "32Gi", "nvidia.com/gpu": str(gpus)},
               liveness=http_probe("/health", "http", delay=120, period=10, failure=3),
               readiness=http_probe("/health", "http", delay=30, period=5, failure=3),
               mounts=[mount("/root/.cache/huggingface", "hf-cache"), mount("/dev/shm", "dshm")])


def server(e: Env, ns: str, name: str, m: EN.Model, *, node: str | None, created: int, started: int | None = None,
           gpus: int = 1, image: str = "vllm/vllm-openai:v0.11.0", ctr: Ctr | None = None,
           window_h: float = 1.0, waiting_for: str | None = None) -> dict:
    """A ``vllm serve`` Deployment with one pod created at ``created`` that started at ``started``
    (later when it waited for a node or an image); without a node it is still Pending, never
    scheduled, for the reason ``waiting_for`` (the scheduler's message)."""
    cl = e.cl
    c = ctr or vllm_ctr(m, gpus, image)
    if node is None:
        c.no_status = True
        c.state, c.ready = None, False
    pods = S.deployment_pods(cl, ns, name, replicas=1, labels={"app": name, "app.kubernetes.io/name": name},
                             created=created, containers_fn=lambda i: [c], nodes=[node],
                             phase="Running" if node else "Pending",
                             node_selector={"nvidia.com/gpu.present": "true"},
                             unschedulable=waiting_for,
                             volumes=[S.empty_dir("hf-cache"), S.empty_dir("dshm", "Memory", "8Gi")])
    pod = pods[0]
    pod["metadata"]["creationTimestamp"] = rfc3339(created)
    if node is not None and started is not None:
        ready = started + 95 * NS  # weights loaded, /health answers
        pod["status"]["startTime"] = rfc3339(started - 2 * NS)
        when = {"PodScheduled": started - 3 * NS, "Initialized": started - 2 * NS,
                "PodReadyToStartContainers": started - NS, "Ready": ready, "ContainersReady": ready}
        for cond in pod["status"]["conditions"]:
            cond["lastTransitionTime"] = rfc3339(when.get(cond["type"], started))
        for st in pod["status"]["containerStatuses"]:
            if "running" in st["state"]:
                st["state"]["running"]["startedAt"] = rfc3339(started)
        log_from = max(started, cl.now - int(window_h * HOUR * NS))
        cl.log(ns, pod["metadata"]["name"], "vllm",
               EN.vllm_serve_log(cl.rng, started + 3 * NS, cl.now, m, load=0.3, req_every_s=5.0, noise_from=log_from))
    S.service(cl, ns, name, [("http", 8000, "http")], {"app": name}, created=created)
    return pod


def scheduled_events(cl: Cluster, ns: str, pod: dict, *, first: int, last: int, count: int, bound: int | None,
                     nodes: int, gpu_nodes: int) -> None:
    """default-scheduler's FailedScheduling series (events.k8s.io: eventTime and series), then
    Scheduled when the pod was bound."""
    name = pod["metadata"]["name"]
    sched = f"default-scheduler-{cl.nodes[0].name}"
    ev = cl.event(ns, pod, "FailedScheduling", SCHED_MSG.format(n=nodes, g=gpu_nodes), type="Warning", first=first,
                  last=last, count=count, component="default-scheduler", new_api=True, action="Scheduling",
                  instance=sched)
    if count > 1:
        ev["series"]["lastObservedTime"] = micro_time(last)
    if bound is not None:
        cl.event(ns, pod, "Scheduled", f"Successfully assigned {ns}/{name} to {pod['spec']['nodeName']}",
                 first=bound, component="default-scheduler", new_api=True, action="Binding", instance=sched)


def started_events(cl: Cluster, ns: str, pod: dict, started: int, *, image: str) -> None:
    node = pod["spec"]["nodeName"]
    fp = "spec.containers{vllm}"
    cl.event(ns, pod, "Pulled", f'Container image "{image}" already present on machine', first=started - 800 * MS,
             host=node, field_path=fp)
    cl.event(ns, pod, "Created", "Created container vllm", first=started - 400 * MS, host=node, field_path=fp)
    cl.event(ns, pod, "Started", "Started container vllm", first=started - 100 * MS, host=node, field_path=fp)


def rate_limited_pull(cl: Cluster, ns: str, pod: dict, image: str, *, first: int, failures: int, started: int) -> None:
    """kubelet's events for an image pull that Docker Hub refused (429) ``failures`` times before
    it went through: Pulling, Failed (the error, then ErrImagePull), BackOff/ImagePullBackOff,
    Pulled, Created, Started."""
    node = pod["spec"]["nodeName"]
    fp = "spec.containers{vllm}"
    repo = image.split(":")[0]
    ref = f"docker.io/{image}"
    tries = [first + int(x * NS) for x in (0, 41, 137)][:failures + 1]
    fails = [t + int(cl.rng.uniform(6, 9) * NS) for t in tries[:failures]]
    digest = cl.rng.hex(64)
    cl.event(ns, pod, "Pulling", f'Pulling image "{image}"', first=tries[0], last=tries[-1], count=len(tries),
             host=node, field_path=fp)
    cl.event(ns, pod, "Failed", f'Failed to pull image "{image}": failed to pull and unpack image "{ref}": failed to '
             f'copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/{repo}/'
             f'manifests/sha256:{digest}: 429 Too Many Requests - Server message: toomanyrequests: You have reached '
             f'your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit', type="Warning",
             first=fails[0], last=fails[-1], count=failures, host=node, field_path=fp)
    cl.event(ns, pod, "Failed", "Error: ErrImagePull", type="Warning", first=fails[0] + MS, last=fails[-1] + MS,
             count=failures, host=node, field_path=fp)
    cl.event(ns, pod, "BackOff", f'Back-off pulling image "{image}"', first=fails[0] + NS, last=tries[-1] - NS,
             count=failures + 1, host=node, field_path=fp)
    cl.event(ns, pod, "Failed", "Error: ImagePullBackOff", type="Warning", first=fails[0] + NS, last=tries[-1] - NS,
             count=failures + 1, host=node, field_path=fp)
    took = (started - NS - tries[-1]) / NS
    cl.event(ns, pod, "Pulled", f'Successfully pulled image "{image}" in {took:.3f}s ({took + 0.412:.3f}s including '
             f'waiting). Image size: {cl.rng.randint(8, 12) * 10**9 + cl.rng.randint(0, 10**9)} bytes.',
             first=started - NS, host=node, field_path=fp)
    cl.event(ns, pod, "Created", "Created container vllm", first=started - 400 * MS, host=node, field_path=fp)
    cl.event(ns, pod, "Started", "Started container vllm", first=started - 100 * MS, host=node, field_path=fp)


def finished_job(e: Env, ns: str, name: str, *, node: str, started: int, finished: int) -> dict:
    """A one-GPU batch Job that ran to completion (its pod Succeeded, the GPU free again)."""
    cl = e.cl
    created = started - 4 * NS
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": cl.meta(name, ns, created, {"app": name}, extra={"generation": 1}),
           "spec": {"backoffLimit": 2, "completionMode": "NonIndexed", "completions": 1, "parallelism": 1,
                    "template": {"spec": {"containers": [{"name": "embed", "image": "ghcr.io/acme/embed-backfill:2.3.0"}],
                                          "restartPolicy": "Never"}}},
           "status": {"completionTime": rfc3339(finished + NS),
                      "conditions": [{"lastProbeTime": rfc3339(finished + NS), "lastTransitionTime": rfc3339(finished + NS),
                                      "status": "True", "type": "Complete"}],
                      "ready": 0, "startTime": rfc3339(created), "succeeded": 1, "terminating": 0,
                      "uncountedTerminatedPods": {}}}
    cl.add(ns, "jobs", job)
    pod = cl.pod(ns, f"{name}-{cl.rng.suffix(5)}", node=node, phase="Succeeded",
                 containers=[Ctr("embed", "ghcr.io/acme/embed-backfill:2.3.0", args=["--shard", "all", "--batch", "512"],
                                 limits={"nvidia.com/gpu": "1", "memory": "48Gi"}, requests={"cpu": "8", "memory": "48Gi"},
                                 ready=False, started=False,
                                 state=terminated("Completed", 0, started, finished, f"containerd://{cl.rng.hex(64)}"))],
                 owner=Cluster.owner_ref(job), labels={"batch.kubernetes.io/job-name": name, "job-name": name},
                 created=created)
    pod["spec"]["restartPolicy"] = "Never"
    lines = [(started + 2 * NS, f"INFO embed-backfill 2.3.0: {cl.rng.randint(40, 60)} shards, batch 512")]
    for i, t in enumerate(L.spread(cl.rng, started + 60 * NS, finished - 30 * NS, 600, jitter=0.3)):
        lines.append((t, f"INFO shard {i + 1}: {cl.rng.randint(180, 260)}k passages embedded"))
    lines.append((finished - NS, "INFO done: all shards embedded, exiting"))
    cl.log(ns, pod["metadata"]["name"], "embed", lines)
    return pod


def _cluster(name: str, when: str, context: str, gpu_names: list[str], per_node: int) -> Env:
    return base(name, when, context, gpu="L40S", gpus=per_node, names=gpu_names, cpu_node="system-01", sc="gp3")


@scenario("gpu-pending-recovered")
def gpu_pending_recovered() -> tuple[Cluster, dict]:
    e = _cluster("gpu-pending-recovered", "2026-11-23T16:40:00Z", "inference-eu@acme",
                 ["gpu-l40s-1", "gpu-l40s-2"], 2)
    cl = e.cl
    ns = "inference"
    cl.ns(ns, 90 * DAY)
    S.root_ca(cl, ns)
    S.secret(cl, ns, "hf-token", ["token"], created=cl.ago(80 * DAY))
    g1, g2 = (n.name for n in e.gpu_nodes)
    placed = [("mistral-7b-support", EN.MISTRAL_7B, g1, 30), ("llama31-8b-agents", EN.LLAMA_8B, g1, 41),
              ("qwen25-7b-search", EN.QWEN25_7B, g2, 26)]
    pods = {}
    for name, m, node, age_h in placed:
        pods[name] = server(e, ns, name, m, node=node, created=cl.ago(age_h * HOUR), started=cl.ago(age_h * HOUR) + 4 * NS)
    # the nightly backfill held the fourth GPU until 52 minutes ago
    job_end = cl.ago(52 * 60)
    job = finished_job(e, ns, "embed-backfill-29420", node=g2, started=cl.ago(3 * HOUR + 17 * 60), finished=job_end)
    created = cl.ago(71 * 60)
    started = job_end + 38 * NS
    chat = server(e, ns, "qwen25-7b-chat", EN.QWEN25_7B, node=g2, created=created, started=started)
    scheduled_events(cl, ns, chat, first=created + 300 * MS, last=job_end - 27 * NS, count=9, bound=started - 3 * NS,
                     nodes=3, gpu_nodes=2)
    started_events(cl, ns, chat, started, image="vllm/vllm-openai:v0.11.0")
    S.gpu_operator(e, gpu_pods={g1: {0: (ns, pods["mistral-7b-support"]["metadata"]["name"], "vllm"),
                                     1: (ns, pods["llama31-8b-agents"]["metadata"]["name"], "vllm")},
                                g2: {0: (ns, pods["qwen25-7b-search"]["metadata"]["name"], "vllm"),
                                     1: (ns, chat["metadata"]["name"], "vllm")}})
    return cl, {"root_causes": [],
                "notes": f"inference/{chat['metadata']['name']} (Deployment qwen25-7b-chat, 1 nvidia.com/gpu) was created "
                         "71 minutes before collection while all four L40S GPUs were taken: default-scheduler's "
                         "FailedScheduling '0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
                         "2 Insufficient nvidia.com/gpu' (9 times) until the embed-backfill Job "
                         f"({job['metadata']['name']}, Succeeded) finished 52 minutes before collection; the pod was "
                         "then scheduled on gpu-l40s-2 and has run and been ready since. Nothing is failing now: the "
                         "scheduling failure is history (recovered), not a root cause."}


@scenario("image-pull-recovered")
def image_pull_recovered() -> tuple[Cluster, dict]:
    e = _cluster("image-pull-recovered", "2026-11-24T09:20:00Z", "gke_acme-ml_europe-west4_serving-2",
                 ["gke-serving-2-l40s-pool-3f1c2a90-7xkq", "gke-serving-2-l40s-pool-3f1c2a90-c2mn"], 2)
    cl = e.cl
    ns = "chat"
    cl.ns(ns, 120 * DAY)
    S.root_ca(cl, ns)
    S.secret(cl, ns, "hf-token", ["token"], created=cl.ago(100 * DAY))
    g1, g2 = (n.name for n in e.gpu_nodes)
    old = server(e, ns, "llama31-8b-chat", EN.LLAMA_8B, node=g1, created=cl.ago(30 * HOUR),
                 started=cl.ago(30 * HOUR) + 4 * NS)
    # the rollout to a new vLLM release: Docker Hub refused the pull twice (unauthenticated rate limit)
    image = "vllm/vllm-openai:v0.11.1"
    created = cl.ago(58 * 60)
    started = cl.ago(47 * 60)
    rolled = server(e, ns, "mistral-7b-support", EN.MISTRAL_7B, node=g2, created=created, started=started, image=image)
    sched = f"default-scheduler-{cl.nodes[0].name}"
    cl.event(ns, rolled, "Scheduled", f"Successfully assigned {ns}/{rolled['metadata']['name']} to {g2}",
             first=created + 400 * MS, component="default-scheduler", new_api=True, action="Binding", instance=sched)
    rate_limited_pull(cl, ns, rolled, image, first=created + 2 * NS, failures=2, started=started)
    S.gpu_operator(e, gpu_pods={g1: {0: (ns, old["metadata"]["name"], "vllm")},
                                g2: {0: (ns, rolled["metadata"]["name"], "vllm")}})
    return cl, {"root_causes": [],
                "notes": f"chat/{rolled['metadata']['name']} (Deployment mistral-7b-support, rolled out to "
                         f"{image} 58 minutes before collection): kubelet's pull from Docker Hub failed twice with "
                         "'429 Too Many Requests - Server message: toomanyrequests' (ErrImagePull, ImagePullBackOff), "
                         "the third attempt pulled the image and the container has run and been ready for 45 minutes. "
                         "Nothing is failing now: the image pull failure is history (recovered), not a root cause."}


@scenario("gpu-pending-still-active")
def gpu_pending_still_active() -> tuple[Cluster, dict]:
    e = _cluster("gpu-pending-still-active", "2026-11-25T11:05:00Z", "inference-us@acme",
                 ["gpu-l40s-a", "gpu-l40s-b"], 2)
    cl = e.cl
    ns = "inference"
    cl.ns(ns, 90 * DAY)
    S.root_ca(cl, ns)
    S.secret(cl, ns, "hf-token", ["token"], created=cl.ago(85 * DAY))
    ga, gb = (n.name for n in e.gpu_nodes)
    pods = {}
    for name, m, node, age_h in [("mistral-7b-support", EN.MISTRAL_7B, ga, 52), ("qwen25-7b-search", EN.QWEN25_7B, gb, 31)]:
        pods[name] = server(e, ns, name, m, node=node, created=cl.ago(age_h * HOUR), started=cl.ago(age_h * HOUR) + 4 * NS)
    # history 1: a rollout whose image pull was rate-limited twice, running since
    image = "vllm/vllm-openai:v0.11.1"
    created = cl.ago(63 * 60)
    started = cl.ago(51 * 60)
    rolled = server(e, ns, "llama31-8b-agents", EN.LLAMA_8B, node=ga, created=created, started=started, image=image)
    cl.event(ns, rolled, "Scheduled", f"Successfully assigned {ns}/{rolled['metadata']['name']} to {ga}",
             first=created + 400 * MS, component="default-scheduler", new_api=True, action="Binding",
             instance=f"default-scheduler-{cl.nodes[0].name}")
    rate_limited_pull(cl, ns, rolled, image, first=created + 2 * NS, failures=2, started=started)
    # history 2: a server that was OOMKilled while loading three hours ago and runs since
    oom_start = cl.ago(3 * HOUR + 4 * 60)
    c = vllm_ctr(EN.QWEN25_7B)
    c.restarts = 4
    c.last_state = terminated("OOMKilled", 137, oom_start - 70 * NS, oom_start - 2 * NS, f"containerd://{cl.rng.hex(64)}")
    restarted = server(e, ns, "qwen25-7b-chat", EN.QWEN25_7B, node=gb, created=cl.ago(5 * HOUR), started=oom_start, ctr=c)
    # the failure still going on: a 2-GPU server waits for two free L40S on one node
    pend_created = cl.ago(58 * 60)
    big = vllm_ctr(EN.QWEN3_8B, gpus=2)
    pending = server(e, ns, "qwen3-8b-longctx", EN.QWEN3_8B, node=None, created=pend_created, ctr=big, gpus=2,
                     waiting_for=SCHED_MSG.format(n=3, g=2))
    # the scheduler retried every few minutes; the event series was last refreshed 24 minutes ago
    scheduled_events(cl, ns, pending, first=pend_created + 300 * MS, last=cl.ago(24 * 60), count=12, bound=None,
                     nodes=3, gpu_nodes=2)
    S.gpu_operator(e, gpu_pods={ga: {0: (ns, pods["mistral-7b-support"]["metadata"]["name"], "vllm"),
                                     1: (ns, rolled["metadata"]["name"], "vllm")},
                                gb: {0: (ns, pods["qwen25-7b-search"]["metadata"]["name"], "vllm"),
                                     1: (ns, restarted["metadata"]["name"], "vllm")}})
    return cl, {"root_causes": ["scheduling.insufficient_gpu"],
                "notes": f"inference/{pending['metadata']['name']} (Deployment qwen3-8b-longctx, 2 nvidia.com/gpu, "
                         "tensor parallel 2) has been Pending for 58 minutes: every L40S is taken and default-scheduler "
                         "answers '0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 "
                         "Insufficient nvidia.com/gpu'. Its FailedScheduling series was last refreshed 24 minutes before "
                         "collection (events.k8s.io series update on a heartbeat), so the evidence is old but the pod "
                         "is still unscheduled: the failure is active and the only root cause. History, not root "
                         f"causes: {rolled['metadata']['name']}'s image pull was rate-limited twice (429) and then "
                         f"succeeded 51 minutes ago; {restarted['metadata']['name']} was OOMKilled loading 3 hours ago "
                         "(restartCount 4) and has run and been ready since."}
