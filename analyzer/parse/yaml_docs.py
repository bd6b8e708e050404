"""YAML text -> documents, as PyYAML's safe loader reads them (YAML 1.1, as kubectl's go-yaml).

PyYAML's C loader parses in C but builds every Python object in Python (the constructor and the
resolver): on a YAML-heavy must-gather that was more than half of ``analyze``. fastyaml-rs
(Rust) builds the objects natively, with its own bounds on nesting depth, alias expansion and
documents, and never constructs a tag. It reads YAML 1.2's core schema, which types a few plain
(unquoted) scalars otherwise than YAML 1.1 (``yes``/``on``/``off``, ``012``, ``1_000``,
``1e3``, ``-.5``, dates) and keeps tags' values as plain ones. Collectors' YAML quotes every
such string (Go's marshallers do), so the texts without one take the fast reader; the others,
and anything it refuses, are read by PyYAML, whose values, errors and limits are the reference.

The regex that tells those texts (``yaml11_flags``) sees the raw text, not where a scalar
starts: a word inside a multi-line string or a shell script in a ConfigMap flags its text too
(on the published must-gathers, 14% of the YAML bytes, most of PyYAML's share). A flagged text
is looked at again through PyYAML's own parser (C, events only, no Python objects built): the
fast reader takes it when PyYAML's parser accepts it and it holds no tag and no plain scalar
that YAML 1.1 types otherwise (``reads_alike``).
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl
import yaml

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader
try:
    import fast_yaml
except ImportError:  # pragma: no cover - a declared dependency; PyYAML alone still reads everything
    fast_yaml = None

# texts the fast reader takes (its own input cap is 100 MB)
FAST_YAML_MAX = 64 << 20

# What the fast reader would read otherwise than PyYAML: a tag; a plain scalar that YAML 1.1
# types otherwise than YAML 1.2's core schema (or that PyYAML refuses), where a node starts:
# after "key: ", "- ", "? ", "--- " or in a flow, or as a key or a whole line; an empty key; a
# colon that PyYAML's flow rules refuse (":x" or "x:" right inside a flow). Words inside a
# multi-line string or a block scalar are not node starts; a stray match there (a shell
# script's "[[ !", or a quoted string that spans lines) only costs speed.
_PLAIN_11 = (r"(?:[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF"           # 1.1 booleans
             r"|=|<<"                                                # 1.1's value key (PyYAML refuses it), a merge key
             r"|[-+]?0[0-9][0-9_]*"                                  # a leading zero: 1.1 octal or a string, 1.2 decimal
             r"|[-+]?0(?:[0-7_]+|b[01_]+|o[0-7]+)"                   # 1.1 octal and binary, 1.2 octal
             r"|[-+]?0X[0-9a-fA-F_]*"                                # a 1.1 string, the fast reader's hex number
             r"|[-+]?\.?[0-9][0-9a-fA-FxXoObB_.]*_[0-9a-fA-F_.]*"    # digits with underscores
             r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"    # sexagesimal
             r"|[-+]?(?:[0-9][0-9_.]*|\.[0-9][0-9_]*)[eE][-+]?[0-9]+"  # exponents
             r"|[-+]\.[0-9][0-9_]*"                                      # a signed float without a leading digit
             r"|[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt ][^\n,\]}#]*)?)")  # dates and timestamps
_TAG = r"!"
# anywhere in a text, what the fast reader may read as a float that is not finite: YAML 1.2's
# .inf and .nan, a number of more digits than a float holds (an exponent is in _PLAIN_11);
# texts without one need no walk to find such floats (``analyzer.parse.documents``)
_NOT_FINITE = r"\.(?:inf|Inf|INF|nan|NaN|NAN)|[0-9]{300}"
_END = r"[ \t]*(?:[,\]}:]|[ \t]#|$)"
_NODE_START = r"(?::[ \t]+|(?:^|[ \t])[?-][ \t]+|^---[ \t]+|(?:^|[ \t:\[{,])[\[{][ \t]*|,[ \t]*)"
_LINE_START = r"^[ \t]*(?:[?-][ \t]+)*"
# a node that starts on the next line: after a line ending in a flow opener or comma, a key's
# colon, a lone "-" or "?", an anchor, or "---", comment and blank lines between; or the text's
# first document (a scalar anywhere else at a line start is inside a multi-line string or a
# block scalar, and is not typed)
_NEXT_LINE = (r"(?:(?:\A|[\[{,:?-]|&[^\s,\[\]{}]+|^---)[ \t]*(?:#[^\n]*)?\r?\n|\A)"
              r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*")
# (?R): CRLF mode, so that "$" also stands before the "\r" of a Windows line end
_YAML11_ONLY = (r"(?mR)(?:" + _NODE_START + r"(?:" + _TAG + r"|" + _PLAIN_11 + _END + r")"
                r"|" + _LINE_START + r"(?:" + _TAG + r"|" + _PLAIN_11 + r"[ \t]*:(?:[ \t]|$)|:)"
                r"|" + _NEXT_LINE + r"(?:" + _PLAIN_11 + _END + r")"
                r"|[\[{,][ \t]*:|:[,\]}]|:[ \t]+:[^\s]"
                r"|" + _NOT_FINITE + r")")


def yaml11_flags(texts: list[str]) -> list[bool]:
    """For each text, whether it holds a tag, a plain scalar that YAML 1.1 and 1.2 type
    differently, or a colon PyYAML refuses where the fast reader would not (then the fast reader
    reads it only if ``reads_alike`` says so, else PyYAML does), or anything a float that is not
    finite is read from. One pass of Rust's regex over all of them, so callers pass many texts
    at once (``ObjectFiles``).

    >>> yaml11_flags(["a: 'yes'\\nb: \\"2021-08-03\\"\\n", "enabled: yes\\n", "port: 0644\\n", "x: !!binary aGk=\\n"])
    [False, True, True, True]
    """
    if not texts:
        return []
    return pl.Series(texts, dtype=pl.String).str.contains(_YAML11_ONLY).to_list()


# a plain scalar's whole value that YAML 1.1 types otherwise than the fast reader
_PLAIN_11_VALUE = re.compile(_PLAIN_11)


def reads_alike(text: str) -> bool:
    """Whether the fast reader reads ``text`` as PyYAML does, told from PyYAML's own parser's
    events: PyYAML's parser accepts it, and it holds no tag and no plain scalar that YAML 1.1
    types otherwise (what ``yaml11_flags`` looks for, here at each scalar it is about).

    >>> reads_alike('a: "x\\n  : yes"\nb: |\n  [[ ! -f x ]]\n'), reads_alike("a: 'x'\nb: yes\n")
    (True, False)
    >>> reads_alike("a: !!str 3\n"), reads_alike("a: [b:]\n")
    (False, False)
    """
    # the parser's events pulled straight from the parser (``yaml.parse`` wraps each in a
    # Python generator step); each plain value looked at once
    loader = _Loader(text)
    plain: set[str] = set()
    try:
        for event in iter(loader.get_event, None):
            kind = type(event)
            if kind is _SCALAR:
                if event.tag is not None:
                    return False
                if event.implicit[0]:
                    plain.add(event.value)
            elif kind in _COLLECTION_STARTS and event.tag is not None:
                return False
    except yaml.YAMLError:
        return False
    finally:
        loader.dispose()
    return not any(map(_PLAIN_11_VALUE.fullmatch, plain))


# the events that carry a tag
_SCALAR = yaml.ScalarEvent
_COLLECTION_STARTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)


def load_yaml(text: str, yaml11: bool | None = None) -> list[Any]:
    """The non-empty documents of a YAML text. ``yaml11``: the text's ``yaml11_flags`` when
    already worked out. Raises ``yaml.YAMLError`` (a tag's constructor refusing its value
    included) and ``RecursionError`` as PyYAML does."""
    return read_yaml(text, yaml11)[0]


def read_yaml(text: str, yaml11: bool | None = None, max_depth: int | None = None) -> tuple[list[Any], bool]:
    """``load_yaml``, and whether the fast reader read the text. ``max_depth``: the fast reader
    refuses a document nested deeper (then PyYAML reads it, and its caller judges the depth)."""
    if fast_yaml is not None and len(text) <= FAST_YAML_MAX:
        if yaml11 is None:
            yaml11 = yaml11_flags([text])[0]
        if not yaml11 or reads_alike(text):
            try:
                return [d for d in fast_yaml.safe_load_all(text, max_depth=max_depth) if d is not None], True
            except Exception:  # noqa: BLE001 - whatever the fast reader refuses, PyYAML decides
                pass
    try:
        return [d for d in yaml.load_all(text, Loader=_Loader) if d is not None], False
    except (ValueError, TypeError, OverflowError, LookupError) as exc:
        # a tag's constructor on a value it cannot take (``!!int x``, ``!!int ""``): bad YAML
        raise yaml.constructor.ConstructorError(None, None, f"{type(exc).__name__}: {exc}") from None
