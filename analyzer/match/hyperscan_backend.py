"""Optional accelerator: find pattern hits with hyperscan over whole-batch buffers.

Installed with ``pip install .[fast]`` (x86-64 only). The batch's lines are joined with
newlines into buffers of about ``SCAN_BYTES`` and scanned by a database of every pattern, compiled in
hyperscan's *prefilter* mode (never misses a match, may report extra ones) with multi-line
anchors and, where the regex has no ``$`` of its own, a ``[^\n]*$`` tail so that each
(pattern, line) reports once, at its end of line. A line-local match is always a buffer match,
so the reported lines are a superset of the true hits; ``confirm_hits`` then applies the
matcher's hit rule (source, hint literal, Rust regex) to just those rows. The result is
therefore identical to the default Polars path, only found faster.

The database works on bytes with ASCII classes (compiling Unicode classes takes ~15x longer):
it is exact on ASCII lines, so lines with other characters, and patterns whose regex has
non-ASCII characters or that hyperscan cannot compile, go through the Polars path. The
compiled database is cached on disk per library (``$XDG_CACHE_HOME/bundle-analyzer``).
"""

from __future__ import annotations

import functools
import hashlib

import polars as pl

from analyzer.diskcache import cache_root, write_atomic
from analyzer.match.hits import confirm_each, confirm_hits, polars_hits
from analyzer.match.plan import HITS_SCHEMA, Plan

try:
    import hyperscan
    import numpy as np
except ImportError:  # pragma: no cover - the extra is optional
    hyperscan = None


def available() -> bool:
    """True when the hyperscan module imports and works on this CPU."""
    if hyperscan is None:
        return False
    try:
        _compile([(b"x", 0, False)])
    except Exception:  # noqa: BLE001 - unsupported CPU or broken install: use the default path
        return False
    return True


def _expression(rx: str) -> tuple[bytes, bool]:
    from analyzer.export import unnamed

    ignore_case = rx.startswith("(?i)")
    body = unnamed(rx[4:] if ignore_case else rx)
    tail = "" if "$" in body else "[^\\n]*$"
    return ("(?:" + body + ")" + tail).encode("ascii"), ignore_case


def _compile(items: list[tuple[bytes, int, bool]]):
    base = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=[e for e, _, _ in items], ids=[i for _, i, _ in items], elements=len(items),
               flags=[base | (hyperscan.HS_FLAG_CASELESS if ci else 0) for _, _, ci in items])
    return db


def _compile_covering(items: list[tuple[bytes, int, bool]]):
    """Compile ``items``; those hyperscan rejects are left out (found by splitting the set)."""
    try:
        return _compile(items), [i for _, i, _ in items]
    except hyperscan.error:
        if len(items) == 1:
            return None, []
    mid = len(items) // 2
    _, left = _compile_covering(items[:mid])
    _, right = _compile_covering(items[mid:])
    ok = set(left) | set(right)
    chosen = [it for it in items if it[1] in ok]
    return (_compile(chosen) if chosen else None), sorted(ok)


@functools.lru_cache(maxsize=4)
def _database(regexes: tuple[str, ...]):
    """(database or None, indices it covers), from the disk cache when the library is known."""
    key = hashlib.sha256(("\0".join(regexes) + "\0" + str(hyperscan.__version__)).encode()).hexdigest()[:24]
    cache = cache_root() / f"hs-{key}.db"
    try:
        blob = cache.read_bytes()
        n = int.from_bytes(blob[:4], "little")
        covered = [int.from_bytes(blob[4 + 4 * k: 8 + 4 * k], "little") for k in range(n)]
        db = hyperscan.loadb(blob[4 + 4 * n:], hyperscan.HS_MODE_BLOCK) if covered else None
        if db is not None:
            db.scratch = hyperscan.Scratch(db)  # a loaded database comes without one
        return db, frozenset(covered)
    except (OSError, ValueError, hyperscan.error):
        pass
    items = []
    for i, rx in enumerate(regexes):
        if rx.isascii():
            e, ci = _expression(rx)
            items.append((e, i, ci))
    db, covered = _compile_covering(items) if items else (None, [])
    try:
        blob = len(covered).to_bytes(4, "little") + b"".join(i.to_bytes(4, "little") for i in covered)
        if db is not None:
            blob += hyperscan.dumpb(db)
        write_atomic(cache, blob)
    except OSError:
        pass  # a read-only home: compile again next time
    return db, frozenset(covered)


