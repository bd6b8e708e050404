"""`serve` over a hostile bundle: the YAML alias bomb that took the old loader past 2 GiB when
kubectl asked for JSON is refused by the parser's reader; the server answers, memory stays bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hostile_cases import RUN_COUNTS, yaml_bomb

ROOT = Path(__file__).resolve().parents[2]
MAX_RSS_MB = 1024
ADDRESS_SPACE = 3 << 30

# load the bundle, ask what `kubectl get configmaps -A -o json` and the table form ask, and
# report the answers and the peak memory of this process
_SCRIPT = r"""
import json, resource, sys
from analyzer.serve import load_cluster, respond
cluster = load_cluster(sys.argv[1])
out = {"problems": cluster.problems, "answers": []}
for accept in ("application/json", "application/json;as=Table;v=v1;g=meta.k8s.io"):
    r = respond(cluster, "GET", "/api/v1/configmaps", accept)
    out["answers"].append([r.status, len(r.body), json.loads(r.body).get("items", json.loads(r.body).get("rows"))])
r = respond(cluster, "GET", "/api/v1/namespaces/llm/configmaps/fine")
out["answers"].append([r.status, len(r.body), None])
out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(out))
"""


def _cap() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def test_serve_refuses_a_yaml_alias_bomb_and_answers(tmp_path: Path) -> None:
    case = yaml_bomb(tmp_path)
    (case.input / "fine.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n"
                                          "  namespace: llm\ndata:\n  a: b\n")
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, str(case.input)], capture_output=True, text=True,
                          timeout=120, preexec_fn=_cap, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    RUN_COUNTS["hostile cases"] += 1
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert any(p.startswith("laughs.yaml: ") and "alias" in p for p in out["problems"]), out["problems"]
    (json_status, json_size, items), (table_status, _, rows), (get_status, _, _) = out["answers"]
    assert (json_status, table_status, get_status) == (200, 200, 200)
    assert [i["metadata"]["name"] for i in items] == ["fine"] and len(rows) == 1
    assert json_size < 10_000
    assert out["maxrss_kb"] // 1024 < MAX_RSS_MB


def test_serve_answers_a_corrupt_compressed_log_with_a_status(tmp_path: Path) -> None:
    """A must-gather whose pod log is a corrupt .log.gz: `kubectl logs` gets a Kubernetes Status
    naming the problem, the previous log is served, nothing drops the connection."""
    from analyzer.serve import load_cluster, respond
    from hostile_cases import LOG, _corrupt_gzip

    ns = tmp_path / "mg" / "quay-io-x" / "namespaces" / "llm"
    logs = ns / "pods" / "vllm-0" / "vllm" / "vllm" / "logs"
    logs.mkdir(parents=True)
    (ns / "core").mkdir()
    (ns / "core" / "pods.yaml").write_text(
        "apiVersion: v1\nkind: PodList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: vllm-0\n"
        "    namespace: llm\n  spec:\n    containers:\n    - name: vllm\n      image: vllm/vllm-openai:v0.11.0\n"
        "  status:\n    phase: Running\n    containerStatuses:\n    - name: vllm\n      restartCount: 1\n"
        "      lastState:\n        terminated:\n          exitCode: 1\n")
    (logs / "current.log.gz").write_bytes(_corrupt_gzip(LOG * 10))
    (logs / "previous.log").write_bytes(LOG)
    cluster = load_cluster(str(tmp_path / "mg"))
    try:
        current = respond(cluster, "GET", "/api/v1/namespaces/llm/pods/vllm-0/log?container=vllm")
        previous = respond(cluster, "GET", "/api/v1/namespaces/llm/pods/vllm-0/log?container=vllm&previous=true")
    finally:
        cluster.close()
    RUN_COUNTS["hostile cases"] += 1
    status = json.loads(current.body)
    assert current.status == 500 and status["kind"] == "Status" and "corrupt compressed data" in status["message"]
    assert previous.status == 200 and b"gated repo" in previous.body
