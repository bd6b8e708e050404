"""More red-team classes (registered into ``redteam_cases.CASES`` when that module is imported):

- ``links``: symbolic links and special files in a directory bundle (out of the bundle, loops,
  to ``/dev/zero``, a FIFO, the bundle itself given through a link);
- ``nul-bytes``: NUL in JSON strings, in log lines, as the zero tail of a file cut by a crash, in
  YAML and in metric labels;
- ``encodings``: Latin-1 and Windows text, byte order marks on JSON, UTF-16 objects, overlong
  UTF-8 and encoded surrogates, bidirectional overrides and zero-width characters in names;
- ``metrics-extremes``: sample timestamps of 30 digits, a 1 MiB label value, ten thousand copies
  of one series, OpenMetrics exemplars and ``# EOF`` followed by more, unsorted histograms;
- ``serve-http``: requests on the wire: Content-Length lies (longer than the body, 100 GB,
  negative, 30 digits, twice and disagreeing), chunked bodies, ``Expect: 100-continue`` with a
  huge body, request lines that are not HTTP, 70 KB URLs and headers, path tricks with ``%00`` and
  ``..``, log queries out of range, unknown verbs, and Secrets asked for every way kubectl can.
"""

from __future__ import annotations

import base64
import codecs
import json
import os
from pathlib import Path
from typing import Any, Callable

from redteam import Secret, secret
from redteam_base import FRONTEND, POD_A, Bundle
from redteam_cases import _OOM, Built, _n, add, planted

# ------------------------------------------------------------------------------ links and special files

_LOGDIR = f"namespaces/ml-serving/logs/{POD_A}"


def _linked(make: Callable[[Path, Path], None], i: int, **kw: Any) -> Callable[[Path], Built]:
    """The base bundle with a secret planted, then ``make(bundle, case_root)`` adds links."""
    def build(root: Path) -> Built:
        b = Bundle()
        b.log(_OOM.decode())
        built = planted(root, b, i, **kw)
        make(built.input, root)
        return built
    return build


def _outside_secret(bundle: Path, root: Path) -> None:
    # a file beside the bundle (not in it) holding credentials; a link in the bundle points at it
    out = root / "outside"
    out.mkdir()
    (out / "credentials").write_text(secret(7).text + "\n")
    os.symlink(out / "credentials", bundle / _LOGDIR / "leak.log")
    os.symlink("../../../../../outside", bundle / "namespaces/ml-serving/logs/outside")


for _name, _make in {
    "link-out-of-the-bundle-to-credentials": _outside_secret,
    "link-loop": lambda b, r: (os.symlink("b.log", b / _LOGDIR / "a.log"), os.symlink("a.log", b / _LOGDIR / "b.log")),
    "folder-link-to-an-ancestor": lambda b, r: os.symlink("../../..", b / "namespaces/ml-serving/logs/loop"),
    "dangling-links": lambda b, r: (os.symlink("/nonexistent/x.log", b / _LOGDIR / "gone.log"),
                                    os.symlink("/nonexistent", b / "namespaces/gone")),
    "link-to-dev-zero": lambda b, r: os.symlink("/dev/zero", b / _LOGDIR / "zero.log"),
    "fifo-as-a-log": lambda b, r: os.mkfifo(b / _LOGDIR / "pipe.log"),
    "fifo-as-the-manifest": lambda b, r: ((b / "manifest.json").unlink(), os.mkfifo(b / "manifest.json")),
}.items():
    add("links", _name, _linked(_make, _n(), finds="runtime.cuda_oom"))


def _through_link(root: Path) -> Built:
    """The bundle given as a link to its folder: read as the folder."""
    b = Bundle()
    b.log(_OOM.decode())
    built = planted(root, b, _n(), finds="runtime.cuda_oom")
    link = root / "bundle-link"
    os.symlink(built.input, link)
    built.input = link
    return built


