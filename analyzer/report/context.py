"""The one context both human reports (Markdown and HTML) are rendered from.

`build_context(result, tables)` turns the diagnosis (the SPEC section 7 JSON contract plus the
`bundle` facts) and the parsed tables into plain dicts and lists, in report order:

- the verdict paragraph;
- the ranked root causes, each with its evidence split around the regex match (so both formats
  can highlight it) and its symptoms grouped under it;
- the HAMi seed's Step 10 sections, where the bundle holds the data: cluster GPU status per node
  (from node status and the ``hami.io/node-nvidia-register`` annotation), HAMi component status,
  GPU resources per namespace (requested vs available), recommended actions in priority order;
- the timeline items (events, container restarts, first/last seen of each finding);
- checked and clear, not checked, could not read, and the bundle facts.

Nothing here reads the clock: every time comes from the bundle, so the same input gives the same
report.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from typing import Any

import polars as pl
import yaml

from analyzer.parse.quantity import parse_time
from analyzer.taxonomy import CATEGORY_LAYER, SEVERITY_RANK

HAMI_COMPONENTS: tuple[tuple[str, str], ...] = (
    # (key, display name); the key is what HAMi's chart puts in pod and container names
    ("scheduler", "Scheduler"),
    ("device-plugin", "Device Plugin"),
    ("webhook", "Webhook"),
    ("vgpu-monitor", "Monitor"),
)
NODE_REGISTER_ANNOTATION = "hami.io/node-nvidia-register"
NODE_HANDSHAKE_ANNOTATIONS = ("hami.io/node-handshake-nvidia", "hami.io/node-handshake")
DEVICE_CONFIGMAP = "hami-scheduler-device"

EVIDENCE_TEXT_CAP = 2000  # characters of one evidence line kept in the HTML report


# --------------------------------------------------------------------------- small helpers

def fmt_time(value: Any) -> str:
    """``2026-11-20 10:14:03Z``: one readable, sortable form for every time in the reports."""
    dt = parse_time(value)
    if dt is None:
        return "" if value is None else str(value)
    return dt.strftime("%Y-%m-%d %H:%M:%S") + "Z"


def _rows(tables: dict[str, pl.DataFrame], name: str) -> list[dict[str, Any]]:
    df = tables.get(name)
    if df is None or df.height == 0:
        return []
    return df.to_dicts()


def _json(value: Any, default: Any) -> Any:
    """A JSON column value (compact JSON text in the tables) as Python data."""
    if value is None or value == "":
        return default
    if isinstance(value, (dict, list)):
        return value
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return default


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def fmt_num(value: float | int | None) -> str:
    """A number for a table cell: thousands separated, integers without ``.0``, None as "–"."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def object_label(obj: dict[str, Any]) -> str:
    """``pod llm/vllm-decode-0 (container main)``: how an affected object reads in a report."""
    kind = (obj.get("kind") or "").lower()
    name = obj.get("name") or ""
    ns = obj.get("namespace")
    if not name:
        # a finding about a whole namespace (or the whole bundle)
        return f"namespace {ns}" if ns else (kind or "cluster")
    label = f"{kind} {ns}/{name}" if ns else f"{kind} {name}"
    if obj.get("container"):
        label += f" (container {obj['container']})"
    return label.strip()


# --------------------------------------------------------------------------- findings

def split_match(text: str, span: Any) -> tuple[str, str, str]:
    """The evidence line cut around the regex match: (before, match, after)."""
    if not span or len(span) != 2:
        return text, "", ""
    start, end = int(span[0]), int(span[1])
    if not 0 <= start <= end <= len(text):
        return text, "", ""
    return text[:start], text[start:end], text[end:]


def _evidence_view(ev: dict[str, Any]) -> dict[str, Any]:
    text = str(ev.get("text") or "")
    span = ev.get("match")
    if len(text) > EVIDENCE_TEXT_CAP:
        # keep the match visible when the line is capped
        start = int(span[0]) if span else 0
        lo = max(0, min(start - 200, len(text) - EVIDENCE_TEXT_CAP))
        text = text[lo: lo + EVIDENCE_TEXT_CAP]
        span = [span[0] - lo, min(span[1] - lo, len(text))] if span else None
    before, match, after = split_match(text, span)
    line = ev.get("line")
    path = ev.get("path") or ""
    return {
        "path": path,
        "line": line,
        "location": f"{path}:{line}" if line is not None else path,
        "time": fmt_time(ev.get("time")),
        "text": text,
        "before": before,
        "match": match,
        "after": after,
    }


