"""Pod objects (``kubectl get pods -o json``) -> ``pods`` and ``containers`` rows.

Real sample (trimmed)::

    {"apiVersion": "v1", "kind": "Pod",
     "metadata": {"name": "vllm-decode-0", "namespace": "dynamo", "annotations": {...}},
     "spec": {"schedulerName": "hami-scheduler", "nodeName": "gpu-node-1",
              "containers": [{"name": "main", "image": "nvcr.io/...",
                              "resources": {"limits": {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "20000"}},
                              "env": [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}}]}]},
     "status": {"phase": "Running", "containerStatuses": [{"name": "main", "restartCount": 5,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 1, ...}}}]}}

A container's GPU columns are its limits (HAMi and the device plugin read limits; requests of an
extended resource must equal limits). A pod's GPU columns sum its app containers.
"""

from __future__ import annotations

from typing import Any

from analyzer.parse.quantity import GPU, GPUCORES, GPUMEM, GPUMEM_PCT, count, parse_time
from analyzer.tables import to_json


def _state(state: dict | None) -> dict[str, Any]:
    """One of running/waiting/terminated with its fields, flattened."""
    if not isinstance(state, dict) or not state:
        return {}
    for name in ("waiting", "running", "terminated"):
        if name in state and isinstance(state[name], dict):
            s = state[name]
            return {"state": name, "reason": s.get("reason"), "message": s.get("message"),
                    "exit_code": s.get("exitCode"), "started": parse_time(s.get("startedAt")),
                    "finished": parse_time(s.get("finishedAt"))}
    return {}


def _gpu_columns(limits: dict, requests: dict) -> dict[str, int | None]:
    def get(key: str) -> int | None:
        return count(limits.get(key, requests.get(key)))

    return {"gpu": get(GPU), "gpumem": get(GPUMEM), "gpumem_percentage": get(GPUMEM_PCT),
            "gpucores": get(GPUCORES)}


def _refs(container: dict, volumes_by_name: dict[str, dict]) -> tuple[list[str], list[str], list[str]]:
    env_names, secrets, configmaps = [], [], []
    for env in container.get("env") or []:
        if not isinstance(env, dict):
            continue
        env_names.append(str(env.get("name")))
        vf = env.get("valueFrom") or {}
        sk = vf.get("secretKeyRef") if isinstance(vf, dict) else None
        if isinstance(sk, dict) and sk.get("name") and not sk.get("optional"):
            secrets.append(f"{sk['name']}/{sk.get('key', '')}")
        ck = vf.get("configMapKeyRef") if isinstance(vf, dict) else None
        if isinstance(ck, dict) and ck.get("name") and not ck.get("optional"):
            configmaps.append(f"{ck['name']}/{ck.get('key', '')}")
    for ef in container.get("envFrom") or []:
        if not isinstance(ef, dict):
            continue
        if isinstance(ef.get("secretRef"), dict) and not ef["secretRef"].get("optional"):
            secrets.append(str(ef["secretRef"].get("name")))
        if isinstance(ef.get("configMapRef"), dict) and not ef["configMapRef"].get("optional"):
            configmaps.append(str(ef["configMapRef"].get("name")))
    for mount in container.get("volumeMounts") or []:
        vol = volumes_by_name.get(mount.get("name")) if isinstance(mount, dict) else None
        if not vol:
            continue
        if isinstance(vol.get("secret"), dict) and not vol["secret"].get("optional"):
            secrets.append(str(vol["secret"].get("secretName")))
        if isinstance(vol.get("configMap"), dict) and not vol["configMap"].get("optional"):
            configmaps.append(str(vol["configMap"].get("name")))
    return env_names, sorted(set(secrets)), sorted(set(configmaps))


