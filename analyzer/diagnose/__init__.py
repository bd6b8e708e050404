"""Diagnose: signals + structured checks -> findings; rank root causes; group their symptoms.

Every finding is first judged against the cluster as it was when the bundle was collected
(``analyzer.state``: active, recovered or past). A finding explains another when a correlation
rule says so (``rules.RULES``, scoped to the same pod, node or namespace) or, by default, when
both concern the same pod and the first sits in an earlier triage layer; a finding that is no
longer active explains only findings that are no longer active either (an old failure never
hides a current one). Active findings that nothing explains are root causes when their severity
is ``error`` or ``critical``; ranked by severity, then triage layer, then how much they explain
and how often they were seen. Recovered and past findings are the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from analyzer.checks import run_checks
from analyzer.diagnose.fallback import Fallback, needed
from analyzer.diagnose.findings import findings_from_signals, node_evidence
from analyzer.diagnose.rules import GENERIC, RULE_INDEX
from analyzer.findings import Finding, PodRef, iso
from analyzer.gpu.cluster import GpuCluster
from analyzer.gpu.status import cluster_status
from analyzer.infer.lines import ErrorLines
from analyzer.infer.vocab import vocabulary
from analyzer.library import Library
from analyzer.parse.collected import with_log_time
from analyzer.state import ACTIVE, ClusterState, build_state, judge_findings
from analyzer.taxonomy import LAYER_ORDER, SEVERITY_RANK, layer_rank

ROOT_SEVERITIES = ("critical", "error")
MAX_MERGED_EVIDENCE = 6


@dataclass
class Diagnosis:
    findings: list[Finding]
    root_causes: list[Finding]
    checks: list[dict[str, Any]] = field(default_factory=list)
    # the cluster's GPUs and HAMi as the checks saw them, for the report (``analyzer.gpu.status``)
    gpu: dict[str, Any] = field(default_factory=dict)
    # the cluster at collection time, as the checks and the judgement of every finding saw it
    state: ClusterState = field(default_factory=ClusterState)
    # error lines and Warning events no pattern knows, most telling first (``diagnose.fallback``)
    unexplained: list[dict[str, Any]] = field(default_factory=list)


def _scope_ok(scope: str, root: Finding, sym: Finding, pod_nodes: dict) -> bool:
    if scope == "cluster":
        return True
    if scope == "pod":
        return bool(root.pods & sym.pods) or (not root.affected and not sym.affected)
    if scope == "node":
        if root.node is None:
            return not root.affected and not sym.affected
        sym_nodes = {pod_nodes.get(p) for p in sym.pods} | {a.name for a in sym.affected if a.kind == "Node"}
        return root.node in sym_nodes or (sym.node == root.node)
    # namespace
    rns, sns = root.namespace, sym.namespace
    return rns is None or sns is None or rns == sns


# what a level or a shape adds to a line's tell (``analyzer.infer.lines``: an ERROR level 2, an
# exception 3), as against the bonuses of being a file's last error or repeated (1 each)
TELL_STEP = 2.0


def _tell(f: Finding) -> float:
    """How telling an inferred finding's line is (``analyzer.infer.lines.rank``'s score)."""
    return float((f.details or {}).get("tell") or 0.0)


def _explains(root: Finding, sym: Finding, pod_nodes: dict) -> str | None:
    """'rule' or 'layer' when ``root`` explains ``sym``; None otherwise."""
    if root is sym:
        return None
    if not _current(root) and _current(sym):
        return None
    if root.inferred and sym.inferred and _tell(root) < _tell(sym):
        return None  # a guess from a weaker line never explains a more telling unknown error
    scope = RULE_INDEX.get((root.category, sym.category))
    if scope is None and sym.category in root.explains:
        scope = "node" if root.category.startswith("gpu.") else "pod"
    # a less severe finding explains a more severe one only as an error explaining a critical,
    # by a rule (a warning never explains an error)
    gap = SEVERITY_RANK[root.severity] - SEVERITY_RANK[sym.severity]
    allowed = gap <= 0 or (gap == 1 and root.severity == "error")
    if scope and allowed and _scope_ok(scope, root, sym, pod_nodes):
        return "rule"
    if gap > 0:
        return None
    same_object = bool(root.pods & sym.pods) or (not root.affected and not sym.affected)
    if not same_object:
        return None
    if root.category == sym.category:
        return "same"
    if layer_rank(root.category) < layer_rank(sym.category):
        return "layer"
    if sym.category in GENERIC and root.category not in GENERIC and \
            layer_rank(root.category) == layer_rank(sym.category):
        return "layer"
    return None


def _candidate_pairs(ordered: list[Finding]):
    """The (root, symptom) pairs worth asking ``_explains`` about: a rule or pattern links their
    categories, or they share a pod (or both are about nothing in particular). Everything else
    is never explained, so a bundle with a thousand findings is not a million comparisons."""
    by_category: dict[str, list[int]] = {}
    by_pod: dict[tuple, list[int]] = {}
    unplaced: list[int] = []
    for j, f in enumerate(ordered):
        by_category.setdefault(f.category, []).append(j)
        for pod in f.pods:
            by_pod.setdefault(pod, []).append(j)
        if not f.affected:
            unplaced.append(j)
    targets_of: dict[str, set[str]] = {}
    for root_cat, sym_cat in RULE_INDEX:
        targets_of.setdefault(root_cat, set()).add(sym_cat)
    for i, r in enumerate(ordered):
        cand: set[int] = set()
        for cat in targets_of.get(r.category, set()) | set(r.explains):
            cand.update(by_category.get(cat, ()))
        for pod in r.pods:
            cand.update(by_pod.get(pod, ()))
        if not r.affected:
            cand.update(unplaced)
        cand.discard(i)
        for j in sorted(cand):
            yield i, j


def _current(f: Finding) -> bool:
    """Active at collection time (a finding not judged yet counts as active)."""
    return f.state in (None, ACTIVE)


def _rank_key(f: Finding) -> tuple:
    # among equals, the earliest finding is the likelier cause of the later ones
    return (SEVERITY_RANK[f.severity], layer_rank(f.category), f.sort_time(), -f.count, f.rule,
            str([a.as_dict() for a in f.affected]))


def correlate(findings: list[Finding], pod_nodes: dict, promote_warnings: bool = False) -> Diagnosis:
    """Decide which findings are root causes and attach every symptom to its root cause.

    ``promote_warnings``: for one pasted text, where nothing above warning was found, the
    warnings nothing explains are the root causes (the text was pasted because something broke).
    """
    ordered = sorted(findings, key=_rank_key)
    n = len(ordered)
    edges: dict[int, set[int]] = {i: set() for i in range(n)}
    kinds: dict[tuple[int, int], str] = {}
    for i, j in _candidate_pairs(ordered):
        k = _explains(ordered[i], ordered[j], pod_nodes)
        if k:
            kinds[(i, j)] = k
    for (i, j), k in kinds.items():
        back = kinds.get((j, i))
        if back is None:
            edges[i].add(j)
        elif k == "rule" and back != "rule":
            edges[i].add(j)
        elif k == "same" and back == "same":
            # one failure seen by a check and by patterns: the check, with its numbers, leads
            ci, cj = ordered[i].source == "check", ordered[j].source == "check"
            if ci != cj:
                if ci:
                    edges[i].add(j)
            elif i < j:
                edges[i].add(j)
        elif (k == "rule") == (back == "rule") and i < j:
            edges[i].add(j)  # both ways: the better-ranked finding explains the other
    incoming: dict[int, list[int]] = {j: [] for j in range(n)}
    for i, targets in edges.items():
        for j in targets:
            incoming[j].append(i)

    def top(j: int) -> int:
        seen = {j}
        cur = j
        while incoming[cur]:
            nxt = min(incoming[cur], key=lambda i: (kinds.get((i, cur)) != "rule", i))
            if nxt in seen:
                break
            seen.add(nxt)
            cur = nxt
        return cur

    for idx, f in enumerate(ordered):
        f.id = ""
    root_idx = [i for i in range(n) if not incoming[i] and ordered[i].severity in ROOT_SEVERITIES
                and _current(ordered[i])]
    if not root_idx and promote_warnings:
        root_idx = [i for i in range(n) if not incoming[i] and ordered[i].severity == "warning"
                    and _current(ordered[i])]
    # a root cause's weight: how much it explains; rank within severity/layer by it
    parents = {j: top(j) for j in range(n) if incoming[j]}
    explained = {i: sum(1 for j, t in parents.items() if t == i) for i in root_idx}
    root_idx.sort(key=lambda i: (SEVERITY_RANK[ordered[i].severity], layer_rank(ordered[i].category),
                                 -explained[i], _rank_key(ordered[i])))
    root_idx = _guesses_by_tell(root_idx, ordered)
    # ids: root causes first, in rank order, then the rest in rank order
    rest = [i for i in range(n) if i not in set(root_idx)]
    for k, i in enumerate(root_idx + rest, 1):
        ordered[i].id = f"F{k}"
    for j, t in parents.items():
        root = ordered[t]
        ordered[j].caused_by = root.id if t != j else None
        if t != j:
            root.symptoms.append(ordered[j].id)
    for i in root_idx:
        ordered[i].symptoms.sort(key=lambda fid: int(fid[1:]))
    final = [ordered[i] for i in root_idx + rest]
    return Diagnosis(findings=final, root_causes=merge_roots([ordered[i] for i in root_idx]))


def _guesses_by_tell(root_idx: list[int], ordered: list[Finding]) -> list[int]:
    """Inferred root causes of one severity, in the places the ranking gave them, reordered so
    that a line more telling by a level or a shape (an ERROR record, an exception: ``TELL_STEP``)
    leads: an inferred category is a guess, so its layer says less than the line (a prose line
    whose words happen to point to an early layer does not lead an unknown ERROR record). Within
    a step the ranking's order stands (its category is worth a bonus line or two); named root
    causes keep their places."""
    out = list(root_idx)
    for sev in {ordered[i].severity for i in root_idx}:
        places = [k for k, i in enumerate(out) if ordered[i].inferred and ordered[i].severity == sev]
        guesses = [out[k] for k in places]
        for a in range(1, len(guesses)):  # insertion: move ahead past lines a step less telling
            b = a
            while b > 0 and _tell(ordered[guesses[b]]) - _tell(ordered[guesses[b - 1]]) >= TELL_STEP:
                guesses[b - 1], guesses[b] = guesses[b], guesses[b - 1]
                b -= 1
        for k, i in zip(places, guesses):
            out[k] = i
    return out


def merge_roots(roots: list[Finding]) -> list[Finding]:
    """One root cause per category: the same failure on several objects (or seen by a pattern
    and a check) is one cause with several affected objects. The best-ranked finding leads."""
    merged: dict[str, Finding] = {}
    for f in roots:
        lead = merged.get(f.category)
        if lead is None:
            merged[f.category] = f
            continue
        f.merged_into = lead.id
        lead.also.append(f)
    out = []
    for lead in merged.values():
        if lead.also:
            lead = _combined(lead)
        out.append(lead)
    return out


def _combined(lead: Finding) -> Finding:
    """A copy of ``lead`` covering its merged findings too."""
    from copy import copy

    group = [lead, *lead.also]
    c = copy(lead)
    seen, affected = set(), []
    for f in group:
        for a in f.affected:
            key = (a.namespace, a.kind, a.name, a.container)
            if key not in seen:
                seen.add(key)
                affected.append(a)
    c.affected = affected
    c.evidence = [e for f in group for e in f.evidence[:2]][:MAX_MERGED_EVIDENCE]
    c.count = sum(f.count for f in group)
    firsts = [f.first_seen for f in group if f.first_seen]
    lasts = [f.last_seen for f in group if f.last_seen]
    c.first_seen = min(firsts) if firsts else None
    c.last_seen = max(lasts) if lasts else None
    c.symptoms = sorted({s for f in group for s in f.symptoms}, key=lambda fid: int(fid[1:]))
    c.checks = list(dict.fromkeys(cmd for f in group for cmd in f.checks))[:6]
    if len(affected) > 1 and len(group) > 1:
        c.summary = f"{lead.summary} (and {len(group) - 1} more finding(s) of the same cause)"
    c.details = dict(lead.details, merged=[f.id for f in lead.also])
    return c


def finding_dict(f: Finding, is_root: bool) -> dict[str, Any]:
    """A finding in the JSON contract's shape (docs/result.schema.json)."""
    return {
        "id": f.id, "category": f.category, "layer": f.layer, "severity": f.severity,
        "title": f.title, "summary": f.summary, "root_cause": is_root, "caused_by": f.caused_by,
        "affected": [a.as_dict() for a in f.affected],
        "evidence": [e.as_dict() for e in f.evidence], "count": f.count,
        "first_seen": iso(f.first_seen), "last_seen": iso(f.last_seen),
        "remediation": f.remediation, "checks": list(f.checks), "symptoms": list(f.symptoms),
        "explanation": f.root_cause_text, "pattern": f.rule, "source": f.source, "node": f.node,
        "references": list(f.references), "details": f.details,
        "merged_into": f.merged_into, "state": f.state or ACTIVE, "state_reason": f.state_reason,
        "inferred": f.inferred,
        **({"confidence": f.confidence, "inferred_from": list(f.inferred_from)} if f.inferred else {}),
    }


