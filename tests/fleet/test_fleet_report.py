"""``bundle-analyzer fleet report``: sections over the sample dataset, labels, --since, and the
unexplained templates ranked by how many bundles show them (rows in the shape of the result's
``unexplained`` list); the HTML opens in Chromium with no network request."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from analyzer.fleet.charts import render
from analyzer.fleet.dataset import Writer, rows_of
from analyzer.fleet.report import build

from conftest import fleet

CHROMIUM = "/usr/bin/chromium"


def _result(collected: str, roots: list[str], unexplained: list[tuple[str, int]]) -> dict:
    """A result dict with the keys the dataset reads (as `analyze --format json` gives them)."""
    def finding(i: int, cat: str) -> dict:
        return {"id": f"F{i}", "category": cat, "layer": cat.split(".")[0], "severity": "critical",
                "title": cat, "summary": cat, "root_cause": True, "count": 1, "evidence": [],
                "first_seen": None, "last_seen": None}
    findings = [finding(i, c) for i, c in enumerate(roots, 1)]
    return {"input": {"files_read": 3, "read_errors": []}, "root_causes": findings, "findings": findings,
            "bundle": {"layout": "collector", "collected_at": collected, "server_version": "v1.30.6"},
            "unexplained": [{"template": t, "count": n, "category": None, "source": "log",
                             "evidence": [{"path": "x.log", "line": 1, "text": t.replace("<*>", "7")}]}
                            for t, n in unexplained],
            "redacted": True}


@pytest.fixture
def labelled(tmp_path) -> Path:
    """Four bundles of two customers over two months; templates shared unevenly."""
    w = Writer(tmp_path / "ds", "run", "2026-12-07")
    at = datetime(2026, 12, 7, tzinfo=timezone.utc)
    specs = [("acme", "2026-10-03T10:00:00Z", ["gpu.hardware"], [("NCCL WARN timeout <*>", 5)]),
             ("acme", "2026-11-20T10:00:00Z", ["gpu.hardware", "runtime.cuda_oom"],
              [("NCCL WARN timeout <*>", 1), ("weird <*> error", 9)]),
             ("globex", "2026-11-21T10:00:00Z", ["runtime.cuda_oom"], [("NCCL WARN timeout <*>", 2)]),
             # text from a bundle stays text in the HTML
             ("globex", "2026-11-22T10:00:00Z", [], [("<img src=x onerror=alert(1)> <*>", 1)])]
    for i, (customer, collected, roots, unexplained) in enumerate(specs):
        out = {"key": f"k{i}", "bundle_id": f"b{i}", "input": f"{customer}/T-{i}/bundle.tgz", "error": None,
               "seconds": 1.0, "bytes": 10,
               "result": _result(collected, roots, unexplained), "facts": {"gpu_models": ["NVIDIA-L40S"],
                                                                           "engines": ["vllm"] if i else []}}
        w.add(rows_of(out, {"customer": customer, "ticket": f"T-{i}"}, at, "test"))
    w.add(rows_of({"key": "k9", "bundle_id": "bad", "input": "globex/T-9/cut.tgz", "error": "corrupt or truncated",
                   "seconds": 0.1, "bytes": 5, "result": None, "facts": {}}, {"customer": "globex"}, at, "test"))
    w.flush()
    return tmp_path / "ds"


def test_sections_by_label_new_and_unexplained(labelled):
    ctx = build(labelled, None, None)
    assert ctx["label"] == "customer"
    assert {k: ctx["overview"][k] for k in ("bundles", "ok", "failed", "healthy")} == \
        {"bundles": 5, "ok": 4, "failed": 1, "healthy": 1}
    assert [(r["category"], r["bundles"]) for r in ctx["top"]] == [("gpu.hardware", 2), ("runtime.cuda_oom", 2)]
    assert [(r["value"], r["bundles"]) for r in ctx["by_label"]] == [("globex", 3), ("acme", 2)]
    # ranked by bundles, not by lines: the 9-line template is in one bundle only
    assert [(r["template"], r["bundles"], r["lines"]) for r in ctx["unexplained"]] == \
        [("NCCL WARN timeout <*>", 3, 8), ("weird <*> error", 1, 9), ("<img src=x onerror=alert(1)> <*>", 1, 1)]
    assert ctx["over_time"]["unit"] == "week"
    assert ctx["unexplained_reported"]
    assert {r["name"]: r["bundles"] for r in ctx["engines"]} == {"vllm": 3, "(none seen)": 1}


def test_since_keeps_the_period_and_names_what_is_new(labelled):
    from analyzer.fleet.report import parse_since

    ctx = build(labelled, parse_since("2026-11-01"), "ticket")
    assert ctx["overview"]["in_period"] == 4   # the failed row has no collection time: analysed 12-07
    assert [r["category"] for r in ctx["new"]] == ["runtime.cuda_oom"]   # gpu.hardware was seen in October
    assert ctx["before"] == 1
    md = render(ctx, "md")
    for heading in ("## Top root causes", "## Root causes over time", "## By ticket",
                    "## New root causes since 2026-11-01", "## Errors no pattern knows, across bundles",
                    "## Engines and GPU models", "## Bundles that failed"):
        assert heading in md
    assert "| `NCCL WARN timeout <*>` | 2 | 3 |" in md


def test_unexplained_not_reported_is_not_called_none(sample_dataset, analyze_json):
    dataset, _, _, _ = sample_dataset
    ctx = build(dataset, None, None)
    reported = any("unexplained" in r for r in analyze_json.values())
    assert ctx["unexplained_reported"] == reported
    if not reported:
        assert "does not report errors no pattern knows" in render(ctx, "md")


def test_cli_report_of_the_sample_dataset(sample_dataset, tmp_path):
    dataset, damaged, _, _ = sample_dataset
    code, md, err = fleet("report", str(dataset))
    assert code == 0, err
    assert "`runtime.cuda_oom`" in md and str(damaged) in md
    code, _, err = fleet("report", str(dataset), "--since", "yesterday")
    assert code == 2 and "YYYY-MM-DD" in err
    code, _, err = fleet("report", str(tmp_path))
    assert code == 2 and "not a fleet dataset" in err


@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"{CHROMIUM} not installed (apt-get install chromium)")
def test_html_report_opens_in_chromium_with_no_network_request(labelled, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    page_file = tmp_path / "fleet.html"
    code, _, err = fleet("report", str(labelled), "--format", "html", "-o", str(page_file))
    assert code == 0, err
    url = page_file.resolve().as_uri()
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            context = browser.new_context(service_workers="block")
            page = context.new_page()
            page.on("request", lambda r: r.url != url and requests.append(r.url))
            page.on("console", lambda m: m.type in ("error", "warning") and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            context.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
            page.goto(url)
            page.wait_for_load_state("load")
            assert requests == [] and errors == []
            assert page.title() == "Fleet report: ds"
            # the charts are drawn: bars with their values, inline
            assert page.locator("#top svg rect").count() == 2
            assert page.locator("#over-time svg rect").count() >= 3
            assert page.evaluate("document.querySelectorAll('script, img, link').length") == 0
            assert page.locator("#unexplained code", has_text="<img src=x onerror=alert(1)>").count() == 1
        finally:
            browser.close()
