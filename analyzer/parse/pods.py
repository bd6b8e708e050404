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

import regex

from analyzer.parse.quantity import GPU, GPUCORES, GPUMEM, GPUMEM_PCT, bounded_int, count, parse_time
from analyzer.parse.shape import CONDITION_KEYS, conditions_of, dict_of, labels_of, list_of, text
from analyzer.tables import to_json

INT32 = 2**31 - 1  # exit codes and restart counts are int32 in the API


def _state(state: Any, where: str) -> dict[str, Any]:
    """One of running/waiting/terminated with its fields, flattened."""
    if not isinstance(state, dict) or not state:
        return {}
    for name in ("waiting", "running", "terminated"):
        if name in state and isinstance(state[name], dict):
            s = state[name]
            return {"state": name, "reason": text(s.get("reason")), "message": text(s.get("message")),
                    "exit_code": bounded_int(s.get("exitCode"), f"{where}.{name}.exitCode", -INT32 - 1, INT32),
                    "started": parse_time(s.get("startedAt"), f"{where}.{name}.startedAt"),
                    "finished": parse_time(s.get("finishedAt"), f"{where}.{name}.finishedAt")}
    return {}


def _gpu_columns(limits: dict, requests: dict, where: str) -> dict[str, int | None]:
    def get(key: str) -> int | None:
        kind = "limits" if key in limits else "requests"
        return count(limits.get(key, requests.get(key)), f"{where} resources.{kind}.{key}")

    return {"gpu": get(GPU), "gpumem": get(GPUMEM), "gpumem_percentage": get(GPUMEM_PCT),
            "gpucores": get(GPUCORES)}


def _refs(container: dict, volumes_by_name: dict[str, dict]) -> tuple[list[str], list[str], list[str]]:
    env_names, secrets, configmaps = [], [], []
    for env in list_of(container.get("env")):
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
    for ef in list_of(container.get("envFrom")):
        if not isinstance(ef, dict):
            continue
        if isinstance(ef.get("secretRef"), dict) and not ef["secretRef"].get("optional"):
            secrets.append(str(ef["secretRef"].get("name")))
        if isinstance(ef.get("configMapRef"), dict) and not ef["configMapRef"].get("optional"):
            configmaps.append(str(ef["configMapRef"].get("name")))
    for mount in list_of(container.get("volumeMounts")):
        vol = volumes_by_name.get(text(mount.get("name"))) if isinstance(mount, dict) else None
        if not vol:
            continue
        if isinstance(vol.get("secret"), dict) and not vol["secret"].get("optional"):
            secrets.append(str(vol["secret"].get("secretName")))
        if isinstance(vol.get("configMap"), dict) and not vol["configMap"].get("optional"):
            configmaps.append(str(vol["configMap"].get("name")))
    return env_names, sorted(set(secrets)), sorted(set(configmaps))


