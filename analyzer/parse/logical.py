"""Logical lines: the message a pattern reads, when it spans physical lines or sits in a wrapper.

Real output splits one message over several lines, and the matcher must see it whole. Each
class below is a rule over the line table (Polars expressions; no Python loop over lines), and
each joined line keeps where it came from: ``line`` is its first physical line and ``end_line``
its last, so evidence still points at file:line-range. Real shapes, one per class::

    ERROR: This container was built for NVIDIA Driver Release 450.36 or later, but
           version 440.100 was detected and compatibility mode is UNAVAILABLE.
                      (hanging indent: the continuation starts under a word of the line above,
                       as NGC banners, Rich console columns, journalctl and describe print it)
    (EngineCore pid=316) ValueError: To serve at least one request with the model's max seq len (100000), (4.26 GiB KV cach
    e is needed, which is larger than the available KV cache memory (4.25 GiB).
                      (terminal wrap: a line without the wrapper every line around it carries
                       continues the long line above, mid-word, joined without a space)
        message: 'Back-off pulling image "nvcr.io/nvidia/tritonserver:24.01-py3": ErrImagePull:
          failed to pull and unpack image'
                      (YAML: a plain, quoted, folded ``>-`` or literal ``|`` scalar continued
                       on more-indented lines)
    | tensorrt_llm     | 1       | UNAVAILABLE: ... (/tmp/tritonbuild/tensorrtllm/.../tll |
    |                  |         | Runtime.cpp:72)                                          |
                      (table cell wrap: rows with blank leading cells continue the cell above,
                       without a space when the cell above was full)
    │   Warning  Failed  101s (x4 over 3m7s)  kubelet  Failed to pull image ...: Error response from │
    │  daemon: pull access denied for pf/kubelet-csr-approver, repository does not exist ...      │
                      (a k9s pane: a row that runs into the border continues on the next row)
    error: Failed to spawn: `dynamo`
      Caused by: No such file or directory (os error 2)
                      (an indented cause under an error line)

Structured records are also read with their quotes unescaped (``unescaped_rows``): in a JSON or
logfmt record (zap, logrus, containerd, CRI-O) or a klog ``err="..."`` field, ``\\"`` is a quote,
``\\n`` and ``\\t`` are spaces and ``\\u003c``/``\\u003e``/``\\u0026`` are ``<``/``>``/``&``, so a
pattern written for the message matches it inside the record. ``record_message`` gives a
record's ``msg`` and ``error`` fields alone (for templates of unexplained errors).

A line that joins nothing keeps its raw text: for a file without continuations the logical lines
are its physical lines, and per-pattern counts equal ``rg -c``.
"""

from __future__ import annotations

import polars as pl

from analyzer.parse.logs import PREFIX_RX

# a line that opens with a wrapper every line of its file carries: a kubectl/CRI or journald
# short-iso time, journald's short time and tag, a k9s border, docker compose's service column,
# torchrun's rank, a process tag (vLLM, Ray)
_WRAPPED = (r"^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d) "
            r"|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? [\w.\-]+ [^\s:\[\]]+(?:\[\d+\])?: "
            "|\u2502" r"|\[?[\w.\-]+\]?\s+\| |\[rank\d+\]:|\([^()\n]{1,80}\) )")
# a line that may continue the one above: after its wrapper, indentation, a table row with a
# blank first cell, or nothing (a padded blank line)
_MAYBE_CONT = r"^" + PREFIX_RX + r"(?:[ \t]|\|\s+\||$)"
_PREFIX = r"^" + PREFIX_RX
_BORDER_END = "\\s*\u2502\\s*$"
# (the regexes below run on the few candidate rows of a batch: their cost is compiling them, so
# they keep to ASCII classes and no bounded repetition of large classes)
_K = r"[A-Za-z0-9_.\-/\"']"   # a character of a key
# a line that starts a record of its own (never a continuation), or an elision mark of a paste
_STARTS_RECORD = (r"^(?:\d{4}[-/]\d\d[-/]\d\d|\d\d:\d\d:\d\d|[IWEFD]\d{4} |(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR"
                  r"|CRITICAL|FATAL|NOTE|NOTICE)\b|\[|\{|<[a-z]+>|Traceback|During handling|The above exception"
                  r"|[A-Za-z_][A-Za-z0-9_.]*(?:Error|Exception|Warning)\b|time=|level=|ts=|panic:|goroutine |\+ |\$ |# |> |-- "
                  r"|(?:\.\.\.|\[\.\.\.\]|\u2026)\s*$)")
