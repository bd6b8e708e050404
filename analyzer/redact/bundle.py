"""`redact_bundle`: a redacted copy of a bundle, its private mapping file and a redaction report.

The copy has the same relative paths as the input (a directory, or a `.tar.gz`/`.tgz`/`.tar`
when OUTPUT ends so; a single pasted file or stdin gives a single file), so the analyzer reads
it unchanged and evidence lines keep their numbers:
replacements never add or remove a line. The input is never modified and nothing is written
outside OUTPUT except two files next to it:

- ``<OUTPUT>.mapping.private.json`` (mode 0600): pseudonym -> original value, to be kept by
  whoever redacted the bundle and never attached to a ticket;
- ``<OUTPUT>.redaction-report.json``: counts per detector and every file:line replaced.

File and folder names are redacted too (a file named after a token gets the token's pseudonym,
the one the mapping file lists), and so are the paths the report names. Compressed attachments
are redacted inside and packed again, or left out with the reason (see `members`).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, Iterable

from analyzer.redact.detectors import by_id
from analyzer.redact.members import Content, Unreadable, Withheld
from analyzer.redact.redactor import Redactor, parse_pseudonymize

_TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar")


class RedactError(Exception):
    """`redact` cannot run (bad OUTPUT, unreadable INPUT); the message is one line."""


@dataclass
class RedactionReport:
    """What `redact_bundle` did: counts per detector and every replaced file:line."""

    input: str
    output: str
    mapping_path: str
    report_path: str
    pseudonymize: list[str]
    files_written: int = 0
    files_changed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    locations: list[dict[str, Any]] = field(default_factory=list)
    withheld: list[dict[str, str]] = field(default_factory=list)
    not_read: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to ``report_path`` (no secret in it, only pseudonyms' labels)."""
        dets = by_id()
        return {
            "input": self.input, "output": self.output, "mapping": self.mapping_path,
            "pseudonymize": self.pseudonymize,
            "files_written": self.files_written, "files_changed": self.files_changed,
            "total": sum(self.counts.values()),
            "detectors": [{"id": d, "name": dets[d].name, "label": dets[d].label,
                           "count": n} for d, n in sorted(self.counts.items())],
            "locations": self.locations, "withheld": self.withheld, "not_read": self.not_read,
        }

    def format_text(self, max_locations: int = 200) -> str:
        """A plain-text summary for the terminal: per detector, then file:line, then problems."""
        dets = by_id()
        total = sum(self.counts.values())
        lines = [f"redacted {self.input} -> {self.output}: {total} replacement(s) in "
                 f"{self.files_changed} of {self.files_written} file(s)"]
        for det_id, n in sorted(self.counts.items()):
            lines.append(f"  {det_id}  {dets[det_id].name:<24} {dets[det_id].label:<22} {n}")
        if self.locations:
            lines.append("where:")
            for loc in self.locations[:max_locations]:
                lines.append(f"  {loc['path']}:{loc['line']}  {loc['detector']} x{loc['count']}")
            if len(self.locations) > max_locations:
                lines.append(f"  ... {len(self.locations) - max_locations} more in {self.report_path}")
        for w in self.withheld:
            lines.append(f"withheld {w['path']}: {w['reason']}")
        for e in self.not_read:
            lines.append(f"not copied {e['path']}: {e['error']}")
        lines.append(f"mapping (private, do not share): {self.mapping_path}")
        lines.append(f"report: {self.report_path}")
        return "\n".join(lines)


