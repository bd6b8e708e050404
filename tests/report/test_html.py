"""The HTML report as a file: self-contained, locked down by its CSP, bundle text escaped."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser

import regex

from analyzer.report import render


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_csp_allows_only_the_inline_script_by_hash(multi_fault):
    html = render(*multi_fault, "html")
    page = _parse(html)
    [csp] = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") ==
             "Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp and "img-src data:" in csp
    assert len(page.scripts) == 1
    assert f"script-src {_sha(page.scripts[0])};" in csp
    [style] = regex.findall(r"<style>(.*?)</style>", html, flags=regex.S)
    assert f"style-src {_sha(style)};" in csp


def test_nothing_is_loaded_from_anywhere(multi_fault):
    page = _parse(render(*multi_fault, "html"))
    for tag, attrs in page.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed", "base"), tag
        for name in ("src", "srcset", "action", "poster", "data", "background"):
            assert name not in attrs, (tag, name)
        if "href" in attrs:
            assert attrs["href"].startswith("#"), attrs["href"]
        assert "style" not in attrs   # the CSP hashes the <style> block; inline styles would be blocked


def test_bundle_text_is_escaped(multi_fault):
    html = render(*multi_fault, "html")
    page = _parse(html)
    assert [t for t, _ in page.tags].count("script") == 1
    assert not any("onerror" in attrs for _, attrs in page.tags)
    assert ("<mark>&lt;script&gt;</mark>document.title=&#39;pwned&#39;&lt;/script&gt;"
            "&lt;img src=x onerror=&#34;document.title=&#39;pwned&#39;&#34;&gt;</pre>") in html


def test_evidence_is_collapsible_and_highlighted(multi_fault):
    html = render(*multi_fault, "html")
    assert '<details class="evidence" open>\n<summary>Evidence: 4 lines</summary>' in html
    assert "torch.OutOfMemoryError: <mark>CUDA out of memory</mark>. Tried to allocate" in html
    assert html.count('class="card finding') == 3
    # symptoms are inside their root cause's card, evidence closed by default
    f1 = html[html.index('id="F1"'):html.index('id="F2"')]
    assert 'id="F4"' in f1 and 'id="F5"' in f1 and 'id="F6"' in f1
    assert '<details class="evidence">\n<summary>Evidence: 2 lines (211 occurrences)' in f1


def test_filter_box_and_searchable_findings(multi_fault):
    page = _parse(render(*multi_fault, "html"))
    assert ("input", {"id": "filter", "type": "search",
                      "placeholder": "Filter findings: pod, category, text…",
                      "aria-label": "Filter findings", "autocomplete": "off"}) in page.tags
    searchable = [a for _, a in page.tags if "data-search" in a]
    assert [a["id"] for a in searchable] == ["F1", "F4", "F5", "F6", "F2", "F3", "F7"]
    assert "runtime.cuda_oom" in searchable[0]["data-search"]


def test_timeline_is_an_inline_svg(multi_fault):
    html = render(*multi_fault, "html")
    svg = html[html.index('<div class="timeline">'):html.index("</svg>")]
    assert "llm/vllm-decode-7c9f5d8b6-x2kqp" in svg
    assert svg.count('class="tl-finding root') == 3           # one bar per root cause
    assert 'class="tl-restart"' in svg and 'class="tl-event-warning"' in svg
    assert "<title>bundle collected 2026-11-20 10:22:05Z</title>" in svg
    assert "<title>main terminated: Error, exit code 1 (restarts: 4) · 2026-11-20 10:20:44Z</title>" in svg


def test_print_css_and_hami_sections(multi_fault):
    html = render(*multi_fault, "html")
    assert "@media print" in html
    assert '<span class="pill fail">FAIL</span>' in html
    assert "<h2>Resource allocation per namespace</h2>" in html


def test_healthy_report_has_no_findings(healthy):
    html = render(*healthy, "html")
    assert "No root cause found" in html and 'class="verdict sev-clear"' in html
    assert "data-search=" not in html


def test_same_input_same_bytes(multi_fault):
    assert render(*multi_fault, "html") == render(*multi_fault, "html")
