"""``kubectl describe pod`` / ``describe node`` text -> the same rows the JSON gives.

Real sample (``kubectl describe pod``, tabwriter layout, trimmed)::

    Name:             vllm-decode-7d9f-abcde
    Namespace:        dynamo
    Node:             gpu-node-2/10.0.1.12
    Status:           Running
    Containers:
      main:
        Image:          nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1
        State:          Waiting
          Reason:       CrashLoopBackOff
        Last State:     Terminated
          Reason:       Error
          Exit Code:    1
          Started:      Thu, 20 Nov 2026 09:58:01 +0000
          Finished:     Thu, 20 Nov 2026 09:59:12 +0000
        Ready:          False
        Restart Count:  6
        Limits:
          nvidia.com/gpu:  1
        Environment:
          HF_TOKEN:  <set to the key 'token' in secret 'hf-token'>  Optional: false
    Conditions:
      Type              Status
      Ready             False
    Events:
      Type     Reason   Age                  From     Message
      ----     ------   ----                 ----     -------
      Warning  BackOff  2m (x25 over 9m)     kubelet  Back-off restarting failed container main in pod ...

Several objects may follow one another (``kubectl describe pods`` of a namespace): each starts
at a ``Name:`` line in column 0. Events in describe output carry ages, not times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import regex

from analyzer.ingest.sniff import CONTAINER_FIELDS
from analyzer.parse.nodes import GPU_PRODUCT_LABEL
from analyzer.parse.quantity import GPU, GPUCORES, GPUMEM, GPUMEM_PCT, bounded_int, count, parse_time
from analyzer.tables import to_json

_KEY = regex.compile(r"^(?P<indent> *)(?P<key>[A-Za-z][\w .()/\-]*?):(?:\s+(?P<value>.*?))?\s*$")
_EVENT_ROW = regex.compile(r"^\s+(?P<type>Normal|Warning)\s+(?P<reason>\S+)\s+(?P<age>\S+(?: \(x(?P<count>\d+) over \S+\))?)\s+(?P<from>.+?)\s{2,}(?P<msg>.*)$")
_EVENT_ROW_NOFROM = regex.compile(r"^\s+(?P<type>Normal|Warning)\s+(?P<reason>\S+)\s+(?P<age>\S+(?: \(x(?P<count>\d+) over \S+\))?)\s+(?P<msg>.*)$")
_SECRET_ENV = regex.compile(r"<set to the key '(?P<key>[^']*)' (?:in|of) secret '(?P<name>[^']*)'>")
_CM_ENV = regex.compile(r"<set to the key '(?P<key>[^']*)' of config map '(?P<name>[^']*)'>")


@dataclass
class Node:
    key: str
    value: str
    line: int
    indent: int
    children: list["Node"] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)  # indented lines that are not "Key: value"

    def get(self, key: str) -> "Node | None":
        return next((c for c in self.children if c.key == key), None)

    def val(self, key: str) -> str | None:
        c = self.get(key)
        return c.value if c is not None and c.value != "" else None


def split_objects(text: str) -> list[tuple[int, list[str]]]:
    """Blocks of lines, one per described object, with the number of their first line."""
    blocks: list[tuple[int, list[str]]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("Name:") or not blocks:
            blocks.append((n, []))
        blocks[-1][1].append(line)
    return [(start, lines) for start, lines in blocks if any(l.startswith("Name:") for l in lines)]


def tree(lines: list[str], first_line: int) -> Node:
    """An indentation tree of ``Key: value`` lines; other lines go to the parent's ``raw``."""
    root = Node("", "", first_line, -1)
    stack = [root]
    in_table = False
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        while len(stack) > 1 and indent <= stack[-1].indent:
            stack.pop()
        parent = stack[-1]
        in_table = parent.key in ("Events", "Conditions") and parent.indent == 0
        m = None if in_table else _KEY.match(line)
        if m and not (parent.key in ("Labels", "Annotations", "Taints") and indent > 0 and "=" in line.split(":")[0]):
            node = Node(m["key"].strip(), (m["value"] or "").strip(), first_line + i, indent)
            parent.children.append(node)
            stack.append(node)
        else:
            parent.raw.append(line)
            parent.children.append(Node("", line.strip(), first_line + i, indent))
    return root


def _all_values(node: Node | None) -> list[str]:
    """A multi-line field (Labels, Taints...): its own value and its continuation lines."""
    if node is None:
        return []
    out = [node.value] if node.value and node.value != "<none>" else []
    for c in node.children:
        out.append(f"{c.key}: {c.value}" if c.key else c.value)
    return out


