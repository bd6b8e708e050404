"""The short version of the property run (``tools/property_run.py``): every parser on 200
generated hostile inputs, no uncaught exception and no unbounded result. The full run (10,000
inputs per parser) is ``python tools/property_run.py``."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

from hostile_cases import RUN_COUNTS

ROOT = Path(__file__).resolve().parents[2]
SHORT = 200


def _property_run():
    spec = importlib.util.spec_from_file_location("property_run", ROOT / "tools" / "property_run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_parser_takes_generated_hostile_inputs() -> None:
    prop = _property_run()
    out = io.StringIO()
    results = prop.run(SHORT, out=out)
    RUN_COUNTS["property examples"] += sum(r.inputs for r in results.values())
    assert set(results) == {p.name for p in prop.PARSERS}
    assert all(r.inputs == SHORT for r in results.values()), out.getvalue()
    assert not any(r.failed for r in results.values()), out.getvalue()
