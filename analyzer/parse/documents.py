"""JSON and YAML of untrusted files: the one loader, bounded.

Every document read from a bundle (object files, the ConfigMap values checks read, fault-
tolerance JSON lines, HAMi's JSON annotations) is loaded here, so that each gets the same bounds:

- nesting: at most ``MAX_DEPTH`` levels of mappings and lists (Kubernetes objects, CRD schemas
  included, stay far below; a document 100,000 levels deep is refused instead of exhausting the
  stack of every walker after it);
- YAML aliases: a document whose aliases would expand past ``MAX_EXPANDED`` nodes is refused
  (the "billion laughs");
- numbers: a JSON number that no float holds (``1e999``) and the non-standard ``NaN`` and
  ``Infinity`` are kept as the text they were written as, so that the quantity parser caps them
  with a note naming the field and no output carries a JSON number that is not JSON;
- text: an escaped lone surrogate (``"\\ud800"``, no character of its own) reads as U+FFFD, as
  Go's decoder (the API server's) reads it, so that every string can be written as UTF-8.

Whatever goes wrong is a ``DocumentError`` with a one-line message.

>>> load_json('{"a": [1, 1e999, NaN]}')
{'a': [1, '1e999', 'NaN']}
>>> load_json("[" * 300 + "]" * 300)
Traceback (most recent call last):
...
analyzer.parse.documents.DocumentError: JSON nested deeper than 200 levels
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import yaml

from analyzer.parse.yaml_docs import read_yaml, yaml11_flags

MAX_DEPTH = 200            # levels of mappings/lists in one document
MAX_EXPANDED = 5_000_000   # nodes of a document with its YAML aliases copied out


_SURROGATE_ESCAPE = re.compile(r"\\[uU]0{0,4}[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class DocumentError(ValueError):
    """The text is not a JSON/YAML document we read (syntax, nesting, alias bomb)."""


def _number(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else text


def load_json(text: str | bytes) -> Any:
    """One JSON value, bounded (see the module docstring); DocumentError otherwise."""
    if isinstance(text, bytes):
        # as Go's decoder: invalid UTF-8 (an encoded surrogate included) reads as U+FFFD, where
        # json.loads would decode bytes with "surrogatepass" and keep lone surrogates
        text = text.decode(json.detect_encoding(text), "replace")
    try:
        value = json.loads(text, parse_float=_number, parse_constant=str)
    except RecursionError:
        raise DocumentError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, an integer of more than 4300 digits, bad UTF-8
        raise DocumentError(f"invalid JSON: {str(exc).splitlines()[0][:200]}") from None
    if _may_nest(text) and nested_too_deep(value):
        raise DocumentError(f"JSON nested deeper than {MAX_DEPTH} levels")
    return _whole_characters(value, text)


def load_yaml(text: str, yaml11: bool | None = None) -> list[Any]:
    """The non-empty documents of a YAML text, bounded (see the module docstring). Read by
    ``analyzer.parse.yaml_docs.read_yaml`` (the fast reader where it agrees with PyYAML);
    ``yaml11``: the text's ``yaml11_flags`` when already worked out."""
    flagged = yaml11 if yaml11 is not None else yaml11_flags([text])[0]
    try:
        docs, fast = _read_yaml(text, flagged)
    except yaml.YAMLError as exc:
        if _REDACTED not in text:
            raise DocumentError(f"invalid YAML: {str(exc).splitlines()[0][:200]}") from None
        try:
            # troubleshoot's redaction marker as a plain value reads as an alias: quote it, and
            # only then
            docs, fast = _read_yaml(quote_redaction_markers(text))
            flagged = True
        except yaml.YAMLError:
            raise DocumentError(f"invalid YAML: {str(exc).splitlines()[0][:200]}") from None
    if "&" in text and "*" in text and _expanded_size(docs, MAX_EXPANDED) > MAX_EXPANDED:
        raise DocumentError("YAML aliases expand past the limit, refused (possible alias bomb)")
    # the fast reader refuses a document nested deeper than MAX_DEPTH itself (the depth it sees
    # is the document's where no anchor shares a node), and reads no float that is not finite
    # from a text that ``yaml11_flags`` does not flag: only the others are walked
    if (not fast or "&" in text) and nested_too_deep(docs, MAX_DEPTH + 1):
        raise DocumentError(f"YAML nested deeper than {MAX_DEPTH} levels")
    if not fast or flagged:
        docs = [_finite(d) for d in docs]
    return [_whole_characters(d, text) for d in docs]


