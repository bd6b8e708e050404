"""Fixed clock and seeded randomness: every time and id in a sample bundle derives from these.

A scenario has one collection time; everything else is "so many seconds before it". Times are
integers of nanoseconds since the epoch so that log timestamps keep their nanosecond digits the
way containerd writes them, and the printers below reproduce each component's own format.
"""

from __future__ import annotations

import random
import uuid
import zlib
from datetime import datetime, timedelta, timezone

from analyzer.parse.quantity import parse_time as analyzer_time

NS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# kube's name suffixes avoid vowels and look-alike digits (k8s.io/apimachinery/pkg/util/rand)
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def parse_time(text: str) -> int:
    """Nanoseconds since the epoch for an RFC3339 time like ``2026-11-20T10:15:00Z`` (read by the
    analyzer's own time parser; exact to the microsecond)."""
    dt = analyzer_time(text)
    if dt is None:
        raise ValueError(f"not an RFC3339 time: {text!r}")
    return (dt - _EPOCH) // timedelta(microseconds=1) * 1000


def _dt(t_ns: int) -> datetime:
    return datetime.fromtimestamp(t_ns // NS, tz=timezone.utc)


def rfc3339(t_ns: int) -> str:
    """Kubernetes metav1.Time: second precision, ``Z``."""
    return _dt(t_ns).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_time(t_ns: int) -> str:
    """Kubernetes metav1.MicroTime (events' ``eventTime``): six fraction digits."""
    return _dt(t_ns).strftime("%Y-%m-%dT%H:%M:%S") + f".{(t_ns % NS) // 1000:06d}Z"


def rfc3339_nano(t_ns: int) -> str:
    """Go's RFC3339Nano as ``kubectl logs --timestamps`` prints it: trailing zeros trimmed."""
    frac = f"{t_ns % NS:09d}".rstrip("0")
    return _dt(t_ns).strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


def rfc1123z(t_ns: int) -> str:
    """Go's RFC1123Z, as ``kubectl describe`` prints times."""
    return _dt(t_ns).strftime("%a, %d %b %Y %H:%M:%S +0000")


def dynamo_ts(t_ns: int) -> str:
    """Dynamo readable log timestamp: UTC, microseconds."""
    return _dt(t_ns).strftime("%Y-%m-%dT%H:%M:%S") + f".{(t_ns % NS) // 1000:06d}Z"


def vllm_ts(t_ns: int) -> str:
    """vLLM logger datefmt ``%m-%d %H:%M:%S`` (no year, no zone)."""
    return _dt(t_ns).strftime("%m-%d %H:%M:%S")


def klog_header(level: str, t_ns: int, pid: int, fileline: str) -> str:
    """klog header ``I1120 10:00:00.123456       1 file.go:12] `` (thread id right-aligned to 7)."""
    d = _dt(t_ns)
    return f"{level}{d.strftime('%m%d %H:%M:%S')}.{(t_ns % NS) // 1000:06d} {pid:>7} {fileline}] "


def nats_ts(t_ns: int) -> str:
    """nats-server log time ``2026/11/20 10:00:00.123456``."""
    return _dt(t_ns).strftime("%Y/%m/%d %H:%M:%S") + f".{(t_ns % NS) // 1000:06d}"


def go_datetime(t_ns: int) -> str:
    """Go's time.DateTime layout ``2006-01-02 15:04:05``."""
    return _dt(t_ns).strftime("%Y-%m-%d %H:%M:%S")


class Rng:
    """A seeded random source with the id shapes Kubernetes and the components use."""

    def __init__(self, seed_text: str) -> None:
        self.r = random.Random(zlib.crc32(seed_text.encode()))

    def uid(self) -> str:
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def gpu_uuid(self) -> str:
        return "GPU-" + str(uuid.UUID(int=self.r.getrandbits(128)))

    def hex(self, n: int) -> str:
        return "".join(self.r.choice("0123456789abcdef") for _ in range(n))

    def suffix(self, n: int = 5) -> str:
        return "".join(self.r.choice(_SUFFIX_ALPHABET) for _ in range(n))

    def randint(self, a: int, b: int) -> int:
        return self.r.randint(a, b)

    def uniform(self, a: float, b: float) -> float:
        return self.r.uniform(a, b)

    def choice(self, seq):  # type: ignore[no-untyped-def]
        return self.r.choice(seq)

    def random(self) -> float:
        return self.r.random()

    def jitter_ns(self, max_ms: int = 999) -> int:
        """A sub-second offset with nanosecond digits (containerd stamps are nanosecond)."""
        return self.r.randint(0, max_ms * 1_000_000 + 999_999)
