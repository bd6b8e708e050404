"""Counts for the hostile-input suite, printed at the end of the pytest run.

The counters live in `hostile_cases.RUN_COUNTS`; the test modules bump them as cases and
hypothesis examples run.
"""

from __future__ import annotations

from hostile_cases import RUN_COUNTS


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 - pytest hook
    """One line: how many hostile inputs and property-test examples actually ran."""
    if any(RUN_COUNTS.values()):
        terminalreporter.write_sep("-", "hostile input suite")
        terminalreporter.write_line(", ".join(f"{n} {what}" for what, n in RUN_COUNTS.items()) + " run")
