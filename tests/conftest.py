"""Settings for the whole test suite."""

from __future__ import annotations

import os

from analyzer.checks import STRICT_ENV

# a check that raises fails the test that ran it (commands run in subprocesses inherit this);
# a user's run lists such a check as "could not check" instead
os.environ[STRICT_ENV] = "1"
