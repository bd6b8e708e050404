"""Secret detectors: loading `detectors.yaml`, finding secret spans in a text, running examples.

A detector finds *spans*: the part of a match that is the secret (`hf_...`, the value after
`PASSWORD=`), never its context, so a redacted line still says what was there::

    >>> text = "DB_PASSWORD=pg-Wq7x"
    >>> [text[s:e] for s, e in by_id()["SEC013"].spans(text)]
    ['pg-Wq7x']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import regex
import yaml

DETECTORS_FILE = Path(__file__).with_name("detectors.yaml")

# Values that stand for a secret without being one: kubectl's `<set to the key ...>`, shell and
# Kubernetes variable references, masks written by collectors, our own pseudonyms, booleans.
_PLACEHOLDER = regex.compile(
    r"(?i)<[^>]*>?|\$\(?\{?[A-Za-z_][A-Za-z0-9_]*\}?\)?|[*x.#-]*|\**\[?(?:redacted|hidden|masked|removed)\]?\**"
    r"|true|false|null|none|nil|not|unset|set|empty|missing|required|yes|no|bearer|basic|token"
)
_LABEL = regex.compile(r"[A-Z][A-Z0-9_]*")


def is_placeholder(value: str) -> bool:
    """A value that stands for a secret (or is only blanks around one of our pseudonyms)."""
    core = value.replace("\\n", "\n").replace("\\r", "\r").strip()
    return bool(_PLACEHOLDER.fullmatch(core))


class DetectorError(ValueError):
    """`detectors.yaml` is malformed (a bug in the package, not in the input)."""


@dataclass(frozen=True)
class Detector:
    """One secret (or pseudonym) detector, as declared in `detectors.yaml`."""

    id: str
    name: str
    label: str
    what: str
    hints: tuple[str, ...]
    prefilter: str
    regex_src: str | None = None
    block: str | None = None
    multiline: bool = False
    join_trigger: str | None = None
    option: str | None = None
    keep: str | None = None
    examples_match: tuple[tuple[str, tuple[str, ...]], ...] = ()
    examples_no_match: tuple[str, ...] = ()
    _rx: regex.Pattern[str] | None = field(default=None, compare=False, repr=False)
    _keep: regex.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of every secret value this detector finds in ``text``, in order."""
        if self.block == "secret_data":
            yield from _secret_data_spans(text)
            return
        assert self._rx is not None
        for m in self._rx.finditer(text):
            for name in _secret_groups(self._rx):
                for start, end in m.spans(name):
                    if start < end and not self.ignored(text[start:end]):
                        yield start, end

    def ignored(self, value: str) -> bool:
        """True for values that are placeholders, or that this detector is told to keep."""
        if is_placeholder(value):
            return True
        return bool(self._keep and self._keep.fullmatch(value))


@lru_cache(maxsize=64)
def _secret_groups(rx: regex.Pattern[str]) -> tuple[str, ...]:
    return tuple(n for n in rx.groupindex if n == "secret" or n.startswith("secret_"))


def _compile(entry: dict, section: str) -> Detector:
    try:
        det_id = entry["id"]
        label = entry["label"]
        if not _LABEL.fullmatch(label):
            raise DetectorError(f"{det_id}: label {label!r} must be UPPER_SNAKE")
        rx = regex.compile(entry["regex"]) if entry.get("regex") else None
        if rx is None and entry.get("block") != "secret_data":
            raise DetectorError(f"{det_id}: needs a regex or `block: secret_data`")
        if rx is not None and not _secret_groups(rx):
            raise DetectorError(f"{det_id}: regex has no group named `secret`")
        examples = entry.get("examples") or {}
        return Detector(
            id=det_id, name=entry["name"], label=label, what=entry["what"],
            hints=tuple(h.lower() for h in entry["hints"]), prefilter=entry["prefilter"],
            regex_src=entry.get("regex"), block=entry.get("block"),
            multiline=bool(entry.get("multiline")), join_trigger=entry.get("join_trigger"),
            option=entry.get("option") if section == "pseudonyms" else None,
            keep=entry.get("keep"),
            examples_match=tuple((e["text"], tuple(e.get("secrets") or ()))
                                 for e in examples.get("match") or ()),
            examples_no_match=tuple(examples.get("no_match") or ()),
            _rx=rx, _keep=regex.compile(entry["keep"]) if entry.get("keep") else None,
        )
    except (KeyError, TypeError, regex.error) as exc:
        raise DetectorError(f"{entry.get('id', '?')} in {section}: {exc}") from exc


