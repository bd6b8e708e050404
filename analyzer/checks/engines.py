"""Inference engine checks: what a model server's pod spec, events and log say together.

They read the full pod specs (command, args, env, resources) through ``helpers.pod_specs``:
an engine is recognised by its command (``python3 -m dynamo.vllm``, ``vllm serve``) or image
(``vllm/vllm-openai``), and the Dynamo frontend (``python3 -m dynamo.frontend``) is told apart
from the workers although it runs the same runtime image. Benchmark Jobs are the clients of
those servers."""

from __future__ import annotations

import json

import polars as pl
import regex

from analyzer.checks.framework import CheckContext, Outcome, check
from analyzer.checks.helpers import (collected, command_line, containers_of, env_value, metadata, object_evidence,
                                     pod_specs, spec_evidence)
from analyzer.findings import Affected, Evidence, PodRef
from analyzer.tables import from_json


# ---------------------------------------------------------------------------------------------
# recognising engines

_ENGINE_CMD = regex.compile(r"(?:^|\s)-m\s+dynamo\.(?P<dyn>vllm|sglang|trtllm)\b|\bvllm\s+serve\b|vllm\.entrypoints|"
                            r"sglang\.launch_server|\btrtllm-serve\b|\btritonserver\b")
# images whose default entrypoint is the engine's server (SGLang's and Triton's images start a shell)
_ENGINE_IMAGE = regex.compile(r"vllm/vllm-openai")
_FRONTEND_CMD = regex.compile(r"(?:^|\s)-m\s+dynamo\.frontend\b")
_CPU_ONLY = regex.compile(r"--device[ =]cpu\b")


def engine_of(container: dict) -> str | None:
    """'vllm', 'sglang', 'trtllm', 'triton' when the container runs an inference engine, else None."""
    cmd = command_line(container)
    if _FRONTEND_CMD.search(cmd):
        return None
    m = _ENGINE_CMD.search(cmd)
    if m:
        if m["dyn"]:
            return m["dyn"]
        text = m[0]
        return ("vllm" if "vllm" in text else "sglang" if "sglang" in text else
                "trtllm" if "trtllm" in text else "triton")
    if not container.get("command") and _ENGINE_IMAGE.search(str(container.get("image") or "")):
        return "vllm"
    return None


def is_frontend(container: dict) -> bool:
    """The container runs the Dynamo frontend (``python3 -m dynamo.frontend``)."""
    return bool(_FRONTEND_CMD.search(command_line(container)))


# ---------------------------------------------------------------------------------------------
# CHK031

# a model server still starting: downloading, loading weights, compiling, capturing graphs
STARTING = (r"Starting to load model|Loading (?:safetensors |pt )?checkpoint shards|Loading weights|"
            r"Loading model(?: weights| from)?|Load weight begin|Fetching \d+ files|Downloading|"
            r"\.safetensors:\s+\d+%|Capturing CUDA graph|torch\.compile|Compiling a graph|Loading engine|"
            r"Memory profiling takes|Warming up")
# the server got past loading (or is up); a line matching both (``Loading weights took``) counts as this
READY = (r"Loading weights took|Model loading took|Load weight end|Application startup complete|Uvicorn running on|"
         r"Starting vLLM API server|init engine \(profile, create kv cache, warmup model\) took|"
         r"The server is fired up and ready to roll")
_PROBE_KILL = regex.compile(r"failed (startup|liveness) probe, will be restarted")


def _budget(probes: dict, kind: str) -> int | None:
    p = probes.get(f"{kind}Probe") if isinstance(probes, dict) else None
    if not isinstance(p, dict):
        return None
    return int(p.get("initialDelaySeconds") or 0) + int(p.get("failureThreshold") or 3) * int(p.get("periodSeconds") or 10)


@check("CHK031", "model-load-probe", "runtime.model_load_timeout", "critical",
       "Probe killed the model server while it was still loading the model")
