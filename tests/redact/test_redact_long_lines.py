"""A text file with a line longer than the detectors are run on is left out of a redacted copy,
with its reason, and the rest of the bundle is copied (a 200 MiB ConfigMap value on one line took
`redact` to 2.6 GB; the file is now withheld and the run stays near 90 MB)."""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.redact import redact_bundle
from analyzer.redact.members import LONG_LINE_BYTES


def test_a_line_too_long_to_check_withholds_its_file(tmp_path: Path) -> None:
    bundle = tmp_path / "in" / "namespaces" / "ml"
    bundle.mkdir(parents=True)
    value = "x" * (LONG_LINE_BYTES + 1)
    (bundle / "configmaps.json").write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMapList", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big", "namespace": "ml"},
         "data": {"blob": value}}]}))
    (bundle / "vllm.log").write_text("INFO engine started with HF_TOKEN=hf_Q7x2Lm9Pz4Kd8Rt1Vb6Nc3Hs5Jw0Gy2Fa\n")
    report = redact_bundle(tmp_path / "in", tmp_path / "out")
    reasons = {w["path"]: w["reason"] for w in report.withheld}
    (withheld,) = [p for p in reasons if p.endswith("configmaps.json")]
    assert "not checked for secrets" in reasons[withheld]
    copied = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert [p.name for p in copied] == ["vllm.log"]
    assert "hf_Q7x2" not in copied[0].read_text()


def test_long_lines_under_the_limit_are_redacted(tmp_path: Path) -> None:
    bundle = tmp_path / "in"
    bundle.mkdir()
    # over the size read whole (the line-by-line path), every line under the limit
    filler = ("y" * 1000 + "\n") * 9000
    (bundle / "gateway.log").write_text(filler + "export HF_TOKEN=hf_Q7x2Lm9Pz4Kd8Rt1Vb6Nc3Hs5Jw0Gy2Fa\n")
    report = redact_bundle(bundle, tmp_path / "out")
    assert not report.withheld
    (copy,) = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert "hf_Q7x2" not in copy.read_text()
