"""Hostile inputs, built at test time in a temporary folder (nothing huge is committed).

Each case writes its input under ``root`` and returns a `Case`: the input path, what the run
must show in "could not read" (a substring of some read error, or None), and the exit codes
allowed (0: finished, problem listed; 2: one-line message). ``escapes`` are paths a naive
extractor would write to; none may exist after the run.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import json
import lzma
import os
import stat
import struct
import tarfile
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from testkit.corrupt import deep_tree, patch_zip_member

MANIFEST = json.dumps({"collector": "collect-bundle.sh", "collector_version": "0.1.0",
                       "collected_at": "2026-11-20T09:14:00Z", "namespaces": ["llm"], "commands": []}).encode()
LOG = (b"2026-11-20T09:12:34.150039Z OSError: You are trying to access a gated repo.\n"
       b"2026-11-20T09:12:34.16Z 401 Client Error. (Request ID: Root=1-691ed3f5-4c7e1b6d8a3f5e0c9b2a7d4f)\n")
LOG_PATH = "namespaces/llm/logs/llama-8b-0/vllm.log"


@dataclass
class Case:
    name: str
    input: Path
    read_error: str | None = None          # substring expected in "could not read" when exit is 0
    exits: tuple[int, ...] = (0,)
    escapes: list[Path] = field(default_factory=list)


def _tar_bytes(entries: list[tuple[tarfile.TarInfo, bytes | None]], gz: bool = True) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w", format=tarfile.GNU_FORMAT) as tf:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.mode, info.size = 0o644, len(data)
    return info, data


def _base_entries(top: str = "gpu-bundle-x") -> list[tuple[tarfile.TarInfo, bytes | None]]:
    return [_file(f"{top}/manifest.json", MANIFEST), _file(f"{top}/{LOG_PATH}", LOG)]


def tar_dotdot(root: Path) -> Case:
    tag = uuid.uuid4().hex[:8]
    entries = _base_entries() + [_file(f"gpu-bundle-x/../../escape-{tag}.txt", b"pwned\n"),
                                 _file(f"../../../../../../tmp/escape-{tag}-b.txt", b"pwned\n")]
    path = root / "dotdot.tar.gz"
    path.write_bytes(_tar_bytes(entries))
    return Case("tar-dotdot", path, "unsafe member path",
                escapes=[root.parent / f"escape-{tag}.txt", root / f"escape-{tag}.txt",
                         Path(f"/tmp/escape-{tag}-b.txt")])


def tar_absolute(root: Path) -> Case:
    tag = uuid.uuid4().hex[:8]
    target = Path(f"/tmp/hostile-abs-{tag}.txt")
    entries = _base_entries() + [_file(str(target), b"pwned\n")]
    path = root / "absolute.tar"
    path.write_bytes(_tar_bytes(entries, gz=False))
    return Case("tar-absolute", path, "unsafe member path", escapes=[target])


def tar_links(root: Path) -> Case:
    sym = tarfile.TarInfo("gpu-bundle-x/namespaces/llm/pods.json")
    sym.type, sym.linkname = tarfile.SYMTYPE, "/etc/passwd"
    sym2 = tarfile.TarInfo("gpu-bundle-x/namespaces/llm/logs/llama-8b-0/prev.log")
    sym2.type, sym2.linkname = tarfile.SYMTYPE, "../../../../../../../../etc/shadow"
    hard = tarfile.TarInfo("gpu-bundle-x/cluster/nodes.json")
    hard.type, hard.linkname = tarfile.LNKTYPE, "/etc/passwd"
    # a link to a directory outside, then a file "through" it
    dirlink = tarfile.TarInfo("gpu-bundle-x/out")
    dirlink.type, dirlink.linkname = tarfile.SYMTYPE, str(root.parent)
    tag = uuid.uuid4().hex[:8]
    entries = _base_entries() + [(sym, None), (sym2, None), (hard, None), (dirlink, None),
                                 _file(f"gpu-bundle-x/out/escape-{tag}.txt", b"pwned\n")]
    path = root / "links.tar.gz"
    path.write_bytes(_tar_bytes(entries))
    return Case("tar-symlinks-hardlinks", path, "link member refused", escapes=[root.parent / f"escape-{tag}.txt"])


def tar_devices(root: Path) -> Case:
    entries = _base_entries()
    for name, kind in (("dev/zero", tarfile.CHRTYPE), ("dev/sda", tarfile.BLKTYPE), ("fifo", tarfile.FIFOTYPE)):
        info = tarfile.TarInfo(f"gpu-bundle-x/{name}")
        info.type = kind
        if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
            info.devmajor, info.devminor = (1, 5) if kind == tarfile.CHRTYPE else (8, 0)
        entries.append((info, None))
    path = root / "devices.tar.gz"
    path.write_bytes(_tar_bytes(entries))
    return Case("tar-devices", path, "device, fifo or special member refused")


def zip_unsafe(root: Path) -> Case:
    tag = uuid.uuid4().hex[:8]
    path = root / "unsafe.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("gpu-bundle-x/manifest.json", MANIFEST)
        zf.writestr(f"gpu-bundle-x/{LOG_PATH}", LOG)
        zf.writestr(f"../../escape-{tag}.txt", b"pwned\n")
        zf.writestr(f"/tmp/hostile-zip-abs-{tag}.txt", b"pwned\n")
        link = zipfile.ZipInfo("gpu-bundle-x/namespaces/llm/pods.json")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    return Case("zip-dotdot-absolute-symlink", path, "unsafe member path",
                escapes=[root.parent / f"escape-{tag}.txt", Path(f"/tmp/hostile-zip-abs-{tag}.txt")])


def dir_links(root: Path) -> Case:
    b = root / "bundle"
    (b / "namespaces/llm/logs/llama-8b-0").mkdir(parents=True)
    (b / "manifest.json").write_bytes(MANIFEST)
    (b / LOG_PATH).write_bytes(LOG)
    (b / "cluster").mkdir()
    os.symlink("/etc/passwd", b / "cluster/nodes.json")
    os.symlink("/etc", b / "namespaces/etc-dir")
    os.link(b / LOG_PATH, b / "namespaces/llm/logs/llama-8b-0/hardlinked.log")
    os.mkfifo(b / "namespaces/llm/pods.json")  # opening a fifo would block forever
    return Case("dir-symlink-fifo", b, "symbolic link refused")


def _zeros_gzip(path: Path, size: int, tar_name: str | None) -> None:
    """Write ``size`` zero bytes (inside a tar when ``tar_name``) gzip-compressed, streaming."""
    # level 9: zeros shrink about 1000:1, far beyond any real bundle's ratio
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz:
        if tar_name:
            for info, data in _base_entries():
                gz.write(info.tobuf(format=tarfile.GNU_FORMAT) + data + b"\0" * (-len(data) % 512))
            info = tarfile.TarInfo(tar_name)
            info.size = size
            gz.write(info.tobuf(format=tarfile.GNU_FORMAT))
        chunk = b"\0" * (8 << 20)
        left = size
        while left:
            n = min(left, len(chunk))
            gz.write(chunk[:n])
            left -= n
        if tar_name:
            gz.write(b"\0" * 1024)


def bomb_tar_gz(root: Path) -> Case:
    path = root / "bomb.tar.gz"
    _zeros_gzip(path, 2 << 30, f"gpu-bundle-x/{LOG_PATH}.huge")
    return Case("compression-bomb-tar-gz", path, "limit", exits=(0, 2))


def bomb_zip(root: Path) -> Case:
    path = root / "bomb.zip"
    chunk = b"\0" * (8 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("gpu-bundle-x/manifest.json", MANIFEST)
        with zf.open(f"gpu-bundle-x/{LOG_PATH}", "w", force_zip64=True) as w:
            for _ in range((2 << 30) // len(chunk)):  # 2 GiB of zeros in about 2 MiB
                w.write(chunk)
    # 2 GiB from 9 MiB is past the ratio limit: refused before a byte is inflated
    return Case("compression-bomb-zip", path, "ratio", exits=(0, 2))


def bomb_zip_text(root: Path) -> Case:
    """256 MiB of log lines in a 1 MiB zip member: text, so it is not skipped as binary."""
    path = root / "bomb-text.zip"
    line = b"2026-11-20T09:12:34.150039Z INFO engine step ok " + b"A" * 30 + b"\n"
    chunk = line * ((8 << 20) // len(line))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("gpu-bundle-x/manifest.json", MANIFEST)
        with zf.open(f"gpu-bundle-x/{LOG_PATH}", "w", force_zip64=True) as w:
            for _ in range((256 << 20) // len(chunk)):
                w.write(chunk)
    return Case("compression-bomb-zip-text", path, "ratio", exits=(0, 2))


def million_members(root: Path) -> Case:
    """A tar of 1,000,000 empty members (headers written by hand: tarfile would take minutes)."""
    path = root / "million.tar.gz"
    template = tarfile.TarInfo("gpu-bundle-x/m/0000000")
    template.mode, template.mtime = 0o644, 0
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
        for info, data in _base_entries():
            gz.write(info.tobuf(format=tarfile.GNU_FORMAT) + data + b"\0" * (-len(data) % 512))
        base = bytearray(template.tobuf(format=tarfile.GNU_FORMAT))
        base[148:156] = b" " * 8
        name_at = base.index(b"0000000")
        # the checksum is the byte sum with its own field as spaces: only the 7 digits change
        fixed = sum(base) - sum(base[name_at:name_at + 7])
        head, mid, tail = bytes(base[:name_at]), bytes(base[name_at + 7:148]), bytes(base[156:])
        batch: list[bytes] = []
        for i in range(1_000_000):
            digits = b"%07d" % i
            batch.append(head + digits + mid + b"%06o\0 " % (fixed + sum(digits)) + tail)
            if len(batch) == 8192:
                gz.write(b"".join(batch))
                batch.clear()
        gz.write(b"".join(batch) + b"\0" * 1024)
    return Case("million-empty-members", path, "archive entries", exits=(0, 2))


def long_line(root: Path) -> Case:
    b = root / "bundle"
    (b / "namespaces/llm/logs/llama-8b-0").mkdir(parents=True)
    (b / "manifest.json").write_bytes(MANIFEST)
    with open(b / LOG_PATH, "wb") as f:
        f.write(LOG)
        chunk = b"A" * (8 << 20)
        for _ in range(25):  # 200 MiB, no newline
            f.write(chunk)
    return Case("200MB-single-line", b, None)


def bad_bytes(root: Path) -> Case:
    b = root / "bundle"
    (b / "namespaces/llm/logs/llama-8b-0").mkdir(parents=True)
    (b / "manifest.json").write_bytes(MANIFEST)
    (b / LOG_PATH).write_bytes(LOG + b"bad \xff\xfe\xc3\x28 utf-8\nNUL \x00\x00 in the middle\n\xed\xa0\x80 surrogate\n"
                               + b"\x1b[31mERROR\x1b[0m colour\r\n" + LOG)
    (b / "namespaces/llm/events.json").write_bytes(b'{"items": [{"message": "\xff\xfe", "\x00": 1}]}')
    return Case("invalid-utf8-and-nul", b, None)


def truncated_gzip(root: Path) -> Case:
    data = _tar_bytes(_base_entries() + [_file("gpu-bundle-x/namespaces/llm/logs/p/big.log", os.urandom(200_000))])
    path = root / "truncated.tar.gz"
    path.write_bytes(data[: len(data) * 6 // 10])
    return Case("truncated-gzip", path, "truncated", exits=(0, 2))


def truncated_zip(root: Path) -> Case:
    path = root / "full.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("gpu-bundle-x/manifest.json", MANIFEST)
        zf.writestr(f"gpu-bundle-x/{LOG_PATH}", LOG * 2000)
    data = path.read_bytes()
    path.unlink()
    cut = root / "truncated.zip"
    cut.write_bytes(data[: len(data) * 6 // 10])
    return Case("truncated-zip", cut, None, exits=(0, 2))


def yaml_bomb(root: Path) -> Case:
    b = root / "bundle"
    b.mkdir()
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: laughs\ndata:\n" + \
        "\n".join("  " + ln for ln in lines) + "\n"
    (b / "laughs.yaml").write_text(doc)
    (b / "pod.log").write_bytes(LOG)
    return Case("yaml-billion-laughs", b, None)


def deep_json(root: Path) -> Case:
    b = root / "bundle"
    (b / "namespaces/llm").mkdir(parents=True)
    (b / "cluster").mkdir()
    (b / "manifest.json").write_bytes(MANIFEST)
    depth = 200_000
    (b / "namespaces/llm/pods.json").write_text('{"items": ' + "[" * depth + "]" * depth + "}")
    (b / "cluster/nodes.json").write_text('{"a":' * depth + "1" + "}" * depth)
    (b / "namespaces/llm/events.json").write_text("[" * depth)
    return Case("deeply-nested-json", b, "", exits=(0,))


def empty_tar(root: Path) -> Case:
    path = root / "empty.tar"
    path.write_bytes(_tar_bytes([], gz=False))
    return Case("empty-tar", path, None, exits=(0, 2))


def empty_tar_gz(root: Path) -> Case:
    path = root / "empty.tar.gz"
    path.write_bytes(_tar_bytes([]))
    return Case("empty-tar-gz", path, None, exits=(0, 2))


def empty_zip(root: Path) -> Case:
    path = root / "empty.zip"
    zipfile.ZipFile(path, "w").close()
    return Case("empty-zip", path, None, exits=(0, 2))


def empty_file(root: Path) -> Case:
    path = root / "empty.log"
    path.write_bytes(b"")
    return Case("empty-file", path, None, exits=(0, 2))


def empty_dir(root: Path) -> Case:
    path = root / "empty"
    path.mkdir()
    return Case("empty-dir", path, None, exits=(0, 2))


def not_a_bundle(root: Path) -> Case:
    d = root / "project"
    (d / "src").mkdir(parents=True)
    (d / "src/main.c").write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    (d / "README.md").write_text("# a project\n\nNot a support bundle.\n")
    (d / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4096))
    (d / "data.bin").write_bytes(os.urandom(65536))
    return Case("not-a-bundle", d, None, exits=(0, 2))


# ------------------------------------------------ one read path for every byte (issue 16 item 1)

def _corrupt_gzip(before: bytes = b"") -> bytes:
    """A gzip member whose deflate stream turns invalid after ``before`` (a reserved block type)."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = (c.compress(before) + c.flush(zlib.Z_FULL_FLUSH)) if before else b""
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + body + b"\x07" + b"\x00" * 32