def model_load_probe(ctx: CheckContext) -> Outcome:
    """The kubelet restarted a container for a failed startup or liveness probe (event
    ``Killing``: ``Container main failed startup probe, will be restarted``) while its log was
    still in the start-up phase: the last start-up line of the killed run (previous log, else the
    current one) is a loading line (``Loading safetensors checkpoint shards: 45% Completed``,
    ``Starting to load model``, a ``.safetensors`` download, ``Capturing CUDA graph shapes``)
    with no "loaded/ready" line after it (``Loading weights took``, ``Model loading took``,
    ``Application startup complete.``). The probe budget (``initialDelaySeconds`` +
    ``failureThreshold`` x ``periodSeconds``) is shorter than the model takes to load, so the pod
    restarts forever without serving.
    """
    events = ctx.table("events")
    if events.is_empty() and not collected(ctx, "events"):
        return Outcome(skipped="no events in the bundle")
    if events.is_empty():
        return Outcome(note="no events recorded in the collected namespaces")
    kills = events.filter((pl.col("reason") == "Killing")
                          & pl.col("message").fill_null("").str.contains(_PROBE_KILL.pattern))
    out = Outcome(note=f"{kills.height} probe kill event(s) checked")
    if kills.is_empty():
        return out
    if ctx.parsed is None:
        out.skipped = "container logs not available to this check"
        return out
    ctrs = ctx.table("containers")
    seen: set[PodRef] = set()
    for e in kills.sort("last_time", nulls_last=True).iter_rows(named=True):
        m = regex.search(r"Container (\S+) failed", e["message"] or "")
        fp = regex.search(r"\{([^}]+)\}", e["field_path"] or "")
        ctr = (fp[1] if fp else None) or (m[1] if m else None)
        key = PodRef(e["namespace"], e["object_name"], ctr)
        if key in seen or not ctr:
            continue
        seen.add(key)
        probe = _PROBE_KILL.search(e["message"])[1]

        def keep(meta: dict, key=key) -> bool:
            return PodRef.of(meta, meta.get("container")) == key

        lines = ctx.log_lines(keep, f"{STARTING}|{READY}")
        if lines.is_empty():
            continue
        prev = lines.filter(pl.col("previous")) if "previous" in lines.columns else lines
        run = prev if not prev.is_empty() else lines
        last = run.sort(["path", "line"]).row(-1, named=True)
        if regex.search(READY, last["text"]) or not regex.search(STARTING, last["text"]):
            continue
        row = None if ctrs.is_empty() else next(iter(ctrs.filter(
            (pl.col("namespace") == key.namespace) & (pl.col("pod") == key.name) & (pl.col("name") == ctr)).to_dicts()), None)
        probes = from_json((row or {}).get("probes"), {}) or {}
        budget = _budget(probes, probe)
        restarts = (row or {}).get("restart_count")
        out.findings.append(model_load_probe.check.finding(
            summary=(f"Container {ctr} of pod {e['object_name']} was killed by its {probe} probe"
                     + (f" (budget {budget} s)" if budget else "") + f" while still loading: last start-up line "
                     f"{last['text'].strip()[:140]!r}" + (f"; {restarts} restarts" if restarts else "")),
            remediation=(f"Give the model time to load: raise the {probe}Probe's failureThreshold (or use a startupProbe "
                         "sized for the largest load, e.g. failureThreshold 60 x periodSeconds 10), and make loading "
                         "faster (model cached on a PVC instead of downloaded at start, faster storage)."),
            checks=[f"kubectl describe pod {e['object_name']} -n {e['namespace']}",
                    f"kubectl logs {e['object_name']} -n {e['namespace']} -c {ctr} --previous | tail -20",
                    f"kubectl get pod {e['object_name']} -n {e['namespace']} -o jsonpath='{{.spec.containers[*].{probe}Probe}}'"],
            affected=[PodRef(e["namespace"], e["object_name"], ctr).affected()],
            evidence=[Evidence(e["path"], e["line"], f"{e['type']} {e['reason']} {e['component'] or ''}: {e['message']}",
                               e["last_time"], None, "events"),
                      Evidence(last["path"], last["line"], last["text"], last["time"], None, "log")],
            count=int(e["count"] or 1), first_seen=e["first_time"], last_seen=e["last_time"],
            details={"probe": probe, "budget_seconds": budget, "restarts": restarts, "last_startup_line": last["text"][:300]}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK032


def _gpu_resources(container: dict, pod: dict) -> list[str]:
    res = container.get("resources") or {}
    keys = set((res.get("limits") or {})) | set((res.get("requests") or {}))
    gpus = sorted(k for k in keys if k.startswith(("nvidia.com/", "amd.com/gpu", "gpu.intel.com/")))
    if res.get("claims") or (pod.get("spec") or {}).get("resourceClaims"):
        gpus.append("DRA resourceClaims")
    return gpus


@check("CHK032", "gpu-request", "gpu.not_visible", "error",
       "Inference engine container requests no GPU")
def gpu_request(ctx: CheckContext) -> Outcome:
    """A container that runs an inference engine (``python3 -m dynamo.vllm|sglang|trtllm``,
    ``vllm serve``, ``sglang.launch_server``, ``trtllm-serve``, or the engine's own image with
    its default entrypoint) but requests no GPU: no ``nvidia.com/gpu`` (or HAMi/MIG resource) in
    its limits or requests and no DRA claim. Kubernetes then gives it no device: CUDA finds none
    (``No CUDA GPUs are available``, ``GPU not available, falling back to CPU``), or, where the
    NVIDIA runtime is the node default, it sees every GPU unaccounted.

    Error when the container is not ready or failing at collection time (``analyzer.state``); a
    warning while it runs. The Dynamo
    frontend (``dynamo.frontend``, same image) and ``--device cpu`` engines are left out.
    """
    specs = pod_specs(ctx)
    if not specs:
        return Outcome(skipped="no pod specs in the bundle (pods JSON)")
    ctrs = ctx.table("containers")
    status = {} if ctrs.is_empty() else {PodRef.of(r, r["name"]): r for r in ctrs.iter_rows(named=True)}
    out = Outcome()
    engines = 0
    for p in specs:
        for c in containers_of(p):
            engine = engine_of(c)
            if not engine or _CPU_ONLY.search(command_line(c)) or env_value(c, "VLLM_TARGET_DEVICE") == "cpu":
                continue
            engines += 1
            if _gpu_resources(c, p):
                continue
            st = status.get(PodRef(p["_ns"], metadata(p).get("name"), c.get("name"))) or {}
            now = ctx.state.pod(p["_ns"], metadata(p).get("name"))
            cur = now.container(c.get("name")) if now else None
            broken = cur is not None and (cur.ready is False or cur.failing(ctx.state.collected_at))
            out.findings.append(gpu_request.check.finding(
                severity=None if broken else "warning",
                summary=(f"Container {c.get('name')} of pod {metadata(p).get('name')} runs {engine} but requests no GPU "
                         f"(no nvidia.com/gpu in its limits)"
                         + (f"; ready={st.get('ready')}, restarts={st.get('restart_count')}" if st else "")),
                remediation=("Add resources.limits nvidia.com/gpu: <n> to the engine container (Dynamo: "
                             "resources.limits.gpu of the service in the DynamoGraphDeployment)."),
                checks=[f"kubectl get pod {metadata(p).get('name')} -n {p['_ns']} -o jsonpath='{{.spec.containers[*].resources}}'",
                        f"kubectl logs {metadata(p).get('name')} -n {p['_ns']} -c {c.get('name')} | grep -i -E 'cuda|gpu'"],
                affected=[PodRef(p["_ns"], metadata(p).get("name"), c.get("name")).affected()],
                evidence=[spec_evidence(p, f"container {c.get('name')} image={c.get('image')} command={command_line(c)[:120]!r} "
                                     f"resources={json.dumps(c.get('resources') or {})}")],
                details={"engine": engine, "image": c.get("image")}))
    out.note = f"{engines} engine container(s) checked" if engines else "no inference engine container found"
    return out


# ---------------------------------------------------------------------------------------------
# CHK035

_BENCH = regex.compile(r"(?i)genai-perf|aiperf|perf_analyzer|benchmark_serving|vllm\s+bench|guidellm|\bbench|perf\b")


@check("CHK035", "benchmark-job", "benchmark.job_failed", "error", "Benchmark Job failed")
def benchmark_job(ctx: CheckContext) -> Outcome:
    """A Job that runs a benchmark (its name, image or command names genai-perf, aiperf,
    perf_analyzer, ``vllm bench``, benchmark_serving, guidellm, bench or perf) with condition
    ``Failed=True`` (``BackoffLimitExceeded``, ``DeadlineExceeded``). The benchmark and model-
    access lines its pods logged (patterns BENCH, EP, NET, HF, VLLM014) are attached as evidence:
    they say whether the endpoint, the model name or the client failed."""
    jobs = ctx.objects("Job")
    if not jobs and not collected(ctx, "jobs"):
        return Outcome(skipped="no Job list in the bundle")
    if not jobs:
        return Outcome(note="no Jobs in the collected namespaces")
    sig = ctx.signals
    out = Outcome()
    bench = 0
    for j in jobs:
        meta, spec = j.get("metadata") or {}, j.get("spec") or {}
        ctrs = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
        text = " ".join([str(meta.get("name") or "")] + [f"{c.get('image')} {command_line(c)}" for c in ctrs if isinstance(c, dict)])
        if not _BENCH.search(text):
            continue
        bench += 1
        cond = next((c for c in (j.get("status") or {}).get("conditions") or []
                     if isinstance(c, dict) and c.get("type") == "Failed" and c.get("status") == "True"), None)
        if cond is None:
            continue
        name, ns = meta.get("name"), meta.get("namespace")
        lines = [] if sig.is_empty() else sig.filter(
            (pl.col("namespace") == ns) & pl.col("pod").fill_null("").str.starts_with(f"{name}-")
            & pl.col("pattern_id").str.contains(r"^(?:BENCH|EP|NET|HF|VLLM014)")).sort("time", nulls_last=True).to_dicts()
        out.findings.append(benchmark_job.check.finding(
            summary=(f"Benchmark Job {name} in {ns} failed: {cond.get('reason')} ({(cond.get('message') or '').strip()[:120]})"
                     + (f"; its pods logged {', '.join(sorted({r['pattern_id'] for r in lines}))}" if lines else "")),
            remediation=("Read the benchmark pod's log: check the target URL and model name against the frontend's "
                         "/v1/models, and that the deployment is Ready before the job starts."),
            checks=[f"kubectl describe job {name} -n {ns}", f"kubectl logs job/{name} -n {ns} --tail=100"],
            affected=[Affected(ns, "Job", name)],
            evidence=[object_evidence(j["_path"], f"job/{name} Failed=True reason={cond.get('reason')} "
                                      f"failed={(j.get('status') or {}).get('failed')} backoffLimit={spec.get('backoffLimit')}",
                          None, j.get("_line"))]
            + [Evidence(r["path"], r["line"], r["text"], r["time"], None, "log") for r in lines[:3]],
            details={"reason": cond.get("reason"), "patterns": sorted({r["pattern_id"] for r in lines})}))
    out.note = f"{bench} benchmark Job(s) of {len(jobs)} checked" if bench else f"no benchmark among {len(jobs)} Job(s)"
    return out
