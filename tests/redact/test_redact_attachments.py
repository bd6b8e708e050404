"""Compressed attachments that cannot be read whole are left out with a note, never copied raw;
readable ones are rewritten deterministically; tables and batches redact every column."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
import zipfile
from pathlib import Path

import polars as pl
import pytest

from analyzer.redact import Redactor, redact_bundle
from analyzer.redact import members as members_mod

HF = "hf_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL"
LINE = f"+ huggingface-cli login --token {HF}\n".encode()


def _zip(data: bytes, name: str = "worker.log") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def _patch_zip(raw: bytes, local_off: int, central_off: int, value: bytes) -> bytes:
    """Set a field of the (single) entry's local and central headers, as a hostile zip would."""
    b = bytearray(raw)
    b[local_off:local_off + len(value)] = value
    central = raw.index(b"PK\x01\x02")
    b[central + central_off:central + central_off + len(value)] = value
    return bytes(b)


def _tar(entries: list[tarfile.TarInfo], data: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for info in entries:
            body = data.get(info.name)
            if body is not None:
                info.size = len(body)
            tf.addfile(info, io.BytesIO(body) if body is not None else None)
    return buf.getvalue()


def _nested_gz(data: bytes, levels: int) -> bytes:
    for _ in range(levels):
        data = gzip.compress(data, mtime=0)
    return data


UNREADABLE = {
    "truncated.log.bz2": bz2.compress(LINE * 200)[:-40],
    "corrupt.xz": lzma.compress(LINE)[:20] + b"\x00" * 40 + lzma.compress(LINE)[60:],
    # general purpose flag bit 0: encrypted (zipfile cannot write one; the header is what counts)
    "encrypted.zip": _patch_zip(_zip(LINE), 6, 8, b"\x01\x00"),
    # compression method 97 (WavPack): not supported
    "method.zip": _patch_zip(_zip(LINE), 8, 10, b"\x61\x00"),
    "deep.dat": _nested_gz(LINE, members_mod.MAX_DEPTH + 2),
}


@pytest.fixture()
def bundle(tmp_path: Path) -> Path:
    b = tmp_path / "in"
    (b / "attachments").mkdir(parents=True)
    (b / "manifest.json").write_text(json.dumps({"collector": "collect-bundle.sh", "commands": []}))
    for name, data in UNREADABLE.items():
        (b / "attachments" / name).write_bytes(data)
    link = tarfile.TarInfo("support/passwd")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    ok = tarfile.TarInfo("support/worker.log")
    (b / "attachments" / "with-link.tar.gz").write_bytes(gzip.compress(_tar([link, ok], {ok.name: LINE}), mtime=0))
    (b / "attachments" / "fine.tar.bz2").write_bytes(bz2.compress(_tar([tarfile.TarInfo("a/worker.log")],
                                                                      {"a/worker.log": LINE})))
    return b


def test_unreadable_attachments_are_left_out_with_a_note(bundle: Path, tmp_path: Path):
    before = {p: p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    report = redact_bundle(bundle, tmp_path / "out")
    out = tmp_path / "out"
    reasons = {w["path"]: w["reason"] for w in report.withheld}
    for name in UNREADABLE:
        assert not (out / "attachments" / name).exists(), name
        assert "compressed attachment cannot be read" in reasons[f"attachments/{name}"], name
    assert "encrypted" in reasons["attachments/encrypted.zip"]
    assert "nested more than" in reasons["attachments/deep.dat"]
    # the readable part of a tar with a link is copied, the link is not, and that is said
    assert "link or device" in reasons["attachments/with-link.tar.gz/support/passwd"]
    with tarfile.open(out / "attachments" / "with-link.tar.gz") as tf:
        assert [m.name for m in tf.getmembers()] == ["support/worker.log"]
        assert tf.extractfile("support/worker.log").read() == b"+ huggingface-cli login --token <HF_TOKEN-1>\n"
    blob = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert HF.encode() not in blob
    assert {p: p.read_bytes() for p in bundle.rglob("*") if p.is_file()} == before
    text = (tmp_path / "out.redaction-report.json").read_text()
    assert HF not in text


def test_a_bomb_inside_an_attachment_stops_at_the_ratio(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(members_mod, "RATIO_FREE_BYTES", 1 << 20)
    b = tmp_path / "in"
    b.mkdir()
    (b / "zeros.bin.xz").write_bytes(lzma.compress(b"\0" * (8 << 20)))
    report = redact_bundle(b, tmp_path / "out")
    assert not (tmp_path / "out" / "zeros.bin.xz").exists()
    assert "decompression bomb" in report.withheld[0]["reason"]


def test_rewritten_attachments_are_deterministic_and_keep_their_format(bundle: Path, tmp_path: Path):
    redact_bundle(bundle, tmp_path / "one")
    redact_bundle(bundle, tmp_path / "two")
    for name in ("with-link.tar.gz", "fine.tar.bz2"):
        first = (tmp_path / "one" / "attachments" / name).read_bytes()
        assert first == (tmp_path / "two" / "attachments" / name).read_bytes()
    data = bz2.decompress((tmp_path / "one" / "attachments" / "fine.tar.bz2").read_bytes())
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        assert tf.extractfile("a/worker.log").read() == b"+ huggingface-cli login --token <HF_TOKEN-1>\n"


def test_a_zip_entry_named_after_a_token_is_renamed(tmp_path: Path):
    b = tmp_path / "in"
    b.mkdir()
    (b / "logs.zip").write_bytes(_zip(b"no secret here\n", name=f"{HF}/debug.log"))
    redact_bundle(b, tmp_path / "out")
    with zipfile.ZipFile(tmp_path / "out" / "logs.zip") as zf:
        assert zf.namelist() == ["<HF_TOKEN-1>/debug.log"]
    mapping = json.loads((tmp_path / "out.mapping.private.json").read_text())["pseudonyms"]
    assert mapping == {"<HF_TOKEN-1>": HF}


def test_batches_keep_a_multiline_secret_whole_and_redact_every_column():
    pem = ["-----BEGIN RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEAvQd1w9XkqJr0Zl3jP1u1Q2s0dGhpcyBpcyBub3QgYSByZWFs",
           "IGtleSwganVzdCBhIHRlc3QgZml4dHVyZSBmb3IgdGhlIHJlZGFjdG9y", "-----END RSA PRIVATE KEY-----"]
    lines = [f"INFO {i} ok" for i in range(300)] + pem + [f"INFO {i} ok" for i in range(300)]
    path = f"namespaces/llm/logs/{HF}/c.log"
    df = pl.DataFrame({"path": [path] * len(lines), "line": list(range(1, len(lines) + 1)),
                       "pod": [HF] * len(lines), "text": lines})
    # cut in the middle of the key: the key's rows travel to the next batch
    batches = [df.slice(0, 302), df.slice(302)]
    out = pl.concat(list(Redactor().frames(batches)))
    assert out.height == df.height
    assert out["text"].to_list()[300:304] == [pem[0], "<PRIVATE_KEY-1>", "", pem[3]]
    assert set(out["pod"].to_list()) == {"<HF_TOKEN-1>"}
    assert set(out["path"].to_list()) == {"namespaces/llm/logs/<HF_TOKEN-1>/c.log"}