def _unwrap(text: str) -> str:
    """Hard-wrapped text (YAML block scalars) as paragraphs; list items keep their own line."""
    lines = text.strip().splitlines()
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        starts_item = stripped[:2] in ("- ", "* ") or stripped.split(".", 1)[0].isdigit()
        if out and out[-1] and stripped and not starts_item:
            out[-1] += " " + stripped
        else:
            out.append(stripped)
    return "\n".join(out)


def _finding_view(f: dict[str, Any]) -> dict[str, Any]:
    affected = [dict(a, label=object_label(a)) for a in f.get("affected") or []]
    evidence = [_evidence_view(e) for e in f.get("evidence") or []]
    category = f.get("category") or ""
    view = {
        "id": f.get("id") or "",
        "title": f.get("title") or category,
        "summary": f.get("summary") or "",
        "severity": f.get("severity") or "info",
        "category": category,
        "layer": f.get("layer") or CATEGORY_LAYER.get(category, ""),
        "affected": affected,
        "evidence": evidence,
        "count": f.get("count") or len(evidence),
        "first_seen": fmt_time(f.get("first_seen")),
        "last_seen": fmt_time(f.get("last_seen")),
        "remediation": _unwrap(f.get("remediation") or ""),
        "checks": [c for c in f.get("checks") or [] if c],
        "pattern": f.get("pattern") or "",
        "source": f.get("source") or "",
        "caused_by": f.get("caused_by"),
        "merged_into": f.get("merged_into"),
        "explanation": _unwrap(f.get("explanation") or ""),
        "references": [r for r in f.get("references") or [] if r],
        "symptoms": [],
        "merged": [],
    }
    # what the HTML filter box searches: everything a reader might type
    view["search"] = " ".join([
        view["id"], view["title"], view["summary"], view["severity"], category, view["layer"],
        view["pattern"], *(a["label"] for a in affected), *(e["location"] for e in evidence),
        *(e["text"] for e in evidence),
    ]).lower()
    return view


def _findings(result: dict[str, Any]) -> tuple[list[dict], list[dict], dict[str, dict]]:
    """(ranked root causes with their symptoms, findings explained by no root cause, all by id)."""
    by_id: dict[str, dict] = {}
    for f in result.get("findings") or []:
        by_id[f["id"]] = _finding_view(f)
    roots = []
    for rc in result.get("root_causes") or []:
        view = by_id.get(rc["id"]) or _finding_view(rc)
        # the root_causes entry is the authoritative one (it carries `symptoms`)
        view = {**view, **{k: v for k, v in _finding_view(rc).items() if k != "symptoms"}}
        by_id[view["id"]] = view
        roots.append(view)
    root_ids = {r["id"] for r in roots}
    explained: set[str] = set()
    for view in roots:
        # the same cause seen on other objects, folded into this root cause by the diagnosis
        view["merged"] = [f for fid, f in by_id.items() if f["merged_into"] == view["id"]]
        explained.update(f["id"] for f in view["merged"])
        view["search"] += "".join(" " + f["search"] for f in view["merged"])
    for rc_src, view in zip(result.get("root_causes") or [], roots):
        ids = list(rc_src.get("symptoms") or [])
        ids += [fid for fid, f in by_id.items() if f["caused_by"] == view["id"] and fid not in ids]
        view["symptoms"] = [by_id[i] for i in ids if i in by_id and i not in root_ids
                            and by_id[i]["merged_into"] != view["id"]]
        explained.update(ids)
    others = [f for fid, f in by_id.items() if fid not in root_ids and fid not in explained]
    others.sort(key=lambda f: (SEVERITY_RANK.get(f["severity"], 9), f["id"]))
    return roots, others, by_id


# --------------------------------------------------------------------------- HAMi: GPUs

