"""Shared by the serve tests: where the sample bundles are, and kubectl pointed at a server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from testkit.samples import ROOT as REPO
from testkit.samples import SAMPLES
from testkit.samples import collector_samples as sample_bundles

__all__ = ["REPO", "SAMPLES", "Kube", "sample_bundles"]


class Kube:
    """kubectl pointed at a running `serve`, with its own kubeconfig and discovery cache."""

    def __init__(self, kubeconfig: Path, cache: Path):
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig), "KUBECACHEDIR": str(cache)}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(["kubectl", *args], env=self.env, capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        return proc

    def __call__(self, *args: str) -> str:
        return self.run(*args).stdout
