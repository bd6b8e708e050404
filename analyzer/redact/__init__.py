"""Secret redaction: detectors, the `Redactor` for texts and tables, and `redact_bundle`.

Reports redact by default (`analyze --no-redact` turns it off); `bundle-analyzer redact` writes
a redacted copy of a whole bundle. The detectors live in `detectors.yaml`, each with its
examples as tests (`tests/redact/`).
"""

from __future__ import annotations

from analyzer.redact.bundle import RedactError, RedactionReport, redact_bundle
from analyzer.redact.detectors import Detector, by_id, check_examples, load_detectors
from analyzer.redact.redactor import PSEUDONYM_OPTIONS, Redactor, parse_pseudonymize

__all__ = ["Detector", "PSEUDONYM_OPTIONS", "RedactError", "RedactionReport", "Redactor",
           "by_id", "check_examples", "load_detectors", "parse_pseudonymize", "redact_bundle"]
