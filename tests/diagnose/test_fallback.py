"""The fallback: a failure that no pattern or check knows is still named (inferred, or
unclassified with the line itself), harmless noise is not an alarm, and every unexplained error
is listed. Texts are analysed as pasted files and as a collector bundle, like the CLI does."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from analyzer.diagnose.fallback import Fallback, needed
from analyzer.findings import Finding
from analyzer.library import load_library
from analyzer.pipeline import analyze_path

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs/result.schema.json").read_text())
LIBRARY = load_library()


def analyze(tmp_path: Path, text: str, name: str = "paste.txt") -> dict:
    path = tmp_path / name
    path.write_text(text)
    with analyze_path(str(path), LIBRARY) as a:
        result = json.loads(json.dumps(a.result))
    jsonschema.validate(result, SCHEMA)
    return result


def top(result: dict) -> dict:
    assert result["root_causes"], "silent on a failing input"
    return result["root_causes"][0]


@pytest.mark.parametrize("line, category, word", [
    # the library's words: no pattern knows this sentence, its words are those of unbound claims
    ("Error: persistent volume claim model-cache stays unbound, no storage class provisions it",
     "storage.pvc_pending", "storage class"),
    # an upstream exception type
    ("aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host router.svc:9000 ssl:default",
     "network.connection", "ClientConnectorError"),
])
def test_unknown_phrasing_falls_back_to_an_inferred_category(tmp_path: Path, line, category, word) -> None:
    text = ("2026-03-01T10:00:00Z INFO starting shard router v2.3.1\n"
            "2026-03-01T10:00:02Z INFO loading routing table from peers\n" + line + "\n")
    rc = top(analyze(tmp_path, text))
    assert rc["inferred"] is True and rc["pattern"] == "inferred" and rc["source"] == "inferred"
    assert rc["category"] == category
    assert rc["severity"] == "error"                     # the process failed on it
    assert 0 < rc["confidence"] <= 1 and word in rc["inferred_from"]
    assert rc["evidence"][0]["line"] == 3
    assert line[:60] in rc["title"]
    if category == "storage.pvc_pending":
        # the next step of the known failure it resembles most, attributed to that pattern
        assert "The closest failure the library knows is STO001" in rc["remediation"]


def test_unknown_error_is_left_unclassified_with_the_line_itself(tmp_path: Path) -> None:
    text = "INFO quorum service up\nFATAL: frobnicator quorum lost in shard seven\n"
    result = analyze(tmp_path, text)
    rc = top(result)
    assert rc["category"] == "unclassified.error" and rc["layer"] == "unclassified"
    assert rc["inferred"] is True and rc["inferred_from"] == [] and rc["confidence"] is None
    assert "frobnicator quorum lost in shard seven" in rc["title"]
    assert rc["evidence"][0]["text"] == "FATAL: frobnicator quorum lost in shard seven"
    (u,) = result["unexplained"]
    assert u["category"] is None and u["finding"] == rc["id"] and u["count"] == 1


def test_repeats_are_one_template_with_a_count(tmp_path: Path) -> None:
    text = "".join(f"2026-03-01T10:00:0{i}Z ERROR shard {i} lost its lease to 10.0.0.{i}\n" for i in range(1, 6))
    result = analyze(tmp_path, text)
    (u,) = result["unexplained"]
    assert u["count"] == 5 and u["template"] == "shard <n> lost its lease to <ip>"
    assert u["evidence"][0] == {"path": "paste.txt", "line": 1,
                                "text": "2026-03-01T10:00:01Z ERROR shard 1 lost its lease to 10.0.0.1"}
    assert top(result)["count"] == 5


def test_a_pattern_that_names_the_cause_wins_and_the_rest_is_listed(tmp_path: Path) -> None:
    text = ("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total "
            "capacity of 79.10 GiB of which 1.06 GiB is free.\n"
            "Error: frobnicator quorum lost in shard seven\n")
    result = analyze(tmp_path, text)
    assert [rc["category"] for rc in result["root_causes"]] == ["runtime.cuda_oom"]
    assert not any(f["inferred"] for f in result["findings"])
    assert all("inferred" in f for f in result["findings"])
    assert [u["template"] for u in result["unexplained"]] == ["Error: frobnicator quorum lost in shard seven"]
    assert result["unexplained"][0]["finding"] is None


def test_harmless_error_level_noise_is_no_alarm(tmp_path: Path) -> None:
    text = ("INFO 03-01 10:00:00 [api_server.py:1] vLLM API server version 0.9.2\n"
            "ERROR 03-01 10:00:01 [utils.py:88] Error fetching the optional telemetry endpoint, retrying 1 of 3\n"
            "WARNING 03-01 10:00:01 [cuda.py:45] Failed to import from vllm._flash_ext: "
            "ModuleNotFoundError(\"No module named 'vllm._flash_ext'\")\n"
            "WARNING 03-01 10:00:02 [config.py:9] The --max-num-seqs default is deprecated and will be removed\n"
            "INFO 03-01 10:00:30 [launcher.py:29] Application startup complete.\n")
    result = analyze(tmp_path, text)
    assert not [rc for rc in result["root_causes"] if rc["severity"] in ("error", "critical")]


def test_a_failing_paste_with_weak_words_is_never_silent(tmp_path: Path) -> None:
    text = "Checking the node agent...\nUnable to reach the node agent socket\nStopping.\n"
    rc = top(analyze(tmp_path, text))
    assert rc["inferred"] is True and rc["severity"] == "warning"


def test_no_failure_no_finding(tmp_path: Path) -> None:
    result = analyze(tmp_path, "INFO all good\nINFO serving on :8000\n")
    assert result["root_causes"] == [] and result["unexplained"] == []


def test_an_error_followed_by_an_exit_is_what_the_process_died_of(tmp_path: Path) -> None:
    text = ("$ kubectl exec -it worker-0 -- agent-check\n"
            "agent check: handshake with the frobnicator was refused\n"
            "command terminated with exit code 3\n")
    result = analyze(tmp_path, text)
    rc = top(result)
    assert rc["severity"] == "error" and rc["evidence"][0]["line"] == 2


def test_secrets_in_an_unexplained_line_are_redacted(tmp_path: Path) -> None:
    token = "hf_" + "Q7xTqPz9LmN4vB2cR8sD1fG6hJ3kW5yZ0aEu"
    text = f"FATAL: frobnicator rejected the credential {token} for shard seven\n"
    out = json.dumps(analyze(tmp_path, text))
    assert token not in out


def _pod(name: str, phase: str, waiting: str | None = None) -> dict:
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {"startedAt": "2026-03-01T09:00:00Z"}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "ml"},
            "spec": {"nodeName": "gpu-1", "containers": [{"name": "main", "image": "example/agent:1"}]},
            "status": {"phase": phase, "containerStatuses": [
                {"name": "main", "ready": waiting is None, "restartCount": 4 if waiting else 0,
                 "state": state, "lastState": {}, "image": "example/agent:1"}]}}


@pytest.mark.parametrize("waiting, severity", [(None, "warning"), ("CrashLoopBackOff", "error")])
def test_in_a_bundle_the_severity_follows_the_pod(tmp_path: Path, waiting, severity) -> None:
    """The same fatal line is an error where its pod is failing, a warning (not a root cause) where
    the pod runs: a healthy bundle with a past fatal line does not alarm."""
    root = tmp_path / "b"
    (root / "namespaces/ml/logs/agent-0").mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps({"collector": "collect-bundle.sh", "collected_at":
                                                    "2026-03-01T10:00:00Z", "namespaces": ["ml"]}))
    (root / "namespaces/ml/pods.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List",
                                                              "items": [_pod("agent-0", "Running", waiting)]}))
    (root / "namespaces/ml/logs/agent-0/main.log").write_text(
        "2026-03-01T09:59:00.000000000Z FATAL: frobnicator quorum lost in shard seven\n")
    with analyze_path(str(root), LIBRARY) as a:
        result = a.result
    inferred = [f for f in result["findings"] if f["inferred"]]
    if waiting:
        assert [(f["category"], f["severity"]) for f in inferred] == [("unclassified.error", "error")]
        assert inferred[0]["affected"][0]["name"] == "agent-0"
    else:
        assert not [rc for rc in result["root_causes"] if rc["severity"] in ("error", "critical")]
    assert result["unexplained"][0]["affected"][0]["name"] == "agent-0"


def _finding(category: str, severity: str) -> Finding:
    return Finding(rule="X", source="pattern", category=category, severity=severity, title="", summary="",
                   root_cause_text="", remediation="", checks=[], affected=[])


def test_the_fallback_is_needed_only_without_a_specific_cause() -> None:
    assert needed([])
    assert needed([_finding("runtime.crashloop", "error"), _finding("network.dns", "warning")])
    assert not needed([_finding("runtime.cuda_oom", "critical")])
    assert Fallback is not None


def test_a_line_a_pattern_needs_several_of_stays_a_candidate(tmp_path: Path) -> None:
    """OPR010 counts a serving operator's reconcile error from its third repeat (one conflict now
    and then is normal): a single one is not explained by it, so the fallback still sees it."""
    line = ('{"level":"error","ts":"2025-02-04T09:12:30Z","msg":"Reconciler error","controller":"inferenceservice",'
            '"controllerGroup":"serving.kserve.io","controllerKind":"InferenceService","namespace":"ml","name":"llama",'
            '"error":"fails to reconcile predictor: no runtime found to support predictor"}')
    once = analyze(tmp_path, line + "\n", "once.txt")
    assert not [f for f in once["findings"] if f["pattern"] == "OPR010"]
    assert [u["count"] for u in once["unexplained"]] == [1]
    assert top(once)["inferred"] is True
    thrice = analyze(tmp_path, (line + "\n") * 3, "thrice.txt")
    assert top(thrice)["pattern"] == "OPR010" and thrice["unexplained"] == []