def decode_node_devices(value: str | None) -> list[dict[str, Any]]:
    """The devices a HAMi device plugin registered on a node (``hami.io/node-nvidia-register``).

    Two encodings exist. Newer HAMi writes a JSON list of DeviceInfo
    (``[{"id":"GPU-…","count":10,"devmem":81920,"devcore":100,"type":"NVIDIA-…","health":true}]``,
    zero values omitted); older HAMi writes devices joined by ``:``, each
    ``uuid,count,devmem,devcore,type,numa,health`` with ``index,mode`` appended in later 2.x.

    >>> [d["devmem"] for d in decode_node_devices(
    ...     "GPU-a,10,32768,100,NVIDIA-Tesla V100-PCIE-32GB,0,true:GPU-b,10,32768,100,NVIDIA-Tesla V100-PCIE-32GB,0,true:")]
    [32768, 32768]
    """
    if not value or not value.strip():
        return []
    text = value.strip()
    devices: list[dict[str, Any]] = []
    if text.startswith("["):
        for item in _json(text, []):
            if not isinstance(item, dict):
                continue
            devices.append({
                "id": str(item.get("id") or ""), "index": int(item.get("index") or 0),
                "count": int(item.get("count") or 0), "devmem": int(item.get("devmem") or 0),
                "devcore": int(item.get("devcore") or 0), "type": str(item.get("type") or ""),
                "numa": int(item.get("numa") or 0), "health": bool(item.get("health", False)),
                "mode": str(item.get("mode") or "hami-core"),
            })
        return devices
    for index, chunk in enumerate(c for c in text.split(":") if "," in c):
        parts = chunk.split(",")
        if len(parts) not in (7, 9):
            continue
        try:
            devices.append({
                "id": parts[0], "count": int(parts[1]), "devmem": int(parts[2]),
                "devcore": int(parts[3]), "type": parts[4], "numa": int(parts[5] or 0),
                "health": parts[6].strip().lower() == "true",
                "index": int(parts[7]) if len(parts) == 9 else index,
                "mode": parts[8] if len(parts) == 9 else "hami-core",
            })
        except ValueError:
            continue
    return devices


def _gpu_product(device_type: str) -> str:
    # HAMi prefixes the NVML name with the vendor: "NVIDIA-NVIDIA A100-SXM4-80GB"
    return device_type[len("NVIDIA-"):] if device_type.startswith("NVIDIA-") else device_type


def _merged_nodes(tables: dict[str, pl.DataFrame]) -> list[dict[str, Any]]:
    """One row per node: JSON first, gaps filled from `kubectl describe` (which has allocations)."""
    merged: dict[str, dict[str, Any]] = {}
    rows = _rows(tables, "nodes")
    rows.sort(key=lambda r: (r.get("name") or "", 0 if r.get("origin") == "json" else 1))
    for row in rows:
        name = row.get("name")
        if not name:
            continue
        node = merged.setdefault(name, {})
        for key, value in row.items():
            if node.get(key) in (None, "", "{}", "[]") and value not in (None, ""):
                node[key] = value
    return [merged[n] for n in sorted(merged)]


def _device_config(tables: dict[str, pl.DataFrame]) -> dict[str, Any]:
    """The `nvidia:` section of HAMi's `hami-scheduler-device` ConfigMap, when collected."""
    for obj in _rows(tables, "objects"):
        if obj.get("kind") != "ConfigMap" or obj.get("name") != DEVICE_CONFIGMAP:
            continue
        data = (_json(obj.get("body"), {}) or {}).get("data") or {}
        for text in data.values():
            try:
                loaded = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except yaml.YAMLError:
                continue
            if isinstance(loaded, dict) and isinstance(loaded.get("nvidia"), dict):
                return {"namespace": obj.get("namespace"), **loaded["nvidia"]}
    return {}


def _pod_usage(tables: dict[str, pl.DataFrame]) -> dict[str, dict[str, float]]:
    """GPU resources held on each node by its pods that are bound and not finished."""
    usage: dict[str, dict[str, float]] = defaultdict(lambda: {"gpu": 0.0, "gpumem": 0.0,
                                                              "gpucores": 0.0})
    for pod in _gpu_pods(tables):
        if pod["node"] and pod["phase"] in ("Running", "Pending", "Unknown"):
            for key in ("gpu", "gpumem", "gpucores"):
                usage[pod["node"]][key] += pod[key] or 0
    return usage