add("links", "bundle-given-through-a-link", _through_link, ("analyze-json", "redact"))

# ------------------------------------------------------------------------------ NUL bytes


def _nul_mutate(b: Bundle) -> None:
    pod = b.pod()
    pod["metadata"].setdefault("annotations", {})["x\x00y"] = "a\x00b"
    pod["spec"]["containers"][0]["name"] = pod["spec"]["containers"][0]["name"] + "\x00"
    ev = b.item("namespaces/ml-serving/events.json", 0)
    ev["message"] = "\x00" * 10 + ev["message"] + "\x00"


def _nul_case(mutate: Callable[[Bundle], None], finds: str | None = None) -> Callable[[Path], Built]:
    i = _n()

    def build(root: Path) -> Built:
        b = Bundle()
        mutate(b)
        return planted(root, b, i, finds=finds)
    return build


for _name, (_mut, _finds) in {
    "nul-in-json-strings-and-keys": (_nul_mutate, None),
    "nul-inside-log-lines": (lambda b: b.log("2026-11-18T18:49:59Z INFO a\x00b\x00c\n" * 3 + _OOM.decode()),
                             "runtime.cuda_oom"),
    "nul-tail-of-a-crashed-write": (lambda b: b.log(_OOM.decode() + "\x00" * 65536), None),
    "nul-in-yaml-objects": (lambda b: b.docs.__setitem__(
        "namespaces/ml-serving/more.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\x00ul\n"), None),
    "nul-in-metric-labels": (lambda b: b.log('dynamo_frontend_requests_total{model="a\x00b"} 1\n\x00\x00 2\n',
                                             f"namespaces/dynamo/metrics/{FRONTEND}.prom"), None),
}.items():
    add("nul-bytes", _name, _nul_case(_mut, _finds))

# ------------------------------------------------------------------------------ encodings


def _raw_case(files: Callable[[], dict[str, bytes]], finds: str | None = None) -> Callable[[Path], Built]:
    i = _n()

    def build(root: Path) -> Built:
        b = Bundle()
        b.raw.update(files())
        return planted(root, b, i, finds=finds)
    return build


def _pods_json(b: Bundle | None = None) -> str:
    return json.dumps((b or Bundle()).doc("namespaces/ml-serving/pods.json"))


_BIDI = "chat-\u202egnp.exe\u202c-\u200d\u200b\ufeff-e\u0301\u0301\u0301"
for _name, (_files, _finds) in {
    "latin1-log": (lambda: {f"{_LOGDIR}/latin1.log": "2026-11-18T18:49:59Z INFO modèle chargé à 100 %\n"
                            .encode("latin-1") + _OOM}, "runtime.cuda_oom"),
    "windows-1252-smart-quotes": (lambda: {f"{_LOGDIR}/cp1252.log": "2026-11-18T18:49:59Z ERROR \u201cfailed\u201d \u2014 "
                                           "retry\r\n".encode("cp1252") + _OOM}, "runtime.cuda_oom"),
    "utf8-bom-on-json": (lambda: {"namespaces/ml-serving/pods.json": codecs.BOM_UTF8 + _pods_json().encode()}, None),
    "utf16-objects-file": (lambda: {"namespaces/ml-serving/pods.json": _pods_json().encode("utf-16")}, None),
    "overlong-utf8-and-encoded-surrogates": (lambda: {
        "namespaces/ml-serving/configmaps.json": b'{"apiVersion": "v1", "kind": "List", "items": [{"kind": "ConfigMap",'
        b' "apiVersion": "v1", "metadata": {"name": "enc\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", "namespace": "ml-serving"},'
        b' "data": {"k": "\\udfff\\ud800x\xe0\x80\xaf"}}]}'}, None),
}.items():
    add("encodings", _name, _raw_case(_files, _finds))