@lru_cache(maxsize=1)
def load_detectors() -> tuple[tuple[Detector, ...], tuple[Detector, ...]]:
    """(secret detectors in priority order, optional pseudonym detectors) from the YAML file."""
    data = yaml.load(DETECTORS_FILE.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    secrets = tuple(_compile(e, "detectors") for e in data["detectors"])
    pseudo = tuple(_compile(e, "pseudonyms") for e in data.get("pseudonyms") or ())
    ids = [d.id for d in secrets + pseudo]
    if len(ids) != len(set(ids)):
        raise DetectorError("duplicate detector id in detectors.yaml")
    return secrets, pseudo


def by_id() -> dict[str, Detector]:
    """Every detector (secrets and pseudonyms) by id."""
    secrets, pseudo = load_detectors()
    return {d.id: d for d in secrets + pseudo}


def check_examples(det: Detector) -> list[str]:
    """Run a detector's examples; the list of failures (empty when all pass).

    A match example must yield exactly its listed secrets; a no_match example must yield none.
    Each example must also pass the detector's literal hints and its Rust prefilter, otherwise
    the vectorised path of `Redactor.frame` would miss what `Redactor.text` finds.
    """
    import polars as pl

    problems: list[str] = []
    for text, secrets in det.examples_match:
        found = [text[s:e] for s, e in det.spans(text)]
        if found != list(secrets):
            problems.append(f"{det.id}: expected {list(secrets)} in {text!r}, found {found}")
        lower = text.lower()
        if not any(h in lower for h in det.hints):
            problems.append(f"{det.id}: no hint {det.hints} in match example {text!r}")
        if not pl.Series([text]).str.contains(prefilter_regex(det)).item():
            problems.append(f"{det.id}: prefilter misses match example {text!r}")
        if det.join_trigger and "\n" in text:
            first = text.split("\n")
            if not any(pl.Series(first).str.contains(det.join_trigger).to_list()):
                problems.append(f"{det.id}: join_trigger matches no line of {text!r}")
    for text in det.examples_no_match:
        found = [text[s:e] for s, e in det.spans(text)]
        if found:
            problems.append(f"{det.id}: no_match example {text!r} yields {found}")
    return problems


def prefilter_regex(det: Detector) -> str:
    """The detector's prefilter as a case-insensitive Rust regex (for Polars)."""
    return f"(?i:{det.prefilter})"


# --- Secret objects' data ---------------------------------------------------------------------

_SECRET_KIND = regex.compile(r'kind\\?"?:\s*\\?"?Secret\b')
# YAML: a `data:` or `stringData:` key alone on its line, then the more-indented lines below it
_YAML_BLOCK = regex.compile(r"(?m)^(?P<ind>[ \t]*)(?:data|stringData):[ \t]*\r?$")
_YAML_ITEM = regex.compile(r"(?P<key>[^:\s][^:]*):[ \t]*(?P<value>.*?)[ \t\r]*$")
# JSON (also escaped JSON inside an annotation): "data": { "k": "v", ... }
_JSON_BLOCK = regex.compile(r'\\?"(?:data|stringData)\\?"\s*:\s*\{(?P<body>[^{}]*)\}')
_JSON_ITEM = regex.compile(r'\\?"[^"\\]+\\?"\s*:\s*\\?"(?P<value>(?:[^"\\]|\\(?!"))*)\\?"')


def _secret_data_spans(text: str) -> Iterator[tuple[int, int]]:
    """Values under `data`/`stringData` in texts that hold a Kubernetes Secret.

    Only texts with `kind: Secret` are searched (a ConfigMap's data is configuration the
    analyzer needs); in a text mixing Secrets and other kinds every data block is treated as
    secret, which errs on the safe side.
    """
    if not _SECRET_KIND.search(text):
        return
    spans: list[tuple[int, int]] = []
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
            if stripped.strip():
                if item_indent is None:
                    item_indent = width
                item = _YAML_ITEM.match(stripped) if width == item_indent else None
                if item is not None:
                    value = item.group("value")
                    if value and value not in ("|", ">", "|-", ">-", "|+", ">+"):
                        start = pos + width + item.start("value")
                        spans.append((start, start + len(value)))
                else:
                    # continuation of a block scalar: the whole line is secret
                    spans.append((pos + width, end))
            pos = end + 1
    for block in _JSON_BLOCK.finditer(text):
        base = block.start("body")
        for item in _JSON_ITEM.finditer(block.group("body")):
            if item.group("value"):
                spans.append((base + item.start("value"), base + item.end("value")))
    yield from sorted(s for s in spans if not is_placeholder(text[s[0]:s[1]]))
