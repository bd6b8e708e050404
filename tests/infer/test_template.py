"""Templates: one message, whatever its variable parts; the same result line by line and vectorised."""

from __future__ import annotations

import polars as pl
import pytest

from analyzer.infer.template import template, template_expr, templates


@pytest.mark.parametrize("a, b", [
    # times, counts and sizes
    ("2026-11-20T10:00:01.123Z ERROR worker 3 failed after 12.5s",
     "2026-11-21T11:02:09Z ERROR worker 7 failed after 0.2s"),
    # addresses, ports and container ids
    ("dial tcp 10.0.0.12:2379: connect: connection refused",
     "dial tcp 192.168.1.7:4222: connect: connection refused"),
    ("OCI runtime create failed: container 7a5db13e7762a66cc95bc070c9fb3be2 not found",
     "OCI runtime create failed: container 0c1d2e3f4a5b6c7d8e9f00112233aabb not found"),
    # paths and identifiers in quotes, uuids, a replica set's pod names
    ("FileNotFoundError: [Errno 2] No such file or directory: '/mnt/models/llama/config.json'",
     "FileNotFoundError: [Errno 2] No such file or directory: '/data/qwen/tokenizer.json'"),
    ("request 0f8fad5b-d9cb-469f-a165-70867728950e rejected by vllm-decode-7d9f8c6b5-x2k4q",
     "request 7c9e6679-7425-40de-944b-e07fc1f90ae7 rejected by vllm-decode-5c4b3a2910-p9z8m"),
    # the log prefix is not part of the message
    ("(EngineCore_DP0 pid=242) ERROR 11-21 03:14:05 [core.py:708] EngineCore failed to start.",
     "ERROR 11-22 04:00:00 [core.py:12] EngineCore failed to start."),
    ("E0118 08:31:52.149680 840 main.cc:257] failed to start GRPC service",
     "E0119 09:00:00.000001 1 main.cc:300] failed to start GRPC service"),
])
def test_lines_that_differ_in_variable_parts_share_a_template(a: str, b: str) -> None:
    assert template(a) == template(b)


def test_prose_stays_readable() -> None:
    t = template("huggingface_hub.errors.HFValidationError: Repo id must be in the form 'repo_name' or "
                 "'namespace/repo_name': '/root/models/x'. Use `repo_type` argument if needed.")
    assert t == ("huggingface_hub.errors.HFValidationError: Repo id must be in the form <q> or <q>: <q>. "
                 "Use <q> argument if needed.")
    # quoted words without a path, digit or punctuation stay: they are part of the message
    assert template('{"msg":"Reconciler error","error":"no valid predictor"}') == \
        '{"msg":"Reconciler error","error":"no valid predictor"}'


def test_messages_that_differ_in_words_do_not() -> None:
    assert template("connect: connection refused") != template("connect: no route to host")


def test_vectorised_and_single_line_agree() -> None:
    lines = ["W1120 10:00:00.000000 1 x.go:5] lease lost 3 times", "panic: runtime error at 0xc000a1b2c3",
             "plain text with nothing variable", ""]
    frame = pl.DataFrame({"t": lines}).select(template_expr(pl.col("t"))).to_series().to_list()
    assert frame == templates(lines) == [template(x) for x in lines]
