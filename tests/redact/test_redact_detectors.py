"""Each secret detector's examples are its tests, and nothing that makes a report useful is eaten.

The false-positive corpus holds what support engineers need to read in a report (pod names,
image digests, UUIDs, request ids, GPU UUIDs, throughput lines, secret *names*): redacting it
would make reports useless, so every line must come out of the redactor unchanged.
"""

from __future__ import annotations

import polars as pl
import pytest

from analyzer.redact import Redactor, by_id, check_examples, load_detectors
from analyzer.redact.detectors import prefilter_regex

SECRETS, PSEUDONYMS = load_detectors()
ALL = SECRETS + PSEUDONYMS


@pytest.mark.parametrize("det", ALL, ids=[d.id for d in ALL])
def test_detector_examples(det):
    assert det.examples_match, f"{det.id} needs at least one match example"
    assert det.examples_no_match, f"{det.id} needs at least one no_match example"
    assert check_examples(det) == []


def test_ids_are_stable_and_well_formed():
    # ids are never renumbered; the file order is the priority order, so new ids may sit anywhere
    ids = sorted(d.id for d in SECRETS)
    assert ids == [f"SEC{n:03d}" for n in range(1, len(ids) + 1)]
    assert [d.id for d in PSEUDONYMS] == ["PSN001", "PSN002"]
    for det in ALL:
        assert det.name == det.name.lower() and " " not in det.name
        assert det.what and det.hints


def test_issue_kinds_are_all_covered():
    """Every kind the issue lists has a detector (by name), so none is silently dropped."""
    names = {d.name for d in SECRETS}
    assert {"huggingface-token", "ngc-api-key", "authorization-header", "aws-access-key-id",
            "aws-secret-access-key", "github-token", "secret-env-assignment", "secret-env-value",
            "secret-flag", "url-credentials", "pem-private-key", "kubeconfig-credential",
            "secret-object-data", "llm-provider-api-key", "slack-token", "gitlab-token", "google-api-key",
            "azure-storage-key", "signed-url-signature", "aws-session-token", "database-password-arg"} <= names


@pytest.mark.parametrize("det", [d for d in ALL if d.regex_src], ids=lambda d: d.id)
def test_prefilter_is_valid_rust_regex(det):
    # Polars raises on syntax the Rust engine does not know (lookaround, backreferences)
    pl.Series(["x"]).str.contains(prefilter_regex(det))
    if det.join_trigger:
        pl.Series(["x"]).str.contains(det.join_trigger)


