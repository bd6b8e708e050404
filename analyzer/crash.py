"""What ended a container: the last error lines of the log of its last run, classified.

A crash-looping container's previous log usually ends with the reason it died: an exception's
final line (``torch.OutOfMemoryError: CUDA out of memory ...``), its command-line parser's
``Error: unknown command "server-junk" for "velero"``, a ``fatal``/``panic`` line. Those lines
(``last_error_lines``) and the container's command and args are what a crash finding shows;
``classify_crash_lines`` names the crash from them with the pattern library.

Classification: every log pattern that matches one of the lines is a candidate; a pattern whose
category only names a failure without its cause (``GENERIC_CATEGORIES``: "crash-looping") is
taken only when nothing more specific matched, and a candidate that another candidate explains
(the correlation rules: a CUDA OOM explains "engine failed to start") gives way to it. Among the
rest the most severe wins, then the one nearest the end of the log (the same pattern on several
lines: its first line, where a parser's error usually stands before its restatements). When no
pattern matches, the crash stays ``runtime.crashloop`` with the last error lines as its
evidence: ``unclassified`` is the single place where a classification of unknown lines (words,
not patterns) can be added.
"""

from __future__ import annotations

from typing import Any, Iterable

import regex

from analyzer.findings import Evidence
from analyzer.taxonomy import GENERIC_CATEGORIES, SEVERITY_RANK

# a line that may say why a process ended (case-insensitive words, or an exception class name)
CRASH_LINE = (r"(?i)\b(?:error|fatal|panic|exception|critical|traceback|failed|abort(?:ed)?)\b"
              r"|\w(?:Error|Exception)\b|\bE\d{4} \d\d:\d\d|\bF\d{4} \d\d:\d\d")
LAST_LINES = 12      # error lines read from the end of the log
EVIDENCE_LINES = 3   # of them, shown as evidence
CRASHLOOP = "runtime.crashloop"
_CRASH = regex.compile(CRASH_LINE)


def last_error_lines(rows: Iterable[dict[str, Any]], n: int = LAST_LINES) -> list[Evidence]:
    """The last ``n`` lines (in file order) of one log's ``log_lines`` rows that read like an
    error (``CRASH_LINE``)."""
    hits = [r for r in rows if _CRASH.search(r.get("text") or "")]
    hits.sort(key=lambda r: (r.get("line") or 0))
    return [Evidence(r["path"], r.get("line"), r.get("text") or "", r.get("time"), None, "log") for r in hits[-n:]]


def _explained(category: str, others: set[str]) -> bool:
    """Another candidate's category explains this one (``analyzer.diagnose.rules``)."""
    from analyzer.diagnose.rules import RULE_INDEX  # the correlation rules: read at call time

    return any((o, category) in RULE_INDEX for o in others if o != category)


def classify_crash_lines(lines: list[Evidence], library: Any) -> tuple[str, list[Evidence]]:
    """(category, evidence) of a crash from its last error lines: the deciding line first (with
    its match span), then the other last lines, at most ``EVIDENCE_LINES``. ``runtime.crashloop``
    when no pattern names the crash (see ``unclassified``)."""
    candidates: dict[str, tuple[int, Any, Any]] = {}   # pattern id -> (position, pattern, match)
    for pos, ev in enumerate(lines):
        for p in library or ():
            if "log" not in p.sources or p.id in candidates or not p.hint_hit(ev.text):
                continue
            m = p.compiled.search(ev.text)
            if m:
                candidates[p.id] = (pos, p, m)
    if not candidates:
        return unclassified(lines)
    specific = {k: v for k, v in candidates.items() if v[1].category not in GENERIC_CATEGORIES} or candidates
    cats = {v[1].category for v in specific.values()}
    causes = {k: v for k, v in specific.items() if not _explained(v[1].category, cats)} or specific
    pos, p, m = min(causes.values(), key=lambda v: (SEVERITY_RANK[v[1].severity], -v[0], v[1].id))
    decided = lines[pos]
    first = Evidence(decided.path, decided.line, decided.text, decided.time, (m.start(), m.end()), decided.source)
    rest = [ev for i, ev in enumerate(lines) if i != pos]
    return p.category, [first, *rest[-(EVIDENCE_LINES - 1):]]


def unclassified(lines: list[Evidence]) -> tuple[str, list[Evidence]]:
    """A crash no pattern names: ``runtime.crashloop``, its last error lines as the evidence (the
    very last one first: what the process said as it ended)."""
    last = lines[-EVIDENCE_LINES:]
    return CRASHLOOP, last[-1:] + last[:-1]


def naming_pattern(category: str, evidence: list[Evidence], library: Any) -> Any:
    """The pattern that named the crash from its deciding line (None for an unclassified one):
    its title and severity are the crash's."""
    if category == CRASHLOOP or not evidence:
        return None
    line = evidence[0].text
    found = [p for p in library or () if p.category == category and "log" in p.sources
             and p.hint_hit(line) and p.compiled.search(line)]
    return min(found, key=lambda p: (SEVERITY_RANK[p.severity], p.id)) if found else None
