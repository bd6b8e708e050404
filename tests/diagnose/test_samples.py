"""Every sample bundle: the ranked root causes equal its expected.json; the JSON fits the contract."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from testkit.samples import expected_samples, sample_run

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs/result.schema.json").read_text())
BUNDLES = expected_samples()


def result_of(bundle: Path) -> dict:
    """The session's analysis of ``bundle`` (``testkit.samples``)."""
    return sample_run(bundle).result


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_ranked_root_causes_equal_expected(bundle):
    expected = json.loads((bundle / "expected.json").read_text())["root_causes"]
    got = [rc["category"] for rc in result_of(bundle)["root_causes"]]
    assert got == expected


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_json_validates_against_the_contract(bundle):
    result = result_of(bundle)
    jsonschema.validate(result, SCHEMA)
    ids = {f["id"] for f in result["findings"]}
    for rc in result["root_causes"]:
        assert rc["id"] in ids
        assert set(rc["symptoms"]) <= ids
    for f in result["findings"]:
        assert f["caused_by"] is None or f["caused_by"] in ids


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_root_causes_carry_evidence_and_next_action(bundle):
    for rc in result_of(bundle)["root_causes"]:
        assert rc["evidence"], rc["id"]
        assert rc["remediation"].strip()
        assert rc["severity"] in ("critical", "error")


def test_healthy_bundle_has_nothing_above_warning():
    healthy = [b for b in BUNDLES if b.name.startswith("healthy")]
    assert healthy
    for b in healthy:
        result = result_of(b)
        assert result["root_causes"] == []
        assert [f["severity"] for f in result["findings"] if f["severity"] in ("critical", "error")] == []
