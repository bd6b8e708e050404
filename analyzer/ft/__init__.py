"""Dynamo fault-tolerance test results: parse the result folders, summarize, render.

Public entry points:

- :func:`summarize` (paths, sla) -> :class:`FtSummary` (rows in upstream's order, warnings, layout)
- :func:`render` (summary, "grid" | "md" | "json" | "html") -> str
- :func:`summary_for_report` (root) -> dict | None, for the analyze report
- :func:`parse_tables` (root) / :func:`ft_tables` (bundle) -> the ``ft_requests`` and ``ft_events``
  Polars tables
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from analyzer.ft.model import FtRow, FtSummary
from analyzer.ft.parse import (
    EVENT_SCHEMA, REQUEST_SCHEMA, FtInputError, is_ft_results, open_tree, parse_folder, scenario_folders,
)
from analyzer.ft.render import FORMATS, render
from analyzer.ft.summary import summarize, summary_for_report

__all__ = ["FORMATS", "FtInputError", "FtRow", "FtSummary", "ft_tables", "is_ft_results", "parse_tables",
           "render", "summarize", "summary_for_report"]


def parse_tables(root: Path | Any) -> dict[str, pl.DataFrame]:
    """``{"ft_requests": ..., "ft_events": ...}`` for every scenario folder under ``root`` (a folder
    or an ingested Bundle); empty tables when there is none."""
    try:
        folders = scenario_folders(open_tree(root))
    except FtInputError:
        folders = []
    data = [parse_folder(f) for f in folders]
    return {
        "ft_requests": pl.concat([d.requests for d in data]) if data else pl.DataFrame(schema=REQUEST_SCHEMA),
        "ft_events": pl.concat([d.events for d in data]) if data else pl.DataFrame(schema=EVENT_SCHEMA),
    }


def ft_tables(bundle: Any) -> dict[str, pl.DataFrame]:
    """The ``ft_requests`` and ``ft_events`` tables of an ingested ``ft-results`` Bundle (parse stage)."""
    return parse_tables(bundle)
