"""The red-team cases: hostile inputs by class, each built at test time from a small real bundle
(``redteam_base``) or from nothing, each with a planted secret.

A case is a builder ``fn(root) -> Built`` registered under a class with the commands it runs.
Most cases run one command, taken in turn from every command and format (``ROTATION``), so that
each class meets every output without running every case through every one; a case may name its
commands instead. ``Built`` says what the run must show besides what every run must (see
``redteam.check_run``): the exit codes allowed, a substring of some read error (JSON report or
``read_errors`` table), a category that must still be found.
"""

from __future__ import annotations

import base64
import bz2
import codecs
import gzip
import io
import json
import lzma
import os
import shutil
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from redteam import Secret, secret
from redteam_base import FRONTEND, FT, LOG, POD_A, POD_PENDING, Bundle, setin
from testkit.corrupt import deep_tree, patch_zip_member

ROTATION = ("analyze-json", "analyze-md", "analyze-html", "analyze-parquet", "tables-parquet", "tables-csv",
            "redact", "serve")
FT_FORMATS = ("ft-summary-grid", "ft-summary-md", "ft-summary-json", "ft-summary-html")


@dataclass
class Built:
    input: Path
    secrets: tuple[Secret, ...] = ()
    read_error: str | None = None
    exits: tuple[int, ...] = (0,)
    stdin: Path | None = None
    finds: str | None = None                # a category the analysis must still find
    extra: tuple[str, ...] = ()             # more CLI arguments
    serve_secrets: bool = True              # False: not in a Secret object (serve shows it as it is)
    clash: str | None = None                # -o onto a "dir", a "file", or "below-file" (exit 2)
    raw: tuple[bytes, ...] = ()             # serve: requests sent over a socket as these bytes


@dataclass(frozen=True)
class RedCase:
    name: str
    klass: str
    build: Callable[[Path], Built]
    commands: tuple[str, ...]
    fresh: bool = False                     # a fresh worker (a case that takes much memory)


CASES: list[RedCase] = []


def add(klass: str, name: str, build: Callable[[Path], Built], commands: tuple[str, ...] | None = None,
        fresh: bool = False) -> None:
    """Register a case; without ``commands`` it takes the next command of ``ROTATION``."""
    if commands is None:
        commands = (ROTATION[len(CASES) % len(ROTATION)],)
    CASES.append(RedCase(name, klass, build, commands, fresh))


def case(klass: str, *commands: str, fresh: bool = False) -> Callable:
    def wrap(fn: Callable[[Path], Built]) -> Callable[[Path], Built]:
        add(klass, fn.__name__.replace("_", "-"), fn, commands or None, fresh)
        return fn
    return wrap


def _n() -> int:
    return len(CASES)


# ------------------------------------------------------------------------------ planting secrets

WHERES = ("log", "configmap", "event", "env", "annotation")


def plant(b: Bundle, s: Secret, where: str) -> Secret:
    """Put the secret's text where bundles carry such text."""
    if where == "log":
        b.log(s.text + "\n")
    elif where == "configmap":
        b.edit("namespaces/ml-serving/configmaps.json", lambda d: (d["items"].append(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "run-notes", "namespace": "ml-serving"},
             "data": {"notes.txt": s.text}}), d)[1])
    elif where == "event":
        ev = b.item("namespaces/ml-serving/events.json", 0)
        ev["message"] = ev["message"] + " " + s.text
    elif where == "env":
        b.pod()["spec"]["containers"][0].setdefault("env", []).append({"name": "RUN_NOTES", "value": s.text})
    elif where == "annotation":
        b.pod()["metadata"].setdefault("annotations", {})["notes.example.com/run"] = s.text
    return s


def planted(root: Path, b: Bundle, i: int, **kw: Any) -> Built:
    """Write ``b`` with the ``i``-th secret planted (place in turn), as the case's input."""
    s = plant(b, secret(i), WHERES[i % len(WHERES)])
    # serve shows the bundle as it is (logs, ConfigMaps, env values): only Secret data is never served
    return Built(b.write(root / "bundle"), (s,), serve_secrets=False, **kw)


def broken(mutate: Callable[[Bundle], Any], i: int, **kw: Any) -> Callable[[Path], Built]:
    """A case: the base bundle with the ``i``-th secret planted, then broken by ``mutate``."""
    def build(root: Path) -> Built:
        b = Bundle()
        s = plant(b, secret(i), WHERES[i % len(WHERES)])
        mutate(b)
        return Built(b.write(root / "bundle"), (s,), serve_secrets=False, **kw)
    return build


# ------------------------------------------------------------------------------ values out of range

Y1 = "0001-01-01T00:30:00+01:00"          # year 0 in UTC
Y9999 = "9999-12-31T23:59:59-01:00"       # year 10000 in UTC
BIG = "9" * 4000                          # a 4000-digit integer
TIME_VALUES = {"year1-offset": Y1, "year9999-negative-offset": Y9999, "year9999-z": "9999-12-31T23:59:59Z",
               "go-zero-time": "0001-01-01T00:00:00Z", "fraction-100-digits": "2026-11-18T18:42:06." + "9" * 100 + "Z",
               "not-a-time": "yesterday-ish", "number": 1763500000, "list": ["2026-11-18T18:42:06Z"],
               "huge-text": "2026-11-18T18:42:06Z" * 50_000}
TIME_FIELDS: dict[str, Callable[[Bundle, Any], None]] = {
    "pod-startTime": lambda b, v: setin(b.pod(), ("status", "startTime"), v),
    "container-startedAt": lambda b, v: setin(b.pod(), ("status", "containerStatuses", 0, "state"),
                                              {"running": {"startedAt": v}}),
    "container-finishedAt": lambda b, v: setin(b.pod(), ("status", "containerStatuses", 0, "lastState"),
                                               {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                                               "startedAt": v, "finishedAt": v}}),
    "event-lastTimestamp": lambda b, v: setin(b.item("namespaces/ml-serving/events.json"), ("lastTimestamp",), v),
    "event-firstTimestamp": lambda b, v: setin(b.item("namespaces/ml-serving/events.json"), ("firstTimestamp",), v),
    "event-eventTime": lambda b, v: [b.item("namespaces/ml-serving/events.json").pop(k, None)
                                     for k in ("firstTimestamp", "lastTimestamp")]
    and setin(b.item("namespaces/ml-serving/events.json"), ("eventTime",), v),
    "creationTimestamp": lambda b, v: setin(b.pod(), ("metadata", "creationTimestamp"), v),
    "manifest-collected_at": lambda b, v: setin(b.doc("manifest.json"), ("collected_at",), v),
    "node-heartbeat": lambda b, v: setin(b.node(), ("status", "conditions", 0, "lastHeartbeatTime"), v),
    "dgd-condition": lambda b, v: setin(b.item("namespaces/dynamo/custom/dynamographdeployments.json"),
                                        ("metadata", "creationTimestamp"), v),
}


def _time_case(field_name: str, value_name: str) -> Callable[[Path], Built]:
    return broken(lambda b: TIME_FIELDS[field_name](b, TIME_VALUES[value_name]), _n())


# every field with the values that broke runs, and every value once more in a second field
for _f, _vs in (("pod-startTime", ("year1-offset", "year9999-negative-offset", "number")),
                ("container-startedAt", ("year9999-negative-offset", "fraction-100-digits")),
                ("container-finishedAt", ("year1-offset", "year9999-z", "go-zero-time")),
                ("event-lastTimestamp", ("year9999-negative-offset", "year1-offset", "list")),
                ("event-firstTimestamp", ("year9999-z", "huge-text")),
                ("event-eventTime", ("year1-offset",)),
                ("creationTimestamp", ("year1-offset", "not-a-time")),
                ("manifest-collected_at", ("year9999-negative-offset", "year1-offset", "year9999-z", "number",
                                           "go-zero-time")),
                ("node-heartbeat", ("year1-offset",)),
                ("dgd-condition", ("year9999-negative-offset",))):
    for _v in _vs:
        add("values-time", f"{_f}-{_v}", _time_case(_f, _v))


