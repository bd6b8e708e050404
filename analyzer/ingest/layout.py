"""Detect the bundle layout from marker files and give every member its kind and identity.

Layouts (SPEC section 5): ``collector`` (ours: ``manifest.json``, paths from
``analyzer.sources``), ``ft-results`` (Dynamo fault-tolerance test folders), ``troubleshoot``
(Replicated support bundle), ``must-gather`` (OpenShift, ``oc adm inspect``, GPU Operator flat
must-gather), ``cluster-info-dump``, ``file`` (one pasted file) and ``loose`` (anything else:
each file sniffed on its own).
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import regex

from analyzer.ingest.bundle import Bundle, Member, ReadError, ReadFailed
from analyzer.ingest.sniff import sniff_kind
from analyzer.sources import match_source

# Dynamo's fault-tolerance harness writes one folder per scenario, named after the deployment
# and the failure injected; in it the client logs, the test log and AI-Perf exports
FT_SCENARIO_DIR = regex.compile(r"^test_(?P<harness>fault_scenario|worker_failure)\[(?P<name>[^/]+)\]$")
FT_CLIENT_LOG = regex.compile(r"^client_(?P<client>\d+)\.log\.txt$")
FT_AIPERF_EXPORT = regex.compile(r"^(?:client_\d+/attempt_[^/]+|load)/profile_export_aiperf\.json$")
_FT_SCENARIO = regex.compile(r"(?:^|/)test_(?:fault_scenario|worker_failure)\[[^/]+\](?:/|$)")
_TS_LOG = regex.compile(r"^cluster-resources/pods/logs/(?P<namespace>[^/]+)/(?P<pod>[^/]+)/(?P<container>.+?)(?P<previous>-previous)?\.log$")
_TS_ERRORS = regex.compile(r"(?:-errors\.json|-logs-errors\.log)$")
_MG_LOG = regex.compile(r"(?:^|/)namespaces/(?P<namespace>[^/]+)/pods/(?P<pod>[^/]+)/(?P<container>[^/]+)/[^/]+/logs/(?P<which>current|previous|current\.insecure|previous\.insecure)\.log(?:\.gz)?$")
_MG_ROTATED = regex.compile(r"(?:^|/)namespaces/(?P<namespace>[^/]+)/pods/(?P<pod>[^/]+)/(?P<container>[^/]+)/[^/]+/logs/rotated/")
_MG_GPU_POD_LOG = regex.compile(r"^(?:.*/)?gpu_operand_pod_(?P<pod>.+?)(?P<previous>\.previous)?\.log$|^(?:.*/)?gpu_operator_pod(?P<previous2>\.previous)?\.log$")
_CID_LOGS = regex.compile(r"^(?P<namespace>[^/]+)/(?P<pod>[^/]+)/logs\.txt$")
_FT_POD = regex.compile(r"(?:^|/)(?P<service>[^/]+)/(?P<pod>[^/]+?)(?P<suffix>\.previous\.log|\.metrics\.log|\.log|\.yaml)$")



def strip_common_top(bundle: Bundle) -> None:
    """Bundles usually have one top folder (``gpu-bundle-.../``): member paths become relative to
    it (``bundle.top``). A fault-tolerance scenario folder stays: its name carries the
    deployment and the failure."""
    if bundle.layout == "file" or not bundle.members:
        return
    tops = {m.path.split("/", 1)[0] for m in bundle.members}
    if len(tops) == 1 and all("/" in m.path for m in bundle.members):
        top = tops.pop()
        if FT_SCENARIO_DIR.match(top):
            return
        bundle.top = top
        for m in bundle.members:
            m.path = m.path[len(top) + 1:]
        # problems met while listing name their member as every other path does
        bundle.read_errors[:] = [ReadError(_below(e.path, top), e.error) for e in bundle.read_errors]


def _below(path: str, top: str) -> str:
    return path[len(top) + 1:] if top and path.startswith(top + "/") else path


def resolve_links(bundle: Bundle) -> None:
    """A link that points at a member (or a folder of members) of the same bundle is an alias of
    what is read anyway (troubleshoot links its logs collectors' output and ``all-logs/`` into
    ``cluster-resources/pods/logs``): listed in ``bundle.aliases``, not an error. A link that
    points outside the bundle or at nothing in it stays refused."""
    if not bundle.links:
        return
    paths = {m.path for m in bundle.members}
    folders = {p.rsplit("/", i)[0] for p in paths for i in range(1, p.count("/") + 1)}
    refused = {}
    for listed, target in bundle.links.items():
        where = _below(listed, bundle.top)
        inside = _below(target, bundle.top) if target else None
        if inside and (inside in paths or inside in folders):
            bundle.aliases[where] = inside
        else:
            refused[where] = "points outside the bundle" if target is None else f"its target {inside} is not in the bundle"
    kept = []
    for e in bundle.read_errors:
        if e.path in refused:
            kept.append(ReadError(e.path, f"{e.error} ({refused[e.path]})"))
        elif e.path not in bundle.aliases:
            kept.append(e)
    bundle.read_errors[:] = kept


def classify(bundle: Bundle) -> None:
    """Set ``bundle.layout`` (unless a single file) and each member's ``kind`` and ``meta``."""
    paths = [m.path for m in bundle.members]
    if bundle.layout != "file":
        bundle.layout = detect_layout(paths)
    handler = _HANDLERS.get(bundle.layout, _classify_loose)
    for m in bundle.members:
        if m.size == 0:
            # listed (an empty previous log says something) but never opened: a million empty
            # members cost no more than their names
            hit = match_source(m.path) if bundle.layout == "collector" else None
            if hit:
                m.meta.update(hit[1], source=hit[0].name, previous=hit[0].name == "previous_log")
            m.kind = "empty"
            continue
        handler(bundle, m)
    if bundle.layout == "collector":
        _load_manifest(bundle)


