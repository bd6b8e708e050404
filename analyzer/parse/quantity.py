"""Quantities and times as Kubernetes and the logs print them: the one parser of each.

- ``quantity`` / ``count``: resource quantities (``500m``, ``16Gi``, ``8``);
- ``byte_size``: sizes as people and logs write them (``1.18GiB``, ``812 MiB``, ``3.2GB``);
- ``parse_time``: RFC3339 / ISO-8601 (any fraction length, ``Z`` or an offset) and RFC1123Z
  (``kubectl describe``) -> an aware UTC datetime; ``wall_time``: the same text as the naive
  wall-clock time it shows (offset dropped, not applied);
- ``human_duration``: kubectl's short ages (``5m3s``, ``3h``, ``12d``).
"""

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


# sizes as written in logs and on command lines: a bare K/M/G is binary, as in most tools
_SIZE_UNITS = {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "kb": 10**3, "mb": 10**6,
               "gb": 10**9, "tb": 10**12, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40,
               "b": 1, "bytes": 1, "": 1}
_SIZE = regex.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def byte_size(value: object) -> float | None:
    """A size in bytes from ``1.18GiB``, ``812 MiB``, ``3.2GB``, ``512M`` or ``3000000``; None
    when not one.

    >>> byte_size("1GiB"), byte_size("20MB"), byte_size("512 m"), byte_size("7 parsecs")
    (1073741824.0, 20000000.0, 536870912.0, None)
    """
    m = _SIZE.match(str(value)) if value is not None else None
    if not m or m[2].lower() not in _SIZE_UNITS:
        return None
    return float(m[1]) * _SIZE_UNITS[m[2].lower()]


def count(value: object) -> int | None:
    """An integer extended-resource count (nvidia.com/gpu, gpumem in MiB...)."""
    q = quantity(value)
    return None if q is None else int(q)


# the seconds' fraction: RFC3339Nano has nine digits, Python keeps six (and 3.10 wants 3 or 6)
_FRACTION = regex.compile(r"(?<=\d\d:\d\d)[.,](\d+)")
# Go's time.Time.String(): "2021-08-03 12:14:13.632016778 +0200 CEST m=+138.368642668" (the zone
# abbreviation and the monotonic clock reading after the offset are dropped)
_GO_STRING = regex.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d)(?: [A-Za-z0-9+-]+)?(?: m=[+-][\d.]+)?$")


def _read_time(value: object) -> datetime | None:
    """The time a text shows, aware when it carries an offset (naive otherwise); None if none."""
    if isinstance(value, datetime):
        return value
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    go = _GO_STRING.match(text)
    if go:
        text = f"{go[1]}T{go[2]}{go[3]}:{go[4]}"
    iso = _FRACTION.sub(lambda m: "." + m[1][:6].ljust(6, "0"), text.replace("Z", "+00:00"), count=1)
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None


def parse_time(value: object) -> datetime | None:
    """RFC3339 (API JSON), RFC1123Z (kubectl describe), Go's ``time.Time.String()`` (OpenShift
    must-gather's ``timestamp`` file) or a datetime (a table cell) -> aware UTC datetime (a time
    without offset is taken as UTC); None if not a time.

    >>> parse_time("2026-11-20T10:14:03.123456789Z").isoformat()
    '2026-11-20T10:14:03.123456+00:00'
    >>> parse_time("Fri, 20 Nov 2026 11:14:03 +0100").isoformat()
    '2026-11-20T10:14:03+00:00'
    >>> parse_time("2021-08-03 12:14:13.632016778 +0200 CEST m=+138.368642668").isoformat()
    '2021-08-03T10:14:13.632016+00:00'
    """
    dt = _read_time(value)
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def wall_time(value: object) -> datetime | None:
    """The naive wall-clock time a text shows: an offset is dropped, not applied (a test harness
    that compares its host's local times with container times does the same).

    >>> wall_time("2025-10-03T10:30:44.120318Z"), wall_time("2025-10-03T10:30:44+02:00")
    (datetime.datetime(2025, 10, 3, 10, 30, 44, 120318), datetime.datetime(2025, 10, 3, 10, 30, 44))
    """
    dt = _read_time(value)
    return None if dt is None else dt.replace(tzinfo=None)


def human_duration(seconds: float) -> str:
    """Kubernetes' short duration format (``duration.HumanDuration``): 45s, 5m3s, 3h, 12d.

    >>> [human_duration(s) for s in (45, 303, 3 * 3600, 12 * 86400)]
    ['45s', '5m3s', '3h', '12d']
    """
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"
