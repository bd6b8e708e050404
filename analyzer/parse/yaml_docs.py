"""YAML text -> documents, as PyYAML's safe loader reads them (YAML 1.1, as kubectl's go-yaml).

PyYAML's C loader parses in C but builds every Python object in Python (the constructor and the
resolver): on a YAML-heavy must-gather that was more than half of ``analyze``. fastyaml-rs
(Rust) builds the objects natively, with its own bounds on nesting depth, alias expansion and
documents, and never constructs a tag. It reads YAML 1.2's core schema, which types a few plain
(unquoted) scalars otherwise than YAML 1.1 (``yes``/``on``/``off``, ``012``, ``1_000``,
``1e3``, ``-.5``, dates) and keeps tags' values as plain ones. Collectors' YAML quotes every
such string (Go's marshallers do), so the texts without one take the fast reader; the others,
and anything it refuses, are read by PyYAML, whose values, errors and limits are the reference
(on the published must-gathers, the fast reader takes 84-86% of the YAML bytes).
"""

from __future__ import annotations

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
             r"|[-+]?\.?[0-9][0-9a-fA-FxXoObB_.]*_[0-9a-fA-F_.]*"    # digits with underscores
             r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"    # sexagesimal
             r"|[-+]?(?:[0-9][0-9_.]*|\.[0-9][0-9_]*)[eE][-+]?[0-9]+"  # exponents
             r"|[-+]\.[0-9][0-9_]*"                                      # a signed float without a leading digit
             r"|[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt ][^\n,\]}#]*)?)")  # dates and timestamps
_TAG = r"!"
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
                r"|[\[{,][ \t]*:|:[,\]}]|:[ \t]+:[^\s])")


def yaml11_flags(texts: list[str]) -> list[bool]:
    """For each text, whether it holds a tag, a plain scalar that YAML 1.1 and 1.2 type
    differently, or a colon PyYAML refuses where the fast reader would not (then PyYAML reads
    it). One pass of Rust's regex over all of them, so callers pass many texts at once
    (``ObjectFiles``).

    >>> yaml11_flags(["a: 'yes'\\nb: \\"2021-08-03\\"\\n", "enabled: yes\\n", "port: 0644\\n", "x: !!binary aGk=\\n"])
    [False, True, True, True]
    """
    if not texts:
        return []
    return pl.Series(texts, dtype=pl.String).str.contains(_YAML11_ONLY).to_list()


def load_yaml(text: str, yaml11: bool | None = None) -> list[Any]:
    """The non-empty documents of a YAML text. ``yaml11``: the text's ``yaml11_flags`` when
    already worked out. Raises ``yaml.YAMLError`` (a tag's constructor refusing its value
    included) and ``RecursionError`` as PyYAML does."""
    if fast_yaml is not None and len(text) <= FAST_YAML_MAX:
        if yaml11 is None:
            yaml11 = yaml11_flags([text])[0]
        if not yaml11:
            try:
                return [d for d in fast_yaml.safe_load_all(text) if d is not None]
            except Exception:  # noqa: BLE001 - whatever the fast reader refuses, PyYAML decides
                pass
    try:
        return [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except (ValueError, TypeError, OverflowError, LookupError) as exc:
        # a tag's constructor on a value it cannot take (``!!int x``, ``!!int ""``): bad YAML
        raise yaml.constructor.ConstructorError(None, None, f"{type(exc).__name__}: {exc}") from None
