"""Attribution: which object a signal is about.

A row's identity comes from where it was read: the member meta of a container log (namespace,
pod, container), the ``Name:`` block of describe output, an event's involved object, a metric's
pod label. A log or text line that names another pod is about that pod instead: a scheduler or
kubelet line about ``ns/pod`` (klog's structured ``pod="ns/name"``), or a pattern's named
capture (``pod_ref``, ``pod_ref2``, ``pod_ref3``, ``pod_name`` as ``ns/name``, kubelet's
``name_ns(uid)`` or a bare name, with the namespace from an ``ns`` capture or else the line's
own). Events already name their object and are never re-attributed.

The matcher attributes hit rows *before* compacting them, so that compaction, which keeps a few
rows per (pattern, affected object), never folds lines about different pods together.
"""

from __future__ import annotations

from typing import Iterable

import polars as pl

from analyzer.library import Pattern

# named captures that name the pod a line is about, in order of preference
POD_REF_GROUPS = ("pod_ref", "pod_ref2", "pod_ref3", "pod_name")
NS_GROUP = "ns"
# the sources whose rows are re-attributed (a log line's identity is who logged it)
ATTRIBUTED_SOURCES = ("log", "text")
# the columns that say which object a signal is about; compaction and findings group by them
AFFECTED = ("namespace", "object_kind", "object_name", "container")

# klog's structured key for the pod a line is about: ``pod="ns/name"`` (klog.KObj)
KLOG_POD = r'\bpod="([^"\s/]+/[^"\s]+)"'
# kubelet's older ``format.Pod``: ``name_namespace(uid)``
_KUBELET_POD = r"^([^_\s]+)_([^_(\s]+)\(([^)]*)\)$"


def ref_patterns(patterns: Iterable[Pattern]) -> list[str]:
    """Ids of the patterns whose captures can name a pod: their captures are needed to attribute."""
    return [p.id for p in patterns if set(p.group_names) & set(POD_REF_GROUPS)]


def _nonempty(e: pl.Expr) -> pl.Expr:
    return pl.when(e != "").then(e)


def _capture(name: str) -> pl.Expr:
    return _nonempty(pl.col("captures").str.json_path_match(f"$.{name}"))


def pod_ref(ref: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``ns/name``, kubelet's ``name_ns(uid)`` or a bare name -> (namespace or null, name)."""
    kubelet_name = ref.str.extract(_KUBELET_POD, 1)
    kubelet_ns = ref.str.extract(_KUBELET_POD, 2)
    slash_ns = _nonempty(ref.str.extract(r"(?s)^(.*)/[^/]*$", 1))
    last = ref.str.extract(r"(?s)([^/]*)$", 1)
    return pl.coalesce(kubelet_ns, slash_ns), pl.coalesce(kubelet_name, last)


def attribute(sig: pl.DataFrame) -> pl.DataFrame:
    """Signal rows with their identity columns (``AFFECTED`` and ``pod``) moved to the pod a log
    or text line names; rows that name none, and rows of other sources, keep theirs. Reads the
    ``captures`` present (null captures name nothing) and the full ``text``."""
    if sig.is_empty():
        return sig
    ref = pl.coalesce([_capture(k) for k in POD_REF_GROUPS] + [pl.col("text").str.extract(KLOG_POD, 1)])
    ref = pl.when(pl.col("source").is_in(ATTRIBUTED_SOURCES)).then(ref)
    ref_ns, ref_name = pod_ref(pl.col("_ref"))
    moved = pl.col("_ref").is_not_null()
    return sig.with_columns(ref.alias("_ref")).with_columns(
        pl.when(moved).then(pl.coalesce(ref_ns, _capture(NS_GROUP), pl.col("namespace")))
        .otherwise(pl.col("namespace")).alias("namespace"),
        pl.when(moved).then(pl.lit("Pod")).otherwise(pl.col("object_kind")).alias("object_kind"),
        pl.when(moved).then(ref_name).otherwise(pl.col("object_name")).alias("object_name"),
        pl.when(moved).then(ref_name).otherwise(pl.col("pod")).alias("pod"),
        pl.when(moved).then(pl.lit(None, dtype=pl.Utf8)).otherwise(pl.col("container")).alias("container"),
    ).drop("_ref")
