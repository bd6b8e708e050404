"""Write `sample_bundles/planted-secrets/`: a vLLM bundle that leaks one secret of every kind.

The story: a team serves meta-llama/Llama-3.1-8B-Instruct with vLLM on one GPU. They pasted
their Hugging Face token into the Deployment's env instead of a Secret, and the token has since
been revoked: the worker's wrapper script (`set -x`) logs the token, `huggingface-cli login`
rejects it, and vLLM dies on the gated repo's 401 (root cause `access.model_auth`); the pod is
in CrashLoopBackOff and the chat gateway in front of it fails its readiness probe. On the way
the bundle carries every secret the redactor must catch, where real bundles carry them:

| detector | where |
|---|---|
| SEC001 HF token | worker env (pods.json, describe Environment), worker log (`set -x`) |
| SEC002 NGC key | worker env |
| SEC003 GitHub token | init container args (git clone URL) and its log |
| SEC004/SEC005 AWS keys | worker env (S3 model cache) |
| SEC006 PEM private key | gateway TLS key pasted into a ConfigMap |
| SEC007 bearer token | readiness probe event (curl -v output shows the header) |
| SEC008 JWT | gateway access log (`?access_token=`) |
| SEC009 URL password | gateway metrics label, gateway env |
| SEC010 kubeconfig key | planner kubeconfig in a ConfigMap |
| SEC011 Secret data | a `kubectl get secret -o yaml` paste the customer attached |
| SEC012/SEC013 env password | gateway env (pods.json name/value pair, describe Environment) |
| SEC014 flag | worker `--api-key` argument |
| SEC015 key/value | vLLM's `non-default args` log line, gateway JSON log |
| SEC016 LLM provider key | gateway log: the fallback upstream's OpenAI key |
| SEC017 Slack token | gateway log (alert relay), gateway env (webhook URL), a `.log.bz2` attachment |
| SEC018 GitLab token | init container log (git clone of the LoRA adapters) |
| SEC019 Google API key | gateway log (`?key=` of the Gemini fallback), a `.zip` attachment |
| SEC020 Azure storage key | worker env (connection string of the blob model mirror) |
| SEC021 signed-URL signature | gateway log (SAS URL of the prompt templates) |
| SEC022 AWS session token | worker env, lower case in a ConfigMap's credentials file, a `.tar.zst` attachment |
| SEC023 database password | ConfigMap usage-export script (`mysql -p...`, `PGPASSWORD=`) |

Also: a JSON kubeconfig in a ConfigMap (SEC010), a Secret manifest in flow style with comments
and a quoted kind (SEC011), an older HF token only in the name of an attachment folder and, wrapped
over two lines of a table, in the customer's notes (SEC001).

Every value is random-looking but fake, and listed in `PLANTED` (the redaction tests read it).
The bundle was collected with the collector's redaction off (`options.redact: false`), which is
what a hand-run collection or an older collector produces.

Run: ``python3 tools/make_secrets_bundle.py [OUT_DIR]`` (deterministic; default
``sample_bundles/planted-secrets``).
"""

from __future__ import annotations

import base64
import bz2
import io
import json
import random
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import zstandard

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.samplegen.bundle import BundleWriter  # noqa: E402
from tools.samplegen.clock import NS, dynamo_ts, parse_time, rfc3339  # noqa: E402
from tools.samplegen.kube import (Cluster, Ctr, env, http_probe, mount, secret_vol,  # noqa: E402
                                  terminated, waiting)
from tools.samplegen.logs import spread, traceback_lines, uvicorn_access, vllm  # noqa: E402
from tools.samplegen.metrics import Prom  # noqa: E402

NAMESPACE = "llm"
MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def _fake(seed: str, n: int, alphabet: str) -> str:
    r = random.Random(seed)
    return "".join(r.choice(alphabet) for _ in range(n))


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_B64 = _ALNUM + "+/"

