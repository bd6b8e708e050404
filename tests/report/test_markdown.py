"""The Markdown report: what a support engineer pastes into a ticket."""

from __future__ import annotations

import regex

from analyzer.report import render
from analyzer.report.render import md_code, md_escape

from report_samples import XSS


def _sections(md: str) -> list[str]:
    return [line[3:] for line in md.splitlines() if line.startswith("## ")]


def test_sections_in_report_order(multi_fault):
    md = render(*multi_fault, "md")
    assert md.startswith("# GPU Pod Troubleshooting Report\n\n**CRITICAL** · Most likely root cause:")
    assert _sections(md) == [
        "Root causes (ranked)", "Other findings", "Cluster GPU status", "HAMi component status",
        "Resource allocation per namespace", "Recommended actions", "Timeline",
        "Checked and clear", "Not checked", "Could not read", "Bundle"]


def test_root_causes_ranked_with_evidence_and_symptoms(multi_fault):
    md = render(*multi_fault, "md")
    assert md.index("### 1. F1 · CUDA out of memory") < md.index("### 2. F2 ·") < md.index("### 3. F3 ·")
    f1 = md[md.index("### 1. F1"):md.index("### 2. F2")]
    # file:line, time, the line, and carets under the regex match
    assert "namespaces/llm/logs/vllm-decode-7c9f5d8b6-x2kqp/main.previous.log:412  2026-11-20 10:14:03Z" in f1
    line, carets = regex.search(r"\n(.*torch\.OutOfMemoryError.*)\n( *\^+)\n", f1).groups()
    assert line[len(carets) - carets.count("^"):len(carets)] == "CUDA out of memory"
    # repeats of the same message are folded into line numbers
    assert "Same message at lines 988, 1560, 2011." in f1
    assert "**Remediation:** Lower --gpu-memory-utilization" in f1
    assert "```sh\nkubectl logs vllm-decode-7c9f5d8b6-x2kqp -n llm -c main --previous" in f1
    # symptoms sit under the root cause that explains them
    assert "**Symptoms explained by F1** (3):" in f1
    for sid in ("F4 Container restarting", "F5 Frontend has no live worker", "F6 HTTP 503"):
        assert sid in f1


def test_hami_sections(multi_fault):
    md = render(*multi_fault, "md")
    assert "| Device Plugin | **FAIL** | v2.5.1 |" in md
    assert "| `gpu-a100-1` | yes | NVIDIA-A100-SXM4-80GB | 20 / 20 / 3 | 2 | 80,000 / 163,840 | 100 / 200 |" in md
    assert "| `llm` | 1 | 2 | 2 / 1 | 80,000 / 40,000 | 100 / 30 |" in md
    actions = md[md.index("## Recommended actions"):md.index("## Timeline")]
    assert actions.index("1. **CUDA out of memory") < actions.index("2. **No node has enough")


def test_planted_html_stays_text(multi_fault):
    md = render(*multi_fault, "md")
    # outside code blocks, angle brackets are escaped so ticket renderers show them as text
    outside = regex.sub(r"```.*?```", "", md, flags=regex.S)
    assert not regex.search(r"(?<!\\)<(?:script|img)", outside)
    assert r"\<script\>document.title='pwned'\</script\>" in outside
    # inside a code block a line is verbatim, which every renderer shows as text
    one = {**multi_fault[0], "root_causes": [dict(multi_fault[0]["root_causes"][0], evidence=[
        {"path": "x.log", "line": 1, "text": XSS, "time": None, "match": [0, 8]}])]}
    md = render(one, multi_fault[1], multi_fault[2], "md")
    assert "```\nx.log:1\n" + XSS + "\n^^^^^^^^\n```" in md


def test_markdown_escaping_helpers():
    assert md_escape("a|b *c* [x](http://e) <b>") == r"a\|b \*c\* \[x\](http://e) \<b\>"
    assert md_escape("# not a heading") == r"\# not a heading"
    assert md_code("say `hi`") == "`` say `hi` ``"
    assert md_code("a|b", cell=True) == r"`a\|b`"


def test_max_chars_keeps_ranked_root_causes(multi_fault):
    full = render(*multi_fault, "md")
    cut = render(*multi_fault, "md", max_chars=4000)
    assert len(full) > 4000 >= len(cut)
    table = full[full.index("| # | Severity |"):full.index("\n\n", full.index("| # | Severity |"))]
    assert table in cut                                    # the ranked table, whole
    assert "### 1. F1 · CUDA out of memory" in cut          # and the top root cause in full
    assert cut.count("```") % 2 == 0                        # no half code block
    note = cut[cut.rindex("\n---\n"):]
    assert "Cut to 4000 characters" in note
    assert "Root causes (ranked): details of 2. F2, 3. F3" in note
    for section in ("Cluster GPU status", "Timeline", "Could not read", "Bundle"):
        assert section in note and f"## {section}" not in cut


def test_max_chars_smaller_than_root_causes_keeps_the_table(multi_fault):
    cut = render(*multi_fault, "md", max_chars=2600)
    assert len(cut) <= 2600
    assert "| 3 | **error** | F3 Hugging Face refused" in cut
    assert "details of 1. F1, 2. F2, 3. F3" in cut


def test_max_chars_tiny_cuts_on_a_line(multi_fault):
    cut = render(*multi_fault, "md", max_chars=300)
    assert len(cut) <= 300 and cut.startswith("# GPU Pod Troubleshooting Report")
    assert "Left out: the rest of the report" in cut


def test_max_chars_larger_than_report_changes_nothing(multi_fault):
    assert render(*multi_fault, "md", max_chars=10**6) == render(*multi_fault, "md")


def test_healthy_report(healthy):
    md = render(*healthy, "md")
    assert md.startswith("# GPU Pod Troubleshooting Report\n\n**HEALTHY** · No problem above warning")
    assert "No root cause found" in md
    assert "- CHK003 container restarts: no restarts" in md
    assert "- CHK015 Xid errors in dmesg: no node dmesg in the bundle" in md


def test_same_input_same_bytes(multi_fault):
    assert render(*multi_fault, "md") == render(*multi_fault, "md")


def test_secrets_in_tables_are_redacted(multi_fault):
    import polars as pl

    result, tables, gpu = multi_fault
    token = "hf_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z"
    events = tables["events"].with_columns(
        pl.when(pl.col("reason") == "FailedScheduling")
        .then(pl.lit(f"pulling with HF_TOKEN={token} failed"))
        .otherwise(pl.col("message")).alias("message"))
    tables = {**tables, "events": events}
    for fmt in ("md", "html"):
        assert token not in render(result, tables, gpu, fmt)
    assert token in render({**result, "redacted": False}, tables, gpu, "html")


def test_tables_keep_their_columns_whatever_the_text(multi_fault):
    import polars as pl

    result, tables, gpu = multi_fault
    # an event message and a finding title with the characters that break Markdown tables
    events = tables["events"].with_columns(
        pl.lit("probe failed | status=`503` | body=<html>*x*</html>").alias("message"))
    result = {**result, "root_causes": [dict(result["root_causes"][0],
                                             title="pipe | and `tick` in a title")]}
    md = render(result, {**tables, "events": events}, gpu, "md")
    for block in regex.findall(r"(?:^\|.*\n)+", md, flags=regex.M):
        widths = {len(regex.findall(r"(?<!\\)\|", row)) for row in block.splitlines()}
        assert len(widths) == 1, block
