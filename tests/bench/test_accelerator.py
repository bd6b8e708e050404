"""With hyperscan installed (the ``fast`` extra; the ``test`` extra brings it on x86-64), the
accelerated matcher finds exactly the signals of the default Polars path, and the diagnosis is the
same. The rest of the suite runs on the default path (``tests/conftest.py``); these tests call
both finders explicitly."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from analyzer.diagnose import diagnose, finding_dict
from analyzer.ingest import open_bundle
from analyzer.match import hyperscan_backend as hb
from analyzer.match import match_parsed, polars_hits
from analyzer.parse import parse_bundle
from testkit.samples import library

# hyperscan's wheels are built for x86-64 only: elsewhere there is nothing to compare with
pytestmark = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                                reason=f"hyperscan has no build for {platform.machine()}")


def test_hyperscan_is_installed_and_works() -> None:
    assert hb.hyperscan is not None, "hyperscan is not installed: pip install '.[test]' brings it"
    assert hb.available(), "hyperscan is installed but does not work on this CPU"


def _run(path: Path, finder):
    lib = library()
    with open_bundle(str(path)) as bundle:
        parsed = parse_bundle(bundle)
        signals = match_parsed(parsed, lib, finder=finder)
        roots = [finding_dict(f, True) for f in diagnose(parsed, signals, lib).root_causes]
    return signals, roots


def test_hyperscan_results_identical(tmp_path: Path) -> None:
    from tools.biggen import generate

    bundle = generate(tmp_path / "b", 6 << 20, seed=3)
    default, roots = _run(bundle, polars_hits)
    fast, fast_roots = _run(bundle, hb.find_hits)
    assert default.height > 50
    assert fast.equals(default)
    assert fast_roots == roots and roots


def test_non_ascii_lines_take_the_exact_path(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("2026-11-20T10:00:00.000000000Z torch.OutOfMemoryError: CUDA out of memory. "
                   "Tried to allocate 2.00 GiB — GPU 0 ünïcode\n"
                   "2026-11-20T10:00:01.000000000Z torch.OutOfMemoryError: CUDA out of memory. "
                   "Tried to allocate 2.00 GiB\n", encoding="utf-8")
    default, _ = _run(log, polars_hits)
    fast, _ = _run(log, hb.find_hits)
    assert not default.is_empty()
    assert fast.equals(default)
