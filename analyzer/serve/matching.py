"""Label and field selectors, as the API server evaluates them on list requests.

>>> pod = {"metadata": {"name": "w-0", "labels": {"app": "hami-scheduler"}}, "spec": {"nodeName": "gpu-1"},
...        "status": {"phase": "Running"}}
>>> matches_labels(pod, "app=hami-scheduler"), matches_labels(pod, "app in (a,b)"), matches_labels(pod, "!tier")
(True, False, True)
>>> matches_fields(pod, "spec.nodeName=gpu-1,status.phase!=Failed,status.phase!=Succeeded")
True
"""

from __future__ import annotations

import re
from typing import Any

_SET_TERM = re.compile(r"^\s*(?P<key>[^\s!=,()]+)\s+(?P<op>in|notin)\s*\((?P<values>[^)]*)\)\s*$")
_EQ_TERM = re.compile(r"^\s*(?P<key>[^\s!=<>]+)\s*(?P<op>==|=|!=)\s*(?P<value>[^\s]*)\s*$")


def _split(selector: str) -> list[str]:
    """Terms separated by commas outside parentheses."""
    terms, depth, cur = [], 0, []
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    terms.append("".join(cur))
    return [t.strip() for t in terms if t.strip()]


def matches_labels(obj: dict[str, Any], selector: str) -> bool:
    """Whether ``obj``'s labels satisfy a label selector (``=``, ``!=``, ``in``, ``notin``, exists)."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for term in _split(selector):
        m = _SET_TERM.match(term)
        if m:
            values = {v.strip() for v in m["values"].split(",") if v.strip()}
            present = m["key"] in labels and str(labels[m["key"]]) in values
            if present != (m["op"] == "in"):
                return False
            continue
        m = _EQ_TERM.match(term)
        if m:
            equal = m["key"] in labels and str(labels[m["key"]]) == m["value"]
            if equal != (m["op"] != "!="):
                return False
            continue
        if term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


def field_value(obj: dict[str, Any], path: str) -> str:
    """The value of a dotted field path, as the string a field selector compares with."""
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    return "" if cur is None else str(cur)


def matches_fields(obj: dict[str, Any], selector: str, ignore: frozenset[str] = frozenset()) -> bool:
    """Whether ``obj`` satisfies a field selector; terms on the ``ignore`` paths are left to the caller."""
    for term in _split(selector):
        m = _EQ_TERM.match(term)
        if not m or m["key"] in ignore:
            continue
        equal = field_value(obj, m["key"]) == m["value"]
        if equal != (m["op"] != "!="):
            return False
    return True
