"""Every secret kind, planted where bundles really carry it, never reaches any output.

One bundle holds a value of every detector kind in a pod log, in `kubectl describe pod`
Environment lines, in a ConfigMap, in file and folder names (the kinds whose format names them
on their own), in kubeconfigs (YAML and JSON), in Secret manifests of every YAML/JSON style and
in compressed attachments of every format (one nested in another). The test reads every output
the analyzer writes (md, html, json, parquet, `tables` as parquet and csv, `redact` as a folder
and as a .tar.gz, with nested archives opened and file names included) and looks for each
value. A value is planted once per (kind, context); a failing case names both.
"""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import json
import lzma
import random
import tarfile
import zipfile
from pathlib import Path

import polars as pl
import pytest
import zstandard

from analyzer.pipeline import analyze_path, write_report, write_tables
from analyzer.redact import load_detectors, redact_bundle
from tests.redact.archives import unpacked

NS = "llm"
POD = "llama-8b-6d5f8c7b9d-x2k4p"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _fake(seed: str, n: int, alphabet: str = _ALNUM) -> str:
    r = random.Random(seed)
    return "".join(r.choice(alphabet) for _ in range(n))


def _b64(seed: str, n: int) -> str:
    # standard base64 without "/" so the value can also stand in a file name
    return base64.b64encode(random.Random(seed).randbytes(n)).decode().replace("/", "x")


# kind -> (value, a log line that carries it, the env var that would hold it or None,
#          whether the format names it on its own, so that a bare file name is recognised)
KINDS: dict[str, tuple[str, str, str | None, bool]] = {}


def _kind(det: str, value: str, line: str, env: str | None, own: bool) -> None:
    KINDS[det] = (value, line.format(v=value), env, own)


_kind("SEC001", "hf_" + _fake("k1", 34), "+ huggingface-cli login --token {v}", "HF_TOKEN", True)
_kind("SEC002", "nvapi-" + _fake("k2", 64, _ALNUM + "_-"),
      "+ echo {v} | docker login nvcr.io -u '$oauthtoken' --password-stdin", "NGC_API_KEY", True)
_kind("SEC003", "ghp_" + _fake("k3", 36),
      "fatal: unable to access 'https://x-access-token:{v}@github.com/acme/t.git/': 403", "GITHUB_TOKEN", True)
