"""``kubectl describe pods`` / ``describe nodes`` text rendered from the same object dicts.

Layout follows kubectl's pkg/describe/describe.go (v1.30 client): a PrefixWriter of
``Key:\\tvalue`` lines through one tabwriter, ages from duration.HumanDuration relative to the
collection time, events sorted by last timestamp, ``<last> (x<count> over <first>)`` for
repeated events, probes as ``#success=1 #failure=3`` (the wording before v1.37).
"""

from __future__ import annotations

from analyzer.parse.quantity import human_duration, quantity

from .clock import NS, parse_time, rfc1123z
from .kube import Obj, format_bytes, format_cpu
from .tabwriter import tabwrite

L1, L2, L3 = "  ", "    ", "      "
MAX_ANNOTATION_LEN = 140


def _t(text: str | None) -> int:
    """Nanoseconds since the epoch from an RFC3339 time (second or micro precision)."""
    return parse_time(text) if text else 0


def _since(now: int, text: str | None) -> str:
    if not text:
        return "<unknown>"
    return human_duration((now - _t(text)) / NS)


def _time(text: str) -> str:
    return rfc1123z(_t(text))


def _labels(out: list[str], title: str, labels: dict[str, str] | None) -> None:
    if not labels:
        out.append(f"{title}:\t<none>")
        return
    for i, key in enumerate(sorted(labels)):
        out.append((f"{title}:\t" if i == 0 else "\t") + f"{key}={labels[key]}")


def _annotations(out: list[str], annotations: dict[str, str] | None) -> None:
    keys = sorted(k for k in (annotations or {}) if k != "kubectl.kubernetes.io/last-applied-configuration")
    if not keys:
        out.append("Annotations:\t<none>")
        return
    for i, key in enumerate(keys):
        prefix = "Annotations:\t" if i == 0 else "\t"
        value = annotations[key].rstrip("\n")  # type: ignore[index]
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            out.append(f"{prefix}{key}:")
            for s in value.split("\n"):
                short = s if len(s) <= MAX_ANNOTATION_LEN - 2 else s[: MAX_ANNOTATION_LEN - 2] + "..."
                out.append(f"\t  {short}")
        else:
            out.append(f"{prefix}{key}: {value}")


def _tolerations(out: list[str], tolerations: list[Obj]) -> None:
    if not tolerations:
        out.append("Tolerations:\t<none>")
        return
    for i, t in enumerate(sorted(tolerations, key=lambda t: t.get("key", ""))):
        s = t.get("key", "")
        if t.get("value"):
            s += "=" + t["value"]
        if t.get("effect"):
            s += ":" + t["effect"]
        if t.get("operator") == "Exists" and not t.get("value"):
            s += " op=Exists" if (t.get("key") or t.get("effect")) else "op=Exists"
        if "tolerationSeconds" in t:
            s += f" for {t['tolerationSeconds']}s"
        out.append(("Tolerations:\t" if i == 0 else "\t") + s)


def _events(out: list[str], events: list[Obj], now: int) -> list[str]:
    """Append the Events section; returns the lines (describe flushes the tabwriter first)."""
    if not events:
        out.append("Events:\t<none>")
        return out

    def last_time(e: Obj) -> int:
        if e.get("series"):
            return _t(e["series"]["lastObservedTime"])
        return _t(e.get("lastTimestamp") or e.get("eventTime"))

    out.append("Events:")
    out.append("  Type\tReason\tAge\tFrom\tMessage")
    out.append("  ----\t------\t----\t----\t-------")
    for e in sorted(events, key=last_time):
        first = _since(now, e["eventTime"]) if e.get("eventTime") else _since(now, e.get("firstTimestamp"))
        if e.get("series"):
            age = f"{_since(now, e['series']['lastObservedTime'])} (x{e['series']['count']} over {first})"
        elif e.get("count", 1) > 1:
            age = f"{_since(now, e['lastTimestamp'])} (x{e['count']} over {first})"
        else:
            age = first
        source = e.get("source", {}).get("component") or e.get("reportingComponent", "")
        out.append(f"  {e['type']}\t{e['reason']}\t{age}\t{source}\t{e['message'].strip()}")
    return out


