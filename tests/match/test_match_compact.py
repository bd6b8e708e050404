"""Compaction: per (pattern, source, affected object) the rows the diagnosis reads stay, and the
weights of the kept rows add up to the lines they stand for."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.match import KEEP_FIRST, compact
from matchdata import diagnosis_reads, signals

T0 = datetime(2025, 4, 12, 10, 0, tzinfo=timezone.utc)


def _rows(n: int, **kw) -> list[dict]:
    return [{"pattern_id": "P01", "path": "a.log", "line": i + 1, "time": T0 + timedelta(seconds=i),
             "namespace": "ns", "object_kind": "Pod", "object_name": "pod-a", "pod": "pod-a",
             "container": "c", **kw} for i in range(n)]


def test_first_rows_and_last_row_stay_and_the_last_carries_the_rest() -> None:
    n = 50
    out = compact(signals(_rows(n))).sort("line")
    assert out.get_column("line").to_list() == [1, 2, 3, 4, n]
    assert out.get_column("weight").to_list() == [1, 1, 1, 1, n - KEEP_FIRST]
    assert out.get_column("weight").sum() == n


def test_the_latest_row_stays_when_it_is_not_the_last() -> None:
    rows = _rows(20)
    rows[9]["time"] = T0 + timedelta(hours=1)   # latest time, mid-file
    rows[19]["time"] = None                      # unknown times sort last
    out = compact(signals(rows)).sort("line")
    assert out.get_column("line").to_list() == [1, 2, 3, 4, 10, 20]
    assert out.get_column("weight").sum() == 20
    assert out.filter(pl.col("line") == 10).get_column("weight").item() == 1


def test_weights_of_earlier_compaction_add_up() -> None:
    rows = _rows(12)
    for r in rows:
        r["weight"] = 3
    out = compact(signals(rows))
    assert out.get_column("weight").sum() == 36
    assert compact(out).equals(out)  # compacting again changes nothing


def test_groups_are_per_pattern_source_and_affected_object() -> None:
    rows = []
    for pid in ("P01", "P02"):
        for source in ("log", "text"):
            for ns, pod, ctr in (("ns", "pod-a", "c"), ("ns", "pod-b", "c"), ("ns2", "pod-a", "c"),
                                 ("ns", "pod-a", "d"), (None, None, None)):
                kind = "Pod" if pod else None
                rows += _rows(9, pattern_id=pid, source=source, namespace=ns, object_kind=kind,
                              object_name=pod, pod=pod, container=ctr, path=f"{pid}-{source}-{ns}-{pod}-{ctr}.log")
    out = compact(signals(rows))
    groups = out.group_by("pattern_id", "source", "namespace", "object_name", "container").agg(
        pl.len().alias("n"), pl.col("weight").sum().alias("w"))
    assert groups.height == 2 * 2 * 5
    assert set(groups.get_column("n")) == {KEEP_FIRST + 1}
    assert set(groups.get_column("w")) == {9}


def test_events_metrics_and_describe_rows_pass_unchanged() -> None:
    rows = [r | {"source": s} for s in ("events", "metrics", "describe") for r in _rows(30)]
    sig = signals(rows)
    assert compact(sig).sort("source", "line").equals(sig.sort("source", "line"))


def test_small_frames_pass_unchanged_and_one_more_row_is_dropped() -> None:
    sig = signals(_rows(KEEP_FIRST + 1))
    assert compact(sig).equals(sig)
    out = compact(signals(_rows(KEEP_FIRST + 2))).sort("line")
    assert out.get_column("line").to_list() == [1, 2, 3, 4, KEEP_FIRST + 2]
    assert out.get_column("weight").to_list() == [1, 1, 1, 1, 2]


_times = st.one_of(st.none(), st.integers(0, 20).map(lambda s: T0 + timedelta(seconds=s)))
_row = st.fixed_dictionaries({
    "pattern_id": st.sampled_from(["P01", "P02"]), "source": st.sampled_from(["log", "text"]),
    "namespace": st.sampled_from([None, "ns", "ns2"]), "object_name": st.sampled_from([None, "pod-a", "pod-b"]),
    "container": st.sampled_from([None, "c"]), "time": _times, "weight": st.integers(1, 4),
    "path": st.sampled_from(["a.log", "b.log"])})


@settings(max_examples=150, deadline=None)
@given(st.lists(_row, max_size=60))
def test_the_diagnosis_reads_the_same_before_and_after(rows: list[dict]) -> None:
    for n, r in enumerate(rows):  # one row per (path, line), as hits are
        r["line"] = n + 1
        r["object_kind"] = "Pod" if r["object_name"] else None
        r["pod"] = r["object_name"]
    sig = signals(rows)
    assert diagnosis_reads(compact(sig)) == diagnosis_reads(sig)
