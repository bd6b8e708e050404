"""`Redactor`: deterministic pseudonyms, counts at file:line, texts and tables agree."""

from __future__ import annotations

import polars as pl
import pytest

from analyzer.redact import Redactor, parse_pseudonymize

HF = "hf_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL"
HF2 = "hf_8dKLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKd"
PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAvQd1w9XkqJr0Zl3jP1u1Q2s0dGhpcyBpcyBub3QgYSByZWFs\n"
       "IGtleSwganVzdCBhIHRlc3QgZml4dHVyZSBmb3IgdGhlIHJlZGFjdG9y\n-----END RSA PRIVATE KEY-----")


def test_same_secret_same_pseudonym_everywhere():
    red = Redactor()
    assert red.text(f"HF_TOKEN={HF}") == "HF_TOKEN=<HF_TOKEN-1>"
    assert red.text(f"other {HF2} then {HF}") == "other <HF_TOKEN-2> then <HF_TOKEN-1>"
    df = red.frame(pl.DataFrame({"text": [f"token {HF2}"]}))
    assert df["text"].to_list() == ["token <HF_TOKEN-2>"]
    assert red.mapping == {"<HF_TOKEN-1>": HF, "<HF_TOKEN-2>": HF2}


def test_counts_point_at_file_and_line():
    red = Redactor()
    red.text(f"a\nb\nHF_TOKEN={HF}\nc {HF}", path="ns/logs/p/c.log", line=1)
    assert red.counts == {("SEC001", "ns/logs/p/c.log", 3): 1, ("SEC001", "ns/logs/p/c.log", 4): 1}
    assert red.totals() == {"SEC001": 2}


def test_line_numbers_survive_multiline_secrets():
    red = Redactor()
    text = f"before\n{PEM}\nafter"
    out = red.text(text)
    assert out.count("\n") == text.count("\n")
    assert out.splitlines()[0] == "before" and out.splitlines()[-1] == "after"
    assert "MIIEow" not in out and "-----BEGIN RSA PRIVATE KEY-----" in out
    assert list(red.counts) == [("SEC006", None, 3)]


def test_redacting_twice_changes_nothing_more():
    red = Redactor()
    once = red.text(f"HF_TOKEN={HF} DB_PASSWORD=pg-Wq7x --api-key sk-abcdefabcdef1234")
    assert red.text(once) == once


def test_frame_numbers_in_path_line_order_and_matches_text():
    rows = [("b.log", 2, f"late {HF}"), ("a.log", 9, f"HF_TOKEN={HF2}"), ("b.log", 1, "nothing here")]
    df = pl.DataFrame(rows, schema=["path", "line", "text"], orient="row")
    red = Redactor()
    out = red.frame(df)
    # a.log:9 comes first in (path, line) order, so its token is number 1
    assert out["text"].to_list() == ["late <HF_TOKEN-2>", "HF_TOKEN=<HF_TOKEN-1>", "nothing here"]
    assert red.counts == {("SEC001", "a.log", 9): 1, ("SEC001", "b.log", 2): 1}
    assert out.columns == df.columns and out["line"].equals(df["line"])


def test_frame_sees_secrets_split_over_rows():
    """A pod JSON env pair and a PEM block span lines; table rows of one file are read together."""
    lines = ['                "env": [', "                    {",
             '                        "name": "DB_PASSWORD",',
             '                        "value": "pg-Wq7!mZ2#rT"', "                    }",
             *PEM.split("\n"), "      --api-key", "      sk-dyn-4f9a2c7e1b6d8a3f5e0c9b2a7d4f1e6c"]
    df = pl.DataFrame({"path": ["ns/pods.json"] * len(lines), "line": list(range(1, len(lines) + 1)),
                       "text": lines, "other": ["x"] * len(lines)})
    red = Redactor()
    out = red.frame(df, columns=["text"])
    joined = "\n".join(out["text"].to_list())
    assert "pg-Wq7!mZ2#rT" not in joined and "MIIEow" not in joined and "sk-dyn-" not in joined
    assert out.height == df.height
    assert joined == Redactor().text("\n".join(lines))


def test_frame_leaves_non_string_columns_and_nulls():
    df = pl.DataFrame({"text": [None, f"x {HF}"], "n": [1, 2], "lst": [["a"], [HF]]})
    out = Redactor().frame(df)
    assert out["text"].to_list() == [None, "x <HF_TOKEN-1>"]
    assert out["n"].to_list() == [1, 2]


def test_frame_is_vectorised_over_many_rows():
    """Only candidate cells reach Python: 300k ordinary rows pass through untouched, quickly enough."""
    n = 300_000
    texts = [f"INFO 11-20 09:12:{i % 60:02d} [loggers.py:123] Avg prompt throughput: {i}.0 tokens/s" for i in range(n)]
    texts[123_456] = f"HF_TOKEN={HF}"
    df = pl.DataFrame({"path": ["w.log"] * n, "line": list(range(1, n + 1)), "text": texts})
    red = Redactor()
    out = red.frame(df)
    assert out["text"][123_456] == "HF_TOKEN=<HF_TOKEN-1>"
    assert red.counts == {("SEC001", "w.log", 123_457): 1}
    assert out["text"].filter(out["text"] != df["text"]).len() == 1


def test_data_redacts_values_not_keys():
    red = Redactor()
    doc = {"password": "pg-Wq7x", "evidence": [{"text": f"HF_TOKEN={HF}", "line": 3}], "HF_TOKEN": 1}
    out = red.data(doc)
    assert out == {"password": "pg-Wq7x", "evidence": [{"text": "HF_TOKEN=<HF_TOKEN-1>", "line": 3}], "HF_TOKEN": 1}


def test_pseudonymize_ips_and_hosts():
    line = "Successfully assigned llm/w-0 to gpu-node-07.dc1.acme-corp.com (10.20.4.17), listening on 0.0.0.0:8000"
    assert Redactor().text(line) == line
    red = Redactor({"ips", "hosts"}, hosts=["dgx-a100-07"])
    out = red.text(line + " node dgx-a100-07 pod dgx-a100-07-agent-x2k4p nvidia.com/gpu")
    assert out == ("Successfully assigned llm/w-0 to <HOST-1> (<IP-1>), listening on 0.0.0.0:8000"
                   " node <HOST-2> pod dgx-a100-07-agent-x2k4p nvidia.com/gpu")


def test_pseudonymize_option_names_are_checked():
    assert parse_pseudonymize("ips, hosts") == {"ips", "hosts"}
    assert parse_pseudonymize("") == frozenset()
    with pytest.raises(ValueError, match="unknown --pseudonymize value 'macs'"):
        parse_pseudonymize("ips,macs")
