"""Export the pattern library for other engines (ripgrep, spreadsheets).

``rg -f FILE`` joins the file's lines with a bare ``|``: a leading ``(?i)`` would leak into
every later pattern and a group name repeated across patterns is an error. So each pattern is
written scoped, as ``(?:...)`` or ``(?i:...)``, with its group names dropped (the groups stay,
unnamed: the set of matching lines is the same)::

    (?i:(torch\\.)?(cuda\\.)?OutOfMemoryError: CUDA out of memory)
    (?:Failed to pull image "([^"]+)".*401 Unauthorized)
"""

from __future__ import annotations

from typing import Iterable

import regex

from analyzer.library import Pattern

# a named group opener not preceded by an escaping backslash: (?P<name> or (?<name>
_NAMED = regex.compile(r"(?<!\\)((?:\\\\)*)\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")


def unnamed(rx: str) -> str:
    """``rx`` with named groups turned into plain groups."""
    return _NAMED.sub(lambda m: m.group(1) + "(", rx)


def scoped(p: Pattern) -> str:
    """One pattern as a self-contained alternative: flags scoped, group names dropped."""
    body = p.regex[4:] if p.ignore_case else p.regex
    return ("(?i:" if p.ignore_case else "(?:") + unnamed(body) + ")"


def export_patterns(patterns: Iterable[Pattern], fmt: str) -> str:
    """The patterns as ``rg`` (one scoped regex per line, for ``rg -f``) or ``tsv`` (id, regex)."""
    if fmt == "rg":
        return "".join(scoped(p) + "\n" for p in patterns)
    if fmt == "tsv":
        return "id\tregex\n" + "".join(f"{p.id}\t{p.regex}\n" for p in patterns)
    raise ValueError(f"unknown export format {fmt!r}: use rg or tsv")
