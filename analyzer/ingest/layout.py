"""Detect the bundle layout from marker files and give every member its kind and identity.

Layouts: ``collector`` (ours: ``manifest.json``, paths from
``analyzer.sources``), ``ft-results`` (Dynamo fault-tolerance test folders), ``troubleshoot``
(Replicated support bundle), ``must-gather`` (OpenShift, ``oc adm inspect``, GPU Operator flat
must-gather), ``cluster-info-dump``, ``file`` (one pasted file) and ``loose`` (anything else:
each file sniffed on its own).

A layout is told by markers inside the tree, at any depth, so that a part of a bundle is read as
what it is: troubleshoot's ``cluster-resources/<kind>/<namespace>.json`` (or its
``cluster-resources`` folder given alone), must-gather's ``namespaces/<ns>/core/<plural>.yaml``,
``namespaces/<ns>/<ns>.yaml``, ``pods/<pod>/<pod>.yaml`` and container logs (or one namespace
folder given alone), the cluster-info dump's ``nodes.json`` beside ``<ns>/pods.json`` (or one
namespace folder of it). ``Bundle.layout_base`` says where the layout's tree starts.
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
# the namespace folder above ``pods/`` is missing when one namespace folder is the input
_MG_LOG = regex.compile(r"(?:^|/)(?:(?P<namespace>[^/]+)/)?pods/(?P<pod>[^/]+)/(?P<container>[^/]+)/[^/]+/logs/(?P<which>current|previous|current\.insecure|previous\.insecure)\.log(?:\.gz)?$")
_MG_ROTATED = regex.compile(r"(?:^|/)(?:(?P<namespace>[^/]+)/)?pods/(?P<pod>[^/]+)/(?P<container>[^/]+)/[^/]+/logs/rotated/")
# oc adm inspect / must-gather: the core group's lists (and node files), a namespace's and a
# pod's own file
_MG_CORE_LIST = regex.compile(r"(?:^|/)core/(?:(?:pods|events|configmaps|services|endpoints|persistentvolumeclaims|"
                              r"replicationcontrollers|secrets|serviceaccounts|limitranges|resourcequotas|nodes|"
                              r"persistentvolumes|namespaces)\.yaml|nodes/[^/]+\.yaml)$")
_MG_OWN_FILE = regex.compile(r"(?:^|/)(?:namespaces|pods)/(?P<name>[^/]+)/(?P=name)\.yaml$")
# troubleshoot's cluster-resources folder: <kind>/<namespace>.json, cluster-scoped lists, logs
_TS_KIND_DIRS = ("pods|deployments|statefulsets|daemonsets|replicasets|jobs|cronjobs|services|ingress|"
                 "network-policy|resource-quota|limitranges|pvcs|roles|rolebindings|endpoints|endpointslices|"
                 "serviceaccounts|leases|configmaps|pod-disruption-budgets|events|auth-cani-list")
_TS_ROOT_FILES = ("nodes|namespaces|pvs|storage-classes|ingress-classes|priorityclasses|custom-resource-definitions|"
                  "clusterroles|clusterrolebindings|volumeattachments|groups|resources")
_TS_MARKER = regex.compile(rf"^(?P<base>(?:.*/)?)cluster-resources/(?:(?:{_TS_KIND_DIRS})/[^/]+\.json|"
                           rf"(?:{_TS_ROOT_FILES})\.json|pods/logs/.+)$")
_TS_KIND_FILE = regex.compile(rf"^(?:{_TS_KIND_DIRS})/[^/]+\.json$")
_TS_ROOT_FILE = regex.compile(rf"^(?:{_TS_ROOT_FILES})\.json$|^pods/logs/")
# kubectl cluster-info dump: nodes.json beside <namespace>/pods.json; one namespace folder alone
_CID_PODS = regex.compile(r"^(?P<base>(?:.*/)?)(?P<namespace>[^/]+)/pods\.(?:json|yaml)$")
_CID_NAMESPACE_FILES = ("pods.json", "replication-controllers.json")
# what ``detect`` returns as the prefix to add when the input is one namespace folder: the
# folder's own name, known only to the bundle (``subset_namespace``)
NAMESPACE_FOLDER = "<namespace>/"
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
        bundle.layout, bundle.layout_base = detect(paths)
        if bundle.layout_base[1] == NAMESPACE_FOLDER:
            bundle.layout_base = (bundle.layout_base[0], subset_namespace(bundle) + "/")
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
    return detect(paths)[0]


def detect(paths: list[str]) -> tuple[str, tuple[str, str]]:
    """The layout whose markers are present, and where its tree starts (``layout_base``: a
    prefix of the member paths to drop, and one to add for a part given alone)."""
    pset = set(paths)
    none = ("", "")
    if "manifest.json" in pset and any(p.startswith(("cluster/", "namespaces/")) for p in paths):
        return "collector", none
    if any(_FT_SCENARIO.search(p) for p in paths) or any(
            PurePosixPath(p).name == "test.log.txt" for p in paths):
        return "ft-results", none
    bases = {m["base"] for m in map(_TS_MARKER.match, paths) if m}
    if bases:
        return "troubleshoot", (min(bases, key=lambda b: (b.count("/"), b)), "")
    if any("cluster-scoped-resources/" in p or _MG_LOG.search(p) or _MG_CORE_LIST.search(p)
           or _MG_OWN_FILE.search(p) for p in paths) \
            or any(PurePosixPath(p).name in ("cluster_policy.yaml", "gpu_operand_pods.yaml",
                                            "gpu_operator_pod.yaml") for p in paths):
        return "must-gather", none
    dump = _cluster_info_dump_base(paths, pset)
    if dump is not None:
        return "cluster-info-dump", dump
    kinds = {p.split("/", 1)[0] for p in paths if _TS_KIND_FILE.match(p)}
    if kinds and (len(kinds) > 1 or any(_TS_ROOT_FILE.match(p) for p in paths)):
        return "troubleshoot", ("", "cluster-resources/")  # its cluster-resources folder alone
    return "loose", none


def _cluster_info_dump_base(paths: list[str], pset: set[str]) -> tuple[str, str] | None:
    """Where a cluster-info dump starts: the folder with nodes.json and <ns>/pods.json; a
    namespace folder of one given alone (pods.json beside replication-controllers.json) is read
    with its own name as the namespace (``NAMESPACE_FOLDER``, replaced by ``classify``)."""
    for m in map(_CID_PODS.match, paths):
        if m and f"{m['base']}nodes.json" in pset or m and f"{m['base']}nodes.yaml" in pset:
            return m["base"], ""
    if all(name in pset for name in _CID_NAMESPACE_FILES):
        return "", NAMESPACE_FOLDER
    return None


def layout_path(bundle: Bundle, path: str) -> str | None:
    """``path`` relative to where the layout's tree starts (``Bundle.layout_base``), None when
    it lies outside it (read as a loose file)."""
    strip, add = bundle.layout_base
    if strip and not path.startswith(strip):
        return None
    return add + path[len(strip):]


def subset_namespace(bundle: Bundle) -> str:
    """The namespace a single namespace folder given alone stands for: its name (the archive's
    top folder, or the folder given)."""
    return bundle.top or Path(bundle.root.rstrip("/")).name


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
    p = layout_path(bundle, m.path)
    if p is None:
        _classify_loose(bundle, m)
        return
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
        m.meta.update(namespace=lm["namespace"] or subset_namespace(bundle), pod=lm["pod"],
                      container=lm["container"], previous=lm["which"].startswith("previous"))
        return
    rm = _MG_ROTATED.search(p)
    if rm:
        m.kind = "log"
        m.meta.update(namespace=rm["namespace"] or subset_namespace(bundle), pod=rm["pod"],
                      container=rm["container"], rotated=True)
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
    p = layout_path(bundle, m.path)
    if p is None:
        _classify_loose(bundle, m)
        return
    lm = _CID_LOGS.match(p)
    if lm:
        m.kind = "log_multi"  # containers concatenated between START/END markers
        m.meta.update(namespace=lm["namespace"], pod=lm["pod"])
        return
    if p.endswith((".json", ".yaml")):
        m.kind = "objects"
        parts = p.split("/")
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
