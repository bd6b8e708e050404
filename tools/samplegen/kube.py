"""Kubernetes objects as ``kubectl get -o json`` prints them, and the builders the scenarios use.

The shapes follow what a v1.30 API server returns: full metadata (uid, resourceVersion,
creationTimestamp, ownerReferences), the defaulted spec fields (dnsPolicy, schedulerName,
terminationMessagePath, the projected service-account volume and the default tolerations), and
status with conditions and container statuses (state, lastState, restartCount, imageID). The
describe text in `describe.py` is rendered from these same dicts, so the two always agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .clock import NS, Rng, micro_time, rfc3339

Obj = dict[str, Any]


def kubectl_json(obj: Any) -> str:
    """JSON exactly as kubectl's printer writes it: 4-space indent, sorted keys, HTML-escaped."""
    text = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)
    # Go's encoding/json escapes these three characters inside strings
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text + "\n"


def list_of(items: list[Obj]) -> Obj:
    """The ``kind: List`` wrapper kubectl prints for ``get <kind> -o json``."""
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


# ---------------------------------------------------------------------------------------------
# container states


def running(started: int) -> Obj:
    """ContainerState running since ``started``."""
    return {"running": {"startedAt": rfc3339(started)}}


def waiting(reason: str, message: str | None = None) -> Obj:
    """ContainerState waiting (CrashLoopBackOff, ImagePullBackOff, ContainerCreating...)."""
    w: Obj = {"reason": reason}
    if message:
        w["message"] = message
    return {"waiting": w}


def terminated(reason: str, exit_code: int, started: int, finished: int, container_id: str | None = None,
               message: str | None = None, signal: int | None = None) -> Obj:
    """ContainerState terminated with its exit code and times."""
    t: Obj = {"exitCode": exit_code, "finishedAt": rfc3339(finished), "reason": reason,
              "startedAt": rfc3339(started)}
    if container_id:
        t["containerID"] = container_id
    if message:
        t["message"] = message
    if signal:
        t["signal"] = signal
    return {"terminated": t}


def http_probe(path: str, port: int | str, *, delay: int = 0, period: int = 10, timeout: int = 1,
               failure: int = 3) -> Obj:
    """An HTTP probe with the API server's defaults filled in."""
    return {"failureThreshold": failure, "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
            "initialDelaySeconds": delay, "periodSeconds": period, "successThreshold": 1,
            "timeoutSeconds": timeout}


def env(name: str, value: str) -> Obj:
    """A literal env var."""
    return {"name": name, "value": value}


def env_secret(name: str, secret: str, key: str, optional: bool | None = None) -> Obj:
    """An env var from a Secret key."""
    ref: Obj = {"key": key, "name": secret}
    if optional is not None:
        ref["optional"] = optional
    return {"name": name, "valueFrom": {"secretKeyRef": ref}}


def env_field(name: str, path: str) -> Obj:
    """An env var from the downward API (metadata.name, spec.nodeName...)."""
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}


@dataclass
class Ctr:
    """One container: its spec and its status."""

    name: str
    image: str
    command: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    ports: list[tuple[int, str]] = field(default_factory=list)
    env: list[Obj] = field(default_factory=list)
    env_from: list[Obj] = field(default_factory=list)
    requests: dict[str, str] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)
    liveness: Obj | None = None
    readiness: Obj | None = None
    startup: Obj | None = None
    mounts: list[Obj] = field(default_factory=list)
    state: Obj | None = None          # None: derived as running since pod start
    last_state: Obj = field(default_factory=dict)
    ready: bool = True
    restarts: int = 0
    started: bool | None = None
    image_pull_policy: str = "IfNotPresent"
    security_context: Obj | None = None
    image_id: str | None = None       # None: derived from the image (registry@sha256)


@dataclass
class Vol:
    name: str
    source: Obj


def pvc_vol(name: str, claim: str) -> Vol:
    return Vol(name, {"persistentVolumeClaim": {"claimName": claim}})


def empty_dir(name: str, medium: str | None = None, size: str | None = None) -> Vol:
    src: Obj = {}
    if medium:
        src["medium"] = medium
    if size:
        src["sizeLimit"] = size
    return Vol(name, {"emptyDir": src})


def secret_vol(name: str, secret: str) -> Vol:
    return Vol(name, {"secret": {"defaultMode": 420, "secretName": secret}})


