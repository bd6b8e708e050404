"""The pattern library: load, validate, lint and run the examples of `patterns/*.yaml`.

A pattern is one self-describing YAML entry (docs/ARCHITECTURE.md, "Pattern format")::

    - id: K8S012
      name: image-pull-unauthorized
      title: Image pull rejected by the registry (authentication)
      category: image.pull_auth
      severity: critical
      sources: [events, describe, log]
      hint: ["unauthorized", "401"]
      regex: 'Failed to pull image "(?P<image>[^"]+)".*(?:401 Unauthorized|unauthorized: ...)'
      summary: 'Registry refused to serve {{ image }}'
      ...
      examples:
        match: [{line: '...', captures: {image: '...'}}]
        no_match: ['...']

``claims`` (optional) says what a matching line asserts about the cluster's objects, so that
the diagnosis can hold it against the bundle's structure (``analyzer.state``): ``{absent:
Namespace, name: ns}`` says the namespace named by capture ``ns`` does not exist; ``{absent:
Node}`` that no node is Ready and schedulable. When the bundle holds that object at collection
time, the line is history, not a current failure (the structure wins).

``hint`` is the literal prefilter: every line the regex matches contains at least one of the
hint strings (compared case-insensitively when the regex starts with ``(?i)``). The matcher
only runs the regex on lines that pass the prefilter, so a wrong hint hides matches: ``check``
verifies it on every example.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import jinja2
import jinja2.meta
import regex
import yaml

from analyzer.resources import data_dir
from analyzer.taxonomy import CATEGORIES, SEVERITIES

try:  # the C loader is ~10x faster; fall back where libyaml is missing
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

SOURCE_KINDS = frozenset({"log", "events", "describe", "text", "metrics"})  # the `source` of signal rows
REQUIRED = ("id", "name", "title", "category", "severity", "sources", "hint", "regex",
            "summary", "root_cause", "remediation", "examples")
OPTIONAL = ("checks", "references", "min_count", "explains", "notes", "claims")
# kinds a pattern may claim absent (``claims``); a Node claim names no node: "no node at all"
CLAIM_KINDS = frozenset({"Namespace", "Secret", "ConfigMap", "CustomResourceDefinition", "Node",
                         "RuntimeClass", "StorageClass"})
# Names a template may use besides the regex's named groups.
CONTEXT_NAMES = frozenset({"namespace", "pod", "container", "node", "path", "line", "count",
                           "object_kind", "object_name", "time"})

_ID = regex.compile(r"^[A-Z][A-Z0-9]{1,7}[0-9]{3}$")
_NAME = regex.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_ENV = jinja2.Environment(undefined=jinja2.ChainableUndefined, autoescape=False,
                          keep_trailing_newline=False)
_STRICT_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


@functools.lru_cache(maxsize=4096)
def _template(source: str) -> jinja2.Template:
    """Compiled once per template text: compiling costs far more than rendering."""
    return _ENV.from_string(source)


class LibraryError(ValueError):
    """A pattern file or entry is invalid; the message names the file, the id and the problem."""


@dataclass(frozen=True)
class Pattern:
    id: str
    name: str
    title: str
    category: str
    severity: str
    sources: tuple[str, ...]
    hint: tuple[str, ...]
    regex: str
    summary: str
    root_cause: str
    remediation: str
    checks: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    examples_match: tuple[dict, ...] = ()
    examples_no_match: tuple[str, ...] = ()
    min_count: int = 1
    explains: tuple[str, ...] = ()
    file: str = ""
    claims_absent: str | None = None          # the kind a matching line says does not exist ...
    claims_name: tuple[str, ...] = ()         # ... named by the first of these captures present

    @property
    def ignore_case(self) -> bool:
        return self.regex.startswith("(?i)")

    @functools.cached_property
    def compiled(self) -> regex.Pattern[str]:
        return regex.compile(self.regex)

    @functools.cached_property
    def group_names(self) -> tuple[str, ...]:
        """The regex's named groups in order, read from its text (compiling every regex of the
        library to learn them cost a short command a few tenths of a second)."""
        return group_names(self.regex)

    def hint_hit(self, line: str) -> bool:
        """True when the line passes this pattern's literal prefilter."""
        if self.ignore_case:
            low = line.lower()
            return any(h.lower() in low for h in self.hint)
        return any(h in line for h in self.hint)

    def render(self, template: str, values: dict[str, Any]) -> str:
        """Render one of the pattern's templates with captures and context."""
        if "{" not in template:  # plain prose: nothing to fill in, no template to compile
            return template.strip()
        return _template(template).render(**values).strip()


