"""The HTTP side of `serve`: the Kubernetes API paths kubectl uses, answered from a ``Cluster``.

``respond(cluster, method, path, headers, body)`` is a pure function from a request to a
``Response`` so that routing can be tested without sockets; ``make_server`` wraps it in a
``ThreadingHTTPServer`` bound to 127.0.0.1.

Paths: ``/version``, ``/api``, ``/api/v1``, ``/apis``, ``/apis/<group>/<version>`` (legacy
discovery: kubectl falls back to it when the aggregated form is not offered), list and get of
every resource (namespaced, cluster-scoped, across namespaces), the JSON or ``Table`` form,
label and field selectors, ``pods/<name>/log`` (``container``, ``previous``, ``timestamps``,
``tailLines``, ``limitBytes``, ``sinceSeconds``, ``sinceTime``), ``pods/<name>[:port]/proxy/metrics``
and ``selfsubjectaccessreviews`` (read verbs allowed, everything else refused). Writes and watches
are refused: the bundle is a snapshot.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable, Iterator
from urllib.parse import parse_qs, unquote, urlsplit

from analyzer.ingest import ReadFailed
from analyzer.parse.documents import DocumentError, load_json
from analyzer.parse.logs import KUBECTL_TS
from analyzer.parse.quantity import parse_time
from analyzer.parse.shape import dig
from analyzer.serve.resources import ACCESS_REVIEW, Resource
from analyzer.serve.matching import matches_fields, matches_labels
from analyzer.serve.store import Cluster
from analyzer.serve.tables import table

JSON = "application/json"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
_TS_PREFIX = re.compile(b"^" + KUBECTL_TS.encode() + b" ")
_UID_FIELD = "involvedObject.uid"
MAX_BODY = 1 << 20          # request bodies read (only SelfSubjectAccessReview has one)
LOG_READ_AHEAD = 1 << 20    # bytes of a log read before its answer's status is sent


class Response:
    """Status code, content type and body of one answer. A log or a scrape is a ``stream`` of
    pieces, sent as they are read (``body`` then reads the stream to its end, for tests)."""

    def __init__(self, status: int, content_type: str, body: bytes = b"", headers: dict[str, str] | None = None,
                 stream: Iterable[bytes] | None = None):
        self.status, self.content_type, self.headers = status, content_type, headers or {}
        self._body, self.stream = body, stream

    @property
    def body(self) -> bytes:
        if self.stream is not None:
            self._body, self.stream = b"".join(self.stream), None
        return self._body


def _json(status: int, obj: Any, content_type: str = JSON) -> Response:
    return Response(status, content_type, json.dumps(obj, separators=(",", ":"), allow_nan=False).encode())


def status_error(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> Response:
    """A ``Status`` failure as the API server returns it."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return _json(code, body)


def _not_found(res: Resource, name: str) -> Response:
    what = f"{res.plural}.{res.group}" if res.group else res.plural
    return status_error(404, "NotFound", f'{what} "{name}" not found', {"name": name, "group": res.group,
                                                                        "kind": res.plural})


def _version(cluster: Cluster) -> dict[str, Any]:
    v = dict(cluster.version)
    git = str(v.get("gitVersion") or "v1.30.0")
    m = re.match(r"v(\d+)\.(\d+)", git)
    v.setdefault("major", m.group(1) if m else "1")
    v.setdefault("minor", m.group(2) if m else "30")
    v["gitVersion"] = git
    for key, default in (("gitCommit", ""), ("gitTreeState", "clean"), ("buildDate", ""),
                         ("goVersion", ""), ("compiler", "gc"), ("platform", "linux/amd64")):
        v.setdefault(key, default)
    return v


def _resources_by_gv(cluster: Cluster) -> dict[str, list[Resource]]:
    out: dict[str, list[Resource]] = {}
    for res in cluster.resources.values():
        out.setdefault(res.group_version, []).append(res)
    return out


def _api_resource(res: Resource) -> dict[str, Any]:
    return {"name": res.plural, "singularName": res.singular, "namespaced": res.namespaced, "kind": res.kind,
            "verbs": ["get", "list"], **({"shortNames": list(res.short_names)} if res.short_names else {})}


