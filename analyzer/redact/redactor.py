"""Replace secrets with deterministic pseudonyms in texts, nested data and Polars tables.

One `Redactor` keeps one numbering: the same secret becomes the same `<HF_TOKEN-1>` in every
text and table it redacts, so a redacted bundle or report can still be followed ("the token in
the worker's env is the one the download used"). `mapping` (pseudonym -> original) is private:
only `redact_bundle` writes it, to a file of its own.

    >>> r = Redactor()
    >>> r.text("HF_TOKEN=hf_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL")
    'HF_TOKEN=<HF_TOKEN-1>'
    >>> r.text("token hf_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL again", path="a.log", line=7)
    'token <HF_TOKEN-1> again'
    >>> dict(r.totals())
    {'SEC001': 2}
"""

from __future__ import annotations

import bisect
from collections import Counter
from typing import Any, Callable, Iterable, Iterator

import polars as pl
import regex

from analyzer.redact.detectors import Detector, load_detectors, prefilter_regex

PSEUDONYM_OPTIONS: frozenset[str] = frozenset({"ips", "hosts"})
CARRY_ROWS = 200  # longest multi-line secret kept whole across batches (a PEM key is ~50 lines)
_HOSTNAME = regex.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")

Location = tuple[str, "str | None", "int | None"]   # (detector id, path, line)


def parse_pseudonymize(value: str | Iterable[str] | None) -> frozenset[str]:
    """`"ips,hosts"` (or an iterable of names) -> a validated set; ValueError names the bad one."""
    if value is None:
        return frozenset()
    names = value.split(",") if isinstance(value, str) else list(value)
    chosen = frozenset(n.strip().lower() for n in names if n.strip())
    unknown = chosen - PSEUDONYM_OPTIONS
    if unknown:
        raise ValueError(f"unknown --pseudonymize value {', '.join(sorted(unknown))!r}: "
                         f"use a comma-separated list of {', '.join(sorted(PSEUDONYM_OPTIONS))}")
    return chosen


def _known_hosts_detector(template: Detector, hosts: Iterable[str]) -> Detector | None:
    """A detector for host names learned from the bundle (node names need not be FQDNs)."""
    names = sorted({h for h in hosts if h and len(h) >= 3}, key=lambda h: (-len(h), h))
    if not names:
        return None
    names = [h for h in names if _HOSTNAME.fullmatch(h)]
    if not names:
        return None
    # escape by hand: the same text is a Python and a Rust regex, and host names only need dots
    alternation = "|".join(h.replace(".", r"\.") for h in names)
    rx = regex.compile(rf"(?<![A-Za-z0-9_.-])(?P<secret>{alternation})(?![A-Za-z0-9_-]|\.[A-Za-z0-9])")
    return Detector(id=template.id, name=template.name, label=template.label, what=template.what,
                    hints=tuple(h.lower() for h in names), prefilter=alternation,
                    regex_src=rx.pattern, option=template.option, _rx=rx)


def _replacement(value: str, pseudonym: str) -> str:
    """The pseudonym, keeping the value's line breaks so line numbers stay what they were."""
    lead = value[: len(value) - len(value.lstrip(" \t\r\n"))]
    return lead + pseudonym + "\n" * value.count("\n", len(lead))