@case("values-time")
def log_line_times_out_of_range(root: Path) -> Built:
    """Log stamps that are year 0 or year 10000 in UTC, in every stamp format the parser knows."""
    b = Bundle()
    b.log(f"{Y1} torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.76 GiB.\n"
          f"{Y9999} (APIServer pid=1) ERROR 12-31 23:59:59 [engine.py:1] boom\n"
          "0000-01-01T00:00:00Z INFO zero\n10000-01-01T00:00:00Z INFO ten thousand\n"
          "E1231 23:59:59.999999       1 x.go:1] klog at the end of the year\n")
    return planted(root, b, _n(), finds="runtime.cuda_oom")


@case("values-time", "analyze-html", "analyze-md")
def timeline_spans_ten_thousand_years(root: Path) -> Built:
    """Events at both ends of the calendar: the timeline must not draw 10,000 years of ticks."""
    b = Bundle()
    evs = b.doc("namespaces/ml-serving/events.json")["items"]
    evs[0]["firstTimestamp"], evs[0]["lastTimestamp"] = "0001-01-01T00:00:00Z", "0001-01-01T00:00:01Z"
    evs[1]["firstTimestamp"], evs[1]["lastTimestamp"] = "9999-12-31T23:59:58Z", "9999-12-31T23:59:59Z"
    b.doc("manifest.json")["collected_at"] = "9999-12-31T23:59:59Z"
    return planted(root, b, _n())


@case("values-time")
def klog_year_from_a_far_collection_time(root: Path) -> Built:
    """Collected in year 9999: klog and vLLM stamps carry no year and take it from there."""
    b = Bundle()
    b.doc("manifest.json")["collected_at"] = "9999-12-31T23:59:59Z"
    b.log("(APIServer pid=1) ERROR 12-31 23:59:59 [engine.py:1] late\nE1231 23:59:59.999999 1 x.go:1] late\n"
          "(APIServer pid=1) ERROR 01-01 00:00:01 [engine.py:1] wrapped into year 10000?\n")
    return planted(root, b, _n())


# ------------------------------------------------------------------------------ quantities

QTY_VALUES = {"1e999": "1e999", "4000-digits": BIG, "json-inf": 1e308 * 10, "nan-text": "NaN",
              "negative": "-8", "huge-int": 10**30, "exponent-digits": "1e" + "9" * 5000, "fraction-tiny": "1e-99999",
              "suffix-huge": "9" * 300 + "Ei", "bool": True, "list": [1, 2]}
QTY_FIELDS: dict[str, Callable[[Bundle, Any], None]] = {
    "limits-gpu": lambda b, v: setin(b.pod(), ("spec", "containers", 0, "resources", "limits", "nvidia.com/gpu"), v),
    "limits-gpumem": lambda b, v: setin(b.pod(), ("spec", "containers", 0, "resources", "limits", "nvidia.com/gpumem"), v),
    "requests-gpucores": lambda b, v: setin(b.pod(POD_PENDING), ("spec", "containers", 0, "resources", "requests",
                                                                 "nvidia.com/gpucores"), v),
    "limits-memory": lambda b, v: setin(b.pod(), ("spec", "containers", 0, "resources", "limits", "memory"), v),
    "capacity-gpu": lambda b, v: setin(b.node(), ("status", "capacity", "nvidia.com/gpu"), v),
    "allocatable-gpu": lambda b, v: setin(b.node(), ("status", "allocatable", "nvidia.com/gpu"), v),
    "restartCount": lambda b, v: setin(b.pod(), ("status", "containerStatuses", 0, "restartCount"), v),
    "exitCode": lambda b, v: setin(b.pod(), ("status", "containerStatuses", 0, "lastState"),
                                   {"terminated": {"exitCode": v, "reason": "Error"}}),
    "event-count": lambda b, v: setin(b.item("namespaces/ml-serving/events.json"), ("count",), v),
    "dgd-replicas": lambda b, v: [s.__setitem__("replicas", v) for s in
                                  b.item("namespaces/dynamo/custom/dynamographdeployments.json")["spec"]["services"].values()],
    "probe-seconds": lambda b, v: setin(b.pod(FRONTEND), ("spec", "containers", 0, "livenessProbe"),
                                        {"httpGet": {"path": "/health", "port": 8000}, "initialDelaySeconds": v,
                                         "periodSeconds": v, "failureThreshold": v}),
}


def _qty_case(field_name: str, value_name: str) -> Callable[[Path], Built]:
    return broken(lambda b: QTY_FIELDS[field_name](b, QTY_VALUES[value_name]), _n())


for _f, _vs in (("limits-gpu", ("1e999", "4000-digits", "json-inf", "bool")),
                ("limits-gpumem", ("4000-digits", "exponent-digits", "suffix-huge")),
                ("requests-gpucores", ("huge-int", "nan-text")),
                ("limits-memory", ("1e999", "negative", "fraction-tiny")),
                ("capacity-gpu", ("1e999", "list")),
                ("allocatable-gpu", ("4000-digits", "negative")),
                ("restartCount", ("huge-int", "nan-text", "4000-digits")),
                ("exitCode", ("4000-digits", "json-inf")),
                ("event-count", ("4000-digits", "nan-text", "negative")),
                ("dgd-replicas", ("1e999", "nan-text", "list")),
                ("probe-seconds", ("huge-int", "nan-text"))):
    for _v in _vs:
        add("values-quantity", f"{_f}-{_v}", _qty_case(_f, _v))


def _hami_case(mutate: Callable[[Bundle], None]) -> Callable[[Path], Built]:
    return broken(mutate, _n())


_REG = "hami.io/node-nvidia-register"
for _name, _mut in {
    "register-devmem-4000-digits": lambda b: setin(b.node(), ("metadata", "annotations", _REG),
                                                   f"GPU-0,10,{BIG},100,NVIDIA-NVIDIA A100-SXM4-80GB,0,true:"),
    "register-json-devmem-1e999": lambda b: setin(b.node(), ("metadata", "annotations", _REG),
                                                  '[{"id":"GPU-0","count":10,"devmem":1e999,"devcore":100,'
                                                  '"type":"NVIDIA-A100","health":true}]'),
    "register-json-deep": lambda b: setin(b.node(), ("metadata", "annotations", _REG), "[" * 50_000 + "]" * 50_000),
    "allocated-usedmem-4000-digits": lambda b: setin(b.pod(), ("metadata", "annotations",
                                                               "hami.io/vgpu-devices-allocated"),
                                                     f"GPU-0,NVIDIA,{BIG},{BIG}:;"),
    "bind-time-4000-digits": lambda b: setin(b.pod(), ("metadata", "annotations", "hami.io/bind-time"), BIG),
    "bind-time-negative": lambda b: setin(b.pod(), ("metadata", "annotations", "hami.io/bind-time"), "-99999999999999"),
    "handshake-year-9999": lambda b: setin(b.node(), ("metadata", "annotations", "hami.io/node-handshake"),
                                           "Requesting_9999-12-31 23:59:59"),
    "config-settings-out-of-range": lambda b: setin(b.configmap("hami-scheduler-device"), ("data", "device-config.yaml"),
                                                    f"nvidia:\n  deviceSplitCount: {BIG}\n  deviceMemoryScaling: .inf\n"
                                                    "  defaultMemory: 1e999\n  defaultCores: n/a\n  defaultGPUNum: -3\n"),
    "config-settings-wrong-types": lambda b: setin(b.configmap("hami-scheduler-device"), ("data", "device-config.yaml"),
                                                   "nvidia:\n  deviceSplitCount: [1, 2]\n  deviceMemoryScaling: {a: 1}\n"
                                                   "  defaultMemory: true\n"),
    "plugin-config-filterdevices-string": lambda b: setin(b.configmap("hami-device-plugin"), ("data", "config.json"),
                                                          json.dumps({"nodeconfig": [{"name": "gpu-a100-1",
                                                                                      "filterdevices": {"uuid": "GPU-0",
                                                                                                        "index": 3},
                                                                                      "devicememoryscaling": "1e999",
                                                                                      "devicesplitcount": BIG}]})),
}.items():
    add("values-hami", _name, _hami_case(_mut))