def cluster_gpu_status(tables: dict[str, pl.DataFrame]) -> dict[str, Any] | None:
    """Step 10 "Cluster GPU Status": per-node GPU product, counts and HAMi memory; None if no nodes."""
    nodes = _merged_nodes(tables)
    if not nodes:
        return None
    config = _device_config(tables)
    usage = _pod_usage(tables)
    out = []
    for node in nodes:
        annotations = _json(node.get("annotations"), {})
        devices = decode_node_devices(annotations.get(NODE_REGISTER_ANNOTATION))
        capacity = _num(node.get("gpu_capacity"))
        allocatable = _num(node.get("gpu_allocatable"))
        allocated = _num(node.get("gpu_allocated"))
        if not devices and not capacity and not allocatable:
            continue
        product = node.get("gpu_product") or (_gpu_product(devices[0]["type"]) if devices else "")
        handshake = next((annotations[k] for k in NODE_HANDSHAKE_ANNOTATIONS if k in annotations), "")
        used = usage.get(node["name"], {})
        gpumem_total = sum(d["devmem"] for d in devices) if devices else None
        out.append({
            "name": node["name"],
            "ready": node.get("ready"),
            "product": product or "",
            "devices": len(devices) if devices else None,
            "unhealthy": sum(1 for d in devices if not d["health"]),
            "capacity": capacity,
            "allocatable": allocatable,
            "allocated": allocated if allocated is not None else (used.get("gpu") or None),
            "slots": sum(d["count"] for d in devices) if devices else None,
            "gpumem_total": gpumem_total,
            "gpumem_used": used.get("gpumem", 0.0) if devices else None,
            "gpucores_total": sum(d["devcore"] for d in devices) if devices else None,
            "gpucores_used": used.get("gpucores", 0.0) if devices else None,
            "handshake": handshake,
            "modes": sorted({d["mode"] for d in devices}),
        })
    if not out:
        return {"nodes": [], "totals": {"gpu_nodes": 0, "devices": 0}, "config": config}
    free_slots = [
        (n["allocatable"] or 0) - (n["allocated"] or 0) for n in out if n["allocatable"] is not None
    ]
    totals = {
        "gpu_nodes": len(out),
        "devices": sum((n["devices"] if n["devices"] is not None else n["capacity"] or 0)
                       for n in out),
        "free_slots": sum(free_slots) if free_slots else None,
        "gpumem_total": sum(n["gpumem_total"] or 0 for n in out) if any(
            n["gpumem_total"] for n in out) else None,
        "gpumem_used": sum(n["gpumem_used"] or 0 for n in out),
        "unhealthy": sum(n["unhealthy"] for n in out),
        "hami": any(n["devices"] for n in out),   # any node registered with HAMi
        "memory_scaling": config.get("deviceMemoryScaling"),
        "split_count": config.get("deviceSplitCount"),
    }
    return {"nodes": out, "totals": totals, "config": config}


# --------------------------------------------------------------------------- HAMi: components

def _hami_namespace(result: dict[str, Any], pods: list[dict[str, Any]]) -> str | None:
    bundle = result.get("bundle") or {}
    if bundle.get("hami_namespace"):
        return bundle["hami_namespace"]
    counts = Counter(p.get("namespace") for p in pods
                     if any(k in (p.get("name") or "") for k in
                            ("hami-scheduler", "hami-device-plugin", "hami-vgpu")))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or ""))[0][0] if counts else None


def _image_version(image: str | None) -> str:
    if not image:
        return ""
    image = image.split("@", 1)[0]
    tail = image.rsplit("/", 1)[-1]
    return tail.split(":", 1)[1] if ":" in tail else "latest"


def hami_component_status(result: dict[str, Any],
                          tables: dict[str, pl.DataFrame]) -> dict[str, Any] | None:
    """Step 10 "HAMi Component Status": one row per component, OK / FAIL / not found."""
    pods = [p for p in _rows(tables, "pods") if p.get("origin", "json") == "json"] or \
        _rows(tables, "pods")
    namespace = _hami_namespace(result, pods)
    webhooks = [o for o in _rows(tables, "objects")
                if o.get("kind") == "MutatingWebhookConfiguration"]
    # the chart names it <release>-webhook; its webhook entry is always vgpu.hami.io
    hami_webhooks = sorted({o["name"] for o in webhooks if "hami" in (o.get("name") or "") or any(
        "hami.io" in (w.get("name") or "")
        for w in (_json(o.get("body"), {}) or {}).get("webhooks") or [])})
    webhook_source = any(
        r.get("source") == "mutatingwebhooks" for r in _rows(tables, "files")) or bool(webhooks)
    if namespace is None and not hami_webhooks:
        return None
    containers = [c for c in _rows(tables, "containers") if c.get("namespace") == namespace]
    ns_pods = sorted((p for p in pods if p.get("namespace") == namespace),
                     key=lambda p: p.get("name") or "")
    rows = []
    for key, title in HAMI_COMPONENTS:
        if key == "webhook":
            if hami_webhooks:
                rows.append({"component": title, "status": "OK", "version": "Active",
                             "detail": ", ".join(hami_webhooks), "pods": []})
            elif webhook_source:
                rows.append({"component": title, "status": "FAIL", "version": "",
                             "detail": "no HAMi MutatingWebhookConfiguration registered",
                             "pods": []})
            else:
                rows.append({"component": title, "status": "not checked", "version": "",
                             "detail": "webhook configurations not in the bundle", "pods": []})
            continue
        # the monitor is its own pod in older charts, a container of the device plugin in newer
        mine = [c for c in containers
                if key in (c.get("pod") or "") and not c.get("init")
                and (key != "device-plugin" or c.get("name") != "vgpu-monitor")]
        if key == "vgpu-monitor":
            mine += [c for c in containers if c.get("name") == "vgpu-monitor"
                     and key not in (c.get("pod") or "")]
        pod_names = sorted({c["pod"] for c in mine} |
                           {p["name"] for p in ns_pods if key in (p.get("name") or "")})
        if not pod_names:
            rows.append({"component": title, "status": "not found", "version": "",
                         "detail": f"no {key} pod in namespace {namespace}" if namespace
                         else "HAMi namespace not found", "pods": []})
            continue
        problems = []
        for c in sorted(mine, key=lambda c: (c.get("pod") or "", c.get("name") or "")):
            if not c.get("ready"):
                reason = c.get("state_reason") or c.get("state") or "not ready"
                problems.append(f"{c['pod']}/{c['name']}: {reason}")
        for p in ns_pods:
            if p["name"] in pod_names and p.get("phase") not in ("Running", None):
                problems.append(f"{p['name']}: {p.get('phase')}"
                                + (f" ({p['reason']})" if p.get("reason") else ""))
        ready = sum(1 for name in pod_names
                    if all(c.get("ready") for c in mine if c.get("pod") == name)
                    and any(c.get("pod") == name for c in mine))
        hami_images = [c.get("image") for c in mine if "hami" in (c.get("image") or "")]
        version = _image_version((hami_images or [c.get("image") for c in mine] or [None])[0])
        rows.append({
            "component": title,
            "status": "OK" if not problems else "FAIL",
            "version": version,
            "detail": f"{ready}/{len(pod_names)} pods ready"
                      + (": " + "; ".join(sorted(set(problems))[:4]) if problems else ""),
            "pods": pod_names,
        })
    return {"namespace": namespace, "components": rows}


