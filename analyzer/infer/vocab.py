"""Infer a failure's category from the words of one error line.

``infer_category(text) -> (category, confidence, words) | None`` is a pure function: anything that
holds an error line no pattern knows (the fallback of the diagnosis, the last lines of a
crash-looping container) can ask it.

The vocabulary is derived from the pattern library, not written by hand: each pattern is a
document of its category made of its title, name, hint literals and example lines (templated,
so that names and numbers do not count), and each taxonomy id is a document of its own category
("runtime.model_file_missing": model, file, missing). A term (a word, or two adjacent words)
weighs for a category by the share of that category's documents that hold it, times how few
categories use it (inverse document frequency over categories). On top of the library come the
shapes the library cannot teach: upstream exception types (Hugging Face Hub, PyTorch, requests,
urllib3, httpx, the Python built-ins, vLLM) and Go/OS error strings (``net``, ``syscall``).

The confidence is the top category's lead over the runner-up, damped when the evidence is thin;
below ``MIN_CONFIDENCE`` nothing is inferred and the caller files the line as
``unclassified.error``.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from analyzer.infer.template import template, templates
from analyzer.taxonomy import CATEGORIES

MIN_CONFIDENCE = 0.15
MIN_SCORE = 2.0       # below this total weight a line says too little to name a category
SATURATION = 8.0      # score at which the evidence counts as ~63% strong
SHAPE_WEIGHT = 5.0    # an exception type or error string of weight 1 counts like ~3 telling words
MAX_WORDS = 5

# Exception types as upstream names them, and what each says about the failure.
# Sources: huggingface_hub/errors.py (utils/_errors.py before 0.23, utils/_validators.py),
# torch (torch.OutOfMemoryError, torch.cuda.OutOfMemoryError, torch.distributed DistBackendError),
# requests.exceptions, urllib3.exceptions, httpx, aiohttp, socket, the Python built-ins,
# vllm.v1.engine.exceptions, pydantic.
EXCEPTIONS: dict[str, tuple[str, float]] = {
    "GatedRepoError": ("access.model_auth", 3.0),
    "LocalTokenNotFoundError": ("access.model_auth", 2.0),
    "RepositoryNotFoundError": ("access.model_not_found", 3.0),
    "RevisionNotFoundError": ("access.model_not_found", 3.0),
    "EntryNotFoundError": ("runtime.model_file_missing", 2.0),
    "RemoteEntryNotFoundError": ("runtime.model_file_missing", 2.0),
    # a local model path the hub client then validated as a repo id (transformers and vLLM fall
    # back to the Hub when the directory does not exist)
    "HFValidationError": ("runtime.model_file_missing", 2.5),
    "LocalEntryNotFoundError": ("network.connection", 1.5),
    "OfflineModeIsEnabled": ("network.connection", 1.5),
    "OutOfMemoryError": ("runtime.cuda_oom", 3.0),
    "DistBackendError": ("runtime.nccl", 2.5),
    "NCCLError": ("runtime.nccl", 2.5),
    "EngineDeadError": ("runtime.engine_dead", 3.0),
    "EngineGenerateError": ("runtime.engine_dead", 2.0),
    "ConnectionError": ("network.connection", 1.5),
    "ConnectionRefusedError": ("network.connection", 2.0),
    "ConnectionResetError": ("network.connection", 2.0),
    "ConnectionAbortedError": ("network.connection", 1.5),
    "ConnectTimeout": ("network.connection", 2.0),
    "ConnectTimeoutError": ("network.connection", 2.0),
    "ConnectError": ("network.connection", 1.5),
    "ClientConnectorError": ("network.connection", 2.0),
    "ServerDisconnectedError": ("network.connection", 1.5),
    "RemoteDisconnected": ("network.connection", 1.5),
    "NewConnectionError": ("network.connection", 2.0),
    "MaxRetryError": ("network.connection", 1.5),
    "ReadTimeout": ("network.connection", 1.5),
    "ReadTimeoutError": ("network.connection", 1.5),
    "ProxyError": ("network.connection", 1.5),
    "SSLError": ("network.connection", 1.5),
    "NameResolutionError": ("network.dns", 3.0),
    "gaierror": ("network.dns", 2.5),
    "ModuleNotFoundError": ("image.backend_missing", 1.5),
    "ImportError": ("image.backend_missing", 1.0),
    "MemoryError": ("runtime.oom_killed", 1.0),
    "FileNotFoundError": ("runtime.model_file_missing", 0.6),
    "ValidationError": ("runtime.config_error", 0.8),
}

# Error strings of Go's net and os packages and of the kernel (errno texts), as Go programs,
# Python's socket layer and shells print them; and the HTTP status wording of Python's requests
# (``raise_for_status``: "<code> Client Error: <reason> for url: <url>", "<code> Server Error").
PHRASES: tuple[tuple[str, str, float], ...] = (
    (r"connection refused", "network.connection", 1.5),
    (r"connection reset by peer", "network.connection", 1.5),
    (r"i/o timeout", "network.connection", 1.5),
    (r"context deadline exceeded", "network.connection", 1.0),
    (r"no route to host", "network.connection", 1.5),
    (r"network is unreachable", "network.connection", 1.5),
    (r"tls handshake timeout", "network.connection", 1.5),
    (r"x509: certificate", "network.connection", 1.0),
    (r"max retries exceeded", "network.connection", 1.0),
    (r"\b5\d\d server error\b", "network.connection", 1.5),
    (r"\b40[13] client error\b", "access.model_auth", 1.5),
    (r"\b404 client error\b", "access.model_not_found", 1.0),
    (r"no such host", "network.dns", 2.0),
    (r"temporary failure in name resolution", "network.dns", 2.0),
    (r"name or service not known", "network.dns", 2.0),
    (r"already in use", "runtime.config_error", 1.5),
    (r"missing port in address", "runtime.config_error", 2.0),
    (r"unrecognized arguments", "runtime.config_error", 2.0),
    (r"invalid choice", "runtime.config_error", 1.0),
    (r"no space left on device", "storage.disk_full", 2.5),
    (r"disk quota exceeded", "storage.disk_full", 2.0),
    (r"read-only file system", "storage.mount_failed", 1.5),
    (r"is forbidden", "cluster.rbac_forbidden", 1.5),
    (r"cannot allocate memory", "runtime.oom_killed", 1.5),
    (r"executable file not found", "image.backend_missing", 1.5),
    (r"cannot open shared object file", "image.backend_missing", 2.0),
)
_PHRASES = tuple((re.compile(rx), c, w) for rx, c, w in PHRASES)

_STOP = frozenset("""
a an and are as at be been but by can did do does for from has have if in into is it its may might
must no not of on or our should so such than that the their then there these this those to was were
when where which while will with would you your we they i all any one two some more please see use
used using via per also only just get got set new now over own same after before during since
because due still yet again already being having here how what who why
error errors err failed fail fails failure failing unable cannot could couldn found find line lines
log logs info warn warning debug trace message msg level time ts
""".split())  # noqa: SIM905 - a word list reads best as words

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_EXC = re.compile(r"(?<![\w])(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*(?:Error|Exception|Timeout|Disconnected|"
                  r"Enabled|gaierror))\b")
# the module path of a qualified exception says where it was raised, not what failed
_MODULE = re.compile(r"\b(?:[a-z_][a-z0-9_]*\.)+(?=_?[A-Z]\w*(?:Error|Exception)\b)")
# Python's generic exception types say that something failed, not what
_GENERIC_EXC = re.compile(r"\b(?:Runtime|Value|Type|Key|OS|IO|Assertion|Attribute|Index|Lookup|NotImplemented|"
                          r"System|Base)?(?:Error|Exception|Exit)\b")
# a source file and line ("core.py:700", "main.go:57") says where, not what
_SOURCE_FILE = re.compile(r"[\w.-]+\.(?:py|go|cc|cpp|rs|c|h|java|js|ts)(?::\d+|:<n>)?\b")
_JINJA = re.compile(r"\{[{%#].*?[}%#]\}", re.DOTALL)
_PLACEHOLDER = re.compile(r"<(?:n|q|time|uuid|url|ip|hex|digest|path|pod)>")


def terms(text: str) -> list[str]:
    """The words (lower case; CamelCase names split) and the pairs of adjacent words of a
    templated line; stop words count neither as words nor as neighbours.

    >>> terms("torch.OutOfMemoryError: CUDA out of memory")
    ['out', 'memory', 'cuda', 'out', 'memory', 'cuda out']
    """
    text = _GENERIC_EXC.sub(" ", _SOURCE_FILE.sub(" ", _MODULE.sub("", _PLACEHOLDER.sub(" ", text))))
    seq: list[str | None] = []
    for raw in _WORD.findall(text):
        parts = _CAMEL.findall(raw) if len(raw) > 4 and not raw.islower() and not raw.isupper() else [raw]
        for w in parts:
            w = w.lower()
            seq.append(w if len(w) >= 2 and not w.isdigit() and w not in _STOP else None)
    words = [w for w in seq if w]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(seq) if a and b]


@dataclass
class Vocabulary:
    """Which categories' documents hold each term (see the module docstring).

    A term weighs for a category by its lift: how much more often the category's documents
    hold it than all documents do, ``log(1 + P(term | category) / P(term))``, so that words
    every category uses ("pod", "container") count for little and a category's own words count
    for much. Weights are worked out at query time from the counts, so that a document can be
    left out of them (``scores(..., leave_out=...)``: how well the vocabulary names a line that
    no pattern of its category taught it).
    """

    holds: dict[str, dict[str, int]] = field(default_factory=dict)   # term -> category -> documents
    docs_of: dict[str, int] = field(default_factory=dict)             # category -> documents
    total: int = 0

    @classmethod
    def build(cls, documents: Iterable[tuple[str, str]]) -> Vocabulary:
        """From ``(category, text)`` documents: one per pattern (and one per taxonomy id)."""
        holds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        docs_of: dict[str, int] = defaultdict(int)
        total = 0
        for category, text in documents:
            docs_of[category] += 1
            total += 1
            for t in set(terms(text)):
                holds[t][category] += 1
        return cls({t: dict(per) for t, per in holds.items()}, dict(docs_of), total)

    def weights(self, term: str, leave_out: tuple[str, frozenset[str]] | None = None) -> dict[str, float]:
        """Category -> weight of ``term`` (``leave_out``: a document's category and terms, not counted)."""
        per = self.holds.get(term)
        if not per:
            return {}
        total, gone_c = self.total, None
        if leave_out is not None:
            total -= 1
            if term in leave_out[1]:
                gone_c = leave_out[0]
        df = sum(per.values()) - (1 if gone_c else 0)
        if df <= 0 or total <= 0:
            return {}
        out = {}
        for c, n in per.items():
            docs = self.docs_of[c] - (1 if leave_out is not None and c == leave_out[0] else 0)
            n -= 1 if c == gone_c else 0
            if n > 0:
                out[c] = math.log(1 + (n / (docs + 1)) / (df / total))
        return out

    def scores(self, text: str, templated: str | None = None,
               leave_out: tuple[str, frozenset[str]] | None = None
               ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
        """Score per category and, per category, what each term or shape added (``templated``:
        the line's template when the caller has it already)."""
        total: dict[str, float] = defaultdict(float)
        why: dict[str, dict[str, float]] = defaultdict(dict)
        for t in dict.fromkeys(terms(templated if templated is not None else template(text))):
            for c, w in self.weights(t, leave_out).items():
                total[c] += w
                why[c][t] = why[c].get(t, 0.0) + w
        for name in dict.fromkeys(m.group(1) for m in _EXC.finditer(text)):
            hit = EXCEPTIONS.get(name)
            if hit:
                total[hit[0]] += hit[1] * SHAPE_WEIGHT
                why[hit[0]][name] = why[hit[0]].get(name, 0.0) + hit[1] * SHAPE_WEIGHT
        low = text.lower()
        for rx, c, w in _PHRASES:
            m = rx.search(low)
            if m:
                total[c] += w * SHAPE_WEIGHT
                why[c][m.group(0)] = why[c].get(m.group(0), 0.0) + w * SHAPE_WEIGHT
        return dict(total), dict(why)

    def infer(self, text: str, templated: str | None = None,
              leave_out: tuple[str, frozenset[str]] | None = None) -> tuple[str, float, list[str]] | None:
        """``(category, confidence, words)`` for one error line, or None when no category is clear."""
        total, why = self.scores(text, templated, leave_out)
        if not total:
            return None
        ranked = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
        best, s1 = ranked[0]
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        confidence = round((s1 - s2) / s1 * (1 - math.exp(-s1 / SATURATION)), 2)
        if s1 < MIN_SCORE or confidence < MIN_CONFIDENCE:
            return None
        contrib = sorted(why[best].items(), key=lambda kv: (-kv[1], kv[0]))
        words: list[str] = []
        for t, _ in contrib:
            # a pair already says what its words say
            if not any(set(t.split(" ")) & set(w.split(" ")) for w in words):
                words.append(t)
            if len(words) == MAX_WORDS:
                break
        return best, confidence, words


def closest_pattern(library, category: str, text: str):
    """The pattern of ``category`` whose title, name and hints share the most words with an
    error line (the known failure it most resembles), or None when none shares a word."""
    words = {t for t in terms(template(text)) if " " not in t}
    best, best_n = None, 0
    for p in library:
        if p.category != category:
            continue
        n = len(words & {t for t in terms(" ".join([p.title, p.name.replace("-", " "), *p.hint])) if " " not in t})
        if n > best_n:
            best, best_n = p, n
    return best


def library_documents(library, exclude: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """The vocabulary's documents: one per pattern of ``library`` (ids in ``exclude`` left out:
    its title, name, hints, example lines templated, and the prose of its summary and root
    cause without template code), then one per taxonomy id."""
    patterns = [p for p in library if p.id not in exclude]
    examples = [[e["line"] if isinstance(e, dict) else str(e) for e in p.examples_match] for p in patterns]
    flat = templates([e for group in examples for e in group])
    docs, i = [], 0
    for p, group in zip(patterns, examples):
        shown = flat[i:i + len(group)]
        i += len(group)
        prose = _JINJA.sub(" ", f"{p.summary} {p.root_cause}")
        docs.append((p.category, " ".join([p.title, p.name.replace("-", " "), *p.hint, *shown, prose])))
    for c in sorted(CATEGORIES):
        if c != "unclassified.error":
            docs.append((c, c.replace(".", " ").replace("_", " ")))
    return docs


_BUILT: dict[str, Vocabulary] = {}


def vocabulary(library=None) -> Vocabulary:
    """The vocabulary of ``library`` (default: the built-in pattern library), built once per
    library content."""
    library = library if library is not None else _builtin()
    key = library.fingerprint()
    vocab = _BUILT.get(key)
    if vocab is None:
        if len(_BUILT) >= 8:
            _BUILT.clear()
        vocab = _BUILT[key] = _remembered(library_documents(library))
    return vocab


def _counts(value: object) -> bool:
    """Whether ``value`` is a mapping of names to counts, as the vocabulary keeps them."""
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(n, int) and not isinstance(n, bool) for k, n in value.items())


def _remembered(documents: list[tuple[str, str]]) -> Vocabulary:
    """``Vocabulary.build(documents)``, remembered on disk (as JSON) per documents and per the
    code that splits them into terms: building it costs more than reading it back, and every
    ``analyze`` needs it."""
    import hashlib
    import json
    from pathlib import Path

    from analyzer.diskcache import remembered

    try:
        code = Path(__file__).read_bytes()
    except OSError:
        return Vocabulary.build(documents)
    key = hashlib.sha256(code + json.dumps(documents).encode()).hexdigest()[:24]

    def decode(stored: Any) -> Vocabulary | None:
        holds, docs_of, total = stored
        # a file of another shape (cut short, written by hand) is built again, not trusted
        if _counts(docs_of) and isinstance(total, int) and isinstance(holds, dict) and all(
                isinstance(t, str) and _counts(per) for t, per in holds.items()):
            return Vocabulary(holds, docs_of, total)
        return None

    return remembered("vocabulary", key, lambda: Vocabulary.build(documents),
                      encode=lambda v: [v.holds, v.docs_of, v.total], decode=decode)


@functools.lru_cache(maxsize=1)
def _builtin():
    from analyzer.library import load_library

    return load_library()


def infer_category(text: str, library=None) -> tuple[str, float, list[str]] | None:
    """The category an unexplained error line points to, how sure (0..1) and the words that
    drove it; None when no category is clear (file it as ``unclassified.error``).

    >>> infer_category("huggingface_hub.errors.GatedRepoError: 401 Client Error.")[0]
    'access.model_auth'
    >>> infer_category("frobnicator quux went sideways") is None
    True
    """
    return vocabulary(library).infer(text)
