"""The shape of the tree: no import cycle between files of ``analyzer/`` and no module over
600 lines, so that every stage can be read on its own and imported without the others.

An import counts from the file that holds it (at any depth: a function-local import is still a
dependency) to the file it names: ``from analyzer.checks import cluster`` depends on
``analyzer/checks/cluster.py``, ``from analyzer.checks import run_checks`` on
``analyzer/checks/__init__.py``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "analyzer"
MAX_LINES = 600

# No offender is allowed: a cycle or a long module is a regression. (Kept as mappings so that a
# deliberate, reviewed exception names its reason.)
ALLOWED_CYCLES: dict[frozenset[str], str] = {}
ALLOWED_LONG: dict[str, str] = {}


def _module_file(name: str) -> Path | None:
    """The file of a dotted module name inside analyzer/ (None: not ours)."""
    if name != "analyzer" and not name.startswith("analyzer."):
        return None
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path) -> set[Path]:
    """The files of analyzer/ that ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0]
    out: set[Path] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[:len(parent) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            # ``from pkg import sub`` names the submodule when there is one
            names = [f"{base}.{a.name}" if _module_file(f"{base}.{a.name}") else base for a in node.names]
        else:
            continue
        for name in names:
            target = _module_file(name)
            if target is not None and target != path:
                out.add(target)
    return out


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def import_cycles() -> list[list[str]]:
    """Every strongly connected group of files (two or more) in analyzer/'s import graph."""
    files = sorted(PACKAGE.rglob("*.py"))
    graph = {_rel(f): sorted(_rel(t) for t in _imports(f)) for f in files}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in graph:
        if v not in index:
            connect(v)
    return sorted(groups)


def long_modules() -> dict[str, int]:
    """Files of analyzer/ over MAX_LINES lines, with their length."""
    out = {}
    for f in sorted(PACKAGE.rglob("*.py")):
        n = len(f.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            out[_rel(f)] = n
    return out


def test_no_import_cycle_between_files_of_analyzer():
    cycles = [c for c in import_cycles() if frozenset(c) not in ALLOWED_CYCLES]
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_no_module_over_600_lines():
    long = {f: n for f, n in long_modules().items() if f not in ALLOWED_LONG}
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def test_the_allowlists_name_only_current_offenders():
    """An entry whose offence is gone must go too, so the allowlists only ever shrink."""
    cycles = {frozenset(c) for c in import_cycles()}
    assert [sorted(c) for c in ALLOWED_CYCLES if c not in cycles] == []
    assert [f for f in ALLOWED_LONG if f not in long_modules()] == []


def test_the_cycle_finder_sees_a_cycle(tmp_path, monkeypatch):
    """The finder itself: two files importing each other (one inside a function) are a cycle."""
    pkg = tmp_path / "analyzer" / "x"
    pkg.mkdir(parents=True)
    (tmp_path / "analyzer" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from analyzer.x import b\n")
    (pkg / "b.py").write_text("def f():\n    from analyzer.x.a import g\n")
    (pkg / "c.py").write_text("from . import a\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "analyzer")
    assert import_cycles() == [["analyzer/x/a.py", "analyzer/x/b.py"]]