def _state(out: list[str], title: str, state: Obj) -> None:
    if "running" in state:
        out.append(f"{L2}{title}:\tRunning")
        out.append(f"{L3}Started:\t{_time(state['running']['startedAt'])}")
    elif "terminated" in state:
        t = state["terminated"]
        out.append(f"{L2}{title}:\tTerminated")
        if t.get("reason"):
            out.append(f"{L3}Reason:\t{t['reason']}")
        if t.get("message"):
            out.append(f"{L3}Message:\t{t['message']}")
        out.append(f"{L3}Exit Code:\t{t['exitCode']}")
        if t.get("signal"):
            out.append(f"{L3}Signal:\t{t['signal']}")
        out.append(f"{L3}Started:\t{_time(t['startedAt'])}")
        out.append(f"{L3}Finished:\t{_time(t['finishedAt'])}")
    else:
        out.append(f"{L2}{title}:\tWaiting")
        reason = state.get("waiting", {}).get("reason")
        if reason:
            out.append(f"{L3}Reason:\t{reason}")


def _probe(p: Obj) -> str:
    attrs = (f"delay={p.get('initialDelaySeconds', 0)}s timeout={p.get('timeoutSeconds', 1)}s "
             f"period={p.get('periodSeconds', 10)}s #success={p.get('successThreshold', 1)} "
             f"#failure={p.get('failureThreshold', 3)}")
    if "httpGet" in p:
        h = p["httpGet"]
        return f"http-get {h.get('scheme', 'HTTP').lower()}://{h.get('host', '')}:{h['port']}{h['path']} {attrs}"
    if "tcpSocket" in p:
        return f"tcp-socket {p['tcpSocket'].get('host', '')}:{p['tcpSocket']['port']} {attrs}"
    if "exec" in p:
        return f"exec [{' '.join(p['exec']['command'])}] {attrs}"
    return f"unknown {attrs}"


def _resource_sort_key(name: str) -> tuple[int, str]:
    # kubectl's SortedResourceNames: cpu, memory, ephemeral-storage first, then by name
    order = {"cpu": 0, "memory": 1, "ephemeral-storage": 2}
    return (order.get(name, 3), name)


