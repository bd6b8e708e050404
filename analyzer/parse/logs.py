"""Container logs and any log-like text -> ``log_lines`` (one row per physical line).

Real samples this module reads (each may carry a ``kubectl logs --timestamps`` RFC3339Nano
prefix or a CRI ``<ts> stdout F`` prefix, and ANSI colours)::

    2026-11-20T10:00:01.123456789Z INFO 11-20 10:00:01 [api_server.py:1090] Starting vLLM API server
    (APIServer pid=1) ERROR 08-06 21:18:16 [async_llm.py:704] vllm.v1.engine.exceptions.EngineDeadError: ...
    2025-09-02T15:50:01.770028Z  INFO main.init: VllmWorker for Qwen/Qwen3-0.6B has been initialized
    {"time":"2025-09-02T15:53:31.943377Z","level":"INFO","target":"log","message":"..."}
    I0530 10:00:00.000000       1 scheduler.go:123] "Successfully bound pod to node"
    INFO:     10.254.5.122:45440 - "POST /v1/completions HTTP/1.1" 500 Internal Server Error
    2024-01-15 10:30:00,123 - model_server - ERROR - Prediction failed
    [1] 2026/11/20 10:00:00.000000 [INF] Server is ready
    [Fri Nov 20 10:02:41 2026] NVRM: Xid (PCI:0000:3b:00): 79, ...   (dmesg -T; raw dmesg's
    [ 5123.456789] counts seconds since boot: no wall time)
    Nov 20 10:02:41 gpu-node-1 kernel: NVRM: Xid ...               (syslog, journalctl -k)
    2026-11-20T10:02:41+0000 gpu-node-1 kernel: NVRM: Xid ...      (journalctl -o short-iso)
    time="2022-12-21T09:43:10Z" level=fatal msg="Error starting daemon: ..."   (logrus/logfmt:
    containerd, CRI-O, Go programs; go-kit prints ``level=info ts=...`` first)
    Aug 03 09:20:17.589552 ip-10-0-189-142 hyperkube[1359]: E0803 09:20:17.589529 1359 kubelet.go:2303] ...
    Aug 03 09:21:22.276786 ip-10-0-195-177 crio[1314]: time="2021-08-03 09:21:22.276784981Z" level=info msg=...
                              (journald around a record: the record inside keeps its format and level)
    {"level":"error","ts":1640666407.3959372,"logger":"controller","msg":"Reconciler error"}   (zap)
    WARN[0000] The "HF_TOKEN" variable is not set.      (logrus on a terminal)
    panic: runtime error: ... / goroutine 1 [running]: / main.main()   (a Go panic and its stack)
    vllm-1  | INFO ...   (RayWorkerWrapper pid=2271, ip=10.0.0.2) ERROR ...   [rank0]: ...
                              (docker compose, Ray and torchrun wrappers: the record after them is read)
    Traceback (most recent call last):            <- attached to the record that started it

Each line keeps its raw ``text`` (so per-pattern counts equal ``rg -c``); ``time``, ``level`` and
``format`` come from the line's own prefix, ``record_line`` points continuation lines (traceback
frames, the final ``torch.OutOfMemoryError: ...``) at the line that started their record, and
those lines inherit the record's time and level.

Files are read in blocks, never whole: memory is bounded by the block size, whatever the file.
"""

from __future__ import annotations

import re
from typing import IO, Iterator

import polars as pl

try:  # dependencies; without them, lines are split by Polars on a decoded copy of each block
    import numpy as np
    import pyarrow as pa
    if not hasattr(pa, "string_view"):  # pragma: no cover - pyarrow < 16
        raise ImportError("pyarrow without string_view")
except ImportError:  # pragma: no cover
    np = pa = None

from analyzer.parse.quantity import TIME_MAX, TIME_MIN
from analyzer.tables import SCHEMAS, TIME

BLOCK_BYTES = 4 << 20

# the RFC3339Nano time ``kubectl logs --timestamps`` (and the CRI log format) puts before a line
KUBECTL_TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)"
# ``kubectl cluster-info dump`` writes a pod's containers into one logs.txt, each section opened
# by this line (and closed by the same with END)
DUMP_LOG_START = r"^==== START logs for container (\S+) of pod "