# --------------------------------------------------------------------------- allocation

def _gpu_pods(tables: dict[str, pl.DataFrame]) -> list[dict[str, Any]]:
    """Pods that request any GPU resource, one row per pod (JSON rows win over describe rows)."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    rows = _rows(tables, "pods")
    rows.sort(key=lambda r: 0 if r.get("origin", "json") == "json" else 1)
    for p in rows:
        key = (p.get("namespace") or "", p.get("name") or "")
        if key in seen:
            continue
        values = {k: _num(p.get(k)) for k in ("gpu", "gpumem", "gpumem_percentage", "gpucores")}
        if not any(values.values()):
            continue
        seen[key] = {"namespace": key[0], "name": key[1], "phase": p.get("phase") or "Unknown",
                     "node": p.get("node"), **values}
    return [seen[k] for k in sorted(seen)]


def resource_allocation(tables: dict[str, pl.DataFrame],
                        gpu_status: dict[str, Any] | None) -> dict[str, Any] | None:
    """Step 10 "Resource Allocation Summary": GPU requests per namespace vs cluster capacity."""
    pods = _gpu_pods(tables)
    if not pods:
        return None
    per_ns: dict[str, dict[str, Any]] = {}
    for p in pods:
        ns = per_ns.setdefault(p["namespace"], {
            "namespace": p["namespace"], "pending": 0, "running": 0, "other": 0,
            "gpu": 0.0, "gpumem": 0.0, "gpumem_percentage": 0.0, "gpucores": 0.0,
            "pending_gpu": 0.0, "pending_gpumem": 0.0, "pending_gpucores": 0.0})
        if p["phase"] == "Pending":
            ns["pending"] += 1
            for key in ("gpu", "gpumem", "gpucores"):
                ns["pending_" + key] += p[key] or 0
        elif p["phase"] == "Running":
            ns["running"] += 1
            for key in ("gpu", "gpumem", "gpumem_percentage", "gpucores"):
                ns[key] += p[key] or 0
        else:
            ns["other"] += 1
    rows = [per_ns[k] for k in sorted(per_ns)]
    # a cluster without HAMi has no gpumem/gpucores requests: show "–", not zeros
    for key in ("gpumem", "gpucores"):
        if not any(p[key] for p in pods):
            for r in rows:
                r[key] = r["pending_" + key] = None
    capacity = None
    if gpu_status and gpu_status["nodes"]:
        nodes = gpu_status["nodes"]
        slots = [n["slots"] if n["slots"] is not None else n["allocatable"] for n in nodes]
        with_devices = [n for n in nodes if n["devices"]]
        capacity = {
            "gpu": sum(s or 0 for s in slots),
            "gpumem": sum(n["gpumem_total"] or 0 for n in with_devices) if with_devices else None,
            "gpucores": sum(n["gpucores_total"] or 0 for n in with_devices) if with_devices else None,
        }
        used = {k: sum(r[k] or 0 for r in rows) for k in ("gpu", "gpumem", "gpucores")}
        capacity["free"] = {k: (capacity[k] - used[k]) if capacity[k] is not None else None
                            for k in ("gpu", "gpumem", "gpucores")}
    return {"namespaces": rows, "capacity": capacity}


def recommended_actions(roots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Step 10 "Recommended Actions": each root cause's remediation, in rank order, deduplicated."""
    actions, seen = [], set()
    for rc in roots:
        text = rc["remediation"].split("\n\n", 1)[0].strip() or f"Investigate: {rc['title']}"
        if text in seen:
            continue
        seen.add(text)
        actions.append({"finding": rc["id"], "severity": rc["severity"], "title": rc["title"],
                        "action": text, "check": rc["checks"][0] if rc["checks"] else ""})
    return actions