def _read_yaml(text: str, yaml11: bool | None = None) -> tuple[list[Any], bool]:
    try:
        return read_yaml(text, yaml11, MAX_DEPTH)
    except RecursionError:
        raise DocumentError(f"YAML nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # an integer past Python's 4300-digit conversion limit
        raise DocumentError(f"invalid YAML: {str(exc).splitlines()[0][:200]}") from None


# troubleshoot's redaction marker (pkg/redact: MASK_TEXT)
_REDACTED = "***HIDDEN***"
# the marker opening a plain scalar: after "key: " or a list item's "- ", to the end of the line
_REDACTED_PLAIN = re.compile(r"(?m)((?:^[ \t]*(?:-[ \t]+)+|:[ \t]+))(\*\*\*HIDDEN\*\*\*[^\n]*?)([ \t]*)$")


def quote_redaction_markers(text: str) -> str:
    r"""YAML text with each plain value that opens with ``***HIDDEN***`` single-quoted.

    >>> quote_redaction_markers("ip: ***HIDDEN***\n- ***HIDDEN***:10000\nok: 'x'\n")
    "ip: '***HIDDEN***'\n- '***HIDDEN***:10000'\nok: 'x'\n"
    """
    return _REDACTED_PLAIN.sub(lambda m: m[1] + "'" + m[2].replace("'", "''") + "'" + m[3], text)


def load_documents(data: bytes | str, name: str, yaml11: bool | None = None) -> list[Any]:
    """JSON (preferred) or YAML documents of one file (its bytes, or its text decoded as here);
    DocumentError when it is neither, or when it is out of bounds. ``yaml11``: see ``load_yaml``."""
    text = (data if isinstance(data, str) else data.decode("utf-8", errors="replace")).lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return [load_json(stripped)]
        except DocumentError as exc:
            if name.endswith(".json") or "nested" in str(exc):
                raise
    return load_yaml(text, yaml11)


def _may_nest(text: str | bytes) -> bool:
    """Whether the text has enough opening brackets to nest past the limit (cheap, exact no)."""
    if isinstance(text, bytes):
        return text.count(b"[") + text.count(b"{") > MAX_DEPTH
    return text.count("[") + text.count("{") > MAX_DEPTH


def nested_too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests mappings/lists deeper than ``limit`` levels (walked without
    recursion; a node shared by YAML aliases is walked once per depth reached).

    >>> nested_too_deep({"a": [[{}]]}, 3), nested_too_deep({"a": [[{}]]}, 4)
    (True, False)
    """
    stack = [(value, 1)]
    seen: dict[int, int] = {}
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if type(node) is dict else node if type(node) is list else ()
        for child in children:
            if type(child) is dict or type(child) is list:
                if seen.get(id(child), 0) >= depth + 1:
                    continue
                seen[id(child)] = depth + 1
                stack.append((child, depth + 1))
    return False


def _finite(value: Any) -> Any:
    """``value`` with YAML's ``.inf``/``.nan`` floats as the text YAML writes them (the same rule
    as JSON numbers no float holds). Containers are rebuilt only where such a float stands."""
    if isinstance(value, float):
        return value if math.isfinite(value) else (".nan" if math.isnan(value) else
                                                   (".inf" if value > 0 else "-.inf"))
    return value if not _has_nonfinite(value) else _replace_nonfinite(value)


def _has_nonfinite(value: Any) -> bool:
    stack, seen = [value], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for child in node.values() if isinstance(node, dict) else node if isinstance(node, list) else ():
            if isinstance(child, float) and not math.isfinite(child):
                return True
            if isinstance(child, (dict, list)):
                stack.append(child)
    return False


def _replace_nonfinite(value: Any, depth: int = 0) -> Any:
    # depth is bounded by MAX_DEPTH (checked before), so recursion is safe here
    if isinstance(value, dict):
        return {k: _replace_nonfinite(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_nonfinite(v, depth + 1) for v in value]
    return _finite(value) if isinstance(value, float) else value


def _whole_characters(value: Any, text: str | bytes) -> Any:
    """``value`` with lone surrogates (only an escape in ``text`` can make one) as U+FFFD."""
    probe = text if isinstance(text, str) else text.decode("latin-1")
    if not _SURROGATE_ESCAPE.search(probe):
        return value
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_whole_characters(k, text): _whole_characters(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_characters(v, text) for v in value]
    return value


def _expanded_size(value: Any, limit: int) -> int:
    """Nodes the value would have with every alias copied out (shared nodes counted each time).

    PyYAML keeps an alias as a shared reference, cheap in memory; walking it (to JSON, to rows)
    copies it out. Counted with memoisation, so the count itself stays cheap.
    """
    memo: dict[int, int] = {}

    def size(v: Any, depth: int = 0) -> int:
        if not isinstance(v, (dict, list)):
            return 1
        key = id(v)
        if key in memo:
            return memo[key]
        if depth > MAX_DEPTH:
            return limit + 1
        items = v.values() if isinstance(v, dict) else v
        total = 1
        for item in items:
            total += size(item, depth + 1)
            if total > limit:
                break
        memo[key] = total
        return total

    return size(value)
