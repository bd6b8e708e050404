"""Logical lines: messages split over physical lines are read whole, wrappers and structure are not.

Each example has the shape of a real paste (tests/fixtures/realworld_dev names the thread it comes
from) or of what the program prints; each test fails when its class of join (or of non-join)
breaks.
"""

from __future__ import annotations

import polars as pl
import pytest

from analyzer.parse.logical import logical_message, logical_rows, record_message, unescaped_rows


def _rows(text: str, path: str = "paste.txt", first: int = 1) -> pl.DataFrame:
    lines = text.split("\n")
    return pl.DataFrame({"path": [path] * len(lines), "line": list(range(first, first + len(lines))), "text": lines},
                        schema={"path": pl.Utf8, "line": pl.UInt32, "text": pl.Utf8})


def _logical(text: str) -> list[tuple[int, int, str]]:
    out, tail = logical_rows(_rows(text))
    assert tail.is_empty()
    return [(r["line"], r["end_line"], r["text"]) for r in out.iter_rows(named=True)]


def _joined(text: str) -> list[tuple[int, int, str]]:
    return [r for r in _logical(text) if r[1] > r[0]]


# ---------------------------------------------------------------------------------------------
# wrapped: hanging indent (NGC banners, Rich console columns, argparse usage, describe values)

NGC_BANNER = """\
ERROR: This container was built for NVIDIA Driver Release 450.36 or later, but
       version 440.100 was detected and compatibility mode is UNAVAILABLE.

       [[CUDA Driver UNAVAILABLE (cuInit(0) returned 804)]]
"""

RICH_COLUMN = (
    '18:57:53-195282 ERROR    Load model: repo="black-forest-labs/FLUX.1-dev" login=True 401 Client Error. (Request ID:  \n'
    "                         Root=1-687696a1-3f66c2915b2296982727aed2;b08e9476-dba2-42d6-b24a-18232fe32042)             \n"
    + " " * 116 + "\n"
    "                         Cannot access gated repo for url                                                           \n"
    "                         https://huggingface.co/api/models/black-forest-labs/FLUX.1-dev/auth-check.                 \n"
    "                         Access to model black-forest-labs/FLUX.1-dev is restricted. You must have access to it and \n"
    "                         be authenticated to access it. Please log in.                                              \n"
    "18:57:54-001122 INFO     Next record")


def test_ngc_banner_continued_under_its_first_word_is_one_message():
    (first, end, text), = _joined(NGC_BANNER)
    assert (first, end) == (1, 2)
    assert text == ("ERROR: This container was built for NVIDIA Driver Release 450.36 or later, but version "
                    "440.100 was detected and compatibility mode is UNAVAILABLE.")


def test_rich_console_column_with_padded_blank_rows_is_one_message():
    (first, end, text), = _joined(RICH_COLUMN)
    assert (first, end) == (1, 7)
    assert "(Request ID: Root=1-687696a1" in text
    assert ("Cannot access gated repo for url https://huggingface.co/api/models/black-forest-labs/FLUX.1-dev/auth-check. "
            "Access to model") in text
    assert text.endswith("be authenticated to access it. Please log in.")


def test_journalctl_continuation_aligned_under_the_message_is_joined():
    text = ("Aug 03 09:20:17.589552 gpu-1 nvidia-persistenced[1200]: Failed to open libnvidia-cfg.so: cannot\n"
            "                                                        open shared object file: No such file or directory\n"
            "Aug 03 09:20:18.000000 gpu-1 systemd[1]: nvidia-persistenced.service: Failed with result 'exit-code'.")
    (first, end, joined), = _joined(text)
    assert (first, end) == (1, 2)
    assert joined.endswith("libnvidia-cfg.so: cannot open shared object file: No such file or directory")


# ---------------------------------------------------------------------------------------------
# wrapped: a terminal's hard wrap of prefixed lines (the wrapped part lost the prefix)

KV_WRAP = """\
(EngineCore pid=316)   File "/opt/venv/lib/python3.12/site-packages/vllm/v1/core/kv_cache_utils.py", line 758, in _chec
k_enough_kv_cache_memory
(EngineCore pid=316)     raise ValueError(
(EngineCore pid=316) ValueError: To serve at least one request with the model's max seq len (100000), (4.26 GiB KV cach
e is needed, which is larger than the available KV cache memory (4.25 GiB). Based on the avai
(EngineCore pid=316) ERROR 11-20 10:00:01 [core.py:708] EngineCore failed to start."""


