"""``bundle-analyzer fleet report``: what a fleet dataset says, as Markdown or HTML.

Sections: the bundles in the period; top root causes (bundles showing each) overall, over time
and by a label; root causes new in the period (never seen before it); error templates no
pattern knows, ranked by how many bundles show them; bundles per engine and GPU model; the
bundles that failed. A bundle's time is when it was collected (``collected_at``), else when it
was analysed. ``charts`` draws the inline SVG of the HTML.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl

from analyzer.fleet.dataset import load
from analyzer.tables import from_json

TOP = 10             # root causes, labels, templates listed
SERIES = 6           # categories drawn over time (the rest is "other")
NEW_DAYS = 30        # without --since: the period is the last 30 days before the newest bundle


class ReportError(Exception):
    """The dataset cannot be reported (missing, empty, bad --since): one line."""


def parse_since(text: str | None) -> datetime | None:
    """``YYYY-MM-DD`` (or a full ISO time) as an aware UTC datetime; ReportError otherwise."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            raise ReportError(f"--since {text!r}: give a date as YYYY-MM-DD") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _bucket_expr(span_days: float) -> tuple[pl.Expr, str]:
    """Month buckets over a long span, ISO weeks (their Monday) over a short one."""
    if span_days > 92:
        return pl.col("time").dt.strftime("%Y-%m").alias("bucket"), "month"
    return pl.col("time").dt.truncate("1w").dt.strftime("%Y-%m-%d").alias("bucket"), "week"


def build(dataset: Path, since: datetime | None = None, by: str | None = None) -> dict[str, Any]:
    """The report's context: every section as plain data."""
    if not (dataset / "bundles").is_dir():
        raise ReportError(f"{dataset}: not a fleet dataset (no bundles/ folder); build one with "
                          "bundle-analyzer fleet INPUT... -o DATASET")
    bundles = load(dataset, "bundles")
    if bundles.is_empty():
        raise ReportError(f"{dataset}: the dataset holds no bundle yet")
    bundles = bundles.with_columns(pl.coalesce("collected_at", "analyzed_at").alias("time"))
    newest = bundles.get_column("time").max()
    start = since or (newest - timedelta(days=NEW_DAYS))
    in_period = bundles.filter(pl.col("time") >= start) if since else bundles
    roots = load(dataset, "root_causes").join(bundles.select("bundle_id", "time", "labels"),
                                              on="bundle_id", how="inner", suffix="_b")
    roots_period = roots.filter(pl.col("bundle_id").is_in(in_period.get_column("bundle_id").implode()))
    label = by or _default_label(bundles)
    return {
        "dataset": dataset.name or str(dataset),
        "since": since.date().isoformat() if since else None,
        "new_since": start.date().isoformat(),
        "overview": _overview(bundles, in_period),
        "top": _top(roots_period, in_period.height),
        "over_time": _over_time(roots_period, in_period),
        "by_label": _by_label(roots_period, in_period, label),
        "label": label,
        "new": _new(roots, start),
        "before": bundles.filter(pl.col("time") < start).height,
        "unexplained": _unexplained(load(dataset, "unexplained"), in_period),
        "unexplained_reported": in_period.get_column("unexplained").drop_nulls().len() > 0,
        "engines": _exploded(in_period, "engines"),
        "gpu_models": _exploded(in_period, "gpu_models"),
        "failed": in_period.filter(pl.col("status") == "failed").sort("time")
                           .select("input", "error").head(50).to_dicts(),
    }


def _iso(value: Any) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else None


def _overview(bundles: pl.DataFrame, period: pl.DataFrame) -> dict[str, Any]:
    times = period.get_column("time")
    return {"bundles": bundles.height, "in_period": period.height,
            "ok": period.filter(pl.col("status") == "ok").height,
            "failed": period.filter(pl.col("status") == "failed").height,
            "first": _iso(times.min()), "last": _iso(times.max()),
            "healthy": period.filter((pl.col("status") == "ok") & (pl.col("root_causes") == 0)).height}


def _top(roots: pl.DataFrame, total: int) -> list[dict[str, Any]]:
    if roots.is_empty():
        return []
    order = {"critical": 0, "error": 1, "warning": 2, "info": 3}
    top = (roots.group_by("category")
           .agg(pl.col("bundle_id").n_unique().alias("bundles"),
                (pl.col("rank") == 1).sum().alias("first"),
                pl.col("severity").replace_strict(order, default=9).min().alias("sev"),
                pl.col("title").first().alias("title"),
                pl.col("time").min().alias("first_seen"), pl.col("time").max().alias("last_seen"))
           .sort(["bundles", "first", "category"], descending=[True, True, False]).head(TOP))
    names = {v: k for k, v in order.items()}
    return [{**r, "severity": names.get(r["sev"], "info"), "share": round(100 * r["bundles"] / max(total, 1)),
             "first_seen": _iso(r["first_seen"]), "last_seen": _iso(r["last_seen"])}
            for r in top.to_dicts()]