HF_TOKEN = "hf_" + _fake("hf", 34, _ALNUM)
NGC_KEY = "nvapi-" + _fake("ngc", 64, _ALNUM + "-_")
GITHUB_TOKEN = "ghs_" + _fake("gh", 36, _ALNUM)
AWS_KEY_ID = "AKIA" + _fake("akia", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
AWS_SECRET = _fake("aws", 40, _B64)
API_KEY = "sk-llm-" + _fake("api", 32, "0123456789abcdef")
OPENAI_KEY = "sk-proj-" + _fake("openai", 48, _ALNUM + "-_")
GATEWAY_JWT = ("eyJhbGciOiJSUzI1NiIsImtpZCI6IjRmOWEyYzdlIn0."
               + base64.urlsafe_b64encode(json.dumps(
                   {"iss": "https://sso.acme-corp.example", "sub": "svc-chat-ui", "aud": "chat-gateway",
                    "exp": 1795000000}, separators=(",", ":")).encode()).decode().rstrip("=")
               + "." + _fake("jwt-sig", 86, _ALNUM + "-_"))
REDIS_PASSWORD = "rd-" + _fake("redis", 20, _ALNUM)
DB_PASSWORD = "pg-" + _fake("db", 18, _ALNUM + "!#%")
PEM_BODY = "\n".join(textwrap.wrap(base64.b64encode(random.Random("pem").randbytes(1190)).decode(), 64))
CLIENT_KEY_DATA = base64.b64encode(random.Random("kcfg").randbytes(600)).decode()
SECRET_DATA_TOKEN = base64.b64encode(HF_TOKEN.encode()).decode()
SECRET_DATA_USER = base64.b64encode(b"svc-llm-download").decode()
SLACK_BOT = "xoxb-2836419507-4417320986152-" + _fake("slack-bot", 24, _ALNUM)
SLACK_USER = ("xoxp-2836419507-2849130586-4417320986152-" + _fake("slack-user", 32, "0123456789abcdef"))
SLACK_HOOK = "T024BE7LD/B08K3V2QF1M/" + _fake("slack-hook", 24, _ALNUM)
GITLAB_TOKEN = "glpat-" + _fake("gitlab", 20, _ALNUM + "_-")
GOOGLE_KEY = "AIza" + _fake("google", 35, _ALNUM + "_-")
AZURE_KEY = base64.b64encode(random.Random("azure").randbytes(64)).decode()
SAS_SIG = _fake("sas", 43, _ALNUM) + "%3D"
AWS_SESSION = "IQoJb3JpZ2luX2VjE" + _fake("aws-session", 180, _B64)
AWS_SESSION_OLD = "FwoGZXIvYXdzE" + _fake("aws-session-old", 160, _B64)
MYSQL_PASSWORD = "My-" + _fake("mysql", 14, _ALNUM)
PG_PASSWORD = "pg-" + _fake("pg", 16, _ALNUM)
JSON_KUBECONFIG_KEY = base64.b64encode(random.Random("kcfg-json").randbytes(240)).decode()
GATEWAY_DB_SECRET = base64.b64encode(DB_PASSWORD.encode()).decode()
HF_TOKEN_OLD = "hf_" + _fake("hf-old", 34, _ALNUM)
HF_TOKEN_NOTES = "hf_" + _fake("hf-notes", 34, _ALNUM)

# (detector id, value, where): every value must be gone from every output and counted
PLANTED: tuple[tuple[str, str, str], ...] = (
    ("SEC001", HF_TOKEN, "worker env and worker log"),
    ("SEC002", NGC_KEY, "worker env"),
    ("SEC003", GITHUB_TOKEN, "init container args and log"),
    ("SEC004", AWS_KEY_ID, "worker env"),
    ("SEC005", AWS_SECRET, "worker env"),
    ("SEC006", PEM_BODY.split("\n")[1], "ConfigMap gateway-tls (tls.key)"),
    ("SEC007", API_KEY, "readiness probe event (Authorization header)"),
    ("SEC008", GATEWAY_JWT, "gateway access log"),
    ("SEC009", REDIS_PASSWORD, "gateway metrics label and env (redis URL)"),
    ("SEC010", CLIENT_KEY_DATA, "ConfigMap planner-kubeconfig"),
    ("SEC011", SECRET_DATA_USER, "attached kubectl get secret -o yaml"),
    ("SEC011", SECRET_DATA_TOKEN, "attached kubectl get secret -o yaml"),
    ("SEC012", DB_PASSWORD, "gateway env in pods.json"),
    ("SEC013", DB_PASSWORD, "gateway env in describe output"),
    ("SEC014", API_KEY, "worker --api-key argument"),
    ("SEC015", API_KEY, "vLLM non-default args log line"),
    ("SEC016", OPENAI_KEY, "gateway log (fallback upstream configured)"),
    ("SEC017", SLACK_BOT, "gateway log (alert relay)"),
    ("SEC017", SLACK_HOOK, "gateway env (Slack webhook URL)"),
    ("SEC017", SLACK_USER, "attachment alert-relay.log.bz2"),
    ("SEC018", GITLAB_TOKEN, "init container log (git clone of the LoRA adapters)"),
    ("SEC019", GOOGLE_KEY, "gateway log (?key= of the Gemini fallback) and attachment gemini-fallback.zip"),
    ("SEC020", AZURE_KEY, "worker env (blob model mirror connection string)"),
    ("SEC021", SAS_SIG, "gateway log (SAS URL of the prompt templates)"),
    ("SEC022", AWS_SESSION, "worker env and ConfigMap s3-sync (aws_session_token in lower case)"),
    ("SEC022", AWS_SESSION_OLD, "attachment s3-sync-logs.tar.zst"),
    ("SEC023", MYSQL_PASSWORD, "ConfigMap usage-export (mysql -p)"),
    ("SEC023", PG_PASSWORD, "ConfigMap usage-export (PGPASSWORD=)"),
    ("SEC010", JSON_KUBECONFIG_KEY, "ConfigMap planner-kubeconfig (JSON kubeconfig)"),
    ("SEC011", GATEWAY_DB_SECRET, "attached gateway-secrets.yaml (flow style, comments, quoted kind)"),
    ("SEC001", HF_TOKEN_OLD, "attachment folder named after an older token"),
    ("SEC001", HF_TOKEN_NOTES, "customer notes table (token wrapped over two lines)"),
)

NOTES_CUT = 21
# values that stand in the sample only in pieces (wrapped over lines) or only inside a compressed
# attachment: a search of the raw files looks for the pieces, or opens the archives first
WRAPPED: dict[str, tuple[str, ...]] = {HF_TOKEN_NOTES: (HF_TOKEN_NOTES[:NOTES_CUT], HF_TOKEN_NOTES[NOTES_CUT:])}
INSIDE_ARCHIVES: frozenset[str] = frozenset({SLACK_USER, AWS_SESSION_OLD})
# of those, the values in a compressed single file (not an archive of files): the analysis reads
# such a file decompressed, as it reads any member compressed by gzip, xz, bzip2 or zstd
IN_COMPRESSED_FILES: frozenset[str] = frozenset({SLACK_USER})


def build(out_dir: Path) -> None:
    """Write the bundle and its expected.json into ``out_dir`` (replaced)."""
    now = parse_time("2026-11-20T09:14:00Z")
    c = Cluster("planted-secrets", now, context="prod-gpu-east")
    c.helm = None
    node = c.add_node("gpu-node-07", "10.20.4.17", created=c.ago(86400 * 120),
                      labels={"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB", "nvidia.com/gpu.count": "8",
                              "node.kubernetes.io/instance-type": "p4de.24xlarge"},
                      gpus=8, gpu_resource={"nvidia.com/gpu": "8"}, pod_cidr="10.244.3.0/24")
    c.ns(NAMESPACE)
    _worker(c, node.name, now)
    _gateway(c, node.name, now)
    _config(c)
    w = BundleWriter(c)
    w.render()
    w.files["attachments/hf-token-secret.yaml"] = _secret_paste().encode()
    for path, data in _attachments().items():
        w.files[path] = data
    w.write(out_dir)
    manifest = json.loads((out_dir / "manifest.json").read_text())
    manifest["options"]["redact"] = False
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (out_dir / "expected.json").write_text(json.dumps({
        "root_causes": ["access.model_auth"],
        "notes": ("vLLM cannot download the gated model: the Hugging Face token set literally in the "
                  "Deployment env was revoked (huggingface-cli login: Invalid token passed!; "
                  "GatedRepoError 401), so the worker crash-loops and the gateway's readiness probe "
                  "fails. Every secret kind of analyzer/redact/detectors.yaml is planted "
                  "(tools/make_secrets_bundle.py PLANTED); none may appear in any report or in "
                  "`redact` output."),
    }, indent=2) + "\n")


def _worker(c: Cluster, node: str, now: int) -> None:
    created = c.ago(3600 * 3)
    labels = {"app.kubernetes.io/name": "llama-8b", "app.kubernetes.io/component": "vllm",
              "pod-template-hash": "6d5f8c7b9d"}
    script = ("set -x\nhuggingface-cli login --token \"$HF_TOKEN\"\n"
              f"exec vllm serve {MODEL} --served-model-name llama-3.1-8b --max-model-len 8192 "
              f"--gpu-memory-utilization 0.90 --port 8000 --api-key {API_KEY}")
    worker_env = [env("HF_TOKEN", HF_TOKEN), env("HF_HOME", "/models/hf"), env("NGC_API_KEY", NGC_KEY),
                  env("AWS_ACCESS_KEY_ID", AWS_KEY_ID), env("AWS_SECRET_ACCESS_KEY", AWS_SECRET),
                  env("AWS_SESSION_TOKEN", AWS_SESSION), env("AWS_REGION", "us-east-1"),
                  env("AZURE_STORAGE_CONNECTION_STRING",
                      f"DefaultEndpointsProtocol=https;AccountName=acmemodels;AccountKey={AZURE_KEY};"
                      "EndpointSuffix=core.windows.net"),
                  env("VLLM_API_KEY", API_KEY),
                  env("VLLM_MAX_NUM_BATCHED_TOKENS", "8192")]
    restarts = 6
    last_start = now - 95 * NS
    init = Ctr("fetch-templates", "alpine/git:2.45.2",
               command=["/bin/sh", "-c"],
               args=[f"set -x; git clone --depth 1 https://x-access-token:{GITHUB_TOKEN}@github.com/"
                     "acme-ai/chat-templates.git /templates/repo"],
               mounts=[mount("/templates", "templates")],
               state=terminated("Completed", 0, created + 4 * NS, created + 7 * NS), ready=False)
    vllm_ctr = Ctr("vllm", "vllm/vllm-openai:v0.9.1", command=["/bin/bash", "-c"],
                   args=[script],
                   ports=[(8000, "http")], env=worker_env,
                   requests={"cpu": "8", "memory": "64Gi", "nvidia.com/gpu": "1"},
                   limits={"memory": "64Gi", "nvidia.com/gpu": "1"},
                   readiness=http_probe("/health", 8000, delay=30, period=10),
                   mounts=[mount("/models", "model-cache"), mount("/templates", "templates", True)],
                   state=waiting("CrashLoopBackOff",
                                 f"back-off 5m0s restarting failed container=vllm pod=llama-8b-6d5f8c7b9d-x2k4p_{NAMESPACE}("
                                 "placeholder)"),
                   last_state=terminated("Error", 1, last_start, last_start + 41 * NS),
                   ready=False, restarts=restarts, started=False)
    rs = _deployment(c, "llama-8b", labels, "6d5f8c7b9d", [init, vllm_ctr], created, 8000)
    pod = c.pod(NAMESPACE, "llama-8b-6d5f8c7b9d-x2k4p", node=node, containers=[vllm_ctr],
                init_containers=[init], labels=labels, created=created, owner=c.owner_ref(rs),
                volumes=[secret_vol("model-cache-creds", "s3-model-cache")] + [],
                generate_name="llama-8b-6d5f8c7b9d-")
    pod["spec"]["volumes"][:0] = [{"name": "model-cache", "persistentVolumeClaim": {"claimName": "model-cache"}},
                                  {"emptyDir": {}, "name": "templates"}]
    uid = pod["metadata"]["uid"]
    pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"] = (
        f"back-off 5m0s restarting failed container=vllm pod=llama-8b-6d5f8c7b9d-x2k4p_{NAMESPACE}({uid})")
    c.event(NAMESPACE, pod, "Scheduled", f"Successfully assigned {NAMESPACE}/llama-8b-6d5f8c7b9d-x2k4p to {node}",
            first=created + NS, component="default-scheduler", new_api=True)
    c.event(NAMESPACE, pod, "Pulled", 'Container image "vllm/vllm-openai:v0.9.1" already present on machine',
            first=created + 8 * NS, last=last_start - NS, count=restarts + 1, host=node,
            field_path="spec.containers{vllm}")
    c.event(NAMESPACE, pod, "BackOff", "Back-off restarting failed container vllm in pod "
            f"llama-8b-6d5f8c7b9d-x2k4p_{NAMESPACE}({uid})", type="Warning",
            first=created + 300 * NS, last=now - 20 * NS, count=48, host=node,
            field_path="spec.containers{vllm}")

    c.log(NAMESPACE, pod["metadata"]["name"], "fetch-templates", [
        (created + 4 * NS + 210_000_000,
         f"+ git clone --depth 1 https://x-access-token:{GITHUB_TOKEN}@github.com/acme-ai/chat-templates.git "
         "/templates/repo"),
        (created + 4 * NS + 260_000_000, "Cloning into '/templates/repo'..."),
        (created + 5 * NS + 10_000_000,
         f"+ git clone --depth 1 https://oauth2:{GITLAB_TOKEN}@gitlab.acme-corp.example/ml/lora-adapters.git "
         "/templates/lora"),
        (created + 5 * NS + 60_000_000, "Cloning into '/templates/lora'..."),
    ])
    t = last_start + 150_000_000
    lines: list[tuple[int, str]] = [
        (t, '+ huggingface-cli login --token ' + HF_TOKEN),
        (t + 1_400_000_000, "Traceback (most recent call last):"),
        (t + 1_400_000_000, '  File "/usr/local/bin/huggingface-cli", line 8, in <module>'),
        (t + 1_400_000_000, "    sys.exit(main())"),
        (t + 1_400_000_000, '  File "/usr/local/lib/python3.12/dist-packages/huggingface_hub/_login.py", line 126, in login'),
        (t + 1_400_000_000, "    _login(token, add_to_git_credential=add_to_git_credential)"),
        (t + 1_400_000_000, '  File "/usr/local/lib/python3.12/dist-packages/huggingface_hub/_login.py", line 404, in _login'),
        (t + 1_400_000_000, '    raise ValueError("Invalid token passed!")'),
        (t + 1_400_000_000, "ValueError: Invalid token passed!"),
        (t + 1_500_000_000, "+ exec vllm serve " + MODEL + " --served-model-name llama-3.1-8b --max-model-len 8192 "
         "--gpu-memory-utilization 0.90 --port 8000 --api-key " + API_KEY),
    ]
    t += 6 * NS
    lines += [
        vllm(t, "INFO", "__init__.py:244", "Automatically detected platform cuda."),
        vllm(t + 2 * NS, "INFO", "api_server.py:1287", "vLLM API server version 0.9.1"),
        vllm(t + 2 * NS + 3_000_000, "INFO", "cli_args.py:309",
             f"non-default args: {{'model': '{MODEL}', 'served_model_name': ['llama-3.1-8b'], "
             f"'max_model_len': 8192, 'gpu_memory_utilization': 0.9, 'api_key': '{API_KEY}'}}"),
    ]
    t += 3 * NS
    frames = [
        ("/usr/local/bin/vllm", 10, "<module>", "sys.exit(main())"),
        ("/usr/local/lib/python3.12/dist-packages/vllm/entrypoints/cli/main.py", 59, "main", "args.dispatch_function(args)"),
        ("/usr/local/lib/python3.12/dist-packages/vllm/entrypoints/cli/serve.py", 58, "cmd", "uvloop.run(run_server(args))"),
        ("/usr/local/lib/python3.12/dist-packages/vllm/engine/arg_utils.py", 1004, "create_model_config", "return ModelConfig("),
        ("/usr/local/lib/python3.12/dist-packages/vllm/transformers_utils/config.py", 334, "get_config",
         "config_dict, _ = PretrainedConfig.get_config_dict("),
        ("/usr/local/lib/python3.12/dist-packages/transformers/utils/hub.py", 533, "cached_files",
         "raise OSError("),
    ]
    req = "Root=1-691ed3f5-4c7e1b6d8a3f5e0c9b2a7d4f;2b8e6f1a-93cd-4a57-b0e2-7f1d3c9a5e64"
    lines += traceback_lines(t, frames, "OSError: You are trying to access a gated repo.")
    t += NS // 100
    for text in (f"Make sure to have access to it at https://huggingface.co/{MODEL}.",
                 f"401 Client Error. (Request ID: {req})", "",
                 f"Cannot access gated repo for url https://huggingface.co/{MODEL}/resolve/main/config.json.",
                 f"Access to model {MODEL} is restricted. You must have access to it and be authenticated to "
                 "access it. Please log in."):
        lines.append((t, text))
    c.log(NAMESPACE, pod["metadata"]["name"], "vllm", lines, previous=True)
    c.log(NAMESPACE, pod["metadata"]["name"], "vllm", [(now - 30 * NS, "+ huggingface-cli login --token " + HF_TOKEN)])