@case("values-quantity")
def describe_output_out_of_range(root: Path) -> Built:
    """kubectl describe text with quantities, counts and times no parser can hold."""
    b = Bundle()
    b.docs["namespaces/ml-serving/pods.describe.txt"] = f"""Name:             {POD_A}
Namespace:        ml-serving
Node:             gpu-a100-1/10.0.1.11
Start Time:       Mon, 01 Jan 0001 00:30:00 +0100
Status:           Running
Containers:
  vllm:
    Image:          vllm/vllm-openai:v0.11.0
    State:          Running
      Started:      Fri, 31 Dec 9999 23:59:59 -0100
    Last State:     Terminated
      Reason:       OOMKilled
      Exit Code:    {BIG}
    Ready:          False
    Restart Count:  {BIG}
    Limits:
      nvidia.com/gpu:     1e999
      nvidia.com/gpumem:  {BIG}
      memory:             1e999
Events:
  Type     Reason   Age                  From     Message
  ----     ------   ----                 ----     -------
  Warning  BackOff  2m (x{BIG} over 9m)  kubelet  Back-off restarting failed container vllm
"""
    b.docs["cluster/nodes.describe.txt"] = f"""Name:               gpu-a100-1
Roles:              <none>
Capacity:
  nvidia.com/gpu:     1e999
  memory:             {BIG}
Allocatable:
  nvidia.com/gpu:     {BIG}
Allocated resources:
  Resource           Requests  Limits
  --------           --------  ------
  nvidia.com/gpu     {BIG}     {BIG}
"""
    return planted(root, b, _n())


@case("values-quantity")
def metrics_values_out_of_range(root: Path) -> Built:
    """A scrape with NaN, +Inf, 1e999, a 4000-digit value and histograms made of them."""
    b = Bundle()
    rel = f"namespaces/dynamo/metrics/{FRONTEND}.prom"
    b.docs[rel] += ("dynamo_frontend_inflight_requests{model=\"x\"} NaN\n"
                    "dynamo_frontend_queued_requests{model=\"x\"} +Inf\n"
                    f"dynamo_frontend_requests_total{{model=\"x\"}} 1e999\nvllm:num_requests_waiting {BIG}\n"
                    "vllm:kv_cache_usage_perc -Inf\n"
                    "# TYPE dynamo_frontend_request_duration_seconds histogram\n"
                    "dynamo_frontend_request_duration_seconds_bucket{le=\"0.1\"} NaN\n"
                    "dynamo_frontend_request_duration_seconds_bucket{le=\"1e999\"} 1e999\n"
                    "dynamo_frontend_request_duration_seconds_bucket{le=\"+Inf\"} 1e999\n"
                    "dynamo_frontend_request_duration_seconds_count 1e999\n"
                    "dynamo_frontend_request_duration_seconds_sum NaN\n")
    return planted(root, b, _n())


# ------------------------------------------------------------------------------ nesting


def _deep_json(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _nest_case(mutate: Callable[[Bundle], None], read_error: str | None = None) -> Callable[[Path], Built]:
    return broken(mutate, _n(), read_error=read_error)


_DEEP_YAML_BLOCK = "".join("  " * d + f"k{d}:\n" for d in range(3000)) + "  " * 3000 + "v: 1\n"
_DEEP_YAML_FLOW = "[" * 3000 + "]" * 3000
_LAUGHS = "\n".join([f"a: &a [{','.join(['lol'] * 9)}]"] + [f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]"
                                                          for p, n in zip("abcdefgh", "bcdefghi")]) + "\n"
for _name, (_mut, _err) in {
    "pods-json-100000-deep": (lambda b: b.raw.__setitem__("namespaces/ml-serving/pods.json",
                                                          ('{"items": ' + "[" * 100_000 + "]" * 100_000 + "}").encode()),
                              "nested"),
    "pods-json-950-deep": (lambda b: b.raw.__setitem__("namespaces/ml-serving/pods.json",
                                                       ('{"items": [' + _deep_json(950) + "]}").encode()), "nested"),
    "pods-json-190-deep-ok": (lambda b: setin(b.pod(), ("spec", "deep"), json.loads(_deep_json(190))), None),
    "configmap-value-yaml-block-deep": (lambda b: setin(b.configmap("hami-scheduler-device"),
                                                        ("data", "device-config.yaml"),
                                                        "nvidia:\n  deviceSplitCount: 10\n" + _DEEP_YAML_BLOCK), None),
    "configmap-value-yaml-flow-deep": (lambda b: setin(b.configmap("hami-scheduler-device"),
                                                       ("data", "device-config.yaml"),
                                                       "nvidia: {deviceSplitCount: 10}\nx: " + _DEEP_YAML_FLOW), None),
    "configmap-value-alias-bomb": (lambda b: setin(b.configmap("hami-scheduler-device"), ("data", "device-config.yaml"),
                                                   "nvidia:\n  deviceSplitCount: 10\n  laughs:\n"
                                                   + "".join("    " + ln + "\n" for ln in _LAUGHS.splitlines())),
                                   None),
    "configmap-value-json-deep": (lambda b: setin(b.configmap("hami-device-plugin"), ("data", "config.json"),
                                                  '{"nodeconfig": ' + "[" * 5000 + "]" * 5000 + "}"), None),
    "manifest-5000-deep": (lambda b: setin(b.doc("manifest.json"), ("options",), json.loads(_deep_json(150)))
                           or b.raw.__setitem__("manifest.json", json.dumps(
                               dict(b.doc("manifest.json"), options=None)).replace(
                                   '"options": null', '"options": ' + _deep_json(5000)).encode()), None),
    "yaml-objects-deep": (lambda b: b.raw.__setitem__("namespaces/ml-serving/extra.yaml",
                                                      ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n"
                                                       + "".join("  " * (d + 1) + f"k{d}:\n" for d in range(2000))
                                                       + "  " * 2001 + "v: 1\n").encode()), None),
    "event-message-deep-json-string": (lambda b: setin(b.item("namespaces/ml-serving/events.json"), ("message",),
                                                       "[" * 100_000), None),
}.items():
    add("nesting", _name, _nest_case(_mut, _err))


# ------------------------------------------------------------------------------ wrong types