_ANSI = r"(?:\x1b\[[0-9;]*m)*"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
# syslog's "host ident[pid]: " after the time (journalctl's short formats print the same)
_SYSLOG_TAG = r" [\w.\-]+ [^\s:\[\]]+(?:\[\d+\])?: "
_LEVEL_WORD = r"TRACE|DEBUG|INFO|WARN|WARNING|ERROR|CRITICAL|FATAL"
# What wraps a record, outermost first; each part is optional:
# - a ``kubectl logs --timestamps``/CRI time (RFC3339Nano, always Z), or journalctl -o short-iso's
#   time and "host ident[pid]: " (a numeric zone; both read as one date-time, then split);
# - journalctl's short/short-precise or syslog's "Mon DD HH:MM:SS host ident[pid]: " (the record
#   inside keeps its own format and level);
# - a k9s log pane's left border, docker compose's "service  | ", torchrun's "[rank0]: ";
# - a process tag: vLLM's "(APIServer pid=1)", "(EngineCore_DP0 pid=291)", Ray's
#   "(RayWorkerWrapper pid=312, ip=10.0.0.2)".
PREFIX_RX = (
    r"(?:(?P<ts0>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?)"
    r"(?:(?P<jz>[+-]\d\d:?\d\d)" + _SYSLOG_TAG + r"|(?P<kz>Z|[+-]\d\d:\d\d)(?P<cri> (?:stdout|stderr) [FP])? ))?"
    r"(?:(?P<syts>" + _MONTH + r" [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?)" + _SYSLOG_TAG + ")?"
    "(?:\u2502 ?|" r"\[?[\w.\-]+\]?\s+\| |\[rank\d+\]:\s?)?"
    + _ANSI +
    r"(?:\([^()\n]{1,80}\)" + _ANSI + r" )?"
)
# the record formats, in two passes: the common ones over every line, then the others over the
# lines the first pass found no format in (a second alternation costs every line otherwise)
LINE_RX = (
    r"^" + PREFIX_RX +
    r"(?:"
    r"(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)" + _ANSI
    + r"\s+" + _ANSI + r"(?:-\s+)?(?:[\w.\-]+\s+(?:-\s+)?){0,2}\[?(?P<isolvl>" + _LEVEL_WORD + r")\b"
    r"|(?P<vlvl>DEBUG|INFO|WARNING|ERROR|CRITICAL) (?P<vts>\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)? "
    r"|(?P<klvl>[IWEF])(?P<klts>\d{4} \d\d:\d\d:\d\d\.\d+)\s+\d+ "
    r"|\[\d+\] (?P<nts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d+) \[(?P<nlvl>INF|WRN|ERR|FTL|DBG|TRC)\]"
    r"|(?P<plvl>DEBUG|INFO|WARNING|ERROR|CRITICAL):(?:\s|[\w.]+:)"
    r"|\{.{0,200}?\"(?:time|timestamp|ts|@timestamp)\"\s*:\s*(?:\"(?P<jts>[^\"]+)\"|(?P<jep>\d{9,10}(?:\.\d+)?)\b)"
    r"|(?P<jopen>\{)"
    r"|\[(?P<sts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)[^\]]{0,40}\]"
    r"|\[TensorRT-LLM\]\[(?P<tlvl>[A-Z]+)\]"
    # Go's log package, optionally with a level word
    r"|(?P<gts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)(?:\.\d+)? (?:\[?(?P<glvl>" + _LEVEL_WORD + r"|PANIC)\]?:? )?"
    r"|\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<dmts>" + _MONTH + r" [ \d]\d \d\d:\d\d:\d\d \d{4})\] "
    r"|(?P<dmono>\[\s*\d+\.\d+\]) "
    r"|\s?(?P<dlvl>TRACE|DEBUG|INFO|WARN|WARNING|ERROR) "
    r"|(?P<tb>Traceback \(most recent call last\))"
    # lines that continue the record above: indented frames, blank lines, a chained exception,
    # the exception's final line
    r"|(?P<cont>[ \t]|$|During handling of the above|The above exception was|[A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit)\b)"
    r")?"
)
LINE_RX2 = (
    r"^" + PREFIX_RX +
    r"(?:"
    # logfmt (logrus, containerd, CRI-O, go-kit, slog's text handler): time=/ts= before or after level=
    r"(?:(?:time|ts|t)=(?P<lft1>\"[^\"]*\"|[^\s\"]+) )?(?:lvl|level)=\"?(?P<lflvl>[A-Za-z]+)\"?"
    r"(?: (?:time|ts|t)=(?P<lft2>\"[^\"]*\"|[^\s\"]+))?"
    # logrus' terminal format: "ERRO[0012] msg" (seconds since start) or "INFO[2024-01-15T10:30:00Z] msg"
    r"|(?P<lrlvl>TRAC|DEBU|INFO|WARN|ERRO|FATA|PANI)\[(?P<lrts>[^\]]{1,40})\] "
    # a level in brackets or angle brackets without a time (CoreDNS "[INFO] ", NetworkManager "<warn> ")
    r"|\[(?P<blvl>" + _LEVEL_WORD + r")\] |<(?P<alvl>info|warn|error|debug|trace)> "
    # a clock time without a date, then the level (Rich console handlers: "18:57:53-195282 ERROR ")
    r"|\d\d:\d\d:\d\d(?:[-.,]\d+)? +(?P<rlvl>DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    # Open vSwitch: "2021-08-03T09:15:58Z|00001|dns_resolve|WARN|msg" (under journald: "ovs|00001|...")
    r"|(?:(?P<ovts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)|ovs)\|\d+\|[\w\-]+\|(?P<ovlvl>EMER|ERR|WARN|INFO|DBG)\|"
    r"|(?P<gopanic>panic: |fatal error: )"
    # a Go panic's stack continues its record: signal, goroutine header, frames, "created by"
    r"|(?P<gocont>goroutine \d+ \[|created by |\[signal SIG|[\w.\-/]*[\w)]\.\(?\*?[\w.]*\)?\.?[\w.]*\((?:0x[\da-f]+|\{[^}]*\}|\.\.\.|, )*\)$)"
    r")?"
)
_INNER = ("iso", "isolvl", "vlvl", "vts", "klvl", "klts", "nts", "nlvl", "plvl", "jts", "jep", "jopen", "sts",
          "tlvl", "gts", "glvl", "dmts", "dmono", "dlvl", "tb", "cont")
