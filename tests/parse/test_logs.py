"""Log lines: formats, timestamps, levels, and tracebacks attached to the record that began them."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import polars as pl
import pytest

from analyzer.parse.logs import iter_line_blocks, log_frames

VLLM_OOM = """\
2026-11-20T09:59:10.112233445Z INFO 11-20 09:59:10 [model_runner.py:1025] Loading model weights took 15.2683 GB
2026-11-20T09:59:11.000000001Z (EngineCore_DP0 pid=312) ERROR 11-20 09:59:11 [core.py:708] EngineCore failed to start.
2026-11-20T09:59:11.000000002Z (EngineCore_DP0 pid=312) Traceback (most recent call last):
2026-11-20T09:59:11.000000003Z (EngineCore_DP0 pid=312)   File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 699, in run_engine_core
2026-11-20T09:59:11.000000004Z (EngineCore_DP0 pid=312)     engine_core = EngineCoreProc(*args, **kwargs)
2026-11-20T09:59:11.000000005Z (EngineCore_DP0 pid=312) torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.76 GiB. GPU 0 has a total capacity of 79.19 GiB of which 1.05 GiB is free.
"""

PLAIN_TRACEBACK = """\
2024-01-15 10:30:05,456 - model_server - ERROR - Prediction failed
Traceback (most recent call last):
  File "/app/server.py", line 88, in predict
    out = model(batch)
RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 15.78 GiB total capacity; 14.21 GiB already allocated)
2024-01-15 10:30:06,001 - model_server - INFO - Request completed
Traceback (most recent call last):
  File "/app/loader.py", line 3, in <module>
