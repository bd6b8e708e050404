"""Kubernetes quantities and times as the API and kubectl print them."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import regex

_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
           "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9,
           "T": 1e12, "P": 1e15, "E": 1e18}
_QTY = regex.compile(r"^\s*([+-]?\d+(?:\.\d+)?)(?:[eE]([+-]?\d+))?\s*(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?\s*$")

GPU = "nvidia.com/gpu"
GPUMEM = "nvidia.com/gpumem"
GPUMEM_PCT = "nvidia.com/gpumem-percentage"
GPUCORES = "nvidia.com/gpucores"


def quantity(value: object) -> float | None:
    """A Kubernetes quantity ("500m", "16Gi", "8") as a number; None when not one."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    m = _QTY.match(str(value))
    if not m:
        return None
    number = float(m[1]) * (10 ** int(m[2]) if m[2] else 1)
    return number * _SUFFIX[m[3] or ""]


def count(value: object) -> int | None:
    """An integer extended-resource count (nvidia.com/gpu, gpumem in MiB...)."""
    q = quantity(value)
    return None if q is None else int(q)


def parse_time(value: object) -> datetime | None:
    """RFC3339 (API JSON), RFC1123Z (kubectl describe) or a datetime (a table cell) -> aware UTC
    datetime; None if not a time."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)
