"""Opening bundles: every container format gives the same tables; bad members are recorded."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import polars as pl
import pytest
import zstandard

from analyzer.ingest import BundleError, open_bundle, spool
from analyzer.parse import parse_bundle
from analyzer.pipeline import write_tables
from testkit.bundle import BundleWriter

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(p for p in (ROOT / "sample_bundles").iterdir() if p.is_dir()) \
    if (ROOT / "sample_bundles").is_dir() else []

POD_LIST = {"apiVersion": "v1", "kind": "List", "items": [{
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "frontend-0", "namespace": "dynamo"},
    "spec": {"containers": [{"name": "main", "image": "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1"}],
             "nodeName": "cpu-node-1", "schedulerName": "default-scheduler"},
    "status": {"phase": "Running", "containerStatuses": [
        {"name": "main", "ready": True, "restartCount": 0, "state": {"running": {"startedAt": "2026-11-20T09:00:00Z"}}}]}}]}


def make_collector_bundle(root: Path) -> Path:
    out = BundleWriter(root / "gpu-bundle-test", collected_at="2026-11-20T10:00:00Z", namespaces=["dynamo"])
    out.put("version", {"serverVersion": {"gitVersion": "v1.30.5"}})
    out.put("pods", POD_LIST, namespace="dynamo")
    out.put("log", "2026-11-20T09:59:00.000000001Z 2026-11-20T09:59:00.000000Z  INFO dynamo_llm::http::service: "
            "request served\n" * 50, namespace="dynamo", pod="frontend-0", container="main")
    return out.finish()


def _all_tables(source: Path) -> dict[str, pl.DataFrame]:
    with open_bundle(source) as bundle:
        parsed = parse_bundle(bundle)
        tables = dict(parsed.tables)
        tables["log_lines"] = parsed.log_lines()
        tables["read_errors"] = parsed.read_errors()
        tables["layout"] = pl.DataFrame({"layout": [bundle.layout]})
    return tables


def _archive(src: Path, dest: Path, fmt: str) -> Path:
    if fmt == "zip":
        with zipfile.ZipFile(dest, "w") as zf:
            for p in sorted(src.rglob("*")):
                if p.is_file():
                    zf.write(p, p.relative_to(src.parent).as_posix())
        return dest
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        tf.add(src, arcname=src.name)
    data = buf.getvalue()
    if fmt == "tar.gz":
        data = gzip.compress(data)
    elif fmt == "tar.zst":
        data = zstandard.ZstdCompressor().compress(data)
    dest.write_bytes(data)
    return dest


@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "tar.zst", "zip"])
def test_archive_gives_the_same_tables_as_the_directory(tmp_path, fmt):
    top = make_collector_bundle(tmp_path)
    want = _all_tables(top)
    got = _all_tables(_archive(top, tmp_path / f"b.{fmt}", fmt))
    assert want["layout"].item() == "collector"
    for name in want:
        assert got[name].equals(want[name]), name
    assert want["pods"].height == 1 and want["log_lines"].height == 50


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_sample_bundle_dir_and_tar_gz_write_identical_tables(tmp_path, sample):
    archive = _archive(sample, tmp_path / "bundle.tar.gz", "tar.gz")
    a = write_tables(str(sample), tmp_path / "from-dir")
    b = write_tables(str(archive), tmp_path / "from-tgz")
    assert a == b
    assert a["files"] > 0
    for name in a:
        left = pl.read_parquet(tmp_path / "from-dir" / f"{name}.parquet")
        right = pl.read_parquet(tmp_path / "from-tgz" / f"{name}.parquet")
        assert left.equals(right), name


def test_bad_members_are_recorded_and_the_rest_is_read(tmp_path):
    top = make_collector_bundle(tmp_path)
    logs = top / "namespaces/dynamo/logs/frontend-0"
    good = gzip.compress(b"2026-11-20T09:00:00Z hello\n" * 1000)
    (logs / "sidecar.log.gz").write_bytes(good[: len(good) // 2])  # truncated gzip
    (top / "namespaces/dynamo/core.bin").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 64)
    with open(logs / "huge.log", "wb") as f:
        f.write(b"2026-11-20T09:00:00Z " + b"A" * (50 << 20) + b"\n")
        f.write(b"2026-11-20T09:00:01Z after the long line\n")
    tables = _all_tables(top)
    errors = dict(tables["read_errors"].iter_rows())
    assert any("truncated" in e or "corrupt" in e for p, e in errors.items() if p.endswith("sidecar.log.gz")), errors
    assert errors.get("namespaces/dynamo/core.bin") == "binary file skipped"
    assert errors.get("namespaces/dynamo/logs/frontend-0/huge.log") == "line 1 longer than 1048576 bytes: cut"
    assert tables["pods"].height == 1
    huge = tables["log_lines"].filter(pl.col("path").str.ends_with("huge.log"))
    assert huge.get_column("line").to_list() == [1, 2]
    assert huge.row(1, named=True)["text"].endswith("after the long line")
    assert tables["log_lines"].filter(pl.col("path").str.ends_with("main.log")).height == 50


def test_unsafe_members_are_refused(tmp_path):
    path = tmp_path / "evil.tar"
    with tarfile.open(path, "w") as tf:
        for name, data in (("b/ok.log", b"fine\n"), ("../escape.log", b"x\n"), ("/etc/abs.log", b"x\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("b/link.log")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    with open_bundle(path) as bundle:
        assert [m.path for m in bundle.members] == ["ok.log"]  # the single top folder is stripped
        errors = {e.path: e.error for e in bundle.read_errors}
    assert "unsafe" in errors["../escape.log"] and "unsafe" in errors["/etc/abs.log"]
    # the link's path is shown like every other path (the top folder stripped); a symbolic link
    # reads the same whether it came in a tar or a folder, and it points outside the bundle
    assert errors["link.log"] == "symbolic link refused (points outside the bundle)"
    assert not (tmp_path / "escape.log").exists()


def test_missing_input_is_a_bundle_error(tmp_path):
    with pytest.raises(BundleError, match="no such file"):
        open_bundle(tmp_path / "nope")


def test_stdin_single_file_is_sniffed():
    describe = (ROOT / "tests/parse/samples/pod-crashloop.describe.txt").read_bytes()
    code = ("import sys; from analyzer.ingest import open_bundle; from analyzer.parse import parse_bundle\n"
            "b = open_bundle('-'); p = parse_bundle(b)\n"
            "print(b.layout, b.members[0].kind, p.tables['containers'].height)")
    out = subprocess.run([sys.executable, "-c", code], input=describe, capture_output=True, cwd=ROOT, check=True)
    assert out.stdout.decode().split() == ["file", "describe_pod", "1"]


@pytest.mark.parametrize("paths,layout", [
    (["version.yaml", "cluster-resources/pods/dynamo.json", "cluster-resources/pods/logs/dynamo/vllm-0/main.log"], "troubleshoot"),
    (["must-gather.local.1/quay-io-x/namespaces/dynamo/pods/vllm-0/main/main/logs/current.log",
      "must-gather.local.1/quay-io-x/cluster-scoped-resources/core/nodes/n1.yaml"], "must-gather"),
    (["gpu_operator_pod.log", "cluster_policy.yaml", "gpu_nodes.descr"], "must-gather"),
    (["nodes.json", "kube-system/pods.json", "kube-system/coredns-1/logs.txt"], "cluster-info-dump"),
    (["test_fault_scenario[agg-tp-1-dp-1-frontend]/test.log.txt",
      "test_fault_scenario[agg-tp-1-dp-1-frontend]/client_0.log.txt"], "ft-results"),
    (["app.log", "dmesg.txt"], "loose"),
])
def test_layout_detection(tmp_path, paths, layout):
    for p in paths:
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_text("{}\n" if p.endswith((".json", ".yaml")) else "text\n")
    with open_bundle(tmp_path) as bundle:
        assert bundle.layout == layout


def test_compressed_tar_on_stdin_gives_the_same_tables(tmp_path):
    top = make_collector_bundle(tmp_path)
    archive = _archive(top, tmp_path / "b.tar.zst", "tar.zst")
    code = ("from analyzer.ingest import open_bundle; from analyzer.parse import parse_bundle\n"
            "b = open_bundle('-'); p = parse_bundle(b)\n"
            "print(b.layout, len(b.members), p.log_lines().height, len(b.read_errors))")
    out = subprocess.run([sys.executable, "-c", code], input=archive.read_bytes(), capture_output=True,
                         cwd=ROOT, check=True)
    assert out.stdout.decode().split() == ["collector", "4", "50", "0"]


@pytest.mark.parametrize("fmt", ["tar.gz", "tar.zst"])
def test_a_cut_compressed_tar_keeps_the_members_before_the_cut(tmp_path, fmt):
    top = make_collector_bundle(tmp_path)
    (top / "namespaces/dynamo/logs/frontend-0/zz-last.log").write_bytes(bytes(range(256)) * 40_000)
    whole = _archive(top, tmp_path / f"whole.{fmt}", fmt).read_bytes()
    cut = tmp_path / f"cut.{fmt}"
    cut.write_bytes(whole[: len(whole) * 3 // 4])
    with open_bundle(cut) as bundle:
        paths = {m.path for m in bundle.members}
        errors = {e.path: e.error for e in bundle.read_errors}
    # tar order is sorted: the cut falls inside zz-last.log, after the members below
    assert {"manifest.json", "cluster/version.json", "namespaces/dynamo/logs/frontend-0/main.log"} <= paths
    archive = errors.pop(cut.name)
    assert "truncated" in archive or "corrupt" in archive, archive
    # the cut log, held in memory as it was unpacked, keeps its readable part and says so
    assert list(errors) == ["namespaces/dynamo/logs/frontend-0/zz-last.log"], errors
    assert errors["namespaces/dynamo/logs/frontend-0/zz-last.log"].startswith("cut short after")


def test_read_ahead_hands_over_the_stream_error_and_stops(tmp_path):
    from analyzer.ingest.streams import ReadAheadStream

    class Failing(io.RawIOBase):
        def __init__(self):
            self.reads = 0

        def readable(self):
            return True

        def read(self, n=-1):
            self.reads += 1
            if self.reads > 3:
                raise EOFError("Compressed file ended before the end-of-stream marker was reached")
            return b"x" * n

    src = Failing()
    ahead = ReadAheadStream(src, depth=2)
    got = b""
    with pytest.raises(EOFError, match="end-of-stream"):
        while True:
            chunk = ahead.read(1 << 16)
            assert chunk
            got += chunk
    assert len(got) == 3 * ReadAheadStream.CHUNK
    assert ahead.read(1 << 16) == b""      # after the error: the end, not a second error
    ahead.close()
    assert not ahead._ahead._thread.is_alive()

    endless = ReadAheadStream(io.BytesIO(b"y" * (64 << 20)), depth=2)
    assert endless.read(10) == b"y" * 10
    endless.close()                  # the reader stops early: the thread must not hang on the queue
    assert not endless._ahead._thread.is_alive()


def test_read_ahead_of_a_stalled_pipe_does_not_hold_up_shutdown():
    """Standard input that stops sending (a stalled upload): closing returns after the grace
    period, and the blocked reader thread is a daemon that ends with the process."""
    import os
    import time

    from analyzer.ingest.streams import ReadAheadStream

    r, w = os.pipe()
    os.write(w, b"first bytes")
    pipe = os.fdopen(r, "rb", buffering=0)
    ahead = ReadAheadStream(pipe, grace=0.2)
    assert ahead.read(11) == b"first bytes"
    started = time.monotonic()
    ahead.close()
    assert time.monotonic() - started < 2
    thread = ahead._ahead._thread
    assert thread.is_alive() and thread.daemon      # still blocked in read(), never joined
    os.close(w)                                      # end of input: the reader ends
    thread.join(5)
    assert not thread.is_alive()
    pipe.close()


def test_prefetch_reraises_the_producers_error_after_its_items():
    from analyzer.readahead import prefetch

    def items():
        yield 1
        yield 2
        raise ValueError("batch 3 unreadable")

    got = []
    with pytest.raises(ValueError, match="batch 3"):
        for item in prefetch(items(), depth=1):
            got.append(item)
    assert got == [1, 2]


def test_prefetch_stopped_early_stops_its_reader():
    import threading

    from analyzer.readahead import prefetch

    produced = []

    def items():
        for i in range(1000):
            produced.append(i)
            yield i

    gen = prefetch(items(), depth=2, name="test-reader")
    assert next(gen) == 0
    gen.close()
    assert not [t for t in threading.enumerate() if t.name == "test-reader"]
    assert len(produced) < 10      # bounded: at most depth items (+ the one in hand) ahead


# ---- big logs left inside a compressed archive (streamed, not unpacked)

_LINE = "2026-11-20T09:59:00.000000001Z 2026-11-20T09:59:00.000000Z  INFO dynamo_llm::http::service: request served\n"


def _big_log_bundle(root: Path) -> Path:
    top = make_collector_bundle(root)
    logs = top / "namespaces/dynamo/logs/frontend-0"
    (logs / "main.previous.log").write_text(_LINE * 12_000 + "torch.OutOfMemoryError: CUDA out of memory.\n")
    (logs / "main.log").write_text(_LINE * 10_000)
    return top


@pytest.mark.parametrize("memory", [None, 300_000])  # all of it in memory, or a part (the rest on disk)
def test_compressed_tar_members_held_in_memory_read_as_the_folder_does(tmp_path, monkeypatch, memory):
    top = _big_log_bundle(tmp_path)
    want = _all_tables(top)
    archive = _archive(top, tmp_path / "b.tar.zst", "tar.zst")
    if memory is not None:
        monkeypatch.setattr(spool, "MEMORY_BYTES", memory)
    with open_bundle(archive) as bundle:
        on_disk = sorted(str(p.relative_to(bundle._spool_dir or Path(archive))) for p in
                         (bundle._spool_dir.rglob("*") if bundle._spool_dir else ()) if p.is_file())
        assert not any(m.deferred for m in bundle.members) or memory is not None
    if memory is None:
        assert on_disk == []  # nothing written, nothing left in the archive
    got = _all_tables(archive)
    for name in want:
        assert got[name].equals(want[name]), name


def test_names_held_in_memory_conflict_as_on_disk(tmp_path, monkeypatch):
    entries = [("a", b"file a\n"), ("a/b.txt", b"under a file\n"), ("c/d.txt", b"d\n"), ("c", b"a file on a folder\n"),
               ("c/d.txt", b"again\n"), ("e.txt", b"e\n")]

    def tar_of(path: Path) -> Path:
        with tarfile.open(path, "w:gz") as tf:
            for name, data in entries:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        return path

    def listing(memory: int) -> tuple[list, list]:
        monkeypatch.setattr(spool, "MEMORY_BYTES", memory)
        with open_bundle(tar_of(tmp_path / f"t{memory}.tar.gz")) as bundle:
            return ([(m.path, m.read_bytes()) for m in bundle.members],
                    [(e.path, e.error) for e in bundle.read_errors])

    in_memory, on_disk = listing(1 << 20), listing(0)
    assert in_memory == on_disk
    assert in_memory[0] == [("a", b"file a\n"), ("c/d.txt", b"d\n"), ("e.txt", b"e\n")]
    assert [p for p, _ in in_memory[1]] == ["a/b.txt", "c", "c/d.txt"]


@pytest.fixture
def no_memory_spool(monkeypatch):
    """Members of a compressed tar are not held in memory (``ingest.spool``): big logs stay in
    the archive, the rest go to the private folder."""
    monkeypatch.setattr(spool, "MEMORY_BYTES", 0)


@pytest.mark.parametrize("fmt", ["tar.gz", "tar.zst"])
def test_big_logs_stay_in_the_archive_and_read_the_same(tmp_path, no_memory_spool, fmt):
    top = _big_log_bundle(tmp_path)
    want = _all_tables(top)
    archive = _archive(top, tmp_path / f"b.{fmt}", fmt)
    with open_bundle(archive) as bundle:
        deferred = sorted(m.path for m in bundle.members if m.deferred)
        assert deferred == ["namespaces/dynamo/logs/frontend-0/main.log",
                            "namespaces/dynamo/logs/frontend-0/main.previous.log"]
        assert list(bundle._spool_dir.rglob("*.log")) == []  # never written to disk
    got = _all_tables(archive)
    for name in want:
        assert got[name].equals(want[name]), name


def test_a_random_read_of_a_left_in_log_unpacks_them_once(tmp_path, no_memory_spool):
    top = _big_log_bundle(tmp_path)
    archive = _archive(top, tmp_path / "b.tar.zst", "tar.zst")
    with open_bundle(archive) as bundle:
        by_path = {m.path: m for m in bundle.members}
        prev = by_path["namespaces/dynamo/logs/frontend-0/main.previous.log"]
        cur = by_path["namespaces/dynamo/logs/frontend-0/main.log"]
        assert prev.head(100) == _LINE.encode()[:100]  # sniffing needs no second pass
        assert prev.read_bytes() == (top / "namespaces/dynamo/logs/frontend-0/main.previous.log").read_bytes()
        assert not prev.deferred and not cur.deferred  # one pass unpacked both
        assert cur.read_bytes() == (top / "namespaces/dynamo/logs/frontend-0/main.log").read_bytes()


def test_logs_kept_while_streaming_are_read_from_disk_afterwards(tmp_path, no_memory_spool):
    top = _big_log_bundle(tmp_path)
    archive = _archive(top, tmp_path / "b.tar.gz", "tar.gz")
    with open_bundle(archive) as bundle:
        logs = [m for m in bundle.members if m.deferred]
        for m, f in bundle.stream(logs, lambda m: m.name == "main.previous.log"):
            with f:
                assert f.read(10) == _LINE.encode()[:10]  # the reader may stop early
        prev = next(m for m in logs if m.name == "main.previous.log")
        cur = next(m for m in logs if m.name == "main.log")
        assert not prev.deferred and cur.deferred
        assert prev.read_bytes().endswith(b"CUDA out of memory.\n")


def test_an_archive_changed_after_opening_fails_only_its_left_in_logs(tmp_path, no_memory_spool):
    top = _big_log_bundle(tmp_path)
    archive = _archive(top, tmp_path / "b.tar.zst", "tar.zst")
    with open_bundle(archive) as bundle:
        parsed = parse_bundle(bundle)
        archive.write_bytes(archive.read_bytes() + b"\0" * 1024)  # replaced under us
        lines = parsed.log_lines()
        errors = parsed.read_errors().to_dicts()
    assert lines.is_empty()
    assert {e["path"] for e in errors} == {"namespaces/dynamo/logs/frontend-0/main.log",
                                           "namespaces/dynamo/logs/frontend-0/main.previous.log"}
    assert all("changed after it was opened" in e["error"] for e in errors)
    assert parsed.tables["pods"].height == 1  # the rest of the bundle is still read


def test_archive_order_does_not_change_the_analysis(tmp_path, monkeypatch):
    # every log left in the archive, stored in reverse path order: streamed in archive order,
    # the analysis must still equal the directory's
    import analyzer.ingest.archive as archive
    from analyzer.pipeline import analyze_path

    monkeypatch.setattr(archive, "_DEFER_MIN", 0)
    sample = ROOT / "sample_bundles" / "vllm-cuda-oom-crashloop"
    files = sorted((p for p in sample.rglob("*") if p.is_file()), reverse=True)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tf:
        for p in files:
            tf.add(p, arcname=f"{sample.name}/{p.relative_to(sample).as_posix()}")
    archive = tmp_path / "reversed.tar.zst"
    archive.write_bytes(zstandard.ZstdCompressor().compress(raw.getvalue()))
    results = []
    for source in (sample, archive):
        with analyze_path(str(source)) as a:
            assert a.parsed.bundle.layout == "collector"
            r = a.result
            r.pop("input")
            r["bundle"].pop("root")
            results.append(json.dumps(r, sort_keys=True, default=str))
    assert results[0] == results[1]