def _containers(out: list[str], title: str, specs: list[Obj], statuses: list[Obj]) -> None:
    by_name = {s["name"]: s for s in statuses}
    out.append(f"{title}:")
    for c in specs:
        st = by_name.get(c["name"])
        out.append(f"{L1}{c['name']}:")
        if st is not None:
            out.append(f"{L2}Container ID:\t{st.get('containerID', '')}")
        out.append(f"{L2}Image:\t{c['image']}")
        if st is not None:
            out.append(f"{L2}Image ID:\t{st.get('imageID', '')}")
        ports = [f"{p['containerPort']}/{p['protocol']}" + (f" ({p['name']})" if p.get("name") else "")
                 for p in c.get("ports", [])]
        hports = [f"{p.get('hostPort', 0)}/{p['protocol']}" + (f" ({p['name']})" if p.get("name") else "")
                  for p in c.get("ports", [])]
        out.append(f"{L2}{'Ports' if len(ports) > 1 else 'Port'}:\t{', '.join(ports) or '<none>'}")
        out.append(f"{L2}{'Host Ports' if len(hports) > 1 else 'Host Port'}:\t{', '.join(hports) or '<none>'}")
        for key, label in (("command", "Command"), ("args", "Args")):
            if c.get(key):
                out.append(f"{L2}{label}:")
                for arg in c[key]:
                    for s in arg.split("\n"):
                        out.append(f"{L3}{s}")
        if st is not None:
            _state(out, "State", st["state"])
            if st.get("lastState", {}).get("terminated"):
                _state(out, "Last State", st["lastState"])
            out.append(f"{L2}Ready:\t{'True' if st['ready'] else 'False'}")
            out.append(f"{L2}Restart Count:\t{st['restartCount']}")
        res = c.get("resources", {})
        for key, label in (("limits", "Limits"), ("requests", "Requests")):
            if res.get(key):
                out.append(f"{L2}{label}:")
                for name in sorted(res[key], key=_resource_sort_key):
                    out.append(f"{L3}{name}:\t{res[key][name]}")
        for key, label in (("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"),
                           ("startupProbe", "Startup")):
            if c.get(key):
                out.append(f"{L2}{label}:\t{_probe(c[key])}")
        if c.get("envFrom"):
            out.append(f"{L2}Environment Variables from:")
            for ef in c["envFrom"]:
                if "secretRef" in ef:
                    opt = "true" if ef["secretRef"].get("optional") else "false"
                    out.append(f"{L3}{ef['secretRef']['name']}\tSecret\tOptional: {opt}")
                elif "configMapRef" in ef:
                    opt = "true" if ef["configMapRef"].get("optional") else "false"
                    out.append(f"{L3}{ef['configMapRef']['name']}\tConfigMap\tOptional: {opt}")
        envs = c.get("env", [])
        out.append(f"{L2}Environment:" + ("" if envs else "\t<none>"))
        for e in envs:
            if "valueFrom" not in e:
                for i, s in enumerate(e.get("value", "").split("\n")):
                    out.append(f"{L3}{e['name']}:\t{s}" if i == 0 else f"{L3}\t{s}")
                continue
            vf = e["valueFrom"]
            if "fieldRef" in vf:
                out.append(f"{L3}{e['name']}:\t{_field_value(e, vf)} ({vf['fieldRef']['apiVersion']}:"
                           f"{vf['fieldRef']['fieldPath']})")
            elif "secretKeyRef" in vf:
                r = vf["secretKeyRef"]
                out.append(f"{L3}{e['name']}:\t<set to the key '{r['key']}' in secret '{r['name']}'>\t"
                           f"Optional: {'true' if r.get('optional') else 'false'}")
            elif "configMapKeyRef" in vf:
                r = vf["configMapKeyRef"]
                out.append(f"{L3}{e['name']}:\t<set to the key '{r['key']}' of config map '{r['name']}'>\t"
                           f"Optional: {'true' if r.get('optional') else 'false'}")
        mounts = sorted(c.get("volumeMounts", []), key=lambda m: m["mountPath"])
        out.append(f"{L2}Mounts:" + ("" if mounts else "\t<none>"))
        for m in mounts:
            flags = ["ro" if m.get("readOnly") else "rw"]
            if m.get("subPath"):
                flags.append(f'path="{m["subPath"]}"')
            out.append(f"{L3}{m['mountPath']} from {m['name']} ({','.join(flags)})")


_FIELD_VALUES: dict[str, str] = {}


def _field_value(e: Obj, vf: Obj) -> str:
    return _FIELD_VALUES.get(vf["fieldRef"]["fieldPath"], "")