def _over_time(roots: pl.DataFrame, period: pl.DataFrame) -> dict[str, Any]:
    if period.is_empty():
        return {"unit": "month", "buckets": [], "series": []}
    times = period.get_column("time")
    bucket, unit = _bucket_expr((times.max() - times.min()).total_seconds() / 86400)
    buckets = sorted(period.select(bucket).get_column("bucket").unique().to_list())
    totals = dict(period.select(bucket).group_by("bucket").len().iter_rows())
    leaders = (roots.group_by("category").agg(pl.col("bundle_id").n_unique().alias("n"))
               .sort(["n", "category"], descending=[True, False]).head(SERIES).get_column("category").to_list()
               if not roots.is_empty() else [])
    counts: dict[tuple[str, str], int] = {}
    if not roots.is_empty():
        named = roots.with_columns(bucket, pl.when(pl.col("category").is_in(leaders))
                                   .then(pl.col("category")).otherwise(pl.lit("other")).alias("series"))
        for b, s, n in (named.group_by("bucket", "series").agg(pl.col("bundle_id").n_unique())
                        .iter_rows()):
            counts[(b, s)] = n
    names = leaders + (["other"] if any(s == "other" for _, s in counts) else [])
    series = [{"name": s, "values": [counts.get((b, s), 0) for b in buckets]} for s in names]
    return {"unit": unit, "buckets": buckets, "series": series,
            "bundles": [totals.get(b, 0) for b in buckets]}


def _labels_of(bundles: pl.DataFrame) -> list[dict[str, str]]:
    return [from_json(t, {}) or {} for t in bundles.get_column("labels").to_list()]


def _default_label(bundles: pl.DataFrame) -> str | None:
    keys: dict[str, int] = {}
    for labels in _labels_of(bundles):
        for k in labels:
            keys[k] = keys.get(k, 0) + 1
    if "customer" in keys:
        return "customer"
    return max(sorted(keys), key=lambda k: keys[k]) if keys else None


def _by_label(roots: pl.DataFrame, period: pl.DataFrame, label: str | None) -> list[dict[str, Any]]:
    if not label or period.is_empty():
        return []
    values = pl.Series("value", [lab.get(label) for lab in _labels_of(period)], dtype=pl.Utf8)
    per_bundle = period.select("bundle_id", "status").with_columns(values)
    if per_bundle.get_column("value").null_count() == per_bundle.height:
        return []
    per_bundle = per_bundle.with_columns(pl.col("value").fill_null("(none)"))
    out = []
    joined = roots.join(per_bundle.select("bundle_id", "value"), on="bundle_id", how="inner")
    for value, n in (per_bundle.group_by("value").len().sort(["len", "value"], descending=[True, False])
                     .head(TOP).iter_rows()):
        mine = joined.filter(pl.col("value") == value)
        cats = (mine.group_by("category").agg(pl.col("bundle_id").n_unique().alias("n"))
                .sort(["n", "category"], descending=[True, False]).head(3).iter_rows())
        out.append({"value": value, "bundles": n, "categories": [{"category": c, "bundles": k} for c, k in cats]})
    return out


def _new(roots: pl.DataFrame, start: datetime) -> list[dict[str, Any]]:
    if roots.is_empty():
        return []
    first = (roots.group_by("category")
             .agg(pl.col("time").min().alias("first"), pl.col("bundle_id").n_unique().alias("bundles"),
                  pl.col("input").sort_by("time").first().alias("example"), pl.col("title").first())
             .filter(pl.col("first") >= start).sort(["first", "category"]))
    return [{**r, "first": _iso(r["first"])} for r in first.to_dicts()]


def _unexplained(table: pl.DataFrame, period: pl.DataFrame) -> list[dict[str, Any]]:
    table = table.filter(pl.col("bundle_id").is_in(period.get_column("bundle_id").implode()))
    if table.is_empty():
        return []
    ranked = (table.group_by("template")
              .agg(pl.col("bundle_id").n_unique().alias("bundles"), pl.col("count").sum().alias("lines"),
                   pl.col("category").drop_nulls().mode().first().alias("category"),
                   pl.col("example").first().alias("example"))
              .sort(["bundles", "lines", "template"], descending=[True, True, False]).head(TOP * 2))
    return ranked.to_dicts()


def _exploded(period: pl.DataFrame, column: str) -> list[dict[str, Any]]:
    ok = period.filter(pl.col("status") == "ok").select("bundle_id", column)
    if ok.is_empty():
        return []
    rows = (ok.with_columns(pl.when(pl.col(column).list.len() > 0).then(pl.col(column))
                            .otherwise(pl.lit(["(none seen)"])).alias(column))
            .explode(column).group_by(column).agg(pl.col("bundle_id").n_unique().alias("bundles"))
            .sort(["bundles", column], descending=[True, False]))
    return [{"name": name, "bundles": n} for name, n in rows.iter_rows()]