_INNER2 = ("lft1", "lflvl", "lft2", "lrlvl", "lrts", "blvl", "alvl", "rlvl", "ovts", "ovlvl", "gopanic", "gocont")

_LEVELS = {
    "I": "INFO", "INF": "INFO", "INFO": "INFO",
    "W": "WARNING", "WRN": "WARNING", "WARN": "WARNING", "WARNING": "WARNING",
    "E": "ERROR", "ERR": "ERROR", "ERROR": "ERROR",
    "F": "CRITICAL", "FTL": "CRITICAL", "FATAL": "CRITICAL", "CRITICAL": "CRITICAL",
    "PANIC": "CRITICAL",
    "D": "DEBUG", "DBG": "DEBUG", "DEBUG": "DEBUG", "TRACE": "DEBUG", "TRC": "DEBUG",
    "V": "DEBUG", "VERBOSE": "DEBUG",
    # logrus' four-letter terminal levels and log15's (``lvl=eror``)
    "ERRO": "ERROR", "EROR": "ERROR", "FATA": "CRITICAL", "PANI": "CRITICAL", "CRIT": "CRITICAL",
    "DEBU": "DEBUG", "DBUG": "DEBUG", "TRAC": "DEBUG", "WARNING:": "WARNING",
    "NOTICE": "INFO", "EMERG": "CRITICAL", "EMER": "CRITICAL", "ALERT": "CRITICAL",
}
_RFC3339 = "%Y-%m-%dT%H:%M:%S%.f%#z"
RFC3339 = _RFC3339  # strptime format of a kubelet/CRI timestamp (shared with the matcher)


def split_dump_logs(data: bytes) -> dict[str, bytes]:
    """The per-container logs of a ``cluster-info dump`` logs.txt (sections between START/END markers).

    >>> split_dump_logs(b"==== START logs for container main of pod ns/p ====\\nhello\\n"
    ...                 b"==== END logs for container main of pod ns/p ====\\n")
    {'main': b'hello\\n'}
    """
    out: dict[str, bytes] = {}
    starts = list(re.finditer(DUMP_LOG_START.encode(), data, re.M))
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(data)
        eol = data.find(b"\n", m.end(), end)
        body = data[eol + 1:end] if eol >= 0 else b""
        marker = body.rfind(b"==== END logs for container ")
        out[m.group(1).decode("utf-8", "replace")] = body[:marker] if marker >= 0 else body
    return out


