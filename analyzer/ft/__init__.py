"""Dynamo fault-tolerance test results: read the scenario folders, summarize, render.

Public entry points:

- :func:`summarize` (paths, sla) -> :class:`FtSummary` (rows in upstream's order, warnings, layout):
  the results at each path (a folder or an archive) read through ``analyzer.ingest``
- :func:`render` (summary, "grid" | "md" | "json" | "html") -> str
- :func:`read_scenarios` (bundle) -> parsed scenario folders, and :func:`scenario_tables`
  (scenarios) -> the ``ft_requests`` and ``ft_events`` Polars tables (the parse stage)
- :func:`summary_for_report` (scenarios) -> dict | None, for the analyze report (no second read)

Modules: ``folders`` (scenario folders of an ingested bundle), ``parse`` (a folder -> tables),
``aiperf`` (AI-Perf exports), ``model`` (plain data), ``summary`` (rows with upstream's
definitions), ``grid`` and ``render`` (output formats).
"""

from __future__ import annotations

from analyzer.ft.folders import FtInputError
from analyzer.ft.model import FtRow, FtSummary, ScenarioData
from analyzer.ft.parse import read_scenarios, scenario_tables
from analyzer.ft.render import FORMATS, render, summary_for_report
from analyzer.ft.summary import summarize

__all__ = ["FORMATS", "FtInputError", "FtRow", "FtSummary", "ScenarioData", "read_scenarios", "render",
           "scenario_tables", "summarize", "summary_for_report"]