def _gateway(c: Cluster, node: str, now: int) -> None:
    created = c.ago(86400 * 9)
    redis_url = f"redis://:{REDIS_PASSWORD}@redis-master.infra.svc.cluster.local:6379/0"
    probe = {"exec": {"command": ["/bin/sh", "-c",
                                  "curl -sfv -H \"Authorization: Bearer $UPSTREAM_API_KEY\" "
                                  "http://llama-8b.llm.svc:8000/v1/models"]},
             "failureThreshold": 3, "periodSeconds": 15, "successThreshold": 1, "timeoutSeconds": 5}
    gw = Ctr("gateway", "ghcr.io/acme-ai/chat-gateway:2.3.0", args=["--config", "/etc/gateway/config.yaml"],
             ports=[(8080, "http"), (9090, "metrics")],
             env=[env("REDIS_URL", redis_url), env("DB_PASSWORD", DB_PASSWORD),
                  env("UPSTREAM_URL", "http://llama-8b.llm.svc:8000/v1"), env("UPSTREAM_API_KEY", API_KEY),
                  env("SLACK_WEBHOOK_URL", f"https://hooks.slack.com/services/{SLACK_HOOK}")],
             requests={"cpu": "500m", "memory": "512Mi"}, limits={"memory": "512Mi"},
             readiness=probe, mounts=[mount("/etc/gateway/tls", "tls", True)], ready=False)
    gw_labels = {"app.kubernetes.io/name": "chat-gateway", "pod-template-hash": "7b9c5d4f8"}
    rs = _deployment(c, "chat-gateway", gw_labels, "7b9c5d4f8", [gw], created, 8080)
    pod = c.pod(NAMESPACE, "chat-gateway-7b9c5d4f8-qm2zt", node=node, containers=[gw], created=created,
                labels=gw_labels, owner=c.owner_ref(rs),
                volumes=[], generate_name="chat-gateway-7b9c5d4f8-")
    pod["spec"]["volumes"].insert(0, {"configMap": {"defaultMode": 420, "name": "gateway-tls"}, "name": "tls"})
    curl_out = ("* Host llama-8b.llm.svc:8000 was resolved.\n*   Trying 10.96.41.7:8000...\n"
                "* connect to 10.96.41.7 port 8000 from 10.244.3.22 port 48812 failed: Connection refused\n"
                "> GET /v1/models HTTP/1.1\n> Host: llama-8b.llm.svc:8000\n"
                f"> Authorization: Bearer {API_KEY}\n"
                "* Failed to connect to llama-8b.llm.svc port 8000 after 1 ms: Couldn't connect to server")
    c.event(NAMESPACE, pod, "Unhealthy", "Readiness probe failed: " + curl_out, type="Warning",
            first=now - 3 * 3600 * NS, last=now - 12 * NS, count=712, host=node,
            field_path="spec.containers{gateway}")
    lines: list[tuple[int, str]] = []
    for i, t in enumerate(spread(c.rng, now - 1800 * NS, now - 5 * NS, 45.0)):
        lines.append(_json_line(t, "ERROR", "gateway::upstream", "upstream request failed",
                                upstream="http://llama-8b.llm.svc:8000/v1", error="connection refused"))
        if i % 3 == 0:
            lines.append(uvicorn_access(t + 2_000_000, f"10.244.1.{20 + i % 7}:5{1000 + i}",
                                        "POST", f"/v1/chat/completions?access_token={GATEWAY_JWT}", 503))
    lines.append(_json_line(now - 1795 * NS, "INFO", "gateway::config", "fallback upstream configured",
                            provider="openai", model="gpt-4o-mini", key=OPENAI_KEY))
    lines.append(_json_line(now - 1794 * NS, "INFO", "gateway::templates", "prompt templates loaded",
                            source="https://acmemodels.blob.core.windows.net/templates/chat.jinja?sv=2022-11-02"
                                   f"&ss=b&srt=o&sp=r&se=2026-12-31T00:00:00Z&spr=https&sig={SAS_SIG}"))
    lines.append(_json_line(now - 1793 * NS, "WARN", "gateway::fallback", "fallback upstream unavailable",
                            url="https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:"
                                f"generateContent?key={GOOGLE_KEY}", status=429))
    lines.append(_json_line(now - 1792 * NS, "ERROR", "gateway::alerts", "slack notification failed",
                            error=f"invalid_auth (token {SLACK_BOT})"))
    lines.append((now - 1790 * NS, json.dumps({"time": rfc3339(now - 1790 * NS), "level": "WARN",
                                               "target": "gateway::db", "message": "retrying login",
                                               "user": "gateway", "password": DB_PASSWORD},
                                              separators=(",", ":"))))
    c.log(NAMESPACE, pod["metadata"]["name"], "gateway", lines)
    p = Prom()
    p.family("gateway_upstream_requests_total", "counter", "Upstream requests by upstream and outcome.",
             [({"upstream": "http://llama-8b.llm.svc:8000/v1", "outcome": "error"}, 1432.0),
              ({"upstream": redis_url, "outcome": "ok"}, 88213.0)])
    p.family("gateway_ready", "gauge", "1 when at least one upstream is healthy.", [({}, 0)])
    c.metrics(NAMESPACE, pod["metadata"]["name"], 9090, p.text())