def _discovery(cluster: Cluster, parts: list[str]) -> Response | None:
    by_gv = _resources_by_gv(cluster)
    if parts == ["api"]:
        return _json(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
    if parts == ["apis"]:
        groups: dict[str, list[str]] = {}
        for gv in sorted(by_gv):
            if "/" in gv:
                g, v = gv.split("/", 1)
                groups.setdefault(g, []).append(v)
        groups.setdefault(ACCESS_REVIEW.group, [ACCESS_REVIEW.version])
        return _json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
             "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]}}
            for g, vs in sorted(groups.items())]})
    gv = None
    if parts == ["api", "v1"]:
        gv = "v1"
    elif len(parts) == 3 and parts[0] == "apis":
        gv = f"{parts[1]}/{parts[2]}"
    if gv is None:
        return None
    resources = [_api_resource(r) for r in sorted(by_gv.get(gv, []), key=lambda r: r.plural)]
    if gv == "v1":
        resources += [{"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
                      {"name": "pods/proxy", "singularName": "", "namespaced": True, "kind": "PodProxyOptions",
                       "verbs": ["get"]}]
    if gv == ACCESS_REVIEW.group_version:
        resources.append({"name": ACCESS_REVIEW.plural, "singularName": "", "namespaced": False,
                          "kind": ACCESS_REVIEW.kind, "verbs": ["create"]})
    if not resources:
        return None
    return _json(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})


def _find(cluster: Cluster, group: str, plural: str) -> Resource | None:
    return cluster.resources.get((group, plural))


def _list(cluster: Cluster, res: Resource, ns: str | None, query: dict[str, str], accept: str) -> Response:
    items = cluster.items(res, ns if res.namespaced else None)
    if query.get("labelSelector"):
        items = [o for o in items if matches_labels(o, query["labelSelector"])]
    if query.get("fieldSelector"):
        selector = query["fieldSelector"]
        items = [o for o in items if matches_fields(o, selector, frozenset({_UID_FIELD}))
                 and _uid_matches(o, selector)]
    if "as=Table" in accept:
        return _json(200, table(res, items, cluster.now, query.get("includeObject", "Metadata")), TABLE)
    return _json(200, {"kind": f"{res.kind}List", "apiVersion": res.group_version,
                       "metadata": {"resourceVersion": "1"}, "items": items})


def _uid_matches(event: dict[str, Any], selector: str) -> bool:
    """The ``involvedObject.uid`` term of describe's event search, with one allowance: an event
    that carries no uid (events rebuilt from a table, other collectors) belongs to the object
    of that name. Describe of a node asks twice, with the node's uid and with its name (the
    kubelet's convention), so such an event is given to the uid query only, never to both."""
    wanted = [t.split("=", 1)[1].lstrip("=") for t in selector.split(",")
              if t.strip().startswith(_UID_FIELD + "=") or t.strip().startswith(_UID_FIELD + "==")]
    if not wanted:
        return True
    inv = event.get("involvedObject") or {}
    uid = str(inv.get("uid") or "")
    if uid:
        return uid == wanted[0]
    return wanted[0] != str(inv.get("name") or "")


def _get(cluster: Cluster, res: Resource, ns: str, name: str, query: dict[str, str], accept: str) -> Response:
    obj = cluster.get(res, ns if res.namespaced else "", name)
    if obj is None:
        return _not_found(res, name)
    if "as=Table" in accept:
        return _json(200, table(res, [obj], cluster.now, query.get("includeObject", "Metadata")), TABLE)
    return _json(200, obj)


def _container_names(pod: dict[str, Any] | None) -> list[str]:
    spec = (pod or {}).get("spec") or {}
    return [c.get("name", "") for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])]


def _log(cluster: Cluster, ns: str, pod_name: str, query: dict[str, str]) -> Response:
    pods = cluster.resources[("", "pods")]
    bad = _bad_log_query(query)
    if bad:
        return status_error(400, "BadRequest", bad)
    pod = cluster.get(pods, ns, pod_name)
    container = query.get("container", "")
    previous = query.get("previous", "false").lower() in ("true", "1")
    if not container:
        spec_names = [c.get("name", "") for c in ((pod or {}).get("spec") or {}).get("containers") or []]
        in_bundle = sorted({k[2] for k in cluster.logs if k[0] == ns and k[1] == pod_name})
        names = spec_names or in_bundle
        if len(names) == 1:
            container = names[0]
        elif names:
            return status_error(400, "BadRequest", f"a container name must be specified for pod {pod_name}, "
                                                   f"choose one of: [{' '.join(names)}]")
    member = _find_log(cluster, ns, pod_name, container, previous, pod)
    if member is None:
        if pod is None and not any(k[0] in (ns, "") and k[1] == pod_name for k in cluster.logs):
            return _not_found(pods, pod_name)
        if pod is not None and container not in _container_names(pod):
            return status_error(400, "BadRequest", f"container {container} is not valid for pod {pod_name}")
        if pod is not None and not (pod.get("spec") or {}).get("nodeName"):
            return status_error(400, "BadRequest", f"pod {pod_name} does not have a host assigned")
        if previous:
            return status_error(400, "BadRequest",
                                f'previous terminated container "{container}" in pod "{pod_name}" not found')
        waiting = _waiting_reason(pod, container)
        if waiting:
            return status_error(400, "BadRequest",
                                f'container "{container}" in pod "{pod_name}" is waiting to start: {waiting}')
        return status_error(404, "NotFound", f'the bundle holds no log of container "{container}" '
                                             f'in pod "{pod_name}"')
    try:
        opts = _log_options(query, cluster.now)
        # opened and read ahead here: a member that cannot be opened, or breaks within its first
        # LOG_READ_AHEAD bytes (a small log, a corrupt compressed one), is a 500 with the reason;
        # a break further on cuts the streamed body
        first = _read_ahead(cluster.open_lines(member), LOG_READ_AHEAD)
    except _BadOption as exc:
        return status_error(400, "BadRequest", str(exc))
    except ReadFailed as exc:
        return status_error(500, "InternalError", f"cannot read {_member_path(member)} from the bundle: {exc}")
    return Response(200, "text/plain", stream=_shape_log(cluster, member, first, opts))