WRONG: dict[str, Callable[[Bundle], Any]] = {
    "labels-as-list": lambda b: setin(b.pod(), ("metadata", "labels"), ["app=vllm", "tier=gpu"]),
    "labels-values-nested": lambda b: setin(b.pod(), ("metadata", "labels"), {"app": {"x": 1}, "n": 3, "b": True}),
    "annotations-as-string": lambda b: setin(b.pod(), ("metadata", "annotations"), "hami.io/bind-phase=allocating"),
    "metadata-as-list": lambda b: setin(b.pod(POD_PENDING), ("metadata",), ["name", POD_PENDING]),
    "name-as-mapping": lambda b: setin(b.pod(POD_PENDING), ("metadata", "name"), {"first": "qwen"}),
    "name-as-number": lambda b: setin(b.pod(POD_PENDING), ("metadata", "name"), 12345),
    "containers-as-mapping": lambda b: setin(b.pod(), ("spec", "containers"), {"vllm": {"image": "x"}}),
    "container-as-string": lambda b: setin(b.pod(), ("spec", "containers"), ["vllm"]),
    "resources-limits-as-list": lambda b: setin(b.pod(), ("spec", "containers", 0, "resources", "limits"),
                                                ["nvidia.com/gpu=1"]),
    "env-as-string": lambda b: setin(b.pod(), ("spec", "containers", 0, "env"), "HF_TOKEN=x"),
    "env-value-as-mapping": lambda b: setin(b.pod(), ("spec", "containers", 0, "env"), [{"name": "X", "value": {"a": 1}}]),
    "command-as-string": lambda b: setin(b.pod(FRONTEND), ("spec", "containers", 0, "command"), "python -m dynamo"),
    "args-as-mapping": lambda b: setin(b.pod(FRONTEND), ("spec", "containers", 0, "args"), {"--port": 8000}),
    "status-as-string": lambda b: setin(b.pod(), ("status",), "Running"),
    "conditions-as-mapping": lambda b: setin(b.pod(), ("status", "conditions"), {"Ready": "True"}),
    "containerStatuses-as-mapping": lambda b: setin(b.pod(), ("status", "containerStatuses"), {"vllm": {"ready": True}}),
    "state-as-list": lambda b: setin(b.pod(), ("status", "containerStatuses", 0, "state"), ["running"]),
    "nodeSelector-as-list": lambda b: setin(b.pod(POD_PENDING), ("spec", "nodeSelector"), ["gpu=a100"]),
    "tolerations-as-mapping": lambda b: setin(b.pod(POD_PENDING), ("spec", "tolerations"), {"key": "nvidia.com/gpu"}),
    "ownerReferences-as-mapping": lambda b: setin(b.pod(), ("metadata", "ownerReferences"), {"kind": "ReplicaSet"}),
    "volumes-as-string": lambda b: setin(b.pod(), ("spec", "volumes"), "cache"),
    "node-taints-as-string": lambda b: setin(b.node(), ("spec", "taints"), "nvidia.com/gpu=present:NoSchedule"),
    "node-taint-fields-wrong": lambda b: setin(b.node(), ("spec", "taints"), [{"key": ["a"], "value": {"b": 1},
                                                                             "effect": 7}]),
    "node-capacity-as-list": lambda b: setin(b.node(), ("status", "capacity"), ["nvidia.com/gpu: 8"]),
    "node-addresses-as-mapping": lambda b: setin(b.node(), ("status", "addresses"), {"InternalIP": "10.0.0.1"}),
    "node-annotations-register-number": lambda b: setin(b.node(), ("metadata", "annotations", _REG), 12),
    "items-as-mapping": lambda b: setin(b.doc("namespaces/ml-serving/pods.json"), ("items",), {"a": b.pod()}),
    "item-as-number": lambda b: b.doc("namespaces/ml-serving/events.json")["items"].append(42),
    "event-involvedObject-as-string": lambda b: setin(b.item("namespaces/ml-serving/events.json"),
                                                      ("involvedObject",), f"pod/{POD_PENDING}"),
    "event-source-as-list": lambda b: setin(b.item("namespaces/ml-serving/events.json"), ("source",), ["kubelet"]),
    "kind-as-list": lambda b: b.doc("namespaces/ml-serving/configmaps.json")["items"].append(
        {"kind": ["ConfigMap"], "apiVersion": "v1", "metadata": {"name": "odd"}}),
    "apiVersion-as-number": lambda b: setin(b.item("namespaces/dynamo/custom/dynamographdeployments.json"),
                                            ("apiVersion",), 1),
    "configmap-data-as-list": lambda b: setin(b.configmap("hami-scheduler-device"), ("data",), ["device-config.yaml"]),
    "configmap-value-as-number": lambda b: setin(b.configmap("hami-device-plugin"), ("data", "config.json"), 12),
    "webhook-objectSelector-list": lambda b: setin(b.item("cluster/mutatingwebhookconfigurations.json"),
                                                   ("webhooks", 0, "objectSelector"), ["hami.io/webhook=ignore"]),
    "webhook-matchExpressions-wrong": lambda b: setin(b.item("cluster/mutatingwebhookconfigurations.json"),
                                                      ("webhooks", 0, "objectSelector"),
                                                      {"matchLabels": ["a"], "matchExpressions": {"key": "x"}}),
    "webhook-clientConfig-list": lambda b: setin(b.item("cluster/mutatingwebhookconfigurations.json"),
                                                 ("webhooks", 0, "clientConfig"), ["https://hami"]),
    "webhooks-as-mapping": lambda b: setin(b.item("cluster/mutatingwebhookconfigurations.json"), ("webhooks",),
                                           {"name": "vgpu.hami.io"}),
    "namespace-status-as-string": lambda b: setin(b.item("cluster/namespaces.json"), ("status",), "Terminating"),
    "dgd-services-as-list": lambda b: setin(b.item("namespaces/dynamo/custom/dynamographdeployments.json"),
                                            ("spec", "services"), ["Frontend", "VllmDecodeWorker"]),
    "dgd-service-as-string": lambda b: setin(b.item("namespaces/dynamo/custom/dynamographdeployments.json"),
                                             ("spec", "services", "Frontend"), "frontend"),
    "dgd-status-conditions-string": lambda b: setin(b.item("namespaces/dynamo/custom/dynamographdeployments.json"),
                                                    ("status",), {"state": ["failed"], "conditions": "Ready"}),
    "crd-versions-as-mapping": lambda b: setin(b.item("cluster/customresourcedefinitions.json"), ("spec", "versions"),
                                               {"v1alpha1": {"served": True}}),
    "crd-printer-columns-wrong": lambda b: setin(b.item("cluster/customresourcedefinitions.json"),
                                                 ("spec", "versions", 0, "additionalPrinterColumns"),
                                                 [{"name": ["x"], "jsonPath": 7, "priority": "n/a", "type": {}}]),
    "runtimeClassName-as-mapping": lambda b: setin(b.pod(), ("spec", "runtimeClassName"), {"name": "nvidia"}),
    "runtimeclass-handler-number": lambda b: setin(b.item("cluster/runtimeclasses.json"), ("handler",), 3),
    "service-selector-as-list": lambda b: setin(b.item("namespaces/hami-system/services.json"), ("spec", "selector"),
                                                ["app=hami"]),
    "endpoints-subsets-as-string": lambda b: setin(b.item("namespaces/hami-system/endpoints.json"), ("subsets",), "none"),
    "secret-data-as-list": lambda b: setin(b.item("namespaces/ml-serving/secrets.json"), ("data",), ["aGZfeA=="]),
    "manifest-namespaces-number": lambda b: setin(b.doc("manifest.json"), ("namespaces",), 3),
    "manifest-commands-mapping": lambda b: setin(b.doc("manifest.json"), ("commands",), {"pods": {"exit_code": 1}}),
    "manifest-exit-code-na": lambda b: b.doc("manifest.json")["commands"].append(
        {"source": "pods", "namespace": "ml-serving", "argv": "kubectl get pods", "exit_code": "n/a",
         "stderr": ["Error from server (Forbidden)"], "path": 7}),
    "manifest-options-list": lambda b: setin(b.doc("manifest.json"), ("options",), ["namespaces"]),
    "manifest-is-a-list": lambda b: b.edit("manifest.json", lambda d: [d]),
    "version-wrong-types": lambda b: b.edit("cluster/version.json", lambda d: {"serverVersion": {"gitVersion": 1.3}}),
}


def _wrong_case(mutate: Callable[[Bundle], Any]) -> Callable[[Path], Built]:
    return broken(mutate, _n())


for _name, _mut in WRONG.items():
    add("wrong-types", _name, _wrong_case(_mut))


# ------------------------------------------------------------------------------ secrets, every kind

SECRET_PLACES: dict[str, Callable[[Bundle, Secret], None]] = {
    "log": lambda b, s: b.log(s.text + "\n"),
    "log-of-another-pod": lambda b, s: b.log(s.text + "\n", f"namespaces/dynamo/logs/{FRONTEND}/main.log"),
    "configmap": lambda b, s: plant(b, s, "configmap"),
    "event-message": lambda b, s: plant(b, s, "event"),
    "env-value": lambda b, s: plant(b, s, "env"),
    "annotation": lambda b, s: plant(b, s, "annotation"),
    "describe-text": lambda b, s: b.docs.__setitem__("namespaces/ml-serving/pods.describe.txt",
                                                     f"Name:  {POD_A}\nNamespace:  ml-serving\nContainers:\n  vllm:\n"
                                                     f"    Environment:\n      NOTES:  {s.text}\n"),
    "metrics-label": lambda b, s: b.docs.__setitem__(f"namespaces/dynamo/metrics/{FRONTEND}.prom",
                                                     b.docs[f"namespaces/dynamo/metrics/{FRONTEND}.prom"]
                                                     + f'build_info{{notes={json.dumps(s.text)}}} 1\n'),
    "yaml-attachment": lambda b, s: b.docs.__setitem__("attachments/notes.yaml",
                                                       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n"
                                                       f"data:\n  notes: {json.dumps(s.text)}\n"),
    "gz-attachment": lambda b, s: b.raw.__setitem__("attachments/notes.log.gz", gzip.compress(s.text.encode())),
    "text-attachment": lambda b, s: b.docs.__setitem__("attachments/notes.md", f"# notes\n\n{s.text}\n"),
    "last-applied": lambda b, s: setin(b.pod(), ("metadata", "annotations",
                                                 "kubectl.kubernetes.io/last-applied-configuration"),
                                       json.dumps({"spec": {"containers": [{"env": [{"name": "NOTES",
                                                                                      "value": s.text}]}]}})),
}