# --------------------------------------------------------------------------- timeline

def _pod_lane(namespace: str | None, name: str | None) -> str:
    return f"{namespace}/{name}" if namespace else (name or "cluster")


def timeline_items(result: dict[str, Any], tables: dict[str, pl.DataFrame],
                   roots: list[dict], by_id: dict[str, dict]) -> list[dict[str, Any]]:
    """Everything with a time: events, container terminations/starts, finding first/last seen.

    Each item: lane (``namespace/pod`` or ``node/name``), kind, start, end (or None), label,
    severity, sort key. Sorted by time, then lane and label so that output never varies.
    """
    items: list[dict[str, Any]] = []
    rank = {r["id"]: i for i, r in enumerate(roots)}
    for f in by_id.values():
        start, end = parse_time(f["first_seen"]), parse_time(f["last_seen"])
        if start is None and end is None:
            times = [parse_time(e["time"]) for e in f["evidence"]]
            times = [t for t in times if t]
            if not times:
                continue
            start, end = min(times), max(times)
        start = start or end
        lanes = [_pod_lane(a.get("namespace"), a.get("name")) if a.get("kind") == "Pod"
                 else f"{(a.get('kind') or 'object').lower()}/{a.get('name')}"
                 for a in f["affected"]][:3] or ["cluster"]
        for lane in dict.fromkeys(lanes):
            items.append({"lane": lane, "kind": "finding", "start": start,
                          "end": end if end and end > start else None,
                          "label": f"{f['id']} {f['title']} ({f['count']}x)",
                          "severity": f["severity"], "finding": f["id"],
                          "root": f["id"] in rank})
    for ev in _rows(tables, "events"):
        first = parse_time(ev.get("first_time")) or parse_time(ev.get("last_time"))
        last = parse_time(ev.get("last_time"))
        if first is None:
            continue
        kind = ev.get("object_kind") or ""
        lane = (_pod_lane(ev.get("namespace"), ev.get("object_name")) if kind == "Pod"
                else f"{kind.lower() or 'object'}/{ev.get('object_name')}")
        count = ev.get("count") or 1
        warning = (ev.get("type") or "") == "Warning"
        items.append({"lane": lane, "kind": "event-warning" if warning else "event",
                      "start": first, "end": last if last and last > first else None,
                      "label": f"{ev.get('reason') or 'Event'}"
                               + (f" (x{count})" if count and count > 1 else "")
                               + f": {(ev.get('message') or '')[:160]}",
                      "severity": "warning" if warning else "info", "finding": None,
                      "root": False})
    for c in _rows(tables, "containers"):
        lane = _pod_lane(c.get("namespace"), c.get("pod"))
        finished = parse_time(c.get("last_finished"))
        if finished is not None:
            reason = c.get("last_reason") or "terminated"
            code = c.get("last_exit_code")
            items.append({"lane": lane, "kind": "restart", "start": finished, "end": None,
                          "label": f"{c.get('name')} terminated: {reason}"
                                   + (f", exit code {code}" if code is not None else "")
                                   + f" (restarts: {c.get('restart_count') or 0})",
                          "severity": "error", "finding": None, "root": False})
        started = parse_time(c.get("state_started"))
        if started is not None and (c.get("restart_count") or 0) > 0:
            items.append({"lane": lane, "kind": "start", "start": started, "end": None,
                          "label": f"{c.get('name')} started again"
                                   + (f" (restart {c.get('restart_count')})"),
                          "severity": "info", "finding": None, "root": False})
    # fault-tolerance results: injected faults, killed processes, services ready again
    ft_kinds = {"fault_injected": ("fault", "critical"), "process_terminated": ("restart", "error"),
                "ready": ("start", "info"), "deployment_ready": ("start", "info"),
                "deployment_start": ("event", "info")}
    for ev in _rows(tables, "ft_events"):
        t = parse_time(ev.get("time"))
        kind, severity = ft_kinds.get(ev.get("kind") or "", (None, None))
        if t is None or kind is None:
            continue
        test = ev.get("failure") or ev.get("scenario") or "test"
        lane = "fault injection" if kind == "fault" else (ev.get("pod") or f"test {test}")
        text = (ev.get("text") or "").strip()
        label = (f"{(ev.get('kind') or '').replace('_', ' ')} ({test})"
                 + (f" {ev.get('service')}" if ev.get("service") else "")
                 + (f": {text[:160]}" if text else ""))
        items.append({"lane": lane, "kind": kind, "start": t, "end": None, "label": label,
                      "severity": severity, "finding": None, "root": False})
    items.sort(key=lambda i: (i["start"], i["lane"], i["kind"], i["label"]))
    return items