def pod_rows(obj: dict, path: str, origin: str = "json") -> tuple[dict, list[dict]]:
    """The ``pods`` row and the ``containers`` rows of one Pod object (fields of the wrong type
    read as absent, and noted: see ``analyzer.parse.shape``)."""
    meta = dict_of(obj.get("metadata"), "pod metadata")
    spec = dict_of(obj.get("spec"), "pod spec")
    status = dict_of(obj.get("status"), "pod status")
    ns, name = text(meta.get("namespace")), text(meta.get("name"))
    pod_where = f"pod {ns}/{name}"
    statuses: dict[tuple[bool, str | None], dict] = {}
    for init, key in ((False, "containerStatuses"), (True, "initContainerStatuses")):
        for cs in list_of(status.get(key), f"{pod_where} status.{key}"):
            if isinstance(cs, dict):
                statuses[(init, text(cs.get("name")))] = cs
    volumes = {text(v.get("name")): v for v in list_of(spec.get("volumes"), f"{pod_where} spec.volumes")
               if isinstance(v, dict)}
    containers = []
    totals: dict[str, int | None] = {"gpu": None, "gpumem": None, "gpumem_percentage": None, "gpucores": None}
    for init, key in ((True, "initContainers"), (False, "containers")):
        for c in list_of(spec.get(key), f"{pod_where} spec.{key}"):
            if not isinstance(c, dict):
                continue
            cname = text(c.get("name"))
            where = f"{pod_where} container {cname}"  # names the field in "could not read"
            res = dict_of(c.get("resources"), f"{where} resources")
            limits = dict_of(res.get("limits"), f"{where} resources.limits")
            requests = dict_of(res.get("requests"), f"{where} resources.requests")
            gpus = _gpu_columns(limits, requests, where)
            if not init:
                for k, v in gpus.items():
                    if v is not None:
                        totals[k] = min((totals[k] or 0) + v, 2**63 - 1)
            cs = statuses.get((init, cname), {})
            st = _state(cs.get("state"), f"{where} state")
            last = _state(cs.get("lastState"), f"{where} lastState")
            env_names, secrets, configmaps = _refs(c, volumes)
            probes = {k: c[k] for k in ("livenessProbe", "readinessProbe", "startupProbe") if k in c}
            containers.append({
                "path": path, "origin": origin, "namespace": ns, "pod": name, "name": cname,
                "init": init, "image": text(c.get("image")),
                "ready": cs.get("ready") if isinstance(cs.get("ready"), bool) else None,
                "restart_count": bounded_int(cs.get("restartCount"), f"{where} restartCount", 0, INT32),
                "state": st.get("state"),
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
    where = pod_where
    timed = conditions_of(status.get("conditions"), f"{where} status.conditions", times=True)
    conditions = [{k: v for k, v in c.items() if k in CONDITION_KEYS} for c in timed]
    ready = next((c.get("status") == "True" for c in conditions if c.get("type") == "Ready"), None)
    ready_c = next((c for c in timed if c.get("type") == "Ready"), {})
    scheduled_c = next((c for c in timed if c.get("type") == "PodScheduled" and c.get("status") == "True"), {})
    owners = [o for o in list_of(meta.get("ownerReferences"), f"{where} metadata.ownerReferences")
              if isinstance(o, dict)]
    owner = owners[0] if owners else {}
    selector = labels_of(spec.get("nodeSelector"), f"{where} spec.nodeSelector")
    tolerations = [t for t in list_of(spec.get("tolerations"), f"{where} spec.tolerations") if isinstance(t, dict)]
    pod = {
        "path": path, "origin": origin, "namespace": ns, "name": name, "uid": text(meta.get("uid")),
        "phase": text(status.get("phase")), "reason": text(status.get("reason")),
        "message": text(status.get("message")),
        "node": text(spec.get("nodeName")), "scheduler_name": text(spec.get("schedulerName")),
        "start_time": parse_time(status.get("startTime"), f"{where} status.startTime"), "ready": ready,
        "conditions": to_json(conditions),
        "labels": to_json(labels_of(meta.get("labels"), f"{where} metadata.labels")),
        "annotations": to_json(labels_of(meta.get("annotations"), f"{where} metadata.annotations")),
        "owner_kind": text(owner.get("kind")), "owner_name": text(owner.get("name")),
        "qos_class": text(status.get("qosClass")), **totals,
        "node_selector": to_json(selector) if selector else None,
        "tolerations": to_json(tolerations) if tolerations else None,
        # when Ready last changed (to True or to False), and when the pod was bound to its node
        "ready_since": parse_time(ready_c.get("lastTransitionTime"), f"{where} Ready lastTransitionTime"),
        "scheduled_at": parse_time(scheduled_c.get("lastTransitionTime"), f"{where} PodScheduled lastTransitionTime"),
    }
    return pod, containers


# A container status pasted as YAML without its pod (``kubectl get pod -o yaml`` cut to the
# part that matters): ``state:``/``lastState:`` with ``terminated:``/``waiting:``/``running:``
# and their fields, inside a ``- name: ...`` item of containerStatuses or standing alone.
_STATE_KEY = regex.compile(r"^(?P<ind> *)(?:- )?(?P<which>state|lastState):\s*$")
_KIND_KEY = regex.compile(r"^(?P<ind> *)(?P<kind>terminated|waiting|running):\s*$")
_FIELD = regex.compile(r"^(?P<ind> *)(?P<dash>- )?(?P<key>[\w.\-/]+):(?:[ \t]+(?P<val>.*?))?\s*$")
_ITEM_FIELDS = {"name": str, "image": str, "restartCount": int, "ready": bool}


def may_hold_status_fragment(raw: bytes) -> bool:
    """False when ``raw`` (UTF-8 text) holds no container state ``status_fragment_rows`` reads
    (a test on the bytes, before decoding)."""
    return b"terminated:" in raw or b"waiting:" in raw


def status_fragment_rows(text: str, path: str) -> list[dict]:
    """``containers`` rows of the container statuses in a YAML paste that is not a whole object
    (no apiVersion/kind: the paste starts inside ``status:``); none when it holds no state.

    >>> rows = status_fragment_rows(
    ...     "  - name: vllm\\n    lastState:\\n      terminated:\\n        exitCode: 137\\n"
    ...     "        reason: OOMKilled\\n    restartCount: 4\\n    state:\\n      waiting:\\n"
    ...     "        reason: CrashLoopBackOff\\n", "paste.txt")
    >>> [(r["name"], r["last_reason"], r["last_exit_code"], r["state_reason"], r["restart_count"]) for r in rows]
    [('vllm', 'OOMKilled', 137, 'CrashLoopBackOff', 4)]
    """
    if "terminated:" not in text and "waiting:" not in text:
        return []
    lines = text.splitlines()
    found: dict[int, dict] = {}   # first line of the container item (or of the state block) -> status
    for i, line in enumerate(lines):
        m = _STATE_KEY.match(line)
        if not m or i + 1 >= len(lines):
            continue
        k = _KIND_KEY.match(lines[i + 1])
        ind = len(m["ind"]) + (2 if line.lstrip().startswith("- ") else 0)
        if not k or len(k["ind"]) <= ind:
            continue
        body = next((ln for ln in lines[i + 2:] if ln.strip()), "")
        depth = len(body) - len(body.lstrip(" "))
        fields = _block(lines, i + 2, depth) if depth > len(k["ind"]) else {}
        item = _item_start(lines, i, ind)
        cs = found.setdefault(item if item is not None else i, {"_line": (item if item is not None else i) + 1})
        cs[m["which"]] = {k["kind"]: fields}
        if item is not None:
            cs.update(_item_fields(lines, item))
    rows = []
    for cs in found.values():
        if not any((st.get("terminated") or st.get("waiting") or {}).get(f) is not None
                   for st in (cs.get("state") or {}, cs.get("lastState") or {}) for f in ("reason", "exitCode")):
            continue
        line = cs.pop("_line")
        obj = {"spec": {"containers": [{"name": cs.get("name"), "image": cs.get("image")}]},
               "status": {"containerStatuses": [cs]}}
        for row in pod_rows(obj, path, origin="yaml")[1]:
            rows.append({**row, "line": line})
    return rows


def _scalar(value: str | None) -> Any:
    if value is None:
        return None
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        v = v[1:-1]
    return v


def _block(lines: list[str], start: int, indent: int) -> dict[str, Any]:
    """The ``key: value`` fields at ``indent`` from ``start`` on (a value continued on more
    indented lines, or a ``>-``/``|`` block, is joined with spaces)."""
    out: dict[str, Any] = {}
    key = None
    for line in lines[start:]:
        if not line.strip():
            continue
        ind = len(line) - len(line.lstrip(" "))
        if ind < indent:
            break
        m = _FIELD.match(line)
        if ind == indent and m:
            key = m["key"]
            out[key] = _scalar(m["val"])
            if out[key] in (">", ">-", "|", "|-", ">+", "|+"):
                out[key] = ""
        elif key is not None and ind > indent:
            out[key] = ((out[key] or "") + " " + _scalar(line)).strip()
    if "exitCode" in out:
        try:
            out["exitCode"] = int(out["exitCode"])
        except (TypeError, ValueError):
            out["exitCode"] = None
    return out


def _item_start(lines: list[str], at: int, indent: int) -> int | None:
    """The line of the ``- `` list item that holds line ``at`` (fields at ``indent``)."""
    for j in range(at, -1, -1):
        line = lines[j]
        if not line.strip():
            continue
        ind = len(line) - len(line.lstrip(" "))
        if line.lstrip().startswith("- ") and ind + 2 == indent:
            return j
        if ind < indent and not line.lstrip().startswith("- "):
            return None
    return None


def _item_fields(lines: list[str], item: int) -> dict[str, Any]:
    """name, image, restartCount and ready of the list item starting at line ``item``."""
    first = lines[item]
    indent = len(first) - len(first.lstrip(" ")) + 2
    out: dict[str, Any] = {}
    for j, line in enumerate(lines[item:]):
        if not line.strip():
            continue
        ind = len(line) - len(line.lstrip(" "))
        if j and (ind < indent or (ind == indent - 2 and line.lstrip().startswith("- "))):
            break
        m = _FIELD.match(line)
        if m and (ind == indent or (j == 0 and m["dash"])) and m["key"] in _ITEM_FIELDS:
            value = _scalar(m["val"])
            try:
                out[m["key"]] = (value == "true" if _ITEM_FIELDS[m["key"]] is bool
                                 else _ITEM_FIELDS[m["key"]](value)) if value is not None else None
            except ValueError:
                pass
    return out