def _volumes(out: list[str], vols: list[Obj]) -> None:
    if not vols:
        out.append("Volumes:\t<none>")
        return
    out.append("Volumes:")
    for v in vols:
        out.append(f"{L1}{v['name']}:")
        if "projected" in v:
            out.append(f"{L2}Type:\tProjected (a volume that contains injected data from multiple sources)")
            for s in v["projected"]["sources"]:
                if "serviceAccountToken" in s:
                    out.append(f"{L2}TokenExpirationSeconds:\t{s['serviceAccountToken']['expirationSeconds']}")
                elif "configMap" in s:
                    out.append(f"{L2}ConfigMapName:\t{s['configMap']['name']}")
                    out.append(f"{L2}ConfigMapOptional:\t<nil>")
                elif "downwardAPI" in s:
                    out.append(f"{L2}DownwardAPI:\ttrue")
        elif "persistentVolumeClaim" in v:
            out.append(f"{L2}Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)")
            out.append(f"{L2}ClaimName:\t{v['persistentVolumeClaim']['claimName']}")
            out.append(f"{L2}ReadOnly:\t{'true' if v['persistentVolumeClaim'].get('readOnly') else 'false'}")
        elif "emptyDir" in v:
            out.append(f"{L2}Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)")
            out.append(f"{L2}Medium:\t{v['emptyDir'].get('medium', '')}")
            out.append(f"{L2}SizeLimit:\t{v['emptyDir'].get('sizeLimit', '<unset>')}")
        elif "secret" in v:
            out.append(f"{L2}Type:\tSecret (a volume populated by a Secret)")
            out.append(f"{L2}SecretName:\t{v['secret']['secretName']}")
            out.append(f"{L2}Optional:\t{'true' if v['secret'].get('optional') else 'false'}")
        elif "configMap" in v:
            out.append(f"{L2}Type:\tConfigMap (a volume populated by a ConfigMap)")
            out.append(f"{L2}Name:\t{v['configMap']['name']}")
            out.append(f"{L2}Optional:\t{'true' if v['configMap'].get('optional') else 'false'}")
        elif "hostPath" in v:
            out.append(f"{L2}Type:\tHostPath (bare host directory volume)")
            out.append(f"{L2}Path:\t{v['hostPath']['path']}")
            out.append(f"{L2}HostPathType:\t{v['hostPath']['type'] if 'type' in v['hostPath'] else '<none>'}")
        else:
            out.append(f"{L1}<unknown>")


def describe_pod(pod: Obj, events: list[Obj], now: int) -> str:
    """The ``kubectl describe pod`` text of one pod and the events about it."""
    m, spec, st = pod["metadata"], pod["spec"], pod["status"]
    _FIELD_VALUES.clear()
    _FIELD_VALUES.update({"metadata.name": m["name"], "metadata.namespace": m["namespace"],
                          "status.podIP": st.get("podIP", ""), "spec.nodeName": spec.get("nodeName", ""),
                          "status.hostIP": st.get("hostIP", ""), "metadata.uid": m["uid"]})
    out: list[str] = [f"Name:\t{m['name']}", f"Namespace:\t{m['namespace']}"]
    out.append(f"Priority:\t{spec.get('priority', 0)}")
    if spec.get("priorityClassName"):
        out.append(f"Priority Class Name:\t{spec['priorityClassName']}")
    if spec.get("runtimeClassName"):
        out.append(f"Runtime Class Name:\t{spec['runtimeClassName']}")
    out.append(f"Service Account:\t{spec['serviceAccountName']}")
    out.append(f"Node:\t{spec['nodeName']}/{st.get('hostIP', '')}" if spec.get("nodeName") else "Node:\t<none>")
    if st.get("startTime"):
        out.append(f"Start Time:\t{_time(st['startTime'])}")
    _labels(out, "Labels", m.get("labels"))
    _annotations(out, m.get("annotations"))
    out.append(f"Status:\t{st['phase']}")
    if st.get("reason"):
        out.append(f"Reason:\t{st['reason']}")
    if st.get("message"):
        out.append(f"Message:\t{st['message']}")
    out.append(f"IP:\t{st.get('podIP', '')}")
    if st.get("podIPs"):
        out.append("IPs:")
        for ip in st["podIPs"]:
            out.append(f"{L1}IP:\t{ip['ip']}")
    else:
        out.append("IPs:\t<none>")
    owners = [o for o in m.get("ownerReferences", []) if o.get("controller")]
    if owners:
        out.append(f"Controlled By:\t{owners[0]['kind']}/{owners[0]['name']}")
    if spec.get("initContainers"):
        _containers(out, "Init Containers", spec["initContainers"], st.get("initContainerStatuses", []))
    _containers(out, "Containers", spec["containers"], st.get("containerStatuses", []))
    if st.get("conditions"):
        out.append("Conditions:")
        out.append("  Type\tStatus")
        for c in st["conditions"]:
            out.append(f"  {c['type']} \t{c['status']} ")
    _volumes(out, spec.get("volumes", []))
    out.append(f"QoS Class:\t{st['qosClass']}")
    _labels(out, "Node-Selectors", spec.get("nodeSelector"))
    _tolerations(out, spec.get("tolerations", []))
    body = tabwrite("\n".join(out) + "\n")
    # DescribeEvents flushes the tabwriter before the table: align it on its own
    return body + tabwrite("\n".join(_events([], events, now)) + "\n")