def _collector_dir(root: Path) -> Path:
    b = root / "bundle"
    (b / "namespaces/llm/logs/llama-8b-0").mkdir(parents=True)
    (b / "manifest.json").write_bytes(MANIFEST)
    (b / LOG_PATH).write_bytes(LOG)
    return b


def gz_corrupt_first_block_dir(root: Path) -> Case:
    b = _collector_dir(root)
    (b / "namespaces/llm/logs/llama-8b-0/sidecar.log.gz").write_bytes(_corrupt_gzip())
    return Case("gz-corrupt-first-block-in-dir", b, "corrupt compressed data")


def gz_corrupt_mid_stream_tar(root: Path) -> Case:
    entries = _base_entries() + [_file("gpu-bundle-x/namespaces/llm/logs/llama-8b-0/old.log.gz",
                                       _corrupt_gzip(LOG * 5000))]
    path = root / "mid.tar.gz"
    path.write_bytes(_tar_bytes(entries))
    return Case("gz-corrupt-mid-stream-in-tar-gz", path, "corrupt compressed data")


def must_gather_corrupt_gz_xz(root: Path) -> Case:
    """A must-gather published as .tar.xz whose compressed pod log is corrupt."""
    top = "must-gather.local.1/quay-io-x"
    pods = b"apiVersion: v1\nkind: List\nitems: []\n"
    entries = [_file(f"{top}/namespaces/llm/core/pods.yaml", pods),
               _file(f"{top}/namespaces/llm/pods/vllm-0/vllm/vllm/logs/current.log.gz", _corrupt_gzip(LOG * 100)),
               _file(f"{top}/namespaces/llm/pods/vllm-0/vllm/vllm/logs/previous.log", LOG)]
    path = root / "must-gather.tar.xz"
    path.write_bytes(lzma.compress(_tar_bytes(entries, gz=False)))
    return Case("must-gather-tar-xz-corrupt-log-gz", path, "corrupt compressed data")


