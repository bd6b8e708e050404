"""Names and encodings: names that are not UTF-8 kept (as \\xNN) everywhere, UTF-16/32 logs read,
a member that cannot be extracted or a folder that cannot be listed fails alone, deep trees."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import polars as pl
import pytest

from analyzer.ingest import open_bundle
from analyzer.parse import parse_bundle
from analyzer.pipeline import analyze_path, write_report, write_tables

OOM = ("2026-11-20T09:59:12.000000001Z torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.76 GiB. "
       "GPU 0 has a total capacity of 79.19 GiB of which 1.05 GiB is free.\n")
INFO = "2026-11-20T09:59:11.000000001Z INFO engine started\n"
BAD_NAME = b"caf\xe9-\xff.log"          # Latin-1 and a byte no encoding has: not UTF-8
SHOWN = "caf\\xe9-\\xff.log"


def _errors(parsed) -> dict[str, str]:
    return {r["path"]: r["error"] for r in parsed.read_errors().to_dicts()}


def _tar(entries: list[tuple[str | bytes, bytes]], path: Path, gz: bool = False) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tf:
        for name, data in entries:
            if isinstance(name, bytes):
                name = name.decode("utf-8", "surrogateescape")
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tf.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(buf.getvalue()) if gz else buf.getvalue())
    return path


@pytest.fixture
def bad_name_dir(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    (root / "logs").mkdir(parents=True)
    (root / "plain.log").write_text(INFO)
    with open(os.path.join(os.fsencode(root / "logs"), BAD_NAME), "wb") as f:
        f.write(OOM.encode())
    return root


@pytest.mark.parametrize("form", ["dir", "tar", "tar.gz"])
def test_names_that_are_not_utf8_are_kept_in_tables_and_reports(tmp_path, bad_name_dir, form):
    source: Path = bad_name_dir
    if form != "dir":
        source = _tar([(b"b/logs/" + BAD_NAME, OOM.encode()), ("b/plain.log", INFO.encode())],
                      tmp_path / f"b.{form}", gz=form == "tar.gz")
    before = sorted(os.listdir(os.fsencode(bad_name_dir / "logs")))
    with open_bundle(source) as bundle:
        assert sorted(m.path for m in bundle.members) == [f"logs/{SHOWN}", "plain.log"]
    for fmt in ("parquet", "csv"):
        out = tmp_path / f"tables-{form}-{fmt}"
        write_tables(str(source), out, fmt)
        files = pl.read_parquet(out / "files.parquet") if fmt == "parquet" else pl.read_csv(out / "files.csv")
        assert f"logs/{SHOWN}" in files.get_column("path").to_list()
    with analyze_path(str(source)) as analysis:
        report = json.loads(write_report(analysis, "json", None))
        md = write_report(analysis, "md", None)
        html = write_report(analysis, "html", None)
    assert report["root_causes"][0]["category"] == "runtime.cuda_oom"
    assert report["root_causes"][0]["evidence"][0]["path"] == f"logs/{SHOWN}"
    assert "caf" in md and "caf" in html
    assert sorted(os.listdir(os.fsencode(bad_name_dir / "logs"))) == before  # the input unchanged


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_logs_with_a_bom_are_read(tmp_path, encoding):
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
           "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}[encoding]
    path = tmp_path / "vllm.log"
    path.write_bytes(bom + (INFO + OOM).encode(encoding))
    with open_bundle(path) as bundle:
        assert bundle.members[0].kind == "text"           # not sniffed as binary
        lines = parse_bundle(bundle).log_lines().get_column("text").to_list()
    assert lines == [INFO.rstrip("\n"), OOM.rstrip("\n")]
    with analyze_path(str(path)) as analysis:
        assert analysis.result["root_causes"][0]["category"] == "runtime.cuda_oom"


@pytest.mark.parametrize("gz", [False, True], ids=["tar", "tar.gz"])
def test_a_member_too_long_or_too_deep_to_extract_fails_alone(tmp_path, gz):
    long_name = "b/logs/" + "x" * 300 + ".log"               # one component over NAME_MAX
    deep_name = "b/" + "d/" * 2100 + "deep.log"               # the whole path over PATH_MAX
    path = _tar([("b/logs/first.log", INFO.encode()), (long_name, OOM.encode()), (deep_name, OOM.encode()),
                 ("b/logs/last.log", OOM.encode())], tmp_path / ("b.tar.gz" if gz else "b.tar"), gz=gz)
    with open_bundle(path) as bundle:
        parsed = parse_bundle(bundle)
        lines = parsed.log_lines()
        errors = _errors(parsed)
    read = set(lines.get_column("path").to_list())
    assert {"logs/first.log", "logs/last.log"} <= read
    if gz:  # unpacked to disk: these two cannot be written there, and only they fail
        assert set(errors) == {long_name[2:], deep_name[2:]}, errors
        assert all("cannot be extracted" in e for e in errors.values())
    else:  # read in place: nothing to extract, every member read
        assert errors == {} and len(read) == 4


def test_a_tree_1100_levels_deep_is_read(tmp_path):
    root = tmp_path / "deep"
    root.mkdir()
    fd = os.open(root, os.O_RDONLY)
    try:  # one level at a time, relative to the last (pathlib and os.makedirs recurse per level)
        for _ in range(1100):
            os.mkdir("d", dir_fd=fd)
            fd, old = os.open("d", os.O_RDONLY, dir_fd=fd), fd
            os.close(old)
        with open(os.open("bottom.log", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            f.write(OOM)
    finally:
        os.close(fd)
    (root / "top.log").write_text(INFO)
    try:
        with open_bundle(root) as bundle:
            parsed = parse_bundle(bundle)
            paths = set(parsed.log_lines().get_column("path").to_list())
            assert _errors(parsed) == {}
        assert "top.log" in paths and "d/" * 1100 + "bottom.log" in paths
    finally:
        _remove_tree(root)


def _remove_tree(root: Path) -> None:
    """Remove a tree too deep for shutil.rmtree (it recurses once per level)."""
    stack = [str(root)]
    while stack:
        subdirs = []
        with os.scandir(stack[-1]) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry.path)
                else:
                    os.unlink(entry.path)
        if subdirs:
            stack.extend(subdirs)
        else:
            os.rmdir(stack.pop())


def test_a_folder_that_cannot_be_listed_is_a_read_error(tmp_path, monkeypatch):
    root = tmp_path / "b"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "x.log").write_text(OOM)
    (root / "open.log").write_text(INFO)
    real = os.scandir

    def scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with open_bundle(root) as bundle:
        assert [m.path for m in bundle.members] == ["open.log"]
        assert [(e.path, e.error) for e in bundle.read_errors] == [("locked/", "cannot read folder: Permission denied")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 folder; the monkeypatched test above "
                                              "covers the code path")
def test_a_chmod_000_folder_is_a_read_error(tmp_path):
    root = tmp_path / "b"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "x.log").write_text(OOM)
    (root / "open.log").write_text(INFO)
    (root / "locked").chmod(0)
    try:
        with open_bundle(root) as bundle:
            assert [m.path for m in bundle.members] == ["open.log"]
            assert [e.path for e in bundle.read_errors] == ["locked/"]
    finally:
        (root / "locked").chmod(0o755)