def redact_bundle(input: str | os.PathLike[str], output: str | os.PathLike[str],
                  pseudonymize: Iterable[str] | str = frozenset()) -> RedactionReport:
    """Write a redacted copy of the bundle ``input`` to ``output``; see the module docstring.

    Raises `RedactError` (one line) when OUTPUT exists or lies inside INPUT, or when INPUT
    cannot be opened at all. Members that cannot be read are listed in the report, not copied.
    """
    from analyzer.ingest import BundleError, ReadFailed, open_bundle

    try:
        options = parse_pseudonymize(pseudonymize)
    except ValueError as exc:
        raise RedactError(str(exc)) from None
    out = Path(os.path.abspath(os.fspath(output)))
    _check_output(input, out)
    mapping_path = out.with_name(out.name + ".mapping.private.json")
    report_path = out.with_name(out.name + ".redaction-report.json")
    try:
        bundle = open_bundle(input)
    except BundleError as exc:
        raise RedactError(str(exc)) from None
    report = RedactionReport(input=str(input), output=str(output), mapping_path=str(mapping_path),
                             report_path=str(report_path), pseudonymize=sorted(options))
    with bundle:
        hosts = _node_hosts(bundle) if "hosts" in options else ()
        red = Redactor(options, hosts=hosts)
        if out.name.endswith(_TAR_SUFFIXES):
            sink: _DirSink | _TarSink | _FileSink = _TarSink(out)
        elif bundle.layout == "file":
            sink = _FileSink(out)  # a pasted file (or stdin) gives a file
        else:
            sink = _DirSink(out)
        spool_dir = None
        try:
            # scratch space for attachments being unpacked, next to OUTPUT, removed at the end
            spool_dir = tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".spool", dir=out.parent)
            content = Content(bundle.limits, spool_dir)
            for member in bundle.members:
                # the copy, the report and the counts name the file by its redacted path
                shown = red.path(member.path)
                path = _safe_relpath(shown)
                if path is None:
                    report.not_read.append({"path": shown, "error": "unsafe path, not copied"})
                    continue
                content.notes.clear()
                try:
                    data, changed = _redact_member(member, red, content, path)
                except ReadFailed as exc:
                    report.not_read.append({"path": shown, "error": _quiet(red, str(exc))})
                    continue
                except Withheld as exc:
                    report.withheld.append({"path": shown, "reason": str(exc)})
                    continue
                except Unreadable as exc:
                    report.withheld.append({"path": shown, "reason": "compressed attachment cannot be "
                                            f"read ({_quiet(red, str(exc))}); left out, not copied"})
                    continue
                # files inside an attachment that were left out of its copy
                report.withheld.extend(content.notes)
                try:
                    added = sink.add(path, data)
                finally:
                    data.close()
                if not added:
                    report.not_read.append({"path": shown,
                                            "error": "conflicts with another member's path, not copied"})
                    continue
                report.files_written += 1
                report.files_changed += changed or shown != member.path
            sink.commit()
        except BaseException:
            sink.abort()
            raise
        finally:
            if spool_dir is not None:
                shutil.rmtree(spool_dir, ignore_errors=True)
        report.not_read.extend({"path": red.path(e.path, count=False), "error": _quiet(red, e.error)}
                               for e in bundle.read_errors)
    per_det: Counter[str] = Counter()
    for (det_id, path, line), n in sorted(red.counts.items(), key=lambda kv: (kv[0][1] or "", kv[0][2] or 0, kv[0][0])):
        per_det[det_id] += n
        report.locations.append({"path": path, "line": line, "detector": det_id, "count": n})
    report.counts = dict(per_det)
    _write_private(mapping_path, {
        "warning": "PRIVATE: maps pseudonyms back to the secrets they replace. Keep it; never "
                   "attach it to a ticket or share it with the redacted bundle.",
        "input": str(input), "output": str(output),
        "pseudonyms": dict(sorted(red.mapping.items(), key=lambda kv: _pseudonym_key(kv[0]))),
    })
    report_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return report


def _pseudonym_key(p: str) -> tuple[str, int]:
    label, _, n = p.strip("<>").rpartition("-")
    return label, int(n) if n.isdigit() else 0


def _check_output(input: str | os.PathLike[str], out: Path) -> None:
    if out.exists() or out.is_symlink():
        if not (out.is_dir() and not out.is_symlink() and not any(out.iterdir())):
            raise RedactError(f"{out} already exists: choose a new OUTPUT path (redact never overwrites)")
    if str(input) != "-":
        src = Path(os.path.abspath(os.fspath(input)))
        real_out = Path(os.path.realpath(out.parent)) / out.name
        real_src = Path(os.path.realpath(src))
        if real_out == real_src or (real_src.is_dir() and real_src in real_out.parents):
            raise RedactError(f"{out} is inside the input {src}: write OUTPUT elsewhere "
                              "(the input is never modified)")
    if not out.parent.is_dir():
        raise RedactError(f"{out.parent}: no such directory for OUTPUT")


def _safe_relpath(path: str) -> str | None:
    """The member path when it is a clean relative path (ingest checks too; defence in depth)."""
    p = PurePosixPath(path)
    if p.is_absolute() or not p.parts or any(part in ("..", ".", "") for part in p.parts):
        return None
    return p.as_posix()


def _redact_member(member: Any, red: Redactor, content: Content, shown: str) -> tuple[IO[bytes], bool]:
    """(redacted content, whether anything was replaced); raises Withheld, Unreadable or ReadFailed.

    A compressed member is given to ``content`` as stored: it decompresses it under its own
    limits, redacts it and compresses it again in its own format (or withholds it when it cannot
    be read). Any other member is read as ingest reads it (UTF-16/32 with a BOM decoded, so that
    the detectors see its text)."""
    from analyzer.ingest.streams import ReadFailed, describe_error

    if member.compression():
        try:
            raw = member.opener()
        except (ReadFailed, Unreadable, Withheld):
            raise
        except Exception as exc:  # noqa: BLE001 - zipfile raises RuntimeError, NotImplementedError...
            raise ReadFailed(f"cannot open: {describe_error(exc)}") from None
        with raw as f:
            return content.redact(f, shown, red, "sniff")
    with member.open() as f:
        return content.redact(f, shown, red, "binary" if member.kind == "binary" else "text")


