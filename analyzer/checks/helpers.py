"""What several check modules read or build the same way: evidence lines, the full pod specs,
the collector's manifest records and sources, label selectors, scheduling events.

Pod specs beyond the ``pods``/``containers`` tables (command, args, env values,
``runtimeClassName``, resources) come from the Pod objects the parse stage kept for the pods the
tables hold (``pod_specs``). The collector's manifest is the fact ``manifest``: one
record per command with its exit code and stderr excerpt, e.g.::

    {"source": "pods", "namespace": "ml", "argv": ["kubectl", "get", "pods", "-n", "ml", "-o", "json"],
     "exit_code": 1, "bytes": 0, "duration_ms": 92,
     "stderr": "Error from server (Forbidden): pods is forbidden: User \\"system:serviceaccount:...\\" ..."}


Object bodies are read as they were written (any type in any field): through ``dig``,
``name_of``, ``labels_of`` and ``metadata`` (``analyzer.parse.shape``), never ``obj["a"]["b"]``.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import regex

from analyzer.checks.framework import CheckContext
from analyzer.findings import Evidence
from analyzer.ingest.bundle import ReadFailed
from analyzer.parse.objects import pod_key
from analyzer.parse.shape import dig, name_of, text

# kubectl's answer for a resource type the cluster does not serve (a CRD not installed)
NO_RESOURCE_TYPE = regex.compile(r"the server doesn't have a resource type \"([^\"]+)\"")


def object_evidence(path: str | None, text: str, time=None, line: int | None = None) -> Evidence:
    """Evidence pointing at an object (``line``: where its name stands in the file)."""
    return Evidence(path or "", line, text, time, None, "object")


def event_evidence(r: dict[str, Any], text: str | None = None) -> Evidence:
    """Evidence pointing at an ``events`` row (its text: type, reason, component and message)."""
    return Evidence(r["path"], r["line"], text if text is not None else
                    f"{r['type']} {r['reason']} {r['component']}: {r['message']}", r["last_time"], None, "events")


def pod_evidence(r: dict[str, Any], extra: str = "") -> Evidence:
    """One line proving what a pod asks for."""
    asks = " ".join(f"{k}={r[c]}" for k, c in (("nvidia.com/gpu", "gpu"), ("nvidia.com/gpumem", "gpumem"),
                                                 ("nvidia.com/gpumem-percentage", "gpumem_percentage"),
                                                 ("nvidia.com/gpucores", "gpucores")) if r.get(c) is not None)
    return object_evidence(r["path"], f"pod/{r['name']} phase={r['phase']} schedulerName={r['scheduler_name']} "
                                      f"{asks}{extra}".rstrip(), None, r.get("line"))


def sched_failures(ctx: CheckContext, pod: dict) -> dict[str, Any]:
    """How often the pod failed scheduling (events), for the finding's count and times."""
    ev = ctx.table("events")
    if ev.is_empty():
        return {}
    ev = ev.filter((pl.col("namespace") == pod["namespace"]) & (pl.col("object_name") == pod["name"])
                   & pl.col("reason").is_in(["FailedScheduling", "FilteringFailed"]))
    if ev.is_empty():
        return {}
    return {"count": int(ev.get_column("count").fill_null(1).sum()),
            "first_seen": ev.get_column("first_time").min() or ev.get_column("last_time").min(),
            "last_seen": ev.get_column("last_time").max()}


def pod_specs(ctx: CheckContext) -> list[dict]:
    """The full Pod objects behind the ``pods`` table's JSON rows, each with ``_path``, ``_line``
    (where its name stands) and ``_ns``: those the parse stage kept (``Parsed.pod_objects``),
    so that no pod file is read again; empty without a parsed bundle."""
    cached = ctx.__dict__.get("_pod_specs")
    if cached is not None:
        return cached
    out: list[dict] = []
    pods = ctx.table("pods")
    if ctx.parsed is not None and not pods.is_empty():
        rows = pods.filter(pl.col("origin") != "describe")
        lines = {(r["path"], r["namespace"], r["name"]): r["line"] for r in rows.iter_rows(named=True)}
        for path, default_ns, obj in ctx.parsed.pod_objects:
            key = pod_key(path, default_ns, obj)
            if key in lines:  # the copy the pods table kept (one per pod)
                out.append(dict(obj, _path=path, _line=lines[key], _ns=key[1]))
    ctx.__dict__["_pod_specs"] = out
    return out


