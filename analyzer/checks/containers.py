"""Container checks: what the containers' status and their own logs say.

OOMKilled and crash-looping containers, Secrets they reference but cannot have, and memory that
grows run after run (the one check that reads container logs again after matching: see
``reread_logs``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import polars as pl
import regex

from analyzer.checks.framework import CheckContext, Outcome, check
from analyzer.checks.helpers import object_evidence, pod_specs
from analyzer.crash import CRASH_LINE, classify_crash_lines, last_error_lines, naming_pattern
from analyzer.findings import Evidence, Finding, PodRef
from analyzer.parse.quantity import parse_time, quantity
from analyzer.state import RECOVERED, describe_container
from analyzer.state.model import RESTARTS_WORTH_REPORTING
from analyzer.tables import from_json


@check("CHK001", "container-oomkilled", "runtime.oom_killed", "critical",
       "Container killed for exceeding its memory limit (OOMKilled)")
def container_oomkilled(ctx: CheckContext) -> Outcome:
    """A container whose current or last state is ``terminated`` with reason ``OOMKilled``.

    The kernel's OOM killer stopped the process because the container's memory (host RAM, not
    GPU memory) went past its limit. Exit code 137 is SIGKILL.
    """
    c = ctx.table("containers")
    if c.is_empty():
        return Outcome(skipped="no pod status in the bundle (pods JSON or describe)")
    hits = c.filter((pl.col("last_reason") == "OOMKilled") | (pl.col("state_reason") == "OOMKilled"))
    out = Outcome(note=f"{c.height} containers checked")
    for r in hits.iter_rows(named=True):
        limit = json.loads(r["limits"] or "{}").get("memory", "none")
        out.findings.append(container_oomkilled.check.finding(
            summary=(f"Container {r['name']} of pod {r['pod']} was OOMKilled (memory limit {limit}, "
                     f"restarts {r['restart_count']})"),
            remediation=("Raise the container's memory limit (model weights are staged in host RAM "
                         "while loading), or lower what it holds: fewer workers, smaller batch, "
                         "--swap-space 0, a smaller model or quantisation."),
            checks=[f"kubectl describe pod {r['pod']} -n {r['namespace']}",
                    f"kubectl top pod {r['pod']} -n {r['namespace']} --containers"],
            affected=[PodRef.of(r, r["name"]).affected()],
            evidence=[object_evidence(r["path"], f"{r['name']}: lastState terminated reason=OOMKilled "
                                     f"exitCode={r['last_exit_code'] if r['last_exit_code'] is not None else r['state_exit_code']} "
                                     f"restartCount={r['restart_count']}", r["last_finished"] or r["state_finished"], r["line"])],
            count=max(1, r["restart_count"] or 1), first_seen=r["last_finished"] or r["state_finished"],
            last_seen=r["last_finished"] or r["state_finished"],
            details={"memory_limit": limit, "restart_count": r["restart_count"]}))
    return out


_EXIT_MEANING = {1: "application error", 2: "misuse of shell builtins / bad arguments",
                 126: "command not executable", 127: "command not found", 134: "SIGABRT (abort)",
                 137: "SIGKILL (OOM or killed)", 139: "SIGSEGV (segfault)", 143: "SIGTERM"}


@check("CHK002", "container-crashloop", "runtime.crashloop", "error",
       "Container restarting repeatedly (CrashLoopBackOff)")
def container_crashloop(ctx: CheckContext) -> Outcome:
    """A container crash-looping at collection time (waiting in ``CrashLoopBackOff``, or failing
    again within 15 minutes after restarting: ``analyzer.state``), named by its crash: the last
    error lines of its previous log (an exception's final line, a command-line parser's
    ``Error: ...``, ``fatal``, ``panic``) classified by the pattern library
    (``analyzer.crash``), with its command and args as evidence. Exit codes 126/127 (command
    not executable / not found) are configuration errors; the Dynamo control plane's own etcd or
    NATS crash-looping is critical (every worker fails after it).

    Restarts that are over are not crash loops: a container that restarted 3 times or more and
    has run and been ready for 15 minutes is a warning ("restarted N times, running now"); clean
    exits (exit code 0, ``Completed``) and restarts caused by a node or container-runtime restart
    (``cluster.node_restarted``, CHK037) are not reported here at all.
    """
    if ctx.table("containers").is_empty():
        return Outcome(skipped="no pod status in the bundle (pods JSON or describe)")
    state = ctx.state
    now, by_node = state.collected_at, state.restarted_by_node()
    looping, settled = [], []
    for pod in state.pods.values():
        for c in pod.containers:
            if c.last_reason == "OOMKilled" or c.reason == "OOMKilled":
                continue  # CHK001
            if c.crash_looping(now) and not ((c.namespace, c.pod, c.name) in by_node and c.running_ready):
                looping.append((pod, c))
            elif (c.restarts >= RESTARTS_WORTH_REPORTING and c.settled(now) and c.last_state == "terminated"
                  and not c.last_clean and not c.last_lost):
                settled.append((pod, c))
    out = Outcome(note=f"{sum(len(p.containers) for p in state.pods.values())} containers checked")
    crashes = _crash_lines(ctx, [c for _, c in looping])
    specs = {(p["_ns"], (p.get("metadata") or {}).get("name")): p for p in pod_specs(ctx)} if looping else {}
    for pod, c in looping:
        out.findings.append(_crash_finding(ctx, pod, c, crashes.get((c.namespace, c.pod, c.name), []),
                                           specs.get((pod.namespace, pod.name))))
    for pod, c in settled:
        out.findings.append(container_crashloop.check.finding(
            severity="warning", title="Container restarted repeatedly, running now",
            summary=(f"Container {c.name} of pod {pod.name} restarted {c.restarts} times, running now "
                     f"(ready since {_stamp(c.started)}; its last run ended {c.last_reason or 'with an error'}, "
                     f"exit code {c.last_exit_code}{_meaning(c.last_exit_code)})"),
            remediation=("Nothing is failing now; if the restarts recur, read the previous container log "
                         "for the error that ended the last run."),
            checks=[f"kubectl logs {pod.name} -n {pod.namespace} -c {c.name} --previous",
                    f"kubectl describe pod {pod.name} -n {pod.namespace}"],
            affected=[PodRef(pod.namespace, pod.name, c.name).affected()],
            evidence=[object_evidence(c.path, describe_container(c), c.last_finished, c.line)],
            count=max(1, c.restarts), first_seen=c.last_started, last_seen=c.last_finished,
            details={"exit_code": c.last_exit_code, "restart_count": c.restarts},
            state=RECOVERED, state_reason=f"running and ready since {_stamp(c.started)}"))
    return out


def _stamp(t) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else "its start"


def _meaning(code: int | None) -> str:
    return f" ({_EXIT_MEANING[code]})" if code in _EXIT_MEANING else ""


def _crash_lines(ctx: CheckContext, containers: list) -> dict[tuple, list[Evidence]]:
    """(namespace, pod, container) -> the last error lines of the log of its last run: the
    previous log, else (a container with no previous log in the bundle) the current one."""
    wanted = {PodRef(c.namespace, c.pod, c.name) for c in containers}
    if not wanted:
        return {}
    lines = ctx.log_lines(lambda m: PodRef.of(m, m.get("container")) in wanted, CRASH_LINE)
    if lines.is_empty():
        return {}
    out: dict[tuple, list[Evidence]] = {}
    for (ns, pod, ctr, previous), g in lines.group_by(["namespace", "pod", "container", "previous"]):
        key = (ns, pod, ctr)
        if previous or key not in out:
            out[key] = last_error_lines(g.iter_rows(named=True))
    return out


def _crash_finding(ctx: CheckContext, pod, c, lines: list[Evidence], spec: dict | None) -> Finding:
    code = c.last_exit_code
    category, evidence = classify_crash_lines(lines, ctx.library)
    named = naming_pattern(category, evidence, ctx.library)
    if category == "runtime.crashloop" and code in (126, 127):
        category = "runtime.config_error"
    component = _control_plane(pod.name, c.name)
    if component:
        # the control plane itself is down: every worker that needs it fails after it
        category, named = f"control_plane.{component}", None
    cmd = _container_spec(spec, c.name)
    status = (f"container {c.name} of pod {pod.name} crash-looping: {c.waiting_reason or c.state}, restarted "
              f"{c.restarts} times, last exit code {code}{_meaning(code)}")
    ev = list(evidence)
    if cmd.get("command") or cmd.get("args"):
        ev.append(object_evidence(spec["_path"], f"{c.name}: command={json.dumps(cmd.get('command') or [])} "
                                  f"args={json.dumps(cmd.get('args') or [])}", None, spec.get("_line")))
    ev.append(object_evidence(c.path, describe_container(c), c.last_finished, c.line))
    text = {"summary": (f"Container {c.name} of pod {pod.name} is crash-looping ({status.split(': ', 1)[1]})"
                        + (f": {evidence[0].text.strip()[:240]}" if evidence else "")),
            "remediation": ("Fix what its last run ended on (the first evidence line: the end of its previous log); "
                            "check its command and args against the image's version."),
            "explanation": "", "title": None, "severity": "critical" if component else None,
            "checks": [f"kubectl logs {pod.name} -n {pod.namespace} -c {c.name} --previous",
                       f"kubectl describe pod {pod.name} -n {pod.namespace}"]}
    if named is not None:
        text.update(_pattern_text(named, evidence[0].text, pod, c, status))
    return container_crashloop.check.finding(
        category=category if category != "runtime.crashloop" else None, severity=text["severity"],
        title=text["title"], summary=text["summary"], explanation=text["explanation"],
        remediation=text["remediation"], checks=text["checks"],
        affected=[PodRef(pod.namespace, pod.name, c.name).affected()], evidence=ev,
        count=max(1, c.restarts), first_seen=c.last_started, last_seen=c.last_finished or ctx.state.collected_at,
        details={"exit_code": code, "restart_count": c.restarts, "command": cmd.get("command"),
                 "args": cmd.get("args"), "crash_lines": [e.text for e in evidence],
                 "named_by": named.id if named is not None else None})


def _pattern_text(p, line: str, pod, c, status: str) -> dict:
    """The crash told in the words of the pattern that named it (its title, severity, summary,
    explanation, remediation and commands, filled in from the deciding line), with the
    container's state."""
    m = p.compiled.search(line)
    values = {"namespace": pod.namespace or "", "pod": pod.name, "container": c.name, "node": pod.node or "",
              "count": c.restarts, **({k: v for k, v in m.groupdict().items() if v is not None} if m else {})}
    return {"title": f"Container crash-looping: {p.title}", "summary": f"{p.render(p.summary, values)} ({status})",
            "explanation": p.render(p.root_cause, values), "remediation": p.render(p.remediation, values),
            "checks": [p.render(cmd, values) for cmd in p.checks]
            + [f"kubectl logs {pod.name} -n {pod.namespace} -c {c.name} --previous"],
            "severity": p.severity if p.severity == "critical" else None}


