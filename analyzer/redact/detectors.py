"""Secret detectors: loading `detectors.yaml`, finding secret spans in a text, running examples.

A detector finds *spans*: the part of a match that is the secret (`hf_...`, the value after
`PASSWORD=`), never its context, so a redacted line still says what was there::

    >>> text = "DB_PASSWORD=pg-Wq7x"
    >>> [text[s:e] for s, e in by_id()["SEC013"].spans(text)]
    ['pg-Wq7x']

A token wrapped over lines (a terminal's width, a table cell) is found in pieces that make one
hit: every piece is replaced by the pseudonym of the whole token::

    >>> text = "| HF_TOKEN | hf_u8jzPde0IgxLd6GncfBA |\\n|          | epfJBd0Kh8oOOL         |"
    >>> [[text[s:e] for s, e in hit.spans] for hit in by_id()["SEC001"].hits(text)]
    [['hf_u8jzPde0IgxLd6GncfBA', 'epfJBd0Kh8oOOL']]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import regex
import yaml

from analyzer.redact.secretdata import secret_data_spans

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


# what may stand around a wrapped token's pieces: blanks and table borders (ASCII and box drawing)
_WRAP_BORDER = "[ \t|\u2502\u2503\u2551]"
MAX_WRAP_LINES = 6


@dataclass(frozen=True)
class Hit:
    """One secret: its pieces in the text (one, or several for a wrapped token) and its value."""

    spans: tuple[tuple[int, int], ...]
    value: str


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
    wrap: dict[str, str] | None = field(default=None, compare=False)
    examples_match: tuple[tuple[str, tuple[str, ...]], ...] = ()
    examples_no_match: tuple[str, ...] = ()
    _rx: regex.Pattern[str] | None = field(default=None, compare=False, repr=False)
    _keep: regex.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of every secret value (every piece of a wrapped one) in ``text``."""
        for hit in self.hits(text):
            yield from hit.spans

    def hits(self, text: str) -> Iterator[Hit]:
        """Every secret this detector finds in ``text``, in order of its first piece."""
        if self.block == "secret_data":
            for start, end in secret_data_spans(text):
                if not is_placeholder(text[start:end]):
                    yield Hit(((start, end),), text[start:end])
            return
        assert self._rx is not None
        found: list[Hit] = []
        for m in self._rx.finditer(text):
            for name in _secret_groups(self._rx):
                for start, end in m.spans(name):
                    if start < end and not self.ignored(text[start:end]):
                        found.append(Hit(((start, end),), text[start:end]))
        if self.wrap and ("\n" in text or "\\n" in text):
            # a line-end head that is long enough on its own is still the start of the whole
            wrapped = list(_wrapped(self.wrap, text))
            heads = {h.spans[0] for h in wrapped}
            found = sorted([h for h in found if h.spans[0] not in heads] + wrapped,
                           key=lambda h: h.spans[0])
        yield from found

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
            keep=entry.get("keep"), wrap=_wrap_spec(entry.get("wrap"), det_id),
            examples_match=tuple((e["text"], tuple(e.get("secrets") or ()))
                                 for e in examples.get("match") or ()),
            examples_no_match=tuple(examples.get("no_match") or ()),
            _rx=rx, _keep=regex.compile(entry["keep"]) if entry.get("keep") else None,
        )
    except (KeyError, TypeError, regex.error) as exc:
        raise DetectorError(f"{entry.get('id', '?')} in {section}: {exc}") from exc


def _wrap_spec(spec: Any, det_id: str) -> dict[str, str] | None:
    """`wrap: {head, piece, whole}` checked and compiled once (see `_wrapped`)."""
    if spec is None:
        return None
    if not isinstance(spec, dict) or set(spec) != {"head", "piece", "whole"}:
        raise DetectorError(f"{det_id}: wrap needs exactly head, piece and whole")
    for key in ("head", "piece", "whole"):
        regex.compile(spec[key])
    return dict(spec)


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern)


def _wrap_rx(head: str) -> regex.Pattern[str]:
    # a head that ends its line (a real line break, or an escaped one inside a JSON string),
    # give or take blanks and a table border
    return _compiled(rf"(?m)(?P<head>{head}){_WRAP_BORDER}*(?:\r?$|(?=(?:\\r)?\\n))")


_BREAK = regex.compile(r"\r?\n|(?:\\r)?\\n")


def _wrapped(spec: dict[str, str], text: str) -> Iterator[Hit]:
    """Tokens cut by a line end: the head ends a line, the pieces start the next lines (at the
    head's column in a table cell, else after the indent), until they make a whole token.

    Only a piece sequence that makes exactly a ``whole`` token counts, so the first word of the
    next line is never taken for the rest of a token that was complete already. Escaped line
    breaks (``\\n`` in a JSON string) count as line breaks.
    """
    piece_rx = _compiled(spec["piece"])
    whole_rx = _compiled(spec["whole"])
    border = _compiled(f"{_WRAP_BORDER}*")
    for m in _wrap_rx(spec["head"]).finditer(text):
        before = text[max(0, m.start("head") - 4096): m.start("head")]
        last = None
        for last in _BREAK.finditer(before):
            pass
        column = len(before) - (last.end() if last else 0)
        spans = [m.span("head")]
        joined = m.group("head")
        brk = _BREAK.search(text, m.end("head"))
        for _ in range(MAX_WRAP_LINES):
            if brk is None:
                break
            start = brk.end()
            brk = _BREAK.search(text, start)
            line = text[start: len(text) if brk is None else brk.start()]
            # a table cell continues at the head's column; a wrapped terminal line at its indent
            at = column if border.fullmatch(line[:column]) else border.match(line).end()
            piece = piece_rx.match(line, at)
            if piece is None or piece.end() == at:
                break
            spans.append((start + at, start + piece.end()))
            joined += piece.group()
            if whole_rx.fullmatch(joined):
                yield Hit(tuple(spans), joined)
                break
            if not border.fullmatch(line, piece.end()):
                break  # the token ended inside this line, short of a whole one


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
            lines = text.split("\n")
            # table rows are read one by one unless a line of the file is a join trigger: then
            # each secret must be found in its own line
            per_line = [text_line[s:e] for text_line in lines for s, e in det.spans(text_line)]
            if not any(pl.Series(lines).str.contains(det.join_trigger).to_list()) and per_line != list(secrets):
                problems.append(f"{det.id}: join_trigger matches no line of {text!r}")
    for text in det.examples_no_match:
        found = [text[s:e] for s, e in det.spans(text)]
        if found:
            problems.append(f"{det.id}: no_match example {text!r} yields {found}")
    return problems


def prefilter_regex(det: Detector) -> str:
    """The detector's prefilter as a case-insensitive Rust regex (for Polars)."""
    return f"(?i:{det.prefilter})"
