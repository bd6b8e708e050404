"""Small builders for the matcher's unit tests: patterns, raw ``log_lines`` batches, klog lines."""

from __future__ import annotations

import polars as pl

from analyzer.library import Pattern
from analyzer.tables import SCHEMAS


def pattern(pid: str, rx: str, hint: tuple[str, ...], sources: tuple[str, ...] = ("log",),
            category: str = "scheduling.insufficient_gpu") -> Pattern:
    """A pattern with only what the matcher reads (id, regex, hint, sources)."""
    return Pattern(id=pid, name=pid.lower(), title=pid, category=category, severity="error",
                   sources=sources, hint=hint, regex=rx, summary="s", root_cause="r", remediation="m")


def batch(lines: list[str], path: str = "namespaces/ns/logs/pod-a/c.log", namespace: str | None = "ns",
          pod: str | None = "pod-a", container: str | None = "c", source: str = "log",
          first_line: int = 1) -> pl.DataFrame:
    """A raw (not annotated) ``log_lines`` frame of one file, as ``iter_log_batches(annotated=False)``
    yields it: identity from the member meta, time/level/format/record_line null."""
    n = len(lines)
    schema = SCHEMAS["log_lines"]
    data = {"path": [path] * n, "line": list(range(first_line, first_line + n)), "record_line": [None] * n,
            "namespace": [namespace] * n, "pod": [pod] * n, "container": [container] * n,
            "previous": [False] * n, "source": [source] * n, "time": [None] * n, "level": [None] * n,
            "format": [None] * n, "text": lines}
    return pl.DataFrame(data, schema=schema)


def cut(frame: pl.DataFrame, rows: int) -> list[pl.DataFrame]:
    """``frame`` cut into batches of ``rows`` rows, as ``Parsed.iter_log_batches`` cuts a long file."""
    return [frame.slice(i, rows) for i in range(0, frame.height, rows)]


def scheduler_noise(i: int) -> list[str]:
    """Healthy kube-scheduler lines (klog, as ``kubectl logs`` prints them)."""
    return [f'I{_klog_time(i)}.100000       1 schedule_one.go:314] "Successfully bound pod to node" '
            f'pod="default/web-{i}" node="node-{i % 3}" evaluatedNodes=3 feasibleNodes=1',
            f'I{_klog_time(i)}.150000       1 eventhandlers.go:118] "Add event for unscheduled pod" '
            f'pod="default/web-{i + 1}"']


def _klog_time(second: int) -> str:
    return f"0412 10:{second // 60 % 60:02d}:{second % 60:02d}"


def insufficient_gpu(pod: str, second: int = 0) -> str:
    """kube-scheduler's error for a pod no node can fit (``ErrorS(err, "Error scheduling pod;
    retrying", "pod", klog.KObj(pod))``: err first, then the pod as ``ns/name``)."""
    return (f'E{_klog_time(second)}.223456       1 schedule_one.go:1004] "Error scheduling pod; retrying" '
            f'err="0/3 nodes are available: 3 Insufficient nvidia.com/gpu." pod="{pod}"')


def no_fit(pod: str, second: int = 0) -> str:
    """kube-scheduler's V(2) line for a FitError (``Info("Unable to schedule pod; no fit;
    waiting", "pod", klog.KObj(pod), "err", errMsg)``: the pod first, then err)."""
    return (f'I{_klog_time(second)}.323456       1 schedule_one.go:1060] "Unable to schedule pod; no fit; waiting" '
            f'pod="{pod}" err="0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are '
            f'available: 3 No preemption victims found for incoming pod."')


def extender_timeout(pod: str, second: int = 0) -> str:
    """kube-scheduler failing to reach HAMi's scheduler extender (hami.yaml's example, per pod)."""
    return (f'E{_klog_time(second)}.423456       1 schedule_one.go:1004] "Error scheduling pod; retrying" '
            f'err="Post \\"https://127.0.0.1:443/filter\\": context deadline exceeded (Client.Timeout exceeded while '
            f'awaiting headers)" pod="{pod}"')


# which row sources each pattern source covers (ARCHITECTURE.md: a ``log`` pattern also reads
# plain text files; the others read their own rows only)
ROW_SOURCES = {"log": {"log", "text"}, "text": {"text"}, "describe": {"describe"}, "events": {"events"},
               "metrics": {"metrics"}, "objects": {"objects"}}


def oracle_hits(rows: list[tuple[str, str]], patterns: list[Pattern]) -> set[tuple[int, int]]:
    """The hit rule in plain Python over (source, text) rows: (pattern index, row index) where the
    row is of one of the pattern's sources, holds one of its hints and Python ``regex`` matches."""
    matched: dict[str, list[int]] = {}
    for text in {t for _, t in rows}:
        matched[text] = [i for i, p in enumerate(patterns) if p.hint_hit(text) and p.compiled.search(text)]
    return {(i, r) for r, (source, text) in enumerate(rows) for i in matched[text]
            if any(source in ROW_SOURCES[s] for s in patterns[i].sources)}


def frame(rows: list[tuple[str, str]]) -> pl.DataFrame:
    """A (source, text) frame for the hit finders."""
    return pl.DataFrame({"source": [s for s, _ in rows], "text": [t for _, t in rows]},
                        schema={"source": pl.Utf8, "text": pl.Utf8})


def hit_set(hits: pl.DataFrame) -> set[tuple[int, int]]:
    return set(hits.select("_p", "_row").iter_rows())


def signals(rows: list[dict]) -> pl.DataFrame:
    """A ``signals`` frame from partial rows (missing columns null; source log, weight 1)."""
    from analyzer.match import SIGNAL_SCHEMA

    base = {"source": "log", "weight": 1, "previous": False, "text": "x"}
    full = [{c: {**base, **r}.get(c) for c in SIGNAL_SCHEMA} for r in rows]
    return pl.DataFrame(full, schema=SIGNAL_SCHEMA, orient="row") if full else pl.DataFrame(schema=SIGNAL_SCHEMA)


def diagnosis_reads(sig: pl.DataFrame) -> dict:
    """What the diagnosis reads of log signals, per (pattern, affected object): the line count
    (sum of weights), first and last seen, and the evidence rows (the first four and the last,
    ordered by time with unknown times last, then path and line)."""
    out = {}
    key = ["pattern_id", "namespace", "object_kind", "object_name", "container"]
    for k, g in sig.group_by(key, maintain_order=True):
        g = g.sort(["time", "path", "line"], nulls_last=True)
        picks = g.head(4).vstack(g.tail(1)) if g.height >= 5 else g
        times = g.get_column("time").drop_nulls()
        out[tuple(k)] = (int(g.get_column("weight").sum()), times.min() if times.len() else None,
                         times.max() if times.len() else None,
                         [(r["path"], r["line"]) for r in picks.iter_rows(named=True)])
    return out
