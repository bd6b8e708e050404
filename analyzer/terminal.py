"""Text shown on a terminal: bundle content (file names, log lines, messages) may carry escape
sequences that a terminal would obey (OSC 52 writes the clipboard, OSC 0 sets the window title,
CSI moves the cursor and rewrites what was shown). ``for_terminal`` removes them.

Used for every message on stderr and for reports written to a terminal; files and pipes get the
report as it is (the JSON escapes control characters itself).
"""

from __future__ import annotations

import regex

# ESC-introduced sequences (ECMA-48): CSI with its parameters, OSC/DCS/SOS/PM/APC strings up to
# their terminator (BEL or ST) or the end of the text, and two-character escapes; the C1 forms
# (0x9B CSI, 0x9D OSC...); then any other control character but tab and newline, DEL, and the
# bidirectional overrides that reorder what the reader sees
_SEQUENCES = regex.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def for_terminal(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (tab and newline kept).

    >>> for_terminal("ok \\x1b]52;c;ZWNobyBwd25lZA==\\x07done \\x1b[31mred\\x1b[0m\\x1b]0;title\\x1b\\\\")
    'ok done red'
    """
    return _SEQUENCES.sub("", text)