def _find_log(cluster: Cluster, ns: str, pod_name: str, container: str, previous: bool,
              pod: dict[str, Any] | None):
    """The log member of a container. Some layouts do not know the namespace of a log (fault-
    tolerance results) or name it after the service rather than the container: when none of the
    pod's logs carries a container name of the pod, its single log stands for the container."""
    for key_ns in (ns, ""):
        for name in (container, "") if container else ("",):
            member = cluster.logs.get((key_ns, pod_name, name, previous))
            if member is not None:
                return member
    keys = [k for k in cluster.logs if k[0] in (ns, "") and k[1] == pod_name]
    if {k[2] for k in keys} & set(_container_names(pod)):
        return None
    same = [k for k in keys if k[3] == previous]
    return cluster.logs[same[0]] if len(same) == 1 else None


def _waiting_reason(pod: dict[str, Any] | None, container: str) -> str:
    status = (pod or {}).get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        if cs.get("name") == container:
            return str(((cs.get("state") or {}).get("waiting") or {}).get("reason") or "")
    return ""


class _BadOption(ValueError):
    """A log query field the API server would refuse."""


# pod log options: name -> the least value the API server accepts (PodLogOptions validation)
_LOG_INTS = {"tailLines": 0, "limitBytes": 1, "sinceSeconds": 1}


def _bad_log_query(query: dict[str, str]) -> str | None:
    """Why the API server would refuse the log query, or None."""
    for name, least in _LOG_INTS.items():
        value = query.get(name)
        if value is None:
            continue
        if not re.fullmatch(r"-?\d{1,30}", value):
            return f'invalid value "{value[:40]}" for {name}: must be an integer'
        if int(value) < least:
            least_text = "greater than or equal to 0" if least == 0 else "greater than 0"
            return f"{name}: Invalid value: {value}: must be {least_text}"
    if query.get("sinceSeconds") and query.get("sinceTime"):
        return "at most one of sinceTime or sinceSeconds may be specified"
    if query.get("sinceTime") and parse_time(query["sinceTime"]) is None:
        return f'invalid value "{query["sinceTime"][:40]}" for sinceTime: must be an RFC3339 time'
    return None


@dataclass
class _LogOptions:
    since: datetime | None
    tail: int | None
    limit: int | None
    timestamps: bool


def _log_options(query: dict[str, str], now: datetime) -> _LogOptions:
    since: datetime | None = None
    if query.get("sinceSeconds"):
        try:
            since = now - timedelta(seconds=int(query["sinceSeconds"]))
        except OverflowError:
            since = None   # earlier than any time: every line
    elif query.get("sinceTime"):
        since = parse_time(query["sinceTime"])
    return _LogOptions(since, int(query["tailLines"]) if query.get("tailLines") else None,
                       int(query["limitBytes"]) if query.get("limitBytes") else None,
                       query.get("timestamps", "false").lower() in ("true", "1"))


def _member_path(member: Any) -> str:
    return getattr(member, "path", "log")


def _line_time(line: bytes) -> datetime | None:
    m = _TS_PREFIX.match(line)
    return parse_time(m.group(0).decode()) if m else None


