"""The one context both human reports (Markdown and HTML) are rendered from.

`build_context(result, tables, gpu)` turns the diagnosis (the JSON contract, docs/result.schema.json, plus
the `bundle` facts, and its GPU and HAMi status) and the parsed tables into plain dicts and lists,
in report order:

- the verdict paragraph;
- the ranked root causes, each with its evidence split around the regex match (so both formats
  can highlight it) and its symptoms grouped under it;
- the other findings still true at collection time, then the history: the findings the
  diagnosis judged recovered or past (``state``), with why, oldest first;
- the HAMi seed's Step 10 sections, where the bundle holds the data: cluster GPU status per node,
  HAMi component status, GPU resources per namespace (requested vs available), as the diagnosis
  worked them out (``Diagnosis.gpu``, from ``analyzer.gpu.status``); recommended actions in
  priority order;
- the timeline items (events, container restarts, first/last seen of each finding);
- the errors no pattern knows (the result's ``unexplained`` templates);
- checked and clear, not checked, could not read, and the bundle facts.

Nothing here reads the clock: every time comes from the bundle, so the same input gives the same
report.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import polars as pl

from analyzer.findings import PodRef
from analyzer.parse.quantity import parse_time
from analyzer.taxonomy import CATEGORY_LAYER, SEVERITY_RANK

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
    end = ev.get("end_line")
    return {
        "path": path,
        "line": line,
        "location": (path if line is None else f"{path}:{line}-{end}" if end else f"{path}:{line}"),
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
        "state": f.get("state") or "active",
        "state_reason": f.get("state_reason") or "",
        "inferred": bool(f.get("inferred")),
        "confidence": f.get("confidence"),
        "inferred_from": list(f.get("inferred_from") or []),
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
    others = [f for fid, f in by_id.items() if fid not in root_ids and fid not in explained
              and f["state"] == "active"]
    others.sort(key=lambda f: (SEVERITY_RANK.get(f["severity"], 9), f["id"]))
    return roots, others, by_id


def history(by_id: dict[str, dict], roots: list[dict]) -> list[dict[str, Any]]:
    """The findings no longer true at collection time (recovered or past) that no root cause
    lists as its symptom: most severe first, then in time order."""
    shown = {s["id"] for r in roots for s in r["symptoms"]} | {m["id"] for r in roots for m in r["merged"]}
    past = [f for fid, f in by_id.items() if f["state"] != "active" and fid not in shown]
    past.sort(key=lambda f: (SEVERITY_RANK.get(f["severity"], 9), f["first_seen"] or "9999", f["id"]))
    return past


# --------------------------------------------------------------------------- errors no pattern knows

def unexplained_view(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The result's ``unexplained`` templates as the reports list them (most telling first)."""
    out = []
    for u in result.get("unexplained") or []:
        evidence = [_evidence_view(e) for e in u.get("evidence") or []]
        out.append({
            "template": u.get("template") or "",
            "count": u.get("count") or 1,
            "category": u.get("category") or "",
            "confidence": u.get("confidence"),
            "inferred_from": list(u.get("inferred_from") or []),
            "level": u.get("level") or "",
            "source": u.get("source") or "",
            "affected": [object_label(a) for a in u.get("affected") or []],
            "first_seen": fmt_time(u.get("first_seen")),
            "evidence": evidence,
            "location": evidence[0]["location"] if evidence else "",
            "finding": u.get("finding") or "",
        })
    return out


# --------------------------------------------------------------------------- actions

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
    """A pod's timeline lane: ``namespace/pod`` as ``PodRef`` writes it; "cluster" without a name."""
    return str(PodRef(namespace, name)) if namespace or name else "cluster"


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
                          "label": f"{f['id']} {f['title']} ({f['count']}x)"
                                   + (f" [{f['state']}]" if f["state"] != "active" else ""),
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
             bundle: dict[str, Any], checks: dict[str, list], past: list[dict] | None = None) -> dict[str, Any]:
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
            if past:
                text += (f" {len(past)} earlier finding{'s are' if len(past) != 1 else ' is'} history "
                         "(recovered or past by collection time).")
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
    how = "" if not top.get("inferred") else (
        ", no pattern knows it" if top["category"] == "unclassified.error" else ", inferred from its words")
    text = (f"Most likely root cause: {top['title']} ({top['severity']}, {top['category']}{how})"
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
        "collected_at_source": bundle.get("collected_at_source") or "",
        "state": bundle.get("state") or {},
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


def _not_collected(result: dict[str, Any]) -> list[dict[str, str]]:
    """What the collector recorded it could not collect, with what the diagnosis lacks for it
    (``input.not_collected``)."""
    out = []
    for e in (result.get("input") or {}).get("not_collected") or []:
        out.append({"source": e.get("source") or "", "path": e.get("path") or "", "error": e.get("error") or "",
                    "deprives": ", ".join(e.get("deprives") or [])})
    return out


# table columns whose text reaches the report (timeline labels)
_SHOWN_TEXT = {
    "events": ("message", "reason"),
    "containers": ("state_reason", "state_message", "last_reason", "last_message", "image"),
}


def _redacted(tables: dict[str, pl.DataFrame], gpu: dict[str, Any]) -> tuple[dict[str, pl.DataFrame], dict[str, Any]]:
    """The tables with secrets replaced in every column the report prints, and the GPU status
    with secrets replaced in its text (component details, versions, handshakes)."""
    from analyzer.redact import Redactor

    red = Redactor()
    out = dict(tables)
    for name, columns in _SHOWN_TEXT.items():
        if name in out and out[name].height:
            out[name] = red.frame(out[name], columns=columns)
    return out, red.data(gpu)


def build_context(result: dict[str, Any], tables: dict[str, pl.DataFrame],
                  gpu: dict[str, Any] | None) -> dict[str, Any]:
    """The shared report context: every section both formats show, in report order.

    ``gpu``: the diagnosis's GPU and HAMi status (``Diagnosis.gpu``); without it the report has
    no GPU sections. Unless the result says ``redacted: false`` (``--no-redact``), table and
    status text that reaches the report goes through the secret detectors, like the result
    itself did.
    """
    tables = tables or {}
    gpu = gpu or {}
    if result.get("redacted", True):
        tables, gpu = _redacted(tables, gpu)
    roots, others, by_id = _findings(result)
    past = history(by_id, roots)
    bundle = _bundle_facts(result, tables)
    checks = _checks(result, tables)
    return {
        "title": "GPU Pod Troubleshooting Report",
        "verdict": _verdict(result, roots, others, bundle, checks, past),
        "root_causes": roots,
        "other_findings": others,
        "history": past,
        "findings_total": len(by_id),
        "cluster_gpu": gpu.get("cluster_gpu"),
        "hami": gpu.get("hami"),
        "allocation": gpu.get("allocation"),
        "actions": recommended_actions(roots),
        "timeline": timeline_items(result, tables, roots, by_id),
        "unexplained": unexplained_view(result),
        "checked_clear": checks["clear"],
        "checks_found": checks["found"],
        "not_checked": checks["not_checked"],
        "could_not_read": checks["could_not_read"],
        "not_collected": _not_collected(result),
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
