"""The red-team harness: runs a case's command as a user would and checks what every case must
hold, whatever the input:

- the exit code is one the case allows, and an exit 2 is one line starting ``Error: ``;
- no Python traceback on standard error;
- the peak resident memory of the run stays under 1 GiB (measured by the worker; its address
  space is capped at 4 GiB so that a blow-up fails fast instead of taking the machine down);
- nothing is written outside the output path (the working folder and TMPDIR stay empty);
- the input is unchanged (every file's bytes, every name);
- no planted secret in any output: standard output and error, the report, every Parquet/CSV
  table, the redacted copy (its compressed attachments opened), every answer of ``serve``.

Commands run in a worker process (``redteam_worker.py``) that imported the analyzer once, so that
a case costs its own work only. A case that may take much memory runs in a fresh worker, so that
what an earlier case left allocated does not count against it.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import select
import signal
import stat
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

ROOT = Path(__file__).resolve().parents[2]
MAX_PEAK_MB = 1024
ADDRESS_SPACE = 4 << 30
TIMEOUT_S = 90

# ------------------------------------------------------------------------------ planted secrets


@dataclass(frozen=True)
class Secret:
    """A secret kind's example from the detector file: the text to plant and its secret values."""

    kind: str
    text: str
    values: tuple[str, ...]


def _load_secrets() -> tuple[Secret, ...]:
    doc = yaml.safe_load((ROOT / "analyzer/redact/detectors.yaml").read_text(encoding="utf-8"))
    out = []
    for det in doc["detectors"]:
        if not det["id"].startswith("SEC"):
            continue  # PSN*: pseudonyms on request, not secrets
        for ex in det["examples"]["match"]:
            # the longest line of each value is what must not leak (a PEM body spans lines)
            values = tuple(max(v.split("\n"), key=len).strip() for v in ex["secrets"])
            if all(len(v) >= 10 for v in values):
                out.append(Secret(det["name"], ex["text"], values))
                break
    return tuple(out)


SECRETS: tuple[Secret, ...] = _load_secrets()


def secret(i: int) -> Secret:
    """The ``i``-th secret kind, round robin (each case plants a different kind)."""
    return SECRETS[i % len(SECRETS)]


# ------------------------------------------------------------------------------ what ran (summary)

COUNTS: dict[str, set] = {"cases": set(), "classes": set(), "secret kinds": set(), "runs": set()}
PEAK: dict[str, object] = {"mb": 0, "run": ""}   # the highest peak resident memory of any run


def counted(case: str, klass: str, kinds: tuple[str, ...] = (), command: str = "", peak_mb: int = 0) -> None:
    """Record that a case ran (for the summary line of ``conftest.py``)."""
    COUNTS["cases"].add(f"{klass}/{case}")
    COUNTS["classes"].add(klass)
    COUNTS["secret kinds"].update(kinds)
    COUNTS["runs"].add(f"{klass}/{case}/{command}")
    if peak_mb > PEAK["mb"]:
        PEAK.update(mb=peak_mb, run=f"{klass}/{case}/{command}")


# ------------------------------------------------------------------------------ the worker


