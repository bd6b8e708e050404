"""The reports' "Errors no pattern knows" section and how an inferred finding reads."""

from __future__ import annotations

import copy

from analyzer.report import render
from analyzer.report.context import build_context

from report_samples import XSS


def _with_unexplained(result: dict) -> dict:
    result = copy.deepcopy(result)
    inferred = {
        "id": "F9", "category": "network.dns", "layer": "network", "severity": "warning",
        "title": "Error no pattern knows: lookup router.svc failed: NXDOMAIN", "summary": "2 lines like this",
        "root_cause": False, "caused_by": None, "affected": [], "count": 2, "first_seen": None,
        "last_seen": None, "remediation": "Confirm the failure.", "checks": [], "symptoms": [],
        "explanation": "", "pattern": "inferred", "source": "inferred", "node": None, "references": [],
        "details": {}, "merged_into": None, "inferred": True, "confidence": 0.62,
        "inferred_from": ["nxdomain", "lookup"],
        "evidence": [{"path": "a.log", "line": 3, "text": "lookup router.svc failed: NXDOMAIN", "time": None,
                      "match": None, "source": "log"}]}
    result["findings"].append(inferred)
    result["unexplained"] = [
        {"template": "lookup <q> failed: NXDOMAIN", "count": 2, "category": "network.dns", "confidence": 0.62,
         "inferred_from": ["nxdomain", "lookup"], "source": "log", "level": "ERROR", "affected": [],
         "first_seen": None, "last_seen": None, "finding": "F9",
         "evidence": [{"path": "a.log", "line": 3, "text": "lookup router.svc failed: NXDOMAIN"}]},
        {"template": XSS, "count": 1, "category": None, "confidence": None, "inferred_from": [], "source": "log",
         "level": None, "affected": [{"namespace": "llm", "kind": "Pod", "name": "frontend-0", "container": None}],
         "first_seen": None, "last_seen": None, "finding": None,
         "evidence": [{"path": "b.log", "line": 8, "text": XSS}]}]
    return result


def test_markdown_lists_the_templates_before_the_checks(multi_fault):
    result, tables, gpu = multi_fault
    md = render(_with_unexplained(result), tables, gpu, "md")
    sections = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert sections.index("Errors no pattern knows") == sections.index("Checked and clear") - 1
    part = md[md.index("## Errors no pattern knows"):md.index("## Checked and clear")]
    assert "| 1 | 2x | `lookup <q> failed: NXDOMAIN` | `network.dns` (0.62) · F9 | `a.log:3` |" in part
    assert "<script>" not in part.replace("`<script>", "")  # bundle text only inside code spans


def test_an_inferred_finding_says_so(multi_fault):
    result, tables, gpu = multi_fault
    md = render(_with_unexplained(result), tables, gpu, "md")
    assert "F9 Error no pattern knows: lookup router.svc failed: NXDOMAIN · `network.dns` (inferred)" in md
    html = render(_with_unexplained(result), tables, gpu, "html")
    assert '<span class="pill inferred">inferred</span>' in html
    assert "the category was inferred from the words <code>nxdomain</code>, <code>lookup</code> (confidence 0.62)" in html


def test_html_section_escapes_bundle_text_and_links_the_finding(multi_fault):
    result, tables, gpu = multi_fault
    html = render(_with_unexplained(result), tables, gpu, "html")
    part = html[html.index('<section id="unexplained">'):html.index('<section id="checks">')]
    assert "<script>" not in part and "&lt;script&gt;" in part
    assert '<a href="#F9">F9</a>' in part and "pod llm/frontend-0" in part
    assert '<a href="#unexplained">Errors no pattern knows</a>' in html


def test_no_section_without_unexplained_errors(multi_fault):
    md = render(*multi_fault, "md")
    assert "## Errors no pattern knows" not in md
    assert build_context(*multi_fault)["unexplained"] == []


def test_verdict_names_an_inferred_top_cause(healthy):
    result, tables, gpu = healthy
    result = copy.deepcopy(result)
    rc = {"id": "F1", "category": "unclassified.error", "layer": "unclassified", "severity": "error",
          "title": "Error no pattern knows: FATAL: quorum lost", "summary": "1 line like this", "affected": [],
          "evidence": [], "count": 1, "first_seen": None, "last_seen": None, "remediation": "Read it.",
          "checks": [], "symptoms": [], "inferred": True, "confidence": None, "inferred_from": []}
    result["root_causes"] = [rc]
    result["findings"] = [dict(rc, root_cause=True, caused_by=None)]
    verdict = build_context(result, tables, gpu)["verdict"]["text"]
    assert "(error, unclassified.error, no pattern knows it)" in verdict
