"""`bundle-analyzer serve` as a user runs it: --port 0 prints the port, the kubeconfig works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from serve_helpers import REPO
from testkit.tools import need


def test_serve_command_prints_port_and_writes_a_working_kubeconfig(mini_bundle: Path, tmp_path: Path) -> None:
    need("kubectl")
    kubeconfig = tmp_path / "bundle.kubeconfig"
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", "serve", str(mini_bundle), "--port", "0",
                             "--kubeconfig", str(kubeconfig)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("export KUBECONFIG="):
                break
        port = next(int(ln.split()[1]) for ln in lines if ln.startswith("Port: "))
        assert port > 0
        assert f"read-only on http://127.0.0.1:{port}" in lines[0]
        assert lines[-1].strip() == f"export KUBECONFIG={kubeconfig}"
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "KUBECACHEDIR": str(tmp_path / "cache")}
        # the context starts in the bundle's first namespace with pods
        out = subprocess.run(["kubectl", "get", "pods"], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "qwen-vllmdecodeworker-7d9f8-abcde" in out.stdout and "CrashLoopBackOff" in out.stdout
        ctx = subprocess.run(["kubectl", "config", "current-context"], env=env, capture_output=True, text=True)
        assert ctx.stdout.strip() == "prod-gpu"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_refuses_a_missing_bundle(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "analyzer", "serve", str(tmp_path / "nope")], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "no such file or directory" in proc.stderr
