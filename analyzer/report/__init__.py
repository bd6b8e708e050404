"""Reports: the shared context, Markdown and HTML through `reports/*.j2`, and Parquet tables."""

from analyzer.report.context import build_context
from analyzer.report.parquet import write_parquet
from analyzer.report.render import render

__all__ = ["build_context", "render", "write_parquet"]
