"""Quantities and times as Kubernetes and the logs print them: the one parser of each.

- ``quantity`` / ``count``: resource quantities (``500m``, ``16Gi``, ``8``);
- ``byte_size``: sizes as people and logs write them (``1.18GiB``, ``812 MiB``, ``3.2GB``);
- ``parse_time``: RFC3339 / ISO-8601 (any fraction length, ``Z`` or an offset) and RFC1123Z
  (``kubectl describe``) -> an aware UTC datetime; ``wall_time``: the same text as the naive
  wall-clock time it shows (offset dropped, not applied);
- ``human_duration``: kubectl's short ages (``5m3s``, ``3h``, ``12d``).

The values come from untrusted bundles and none of these parsers raises on them. A quantity
beyond 2^63-1 in magnitude (``1e999``, a 4000-digit integer, an infinite float) is capped there,
as the API server caps one; NaN, a time that no calendar date can hold (year 1 with a positive
offset) and a value of the wrong type are dropped (None). While a ``value_problems()`` block is
open, each capped or dropped value of a named ``field`` is noted there, so that the parse stage
can list it under "could not read" (``field: value why``).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Iterator

import regex

# Kubernetes' resource.Quantity: "no quantity may represent a number greater than 2^63-1 in
# magnitude ... larger numbers will be capped"
QUANTITY_MAX = 2**63 - 1
_NOTES_MAX = 200  # notes kept per block: a file of a million bad values lists the first ones

_NOTES: ContextVar[list[str] | None] = ContextVar("value_notes", default=None)

# the times Python's datetime holds, in UTC: a time column (Polars holds more) keeps only these,
# so that every row can be turned into Python values
TIME_MIN = datetime(1, 1, 1, tzinfo=timezone.utc)
TIME_MAX = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)


@contextmanager
def value_problems() -> Iterator[list[str]]:
    """Notes of every value the parsers of this module capped or dropped while the block runs
    (only values whose caller named the field).

    >>> with value_problems() as notes:
    ...     _ = count("1e999", "limits.nvidia.com/gpu")
    >>> notes
    ['limits.nvidia.com/gpu: 1e999 beyond 2^63-1, capped']
    """
    token = _NOTES.set([])
    try:
        yield _NOTES.get()  # type: ignore[misc]
    finally:
        _NOTES.reset(token)


def note_value(field: str | None, value: object, why: str) -> None:
    """Note that ``field`` held ``value`` that could not be read as it was (see ``value_problems``)."""
    notes = _NOTES.get()
    if notes is None or field is None or len(notes) >= _NOTES_MAX:
        return
    text = value if isinstance(value, str) else repr(value)
    text = text if len(text) <= 40 else f"{text[:24]}... ({len(text)} characters)"
    notes.append(f"{field}: {text} {why}")


def _capped(number: float | int, field: str | None, value: object) -> float | None:
    """``number`` as a float within +-QUANTITY_MAX (capped, noted); None for NaN."""
    if isinstance(number, float) and math.isnan(number):
        note_value(field, value, "is not a number")
        return None
    if abs(number) > QUANTITY_MAX:
        note_value(field, value, "beyond 2^63-1, capped")
        return float(QUANTITY_MAX) if number > 0 else -float(QUANTITY_MAX)
    return float(number)

_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
           "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9,
           "T": 1e12, "P": 1e15, "E": 1e18}
# ASCII digits only, as the API server reads them (Python's float() would take any script's digits)
_QTY = regex.compile(r"^\s*([+-]?[0-9]+(?:\.[0-9]+)?)(?:[eE]([+-]?[0-9]+))?\s*(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?\s*$")

GPU = "nvidia.com/gpu"
GPUMEM = "nvidia.com/gpumem"
GPUMEM_PCT = "nvidia.com/gpumem-percentage"
GPUCORES = "nvidia.com/gpucores"


def _decimal(mantissa: str, exponent: str | None) -> float:
    """``mantissa`` times ten to ``exponent`` as a float: inf or 0.0 when out of range, never an
    error (an exponent of thousands of digits included)."""
    if not exponent:
        return float(mantissa)
    digits = exponent.lstrip("+-")
    e = int(digits) if len(digits) <= 6 else 10**6
    return float(f"{mantissa}e{'-' if exponent.startswith('-') else ''}{e}")


def quantity(value: object, field: str | None = None) -> float | None:
    """A Kubernetes quantity ("500m", "16Gi", "8") as a number, capped at 2^63-1 in magnitude;
    None when not one. ``field`` names it in the notes of ``value_problems``.

    >>> quantity("16Gi"), quantity("500m"), quantity("1e999"), quantity("9" * 4000) == quantity("1e999")
    (17179869184.0, 0.5, 9.223372036854776e+18, True)
    """
    if value is None:
        return None
    if isinstance(value, bool):
        note_value(field, value, "is not a quantity")
        return None
    if isinstance(value, (int, float)):
        return _capped(value, field, value)
    m = _QTY.match(str(value))
    if not m:
        if field is not None and str(value).strip():
            note_value(field, value, "is not a quantity")
        return None
    return _capped(_decimal(m[1], m[2]) * _SUFFIX[m[3] or ""], field, value)


# sizes as written in logs and on command lines: a bare K/M/G is binary, as in most tools
_SIZE_UNITS = {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "kb": 10**3, "mb": 10**6,
               "gb": 10**9, "tb": 10**12, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40,
               "b": 1, "bytes": 1, "": 1}
_SIZE = regex.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")


def byte_size(value: object, field: str | None = None) -> float | None:
    """A size in bytes from ``1.18GiB``, ``812 MiB``, ``3.2GB``, ``512M`` or ``3000000``
    (capped at 2^63-1); None when not one.

    >>> byte_size("1GiB"), byte_size("20MB"), byte_size("512 m"), byte_size("7 parsecs")
    (1073741824.0, 20000000.0, 536870912.0, None)
    """
    m = _SIZE.match(str(value)) if value is not None else None
    if not m or m[2].lower() not in _SIZE_UNITS:
        return None
    return _capped(float(m[1]) * _SIZE_UNITS[m[2].lower()], field, value)


def count(value: object, field: str | None = None) -> int | None:
    """An integer extended-resource count (nvidia.com/gpu, gpumem in MiB...), within +-2^63-1.

    >>> count("2"), count("1e999"), count(float("nan")), count("n/a")
    (2, 9223372036854775807, None, None)
    """
    q = quantity(value, field)
    return None if q is None else max(-QUANTITY_MAX, min(QUANTITY_MAX, int(q)))


def bounded_int(value: object, field: str | None = None, low: int = -QUANTITY_MAX,
                high: int = QUANTITY_MAX) -> int | None:
    """An integer field of an object (a restart count, an exit code, a port) from an int or a
    string of digits; None (noted) when it is of another type or outside ``low..high``.

    >>> bounded_int(3), bounded_int("42"), bounded_int("n/a"), bounded_int(10**40), bounded_int(True)
    (3, 42, None, None, None)
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        note_value(field, value, "is not an integer")
        return None
    if isinstance(value, str):
        text = value.strip()
        # ASCII digits only: str.isdigit() also takes superscripts, which int() refuses
        digits = text.lstrip("+-").isascii() and text.lstrip("+-").isdigit()
        if not (digits and len(text) <= 20):
            note_value(field, value, "is not an integer" if not digits else "out of range")
            return None
        value = int(text)
    if not low <= value <= high:
        note_value(field, value, "out of range")
        return None
    return value


