"""Session-wide test setup: ``tests/`` is importable (``testkit``), the sample analyses are shared
and closed at the end, the suite runs on the default matcher, kubectl runs without Go's garbage
collector on one thread, and counts that tests record as ``count:WHAT`` properties (the hostile inputs run, say)
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
# and on one OS thread: it runs one request and exits, so Go's scheduler, spread over every core,
# only spins; kubectl then takes about a fifth less CPU again (measured with `get pods -o json`)
os.environ.setdefault("GOMAXPROCS", "1")

from testkit import samples  # noqa: E402 - after the backend is chosen

_COUNTS: dict[str, int] = {}
_SETS: dict[str, set[str]] = {}
_MAX: dict[str, tuple[int, str]] = {}


@pytest.fixture(scope="session")
def library():
    """The built-in pattern library, loaded once (``testkit.samples.library``)."""
    return samples.library()


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001 - pytest hook
    samples.close_all()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Gather what tests recorded (on the controller under pytest-xdist: reports come back to it):
    ``count:`` properties summed, ``set:`` ones as sets, ``max:`` ones (``N|what``) the highest."""
    if report.when != "teardown":
        return
    for name, value in report.user_properties:
        kind, _, what = name.partition(":")
        if kind == "count":
            _COUNTS[what] = _COUNTS.get(what, 0) + int(value)
        elif kind == "set":
            _SETS.setdefault(what, set()).add(str(value))
        elif kind == "max":
            n, _, label = str(value).partition("|")
            if int(n) > _MAX.get(what, (-1, ""))[0]:
                _MAX[what] = (int(n), label)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 - pytest hook
    """What actually ran: hostile inputs, property examples, red-team cases by class and secret kind."""
    lines = []
    if _COUNTS:
        lines.append(", ".join(f"{n} {what}" for what, n in sorted(_COUNTS.items())) + " run")
    if _SETS.get("red team runs"):
        n = {what: len(_SETS.get(f"red team {what}", ())) for what in ("cases", "runs", "classes", "secret kinds")}
        mb, run = _MAX.get("red team peak MiB", (0, ""))
        lines.append(f"red team: {n['cases']} cases ({n['runs']} runs) in {n['classes']} classes, "
                     f"{n['secret kinds']} secret kinds planted; peak resident memory {mb} MiB of 1024 allowed ({run})")
    if lines:
        terminalreporter.write_sep("-", "hostile input suite")
        for line in lines:
            terminalreporter.write_line(line)


from analyzer.checks import STRICT_ENV  # noqa: E402

# a check that raises fails the test that ran it (commands run in subprocesses inherit this);
# a user's run lists such a check as "could not check" instead
os.environ[STRICT_ENV] = "1"
