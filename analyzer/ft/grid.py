"""Box-drawing tables that print exactly like upstream's `tabulate(..., tablefmt="fancy_grid",
floatfmt=".2f", missingval="N/A", numalign="right", stralign="center")`.

Written here rather than depending on `tabulate` for one format.  The rules reproduced:

- every number prints with two decimals (upstream's counts are numpy integers, which tabulate
  treats as floats, hence `1500.00`); a missing value prints `N/A`;
- a column with at least one number is right-aligned, header included; a column of text or only
  missing values is centred (`str.format` `^`: the odd space goes to the right);
- a column is as wide as its widest cell or header line, and at least header + 2;
- cells are padded with one space each side; headers may span several lines (`\\n`), shorter
  header cells are filled with blank lines at the bottom.

>>> print(fancy_grid(["Failure", "Startup"], [["none", 180.0], ["frontend", None]]))
╒═══════════╤═══════════╕
│  Failure  │   Startup │
╞═══════════╪═══════════╡
│   none    │    180.00 │
├───────────┼───────────┤
│ frontend  │       N/A │
╘═══════════╧═══════════╛
"""

from __future__ import annotations

from typing import Sequence

Cell = str | int | float | None


def _is_number(value: Cell) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def format_cell(value: Cell) -> str:
    """A cell as upstream prints it: numbers with 2 decimals, None (and NaN) as N/A."""
    if value is None or (isinstance(value, float) and value != value):
        return "N/A"
    if _is_number(value):
        return f"{float(value):.2f}"
    return str(value)


def fancy_grid(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """The table as tabulate's fancy_grid prints it (see module docstring)."""
    ncols = len(headers)
    numeric = [any(_is_number(r[i]) and r[i] == r[i] for r in rows) for i in range(ncols)]
    cells = [[format_cell(r[i]) for i in range(ncols)] for r in rows]
    header_lines = [h.split("\n") for h in headers]
    widths = []
    for i in range(ncols):
        w = max(len(line) for line in header_lines[i]) + 2
        for row in cells:
            w = max(w, len(row[i]))
        widths.append(w)

    def align(text: str, i: int) -> str:
        return text.rjust(widths[i]) if numeric[i] else f"{text:^{widths[i]}}"

    def line(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    out = [line("╒", "═", "╤", "╕")]
    height = max(len(h) for h in header_lines)
    for k in range(height):
        parts = [align(h[k], i) if k < len(h) else " " * widths[i] for i, h in enumerate(header_lines)]
        out.append("│" + "│".join(f" {p} " for p in parts) + "│")
    out.append(line("╞", "═", "╪", "╡"))
    for n, row in enumerate(cells):
        if n:
            out.append(line("├", "─", "┼", "┤"))
        out.append("│" + "│".join(f" {align(c, i)} " for i, c in enumerate(row)) + "│")
    out.append(line("╘", "═", "╧", "╛"))
    return "\n".join(out)


def pipe_table(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """A Markdown (GitHub) table: one-line headers, numbers right-aligned, text centred."""
    ncols = len(headers)
    numeric = [any(_is_number(r[i]) for r in rows) for i in range(ncols)]
    head = [h.replace("\n", " ") for h in headers]
    body = [[_md_escape(format_cell(r[i])) for i in range(ncols)] for r in rows]
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---:" if numeric[i] else ":---:" for i in range(ncols)) + "|"]
    out.extend("| " + " | ".join(row) + " |" for row in body)
    return "\n".join(out)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
