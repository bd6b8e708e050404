"""The API resources `serve` knows: the built-in kinds kubectl asks for, plus the bundle's CRDs.

A resource is addressed by (group, plural). Built-in kinds are always advertised (an empty list is
the truthful offline answer to `kubectl get leases`); custom resources come from the bundle's
CustomResourceDefinitions, or, when a bundle holds custom objects without their CRD, are inferred
from the objects' apiVersion and kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analyzer.parse.quantity import bounded_int


@dataclass(frozen=True)
class Resource:
    """One API resource as discovery describes it."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()


def _r(gv: str, kind: str, plural: str, namespaced: bool, *short: str) -> Resource:
    group, _, version = gv.rpartition("/")
    return Resource(group, version, kind, plural, namespaced, tuple(short))


BUILTIN: tuple[Resource, ...] = (
    _r("v1", "Pod", "pods", True, "po"),
    _r("v1", "Node", "nodes", False, "no"),
    _r("v1", "Namespace", "namespaces", False, "ns"),
    _r("v1", "Event", "events", True, "ev"),
    _r("v1", "Service", "services", True, "svc"),
    _r("v1", "Endpoints", "endpoints", True, "ep"),
    _r("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, "pvc"),
    _r("v1", "PersistentVolume", "persistentvolumes", False, "pv"),
    _r("v1", "ConfigMap", "configmaps", True, "cm"),
    _r("v1", "Secret", "secrets", True),
    _r("v1", "ServiceAccount", "serviceaccounts", True, "sa"),
    _r("v1", "ReplicationController", "replicationcontrollers", True, "rc"),
    _r("v1", "ResourceQuota", "resourcequotas", True, "quota"),
    _r("v1", "LimitRange", "limitranges", True, "limits"),
    _r("apps/v1", "Deployment", "deployments", True, "deploy"),
    _r("apps/v1", "StatefulSet", "statefulsets", True, "sts"),
    _r("apps/v1", "DaemonSet", "daemonsets", True, "ds"),
    _r("apps/v1", "ReplicaSet", "replicasets", True, "rs"),
    _r("apps/v1", "ControllerRevision", "controllerrevisions", True),
    _r("batch/v1", "Job", "jobs", True),
    _r("batch/v1", "CronJob", "cronjobs", True, "cj"),
    _r("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, "hpa"),
    _r("networking.k8s.io/v1", "Ingress", "ingresses", True, "ing"),
    _r("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True, "netpol"),
    _r("networking.k8s.io/v1", "IngressClass", "ingressclasses", False),
    _r("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", True),
    _r("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", True, "pdb"),
    _r("storage.k8s.io/v1", "StorageClass", "storageclasses", False, "sc"),
    _r("storage.k8s.io/v1", "CSIDriver", "csidrivers", False),
    _r("storage.k8s.io/v1", "VolumeAttachment", "volumeattachments", False),
    _r("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False, "crd", "crds"),
    _r("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", False),
    _r("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", False),
    _r("node.k8s.io/v1", "RuntimeClass", "runtimeclasses", False),
    _r("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", False, "pc"),
    _r("coordination.k8s.io/v1", "Lease", "leases", True),
    _r("rbac.authorization.k8s.io/v1", "Role", "roles", True),
    _r("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True),
    _r("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    _r("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
)

# Resources that only accept "create" (kubectl auth can-i posts one).
ACCESS_REVIEW = Resource("authorization.k8s.io", "v1", "SelfSubjectAccessReview",
                         "selfsubjectaccessreviews", False)


def guess_plural(kind: str) -> str:
    """The plural the API would most likely use for ``kind`` (for CRs whose CRD is missing)."""
    k = kind.lower()
    if k.endswith(("s", "x", "ch", "sh")):
        return k + "es"
    if k.endswith("y") and len(k) > 1 and k[-2] not in "aeiou":
        return k[:-1] + "ies"
    return k + "s"


def from_crd(crd: dict[str, Any]) -> list[Resource]:
    """The served versions of one CustomResourceDefinition (apiextensions v1 or v1beta1)."""
    spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    group = spec.get("group")
    kind = names.get("kind")
    plural = names.get("plural")
    if not (isinstance(group, str) and isinstance(kind, str) and isinstance(plural, str)):
        return []
    namespaced = spec.get("scope", "Namespaced") == "Namespaced"
    short = tuple(s for s in names.get("shortNames") or () if isinstance(s, str)) \
        if isinstance(names.get("shortNames"), list) else ()
    versions = spec.get("versions") if isinstance(spec.get("versions"), list) else []
    out = []
    if not versions and spec.get("version"):  # v1beta1 single version
        versions = [{"name": spec["version"], "served": True, "storage": True}]
    # storage version first: it is the one the bundle's objects were most likely read as
    versions = sorted((v for v in versions if isinstance(v, dict) and v.get("served", True)),
                      key=lambda v: not v.get("storage", False))
    for v in versions:
        cols = v.get("additionalPrinterColumns") or spec.get("additionalPrinterColumns") or ()
        # a column with fields of the wrong type is dropped (the API server would refuse the CRD)
        cols = tuple({"name": c["name"], "type": c.get("type") or "string", "jsonPath": path,
                      "priority": bounded_int(c.get("priority"), None, 0, 2**31 - 1) or 0,
                      "description": str(c.get("description") or "")}
                     for c in cols if isinstance(c, dict) and isinstance(c.get("name"), str)
                     and isinstance(c.get("type") or "string", str)
                     and isinstance(path := c.get("jsonPath") or c.get("JSONPath") or "", str))
        out.append(Resource(group, str(v.get("name")), kind, plural, namespaced, short, cols))
    return out