# --------------------------------------------------------------------------- the rest

def _verdict(result: dict[str, Any], roots: list[dict], others: list[dict],
             bundle: dict[str, Any], checks: dict[str, list]) -> dict[str, Any]:
    root = bundle.get("root")
    if bundle.get("layout") == "file":
        where = "standard input" if root in ("-", "") else f"the file {root}"
    else:
        where = f"the {bundle['layout']} bundle {root}" if root else "the input"
    when = f" collected {bundle['collected_at']}" if bundle.get("collected_at") else ""
    n_read = bundle.get("files_read")
    read = f"{n_read} file{'s' if n_read != 1 else ''} read" if n_read is not None else ""

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'s' if n != 1 else ''}"

    parts = []
    if checks["clear"]:
        parts.append(f"{plural(len(checks['clear']), 'check')} came back clear")
    if checks["not_checked"]:
        parts.append(f"{plural(len(checks['not_checked']), 'check')} could not run because "
                     "their source is missing from the bundle")
    if checks["could_not_read"]:
        parts.append(f"{plural(len(checks['could_not_read']), 'file')} could not be read")
    tail = (" " + ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] + "."
            if parts else "")
    if not roots:
        worst = others[0]["severity"] if others else None
        if worst in (None, "info", "warning"):
            text = f"No problem above warning was found in {where}{when}" + (
                f" ({read})." if read else ".")
            label = "HEALTHY"
            if others:
                text += (f" {len(others)} lower-severity finding"
                         f"{'s are' if len(others) != 1 else ' is'} listed below.")
                label += f" · {len(others)} WARNING{'S' if len(others) != 1 else ''}"
            return {"status": "healthy", "severity": worst or "clear", "label": label,
                    "text": text + tail}
        text = (f"No root cause could be named in {where}{when}, but {len(others)} finding"
                f"{'s need' if len(others) != 1 else ' needs'} attention; the most severe: "
                f"{others[0]['title']} ({worst}).")
        return {"status": "attention", "severity": worst, "label": worst.upper(),
                "text": text + tail}
    top = roots[0]
    objects = [a["label"] for a in top["affected"]][:3]
    more = len(top["affected"]) - len(objects)
    text = (f"Most likely root cause: {top['title']} ({top['severity']}, {top['category']})"
            + (f" affecting {', '.join(objects)}" + (f" and {more} more" if more > 0 else "")
               if objects else "") + ". ")
    if top["summary"]:
        text += top["summary"].rstrip(".") + ". "
    if top["symptoms"]:
        text += f"It explains {len(top['symptoms'])} other finding" \
                f"{'s' if len(top['symptoms']) != 1 else ''}. "
    if top["first_seen"]:
        text += f"First seen {top['first_seen']}" + (
            f", last seen {top['last_seen']}" if top["last_seen"] != top["first_seen"] else "") + ". "
    if len(roots) > 1:
        text += (f"{len(roots) - 1} further independent root cause"
                 f"{'s' if len(roots) > 2 else ''}: "
                 + "; ".join(f"{r['title']} ({r['severity']})" for r in roots[1:4])
                 + ("; …" if len(roots) > 4 else "") + ". ")
    text += f"Diagnosed from {where}{when}" + (f" ({read})." if read else ".")
    return {"status": "failing", "severity": top["severity"], "label": top["severity"].upper(),
            "text": text}