def test_terminal_wrap_mid_word_is_joined_without_a_space():
    joined = _joined(KV_WRAP)
    assert [(a, b) for a, b, _ in joined] == [(1, 2), (4, 5)]
    assert joined[0][2].endswith("in _check_enough_kv_cache_memory")
    assert "(4.26 GiB KV cache is needed, which is larger than the available KV cache memory (4.25 GiB)" in joined[1][2]


def test_unprefixed_record_after_prefixed_lines_is_not_a_wrap():
    text = ("(RayWorkerWrapper pid=2271, ip=10.0.0.2) ERROR 08-06 21:18:16 [worker_base.py:620] Error executing method 'init_device'.\n"
            "INFO 08-06 21:18:17 [api_server.py:91] driver line\n"
            "(RayWorkerWrapper pid=2271, ip=10.0.0.2) Traceback (most recent call last):\n"
            "Traceback (most recent call last):")
    assert _joined(text) == []


# ---------------------------------------------------------------------------------------------
# wrapped: YAML scalars (go-yaml folds long strings; folded >- and literal |- blocks)

YAML_STATUS = """\
  containerStatuses:
  - containerID: containerd://4f2a
    lastState:
      terminated:
        exitCode: 1
        message: >-
          CUDA error: no kernel image is available for execution on the device
          (compile with TORCH_USE_CUDA_DSA to enable device-side assertions)
        reason: Error
    state:
      waiting:
        message: 'Back-off pulling image "nvcr.io/nvidia/tritonserver:24.01-py3": ErrImagePull:
          failed to pull and unpack image'
        reason: ImagePullBackOff"""


def test_yaml_folded_and_plain_multiline_scalars_are_one_message():
    joined = _joined(YAML_STATUS)
    assert [(a, b) for a, b, _ in joined] == [(6, 8), (12, 13)]
    assert joined[0][2] == ("        message: >- CUDA error: no kernel image is available for execution on the device "
                            "(compile with TORCH_USE_CUDA_DSA to enable device-side assertions)")
    assert joined[1][2].endswith("ErrImagePull: failed to pull and unpack image'")


# ---------------------------------------------------------------------------------------------
# wrapped: a table cell (Triton's model status table) and a k9s pane row

TRITON_TABLE = """\
+------------------+---------+---------------------------------------------------+
| Model            | Version | Status                                            |
+------------------+---------+---------------------------------------------------+
| preprocessing    | 1       | READY                                             |
| tensorrt_llm     | 1       | UNAVAILABLE: Internal: Failed to deserialize cuda |
|                  |         |  engine (/tmp/tritonbuild/tensorrtllm/runtime/tll |
|                  |         | mRuntime.cpp:72)                                  |
|                  |         | 1       0x7fb1fc2614ba tensorrt_llm::common::thro |
+------------------+---------+---------------------------------------------------+"""


def test_table_cell_wrapped_over_rows_is_one_message():
    (first, end, text), = _joined(TRITON_TABLE)
    assert (first, end) == (5, 8)
    # a full cell goes on without a space, a short one (a line break in the message) with one
    assert "Failed to deserialize cuda engine (/tmp/tritonbuild/tensorrtllm/runtime/tllmRuntime.cpp:72) 1       0x7fb1" in text


K9S_EVENTS = (
    "\u2502   Normal   Pulling    102s (x4 over 3m9s)  kubelet            Pulling image \"pf/kubelet-csr-approver:0.1.0\"       \u2502\n"
    "\u2502   Warning  Failed     101s (x4 over 3m7s)  kubelet            Failed to pull image \"pf/kubelet-csr-approver:0.1.0\": rpc error: code = Unknown desc = Error response from \u2502\n"
    "\u2502  daemon: pull access denied for pf/kubelet-csr-approver, repository does not exist or may require 'docker login'      \u2502\n"
    "\u2502   Warning  Failed     101s (x4 over 3m7s)  kubelet            Error: ErrImagePull                                    \u2502")


def test_k9s_row_that_runs_into_the_border_goes_on_in_the_next_row():
    (first, end, text), = _joined(K9S_EVENTS)
    assert (first, end) == (2, 3)
    assert "Error response from daemon: pull access denied for pf/kubelet-csr-approver, repository does not exist" in text
    assert "\u2502" not in text[5:]


def test_indented_cause_under_an_error_is_joined():
    text = "\u2502 error: Failed to spawn: `dynamo`                        \u2502\n\u2502   Caused by: No such file or directory (os error 2)"
    (first, end, joined), = _joined(text)
    assert joined == "\u2502 error: Failed to spawn: `dynamo` Caused by: No such file or directory (os error 2)"


