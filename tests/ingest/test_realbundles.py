"""The real published bundles of ``../shared/realbundles/`` (must-gathers as ``.tar.xz``,
troubleshoot and sbctl bundles as ``.tar.gz``) read as published and unpacked give the same
tables and the same result, and parts of them are read as their layout, not as loose files.

The folder lives beside the repository (``../shared/realbundles`` from the main checkout, found
from a worktree too, or named by ``BUNDLE_ANALYZER_REALBUNDLES``). When it cannot be found these tests FAIL
rather than skip: a missing folder must not pass for a green run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from analyzer.ingest import open_bundle
from testkit import realbundles
from testkit.realbundles import ARCHIVES, LAYOUTS

BUNDLES = ARCHIVES
LAYOUT = LAYOUTS


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Callable[[str], Path]:
    """``unpacked(name)``: the published archive unpacked by tarfile (its safe 'data' filter), as a
    user would; once per session (``testkit.realbundles.unpacked``)."""
    return lambda name: realbundles.unpacked(name, tmp_path_factory)


def _analysis(name: str, form: str, factory) -> tuple[dict, dict[str, pl.DataFrame]]:
    """The session's analysis of one form of the bundle (``testkit.realbundles.analysis``: each
    form analysed once, shared with the tests that judge its result)."""
    result, tables = realbundles.analysis(name, form, factory)
    # where it came from is the only difference allowed
    result["input"] = {k: v for k, v in result["input"].items() if k != "path"}
    result["bundle"] = {k: v for k, v in result["bundle"].items() if k != "root"}
    return result, tables


@pytest.mark.parametrize("name", sorted(BUNDLES))
def test_published_and_unpacked_give_the_same_tables_and_result(tmp_path_factory, name):
    published, pub_tables = _analysis(name, "published", tmp_path_factory)
    local, local_tables = _analysis(name, "unpacked", tmp_path_factory)
    assert published["input"]["layout"] == LAYOUT[name]
    assert published["input"]["files_read"] > 50
    assert published["input"]["files_read"] == published["bundle"]["files_read"]
    assert sorted(pub_tables) == sorted(local_tables)
    for table in pub_tables:
        assert pub_tables[table].equals(local_tables[table]), table
    assert published == local


def _part(root: Path, *parts: str) -> Path:
    """A folder inside an unpacked bundle (the one folder under each level that has a single one)."""
    p = root
    while len(children := [c for c in p.iterdir() if c.is_dir()]) == 1 and not (p / parts[0]).exists():
        p = children[0]
    return p.joinpath(*parts)


@pytest.mark.parametrize("name,part,layout", [
    ("must-gather-aws", ("namespaces",), "must-gather"),
    ("must-gather-aws", ("namespaces", "openshift-etcd"), "must-gather"),
    ("must-gather-azure", ("cluster-scoped-resources",), "must-gather"),
    ("sbctl-support-bundle", ("cluster-resources",), "troubleshoot"),
])
def test_parts_of_a_bundle_are_read_as_its_layout(unpacked, name, part, layout):
    source = _part(unpacked(name), *part)
    assert source.is_dir(), source
    with open_bundle(source) as bundle:
        assert bundle.layout == layout
        logs = [m for m in bundle.members if m.kind == "log"]
        if part[-1] == "openshift-etcd":   # one namespace folder: its logs carry its name
            assert logs and {m.meta["namespace"] for m in logs} == {"openshift-etcd"}
        if name == "sbctl-support-bundle":
            assert any(m.meta.get("pod") for m in logs) and not any(m.kind == "text" for m in bundle.members
                                                                   if m.path.endswith(".json"))
