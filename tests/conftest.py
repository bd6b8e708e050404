"""Session-wide test setup: ``tests/`` is importable (``testkit``), the sample analyses are shared
and closed at the end, the suite runs on the default matcher, kubectl runs without Go's garbage
collector, and counts that tests record as ``count:WHAT`` properties (the hostile inputs run, say)
are summed up at the end of the run.

The default matcher is the Polars path that ``pip install .`` gives; with hyperscan installed
(the ``test`` extra brings it) the analyzer would take the accelerator instead, so the suite
pins ``BUNDLE_ANALYZER_BACKEND=polars`` (subprocesses inherit it) unless the run sets it;
``tests/bench/test_accelerator.py`` compares the two finders explicitly.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("BUNDLE_ANALYZER_BACKEND", "polars")
# kubectl runs some thousand times (the collector round trips); a short-lived Go program needs no
# garbage collector, and without it each run takes about a quarter less CPU
os.environ.setdefault("GOGC", "off")

from testkit import samples  # noqa: E402 - after the backend is chosen

_COUNTS: dict[str, int] = {}


@pytest.fixture(scope="session")
def library():
    """The built-in pattern library, loaded once (``testkit.samples.library``)."""
    return samples.library()


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001 - pytest hook
    samples.close_all()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Sum the ``count:`` properties (on the controller under pytest-xdist: reports come back to it)."""
    if report.when == "teardown":
        for name, value in report.user_properties:
            if name.startswith("count:"):
                _COUNTS[name[6:]] = _COUNTS.get(name[6:], 0) + int(value)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 - pytest hook
    """One line: how many hostile inputs and property-test examples actually ran."""
    if _COUNTS:
        terminalreporter.write_sep("-", "hostile input suite")
        terminalreporter.write_line(", ".join(f"{n} {what}" for what, n in sorted(_COUNTS.items())) + " run")

from analyzer.checks import STRICT_ENV  # noqa: E402

# a check that raises fails the test that ran it (commands run in subprocesses inherit this);
# a user's run lists such a check as "could not check" instead
os.environ[STRICT_ENV] = "1"