# ---------------------------------------------------------------------------------------------
# structure that must stay line by line

@pytest.mark.parametrize("text", [
    # a Python traceback: frames, code, ^^^ markers
    ('Traceback (most recent call last):\n  File "/app/server.py", line 88, in predict\n    out = model(batch)\n'
     "          ^^^^^^^^^^^^\nRuntimeError: CUDA out of memory."),
    # nvidia-smi -q
    ("GPU 00000000:3B:00.0\n    Product Name                          : NVIDIA A100-SXM4-80GB\n"
     "    Retired Pages\n        Single Bit ECC                    : 0\n        Pending Page Blacklist            : Yes"),
    # describe nested keys and a Conditions table pasted without its header
    ("    State:          Waiting\n      Reason:       CrashLoopBackOff\n    Last State:     Terminated\n      Reason:       OOMKilled"),
    ("Name:               etkhub\nRoles:              master\n"
     "  Type             Status  LastHeartbeatTime                 Reason                       Message\n"
     "  ----             ------  -----------------                 ------                       -------\n"
     "  Ready            False   Mon, 03 Jun 2019 13:54:18 +0000   KubeletNotReady              PLEG is not healthy"),
    # pretty-printed JSON
    '{\n  "sharing": {\n    "timeSlicing": {\n      "renameByDefault": false\n    }\n  }\n}',
    # a log level word is not a YAML key; an event row is its own line
    ('2025-11-20T09:00:21.750157394Z INFO:     10.244.51.168:34132 - "POST /v1/chat/completions HTTP/1.1" 200 OK\n'
     "2025-11-20T09:00:21.752012738Z   FailedScheduling\tNo nodes are available that match all of the following predicates"),
    # command line help: each flag row is its own
    ("  -v, --v Level                          number for the log level verbosity\n"
     "      --vmodule moduleSpec               comma-separated list of pattern=N settings"),
    # journalctl's own lines after a long record
    ("Aug 03 09:17:07.570604 ip-10-0-195-177 systemd[1]: machine-config-daemon-firstboot.service: Consumed 15.203s CPU time\n"
     "-- Logs begin at Tue 2021-08-03 09:10:29 UTC, end at Tue 2021-08-03 10:13:48 UTC. --\n-- No entries --"),
    # klog lines under kubectl timestamps
    ('2026-11-20T09:58:02.5Z E1120 09:58:02.123456       1 scheduler.go:412] "Error scheduling pod"\n'
     '2026-11-20T09:58:03.5Z I1120 09:58:03.123456       1 scheduler.go:412] "ok"'),
], ids=["traceback", "nvidia-smi-q", "describe-keys", "conditions-table", "json", "level-word", "flags",
        "journalctl-meta", "klog"])
def test_structure_is_not_joined(text):
    assert _joined(text) == []


def test_a_file_never_continues_the_one_before_it():
    a = _rows("ERROR: This container was built for NVIDIA Driver Release 450.36 or later, but", path="a.txt")
    b = _rows("       version 440.100 was detected and compatibility mode is UNAVAILABLE.", path="b.txt")
    out, _ = logical_rows(pl.concat([a, b]))
    assert out.height == 2


def test_the_open_message_at_the_end_of_a_batch_is_held_back():
    rows = _rows(NGC_BANNER.split("\n\n")[0])
    out, tail = logical_rows(rows.slice(0, 1), final=False)
    assert out.is_empty() and tail.height == 1
    out, tail = logical_rows(pl.concat([tail, rows.slice(1)]), final=True)
    assert out.get_column("end_line").to_list() == [2]


def test_lines_that_join_nothing_keep_their_text():
    text = "2026-11-20T09:58:02.5Z INFO ready\nplain line\n"
    out, _ = logical_rows(_rows(text))
    assert out.get_column("text").to_list() == text.split("\n")
    assert out.get_column("end_line").to_list() == out.get_column("line").to_list()


# ---------------------------------------------------------------------------------------------
# structured records: quotes unescaped, message and error fields

ZAP = ('{"level":"error","ts":1640666407.3959372,"logger":"controller.predictor","msg":"Reconciler error",'
       '"name":"example-sklearn-isvc","error":"failed to fetch CR: InferenceService.serving.kserve.io \\"example-sklearn-isvc\\" not found",'
       '"stacktrace":"sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller).reconcileHandler\\n\\t/go/pkg/mod/controller.go:266"}')
