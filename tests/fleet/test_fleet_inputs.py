"""Which bundles the INPUT arguments of ``fleet`` name, and the labels their folders give."""

from __future__ import annotations

import shutil
import socket
import tarfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.fleet.inputs import content_hash, find_bundles, layout_labels, parse_labels, stat_key

from conftest import SAMPLES


def _tgz(folder: Path, name: str, source: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / name, "w:gz") as tf:
        tf.add(source, arcname=source.name)
    return folder / name


def test_labels_from_folders():
    assert layout_labels(["acme", "T-1", "extra"]) == {"customer": "acme", "ticket": "T-1"}
    assert layout_labels(["customer=acme", "2026-11"]) == {"customer": "acme", "ticket": "2026-11"}
    assert layout_labels(["2026-11", "customer=acme"]) == {"customer": "acme", "ticket": "2026-11"}
    assert layout_labels(["region=eu", "acme"]) == {"region": "eu", "customer": "acme"}
    assert parse_labels(["a=b", "c=d=e"]) == {"a": "b", "c": "d=e"}


def test_folders_of_bundles_and_bundles(tmp_path):
    tree = tmp_path / "tickets"
    shutil.copytree(SAMPLES / "multi-fault", tree / "acme" / "T-1" / "multi-fault")
    _tgz(tree / "acme" / "T-2", "bundle.tar.gz", SAMPLES / "image-pull-auth")
    shutil.copytree(SAMPLES / "ft-results", tree / "globex" / "T-3" / "ft-results")
    (tree / "globex" / "T-3" / "mail.eml").write_text("see attached\n")
    found = find_bundles([str(tree)], {"source": "test"})
    got = {Path(b.input).relative_to(tree).as_posix(): b.labels for b in found.bundles}
    assert got == {
        "acme/T-1/multi-fault": {"customer": "acme", "ticket": "T-1", "source": "test"},
        "acme/T-2/bundle.tar.gz": {"customer": "acme", "ticket": "T-2", "source": "test"},
        # fault-tolerance results are one bundle, not one per scenario folder
        "globex/T-3/ft-results": {"customer": "globex", "ticket": "T-3", "source": "test"},
    }
    assert found.left_out == [str(tree / "globex" / "T-3" / "mail.eml")]
    # a bundle given itself is one bundle, with no folder labels
    one = find_bundles([str(tree / "acme" / "T-1" / "multi-fault")])
    assert [(b.input, b.labels) for b in one.bundles] == [(str(tree / "acme" / "T-1" / "multi-fault"), {})]
    # globs, and each bundle once however often it is named
    glob = find_bundles([str(tree / "*" / "T-*" / "*.tar.gz"), str(tree / "acme" / "T-2" / "bundle.tar.gz")])
    assert [Path(b.input).name for b in glob.bundles] == ["bundle.tar.gz"]
    # a must-gather is one bundle from its top (timestamp beside the image's folder), also in a ticket
    mg = tree / "initech" / "T-4" / "must-gather.local.1"
    (mg / "quay-io-nvidia-gpu-operator" / "cluster-scoped-resources" / "core" / "nodes").mkdir(parents=True)
    (mg / "quay-io-nvidia-gpu-operator" / "cluster-scoped-resources" / "core" / "nodes" / "n1.yaml").write_text("kind: Node\n")
    (mg / "timestamp").write_text("2026-11-20 10:00:00\n")
    inputs = {Path(b.input).relative_to(tree).as_posix() for b in find_bundles([str(tree)]).bundles}
    assert "initech/T-4/must-gather.local.1" in inputs
    assert find_bundles([str(mg)]).bundles[0].input == str(mg)
    assert find_bundles([str(tree / "nothing-*.tgz")]).problems == [f"{tree}/nothing-*.tgz: no file matches this pattern"]


def test_content_hash_ignores_the_name_stat_key_sees_a_touch(tmp_path):
    a = tmp_path / "a" / "multi-fault"
    shutil.copytree(SAMPLES / "multi-fault", a)
    b = tmp_path / "renamed"
    shutil.copytree(a, b)
    assert content_hash(str(a)) == content_hash(str(b))
    key = stat_key(str(a))
    assert stat_key(str(a)) == key
    (a / "manifest.json").touch()
    assert stat_key(str(a)) != key and content_hash(str(a)) == content_hash(str(b))


def test_an_unreachable_ray_address_fails_in_seconds_with_one_line(tmp_path):
    """ray.init retries an address nobody listens on for minutes; the fleet says so at once."""
    from analyzer.fleet.engines import EngineError, check_reachable, ray_endpoint

    assert ray_endpoint(None) is None and ray_endpoint("auto") is None
    assert ray_endpoint("ray://head:10001") == ("head", 10001)
    assert ray_endpoint("ray://head") == ("head", 10001)
    assert ray_endpoint("head") == ("head", 6379)
    assert ray_endpoint("[::1]:6380") == ("::1", 6380)
    with pytest.raises(EngineError, match="is not a port"):
        ray_endpoint("head:99999")
    # a port nobody listens on: bind one, close it, then connect
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(EngineError, match=rf"cannot reach Ray at 127\.0\.0\.1:{port} .*refused"):
        check_reachable(f"127.0.0.1:{port}")
    assert time.monotonic() - started < 5
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        check_reachable(f"ray://127.0.0.1:{listener.getsockname()[1]}")


def test_fleet_with_an_unreachable_ray_address_exits_2_without_a_traceback(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(main, ["fleet", str(SAMPLES / "vllm-cuda-oom-crashloop"), "-o",
                                       str(tmp_path / "ds"), "--engine", "ray", "--address",
                                       f"127.0.0.1:{port}"])
    assert result.exit_code == 2, result.output
    assert "cannot reach Ray at 127.0.0.1" in result.output and "Traceback" not in result.output