KEEP = [
    # pod, node and container names, including ones that contain secret-ish words
    "llama-8b-6d5f8c7b9d-x2k4p   0/1     CrashLoopBackOff   6 (95s ago)   3h",
    "Successfully assigned llm/hf-token-fetcher-5c7d9b8f6-wq2lp to gpu-node-07",
    'MountVolume.SetUp failed for volume "hf-token" : secret "hf-token-secret" not found',
    '      HF_TOKEN:  <set to the key \'token\' in secret \'hf-token-secret\'>  Optional: false',
    "      secretName: hf-token-secret",
    '                        "secretKeyRef": {',
    "      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-7xk2p (ro)",
    "    TokenExpirationSeconds:  3607",
    # image digests and container ids
    "    Image ID:       nvcr.io/nvidia/ai-dynamo/vllm-runtime@sha256:3f1a2b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819",
    "    Image ID:       docker-pullable://vllm-openai:v0.9.1@sha256:4355928b50fcc4c85fe4debfc3536e890062749c409a2b32f7eb51a5b0a6e7c5",
    "    Container ID:   containerd://259e54b04018228a236ac529a574eb2adaa8b7f4c57cbb40fff5ea9cd22f6dfd",
    # UUIDs, request ids, GPU UUIDs
    '                "uid": "1d9997a3-a797-45e8-b206-aed982927aec"',
    "401 Client Error. (Request ID: Root=1-689eeb63-2e65ce6c208fdc3759534491;fd3df107-1df3-4f14-9baf-a502458eb870)",
    '{"level":"INFO","request_id":"chatcmpl-4f9a2c7e1b6d8a3f5e0c9b2a7d4f1e6c","message":"request finished"}',
    "|   0  NVIDIA A100-SXM4-80GB          On  | GPU-5f8c1e3a-2b7d-4c9e-8a1f-6d3b9e0c7a24 |",
    'DCGM_FI_DEV_XID_ERRORS{gpu="0",UUID="GPU-5f8c1e3a-2b7d-4c9e-8a1f-6d3b9e0c7a24",Hostname="gpu-node-07"} 79',
    # everyday log lines with token/key/secret words
    "INFO 11-20 09:12:41 [loggers.py:123] Engine 000: Avg prompt throughput: 812.4 tokens/s, Avg generation "
    "throughput: 95.1 tokens/s, Running: 12 reqs, Waiting: 0 reqs, GPU KV cache usage: 31.2%",
    "INFO 11-20 09:12:33 [cli_args.py:309] non-default args: {'max_num_batched_tokens': 8192, 'tokenizer_mode': 'auto'}",
    "vllm serve meta-llama/Llama-3.1-8B-Instruct --max-num-batched-tokens 8192 --tokenizer-mode auto",
    "      VLLM_MAX_NUM_BATCHED_TOKENS:  8192",
    'dynamo_frontend_input_sequence_tokens_bucket{model="llama-3.1-8b",le="512.0"} 41',
    "2026-11-20T09:12:34Z WARN hf_hub: token not found, set HF_TOKEN for gated models",
    "huggingface_hub.errors.GatedRepoError: 401 Client Error.",
    "ERROR 11-20 09:12:34 [serving_chat.py:201] Unauthorized: missing Authorization header",
    'Failed to pull image "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.4.1": failed to authorize: 401 Unauthorized',
    "nats://dynamo-platform-nats.dynamo-system.svc.cluster.local:4222",
    "Get \"http://10.0.3.17:8000/health\": dial tcp 10.0.3.17:8000: connect: connection refused",
    "docker login nvcr.io -u '$oauthtoken' --password-stdin",
    "      --api-key\n      --port\n      8000",
    "  token_file: /var/run/secrets/tokens/vault-token",
    "-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIGQ2k4d7M0pUwDQYJKoZIhvcNAQELBQAwFTETMBEGA1UE\n-----END CERTIFICATE-----",
    "Name:         hf-token-secret\nType:  Opaque\n\nData\n====\ntoken:  37 bytes",
    "HF_TOKEN: not set",
    "password: ''",
]


@pytest.mark.parametrize("line", KEEP)
def test_keeps_what_reports_need(line):
    red = Redactor()
    assert red.text(line) == line
    assert not red.counts


@pytest.mark.parametrize("line", KEEP)
def test_keeps_what_reports_need_in_tables(line):
    red = Redactor()
    df = pl.DataFrame({"path": ["a.log"] * len(line.split("\n")), "line": list(range(1, len(line.split("\n")) + 1)),
                       "text": line.split("\n")})
    assert red.frame(df).equals(df)


def test_ids_resolve():
    assert by_id()["SEC001"].label == "HF_TOKEN"


MATCH_EXAMPLES = [(d.id, text) for d in SECRETS for text, _ in d.examples_match]


@pytest.mark.parametrize(("det_id", "text"), MATCH_EXAMPLES, ids=[f"{d}-{i}" for i, (d, _) in enumerate(MATCH_EXAMPLES)])
def test_tables_redact_like_texts(det_id, text):
    """A text split into table rows (one per line) comes out as the whole text does."""
    lines = text.split("\n")
    df = pl.DataFrame({"path": ["x.txt"] * len(lines), "line": list(range(1, len(lines) + 1)), "text": lines})
    by_rows = "\n".join(Redactor().frame(df)["text"].to_list())
    assert by_rows == Redactor().text(text)
    assert by_rows != text
