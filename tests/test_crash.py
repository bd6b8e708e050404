"""A crash names its crash (``analyzer.crash``): the last error lines of a container's last run,
classified with the pattern library."""

from __future__ import annotations

from analyzer.crash import CRASHLOOP, classify_crash_lines, last_error_lines, naming_pattern
from analyzer.findings import Evidence
from analyzer.library import load_library

LIBRARY = load_library()


def lines(*texts: str) -> list[Evidence]:
    return [Evidence("ns/pod/main-previous.log", i, t) for i, t in enumerate(texts, 1)]


def test_the_last_error_lines_of_a_log():
    rows = [{"path": "p.log", "line": i, "text": t} for i, t in enumerate([
        "INFO starting", "Traceback (most recent call last):", '  File "x.py", line 3, in <module>',
        "ValueError: bad", "INFO shutting down"], 1)]
    assert [e.line for e in last_error_lines(rows)] == [2, 4]


def test_a_cobra_unknown_command_is_a_configuration_error():
    category, evidence = classify_crash_lines(lines(
        'Error: unknown command "server-junk" for "velero"', "Run 'velero --help' for usage.",
        'An error occurred: unknown command "server-junk" for "velero"'), LIBRARY)
    assert category == "runtime.config_error"
    # the parser's own error line first, with its match
    assert evidence[0].text == 'Error: unknown command "server-junk" for "velero"' and evidence[0].match
    assert naming_pattern(category, evidence, LIBRARY).id == "CLI001"


def test_a_python_argparse_error_names_the_flag():
    category, evidence = classify_crash_lines(lines(
        "usage: vllm serve [model_tag] [options]",
        "vllm serve: error: argument --max-model-len: invalid int value: '32k'"), LIBRARY)
    assert category == "runtime.config_error" and "--max-model-len" in evidence[0].text


def test_the_cause_wins_over_its_consequence():
    # the OOM is the cause; "engine core initialization failed" is what it did to the server
    category, evidence = classify_crash_lines(lines(
        "ERROR 11-21 03:20:49 [core.py:708] EngineCore failed to start.",
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 270.00 MiB. GPU 0 has a total capacity "
        "of 44.39 GiB of which 101.56 MiB is free.",
        "RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}"), LIBRARY)
    assert category == "runtime.cuda_oom" and evidence[0].text.startswith("torch.OutOfMemoryError")


def test_a_crash_no_pattern_knows_stays_a_crash_loop_with_its_last_lines():
    category, evidence = classify_crash_lines(lines(
        "level=error msg=\"widget calibration drifted\" drift=0.7",
        "FATAL: giving up after 3 calibration attempts"), LIBRARY)
    assert category == CRASHLOOP
    assert [e.text for e in evidence][0] == "FATAL: giving up after 3 calibration attempts"
    assert naming_pattern(category, evidence, LIBRARY) is None
    assert classify_crash_lines([], LIBRARY) == (CRASHLOOP, [])
