"""Type-checked reads of the fields of untrusted documents (objects, our manifest, fault-tolerance
files): a field of the wrong type reads as absent, never as an exception further on, and is noted
like a value out of range (``analyzer.parse.quantity.value_problems``, "could not read").

A number where a list is expected, a list of labels where a mapping is expected, a mapping where
a name is expected: each is what a hand-edited or hostile file holds, never what the API writes.

>>> labels_of(["app=vllm"]), list_of(3), text(123), text({"a": 1}), dict_of("x")
({}, [], '123', None, {})
>>> dig({"spec": {"template": "x"}}, "spec", "template", "spec", "containers", default=[])
[]
"""

from __future__ import annotations

from typing import Any

from analyzer.parse.quantity import note_value

CONDITION_KEYS = ("type", "status", "reason", "message")
# the times of a condition, kept when asked (the state model reads when Ready changed)
CONDITION_TIMES = ("lastTransitionTime", "lastHeartbeatTime", "lastProbeTime")


def dict_of(value: Any, field: str | None = None) -> dict:
    """``value`` when it is a mapping; {} when absent or of another type (noted)."""
    if isinstance(value, dict):
        return value
    if value is not None:
        note_value(field, value, "is not a mapping")
    return {}


def list_of(value: Any, field: str | None = None) -> list:
    """``value`` when it is a list; [] when absent or of another type (noted)."""
    if isinstance(value, list):
        return value
    if value is not None:
        note_value(field, value, "is not a list")
    return []


def text(value: Any, field: str | None = None) -> str | None:
    """A string field: a string as it is, a number or a bool as YAML would print it (an unquoted
    ``name: 0123`` is a number to a YAML reader); None when absent or a mapping/list (noted)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        try:
            return str(value)
        except ValueError:  # an integer past Python's 4300-digit conversion limit
            note_value(field, "<integer>", "is not a string")
            return None
    note_value(field, value, "is not a string")
    return None


def labels_of(value: Any, field: str | None = None) -> dict[str, str]:
    """A string-to-string map (labels, annotations, a node selector): scalar values as text,
    nested values dropped; {} for anything but a mapping (noted)."""
    out: dict[str, str] = {}
    for k, v in dict_of(value, field).items():
        t = text(v, f"{field}.{k}" if field else None)
        if t is not None:
            out[str(k)] = t
    return out


def conditions_of(value: Any, field: str | None = None, times: bool = False) -> list[dict[str, str]]:
    """Status conditions as ``{type, status, reason, message}`` of text, with their times too
    when ``times`` (entries that are not mappings dropped)."""
    keys = CONDITION_KEYS + CONDITION_TIMES if times else CONDITION_KEYS
    out = []
    for c in list_of(value, field):
        if isinstance(c, dict):
            row = {k: text(c.get(k)) for k in keys}
            out.append({k: v for k, v in row.items() if v is not None})
    return out


def dig(obj: Any, *path: str, default: Any = None) -> Any:
    """The value at ``path`` through nested mappings: ``default`` when a step is not a mapping or
    the value is absent, or (for a mapping, list or string ``default``) of another type than it.
    For the checks that read an object's body as it was written.

    >>> dig({"metadata": {"labels": ["a"]}}, "metadata", "labels", default={}), dig({"a": 1}, "a")
    ({}, 1)
    """
    value = obj
    for key in path:
        if not isinstance(value, dict):
            return default
        value = value.get(key)
    if value is None:
        return default
    if isinstance(default, (dict, list, str)) and not isinstance(value, type(default)):
        return default
    return value


def name_of(obj: Any, key: str = "name") -> str | None:
    """``metadata.<key>`` of an object as text (None when absent or not a scalar)."""
    return text(dig(obj, "metadata", key))


META_TEXT = ("name", "namespace", "uid", "generateName", "resourceVersion", "creationTimestamp", "deletionTimestamp")


def conform(obj: dict) -> dict:
    """An object whose top-level fields have the API's types: ``kind``/``apiVersion`` text,
    ``metadata`` a mapping (its names text, ``labels``/``annotations`` string maps,
    ``ownerReferences`` mappings), ``spec``/``status`` mappings; a field of another type is left
    out (noted). Deeper fields stay as written (read them with ``dig``)."""
    out = dict(obj)
    for key in ("kind", "apiVersion"):
        if key in out:
            value = text(out[key], key)
            if value is None:
                del out[key]
            else:
                out[key] = value
    meta = dict(dict_of(obj.get("metadata"), f"{out.get('kind')} metadata"))
    where = f"{out.get('kind')} {text(meta.get('name'))} metadata"
    for key in META_TEXT:
        if key in meta:
            value = text(meta[key], f"{where}.{key}")
            if value is None:
                del meta[key]
            else:
                meta[key] = value
    for key in ("labels", "annotations"):
        if key in meta:
            meta[key] = labels_of(meta[key], f"{where}.{key}")
    if "ownerReferences" in meta:
        meta["ownerReferences"] = [o for o in list_of(meta["ownerReferences"], f"{where}.ownerReferences")
                                   if isinstance(o, dict)]
    if "metadata" in obj or meta:
        out["metadata"] = meta
    for key in ("spec", "status"):
        if key in out and not isinstance(out[key], dict):
            note_value(f"{out.get('kind')} {meta.get('name')} {key}", out[key], "is not a mapping")
            del out[key]
    return out