def iter_line_blocks(stream: IO[bytes], max_line: int, block: int = BLOCK_BYTES
                     ) -> Iterator[tuple[str, int, list[int]]]:
    """Yield (text, first line number, cut line numbers): whole lines, ``block`` bytes at a time.

    A line longer than ``max_line`` bytes is cut to ``max_line`` (its number is reported) and the
    rest of it is skipped without being held in memory.
    """
    for body, first, cut in _raw_line_blocks(stream, max_line, block):
        if isinstance(body, bytes):
            text, _, long = _cut_long(body, max_line, first)
            cut = cut + long
        else:
            text = body
        yield text, first, cut


def _raw_line_blocks(stream: IO[bytes], max_line: int, block: int = BLOCK_BYTES
                     ) -> Iterator[tuple[bytes | str, int, list[int]]]:
    """``iter_line_blocks`` before the lines of a block are cut and decoded: a block of whole
    lines comes as bytes (its long lines not cut yet), a piece of an over-long line as its cut
    text."""
    line_no = 1
    carry = b""
    skipping = False  # inside an over-long line, discarding until its newline
    cut: list[int] = []
    while True:
        chunk = stream.read(block)
        if not chunk:
            break
        if skipping:
            nl = chunk.find(b"\n")
            if nl < 0:
                continue
            chunk = chunk[nl + 1:]
            skipping = False
            line_no += 1
        data = carry + chunk
        end = data.rfind(b"\n")
        if end < 0:
            if len(data) > max_line:
                cut.append(line_no)
                yield _decode(data[:max_line]), line_no, cut
                cut = []
                carry, skipping = b"", True
            else:
                carry = data
            continue
        body, carry = data[:end], data[end + 1:]
        yield body, line_no, cut
        cut = []
        line_no += body.count(b"\n") + 1
        if len(carry) > max_line:
            cut.append(line_no)
            yield _decode(carry[:max_line]), line_no, cut
            cut = []
            carry, skipping = b"", True
    if carry and not skipping:
        yield carry, line_no, cut
    elif cut:
        yield "", line_no, cut


def _cut_long(body: bytes, max_line: int, first: int) -> tuple[str, int, list[int]]:
    n_lines = body.count(b"\n") + 1
    if len(body) <= max_line or _longest_line(body) <= max_line:
        return _decode(body), n_lines, []
    parts = body.split(b"\n")
    long = [first + i for i, p in enumerate(parts) if len(p) > max_line]
    return _decode(b"\n".join(p[:max_line] for p in parts)), n_lines, long


def _longest_line(body: bytes) -> int:
    """Length of the longest line of ``body`` (vectorised: no split into line objects)."""
    if np is None:  # pragma: no cover
        return max(map(len, body.split(b"\n")))
    nl = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == 10)
    if not len(nl):
        return len(body)
    edges = np.concatenate(([-1], nl, [len(body)]))
    return int(np.diff(edges).max()) - 1


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def lines_frame(text: str, first_line: int) -> pl.DataFrame:
    """One row per line of ``text`` (``line``, ``text``), CR of CRLF endings dropped."""
    s = pl.Series("text", [text]).str.split("\n").explode()
    df = pl.DataFrame({"text": s})
    line = pl.int_range(first_line, first_line + df.height, dtype=pl.UInt32).alias("line")
    if "\r" not in text:  # most logs: skip rewriting every row
        return df.with_columns(line)
    return df.with_columns(line, pl.col("text").str.strip_suffix("\r"))


def _block_frame(body: bytes | str, first_line: int, max_line: int) -> tuple[pl.DataFrame, list[int]]:
    """``lines_frame`` of one block from ``_raw_line_blocks``, and the numbers of its lines cut
    to ``max_line`` bytes."""
    if isinstance(body, str):
        return lines_frame(body, first_line), []
    if np is not None:
        text = _line_views(body, max_line)
        if text is not None:
            line = pl.Series("line", np.arange(first_line, first_line + len(text), dtype=np.uint32))
            return pl.DataFrame([line, text]).select("text", "line"), []
    text, _, long = _cut_long(body, max_line, first_line)
    return lines_frame(text, first_line), long


def _line_views(body: bytes, max_line: int) -> pl.Series | None:
    """The lines of ``body`` (split on LF, one CR before it dropped) as a string column whose
    values point into ``body`` itself: no decoded copy, no per-line objects. ``None`` when a line
    is longer than ``max_line`` (the caller cuts it).

    An Arrow string view is 16 bytes: the length, then the string itself when it has at most 12
    bytes, else its first 4 bytes, a buffer index and the offset of the string in that buffer.
    """
    arr = _views(body, max_line)
    if arr is None or body.isascii():
        return None if arr is None else pl.Series("text", arr)
    try:  # Arrow's UTF-8 check (vectorised, no copy; decoding in Python cost 10x more)
        arr.validate(full=True)
    except pa.ArrowInvalid:  # replaced as the decoder does; LF is never part of a sequence
        arr = _views(body.decode("utf-8", errors="replace").encode("utf-8"), max_line)
        if arr is None:
            return None
    return pl.Series("text", arr)