def detect_layout(paths: list[str]) -> str:
    """The layout whose marker files are present."""
    pset = set(paths)
    if "manifest.json" in pset and any(p.startswith(("cluster/", "namespaces/")) for p in paths):
        return "collector"
    if any(_FT_SCENARIO.search(p) for p in paths) or any(
            PurePosixPath(p).name == "test.log.txt" for p in paths):
        return "ft-results"
    if any(p.startswith("cluster-resources/") for p in paths) and (
            "version.yaml" in pset or any(p.startswith("cluster-info/") for p in paths)
            or any(p.startswith("cluster-resources/pods/") for p in paths)):
        return "troubleshoot"
    if any("cluster-scoped-resources/" in p for p in paths) or any(_MG_LOG.search(p) for p in paths) \
            or any(PurePosixPath(p).name in ("cluster_policy.yaml", "gpu_operand_pods.yaml",
                                            "gpu_operator_pod.yaml") for p in paths):
        return "must-gather"
    if "nodes.json" in pset and any(regex.match(r"^[^/]+/pods\.json$", p) for p in paths):
        return "cluster-info-dump"
    return "loose"


def _sniff(m: Member) -> str:
    return sniff_kind(m.head(), m.name)


def _classify_loose(bundle: Bundle, m: Member) -> None:
    name = m.name.lower()
    kind = _sniff(m)
    if kind == "text" and name.endswith((".log", ".log.gz", ".txt")) and "previous" in name:
        m.meta["previous"] = True
    m.kind = kind


def _classify_file(bundle: Bundle, m: Member) -> None:
    m.kind = _sniff(m)


def _classify_collector(bundle: Bundle, m: Member) -> None:
    hit = match_source(m.path)
    if hit is None:
        _classify_loose(bundle, m)
        return
    src, values = hit
    m.kind = src.kind
    m.meta.update(values)
    m.meta["source"] = src.name
    if src.name == "previous_log":
        m.meta["previous"] = True
    if src.kind in ("text", "describe_pod", "describe_node") and not m.path.endswith(".json"):
        sniffed = _sniff(m)
        if sniffed == "binary":
            m.kind = "binary"


def _classify_troubleshoot(bundle: Bundle, m: Member) -> None:
    p = m.path
    lm = _TS_LOG.match(p)
    if lm:
        m.kind = "log"
        m.meta.update(namespace=lm["namespace"], pod=lm["pod"], container=lm["container"],
                      previous=bool(lm["previous"]))
        return
    if _TS_ERRORS.search(p):
        m.kind = "collect_errors"
        return
    if p == "cluster-info/cluster_version.json":
        m.kind = "version"
        return
    if p.startswith("cluster-resources/") and p.endswith((".json", ".yaml")):
        m.kind = "objects"
        parts = p.split("/")
        if len(parts) == 3:  # cluster-resources/<kind>/<namespace>.json
            m.meta["namespace"] = parts[2].rsplit(".", 1)[0]
        return
    if p in ("analysis.json", "version.yaml") or p.startswith(("execution-data/", "metadata/")):
        m.kind = "meta"
        return
    _classify_loose(bundle, m)