def describe_pods(pods: list[Obj], events: list[Obj], now: int) -> str:
    """``kubectl describe pods -n NS``: every pod, separated by two blank lines."""
    parts = []
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        uid = pod["metadata"]["uid"]
        mine = [e for e in events if e["involvedObject"].get("uid") == uid]
        parts.append(describe_pod(pod, mine, now))
    return "\n\n".join(parts)


def _pod_requests(pod: Obj) -> tuple[dict[str, float], dict[str, float]]:
    req: dict[str, float] = {}
    lim: dict[str, float] = {}
    for c in pod["spec"]["containers"]:
        for src, dst in ((c.get("resources", {}).get("requests", {}), req),
                         (c.get("resources", {}).get("limits", {}), lim)):
            for k, v in src.items():
                dst[k] = dst.get(k, 0) + quantity(v)
    # limits default requests when only limits are set
    for c in pod["spec"]["containers"]:
        res = c.get("resources", {})
        for k, v in res.get("limits", {}).items():
            if k not in res.get("requests", {}):
                req[k] = req.get(k, 0) + quantity(v)
    return req, lim


def _fmt(res: str, v: float) -> str:
    if res == "cpu":
        return format_cpu(v)
    if res in ("memory", "ephemeral-storage"):
        return format_bytes(v)
    return str(int(v))


