"""Counts for the hostile-input suite, printed at the end of the pytest run.

The counters live in `hostile_cases.RUN_COUNTS` (hostile inputs, property examples) and in
`redteam.COUNTS` (red-team cases, classes, secret kinds, peak memory); the test modules bump
them as cases and hypothesis examples run.
"""

from __future__ import annotations

import redteam
from hostile_cases import RUN_COUNTS


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 - pytest hook
    """What actually ran: hostile inputs, property examples, red-team cases by class and secret kind."""
    lines = []
    if any(RUN_COUNTS.values()):
        lines.append(", ".join(f"{n} {what}" for what, n in RUN_COUNTS.items()) + " run")
    red = redteam.summary()
    if red:
        lines.append(red)
    if lines:
        terminalreporter.write_sep("-", "hostile input suite")
        for line in lines:
            terminalreporter.write_line(line)
