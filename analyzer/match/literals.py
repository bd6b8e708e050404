"""Required literals of a regex, from its syntax tree: the prefilter a pattern's regex proves.

``required(rx, ignore_case)`` gives sets of literals such that every string the regex matches
contains one literal of each set (an AND of OR-sets). ``prefilter_literals(p)`` picks the set
the matcher prefilters a pattern on: the most selective of those and the pattern's own ``hint``.

Exactness comes first: a literal is only reported where the tree proves it. What the analysis
cannot see through gives nothing (character classes beyond a few literal characters, ``.``,
``\\d``/``\\w``/``\\s``, optional parts, ``{0,}``, lookarounds, back references); a branch
gives a set only when each of its alternatives gives one; a regex the standard parser reads
otherwise than Rust's regex would (nested classes, set operations, anything it refuses) gives
nothing at all. Case-insensitive literals are returned lower-cased and compared with ASCII case
folding by the matcher; a case-insensitive character outside ASCII ends a literal there (ASCII
folding would not see its other cases).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import warnings
from pathlib import Path
from typing import Any, Iterable, Sequence

MAX_EXACT = 32      # strings a node's exact set may hold before it is cut into required parts
MAX_CLASS = 10      # characters of a class read as alternatives ([Ee], [-_ ], [1-9])
MAX_REPEAT = 4      # a fixed repetition {n} spelled out up to this n
MIN_USEFUL = 3      # a derived set whose shortest literal is shorter is no better than a hint

# (the exact strings a node matches or None, the sets it requires, the strings every match of
# it starts with or None)
Info = tuple[frozenset[str] | None, tuple[frozenset[str], ...], frozenset[str] | None]
_NOTHING: Info = (None, (), None)
_EMPTY: Info = (frozenset({""}), (), frozenset({""}))


def _parser():
    try:
        import re._constants as C  # Python >= 3.11
        import re._parser as P
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_constants as C  # type: ignore[no-redef]
        import sre_parse as P  # type: ignore[no-redef]
    return P, C


@functools.lru_cache(maxsize=4096)
def required(rx: str, ignore_case: bool) -> tuple[frozenset[str], ...]:
    """The OR-sets of literals every match of ``rx`` contains one of (lower-cased when
    ``ignore_case``); empty when nothing can be proved."""
    P, C = _parser()
    try:
        with warnings.catch_warnings():
            # "possible nested set" / "set difference": Rust reads those classes otherwise
            warnings.simplefilter("error")
            tree = P.parse(rx)
    except Exception:  # noqa: BLE001 - syntax the standard parser refuses: prove nothing
        return ()
    ci = ignore_case or bool(tree.state.flags & C.SRE_FLAG_IGNORECASE)
    exact, req, _ = _seq(list(tree), ci, C)
    out = list(req)
    if exact is not None and _valid(exact):
        out.append(exact)
    return tuple(dict.fromkeys(out))


def _valid(s: Iterable[str]) -> bool:
    s = list(s)
    return bool(s) and all(s)


def _flush(cur: frozenset[str] | None, req: list[frozenset[str]]) -> None:
    if cur is not None and _valid(cur):
        req.append(cur)


def _join(a: frozenset[str], b: frozenset[str]) -> frozenset[str] | None:
    """Every string of ``a`` followed by every string of ``b``, unless there are too many."""
    if len(a) * len(b) > MAX_EXACT:
        return None
    return frozenset(x + y for x, y in itertools.product(a, b))


def _seq(items: list, ci: bool, C) -> Info:
    """A concatenation: exact strings joined while their product stays small, cut into a
    required part where it grows too large or an unknown node comes (the part extended by
    the strings that node must start with: ``KV cache usage: `` then ``9[5-9]|100``)."""
    cur: frozenset[str] = frozenset({""})
    whole = True
    prefix: frozenset[str] | None = None  # what every match starts with, fixed at the first cut
    req: list[frozenset[str]] = []
    for item in items:
        ex, rq, pre = _node(item, ci, C)
        req.extend(rq)
        if ex is None:
            run = (_join(cur, pre) if pre is not None else None) or cur
            if whole:
                prefix = run
            _flush(run, req)
            cur, whole = frozenset({""}), False
            continue
        joined = _join(cur, ex)
        if joined is None:
            if whole:
                prefix = cur
            _flush(cur, req)
            cur, whole = ex, False
        else:
            cur = joined
    if whole:
        return cur, tuple(req), cur
    _flush(cur, req)
    return None, tuple(req), prefix


def _char(code: int, ci: bool) -> frozenset[str] | None:
    ch = chr(code)
    if ci:
        if not ch.isascii():
            return None
        return frozenset({ch.lower()})
    return frozenset({ch})


def _exact(ex: frozenset[str]) -> Info:
    return ex, (), ex


def _node(item, ci: bool, C) -> Info:
    op, av = item
    if op is C.LITERAL:
        got = _char(av, ci)
        return _exact(got) if got is not None else _NOTHING
    if op is C.AT:
        return _EMPTY
    if op is C.IN:
        chars: set[str] = set()
        for sop, sav in av:
            if sop is C.LITERAL:
                got = _char(sav, ci)
            elif sop is C.RANGE and sav[1] - sav[0] < MAX_CLASS:
                parts = [_char(c, ci) for c in range(sav[0], sav[1] + 1)]
                got = None if any(p is None for p in parts) else frozenset().union(*parts)
            else:  # NEGATE, CATEGORY, a wide range
                return _NOTHING
            if got is None:
                return _NOTHING
            chars |= got
            if len(chars) > MAX_CLASS:
                return _NOTHING
        return _exact(frozenset(chars)) if chars else _NOTHING
    if op is C.SUBPATTERN:
        _group, add, _dele, sub = av
        if add & C.SRE_FLAG_IGNORECASE and not ci:
            return _NOTHING  # a case-insensitive part of a case-sensitive regex
        return _seq(list(sub), ci, C)
    if op is C.BRANCH:
        return _branch([_seq(list(a), ci, C) for a in av[1]])
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        lo, hi, sub = av
        ex, rq, pre = _seq(list(sub), ci, C)
        if lo == 0:
            if hi == 1 and ex is not None:
                return _exact(ex | {""})
            return _NOTHING
        req = list(rq)
        _flush(ex, req)
        if ex is not None and lo == hi and lo <= MAX_REPEAT and len(ex) ** lo <= MAX_EXACT:
            spelled = frozenset("".join(t) for t in itertools.product(ex, repeat=lo))
            return spelled, tuple(req), spelled
        return None, tuple(req), pre  # a match starts with the body's first round
    return _NOTHING  # ANY, NOT_LITERAL, CATEGORY, GROUPREF, ASSERT, ASSERT_NOT, ...


def _branch(alts: list[Info]) -> Info:
    if all(ex is not None for ex, _, _ in alts):
        union = frozenset().union(*(ex for ex, _, _ in alts))
        if len(union) <= MAX_EXACT:
            return _exact(union)
    prefix = None
    if all(pre is not None for _, _, pre in alts):
        prefix = frozenset().union(*(pre for _, _, pre in alts))
        if len(prefix) > MAX_EXACT:
            prefix = None
    # each alternative's best set; the branch requires one literal of their union
    picks = []
    for ex, rq, _ in alts:
        sets = list(rq) + ([ex] if ex is not None and _valid(ex) else [])
        if not sets:
            return None, (), prefix
        picks.append(max(sets, key=score))
    return None, (frozenset().union(*picks),), prefix


def score(s: Iterable[str]) -> tuple[int, int, int]:
    """Higher is a better prefilter: the shortest literal longest, then fewer literals."""
    s = list(s)
    return (min(len(x) for x in s), -len(s), sum(len(x) for x in s))


def minimal(s: Iterable[str]) -> frozenset[str]:
    """``s`` without the literals that hold another of its literals (a line holding the longer
    one holds the shorter: the set requires the same)."""
    s = set(s)
    return frozenset(x for x in s if not any(y != x and y in x for y in s))


def best(sets: Iterable[frozenset[str]]) -> frozenset[str] | None:
    """The most selective of ``sets`` by the length of its shortest literal (then fewer)."""
    sets = [minimal(s) for s in sets if _valid(s)]
    return max(sets, key=score) if sets else None


@functools.lru_cache(maxsize=4096)
def _candidates(rx: str, ignore_case: bool, hint: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    own = tuple(sorted(minimal(h.lower() if ignore_case else h for h in hint)))
    out = [own]
    if not own:  # no hints: the hit rule never holds (the library refuses such patterns)
        return tuple(out)
    for s in sorted((minimal(s) for s in required(rx, ignore_case) if _valid(s)), key=score, reverse=True):
        lits = tuple(sorted(s))
        if min(len(x) for x in s) >= MIN_USEFUL and lits not in out:
            out.append(lits)
    return tuple(out)


def candidates(p) -> tuple[tuple[str, ...], ...]:
    """The literal sets ``p`` (a library ``Pattern``) may be prefiltered on, each holding one
    literal that every line its regex matches contains: its hints first (lower-cased when it
    ignores case), then the required sets of its regex, longest shortest literal first."""
    return _candidates(p.regex, p.ignore_case, tuple(p.hint))


def prefilter_literals(p, cands: tuple[tuple[str, ...], ...] | None = None) -> tuple[str, ...]:
    """The literals ``p`` is prefiltered on when no sample of lines says which are rare: its
    required literals when they are longer than its hints, else its hints (of ``cands``, its
    ``candidates`` when given)."""
    cands = cands if cands is not None else candidates(p)
    return cands[0] if len(cands) == 1 else max(cands, key=score)


def candidates_all(patterns: Sequence) -> list[tuple[tuple[str, ...], ...]]:
    """``candidates`` of each pattern, remembered on disk per library and per version of this
    module (reading the syntax trees of the whole library costs every command ~0.1 s)."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    for p in patterns:
        h.update("\0".join((p.regex, str(p.ignore_case), *p.hint)).encode() + b"\n")
    from analyzer.diskcache import remembered

    def decode(rows: Any) -> list[tuple[tuple[str, ...], ...]] | None:
        # a file of another shape (cut short, written by hand) is worked out again: a wrong
        # literal set would hide matches, not fail
        if (isinstance(rows, list) and len(rows) == len(patterns)
                and all(isinstance(row, list) and row and all(
                    isinstance(c, list) and all(isinstance(x, str) and x for x in c) for c in row)
                    for row in rows)):
            return [tuple(tuple(c) for c in row) for row in rows]
        return None

    return remembered("literals", h.hexdigest()[:24], lambda: [candidates(p) for p in patterns],
                      encode=lambda out: out, decode=decode)