def metadata(obj: dict) -> dict:
    """An object's ``metadata`` (empty when absent or not a mapping); its ``labels`` and
    ``annotations`` read with ``labels_of``, its name with ``name_of``."""
    return dig(obj, "metadata", default={})


def spec_evidence(pod: dict, text: str) -> Evidence:
    """Evidence pointing at a Pod object of ``pod_specs``."""
    return object_evidence(pod["_path"], f"pod/{name_of(pod)} {text}", None, pod.get("_line"))


def containers_of(pod: dict) -> list[dict]:
    """The app containers of a Pod object (init containers left out)."""
    return [c for c in dig(pod, "spec", "containers", default=[]) if isinstance(c, dict)]


def env_value(container: dict, name: str) -> str | None:
    """The literal value of env var ``name`` ("<from reference>" when it is a reference)."""
    for e in dig(container, "env", default=[]):
        if isinstance(e, dict) and e.get("name") == name:
            return text(e["value"]) if "value" in e else "<from reference>"
    return None


def command_line(container: dict) -> str:
    """command + args as one string, for flag searches."""
    return " ".join(str(x) for x in dig(container, "command", default=[]) + dig(container, "args", default=[]))


def labels_match(selector: dict | None, labels: dict[str, str]) -> tuple[bool, str]:
    """Kubernetes label-selector semantics; (matches, the first term that excludes)."""
    if not selector or not isinstance(selector, dict):
        return True, ""
    for k, v in dig(selector, "matchLabels", default={}).items():
        if labels.get(k) != v:
            return False, f"matchLabels {k}={v}"
    for e in dig(selector, "matchExpressions", default=[]):
        if not isinstance(e, dict):
            continue
        key, op, values = text(e.get("key")), e.get("operator"), dig(e, "values", default=[])
        has = key in labels
        ok = {"In": has and labels.get(key) in values, "NotIn": not has or labels.get(key) not in values,
              "Exists": has, "DoesNotExist": not has}.get(op, True)
        if not ok:
            return False, f"{key} {op} {values}" if values else f"{key} {op}"
    return True, ""


def collected(ctx: CheckContext, source: str, namespace: str | None = None) -> bool:
    """The collector wrote source ``source`` (for ``namespace``) into the bundle."""
    files = ctx.table("files")
    if files.is_empty():
        return False
    sel = files.filter(pl.col("source") == source)
    if namespace is not None:
        sel = sel.filter(pl.col("namespace") == namespace)
    return sel.height > 0


def source_path(ctx: CheckContext, source: str) -> str | None:
    """The first file of collector source ``source`` in the bundle."""
    files = ctx.table("files")
    if files.is_empty():
        return None
    sel = files.filter(pl.col("source") == source)
    return sel.get_column("path")[0] if sel.height else None


def manifest_records(ctx: CheckContext) -> list[dict]:
    """The manifest's command records, each with ``_line``: the line of its ``exit_code`` in
    manifest.json (both one-record-per-line and pretty-printed manifests)."""
    records = (ctx.facts.get("manifest") or {}).get("commands") or []  # type-checked by the parse stage
    lines: list[int] = []
    if ctx.parsed is not None:
        for m in ctx.parsed.bundle.members:
            if m.kind == "manifest":
                try:
                    text = m.read_bytes(ctx.parsed.bundle.limits.max_object_bytes).decode("utf-8", "replace")
                except ReadFailed:
                    break
                lines = [i for i, ln in enumerate(text.splitlines(), 1) if '"exit_code"' in ln]
                break
    return [dict(r, _line=lines[i] if i < len(lines) else None) for i, r in enumerate(records)]
