"""The published bundles' YAML read by ``parse.yaml_docs`` as PyYAML's safe loader reads it,
most of it through the fast reader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analyzer.parse import yaml_docs
from analyzer.parse.yaml_docs import load_yaml, yaml11_flags


def _yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _pyyaml(text: str) -> str:
    try:
        return repr([d for d in yaml.load_all(text, Loader=yaml_docs._Loader) if d is not None])
    except Exception:  # noqa: BLE001 - PyYAML's constructors raise ValueError and TypeError too
        return "error"


def _ours(text: str, flag: bool) -> str:
    try:
        return repr(load_yaml(text, flag))
    except yaml.YAMLError:
        return "error"


@pytest.mark.parametrize("name", ["troubleshoot-k3s", "sbctl-support-bundle", "must-gather-azure"])
def test_published_bundles_read_as_pyyaml_reads_them(name: str, realbundle) -> None:
    files = _yaml_files(realbundle(name))
    if name.startswith("must-gather"):
        files = [p for p in files if p.parent.name in ("core", "apps", "cluster-scoped-resources")
                 or "nodes" in p.parts][:400]  # the object files a must-gather is made of, bounded in time
    assert len(files) > (300 if name.startswith("must-gather") else 3)  # troubleshoot's files are mostly JSON
    texts = [p.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff") for p in files]
    flags = yaml11_flags(texts)
    assert sum(1 for f in flags if not f) > len(files) // 2  # most of them take the fast reader
    wrong = [str(p) for p, t, f in zip(files, texts, flags) if _ours(t, f) != _pyyaml(t)]
    assert not wrong, wrong[:5]


