"""The Markdown and HTML reports read only ``pipeline.REPORT_TABLES``: ``write_report`` hands
them those (redacted) and no other table, so a table the report starts reading must be named
there, or the report would silently lose it."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.pipeline import _output_tables, analyze_path, write_report
from analyzer.report import render

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("bundle", ["multi-fault", "ft-results"])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_report_needs_no_table_beyond_report_tables(bundle: str, fmt: str) -> None:
    with analyze_path(str(ROOT / "sample_bundles" / bundle)) as analysis:
        red = analysis.redactor
        gpu = red.data(analysis.diagnosis.gpu)
        every = render(analysis.result, _output_tables(analysis.parsed, red), gpu, fmt)
        assert write_report(analysis, fmt, None) == every


def test_json_is_the_result_alone() -> None:
    import json

    with analyze_path(str(ROOT / "sample_bundles" / "multi-fault")) as analysis:
        assert json.loads(write_report(analysis, "json", None) or "") == analysis.result