_kind("SEC004", "AKIA" + _fake("k4", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
      "aws_access_key_id = {v}", "AWS_ACCESS_KEY_ID", True)
_kind("SEC005", _fake("k5", 40, _ALNUM + "+"), "aws_secret_access_key = {v}", "AWS_SECRET_ACCESS_KEY", False)
_kind("SEC007", "sk-gw-" + _fake("k7", 32, "0123456789abcdef"),
      "> Authorization: Bearer {v}", None, False)
_kind("SEC008", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMtY2hhdCJ9." + _fake("k8", 43, _ALNUM + "_-"),
      'INFO: 10.244.1.9:51000 - "POST /v1/chat/completions?access_token={v} HTTP/1.1" 401', None, True)
_kind("SEC009", "rd-" + _fake("k9", 20), "redis://:{v}@redis-master.infra:6379/0 unreachable", None, False)
_kind("SEC010", _b64("k10", 120), "    client-key-data: {v}", None, False)
_kind("SEC012", "pg-" + _fake("k12", 18), '{{"name": "DB_PASSWORD", "value": "{v}"}}', None, False)
_kind("SEC013", "ps-" + _fake("k13", 18), "DB_PASSWORD={v}", "DB_PASSWORD", False)
_kind("SEC014", "sk-dyn-" + _fake("k14", 32, "0123456789abcdef"),
      "python3 -m dynamo.frontend --http-port 8000 --api-key={v}", None, False)
_kind("SEC015", "pw-" + _fake("k15", 18), '{{"level":"warn","msg":"login retry","password":"{v}"}}', None, False)
_kind("SEC016", "sk-proj-" + _fake("k16", 48, _ALNUM + "_-"), "fallback upstream key {v}", "OPENAI_API_KEY", True)
_kind("SEC017", "xoxb-2836419507-4417320986152-" + _fake("k17", 24),
      "slack_sdk.errors.SlackApiError: invalid_auth ({v})", "SLACK_BOT_TOKEN", True)
_kind("SEC018", "glpat-" + _fake("k18", 20, _ALNUM + "_-"),
      "+ git clone https://oauth2:{v}@gitlab.acme-corp.com/ml/finetune.git", "GITLAB_TOKEN", True)
_kind("SEC019", "AIza" + _fake("k19", 35, _ALNUM + "_-"),
      "HTTP Request: POST https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:generateContent"
      "?key={v} \"HTTP/1.1 429 Too Many Requests\"", "GOOGLE_API_KEY", True)
_kind("SEC020", _b64("k20", 64),
      "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=acmemodels;AccountKey={v};"
      "EndpointSuffix=core.windows.net", None, False)
_kind("SEC021", _fake("k21", 43) + "%3D",
      "Downloading https://acmemodels.blob.core.windows.net/llama/config.json?sv=2022-11-02&sp=r&sig={v}", None, False)
_kind("SEC022", "IQoJb3JpZ2luX2VjE" + _fake("k22", 100, _ALNUM + "+"),
      "aws_session_token = {v}", "AWS_SESSION_TOKEN", False)
_kind("SEC023", "My-" + _fake("k23", 14), "+ mysql -h mysql.db.svc -u metrics -p{v} usage -e 'SELECT 1'", "MYSQL_PWD", False)

PEM_BODY = "\n".join(base64.b64encode(random.Random("k6").randbytes(48 * 8)).decode()[i:i + 64]
                     for i in range(0, 512, 64))
SECRET_DATA = _b64("k11", 30)
SECRET_STRING = "sd-" + _fake("k11s", 20)
JSON_KUBECONFIG_KEY = _b64("k10j", 90)
WRAPPED_HF = "hf_" + _fake("wrapped", 34)

# (detector, value, context): every one must be gone from every output
CASES: list[tuple[str, str, str]] = []
for _det, (_v, _line, _env, _own) in KINDS.items():
    CASES.append((_det, _v, "log line"))
    CASES.append((_det, _v, "ConfigMap"))
    CASES.append((_det, _v, "compressed attachments"))
    if _env:
        CASES.append((_det, _v, "describe Environment"))
    if _own:
        CASES.append((_det, _v, "file and folder name"))
CASES += [("SEC006", line, "log line, ConfigMap, attachments") for line in PEM_BODY.split("\n")]
CASES += [("SEC010", JSON_KUBECONFIG_KEY, "JSON kubeconfig in a ConfigMap"),
          ("SEC011", SECRET_DATA, "Secret manifests of every style"),
          ("SEC011", SECRET_STRING, "Secret manifests of every style (stringData)"),
          ("SEC001", WRAPPED_HF, "HF token wrapped in a table")]
WRAPPED_PIECES = (WRAPPED_HF[:20], WRAPPED_HF[20:])


def _pem() -> str:
    return f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----"


def _log_text() -> str:
    lines = [f"2026-11-20T09:12:{i:02d}.000000000Z {line}" for i, (_, line, _, _) in enumerate(KINDS.values())]
    return "\n".join(lines + _pem().split("\n")) + "\n"


SECRET_STYLES = {
    "quoted-kind.yaml": f"apiVersion: v1\nkind: \"Secret\"\nmetadata:\n  name: hf\ndata:\n  token: {SECRET_DATA}\n",
    "comments.yaml": f"# exported for the ticket\ndata:   # values below\n  token:    {SECRET_DATA}   # rotated\n"
                     f"kind:    Secret\napiVersion: v1\nstringData:\n  password: '{SECRET_STRING}'\n",
    "flow.yaml": f"{{kind: Secret, apiVersion: v1, metadata: {{name: s3}}, data: {{token: {SECRET_DATA}}}}}\n",
    "secret.json": json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                               "stringData": {"password": SECRET_STRING}}, indent=4) + "\n",
    "list.yaml": f"apiVersion: v1\nitems:\n- apiVersion: v1\n  data:\n    token: {SECRET_DATA}\n  kind: Secret\n"
                 "  metadata:\n    name: hf\n  type: Opaque\nkind: List\n",
}


