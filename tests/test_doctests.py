"""The examples in module docstrings are tests: a parser's docstring shows a real sample and what
it makes of it, and that must stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "analyzer.parse.quantity", "analyzer.parse.objects", "analyzer.parse.logs", "analyzer.readahead",
    "analyzer.sources", "analyzer.serve.matching", "analyzer.ft.grid",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no example"
    assert result.failed == 0