def _kv_map(node: Node | None, sep: str) -> dict[str, str]:
    out = {}
    for item in _all_values(node):
        k, s, v = item.partition(sep)
        if s:
            out[k.strip()] = v.strip()
    return out


def _state(node: Node | None) -> dict:
    if node is None or not node.value:
        return {}
    return {"state": node.value.split()[0].lower(), "reason": node.val("Reason"),
            "message": node.val("Message"), "exit_code": _int(node.val("Exit Code")),
            "started": parse_time(node.val("Started")), "finished": parse_time(node.val("Finished"))}


def _int(value: str | None, field: str | None = None) -> int | None:
    """An int32 field (exit code, restart count); None when absent or not one (noted)."""
    return bounded_int(value, field, -2**31, 2**31 - 1)


def _resources(node: Node | None) -> dict[str, str]:
    return {c.key: c.value for c in node.children if c.key} if node else {}


def _events(node: Node | None, path: str, namespace: str | None, kind: str, name: str | None) -> list[dict]:
    rows: list[dict] = []
    if node is None:
        return rows
    for c in node.children:
        line = " " * max(c.indent, 1) + c.value
        m = _EVENT_ROW.match(line) or _EVENT_ROW_NOFROM.match(line)
        if m and c.value.split()[0] in ("Normal", "Warning"):
            rows.append({"path": path, "line": c.line, "origin": "describe", "namespace": namespace,
                         "object_kind": kind, "object_name": name, "field_path": None,
                         "type": m["type"], "reason": m["reason"], "message": m["msg"].strip(),
                         "count": (_int(m["count"]) or 1) if m["count"] else 1, "first_time": None,
                         "last_time": None, "component": m.groupdict().get("from"), "host": None})
        elif rows and c.value and not c.value.startswith(("----", "Type ")) and not c.value.startswith("Type\t"):
            rows[-1]["message"] += " " + c.value  # a message continued on the next line
    for r in rows:
        fp = regex.match(r"^(spec\.(?:initContainers|containers)\{[^}]*\}):\s*", r["message"])
        if fp:
            r["field_path"] = fp[1]
            r["message"] = r["message"][fp.end():]
    return rows


def _conditions(node: Node | None) -> list[dict]:
    out = []
    if node is None:
        return out
    for c in node.children:
        parts = c.value.split()
        if len(parts) >= 2 and parts[1] in ("True", "False", "Unknown"):
            out.append({"type": parts[0], "status": parts[1]})
    return out


def _container(c: Node, init: bool, ns: str | None, pod: str | None, path: str) -> dict:
    """The ``containers`` row of one container block of a described pod."""
    limits, requests = _resources(c.get("Limits")), _resources(c.get("Requests"))
    gpus = {k: count(limits.get(res, requests.get(res)), f"pod {ns}/{pod} container {c.key} {res}")
            for k, res in (("gpu", GPU), ("gpumem", GPUMEM), ("gpumem_percentage", GPUMEM_PCT),
                           ("gpucores", GPUCORES))}
    st, last = _state(c.get("State")), _state(c.get("Last State"))
    env = c.get("Environment")
    env_names, secrets, cms = [], [], []
    for e in (env.children if env else []):
        if not e.key:
            continue
        env_names.append(e.key)
        sm = _SECRET_ENV.search(e.value)
        if sm:
            secrets.append(f"{sm['name']}/{sm['key']}")
        cm = _CM_ENV.search(e.value)
        if cm:
            cms.append(f"{cm['name']}/{cm['key']}")
    env_from = c.get("Environment Variables from")
    for e in (env_from.children if env_from else []):
        parts = (e.value if not e.key else f"{e.key} {e.value}").split()
        if len(parts) >= 2 and "Optional: true" not in e.value:
            (secrets if parts[1] == "Secret" else cms).append(parts[0])
    ready = c.val("Ready")
    return {
        "path": path, "line": c.line, "origin": "describe", "namespace": ns, "pod": pod, "name": c.key or None,
        "init": init, "image": c.val("Image"),
        "ready": None if ready is None else ready == "True",
        "restart_count": _int(c.val("Restart Count"), f"pod {ns}/{pod} container {c.key} Restart Count"),
        "state": st.get("state"),
        "state_reason": st.get("reason"), "state_message": st.get("message"),
        "state_exit_code": st.get("exit_code"), "state_started": st.get("started"),
        "state_finished": st.get("finished"), "last_state": last.get("state"),
        "last_reason": last.get("reason"), "last_message": last.get("message"),
        "last_exit_code": last.get("exit_code"), "last_started": last.get("started"),
        "last_finished": last.get("finished"), "requests": to_json(requests),
        "limits": to_json(limits), **gpus, "env_names": to_json(env_names),
        "secret_refs": to_json(sorted(set(secrets))), "configmap_refs": to_json(sorted(set(cms))),
        "probes": None,
    }