def _pack(kind: str, name: str, data: bytes) -> bytes:
    if kind == "gz":
        return gzip.compress(data, mtime=0)
    if kind == "bz2":
        return bz2.compress(data)
    if kind == "xz":
        return lzma.compress(data)
    if kind == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(name, data)
        return buf.getvalue()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo(f"support/{name}")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    if kind == "tar.zst":
        return zstandard.ZstdCompressor().compress(raw)
    return gzip.compress(raw, mtime=0)  # tar.gz


def _pod_json() -> dict:
    env = [{"name": e, "value": v} for v, _, e, _ in KINDS.values() if e]
    return {"apiVersion": "v1", "kind": "List", "items": [{
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": POD, "namespace": NS, "uid": "1d9997a3-a797-45e8-b206-aed982927aec"},
        "spec": {"nodeName": "gpu-node-07", "containers": [{"name": "vllm", "image": "vllm/vllm-openai:v0.9.1",
                                                            "env": env}]},
        "status": {"phase": "Running", "containerStatuses": [{
            "name": "vllm", "ready": True, "restartCount": 0, "image": "vllm/vllm-openai:v0.9.1",
            "state": {"running": {"startedAt": "2026-11-20T09:00:00Z"}}}]}}]}


def _describe() -> str:
    env = "\n".join(f"      {e}:  {v}" for v, _, e, _ in KINDS.values() if e)
    return (f"Name:             {POD}\nNamespace:        {NS}\nNode:             gpu-node-07/10.20.4.17\n"
            "Status:           Running\nContainers:\n  vllm:\n    Image:          vllm/vllm-openai:v0.9.1\n"
            f"    Environment:\n{env}\n    Mounts:         <none>\nEvents:           <none>\n")


def _configmaps() -> dict:
    json_kubeconfig = json.dumps({"apiVersion": "v1", "kind": "Config", "users": [
        {"name": "ci", "user": {"client-key-data": JSON_KUBECONFIG_KEY}}]}, indent=2)
    data = {f"{det.lower()}.conf": line for det, (_, line, _, _) in KINDS.items()}
    data["tls.key"] = _pem() + "\n"
    data["kubeconfig.json"] = json_kubeconfig
    data["secret.yaml"] = SECRET_STYLES["comments.yaml"]
    table = ("| NAME     | VALUE                   |\n"
             f"| HF_TOKEN | {WRAPPED_PIECES[0]} |\n|          | {WRAPPED_PIECES[1]}{' ' * (23 - len(WRAPPED_PIECES[1]))} |\n")
    data["README.md"] = table
    return {"apiVersion": "v1", "kind": "List", "items": [{
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "worker-config", "namespace": NS},
        "data": data}]}


def build(root: Path) -> Path:
    """The bundle: a collector-layout folder with every case above planted."""
    b = root / "bundle"
    logs = b / "namespaces" / NS / "logs" / POD
    logs.mkdir(parents=True)
    (b / "cluster").mkdir()
    (b / "attachments").mkdir()
    (b / "manifest.json").write_text(json.dumps({"collector": "collect-bundle.sh", "commands": [],
                                                 "options": {"redact": False}}))
    (logs / "vllm.log").write_text(_log_text())
    (b / "namespaces" / NS / "pods.json").write_text(json.dumps(_pod_json(), indent=4))
    (b / "namespaces" / NS / "pods.describe.txt").write_text(_describe())
    (b / "namespaces" / NS / "configmaps.json").write_text(json.dumps(_configmaps(), indent=4))
    (b / "attachments" / "wrapped-table.txt").write_text(_configmaps()["items"][0]["data"]["README.md"])
    for det, (value, line, _, own) in KINDS.items():
        if own:
            # a log file named after the token, in a folder named after it too
            folder = logs.parent / f"debug-{value}"
            folder.mkdir()
            (folder / f"{value}.log").write_text("INFO worker started\n")
    for name, text in SECRET_STYLES.items():
        (b / "attachments" / f"secret-{name}").write_text(text)
    payload = _log_text().encode()
    for kind in ("gz", "bz2", "xz", "zip", "tar.zst", "tar.gz"):
        (b / "attachments" / f"worker-logs.{kind}").write_bytes(_pack(kind, "worker.log", payload))
    # an archive in an archive: a zip of a secret manifest inside a .tar.gz
    inner = _pack("zip", "secret.json", SECRET_STYLES["secret.json"].encode())
    (b / "attachments" / "support.tar.gz").write_bytes(_pack("tar.gz", "secrets.zip", inner))
    return b