def _classify_must_gather(bundle: Bundle, m: Member) -> None:
    p = m.path
    lm = _MG_LOG.search(p)
    if lm:
        m.kind = "log"
        m.meta.update(namespace=lm["namespace"], pod=lm["pod"], container=lm["container"],
                      previous=lm["which"].startswith("previous"))
        return
    rm = _MG_ROTATED.search(p)
    if rm:
        m.kind = "log"
        m.meta.update(namespace=rm["namespace"], pod=rm["pod"], container=rm["container"], rotated=True)
        return
    gm = _MG_GPU_POD_LOG.match(p)
    if gm:
        m.kind = "log"
        m.meta.update(pod=gm["pod"] or "gpu-operator",
                      previous=bool(gm["previous"] or gm["previous2"]))
        return
    name = m.name
    if name.endswith((".yaml", ".yml", ".json")) and not name.endswith(("metrics.json",)):
        m.kind = "objects"
        return
    if name.endswith(".descr"):
        m.kind = "describe_node" if name.startswith("gpu_nodes") else _sniff(m)
        if m.kind == "text":
            m.kind = "describe"
        return
    if name in ("version", "timestamp", "event-filter.html"):
        m.kind = "meta"
        return
    _classify_loose(bundle, m)


def _classify_cluster_info_dump(bundle: Bundle, m: Member) -> None:
    lm = _CID_LOGS.match(m.path)
    if lm:
        m.kind = "log_multi"  # containers concatenated between START/END markers
        m.meta.update(namespace=lm["namespace"], pod=lm["pod"])
        return
    if m.path.endswith((".json", ".yaml")):
        m.kind = "objects"
        parts = m.path.split("/")
        if len(parts) == 2:
            m.meta["namespace"] = parts[0]
        return
    _classify_loose(bundle, m)


def _classify_ft(bundle: Bundle, m: Member) -> None:
    name = m.name
    if FT_CLIENT_LOG.match(name):
        m.kind = "ft_client"
        return
    if name in ("test.log.txt", "watcher.log.txt"):
        m.kind = "ft_test_log"
        return
    if name.endswith(".json") and ("aiperf" in name or "profile_export" in name):
        m.kind = "ft_aiperf"
        return
    fm = _FT_POD.search(m.path)
    if fm and _FT_SCENARIO.search(m.path):
        suffix = fm["suffix"]
        scen = _FT_SCENARIO.search(m.path).group(0).strip("/")
        # each scenario folder is a separate run: its name stands as the namespace, so that
        # findings of one run are never correlated with those of another
        m.meta.update(service=fm["service"], pod=fm["pod"], scenario=scen, namespace=scen)
        if suffix == ".yaml":
            m.kind = "objects"
        elif suffix == ".metrics.log":
            m.kind = "metrics"
        else:
            m.kind = "log"
            m.meta["previous"] = suffix == ".previous.log"
            m.meta["container"] = fm["service"].lower()
        return
    _classify_loose(bundle, m)


_HANDLERS = {
    "collector": _classify_collector,
    "troubleshoot": _classify_troubleshoot,
    "must-gather": _classify_must_gather,
    "cluster-info-dump": _classify_cluster_info_dump,
    "ft-results": _classify_ft,
    "file": _classify_file,
    "loose": _classify_loose,
}


def ft_scenario_folders(bundle: Bundle) -> list[tuple[str, str, list[tuple[str, Member]]]]:
    """The fault-tolerance scenario folders of a bundle, sorted by path: (path of the folder in
    the bundle, its name, its members with their paths relative to it).

    Every ``test_fault_scenario[...]`` / ``test_worker_failure[...]`` folder at any depth; when
    there is none, the bundle itself when it is one scenario folder (client logs, a test log or
    an AI-Perf export at its root), named after the input.
    """
    groups: dict[str, list[tuple[str, Member]]] = {}
    for m in bundle.members:
        parts = m.path.split("/")
        for i, part in enumerate(parts[:-1]):
            if FT_SCENARIO_DIR.match(part):
                groups.setdefault("/".join(parts[:i + 1]), []).append(("/".join(parts[i + 1:]), m))
                break
    if groups:
        return [(prefix, prefix.rsplit("/", 1)[-1], members) for prefix, members in sorted(groups.items())]
    if any(FT_CLIENT_LOG.match(m.path) or m.path == "test.log.txt" or FT_AIPERF_EXPORT.match(m.path)
           for m in bundle.members):
        return [("", bundle.top or Path(bundle.root).resolve().name, [(m.path, m) for m in bundle.members])]
    return []


def _load_manifest(bundle: Bundle) -> None:
    for m in bundle.members:
        if m.kind == "manifest":
            try:
                data = json.loads(m.read_bytes(bundle.limits.max_object_bytes))
            except (ReadFailed, ValueError, RecursionError) as exc:
                bundle.error(m.path, f"manifest unreadable: {str(exc).splitlines()[0] if str(exc) else exc}")
                return
            if isinstance(data, dict):
                bundle.manifest = data
            else:
                bundle.error(m.path, "manifest is not a JSON object")
            return
