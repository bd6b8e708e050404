"""The diagnosis's fallback: failures that no pattern or check explains are never met with silence.

Input: the error lines no pattern hit (``analyzer.infer.ErrorLines``, folded into template
groups while the logs were matched) and the Warning events no pattern hit. Output:

- ``unexplained``: every such template with its count, first evidence, the objects it was seen
  on and the category its words point to (if any), most telling first: the report's "errors no
  pattern knows", what a support engineer reads when the named causes do not add up and what a
  pattern author adds next;
- inferred findings, when the input shows a failure (an error, fatal or exception line, a panic,
  a non-zero exit, a Warning event, a pod not running) and no pattern or check names a specific
  cause (``needed``): the most telling unexplained errors become findings of the category their
  words point to (``inferred: true``, the confidence and the words), or ``unclassified.error``
  with the line itself. They are ranked with the others: a named category of an earlier layer
  explains them, and they explain a generic crash loop of the same pod.

Severity: an inferred finding is an ``error`` only when its line says that a process failed (an
uncaught exception, a panic, a fatal level, a closing ``Error:``, or an error followed by an exit
in the same file) and, in a collected bundle, its pod is failing in the recorded state; otherwise
it is a ``warning``, which a pasted text still names as its root cause when nothing else is
found, and which a healthy bundle with ERROR-level noise never raises to an alarm.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from analyzer.diagnose.rules import GENERIC
from analyzer.findings import Affected, Evidence, Finding, PodRef, iso
from analyzer.infer.lines import GROUP_SCHEMA, IDENTITY, candidate_features, fold, rank
from analyzer.infer.template import message
from analyzer.infer.vocab import Vocabulary, closest_pattern
from analyzer.library import CONTEXT_NAMES
from analyzer.taxonomy import CATEGORY_LAYER

UNCLASSIFIED = "unclassified.error"
MAX_UNEXPLAINED = 50   # templates listed in the result
MAX_INFERRED = 3       # most telling templates that may become findings
ROOT_SEVERITIES = ("critical", "error")
# a container waiting for one of these reasons is on its way up, not failing
_STARTING = ("ContainerCreating", "PodInitializing")


def needed(findings: list[Finding]) -> bool:
    """True when no pattern or check names a specific cause at error or critical: only then do
    unexplained errors become findings (a generic crash loop names no cause)."""
    return not any(f.severity in ROOT_SEVERITIES and f.category not in GENERIC for f in findings)


def event_groups(events: pl.DataFrame, signals: pl.DataFrame) -> pl.DataFrame:
    """Warning events that no pattern hit, as template groups (an event's count is its weight)."""
    if events.is_empty():
        return pl.DataFrame(schema=GROUP_SCHEMA)
    warn = events.filter(pl.col("type") == "Warning")
    hit = signals.filter(pl.col("source") == "events").select("path", "line").unique()
    if not hit.is_empty() and not warn.is_empty():
        warn = warn.with_columns(pl.col("line").cast(pl.UInt32)).join(hit, on=["path", "line"], how="anti",
                                                                       nulls_equal=True)
    if warn.is_empty():
        return pl.DataFrame(schema=GROUP_SCHEMA)
    rows = warn.select(
        "path", pl.col("line").cast(pl.UInt32),
        pl.concat_str([pl.lit("Warning"), pl.col("reason").fill_null(""), pl.col("message").fill_null("")],
                      separator=" ").alias("text"),
        pl.lit("WARNING").alias("level"), pl.coalesce("first_time", "last_time").alias("time"),
        pl.lit("events").alias("source"), "namespace",
        pl.when(pl.col("object_kind") == "Pod").then(pl.col("object_name")).alias("pod"),
        pl.col("field_path").str.extract(r"\{([^}]*)\}", 1).alias("container"),
        pl.col("count").fill_null(1).cast(pl.Int64).alias("_n"))
    cand = candidate_features(rows)
    if cand.is_empty():
        return pl.DataFrame(schema=GROUP_SCHEMA)
    # an event seen 12 times is one row of the events table: its count weighs
    cand = cand.with_columns(pl.col("_n").alias("count"), pl.col("time").alias("last_time"),
                             pl.col("path").alias("last_path"), pl.col("line").alias("last_line")).drop("_n")
    return fold(cand)


def _failing_pods(tables: dict[str, pl.DataFrame]) -> set[tuple[str | None, str]]:
    """Pods whose recorded state shows a failure: not running (and not done), a container that
    exited non-zero, waits for another reason than starting, or is not ready after a non-zero
    exit (a container that restarted once and runs ready since has recovered)."""
    out: set[tuple[str | None, str]] = set()
    pods = tables.get("pods")
    if pods is not None and not pods.is_empty():
        bad = pods.filter(~pl.col("phase").fill_null("Running").is_in(["Running", "Succeeded"]))
        out.update(PodRef(ns, name).key for ns, name in bad.select("namespace", "name").iter_rows())
    ctrs = tables.get("containers")
    if ctrs is not None and not ctrs.is_empty():
        bad = ctrs.filter((pl.col("state_exit_code").fill_null(0) != 0)
                          | ((pl.col("last_exit_code").fill_null(0) != 0) & ~pl.col("ready").fill_null(False))
                          | ((pl.col("state") == "waiting") & ~pl.col("state_reason").fill_null("").is_in(_STARTING)))
        out.update(PodRef(ns, name).key for ns, name in bad.select("namespace", "pod").iter_rows())
    return out


def _shown_failure(groups: pl.DataFrame, events: pl.DataFrame, failing: set, pasted: bool) -> bool:
    """The input shows a failure: an error-level, exception, panic or exit line, a Warning
    event, or a pod not running; in a pasted text, any line of failure that is not noise (the
    text was pasted because something failed)."""
    if failing:
        return True
    if not events.is_empty() and events.filter(pl.col("type") == "Warning").height:
        return True
    shown = pl.col("strong") | pl.col("exit") | (pl.col("tell") >= 2)
    if pasted:
        shown = shown | ((pl.col("tell") > 0) & ~pl.col("noise"))
    return bool(groups.height and groups.filter(shown).height)


class Fallback:
    """The unexplained errors of one bundle, ranked, with their inferred categories."""

    def __init__(self, tables: dict[str, pl.DataFrame], signals: pl.DataFrame, log_groups: pl.DataFrame,
                 vocab: Vocabulary, pasted: bool, named: set[str] = frozenset(), library=None) -> None:
        """``named``: the patterns and checks that made findings; lines a pattern hit but needed
        more of (``held``) are explained when it made one after all. ``library``: where an
        inferred finding looks up the known failure it most resembles, for its next step."""
        self.library = library
        events = tables.get("events", pl.DataFrame())
        groups = pl.concat([log_groups.select(list(GROUP_SCHEMA)), event_groups(events, signals)])
        groups = groups.filter(~pl.col("held").is_in(sorted(named)).fill_null(False))
        self.groups = rank(groups)
        self.failing = _failing_pods(tables)
        self.shown = _shown_failure(self.groups, events, self.failing, pasted)
        self.pasted = pasted
        self.rows: list[dict[str, Any]] = self.groups.head(MAX_UNEXPLAINED).to_dicts()
        for r in self.rows:
            got = vocab.infer(r["text"], r["template"])
            r["category"], r["confidence"], r["words"] = got if got else (None, None, [])
        self.finding_of: dict[int, Finding] = {}

    def findings(self) -> list[Finding]:
        """Inferred findings for the most telling unexplained errors (the best one always, the
        next ones when they name another category); none when the input shows no failure."""
        if not self.shown:
            return []
        out: list[Finding] = []
        seen: set[str] = set()
        for i, r in enumerate(self.rows[:MAX_INFERRED]):
            if r["exit"] and r["tell"] <= 0:
                continue  # "exit code 1" says that something failed, not what
            if r["noise"] and out:
                continue
            category = r["category"] or UNCLASSIFIED
            if category in seen:
                continue
            seen.add(category)
            f = self._finding(r)
            self.finding_of[i] = f
            out.append(f)
        return out

    def _severity(self, r: dict[str, Any], pod: PodRef | None) -> str:
        if not r["strong"]:
            return "warning"
        if self.pasted:
            return "error"
        # in a collected bundle the recorded state decides: a pod that is failing now
        return "error" if pod is not None and pod.key in self.failing else "warning"

    def _finding(self, r: dict[str, Any]) -> Finding:
        pod = PodRef(r["namespace"], r["pod"], r["container"]) if r["pod"] else None
        category = r["category"] or UNCLASSIFIED
        evidence = [Evidence(r["path"], r["line"], r["text"], r["time"], None, r["source"])]
        n = int(r["count"])
        lines = f"{n} line{'s' if n != 1 else ''}" if r["source"] != "events" else f"{n} event{'s' if n != 1 else ''}"
        shown = " ".join(message(r["text"]).split()) or " ".join(r["text"].split())
        short = shown if len(shown) <= 110 else shown[:107] + "..."
        if r["category"]:
            words = ", ".join(r["words"])
            summary = (f"{lines} like this, which no pattern knows; the words ({words}) point to "
                       f"{category} (confidence {r['confidence']:.2f})")
            explanation = (f"No pattern or check of the library recognises this message, so its category was "
                           f"inferred from its words ({words}): they are the words of {category} failures "
                           f"({CATEGORY_LAYER[category]} layer). Treat it as a lead, not a diagnosis: read the "
                           "evidence line and the lines before it.")
            remediation = (f"Confirm the failure in the evidence and the lines before it, then follow the "
                           f"remediation of the {category} patterns (bundle-analyzer patterns list). Once known, "
                           "add a pattern for this message so that the next bundle names it.")
            known = closest_pattern(self.library, category, r["text"]) if self.library is not None else None
            if known is not None:
                # the known failure it resembles most: its next step, clearly attributed
                blanks = {name: f"<{name}>" for name in (*known.group_names, *CONTEXT_NAMES)}
                step = known.render(known.remediation, blanks).split("\n\n", 1)[0].strip()
                remediation = (f"Confirm the failure in the evidence and the lines before it. The closest failure "
                               f"the library knows is {known.id} ({known.title}); its next step: {step} Once "
                               "known, add a pattern for this message so that the next bundle names it.")
        else:
            summary = f"{lines} like this, which no pattern knows and whose words point to no category"
            explanation = ("No pattern or check of the library recognises this message and its words do not "
                           "point to a category: the line itself is the finding. Read it and the lines before it.")
            remediation = ("Read the evidence line and the lines before it to identify the failure; once known, "
                           "add a pattern for this message so that the next bundle names it.")
        checks = []
        if pod is not None:
            ctr = f" -c {pod.container}" if pod.container else ""
            checks.append(f"kubectl logs {pod.name} -n {pod.namespace or '<namespace>'}{ctr} --previous")
        return Finding(
            rule="inferred", source="inferred", category=category, severity=self._severity(r, pod),
            title=f"Error no pattern knows: {short}", summary=summary, root_cause_text=explanation,
            remediation=remediation, checks=checks, affected=[pod.affected()] if pod else [],
            evidence=evidence, count=n, first_seen=r["time"], last_seen=r["last_time"],
            details={"template": r["template"], "tell": round(float(r["score"]), 2)},
            inferred=True, confidence=r["confidence"], inferred_from=list(r["words"]))

    def unexplained(self) -> list[dict[str, Any]]:
        """The ``unexplained`` list of the result (most telling first)."""
        out = []
        for i, r in enumerate(self.rows):
            f = self.finding_of.get(i)
            affected = [Affected(r["namespace"], "Pod", r["pod"], r["container"]).as_dict()] if r["pod"] else []
            out.append({
                "template": r["template"], "count": int(r["count"]), "category": r["category"],
                "confidence": r["confidence"], "inferred_from": list(r["words"]),
                "source": r["source"], "level": r["level"], "affected": affected,
                "first_seen": iso(r["time"]), "last_seen": iso(r["last_time"]),
                "evidence": [{"path": r["path"], "line": r["line"], "text": r["text"]}],
                "finding": f.id if f is not None and f.id else None,
            })
        return out


__all__ = ["IDENTITY", "UNCLASSIFIED", "Fallback", "event_groups", "needed", "rank"]