def _bundle_facts(result: dict[str, Any], tables: dict[str, pl.DataFrame]) -> dict[str, Any]:
    bundle = dict(result.get("bundle") or {})
    inp = result.get("input") or {}
    files = _rows(tables, "files")
    by_kind = bundle.get("files_by_kind") or dict(Counter(f.get("kind") or "?" for f in files))
    return {
        "layout": bundle.get("layout") or inp.get("layout") or "",
        "root": bundle.get("root") or inp.get("path") or "",
        "collected_at": fmt_time(bundle.get("collected_at")) if bundle.get("collected_at") else "",
        "context": bundle.get("context") or "",
        "server_version": bundle.get("server_version") or "",
        "namespaces": list(bundle.get("namespaces") or []),
        "files_read": bundle.get("files_read", inp.get("files_read")),
        "files_by_kind": sorted(by_kind.items()),
        "redacted": result.get("redacted", True),
        "schema_version": result.get("schema_version"),
    }


def _checks(result: dict[str, Any], tables: dict[str, pl.DataFrame]) -> dict[str, list]:
    """Checks by outcome: clear, not_checked (source missing), found, and could_not_read files."""
    groups: dict[str, list] = {"clear": [], "not_checked": [], "found": [], "could_not_read": []}
    key_of = {"clear": "clear", "skipped": "not_checked", "found": "found"}
    for c in result.get("checks") or []:
        groups[key_of.get(c.get("status") or "found", "found")].append(
            {"name": c.get("name") or "", "reason": c.get("reason") or ""})
    for key in ("clear", "not_checked", "found"):
        groups[key].sort(key=lambda c: c["name"])
    errors = {(e.get("path") or "", e.get("error") or "")
              for e in (result.get("input") or {}).get("read_errors") or []}
    errors |= {(e.get("path") or "", e.get("error") or "") for e in _rows(tables, "read_errors")}
    groups["could_not_read"] = [{"path": p, "error": e} for p, e in sorted(errors)]
    return groups


# table columns whose text reaches the report (timeline labels, component details)
_SHOWN_TEXT = {
    "events": ("message", "reason"),
    "containers": ("state_reason", "state_message", "last_reason", "last_message", "image"),
    "pods": ("reason", "message"),
    "nodes": ("annotations",),
}


def _redacted(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The tables with secrets replaced in every column the report prints."""
    from analyzer.redact import Redactor

    red = Redactor()
    out = dict(tables)
    for name, columns in _SHOWN_TEXT.items():
        if name in out and out[name].height:
            out[name] = red.frame(out[name], columns=columns)
    return out


def build_context(result: dict[str, Any], tables: dict[str, pl.DataFrame]) -> dict[str, Any]:
    """The shared report context: every section both formats show, in report order.

    Unless the result says ``redacted: false`` (``--no-redact``), table text that reaches the
    report goes through the secret detectors, like the result itself did.
    """
    tables = tables or {}
    if result.get("redacted", True):
        tables = _redacted(tables)
    roots, others, by_id = _findings(result)
    bundle = _bundle_facts(result, tables)
    checks = _checks(result, tables)
    gpu = cluster_gpu_status(tables)
    return {
        "title": "GPU Pod Troubleshooting Report",
        "verdict": _verdict(result, roots, others, bundle, checks),
        "root_causes": roots,
        "other_findings": others,
        "findings_total": len(by_id),
        "cluster_gpu": gpu,
        "hami": hami_component_status(result, tables),
        "allocation": resource_allocation(tables, gpu),
        "actions": recommended_actions(roots),
        "timeline": timeline_items(result, tables, roots, by_id),
        "checked_clear": checks["clear"],
        "checks_found": checks["found"],
        "not_checked": checks["not_checked"],
        "could_not_read": checks["could_not_read"],
        "bundle": bundle,
        "ft_summary": _ft_summary(result.get("ft_summary")),
    }


def _ft_summary(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The fault-tolerance table of a test results folder, with cells formatted as upstream."""
    if not summary:
        return None
    keys = ("failure", "startup", "success_before", "failed_before", "success_after", "failed_after",
            "latency_before", "latency_after", "recovery")
    groups = []
    for g in summary.get("groups") or []:
        rows = [[r.get("failure") or ""] + [fmt_cell(r.get(k)) for k in keys[1:]] for r in g["rows"]]
        groups.append({"group": g["group"], "rows": rows})
    markdown = summary.get("markdown") or ""
    # one heading level down: the section sits inside the report
    markdown = re.sub(r"^(#+) ", lambda m: "#" + m[1] + " ", markdown, flags=re.M)
    return {"columns": summary.get("columns") or [], "groups": groups, "layout": summary.get("layout_description"),
            "warnings": summary.get("warnings") or [], "markdown": markdown}


def fmt_cell(value: Any) -> str:
    """Numbers with two decimals, N/A where undefined (the upstream table's format)."""
    if value is None:
        return "N/A"
    if isinstance(value, (int, float)):
        return f"{value:.2f}"
    return str(value)