def describe_node(node: Obj, pods: list[Obj], events: list[Obj], now: int) -> str:
    """The ``kubectl describe node`` text, with the pods running on it and their totals."""
    m, spec, st = node["metadata"], node["spec"], node["status"]
    roles = sorted(k.split("/", 1)[1] for k in m.get("labels", {}) if k.startswith("node-role.kubernetes.io/"))
    out = [f"Name:\t{m['name']}", f"Roles:\t{','.join(roles) or '<none>'}"]
    _labels(out, "Labels", m.get("labels"))
    _annotations(out, m.get("annotations"))
    out.append(f"CreationTimestamp:\t{_time(m['creationTimestamp'])}")
    taints = spec.get("taints", [])
    if taints:
        for i, t in enumerate(taints):
            val = f"{t['key']}={t['value']}" if t.get("value") else t["key"]
            out.append(("Taints:\t" if i == 0 else "\t") + f"{val}:{t['effect']}")
    else:
        out.append("Taints:\t<none>")
    out.append(f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}")
    renew = next((c["lastHeartbeatTime"] for c in st["conditions"] if c["type"] == "Ready"), m["creationTimestamp"])
    out += ["Lease:", f"  HolderIdentity:\t{m['name']}", "  AcquireTime:\t<unset>", f"  RenewTime:\t{_time(renew)}"]
    out.append("Conditions:")
    out.append("  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage")
    out.append("  ----\t------\t-----------------\t------------------\t------\t-------")
    for c in st["conditions"]:
        out.append(f"  {c['type']} \t{c['status']} \t{_time(c['lastHeartbeatTime'])} \t"
                   f"{_time(c['lastTransitionTime'])} \t{c['reason']} \t{c['message']}")
    out.append("Addresses:")
    for a in st["addresses"]:
        out.append(f"  {a['type']}:\t{a['address']}")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        out.append(f"{title}:")
        for name in sorted(st[key]):
            out.append(f"  {name}:\t{st[key][name]}")
    ni = st["nodeInfo"]
    out += ["System Info:", f"  Machine ID:\t{ni['machineID']}", f"  System UUID:\t{ni['systemUUID']}",
            f"  Boot ID:\t{ni['bootID']}", f"  Kernel Version:\t{ni['kernelVersion']}",
            f"  OS Image:\t{ni['osImage']}", f"  Operating System:\t{ni['operatingSystem']}",
            f"  Architecture:\t{ni['architecture']}",
            f"  Container Runtime Version:\t{ni['containerRuntimeVersion']}",
            f"  Kubelet Version:\t{ni['kubeletVersion']}", f"  Kube-Proxy Version:\t{ni['kubeProxyVersion']}"]
    if spec.get("podCIDR"):
        out.append(f"PodCIDR:\t{spec['podCIDR']}")
        out.append(f"PodCIDRs:\t{','.join(spec['podCIDRs'])}")
    if spec.get("providerID"):
        out.append(f"ProviderID:\t{spec['providerID']}")
    live = [p for p in pods if p["spec"].get("nodeName") == m["name"]
            and p["status"]["phase"] not in ("Succeeded", "Failed")]
    live.sort(key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))
    alloc = st.get("allocatable") or st["capacity"]
    a_cpu = quantity(alloc["cpu"])
    a_mem = quantity(alloc["memory"])
    out.append(f"Non-terminated Pods:\t({len(live)} in total)")
    out.append("  Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge")
    out.append("  ---------\t----\t\t------------\t----------\t---------------\t-------------\t---")
    tot_req: dict[str, float] = {}
    tot_lim: dict[str, float] = {}
    for p in live:
        req, lim = _pod_requests(p)
        for k, v in req.items():
            tot_req[k] = tot_req.get(k, 0) + v
        for k, v in lim.items():
            tot_lim[k] = tot_lim.get(k, 0) + v
        cr, cl, mr, ml = req.get("cpu", 0), lim.get("cpu", 0), req.get("memory", 0), lim.get("memory", 0)
        out.append(f"  {p['metadata']['namespace']}\t{p['metadata']['name']}\t\t"
                   f"{format_cpu(cr)} ({int(cr / a_cpu * 100)}%)\t{format_cpu(cl)} ({int(cl / a_cpu * 100)}%)\t"
                   f"{format_bytes(mr)} ({int(mr / a_mem * 100)}%)\t{format_bytes(ml)} ({int(ml / a_mem * 100)}%)\t"
                   f"{_since(now, p['metadata']['creationTimestamp'])}")
    out.append("Allocated resources:")
    out.append("  (Total limits may be over 100 percent, i.e., overcommitted.)")
    out.append("  Resource\tRequests\tLimits")
    out.append("  --------\t--------\t------")
    for res, total in (("cpu", a_cpu), ("memory", a_mem),
                       ("ephemeral-storage", quantity(alloc.get("ephemeral-storage", "0")))):
        r, li = tot_req.get(res, 0), tot_lim.get(res, 0)
        pr = int(r / total * 100) if total else 0
        pl = int(li / total * 100) if total else 0
        out.append(f"  {res}\t{_fmt(res, r)} ({pr}%)\t{_fmt(res, li)} ({pl}%)")
    for res in sorted(k for k in alloc if k.startswith("hugepages-")):
        out.append(f"  {res}\t0 (0%)\t0 (0%)")
    for res in sorted(k for k in alloc if "/" in k and not k.startswith("hugepages-")):
        out.append(f"  {res}\t{_fmt(res, tot_req.get(res, 0))}\t{_fmt(res, tot_lim.get(res, 0))}")
    body = tabwrite("\n".join(out) + "\n")
    return body + tabwrite("\n".join(_events([], events, now)) + "\n")


def describe_nodes(nodes: list[Obj], pods: list[Obj], events: dict[str, list[Obj]], now: int) -> str:
    """``kubectl describe nodes``: every node, separated by two blank lines."""
    return "\n\n".join(describe_node(n, pods, events.get(n["metadata"]["name"], []), now)
                       for n in sorted(nodes, key=lambda n: n["metadata"]["name"]))