def group_names(rx: str) -> tuple[str, ...]:
    """The names of the groups ``(?P<name>...)`` / ``(?<name>...)`` of a valid regex, in order,
    each once (as ``groupindex``): escapes and character classes are skipped."""
    names: dict[str, None] = {}
    i, n, in_class = 0, len(rx), False
    while i < n:
        c = rx[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            i += 1
            continue
        if c == "[":
            in_class, i = True, i + 1
            if rx.startswith("^", i):
                i += 1
            if rx.startswith("]", i):  # a ']' first in a class is a literal
                i += 1
            continue
        m = _GROUP_NAME.match(rx, i) if c == "(" else None
        if m:
            names[m.group(1)] = None
            i = m.end()
            continue
        i += 1
    return tuple(names)


_GROUP_NAME = regex.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")


@dataclass
class Library:
    patterns: list[Pattern] = field(default_factory=list)

    def __iter__(self):
        return iter(self.patterns)

    def __len__(self) -> int:
        return len(self.patterns)

    @functools.cached_property
    def by_id(self) -> dict[str, Pattern]:
        return {p.id: p for p in self.patterns}

    def get(self, pattern_id: str) -> Pattern:
        try:
            return self.by_id[pattern_id]
        except KeyError:
            raise LibraryError(f"no pattern with id {pattern_id!r} (see: bundle-analyzer patterns list)") from None

    def fingerprint(self) -> str:
        """A stable hash of the library, for caches keyed on it."""
        import hashlib

        h = hashlib.sha256()
        for p in self.patterns:
            h.update(f"{p.id}\0{p.regex}\0{'|'.join(p.hint)}\0{','.join(p.sources)}\n".encode())
        return h.hexdigest()[:16]


def _as_tuple(value: Any, where: str, key: str) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (str, dict)):
        return (value,)
    if isinstance(value, list):
        return tuple(value)
    raise LibraryError(f"{where}: '{key}' must be a list")


def _build(entry: Any, where: str) -> Pattern:
    if not isinstance(entry, dict):
        raise LibraryError(f"{where}: each entry must be a mapping")
    pid = entry.get("id", "?")
    where = f"{where} {pid}"
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        raise LibraryError(f"{where}: missing field(s) {', '.join(missing)}")
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise LibraryError(f"{where}: unknown field(s) {', '.join(unknown)}")
    if not isinstance(pid, str) or not _ID.match(pid):
        raise LibraryError(f"{where}: id must look like K8S012 (prefix then 3 digits)")
    if not isinstance(entry["name"], str) or not _NAME.match(entry["name"]):
        raise LibraryError(f"{where}: name must be kebab-case")
    if entry["category"] not in CATEGORIES:
        raise LibraryError(f"{where}: unknown category {entry['category']!r} (see analyzer/taxonomy.py)")
    if entry["severity"] not in SEVERITIES:
        raise LibraryError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
    sources = _as_tuple(entry["sources"], where, "sources")
    bad = [s for s in sources if s not in SOURCE_KINDS]
    if not sources or bad:
        raise LibraryError(f"{where}: sources must be a non-empty subset of {sorted(SOURCE_KINDS)}")
    hint = _as_tuple(entry["hint"], where, "hint")
    if not hint or not all(isinstance(h, str) and h for h in hint):
        raise LibraryError(f"{where}: hint must be a non-empty list of non-empty literals")
    rx = entry["regex"]
    if not isinstance(rx, str) or not rx:
        raise LibraryError(f"{where}: regex must be a string")
    try:
        regex.compile(rx)
    except regex.error as exc:
        raise LibraryError(f"{where}: regex does not compile: {exc}") from None
    if regex.search(r"\(\?<?[=!]|\\[1-9]|\(\?>|\(\?\||[*+?}]\+", rx):
        raise LibraryError(f"{where}: regex uses lookaround, backreferences, atomic groups or "
                           "possessive quantifiers, which the fast matchers do not support")
    if "(?i)" in rx[4:] or regex.match(r"\(\?[a-hj-z]", rx):
        raise LibraryError(f"{where}: only a leading (?i) is allowed as an inline flag")
    ex = entry["examples"] or {}
    if not isinstance(ex, dict):
        raise LibraryError(f"{where}: examples must be a mapping with match and no_match")
    matches = []
    for m in _as_tuple(ex.get("match"), where, "examples.match"):
        if isinstance(m, str):
            m = {"line": m}
        if not isinstance(m, dict) or not isinstance(m.get("line"), str):
            raise LibraryError(f"{where}: each match example needs a 'line'")
        matches.append({"line": m["line"], "captures": dict(m.get("captures") or {})})
    no_match = _as_tuple(ex.get("no_match"), where, "examples.no_match")
    if not all(isinstance(s, str) for s in no_match):
        raise LibraryError(f"{where}: no_match examples must be strings")
    for key in ("summary", "root_cause", "remediation"):
        if not isinstance(entry[key], str):
            raise LibraryError(f"{where}: {key} must be a string template")
    min_count = entry.get("min_count", 1)
    if not isinstance(min_count, int) or min_count < 1:
        raise LibraryError(f"{where}: min_count must be a positive integer")
    explains = _as_tuple(entry.get("explains"), where, "explains")
    bad = [c for c in explains if c not in CATEGORIES]
    if bad:
        raise LibraryError(f"{where}: explains names unknown categories {bad}")
    claims_absent, claims_name = _claims(entry.get("claims"), where, rx)
    return Pattern(
        id=pid, name=entry["name"], title=str(entry["title"]), category=entry["category"],
        severity=entry["severity"], sources=tuple(sources), hint=tuple(hint), regex=rx,
        summary=entry["summary"], root_cause=entry["root_cause"], remediation=entry["remediation"],
        checks=tuple(str(c) for c in _as_tuple(entry.get("checks"), where, "checks")),
        references=tuple(str(r) for r in _as_tuple(entry.get("references"), where, "references")),
        examples_match=tuple(matches), examples_no_match=tuple(no_match),
        min_count=min_count, explains=tuple(explains), file=where.split(" ")[0],
        claims_absent=claims_absent, claims_name=claims_name,
    )