def pod_nodes_of(pods: pl.DataFrame) -> dict[tuple, str]:
    """``PodRef.key`` -> node, from the pods table."""
    if pods.is_empty():
        return {}
    rows = pods.select("namespace", "name", "node").filter(pl.col("node").is_not_null()).iter_rows()
    return {PodRef(ns, name).key: node for ns, name, node in rows}


def diagnose(parsed, signals: pl.DataFrame, library: Library, errors: ErrorLines | None = None) -> Diagnosis:
    """Findings from signals and structured checks, correlated and ranked; the GPU and HAMi
    status of the cluster, worked out once for the checks and the report. ``errors``: the error
    lines no pattern hit, collected while matching; when no pattern or check names a cause, the
    most telling of them become inferred findings (``diagnose.fallback``)."""
    # the logs were read by now: a pasted log's newest line may be its only record of time
    with_log_time(parsed.facts, parsed.bundle, parsed.newest_log_time)
    state = build_state(parsed.tables, parsed.facts, snapshot=parsed.bundle.layout != "ft-results")
    pod_nodes = pod_nodes_of(parsed.tables["pods"])
    signals = node_evidence(signals, {m.path: m.meta["node"] for m in parsed.bundle.members if m.meta.get("node")})
    findings = findings_from_signals(signals, library, pod_nodes)
    gpu = GpuCluster(parsed.tables, parsed.facts)
    check_findings, statuses = run_checks(parsed, signals, library, gpu, state)
    findings.extend(check_findings)
    pasted = parsed.bundle.layout == "file"
    fallback = Fallback(parsed.tables, signals, (errors or ErrorLines()).groups(), vocabulary(library), pasted,
                        {f.rule for f in findings}, library)
    if needed(findings):
        findings.extend(fallback.findings())
    judge_findings(findings, state, library)
    diagnosis = correlate(findings, pod_nodes, promote_warnings=pasted)
    diagnosis.checks = statuses
    diagnosis.gpu = cluster_status(gpu)
    diagnosis.state = state
    diagnosis.unexplained = fallback.unexplained()
    return diagnosis


__all__ = ["Diagnosis", "diagnose", "correlate", "finding_dict", "LAYER_ORDER"]