def configmap_vol(name: str, cm: str) -> Vol:
    return Vol(name, {"configMap": {"defaultMode": 420, "name": cm}})


def host_path(name: str, path: str, typ: str | None = None) -> Vol:
    src: Obj = {"path": path}
    if typ is not None:
        src["type"] = typ
    return Vol(name, {"hostPath": src})


def mount(path: str, name: str, read_only: bool = False, sub_path: str | None = None) -> Obj:
    """A container volumeMount."""
    m: Obj = {"mountPath": path, "name": name}
    if read_only:
        m["readOnly"] = True
    if sub_path:
        m["subPath"] = sub_path
    return m


DEFAULT_TOLERATIONS: list[Obj] = [
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300},
]


# ---------------------------------------------------------------------------------------------
# the cluster model


@dataclass
class Node:
    name: str
    ip: str
    obj: Obj
    pod_cidr: str


@dataclass
class Namespace:
    name: str
    created: int
    pods: list[Obj] = field(default_factory=list)
    events: list[Obj] = field(default_factory=list)
    objects: dict[str, list[Obj]] = field(default_factory=dict)   # source name -> items
    custom: dict[str, list[Obj]] = field(default_factory=dict)    # resource file stem -> items
    logs: dict[tuple[str, str, bool], list[tuple[int, str]]] = field(default_factory=dict)
    log_errors: dict[tuple[str, str, bool], str] = field(default_factory=dict)
    metrics: dict[str, tuple[int, str]] = field(default_factory=dict)      # pod -> (port, text)
    metric_errors: dict[str, tuple[int, str]] = field(default_factory=dict)
    execs: dict[tuple[str, str], tuple[list[str], str, int, str]] = field(default_factory=dict)  # (pod, ctr) -> argv tail, out, rc, stderr