def _blob(path: Path) -> bytes:
    """Every byte of an output (a file or a folder, parquet decoded, archives opened, names too)."""
    if path.is_dir():
        return b"\n".join(p.relative_to(path).as_posix().encode() + b"\n" + _blob(p)
                          for p in sorted(path.rglob("*")) if p.is_file())
    if path.suffix == ".parquet":
        return "\n".join(repr(r) for r in pl.read_parquet(path).rows()).encode()
    return unpacked(path.read_bytes())


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("kinds")
    src = build(root)
    before = _blob(src)
    out: dict[str, bytes] = {}
    with analyze_path(str(src)) as analysis:
        for fmt in ("md", "html", "json"):
            write_report(analysis, fmt, root / f"report.{fmt}")
            out[fmt] = _blob(root / f"report.{fmt}")
        write_report(analysis, "parquet", root / "parquet")
        out["parquet"] = _blob(root / "parquet")
    for fmt in ("parquet", "csv"):
        write_tables(str(src), root / f"tables-{fmt}", fmt)
        out[f"tables {fmt}"] = _blob(root / f"tables-{fmt}")
    report = redact_bundle(src, root / "redacted")
    out["redact"] = _blob(root / "redacted")
    out["redact report"] = (root / "redacted.redaction-report.json").read_bytes()
    redact_bundle(src, root / "redacted.tar.gz")
    out["redact tar.gz"] = _blob(root / "redacted.tar.gz")
    out["redact tar.gz report"] = (root / "redacted.tar.gz.redaction-report.json").read_bytes()
    assert _blob(src) == before, "the input was modified"
    out["_report"] = json.dumps(report.to_dict()).encode()
    out["_mapping"] = (root / "redacted.mapping.private.json").read_bytes()
    out["_input"] = before
    return out


FORMATS = ["md", "html", "json", "parquet", "tables parquet", "tables csv", "redact", "redact report",
           "redact tar.gz", "redact tar.gz report"]


def test_every_case_is_planted(outputs):
    for det, value, where in CASES:
        if det == "SEC001" and value == WRAPPED_HF:
            assert all(p.encode() in outputs["_input"] for p in WRAPPED_PIECES)
            continue
        assert value.encode() in outputs["_input"], f"{det} not planted ({where})"


def test_every_kind_of_the_spec_and_issue_is_planted():
    kinds = {d for d, _, _ in CASES}
    assert kinds == {d.id for d in load_detectors()[0]}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("det", "value", "where"), CASES, ids=[f"{d}-{w}" for d, _, w in CASES])
def test_no_planted_secret_in_any_output(outputs, fmt, det, value, where):
    blob = outputs[fmt]
    assert value.encode() not in blob, f"{det} from {where} leaked into {fmt}"
    if value == WRAPPED_HF:
        assert not any(p.encode() in blob for p in WRAPPED_PIECES), f"wrapped token leaked into {fmt}"


def test_redact_keeps_names_consistent_with_the_mapping(outputs):
    mapping = json.loads(outputs["_mapping"])["pseudonyms"]
    by_value = {v: p for p, v in mapping.items()}
    for det, (value, _, _, own) in KINDS.items():
        if own:
            pseudonym = by_value[value]
            # the renamed file and folder carry the pseudonym the mapping gives the value
            assert f"debug-{pseudonym}/{pseudonym}.log".encode() in outputs["redact"], det


def test_every_attachment_is_rewritten_not_left_out(outputs):
    report = json.loads(outputs["_report"])
    assert report["withheld"] == []
    names = outputs["redact"]
    for kind in ("gz", "bz2", "xz", "zip", "tar.zst", "tar.gz"):
        assert f"attachments/worker-logs.{kind}\n".encode() in names
    # the nested zip inside the tar.gz was opened and its Secret redacted
    assert b"<SECRET_DATA-" in outputs["redact"]
