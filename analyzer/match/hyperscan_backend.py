"""Optional accelerator: find pattern hits with hyperscan over whole-batch buffers.

Installed with ``pip install .[fast]`` (x86-64 only). The batch's lines are joined with
newlines into one UTF-8 buffer and scanned once by a database of every pattern, compiled in
hyperscan's *prefilter* mode (never misses a match, may report extra ones) with UTF-8/Unicode
classes, multi-line anchors and a ``[^\\n]*$`` tail so that each (pattern, line) reports at most
once, at its end of line. A line-local match is always a buffer match, so the reported lines
are a superset of the true hits; ``confirm_hits`` then applies the matcher's hit rule (source,
hint literal, Rust regex) to just those rows. The result is therefore identical to the default
Polars path, only found faster. Patterns hyperscan cannot compile go through the Polars path.
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl

from analyzer.match import HITS_SCHEMA, Plan, _confirm, confirm_hits

try:
    import hyperscan
except ImportError:  # pragma: no cover - the extra is optional
    hyperscan = None


def available() -> bool:
    """True when the hyperscan module imports and works on this CPU."""
    if hyperscan is None:
        return False
    try:
        _compile(((b"x", 0),))
    except Exception:  # noqa: BLE001 - unsupported CPU or broken install: use the default path
        return False
    return True


def _flags(ignore_case: bool) -> int:
    f = (hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_UCP
         | hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY)
    return f | hyperscan.HS_FLAG_CASELESS if ignore_case else f


def _expression(rx: str) -> tuple[bytes, bool]:
    ignore_case = rx.startswith("(?i)")
    body = rx[4:] if ignore_case else rx
    from analyzer.export import unnamed
    return ("(?:" + unnamed(body) + ")[^\\n]*$").encode("utf-8"), ignore_case


def _compile(items: tuple[tuple[bytes, int], ...], ignore_case: tuple[bool, ...] | None = None):
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    flags = [_flags(ci) for ci in (ignore_case or (False,) * len(items))]
    db.compile(expressions=[e for e, _ in items], ids=[i for _, i in items], elements=len(items), flags=flags)
    return db


@functools.lru_cache(maxsize=4)
def _database(regexes: tuple[str, ...]):
    """(database, indices it covers): patterns that fail to compile are left out."""
    exprs = [_expression(rx) for rx in regexes]
    ok = []
    for i, (e, ci) in enumerate(exprs):
        try:
            _compile(((e, i),), (ci,))
            ok.append(i)
        except Exception:  # noqa: BLE001 - hyperscan.error: unsupported construct
            continue
    if not ok:
        return None, frozenset()
    db = _compile(tuple((exprs[i][0], i) for i in ok), tuple(exprs[i][1] for i in ok))
    return db, frozenset(ok)


def find_hits(df: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """Every (pattern index, row index) hit of ``df`` (columns source, text)."""
    db, covered = _database(tuple(p.regex for p in plan.patterns))
    text = df.get_column("text")
    present = set(df.get_column("source").unique().drop_nulls().to_list())
    out = []
    if db is not None and df.height:
        lengths = text.str.len_bytes().fill_null(0).to_numpy().astype(np.int64)
        starts = np.zeros(len(lengths), dtype=np.int64)
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
        buf = text.fill_null("").str.join("\n").item().encode("utf-8")
        ids: list[int] = []
        ends: list[int] = []

        def on_match(pid: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            ids.append(pid)
            ends.append(to)

        db.scan(buf, match_event_handler=on_match)
        if ids:
            rows = np.searchsorted(starts, np.asarray(ends, dtype=np.int64), side="right") - 1
            raw = pl.DataFrame({"_p": pl.Series(ids, dtype=pl.UInt32),
                                "_row": pl.Series(rows.astype(np.uint32), dtype=pl.UInt32)}).unique()
            out.append(confirm_hits(df, plan, raw))
    rest = [i for i in range(len(plan.patterns)) if i not in covered]
    if rest:
        rows = pl.int_range(0, df.height, dtype=pl.UInt32, eager=True).alias("_row")
        out.extend(_confirm(pl.DataFrame([rows, text, df.get_column("source")]), plan, rest, present))
    out = [o for o in out if not o.is_empty()]
    return pl.concat(out) if out else pl.DataFrame(schema=HITS_SCHEMA)