def _secret_case(i: int, place: str) -> Callable[[Path], Built]:
    def build(root: Path) -> Built:
        b = Bundle()
        s = secret(i)
        SECRET_PLACES[place](b, s)
        return Built(b.write(root / "bundle"), (s,), serve_secrets=False)  # not in a Secret: served as it is
    return build


_places = tuple(SECRET_PLACES)
for _i in range(23):
    _place = _places[_i % len(_places)]
    add("secrets", f"{secret(_i).kind}-in-{_place}", _secret_case(_i, _place))


@case("secrets", "analyze-json", "analyze-md", "analyze-html", "analyze-parquet", "tables-csv", "redact")
def every_kind_at_once(root: Path) -> Built:
    """Every secret kind in one log, through every output."""
    from redteam import SECRETS

    b = Bundle()
    for s in SECRETS:
        b.log(s.text + "\n")
    return Built(b.write(root / "bundle"), SECRETS, serve_secrets=False)


@case("secrets", "tables-parquet", "redact", "analyze-json")
def secret_in_folder_and_file_names(root: Path) -> Built:
    """A token in a folder name and in a file name: they reach the path and pod columns."""
    b = Bundle()
    s = secret(0)
    token = s.values[0]
    b.docs[f"attachments/hf-download-{token}/snapshot.log"] = "2026-11-18T18:50:00Z INFO fetched\n"
    b.docs[f"namespaces/ml-serving/logs/{POD_A}/{token}.log"] = "2026-11-18T18:50:00Z INFO x\n"
    return Built(b.write(root / "bundle"), (s,), serve_secrets=False)


@case("secrets", "analyze-json", "redact", "serve")
def secret_manifests_in_other_styles(root: Path) -> Built:
    """Secret objects as people write them: quoted kind, flow style, comments, lower-case
    kind, data that is not a mapping, a SecretList without item kinds, stringData."""
    b = Bundle()
    vals = [secret(i) for i in range(5)]
    b.docs["attachments/secrets.yaml"] = (
        f"# the tokens\n---\napiVersion: v1\nkind:   'Secret'   # hf\nmetadata: {{name: a}}\n"
        f"stringData:\n  token:  {json.dumps(vals[0].values[0])}   # rotated\n---\n"
        f"{{kind: Secret, apiVersion: v1, metadata: {{name: b}}, data: {{k: {base64.b64encode(vals[1].values[0].encode()).decode()}}}}}\n")
    b.doc("namespaces/ml-serving/secrets.json")["items"] += [
        {"apiVersion": "v1", "kind": "secret", "metadata": {"name": "c", "namespace": "ml-serving"},
         "stringData": {"k": vals[2].values[0]}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "d", "namespace": "ml-serving"},
         "data": [vals[3].values[0]]}]
    b.docs["namespaces/ml-serving/secretlist.json"] = {"apiVersion": "v1", "kind": "SecretList", "items": [
        {"metadata": {"name": "e", "namespace": "ml-serving"}, "stringData": {"k": vals[4].values[0]}}]}
    plain = tuple(Secret(v.kind, v.text, (v.values[0],)) for v in vals)
    return Built(b.write(root / "bundle"), plain)


@case("secrets", "analyze-md", "tables-csv")
def secret_from_stdin(root: Path) -> Built:
    """A pasted log with secrets on standard input."""
    s = secret(3)
    f = root / "paste.log"
    f.write_text(f"2026-11-18T18:50:00Z INFO start\n{s.text}\n2026-11-18T18:50:01Z ERROR done\n")
    return Built(Path("-"), (s,), stdin=f)


# ------------------------------------------------------------------------------ serve (answers)

def _serve_case(mutate: Callable[[Bundle], Any], secrets_from: Callable[[], tuple[Secret, ...]] = tuple
                ) -> Callable[[Path], Built]:
    def build(root: Path) -> Built:
        b = Bundle()
        mutate(b)
        return Built(b.write(root / "bundle"), secrets_from())
    return build


for _name, _mut in {
    "billion-laughs-configmap": lambda b: b.docs.__setitem__(
        "namespaces/ml-serving/laughs.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: laughs\n"
        "  namespace: ml-serving\ndata:\n" + "".join("  " + ln + "\n" for ln in _LAUGHS.splitlines())),
    "huge-log-tail-and-since": lambda b: b.log("".join(f"2026-11-18T18:{m:02d}:{s:02d}.000000001Z INFO line {m}-{s} "
                                                       + "x" * 200 + "\n" for m in range(60) for s in range(60)) * 8),
    "objects-with-odd-types-in-tables": lambda b: [setin(b.pod(), ("metadata", "creationTimestamp"), 12),
                                                   setin(b.pod(), ("status", "containerStatuses", 0, "restartCount"),
                                                         "n/a"),
                                                   setin(b.item("namespaces/ml-serving/events.json"), ("count",), BIG),
                                                   setin(b.node(), ("status", "conditions"), "Ready")],
    "crd-columns-hostile": lambda b: setin(b.item("cluster/customresourcedefinitions.json"),
                                           ("spec", "versions", 0, "additionalPrinterColumns"),
                                           [{"name": "X", "type": "integer", "jsonPath": ".status." + "a." * 5000 + "b",
                                             "priority": "n/a"}, {"name": "Y", "type": "date", "jsonPath": "{{"},
                                            {"name": "Z", "type": "string", "jsonPath": "[*]"}]),
    "event-v1-deep-regarding": lambda b: b.doc("namespaces/ml-serving/events.json")["items"].append(
        {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "v1", "namespace": "ml-serving"},
         "regarding": ["pod"], "note": 12, "deprecatedCount": BIG, "deprecatedFirstTimestamp": Y1}),
    "pod-log-names-hostile": lambda b: b.docs.__setitem__(
        "namespaces/ml-serving/logs/a%2F..%2Fb/../x.log", "2026-11-18T18:50:00Z INFO x\n"),
}.items():
    add("serve-answers", _name, _serve_case(_mut), ("serve",))


@case("serve-answers", "serve")
def secret_data_never_served(root: Path) -> Built:
    """Secrets in every shape a bundle may hold them: none of their values in any answer."""
    b = Bundle()
    vals = [secret(i) for i in range(6)]
    sec = b.doc("namespaces/ml-serving/secrets.json")["items"]
    sec[0]["data"] = {"token": base64.b64encode(vals[0].values[0].encode()).decode()}
    sec += [{"apiVersion": "v1", "kind": " Secret", "metadata": {"name": "s1", "namespace": "ml-serving"},
             "stringData": {"k": vals[1].values[0]}},
            {"apiVersion": "v1", "kind": "SECRET", "metadata": {"name": "s2", "namespace": "ml-serving",
                                                                  "annotations": {
                                                                      "kubectl.kubernetes.io/last-applied-configuration":
                                                                          json.dumps({"data": {"k": vals[2].values[0]}})}},
             "data": vals[3].values[0]}]
    b.docs["namespaces/ml-serving/secrets.yaml"] = (
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s3, namespace: ml-serving},"
        f" stringData: {{k: {json.dumps(vals[4].values[0])}}}}}\n")
    b.docs["namespaces/ml-serving/secretlist.json"] = {"apiVersion": "v1", "kind": "SecretList", "items": [
        {"metadata": {"name": "s4", "namespace": "ml-serving"}, "data": {"k": vals[5].values[0]}}]}
    plain = tuple(Secret(v.kind, v.text, (v.values[0],)) for v in vals)
    plain += (Secret("base64", "", (base64.b64encode(vals[0].values[0].encode()).decode(),)),)
    return Built(b.write(root / "bundle"), plain)


