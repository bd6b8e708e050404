"""The grid output prints upstream's table byte for byte: columns, order, widths, number format."""

from __future__ import annotations

from analyzer.ft.grid import fancy_grid, pipe_table
from analyzer.ft.render import main_headers

# From dynamo-fault-tolerance-test-suite.md ("Redundant Workers", disagg-tp-1-dp-2), as printed by
# the harness's tabulate(..., "fancy_grid", floatfmt=".2f", missingval="N/A").
SEED_DISAGG_DP2 = """\
╒══════════════════════════╤═══════════╤═══════════╤══════════╤═══════════╤══════════╤═══════════╤═══════════╤════════════╕
│         Failure          │   Startup │   Success │   Failed │   Success │   Failed │   Latency │   Latency │   Recovery │
│                          │           │    Before │   Before │     After │    After │    Before │     After │            │
╞══════════════════════════╪═══════════╪═══════════╪══════════╪═══════════╪══════════╪═══════════╪═══════════╪════════════╡
│           none           │    181.00 │   1500.00 │     0.00 │       N/A │      N/A │      1.47 │       N/A │        N/A │
├──────────────────────────┼───────────┼───────────┼──────────┼───────────┼──────────┼───────────┼───────────┼────────────┤
│         frontend         │    182.00 │    100.00 │     0.00 │   1390.00 │    10.00 │      1.75 │      1.43 │       4.32 │
├──────────────────────────┼───────────┼───────────┼──────────┼───────────┼──────────┼───────────┼───────────┼────────────┤
│       frontend_pod       │    182.00 │     91.00 │     0.00 │   1409.00 │     0.00 │      1.78 │      1.43 │       5.48 │
├──────────────────────────┼───────────┼───────────┼──────────┼───────────┼──────────┼───────────┼───────────┼────────────┤
│      decode_worker       │    182.00 │     94.00 │     0.00 │   1404.00 │     2.00 │      1.78 │      1.58 │     154.30 │
├──────────────────────────┼───────────┼───────────┼──────────┼───────────┼──────────┼───────────┼───────────┼────────────┤
│    decode_worker_pod     │    181.00 │    100.00 │     0.00 │   1394.00 │     6.00 │      1.75 │      1.57 │     153.00 │
├──────────────────────────┼───────────┼───────────┼──────────┼───────────┼──────────┼───────────┼───────────┼────────────┤
│      prefill_worker      │    172.00 │     90.00 │     0.00 │   1408.00 │     2.00 │      1.78 │      1.44 │     154.68 │
├──────────────────────────┼───────────┼───────────┼──────────┼───────────┼──────────┼───────────┼───────────┼────────────┤
│    prefill_worker_pod    │    174.00 │    100.00 │     0.00 │   1398.00 │     2.00 │      1.74 │      1.41 │     155.59 │
├──────────────────────────┼───────────┼───────────┼──────────┼───────────┼──────────┼───────────┼───────────┼────────────┤
│ vllm_decode_engine_core  │    181.00 │     91.00 │     0.00 │   1403.00 │     6.00 │      1.79 │      1.56 │     157.54 │
├──────────────────────────┼───────────┼───────────┼──────────┼───────────┼──────────┼───────────┼───────────┼────────────┤
│ vllm_prefill_engine_core │    181.00 │     94.00 │     0.00 │   1404.00 │     2.00 │      1.77 │      1.43 │     154.10 │
╘══════════════════════════╧═══════════╧═══════════╧══════════╧═══════════╧══════════╧═══════════╧═══════════╧════════════╛"""


def _rows_of(table: str) -> list[list]:
    rows = []
    for line in table.splitlines()[4::2]:
        cells = [c.strip() for c in line.strip("│").split("│")]
        rows.append([cells[0]] + [None if c == "N/A" else float(c) for c in cells[1:]])
    return rows


def test_seed_table_is_reproduced_exactly():
    rows = _rows_of(SEED_DISAGG_DP2)
    assert len(rows) == 9
    assert fancy_grid(main_headers(None), rows) == SEED_DISAGG_DP2


def test_integer_counts_print_with_two_decimals_like_upstream():
    out = fancy_grid(main_headers(None), [["none", 180.0, 1500, 0, None, None, 1.19, None, None]])
    assert "│   1500.00 │     0.00 │" in out


def test_column_of_only_missing_values_is_centred_like_tabulate():
    out = fancy_grid(["Failure", "Recovery"], [["none", None]])
    assert out.splitlines()[1] == "│  Failure  │  Recovery  │"
    assert out.splitlines()[3] == "│   none    │    N/A     │"


def test_markdown_table_has_one_line_headers():
    md = pipe_table(main_headers(2.0), [["none", 1.0, 2, 0, None, None, 1.5, None, 1, None, None]])
    head, align, row = md.splitlines()
    assert head == ("| Failure | Startup | Success Before | Failed Before | Success After | Failed After | "
                    "Latency Before | Latency After | Violations Before | Violations After | Recovery |")
    assert align.startswith("|:---:|---:|")
    assert row == "| none | 1.00 | 2.00 | 0.00 | N/A | N/A | 1.50 | N/A | 1.00 | N/A | N/A |"