class Cluster:
    """Everything one scenario's cluster holds at collection time."""

    def __init__(self, name: str, now: int, context: str, server_version: str = "v1.30.6") -> None:
        self.name = name
        self.now = now
        self.rng = Rng(name)
        self.context = context
        self.server_version = server_version
        self.nodes: list[Node] = []
        self.namespaces: dict[str, Namespace] = {}
        self.cluster_objects: dict[str, list[Obj]] = {
            "persistentvolumes": [], "storageclasses": [], "crds": [], "mutatingwebhooks": [],
            "runtimeclasses": []}
        self.helm: list[Obj] | None = []
        self.hami_namespace: str | None = None
        self.node_events: dict[str, list[Obj]] = {}
        self._rv = 1_000_000 + self.rng.randint(0, 8_000_000)
        self._ip_host = 10
        self.missing_crd_resources: list[str] = []
        # node -> what the collector's GPU node step read there: (source, namespace, argv, output,
        # exit code, stderr), in collection order
        self.node_files: dict[str, list[tuple[str, str, list[str], str | None, int, str]]] = {}

    # ids ---------------------------------------------------------------------------------

    def rv(self) -> str:
        self._rv += self.rng.randint(1, 4000)
        return str(self._rv)

    def ago(self, seconds: float) -> int:
        """A time ``seconds`` before collection, with sub-second noise."""
        return self.now - int(seconds * NS) - self.rng.jitter_ns()

    def ns(self, name: str, age_s: float = 86400 * 40, labels: dict[str, str] | None = None) -> Namespace:
        if name not in self.namespaces:
            self.namespaces[name] = Namespace(name, self.ago(age_s))
            lab = {"kubernetes.io/metadata.name": name}
            lab.update(labels or {})
            self.namespaces[name].objects.setdefault("_labels", [lab])
        return self.namespaces[name]

    def add(self, ns: str, source: str, obj: Obj) -> Obj:
        self.ns(ns).objects.setdefault(source, []).append(obj)
        return obj

    def meta(self, name: str, ns: str | None, created: int, labels: dict[str, str] | None = None,
             annotations: dict[str, str] | None = None, owner: Obj | None = None,
             generate_name: str | None = None, extra: Obj | None = None) -> Obj:
        m: Obj = {"creationTimestamp": rfc3339(created), "name": name, "resourceVersion": self.rv(),
                  "uid": self.rng.uid()}
        if ns is not None:
            m["namespace"] = ns
        if labels:
            m["labels"] = dict(labels)
        if annotations:
            m["annotations"] = dict(annotations)
        if owner:
            m["ownerReferences"] = [owner]
        if generate_name:
            m["generateName"] = generate_name
        if extra:
            m.update(extra)
        return m

    @staticmethod
    def owner_ref(obj: Obj, controller: bool = True) -> Obj:
        return {"apiVersion": obj["apiVersion"], "blockOwnerDeletion": True, "controller": controller,
                "kind": obj["kind"], "name": obj["metadata"]["name"], "uid": obj["metadata"]["uid"]}

    def pod_ip(self, node: Node | None) -> str:
        self._ip_host += self.rng.randint(1, 9)
        base = node.pod_cidr.rsplit(".", 1)[0] if node else "10.244.0"
        return f"{base}.{self._ip_host % 250 + 2}"

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    # logs --------------------------------------------------------------------------------

    def log(self, ns: str, pod: str, container: str, lines: list[tuple[int, str]], previous: bool = False) -> None:
        self.ns(ns).logs[(pod, container, previous)] = sorted(lines, key=lambda x: x[0])

    def node_file(self, node: str, source: str, namespace: str, argv: list[str], output: str | None,
                  exit_code: int = 0, stderr: str = "") -> None:
        """A node_* source of ``node``: ``argv`` ran in a pod of ``namespace`` (driver or debug pod)."""
        self.node_files.setdefault(node, []).append((source, namespace, argv, output, exit_code, stderr))

    def metrics(self, ns: str, pod: str, port: int, text: str) -> None:
        self.ns(ns).metrics[pod] = (port, text)

    # events ------------------------------------------------------------------------------

    def event(self, ns: str, obj: Obj, reason: str, message: str, *, type: str = "Normal",
              first: int, last: int | None = None, count: int = 1, component: str = "kubelet",
              host: str | None = None, field_path: str | None = None, new_api: bool = False,
              action: str | None = None, instance: str | None = None) -> Obj:
        """An Event about ``obj``; ``new_api`` for events.k8s.io recorders (the scheduler)."""
        last = last if last is not None else first
        inv: Obj = {"apiVersion": obj.get("apiVersion", "v1"), "kind": obj["kind"],
                    "name": obj["metadata"]["name"], "resourceVersion": obj["metadata"]["resourceVersion"],
                    "uid": obj["metadata"]["uid"]}
        if obj["metadata"].get("namespace"):
            inv["namespace"] = obj["metadata"]["namespace"]
        if field_path:
            inv["fieldPath"] = field_path
        name = f"{obj['metadata']['name']}.{first:x}"
        ev: Obj = {"apiVersion": "v1", "involvedObject": inv, "kind": "Event", "message": message,
                   "metadata": {"creationTimestamp": rfc3339(first), "name": name, "namespace": ns,
                                "resourceVersion": self.rv(), "uid": self.rng.uid()},
                   "reason": reason, "type": type}
        if new_api:
            ev.update({"action": action or reason, "eventTime": micro_time(first), "firstTimestamp": None,
                       "lastTimestamp": None, "reportingComponent": component,
                       "reportingInstance": instance or f"{component}-{self.nodes[0].name if self.nodes else 'master'}",
                       "source": {}})
            if count > 1:
                ev["series"] = {"count": count, "lastObservedTime": micro_time(last)}
        else:
            src: Obj = {"component": component}
            if host:
                src["host"] = host
            ev.update({"count": count, "eventTime": None, "firstTimestamp": rfc3339(first),
                       "lastTimestamp": rfc3339(last), "reportingComponent": component,
                       "reportingInstance": host or "", "source": src})
        self.ns(ns).events.append(ev)
        return ev

    def node_event(self, node: str, reason: str, message: str, **kw: Any) -> Obj:
        """An event about a Node (kept for ``describe nodes``; node events live in ``default``)."""
        obj = self.node(node).obj
        had = "default" in self.namespaces
        ev = self.event("default", obj, reason, message, **kw)
        self.namespaces["default"].events.remove(ev)
        if not had and not self.namespaces["default"].events and not self.namespaces["default"].pods:
            del self.namespaces["default"]
        ev["involvedObject"]["uid"] = node
        self.node_events.setdefault(node, []).append(ev)
        return ev

    # workloads ---------------------------------------------------------------------------

    def workload(self, ns: str, kind: str, name: str, *, created: int, labels: dict[str, str],
                 replicas: int, ready: int, template_labels: dict[str, str] | None = None,
                 owner: Obj | None = None, annotations: dict[str, str] | None = None,
                 containers: list[Ctr] | None = None) -> Obj:
        """A Deployment, StatefulSet or DaemonSet with a status that matches its pods."""
        api = "apps/v1"
        sel = dict(template_labels or labels)
        obj: Obj = {"apiVersion": api, "kind": kind,
                    "metadata": self.meta(name, ns, created, labels, annotations, owner,
                                          extra={"generation": 1}),
                    "spec": {"selector": {"matchLabels": sel},
                             "template": {"metadata": {"creationTimestamp": None, "labels": sel},
                                          "spec": {"containers": [self._ctr_spec(c) for c in containers or []]}}}}
        if kind == "DaemonSet":
            obj["spec"]["updateStrategy"] = {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
                                             "type": "RollingUpdate"}
            obj["status"] = {"currentNumberScheduled": replicas, "desiredNumberScheduled": replicas,
                             "numberAvailable": ready, "numberMisscheduled": 0, "numberReady": ready,
                             "observedGeneration": 1, "updatedNumberScheduled": replicas}
            if ready < replicas:
                obj["status"]["numberUnavailable"] = replicas - ready
            source = "daemonsets"
        elif kind == "StatefulSet":
            obj["spec"].update({"replicas": replicas, "serviceName": name, "podManagementPolicy": "OrderedReady"})
            obj["status"] = {"availableReplicas": ready, "collisionCount": 0, "currentReplicas": replicas,
                             "currentRevision": f"{name}-{self.rng.hex(10)}", "observedGeneration": 1,
                             "readyReplicas": ready, "replicas": replicas, "updatedReplicas": replicas}
            if ready == 0:
                del obj["status"]["readyReplicas"]
            obj["status"]["updateRevision"] = obj["status"]["currentRevision"]
            source = "statefulsets"
        else:
            obj["spec"].update({"progressDeadlineSeconds": 600, "replicas": replicas, "revisionHistoryLimit": 10,
                                "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                                             "type": "RollingUpdate"}})
            t_avail = rfc3339(created + 60 * NS)
            conds = []
            if ready >= replicas:
                conds.append({"lastTransitionTime": t_avail, "lastUpdateTime": t_avail,
                              "message": "Deployment has minimum availability.", "reason": "MinimumReplicasAvailable",
                              "status": "True", "type": "Available"})
            else:
                conds.append({"lastTransitionTime": t_avail, "lastUpdateTime": t_avail,
                              "message": "Deployment does not have minimum availability.",
                              "reason": "MinimumReplicasUnavailable", "status": "False", "type": "Available"})
            conds.append({"lastTransitionTime": rfc3339(created), "lastUpdateTime": t_avail,
                          "message": f'ReplicaSet "{name}-{sel.get("pod-template-hash", "x")}" has successfully progressed.'
                          if ready >= replicas else
                          f'ReplicaSet "{name}-{sel.get("pod-template-hash", "x")}" is progressing.',
                          "reason": "NewReplicaSetAvailable" if ready >= replicas else "ReplicaSetUpdated",
                          "status": "True", "type": "Progressing"})
            obj["status"] = {"conditions": conds, "observedGeneration": 1, "replicas": replicas,
                             "updatedReplicas": replicas}
            if ready:
                obj["status"].update({"availableReplicas": ready, "readyReplicas": ready})
            if ready < replicas:
                obj["status"]["unavailableReplicas"] = replicas - ready
            source = "deployments"
        obj["spec"]["template"]["metadata"]["labels"] = sel
        self.add(ns, source, obj)
        return obj

    def replicaset(self, ns: str, deploy: Obj, hash_: str, replicas: int, ready: int) -> Obj:
        labels = dict(deploy["spec"]["selector"]["matchLabels"])
        labels["pod-template-hash"] = hash_
        created = self.now - 60 * NS  # overwritten below from the deployment's time
        created_txt = deploy["metadata"]["creationTimestamp"]
        obj: Obj = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": self.meta(f"{deploy['metadata']['name']}-{hash_}", ns, created, labels,
                                          {"deployment.kubernetes.io/desired-replicas": str(replicas),
                                           "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                                           "deployment.kubernetes.io/revision": "1"},
                                          self.owner_ref(deploy), extra={"generation": 1}),
                    "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                             "template": {"metadata": {"creationTimestamp": None, "labels": labels},
                                          "spec": deploy["spec"]["template"]["spec"]}},
                    "status": {"fullyLabeledReplicas": replicas, "observedGeneration": 1, "replicas": replicas}}
        obj["metadata"]["creationTimestamp"] = created_txt
        if ready:
            obj["status"].update({"availableReplicas": ready, "readyReplicas": ready})
        self.add(ns, "replicasets", obj)
        return obj

    def _ctr_spec(self, c: Ctr) -> Obj:
        spec: Obj = {"image": c.image, "imagePullPolicy": c.image_pull_policy, "name": c.name,
                     "resources": {}, "terminationMessagePath": "/dev/termination-log",
                     "terminationMessagePolicy": "File"}
        if c.command:
            spec["command"] = list(c.command)
        if c.args:
            spec["args"] = list(c.args)
        if c.ports:
            spec["ports"] = [{"containerPort": p, "name": n, "protocol": "TCP"} if n else
                             {"containerPort": p, "protocol": "TCP"} for p, n in c.ports]
        if c.env:
            spec["env"] = list(c.env)
        if c.env_from:
            spec["envFrom"] = list(c.env_from)
        # the API server defaults a missing request to its limit (SetDefaults_Pod)
        reqs = {**c.limits, **c.requests}
        if reqs:
            spec["resources"]["requests"] = reqs
        if c.limits:
            spec["resources"]["limits"] = dict(c.limits)
        for key, probe in (("livenessProbe", c.liveness), ("readinessProbe", c.readiness),
                           ("startupProbe", c.startup)):
            if probe:
                spec[key] = probe
        if c.security_context is not None:
            spec["securityContext"] = c.security_context
        return spec

    def pod(self, ns: str, name: str, *, node: str | None, containers: list[Ctr],
            init_containers: list[Ctr] | None = None, owner: Obj | None = None,
            labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
            created: int, phase: str = "Running", scheduler_name: str = "default-scheduler",
            volumes: list[Vol] | None = None, node_selector: dict[str, str] | None = None,
            tolerations: list[Obj] | None = None, unschedulable: str | None = None,
            service_account: str = "default", priority_class: str | None = None,
            host_network: bool = False, runtime_class: str | None = None,
            image_pull_secrets: list[str] | None = None, ready_since: int | None = None,
            sandbox_ready: bool = True, generate_name: str | None = None) -> Obj:
        """A Pod object with consistent spec and status (conditions derived from containers)."""
        n = self.node(node) if node else None
        sa_vol = f"kube-api-access-{self.rng.suffix(5)}"
        vols = [{"name": v.name, **v.source} for v in (volumes or [])]
        vols.append({"name": sa_vol, "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
            {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                        "path": "namespace"}]}}]}})
        started_at = created + self.rng.randint(1, 4) * NS
        all_ctrs = (init_containers or []) + containers
        for c in all_ctrs:
            c.mounts = list(c.mounts) + [mount("/var/run/secrets/kubernetes.io/serviceaccount", sa_vol, True)]

        spec: Obj = {"containers": [self._ctr_spec(c) for c in containers],
                     "dnsPolicy": "ClusterFirstWithHostNet" if host_network else "ClusterFirst",
                     "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority",
                     "priority": 2000001000 if priority_class == "system-node-critical" else
                     2000000000 if priority_class == "system-cluster-critical" else 0,
                     "restartPolicy": "Always", "schedulerName": scheduler_name, "securityContext": {},
                     "serviceAccount": service_account, "serviceAccountName": service_account,
                     "terminationGracePeriodSeconds": 30,
                     "tolerations": list(tolerations or []) + DEFAULT_TOLERATIONS, "volumes": vols}
        for sc, c in zip(spec["containers"], containers):
            sc["volumeMounts"] = c.mounts
        if init_containers:
            spec["initContainers"] = [self._ctr_spec(c) for c in init_containers]
            for sc, c in zip(spec["initContainers"], init_containers):
                sc["volumeMounts"] = c.mounts
        if n:
            spec["nodeName"] = n.name
        if node_selector:
            spec["nodeSelector"] = dict(node_selector)
        if priority_class:
            spec["priorityClassName"] = priority_class
        if host_network:
            spec["hostNetwork"] = True
        if runtime_class:
            spec["runtimeClassName"] = runtime_class
        if image_pull_secrets:
            spec["imagePullSecrets"] = [{"name": s} for s in image_pull_secrets]

        meta = self.meta(name, ns, created, labels, annotations, owner, generate_name=generate_name)
        status: Obj = {"phase": phase, "qosClass": qos_class(all_ctrs)}
        t_sched = rfc3339(created + NS)
        if n is None:
            status["conditions"] = [{"lastProbeTime": None, "lastTransitionTime": rfc3339(created),
                                     "message": unschedulable or "", "reason": "Unschedulable",
                                     "status": "False", "type": "PodScheduled"}]
        else:
            pod_ip = n.ip if host_network else self.pod_ip(n)
            status.update({"hostIP": n.ip, "hostIPs": [{"ip": n.ip}], "startTime": rfc3339(started_at)})
            if sandbox_ready:
                status.update({"podIP": pod_ip, "podIPs": [{"ip": pod_ip}]})
            statuses = [self._ctr_status(c, started_at, n) for c in containers]
            status["containerStatuses"] = statuses
            if init_containers:
                status["initContainerStatuses"] = [self._ctr_status(c, started_at, n) for c in init_containers]
            init_done = all("terminated" in (c.state or {}) and c.state["terminated"]["reason"] == "Completed"
                            for c in init_containers or [])
            all_ready = all(c.ready for c in containers)
            ready_t = rfc3339(ready_since) if ready_since else rfc3339(started_at + 5 * NS)
            not_ready = [c.name for c in containers if not c.ready]
            msg = f"containers with unready status: [{' '.join(not_ready)}]"
            conds = [{"lastProbeTime": None, "lastTransitionTime": rfc3339(started_at + 2 * NS),
                      "status": "True" if sandbox_ready else "False", "type": "PodReadyToStartContainers"},
                     {"lastProbeTime": None, "lastTransitionTime": rfc3339(started_at),
                      "status": "True" if init_done else "False", "type": "Initialized"},
                     {"lastProbeTime": None, "lastTransitionTime": ready_t,
                      "status": "True" if all_ready else "False", "type": "Ready"},
                     {"lastProbeTime": None, "lastTransitionTime": ready_t,
                      "status": "True" if all_ready else "False", "type": "ContainersReady"},
                     {"lastProbeTime": None, "lastTransitionTime": t_sched, "status": "True",
                      "type": "PodScheduled"}]
            if not init_done:
                pending_init = [c.name for c in init_containers or [] if "terminated" not in (c.state or {})]
                conds[1].update({"message": f"containers with incomplete status: [{' '.join(pending_init)}]",
                                 "reason": "ContainersNotInitialized"})
            if not all_ready:
                conds[2].update({"message": msg, "reason": "ContainersNotReady"})
                conds[3].update({"message": msg, "reason": "ContainersNotReady"})
            status["conditions"] = conds
        pod: Obj = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}
        self.ns(ns).pods.append(pod)
        return pod

    def _ctr_status(self, c: Ctr, started_at: int, node: Node) -> Obj:
        state = c.state if c.state is not None else running(started_at + 3 * NS)
        image = c.image if ":" in c.image.rsplit("/", 1)[-1] else c.image + ":latest"
        repo = image.rsplit(":", 1)[0]
        if not image.startswith(("docker.io/", "nvcr.io/", "registry.k8s.io/", "quay.io/", "ghcr.io/")) \
                and "." not in image.split("/")[0]:
            image = "docker.io/" + ("library/" if "/" not in image else "") + image
            repo = image.rsplit(":", 1)[0]
        st: Obj = {"image": image, "imageID": c.image_id if c.image_id is not None else
                   f"{repo}@sha256:{self.rng.hex(64)}",
                   "lastState": c.last_state, "name": c.name, "ready": c.ready,
                   "restartCount": c.restarts, "state": state}
        if "waiting" not in state or c.restarts or c.last_state:
            st["containerID"] = f"containerd://{self.rng.hex(64)}"
        if "waiting" in state and state["waiting"]["reason"] in ("ErrImagePull", "ImagePullBackOff",
                                                                  "ContainerCreating", "PodInitializing"):
            st["imageID"] = ""
            st.pop("containerID", None)
        st["started"] = c.started if c.started is not None else ("running" in state)
        return st

    # nodes -------------------------------------------------------------------------------

    def add_node(self, name: str, ip: str, *, created: int, labels: dict[str, str],
                 annotations: dict[str, str] | None = None, cpu: str = "96",
                 memory_ki: int = 1056758532, gpus: int = 0, gpu_resource: dict[str, str] | None = None,
                 allocatable_gpu: dict[str, str] | None = None, taints: list[Obj] | None = None,
                 ready: bool = True, kernel: str = "5.15.0-122-generic",
                 os_image: str = "Ubuntu 22.04.5 LTS", runtime: str = "containerd://1.7.22",
                 kubelet: str = "v1.30.6", pod_cidr: str = "10.244.1.0/24",
                 conditions_extra: list[Obj] | None = None, unschedulable: bool = False,
                 provider_id: str | None = None, images: list[Obj] | None = None) -> Node:
        lab = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
               "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
        lab.update(labels)
        ann = {"kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
               "node.alpha.kubernetes.io/ttl": "0",
               "volumes.kubernetes.io/controller-managed-attach-detach": "true"}
        ann.update(annotations or {})
        cap = {"cpu": cpu, "ephemeral-storage": "1843269236Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
               "memory": f"{memory_ki}Ki", "pods": "110"}
        alloc = {"cpu": f"{int(cpu) * 1000 - 500}m" if cpu.isdigit() else cpu,
                 "ephemeral-storage": "1698738074257", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                 "memory": f"{memory_ki - 1153434}Ki", "pods": "110"}
        if gpu_resource:
            cap.update(gpu_resource)
            alloc.update(allocatable_gpu if allocatable_gpu is not None else gpu_resource)
        hb = rfc3339(self.now - self.rng.randint(5, 40) * NS)
        since = rfc3339(created + 30 * NS)
        conds = [
            {"lastHeartbeatTime": hb, "lastTransitionTime": since, "message": "kubelet has sufficient memory available",
             "reason": "KubeletHasSufficientMemory", "status": "False", "type": "MemoryPressure"},
            {"lastHeartbeatTime": hb, "lastTransitionTime": since, "message": "kubelet has no disk pressure",
             "reason": "KubeletHasNoDiskPressure", "status": "False", "type": "DiskPressure"},
            {"lastHeartbeatTime": hb, "lastTransitionTime": since, "message": "kubelet has sufficient PID available",
             "reason": "KubeletHasSufficientPID", "status": "False", "type": "PIDPressure"},
            {"lastHeartbeatTime": hb, "lastTransitionTime": since, "message": "kubelet is posting ready status",
             "reason": "KubeletReady", "status": "True" if ready else "False", "type": "Ready"},
        ]
        if conditions_extra:
            conds = conditions_extra + conds
        spec: Obj = {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]}
        if provider_id:
            spec["providerID"] = provider_id
        if taints:
            spec["taints"] = taints
        if unschedulable:
            spec["unschedulable"] = True
        obj: Obj = {"apiVersion": "v1", "kind": "Node",
                    "metadata": self.meta(name, None, created, lab, ann),
                    "spec": spec,
                    "status": {"addresses": [{"address": ip, "type": "InternalIP"},
                                             {"address": name, "type": "Hostname"}],
                               "allocatable": alloc, "capacity": cap, "conditions": conds,
                               "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                               "images": images or [],
                               "nodeInfo": {"architecture": "amd64", "bootID": self.rng.uid(),
                                            "containerRuntimeVersion": runtime, "kernelVersion": kernel,
                                            "kubeProxyVersion": kubelet, "kubeletVersion": kubelet,
                                            "machineID": self.rng.hex(32), "operatingSystem": "linux",
                                            "osImage": os_image, "systemUUID": self.rng.uid().upper()}}}
        node = Node(name, ip, obj, pod_cidr)
        self.nodes.append(node)
        return node


def qos_class(ctrs: list[Ctr]) -> str:
    """The pod QoS class from its containers' requests and limits (k8s qos.GetPodQOS)."""
    if not any(c.requests or c.limits for c in ctrs):
        return "BestEffort"
    for c in ctrs:
        for res in ("cpu", "memory"):
            lim = c.limits.get(res)
            if lim is None or c.requests.get(res, lim) != lim:
                return "Burstable"
    return "Guaranteed"


# ---------------------------------------------------------------------------------------------
# quantities (enough of resource.Quantity for describe's sums)

_BIN = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def format_cpu(cores: float) -> str:
    milli = round(cores * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def format_bytes(b: float) -> str:
    """Canonical binary-SI form: the largest suffix that divides exactly."""
    b = int(b)
    if b == 0:
        return "0"
    for suf, mul in reversed(list(_BIN.items())):
        if b % mul == 0:
            return f"{b // mul}{suf}"
    return str(b)