# ------------------------------------------------------------------------------ text that is markup

@case("injection", "analyze-html", "analyze-md")
def markup_in_names_and_messages(root: Path) -> Built:
    """HTML, Markdown table syntax, Jinja delimiters and terminal escapes in what reports show."""
    b = Bundle()
    evil = "<script>alert(1)</script>|**x**|`y`|{{ 7*7 }}{% if 1 %}z{% endif %}\x1b]52;c;eA==\x07"
    b.item("namespaces/ml-serving/events.json")["message"] = "0/3 nodes are available: " + evil
    b.pod(POD_PENDING)["status"]["message"] = evil
    b.log(f"2026-11-18T18:50:00Z ERROR torch.OutOfMemoryError: CUDA out of memory. {evil}\n")
    return planted(root, b, _n())


@case("injection", "analyze-json", "tables-csv")
def control_characters_everywhere(root: Path) -> Built:
    """NUL, lone surrogates (escaped in JSON), bidi overrides and zero-width characters in names,
    labels and messages."""
    b = Bundle()
    weird = "a\x00b\ud800c\u202ed\u200be\r\nf"
    b.pod(POD_PENDING)["metadata"]["labels"] = {"app": weird, weird: "x"}
    b.item("namespaces/ml-serving/events.json")["message"] = weird
    b.item("namespaces/ml-serving/events.json")["reason"] = weird
    b.docs["namespaces/ml-serving/configmaps.json"]["items"].append(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "w", "namespace": "ml-serving"},
         "data": {weird: weird}})
    return planted(root, b, _n())


@case("injection", "analyze-md")
def csv_formula_and_quote_in_values(root: Path) -> Built:
    b = Bundle()
    b.item("namespaces/ml-serving/events.json")["message"] = '=HYPERLINK("http://x","y"),"quoted" \n new line'
    return planted(root, b, _n())


# ------------------------------------------------------------------------------ many and big (small)

@case("scale")
def ten_thousand_annotations(root: Path) -> Built:
    b = Bundle()
    b.pod()["metadata"]["annotations"].update({f"k{i}.example.com/a": "v" * 50 for i in range(10_000)})
    return planted(root, b, _n())


@case("scale")
def two_thousand_containers(root: Path) -> Built:
    b = Bundle()
    c = b.pod()["spec"]["containers"][0]
    b.pod()["spec"]["containers"] = [dict(c, name=f"c{i}") for i in range(2000)]
    return planted(root, b, _n())


@case("scale")
def twenty_thousand_events_one_object(root: Path) -> Built:
    b = Bundle()
    ev = b.item("namespaces/ml-serving/events.json")
    b.doc("namespaces/ml-serving/events.json")["items"] = [dict(ev, metadata=dict(ev["metadata"], name=f"e{i}"))
                                                           for i in range(20_000)]
    return planted(root, b, _n())


@case("scale")
def one_megabyte_label_and_name(root: Path) -> Built:
    b = Bundle()
    b.pod(POD_PENDING)["metadata"]["labels"]["huge"] = "x" * (1 << 20)
    b.item("namespaces/ml-serving/events.json")["message"] = "y" * (1 << 20)
    return planted(root, b, _n())


@case("scale")
def ten_megabyte_log_line(root: Path) -> Built:
    b = Bundle()
    b.log("2026-11-18T18:50:00Z ERROR " + "z" * (10 << 20) + "\n")
    return planted(root, b, _n())


@case("scale")
def thousand_nodes(root: Path) -> Built:
    b = Bundle()
    n = b.node()
    b.doc("cluster/nodes.json")["items"] = [dict(n, metadata=dict(n["metadata"], name=f"gpu-{i}")) for i in range(1000)]
    return planted(root, b, _n())


# ------------------------------------------------------------------------------ identities

@case("identity")
def same_pod_in_two_files_disagreeing(root: Path) -> Built:
    b = Bundle()
    p = json.loads(json.dumps(b.pod()))
    p["status"]["phase"] = "Failed"
    b.docs["namespaces/ml-serving/pods-again.json"] = {"apiVersion": "v1", "kind": "List", "items": [p]}
    return planted(root, b, _n())


@case("identity")
def owner_reference_to_itself(root: Path) -> Built:
    b = Bundle()
    p = b.pod()
    p["metadata"]["ownerReferences"] = [{"kind": "Pod", "name": p["metadata"]["name"], "uid": p["metadata"]["uid"]}]
    return planted(root, b, _n())


@case("identity")
def objects_without_names_or_kinds(root: Path) -> Built:
    b = Bundle()
    b.doc("namespaces/ml-serving/configmaps.json")["items"] += [{}, {"kind": "ConfigMap"}, {"metadata": {}},
                                                                {"kind": "", "metadata": {"name": ""}}]
    b.doc("namespaces/ml-serving/events.json")["items"].append({"kind": "Event"})
    b.doc("namespaces/ml-serving/pods.json")["items"].append({"kind": "Pod"})
    b.doc("cluster/nodes.json")["items"].append({"kind": "Node", "metadata": {"name": None}})
    return planted(root, b, _n())


@case("identity")
def event_about_nothing_known(root: Path) -> Built:
    b = Bundle()
    ev = b.item("namespaces/ml-serving/events.json")
    ev["involvedObject"] = {"kind": "Unicorn", "name": "x" * 5000, "namespace": "../../etc"}
    return planted(root, b, _n())


@case("identity")
def namespace_names_that_are_paths(root: Path) -> Built:
    b = Bundle()
    b.pod()["metadata"]["namespace"] = "../../../tmp"
    b.docs["namespaces/..%2F..%2Ftmp/pods.json"] = {"apiVersion": "v1", "kind": "List", "items": [b.pod()]}
    return planted(root, b, _n())


# ------------------------------------------------------------------------------ fault-tolerance results

FT_SCENARIO = "test_fault_scenario[agg-tp-1-dp-1-frontend]"


def _ft_case(mutate: Callable[[Path], None], i: int, exits: tuple[int, ...] = (0,)) -> Callable[[Path], Built]:
    """A results root with one real scenario folder, changed by ``mutate(folder)``; the secret in
    its client log."""
    def build(root: Path) -> Built:
        res = root / "results"
        folder = res / FT_SCENARIO
        shutil.copytree(FT / FT_SCENARIO, folder)
        s = secret(i)
        with open(folder / "client_0.log.txt", "a") as f:
            f.write(json.dumps({"time": "2025-10-03T09:20:00", "results": [
                {"status": 500, "result": {"error": s.text}, "request_elapsed_time": 0.1}]}) + "\n")
        mutate(folder)
        return Built(res, (s,), exits=exits)
    return build


