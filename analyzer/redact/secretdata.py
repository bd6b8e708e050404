"""Values of Kubernetes Secrets in a text, found with a YAML/JSON parser (not a line regex).

A Secret can be written in any style a parser accepts: block YAML with the keys in any order,
quoted ``kind: "Secret"``, comments, flow style ``{kind: Secret, data: {token: ...}}``, JSON,
and escaped JSON inside another object (``last-applied-configuration``, a ConfigMap that holds
a manifest). The text is parsed with the safe loaders of `analyzer.parse.objects` (alias-bomb
guard included); every Secret's ``data``/``stringData`` values are collected, also from string
values that are manifests themselves; then the places where those values stand in the text are
found in one pass. A text that does not parse (a Secret pasted into a log) falls back to
per-line JSON and to a conservative pattern for ``data:`` blocks, which errs on the safe side::

    >>> text = 'kind:   "Secret"   # pasted\\ndata: {token: aGZfZXhhbXBsZQ==}\\n'
    >>> [text[s:e] for s, e in secret_data_spans(text)]
    ['aGZfZXhhbXBsZQ==']
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import regex

# `kind: Secret` in any quoting (YAML, JSON, escaped JSON, a `!!str` tag); a text without it
# holds no Secret and is not parsed
SECRET_KIND = regex.compile(r'''kind\\*["']?[ \t]*:[ \t]*(?:!!str[ \t]+)?\\*["']?Secret\b''')
PARSE_MAX_CHARS = 32 << 20   # larger texts are not parsed whole (per-line JSON and patterns)
MAX_NESTED = 4               # manifests inside strings inside manifests, this deep at most
MAX_WALK = 2_000_000         # nodes visited in one text's documents

# one `key: value` of YAML (block or flow) or JSON, also escaped JSON inside a string
_KV = regex.compile(
    r'''(?m)(?<![\w.-])\\*["']?(?P<k>[-\w.]+)\\*["']?[ \t]*:[ \t]*'''
    r'''(?:(?P<q>\\*")(?P<v1>(?:[^"\\\n]|\\[^"\n])*?)(?P=q)'''
    r'''|'(?P<v2>(?:[^'\n]|'')*)'(?!')'''
    r'''|(?P<v3>[^\s"'{}\[\],#&*!|>][^\n,}\]]*?)(?=[ \t]*(?:$|[,}\]"]|[ \t]\#|\\+[nrt"])))''')
_BLOCK_INDICATORS = ("|", ">", "|-", ">-", "|+", ">+")


def secret_data_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every Secret value in ``text``, sorted; empty when it holds no Secret.
    Placeholders among them (``<redacted>``, ``""``) are the caller's to drop."""
    if not SECRET_KIND.search(text):
        return []
    docs, parsed = _documents(text)
    values = _secret_values(docs)
    spans: set[tuple[int, int]] = set()
    missing = False
    if values:
        found, missing = _locate(text, values)
        spans |= found
    if not parsed or missing:
        # not (all) parsed or not all located: the patterns take what looks like Secret data
        spans |= set(_pattern_spans(text))
    return sorted(_disjoint(spans))


def _documents(text: str) -> tuple[list[Any], bool]:
    """Parsed documents of the whole text (parsed=True), else of the JSON on trigger lines."""
    from analyzer.parse.objects import ObjectsError, load_documents

    if len(text) <= PARSE_MAX_CHARS:
        try:
            return load_documents(text.encode("utf-8", "surrogatepass"), ""), True
        except (ObjectsError, RecursionError, MemoryError, UnicodeError):
            pass
    docs: list[Any] = []
    decoder = json.JSONDecoder()
    seen: set[int] = set()
    for m in SECRET_KIND.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1
        if start in seen:
            continue
        seen.add(start)
        brace = text.find("{", start, m.start())
        if brace < 0:
            continue
        try:
            docs.append(decoder.raw_decode(text, brace)[0])
        except (ValueError, RecursionError):
            continue
    return docs, False


def _secret_values(docs: list[Any]) -> list[tuple[str, str]]:
    """(key, value) of every Secret's data/stringData, also in manifests held in strings."""
    out: list[tuple[str, str]] = []
    stack: list[tuple[Any, int]] = [(d, 0) for d in docs]
    visited = 0
    while stack and visited < MAX_WALK:
        node, nested = stack.pop()
        visited += 1
        if isinstance(node, dict):
            if str(node.get("kind", "")).strip() == "Secret":
                for field in ("data", "stringData"):
                    block = node.get(field)
                    if isinstance(block, dict):
                        out.extend((str(k), _scalar(v)) for k, v in block.items()
                                   if v is not None and not isinstance(v, (dict, list)))
            stack.extend((v, nested) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, nested) for v in node)
        elif isinstance(node, str) and nested < MAX_NESTED and SECRET_KIND.search(node):
            docs_in, _ = _documents(node)
            stack.extend((d, nested + 1) for d in docs_in)
    return [(k, v) for k, v in out if v.strip()]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _encodings(value: str) -> set[str]:
    """How ``value`` can stand in a text: plain, JSON-escaped (once, twice), YAML single-quoted."""
    once = json.dumps(value)[1:-1]
    return {value, once, json.dumps(once)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
            value.replace("'", "''")}