SCAN_BYTES = 16 << 20  # lines joined into one buffer per scan: memory stays flat whatever the line lengths


def _chunks(lengths: "np.ndarray") -> list[tuple[int, int]]:
    """(start, end) row ranges of about ``SCAN_BYTES`` of text each (a longer line alone)."""
    ends = np.cumsum(lengths + 1)
    out, a = [], 0
    while a < len(lengths):
        b = int(np.searchsorted(ends, (ends[a - 1] if a else 0) + SCAN_BYTES, side="right"))
        b = max(b, a + 1)
        out.append((a, b))
        a = b
    return out


def _scan(db, text: pl.Series, lengths: "np.ndarray", first: int) -> pl.DataFrame:
    """The (pattern, row) pairs hyperscan reports on ``text`` joined with newlines (rows from
    ``first`` on)."""
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    buf = text.str.join("\n").cast(pl.Binary).item()
    ids: list[int] = []
    ends: list[int] = []

    def on_match(pid: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
        ids.append(pid)
        ends.append(to)

    db.scan(buf, match_event_handler=on_match)
    del buf
    if not ids:
        return pl.DataFrame(schema=HITS_SCHEMA)
    rows = np.searchsorted(starts, np.asarray(ends, dtype=np.int64), side="right") - 1
    # a match ending just past a line's end (at its newline) belongs to that line
    rows = np.clip(rows, 0, len(lengths) - 1) + first
    return pl.DataFrame({"_p": pl.Series(ids, dtype=pl.UInt32),
                         "_row": pl.Series(rows.astype(np.uint32), dtype=pl.UInt32)})


def find_hits(df: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """Every (pattern index, row index) hit of ``df`` (columns source, text)."""
    db, covered = _database(tuple(p.regex for p in plan.patterns))
    text = df.get_column("text")
    if text.null_count():
        text = text.fill_null("")
    source = df.get_column("source")
    present = set(source.unique().drop_nulls().to_list())
    out = []
    lengths = text.str.len_bytes().to_numpy().astype(np.int64)
    ascii_row = lengths == text.str.len_chars().to_numpy()
    if db is not None and df.height:
        found = [_scan(db, text.slice(a, b - a), lengths[a:b], a) for a, b in _chunks(lengths)]
        raw = pl.concat(found).unique()
        if raw.height:
            raw = raw.filter(pl.Series(ascii_row).gather(raw.get_column("_row")))
            out.append(confirm_hits(df, plan, raw))
    rest = [i for i in range(len(plan.patterns)) if i not in covered]
    if rest:
        rows = pl.int_range(0, df.height, dtype=pl.UInt32, eager=True).alias("_row")
        out.extend(confirm_each(pl.DataFrame([rows, text, source]), plan, rest, present))
    if db is not None and not ascii_row.all():
        # lines with other characters: the exact Polars path, for the patterns scanned above
        idx = pl.Series("_row", np.flatnonzero(~ascii_row).astype(np.uint32), dtype=pl.UInt32)
        sub = pl.DataFrame([text.gather(idx), source.gather(idx)])
        got = polars_hits(sub, _shared_plan(plan)).filter(pl.col("_p").is_in(sorted(covered)))
        out.append(got.with_columns(idx.gather(got.get_column("_row")).alias("_row")))
    out = [o for o in out if not o.is_empty()]
    return pl.concat(out) if out else pl.DataFrame(schema=HITS_SCHEMA)


_SHARED: dict[int, tuple[tuple, Plan]] = {}


def _shared_plan(plan: Plan) -> Plan:
    """``plan``'s patterns all in the shared literal pass (the few non-ASCII lines of a batch need
    no broad passes), made once per pattern tuple instead of once per batch."""
    got = _SHARED.get(id(plan.patterns))
    if got is None or got[0] is not plan.patterns:
        got = (plan.patterns, Plan.build(plan.patterns))
        _SHARED.clear()  # one library at a time: a new tuple replaces the old one
        _SHARED[id(plan.patterns)] = got
    return got[1]
