"""Error lines that no pattern knows: which lines of a log batch show a failure, how telling each
is, and their templates folded over the whole bundle with counts.

A line is a candidate when it has the shape of a failure (an exception's final line, a Go panic,
a program's closing ``Error: ...``, an ERROR/CRITICAL/fatal level, or words of failure such as
"failed to", "cannot", "denied", "not found") and no pattern of the library hit it. Stack frames,
``raise`` lines and INFO/DEBUG lines are never candidates (an exception's line is, whatever level
its record carries).

How telling a candidate is (``tell``): its shape and level count most (an uncaught exception or a
panic ended the process; an ERROR line reports a failure; a WARNING line with failure words may
be one), words of failure add, and the marks of harmless noise subtract: retries, deprecations,
optional imports, "ignoring", "skipping", "falling back". A candidate is *strong* when its shape
or level says the process failed (exception, panic, fatal, closing ``Error:``) and nothing marks
it as noise; strong candidates may be named at ``error`` severity, the others at ``warning``.
Lines that report an exit (``command terminated with exit code 255``, ``Exit Code: 1``) are
kept apart: they show that something failed, and make the error just before them in the same
file strong.

``ErrorLines`` folds the candidates of every batch into one group per (template, object) with
the count, the first line (evidence) and the last, bounded in memory whatever the bundle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from analyzer.infer.template import message_expr, template_expr
from analyzer.parse.logs import annotate, annotate_rows, own_levels
from analyzer.tables import TIME

# anything that may be a failure: the cheap prefilter before the features below
_FAILURE_WORDS = ("error", "fail", "fatal", "panic", "exception", "cannot", "can't", "could not", "couldn't",
                  "unable", "denied", "refused", "not found", "no such", "unknown", "abort", "crash", "timed out",
                  "timeout", "invalid", "not supported", "unsupported", "missing", "forbidden", "unavailable",
                  "terminated", "exit code", "exited", "killed", "segmentation fault", "core dumped",
                  "not detected", "no responders", "unreachable", "exceeded")
_PREFILTER = ("(?i)" + "|".join(_FAILURE_WORDS) + "|"
              # levels that name no failure word: klog's E/F header, Go and NATS short levels
              r"\b[EF]\d{4} \d\d:\d\d:\d\d|\b(?:ERR|ERRO|FATA|FTL|CRIT)\b")
# a superset of ``_PREFILTER`` that the regex engine runs as one literal search (Unicode case
# folding and word boundaries make the exact one ~10x slower on every line): ASCII case folding
# plus the two letters that fold to ASCII ones (U+017F to s, U+212A to k), and ASCII word
# boundaries, which next to an ASCII letter are at least wherever the Unicode ones are
_WORDS_ASCII = "(?i-u:" + "|".join(_FAILURE_WORDS) + ")"
_PREFILTER_FAST = (_WORDS_ASCII + "|\u017f|\u212a|"
                   r"(?-u:\b)[EFef]\d{4} \d\d:\d\d:\d\d|(?i-u:\b(?:ERR|ERRO|FATA|FTL|CRIT)\b)")
PREFILTER_FAST = _PREFILTER_FAST  # what ``prefilter`` runs over every row (a pass may share it)
_LEAD = r"^(?:\([^()]{1,80}\)\s*|\[[^\[\]]{1,40}\]:?\s*)*"
EXCEPTION = (r"(?:^|[\s\"'(\[:])(?:[a-z_]\w*\.)*_?[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Timeout|gaierror)"
             r"(?:\[[\w.-]+\])?: \S|" + _LEAD + r"(?:[a-z_]\w*\.)*_?[A-Z]\w*(?:Error|Exception)\s*$")
PANIC = r"^panic: |^fatal error: |(?i:segmentation fault|core dumped|\bSIGSEGV\b|\bSIGABRT\b)"
CLOSING = _LEAD + r"(?:Error|ERROR|error|FATAL|Fatal|fatal)(?:\[[\w-]+\])?:\s+\S"
# an error level in a structured record, or a record that carries an error field (JSON
# ``"error": "..."``, logfmt ``err=``/``error=``): the record reports a failure
LEVEL_TAG = (r"(?i:\blevel=\"?(?:error|fatal|panic|crit\w*)\b|\"(?:level|severity|lvl)\"\s*:\s*\""
             r"(?:error|fatal|panic|critical)\")|\[(?:ERROR|FATAL|CRITICAL)\]|^(?:ERRO|FATA|PANI)\[|"
             r"\"(?:error|err)\"\s*:\s*\"[^\"]|\b(?:error|err)=\"?[^\s\"]")
FATAL_TAG = (r"(?i:\blevel=\"?(?:fatal|panic)\b|\"(?:level|severity|lvl)\"\s*:\s*\"(?:fatal|panic)\")|\[FATAL\]|"
             r"^(?:FATA|PANI)\[|" + _LEAD + r"(?:FATAL|Fatal|fatal)(?:\[[\w-]+\])?:\s")
WORDS = (r"(?i)\b(?:error|fail(?:ed|ure|s|ing)?|cannot|can't|could not|couldn't|unable to|denied|refused|insufficient|"
         r"not found|no such|unknown error|abort(?:ed|ing)?|crash(?:ed|ing)?|timed out|invalid|"
         r"not supported|unsupported|missing|forbidden|unavailable|not detected|no responders|"
         r"unreachable|exceeded|killed)\b")
EXIT = (r"(?i)(?:command terminated with exit code|exit(?:ed)?(?: with)? (?:code|status)|"
        r"exit code:|returned non-zero exit status)\s*[1-9]\d*")
NOISE = (r"(?i)\b(?:retry(?:ing)?|retries|will retry|attempt \d+ (?:of|/) ?\d+|deprecat\w*|FutureWarning|"
         r"DeprecationWarning|UserWarning|not documented|ignor(?:e|ed|ing)|skipp(?:ed|ing)|falling back|"
         r"fall(?:s)? back|fallback|safe to ignore|safely ignored|harmless|optional)\b")
# a status field that reports no failure: "Uncorrectable Error : 0", "errors=0", "Failed: No"
ZERO_REPORT = r"(?i)(?:\s:|[=:])\s*(?:0|no|none|n/a|false|disabled)\s*$"
OPTIONAL_IMPORT = r"(?i)failed to import|no module named|is not installed|not available, "
# not a message (tested on the message, after its prefix): stack frames, the source lines a
# traceback quotes, its markers and separators
FRAME = (r"^\s*(?:File \"|at |/\S+\.go:\d+|[\w.]+\(.*\)$|[\^~]+$|raise \w|Traceback \(most recent call last\))|"
         r"^goroutine \d+ \[|^\s*[-=*#~]{4,}\s*$")
CODE = (r"^\s*(?:return|await|async|def|class|if|elif|else|for|while|with|assert|yield|import|from|try|except|"
        r"finally|lambda|self\.)\b|^\s*[\w.\[\]'\"]+\s*[-+*/]?=\s|[(\[{,\\]$")
# describe output: only a Message field reports a failure (Tolerations, probes and conditions
# hold words such as "unreachable" or "#failure=3" without one)
DESCRIBE_MESSAGE = r"^\s*(?:Message|Error):\s+\S"

MAX_GROUPS = 5000      # template groups kept while folding (the most telling survive)
LEVEL_WINDOW = 5       # lines before a candidate read to find the level of its record
IDENTITY = ("namespace", "pod", "container")
GROUP_SCHEMA: dict[str, pl.DataType] = {
    "template": pl.Utf8, "namespace": pl.Utf8, "pod": pl.Utf8, "container": pl.Utf8,
    "source": pl.Utf8, "count": pl.Int64, "path": pl.Utf8, "line": pl.UInt32, "text": pl.Utf8,
    "level": pl.Utf8, "time": TIME, "last_time": TIME, "last_path": pl.Utf8, "last_line": pl.UInt32,
    "tell": pl.Float64,
    "strong": pl.Boolean, "noise": pl.Boolean, "exit": pl.Boolean,
    # a pattern that hit these lines but needs several to count (min_count): if it counts in
    # the end, it explains them
    "held": pl.Utf8,
}


def prefilter(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows that may be failures (a cheap literal pass over every row, then the exact
    prefilter on the rows it keeps)."""
    cand = rows.filter(pl.col("text").str.contains(_PREFILTER_FAST))
    text = cand.get_column("text")
    # a failure word in ASCII is a match of the exact prefilter: it runs on the other rows only
    sure = text.str.contains(_WORDS_ASCII)
    if not sure.all():
        other = (~sure).arg_true()
        sure = sure.scatter(other, text.gather(other).str.contains(_PREFILTER))
    return cand.filter(sure)


