"""Where each foreign collector keeps the cluster's objects, and what its lists hold.

A layout's known places hold the cluster's state as the collector read it from the API server;
an object file anywhere else in the tree (a manifest someone dropped into the folder, a
collector's own bookkeeping) is a manifest, not cluster state: its objects do not become pods,
nodes or events. ``list_kind`` names the kind of a file's objects where the collector leaves it
out (troubleshoot's CRD list names none; kubectl 1.10 and older wrote ``cluster-info dump`` in
the internal serialization, without kinds).

Sources: troubleshoot ``pkg/constants/constants.go`` (the ``CLUSTER_RESOURCES_*`` names),
``pkg/collect/cluster_resources.go``; ``kubectl cluster-info dump``
(``staging/src/k8s.io/kubectl/pkg/cmd/clusterinfo/clusterinfo_dump.go``); must-gather and
``oc adm inspect`` (``pkg/cli/admin/inspect``), ``../shared/reference/bundle-layouts.md``.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import regex

# troubleshoot: cluster-resources/<name>.json and cluster-resources/<name>/<namespace>.json,
# names compared without case and dashes (older versions wrote clusterRoleBindings.json,
# resource-quotas/)
_TROUBLESHOOT_KINDS: dict[str, tuple[str, str]] = {
    "namespaces": ("v1", "Namespace"), "nodes": ("v1", "Node"), "pods": ("v1", "Pod"),
    "events": ("v1", "Event"), "services": ("v1", "Service"), "endpoints": ("v1", "Endpoints"),
    "configmaps": ("v1", "ConfigMap"), "serviceaccounts": ("v1", "ServiceAccount"),
    "limitranges": ("v1", "LimitRange"), "resourcequota": ("v1", "ResourceQuota"),
    "resourcequotas": ("v1", "ResourceQuota"), "pvs": ("v1", "PersistentVolume"),
    "pvcs": ("v1", "PersistentVolumeClaim"), "imagepullsecrets": ("v1", "Secret"),
    "deployments": ("apps/v1", "Deployment"), "replicasets": ("apps/v1", "ReplicaSet"),
    "statefulsets": ("apps/v1", "StatefulSet"), "daemonsets": ("apps/v1", "DaemonSet"),
    "jobs": ("batch/v1", "Job"), "cronjobs": ("batch/v1", "CronJob"),
    "ingress": ("networking.k8s.io/v1", "Ingress"), "ingressclasses": ("networking.k8s.io/v1", "IngressClass"),
    "networkpolicy": ("networking.k8s.io/v1", "NetworkPolicy"),
    "poddisruptionbudgets": ("policy/v1", "PodDisruptionBudget"),
    "storageclasses": ("storage.k8s.io/v1", "StorageClass"),
    "volumeattachments": ("storage.k8s.io/v1", "VolumeAttachment"),
    "customresourcedefinitions": ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    "roles": ("rbac.authorization.k8s.io/v1", "Role"),
    "rolebindings": ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    "clusterroles": ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    "clusterrolebindings": ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    "priorityclasses": ("scheduling.k8s.io/v1", "PriorityClass"),
    "endpointslices": ("discovery.k8s.io/v1", "EndpointSlice"),
    "leases": ("coordination.k8s.io/v1", "Lease"),
    "certificatesigningrequests": ("certificates.k8s.io/v1", "CertificateSigningRequest"),
    "validatingwebhookconfigurations": ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
    "mutatingwebhookconfigurations": ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
}

# kubectl cluster-info dump: nodes.<ext> at the top, <ns>/<name>.<ext> per namespace (the
# extension follows -o: json, yaml or txt). The workloads came from the extensions group until
# kubectl 1.10, which is also when kinds were left out
_DUMP_KINDS: dict[str, tuple[str, str]] = {
    "nodes": ("v1", "Node"), "events": ("v1", "Event"), "pods": ("v1", "Pod"),
    "services": ("v1", "Service"), "replication-controllers": ("v1", "ReplicationController"),
    "daemonsets": ("extensions/v1beta1", "DaemonSet"), "deployments": ("extensions/v1beta1", "Deployment"),
    "replicasets": ("extensions/v1beta1", "ReplicaSet"),
}
_DUMP_OBJECTS = regex.compile(r"^(?:nodes|[^/]+/(?:events|pods|services|replication-controllers|daemonsets"
                              r"|deployments|replicasets))\.(?:json|ya?ml|txt)$")

# must-gather / oc adm inspect: <group>/<plural>.yaml lists and <group>/<plural>/<name>.yaml
# objects under cluster-scoped-resources/ and namespaces/<ns>/ (the namespace itself in
# namespaces/<ns>/<ns>.yaml, each pod in namespaces/<ns>/pods/<pod>/<pod>.yaml); the default
# image's gather_webhooks copies webhook configurations to web_hooks/
_MG_OBJECTS = regex.compile(r"(?:^|/)(?:cluster-scoped-resources/[^/]+/(?:[^/]+/)?[^/]+"
                            r"|namespaces/[^/]+/(?:[^/]+/){0,2}[^/]+|web_hooks/[^/]+)\.ya?ml$")
# the GPU Operator's flat must-gather: every YAML beside one of these is a `kubectl get -o yaml`
_MG_GPU_MARKERS = frozenset({"cluster_policy.yaml", "gpu_operand_pods.yaml", "gpu_operator_pod.yaml",
                             "gpu_operand_ds.yaml", "nvidiadrivers.yaml"})

LAYOUTS_WITH_PLACES = ("troubleshoot", "must-gather", "cluster-info-dump")


def _key(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def troubleshoot_kind(name: str) -> tuple[str, str] | None:
    """(apiVersion, kind) of a troubleshoot ``cluster-resources`` name (``storage-classes``).

    >>> troubleshoot_kind("clusterRoleBindings")
    ('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding')
    """
    return _TROUBLESHOOT_KINDS.get(_key(name))


def list_kind(layout: str, path: str) -> tuple[str, str] | None:
    """(apiVersion, kind) of the objects a file of this layout holds, when its place says it.

    >>> list_kind("troubleshoot", "cluster-resources/custom-resource-definitions.json")
    ('apiextensions.k8s.io/v1', 'CustomResourceDefinition')
    >>> list_kind("cluster-info-dump", "kube-system/pods.json")
    ('v1', 'Pod')
    """
    parts = path.split("/")
    stem = PurePosixPath(path).stem
    if layout == "troubleshoot" and parts[0] == "cluster-resources" and len(parts) in (2, 3):
        return troubleshoot_kind(stem if len(parts) == 2 else parts[1])
    if layout == "cluster-info-dump" and _DUMP_OBJECTS.match(path):
        return _DUMP_KINDS.get(stem)
    return None


def is_cluster_state(layout: str, path: str, dirs_with_markers: frozenset[str] = frozenset()) -> bool:
    """Whether an object file at ``path`` is in one of the layout's places for the cluster's
    objects (always, for layouts that define none). ``dirs_with_markers``: the folders holding a
    GPU Operator must-gather marker file (``marker_dirs``).

    >>> is_cluster_state("cluster-info-dump", "my-deployment.yaml")
    False
    >>> is_cluster_state("must-gather", "mg/quay-io-x/namespaces/gpu/core/pods.yaml")
    True
    """
    if layout == "troubleshoot":
        return path.startswith("cluster-resources/")
    if layout == "cluster-info-dump":
        return bool(_DUMP_OBJECTS.match(path))
    if layout == "must-gather":
        return bool(_MG_OBJECTS.search(path)) or str(PurePosixPath(path).parent) in dirs_with_markers
    return True


def marker_dirs(paths: list[str]) -> frozenset[str]:
    """The folders of a must-gather that hold a GPU Operator flat must-gather."""
    return frozenset(str(PurePosixPath(p).parent) for p in paths if PurePosixPath(p).name in _MG_GPU_MARKERS)