CONTAINERD = ('time="2024-01-15T10:30:00.123456789Z" level=error msg="PullImage \\"nvcr.io/nvidia/k8s-device-plugin:v0.14.1\\" '
              'failed" error="rpc error: code = NotFound desc = failed to resolve reference \\"nvcr.io/nvidia/k8s-device-plugin:v0.14.1\\": not found"')
KLOG = ('E0803 09:20:17.589529    1359 kubelet.go:2303] "Error getting node" err="node \\"ip-10-0-189-142.ec2.internal\\" not found"')
PROMPT = "INFO 11-20 09:00:49 [logger.py:43] Received request chatcmpl-7f: prompt: '<|im_start|>user\\nSummarise the incident'"


def test_structured_records_are_also_read_unescaped():
    rows = _rows("\n".join([ZAP, CONTAINERD, KLOG, PROMPT, "no escapes here"]))
    got = unescaped_rows(rows)
    assert got.get_column("line").to_list() == [1, 2, 3]   # a Python repr of a prompt is not a record
    zap, ctrd, klog = got.get_column("text").to_list()
    assert 'InferenceService.serving.kserve.io "example-sklearn-isvc" not found' in zap
    assert "reconcileHandler  /go/pkg/mod/controller.go:266" in zap
    assert 'msg="PullImage "nvcr.io/nvidia/k8s-device-plugin:v0.14.1" failed"' in ctrd
    assert 'err="node "ip-10-0-189-142.ec2.internal" not found"' in klog


def test_record_message_is_the_message_and_its_error():
    got = record_message(pl.Series([ZAP, CONTAINERD, KLOG, "plain"])).to_list()
    assert got[0] == ('Reconciler error: failed to fetch CR: InferenceService.serving.kserve.io '
                      '"example-sklearn-isvc" not found')
    assert got[1] == ('PullImage "nvcr.io/nvidia/k8s-device-plugin:v0.14.1" failed: rpc error: code = NotFound desc = '
                      'failed to resolve reference "nvcr.io/nvidia/k8s-device-plugin:v0.14.1": not found')
    assert got[2] == 'node "ip-10-0-189-142.ec2.internal" not found'
    assert got[3] is None


def _streamed(rows: pl.DataFrame, size: int) -> pl.DataFrame:
    """The logical rows as the matcher streams them: batches of ``size`` rows, the open message of
    each batch held back and read again with the next."""
    out, pending = [], None
    for start in range(0, rows.height, size):
        batch = rows.slice(start, size)
        if pending is not None:
            batch = pl.concat([pending, batch])
        got, pending = logical_rows(batch, final=False)
        out.append(got)
    got, _ = logical_rows(pending, final=True)
    out.append(got)
    return pl.concat(out)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_wherever_batches_cut_the_logical_lines_are_the_same(size):
    text = "\n".join([NGC_BANNER, RICH_COLUMN, KV_WRAP, YAML_STATUS, TRITON_TABLE, K9S_EVENTS,
                      "\u2502 error: Failed to spawn: `dynamo`                        \u2502",
                      "\u2502   Caused by: No such file or directory (os error 2)"])
    rows = _rows(text)
    whole, _ = logical_rows(rows)
    assert whole.height < rows.height - 15
    assert _streamed(rows, size).equals(whole)


def test_logical_message_drops_wrappers_and_reads_records():
    got = logical_message(pl.Series([
        "2025-11-20T09:00:21.750157394Z vllm-1  | INFO 11-20 10:00:01 [api_server.py:1090] Starting vLLM API server",
        "\u2502 error: Failed to spawn: `dynamo`                        \u2502",
        "Aug 03 09:20:17.589552 ip-10-0-189-142 hyperkube[1359]: E0803 09:20:17.589529    1359 kubelet.go:2303] \"Error getting node\"",
        "[rank0]: torch.distributed.DistBackendError: NCCL error in: ProcessGroupNCCL.cpp:1970, unhandled system error",
        ZAP, '"message":"huggingface_hub.utils._errors.HfHubHTTPError: 504 Server Error: Gateway Time-out"'])).to_list()
    assert got[0] == "INFO 11-20 10:00:01 [api_server.py:1090] Starting vLLM API server"
    assert got[1] == "error: Failed to spawn: `dynamo`"
    assert got[2].startswith("E0803 09:20:17.589529")
    assert got[3].startswith("torch.distributed.DistBackendError: NCCL error")
    assert got[4].startswith('Reconciler error: failed to fetch CR: InferenceService.serving.kserve.io "example-sklearn-isvc"')
    assert got[5] == "huggingface_hub.utils._errors.HfHubHTTPError: 504 Server Error: Gateway Time-out"
