"""What the collector could not collect, from each layout's own records of its failures.

A source that failed to collect is not a healthy source: each failure is listed (the result's
``input.not_collected``, the report's "Not collected" section) with what the diagnosis lacks
because of it (``deprives``), and the checks that would have read it say so
(``analyzer.checks.run_checks``). What each collector writes when it fails:

- troubleshoot (``pkg/collect``): ``cluster-resources/<name>-errors.json`` (a JSON list of error
  strings, or a map: custom resources), ``cluster-resources/pods/logs/<ns>/<pod>/<c>-logs-errors.log``
  (plain text), ``cluster-info/errors.json``, other collectors' ``errors.json`` /
  ``<name>-errors.json``, ``collector-errors/<title>-error.json``
  (``{"collector", "error", "timestamp"}``, a collector that failed whole) and the ``(F)`` marks
  of ``execution-data/summary.txt``::

      ============ Collectors summary =============
      Succeeded (S), eXcluded (X), Failed (F)
      =============================================
      cluster-resources (S) : 1,204ms
      logs/app (F)          : 12ms

- must-gather (``oc adm must-gather``, ``oc adm inspect``): ``gather.logs`` (the gather script's
  output, kubelet-timestamped) and ``must-gather.logs`` (the client's), whose failures read::

      error: inspection completed with the errors occurred while gathering data:
          [skipping gathering namespaces/openshift-multus due to error: one or more errors occurred ...]
      one or more errors occurred while gathering container data for pod multus-zr88j:
          [Get https://10.0.0.7:10250/containerLogs/openshift-multus/multus-zr88j/kube-multus?timestamps=true: dial tcp 10.0.0.7:10250: connect: connection refused]
      [must-gather-fmzgt] OUT 2024-05-17T12:00:19.63Z gather never finished: timed out waiting for the condition

- ``kubectl cluster-info dump``: ``Request log error: ...`` / ``Create log request error: ...`` in
  place of a container's log in ``<ns>/<pod>/logs.txt`` (found as the logs are read,
  ``dump_log_failure``);
- our collector: the manifest's failed commands (``manifest.json``), less those that had
  nothing to collect (no previous container, a pod not started or not scheduled, a command run
  in a container whose output was kept).

``deprives`` names what a check or pattern reads: ``pods``, ``nodes``, ``events``, ``logs``,
``metrics``, ``version``, ``objects`` (any kind) or ``objects:<Kind>``, ``everything``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import regex

from analyzer.ingest import Bundle, Member, ReadFailed
from analyzer.parse.places import troubleshoot_kind

MAX_ERROR = 400     # characters of one error kept
MAX_FILE = 8 << 20  # bytes of one failure record read


@dataclass(frozen=True)
class NotCollected:
    """One source the collector could not collect."""

    source: str                  # what was not collected, in the collector's terms
    path: str                    # the bundle file that records the failure
    error: str                   # the collector's error, one line
    deprives: tuple[str, ...]    # what the diagnosis lacks because of it

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "path": self.path, "error": self.error, "deprives": list(self.deprives)}


def one_line(text: str) -> str:
    """An error as one line of at most ``MAX_ERROR`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_ERROR else text[:MAX_ERROR - 1] + "…"


def not_collected(bundle: Bundle) -> list[NotCollected]:
    """The collection failures the bundle records (those of cluster-info dump's logs come as
    its logs are read: ``dump_log_failure``)."""
    if bundle.layout == "troubleshoot":
        found = _troubleshoot(bundle)
    elif bundle.layout == "must-gather":
        found = _must_gather(bundle)
    elif bundle.layout == "collector":
        found = manifest_failures(bundle.manifest)
    else:
        found = []
    return list(dict.fromkeys(found))


def _read(m: Member) -> str | None:
    try:
        return m.read_bytes(MAX_FILE).decode("utf-8", errors="replace")
    except ReadFailed:
        return None  # the parse stage lists it under "could not read"


# ---------------------------------------------------------------------------------------------
# troubleshoot

_TS_POD_LOG_ERRORS = regex.compile(r"^cluster-resources/pods/logs/(?P<ns>[^/]+)/(?P<pod>[^/]+)/(?P<c>.+)-logs-errors\.log$")
_TS_RESOURCE_ERRORS = regex.compile(r"^cluster-resources/(?:(?P<dir>[^/]+)/)?(?P<name>[^/]+)-errors\.json$")
_TS_COLLECTOR_ERROR = regex.compile(r"^collector-errors/(?P<title>.+)-error\.json$")
_TS_OTHER_ERRORS = regex.compile(r"(?:^|/)(?:errors|.+-errors)\.(?:json|log)$")
_SUMMARY_LINE = regex.compile(r"^(?P<name>.+?) \((?P<status>[SXF])\)\s*:\s*[\d,.]+\s*\w*s\s*$")


def _troubleshoot(bundle: Bundle) -> list[NotCollected]:
    out: list[NotCollected] = []
    for m in bundle.members:
        p = m.path
        if m.kind == "empty":
            continue
        if p == "execution-data/summary.txt":
            text = _read(m)
            out.extend(_summary_failures(text, p) if text else [])
            continue
        lm = _TS_POD_LOG_ERRORS.match(p)
        if lm:
            text = _read(m)
            if text is not None:
                out.append(NotCollected(f"logs of {lm['ns']}/{lm['pod']}/{lm['c']}", p, one_line(text), ("logs",)))
            continue
        cm = _TS_COLLECTOR_ERROR.match(p)
        if cm:
            record = _json(m)
            error = record.get("error") if isinstance(record, dict) else None
            title = str(record.get("collector") or cm["title"]) if isinstance(record, dict) else cm["title"]
            out.append(NotCollected(f"collector {title}", p, one_line(error or "collector failed"),
                                    _collector_deprives(title)))
            continue
        if p == "cluster-info/errors.json":
            out.extend(NotCollected("cluster version", p, e, ("version",)) for e in _errors(_json(m)))
            continue
        rm = _TS_RESOURCE_ERRORS.match(p)
        if rm and p.startswith("cluster-resources/"):
            name = rm["name"]
            out.extend(NotCollected(name if not rm["dir"] else f"{rm['dir']}/{name}", p, e, _resource_deprives(name))
                       for e in _errors(_json(m)))
            continue
        if _TS_OTHER_ERRORS.search(p) and not p.startswith("cluster-resources/"):
            # logs, exec, copy and run-pod collectors: <collector>/[...]/[<name>-]errors.json
            folder = str(PurePosixPath(p).parent)
            data = _json(m) if p.endswith(".json") else _read(m)
            out.extend(NotCollected(f"collector output {folder}", p, e, ("logs",)) for e in _errors(data))
    return out


def _json(m: Member) -> Any:
    text = _read(m)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _errors(data: Any) -> list[str]:
    """Error strings of a troubleshoot errors file: a list, a map (key: error) or plain text."""
    if data is None:
        return []
    if isinstance(data, list):
        return [one_line(e) for e in data if str(e).strip()]
    if isinstance(data, dict):
        return [one_line(f"{k}: {v}") for k, v in data.items()]
    return [one_line(data)] if str(data).strip() else []


def _resource_deprives(name: str) -> tuple[str, ...]:
    if name in ("pods", "events", "nodes"):
        return (name,)
    kind = troubleshoot_kind(name)
    return (f"objects:{kind[1]}",) if kind else ("objects",)


def _collector_deprives(title: str) -> tuple[str, ...]:
    """What a troubleshoot collector's output gives the diagnosis, by its title
    (``pkg/collect/collector.go: getCollectorName``: ``cluster-resources``, ``logs/<name>``...)."""
    key = title.lower().split("/", 1)[0]
    if key == "cluster-resources":
        return ("pods", "nodes", "events", "objects")
    if key == "cluster-info":
        return ("version",)
    if key in ("custom-metrics", "node-metrics"):
        return ("metrics",)
    if key == "helm":
        return ("helm releases",)
    return ("logs",)  # logs, exec, run-pod, copy, http...: their output is read as logs and text


def _summary_failures(text: str, path: str) -> list[NotCollected]:
    """The collectors marked ``(F)`` in the Collectors section of ``execution-data/summary.txt``."""
    out, section = [], None
    for line in text.splitlines():
        if line.startswith("=") and "summary" in line.lower():
            section = line.strip("= ").lower()
            continue
        m = _SUMMARY_LINE.match(line.strip())
        if m and m["status"] == "F" and section and section.startswith("collectors"):
            name = m["name"].strip()
            out.append(NotCollected(f"collector {name}", path, "failed (Failed (F) in the collectors summary)",
                                    _collector_deprives(name)))
    return out


# ---------------------------------------------------------------------------------------------
# must-gather

_MG_PREFIX = regex.compile(r"^(?:\[[^\]]+\] (?:OUT|POD) )?(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) )?")
_MG_RUN_FAILED = regex.compile(r"^(?:\[(?P<pod>[^\]]+)\] OUT \S+ )?gather (?P<what>did not start|never finished|"
                               r"output not downloaded)(?: for pod \S+)?: (?P<error>.*)$")
_MG_SKIPPED = regex.compile(r"skipping gathering (?P<ref>\S+) due to error: (?P<error>.*?)(?=, skipping gathering |\]?$)")
_MG_CONTAINER_LOG = regex.compile(r"containerLogs/(?P<ns>[^/\s]+)/(?P<pod>[^/\s]+)/(?P<c>[^/?\s]+)\?(?P<query>\S*?): "
                                  r"(?P<error>[^,\]]*)")
_MG_ERROR = regex.compile(r"^error: (?P<error>.+)$")


def _must_gather(bundle: Bundle) -> list[NotCollected]:
    out: list[NotCollected] = []
    for m in bundle.members:
        if m.name not in ("gather.logs", "must-gather.logs") or m.kind == "empty":
            continue
        text = _read(m)
        if text:
            out.extend(gather_log_failures(text, m.path))
    return out


def gather_log_failures(text: str, path: str) -> list[NotCollected]:
    """Collection failures in a must-gather ``gather.logs`` / ``must-gather.logs``.

    >>> [f.source for f in gather_log_failures(
    ...     "2024-05-17T12:00:19.6Z error: inspection completed with the errors occurred while gathering data:\\n"
    ...     "2024-05-17T12:00:19.6Z     [skipping gathering namespaces/gpu due to error: etcdserver: request timed out]\\n",
    ...     "gather.logs")]
    ['namespaces/gpu']
    """
    out: list[NotCollected] = []
    for raw in text.splitlines():
        run = _MG_RUN_FAILED.match(raw)
        if run:
            out.append(NotCollected(f"must-gather run {run['pod'] or ''}".strip(), path,
                                    one_line(f"gather {run['what']}: {run['error']}"), ("everything",)))
            continue
        line = _MG_PREFIX.sub("", raw, count=1)
        found = False
        for sm in _MG_SKIPPED.finditer(line):
            found = True
            out.append(NotCollected(sm["ref"], path, one_line(sm["error"]), ("objects",)))
        for lm in _MG_CONTAINER_LOG.finditer(line):
            found = True
            previous = "previous=true" in lm["query"]
            if previous and "not found" in lm["error"]:
                continue  # no previous container: nothing to collect
            out.append(NotCollected(f"{'previous ' if previous else ''}logs of {lm['ns']}/{lm['pod']}/{lm['c']}",
                                    path, one_line(lm["error"]), ("logs",)))
        em = _MG_ERROR.match(line)
        if em and not found and not em["error"].rstrip().endswith(":"):
            out.append(NotCollected("oc adm inspect", path, one_line(em["error"]), ("objects",)))
    return out


# ---------------------------------------------------------------------------------------------
# our collector's manifest

# failures that had nothing to collect: no previous container, a pod not started or not
# scheduled, a command in a container that ran and failed (its output is kept)
_NOTHING_TO_COLLECT = regex.compile(
    r"previous terminated container .* not found|is waiting to start|does not have a host assigned|"
    r"^command terminated with exit code \d+")
SOURCE_DEPRIVES = {
    "version": ("version",), "nodes": ("nodes",), "nodes_describe": ("nodes",), "pods": ("pods",),
    "pods_describe": ("pods",), "events": ("events",), "log": ("logs",), "previous_log": ("logs",),
    "exec": ("logs",), "node_kernel_log": ("logs",), "node_nvidia_smi": ("logs",),
    "metrics": ("metrics",), "node_dcgm_metrics": ("metrics",), "top_pods": ("metrics",),
    "top_nodes": ("metrics",), "namespaces": ("objects:Namespace",), "persistentvolumes": ("objects:PersistentVolume",),
    "storageclasses": ("objects:StorageClass",), "crds": ("objects:CustomResourceDefinition",),
    "mutatingwebhooks": ("objects:MutatingWebhookConfiguration",), "runtimeclasses": ("objects:RuntimeClass",),
    "deployments": ("objects:Deployment",), "statefulsets": ("objects:StatefulSet",),
    "daemonsets": ("objects:DaemonSet",), "replicasets": ("objects:ReplicaSet",), "jobs": ("objects:Job",),
    "services": ("objects:Service",), "endpoints": ("objects:Endpoints",), "pvcs": ("objects:PersistentVolumeClaim",),
    "configmaps": ("objects:ConfigMap",), "secrets": ("objects:Secret",), "hpas": ("objects:HorizontalPodAutoscaler",),
    "ingresses": ("objects:Ingress",), "networkpolicies": ("objects:NetworkPolicy",),
    "custom_resources": ("objects",), "cluster_custom_resources": ("objects",), "helm_releases": ("helm releases",),
}


def manifest_failures(manifest: dict[str, Any]) -> list[NotCollected]:
    """Our collector's failed commands that left a gap (``manifest.json`` command records)."""
    out = []
    for r in manifest.get("commands") or ():
        if not isinstance(r, dict) or r.get("exit_code") in (0, None):
            continue
        stderr = str(r.get("stderr") or "").strip()
        if _NOTHING_TO_COLLECT.search(stderr):
            continue
        source = str(r.get("source") or "command")
        where = _command_target([str(a) for a in r.get("argv") or ()]) or str(r.get("namespace") or "")
        out.append(NotCollected(f"{source} of {where}" if where else source, "manifest.json",
                                one_line(stderr or f"exit code {r.get('exit_code')}"),
                                SOURCE_DEPRIVES.get(source, (source,))))
    return out


_PROXY_PATH = regex.compile(r"/namespaces/(?P<ns>[^/]+)/(?:pods|services)/(?P<name>[^/:]+)")


def _command_target(argv: list[str]) -> str:
    """namespace/pod[/container] a kubectl command of the collector was about ('' when none).

    >>> _command_target(["kubectl", "logs", "-n", "llm", "vllm-0", "-c", "main", "--previous"])
    'llm/vllm-0/main'
    >>> _command_target(["kubectl", "get", "--raw", "/api/v1/namespaces/llm/pods/vllm-0:9090/proxy/metrics"])
    'llm/vllm-0'
    """
    for a in argv:
        m = _PROXY_PATH.search(a)
        if m:
            return f"{m['ns']}/{m['name']}"
    ns = container = pod = ""
    verb = next((a for a in argv[1:] if a in ("logs", "exec", "describe")), "")
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("-n", "--namespace", "-c", "--container") and i + 1 < len(argv):
            ns, container = (argv[i + 1], container) if a in ("-n", "--namespace") else (ns, argv[i + 1])
            i += 2
            continue
        if a == "--":
            break
        if verb in ("logs", "exec") and not pod and not a.startswith("-") and a != verb and argv[i - 1] != "kubectl":
            pod = a
        i += 1
    return "/".join(x for x in (ns, pod, container) if x) if pod else ""


# ---------------------------------------------------------------------------------------------
# kubectl cluster-info dump

DUMP_LOG_ERROR = r"^(?:Request log error|Create log request error): "
# the lines around each container's section of <ns>/<pod>/logs.txt (kubectl 1.8 and later name
# the container; older ones wrote one section per pod: "==== START logs for ns/pod ====")
DUMP_LOG_MARKER = r"^==== (?:START|END) logs for (?:container \S+ of pod )?\S+ ====$"


def dump_log_failure(path: str, namespace: str | None, pod: str | None, container: str | None,
                     line: str) -> NotCollected | None:
    """A container whose log ``kubectl cluster-info dump`` could not get (the line it wrote
    instead, in ``<ns>/<pod>/logs.txt``); None when there was no log to get (a pod not
    scheduled, a container not started)."""
    error = regex.sub(DUMP_LOG_ERROR, "", line, count=1)
    if _NOTHING_TO_COLLECT.search(error):
        return None
    who = "/".join(x for x in (namespace, pod, container) if x)
    return NotCollected(f"logs of {who}", path, one_line(line), ("logs",))