class Worker:
    """A ``redteam_worker.py`` process; restarted when a run times out or it dies."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def _start(self) -> None:
        req_r, req_w = os.pipe()
        ans_r, ans_w = os.pipe()

        def limits() -> None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

        env = dict(os.environ, PYTHONPATH=str(ROOT), REDTEAM_FDS=f"{req_r},{ans_w}")
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("redteam_worker.py"))],
                                     preexec_fn=limits, pass_fds=(req_r, ans_w), env=env,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        os.close(req_r)
        os.close(ans_w)
        self._req = os.fdopen(req_w, "w")
        self._ans = os.fdopen(ans_r, "r")
        ready = self._read(120)
        assert ready and ready.get("ready"), "the red-team worker did not start"

    def _read(self, timeout: float) -> dict | None:
        ready, _, _ = select.select([self._ans], [], [], timeout)
        if not ready:
            return None
        line = self._ans.readline()
        return json.loads(line) if line else None

    def stop(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self._req.close()
            self._ans.close()
            self.proc = None

    def run(self, request: dict, timeout: float) -> dict:
        """One request; {"rc", "peak_kb", "seconds"} or {"timed_out"} / {"died"}."""
        if self.proc is None:
            self._start()
        self._req.write(json.dumps(request) + "\n")
        self._req.flush()
        answer = self._read(timeout)
        if answer is None:
            timed_out = self.proc.poll() is None
            self.stop()
            return {"timed_out": True} if timed_out else {"died": True}
        return answer


_WORKER = Worker()


def stop_worker() -> None:
    _WORKER.stop()


# ------------------------------------------------------------------------------ one run


@dataclass
class Run:
    """What one command did."""

    rc: int | None
    peak_mb: int
    seconds: float
    stdout: bytes
    stderr: str
    out: Path                       # the output path given with -o (may not exist)
    place: Path                     # the case's folder: in/, out/, tmp/, work/
    timed_out: bool = False
    died: bool = False
    answers: list[dict] = field(default_factory=list)   # serve

    def report_json(self) -> dict:
        return json.loads(self.out.read_text(encoding="utf-8")) if self.out.is_file() else json.loads(self.stdout)


def snapshot(path: Path) -> dict[str, str]:
    """Every name under ``path`` (bytes, so that names that are not UTF-8 count) with its type and
    the digest of its content; folders without permission are listed as such, not entered."""
    out: dict[str, str] = {}
    root = os.fsencode(path)
    if not os.path.isdir(root):
        with open(root, "rb") as f:
            return {"": hashlib.sha256(f.read()).hexdigest()}
    stack = [root]
    while stack:
        top = stack.pop()
        try:
            entries = list(os.scandir(top))
        except PermissionError:
            out[repr(os.path.relpath(top, root))] = "unreadable"
            continue
        for e in entries:
            rel = repr(os.path.relpath(e.path, root))
            st = e.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                out[rel] = f"dir {stat.S_IMODE(st.st_mode):o}"
                stack.append(e.path)
            elif stat.S_ISREG(st.st_mode):
                try:
                    with open(e.path, "rb") as f:
                        h = hashlib.sha256()
                        for chunk in iter(lambda: f.read(1 << 20), b""):
                            h.update(chunk)
                    out[rel] = f"file {stat.S_IMODE(st.st_mode):o} {h.hexdigest()}"
                except PermissionError:
                    out[rel] = f"file {stat.S_IMODE(st.st_mode):o} unreadable"
            elif stat.S_ISLNK(st.st_mode):
                out[rel] = f"link {os.readlink(e.path)!r}"
            else:
                out[rel] = f"special {stat.S_IFMT(st.st_mode):o}"
    return out


def run_command(place: Path, input_path: Path | str, command: str, *, stdin: Path | None = None,
                fresh: bool = False, extra: tuple[str, ...] = (), timeout: float = TIMEOUT_S,
                serve_requests: list[list[str]] | None = None, clash: str | None = None,
                raw: tuple[bytes, ...] = ()) -> Run:
    """Run ``command`` (``analyze-<fmt>``, ``tables-<fmt>``, ``redact``, ``serve``,
    ``ft-summary-<fmt>``) on ``input_path`` in the case folder ``place`` (whose ``out``, ``tmp``
    and ``work`` folders it makes). ``clash``: the output path is made the wrong kind first (a
    "dir" where a file goes, a "file" where a folder goes, or "below-file": inside a file).
    ``raw``: requests that ``serve`` gets over a socket, as bytes on the wire."""
    out_dir, tmp, work = place / "out", place / "tmp", place / "work"
    for d in (out_dir, tmp, work):
        d.mkdir(exist_ok=True)
    if clash == "below-file":
        (out_dir / "a-file").write_text("not a folder\n")
        out_dir = out_dir / "a-file"
    src = str(input_path)
    name, _, fmt = command.partition("-")
    if name == "analyze":
        out = out_dir / ("report" if fmt == "parquet" else f"report.{fmt}")
        argv = ["analyze", src, "--format", fmt, "-o", str(out)]
    elif name == "tables":
        out = out_dir / "tables"
        argv = ["tables", src, "--format", fmt, "-o", str(out)]
    elif name == "redact":
        out = out_dir / "redacted"
        argv = ["redact", src, "-o", str(out)]
    elif command.startswith("ft-summary"):
        fmt = command.rsplit("-", 1)[1]
        out = out_dir / f"summary.{fmt}"
        argv = ["ft-summary", src, "--format", fmt, "-o", str(out)]
    elif name == "serve":
        out = out_dir / "answers"
        out.mkdir()
        argv = []
    else:
        raise ValueError(command)
    argv += list(extra)
    if clash == "dir":
        out.mkdir()
    elif clash == "file":
        out.write_text("not a folder\n")
    request = {"cwd": str(work), "tmpdir": str(tmp), "stdin": str(stdin) if stdin else None,
               "stdout": str(place / "stdout"), "stderr": str(place / "stderr")}
    if name == "serve":
        request.update(op="serve", source=src, requests=serve_requests or [], out_dir=str(out),
                       raw=[r.decode("latin-1") for r in raw])
    else:
        request["argv"] = argv
    if fresh:
        _WORKER.stop()
    answer = _WORKER.run(request, timeout)
    if fresh:
        _WORKER.stop()   # what the big case left allocated must not count against the next
    run = Run(rc=answer.get("rc"), peak_mb=answer.get("peak_kb", 0) // 1024, seconds=answer.get("seconds", timeout),
              stdout=(place / "stdout").read_bytes() if (place / "stdout").exists() else b"",
              stderr=(place / "stderr").read_text("utf-8", "replace") if (place / "stderr").exists() else "",
              out=out, place=place, timed_out=bool(answer.get("timed_out")), died=bool(answer.get("died")))
    if name == "serve" and (out / "answers.json").exists():
        run.answers = json.loads((out / "answers.json").read_text())["answers"]
    return run


# ------------------------------------------------------------------------------ outputs, opened


def _opened(name: str, data: bytes, depth: int = 0) -> list[tuple[str, bytes]]:
    """``data`` and, for a compressed file or archive, what it holds (opened again inside)."""
    out = [(name, data)]
    if depth > 3:
        return out
    inner: list[tuple[str, bytes]] = []
    try:
        if data[:2] == b"\x1f\x8b":
            inner = [(name + "!gz", gzip.decompress(data))]
        elif data[:3] == b"BZh":
            inner = [(name + "!bz2", bz2.decompress(data))]
        elif data[:6] == b"\xfd7zXZ\x00":
            inner = [(name + "!xz", lzma.decompress(data))]
        elif data[:4] == b"\x28\xb5\x2f\xfd":
            import zstandard

            inner = [(name + "!zst", zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read())]
        elif data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                inner = [(f"{name}!{i.filename}", zf.read(i)) for i in zf.infolist() if not i.is_dir()]
        elif len(data) > 512 and data[257:262] == b"ustar":
            with tarfile.open(fileobj=io.BytesIO(data)) as tf:
                inner = [(f"{name}!{m.name}", tf.extractfile(m).read()) for m in tf.getmembers() if m.isfile()]
    except Exception:  # noqa: BLE001 - what cannot be opened is scanned as it is
        inner = []
    for n, d in inner:
        out.extend(_opened(n, d, depth + 1))
    return out


def _parquet_text(data: bytes) -> bytes:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    return "\n".join(str(v) for col in table.columns for v in col.to_pylist()).encode("utf-8", "surrogatepass")


def output_texts(run: Run) -> list[tuple[str, bytes]]:
    """Every byte the run put out, decoded where it is a container: (where, bytes)."""
    texts = [("stdout", run.stdout), ("stderr", run.stderr.encode("utf-8", "replace"))]
    paths = [run.out] if run.out.is_file() else sorted(p for p in run.out.rglob("*") if p.is_file()) \
        if run.out.is_dir() else []
    # the redacted copy's private mapping (OUTPUT.mapping.private.json, next to it) holds the
    # secrets by design: it is not under run.out and not scanned
    for p in paths:
        data = p.read_bytes()
        if p.suffix == ".parquet":
            texts.append((str(p), _parquet_text(data)))
            continue
        texts.extend(_opened(str(p), data))
        # names carry text too (a token in a folder name)
        texts.append((f"name of {p}", os.fsencode(p.relative_to(run.out.parent))))
    return texts


def leaked(run: Run, planted: tuple[Secret, ...]) -> list[str]:
    """Planted secret values found in any output (where, kind)."""
    found = []
    for where, data in output_texts(run):
        for s in planted:
            for v in s.values:
                if v.encode() in data:
                    found.append(f"{s.kind} in {where}")
    return found


def check_run(run: Run, before: dict[str, str], input_path: Path, exits: tuple[int, ...],
              planted: tuple[Secret, ...], expect_out: bool = True) -> None:
    """The assertions every case makes (see the module docstring)."""
    assert not run.timed_out, f"still running after {TIMEOUT_S} s"
    assert not run.died, "the run killed its process (memory or a crash)"
    assert "Traceback (most recent call last)" not in run.stderr, run.stderr[-3000:]
    assert run.rc in exits, f"exit {run.rc} (allowed {exits}): {run.stderr[-800:]}"
    assert run.peak_mb < MAX_PEAK_MB, f"peak resident memory {run.peak_mb} MiB"
    if run.rc == 2:
        message = run.stderr.strip()
        assert message.startswith("Error: ") and "\n" not in message, message
    work, tmp = run.place / "work", run.place / "tmp"
    assert list(work.iterdir()) == [], f"written in the working folder: {list(work.iterdir())}"
    assert list(tmp.iterdir()) == [], f"temporary files left behind: {list(tmp.iterdir())}"
    others = [p.name for p in (run.place / "out").iterdir() if p != run.out
              and p.name not in (f"{run.out.name}.mapping.private.json", f"{run.out.name}.redaction-report.json",
                                 "a-file")]
    assert others == [], f"written next to the output: {others}"
    assert snapshot(input_path) == before, "the input was modified"
    leaks = leaked(run, planted)
    assert not leaks, f"planted secrets in the output: {leaks}"
    if run.rc == 0 and expect_out:
        assert run.out.exists() or run.stdout, "exit 0 without output"


def make_place(tmp_path: Path) -> tuple[Path, Path]:
    """(the case folder, its ``in`` folder for the input)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    return tmp_path, inputs


Builder = Callable[[Path], object]