def _bidi_names(root: Path) -> Built:
    """Bidirectional overrides, zero-width characters and stacked combining marks in names."""
    b = Bundle()
    pod = b.pod()
    pod["metadata"]["labels"] = {"app": _BIDI}
    pod["spec"]["containers"][0]["image"] = _BIDI
    b.log("2026-11-18T18:49:59Z ERROR " + _BIDI + "\n")
    b.docs[f"namespaces/ml-serving/logs/{_BIDI}/main.log"] = _OOM.decode()
    return planted(root, b, _n())


add("encodings", "bidi-and-zero-width-in-names", _bidi_names, ("analyze-md", "tables-csv", "analyze-html"))

# ------------------------------------------------------------------------------ metrics at the extremes

_PROM = f"namespaces/dynamo/metrics/{FRONTEND}.prom"
for _name, _text in {
    "sample-timestamps-out-of-range": "dynamo_frontend_requests_total{model=\"x\"} 1 " + "9" * 30 + "\n"
                                      "dynamo_frontend_requests_total{model=\"y\"} 1 -1\n"
                                      "dynamo_frontend_requests_total{model=\"z\"} 1 1e999\n",
    "one-mebibyte-label-value": "vllm:num_requests_running{model_name=\"" + "m" * (1 << 20) + "\"} 1\n",
    "ten-thousand-copies-of-one-series": "vllm:num_requests_waiting{model_name=\"x\"} 3\n" * 10_000,
    "exemplars-and-eof-then-more": "# TYPE vllm:e2e_request_latency_seconds histogram\n"
                                   "vllm:e2e_request_latency_seconds_bucket{le=\"1\"} 3 # {trace_id=\"x\"} 1e999 "
                                   + "9" * 40 + "\n# EOF\nvllm:num_requests_waiting 1e308\nafter eof\n",
    "histogram-unsorted-and-odd-bounds": "# TYPE h histogram\n" + "".join(
        f"h_bucket{{le=\"{le}\"}} {v}\n" for le, v in (("+Inf", 1), ("1e999", 5), ("-Inf", 9), ("NaN", 2),
                                                         ("9" * 400, 3), ("0x10", 4), ("", 1))) + "h_count -5\nh_sum 1e999\n",
}.items():
    add("metrics-extremes", _name, _nul_case(lambda b, t=_text: b.log(t, _PROM)))

# ------------------------------------------------------------------------------ serve: requests on the wire

_SAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def _req(method: str, path: str, *headers: str, body: bytes = b"", version: str = "HTTP/1.1") -> bytes:
    head = f"{method} {path} {version}\r\nHost: 127.0.0.1\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n"
    return head.encode("latin-1") + body