def _container_spec(pod: dict | None, name: str) -> dict:
    """The spec of container (or init container) ``name`` in a Pod object of ``pod_specs``."""
    spec = (pod or {}).get("spec") or {}
    return next((c for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
                 if isinstance(c, dict) and c.get("name") == name), {})


def _control_plane(pod: str | None, container: str | None) -> str | None:
    """'etcd' or 'nats' when the container is the Dynamo control plane's etcd or NATS."""
    for name in (container or "", pod or ""):
        for component in ("etcd", "nats"):
            if regex.search(rf"(?:^|[-_]){component}(?:$|[-_])", name):
                return component
    return None


@check("CHK006", "secret-missing", "access.secret_missing", "critical",
       "Pod references a Secret that does not exist")
def secret_missing(ctx: CheckContext) -> Outcome:
    """A container references a Secret (env ``secretKeyRef``, ``envFrom``, a secret volume) that
    is absent from its namespace's Secret list, or a key the Secret does not have.

    Only namespaces whose Secret list (names and key names) is in the bundle are checked.
    """
    containers = ctx.table("containers")
    secrets = ctx.objects("Secret")
    listed = {p.rsplit("/", 2)[-2] for p in ctx.table("files").filter(
        pl.col("source") == "secrets").get_column("path").to_list()} if ctx.has_source("secrets") else set()
    if containers.is_empty() or not listed:
        return Outcome(skipped="no Secret list (names and keys) in the bundle")
    keys: dict[tuple[str, str], set[str]] = {}
    for s in secrets:
        meta = s.get("metadata") or {}
        keys[(meta.get("namespace"), meta.get("name"))] = set((s.get("data") or {}) | (s.get("stringData") or {}))
    out = Outcome(note=f"secret references in {len(listed)} namespace(s) checked")
    for r in containers.filter(pl.col("namespace").is_in(sorted(listed))).iter_rows(named=True):
        for ref in json.loads(r["secret_refs"] or "[]"):
            name, _, key = ref.partition("/")
            have = keys.get((r["namespace"], name))
            if have is not None and (not key or key in have):
                continue
            problem = f"Secret {name!r} not found" if have is None else f"Secret {name!r} has no key {key!r}"
            out.findings.append(secret_missing.check.finding(
                summary=f"Pod {r['pod']} (container {r['name']}): {problem} in namespace {r['namespace']}",
                remediation=f"Create the Secret {name} in {r['namespace']} (with key {key or '...'}), or fix the reference.",
                checks=[f"kubectl get secret {name} -n {r['namespace']} -o jsonpath='{{.data}}' | jq 'keys'"],
                affected=[PodRef.of(r, r["name"]).affected()],
                evidence=[object_evidence(r["path"], f"{r['pod']}/{r['name']} references secret {ref}; {problem}", None, r["line"])],
                details={"secret": name, "key": key or None}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK018

MIN_RUN_S = 300   # a run shorter than this died while loading (a peak), not from growth
RSS_METRICS = ("container_memory_working_set_bytes", "process_resident_memory_bytes")
# "rss=1.18GiB", "RSS: 812 MiB", "memory_used=3.2GB", "resident memory 1024MB" in an app's own log
MEM_LINE = (r"(?i)\b(?:rss|resident[ _]memory|mem(?:ory)?[ _](?:used|usage|rss))\s*[=:]?\s*"
            r"(\d+(?:\.\d+)?)\s*(GiB|MiB|KiB|GB|MB|KB|kB|G|M|K|bytes|B)\b")
_UNIT = {"gib": 2**30, "mib": 2**20, "kib": 2**10, "gb": 1e9, "mb": 1e6, "kb": 1e3, "g": 2**30, "m": 2**20,
         "k": 2**10, "bytes": 1, "b": 1}
GROWTH_RATIO = 1.5        # a run's last reading at least 1.5x its first ...
GROWTH_MIN = 256 * 2**20  # ... and 256 MiB more
MONOTONE = 0.7            # with at least 70 % of the steps going up (a leak, not a sawtooth)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def _pod_memory(metrics: pl.DataFrame, ns: str, pod: str, container: str) -> tuple[float | None, float | None, str]:
    """(memory bytes, process start unix time, metric name) of one container from its pod's scrape."""
    if metrics.is_empty():
        return None, None, ""
    rows = metrics.filter((pl.col("namespace") == ns) & (pl.col("pod") == pod))
    if rows.is_empty():
        return None, None, ""
    mem, name = None, ""
    for metric in RSS_METRICS:
        sel = rows.filter(pl.col("name") == metric)
        if metric == "container_memory_working_set_bytes":
            sel = sel.filter(pl.col("labels").str.contains(f'"container":"{container}"', literal=True))
        if sel.height:
            mem, name = float(sel.get_column("value").max()), metric
            break
    start = rows.filter(pl.col("name") == "process_start_time_seconds").get_column("value").max()
    return mem, (float(start) if start is not None else None), name


@dataclass
class Run:
    """The memory readings one run of a container logged about itself."""

    rows: list[dict]  # log_lines rows with "bytes", in time order

    @property
    def first(self) -> float:
        return self.rows[0]["bytes"]

    @property
    def last(self) -> float:
        return self.rows[-1]["bytes"]

    @property
    def seconds(self) -> float:
        return (self.rows[-1]["time"] - self.rows[0]["time"]).total_seconds()

    @property
    def pace(self) -> float:
        """Bytes per second from the first reading to the last."""
        return (self.last - self.first) / self.seconds if self.seconds > 0 else 0.0

    def grows(self) -> bool:
        if len(self.rows) < 3 or self.seconds < 60:
            return False
        steps = [b["bytes"] >= a["bytes"] for a, b in zip(self.rows, self.rows[1:])]
        return (self.last >= GROWTH_RATIO * self.first and self.last - self.first >= GROWTH_MIN
                and sum(steps) >= MONOTONE * len(steps))

    def text(self) -> str:
        return (f"{_gib(self.first)} -> {_gib(self.last)} in {_duration(self.seconds)} "
                f"({self.pace * 60 / 2**20:.0f} MiB/min)")


def restarted_containers(containers: pl.DataFrame) -> pl.DataFrame:
    """The app containers that restarted: CHK018 reads their logs again."""
    if containers.is_empty():
        return containers
    return containers.filter((pl.col("restart_count") >= 1) & (pl.col("init") != True))  # noqa: E712


def reread_logs(tables: dict[str, pl.DataFrame]):
    """Which log members the checks read again after matching (a predicate over members)."""
    containers = tables.get("containers", pl.DataFrame())
    rows = restarted_containers(containers).iter_rows(named=True)
    wanted = {PodRef.of(r, r["name"]) for r in rows}
    if not containers.is_empty():
        # a crash-looping init container too: CHK002 reads the end of its last run
        looping = containers.filter(pl.col("state_reason") == "CrashLoopBackOff")
        wanted |= {PodRef.of(r, r["name"]) for r in looping.iter_rows(named=True)}
    return lambda m: PodRef.of(m.meta, m.meta.get("container")) in wanted


def _log_runs(ctx: CheckContext, restarted: pl.DataFrame) -> dict[tuple, Run]:
    """(namespace, pod, container, previous) -> the memory readings in that log."""
    wanted = {PodRef.of(r, r["name"]) for r in restarted.iter_rows(named=True)}
    lines = ctx.log_lines(lambda m: PodRef.of(m, m.get("container")) in wanted, MEM_LINE)
    if lines.is_empty():
        return {}
    lines = lines.filter(pl.col("time").is_not_null()).with_columns(
        pl.col("text").str.extract(MEM_LINE, 1).cast(pl.Float64, strict=False).alias("_n"),
        pl.col("text").str.extract(MEM_LINE, 2).str.to_lowercase().alias("_u"))
    out: dict[tuple, Run] = {}
    for key, g in lines.sort("time").group_by(["namespace", "pod", "container", "previous"], maintain_order=True):
        rows = [dict(r, bytes=r["_n"] * _UNIT.get(r["_u"], 1)) for r in g.iter_rows(named=True) if r["_n"] is not None]
        if rows:
            out[tuple(key)] = Run(rows)
    return out


def _line_ev(r: dict) -> Evidence:
    return Evidence(r["path"], r["line"], r["text"], r["time"], None, "log")


@check("CHK018", "memory-growth", "performance.memory_leak", "warning",
       "Container memory grows until the limit, run after run (likely leak)")
def memory_growth(ctx: CheckContext) -> Outcome:
    """A restarted container whose memory climbs while it serves, in the run that ended and again
    in the current one.

    Two sources, best first:

    - readings the application logs about itself (``rss=1.18GiB``, ``RSS: 812 MiB``,
      ``memory_used=3.2GB``) in its previous and current log: fires when the previous run
      grew (last reading at least 1.5x and 256 MiB over the first, mostly rising) and the
      current run grows too, or the previous run grew to within 80 % of the memory limit and
      was OOMKilled;
    - otherwise the pod's scrape (``container_memory_working_set_bytes``, else
      ``process_resident_memory_bytes``, with ``process_start_time_seconds``): fires when the
      previous run was OOMKilled after 5 minutes or more (not a loading peak) and the current
      run, at its average pace since start (memory at start taken as 0: an upper bound),
      reaches the limit within twice the previous run's length.

    A bundle holds one scrape per pod and a restart that was not OOMKilled leaves no reading
    of how high the previous run went, so containers with neither log readings nor a scrape
    are listed as unmeasured in the note rather than guessed at.
    """
    containers = ctx.table("containers")
    if containers.is_empty():
        return Outcome(skipped="no pod status in the bundle (pods JSON or describe)")
    restarted = restarted_containers(containers)
    if restarted.is_empty():
        return Outcome(note=f"no restarted container among {containers.height}")
    metrics = ctx.table("metrics")
    runs = _log_runs(ctx, restarted)
    if metrics.is_empty() and not runs:
        return Outcome(skipped=f"{restarted.height} restarted container(s) but neither memory readings in their "
                               "logs nor a metrics scrape: memory over time cannot be measured")
    ref = parse_time(ctx.facts.get("collected_at"))
    out = Outcome()
    unmeasured: list[str] = []
    for c in restarted.iter_rows(named=True):
        limit = quantity(from_json(c["limits"], {}).get("memory"))
        oom = c["last_reason"] == "OOMKilled"
        prev = ((c["last_finished"] - c["last_started"]).total_seconds()
                if c["last_finished"] and c["last_started"] else None)
        mem, start, metric = _pod_memory(metrics, c["namespace"], c["pod"], c["name"])
        who = f"{c['pod']}/{c['name']}"
        before = runs.get((c["namespace"], c["pod"], c["name"], True))
        now = runs.get((c["namespace"], c["pod"], c["name"], False))
        f = None
        if before is not None and before.grows():
            near_limit = limit is not None and before.last >= 0.8 * limit
            if (now is not None and now.grows()) or (oom and near_limit):
                f = _log_finding(c, before, now, limit, oom, mem, metric)
        if f is None and (before is None or not before.grows()):
            f, why = _scrape_finding(c, limit, oom, prev, mem, start, metric, ref)
            if why:
                unmeasured.append(f"{who} ({why})")
        if f is not None:
            out.findings.append(f)
    out.note = (f"{restarted.height} restarted container(s) checked"
                + (f"; unmeasured: {'; '.join(unmeasured[:5])}" if unmeasured else ""))
    return out


def _log_finding(c: dict, before: Run, now: Run | None, limit: float | None, oom: bool, mem, metric):
    end = (f"until OOMKilled at the {_gib(limit)} limit" if oom and limit else
           f"until it ended ({c['last_reason'] or 'exit ' + str(c['last_exit_code'])})")
    current = f"; this run {now.text()}" if now is not None and now.grows() else ""
    eta = ""
    if now is not None and now.grows() and limit and now.pace > 0 and now.last < limit:
        eta = f"; at this pace it reaches the limit in ~{_duration((limit - now.last) / now.pace)}"
    scrape = f" (scrape: {metric} {_gib(mem)})" if mem is not None else ""
    evidence = [_line_ev(before.rows[0]), _line_ev(before.rows[-1])]
    if now is not None:
        evidence += [_line_ev(now.rows[0]), _line_ev(now.rows[-1])]
    return memory_growth.check.finding(
        summary=(f"Container {c['name']} of pod {c['pod']}: memory grows in every run: previous run "
                 f"{before.text()} {end}{current}{scrape}{eta} ({c['restart_count']} restarts)"),
        remediation=_LEAK_FIX, checks=_leak_checks(c), affected=[PodRef.of(c, c["name"]).affected()],
        evidence=evidence, count=c["restart_count"] or 1, first_seen=before.rows[0]["time"],
        last_seen=(now or before).rows[-1]["time"],
        details={"previous_run": {"first_bytes": int(before.first), "last_bytes": int(before.last),
                                  "seconds": int(before.seconds), "mib_per_minute": round(before.pace * 60 / 2**20, 1)},
                 "current_run": None if now is None else {
                     "first_bytes": int(now.first), "last_bytes": int(now.last), "seconds": int(now.seconds),
                     "mib_per_minute": round(now.pace * 60 / 2**20, 1)},
                 "limit_bytes": int(limit) if limit else None, "source": "log"})


_LEAK_FIX = ("Memory climbs while the container serves and it dies at the limit, run after run: look for what "
             "accumulates (unbounded request/prompt caches, prefix caches in host RAM, metric label sets, leaked "
             "tensors or buffers) and bound it; raising the limit only delays the kill.")


def _leak_checks(c: dict) -> list[str]:
    return [f"kubectl top pod {c['pod']} -n {c['namespace']} --containers",
            f"kubectl logs {c['pod']} -n {c['namespace']} -c {c['name']} --previous | tail -50"]


def _scrape_finding(c: dict, limit, oom: bool, prev, mem, start, metric, ref):
    """(finding or None, why unmeasured or "") from the scrape and the previous run's kill."""
    if not oom or limit is None or prev is None:
        return None, "previous run " + ("not OOMKilled" if not oom else "without limit or times")
    if mem is None:
        return None, "no memory metric scraped"
    if prev < MIN_RUN_S:
        return None, f"previous run only {_duration(prev)}"
    begun = datetime.fromtimestamp(start, timezone.utc) if start else c["state_started"]
    if ref is None or begun is None:
        return None, "no uptime"
    uptime = (ref - begun).total_seconds()
    if uptime < 60 or mem <= 0:
        return None, f"current run {int(uptime)} s old"
    pace = mem / uptime  # bytes per second since start
    to_limit = limit / pace
    if to_limit > 2 * prev:
        return None, ""
    f = memory_growth.check.finding(
        summary=(f"Container {c['name']} of pod {c['pod']}: previous run OOMKilled after {_duration(prev)} at its "
                 f"{_gib(limit)} limit; this run holds {_gib(mem)} ({mem / limit:.0%} of the limit) after "
                 f"{_duration(uptime)}, about {pace * 60 / 2**20:.0f} MiB/min: at this pace it reaches the limit "
                 f"after ~{_duration(to_limit)} ({c['restart_count']} restarts so far)"),
        remediation=_LEAK_FIX, checks=_leak_checks(c), affected=[PodRef.of(c, c["name"]).affected()],
        evidence=[object_evidence(c["path"], f"{c['name']}: lastState terminated reason=OOMKilled started={c['last_started']} "
                                 f"finished={c['last_finished']} limits.memory={from_json(c['limits'], {}).get('memory')} "
                                 f"restartCount={c['restart_count']}", c["last_finished"], c.get("line")),
                  Evidence(f"namespaces/{c['namespace']}/metrics/{c['pod']}.prom", None,
                           f"{metric} {mem:.0f} ({_gib(mem)}); process_start_time_seconds {start}", ref, None,
                           "metrics")],
        count=c["restart_count"] or 1, first_seen=c["last_started"], last_seen=ref,
        details={"previous_run_seconds": int(prev), "limit_bytes": int(limit), "memory_bytes": int(mem),
                 "uptime_seconds": int(uptime), "mib_per_minute": round(pace * 60 / 2**20, 1),
                 "seconds_to_limit": int(to_limit), "metric": metric, "source": "metrics"})
    return f, ""
