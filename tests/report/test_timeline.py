"""Geometry of the timeline picture: lanes in priority order, a readable axis, bounded size."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from analyzer.report.timeline import MAX_LANES, layout

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def _item(lane: str, kind: str = "event", seconds: int = 0, root: bool = False) -> dict:
    return {"lane": lane, "kind": kind, "start": T0 + timedelta(seconds=seconds), "end": None,
            "label": f"{kind} on {lane}", "severity": "info", "finding": None, "root": root}


def test_nothing_timed_no_picture():
    assert layout([]) is None


def test_single_instant_gets_a_readable_axis():
    svg = layout([_item("llm/a")])
    assert svg["ticks"] and len(svg["lanes"]) == 1
    [mark] = svg["marks"]
    assert svg["label_w"] < mark["x"] < svg["plot_right"]


def test_root_cause_lanes_first_and_lanes_capped():
    items = [_item(f"llm/pod-{i:02d}", seconds=i) for i in range(MAX_LANES + 5)]
    items.append(_item("llm/pod-99", kind="finding", seconds=3, root=True))
    items.append(_item("llm/pod-98", kind="restart", seconds=4))
    svg = layout(items)
    labels = [lane["full"] for lane in svg["lanes"]]
    assert labels[:2] == ["llm/pod-99", "llm/pod-98"]
    assert len(labels) == MAX_LANES and svg["hidden_lanes"] == 7


def test_long_pod_names_keep_their_hash():
    svg = layout([_item("inference/qwen3-32b-vllmdecodeworker-9s8kzck78w-qtr88")])
    label = svg["lanes"][0]["label"]
    assert label.endswith("…-qtr88") and len(label) <= 40


def test_collection_time_is_marked():
    svg = layout([_item("llm/a"), _item("llm/a", seconds=600)], collected=T0 + timedelta(minutes=12))
    assert svg["collected_x"] is not None and svg["collected_x"] <= svg["plot_right"]
