"""Templates of error lines: the variable parts of a message masked, so that repeats group.

A template is a line's message (its log prefix left out: times, process tags, level, source
file) with the variable parts masked; two lines that differ only in their prefix, times, numbers,
addresses, ids, paths or identifiers in quotes are the same message::

    E0118 08:31:52.149680 840 main.cc:257] failed to start HTTP service: Socket '0.0.0.0:1111' already in use
    failed to start HTTP service: Socket '<ip>' already in use

The masks are Rust-regex compatible (no lookaround, no group references in replacements) so that
``template_expr`` runs vectorised over a whole batch of lines, and ``template`` gives the same
result for one line (it runs the same expression).
"""

from __future__ import annotations

import polars as pl

MAX_TEMPLATE = 300  # characters of a template kept (the evidence keeps the whole line)

# the prefix of a log line before its message: a kubectl/CRI time, process tags ("(EngineCore
# pid=1) ", "[rank0]: "), a time, a level word, vLLM's "MM-DD hh:mm:ss [file.py:N]", klog's
# "E0118 08:31:52.149680 840 main.cc:257]", Python logging's "ERROR:root:"
MESSAGE_PREFIX = (
    r"^(?:\d{4}-\d\d-\d\dT\S+\s+(?:(?:stdout|stderr)\s+[FP]\s+)?)?"
    r"(?:\([^()]{1,80}\)\s*|\[[^\[\]]{1,40}\]:\s*)*"
    r"(?:[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w.-]+:\d+\]\s*)?"
    r"(?:(?:\d{4}-\d\d-\d\d[T ])?\d\d:\d\d:\d\d[.,\d]*(?:Z|[+-]\d\d:?\d\d)?\s+)?"
    r"(?:(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)(?::[\w.]*:|\s+))?"
    r"(?:\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?\s+)?(?:\[?[\w.-]+:\d+\]\s*)?")

# (regex, replacement), applied in order: longer and more specific shapes first, so that a
# number inside a time or an address is not masked on its own
MASKS: tuple[tuple[str, str], ...] = (
    (r"\x1b\[[0-9;]*m", ""),                                                    # ANSI colours
    (r"\d{4}[-/]\d\d[-/]\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?", "<time>"),
    (r"\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b", "<time>"),
    (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "<uuid>"),
    (r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>)\]]+", "<url>"),
    (r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b", "<ip>"),
    (r"\bsha256:[0-9a-f]{12,}\b", "<digest>"),
    (r"\b0x[0-9a-fA-F]+\b", "<hex>"),
    # identifiers in quotes (paths, names, addresses); quoted prose with spaces stays readable
    # (a word that holds a path, dot, colon, digit, dash or underscore: JSON keys and quoted
    # plain words stay)
    (r"'[\w./~][^'\s]*[/.:_\d-][^'\s]*'", "<q>"),
    (r"\"[\w./~][^\"\s]*[/.:_\d-][^\"\s]*\"", "\"<q>\""),
    (r"`[\w./~][^`\s]*[/.:_\d-][^`\s]*`", "<q>"),
    # a controller's pod name: <owner>-<replicaset hash>-<5 chars> or <owner>-<5 chars>
    (r"-[a-f0-9]{8,10}-[a-z0-9]{5}\b", "-<pod>"),
    (r"(?:/[\w.@+~-]+){2,}/?", "<path>"),
    (r"\b\d+(?:\.\d+)*\b", "<n>"),
    (r"\b[0-9a-f]{7,}\b", "<hex>"),                                              # ids, hashes
    (r"\d+(?:\.\d+)*", "<n>"),                                                   # in words: H100, v1
    (r"\s+", " "),
)


def message_expr(text: pl.Expr) -> pl.Expr:
    """The message of each log line: the line without its prefix (``MESSAGE_PREFIX``)."""
    return text.str.replace(MESSAGE_PREFIX, "")


def message(text: str) -> str:
    """The message of one log line (``message_expr``).

    >>> message("(EngineCore pid=7) ERROR 08-06 21:18:16 [core.py:700] EngineCore failed to start.")
    'EngineCore failed to start.'
    """
    return pl.select(message_expr(pl.lit(text, dtype=pl.Utf8))).item()


def template_expr(text: pl.Expr) -> pl.Expr:
    """The template of each line's message (``text``: a Utf8 expression), capped at
    ``MAX_TEMPLATE``: two lines that differ in their prefix only are one message."""
    out = message_expr(text)
    for rx, repl in MASKS:
        out = out.str.replace_all(rx, repl)
    return out.str.strip_chars().str.slice(0, MAX_TEMPLATE)


def templates(texts: list[str]) -> list[str]:
    """The templates of many lines at once (one vectorised pass)."""
    if not texts:
        return []
    return pl.Series("t", texts, dtype=pl.Utf8).to_frame().select(template_expr(pl.col("t"))).to_series().to_list()


def template(text: str) -> str:
    """The template of one line (the same masks as ``template_expr``).

    >>> template("E0118 08:31:52.149680 840 main.cc:257] Socket '0.0.0.0:1111' already in use")
    "Socket '<ip>' already in use"
    >>> template("(EngineCore pid=7) ERROR 08-06 21:18:16 [core.py:700] EngineCore failed to start.")
    'EngineCore failed to start.'

    >>> template("FileNotFoundError: [Errno 2] No such file or directory: '/mnt/models'")
    'FileNotFoundError: [Errno <n>] No such file or directory: <q>'
    """
    return pl.select(template_expr(pl.lit(text, dtype=pl.Utf8))).item()
