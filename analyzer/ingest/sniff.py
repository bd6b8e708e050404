"""Tell what a text file is from its first bytes: the kind of a pasted file or a loose member.

Kinds: objects (Kubernetes JSON/YAML), events_table, describe_pod, describe_node, describe,
metrics (Prometheus text), text (any log), binary.
"""

from __future__ import annotations

import regex

_EVENTS_HEADER = regex.compile(r"^(?:NAMESPACE\s+)?LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+(?:SUBOBJECT\s+)?(?:SOURCE\s+)?MESSAGE", regex.M)
_OLD_EVENTS_HEADER = regex.compile(r"^(?:NAMESPACE\s+)?LASTSEEN\s+FIRSTSEEN\s+COUNT\s+NAME\s+KIND", regex.M)
_YAML_OBJECT = regex.compile(r"^(?:apiVersion|kind):\s*\S", regex.M)
_PROM_LINE = regex.compile(r"^(?:# (?:HELP|TYPE) [A-Za-z_:][\w:]* |[A-Za-z_:][\w:]*(?:\{[^}\n]*\})? [-+0-9.eE]+(?:Inf|NaN)?(?: \d+)?$)", regex.M)
_KV = regex.compile(r"^(Name|Namespace|Roles|Containers|Status|Node|Capacity|System Info|Conditions|Labels|Taints|Events|Kind|API Version):", regex.M)

# Fields of ``kubectl describe`` that tell a pasted part of one (no ``Name:`` header: the paste
# starts at a container's State, at the Capacity block, at the Conditions table) from a log:
# a describe line is "Key:" then a run of spaces or a tab (tabwriter columns), or "Key:" alone.
POD_FIELDS = frozenset({
    "Status", "Reason", "Message", "IP", "IPs", "Node", "Start Time", "QoS Class", "Controlled By", "Priority",
    "Priority Class Name", "Service Account", "Node-Selectors", "Tolerations", "Containers", "Init Containers",
    "Volumes", "Labels", "Annotations", "Namespace",
    # a container's block
    "State", "Last State", "Ready", "Restart Count", "Exit Code", "Started", "Finished", "Signal",
    "Container ID", "Image", "Image ID", "Port", "Host Port", "Limits", "Requests", "Environment", "Mounts",
    "Command", "Args", "Liveness", "Readiness", "Startup"})
NODE_FIELDS = frozenset({
    "Roles", "Capacity", "Allocatable", "System Info", "Taints", "Unschedulable", "Addresses", "Lease",
    "HolderIdentity", "Non-terminated Pods", "Allocated resources", "Kubelet Version", "Kube-Proxy Version",
    "Container Runtime Version", "Kernel Version", "OS Image", "Machine ID", "System UUID", "Boot ID",
    "Operating System", "Architecture", "PodCIDR", "PodCIDRs", "ProviderID", "CreationTimestamp"})
CONTAINER_FIELDS = frozenset({"State", "Last State", "Restart Count", "Exit Code", "Container ID", "Image ID"})
DESCRIBE_LINE = regex.compile(r"^(?P<ind>[ \t]*)(?P<key>[A-Z][A-Za-z]*(?:[ -][A-Za-z]+)*):(?:[ \t]{2,}\S|\t|[ \t]*$| \S)")
# a node's Conditions rows name node conditions
NODE_CONDITION = regex.compile(r"^[ \t]+(?:MemoryPressure|DiskPressure|PIDPressure|NetworkUnavailable|OutOfDisk)[ \t]+(?:True|False|Unknown)\b",
                               regex.M)


def is_binary(head: bytes) -> bool:
    """Mostly bytes that are neither UTF-8 text nor layout controls in the first block (an ELF,
    an image, zeros). A log with a few NUL bytes (a file truncated under its writer) is text."""
    if not head:
        return False
    text = head[:4096].decode("utf-8", errors="replace")
    bad = sum(1 for ch in text if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r\x1b\x0c"))
    return bad / len(text) > 0.15


def sniff_kind(head: bytes, name: str = "") -> str:
    """The member kind of a text file from its name and first bytes."""
    if is_binary(head):
        return "binary"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    stripped = text.lstrip()
    lname = name.lower()
    if stripped.startswith(("{", "[")):
        if lname.endswith((".json", ".yaml", ".yml")) or _looks_like_k8s_json(stripped):
            return "objects"
        return "text"  # JSON lines: a structured log
    if _YAML_OBJECT.search(text[:4096]) and not _looks_like_log(text):
        return "objects"
    if _EVENTS_HEADER.search(text[:2048]) or _OLD_EVENTS_HEADER.search(text[:2048]):
        return "events_table"
    keys = set(_KV.findall(text))
    if "Name" in keys and ({"Roles", "Capacity", "System Info"} & keys):
        return "describe_node"
    if "Name" in keys and "Namespace" in keys and ({"Containers", "Status", "Node"} & keys):
        return "describe_pod"
    if "Name" in keys and ("Events" in keys or "Namespace" in keys or "Kind" in keys):
        return "describe"
    fragment = describe_fragment(text)
    if fragment:
        return fragment
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if lines and sum(1 for ln in lines if _PROM_LINE.match(ln)) >= max(2, int(0.8 * len(lines))):
        return "metrics"
    return "text"


def describe_fragment(text: str) -> str | None:
    """``describe_pod`` or ``describe_node`` for a paste that is part of a ``kubectl describe``
    without its ``Name:`` header, told by its fields; None for anything else. Most of its lines
    must be describe lines (fields, their indented values, table rows), so that a log quoting
    "Reason: x" stays a log.

    >>> describe_fragment("    State:          Waiting\\n      Reason:       CrashLoopBackOff\\n"
    ...                   "    Last State:     Terminated\\n      Reason:       OOMKilled\\n")
    'describe_pod'
    >>> describe_fragment("Capacity:\\n cpu:                        16\\n memory:   107260540Ki\\n"
    ...                   "Allocatable:\\n cpu:                        15890m\\n")
    'describe_node'
    """
    lines = [ln for ln in text.splitlines()[:80] if ln.strip()]
    if not lines:
        return None
    keys = [m["key"] for m in map(DESCRIBE_LINE.match, lines) if m]
    node_rows = len(NODE_CONDITION.findall(text))
    node, pod = set(keys) & NODE_FIELDS, set(keys) & POD_FIELDS
    # describe's own lines: its fields and, under them, indented values and table rows
    shaped = sum(1 for ln in lines if DESCRIBE_LINE.match(ln) or ln[:1] in " \t")
    if shaped < 0.6 * len(lines):
        return None
    if len(node) >= 2 or (node and node_rows) or node_rows >= 2:
        return "describe_node"
    if len(pod) >= 2 and (pod & CONTAINER_FIELDS or {"Status", "Reason"} <= pod or len(pod) >= 3):
        return "describe_pod"
    return None


def _looks_like_k8s_json(text: str) -> bool:
    head = text[:4096]
    return '"apiVersion"' in head or '"kind"' in head or '"items"' in head


def _looks_like_log(text: str) -> bool:
    # a log that happens to print "kind: x" has many timestamped lines
    return len(regex.findall(r"^\S*\d{2}:\d{2}:\d{2}", text, regex.M)) > 3