_REVIEW = json.dumps({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                      "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}}).encode()
_LOG_PATH = f"/api/v1/namespaces/ml-serving/pods/{POD_A}/log?container=vllm"
_WIRE: dict[str, tuple[bytes, ...]] = {
    "content-length-longer-than-body": (_req("POST", _SAR, "Content-Length: 1000", body=_REVIEW[:20]),),
    "content-length-100-gigabytes": (_req("POST", _SAR, "Content-Length: 100000000000", body=_REVIEW),),
    "content-length-negative-and-words": (_req("POST", _SAR, "Content-Length: -5", body=_REVIEW),
                                          _req("POST", _SAR, "Content-Length: ten", body=_REVIEW),
                                          _req("POST", _SAR, "Content-Length: 1e3", body=_REVIEW)),
    "content-length-30-digits-and-twice": (_req("POST", _SAR, "Content-Length: " + "9" * 30, body=_REVIEW),
                                           _req("POST", _SAR, "Content-Length: 5", "Content-Length: 7",
                                                body=_REVIEW)),
    "content-length-shorter-than-body": (_req("POST", _SAR, "Content-Length: 3", body=_REVIEW),),
    "chunked-body": (_req("POST", _SAR, "Transfer-Encoding: chunked", body=b"5\r\n{\"a\":\r\nfffffffffffff\r\n"),),
    "expect-continue-with-a-huge-body": (_req("POST", _SAR, "Expect: 100-continue", "Content-Length: 99999999999"),),
    "request-lines-that-are-not-http": (b"\x00\xff\xfe GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                                        b"GET /api HTTP/1.1 extra words\r\n\r\n", b"\r\n\r\nGET /version HTTP/1.1\r\n\r\n",
                                        b"G\x1bT /api HTTP/1.1\r\n\r\n", b"GET /version\r\n"),
    "url-and-header-of-seventy-kilobytes": (_req("GET", "/api/v1/pods?x=" + "a" * 70_000),
                                            _req("GET", "/api/v1/pods", "X-Big: " + "b" * 70_000),
                                            _req("GET", "/api/v1/pods", *(f"X-{i}: {i}" for i in range(500)))),
    "paths-with-nul-dots-and-encodings": (_req("GET", "/api/v1/namespaces/%00/pods"),
                                          _req("GET", "/api/v1/namespaces/../../../etc/passwd"),
                                          _req("GET", "/api/v1/namespaces/ml-serving/pods/..%2f..%2fsecrets"),
                                          _req("GET", "/api/v1/namespaces/ml-serving/pods/%ff%fe"),
                                          _req("GET", "//api//v1///pods?limit=1e999&continue=%00")),
    "log-queries-out-of-range": (_req("GET", _LOG_PATH + "&tailLines=" + "9" * 25),
                                 _req("GET", _LOG_PATH + "&limitBytes=-1"),
                                 _req("GET", _LOG_PATH + "&sinceTime=10000-01-01T00:00:00Z"),
                                 _req("GET", _LOG_PATH + "&sinceSeconds=1e999&timestamps=maybe"),
                                 _req("GET", _LOG_PATH + "&container=%00&follow=true")),
    "unknown-verbs-and-writes": (_req("BREW", "/api/v1/pods"), _req("DELETE", "/api/v1/namespaces/ml-serving/pods/x"),
                                 _req("PATCH", "/api/v1/namespaces/ml-serving/pods/x", "Content-Length: 2", body=b"{}"),
                                 _req("PUT", "/api/v1/namespaces/ml-serving/secrets/hf", "Content-Length: 2",
                                      body=b"{}")),
    "secrets-asked-every-way": (_req("GET", "/api/v1/secrets"), _req("GET", "/api/v1/namespaces/ml-serving/secrets"),
                                _req("GET", "/api/v1/namespaces/ml-serving/secrets/wire",
                                     "Accept: application/json;as=Table;v=v1;g=meta.k8s.io"),
                                _req("GET", "/api/v1/namespaces/ml-serving/secrets/wire?watch=true"),
                                _req("GET", "/api/v1/secrets?fieldSelector=metadata.name%3Dwire&labelSelector=a"),
                                _req("GET", "/api/v1/namespaces/ml-serving/secrets/wire", version="HTTP/1.0")),
    "pipelined-keep-alive": (_req("GET", "/version", "Connection: keep-alive")
                             + _req("POST", _SAR, "Content-Length: 99999999999") + _req("GET", "/api"),),
}


def _wire_case(raw: tuple[bytes, ...], i: int) -> Callable[[Path], Built]:
    def build(root: Path) -> Built:
        b = Bundle()
        s = secret(i)
        value = s.values[0]
        b.doc("namespaces/ml-serving/secrets.json")["items"].append(
            {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
             "metadata": {"name": "wire", "namespace": "ml-serving"},
             "data": {"token": base64.b64encode(value.encode()).decode()}, "stringData": {"plain": value}})
        encoded = Secret(s.kind, "", (base64.b64encode(value.encode()).decode(),))
        return Built(b.write(root / "bundle"), (Secret(s.kind, s.text, (value,)), encoded), raw=raw)
    return build


for _name, _raw in _WIRE.items():
    add("serve-http", _name, _wire_case(_raw, _n()), ("serve",))