def _deployment(c: Cluster, name: str, pod_labels: dict[str, str], hash_: str, ctrs: list[Ctr],
                created: int, port: int) -> dict:
    """Deployment, ReplicaSet and Service in front of one pod (not ready)."""
    sel = {k: v for k, v in pod_labels.items() if k != "pod-template-hash"}
    deploy = c.workload(NAMESPACE, "Deployment", name, created=created - 2 * NS, labels=sel, replicas=1,
                        ready=0, template_labels=sel, containers=ctrs)
    c.add(NAMESPACE, "services", {
        "apiVersion": "v1", "kind": "Service", "metadata": c.meta(name, NAMESPACE, created - 2 * NS, sel),
        "spec": {"clusterIP": f"10.96.{41 + len(name) % 7}.{len(name) * 3}", "internalTrafficPolicy": "Cluster",
                 "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                 "ports": [{"name": "http", "port": port, "protocol": "TCP", "targetPort": port}],
                 "selector": sel, "sessionAffinity": "None", "type": "ClusterIP"},
        "status": {"loadBalancer": {}}})
    return c.replicaset(NAMESPACE, deploy, hash_, 1, 0)


def _json_line(t: int, level: str, target: str, message: str, **fields: object) -> tuple[int, str]:
    """The gateway's JSON log line (Rust tracing JSON layer, flattened fields)."""
    rec: dict[str, object] = {"time": dynamo_ts(t - 120_000), "level": level, "target": target, "message": message}
    rec.update(fields)
    return t, json.dumps(rec, separators=(",", ":"))