def _views(body: bytes, max_line: int) -> pa.Array | None:
    """``_line_views`` before the UTF-8 check."""
    data = np.frombuffer(body, dtype=np.uint8)
    nl = np.flatnonzero(data == 10)
    n = len(nl) + 1
    starts = np.empty(n, np.int64)
    starts[0] = 0
    starts[1:] = nl + 1
    ends = np.empty(n, np.int64)
    ends[:-1] = nl
    ends[-1] = len(body)
    lens = ends - starts
    if int(lens.max()) > max_line:
        return None
    cr = lens > 0
    cr[cr] = data[ends[cr] - 1] == 13
    lens -= cr
    pad = np.zeros(len(body) + 12, np.uint8)
    pad[:len(body)] = data
    head = pad[starts[:, None] + np.arange(12)]
    inline = lens <= 12
    head[np.arange(12)[None, :] >= np.where(inline, lens, 4)[:, None]] = 0
    views = np.zeros((n, 4), np.int32)
    views.view(np.uint8).reshape(n, 16)[:, 4:] = head
    views[:, 0] = lens
    views[~inline, 2] = 0
    views[~inline, 3] = starts[~inline]
    return pa.Array.from_buffers(pa.string_view(), n, [None, pa.py_buffer(views), pa.py_buffer(body)])


def annotate(df: pl.DataFrame, ref_year: int | None, carry: dict | None = None) -> tuple[pl.DataFrame, dict]:
    """Add time, level, format and record_line to a frame of (path, line, text) rows.

    Rows are in file order. A record never spans a change of file or a gap in line numbers (a
    window of a file): the first row after one starts a record. ``carry`` is the state of the
    record open at the end of the previous block of the same file (used when this block
    continues it); the returned dict is the state at the end of this block.
    """
    out, state, _ = _annotate(df, ref_year, carry)
    return out, state


