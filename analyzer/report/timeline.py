"""Geometry of the timeline picture: one time axis, one lane per pod (or node, or object).

`layout(items)` takes the context's timeline items and returns numbers only (lanes, marks with
x/y, ticks); the HTML template draws them as inline SVG, so every label passes through Jinja2's
autoescaping. Pure arithmetic on bundle times: the same items give the same picture.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

WIDTH = 1000
LABEL_W = 270
RIGHT_PAD = 16
AXIS_H = 34
LANE_H = 22
MAX_LANES = 30
MAX_MARKS = 1500

# candidate tick steps, seconds; past a month, years (1, 2, 5, 10, 20, 50... of 365 days)
_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
          86400, 172800, 604800, 2592000)
_YEAR = 365 * 86400
# the times a datetime holds (a bundle's times may sit at either end)
_MIN = datetime.min.replace(tzinfo=timezone.utc)
_MAX = datetime.max.replace(tzinfo=timezone.utc)


def _shift(t: datetime, delta: timedelta) -> datetime:
    """``t + delta``, held within the years 1 to 9999."""
    try:
        return t + delta
    except OverflowError:
        return _MAX if delta > timedelta(0) else _MIN


def _step(span: float) -> int:
    """The tick step for ``span`` seconds: at most 8 ticks."""
    step = next((s for s in _STEPS if span / s <= 8), None)
    if step is not None:
        return step
    years = 1
    while span / (years * _YEAR) > 8:
        years = years * 5 // 2 if str(years).startswith("2") else years * 2
    return years * _YEAR


def _ticks(t0: datetime, t1: datetime, x_of) -> list[dict[str, Any]]:
    span = (t1 - t0).total_seconds()
    step = _step(span)
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    first = int((t0 - epoch).total_seconds() // step + 1) * step
    ticks, last_date = [], None
    t = epoch + timedelta(seconds=first)
    while t <= t1:
        fmt = "%H:%M:%S" if step < 60 else "%H:%M"
        label = t.strftime(fmt)
        date = t.strftime("%Y-%m-%d")
        if date != last_date:
            label = f"{date} {label}"
            last_date = date
        ticks.append({"x": round(x_of(t), 1), "label": label})
        if t >= _shift(_MAX, timedelta(seconds=-step)):
            break
        t += timedelta(seconds=step)
    return ticks


def _short_lane(lane: str, cap: int = 40) -> str:
    """Pod names end in their unique hash: keep the start and that end, cut the middle."""
    if len(lane) <= cap:
        return lane
    tail = lane.rsplit("-", 1)[-1] if "-" in lane else lane[-8:]
    tail = tail[-12:]
    return lane[: cap - len(tail) - 2] + "…-" + tail


def layout(items: list[dict[str, Any]], collected: datetime | None = None) -> dict[str, Any] | None:
    """Lanes, marks and ticks for the SVG; None when nothing in the bundle has a time.

    `collected` (the bundle's collection time) is drawn as a line when it falls near the items.
    """
    if not items:
        return None
    lane_score: dict[str, tuple] = {}
    for it in items:
        # lanes with root causes first, then with findings, then with warnings, then the rest
        score = (0 if it["root"] else 1 if it["kind"] == "finding" else
                 2 if it["kind"] in ("restart", "event-warning", "fault") else 3)
        lane_score[it["lane"]] = min(lane_score.get(it["lane"], (9,)), (score,))
    ordered = sorted(lane_score, key=lambda lane: (lane != "fault injection",
                                                   lane_score[lane], lane))
    shown = ordered[:MAX_LANES]
    hidden = len(ordered) - len(shown)
    index = {lane: i for i, lane in enumerate(shown)}
    kept = [it for it in items if it["lane"] in index]
    times = [it["start"] for it in kept] + [it["end"] for it in kept if it["end"]]
    t0, t1 = min(times), max(times)
    if collected is not None and t0 <= collected <= _shift(t1, max(t1 - t0, timedelta(hours=1))):
        t1 = max(t1, collected)
    else:
        collected = None
    if t1 - t0 < timedelta(seconds=60):
        # a single instant (or a very short burst) still gets a readable axis
        pad = timedelta(seconds=30) - (t1 - t0) / 2
        t0, t1 = _shift(t0, -pad), _shift(t1, pad)
    margin = (t1 - t0) * 0.02
    t0, t1 = _shift(t0, -margin), _shift(t1, margin)
    plot_w = WIDTH - LABEL_W - RIGHT_PAD
    span = (t1 - t0).total_seconds()

    def x_of(t: datetime) -> float:
        return LABEL_W + (t - t0).total_seconds() / span * plot_w

    # drawing order: symptoms under root causes, point marks (events, restarts) on top
    layer = {"finding": 0, "event": 2, "event-warning": 3, "start": 4, "restart": 5, "fault": 6}
    drawn = sorted(kept[:MAX_MARKS], key=lambda it: (
        layer.get(it["kind"], 9) + (1 if it["kind"] == "finding" and it["root"] else 0)))
    marks = []
    for it in drawn:
        lane = index[it["lane"]]
        y = AXIS_H + lane * LANE_H + LANE_H / 2
        x = round(x_of(it["start"]), 1)
        x2 = round(x_of(it["end"]), 1) if it["end"] else x
        marks.append({
            "kind": it["kind"], "severity": it["severity"], "root": it["root"],
            "x": x, "y": round(y, 1),
            "w": round(max(x2 - x, 4.0), 1), "x2": x2, "label": it["label"],
            "time": it["start"].strftime("%Y-%m-%d %H:%M:%S") + "Z"
            + (" – " + it["end"].strftime("%Y-%m-%d %H:%M:%S") + "Z" if it["end"] else ""),
        })
    lanes = [{"label": _short_lane(lane), "full": lane,
              "y": AXIS_H + i * LANE_H, "mid": round(AXIS_H + i * LANE_H + LANE_H / 2, 1),
              "odd": i % 2 == 1} for i, lane in enumerate(shown)]
    height = AXIS_H + len(shown) * LANE_H + 8
    return {
        "width": WIDTH, "height": height, "label_w": LABEL_W, "plot_right": WIDTH - RIGHT_PAD,
        "axis_h": AXIS_H, "lane_h": LANE_H, "lanes": lanes, "marks": marks,
        "ticks": _ticks(t0, t1, x_of), "hidden_lanes": hidden,
        "collected_x": round(x_of(collected), 1) if collected is not None else None,
        "hidden_marks": max(0, len(kept) - MAX_MARKS),
        "start": t0.strftime("%Y-%m-%d %H:%M:%S") + "Z",
        "end": t1.strftime("%Y-%m-%d %H:%M:%S") + "Z",
    }
