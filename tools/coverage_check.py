"""Check `patterns/COVERAGE.md`, the map from each seed signal to the pattern or check covering it.

Rules (each broken rule is one line of output with its line number):

- every pattern id it names (``K8S012``, ``HAMI003``, ...) exists in the pattern library;
- every check id exists in the check registry and is written with its name (``CHK002
  container-crashloop``), so the map reads without a lookup and cannot drift from a rename;
- no provisional ``CHK-<name>`` is left;
- every table is ``| signal | covered by | note |``, and every row names at least one id in its
  "covered by" cell, or says why nothing can (a cell starting with one of ``MARKERS``) and
  explains it in the note.

Run: ``python3 tools/coverage_check.py [FILE]`` (exit 1 and one line per problem when it fails).
"""

from __future__ import annotations

import sys
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET = ROOT / "patterns" / "COVERAGE.md"
HEADER = ("covered by", "note")
# what a "covered by" cell without an id must start with: the reason nothing can match
MARKERS = ("Not in a bundle", "Not a signal", "Not a failure", "Not decidable", "Not evaluated", "FT summary")
_CELL_SPLIT = regex.compile(r"(?<!\\)\|")
_SEPARATOR = regex.compile(r"^\|(?:\s*:?-{3,}:?\s*\|)+\s*$")
_PROVISIONAL = regex.compile(r"\bCHK-[a-z][a-z0-9-]*")
_CHECK = regex.compile(r"\bCHK(\d{3})\b(?:\s+`?([a-z0-9]+(?:-[a-z0-9]+)*)`?)?")


def known_ids() -> tuple[set[str], dict[str, str]]:
    """(pattern ids of the library, check id -> check name of every check)."""
    from analyzer.checks import CHECKS
    from analyzer.library import load_library

    return {p.id for p in load_library()}, {c.id: c.name for c in CHECKS}


def id_regex(pattern_ids: set[str]) -> regex.Pattern[str]:
    """Ids with a known prefix (``K8S``, ``HAMI``, ... and ``CHK``): ``H100`` or ``X509`` are not ids."""
    prefixes = {regex.match(r"(.*?)\d+$", i)[1] for i in pattern_ids} | {"CHK"}
    alt = "|".join(sorted((regex.escape(p) for p in prefixes), key=len, reverse=True))
    return regex.compile(rf"\b(?:{alt})\d{{3}}\b")


def cells(line: str) -> list[str]:
    """The cells of a Markdown table row (``\\|`` inside a cell is not a separator)."""
    return [c.strip() for c in _CELL_SPLIT.split(line.strip())[1:-1]]


def problems(text: str, pattern_ids: set[str], checks: dict[str, str]) -> list[str]:
    """Every rule the map breaks, as ``line N: what``."""
    out: list[str] = []
    ids = id_regex(pattern_ids)
    lines = text.splitlines()
    for n, line in enumerate(lines, 1):
        for m in _PROVISIONAL.finditer(line):
            out.append(f"line {n}: provisional check name {m[0]} (use the real id and name)")
        for m in ids.finditer(line):
            if not m[0].startswith("CHK") and m[0] not in pattern_ids:
                out.append(f"line {n}: pattern {m[0]} does not exist")
        for m in _CHECK.finditer(line):
            cid = f"CHK{m[1]}"
            if cid not in checks:
                out.append(f"line {n}: check {cid} does not exist")
            elif m[2] != checks[cid]:
                out.append(f"line {n}: {cid} must be written '{cid} {checks[cid]}'"
                           + (f" (found '{m[2]}')" if m[2] else ""))
    header: list[str] | None = None
    for n, line in enumerate(lines, 1):
        if not line.lstrip().startswith("|"):
            header = None
            continue
        row = cells(line)
        if header is None:
            header = [c.lower() for c in row]
            if len(header) != 3 or tuple(header[1:]) != HEADER:
                out.append(f"line {n}: table header must be '| <signal> | covered by | note |', got {row}")
            continue
        if _SEPARATOR.match(line.strip()):
            continue
        if len(row) != len(header):
            out.append(f"line {n}: row has {len(row)} cells, the table {len(header)}")
            continue
        if len(row) != 3:
            continue
        signal, covered, note = row
        if not signal:
            out.append(f"line {n}: row without a signal")
        if ids.search(covered):
            continue
        if not covered.startswith(MARKERS):
            out.append(f"line {n}: '{signal[:60]}' names no pattern or check id "
                       f"(or start the cell with one of: {', '.join(MARKERS)})")
        elif not note:
            out.append(f"line {n}: '{signal[:60]}' is not covered and its note does not say why")
    return out


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else TARGET
    pattern_ids, checks = known_ids()
    found = problems(path.read_text(encoding="utf-8"), pattern_ids, checks)
    for p in found:
        print(f"{path.name}: {p}", file=sys.stderr)
    if not found:
        print(f"{path.name}: ok")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
