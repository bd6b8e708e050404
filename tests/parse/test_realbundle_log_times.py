"""Time and level of the logfmt and journald lines of the published bundles (``../shared/realbundles``).

The must-gathers' ``host_service_logs`` are journalctl output around kubelet (klog), CRI-O (logfmt),
NetworkManager, Open vSwitch and systemd records; troubleshoot keeps logrus/logfmt pod logs
(traefik, local-path-provisioner). Every one of those lines must carry a time, and every record
inside that says its level must give it. The archives are read with ``tarfile`` here (only the
log members, streamed), so this test needs nothing from the ingest stage.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import polars as pl
import pytest

from analyzer.parse.logs import log_frames
from testkit.realbundles import realbundles_dir

ROOT = Path(__file__).resolve().parents[2]




# a journald short/short-precise line: "Aug 03 09:17:42.077259 host ident[pid]: "
JOURNALD = r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ [^\s:\[\]]+(?:\[\d+\])?: "
# a logfmt record: time= or level= first
LOGFMT = r'^(?:time="[^"]+" level=\w+|level=\w+ ts=\S+)'
# records inside that print a level: klog, logfmt, NetworkManager, Open vSwitch
INNER_LEVEL = (r": (?:[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ |time=\"[^\"]+\" level=\w+ |<(?:info|warn|error|debug)> "
               r"|ovs\|\d+\|[\w\-]+\|(?:INFO|WARN|ERR|DBG|EMER)\|)")


def _log_members(archive: Path, wanted) -> dict[str, bytes]:
    out = {}
    with tarfile.open(archive) as tar:
        for info in tar:
            if info.isfile() and wanted(info.name):
                f = tar.extractfile(info)
                if f is not None:
                    out[info.name] = f.read()
    return out


def _frame(members: dict[str, bytes], year: int | None) -> pl.DataFrame:
    frames = []
    for name, data in members.items():
        errors: list[str] = []
        frames.extend(log_frames(io.BytesIO(data), {"path": name}, 1 << 20, year, errors))
    return pl.concat(frames)


@pytest.mark.parametrize("name", ["must-gather-aws", "must-gather-azure"])
def test_must_gather_host_service_logs_have_times_and_levels(name: str) -> None:
    members = _log_members(realbundles_dir() / f"{name}.tar.xz", lambda n: "/host_service_logs/" in n and n.endswith(".log"))
    assert len(members) >= 8
    # the must-gather's own timestamp file says 2021; journald's short time prints no year
    df = _frame(members, 2021)
    journald = df.filter(pl.col("text").str.contains(JOURNALD))
    assert journald.height > 10_000
    assert journald.get_column("time").null_count() == 0
    leveled = journald.filter(pl.col("text").str.contains(INNER_LEVEL))
    assert leveled.height > 0.8 * journald.height
    assert leveled.get_column("level").null_count() == 0
    kinds = set(leveled.get_column("format").unique().to_list())
    assert {"klog", "logfmt"} <= kinds
    # only journalctl's own "-- Logs begin at ... --" / "-- No entries --" lines are left without a time
    rest = df.filter(pl.col("time").is_null()).get_column("text")
    assert rest.str.starts_with("-- ").all()


def test_troubleshoot_logfmt_pod_logs_have_times_and_levels() -> None:
    members = _log_members(realbundles_dir() / "troubleshoot-k3s.tar.gz",
                           lambda n: "/cluster-resources/pods/logs/" in n and n.endswith(".log"))
    df = _frame(members, None)
    logfmt = df.filter(pl.col("text").str.contains(LOGFMT))
    assert logfmt.height >= 5
    assert logfmt.get_column("time").null_count() == 0
    assert set(logfmt.get_column("level").to_list()) >= {"INFO", "ERROR", "CRITICAL"}
    assert set(logfmt.get_column("format").to_list()) == {"logfmt"}