def _claims(value: Any, where: str, rx: str) -> tuple[str | None, tuple[str, ...]]:
    """``claims: {absent: KIND, name: CAPTURE or [CAPTURES]}`` -> (kind, capture names)."""
    if value is None:
        return None, ()
    if not isinstance(value, dict) or set(value) - {"absent", "name"} or value.get("absent") not in CLAIM_KINDS:
        raise LibraryError(f"{where}: claims must be {{absent: KIND, name: CAPTURE}} with KIND one of "
                           f"{', '.join(sorted(CLAIM_KINDS))}")
    names = _as_tuple(value.get("name"), where, "claims.name")
    groups = set(regex.compile(rx).groupindex)
    if not names and value["absent"] != "Node" or any(n not in groups for n in names):
        raise LibraryError(f"{where}: claims.name must name the regex's capture(s) holding the object's name")
    return value["absent"], tuple(str(n) for n in names)


def load_file(path: Path) -> list[Pattern]:
    """Load one pattern file; raises LibraryError naming the file and pattern id."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LibraryError(f"{path.name}: cannot read: {exc}".splitlines()[0]) from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise LibraryError(f"{path.name}: a pattern file is a YAML list of patterns")
    return [_build(entry, path.name) for entry in data]


def _pattern_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def load_library(extra_dirs: Iterable[Path] = (), builtin: bool = True) -> Library:
    """The built-in library plus extra directories; a later file overrides an earlier id."""
    dirs = ([data_dir("patterns")] if builtin else []) + [Path(d) for d in extra_dirs]
    ordered: dict[str, Pattern] = {}
    for d in dirs:
        if not Path(d).is_dir():
            raise LibraryError(f"{d}: not a directory of pattern files")
        seen: dict[str, str] = {}
        for f in _pattern_files(Path(d)):
            for p in _load_file_cached(f):
                if p.id in seen:
                    raise LibraryError(f"{f.name} {p.id}: duplicate id (also in {seen[p.id]})")
                seen[p.id] = f.name
                ordered[p.id] = p
    return Library(sorted(ordered.values(), key=lambda p: p.id))


def _load_file_cached(path: Path) -> list[Pattern]:
    """``load_file``, remembered (as JSON) per file content: validating every regex costs more
    than the rest of a short command. A file that changed is validated again."""
    import hashlib

    from analyzer.diskcache import remembered

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LibraryError(f"{path.name}: cannot read: {exc}") from None
    key = hashlib.sha256(data + path.name.encode() + __name__.encode()).hexdigest()[:24]
    return remembered(
        "patterns", key, lambda: load_file(path),
        encode=lambda patterns: [_fields(p) for p in patterns],
        decode=lambda rows: [Pattern(**{k: tuple(v) if isinstance(v, list) else v for k, v in row.items()})
                             for row in rows])


def _fields(p: Pattern) -> dict[str, Any]:
    from dataclasses import fields

    return {f.name: getattr(p, f.name) for f in fields(p)}


@dataclass
class CheckResult:
    patterns: int = 0
    examples: int = 0
    problems: list[str] = field(default_factory=list)


def check_library(directory: Path | None = None) -> CheckResult:
    """Lint the library and run every example; a problem is one line naming file and id."""
    result = CheckResult()
    dirs = [directory] if directory else [data_dir("patterns")]
    names: dict[str, str] = {}
    for d in dirs:
        seen: dict[str, str] = {}
        for f in _pattern_files(Path(d)):
            try:
                patterns = load_file(f)
            except LibraryError as exc:
                result.problems.append(str(exc))
                continue
            for p in patterns:
                result.patterns += 1
                where = f"{f.name} {p.id}"
                if p.id in seen:
                    result.problems.append(f"{where}: duplicate id (also in {seen[p.id]})")
                seen[p.id] = f.name
                if p.name in names and names[p.name] != p.id:
                    result.problems.append(f"{where}: duplicate name {p.name!r} (also {names[p.name]})")
                names[p.name] = p.id
                result.problems.extend(_check_pattern(p, where))
                result.examples += len(p.examples_match) + len(p.examples_no_match)
    return result


def _check_pattern(p: Pattern, where: str) -> list[str]:
    problems = []
    if not p.examples_match:
        problems.append(f"{where}: needs at least one match example")
    if not p.examples_no_match:
        problems.append(f"{where}: needs at least one no_match example")
    groups = set(p.group_names)
    for template in (p.summary, p.root_cause, p.remediation, *p.checks):
        try:
            names = jinja2.meta.find_undeclared_variables(_ENV.parse(template))
        except jinja2.TemplateSyntaxError as exc:
            problems.append(f"{where}: template does not parse: {exc}")
            continue
        unknown = names - groups - CONTEXT_NAMES
        if unknown:
            problems.append(f"{where}: template uses {sorted(unknown)}, not a named group or context name")
    for ex in p.examples_match:
        line = ex["line"]
        if not p.hint_hit(line):
            problems.append(f"{where}: hint {list(p.hint)} does not occur in match example {line[:80]!r}")
        m = p.compiled.search(line)
        if not m:
            problems.append(f"{where}: regex does not match example {line[:80]!r}")
            continue
        got = {k: v for k, v in m.groupdict().items()}
        for k, v in ex["captures"].items():
            if k not in got:
                problems.append(f"{where}: example expects capture {k!r}, not a named group")
            elif str(got[k]) != str(v):
                problems.append(f"{where}: capture {k!r} is {got[k]!r}, example says {v!r}")
        ctx = {n: "x" for n in CONTEXT_NAMES} | {k: (v if v is not None else "") for k, v in got.items()}
        for template in (p.summary, p.root_cause, p.remediation, *p.checks):
            try:
                _STRICT_ENV.from_string(template).render(**ctx)
            except jinja2.TemplateError as exc:
                problems.append(f"{where}: template fails with example captures: {exc}")
    for line in p.examples_no_match:
        if p.compiled.search(line):
            problems.append(f"{where}: regex matches no_match example {line[:80]!r}")
    problems.extend(_check_rust_agrees(p, where))
    return problems


def _check_rust_agrees(p: Pattern, where: str) -> list[str]:
    """The matcher runs the regex in Polars (Rust regex): it must agree with Python on examples."""
    import polars as pl

    lines = [ex["line"] for ex in p.examples_match] + list(p.examples_no_match)
    try:
        rust = pl.Series(lines, dtype=pl.Utf8).str.contains(p.regex).to_list()
    except pl.exceptions.PolarsError as exc:
        return [f"{where}: regex is not valid Rust regex syntax: {str(exc).splitlines()[0]}"]
    return [f"{where}: Rust and Python regex disagree on {line[:80]!r}"
            for line, hit in zip(lines, rust) if hit != bool(p.compiled.search(line))]



def pattern_page(p: Pattern) -> str:
    """A pattern's documentation page (Markdown), rendered from the same data as the pattern."""
    lines = [f"# {p.id} {p.name}", "", p.title, "",
             f"- category: `{p.category}`", f"- severity: {p.severity}",
             f"- sources: {', '.join(p.sources)}", f"- hint: {', '.join(repr(h) for h in p.hint)}",
             f"- file: {p.file}", "", "## Regex", "", "```", p.regex, "```", "",
             "## Summary", "", p.summary.strip(), "", "## Root cause", "", p.root_cause.strip(), "",
             "## Remediation", "", p.remediation.strip(), ""]
    if p.checks:
        lines += ["## Commands to confirm", "", *[f"    {c}" for c in p.checks], ""]
    if p.references:
        lines += ["## References", "", *[f"- {r}" for r in p.references], ""]
    lines += ["## Examples", "", "Matches:", ""]
    lines += [f"    {ex['line']}" for ex in p.examples_match]
    lines += ["", "Does not match:", ""] + [f"    {s}" for s in p.examples_no_match]
    return "\n".join(lines).rstrip() + "\n"