def _config(c: Cluster) -> None:
    pem = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----\n"
    kubeconfig = ("apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\n"
                  "    server: https://10.20.0.10:6443\n  name: prod-gpu-east\ncontexts:\n- context:\n"
                  "    cluster: prod-gpu-east\n    user: planner\n  name: planner@prod-gpu-east\n"
                  "current-context: planner@prod-gpu-east\nkind: Config\nusers:\n- name: planner\n  user:\n"
                  "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
                  f"    client-key-data: {CLIENT_KEY_DATA}\n")
    json_kubeconfig = json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "planner@prod-gpu-east",
        "clusters": [{"name": "prod-gpu-east", "cluster": {"server": "https://10.20.0.10:6443"}}],
        "contexts": [{"name": "planner@prod-gpu-east", "context": {"cluster": "prod-gpu-east", "user": "planner"}}],
        "users": [{"name": "planner", "user": {"client-key-data": JSON_KUBECONFIG_KEY}}]}, indent=4)
    for name, data in (("gateway-tls", {"tls.crt": "-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIGQ2k4d7M0pUw"
                                        "DQYJKoZIhvcNAQELBQAwFTETMBEGA1UE\n-----END CERTIFICATE-----\n",
                                        "tls.key": pem}),
                       ("planner-kubeconfig", {"kubeconfig": kubeconfig, "kubeconfig.json": json_kubeconfig}),
                       ("s3-sync", {"credentials": "[default]\naws_access_key_id = " + AWS_KEY_ID.replace("AKIA", "ASIA")
                                    + f"\naws_secret_access_key = {AWS_SECRET}\naws_session_token = {AWS_SESSION}\n"
                                    "region = us-east-1\n"}),
                       ("usage-export", {"export.sh": "#!/bin/sh\nset -eu\n"
                                         f"mysql -h mysql.db.svc -u gateway -p{MYSQL_PASSWORD} usage "
                                         "< /sql/export.sql > /tmp/usage.csv\n"
                                         f"PGPASSWORD={PG_PASSWORD} psql -h pg-primary.db.svc -U billing -c "
                                         "\"\\copy usage from '/tmp/usage.csv' csv\"\n"}),
                       ("kube-root-ca.crt", {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIC/jCCAeagAwIBAgIBADANBgkqhkiG"
                                             "9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\n-----END CERTIFICATE-----\n"})):
        c.add(NAMESPACE, "configmaps", {"apiVersion": "v1", "data": data, "kind": "ConfigMap",
                                        "metadata": c.meta(name, NAMESPACE, c.ago(86400 * 20))})
    c.add(NAMESPACE, "secrets", {"apiVersion": "v1", "data": {"access-key": None, "secret-key": None},
                                 "kind": "Secret", "metadata": {"name": "s3-model-cache", "namespace": NAMESPACE},
                                 "type": "Opaque"})
    c.add(NAMESPACE, "secrets", {"apiVersion": "v1", "data": {"token": None, "username": None},
                                 "kind": "Secret", "metadata": {"name": "hf-token-secret", "namespace": NAMESPACE},
                                 "type": "Opaque"})


