"""Small, realistic Kubernetes objects for the check tests, turned into tables by the real parsers.

Objects are shaped like ``kubectl get ... -o json`` items; ``context()`` runs them through
``analyzer.parse.objects.ObjectRows`` and ``analyzer.tables.frame`` exactly as a bundle would be;
``bundle_context()`` writes them as a bundle with the shared writer (``testkit.bundle``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analyzer.checks import CheckContext
from analyzer.match import empty_signals
from analyzer.parse.metrics import metric_rows
from analyzer.parse.objects import ObjectRows
from analyzer.tables import TABLE_NAMES, frame
from testkit.bundle import write_bundle

T0 = "2026-11-20T10:00:00Z"


def register(*devices: tuple[str, int, int], json_form: bool = True, count: int = 10) -> str:
    """``hami.io/node-nvidia-register`` for (uuid, devmem MiB, index) devices, in either encoding."""
    if json_form:
        return json.dumps([{"id": u, "index": i, "count": count, "devmem": mem, "devcore": 100,
                            "type": "NVIDIA-NVIDIA A100-SXM4-40GB", "numa": 0, "mode": "hami-core",
                            "health": True} for u, mem, i in devices], separators=(",", ":"))
    return "".join(f"{u},{count},{mem},100,NVIDIA-NVIDIA A100-SXM4-40GB,0,true:" for u, mem, _ in devices)


def node(name: str, *, gpus: int | None = None, allocatable: int | None = None, reg: str | None = None,
         handshake: str | None = None, labels: dict | None = None, taints: list[dict] | None = None,
         ready: bool = True, unschedulable: bool = False) -> dict:
    """A Node as ``kubectl get nodes -o json`` prints it."""
    ann = {"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}
    if reg is not None:
        ann["hami.io/node-nvidia-register"] = reg
    if handshake is not None:
        ann["hami.io/node-handshake"] = handshake
    cap = {"cpu": "96", "memory": "1056766540Ki", "pods": "110"}
    alloc = dict(cap)
    if gpus is not None:
        cap["nvidia.com/gpu"] = str(gpus)
        alloc["nvidia.com/gpu"] = str(gpus if allocatable is None else allocatable)
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})},
                         "annotations": ann},
            "spec": {"taints": taints or [], **({"unschedulable": True} if unschedulable else {})},
            "status": {"capacity": cap, "allocatable": alloc,
                       "conditions": [{"type": "Ready", "status": "True" if ready else "Unknown",
                                       "reason": "KubeletReady" if ready else "NodeStatusUnknown"}],
                       "nodeInfo": {"kubeletVersion": "v1.30.4"}}}


def container(name: str = "main", *, limits: dict | None = None, ready: bool | None = True, restarts: int = 0,
              state: dict | None = None, last: dict | None = None) -> tuple[dict, dict]:
    """(spec container, container status)."""
    spec = {"name": name, "image": "vllm/vllm-openai:v0.8.5",
            "resources": {"limits": limits or {}, "requests": dict(limits or {})}}
    status = {"name": name, "ready": ready, "restartCount": restarts,
              "state": state or {"running": {"startedAt": T0}}, "lastState": last or {}}
    return spec, status


def pod(name: str, ns: str = "ml-serving", *, phase: str = "Running", node_name: str | None = "gpu-node-1",
        scheduler: str = "hami-scheduler", containers: list[tuple[dict, dict]] | None = None,
        annotations: dict | None = None, labels: dict | None = None, tolerations: list[dict] | None = None,
        node_selector: dict | None = None, ready: bool | None = None) -> dict:
    """A Pod as ``kubectl get pods -o json`` prints it."""
    containers = containers or [container()]
    pending = phase == "Pending"
    ready = (not pending and all(s.get("ready") for _, s in containers)) if ready is None else ready
    spec: dict[str, Any] = {"schedulerName": scheduler, "containers": [c for c, _ in containers]}
    if node_name and not pending:
        spec["nodeName"] = node_name
    if tolerations:
        spec["tolerations"] = tolerations
    if node_selector:
        spec["nodeSelector"] = node_selector
    status: dict[str, Any] = {"phase": phase, "qosClass": "Guaranteed",
                              "conditions": [{"type": "Ready", "status": "True" if ready else "False"},
                                             {"type": "PodScheduled", "status": "False" if pending else "True",
                                              **({"reason": "Unschedulable"} if pending else {})}]}
    if not pending:
        status["containerStatuses"] = [s for _, s in containers]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}",
                         "labels": labels or {"app": name.rsplit("-", 2)[0]}, "annotations": annotations or {}},
            "spec": spec, "status": status}


def event(ns: str, obj: str, reason: str, message: str, *, component: str = "hami-scheduler",
          typ: str = "Warning", count: int = 1, first: str = T0, last: str = T0) -> dict:
    """A core/v1 Event about a pod."""
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{obj}.18a{abs(hash((reason, message))) % 10**6:06d}", "namespace": ns},
            "involvedObject": {"kind": "Pod", "namespace": ns, "name": obj},
            "reason": reason, "message": message, "type": typ, "count": count,
            "firstTimestamp": first, "lastTimestamp": last, "source": {"component": component}}


def configmap(ns: str, name: str, data: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


DEVICE_CONFIG = """nvidia:
  resourceCountName: nvidia.com/gpu
  resourceMemoryName: nvidia.com/gpumem
  resourceMemoryPercentageName: nvidia.com/gpumem-percentage
  resourceCoreName: nvidia.com/gpucores
  resourcePriorityName: nvidia.com/priority
  overwriteEnv: false
  defaultMemory: 0
  defaultCores: 0
  defaultGPUNum: 1
  deviceSplitCount: 10
  deviceMemoryScaling: 1
  deviceCoreScaling: 1
