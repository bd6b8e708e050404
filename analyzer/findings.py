"""What a diagnosis is made of: findings, the evidence behind them and the objects they affect.

Patterns (``analyzer.diagnose``) and structured checks (``analyzer.checks``) both produce
``Finding``s; the report and the JSON contract (docs/result.schema.json) read them through
``analyzer.diagnose.finding_dict``. ``PodRef`` is the one way to name a pod (and optionally one
of its containers): from a table row, from a reference in a log line (``ns/name``, kubelet's
``name_ns(uid)``), as an affected object, or as a ``(namespace, name)`` key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analyzer.taxonomy import CATEGORY_LAYER


def iso(t: datetime | None) -> str | None:
    """UTC time as RFC3339 with Z (microseconds only when present)."""
    if t is None:
        return None
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text + "Z"


@dataclass
class Evidence:
    """One line behind a finding: a log line, an event, a metric or an object (file:line; a
    message that a terminal, YAML or a table wrapped over several lines spans line..end_line)."""

    path: str
    line: int | None
    text: str
    time: datetime | None = None
    match: tuple[int, int] | None = None
    source: str = "log"
    end_line: int | None = None   # the last line of a message joined from several lines

    def as_dict(self) -> dict[str, Any]:
        out = {"path": self.path, "line": self.line, "text": self.text,
               "time": iso(self.time), "match": list(self.match) if self.match else None,
               "source": self.source}
        if self.end_line is not None and self.line is not None and self.end_line > self.line:
            out["end_line"] = self.end_line  # only for a range: single lines read as before
        return out


@dataclass
class Affected:
    """An object a finding is about (a pod, a node, a namespace, a DynamoGraphDeployment...)."""

    namespace: str | None
    kind: str | None
    name: str | None
    container: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "kind": self.kind, "name": self.name,
                "container": self.container}


# kubelet names a pod ``name_namespace(uid)`` in its own log lines
_KUBELET_POD = re.compile(r"^(?P<name>[^_\s]+)_(?P<ns>[^_(\s]+)\((?P<uid>[^)]*)\)$")


@dataclass(frozen=True)
class PodRef:
    """A pod by namespace and name, optionally narrowed to one container.

    >>> PodRef.parse("dynamo/vllm-0").key
    ('dynamo', 'vllm-0')
    >>> str(PodRef.parse("vllm-0_dynamo(0f1e2d3c-4b5a)"))
    'dynamo/vllm-0'
    """

    namespace: str | None
    name: str
    container: str | None = None

    @classmethod
    def parse(cls, ref: str) -> "PodRef":
        """``ns/name``, kubelet's ``name_ns(uid)`` or a bare name."""
        m = _KUBELET_POD.match(ref)
        if m:
            return cls(m["ns"], m["name"])
        ns, _, name = ref.rpartition("/")
        return cls(ns or None, name)

    @classmethod
    def of(cls, row: dict[str, Any], container: str | None = None) -> "PodRef":
        """The pod of a table row: ``pods`` rows name it in ``name``, the rows of ``containers``,
        ``metrics`` and ``log_lines`` (which also have a ``name`` of their own) in ``pod``."""
        return cls(row.get("namespace"), row["pod"] if "pod" in row else row.get("name"), container)

    @property
    def key(self) -> tuple[str | None, str]:
        """``(namespace, name)``: how tables and lookups key a pod."""
        return self.namespace, self.name

    def affected(self) -> Affected:
        return Affected(self.namespace, "Pod", self.name, self.container)

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass
class Finding:
    """A pattern or check that fired for one object (or for the bundle as a whole)."""

    rule: str                  # pattern id (K8S012) or check id (CHK010)
    source: str                # "pattern" | "check"
    category: str
    severity: str
    title: str
    summary: str
    root_cause_text: str
    remediation: str
    checks: list[str]
    affected: list[Affected]
    evidence: list[Evidence] = field(default_factory=list)
    count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    node: str | None = None
    references: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    caused_by: str | None = None
    symptoms: list[str] = field(default_factory=list)
    explains: tuple[str, ...] = ()          # categories the pattern says it explains
    merged_into: str | None = None          # a root cause of the same category leads
    also: list["Finding"] = field(default_factory=list, repr=False)
    # active | recovered | past at collection time (``analyzer.state``); None until judged
    state: str | None = None
    state_reason: str = ""
    # no pattern or check produced it: the category was inferred from the words of an error
    # line (``analyzer.infer``), how sure (0..1), and the words that drove it
    inferred: bool = False
    confidence: float | None = None
    inferred_from: list[str] = field(default_factory=list)

    @property
    def layer(self) -> str:
        return CATEGORY_LAYER[self.category]

    @property
    def namespace(self) -> str | None:
        return self._places()[0]

    @property
    def pods(self) -> set[tuple[str | None, str]]:
        """The ``PodRef.key`` of every pod the finding affects."""
        return self._places()[1]

    def _places(self) -> tuple[str | None, set[tuple[str | None, str]]]:
        # correlation asks these of every finding pair: worked out again only when ``affected``
        # is replaced or grows (the cache holds the list itself, so its identity cannot be reused)
        cached = self.__dict__.get("_places_cache")
        if cached is None or cached[0] is not self.affected or cached[1] != len(self.affected):
            ns = next((a.namespace for a in self.affected if a.namespace), None)
            pods = {PodRef(a.namespace, a.name).key for a in self.affected if a.kind == "Pod" and a.name}
            cached = (self.affected, len(self.affected), (ns, pods))
            self.__dict__["_places_cache"] = cached
        return cached[2]

    def sort_time(self) -> str:
        """First seen as fixed-width text (sorts in time order; unknown times last)."""
        return self.first_seen.strftime("%Y-%m-%dT%H:%M:%S.%f") if self.first_seen else "9999"