# an indented line that is structure of its own, not the rest of a sentence: "key: value",
# "Key   : value" (nvidia-smi -q), "Restart Count:  3" (describe), a list item or a command line
# flag, a Python or Java frame, an event row, Python's ^^^ markers under the failing expression,
# brackets that close a JSON object, a table row (columns apart by runs of spaces or a tab) or
# its ---- rule; and every record start
_STRUCTURE = (r"^(?:" + _K + r"+:(?:\s|$)|" + _K + r"[A-Za-z0-9_ .()/\-\"']*?(?:\s+:\s|:\s{2,}|:$)"
              r"|- |-{1,2}[A-Za-z]|File \"|at |\d+ +0x|(?:Normal|Warning)\s|[A-Za-z]+(?:Error|Exception)\b|[\^~]+\s*$"
              r"|[\]\[{}()]+[,;]?\s*$|-{3,}|\S+(?: \S+)*\s{2,}\S+(?: \S+)*\s{2,}\S|\S+\t)")
# a YAML "key: value" whose value may go on over more-indented lines, or a block scalar header
_YAML_KEY = r"^(?P<ind> *)(?P<dash>- )?" + _K + r"+:(?:\s+(?P<val>\S.*)|\s*$)"
_BLOCK_SCALAR = r"^ *(?:- )?" + _K + r"+:\s*[|>][-+]?\d*\s*$"
_ERRORISH = r"(?i)error|fail|exception|fatal|panic"
WRAP_MIN = 60  # a terminal-wrapped line is at least this long (terminals are 80+ columns)


