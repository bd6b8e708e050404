"""Errors that no pattern knows: templates, candidates and the category their words point to.

- ``template``: a line's message with its variable parts masked (times, numbers, ids, addresses,
  paths, quoted identifiers, pod hashes), so that repeats of one message group;
- ``lines``: which log lines show a failure and how telling each is (shape, level, words,
  position, noise), folded batch by batch into template groups (``ErrorLines``) while the logs
  are matched;
- ``vocab``: ``infer_category(text) -> (category, confidence, words) | None``, a pure function
  over a vocabulary derived from the pattern library and the taxonomy, plus upstream exception
  types and Go/OS error strings;
- ``classify_lines(lines)``: the most telling failure among a few lines (a crashed container's
  last log lines) and its inferred category, for callers outside the log matcher.

The diagnosis (``analyzer.diagnose.fallback``) turns the groups into the result's
``unexplained`` list and, when nothing else names a cause, into inferred findings.
"""

from typing import Any

from analyzer.infer.lines import ErrorLines, most_telling
from analyzer.infer.template import template
from analyzer.infer.vocab import infer_category, vocabulary

__all__ = ["ErrorLines", "classify_lines", "infer_category", "most_telling", "template"]


def classify_lines(lines: list[str], library=None) -> dict[str, Any] | None:
    """What a failed process's last log lines say (oldest first): the most telling failure line
    (``index``, ``text``, ``template``), the category its words point to (``category``, None when
    none is clear), ``confidence`` and ``inferred_from``, and ``strong`` (its shape says the
    process failed). None when no line shows a failure.

    >>> classify_lines(["INFO loading", "torch.OutOfMemoryError: CUDA out of memory."])["category"]
    'runtime.cuda_oom'
    """
    found = most_telling(lines)
    if found is None:
        return None
    index, row = found
    got = vocabulary(library).infer(row["text"], row["template"])
    category, confidence, words = got if got else (None, None, [])
    return {"index": index, "text": row["text"], "template": row["template"], "category": category,
            "confidence": confidence, "inferred_from": words, "strong": bool(row["strong"])}