def candidate_features(rows: pl.DataFrame) -> pl.DataFrame:
    """The candidate rows of ``rows`` (columns path, line, text, level, time and the identity)
    with ``template``, ``tell``, ``strong``, ``noise`` and ``exit`` (a line reporting an exit)."""
    text = pl.col("text")
    msg = pl.col("_msg")
    level = pl.col("level").fill_null("")
    # first what makes a row quiet (an INFO or DEBUG record with no exception, panic or error
    # tag): most rows with failure words are such, and the other features run on the rest only
    out = _with_loud(prefilter(rows))
    exc, panic, tag = pl.col("_exc"), pl.col("_panic"), pl.col("_tag")
    quiet = level.is_in(["INFO", "DEBUG"]) & ~exc & ~panic & ~tag
    out = out.filter(~quiet)
    closing = msg.str.contains(CLOSING) | text.str.contains(CLOSING)
    fatal = text.str.contains(FATAL_TAG) | msg.str.contains(FATAL_TAG) | (level == "CRITICAL")
    out = out.with_columns(closing.alias("_closing"), fatal.alias("_fatal"), msg.str.contains(WORDS).alias("_words"),
                           text.str.contains(EXIT).alias("_exit"), text.str.contains(NOISE).alias("_noise"),
                           text.str.contains(OPTIONAL_IMPORT).alias("_optional"))
    closing, fatal, words, exit_ = pl.col("_closing"), pl.col("_fatal"), pl.col("_words"), pl.col("_exit")
    error_level = (level == "ERROR") | tag
    optional_import = pl.col("_optional") & ~exc
    noise = pl.col("_noise") | (optional_import & (level == "WARNING"))
    shaped = exc | panic | closing | fatal
    # a level alone makes a message a candidate, not a line of code quoted under that level
    level_only = error_level & ~msg.str.contains(CODE)
    describe_ok = (pl.col("source") != "describe") | msg.str.contains(DESCRIBE_MESSAGE) | shaped
    keep = ((shaped | level_only | words | exit_) & ~msg.str.contains(FRAME) & describe_ok
            & ~msg.str.contains(ZERO_REPORT))
    tell = (pl.when(exc).then(3.0).otherwise(0.0) + pl.when(panic).then(3.0).otherwise(0.0)
            + pl.when(closing).then(2.0).otherwise(0.0)
            + pl.when(fatal).then(3.0).when(error_level).then(2.0).when(level == "WARNING").then(0.5)
            .otherwise(0.0)
            + pl.when(words).then(1.0).otherwise(0.0) - pl.when(noise).then(3.0).otherwise(0.0))
    strong = (exc | panic | fatal | closing) & ~noise
    out = out.with_columns(tell.alias("tell"), strong.alias("strong"), noise.alias("noise"),
                           exit_.alias("exit"), keep.alias("_keep"))
    out = out.filter(pl.col("_keep") & ((pl.col("tell") > 0) | pl.col("exit")))
    out = out.drop("_keep", "_msg", "_exc", "_panic", "_tag", "_closing", "_fatal", "_words", "_exit", "_noise",
                   "_optional")
    return out.with_columns(template_expr(text).alias("template"))