# the seconds' fraction: RFC3339Nano has nine digits, Python keeps six (and 3.10 wants 3 or 6)
_FRACTION = regex.compile(r"(?<=\d\d:\d\d)[.,](\d+)")
# Go's time.Time.String(): "2021-08-03 12:14:13.632016778 +0200 CEST m=+138.368642668" (the zone
# abbreviation and the monotonic clock reading after the offset are dropped)
_GO_STRING = regex.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d)(?: [A-Za-z0-9+-]+)?(?: m=[+-][\d.]+)?$")


def _read_time(value: object, field: str | None) -> datetime | None:
    """The time a text shows, aware when it carries an offset (naive otherwise); None if none."""
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    if not isinstance(value, str):
        note_value(field, value, "is not a time")
        return None
    text = value.strip()
    go = _GO_STRING.match(text)
    if go:
        text = f"{go[1]}T{go[2]}{go[3]}:{go[4]}"
    if len(text) > 64:  # no time is written in more; a long text is not one
        note_value(field, value, "is not a time")
        return None
    iso = _FRACTION.sub(lambda m: "." + m[1][:6].ljust(6, "0"), text.replace("Z", "+00:00"), count=1)
    try:
        return datetime.fromisoformat(iso)
    except (ValueError, OverflowError):
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            note_value(field, value, "is not a time")
            return None


def parse_time(value: object, field: str | None = None) -> datetime | None:
    """RFC3339 (API JSON), RFC1123Z (kubectl describe), Go's ``time.Time.String()`` (OpenShift
    must-gather's ``timestamp`` file) or a datetime (a table cell) -> aware UTC datetime (a time
    without offset is taken as UTC); None if not a time, or if its UTC time falls outside the
    years 1 to 9999 (noted under ``field``).

    >>> parse_time("2026-11-20T10:14:03.123456789Z").isoformat()
    '2026-11-20T10:14:03.123456+00:00'
    >>> parse_time("Fri, 20 Nov 2026 11:14:03 +0100").isoformat()
    '2026-11-20T10:14:03+00:00'
    >>> parse_time("2021-08-03 12:14:13.632016778 +0200 CEST m=+138.368642668").isoformat()
    '2021-08-03T10:14:13.632016+00:00'
    >>> parse_time("0001-01-01T00:30:00+01:00") is None, parse_time(12) is None
    (True, True)
    """
    dt = _read_time(value, field)
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        return dt.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        note_value(field, value, "is outside the years 1 to 9999 in UTC")
        return None


def wall_time(value: object, field: str | None = None) -> datetime | None:
    """The naive wall-clock time a text shows: an offset is dropped, not applied (a test harness
    that compares its host's local times with container times does the same).

    >>> wall_time("2025-10-03T10:30:44.120318Z"), wall_time("2025-10-03T10:30:44+02:00")
    (datetime.datetime(2025, 10, 3, 10, 30, 44, 120318), datetime.datetime(2025, 10, 3, 10, 30, 44))
    """
    dt = _read_time(value, field)
    return None if dt is None else dt.replace(tzinfo=None)


_CALENDAR_SPAN = (TIME_MAX - TIME_MIN).total_seconds()


def human_duration(seconds: float) -> str:
    """Kubernetes' short duration format (``duration.HumanDuration``): 45s, 5m3s, 3h, 12d.

    >>> [human_duration(s) for s in (45, 303, 3 * 3600, 12 * 86400)]
    ['45s', '5m3s', '3h', '12d']
    """
    # no two times of the calendar (years 1-9999) are further apart: anything more is no age
    if not math.isfinite(seconds) or abs(seconds) > _CALENDAR_SPAN:
        return "<invalid>"
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
