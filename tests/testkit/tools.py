"""The programs the suite drives besides Python: present, or the test fails and says how to get them.

A missing tool is never a skip: `.ci/run` installs every one of them on a fresh machine, so a
test that cannot find its tool would otherwise pass in silence where the tool is missing.
"""

from __future__ import annotations

import os
import shutil

import pytest

# what installs each tool on Debian/Ubuntu (what `.ci/run` does)
INSTALL = {
    "kubectl": "bash .ci/run installs it (Debian's kubectl package or the official release binary)",
    "shellcheck": "apt-get install shellcheck",
    "rg": "apt-get install ripgrep",
    "time": "apt-get install time (GNU time at /usr/bin/time)",
    "chromium": "apt-get install chromium",
}


def need(tool: str) -> str:
    """The path of ``tool``; fails the test (never skips it) when it is not installed."""
    if tool == "time":
        path = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
    elif tool == "chromium":
        path = "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else shutil.which("chromium")
    else:
        path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: {INSTALL.get(tool, 'install it')}", pytrace=False)
    return path