_zip_member_patch = patch_zip_member


def _zip_with_bad_member(root: Path, name: str, compress_type: int = zipfile.ZIP_DEFLATED, **patch) -> Path:
    buf = io.BytesIO()
    bad = f"gpu-bundle-x/namespaces/llm/logs/llama-8b-0/{name}.log"
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("gpu-bundle-x/manifest.json", MANIFEST)
        zf.writestr(f"gpu-bundle-x/{LOG_PATH}", LOG, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr(bad, LOG * 2000, compress_type=compress_type)
    path = root / f"{name}.zip"
    path.write_bytes(_zip_member_patch(buf.getvalue(), bad, **patch))
    return path


def zip_encrypted_member(root: Path) -> Case:
    return Case("zip-encrypted-member", _zip_with_bad_member(root, "encrypted", flags=0x1), "encrypted")


def zip_unknown_method(root: Path) -> Case:
    # 99 is WinZip AES: zipfile raises NotImplementedError
    return Case("zip-unsupported-method", _zip_with_bad_member(root, "aes", method=99),
                "unsupported compression method")


def zip_corrupt_deflate(root: Path) -> Case:
    return Case("zip-corrupt-deflate", _zip_with_bad_member(root, "deflate", data_patch=b"\x07" * 16), "corrupt")


def zip_corrupt_lzma(root: Path) -> Case:
    return Case("zip-corrupt-lzma", _zip_with_bad_member(root, "lzma", zipfile.ZIP_LZMA,
                                                         data_patch=b"\x09\x04\x05\x00" + b"\xff" * 64), "corrupt")


def zip_overlapping_entries(root: Path) -> Case:
    """Many central directory entries pointing at one compressed member (the overlapping-entries
    zip bomb): each would inflate the same 64 MiB again."""
    buf = io.BytesIO()
    big = b"2026-11-20T09:12:34.150039Z INFO " + b"A" * 990 + b"\n"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("gpu-bundle-x/manifest.json", MANIFEST)
        zf.writestr(f"gpu-bundle-x/{LOG_PATH}", big * ((64 << 20) // len(big)))
    data = bytearray(buf.getvalue())
    eocd = data.rfind(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack_from("<HII", data, eocd + 10)
    record = bytes(data[cd_offset + cd_size - (46 + len(f"gpu-bundle-x/{LOG_PATH}")):cd_offset + cd_size])
    extra = b"".join(record[:46 + len("gpu-bundle-x/namespaces/llm/logs/llama-8b-0/")]
                     + f"c{i:04d}.log"[-len("vllm.log"):].encode() for i in range(400))
    new = data[:cd_offset + cd_size] + extra + data[cd_offset + cd_size:]
    eocd = new.rfind(b"PK\x05\x06")
    struct.pack_into("<HHI", new, eocd + 8, count + 400, count + 400, cd_size + len(extra))
    path = root / "overlap.zip"
    path.write_bytes(bytes(new))
    return Case("zip-overlapping-entries", path, "shares its compressed data")


def gz_members_bomb_dir(root: Path) -> Case:
    """24 gzip members of 64 MiB each (1.5 GiB) in a directory bundle of 1.5 MiB: text (long lines,
    cut at the line limit) so that every member is read, not skipped as binary."""
    b = _collector_dir(root)
    line = b"2026-11-20T09:12:34.150039Z INFO " + b"A" * (4 << 20) + b"\n"
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    member = c.compress(line * ((64 << 20) // len(line))) + c.flush()
    for i in range(24):
        (b / f"namespaces/llm/logs/llama-8b-0/rotated-{i:02d}.log.gz").write_bytes(member)
    return Case("gz-members-bomb-in-dir", b, "decompressed data passed")


def non_utf8_names_dir(root: Path) -> Case:
    b = _collector_dir(root)
    d = os.fsencode(b / "namespaces/llm/logs/llama-8b-0")
    for name in (b"caf\xe9.log", b"\xff\xfe-\x80.log", b"ok-\xed\xa0\x80.log"):
        with open(os.path.join(d, name), "wb") as f:
            f.write(LOG)
    os.mkdir(os.path.join(os.fsencode(b / "namespaces"), b"ns-\xff"))
    return Case("non-utf8-names-in-dir", b, None)


def non_utf8_names_tar(root: Path) -> Case:
    entries = _base_entries()
    for raw in (b"caf\xe9.log", b"\xff\xfe-\x80.log"):
        info = tarfile.TarInfo("gpu-bundle-x/namespaces/llm/logs/llama-8b-0/"
                               + raw.decode("utf-8", "surrogateescape"))
        info.size = len(LOG)
        entries.append((info, LOG))
    path = root / "names.tar.gz"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tf:
        for info, data in entries:
            tf.addfile(info, io.BytesIO(data))
    path.write_bytes(buf.getvalue())
    return Case("non-utf8-names-in-tar", path, None)


def utf16_log(root: Path) -> Case:
    b = _collector_dir(root)
    (b / "namespaces/llm/logs/llama-8b-0/win.log").write_bytes(codecs.BOM_UTF16_LE + LOG.decode().encode("utf-16-le"))
    (b / "namespaces/llm/logs/llama-8b-0/win32.log").write_bytes(codecs.BOM_UTF32_BE + LOG.decode().encode("utf-32-be"))
    return Case("utf16-utf32-logs", b, None)


def member_name_too_long(root: Path) -> Case:
    entries = _base_entries() + [_file("gpu-bundle-x/" + "x" * 300 + ".log", LOG),
                                 _file("gpu-bundle-x/" + "d/" * 2100 + "deep.log", LOG),
                                 _file("gpu-bundle-x/namespaces/llm/logs/llama-8b-0/after.log", LOG)]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tf:
        for info, data in entries:
            tf.addfile(info, io.BytesIO(data))
    path = root / "long-names.tar.gz"
    path.write_bytes(buf.getvalue())
    return Case("member-name-too-long-or-deep", path, "cannot be extracted")


def deep_dir(root: Path) -> Case:
    b = _collector_dir(root)
    deep_tree(b / "namespaces", 1100, "deep.log", LOG)
    return Case("dir-1100-levels-deep", b, None)


def unreadable_folder(root: Path) -> Case:
    b = _collector_dir(root)
    locked = b / "namespaces/locked"
    locked.mkdir()
    (locked / "x.log").write_bytes(LOG)
    locked.chmod(0)
    # root reads a mode-000 folder: then nothing is unreadable (tests/ingest covers the error)
    return Case("unreadable-folder", b, None if os.geteuid() == 0 else "cannot read folder")


def escape_sequences(root: Path) -> Case:
    """OSC 52 (clipboard), OSC 0 (title) and CSI in log lines and in a file name."""
    b = _collector_dir(root)
    evil = b"\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]0;owned\x07\x1b[2J\x1b[31m"
    (b / LOG_PATH).write_bytes(LOG + b"2026-11-20T09:12:35Z ERROR " + evil + b" boom\n")
    with open(os.path.join(os.fsencode(b / "namespaces/llm/logs/llama-8b-0"), b"x\x1b]0;t\x07.log"), "wb") as f:
        f.write(LOG)
    return Case("terminal-escape-sequences", b, None)


def truncated_tar_xz(root: Path) -> Case:
    data = lzma.compress(_tar_bytes(_base_entries() + [_file("gpu-bundle-x/namespaces/llm/logs/p/big.log",
                                                             LOG * 20000)], gz=False))
    path = root / "truncated.tar.xz"
    path.write_bytes(data[: len(data) * 2 // 3])
    return Case("truncated-tar-xz", path, "truncated", exits=(0,))


def truncated_tar_bz2(root: Path) -> Case:
    data = bz2.compress(_tar_bytes(_base_entries() + [_file("gpu-bundle-x/namespaces/llm/logs/p/big.log",
                                                            os.urandom(300_000))], gz=False), compresslevel=1)
    path = root / "truncated.tar.bz2"
    path.write_bytes(data[: len(data) * 2 // 3])
    return Case("truncated-tar-bz2", path, "truncated", exits=(0,))


def seven_zip(root: Path) -> Case:
    path = root / "bundle.tar.gz"  # the name lies; the bytes say 7z
    path.write_bytes(b"7z\xbc\xaf\x27\x1c\x00\x04" + os.urandom(2048))
    return Case("7z-named-tar-gz", path, None, exits=(2,))


CASES: tuple[Callable[[Path], Case], ...] = (
    tar_dotdot, tar_absolute, tar_links, tar_devices, zip_unsafe, dir_links, bomb_tar_gz, bomb_zip, bomb_zip_text,
    million_members, long_line, bad_bytes, truncated_gzip, truncated_zip, yaml_bomb, deep_json,
    empty_tar, empty_tar_gz, empty_zip, empty_file, empty_dir, not_a_bundle,
    gz_corrupt_first_block_dir, gz_corrupt_mid_stream_tar, must_gather_corrupt_gz_xz, zip_encrypted_member,
    zip_unknown_method, zip_corrupt_deflate, zip_corrupt_lzma, zip_overlapping_entries, gz_members_bomb_dir,
    non_utf8_names_dir, non_utf8_names_tar, utf16_log, member_name_too_long, deep_dir, unreadable_folder,
    escape_sequences, truncated_tar_xz, truncated_tar_bz2, seven_zip,
)

# what the suite ran, for the terminal summary (conftest.py)
RUN_COUNTS: dict[str, int] = {"hostile cases": 0, "property examples": 0}
