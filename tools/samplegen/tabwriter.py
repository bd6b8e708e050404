"""Go's text/tabwriter, as kubectl describe configures it (minwidth 0, tabwidth 8, padding 2, ' ').

``kubectl describe`` writes ``Key:\\tvalue`` lines through one tabwriter, so the column a value
starts at depends on its neighbours: a column block is a run of consecutive lines that have a
cell in that column, and a line without a tab ends every block. Reproducing the algorithm (not
guessing the padding) is what makes the generated describe text line up like the real thing.
"""

from __future__ import annotations

PADDING = 2


def _format(lines: list[list[str]], widths: list[int], line0: int, line1: int, out: list[str]) -> None:
    column = len(widths)
    this = line0
    while this < line1:
        line = lines[this]
        if column >= len(line) - 1:
            this += 1
            continue
        _write_lines(lines, widths, line0, this, out)
        line0 = this
        width = 0
        while this < line1:
            line = lines[this]
            if column >= len(line) - 1:
                break
            width = max(width, len(line[column]) + PADDING)
            this += 1
        widths.append(width)
        _format(lines, widths, line0, this, out)
        widths.pop()
        line0 = this
    _write_lines(lines, widths, line0, line1, out)


def _write_lines(lines: list[list[str]], widths: list[int], line0: int, line1: int, out: list[str]) -> None:
    for i in range(line0, line1):
        parts = []
        for j, cell in enumerate(lines[i]):
            parts.append(cell)
            if j < len(widths) and j < len(lines[i]) - 1:
                parts.append(" " * (widths[j] - len(cell)))
        out.append("".join(parts))


def tabwrite(text: str) -> str:
    """Align ``text`` (cells separated by tabs, lines by newlines) like Go's tabwriter."""
    raw = text.split("\n")
    trailing_newline = raw and raw[-1] == ""
    if trailing_newline:
        raw = raw[:-1]
    lines = [r.split("\t") for r in raw]
    out: list[str] = []
    _format(lines, [], 0, len(lines), out)
    return "\n".join(out) + ("\n" if trailing_newline else "")

