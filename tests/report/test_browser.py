"""The HTML reports in real headless Chromium: no network request, no console error, the filter box
works, a planted script never runs.

Runs over the HTML report of every sample bundle (the session's analyses, ``testkit.samples``)
and over reports rendered from the test diagnoses. Screenshots of a healthy and a failing report
are kept in ``tests/output/``. Needs Debian's ``/usr/bin/chromium`` (`.ci/run` installs it; a
missing one fails the tests) and Playwright's Python package from the ``test`` extra (never
``playwright install``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from playwright import sync_api

from analyzer.pipeline import analyze_path, write_report
from analyzer.report import render
from testkit.samples import library, sample_dirs, sample_run
from testkit.tools import need

from report_samples import (XSS, healthy_gpu, healthy_result, healthy_tables, multi_fault_gpu,
                            multi_fault_result, multi_fault_tables)

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "tests" / "output"
TITLE = "GPU Pod Troubleshooting Report"


def _write_html(bundle: Path, out: Path) -> Path:
    """The HTML report `analyze --format html -o OUT` writes for ``bundle``, analysed in-process."""
    with analyze_path(str(bundle), library()) as analysis:
        write_report(analysis, "html", out)
    return out


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=need("chromium"), args=LAUNCH_ARGS)
        yield b
        b.close()


class Opened:
    """A report loaded in a fresh page, with every request and console message recorded."""

    def __init__(self, browser, path: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1200, "height": 900},
                                           service_workers="block")
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        url = path.resolve().as_uri()

        def on_request(request) -> None:
            if request.url != url:
                self.requests.append(request.url)

        self.page.on("request", on_request)
        self.page.on("console", lambda m: m.type in ("error", "warning") and
                     self.errors.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        # belt and braces: anything but the report itself is refused, and still recorded above
        self.context.route("**/*", lambda route: route.continue_() if route.request.url == url
                           else route.abort())
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def close(self) -> None:
        self.context.close()


def _check_clean(opened: Opened) -> None:
    assert opened.requests == [], f"network requests: {opened.requests}"
    assert opened.errors == [], f"console: {opened.errors}"
    assert opened.dialogs == []
    assert opened.page.title().startswith(TITLE)


def _check_filter(page) -> None:
    findings = page.locator("[data-search]")
    total = findings.count()
    if total == 0:
        return
    first_id = findings.first.get_attribute("id")
    query = (findings.first.get_attribute("data-search") or "").split()[1]
    page.fill("#filter", "zz-no-finding-has-this-zz")
    assert page.locator("[data-search]:visible").count() == 0
    assert page.locator("#filter-status").inner_text() == f"0 of {total} findings match"
    page.fill("#filter", query)
    assert page.locator(f"#{first_id}").is_visible()
    page.fill("#filter", "")
    assert page.locator("[data-search]:visible").count() == total


@pytest.fixture(scope="module")
def dict_reports(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("html")
    reports = {
        "healthy": render(healthy_result(), healthy_tables(), healthy_gpu(), "html"),
        "multi-fault": render(multi_fault_result(), multi_fault_tables(), multi_fault_gpu(), "html"),
    }
    paths = {}
    for name, html in reports.items():
        paths[name] = out / f"{name}.html"
        paths[name].write_text(html, encoding="utf-8")
    return paths


@pytest.mark.parametrize("name", ["healthy", "multi-fault"])
def test_rendered_report_in_chromium(browser, dict_reports, name):
    opened = Opened(browser, dict_reports[name])
    try:
        _check_clean(opened)
        _check_filter(opened.page)
        OUTPUT.mkdir(parents=True, exist_ok=True)
        shot = OUTPUT / f"report-{name}.png"
        opened.page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
    finally:
        opened.close()


def test_planted_script_stays_text(browser, dict_reports):
    opened = Opened(browser, dict_reports["multi-fault"])
    try:
        page = opened.page
        _check_clean(opened)
        assert page.title() != "pwned"
        assert page.evaluate("document.querySelectorAll('script').length") == 1
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        # the evidence line shows the payload as text, its opening tag highlighted
        page.click("#F5 details.evidence > summary")
        line = page.locator("#F5 pre", has_text="document.title='pwned'")
        assert line.inner_text() == XSS
    finally:
        opened.close()


def test_filter_narrows_to_matching_findings(browser, dict_reports):
    opened = Opened(browser, dict_reports["multi-fault"])
    try:
        page = opened.page
        page.fill("#filter", "gated")
        assert page.locator("#F3").is_visible()
        assert not page.locator("#F1").is_visible() and not page.locator("#F2").is_visible()
        # a symptom that matches keeps its root cause card on screen
        page.fill("#filter", "no instances found")
        assert page.locator("#F5").is_visible() and page.locator("#F1").is_visible()
        assert not page.locator("#F4").is_visible()
        assert page.locator("#filter-status").inner_text() == "1 of 7 findings match"
    finally:
        opened.close()


def test_print_layout_hides_the_toolbar(browser, dict_reports):
    opened = Opened(browser, dict_reports["multi-fault"])
    try:
        opened.page.emulate_media(media="print")
        assert not opened.page.locator(".toolbar").is_visible()
        assert opened.page.locator("#timeline .timeline > svg").is_visible()
    finally:
        opened.close()


# --------------------------------------------------------------------------- sample bundles

BUNDLES = sample_dirs()


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_sample_bundle_report_in_chromium(browser, tmp_path, bundle):
    html = tmp_path / f"{bundle.name}.html"
    html.write_text(sample_run(bundle).report("html"), encoding="utf-8")
    opened = Opened(browser, html)
    try:
        _check_clean(opened)
        _check_filter(opened.page)
        healthy = opened.page.locator("[data-search]").count() == 0
        OUTPUT.mkdir(parents=True, exist_ok=True)
        shot = OUTPUT / f"sample-{bundle.name}{'-healthy' if healthy else ''}.png"
        opened.page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
    finally:
        opened.close()


def _plant(bundle: Path, dest: Path) -> None:
    """A copy of `bundle` whose first container log and first events file carry the payload."""
    shutil.copytree(bundle, dest)
    for log in sorted(dest.rglob("*.log"))[:1]:
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"2026-11-20T10:14:03.512000000Z {XSS}\n")
            fh.write("2026-11-20T10:14:03.513000000Z torch.OutOfMemoryError: CUDA out of memory. "
                     "Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.15 GiB of which "
                     f"1.12 GiB is free. {XSS}\n")
    for path in sorted(dest.rglob("events.json"))[:1]:
        data = json.loads(path.read_text(encoding="utf-8"))
        ns = path.parent.name
        data.setdefault("items", []).append({
            "apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": "FailedScheduling",
            "message": XSS, "count": 1, "metadata": {"name": "planted.1", "namespace": ns},
            "involvedObject": {"kind": "Pod", "name": "planted", "namespace": ns},
            "firstTimestamp": "2026-11-20T10:14:03Z", "lastTimestamp": "2026-11-20T10:14:03Z",
            "source": {"component": "default-scheduler"}})
        path.write_text(json.dumps(data), encoding="utf-8")


# a collector bundle: it has both container logs and events.json to plant the line in
PLANT_IN = next((b for b in BUNDLES if (b / "manifest.json").is_file()
                 and any(b.rglob("events.json")) and any(b.rglob("*.log"))), None)


def test_planted_script_in_a_sample_bundle(browser, tmp_path):
    assert PLANT_IN is not None, "no sample bundle with logs and events.json"
    _plant(PLANT_IN, tmp_path / "planted")
    html = _write_html(tmp_path / "planted", tmp_path / "planted.html")
    assert "&lt;script&gt;document.title=" in html.read_text(encoding="utf-8")
    opened = Opened(browser, html)
    try:
        _check_clean(opened)
        page = opened.page
        assert page.title() != "pwned"
        assert page.evaluate("document.querySelectorAll('script').length") == 1
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        # the payload is in the page as text, characters and all
        assert page.evaluate("(payload) => document.body.textContent.includes(payload)", XSS) is True
    finally:
        opened.close()
