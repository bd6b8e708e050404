"""The committed sample bundles are exactly what `python3 -m tools.samplegen` writes, and stay small."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.sources import match_source
from tools.samplegen import SCENARIOS, generate

ROOT = Path(__file__).resolve().parent.parent
BUNDLES = ROOT / "sample_bundles"
COMMITTED = sorted(n for n in SCENARIOS if (BUNDLES / n).is_dir())


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundles")
    for name in COMMITTED:
        generate(name, out)
    return out


def test_every_scenario_is_committed() -> None:
    assert COMMITTED == sorted(SCENARIOS), "run: python3 -m tools.samplegen"


@pytest.mark.parametrize("name", COMMITTED)
def test_regeneration_is_byte_identical(name: str, regenerated: Path) -> None:
    committed, fresh = _files(BUNDLES / name), _files(regenerated / name)
    assert sorted(committed) == sorted(fresh)
    changed = [p for p in committed if committed[p] != fresh[p]]
    assert not changed, f"{name}: regenerate with `python3 -m tools.samplegen --only {name}`; differs: {changed[:5]}"


@pytest.mark.parametrize("name", COMMITTED)
def test_bundle_is_under_2_mb(name: str) -> None:
    size = sum(len(b) for b in _files(BUNDLES / name).values())
    assert size < 2_000_000, f"{name} is {size} bytes"


@pytest.mark.parametrize("name", COMMITTED)
def test_manifest_records_every_file(name: str) -> None:
    root = BUNDLES / name
    manifest = json.loads((root / "manifest.json").read_text())
    recorded = {c["path"] for c in manifest["commands"] if c["path"]}
    on_disk = set(_files(root)) - {"manifest.json", "expected.json"}
    assert recorded == on_disk
    for c in manifest["commands"]:
        if c["path"]:
            # a file is kept for every command that printed something; only a command run in a container
            # (kubectl exec: nvidia-smi, a node's kernel log) keeps a failing command's output
            assert c["exit_code"] == 0 or "exec" in c["argv"]
            assert c["bytes"] == (root / c["path"]).stat().st_size
            src = match_source(c["path"])
            assert src is not None and src[0].name == c["source"], c["path"]
        else:
            assert c["exit_code"] != 0 and c["stderr"]


@pytest.mark.parametrize("name", COMMITTED)
def test_expected_names_known_categories(name: str) -> None:
    from analyzer.taxonomy import CATEGORIES

    expected = json.loads((BUNDLES / name / "expected.json").read_text())
    assert set(expected["root_causes"]) <= CATEGORIES
    assert expected["notes"]
