"""Fault-tolerance result folders -> the `ft_requests` and `ft_events` tables.

A results root holds one folder per scenario, ``test_fault_scenario[<deployment>-<failure>]``
(Kubernetes harness) or ``test_worker_failure[<deployment>-<failure>]`` (single-node harness)::

    test_fault_scenario[agg-tp-1-dp-1-frontend]/
      client_0.log.txt      {"time": "2025-10-03T10:30:45", "results": [{"status": 200, "result": {...},
                            "request_elapsed_time": 1.23, "url": "http://localhost:40213/v1/chat/completions",
                            "pod": "fault-tolerance-test-frontend-576bd784dc-jv68q"}], "total_time": 1.25, ...}
      test.log.txt          [TEST] 2025-10-03T10:30:40 INFO test_fault_scenario[...]: Injecting failure for: Failure(...)
      Frontend/<pod>.log    {"time":"2025-10-03T10:30:44.120318Z","level":"INFO",...,"message":"added model",...}
      Frontend/<pod>.previous.log, <pod>.metrics.log, <pod>.yaml

``ft_requests`` has one row per HTTP attempt (upstream counts attempts, not logical requests):
group, scenario, failure, layout, client, request, attempt, time, latency, status, status_code,
success, error, path, line.  ``time`` is the client's wall-clock time when the logical request
finished (second resolution, the test host's local clock, stored as-is and labelled UTC).

``ft_events`` has one row per timeline fact: group, scenario, failure, kind
(``deployment_start``, ``deployment_ready``, ``fault_injected``, ``process_terminated``,
``ready``, ``log_first``, ``log_last``, and ``pending`` for the single-node harness's
watcher.log.txt samples, text = requests waiting), service, pod, time, text, path, line.  Pod-log times are
the container's clock (Dynamo logs UTC); the offset from the test host's clock is left as
found so that the summary can warn about it.

AI-Perf folders (``client_N/attempt_M/profile_export_aiperf.json``) carry totals only; they are
read by ``analyzer.ft.aiperf`` and returned as :class:`AiperfTotals` next to the tables.

The folders come from ``analyzer.ingest`` (``analyzer.ft.folders``): a results root or scenario
folder reads the same as a directory or as an archive, within ingest's limits.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

import polars as pl

from analyzer.ft.aiperf import parse_aiperf
from analyzer.ft.folders import Folder, scenario_folders
from analyzer.ft.model import LAYOUT_AIPERF, LAYOUT_K8S, LAYOUT_SINGLE_NODE, ScenarioData
from analyzer.ingest import Bundle
from analyzer.ingest.layout import FT_AIPERF_EXPORT, FT_CLIENT_LOG, FT_SCENARIO_DIR
from analyzer.parse.documents import load_json
from analyzer.parse.quantity import wall_time
from analyzer.tables import TIME

REQUEST_SCHEMA: dict[str, Any] = {
    "group": pl.Utf8, "scenario": pl.Utf8, "failure": pl.Utf8, "layout": pl.Utf8,
    "client": pl.Int32, "request": pl.Int32, "attempt": pl.Int32, "time": TIME,
    "latency": pl.Float64, "status": pl.Utf8, "status_code": pl.Int32, "success": pl.Boolean,
    "error": pl.Utf8, "path": pl.Utf8, "line": pl.Int32,
}
EVENT_SCHEMA: dict[str, Any] = {
    "group": pl.Utf8, "scenario": pl.Utf8, "failure": pl.Utf8, "kind": pl.Utf8,
    "service": pl.Utf8, "pod": pl.Utf8, "time": TIME, "text": pl.Utf8, "path": pl.Utf8,
    "line": pl.Int32,
}

# A success needs a reply of at least this many characters (legacy_parse_results expected_length).
EXPECTED_LENGTH = 100

# Worker-ready lines per service folder (legacy_parse_results / scenarios WORKER_READY_PATTERNS).
READY_PATTERNS: dict[str, re.Pattern[str]] = {
    "Frontend": re.compile(r"added model"),
    "VllmDecodeWorker": re.compile(r"VllmWorker for (?P<model_name>.*?) has been initialized"),
    "VllmPrefillWorker": re.compile(r"VllmWorker for (?P<model_name>.*?) has been initialized"),
    "decode": re.compile(
        r"Model registration succeeded|Decode worker handler initialized|Worker handler initialized"),
    "prefill": re.compile(
        r"Model registration succeeded|Prefill worker handler initialized|Worker handler initialized"),
    "TRTLLMWorker": re.compile(
        r"TrtllmWorker for (?P<model_name>.*?) has been initialized|Model registration succeeded"),
    "TRTLLMDecodeWorker": re.compile(
        r"TrtllmWorker for (?P<model_name>.*?) has been initialized|Model registration succeeded"),
    "TRTLLMPrefillWorker": re.compile(
        r"TrtllmWorker for (?P<model_name>.*?) has been initialized|Model registration succeeded"),
}
# Single-node harness: start lines in dynamo_<Component>/error.log (tests/fault_tolerance/parse_results.py).
SINGLE_NODE_START_LINES: dict[str, str] = {
    "dynamo_Frontend": "added model",
    "dynamo_VllmWorker": "Starting VllmWorker instance",
    "dynamo_Processor": "Starting Processor instance with all registered endpoints",
    "dynamo_PrefillWorker": "Starting PrefillWorker instance with all registered endpoints",
}

_TS = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})")
_ANSI = re.compile(r"\x1b\[.*?m")
_START_K8S = re.compile(r"Starting Deployment \S+ with spec")
_READY_K8S = re.compile(r"Deployment \S+ is ready")
_FAILURE_REPR = re.compile(r"Failure\((.*?)\)")
_TERMINATING = re.compile(r"Terminating (?P<pod>\S+) Pid (?P<pid>\d+)")
_CLIENT_DIR = re.compile(r"^client_(\d+)$")


def read_scenarios(bundle: Bundle) -> list[ScenarioData]:
    """Every scenario folder of an opened bundle, parsed (sorted by path); [] when there is none."""
    return [parse_folder(f) for f in scenario_folders(bundle)]


def scenario_tables(scenarios: list[ScenarioData]) -> dict[str, pl.DataFrame]:
    """The ``ft_requests`` and ``ft_events`` tables of parsed scenarios (empty tables for none)."""
    return {
        "ft_requests": pl.concat([d.requests for d in scenarios]) if scenarios else pl.DataFrame(schema=REQUEST_SCHEMA),
        "ft_events": pl.concat([d.events for d in scenarios]) if scenarios else pl.DataFrame(schema=EVENT_SCHEMA),
    }


def split_scenario_name(name: str) -> tuple[str, str]:
    """``agg-tp-1-dp-1-decode_worker`` -> (``agg-tp-1-dp-1``, ``decode_worker``): failure is the last `-` token."""
    group, _, failure = name.rpartition("-")
    return group, failure


def parse_folder(folder: Folder) -> ScenarioData:
    """Parse one scenario folder into tables; unreadable parts become warnings, never exceptions."""
    m = FT_SCENARIO_DIR.match(folder.name)
    name = m.group("name") if m else folder.name
    group, failure = split_scenario_name(name)
    display = folder.prefix or folder.name
    layout = detect_layout(folder)
    warnings: list[str] = []
    events: list[dict[str, Any]] = []
    base = {"group": group, "scenario": folder.name, "failure": failure}

    fault_target = _parse_test_log(folder, layout, base, display, events, warnings)
    if folder.has("watcher.log.txt"):
        _parse_watcher(folder, base, events)
    requests: list[dict[str, Any]] = []
    aiperf = None
    if layout == LAYOUT_AIPERF:
        aiperf = parse_aiperf(folder, display, warnings)
    else:
        _parse_clients(folder, layout, base, display, requests, warnings)
    service_dirs = _parse_pod_logs(folder, layout, base, events)

    req_df = pl.DataFrame(requests, schema=REQUEST_SCHEMA) if requests else pl.DataFrame(schema=REQUEST_SCHEMA)
    if requests:
        req_df = req_df.sort(["time", "client", "request", "attempt"])
    ev_df = pl.DataFrame(events, schema=EVENT_SCHEMA) if events else pl.DataFrame(schema=EVENT_SCHEMA)
    return ScenarioData(path=display, display=display, scenario=folder.name, group=group, failure=failure,
                        layout=layout, requests=req_df, events=ev_df, aiperf=aiperf,
                        fault_target=fault_target, service_dirs=service_dirs, warnings=warnings)


def detect_layout(folder: Folder) -> str:
    """Which harness generation wrote ``folder`` (see `analyzer.ft.model` LAYOUT_*)."""
    if any(FT_AIPERF_EXPORT.match(f) for f in folder.files):
        return LAYOUT_AIPERF
    if folder.name.startswith("test_worker_failure[") or folder.has("watcher.log.txt") \
            or any(f.startswith("dynamo_") and f.endswith("/error.log") for f in folder.files):
        return LAYOUT_SINGLE_NODE
    return LAYOUT_K8S


# --- test.log.txt -------------------------------------------------------------------------------

def _parse_test_log(folder: Folder, layout: str, base: dict[str, Any], display: str,
                    events: list[dict[str, Any]], warnings: list[str]) -> str | None:
    rel = f"{display}/test.log.txt"
    member = folder.path("test.log.txt")  # the path column: the file's path in the tree (member path)
    if not folder.has("test.log.txt"):
        warnings.append(f"{rel} is missing: no startup time and no fault time")
        return None
    start_marker = "Running command: dynamo serve" if layout == LAYOUT_SINGLE_NODE else None
    ready_marker = "Deployment Ready" if layout == LAYOUT_SINGLE_NODE else None
    fault_target: str | None = None
    faults = 0
    for lineno, line in folder.lines("test.log.txt"):
        ts = _TS.search(line)
        if not ts:
            continue
        when = _naive(ts.group(1))
        if when is None:
            continue
        kind = None
        if start_marker is not None:
            if start_marker in line:
                kind = "deployment_start"
            elif ready_marker in line:
                kind = "deployment_ready"
        elif _START_K8S.search(line):
            kind = "deployment_start"
        elif _READY_K8S.search(line):
            kind = "deployment_ready"
        if "Injecting failure for:" in line:
            kind = "fault_injected"
            faults += 1
            target = _FAILURE_REPR.search(line)
            if target:
                fields = dict(p.split("=", 1) for p in target.group(1).split(", ") if "=" in p)
                fault_target = fields.get("pod_name", "").strip("'\"") or None
            else:
                fault_target = line.split("Injecting failure for:", 1)[1].strip() or None
        elif _TERMINATING.search(line):
            kind = "process_terminated"
        if kind:
            events.append({**base, "kind": kind, "service": None, "pod": None, "time": when,
                           "text": line.strip()[:500], "path": member, "line": lineno})
    if faults > 1:
        warnings.append(f"{rel} has {faults} 'Injecting failure for:' lines; the last one is the fault time, as upstream")
    return fault_target


def _parse_watcher(folder: Folder, base: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """Single-node harness metric samples: one `pending` event per worker sample with active slots."""
    member = folder.path("watcher.log.txt")
    for lineno, line in folder.lines("watcher.log.txt"):
        try:
            data = load_json(line)
            when = _naive(str(data["time"]))
            samples = data["metrics"]
        except (ValueError, KeyError, TypeError):  # DocumentError is a ValueError
            continue
        if when is None or not isinstance(samples, list):
            continue
        for sample in samples:
            if not (isinstance(sample, list) and len(sample) == 2 and isinstance(sample[1], dict)):
                continue
            worker, metrics = sample
            waiting, active = metrics.get("num_requests_waiting"), metrics.get("request_active_slots")
            if isinstance(waiting, (int, float)) and isinstance(active, (int, float)) and active > 0:
                events.append({**base, "kind": "pending", "service": str(worker), "pod": None, "time": when,
                               "text": str(waiting), "path": member, "line": lineno})


# --- client logs --------------------------------------------------------------------------------

def _parse_clients(folder: Folder, layout: str, base: dict[str, Any], display: str,
                   rows: list[dict[str, Any]], warnings: list[str]) -> None:
    files = sorted((int(m.group(1)), f) for f in folder.files
                   if (m := FT_CLIENT_LOG.match(f)) and len(m.group(1)) <= 9)  # a client number, not a name
    if not files:
        warnings.append(f"{display} has no client_*.log.txt files: no request counts")
        return
    for client, name in files:
        rel = f"{display}/{name}"
        member = folder.path(name)
        bad = 0
        request = -1
        for lineno, line in folder.lines(name):
            if not line.strip():
                continue
            request += 1
            try:
                data = load_json(line)
                when = _naive(str(data["time"]))
                attempts = data["results"]
                if when is None or not isinstance(attempts, list):
                    raise ValueError("bad time or results")
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            for attempt, result in enumerate(attempts):
                if not isinstance(result, dict):
                    continue
                status = result.get("status")
                code = status if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599 \
                    else None
                ok = _is_success(result, layout)
                latency = _seconds(result.get("request_elapsed_time"))
                error = None
                if not ok:
                    if code == 200:
                        error = (f"200 (reply shorter than {EXPECTED_LENGTH} characters)"
                                 if layout != LAYOUT_SINGLE_NODE else "200 (empty reply)")
                    else:
                        error = str(status)
                rows.append({**base, "layout": layout, "client": client, "request": request,
                             "attempt": attempt, "time": when, "latency": latency,
                             "status": str(status)[:100], "status_code": code, "success": ok,
                             "error": error, "path": member, "line": lineno})
        if bad:
            warnings.append(f"{rel}: {bad} line(s) are not complete JSON request records and were skipped")


def _is_success(result: dict[str, Any], layout: str) -> bool:
    """Upstream's success rule for one attempt (the reply text, not the status code, decides)."""
    body = result.get("result")
    if not isinstance(body, dict) or not body.get("choices"):
        return False
    choices = body["choices"]
    if not isinstance(choices, list) or not isinstance(choices[0], dict):
        return False
    message = choices[0].get("message") or {}
    if not isinstance(message, dict):
        return False
    if layout == LAYOUT_SINGLE_NODE:
        return bool(message.get("content"))
    # Key presence decides which field counts, as upstream: a null content is not replaced.
    if "content" in message:
        content = message["content"]
    elif "reasoning_content" in message:
        content = message["reasoning_content"]
    else:
        content = ""
    return isinstance(content, str) and len(content) >= EXPECTED_LENGTH