# fields of a pod itself (not of one of its containers)
_POD_OWN = ("Namespace", "Status", "Reason", "Message", "Node", "IP", "Start Time", "QoS Class", "Controlled By",
            "Conditions", "Labels", "Annotations", "Containers", "Init Containers", "Events")


def pod_from_describe(lines: list[str], first_line: int, path: str) -> tuple[dict | None, list[dict], list[dict]]:
    """(pods row, containers rows, events rows) of one described pod. A pasted part of one without
    its ``Name:`` reads the same way: its pod has no name, a container block without its
    ``Containers:`` header is one container without a name, and a block of a container's fields
    alone gives no pods row."""
    t = tree(lines, first_line)
    ns, name = t.val("Namespace"), t.val("Name")
    node_val = t.val("Node")
    node_name = None if not node_val or node_val == "<none>" else node_val.split("/")[0]
    containers = []
    totals: dict[str, int | None] = {"gpu": None, "gpumem": None, "gpumem_percentage": None, "gpucores": None}
    sections = [(init, c) for init, section in ((True, "Init Containers"), (False, "Containers"))
                for c in (t.get(section).children if t.get(section) else []) if c.key]
    if not sections and any(t.get(k) for k in CONTAINER_FIELDS):
        # a pasted container block without its pod (it starts at State:): the fields are the
        # root's own, the container's name is not in the paste
        sections = [(False, Node("", "", first_line, -1, t.children))]
    for init, c in sections:
        row = _container(c, init, ns, name, path)
        if not init:
            for k in totals:
                if row[k] is not None:
                    totals[k] = min((totals[k] or 0) + row[k], 2**63 - 1)
        containers.append(row)
    conditions = _conditions(t.get("Conditions"))
    ready = next((c["status"] == "True" for c in conditions if c["type"] == "Ready"), None)
    controlled = (t.val("Controlled By") or "").partition("/")
    status = t.val("Status")
    pod = {
        "path": path, "line": first_line, "origin": "describe", "namespace": ns, "name": name, "uid": None,
        "phase": status.split()[0] if status else None, "reason": t.val("Reason"),
        "message": t.val("Message"), "node": node_name, "scheduler_name": None,
        "start_time": parse_time(t.val("Start Time")), "ready": ready,
        "conditions": to_json(conditions),
        "labels": to_json(_kv_map(t.get("Labels"), "=")),
        "annotations": to_json(_kv_map(t.get("Annotations"), ":")),
        "owner_kind": controlled[0] or None, "owner_name": controlled[2] or None,
        "qos_class": t.val("QoS Class"), **totals,
        "node_selector": None, "tolerations": None,
    }
    if name is None and not any(t.get(k) for k in _POD_OWN):
        pod = None  # a container's block alone says nothing of its pod
    return pod, containers, _events(t.get("Events"), path, ns, "Pod", name)