def _secret_paste() -> str:
    """What `kubectl get secret hf-token-secret -n llm -o yaml` prints (attached by the customer)."""
    return (f"apiVersion: v1\ndata:\n  token: {SECRET_DATA_TOKEN}\n  username: {SECRET_DATA_USER}\n"
            "kind: Secret\nmetadata:\n  creationTimestamp: \"2026-10-31T08:02:11Z\"\n  name: hf-token-secret\n"
            f"  namespace: {NAMESPACE}\n  resourceVersion: \"48213307\"\n"
            "  uid: 3c0d9e4b-7a51-4f2e-9b86-1d7e0a2c5f93\ntype: Opaque\n")


def _attachments() -> dict[str, bytes]:
    """What else the customer attached: a GitOps Secret file, notes, compressed logs."""
    gitops = ("# gateway secrets, applied by hand (do not commit)\n"
              "data:    {password: '" + GATEWAY_DB_SECRET + "'}   # base64 of the DB password\n"
              "kind:    \"Secret\"\n"
              "apiVersion: v1\n"
              "metadata: {name: gateway-db, namespace: " + NAMESPACE + "}\n"
              "type: Opaque\n")
    cut = NOTES_CUT
    notes = ("# Notes from the customer\n\nWhat we set on the worker before the revocation:\n\n"
             "| NAME      | VALUE                    |\n"
             "|-----------|--------------------------|\n"
             f"| HF_TOKEN  | {HF_TOKEN_NOTES[:cut]}    |\n"
             f"|           | {HF_TOKEN_NOTES[cut:]:<24} |\n"
             "| HF_HOME   | /models/hf               |\n")
    relay = (f"2026-11-20T08:02:11Z INFO alert-relay starting (user token {SLACK_USER})\n"
             "2026-11-20T08:02:12Z ERROR chat.postMessage failed: not_in_channel\n").encode()
    fallback = (f"2026-11-20T08:40:00Z WARN POST https://generativelanguage.googleapis.com/v1beta/models/"
                f"gemini-1.5-flash:generateContent?key={GOOGLE_KEY} 429\n").encode()
    sync = (f"2026-11-19T22:00:00Z aws s3 sync s3://acme-models/llama /models/hf --no-progress\n"
            f"2026-11-19T22:00:00Z using aws_session_token={AWS_SESSION_OLD}\n"
            "2026-11-19T22:04:41Z download: 4 files, 16.1 GiB\n").encode()
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as zf:
        entry = zipfile.ZipInfo("fallback.log", (2026, 11, 20, 8, 40, 0))
        entry.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(entry, fallback)
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo("s3-sync/sync.log")
        info.size, info.mtime, info.mode = len(sync), 1795132800, 0o644
        tf.addfile(info, io.BytesIO(sync))
    return {
        "attachments/gateway-secrets.yaml": gitops.encode(),
        "attachments/notes.md": notes.encode(),
        f"attachments/hf-download-{HF_TOKEN_OLD}/snapshot.log":
            b"2026-11-18T10:00:00Z Fetching 4 files: 100%|##########| 4/4 [00:41<00:00, 10.3s/it]\n",
        "attachments/alert-relay.log.bz2": bz2.compress(relay, 9),
        "attachments/gemini-fallback.zip": zbuf.getvalue(),
        "attachments/s3-sync-logs.tar.zst": zstandard.ZstdCompressor(level=3).compress(tbuf.getvalue()),
    }


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "sample_bundles" / "planted-secrets"
    build(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv)
