"""Fixtures of the report tests; the data lives in `report_samples.py`."""

from __future__ import annotations

import polars as pl
import pytest

from report_samples import (healthy_gpu, healthy_result, healthy_tables, multi_fault_gpu, multi_fault_result,
                            multi_fault_tables)


@pytest.fixture
def multi_fault() -> tuple[dict, dict[str, pl.DataFrame], dict]:
    """(result, tables, GPU status): what the report is rendered from."""
    return multi_fault_result(), multi_fault_tables(), multi_fault_gpu()


@pytest.fixture
def healthy() -> tuple[dict, dict[str, pl.DataFrame], dict]:
    return healthy_result(), healthy_tables(), healthy_gpu()