class Redactor:
    """Finds secrets with the detectors of `detectors.yaml` and replaces them by pseudonyms.

    ``pseudonymize`` adds the optional pseudonyms (``ips``, ``hosts``); ``hosts`` are extra
    host names (for example the bundle's node names) to pseudonymize when ``hosts`` is chosen.
    """

    def __init__(self, pseudonymize: Iterable[str] = frozenset(), hosts: Iterable[str] = ()) -> None:
        self.pseudonymize = parse_pseudonymize(pseudonymize)
        secrets, pseudo = load_detectors()
        detectors = list(secrets)
        for det in pseudo:
            if det.option in self.pseudonymize:
                if det.option == "hosts":
                    known = _known_hosts_detector(det, hosts)
                    if known is not None:
                        detectors.append(known)
                detectors.append(det)
        self.detectors: tuple[Detector, ...] = tuple(detectors)
        self.counts: Counter[Location] = Counter()
        self.mapping: dict[str, str] = {}
        self._by_value: dict[str, str] = {}
        self._next: Counter[str] = Counter()
        self._hints = sorted({h for d in self.detectors for h in d.hints})
        self._hinted: dict[str, list[int]] = {}   # hint -> the detectors (by index) it wakes
        for i, d in enumerate(self.detectors):
            for h in dict.fromkeys(d.hints):
                self._hinted.setdefault(h, []).append(i)
        self._prefilter = "|".join(prefilter_regex(d) for d in self.detectors)
        multiline = [d for d in self.detectors if d.multiline and d.join_trigger]
        self._join_trigger = "|".join(f"(?:{d.join_trigger})" for d in multiline)
        # every trigger line holds one of these (a kubeconfig's `user:` or `"user": {` line holds
        # no hint of its detector)
        self._join_hints = sorted({h for d in multiline for h in d.hints} | {"user:", '"user"'})

    # --- texts ----------------------------------------------------------------------------

    def text(self, s: str, path: str | None = None, line: int | None = 1) -> str:
        """``s`` with every secret replaced; hits are counted at ``path`` and ``line`` + offset."""
        if not s:
            return s
        base = line
        return self._redact(s, path, None if base is None else (lambda k: base + k))

    def path(self, p: str, count: bool = True) -> str:
        """A file path with secrets in its folder and file names replaced; hits are counted at
        the new path, line 0 (the name), unless ``count`` is false."""
        saved, self.counts = self.counts, Counter()
        try:
            new = self._redact(p, None, None)
        finally:
            found, self.counts = self.counts, saved
        if count:
            for (det_id, _path, _line), n in found.items():
                self.counts[(det_id, new, 0)] += n
        return new

    def data(self, obj: Any) -> Any:
        """A copy of nested dicts/lists/tuples with every string value redacted (keys kept)."""
        if isinstance(obj, str):
            return self.text(obj, line=None)
        if isinstance(obj, dict):
            return {k: self.data(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.data(v) for v in obj)
        return obj

    def totals(self) -> Counter[str]:
        """Number of replacements per detector id."""
        out: Counter[str] = Counter()
        for (det_id, _path, _line), n in self.counts.items():
            out[det_id] += n
        return out

    def find(self, s: str) -> list[tuple[int, int, Detector]]:
        """(start, end, detector) of every secret in ``s``, in order, without replacing anything."""
        return [(start, end, det) for start, end, det, _value, _first in self._find(s)]

    def _find(self, s: str) -> list[tuple[int, int, Detector, str, bool]]:
        """Like `find`, with each span's whole value and whether it is the hit's first piece."""
        lower = s.lower()
        starts: list[int] = []
        spans: list[tuple[int, int, Detector, str, bool]] = []
        # one pass over the hints of every detector says which detectors run, in their order
        # (most texts hold none; a redacted result asks this of every string it holds)
        present = list(filter(lower.__contains__, self._hints))
        if not present:
            return spans
        for det in [self.detectors[i] for i in sorted({i for h in present for i in self._hinted[h]})]:
            for hit in det.hits(s):
                # earlier detectors win: never replace a span another detector already took, and
                # a wrapped token is taken whole or not at all
                places = [bisect.bisect_right(starts, start) for start, _ in hit.spans]
                if any((i and spans[i - 1][1] > start) or (i < len(spans) and spans[i][0] < end)
                       for i, (start, end) in zip(places, hit.spans)):
                    continue
                for k, (start, end) in enumerate(hit.spans):
                    i = bisect.bisect_right(starts, start)
                    starts.insert(i, start)
                    spans.insert(i, (start, end, det, hit.value, k == 0))
        return spans

    def _pseudonym(self, label: str, value: str) -> str:
        known = self._by_value.get(value)
        if known is None:
            self._next[label] += 1
            known = f"<{label}-{self._next[label]}>"
            self._by_value[value] = known
            self.mapping[known] = value
        return known

    def _redact(self, s: str, path: str | None, line_of: Callable[[int], int] | None) -> str:
        hits = self._find(s)
        if not hits:
            return s
        out: list[str] = []
        pos = 0
        newlines = 0
        for start, end, det, whole, first in hits:
            newlines += s.count("\n", pos, start)
            value = s[start:end]
            out.append(s[pos:start])
            out.append(_replacement(value, self._pseudonym(det.label, whole)))
            if first:
                # count where the value itself starts (a PEM body starts on the line after BEGIN)
                at = newlines + value[: len(value) - len(value.lstrip())].count("\n")
                self.counts[(det.id, path, None if line_of is None else line_of(at))] += 1
            newlines += value.count("\n")
            pos = end
        out.append(s[pos:])
        return "".join(out)

    # --- tables ---------------------------------------------------------------------------

    def frame(self, df: pl.DataFrame, columns: Iterable[str] | None = None) -> pl.DataFrame:
        """``df`` with secrets replaced in its string columns (all of them unless ``columns``).

        Vectorised: a literal prefilter (Aho-Corasick) and the detectors' Rust prefilters pick
        the few candidate cells; only those go through the Python detectors. When ``df`` has
        `path` and `line` columns, hits are counted at file:line, numbering follows sorted
        (path, line) order, and the rows of a file holding the first line of a multi-line
        secret (a PEM block, `"name": "X_TOKEN"` followed by its value) are redacted together.
        """
        cols = [c for c in (columns or df.columns)
                if c in df.columns and df.schema[c] == pl.String]
        if not cols or df.height == 0:
            return df
        positioned = ("path" in df.columns and "line" in df.columns
                      and df.schema["path"] == pl.String and df.schema["line"].is_integer())
        rows = pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row")
        pos = [pl.col("path"), pl.col("line")] if positioned else [pl.lit(None, pl.String).alias("path"),
                                                                   pl.lit(None, pl.Int64).alias("line")]
        tasks: list[tuple[tuple, int, list[int], list[str], list, str | None]] = []
        out = df
        for i, c in enumerate(cols):
            cells = df.select(rows, *pos, pl.col(c).alias("__v"))
            if c != "text" and self._by_distinct(df[c]):
                # paths, pod and container names repeat on every row of a file: each distinct
                # value is redacted once (a secret in a folder name is one hit, not one per line)
                out = out.with_columns(self._distinct_redacted(df[c]))
                continue
            # literal prefilter first (Aho-Corasick), the regexes only on the rows it keeps
            cand = cells.filter(pl.col("__v").str.contains_any(self._hints, ascii_case_insensitive=True))
            cand = cand.filter(pl.col("__v").str.contains(self._prefilter))
            joined: list[str] = []
            if positioned and self._join_trigger:
                # a trigger line need not hold a hint itself (`user:` above a kubeconfig token)
                trig = cells.filter(pl.col("__v").str.contains_any(self._join_hints, ascii_case_insensitive=True))
                trig = trig.filter(pl.col("__v").str.contains(self._join_trigger))
                joined = sorted(set(trig["path"].drop_nulls().to_list()))
            if joined:
                group = (cells.filter(pl.col("path").is_in(joined) & pl.col("__v").is_not_null())
                         .sort("path", "line", "__row"))
                for (path,), part in group.group_by(["path"], maintain_order=True):
                    lines = part["line"].to_list()
                    first = min((n for n in lines if n is not None), default=0)
                    tasks.append(((path, first), i, part["__row"].to_list(), part["__v"].to_list(),
                                  lines, path))
                cand = cand.filter(~pl.col("path").is_in(joined) | pl.col("path").is_null())
            for row, path, line, value in cand.iter_rows():
                key = (path or "", line or 0) if positioned else (row,)
                tasks.append((key, i, [row], [value], [line], path))
        if not tasks:
            return out
        tasks.sort(key=lambda t: (t[0], t[1], t[2][0]))
        changes: dict[int, dict[int, str]] = {}
        for _key, i, task_rows, values, lines, path in tasks:
            changes.setdefault(i, {}).update(self._redact_rows(task_rows, values, lines, path))
        for i, changed in changes.items():
            if not changed:
                continue
            idx = sorted(changed)
            series = out[cols[i]].scatter(idx, [changed[r] for r in idx])
            out = out.with_columns(series.alias(cols[i]))
        return out

    def frames(self, batches: Iterable[pl.DataFrame], columns: Iterable[str] | None = None,
               window: int = CARRY_ROWS) -> Iterator[pl.DataFrame]:
        """`frame` over a stream of batches of one table (the log lines), in order.

        A batch never ends inside a multi-line secret: from the last row of its final
        ``window`` rows whose `text` can start one, the rows go to the next batch.
        """
        cols = list(columns) if columns is not None else None
        carry: pl.DataFrame | None = None
        for batch in batches:
            df = batch if carry is None else pl.concat([carry, batch], how="vertical_relaxed")
            carry = None
            cut = self._carry_from(df, window)
            if 0 < cut < df.height:
                df, carry = df.slice(0, cut), df.slice(cut)
            yield self.frame(df, cols)
        if carry is not None:
            yield self.frame(carry, cols)

    def _carry_from(self, df: pl.DataFrame, window: int) -> int:
        """Row where a batch is cut so its last multi-line secret goes whole to the next one."""
        if not self._join_trigger or "text" not in df.columns or df.schema["text"] != pl.String:
            return df.height
        tail = df["text"].tail(window)
        hits = tail.str.contains(self._join_trigger).arg_true()
        if hits.len() == 0:
            return df.height
        return df.height - tail.len() + int(hits[-1])

    def _by_distinct(self, col: pl.Series) -> bool:
        """A long column of few distinct values, none of which starts a multi-line secret."""
        if col.len() < 64 or col.n_unique() * 8 > col.len():
            return False
        return not (self._join_trigger and col.drop_nulls().unique().str.contains(self._join_trigger).any())

    def _distinct_redacted(self, col: pl.Series) -> pl.Series:
        values = col.drop_nulls().unique(maintain_order=True).to_list()
        changed = {v: new for v in values if (new := self.text(v, line=None)) != v}
        if not changed:
            return col
        return col.replace(list(changed), list(changed.values()))

    def multiline_start(self, lines: list[str], window: int) -> int:
        """Where to cut ``lines`` so no multi-line secret is split: the index of the last line
        that can start one within the final ``window`` lines, else ``len(lines)``."""
        if not self._join_trigger or not lines:
            return len(lines)
        lo = max(0, len(lines) - window)
        hits = pl.Series(lines[lo:], dtype=pl.String).str.contains(self._join_trigger).arg_true()
        if hits.len() == 0 or (lo == 0 and hits[-1] == 0):
            return len(lines)
        return lo + int(hits[-1])

    def _redact_rows(self, rows: list[int], values: list[str], lines: list, path: str | None) -> dict[int, str]:
        """New values of the changed cells among ``rows`` (one cell, or one file's cells)."""
        if len(rows) == 1 or any("\n" in v for v in values):
            out: dict[int, str] = {}
            for row, value, line in zip(rows, values, lines):
                new = self.text(value, path, line)
                if new != value:
                    out[row] = new
            return out
        # one file's rows as one text: a multi-line secret is seen whole, and replacements keep
        # line breaks, so the text splits back into the same rows
        joined = "\n".join(values)
        new = self._redact(joined, path, lambda k: lines[k])
        if new == joined:
            return {}
        return {row: p for row, p, v in zip(rows, new.split("\n"), values) if p != v}
