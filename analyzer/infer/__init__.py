"""Errors that no pattern knows: templates, candidates and the category their words point to.

- ``template``: a line's message with its variable parts masked (times, numbers, ids, addresses,
  paths, quoted identifiers, pod hashes), so that repeats of one message group;
- ``lines``: which log lines show a failure and how telling each is (shape, level, words,
  position, noise), folded batch by batch into template groups (``ErrorLines``) while the logs
  are matched;
- ``vocab``: ``infer_category(text) -> (category, confidence, words) | None``, a pure function
  over a vocabulary derived from the pattern library and the taxonomy, plus upstream exception
  types and Go/OS error strings.

The diagnosis (``analyzer.diagnose.fallback``) turns the groups into the result's
``unexplained`` list and, when nothing else names a cause, into inferred findings.
"""

from analyzer.infer.lines import ErrorLines
from analyzer.infer.template import template
from analyzer.infer.vocab import infer_category

__all__ = ["ErrorLines", "infer_category", "template"]