def _quiet(red: Redactor, message: str) -> str:
    """A message for the report with any secret in it (a file name) replaced, not counted."""
    return red.path(message, count=False)


def _node_hosts(bundle: Any) -> list[str]:
    """Node names and DNS addresses from the bundle's Node objects (for `--pseudonymize hosts`)."""
    from analyzer.ingest import ReadFailed

    names: set[str] = set()
    for m in bundle.members:
        if m.kind != "objects" or "node" not in m.path.lower() or not m.path.endswith(".json"):
            continue
        try:
            doc = json.loads(m.read_bytes(limit=256 << 20))
        except (ReadFailed, ValueError):
            continue
        items = doc.get("items", [doc]) if isinstance(doc, dict) else []
        for item in items:
            if not isinstance(item, dict) or item.get("kind", "Node") != "Node":
                continue
            name = (item.get("metadata") or {}).get("name")
            if isinstance(name, str):
                names.add(name)
            for addr in (item.get("status") or {}).get("addresses") or []:
                if isinstance(addr, dict) and addr.get("type") in ("Hostname", "InternalDNS", "ExternalDNS"):
                    if isinstance(addr.get("address"), str):
                        names.add(addr["address"])
    return sorted(names)


def _write_private(path: Path, doc: dict[str, Any]) -> None:
    """Write JSON readable by the owner only (0600 from creation, not chmod-ed afterwards)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class _DirSink:
    """Writes into a private staging folder next to OUTPUT, renamed into place on success."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))

    def add(self, rel: str, data: IO[bytes]) -> bool:
        target = self.stage.joinpath(*rel.split("/"))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(target, flags, 0o644)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            return False
        with os.fdopen(fd, "wb") as f:
            shutil.copyfileobj(data, f, 1 << 20)
        return True

    def commit(self) -> None:
        os.chmod(self.stage, 0o755)
        if self.out.is_dir():
            self.out.rmdir()  # an empty folder given as OUTPUT (checked before)
        os.rename(self.stage, self.out)

    def abort(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)


class _FileSink:
    """One pasted file in, one file out (staged next to OUTPUT, renamed on success)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
        self.written = False

    def add(self, rel: str, data: IO[bytes]) -> bool:
        if self.written:
            return False
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as f:
            shutil.copyfileobj(data, f, 1 << 20)
        self.written = True
        return True

    def commit(self) -> None:
        if self.out.is_dir():
            self.out.rmdir()  # an empty folder given as OUTPUT (checked before)
        if self.written:
            os.replace(self.tmp, self.out)

    def abort(self) -> None:
        self.tmp.unlink(missing_ok=True)


class _TarSink:
    """Writes a deterministic tar (gzip when OUTPUT ends in .gz/.tgz) with one top folder."""

    def __init__(self, out: Path) -> None:
        self.out = out
        name = out.name
        for suffix in _TAR_SUFFIXES:
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        self.top = name or "bundle-redacted"
        self.tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
        raw = open(self.tmp, "xb")
        self._raw = raw
        self._gz = (gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
                    if out.name.endswith((".gz", ".tgz")) else None)
        self.tar = tarfile.open(fileobj=self._gz or raw, mode="w", format=tarfile.PAX_FORMAT)
        self.names: set[str] = set()
        self.dirs: set[str] = set()

    def add(self, rel: str, data: IO[bytes]) -> bool:
        name = f"{self.top}/{rel}"
        parents = {"/".join(name.split("/")[:i]) for i in range(1, name.count("/") + 1)}
        if name in self.names or name in self.dirs or parents & self.names:
            return False
        self.names.add(name)
        self.dirs |= parents
        info = tarfile.TarInfo(name)
        data.seek(0, io.SEEK_END)
        info.size, info.mode, info.mtime = data.tell(), 0o644, 0
        data.seek(0)
        self.tar.addfile(info, data)
        return True

    def commit(self) -> None:
        self.tar.close()
        if self._gz is not None:
            self._gz.close()
        self._raw.close()
        os.replace(self.tmp, self.out)

    def abort(self) -> None:
        for f in (self.tar, self._gz, self._raw):
            try:
                if f is not None:
                    f.close()
            except (OSError, ValueError):
                pass
        self.tmp.unlink(missing_ok=True)