def _locate(text: str, values: list[tuple[str, str]]) -> tuple[set[tuple[int, int]], bool]:
    """Spans of the values in ``text`` (one pass), and whether some value was not found."""
    single: dict[str, set[str]] = {}
    lines: set[str] = set()
    for key, value in values:
        if "\n" in value.strip():
            lines.update(ln.strip() for ln in value.splitlines() if ln.strip())
        for enc in _encodings(value.strip()):
            single.setdefault(enc, set()).add(key)
    spans: set[tuple[int, int]] = set()
    found: set[str] = set()
    # overlapped: a string value may hold a whole manifest whose own keys must be seen too
    for m in _KV.finditer(text, overlapped=True):
        name = next(n for n in ("v1", "v2", "v3") if m.group(n) is not None)
        raw = m.group(name).rstrip()
        keys = single.get(raw)
        # a value stands after its own key; a long one is taken wherever it stands
        if keys and (m.group("k") in keys or len(raw) >= 8):
            spans.add((m.start(name), m.start(name) + len(raw)))
            found.add(raw)
    if lines:
        pos = 0
        for line in text.split("\n"):
            core = line.strip()
            if core in lines and core not in _BLOCK_INDICATORS:
                lead = len(line) - len(line.lstrip())
                spans.add((pos + lead, pos + lead + len(core)))
                found.add(core)
            pos += len(line) + 1
    missing = any(not (_encodings(v.strip()) & found) and not (
        "\n" in v.strip() and all(ln.strip() in found for ln in v.splitlines() if ln.strip()))
        for _, v in values)
    return spans, missing


def _disjoint(spans: set[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Sorted spans with overlaps merged (a value found by two means is replaced once)."""
    cur: tuple[int, int] | None = None
    for s, e in sorted(spans):
        if cur and s < cur[1]:
            cur = (cur[0], max(cur[1], e))
            continue
        if cur:
            yield cur
        cur = (s, e)
    if cur:
        yield cur


# --- patterns, for texts that do not parse ------------------------------------------------------

# YAML: a `data:` or `stringData:` key alone on its line, then the more-indented lines below it
_YAML_BLOCK = regex.compile(r"(?m)^(?P<ind>[ \t]*)(?:data|stringData)[ \t]*:[ \t]*(?:#.*)?\r?$")
_YAML_ITEM = regex.compile(r"(?P<key>[^:\s][^:]*):[ \t]*(?P<value>.*?)[ \t\r]*$")
# JSON or flow YAML (also escaped JSON inside an annotation): data: { k: v, ... }
_FLOW_BLOCK = regex.compile(r'''\\*["']?(?:data|stringData)\\*["']?\s*:\s*\{(?P<body>[^{}]*)\}''')
_FLOW_ITEM = regex.compile(
    r'''\\*["']?[^"'\\:,{}\s]+\\*["']?\s*:\s*(?:\\*"(?P<v1>(?:[^"\\]|\\(?!"))*)\\*"|'(?P<v2>[^']*)'|(?P<v3>[^\s,}"'][^,}]*?))\s*(?=,|$)''')


def _pattern_spans(text: str) -> Iterator[tuple[int, int]]:
    """Values under every `data`/`stringData` block of a text that names a Secret."""
    for block in _YAML_BLOCK.finditer(text):
        indent = len(block.group("ind").expandtabs())
        pos = block.end() + 1
        item_indent = None
        while pos < len(text):
            nl = text.find("\n", pos)
            end = len(text) if nl < 0 else nl
            line = text[pos:end]
            stripped = line.lstrip(" \t")
            width = len(line) - len(stripped)
            if stripped.strip() and width <= indent:
                break
            if stripped.strip() and not stripped.startswith("#"):
                if item_indent is None:
                    item_indent = width
                item = _YAML_ITEM.match(stripped) if width == item_indent else None
                if item is not None:
                    value = item.group("value")
                    if value and value not in _BLOCK_INDICATORS:
                        start = pos + width + item.start("value")
                        yield start, start + len(value)
                else:
                    # continuation of a block scalar: the whole line is secret
                    yield pos + width, end
            pos = end + 1
    for block in _FLOW_BLOCK.finditer(text):
        base = block.start("body")
        for item in _FLOW_ITEM.finditer(block.group("body")):
            name = next((n for n in ("v1", "v2", "v3") if item.group(n)), None)
            if name:
                yield base + item.start(name), base + item.end(name)