_DAYS_MONTHS = frozenset("Mon Tue Wed Thu Fri Sat Sun Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())


def node_from_describe(lines: list[str], first_line: int, path: str) -> tuple[dict, list[dict]]:
    """(nodes row, events rows) of one described node (a pasted part of one, from its Capacity or
    its Conditions, gives a node without a name)."""
    t = tree(lines, first_line)
    name = t.val("Name")
    labels = _kv_map(t.get("Labels"), "=")
    capacity, allocatable = _resources(t.get("Capacity")), _resources(t.get("Allocatable"))
    conditions = []
    cond = t.get("Conditions")
    for c in (cond.children if cond else []):
        parts = c.value.split()
        if len(parts) >= 2 and parts[1] in ("True", "False", "Unknown"):
            reason = next((p for p in parts[2:] if regex.match(r"^[A-Z][A-Za-z]+$", p) and p not in _DAYS_MONTHS), None)
            conditions.append({"type": parts[0], "status": parts[1], **({"reason": reason} if reason else {})})
    ready_c = next((c for c in conditions if c["type"] == "Ready"), None)
    allocated: dict[str, str] = {}
    alloc = t.get("Allocated resources")
    for c in (alloc.children if alloc else []):
        parts = c.value.split()
        if len(parts) >= 2 and parts[0] not in ("Resource", "--------") and not parts[0].startswith("("):
            allocated[parts[0]] = parts[1]
    info = t.get("System Info")
    taints = [v for v in _all_values(t.get("Taints")) if v != "<none>"]
    addresses = _kv_map(t.get("Addresses"), ":")
    unsched = t.val("Unschedulable")
    row = {
        "path": path, "line": first_line, "origin": "describe", "name": name,
        "ready": None if ready_c is None else ready_c["status"] == "True",
        "ready_reason": ready_c.get("reason") if ready_c else None,
        "unschedulable": unsched == "true", "conditions": to_json(conditions),
        "taints": to_json(taints), "labels": to_json(labels),
        "annotations": to_json(_kv_map(t.get("Annotations"), ":")),
        "capacity": to_json(capacity), "allocatable": to_json(allocatable),
        "allocated": to_json(allocated), "gpu_capacity": count(capacity.get(GPU), f"node {name} Capacity {GPU}"),
        "gpu_allocatable": count(allocatable.get(GPU), f"node {name} Allocatable {GPU}"),
        "gpu_allocated": count(allocated.get(GPU), f"node {name} Allocated resources {GPU}"),
        "gpu_product": labels.get(GPU_PRODUCT_LABEL),
        "kubelet_version": info.val("Kubelet Version") if info else None,
        "container_runtime": info.val("Container Runtime Version") if info else None,
        "kernel_version": info.val("Kernel Version") if info else None,
        "os_image": info.val("OS Image") if info else None,
        "internal_ip": addresses.get("InternalIP"),
    }
    return row, _events(t.get("Events"), path, None, "Node", name)


def events_section_lines(text: str) -> set[int]:
    """Line numbers inside Events sections (matched as events, not as raw describe lines)."""
    out: set[int] = set()
    inside = False
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("Events:"):
            inside = True
            out.add(n)
            continue
        if inside and line and not line[0].isspace():
            inside = False
        if inside:
            out.add(n)
    return out


_PANE_BORDER = regex.compile("^\u2502|\\s*\u2502\\s*$")


def may_hold_event_rows(raw: bytes) -> bool:
    """False when no line of ``raw`` (UTF-8 text) can be a row of ``loose_event_rows``: such a row
    is whitespace, then ``Normal`` or ``Warning``. A test on the bytes, so that a log with no
    pasted events is neither decoded nor split; it answers True on any doubt (a non-ASCII or
    control character before the word may be a space, a line break or a k9s border)."""
    for word in (b"Warning", b"Normal"):
        i = raw.find(word)
        while i >= 0:
            j = i - 1
            while j >= 0 and raw[j] in (0x20, 0x09):
                j -= 1
            if j < i - 1 and (j < 0 or raw[j] in (0x0A, 0x0D)):
                return True
            if j >= 0 and (raw[j] >= 0x80 or (raw[j] < 0x20 and raw[j] not in (0x0A, 0x0D))):
                return True
            i = raw.find(word, i + 1)
    return False


def loose_event_rows(text: str, path: str) -> list[dict]:
    """Rows of a describe Events table found anywhere in a pasted text (no header needed), also
    inside a k9s pane (its borders dropped); a message that goes on over the next indented rows
    (the terminal or the pane wrapped it) is read whole."""
    rows: list[dict] = []
    if "Normal" not in text and "Warning" not in text:
        return rows
    last = -1  # the line the last row (or its continuation) ended on
    for n, raw in enumerate(text.splitlines(), 1):
        line = _PANE_BORDER.sub("", raw) if "\u2502" in raw else raw
        if not line[:1].isspace():
            continue
        m = _EVENT_ROW.match(line) if ("Warning" in line[:20] or "Normal" in line[:20]) else None
        if m:
            rows.append({"path": path, "line": n, "origin": "text", "namespace": None,
                         "object_kind": None, "object_name": None, "field_path": None,
                         "type": m["type"], "reason": m["reason"], "message": m["msg"].strip(),
                         "count": (_int(m["count"]) or 1) if m["count"] else 1, "first_time": None,
                         "last_time": None, "component": m["from"].strip(), "host": None})
            last = n
        elif rows and last == n - 1 and line.strip() and not _EVENT_ROW_NOFROM.match(line):
            rows[-1]["message"] += " " + line.strip()
            last = n
    return rows
