"""Prometheus text exposition (a pod's ``/metrics``) -> ``metrics`` rows.

Real sample::

    # HELP vllm:num_requests_running Number of requests in model execution batches.
    # TYPE vllm:num_requests_running gauge
    vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-0.6B"} 3.0
    dynamo_frontend_requests_total{model="qwen",request_type="stream",status="error"} 12

Parsed with ``prometheus_client``'s parser; when a scrape is malformed (cut short, mixed with
an error page) the lines that still parse are kept, one by one. A scrape of more than
``MAX_SAMPLE_LINES`` lines is read up to there (noted): the parser holds every sample of a family
at once, and a million-series scrape took a run past 1 GiB.
"""

from __future__ import annotations

import math


from analyzer.tables import to_json

# far above what the exporters checks read print (vLLM, Dynamo, DCGM: thousands of series per pod)
MAX_SAMPLE_LINES = 200_000


def metric_rows(text: str, path: str, namespace: str | None, pod: str | None,
                errors: list[str]) -> list[dict]:
    """One row per sample; unparsable lines are reported in ``errors``, and so are the samples
    whose value is not a finite number (NaN, +-Inf, beyond a float), kept with no value."""
    cut = _nth_newline(text, MAX_SAMPLE_LINES)
    if cut is not None:
        errors.append(f"more than {MAX_SAMPLE_LINES} lines: read up to line {MAX_SAMPLE_LINES}, "
                      f"{len(text) - cut - 1} characters after it not read")
        text = text[:cut + 1]
    rows = _all_rows(text, path, namespace, pod, errors)
    odd = sum(1 for r in rows if r["value"] is None)
    if odd:
        errors.append(f"{odd} sample(s) with a value that is not a finite number (NaN, Inf or out of range) "
                      "read as no value")
    return rows


def _nth_newline(text: str, n: int) -> int | None:
    """The index of the ``n``-th newline when more text follows it; None otherwise."""
    pos = -1
    for _ in range(n):
        pos = text.find("\n", pos + 1)
        if pos < 0:
            return None
    return pos if pos + 1 < len(text) else None


def _all_rows(text: str, path: str, namespace: str | None, pod: str | None, errors: list[str]) -> list[dict]:
    try:
        return _rows(text, path, namespace, pod)
    except (ValueError, TypeError, IndexError, KeyError):
        pass
    rows: list[dict] = []
    bad = 0
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        try:
            rows.extend(_rows(line + "\n", path, namespace, pod))
        except (ValueError, TypeError, IndexError, KeyError):
            bad += 1
    if bad:
        errors.append(f"{bad} line(s) are not Prometheus text and were skipped")
    return rows


def _rows(text: str, path: str, namespace: str | None, pod: str | None) -> list[dict]:
    rows = []
    # imported here: most bundles hold no scrape, and the parser's imports (http.server, ssl) cost
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for s in family.samples:
            rows.append({"path": path, "namespace": namespace, "pod": pod, "name": s.name,
                         "labels": to_json(dict(s.labels)), "value": _value(s.value)})
    return rows


def _value(value: float | int) -> float | None:
    """A sample's value as a finite float; None for NaN, +-Inf and an integer too large for a
    float (the parser keeps ``9`` * 4000 as an int)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