def _annotate(df: pl.DataFrame, ref_year: int | None, carry: dict | None) -> tuple[pl.DataFrame, dict, pl.Series]:
    """``annotate``, and per row whether it starts a record by its own text (neither a
    continuation nor a traceback line): such a row's annotation does not depend on the rows
    before it."""
    g = _groups(df.get_column("text"))
    g = g.with_columns(pl.when(pl.col("kz").is_not_null()).then(pl.col("ts0") + pl.col("kz")).alias("kts"),
                       pl.when(pl.col("jz").is_not_null()).then(pl.col("ts0") + pl.col("jz")).alias("jiso"))
    year = str(ref_year) if ref_year else None
    kts = g["kts"].str.to_datetime(_RFC3339, strict=False, time_unit="us")
    utc = lambda s, f: s.str.to_datetime(f, strict=False, time_unit="us").dt.replace_time_zone("UTC")  # noqa: E731
    # times that carry their year first: a record inside a journald line keeps its own full time
    # when the journald prefix has none (no reference year)
    # the RFC3339-like times are one column parsed once (one of them per line, inner ones first)
    iso_like = pl.select(pl.coalesce(
        g["iso"], g["jts"], g["lft1"].str.strip_chars('"'), g["lft2"].str.strip_chars('"'),
        g["lrts"].str.extract(r"^(\d{4}-\d\d-\d\d[T ].*)$", 1), g["ovts"], g["jiso"])).to_series()
    parts = [_iso(iso_like), _epoch(g["jep"]),
             utc(g["nts"], "%Y/%m/%d %H:%M:%S%.f"),
             utc(g["sts"], "%Y-%m-%d %H:%M:%S"),
             utc(g["gts"], "%Y/%m/%d %H:%M:%S"),
             # dmesg -T prints the node's local time; nodes keep UTC (the weekday is left out: a
             # wrong one would void the stamp)
             utc(g["dmts"].str.replace_all(r"\s+", " "), "%b %d %H:%M:%S %Y")]
    if year:
        parts.append(utc(year + " " + g["syts"].str.replace_all(r"\s+", " "), "%Y %b %d %H:%M:%S%.f"))
        parts.append(utc(year + "-" + g["vts"], "%Y-%m-%d %H:%M:%S"))
        parts.append(utc(year + g["klts"], "%Y%m%d %H:%M:%S%.f"))
    # a stamp that no Python datetime holds (year 0 after an offset, year 10000) is no time
    inner_time = pl.select(pl.coalesce([_representable(p.cast(TIME)) for p in parts])).to_series()
    level, json_level = _own_level(g, df.get_column("text"))
    outer = pl.select(
        pl.when(g["dmts"].is_not_null() | g["dmono"].is_not_null()).then(pl.lit("dmesg"))
        .when(g["syts"].is_not_null() | g["jiso"].is_not_null()).then(pl.lit("syslog"))
        .when(g["kts"].is_not_null() & g["cri"].is_not_null()).then(pl.lit("cri"))
        .when(g["kts"].is_not_null()).then(pl.lit("kubectl-ts"))
        .otherwise(pl.lit("plain"))
    ).to_series()
    text = df.get_column("text")
    # the record's own format when it is known, else what wraps it
    fmt = pl.select(
        # tracing-style "2025-09-02T15:50:01.770028Z  INFO target: msg" is Dynamo's readable format
        pl.when(g["dlvl"].is_not_null() | (g["isolvl"].is_not_null() & g["iso"].str.contains("T", literal=True)))
        .then(pl.lit("dynamo"))
        .when(g["isolvl"].is_not_null()).then(pl.lit("python"))
        .when(g["vlvl"].is_not_null()).then(pl.lit("vllm"))
        .when(g["klvl"].is_not_null()).then(pl.lit("klog"))
        .when(g["nlvl"].is_not_null()).then(pl.lit("nats"))
        .when(g["plvl"].is_not_null() & text.str.contains(r"(?:INFO|WARNING|ERROR|DEBUG|CRITICAL):\s{2,}"))
        .then(pl.lit("uvicorn"))
        .when(g["plvl"].is_not_null()).then(pl.lit("python"))
        .when(g["lflvl"].is_not_null()).then(pl.lit("logfmt"))
        .when(g["lrlvl"].is_not_null()).then(pl.lit("logrus"))
        .when(g["ovlvl"].is_not_null()).then(pl.lit("ovs"))
        .when((g["jts"].is_not_null() | g["jep"].is_not_null() | json_level.is_not_null())
              & text.str.contains('"target":', literal=True)).then(pl.lit("dynamo-jsonl"))
        .when(g["jts"].is_not_null() | g["jep"].is_not_null() | json_level.is_not_null()).then(pl.lit("json"))
        .when(g["sts"].is_not_null()).then(pl.lit("sglang"))
        .when(g["tlvl"].is_not_null()).then(pl.lit("trtllm"))
        .when(g["gts"].is_not_null() | g["gopanic"].is_not_null()).then(pl.lit("go"))
        .otherwise(outer)
    ).to_series()
    line = df.get_column("line")
    cont = g["cont"].is_not_null() | g["gocont"].is_not_null()
    tb = g["tb"].is_not_null()
    n = df.height
    row = pl.int_range(0, n, eager=True, dtype=pl.Int64)
    path = df.get_column("path") if "path" in df.columns else pl.Series([None] * n, dtype=pl.Utf8)
    if carry and n and (carry.get("path") != path[0] or carry.get("line", -1) + 1 != line[0]):
        carry = None
    carry = carry or {}
    # a new file or a gap in line numbers always starts a record
    boundary = ((path != path.shift(1)).fill_null(True) | (line.cast(pl.Int64) != line.cast(pl.Int64).shift(1) + 1).fill_null(True))
    if carry:
        boundary = boundary & (row != 0)
    # first pass: records without tracebacks, to know the level of the record a traceback follows
    start1 = ~(cont | tb)
    idx1 = pl.select(pl.when(start1).then(row)).to_series().forward_fill()
    rec_level1 = _gather(level, idx1, carry.get("level"))
    prev_err = rec_level1.shift(1, fill_value=carry.get("level")).is_in(
        ["ERROR", "CRITICAL", "WARNING"]).fill_null(False)
    start = start1 | (tb & ~prev_err) | boundary
    idx = pl.select(pl.when(start).then(row)).to_series().forward_fill()
    record_line = _gather(line, idx, carry.get("record_line"))
    record_time = _gather(inner_time, idx, carry.get("time"))
    record_level = _gather(level, idx, carry.get("level"))
    time = pl.select(pl.coalesce([_representable(kts.cast(TIME)), record_time])).to_series()
    out = df.with_columns(
        record_line.cast(pl.UInt32).alias("record_line"), time.alias("time"),
        record_level.alias("level"), fmt.alias("format"))
    state = {}
    if out.height:
        last = out.row(out.height - 1, named=True)
        state = {"record_line": last["record_line"], "time": record_time[-1], "level": last["level"],
                 "path": last.get("path"), "line": last["line"]}
    return out, state, start1