def _append(rel: str, text: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        with open(folder / rel, "a", encoding="utf-8") as f:
            f.write(text)
    return mutate


_FT_POD_LOG = "Frontend/fault-tolerance-test-frontend-6025e3adf6-nxdx8.log"
for _name, _mut in {
    "client-json-100000-deep": _append("client_0.log.txt", '{"time": "2025-10-03T09:20:00", "results": '
                                       + "[" * 100_000 + "]" * 100_000 + "}\n"),
    "client-results-number": _append("client_0.log.txt", '{"time": "2025-10-03T09:20:00", "results": 5}\n'),
    "client-result-fields-wrong": _append("client_0.log.txt", json.dumps(
        {"time": "2025-10-03T09:20:00", "results": [{"status": [200], "result": {"choices": "all"},
                                                     "request_elapsed_time": "n/a"},
                                                    {"status": {"code": 500}, "request_elapsed_time": 1e308 * 10},
                                                    {"status": BIG, "request_elapsed_time": BIG}, 7, None]}) + "\n"),
    "client-time-year-1": _append("client_0.log.txt", json.dumps({"time": "0001-01-01T00:00:00", "results": []}) + "\n"
                                  + json.dumps({"time": 1759483073, "results": []}) + "\n"),
    "client-time-year-9999": _append("client_0.log.txt", json.dumps({"time": "9999-12-31T23:59:59", "results": [
        {"status": 200, "result": {"choices": [{"message": {"content": "x" * 200}}]},
         "request_elapsed_time": 1.0}]}) + "\n"),
    "client-line-not-json": _append("client_0.log.txt", "{not json\n" + "\x00\xff" * 10 + "\n"),
    "test-log-times-out-of-range": _append("test.log.txt", "[TEST] 9999-12-31T23:59:59 INFO Injecting failure for: "
                                           "Failure(time=30, pod_name='x', command='kill')\n"
                                           "[TEST] 0001-01-01T00:00:00 INFO ManagedDeployment: Deployment x is ready\n"
                                           "[TEST] 2025-13-45T99:99:99 INFO Starting Deployment x with spec\n"),
    "test-log-failure-repr-odd": _append("test.log.txt", "[TEST] 2025-10-03T09:20:00 INFO Injecting failure for: "
                                         "Failure(" + "a=b, " * 10000 + ")\n"),
    "pod-log-deep-and-odd": _append(_FT_POD_LOG, '{"time": ' + "[" * 50_000 + "\n"
                                    + json.dumps({"time": "9999-12-31T23:59:59Z", "message": {"a": 1}}) + "\n"
                                    + json.dumps({"time": 5, "message": None}) + "\n"),
    "second-client-named-huge": lambda folder: (folder / f"client_{BIG[:200]}.log.txt").write_text(
        json.dumps({"time": "2025-10-03T09:20:00", "results": []}) + "\n"),
    "watcher-wrong-types": lambda folder: (folder / "watcher.log.txt").write_text(
        json.dumps({"time": "2025-10-03T09:20:00", "metrics": [["w", {"num_requests_waiting": "n/a",
                                                                      "request_active_slots": [1]}], 5]}) + "\n"
        + json.dumps({"time": [], "metrics": {}}) + "\n" + "[" * 100_000 + "\n"),
    "aiperf-export-wrong-types": lambda folder: (folder / "client_0/attempt_0").mkdir(parents=True) or (
        folder / "client_0/attempt_0/profile_export_aiperf.json").write_text(json.dumps(
            {"records": {"request_count": {"avg": "n/a"}, "error_request_count": {"avg": BIG},
                         "request_latency": {"avg": "x", "p99": [1], "unit": 5}},
             "error_summary": [{"count": "many", "error_details": "boom"}, 3]})),
    "empty-scenario-folder": lambda folder: [p.unlink() for p in sorted(folder.rglob("*"), reverse=True)
                                             if p.is_file()],
}.items():
    add("ft-results", _name, _ft_case(_mut, _n(), exits=(0, 2) if _name == "empty-scenario-folder" else (0,)),
        (FT_FORMATS[_n() % len(FT_FORMATS)],))


@case("ft-results", "analyze-json")
def ft_results_analyzed_as_a_bundle(root: Path) -> Built:
    """The same hostile folder through `analyze` (its summary goes into the report)."""
    build = _ft_case(_append("client_0.log.txt", '{"time": "2025-10-03T09:20:00", "results": '
                             + "[" * 100_000 + "]" * 100_000 + "}\n"), _n())
    return build(root)


# ------------------------------------------------------------------------------ pasted single files

def _paste(name: str, text: str | bytes, i: int, exits: tuple[int, ...] = (0,)) -> Callable[[Path], Built]:
    def build(root: Path) -> Built:
        s = secret(i)
        f = root / name
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        f.write_bytes(data + b"\n" + s.text.encode() + b"\n")
        return Built(f, (s,), exits=exits)
    return build


for _name, (_file, _text) in {
    "events-table-counts-huge": ("events.txt", "LAST SEEN   TYPE      REASON    OBJECT        MESSAGE\n"
                                 f"12s         Warning   BackOff   pod/p-0       Back-off restarting x{BIG}\n"),
    "events-table-header-only": ("events.txt", "NAMESPACE   LAST SEEN   TYPE   REASON   OBJECT   MESSAGE\n" * 3),
    "describe-fragment-broken": ("pod.txt", "Name: x\nNamespace:\nContainers:\n  :\n    Limits:\n      :\n"
                                 "Events:\n  Type  Reason  Age  From  Message\n  Warning\n"),
    "yaml-paste-half-secret": ("paste.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hf\ndata:\n  token: "),
    "json-paste-truncated": ("pods.json", '{"apiVersion": "v1", "kind": "List", "items": [{"kind": "Pod", "metadata": '),
    "metrics-paste-garbage": ("metrics.prom", "# TYPE x histogram\nx_bucket{le=\"+Inf\"} NaN\nx{a=\"\\\"} 1\n"
                              "x{" + "a=\"b\"," * 20000 + "} 1\n"),
    "log-only-control-bytes": ("crash.log", "\x1b[2J\x1b]0;t\x07\r\r\r\x08\x08\n" * 1000),
    "log-crlf-and-cr-only": ("crash.log", "2026-11-18T18:50:00Z ERROR a\r\n2026-11-18T18:50:01Z ERROR b\r"
                             "torch.OutOfMemoryError: CUDA out of memory.\r"),
}.items():
    # a file of control bytes only is binary: refused with one line when it is all there is
    add("pasted-files", _name, _paste(_file, _text, _n(), (0, 2) if "control" in _name else (0,)))


# ------------------------------------------------------------------------------ standard input

def _stdin_case(data: bytes, i: int, exits: tuple[int, ...] = (0,), extra: tuple[str, ...] = (),
                read_error: str | None = None) -> Callable[[Path], Built]:
    def build(root: Path) -> Built:
        s = secret(i)
        f = root / "stdin.bin"
        f.write_bytes(data + b"\n" + s.text.encode() + b"\n")
        return Built(Path("-"), (s,), stdin=f, exits=exits, extra=extra, read_error=read_error)
    return build


_OOM = b"2026-11-18T18:50:00Z torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.76 GiB.\n"
for _name, (_data, _exits) in {
    "stdin-empty": (b"", (0, 2)),
    "stdin-gzip-corrupt": (gzip.compress(_OOM * 100)[:-40] + b"\x07" * 30, (0, 2)),
    "stdin-gzip-bomb-text": (gzip.compress(_OOM * 400_000, compresslevel=9), (0, 2)),
    "stdin-binary": (os.urandom(100_000), (0, 2)),
}.items():
    add("stdin", _name, _stdin_case(_data, _n(), _exits))


def _cut(data: bytes, share: float) -> bytes:
    """The first ``share`` of ``data`` (a stream cut in its middle, whatever it compressed to)."""
    return data[: max(1, int(len(data) * share))]


def _tar(entries: list[tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as tf:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@case("stdin", "analyze-json", "tables-csv")
def stdin_tar_with_unsafe_members(root: Path) -> Built:
    """A tarball on standard input whose members climb out of any folder."""
    s = secret(_n())
    f = root / "stdin.tgz"
    f.write_bytes(_tar([("b/manifest.json", b"{}"), (f"b/{LOG}", _OOM + s.text.encode() + b"\n"),
                        ("../../../../tmp/redteam-escape.txt", b"x"), ("/tmp/redteam-abs.txt", b"x")]))
    return Built(Path("-"), (s,), stdin=f, finds="runtime.cuda_oom")


# ------------------------------------------------------------------------------ what arrives compressed or named oddly
# (the read path of issue 16 item 1 and item 4: cases that need it may fail until it lands)

def _corrupt_gzip(before: bytes = b"") -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = (c.compress(before) + c.flush(zlib.Z_FULL_FLUSH)) if before else b""
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + body + b"\x07" + b"\x00" * 32


def _bundle_with(files: Callable[[], dict[str, bytes]], i: int, **kw: Any) -> Callable[[Path], Built]:
    def build(root: Path) -> Built:
        b = Bundle()
        b.raw.update(files())
        return planted(root, b, i, **kw)
    return build


def _zip_patched(name: str, compress: int, *, flags: int | None = None, method: int | None = None,
                 data_patch: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("b/manifest.json", json.dumps({"collector": "collect-bundle.sh", "commands": []}))
        zf.writestr(f"b/{LOG}", _OOM, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr(name, _OOM * 2000, compress_type=compress)
    return patch_zip_member(buf.getvalue(), name, flags=flags, method=method, data_patch=data_patch)


def _archive_case(name: str, data: Callable[[], bytes], i: int, **kw: Any) -> Callable[[Path], Built]:
    def build(root: Path) -> Built:
        s = secret(i)
        p = root / name
        p.write_bytes(data())
        # the secret rides in a readable member next to the broken one
        return Built(p, (s,), **kw)
    return build


_BAD = "b/namespaces/ml-serving/logs/x/bad.log"
for _name, (_file, _data, _kw) in {
    "zip-member-encrypted": ("enc.zip", lambda: _zip_patched(_BAD, zipfile.ZIP_DEFLATED, flags=1),
                             {"read_error": "encrypted"}),
    "zip-member-unsupported-method": ("aes.zip", lambda: _zip_patched(_BAD, zipfile.ZIP_DEFLATED, method=99),
                                      {"read_error": "unsupported compression method"}),
    "zip-member-corrupt-deflate": ("deflate.zip", lambda: _zip_patched(_BAD, zipfile.ZIP_DEFLATED,
                                                                       data_patch=b"\x07" * 16), {"read_error": "corrupt"}),
    "zip-member-corrupt-lzma": ("lzma.zip", lambda: _zip_patched(_BAD, zipfile.ZIP_LZMA,
                                                                 data_patch=b"\x09\x04\x05\x00" + b"\xff" * 64),
                                {"read_error": "corrupt"}),
    "tar-gz-member-corrupt-gzip": ("mid.tar.gz", lambda: _tar([("b/manifest.json", b"{}"), (f"b/{LOG}", _OOM),
                                                               ("b/namespaces/ml-serving/logs/x/old.log.gz",
                                                                _corrupt_gzip(_OOM * 5000))]),
                                   {"read_error": "corrupt"}),
    "tar-xz-truncated": ("cut.tar.xz", lambda: _cut(lzma.compress(_tar([("b/manifest.json", b"{}"), (f"b/{LOG}", _OOM),
                                                                        ("b/big.log", _OOM * 20000)], "w")), 2 / 3),
                         {"read_error": "truncated"}),
    "tar-bz2-corrupt": ("bad.tar.bz2", lambda: bz2.compress(_tar([(f"b/{LOG}", _OOM * 1000)], "w"))[:-200] + b"\x00" * 50,
                        {"exits": (0, 2)}),
    "tar-member-name-too-long-and-deep": ("names.tar.gz", lambda: _tar([("b/manifest.json", b"{}"),
                                                                       ("b/" + "x" * 300 + ".log", _OOM),
                                                                       ("b/" + "d/" * 2100 + "deep.log", _OOM),
                                                                       (f"b/{LOG}", _OOM)]),
                                          {"finds": "runtime.cuda_oom"}),
    "tar-non-utf8-names": ("names8.tar", lambda: _tar([("b/manifest.json", b"{}"), (f"b/{LOG}", _OOM),
                                                       ("b/namespaces/ml-serving/logs/x/caf\udce9.log", _OOM)], "w"),
                           {}),
    "zip-overlapping-entries": ("overlap.zip", lambda: _zip_overlap(), {"exits": (0, 2)}),
}.items():
    add("archives", _name, _archive_case(_file, _data, _n(), **_kw), fresh=_name == "zip-overlapping-entries")


def _zip_overlap() -> bytes:
    """Many central directory entries pointing at one compressed member."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(f"b/{LOG}", (b"2026-11-20T09:12:34Z INFO " + b"A" * 990 + b"\n") * 16_000)
    data = bytearray(buf.getvalue())
    eocd = data.rfind(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack_from("<HII", data, eocd + 10)
    record = bytes(data[cd_offset:cd_offset + cd_size])
    name_len = struct.unpack_from("<H", record, 28)[0]
    extra = b"".join(record[:46 + name_len - 8] + f"c{i:03d}.log".encode()[-8:] for i in range(300))
    new = data[:cd_offset + cd_size] + extra + data[cd_offset + cd_size:]
    eocd = new.rfind(b"PK\x05\x06")
    struct.pack_into("<HHI", new, eocd + 8, count + 300, count + 300, cd_size + len(extra))
    return bytes(new)


def _zip_bomb_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("x.log", "w", force_zip64=True) as w:
            chunk = b"\0" * (1 << 20)
            for _ in range(256):
                w.write(chunk)
    return buf.getvalue()


for _name, (_files, _kw) in {
    "dir-log-gz-corrupt-first-block": (lambda: {f"namespaces/ml-serving/logs/{POD_A}/old.log.gz": _corrupt_gzip()},
                                       {"read_error": "corrupt"}),
    "dir-log-gz-corrupt-mid-stream": (lambda: {f"namespaces/ml-serving/logs/{POD_A}/old.log.gz": _corrupt_gzip(_OOM * 3000)},
                                      {"read_error": "corrupt"}),
    "dir-log-bz2-and-xz-members": (lambda: {f"namespaces/ml-serving/logs/{POD_A}/a.log.bz2": bz2.compress(_OOM)[:-10],
                                    f"namespaces/ml-serving/logs/{POD_A}/b.log.xz": lzma.compress(_OOM)[:-10]}, {}),
    "dir-utf16-utf32-logs": (lambda: {f"namespaces/ml-serving/logs/{POD_A}/win.log": codecs.BOM_UTF16_LE
                              + _OOM.decode().encode("utf-16-le"),
                              f"namespaces/ml-serving/logs/{POD_A}/w32.log": codecs.BOM_UTF32_BE
                              + _OOM.decode().encode("utf-32-be")}, {"finds": "runtime.cuda_oom"}),
    "dir-nested-zip-attachment-bomb": (lambda: {"attachments/logs.zip": _zip_bomb_bytes()}, {}),
}.items():
    add("archives", _name, _bundle_with(_files, _n(), **_kw))


@case("names", "tables-csv", "redact")
def names_not_utf8_and_with_escapes(root: Path) -> Built:
    b = Bundle()
    out = planted(root, b, _n())
    d = os.fsencode(out.input / f"namespaces/ml-serving/logs/{POD_A}")
    for raw in (b"caf\xe9.log", b"\xff\xfe-\x80.log", b"x\x1b]0;owned\x07.log", b"tab\tand\nnewline.log"):
        with open(os.path.join(d, raw), "wb") as f:
            f.write(_OOM)
    return out


@case("names", "analyze-json")
def unreadable_folder_listed(root: Path) -> Built:
    b = Bundle()
    out = planted(root, b, _n())
    locked = out.input / "namespaces/locked"
    locked.mkdir()
    (locked / "x.log").write_bytes(_OOM)
    locked.chmod(0)
    out.read_error = None if os.geteuid() == 0 else "cannot read"
    return out


@case("names", "analyze-md")
def folder_1100_levels_deep(root: Path) -> Built:
    b = Bundle()
    out = planted(root, b, _n())
    deep_tree(out.input / "namespaces", 1100, "deep.log", _OOM)
    return out


# ------------------------------------------------------------------------------ output paths

def _output_case(i: int, clash: str) -> Callable[[Path], Built]:
    def build(root: Path) -> Built:
        out = planted(root, Bundle(), i, exits=(2,))
        out.clash = clash
        return out
    return build


for _command, _clash in {"analyze-md": "dir", "analyze-json": "below-file", "analyze-parquet": "file",
                         "tables-csv": "file", "tables-parquet": "below-file", "redact": "file",
                         "analyze-html": "dir"}.items():
    add("output-paths", f"{_command}-onto-{_clash}", _output_case(_n(), _clash), (_command,))


# more classes (links, NUL bytes, encodings, metrics at the extremes, serve on the wire)
import redteam_cases_more  # noqa: E402,F401 - registers its cases into CASES