def _read_ahead(lines: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """``lines`` with up to ``limit`` bytes of them read now (a ReadFailed among them raises here)."""
    head: list[bytes] = []
    size = 0
    for ln in lines:
        head.append(ln)
        size += len(ln)
        if size >= limit:
            break
    return itertools.chain(head, lines)


def _shape_log(cluster: Cluster, member: Any, first: Iterator[bytes], opts: _LogOptions) -> Iterator[bytes]:
    """Apply sinceTime/sinceSeconds, tailLines, timestamps and limitBytes as the kubelet does,
    line by line, never holding the log (``tailLines`` reads it twice: count, then send).

    Our collector stores logs with ``--timestamps``; without ``timestamps=true`` the prefix is cut."""
    def kept(lines: Iterator[bytes]) -> Iterator[bytes]:
        for ln in lines:
            if opts.since is not None:
                t = _line_time(ln)
                if t is not None and t < opts.since:
                    continue
            yield ln

    lines = kept(first)
    if opts.tail is not None:
        total = sum(1 for _ in lines)
        skip = max(0, total - opts.tail)
        lines = kept(cluster.open_lines(member))
        for _ in range(skip):
            next(lines, None)
    left = opts.limit
    for ln in lines:
        if not opts.timestamps:
            ln = _TS_PREFIX.sub(b"", ln, count=1)
        if left is not None:
            ln = ln[:left]
            left -= len(ln)
        if ln:
            yield ln
        if left is not None and left <= 0:
            return


def _proxy(cluster: Cluster, ns: str, target: str, rest: list[str]) -> Response:
    pod_name = target.split(":", 1)[0]
    path = "/".join(rest)
    member = cluster.metrics.get((ns, pod_name)) or cluster.metrics.get(("", pod_name))
    if member is None or path.rstrip("/") != "metrics":
        return status_error(503, "ServiceUnavailable",
                            f"the bundle holds no scrape of /{path} for pod {ns}/{pod_name}")
    try:
        lines = cluster.open_lines(member)
    except ReadFailed as exc:
        return status_error(500, "InternalError", f"cannot read {member.path} from the bundle: {exc}")
    return Response(200, "text/plain; version=0.0.4; charset=utf-8", stream=lines)


def _access_review(body: bytes) -> Response:
    try:
        review = load_json(body or b"{}")
    except DocumentError:
        return status_error(400, "BadRequest", "the body is not a SelfSubjectAccessReview")
    attrs = dig(review, "spec", "resourceAttributes", default={})
    verb, sub = attrs.get("verb", ""), attrs.get("subresource", "")
    allowed = verb in ("get", "list") and sub in ("", "log", "proxy")
    review = review if isinstance(review, dict) else {}
    review["status"] = {"allowed": allowed, **({} if allowed else {
        "reason": "read-only API over a support bundle: only get and list are served"})}
    return _json(201, review)


def respond(cluster: Cluster, method: str, target: str, accept: str = JSON, body: bytes = b"") -> Response:
    """Answer one request (method, request target with query string, Accept header, body)."""
    url = urlsplit(target)
    parts = [unquote(p) for p in url.path.split("/") if p]
    query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
    if method == "POST" and parts[:3] == ["apis", ACCESS_REVIEW.group, ACCESS_REVIEW.version] \
            and parts[3:] == [ACCESS_REVIEW.plural]:
        return _access_review(body)
    if method not in ("GET", "HEAD"):
        return status_error(405, "MethodNotAllowed",
                            f"{method} is not supported: this is a read-only API over a support bundle")
    if parts == ["version"]:
        return _json(200, _version(cluster))
    if parts in (["healthz"], ["livez"], ["readyz"]):
        return Response(200, "text/plain", b"ok")
    disc = _discovery(cluster, parts)
    if disc is not None:
        return disc
    if parts[:2] == ["api", "v1"]:
        group, rest = "", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, rest = parts[1], parts[3:]
    else:
        return status_error(404, "NotFound", "the server could not find the requested resource")
    if query.get("watch", "").lower() in ("true", "1"):
        return status_error(405, "MethodNotAllowed", "watch is not supported: the bundle is a snapshot")
    ns: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        ns, rest = rest[1], rest[2:]
    if not rest:
        return status_error(404, "NotFound", "the server could not find the requested resource")
    res = _find(cluster, group, rest[0])
    if res is None:
        return status_error(404, "NotFound", "the server could not find the requested resource")
    refused = cluster.forbidden.get((res.group, res.plural, ns or ""))
    if refused:
        return status_error(403, "Forbidden", refused, {"kind": res.plural, "group": res.group})
    if len(rest) == 1:
        return _list(cluster, res, ns, query, accept)
    name = rest[1]
    if len(rest) == 2:
        return _get(cluster, res, ns or "", name, query, accept)
    if (res.group, res.plural) == ("", "pods") and ns is not None:
        if rest[2] == "log" and len(rest) == 3:
            return _log(cluster, ns, name, query)
        if rest[2] == "proxy":
            return _proxy(cluster, ns, name, rest[3:])
    return status_error(404, "NotFound", "the server could not find the requested resource")


class _Refused(Exception):
    """A request answered without reading its body; the connection closes after the answer."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bundle-analyzer-serve"
    cluster: Cluster
    quiet = True
    timeout = 60  # a client that sends nothing for a minute is let go
    # the standard library answers a request line without a version (HTTP/0.9) with a bare body;
    # errors always carry a status line here, and such requests are refused as the API server does
    default_request_version = "HTTP/1.0"

    def parse_request(self) -> bool:
        """As the standard library's, but empty lines before the request line are skipped (RFC
        9112 2.2, as Go's server does) and HTTP/0.9 ("GET /path") is refused with a 400 Status."""
        for _ in range(16):
            if self.raw_requestline not in (b"\r\n", b"\n"):
                break
            self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            return False  # only empty lines, then the end: nothing was asked
        if not super().parse_request():
            return False
        if len(self.requestline.split()) == 2:
            self.send_error(400, "unsupported protocol version")
            return False
        return True

    def _body(self) -> bytes:
        """The request body, bounded: a body of unknown or unreadable length is refused."""
        if self.headers.get("Transfer-Encoding"):
            raise _Refused(status_error(411, "LengthRequired", "a request body must come with a Content-Length"))
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return b""
        if len(set(lengths)) > 1 or not re.fullmatch(r"\d{1,19}", lengths[0].strip()):
            raise _Refused(status_error(400, "BadRequest", "invalid Content-Length"))
        length = int(lengths[0])
        if length > MAX_BODY:
            raise _Refused(status_error(413, "RequestEntityTooLarge",
                                        f"the request body ({length} bytes) is larger than {MAX_BODY} bytes"))
        return self.rfile.read(length) if length else b""

    def handle_expect_100(self) -> bool:
        """Refuse a body that would be refused anyway before the client sends it."""
        try:
            self._body_check_only()
        except _Refused as refused:
            self._send(refused.response)
            self.close_connection = True
            return False
        return super().handle_expect_100()

    def _body_check_only(self) -> None:
        length = (self.headers.get("Content-Length") or "0").strip()
        if self.headers.get("Transfer-Encoding") or not length.isdigit() or int(length) > MAX_BODY:
            self._body()

    def _answer(self) -> None:
        try:
            body = self._body()
            resp = respond(self.cluster, self.command, self.path, self.headers.get("Accept") or JSON, body)
        except _Refused as refused:
            resp = refused.response
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - every request gets an answer, never a dropped connection
            resp = status_error(500, "InternalError", f"{type(exc).__name__} while answering {self.command} "
                                                      f"{self.path[:200]}")
        self._send(resp)

    def _send(self, resp: Response) -> None:
        try:
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            chunked = resp.stream is not None and self.request_version == "HTTP/1.1"
            if resp.stream is None:
                self.send_header("Content-Length", str(len(resp.body)))
            elif chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.close_connection = True  # HTTP/1.0: the end of the body is the end of the connection
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command == "HEAD":
                return
            stream = resp.stream
            if stream is None:
                self.wfile.write(resp.body)
                return
            try:
                for piece in stream:
                    if piece:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            except ReadFailed:
                self.close_connection = True  # the member broke mid-way: the cut body says so
                return
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client went away
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found before a request reaches ``respond`` (a request line or header that cannot
        be parsed, a verb no handler knows) as a Kubernetes ``Status`` too."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            resp = status_error(405, "MethodNotAllowed", f"{self.command} is not supported: this is a read-only "
                                                         "API over a support bundle")
        else:
            try:
                phrase = HTTPStatus(code).phrase
            except ValueError:
                phrase = "Bad Request"
            resp = status_error(code, phrase.replace(" ", ""), message or explain or phrase)
        self.close_connection = True
        if not hasattr(self, "command") or self.command is None:
            self.command = ""
        self._send(resp)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_CONNECT = do_TRACE = _answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if not self.quiet:
            super().log_message(format, *args)


def make_server(cluster: Cluster, port: int = 0, quiet: bool = True) -> ThreadingHTTPServer:
    """A threading HTTP server on 127.0.0.1:``port`` (0: a free port) answering from ``cluster``."""
    handler = type("BundleAPIHandler", (_Handler,), {"cluster": cluster, "quiet": quiet})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server