# --- pod logs -----------------------------------------------------------------------------------

def _parse_pod_logs(folder: Folder, layout: str, base: dict[str, Any],
                    events: list[dict[str, Any]]) -> list[str]:
    by_service: dict[str, list[str]] = {}
    for f in folder.files:
        parts = f.split("/")
        if len(parts) != 2:
            continue
        service, name = parts
        if _CLIENT_DIR.match(service) or service == "load":
            continue
        if layout == LAYOUT_SINGLE_NODE:
            if service in SINGLE_NODE_START_LINES and name == "error.log":
                by_service.setdefault(service, []).append(f)
        elif name.endswith(".log") and "metrics" not in name:
            by_service.setdefault(service, []).append(f)
    for service, files in by_service.items():
        if layout == LAYOUT_SINGLE_NODE:
            marker: re.Pattern[str] | None = re.compile(re.escape(SINGLE_NODE_START_LINES[service]))
        else:
            marker = READY_PATTERNS.get(service)
        for f in files:
            member = folder.path(f)
            pod = f.split("/")[1].split(".")[0]
            first = last = None
            for lineno, line in folder.lines(f):
                parsed = _pod_line(line)
                if parsed is None:
                    continue
                when, message = parsed
                if first is None:
                    first = (when, lineno, message)
                last = (when, lineno, message)
                if marker is not None and marker.search(message):
                    events.append({**base, "kind": "ready", "service": service, "pod": pod,
                                   "time": when, "text": message[:500], "path": member, "line": lineno})
            for kind, item in (("log_first", first), ("log_last", last)):
                if item is not None:
                    events.append({**base, "kind": kind, "service": service, "pod": pod,
                                   "time": item[0], "text": item[2][:500], "path": member, "line": item[1]})
    return sorted(by_service)


def _pod_line(line: str) -> tuple[datetime, str] | None:
    """(time, message) of a Dynamo JSON-lines or readable log line; None for lines without a time.

    vLLM's own lines (`INFO 10-03 10:25:12 [...]`) have no year and are skipped, as upstream does.
    """
    text = line.strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            doc = load_json(text)
        except ValueError:  # DocumentError: not JSON, or nested past the bound
            doc = None
        if isinstance(doc, dict):
            if "time" not in doc:
                return None
            when = _naive(str(doc["time"]))
            return (when, str(doc.get("message", ""))) if when else None
    clean = _ANSI.sub("", text)
    parts = clean.split(None, 1)
    if len(parts) < 2:
        return None
    when = _naive(parts[0])
    return (when, parts[1]) if when else None


def _seconds(value: Any) -> float | None:
    """A latency in seconds: a finite, non-negative number (a number written as text too); None
    for anything else (``n/a``, NaN, a 4000-digit integer)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _naive(value: str) -> datetime | None:
    """An ISO-8601 date and time as a naive wall-clock datetime (offsets dropped, as upstream
    compares naive times)."""
    value = value.strip()
    if len(value) < 19 or not value[:4].isdigit():
        return None
    return wall_time(value)
