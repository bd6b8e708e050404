"""collect-bundle.sh with a fake kubectl on PATH: layout, manifest, failures, timeouts, redaction.

The fake (fake_kubectl.sh) answers like the API server would, and can refuse a namespace (403),
hang, or print planted tokens. The real kubectl runs against `serve` in tests/serve/test_roundtrip.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
import time
from pathlib import Path

from analyzer.collector import SCRIPT_NAME, embedded_sources, script_text
from analyzer.sources import SOURCES, match_source
from testkit.tools import need

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parents[1] / "analyzer" / "collector" / SCRIPT_NAME
PLANTED = ("hf_FakePlantedToken0123456789abcdefgh", "nvapi-FakePlantedNgcKey0123456789abcdefghijkl",
           "plantedBearerTokenXYZ123", "plantedRedisPw77", "plantedPw1")


def _bin(tmp_path: Path, without: tuple[str, ...] = ()) -> Path:
    """A bin folder with the fake kubectl; with ``without``, a PATH holding only the tools the
    script may use, minus those."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "kubectl"
    shutil.copy(HERE / "fake_kubectl.sh", fake)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    if without:
        for tool in ("bash", "env", "tar", "gzip", "awk", "sed", "grep", "sort", "head", "tail", "wc", "tr",
                     "date", "mktemp", "dirname", "rm", "mkdir", "mv", "cp", "cat", "sleep", "timeout"):
            if tool not in without and shutil.which(tool):
                (bindir / tool).symlink_to(shutil.which(tool))
    return bindir


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None, without: tuple[str, ...] = (),
        timeout: int = 120) -> tuple[subprocess.CompletedProcess[str], Path]:
    bindir = _bin(tmp_path, without)
    path = str(bindir) if without else f"{bindir}{os.pathsep}{os.environ['PATH']}"
    env = dict(env or {})
    if "PATH_PREFIX" in env:  # extra tools (a fake helm) before the rest
        path = f"{env.pop('PATH_PREFIX')}{os.pathsep}{path}"
    out = tmp_path / "bundle.tar.gz"
    full_env = {"PATH": path, "HOME": str(tmp_path), "FAKE_CALLS": str(tmp_path / "calls.txt"), **env}
    bash = shutil.which("bash")
    proc = subprocess.run([bash, str(SCRIPT), "-o", str(out), *args], env=full_env, capture_output=True,
                          text=True, timeout=timeout)
    return proc, out


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tf:
        tops = {m.name.split("/", 1)[0] for m in tf.getmembers()}
        assert tops == {"bundle"}, tops
        return {m.name.split("/", 1)[1]: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}


def test_embedded_source_table_equals_analyzer_sources() -> None:
    assert embedded_sources() == [(s.name, s.path, s.kind) for s in SOURCES]