def pod_rows(obj: dict, path: str, origin: str = "json") -> tuple[dict, list[dict]]:
    """The ``pods`` row and the ``containers`` rows of one Pod object."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    ns, name = meta.get("namespace"), meta.get("name")
    statuses: dict[tuple[bool, str], dict] = {}
    for init, key in ((False, "containerStatuses"), (True, "initContainerStatuses")):
        for cs in status.get(key) or []:
            if isinstance(cs, dict):
                statuses[(init, cs.get("name"))] = cs
    volumes = {v.get("name"): v for v in spec.get("volumes") or [] if isinstance(v, dict)}
    containers = []
    totals: dict[str, int | None] = {"gpu": None, "gpumem": None, "gpumem_percentage": None, "gpucores": None}
    for init, key in ((True, "initContainers"), (False, "containers")):
        for c in spec.get(key) or []:
            if not isinstance(c, dict):
                continue
            res = c.get("resources") or {}
            limits, requests = res.get("limits") or {}, res.get("requests") or {}
            gpus = _gpu_columns(limits, requests)
            if not init:
                for k, v in gpus.items():
                    if v is not None:
                        totals[k] = (totals[k] or 0) + v
            cs = statuses.get((init, c.get("name")), {})
            st, last = _state(cs.get("state")), _state(cs.get("lastState"))
            env_names, secrets, configmaps = _refs(c, volumes)
            probes = {k: c[k] for k in ("livenessProbe", "readinessProbe", "startupProbe") if k in c}
            containers.append({
                "path": path, "origin": origin, "namespace": ns, "pod": name, "name": c.get("name"),
                "init": init, "image": c.get("image"), "ready": cs.get("ready"),
                "restart_count": cs.get("restartCount"), "state": st.get("state"),
                "state_reason": st.get("reason"), "state_message": st.get("message"),
                "state_exit_code": st.get("exit_code"), "state_started": st.get("started"),
                "state_finished": st.get("finished"), "last_state": last.get("state"),
                "last_reason": last.get("reason"), "last_message": last.get("message"),
                "last_exit_code": last.get("exit_code"), "last_started": last.get("started"),
                "last_finished": last.get("finished"), "requests": to_json(requests),
                "limits": to_json(limits), **gpus, "env_names": to_json(env_names),
                "secret_refs": to_json(secrets), "configmap_refs": to_json(configmaps),
                "probes": to_json(probes) if probes else None,
            })
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    ready = next((c.get("status") == "True" for c in conditions if c.get("type") == "Ready"), None)
    ready_c = next((c for c in conditions if c.get("type") == "Ready"), {})
    scheduled_c = next((c for c in conditions if c.get("type") == "PodScheduled" and c.get("status") == "True"), {})
    owners = meta.get("ownerReferences") or [{}]
    owner = owners[0] if isinstance(owners[0], dict) else {}
    pod = {
        "path": path, "origin": origin, "namespace": ns, "name": name, "uid": meta.get("uid"),
        "phase": status.get("phase"), "reason": status.get("reason"), "message": status.get("message"),
        "node": spec.get("nodeName"), "scheduler_name": spec.get("schedulerName"),
        "start_time": parse_time(status.get("startTime")), "ready": ready,
        "conditions": to_json([{k: c.get(k) for k in ("type", "status", "reason", "message")
                                if c.get(k) is not None} for c in conditions]),
        "labels": to_json(meta.get("labels") or {}), "annotations": to_json(meta.get("annotations") or {}),
        "owner_kind": owner.get("kind"), "owner_name": owner.get("name"),
        "qos_class": status.get("qosClass"), **totals,
        "node_selector": to_json(spec.get("nodeSelector")) if spec.get("nodeSelector") else None,
        "tolerations": to_json(spec.get("tolerations")) if spec.get("tolerations") else None,
        # when Ready last changed (to True or to False), and when the pod was bound to its node
        "ready_since": parse_time(ready_c.get("lastTransitionTime")),
        "scheduled_at": parse_time(scheduled_c.get("lastTransitionTime")),
    }
    return pod, containers