def _with_loud(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with ``_msg`` and what makes a row a candidate at any level: ``_exc`` (an
    exception's line), ``_panic``, ``_tag`` (an error level or field in its record)."""
    text, msg = pl.col("text"), pl.col("_msg")
    out = rows.with_columns(message_expr(text).alias("_msg"))
    return out.with_columns((text.str.contains(EXCEPTION) | msg.str.contains(EXCEPTION)).alias("_exc"),
                            msg.str.contains(PANIC).alias("_panic"), text.str.contains(LEVEL_TAG).alias("_tag"))


def drop_quiet_starts(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` (path, line, text, ...) without the lines that start an INFO or DEBUG record
    by their own text and show no exception, panic or error tag: whatever lines come before
    them, their record's level is their own, and ``candidate_features`` drops them. Reading a
    line's own level is much cheaper than annotating it (no window, no times)."""
    level, starts = own_levels(rows.get_column("text"))
    maybe = (starts & level.is_in(["INFO", "DEBUG"])).fill_null(False)
    if not maybe.any():
        return rows
    pos = maybe.arg_true()
    loud = _with_loud(rows.gather(pos).select("text")).select(
        pl.col("_exc") | pl.col("_panic") | pl.col("_tag")).to_series()
    return rows.filter(~maybe.scatter(pos, ~loud))


def fold(frame: pl.DataFrame) -> pl.DataFrame:
    """Candidate rows (or groups already folded) -> one row per (template, object): the count,
    the first line, the last line, the highest tell; the ``MAX_GROUPS`` most telling kept."""
    if frame.is_empty():
        return pl.DataFrame(schema=GROUP_SCHEMA)
    if "count" not in frame.columns:
        frame = frame.with_columns(pl.lit(1, dtype=pl.Int64).alias("count"), pl.col("time").alias("last_time"),
                                   pl.col("path").alias("last_path"), pl.col("line").alias("last_line"))
    if "held" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias("held"))
    keys = ["template", *IDENTITY]
    order = ["path", "line"]
    grouped = frame.sort(order, nulls_last=True).group_by(keys, maintain_order=True).agg(
        pl.col("source").first(), pl.col("count").sum(), pl.col("path").first(), pl.col("line").first(),
        pl.col("text").first(), pl.col("level").first(), pl.col("time").min(), pl.col("last_time").max(),
        pl.col("last_path").sort_by("last_path", "last_line").last(),
        pl.col("last_line").sort_by("last_path", "last_line").last(),
        pl.col("tell").max(), pl.col("strong").any(), pl.col("noise").all(), pl.col("exit").any(),
        pl.col("held").drop_nulls().first())
    if grouped.height > MAX_GROUPS:
        grouped = grouped.sort(["tell", "count"], descending=True).head(MAX_GROUPS)
    return grouped.select([pl.col(c).cast(t) for c, t in GROUP_SCHEMA.items()])


def rank(groups: pl.DataFrame) -> pl.DataFrame:
    """Groups with their ``score`` (how telling, for the ranking) and final ``strong``.

    Besides a line's own tell: the last error of a file is likelier the one that ended it (+1);
    an error followed in its file by a reported exit is what the process died of (+1, strong);
    repetition adds a little (a log10 of the count, at most +1)."""
    if groups.is_empty():
        return groups.with_columns(pl.lit(None, dtype=pl.Float64).alias("score"))
    exits = groups.filter(pl.col("exit")).group_by("last_path").agg(pl.col("last_line").max().alias("_exit_line"))
    last = groups.filter(~pl.col("exit") & ~pl.col("noise")).group_by("last_path").agg(
        pl.col("last_line").max().alias("_last_line"))
    out = groups.join(last, on="last_path", how="left").join(exits, on="last_path", how="left")
    before_exit = (pl.col("_exit_line").is_not_null() & (pl.col("line") < pl.col("_exit_line"))
                   & ~pl.col("exit") & ~pl.col("noise"))
    out = out.with_columns(
        (pl.col("tell") + pl.when(pl.col("last_line") == pl.col("_last_line")).then(1.0).otherwise(0.0)
         + pl.when(before_exit).then(1.0).otherwise(0.0)
         + (pl.col("count").cast(pl.Float64).log10().clip(0.0, 1.0))).alias("score"),
        (pl.col("strong") | before_exit).alias("strong"))
    return out.drop("_last_line", "_exit_line").sort(
        ["score", "count", "path", "line"], descending=[True, True, False, False], nulls_last=True)


@dataclass
class ErrorLines:
    """The unexplained error lines of a bundle, folded batch by batch (``add``) into template
    groups (``groups``)."""

    _parts: list[pl.DataFrame] = field(default_factory=list)
    _rows: int = 0

    def add(self, rows: pl.DataFrame, hit_rows: pl.Series | None = None,
            lines: pl.DataFrame | None = None, ref_year: int | None = None,
            held: pl.DataFrame | None = None, maybe: pl.Series | None = None) -> None:
        """Fold the candidates of one batch. ``rows``: path, line, text, level, time, source and
        the identity columns; ``hit_rows``: positions of the rows a pattern hit (explained lines);
        ``held``: positions (``_row``) of rows hit only by a pattern that needs several lines,
        with its ``pattern_id`` (they stay candidates unless that pattern makes a finding).
        Rows without a level (a raw batch) get theirs from ``lines`` (path, line, text: the batch
        and the lines carried before it), as the matcher annotates its hits. ``maybe`` (one
        boolean per row of ``rows``), when given, is False only on rows ``PREFILTER_FAST`` does
        not match (a pass the matcher shares with its own literals): the others are dropped first."""
        if rows.is_empty():
            return
        rows = rows.with_row_index("_r")
        if maybe is not None:
            rows = rows.filter(maybe)
        if hit_rows is not None and len(hit_rows):
            rows = rows.filter(~pl.col("_r").is_in(hit_rows.unique().implode()))
        if held is not None and not held.is_empty():
            first = held.group_by("_row").agg(pl.col("pattern_id").min().alias("held"))
            rows = rows.join(first, left_on="_r", right_on="_row", how="left")
        else:
            rows = rows.with_columns(pl.lit(None, dtype=pl.Utf8).alias("held"))
        rows = prefilter(rows.select("path", "line", "text", "level", "time", "source", *IDENTITY, "held"))
        if rows.is_empty():
            return
        if lines is not None and rows.get_column("level").null_count() == rows.height:
            # a line's level is its own prefix's or its record's; most lines with failure words
            # are quiet by their own prefix, the rest are annotated (a short window finds the
            # records that matter, an ERROR line's continuation, at a fraction of the cost)
            rows = drop_quiet_starts(rows)
            if rows.is_empty():
                return
            ann = annotate_rows(lines, rows.select("path", "line").unique(), ref_year, window=LEVEL_WINDOW)
            rows = rows.drop("level", "time").join(ann.select("path", "line", "level", "time"),
                                                   on=["path", "line"], how="left", nulls_equal=True)
        cand = candidate_features(rows)
        if cand.is_empty():
            return
        # the texts are copied out of the batch, so that the groups do not keep it alive
        part = fold(cand)
        part = part.with_columns(pl.Series("text", part.get_column("text").to_list(), dtype=pl.Utf8),
                                 pl.Series("template", part.get_column("template").to_list(), dtype=pl.Utf8))
        self._parts.append(part)
        self._rows += part.height
        if self._rows > MAX_GROUPS:
            merged = fold(pl.concat(self._parts))
            self._parts, self._rows = [merged], merged.height

    def groups(self) -> pl.DataFrame:
        """Every template group so far (``GROUP_SCHEMA``)."""
        return fold(pl.concat(self._parts)) if self._parts else pl.DataFrame(schema=GROUP_SCHEMA)


def most_telling(lines: list[str]) -> tuple[int, dict] | None:
    """The most telling failure among ``lines`` (say the last log lines of a crashed container,
    oldest first): its index and its row (``text``, ``template``, ``tell``, ``strong``...); None
    when no line shows a failure. Levels come from the lines' own prefixes."""
    if not lines:
        return None
    frame = pl.DataFrame({"path": ["-"] * len(lines), "line": pl.Series(range(1, len(lines) + 1), dtype=pl.UInt32),
                          "text": pl.Series(lines, dtype=pl.Utf8)})
    ann, _ = annotate(frame, None)
    rows = ann.select("path", "line", "text", "level", "time").with_columns(
        pl.lit("log").alias("source"), *(pl.lit(None, dtype=pl.Utf8).alias(c) for c in IDENTITY))
    cand = candidate_features(rows)
    if cand.is_empty():
        return None
    best = rank(fold(cand)).filter(~pl.col("exit") | (pl.col("tell") > 0))
    if best.is_empty():
        return None
    row = best.row(0, named=True)
    return int(row["line"]) - 1, row