FileNotFoundError: [Errno 2] No such file or directory: '/models/resnet50/config.json'
"""


def _frame(text: str, year: int | None = 2026) -> pl.DataFrame:
    errors: list[str] = []
    frames = list(log_frames(io.BytesIO(text.encode()), {"path": "p", "pod": "x"}, 1 << 20, year, errors))
    return pl.concat(frames)


def test_traceback_lines_point_at_the_record_that_started_them():
    df = _frame(VLLM_OOM)
    oom = df.filter(pl.col("text").str.contains("OutOfMemoryError")).row(0, named=True)
    assert oom["line"] == 6
    assert oom["record_line"] == 2          # the "EngineCore failed to start." ERROR line
    assert oom["level"] == "ERROR"
    assert df.get_column("record_line").to_list() == [1, 2, 2, 2, 2, 2]


def test_bare_traceback_after_info_starts_its_own_record():
    df = _frame(PLAIN_TRACEBACK, year=None)
    rows = df.select("line", "record_line", "level").rows()
    # lines 2-5 belong to the ERROR record of line 1; the second traceback starts at line 7
    assert [r[1] for r in rows] == [1, 1, 1, 1, 1, 6, 7, 7, 7]
    assert rows[4][2] == "ERROR"
    first_time = df.row(4, named=True)["time"]
    assert first_time == datetime(2024, 1, 15, 10, 30, 5, 456000, tzinfo=timezone.utc)


def test_formats_levels_and_times():
    lines = {
        "2025-09-02T15:50:01.770028Z  INFO main.init: VllmWorker for Qwen/Qwen3-0.6B has been initialized":
            ("dynamo", "INFO", datetime(2025, 9, 2, 15, 50, 1, 770028, tzinfo=timezone.utc)),
        '{"time":"2025-09-02T15:53:31.943377Z","level":"WARN","target":"log","message":"x"}':
            ("dynamo-jsonl", "WARNING", datetime(2025, 9, 2, 15, 53, 31, 943377, tzinfo=timezone.utc)),
        'E1120 09:58:02.123456       1 scheduler.go:412] "Error scheduling pod"':
            ("klog", "ERROR", datetime(2026, 11, 20, 9, 58, 2, 123456, tzinfo=timezone.utc)),
        "(APIServer pid=1) WARNING 11-20 09:58:03 [api_server.py:91] Slow request":
            ("vllm", "WARNING", datetime(2026, 11, 20, 9, 58, 3, tzinfo=timezone.utc)),
        'INFO:     10.254.5.122:45440 - "POST /v1/completions HTTP/1.1" 500 Internal Server Error':
            ("uvicorn", "INFO", None),
        "[7] 2026/11/20 09:58:04.000100 [ERR] Error trying to connect to route":
            ("nats", "ERROR", datetime(2026, 11, 20, 9, 58, 4, 100, tzinfo=timezone.utc)),
        "2026-11-20T09:58:05.5Z stderr F I1120 09:58:05.000000 1 main.go:1] cri wrapped":
            ("klog", "INFO", datetime(2026, 11, 20, 9, 58, 5, 500000, tzinfo=timezone.utc)),
    }
    df = _frame("\n".join(lines) + "\n")
    for (text, (fmt, level, time)), row in zip(lines.items(), df.iter_rows(named=True)):
        assert (row["format"], row["level"], row["time"]) == (fmt, level, time), text


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


# Lines as Go programs, kubelet, containerd and CRI-O print them, alone and inside journald's
# short formats (must-gather host_service_logs, journalctl -u kubelet), with their format, level
# and time. Journald's short time has no year: the bundle's reference year (2021 here) gives it,
# and a record inside with a full time needs none.
GO_AND_HOST_FORMATS = [
    # logrus/logfmt as troubleshoot stores pod logs (traefik, local-path-provisioner)
    ('time="2022-12-20T23:41:04Z" level=error msg="Error watching kubernetes events: could not retrieve '
     'server version: Get \\"https://10.43.0.1:443/version?timeout=32s\\": dial tcp 10.43.0.1:443: i/o timeout"',
     "logfmt", "ERROR", _utc(2022, 12, 20, 23, 41, 4)),
    ('time="2022-12-21T09:43:10Z" level=fatal msg="Error starting daemon: Cannot start Provisioner: failed '
     'to get Kubernetes server version"', "logfmt", "CRITICAL", _utc(2022, 12, 21, 9, 43, 10)),
    # go-kit (Prometheus): level before ts
    ('level=info ts=2021-08-03T09:27:24.107Z caller=main.go:426 vm_limits="(soft=unlimited, hard=unlimited)"',
     "logfmt", "INFO", _utc(2021, 8, 3, 9, 27, 24, 107000)),
    # CRI-O under journald: the record's own time (with its year) wins
    ('Aug 03 09:21:22.276786 ip-10-0-195-177 crio[1314]: time="2021-08-03 09:21:22.276784981Z" level=info '
     'msg="Adding pod openshift-kube-controller-manager_revision-pruner-4 to CNI network \\"multus-cni-network\\""',
     "logfmt", "INFO", _utc(2021, 8, 3, 9, 21, 22, 276784)),
    # containerd under journalctl's default short format
    ('Jan 15 10:30:00 gpu-node-1 containerd[812]: time="2021-01-15T10:30:00.123456789Z" level=error '
     'msg="PullImage \\"nvcr.io/nvidia/k8s-device-plugin:v0.14.1\\" failed" error="failed to pull and unpack image"',
     "logfmt", "ERROR", _utc(2021, 1, 15, 10, 30, 0, 123456)),
    # kubelet (hyperkube) klog under journald: journald's time, klog's level
    ('Aug 03 09:20:17.589552 ip-10-0-189-142 hyperkube[1359]: E0803 09:20:17.589529    1359 kubelet.go:2303] '
     '"Error getting node" err="node \\"ip-10-0-189-142.ec2.internal\\" not found"',
     "klog", "ERROR", _utc(2021, 8, 3, 9, 20, 17, 589552)),
    ('2021-08-03T09:20:17+0000 gpu-a kubelet[2301]: W0803 09:20:17.123456    2301 pod_workers.go:1298] "Error syncing pod"',
     "klog", "WARNING", _utc(2021, 8, 3, 9, 20, 17)),
    ('Aug 03 09:17:42.077259 ip-10-0-195-177 systemd[1]: Starting Kubernetes Kubelet...',
     "syslog", None, _utc(2021, 8, 3, 9, 17, 42, 77259)),
    ('Aug 03 09:15:59.508959 ip-10-0-195-177 NetworkManager[1562]: <warn>  [1627982159.5086] dhcp4 (br-ex): request timed out',
     "syslog", "WARNING", _utc(2021, 8, 3, 9, 15, 59, 508959)),
    ('Aug 03 09:19:53.179217 localhost ovs-vsctl[1079]: ovs|00001|vsctl|INFO|Called as ovs-vsctl --no-wait -- init',
     "ovs", "INFO", _utc(2021, 8, 3, 9, 19, 53, 179217)),
    # zap's production JSON (controller-runtime): epoch seconds
    ('{"level":"error","ts":1640666407.3959372,"logger":"controller.predictor","msg":"Reconciler error"}',
     "json", "ERROR", _utc(2021, 12, 28, 4, 40, 7, 395937)),
    # zap's console encoder: tab-separated
    ('2021-06-11T08:00:00Z\tERROR\tReconciler error\t{"controller": "inferenceservice"}',
     "dynamo", "ERROR", _utc(2021, 6, 11, 8, 0)),
    # logrus on a terminal (docker compose): seconds since start, no time
    ('WARN[0000] The "HF_TOKEN" variable is not set. Defaulting to a blank string.', "logrus", "WARNING", None),
    ("2021/01/15 10:30:00 [ERROR] failed to register device plugin", "go", "ERROR", _utc(2021, 1, 15, 10, 30)),
    ("[WARNING] No files matching import glob pattern: /etc/coredns/custom/*.server", "plain", "WARNING", None),
    ('panic: unable to load configmap based request-header-client-ca-file: Get "https://10.43.0.1:443/api": '
     "dial tcp 10.43.0.1:443: i/o timeout", "go", "CRITICAL", None),
    # a kubectl timestamp before text that looks like "host ident:" is still a kubectl timestamp
    ('2021-08-03T09:18:21.821717084Z - lastTransitionTime: "2021-08-03T09:18:01Z"',
     "kubectl-ts", None, _utc(2021, 8, 3, 9, 18, 21, 821717)),
    # wrappers around a vLLM record: Ray's worker tag, docker compose's service column
    ("(RayWorkerWrapper pid=2271, ip=10.0.0.2) ERROR 08-06 21:18:16 [worker_base.py:620] Error executing method 'init_device'.",
     "vllm", "ERROR", _utc(2021, 8, 6, 21, 18, 16)),
    ("vllm-1  | INFO 11-20 10:00:01 [api_server.py:1090] Starting vLLM API server on http://0.0.0.0:8000",
     "vllm", "INFO", _utc(2021, 11, 20, 10, 0, 1)),
    ("2024-07-23 18:26:58.971 uvicorn.error INFO:     Started server process [1]",
     "python", "INFO", _utc(2024, 7, 23, 18, 26, 58, 971000)),
]


@pytest.mark.parametrize("text, fmt, level, time", GO_AND_HOST_FORMATS,
                         ids=[f"{i}-{f[1]}" for i, f in enumerate(GO_AND_HOST_FORMATS)])
def test_go_kubelet_runtime_and_journald_formats(text, fmt, level, time):
    row = _frame(text + "\n", year=2021).row(0, named=True)
    assert (row["format"], row["level"], row["time"]) == (fmt, level, time)


def test_journald_without_a_year_takes_the_time_of_the_record_inside():
    crio = ('Aug 03 09:21:22.276786 ip-10-0-195-177 crio[1314]: time="2021-08-03 09:21:22.276784981Z" '
            'level=warning msg="Found defunct process"')
    kubelet = "Aug 03 09:20:17.589552 ip-10-0-189-142 hyperkube[1359]: I0803 09:20:17.589529    1359 kubelet.go:2303] ok"
    rows = _frame(crio + "\n" + kubelet + "\n", year=None).rows(named=True)
    assert (rows[0]["level"], rows[0]["time"]) == ("WARNING", _utc(2021, 8, 3, 9, 21, 22, 276784))
    assert (rows[1]["level"], rows[1]["time"]) == ("INFO", None)   # neither journald nor klog says the year


def test_go_panic_stack_belongs_to_the_panic():
    text = ("I1221 09:43:29.498401       1 requestheader_controller.go:169] Starting RequestHeaderAuthRequestController\n"
            "panic: runtime error: invalid memory address or nil pointer dereference\n"
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1a2b3c]\n"
            "\n"
            "goroutine 1 [running]:\n"
            "main.main()\n"
            "\t/go/src/github.com/NVIDIA/k8s-device-plugin/cmd/nvidia-device-plugin/main.go:30 +0x1e5\n"
            "created by k8s.io/apimachinery/pkg/util/wait.(*Group).Start\n"
            "I1221 09:43:30.000000       1 main.go:1] restarted\n")
    df = _frame(text, year=2021)
    assert df.get_column("record_line").to_list() == [1, 2, 2, 2, 2, 2, 2, 2, 9]
    assert df.get_column("level").to_list()[1:8] == ["CRITICAL"] * 7


def test_long_lines_are_cut_and_reported_without_holding_them():
    big = b"x" * (3 << 20)
    data = b"first\n" + big + b"\nlast\n"
    errors: list[str] = []
    frames = list(log_frames(io.BytesIO(data), {"path": "p"}, 1 << 20, None, errors, block=1 << 20))
    df = pl.concat(frames)
    assert df.get_column("line").to_list() == [1, 2, 3]
    assert df.row(1, named=True)["text"] == "x" * (1 << 20)
    assert df.row(2, named=True)["text"] == "last"
    assert errors == ["line 2 longer than 1048576 bytes: cut"]


def test_blocks_cover_every_line_once():
    data = b"".join(f"line {i}\n".encode() for i in range(10_000))
    got = []
    for text, first, _ in iter_line_blocks(io.BytesIO(data), 1 << 20, block=4096):
        got.extend((first + k, t) for k, t in enumerate(text.split("\n")))
    assert got == [(i + 1, f"line {i}") for i in range(10_000)]


def test_invalid_utf8_survives():
    df = _frame("ok \xff\n".encode("latin-1").decode("latin-1"))
    assert df.height == 1
    errors: list[str] = []
    raw = list(log_frames(io.BytesIO(b"bad \xff\xfe bytes\n"), {"path": "p"}, 1 << 20, None, errors))
    assert raw[0].row(0, named=True)["text"] == "bad \ufffd\ufffd bytes"


def test_batches_are_cut_to_the_same_size_whatever_the_file_sizes(tmp_path):
    # memory per batch must not depend on how lines are spread over files: one long file is
    # cut between batches, small files are grouped, and every line comes once, in order
    from analyzer.ingest import open_bundle
    from analyzer.parse import parse_bundle

    logs = tmp_path / "b" / "namespaces" / "ns" / "logs"
    sizes = {"big-0": 2_345, "small-1": 7, "small-2": 13, "mid-3": 555}
    for pod, n in sizes.items():
        (logs / pod).mkdir(parents=True)
        (logs / pod / "main.log").write_text("".join(f"2026-11-20T09:59:00Z INFO {pod} line {i}\n" for i in range(n)))
    with open_bundle(tmp_path / "b") as bundle:
        batches = list(parse_bundle(bundle).iter_log_batches(batch_rows=500, annotated=False))
    heights = [b.height for b in batches]
    total = sum(sizes.values())
    assert heights == [500] * (total // 500) + [total % 500]
    lines = pl.concat(batches)
    assert lines.select("path", "line").n_unique() == total
    for path, g in lines.group_by("path", maintain_order=True):
        assert g.get_column("line").to_list() == list(range(1, g.height + 1))


def test_line_views_split_and_decode_as_the_text_path():
    # lines taken as views into the raw block must equal splitting the decoded text: CR before
    # LF dropped, invalid UTF-8 (truncated, surrogates, overlong) replaced, inline and long lines
    import random

    from analyzer.parse.logs import _decode, _line_views, lines_frame

    rnd = random.Random(3)
    parts = [b"a", b"\n", b"\r", b"\xff", "é".encode(), "€".encode(), b" ", b"x" * 13, b"\r\n",
             b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80"]
    for _ in range(2000):
        body = b"".join(rnd.choice(parts) for _ in range(rnd.randint(0, 60)))
        assert _line_views(body, 1 << 20).to_list() == lines_frame(_decode(body), 1)["text"].to_list(), body
    assert _line_views(b"short\n" + b"y" * 100, 50) is None  # the caller cuts long lines
