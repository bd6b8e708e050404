"""Patterns match the logical message (wrapped lines joined, records unescaped, wrappers read
through) while evidence points at the original file and line range; wherever batches cut a
message, it is matched whole and counted once."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import analyzer.match as match
from analyzer.ingest import open_bundle
from analyzer.library import load_library
from analyzer.match import match_parsed, polars_hits
from analyzer.parse import parse_bundle
from analyzer.pipeline import analyze_path
from matchdata import cut

LIBRARY = load_library()

# vLLM v1's KV cache check in a terminal 120 columns wide: the ValueError is cut mid-word and the
# wrapped part lost the (EngineCore pid=N) prefix (tests/fixtures/realworld_dev, vllm-xpu-...)
KV_WRAPPED = [
    "(EngineCore pid=316)   File \"/opt/venv/lib/python3.12/site-packages/vllm/v1/core/kv_cache_utils.py\", line 758, in _chec",
    "k_enough_kv_cache_memory",
    "(EngineCore pid=316)     raise ValueError(",
    "(EngineCore pid=316) ValueError: To serve at least one request with the model's max seq len (100000), (4.26 GiB KV cach",
    "e is needed, which is larger than the available KV cache memory (4.25 GiB). Based on the available memory, the estima",
    "ted maximum model length is 99840. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initiali",
    "zing the engine.",
    "(EngineCore pid=316) ERROR 11-20 10:00:01 [core.py:708] EngineCore failed to start.",
]


def _analyze(path: Path) -> dict:
    with analyze_path(str(path), LIBRARY) as a:
        return json.loads(json.dumps(a.result))


def test_a_terminal_wrapped_message_is_matched_whole_and_points_at_its_lines(tmp_path: Path) -> None:
    paste = tmp_path / "paste.txt"
    paste.write_text("\n".join(KV_WRAPPED) + "\n")
    result = _analyze(paste)
    rc = result["root_causes"][0]
    assert rc["category"] == "runtime.kv_cache_capacity"
    ev = rc["evidence"][0]
    assert (ev["path"], ev["line"], ev["end_line"]) == ("paste.txt", 4, 7)
    assert "(4.26 GiB KV cache is needed" in ev["text"] and "estimated maximum model length is 99840" in ev["text"]
    finding = next(f for f in result["findings"] if f["id"] == rc["id"])
    assert "99840" in json.dumps(finding)  # the capture read across the wrap


def test_a_single_line_keeps_its_evidence_as_before(tmp_path: Path) -> None:
    paste = tmp_path / "paste.txt"
    paste.write_text("(EngineCore pid=316) " + KV_WRAPPED[3][21:] + KV_WRAPPED[4] + "\n")
    ev = _analyze(paste)["root_causes"][0]["evidence"][0]
    assert ev["line"] == 1 and "end_line" not in ev


ZAP_DENIED = ('2025-06-11T08:00:00Z\tERROR\tReconciliation failed\t{"controller": "dynamographdeployment", '
              '"error": "failed to sync the Grove GangSet: admission webhook \\"podcliqueset.grove.io\\" denied the '
              'request: spec.cliques[0].replicas: Invalid value: 0"}')


def _signals(root: Path, rows: int | None = None) -> pl.DataFrame:
    with open_bundle(str(root)) as bundle:
        parsed = parse_bundle(bundle)
        (lines,) = list(parsed.iter_log_batches(batch_rows=1 << 30, annotated=False))
        batches = cut(lines, rows) if rows else [lines]
        return match_parsed(parsed, LIBRARY, log_batches=batches, finder=polars_hits)


def test_an_escaped_record_is_matched_unescaped_and_a_plain_one_as_written(tmp_path: Path) -> None:
    klog = ('E0611 08:00:01.000000       1 schedule_one.go:1004] "Error scheduling pod; retrying" '
            'err="Post \\"https://127.0.0.1:443/filter\\": context deadline exceeded (Client.Timeout exceeded while '
            'awaiting headers)" pod="dynamo/vllm-0"')
    (tmp_path / "operator.log").write_text(ZAP_DENIED + "\n" + klog + "\n")
    sig = _signals(tmp_path)
    webhook = sig.filter(pl.col("pattern_id") == "K8S080").row(0, named=True)
    assert webhook["line"] == 1
    assert 'admission webhook "podcliqueset.grove.io" denied the request' in webhook["text"]
    assert json.loads(webhook["captures"])["webhook"] == "podcliqueset.grove.io"
    # a line its patterns match as written keeps its text, escapes and all
    kept = sig.filter(pl.col("line") == 2).get_column("text").to_list()
    assert kept and all(t == klog for t in kept)


@pytest.mark.parametrize("rows", [1, 2, 3, 4, 5, 7])
def test_a_message_cut_by_batches_is_matched_once_whole(tmp_path: Path, rows: int) -> None:
    lines = []
    for k in range(3):
        lines += KV_WRAPPED
    (tmp_path / "engine.log").write_text("\n".join(lines) + "\n")
    whole = _signals(tmp_path).filter(pl.col("pattern_id") == "VLLM002")
    got = _signals(tmp_path, rows).filter(pl.col("pattern_id") == "VLLM002")
    assert whole.get_column("weight").sum() == 3          # three messages, not six or nine lines
    assert whole.select("line", "end_line").rows() == [(4, 7), (12, 15), (20, 23)]
    assert got.drop("weight").equals(whole.drop("weight"))
    assert got.get_column("weight").sum() == 3


def test_a_message_longer_than_what_a_batch_holds_back_is_closed_at_the_batch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(match, "MAX_HELD", 2)
    (tmp_path / "engine.log").write_text("\n".join(KV_WRAPPED) + "\n")
    got = _signals(tmp_path, 3)
    assert got.filter(pl.col("pattern_id") == "VLLM002").height <= 1   # no crash, no double count
