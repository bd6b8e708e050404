"""Every source our collector writes, named once: source name -> path in the bundle -> kind,
and the API resource its command reads.

The collector script (`analyzer/collector/collect-bundle.sh`) embeds the same table (name, path,
kind) between its ``BEGIN SOURCES`` / ``END SOURCES`` markers (a test keeps the two equal); the
ingest stage uses it to give each member of a collector bundle its kind and its
namespace/pod/container, and ``serve`` to answer for the resource of a command the cluster
refused at collection time as the cluster did.

Path placeholders: ``{namespace}``, ``{pod}``, ``{container}``, ``{node}``, ``{resource}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex


@dataclass(frozen=True)
class Source:
    """One source: its name, path pattern, member kind, what it holds, and the API resource its
    command reads as kubectl names it (``deployments.apps``; ``{resource}`` when the path names
    it; empty for what is not one resource)."""

    name: str
    path: str
    kind: str
    what: str
    resource: str = ""

    def group_resource(self, values: dict[str, str] | None = None) -> tuple[str, str] | None:
        """(API group, plural) of ``resource`` (placeholders filled from ``values``), or None.

        >>> BY_NAME["deployments"].group_resource(), BY_NAME["pods"].group_resource()
        (('apps', 'deployments'), ('', 'pods'))
        """
        try:
            name = self.resource.format(**(values or {}))
        except KeyError:  # a placeholder without its value
            return None
        if not name:
            return None
        plural, _, group = name.partition(".")
        return group, plural


# name, path pattern, member kind, what it holds (the kubectl command the collector runs), resource
SOURCES: tuple[Source, ...] = tuple(Source(*row) for row in (
    ("manifest", "manifest.json", "manifest", "collector run record: version, context, one record per command"),
    ("version", "cluster/version.json", "version", "kubectl version -o json"),
    ("context", "cluster/context.txt", "text", "kubectl config current-context"),
    ("nodes", "cluster/nodes.json", "objects", "kubectl get nodes -o json", "nodes"),
    ("nodes_describe", "cluster/nodes.describe.txt", "describe_node", "kubectl describe nodes", "nodes"),
    ("namespaces", "cluster/namespaces.json", "objects", "kubectl get namespaces -o json", "namespaces"),
    ("persistentvolumes", "cluster/persistentvolumes.json", "objects", "kubectl get pv -o json", "persistentvolumes"),
    ("storageclasses", "cluster/storageclasses.json", "objects", "kubectl get storageclasses -o json", "storageclasses.storage.k8s.io"),
    ("crds", "cluster/customresourcedefinitions.json", "objects", "kubectl get crd -o json",
     "customresourcedefinitions.apiextensions.k8s.io"),
    ("mutatingwebhooks", "cluster/mutatingwebhookconfigurations.json", "objects",
     "kubectl get mutatingwebhookconfigurations -o json",
     "mutatingwebhookconfigurations.admissionregistration.k8s.io"),
    ("runtimeclasses", "cluster/runtimeclasses.json", "objects", "kubectl get runtimeclasses -o json",
     "runtimeclasses.node.k8s.io"),
    ("helm_releases", "cluster/helm-releases.json", "helm", "helm list -A -o json"),
    ("top_nodes", "cluster/top-nodes.txt", "text", "kubectl top nodes (needs metrics-server)"),
    ("cluster_custom_resources", "cluster/custom/{resource}.json", "objects",
     "kubectl get RESOURCE -o json (cluster-scoped GPU CRs such as ClusterPolicy)", "{resource}"),
    ("pods", "namespaces/{namespace}/pods.json", "objects", "kubectl get pods -n NS -o json", "pods"),
    ("pods_describe", "namespaces/{namespace}/pods.describe.txt", "describe_pod", "kubectl describe pods -n NS", "pods"),
    ("events", "namespaces/{namespace}/events.json", "objects", "kubectl get events -n NS -o json", "events"),
    ("deployments", "namespaces/{namespace}/deployments.json", "objects", "kubectl get deployments -n NS -o json",
     "deployments.apps"),
    ("statefulsets", "namespaces/{namespace}/statefulsets.json", "objects", "kubectl get statefulsets -n NS -o json",
     "statefulsets.apps"),
    ("daemonsets", "namespaces/{namespace}/daemonsets.json", "objects", "kubectl get daemonsets -n NS -o json",
     "daemonsets.apps"),
    ("replicasets", "namespaces/{namespace}/replicasets.json", "objects", "kubectl get replicasets -n NS -o json",
     "replicasets.apps"),
    ("jobs", "namespaces/{namespace}/jobs.json", "objects", "kubectl get jobs -n NS -o json", "jobs.batch"),
    ("services", "namespaces/{namespace}/services.json", "objects", "kubectl get services -n NS -o json", "services"),
    ("endpoints", "namespaces/{namespace}/endpoints.json", "objects", "kubectl get endpoints -n NS -o json", "endpoints"),
    ("pvcs", "namespaces/{namespace}/persistentvolumeclaims.json", "objects", "kubectl get pvc -n NS -o json",
     "persistentvolumeclaims"),
    ("configmaps", "namespaces/{namespace}/configmaps.json", "objects", "kubectl get configmaps -n NS -o json", "configmaps"),
    ("secrets", "namespaces/{namespace}/secrets.json", "objects",
     "kubectl get secrets -n NS -o json, values dropped: names and key names only", "secrets"),
    ("hpas", "namespaces/{namespace}/horizontalpodautoscalers.json", "objects", "kubectl get hpa -n NS -o json",
     "horizontalpodautoscalers.autoscaling"),
    ("ingresses", "namespaces/{namespace}/ingresses.json", "objects", "kubectl get ingress -n NS -o json",
     "ingresses.networking.k8s.io"),
    ("networkpolicies", "namespaces/{namespace}/networkpolicies.json", "objects",
     "kubectl get networkpolicies -n NS -o json", "networkpolicies.networking.k8s.io"),
    ("top_pods", "namespaces/{namespace}/top-pods.txt", "text", "kubectl top pods -n NS (needs metrics-server)"),
    ("custom_resources", "namespaces/{namespace}/custom/{resource}.json", "objects",
     "kubectl get RESOURCE -n NS -o json (DynamoGraphDeployments and other CRs)", "{resource}"),
    ("log", "namespaces/{namespace}/logs/{pod}/{container}.log", "log", "kubectl logs POD -c C --timestamps"),
    ("previous_log", "namespaces/{namespace}/logs/{pod}/{container}.previous.log", "log",
     "kubectl logs POD -c C --previous --timestamps"),
    ("metrics", "namespaces/{namespace}/metrics/{pod}.prom", "metrics",
     "kubectl get --raw /api/v1/namespaces/NS/pods/POD:PORT/proxy/metrics"),
    ("exec", "namespaces/{namespace}/exec/{pod}/{container}.txt", "text",
     "kubectl exec POD -c C -- nvidia-smi (optional)"),
    # GPU node evidence: the node is in the path (ingest gives it as the member's ``node``)
    ("node_kernel_log", "nodes/{node}/kernel.log", "text",
     "tail of the GPU node's kernel log: kubectl exec into the GPU Operator driver pod -- dmesg -T (or dmesg); "
     "with --node-debug, kubectl debug node/NODE then journalctl -k (or dmesg -T, dmesg) on the host"),
    ("node_nvidia_smi", "nodes/{node}/nvidia-smi-q.txt", "text",
     "nvidia-smi -q on the GPU node, the same two ways"),
    ("node_dcgm_metrics", "nodes/{node}/dcgm-exporter.prom", "metrics",
     "kubectl get --raw /api/v1/namespaces/NS/pods/POD:PORT/proxy/metrics of the node's DCGM exporter pod"),
))

BY_NAME: dict[str, Source] = {s.name: s for s in SOURCES}

_SEGMENT = {"resource": r"[^/]+", "namespace": r"[^/]+", "pod": r"[^/]+", "node": r"[^/]+",
            "container": r"[^/]+?"}


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[Source, regex.Pattern[str]], ...]:
    out = []
    for src in SOURCES:
        rx = regex.escape(src.path)
        for key, seg in _SEGMENT.items():
            rx = rx.replace(regex.escape("{" + key + "}"), f"(?P<{key}>{seg})")
        out.append((src, regex.compile(rx + r"\Z")))
    # previous_log must win over log for "c.previous.log": try longer literal tails first
    out.sort(key=lambda item: -len(item[0].path))
    return tuple(out)


def match_source(path: str) -> tuple[Source, dict[str, str]] | None:
    """The source a bundle-relative path belongs to, with its placeholders filled in."""
    for src, rx in _compiled():
        m = rx.match(path)
        if m:
            return src, m.groupdict()
    return None


def source_path(name: str, **values: str) -> str:
    """The path of source ``name`` in our layout, placeholders filled from ``values``."""
    return BY_NAME[name].path.format(**values)