"""


def context(objects: list[dict], *, metrics: dict[str, str] | None = None, facts: dict | None = None,
            paths: dict[str, str] | None = None) -> CheckContext:
    """A CheckContext over ``objects`` (and Prometheus text per ``namespace/pod``), built like a bundle."""
    acc = ObjectRows()
    files = []
    for o in objects:
        kind = o.get("kind")
        ns = (o.get("metadata") or {}).get("namespace")
        path = (paths or {}).get(kind) or (
            "cluster/nodes.json" if kind == "Node" else
            f"namespaces/{ns}/{ {'Pod': 'pods', 'Event': 'events', 'ConfigMap': 'configmaps'}.get(kind, 'custom/' + str(kind).lower() + 's')}.json")
        acc.add(o, path)
        source = {"Pod": "pods", "Node": "nodes", "Event": "events", "ConfigMap": "configmaps"}.get(kind)
        files.append({"path": path, "kind": "objects", "namespace": ns, "source": source})
    tables = {name: frame(name, acc.rows.get(name, [])) for name in TABLE_NAMES}
    rows: list[dict] = []
    for key, text in (metrics or {}).items():
        ns, pod_name = key.split("/")
        path = f"namespaces/{ns}/metrics/{pod_name}.prom"
        rows.extend(metric_rows(text, path, ns, pod_name, []))
        files.append({"path": path, "kind": "metrics", "namespace": ns, "pod": pod_name, "source": "metrics"})
    tables["metrics"] = frame("metrics", rows)
    unique = {f["path"]: f for f in files}
    tables["files"] = frame("files", list(unique.values()))
    return CheckContext(tables, {"collected_at": "2026-11-20T10:15:00Z", **(facts or {})}, empty_signals())


def dgd(name: str = "qwen-agg", services: dict | None = None) -> dict:
    return {"apiVersion": "nvidia.com/v1alpha1", "kind": "DynamoGraphDeployment",
            "metadata": {"name": name, "namespace": "dynamo"},
            "spec": {"services": services or {"Frontend": {"componentType": "frontend", "replicas": 1},
                                              "VllmDecodeWorker": {"componentType": "worker", "replicas": 1}}},
            "status": {"state": "pending"}}


def bundle_context(root, objects: list[dict], files: dict[str, str], collected_at: str = "2026-11-20T10:15:00Z"):
    """Write a collector-layout bundle (``testkit.bundle.write_bundle``) under ``root``, open and
    parse it like the analyzer does; the CheckContext (with its parsed bundle) and the open bundle
    (close it)."""
    from analyzer.ingest import open_bundle
    from analyzer.parse import parse_bundle

    b = open_bundle(str(write_bundle(Path(root), objects, files=files, manifest={"collected_at": collected_at})))
    parsed = parse_bundle(b)
    return CheckContext(parsed.tables, parsed.facts, empty_signals(), parsed), b
