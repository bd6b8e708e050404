"""The failure classes of issue 14, end to end: a real-shaped paste of each (the versions and
wrappers the upstream projects print) is answered with its class as the top root cause. The
texts are written for these tests in the upstream wording; none is a development-set fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.library import load_library
from analyzer.pipeline import analyze_path

LIBRARY = load_library()

CASES = {
    # NGC container banner, wrapped over two lines by the entrypoint script itself
    "ngc-driver-too-old": ("""
=============================
== Triton Inference Server ==
=============================

NVIDIA Release 24.08 (build 107631419)
Triton Server Version 2.49.0

ERROR: This container was built for NVIDIA Driver Release 560.35 or later, but
       version 535.183.01 was detected and compatibility mode is UNAVAILABLE.

       [[CUDA Driver UNAVAILABLE (cuInit(0) returned 804)]]

I0912 07:21:10.103021 1 pinned_memory_manager.cc:277] "Pinned memory pool is created at '0x7f2a10000000' with size 268435456"
""", "gpu.driver_mismatch"),
    "ngc-driver-not-detected": ("""
NVIDIA Release 24.01 (build 80100513)
WARNING: The NVIDIA Driver was not detected.  GPU functionality will not be available.
   Use the NVIDIA Container Toolkit to start this container with GPU support; see
   https://docs.nvidia.com/datacenter/cloud-native/ .
I0301 10:00:00.000000 1 server.cc:604] Waiting for in-flight requests to complete.
""", "gpu.not_visible"),
    # a local path that does not exist: the hub client rejects it as a repo id
    "local-path-as-repo-id": ("""
Traceback (most recent call last):
  File "/usr/local/lib/python3.10/dist-packages/transformers/utils/hub.py", line 398, in cached_file
    resolved_file = hf_hub_download(
  File "/usr/local/lib/python3.10/dist-packages/huggingface_hub/utils/_validators.py", line 106, in _inner_fn
    validate_repo_id(arg_value)
  File "/usr/local/lib/python3.10/dist-packages/huggingface_hub/utils/_validators.py", line 154, in validate_repo_id
    raise HFValidationError(
huggingface_hub.utils._validators.HFValidationError: Repo id must be in the form 'repo_name' or 'namespace/repo_name': '/mnt/weights/llama-3.1-8b-instruct'. Use `repo_type` argument if needed.
""", "runtime.model_file_missing"),
    # HAMi before it was HAMi: the webhook was vgpu.4pd.io
    "hami-old-webhook-name": ("""
Warning  FailedCreate  2m (x14 over 9m)  replicaset-controller  Error creating: Internal error occurred: failed calling webhook "vgpu.4pd.io": Post "https://vgpu-scheduler.kube-system.svc:443/webhook?timeout=10s": dial tcp 10.96.200.12:443: connect: connection refused
""", "hami.webhook_not_applied"),
    # older HAMi-core (4pdvGPU) in a workload that lost its GPU
    "hami-core-nvml-unknown": ("""
root@infer-0:/# nvidia-smi
[4pdvGPU Warn(17:140213886547776:util.c:135)]: NVML error at line 135: 999
Failed to initialize NVML: Unknown Error
""", "gpu.not_visible"),
    # a Go panic of the device plugin with its error chain
    "device-plugin-panic": ("""
2023/04/02 09:12:44 Starting FS watcher.
2023/04/02 09:12:44 Starting OS watcher.
2023/04/02 09:12:44 Retreiving plugins.
panic: Unable to load resource managers to manage plugin devices: error building device map: error building device map from config.resources: error building GPU device map: error getting device handle for index '3': Unknown Error

goroutine 1 [running]:
main.(*migStrategyNone).GetPlugins(0xc000121318)
	/build/cmd/nvidia-device-plugin/mig-strategy.go:57 +0x1a5
main.startPlugins(0xc0000f9c58?, {0xc0001d6460, 0x9, 0xe}, 0x9?)
	/build/cmd/nvidia-device-plugin/main.go:247 +0x4bd
""", "gpu.device_plugin"),
    # a model-serving operator that panics in its reconciler (one is enough)
    "serving-operator-panic": ("""
{"level":"error","ts":"2025-11-03T08:01:02Z","msg":"Observed a panic","controller":"servingruntime","controllerGroup":"serving.kserve.io","controllerKind":"ServingRuntime","ServingRuntime":{"name":"vllm-runtime","namespace":"ml"},"namespace":"ml","name":"vllm-runtime","reconcileID":"0c1e","panic":"runtime error: index out of range [0] with length 0","panicGoValue":"runtime.boundsError{x:0, y:0, signed:true, code:0x0}"}
""", "operator.reconcile_error"),
    # a pull refused as containerd words it (no repository name in the sentence)
    "containerd-pull-refused": ("""
Warning  Failed  31s (x3 over 75s)  kubelet  Failed to pull image "registry.internal/ml/embedder:1.4": failed to pull and unpack image "registry.internal/ml/embedder:1.4": failed to resolve reference "registry.internal/ml/embedder:1.4": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed
Warning  Failed  31s (x3 over 75s)  kubelet  Error: ErrImagePull
""", "image.pull_auth"),
    # an inference server reporting a missing backend library
    "triton-backend-missing": ("""
I0702 12:00:01.000000 1 model_lifecycle.cc:469] "loading: reranker:1"
E0702 12:00:01.100000 1 model_lifecycle.cc:654] "failed to load 'reranker' version 1: Invalid argument: unable to find backend library for backend 'pytorch', try specifying runtime on the model configuration."
""", "image.backend_missing"),
    # the host's NVIDIA runtime binary is missing: not the container's command
    "nvidia-runtime-binary-missing": ("""
docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: unable to retrieve OCI runtime error (open /run/containerd/io.containerd.runtime.v2.task/moby/9b1c/log.json: no such file or directory): exec: "nvidia-container-runtime": executable file not found in $PATH: unknown.
""", "gpu.device_plugin"),
    # the kubelet had no free GPU left when it admitted the pod
    "admission-no-free-gpu": ("""
Status:         Failed
Reason:         UnexpectedAdmissionError
Message:        Pod was rejected: Allocate failed due to requested number of devices unavailable for nvidia.com/gpu. Requested: 2, Available: 1, which is unexpected
""", "scheduling.insufficient_gpu"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_class_is_the_top_root_cause(tmp_path: Path, name: str) -> None:
    text, category = CASES[name]
    path = tmp_path / f"{name}.txt"
    path.write_text(text.lstrip("\n"))
    with analyze_path(str(path), LIBRARY) as a:
        roots = json.loads(json.dumps(a.result["root_causes"]))
    assert roots, f"{name}: no root cause"
    assert roots[0]["category"] == category, [(r["category"], r["pattern"]) for r in roots]
    assert roots[0]["inferred"] is False, "a known class is named by a pattern, not inferred"


def test_the_hub_lookup_retry_of_a_local_model_is_no_alarm(tmp_path: Path) -> None:
    """vLLM asks the hub for safetensors metadata of a local model, logs the validator's message
    at ERROR and goes on: not the raised HFValidationError of a missing path."""
    path = tmp_path / "local.txt"
    path.write_text(
        "(APIServer pid=88) ERROR 03-04 09:00:01 [repo_utils.py:47] Error retrieving safetensors: Repo id must be "
        "in the form 'repo_name' or 'namespace/repo_name': '/srv/models/Qwen3-4B'. Use `repo_type` argument if "
        "needed., retrying 1 of 2\n"
        "(APIServer pid=88) INFO 03-04 09:00:09 [api_server.py:1880] Starting vLLM API server 0 on http://0.0.0.0:8000\n")
    with analyze_path(str(path), LIBRARY) as a:
        roots = a.result["root_causes"]
    assert not [r for r in roots if r["severity"] in ("error", "critical")]