def test_shellcheck_reports_nothing_at_warning_or_above() -> None:
    proc = subprocess.run([need("shellcheck"), "-S", "warning", str(SCRIPT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_help_lists_every_option(tmp_path: Path) -> None:
    proc = subprocess.run(["bash", str(SCRIPT), "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for opt in ("-n, --namespace NS", "-A, --all-namespaces", "--since DURATION", "--max-log-bytes N",
                "-o, --output PATH", "--context NAME", "--kubeconfig FILE", "-h, --help"):
        assert opt in proc.stdout
    bad = subprocess.run(["bash", str(SCRIPT), "--max-log-bytes", "lots"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--max-log-bytes needs a number" in bad.stderr


def test_collector_command_writes_the_script(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from analyzer.cli import main

    target = tmp_path / "collect.sh"
    result = CliRunner().invoke(main, ["collector", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text() == script_text() == SCRIPT.read_text()
    assert os.access(target, os.X_OK)


def test_bundle_layout_and_manifest(tmp_path: Path) -> None:
    proc, out = run(tmp_path, "-n", "ml", "--since", "2h", "--context", "prod")
    assert proc.returncode == 0, proc.stderr
    assert f"Bundle written: {out}" in proc.stdout
    files = members(out)
    # every file is a known source of the shared table
    assert [p for p in files if match_source(p) is None] == []
    for p in ("cluster/version.json", "cluster/nodes.json", "cluster/nodes.describe.txt", "namespaces/ml/pods.json",
              "namespaces/ml/pods.describe.txt", "namespaces/ml/secrets.json", "namespaces/ml/logs/vllm-0/main.log",
              "namespaces/ml/logs/vllm-0/main.previous.log", "namespaces/ml/metrics/vllm-0.prom",
              "namespaces/ml/custom/dynamographdeployments.nvidia.com.json"):
        assert p in files, p
    m = json.loads(files["manifest.json"])
    assert m["collector"] == "collect-bundle.sh" and m["collector_version"] == "0.1.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m["collected_at"])
    assert (m["context"], m["server_version"]) == ("prod", "v1.30.5")
    assert m["namespaces"] == ["ml", "hami-system"] and m["hami_namespace"] == "hami-system"
    assert m["options"]["since"] == "2h" and m["options"]["namespaces"] == ["ml"]
    for c in m["commands"]:
        assert set(c) == {"source", "namespace", "argv", "exit_code", "bytes", "duration_ms", "stderr", "path"}
        assert c["argv"][0] == "kubectl" and "--request-timeout=60s" in c["argv"] and "--context=prod" in c["argv"]
        if c["path"]:
            assert c["path"] in files and c["bytes"] == len(files[c["path"]])
    logs = [c for c in m["commands"] if c["source"] in ("log", "previous_log")]
    assert logs and all("--timestamps" in c["argv"] and "--since=2h" in c["argv"] for c in logs)
    # the container restarted (restartCount 2): its previous log is asked for, with --previous
    assert [c["argv"][-1] for c in logs if c["source"] == "previous_log" and c["namespace"] == "ml"] == ["--previous"]
    # the metrics port is the Dynamo system port, through the API server's pod proxy
    scrape = next(c for c in m["commands"] if c["source"] == "metrics")
    assert scrape["argv"][-1] == "/api/v1/namespaces/ml/pods/vllm-0:9090/proxy/metrics"


def test_default_namespaces_are_discovered(tmp_path: Path) -> None:
    proc, out = run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    m = json.loads(members(out)["manifest.json"])
    # GPU pods (ml), DynamoGraphDeployments (dynamo-ns), HAMi (hami-system); not the CPU-only "other"
    assert sorted(m["namespaces"]) == ["dynamo-ns", "hami-system", "ml"]
    assert m["options"]["namespace_mode"] == "discovered"


def test_forbidden_namespace_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    proc, out = run(tmp_path, "-n", "locked", "-n", "ml", env={"FAKE_FORBIDDEN_NS": "locked"})
    assert proc.returncode == 0, proc.stderr
    assert "pods (locked): exit 1: Error from server (Forbidden): pods is forbidden" in proc.stdout
    files = members(out)
    m = json.loads(files["manifest.json"])
    refused = [c for c in m["commands"] if c["namespace"] == "locked" and c["exit_code"] != 0
               and c["argv"][2:4] != ["auth", "can-i"]]
    assert {c["source"] for c in refused} >= {"pods", "events", "secrets", "deployments"}
    assert all("Forbidden" in c["stderr"] and c["path"] is None for c in refused)
    # the empty list kubectl prints on a refused -o json is not kept as if it were an answer
    assert not any(p.startswith("namespaces/locked/") for p in files)
    assert "namespaces/ml/pods.json" in files


def test_a_hanging_command_is_killed_by_the_timeout(tmp_path: Path) -> None:
    start = time.monotonic()
    proc, out = run(tmp_path, "-n", "ml", "--timeout", "2", env={"FAKE_HANG": "describe"})
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - start < 90
    m = json.loads(members(out)["manifest.json"])
    hung = next(c for c in m["commands"] if c["source"] == "nodes_describe")
    assert hung["exit_code"] == 124 and hung["stderr"].startswith("timed out after 2s")
    assert "nodes_describe: exit 124: timed out after 2s" in proc.stdout
    # and the run went on
    assert any(c["source"] == "pods" and c["namespace"] == "ml" and c["exit_code"] == 0 for c in m["commands"])


def test_timeout_without_coreutils_timeout(tmp_path: Path) -> None:
    proc, out = run(tmp_path, "-n", "ml", "--timeout", "2", env={"FAKE_HANG": "describe"}, without=("timeout",))
    assert proc.returncode == 0, proc.stderr
    m = json.loads(members(out)["manifest.json"])
    hung = next(c for c in m["commands"] if c["source"] == "nodes_describe")
    assert hung["exit_code"] == 124


def test_tokens_are_redacted_before_anything_is_written(tmp_path: Path) -> None:
    proc, out = run(tmp_path, "-n", "ml")
    assert proc.returncode == 0, proc.stderr
    blob = out.read_bytes()
    files = members(out)
    for token in PLANTED:
        assert not [p for p, data in files.items() if token.encode() in data], token
    assert b"Bearer REDACTED" in files["namespaces/ml/logs/vllm-0/main.log"]
    assert b'"value": "REDACTED"' in files["namespaces/ml/pods.json"]
    assert blob  # the archive itself was written


def test_max_log_bytes_keeps_the_last_whole_lines(tmp_path: Path) -> None:
    proc, out = run(tmp_path, "-n", "ml", "--max-log-bytes", "4000", env={"FAKE_LOG_LINES": "500"})
    assert proc.returncode == 0, proc.stderr
    log = members(out)["namespaces/ml/logs/vllm-0/main.log"].decode()
    assert 0 < len(log) <= 4000
    lines = log.splitlines()
    assert all(line.startswith("2026-11-20T10:") for line in lines)
    assert " line 500 " in lines[-1]
    calls = (tmp_path / "calls.txt").read_text()
    assert re.search(r"^logs -n ml vllm-0 -c main --timestamps --tail=\d+$", calls, re.M)


def test_all_namespaces(tmp_path: Path) -> None:
    proc, out = run(tmp_path, "-A", "--kubeconfig", str(tmp_path / "kc"))
    assert proc.returncode == 0, proc.stderr
    m = json.loads(members(out)["manifest.json"])
    assert m["namespaces"] == ["ml", "other", "hami-system"] and m["options"]["namespace_mode"] == "all"
    assert all(f"--kubeconfig={tmp_path / 'kc'}" in c["argv"] for c in m["commands"])


def test_nvidia_smi_in_gpu_pods_only_when_rbac_allows_exec(tmp_path: Path) -> None:
    proc, out = run(tmp_path, "-n", "ml", env={"FAKE_CAN_EXEC": "yes"})
    assert proc.returncode == 0, proc.stderr
    smi = members(out)["namespaces/ml/exec/vllm-0/main.txt"].decode()
    assert "NVIDIA-SMI 550.127.05" in smi
    denied_dir = tmp_path / "denied"
    denied_dir.mkdir()
    proc, out = run(denied_dir, "-n", "ml")
    assert not [p for p in members(out) if "/exec/" in p]
    # "no" from auth can-i is an answer, not a failure worth listing
    assert "exec (ml)" not in proc.stdout
    never = tmp_path / "never"
    never.mkdir()
    proc, out = run(never, "-n", "ml", "--no-exec", env={"FAKE_CAN_EXEC": "yes"})
    assert "auth can-i" not in (never / "calls.txt").read_text()


def test_helm_releases_when_helm_is_present(tmp_path: Path) -> None:
    helm_dir = tmp_path / "helm-bin"
    helm_dir.mkdir()
    helm = helm_dir / "helm"
    helm.write_text('#!/usr/bin/env bash\nprintf \'[{"name":"hami","namespace":"hami-system","chart":"hami-2.6.1",'
                    '"app_version":"2.6.1","status":"deployed"}]\\n\'\n')
    helm.chmod(0o755)
    proc, out = run(tmp_path, "-n", "ml", env={"PATH_PREFIX": str(helm_dir)})
    files = members(out)
    assert json.loads(files["cluster/helm-releases.json"])[0]["chart"] == "hami-2.6.1"
    m = json.loads(files["manifest.json"])
    assert next(c for c in m["commands"] if c["source"] == "helm_releases")["argv"][:4] == ["helm", "list", "-A", "-o"]


# ---------------------------------------------------------------------------------------------
# GPU nodes: kernel log, nvidia-smi -q and DCGM exporter per node (fake_kubectl.sh: gpu-1 and
# gpu-2 run a driver pod and a DCGM exporter; gpu-3 and gpu-4 have GPUs but no running driver pod)


def _commands(files: dict[str, bytes], source: str) -> list[dict]:
    return [c for c in json.loads(files["manifest.json"])["commands"] if c["source"] == source]


def test_gpu_node_evidence_through_the_driver_pods(tmp_path: Path) -> None:
    proc, out = run(tmp_path, "-n", "ml", env={"FAKE_CAN_EXEC": "yes", "FAKE_EXEC_FAIL": "gpu-2"})
    assert proc.returncode == 0, proc.stderr
    files = members(out)
    kernel = files["nodes/gpu-1/kernel.log"].decode()
    assert "NVRM: Xid (PCI:0000:3b:00): 79" in kernel
    assert "Driver Version                            : 550.127.05" in files["nodes/gpu-1/nvidia-smi-q.txt"].decode()
    # the driver pod is found by both GPU Operator labels but read once, from its driver container
    runs = [c for c in _commands(files, "node_kernel_log") if "nvidia-driver-daemonset-8xk2p" in c["argv"]]
    assert len(runs) == 1
    argv = runs[0]["argv"]
    assert argv[argv.index("exec"):argv.index("--")] == ["exec", "-n", "gpu-operator", "nvidia-driver-daemonset-8xk2p",
                                                         "-c", "nvidia-driver-ctr"]
    assert argv[argv.index("--") + 1:] == ["sh", "-c", "dmesg -T 2>/dev/null || dmesg"]
    assert runs[0]["path"] == "nodes/gpu-1/kernel.log" and runs[0]["namespace"] == "gpu-operator"
    # the node whose kubelet cannot be reached: both commands recorded as failed, no file, run goes on
    failed = [c for c in _commands(files, "node_kernel_log") + _commands(files, "node_nvidia_smi")
              if "nvidia-driver-daemonset-q7wzt" in c["argv"]]
    assert len(failed) == 2
    assert all(c["exit_code"] == 1 and c["path"] is None and "error dialing backend" in c["stderr"] for c in failed)
    assert "node_kernel_log (gpu-operator): exit 1: Error from server: error dialing backend" in proc.stdout
    assert not [p for p in files if p.startswith("nodes/gpu-2/") and not p.endswith("dcgm-exporter.prom")]
    # the driver pod that is not running is not exec'd into; without --node-debug nothing else is tried
    calls = (tmp_path / "calls.txt").read_text()
    assert "nvidia-driver-daemonset-m4v9c" not in calls and "debug node/" not in calls
    assert "namespaces/ml/pods.json" in files and "namespaces/ml/logs/vllm-0/main.log" in files


def test_dcgm_exporters_are_scraped_per_node_once(tmp_path: Path) -> None:
    proc, out = run(tmp_path, "-n", "ml", "-n", "gpu-operator")
    assert proc.returncode == 0, proc.stderr
    files = members(out)
    for node, pod in (("gpu-1", "nvidia-dcgm-exporter-2kqhd"), ("gpu-2", "nvidia-dcgm-exporter-v8xrn")):
        assert b"DCGM_FI_DEV_XID_ERRORS" in files[f"nodes/{node}/dcgm-exporter.prom"]
        scrape = next(c for c in _commands(files, "node_dcgm_metrics") if c["path"] == f"nodes/{node}/dcgm-exporter.prom")
        assert scrape["argv"][-1] == f"/api/v1/namespaces/gpu-operator/pods/{pod}:9400/proxy/metrics"
    # the exporter is also a pod of a collected namespace: its /metrics are not fetched a second time
    calls = (tmp_path / "calls.txt").read_text()
    assert calls.count("pods/nvidia-dcgm-exporter-2kqhd:9400/proxy/metrics") == 1
    assert "namespaces/gpu-operator/logs/nvidia-dcgm-exporter-2kqhd/nvidia-dcgm-exporter.log" in files
    assert not [p for p in files if p.startswith("namespaces/gpu-operator/metrics/")]


def test_no_exec_into_driver_pods_without_rbac_or_with_no_exec(tmp_path: Path) -> None:
    proc, out = run(tmp_path, "-n", "ml")
    assert proc.returncode == 0, proc.stderr
    files = members(out)
    assert not [p for p in files if p.endswith(("kernel.log", "nvidia-smi-q.txt"))]
    asked = [c for c in _commands(files, "exec") if c["namespace"] == "gpu-operator"]
    assert len(asked) == 1 and "can-i" in asked[0]["argv"] and asked[0]["exit_code"] == 1
    assert "exec (gpu-operator)" not in proc.stdout  # "no" is an answer, not a failure
    assert "nodes/gpu-1/dcgm-exporter.prom" in files  # /metrics need no exec
    never = tmp_path / "never"
    never.mkdir()
    proc, out = run(never, "-n", "ml", "--no-exec", env={"FAKE_CAN_EXEC": "yes"})
    assert proc.returncode == 0, proc.stderr
    calls = (never / "calls.txt").read_text()
    assert "auth can-i" not in calls and "exec -n" not in calls


def test_node_debug_reads_gpu_nodes_without_a_driver_pod_and_deletes_its_pods(tmp_path: Path) -> None:
    proc, out = run(tmp_path, "-n", "ml", "--node-debug", "--node-debug-image", "registry.local/busybox:1.36",
                    "--node-debug-namespace", "support", env={"FAKE_CAN_EXEC": "yes"})
    assert proc.returncode == 0, proc.stderr
    files = members(out)
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    created = [c for c in calls if c.startswith("debug node/")]
    # gpu-3 (no driver pod) and gpu-4 (driver pod not running); not the driver-pod nodes, not cpu-1
    assert sorted(c.split()[1] for c in created) == ["node/gpu-3", "node/gpu-4"]
    assert all(" -n support --image=registry.local/busybox:1.36 --profile=sysadmin -- sleep " in c for c in created)
    for node in ("gpu-3", "gpu-4"):
        pod = next(c.split()[4] for c in calls if c.startswith("wait -n support") and f"node-debugger-{node}-" in c)
        pod = pod.removeprefix("pod/")
        assert f"delete pod -n support {pod} --wait=false" in calls
        kernel = files[f"nodes/{node}/kernel.log"].decode()
        assert f"{node} kernel: NVRM: Xid (PCI:0000:c1:00): 48" in kernel
        run_ = next(c for c in _commands(files, "node_kernel_log") if c["path"] == f"nodes/{node}/kernel.log")
        assert run_["argv"][run_["argv"].index("--") + 1:][:4] == ["chroot", "/host", "sh", "-c"]
        assert run_["argv"][-1].startswith("journalctl -k -o short-iso --no-pager -n ")
        assert f"nodes/{node}/nvidia-smi-q.txt" in files
    m = json.loads(files["manifest.json"])
    assert (m["options"]["node_debug"], m["options"]["node_debug_image"], m["options"]["node_debug_namespace"]) == (
        True, "registry.local/busybox:1.36", "support")
    assert all(c["exit_code"] == 0 for c in _commands(files, "node_debug"))


def test_a_refused_kubectl_debug_is_recorded_once_and_the_run_goes_on(tmp_path: Path) -> None:
    proc, out = run(tmp_path, "-n", "ml", "--node-debug", env={"FAKE_CAN_EXEC": "yes", "FAKE_DEBUG": "fail"})
    assert proc.returncode == 0, proc.stderr
    files = members(out)
    debug = _commands(files, "node_debug")
    assert len(debug) == 1 and debug[0]["exit_code"] == 1 and "Forbidden" in debug[0]["stderr"]
    assert "node_debug (default): exit 1: Error from server (Forbidden): pods is forbidden" in proc.stdout
    assert "the other 1 node(s) are skipped" in proc.stderr
    assert not [p for p in files if p.startswith(("nodes/gpu-3/", "nodes/gpu-4/"))]
    assert "nodes/gpu-1/kernel.log" in files and "namespaces/ml/pods.json" in files


def test_node_debug_needs_exec(tmp_path: Path) -> None:
    proc = subprocess.run(["bash", str(SCRIPT), "--node-debug", "--no-exec"], capture_output=True, text=True)
    assert proc.returncode == 2 and "--node-debug" in proc.stderr and "--no-exec" in proc.stderr


def test_an_interrupted_run_deletes_its_debug_pod(tmp_path: Path) -> None:
    bindir = _bin(tmp_path)
    calls = tmp_path / "calls.txt"
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path), "FAKE_CALLS": str(calls),
           "FAKE_CAN_EXEC": "yes", "FAKE_HANG": "wait"}
    proc = subprocess.Popen(["bash", str(SCRIPT), "-o", str(tmp_path / "b.tar.gz"), "-n", "ml", "--node-debug",
                             "--timeout", "3"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (calls.exists() and "wait -n default" in calls.read_text()):
        time.sleep(0.1)
    proc.terminate()
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    text = calls.read_text()
    pod = next(line.split()[4].removeprefix("pod/") for line in text.splitlines() if line.startswith("wait -n default"))
    assert f"delete pod -n default {pod} --wait=false" in text
    assert not (tmp_path / "b.tar.gz").exists()