def logical_rows(rows: pl.DataFrame, final: bool = True) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(logical rows, open tail) of a frame of rows in file order (columns path, line, text, ...).

    Each logical row is the first physical row of its group with the joined ``text`` and an
    ``end_line`` (the group's last line). Unless ``final``, the last group is returned apart as
    raw rows (the open tail): the next batch may continue it, so it is matched with that batch.
    """
    if rows.is_empty():
        out = rows.with_columns(pl.col("line").alias("end_line"))
        return out, out.clear().drop("end_line")
    text = rows.get_column("text")
    cont, sep, piece = _continuations(rows)
    tail = rows.clear()
    if not final:
        starts = (~cont).arg_true()
        last = int(starts[-1]) if starts.len() else 0
        # blank rows at the end may be padding inside a message the next batch goes on with
        # (decided by the row after them): hold the message before them too
        while starts.len() > 1 and text.slice(last).str.strip_chars().eq("").all():
            starts = starts.slice(0, starts.len() - 1)
            last = int(starts[-1])
        tail = rows.slice(last)
        rows, text, cont, sep, piece = (rows.slice(0, last), text.slice(0, last), cont.slice(0, last),
                                         sep.slice(0, last), piece.slice(0, last))
    end_line = rows.get_column("line")
    if cont.any():
        grp = (~cont).cum_sum()
        multi = (cont | cont.shift(-1, fill_value=False))
        idx = multi.arg_true()
        sub = pl.DataFrame({"_g": grp.gather(idx), "_i": idx, "_line": end_line.gather(idx),
                            "_cont": cont.gather(idx), "_piece": piece.gather(idx), "_sep": sep.gather(idx),
                            "_text": text.gather(idx)})
        first_piece = pl.when(pl.col("_sep").shift(-1).over("_g") == "").then(pl.col("_text")).otherwise(
            pl.col("_text").str.replace(_BORDER_END, "").str.strip_chars_end())
        # a table row's own closing bar goes before the next row's cell is added
        first_piece = pl.when(pl.col("_text").str.contains(r"^\s*\|")).then(
            pl.col("_text").str.replace(r"\s*\|\s*$", "")).otherwise(first_piece)
        sub = sub.with_columns(pl.when(pl.col("_cont")).then(pl.col("_sep") + pl.col("_piece"))
                               .otherwise(first_piece).alias("_part"))
        joined = sub.group_by("_g", maintain_order=True).agg(
            pl.col("_i").first(), pl.col("_line").last().alias("_end"), pl.col("_part").str.join(""))
        at = joined.get_column("_i")
        text = text.scatter(at, joined.get_column("_part"))
        end_line = end_line.scatter(at, joined.get_column("_end"))
    if not cont.any():  # nothing joined: the rows as they are (their texts are not copied)
        return rows.with_columns(pl.col("line").cast(pl.UInt32).alias("end_line")), tail
    out = rows.with_columns(text.alias("text"), end_line.cast(pl.UInt32).alias("end_line"))
    return out.filter(~cont), tail


def _continuations(rows: pl.DataFrame) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Per row: whether it continues the row above, the separator to put before it ("" or " ")
    and what it adds (its text without wrapper, indentation or borders)."""
    n = rows.height
    text = rows.get_column("text")
    path = rows.get_column("path")
    line = rows.get_column("line").cast(pl.Int64)
    empty_bool = pl.select(pl.repeat(False, n, dtype=pl.Boolean)).to_series()
    empty_str = pl.select(pl.repeat(None, n, dtype=pl.Utf8)).to_series()
    # rows that follow the row above in the same file
    follows = ((path == path.shift(1)) & (line == line.shift(1) + 1)).fill_null(False)
    maybe = text.str.contains(_MAYBE_CONT) & follows
    wrapped = text.str.contains(_WRAPPED)
    long = text.str.len_bytes() >= WRAP_MIN
    # terminal wrap: no wrapper here, a long row above that has one (chains of up to 3 rows), and
    # the row after the wrap has the wrapper again (or the file ends). Only rows after the wrap
    # are looked at, never rows before its first line: a message the previous batch ended in is
    # matched with this one, and must read the same as in one batch
    w1 = (wrapped & long).shift(1, fill_value=False) & ~wrapped & follows
    w2 = (~wrapped & long).shift(1, fill_value=False) & w1.shift(1, fill_value=False) & ~wrapped & follows
    w3 = (~wrapped & long).shift(1, fill_value=False) & w2.shift(1, fill_value=False) & ~wrapped & follows
    maybe_wrap = w1 | w2 | w3
    if maybe_wrap.any():
        nxt = (wrapped | ~follows).shift(-1, fill_value=True)
        ends_ok = pl.select(pl.when(~maybe_wrap.shift(-1, fill_value=False)).then(nxt)).to_series().backward_fill()
        maybe_wrap = maybe_wrap & ends_ok.fill_null(True)
        # an indented row is not a terminal wrap (wraps go on at column 0 or 1)
        at = maybe_wrap.arg_true()
        maybe_wrap = maybe_wrap.clone().scatter(at, ~text.gather(at).str.contains(r"^(?:\s\s|\t)"))
    cand = maybe | maybe_wrap
    if not cand.any():
        return empty_bool, empty_str, empty_str
    row = pl.int_range(0, n, dtype=pl.Int64, eager=True)
    # the block of an indented row starts at the nearest row above that is not indented
    block = pl.select(pl.when(~maybe).then(row)).to_series().forward_fill()
    idx = cand.arg_true().cast(pl.Int64)
    sel = pl.concat([idx, block.gather(idx).drop_nulls()]).unique().sort()
    f = pl.DataFrame({"_i": sel, "t": text.gather(sel), "_cand": cand.gather(sel), "_blk": block.gather(sel),
                      "wrap": maybe_wrap.gather(sel), "p": text.gather((sel - 1).clip(0)),
                      "_first": sel == 0})
    body = pl.col("t").str.replace(_PREFIX, "").str.replace(_BORDER_END, "")
    f = f.with_columns(body.alias("b"))
    f = f.with_columns((pl.col("b").str.len_chars() - pl.col("b").str.strip_chars_start(" ").str.len_chars()).alias("k"),
                       pl.col("b").str.strip_chars_start(" ").alias("r"))
    f = f.with_columns(_anchors(f).alias("_a"))
    # an anchor above the block's first row is in another file or window
    f = f.with_columns(pl.when(pl.col("_i").gather(pl.col("_a").fill_null(0)) >= pl.col("_blk"))
                       .then(pl.col("_a")).alias("_a"))
    a = pl.col("_a")
    raw = pl.col("t").str.replace(_BORDER_END, "")
    f = f.with_columns(pl.col("b").gather(a.fill_null(0)).alias("ab"), pl.col("k").gather(a.fill_null(0)).alias("ak"),
                       raw.gather(a.fill_null(0)).alias("araw"), a.is_not_null().alias("a_ok"),
                       (pl.col("b") == raw).alias("bare"))
    f = f.with_columns(pl.col("r").str.contains(_STRUCTURE).alias("_struct"),
                       pl.col("r").str.contains(_STARTS_RECORD).alias("_start"))
    blank = pl.col("r").str.strip_chars() == ""
    structure = pl.col("_struct") | pl.col("_start")
    tabbed = pl.col("b").str.starts_with("\t")
    # hanging indent: the row starts under a word of its anchor (a space, then a character), in
    # the anchor's message, or in the anchor's whole line when the row has no wrapper of its own
    # (journalctl aligns a message's next lines under its first, after the prefix)
    at_word = ((pl.col("ab").str.slice(pl.col("k") - 1, 2).str.contains(r"^ \S")) & (pl.col("ak") < pl.col("k"))
               | (pl.col("bare") & pl.col("araw").str.slice(pl.col("k") - 1, 2).str.contains(r"^ \S")
                  & (pl.col("k") >= pl.col("araw").str.len_chars() - pl.col("ab").str.len_chars() + pl.col("ak"))))
    hanging = pl.col("a_ok") & (pl.col("k") >= 2) & ~tabbed & ~blank & ~structure & at_word
    # YAML: more indented than a "key: value" (or block scalar) anchor, and no key of its own
    ykey = pl.col("ab").str.extract_groups(_YAML_KEY)
    f = f.with_columns(ykey.struct.field("ind").str.len_chars().alias("yk"),
                       ykey.struct.field("dash").is_not_null().alias("yd"),
                       ykey.struct.field("val").alias("yv"),
                       pl.col("ab").str.contains(_BLOCK_SCALAR).alias("yblock"))
    yaml_ind = pl.col("yk") + pl.when(pl.col("yd")).then(2).otherwise(0)
    yaml = (pl.col("a_ok") & pl.col("yk").is_not_null() & (pl.col("k") > yaml_ind) & ~tabbed & ~blank
            & ~pl.col("ab").str.strip_chars_start(" ").str.contains(_STARTS_RECORD)
            & (pl.col("yblock") | (pl.col("yv").is_not_null() & ~pl.col("_struct"))))
    # a table row whose leading cells are blank continues the cell above
    table = pl.col("b").str.contains(r"^\|(?:\s*\|)+\s*\S") & pl.col("p").str.contains(r"^\s*\|")
    table_full = pl.col("p").str.contains(r"\S \|\s*$")
    # a k9s row after a row that runs into the right border
    pane = (pl.col("t").str.starts_with("\u2502") & pl.col("p").str.contains("\\S \u2502$")
            & ~pl.col("_start") & ~pl.col("r").str.contains(r"^(?:Normal|Warning)\s"))
    caused = (pl.col("r").str.contains(r"^(?:Caused by|caused by):") & (pl.col("k") >= 1)
              & pl.col("a_ok") & pl.col("ab").str.contains(_ERRORISH))
    # terminal wrap: not a record of its own
    wrap = pl.col("wrap") & ~pl.col("b").str.contains(_STARTS_RECORD)
    # a row hangs from its anchor only through an unbroken run: the row above is the anchor, or
    # hangs from the same anchor (a padded blank row between is passed over)
    f = f.with_columns((hanging | yaml | caused).alias("_h"), blank.alias("_blank"),
                       pl.int_range(0, pl.len(), dtype=pl.Int64).alias("_pos"))
    above = (pl.col("_i").shift(1) == pl.col("_i") - 1).fill_null(False)
    above2 = above & (pl.col("_i").shift(2) == pl.col("_i") - 2).fill_null(False)
    run = ((above & (a == pl.col("_pos") - 1))
           | (above & pl.col("_h").shift(1).fill_null(False) & (a.shift(1) == a).fill_null(False))
           | (above2 & pl.col("_blank").shift(1).fill_null(False)
              & ((a == pl.col("_pos") - 2) | (pl.col("_h").shift(2).fill_null(False) & (a.shift(2) == a).fill_null(False)))))
    f = f.with_columns(((pl.col("_h") & run) | table | pane).alias("_c"), wrap.alias("_w"),
                       table.alias("_table"), table_full.alias("_full"))
    # a padded blank row inside a hanging block (Rich pads every row to the column's width)
    nxt = pl.col("_c").shift(-1).fill_null(False) & (pl.col("_i").shift(-1) == pl.col("_i") + 1)
    padded = pl.col("_blank") & (pl.col("b").str.len_chars() >= 8) & nxt & pl.col("a_ok")
    f = f.with_columns(((pl.col("_c") | pl.col("_w") | padded) & pl.col("_cand") & ~pl.col("_first")).alias("_cont"))
    sep = (pl.when(pl.col("_w") | (pl.col("_table") & pl.col("_full")) | pl.col("_blank")).then(pl.lit(""))
           .otherwise(pl.lit(" ")))
    piece = (pl.when(pl.col("_w")).then(pl.col("b"))
             # the cell's own padding space goes, a space the message had at the cut stays
             .when(pl.col("_table")).then(pl.col("b").str.replace(r"^\|(?:\s*\|)* ?", "").str.replace(r"\s*\|\s*$", ""))
             .when(pl.col("_blank")).then(pl.lit(""))
             .otherwise(pl.col("r").str.strip_chars_end()))
    got = f.filter(pl.col("_cont")).select("_i", sep.alias("_sep"), piece.alias("_piece"))
    at = got.get_column("_i")
    # (scatter writes into the series it is called on: each result starts from its own copy)
    return (empty_bool.clone().scatter(at, True), empty_str.clone().scatter(at, got.get_column("_sep")),
            empty_str.clone().scatter(at, got.get_column("_piece")))


def _anchors(f: pl.DataFrame) -> pl.Series:
    """Per row of ``f`` (indented rows with the rows that start their blocks, in file order):
    the position in ``f`` of the nearest row above with a smaller indent (the line an indented
    line hangs from), null when there is none. One vectorised pass per distinct indent."""
    k = f.get_column("k")
    pos = pl.int_range(0, f.height, dtype=pl.Int64, eager=True)
    out = pl.Series("_a", [None] * f.height, dtype=pl.Int64)
    for depth in k.filter(f.get_column("_cand")).unique().sort().to_list()[:_MAX_DEPTHS]:
        if not depth:
            continue
        lower = pl.select(pl.when(k < depth).then(pos)).to_series().shift(1).forward_fill()
        mine = (k == depth).arg_true()
        out = out.scatter(mine, lower.gather(mine))
    return out


_MAX_DEPTHS = 48  # indents looked at per batch (a YAML dump nests a few dozen levels at most)


def unescaped_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows (of ``logical_rows``) that are structured records with escapes, their ``text``
    unescaped: quotes, tabs and newlines in JSON/logfmt records and quoted Go fields. A pattern
    that does not match a record as it was written may match it so (the matcher tries both, and
    keeps the written text as evidence wherever that matches)."""
    text = rows.get_column("text")
    esc = text.str.contains("\\", literal=True).arg_true()   # a literal search first: cheap
    if not esc.len():
        return rows.clear()
    sub = rows[esc]
    t = pl.col("text")
    # an escaped quote, or an escaped newline/tab or \u00XX inside a JSON string (literal searches:
    # Python reprs of prompts with \n, Windows paths, are not records and are passed over cheaply)
    sub = sub.filter(t.str.contains('\\"', literal=True)
                     | ((t.str.contains("\\n", literal=True) | t.str.contains("\\t", literal=True)
                         | t.str.contains("\\u00", literal=True)) & t.str.contains('":', literal=True)))
    sub = sub.filter(t.str.contains(_QUOTED_FIELD))
    if sub.is_empty():
        return sub
    return sub.with_columns(_unescape(sub.get_column("text")).alias("text"))


# a record field whose value is a quoted string: JSON "msg": "...", logfmt msg="...", klog err="..."
_QUOTED_FIELD = r'(?:^|[\s{,])"?(?:msg|message|error|err|errorVerbose|stacktrace|panic|reason|level|log)"?\s*[=:]\s*"'


def _unescape(s: pl.Series) -> pl.Series:
    # a doubled backslash is set aside first so that "\\n" stays a backslash and an n
    return (s.str.replace_all(r"\\\\", "\x00", literal=True)
            .str.replace_all(r'\"', '"', literal=True)
            .str.replace_all(r"\\[nrt]", " ")
            .str.replace_all(r"\u003c", "<", literal=True).str.replace_all(r"\u003e", ">", literal=True)
            .str.replace_all(r"\u0026", "&", literal=True)
            .str.replace_all("\x00", "\\", literal=True))


_MSG = (r'(?:"(?:msg|message)"\s*:\s*"(?P<jm>(?:[^"\\]|\\.)*)"'
        r'|(?:^|\s)msg=(?:"(?P<lm>(?:[^"\\]|\\.)*)"|(?P<lm2>\S+)))')
_ERR = (r'(?:"(?:error|err)"\s*:\s*"(?P<je>(?:[^"\\]|\\.)*)"'
        r'|(?:^|\s)(?:error|err)=(?:"(?P<le>(?:[^"\\]|\\.)*)"|(?P<le2>\S+)))')


def record_message(text: pl.Series) -> pl.Series:
    """The ``msg``/``message`` field of JSON and logfmt records, with their ``error``/``err``
    field after ": ", unescaped; null for lines that are not such records.

    >>> record_message(pl.Series(['level=error msg="sync failed" error="no such pod"', 'plain'])).to_list()
    ['sync failed: no such pod', None]
    """
    m = text.str.extract_groups(_MSG).struct.unnest()
    e = text.str.extract_groups(_ERR).struct.unnest()
    msg = pl.select(pl.coalesce(m["jm"], m["lm"], m["lm2"])).to_series()
    err = pl.select(pl.coalesce(e["je"], e["le"], e["le2"])).to_series()
    both = pl.select(pl.when(msg.is_not_null() & err.is_not_null()).then(msg + ": " + err)
                     .otherwise(pl.coalesce(msg, err))).to_series()
    has = both.is_not_null().arg_true()
    if not has.len():
        return both
    return both.scatter(has, _unescape(both.gather(has)))


def logical_message(text: pl.Series) -> pl.Series:
    """What a line says, without what wraps it: the kubectl/CRI or journald prefix, k9s borders,
    docker compose's service column, Ray's and vLLM's process tags are dropped, and a JSON or
    logfmt record is its ``msg``/``error`` (``record_message``). The record's own header (its
    time and level) stays.

    >>> logical_message(pl.Series(["(RayWorkerWrapper pid=2271, ip=10.0.0.2) ERROR 08-06 21:18:16 [w.py:620] boom",
    ...                            'Aug 03 09:21:22 host crio[1314]: time="2021-08-03T09:21:22Z" level=error msg="pull failed"'])).to_list()
    ['ERROR 08-06 21:18:16 [w.py:620] boom', 'pull failed']
    """
    body = text.str.replace(_PREFIX, "").str.replace(_BORDER_END, "")
    return pl.select(pl.coalesce(record_message(body), body)).to_series()