def _own_level(g: pl.DataFrame, text: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(level, JSON record level) of each line by its own text (``_groups`` of ``text``)."""
    panic = pl.select(pl.when(g["gopanic"].is_not_null()).then(pl.lit("PANIC"))).to_series()
    raw_level = pl.select(pl.coalesce([g["isolvl"], g["dlvl"], g["vlvl"], g["klvl"], g["nlvl"], g["plvl"], g["tlvl"],
                                       g["lflvl"], g["lrlvl"], g["glvl"], g["blvl"], g["alvl"], g["rlvl"], g["ovlvl"],
                                       panic])).to_series()
    json_level = _json_level(text, g["jopen"].is_not_null() | g["jts"].is_not_null() | g["jep"].is_not_null())
    level = pl.select(pl.coalesce([raw_level, json_level]).str.to_uppercase()).to_series().replace_strict(
        _LEVELS, default=None, return_dtype=pl.Utf8)
    return level, json_level


def own_levels(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(level, starts) of each line by its own text alone: ``starts`` is True where the line
    starts a record (neither a continuation nor a traceback line), and there ``level`` is what
    ``annotate`` gives the line whatever lines come before it. Cheaper than ``annotate``: no
    times, no formats."""
    g = _groups(text)
    level, _ = _own_level(g, text)
    starts = ~(g["cont"].is_not_null() | g["gocont"].is_not_null() | g["tb"].is_not_null())
    return level, starts


def representable(times: pl.Expr) -> pl.Expr:
    """``times`` with those outside TIME_MIN..TIME_MAX (what Python's datetime holds: a stamp of
    year 1 with a positive offset is year 0 in UTC) as null."""
    return pl.when(times.is_between(TIME_MIN, TIME_MAX)).then(times)


def _representable(s: pl.Series) -> pl.Series:
    return pl.select(representable(pl.lit(s))).to_series()


def _iso(s: pl.Series) -> pl.Series:
    """RFC3339-ish strings (space or T, comma or dot, with or without zone) -> UTC datetimes."""
    norm = s.str.replace(" ", "T", literal=True).str.replace(",", ".", literal=True)
    has_zone = norm.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$")
    norm = pl.select(pl.when(has_zone).then(norm).otherwise(norm + "Z")).to_series()
    return norm.str.to_datetime(_RFC3339, strict=False, time_unit="us").cast(TIME)


def _groups(text: pl.Series) -> pl.DataFrame:
    """The named groups of ``LINE_RX`` and, for the lines whose record it did not recognise, of
    ``LINE_RX2`` (null elsewhere)."""
    g = text.str.extract_groups(LINE_RX).struct.unnest()
    none = pl.all_horizontal(pl.col(c).is_null() for c in _INNER)
    rows = g.select(none.alias("n")).to_series().arg_true()
    if not rows.len():
        return g.with_columns(pl.lit(None, dtype=pl.Utf8).alias(c) for c in _INNER2)
    g2 = text.gather(rows).str.extract_groups(LINE_RX2).struct.unnest()
    empty = pl.Series([None], dtype=pl.Utf8).extend_constant(None, text.len() - 1) if text.len() else pl.Series([], dtype=pl.Utf8)
    return g.with_columns(empty.clone().scatter(rows, g2.get_column(c)).alias(c) for c in _INNER2)


def _json_level(text: pl.Series, is_json: pl.Series) -> pl.Series:
    """The level of the JSON records among ``text`` (rows where ``is_json``: a record opens after
    the prefix), wherever its key stands; null elsewhere."""
    rows = is_json.arg_true()
    out = pl.Series("level", [None] * text.len(), dtype=pl.Utf8)
    if rows.len():
        got = text.gather(rows).str.extract(r'"(?:level|severity|lvl|levelname)"\s*:\s*"(\w+)"', 1)
        out = out.scatter(rows, got)
    return out


def _epoch(s: pl.Series) -> pl.Series:
    """Seconds since the epoch as text (zap's ``"ts":1640666407.3959372``) -> UTC datetimes."""
    us = (s.cast(pl.Float64, strict=False) * 1_000_000).cast(pl.Int64, strict=False)
    return us.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _gather(values: pl.Series, idx: pl.Series, initial) -> pl.Series:
    """Each row's value at its record's start row; rows before the block's first start get
    ``initial`` (the record carried over from the previous block)."""
    got = values.gather(idx.fill_null(0))
    if idx.null_count():
        got = pl.select(pl.when(idx.is_null()).then(pl.lit(initial, dtype=values.dtype))
                        .otherwise(got)).to_series()
    return got


def log_frames(stream: IO[bytes], identity: dict, max_line: int, ref_year: int | None,
               errors: list[str], block: int = BLOCK_BYTES, annotated: bool = True) -> Iterator[pl.DataFrame]:
    """``log_lines`` frames for one file, a block at a time. Cut lines are added to ``errors``.

    With ``annotated=False`` the time/level/format/record_line columns are left null: matching
    needs only the text, and ``annotate`` is run later on the few rows that matched.
    """
    carry: dict = {}
    schema = SCHEMAS["log_lines"]
    ident = [pl.lit(identity.get(c), dtype=schema[c]).alias(c)
             for c in ("path", "namespace", "pod", "container", "previous", "source")]
    # unannotated frames take every column in one step (a few steps per block added up over
    # the thousands of small files of a bundle)
    raw = [pl.col(c) if c in ("line", "text") else
           next((e for e in ident if e.meta.output_name() == c), pl.lit(None, dtype=schema[c]).alias(c))
           for c in schema]
    for body, first, cut in _raw_line_blocks(stream, max_line, block):
        df, long = _block_frame(body, first, max_line)
        for n in cut + long:
            errors.append(f"line {n} longer than {max_line} bytes: cut")
        if annotated:
            df, carry = annotate(df.with_columns(ident), ref_year, carry)
            yield df.select(list(schema))
        else:
            yield df.select(raw)


def annotate_rows(batch: pl.DataFrame, wanted: pl.DataFrame, ref_year: int | None,
                  window: int = 200) -> pl.DataFrame:
    """Annotation of the ``wanted`` (path, line) rows of a raw batch.

    Each wanted row is annotated within the ``window`` lines before it in its file (a record
    starting further back than that is taken to start at the window's first line). A row that
    starts a record by its own text is annotated alone (the lines before it change nothing), so
    the window is read only for continuation and traceback lines.
    """
    if wanted.is_empty():
        return wanted.with_columns(
            pl.lit(None, dtype=pl.UInt32).alias("record_line"), pl.lit(None, dtype=TIME).alias("time"),
            pl.lit(None, dtype=pl.Utf8).alias("level"), pl.lit(None, dtype=pl.Utf8).alias("format"))
    cols = ["path", "line", "record_line", "time", "level", "format"]
    done = None
    rest = wanted.select("path", "line").unique()
    if rest.height * 4 < batch.height:  # a few rows: those that start a record need no window
        own = batch.join(rest, on=["path", "line"], how="semi").sort("path", "line")
        alone, _, starts = _annotate(own.select("path", "line", "text"), ref_year, None)
        done = alone.filter(starts).select(cols)
        rest = alone.filter(~starts).select("path", "line")
        if rest.is_empty():
            return wanted.join(done, on=["path", "line"], how="left")
    # each batch row is kept when the next wanted row of its file is at most ``window`` lines on
    # (an as-of join: linear, where pairing every row with every wanted row was quadratic)
    want = rest.select("path", pl.col("line").cast(pl.Int64).alias("_w")).sort("_w")
    rows = batch.select("path", "line", pl.col("line").cast(pl.Int64).alias("_l")).sort("_l")
    near = rows.join_asof(want, left_on="_l", right_on="_w", by="path", strategy="forward",
                          check_sortedness=False)
    keep = near.filter(pl.col("_w").is_not_null() & (pl.col("_w") - pl.col("_l") <= window)).select("path", "line")
    sub = batch.join(keep, on=["path", "line"], how="semi").sort("path", "line")
    annotated, _ = annotate(sub.select("path", "line", "text"), ref_year)
    got = annotated.join(rest, on=["path", "line"], how="semi").select(cols)
    return wanted.join(got if done is None else pl.concat([done, got]), on=["path", "line"], how="left")
