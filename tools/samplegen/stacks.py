"""Reusable pieces of a GPU inference cluster: nodes, kube-system, HAMi, Dynamo, plain vLLM.

Each builder adds pods with their owners, events, logs and metrics to a `Cluster`, healthy by
default; scenarios pass overrides (a failing container's state and logs) or add the fault after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import logs as L
from . import metrics as M
from .clock import NS, go_datetime, rfc3339
from .engines import dynamo_frontend_startup, dynamo_worker_log, frontend_added_model
from .kube import (Cluster, Ctr, Obj, Vol, configmap_vol, empty_dir, env, env_field, host_path,
                   http_probe, mount, pvc_vol, secret_vol, terminated)

HOUR = 3600
MS = 1_000_000
DAY = 86400

GPU_MODELS = {
    # label product, NVML name, memory MiB (NVML total), instance type, pci bus ids
    "H100": ("NVIDIA-H100-80GB-HBM3", "NVIDIA H100 80GB HBM3", 81559, "p5.48xlarge"),
    "A100-40": ("NVIDIA-A100-SXM4-40GB", "NVIDIA A100-SXM4-40GB", 40960, "p4d.24xlarge"),
    "A100-80": ("NVIDIA-A100-SXM4-80GB", "NVIDIA A100-SXM4-80GB", 81920, "p4de.24xlarge"),
    "L40S": ("NVIDIA-L40S", "NVIDIA L40S", 46068, "g6e.12xlarge"),
    "RTX4090": ("NVIDIA-GeForce-RTX-4090", "NVIDIA GeForce RTX 4090", 24564, "workstation-4090"),
}
PCI_BUSES = ("0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0",
             "0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0")


@dataclass
class Gpu:
    uuid: str
    index: int
    name: str
    mem_mib: int
    bus: str


@dataclass
class GpuNode:
    name: str
    ip: str
    gpus: list[Gpu]
    product: str
    driver: str


@dataclass
class Env:
    """What a scenario builds on: the cluster and its GPU nodes."""

    cl: Cluster
    gpu_nodes: list[GpuNode] = field(default_factory=list)
    hami: bool = False
    split: int = 10
    hami_ns: str = "hami-system"


# ---------------------------------------------------------------------------------------------
# nodes


def gpu_nodes(cl: Cluster, names: list[str], model: str, count: int, *, hami: bool = False, split: int = 10,
              driver: str = "550.127.05", cuda: str = "12.4", created_days: float = 62,
              allocatable_override: dict[str, dict[str, str]] | None = None) -> list[GpuNode]:
    """GPU worker nodes with GPU Feature Discovery labels; HAMi adds its register annotations."""
    product, nvml, mem, itype = GPU_MODELS[model]
    out = []
    for i, name in enumerate(names):
        ip = f"10.0.{12 + i}.{cl.rng.randint(20, 220)}"
        gpus = [Gpu(cl.rng.gpu_uuid(), g, nvml, mem, PCI_BUSES[g]) for g in range(count)]
        labels = {"feature.node.kubernetes.io/pci-10de.present": "true",
                  "node.kubernetes.io/instance-type": itype,
                  "nvidia.com/cuda.driver-version.full": driver,
                  "nvidia.com/cuda.driver-version.major": driver.split(".")[0],
                  "nvidia.com/cuda.runtime-version.full": cuda,
                  "nvidia.com/gpu.compute.major": "9" if model == "H100" else "8",
                  "nvidia.com/gpu.compute.minor": "9" if model in ("L40S", "RTX4090") else "0",
                  "nvidia.com/gpu.count": str(count), "nvidia.com/gpu.family": "hopper" if model == "H100" else
                  ("ada-lovelace" if model in ("L40S", "RTX4090") else "ampere"),
                  "nvidia.com/gpu.memory": str(mem), "nvidia.com/gpu.present": "true",
                  "nvidia.com/gpu.product": product, "nvidia.com/gpu.replicas": "1",
                  "nvidia.com/mig.capable": "true" if model.startswith(("A100", "H100")) else "false",
                  "topology.kubernetes.io/zone": f"us-west-2{'abc'[i % 3]}"}
        ann: dict[str, str] = {}
        if hami:
            labels["gpu"] = "on"
            reg = [{k: v for k, v in {"id": g.uuid, "index": g.index, "count": split, "devmem": g.mem_mib,
                                      "devcore": 100, "type": f"NVIDIA-{g.name}", "numa": 0 if g.index < count // 2 else 1,
                                      "mode": "hami-core", "health": True}.items() if v not in (0, None)}
                   for g in gpus]
            ann["hami.io/node-nvidia-register"] = json.dumps(reg, separators=(",", ":"))
            ann["hami.io/node-handshake"] = "Reported " + go_datetime(cl.now - cl.rng.randint(5, 28) * NS)
            res = {"nvidia.com/gpu": str(count * split)}
        else:
            res = {"nvidia.com/gpu": str(count)}
        alloc = (allocatable_override or {}).get(name)
        cl.add_node(name, ip, created=cl.ago(created_days * DAY), labels=labels, annotations=ann,
                    cpu="192" if model == "H100" else "96", memory_ki=2113407964 if model == "H100" else 1056758532,
                    gpu_resource=res, allocatable_gpu=alloc, pod_cidr=f"10.244.{i + 1}.0/24",
                    provider_id=f"aws:///us-west-2{'abc'[i % 3]}/i-0{cl.rng.hex(16)}",
                    kernel="5.15.0-1071-aws", os_image="Ubuntu 22.04.5 LTS")
        out.append(GpuNode(name, ip, gpus, product, driver))
    return out


def cpu_node(cl: Cluster, name: str, index: int) -> None:
    cl.add_node(name, f"10.0.{8 + index}.{cl.rng.randint(20, 220)}", created=cl.ago(90 * DAY),
                labels={"node.kubernetes.io/instance-type": "m6i.4xlarge",
                        "topology.kubernetes.io/zone": "us-west-2a", "workload": "system"},
                cpu="16", memory_ki=65023540, pod_cidr=f"10.244.{100 + index}.0/24",
                provider_id=f"aws:///us-west-2a/i-0{cl.rng.hex(16)}", kernel="5.15.0-1071-aws")


# ---------------------------------------------------------------------------------------------
# generic owners


def deployment_pods(cl: Cluster, ns: str, name: str, *, replicas: int, ready: int | None = None,
                    labels: dict[str, str], created: int, containers_fn, nodes: list[str | None],
                    annotations_fn=None, **pod_kw) -> list[Obj]:
    """A Deployment, its ReplicaSet and ``replicas`` pods; ``containers_fn(i)`` gives each pod's containers."""
    h = cl.rng.suffix(10)
    tmpl = dict(labels)
    tmpl["pod-template-hash"] = h
    pods_ctrs = [containers_fn(i) for i in range(replicas)]
    n_ready = ready if ready is not None else sum(all(c.ready for c in cs) for cs in pods_ctrs)
    dep = cl.workload(ns, "Deployment", name, created=created, labels=labels, replicas=replicas, ready=n_ready,
                      template_labels=labels, containers=pods_ctrs[0])
    dep["spec"]["template"]["metadata"]["labels"] = dict(labels)
    rs = cl.replicaset(ns, dep, h, replicas, n_ready)
    out = []
    for i in range(replicas):
        pname = f"{name}-{h}-{cl.rng.suffix(5)}"
        ann = annotations_fn(i, pname) if annotations_fn else None
        out.append(cl.pod(ns, pname, node=nodes[i % len(nodes)], containers=pods_ctrs[i], owner=Cluster.owner_ref(rs),
                          labels=tmpl, annotations=ann, created=created + (i + 1) * 2 * NS,
                          generate_name=f"{name}-{h}-", **pod_kw))
    return out


def daemonset_pods(cl: Cluster, ns: str, name: str, *, labels: dict[str, str], created: int, nodes: list[str],
                   containers_fn, init_fn=None, **pod_kw) -> list[Obj]:  # type: ignore[no-untyped-def]
    rev = cl.rng.suffix(10)
    pods_ctrs = [containers_fn(i, n) for i, n in enumerate(nodes)]
    ready = sum(all(c.ready for c in cs) for cs in pods_ctrs)
    ds = cl.workload(ns, "DaemonSet", name, created=created, labels=labels, replicas=len(nodes), ready=ready,
                     containers=pods_ctrs[0] if pods_ctrs else [])
    out = []
    for i, n in enumerate(nodes):
        lab = dict(labels)
        lab.update({"controller-revision-hash": rev, "pod-template-generation": "1"})
        if init_fn is not None:
            pod_kw["init_containers"] = init_fn(i, n)
        out.append(cl.pod(ns, f"{name}-{cl.rng.suffix(5)}", node=n, containers=pods_ctrs[i],
                          owner=Cluster.owner_ref(ds), labels=lab, created=created + (i + 1) * 3 * NS,
                          generate_name=f"{name}-", **pod_kw))
    return out


def statefulset_pods(cl: Cluster, ns: str, name: str, *, replicas: int, labels: dict[str, str], created: int,
                     nodes: list[str], containers_fn, volumes: list[Vol] | None = None, **pod_kw) -> list[Obj]:
    pods_ctrs = [containers_fn(i) for i in range(replicas)]
    ready = sum(all(c.ready for c in cs) for cs in pods_ctrs)
    ss = cl.workload(ns, "StatefulSet", name, created=created, labels=labels, replicas=replicas, ready=ready,
                     containers=pods_ctrs[0])
    rev = ss["status"]["currentRevision"]
    out = []
    for i in range(replicas):
        lab = dict(labels)
        lab.update({"apps.kubernetes.io/pod-index": str(i), "controller-revision-hash": rev,
                    "statefulset.kubernetes.io/pod-name": f"{name}-{i}"})
        out.append(cl.pod(ns, f"{name}-{i}", node=nodes[i % len(nodes)], containers=pods_ctrs[i],
                          owner=Cluster.owner_ref(ss), labels=lab, created=created + (i + 1) * 5 * NS,
                          volumes=volumes, generate_name=f"{name}-", **pod_kw))
    return out


def service(cl: Cluster, ns: str, name: str, ports: list[tuple[str, int, int | str]], selector: dict[str, str],
            *, created: int, labels: dict[str, str] | None = None, typ: str = "ClusterIP",
            endpoints: list[Obj] | None = None, headless: bool = False) -> Obj:
    """A Service and its Endpoints (addresses of the ready pods; not-ready ones listed apart)."""
    ip = "None" if headless else f"10.96.{cl.rng.randint(0, 255)}.{cl.rng.randint(1, 254)}"
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": cl.meta(name, ns, created, labels),
           "spec": {"clusterIP": ip, "clusterIPs": [ip], "internalTrafficPolicy": "Cluster",
                    "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                    "ports": [{"name": pn, "port": p, "protocol": "TCP", "targetPort": tp} for pn, p, tp in ports],
                    "selector": selector, "sessionAffinity": "None", "type": typ},
           "status": {"loadBalancer": {}}}
    cl.add(ns, "services", svc)
    pods = [p for p in cl.ns(ns).pods if all(p["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())
            and p["status"].get("podIP")]
    ready = [p for p in pods if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"])]
    not_ready = [p for p in pods if p not in ready]

    def addr(p: Obj) -> Obj:
        return {"ip": p["status"]["podIP"], "nodeName": p["spec"]["nodeName"],
                "targetRef": {"kind": "Pod", "name": p["metadata"]["name"], "namespace": ns,
                              "uid": p["metadata"]["uid"]}}

    subset: Obj = {}
    if ready:
        subset["addresses"] = [addr(p) for p in ready]
    if not_ready:
        subset["notReadyAddresses"] = [addr(p) for p in not_ready]
    ep = {"apiVersion": "v1", "kind": "Endpoints",
          "metadata": cl.meta(name, ns, created, labels,
                              {"endpoints.kubernetes.io/last-change-trigger-time": rfc3339(cl.ago(300))}),
          "subsets": [] if not subset else [dict(subset, ports=[{"name": pn, "port": int(tp) if isinstance(tp, int) else p,
                                                                 "protocol": "TCP"} for pn, p, tp in ports])]}
    if not subset:
        del ep["subsets"]
    cl.add(ns, "endpoints", ep)
    return svc


def configmap(cl: Cluster, ns: str, name: str, data: dict[str, str], *, created: int,
              labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None) -> Obj:
    return cl.add(ns, "configmaps", {"apiVersion": "v1", "data": data, "kind": "ConfigMap",
                                     "metadata": cl.meta(name, ns, created, labels, annotations)})


def secret(cl: Cluster, ns: str, name: str, keys: list[str], *, created: int, typ: str = "Opaque",
           labels: dict[str, str] | None = None) -> Obj:
    """A Secret as the collector stores it: key names kept, every value replaced by ``""``."""
    return cl.add(ns, "secrets", {"apiVersion": "v1", "data": {k: "" for k in keys}, "kind": "Secret",
                                  "metadata": cl.meta(name, ns, created, labels), "type": typ})


def root_ca(cl: Cluster, ns: str) -> None:
    # kube-root-ca.crt is published into every namespace; a public CA certificate, not a secret
    body = "".join(cl.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(64 * 17))
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    configmap(cl, ns, "kube-root-ca.crt",
              {"ca.crt": f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"},
              created=cl.namespaces[ns].created + NS,
              annotations={"kubernetes.io/description": "Contains a CA bundle that can be used to verify the "
                           "kube-apiserver when using internal endpoints such as the internal service IP or "
                           "kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes "
                           "clusters."})


def std_events(cl: Cluster, ns: str, pod: Obj, *, pulled_cached: bool = True, pull_seconds: float = 0.0) -> None:
    """Scheduled / Pulled / Created / Started for a pod that started normally (old ones have expired)."""
    created = _t(pod["metadata"]["creationTimestamp"])
    if cl.now - created > HOUR * NS:  # events expire after an hour (kube-apiserver --event-ttl)
        return
    node = pod["spec"].get("nodeName")
    sched = pod["spec"]["schedulerName"]
    cl.event(ns, pod, "Scheduled", f"Successfully assigned {ns}/{pod['metadata']['name']} to {node}",
             first=created + 300_000_000, component=sched, new_api=True, action="Binding",
             instance=f"{sched}-{sched}-{cl.rng.suffix(5)}")
    t = created + 2 * NS
    for c in pod["spec"]["containers"]:
        fp = f"spec.containers{{{c['name']}}}"
        if pulled_cached:
            cl.event(ns, pod, "Pulled", f'Container image "{c["image"]}" already present on machine', first=t,
                     host=node, field_path=fp)
        else:
            cl.event(ns, pod, "Pulling", f'Pulling image "{c["image"]}"', first=t, host=node, field_path=fp)
            t += int(pull_seconds * NS)
            cl.event(ns, pod, "Pulled", f'Successfully pulled image "{c["image"]}" in {pull_seconds:.3f}s '
                     f'({pull_seconds:.3f}s including waiting). Image size: {cl.rng.randint(8, 14) * 10**9 + cl.rng.randint(0, 10**9)} bytes.',
                     first=t, host=node, field_path=fp)
        cl.event(ns, pod, "Created", f"Created container {c['name']}", first=t + 150_000_000, host=node, field_path=fp)
        cl.event(ns, pod, "Started", f"Started container {c['name']}", first=t + 400_000_000, host=node, field_path=fp)


def _t(text: str) -> int:
    from .describe import _t as parse
    return parse(text)


# ---------------------------------------------------------------------------------------------
# kube-system


def kube_system(cl: Cluster) -> None:
    """coredns, kube-proxy on every node, metrics-server; with their usual logs."""
    ns = "kube-system"
    cl.ns(ns, 120 * DAY)
    root_ca(cl, ns)
    created = cl.ago(58 * DAY)
    node_names = [n.name for n in cl.nodes]
    sys_nodes = [n.name for n in cl.nodes if "nvidia.com/gpu.present" not in n.obj["metadata"]["labels"]] or node_names

    def coredns(i: int) -> list[Ctr]:
        return [Ctr("coredns", "registry.k8s.io/coredns/coredns:v1.11.3", args=["-conf", "/etc/coredns/Corefile"],
                    ports=[(53, "dns"), (53, "dns-tcp"), (9153, "metrics")],
                    requests={"cpu": "100m", "memory": "70Mi"}, limits={"memory": "170Mi"},
                    liveness=http_probe("/health", 8080, delay=60, timeout=5, failure=5),
                    readiness=http_probe("/ready", 8181, period=10),
                    mounts=[mount("/etc/coredns", "config-volume", True)],
                    security_context={"allowPrivilegeEscalation": False, "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                                      "readOnlyRootFilesystem": True})]
    pods = deployment_pods(cl, ns, "coredns", replicas=2, labels={"k8s-app": "kube-dns"}, created=created,
                           containers_fn=coredns, nodes=sys_nodes, priority_class="system-cluster-critical",
                           service_account="coredns", volumes=[configmap_vol("config-volume", "coredns")],
                           tolerations=[{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"},
                                        {"key": "CriticalAddonsOnly", "operator": "Exists"}])
    for p in pods:
        t0 = _t(p["status"]["startTime"]) + 4 * NS
        lines = [(t0, ".:53"),
                 (t0 + 1000, "[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908"),
                 (t0 + 2000, "CoreDNS-1.11.3"), (t0 + 3000, "linux/amd64, go1.21.11, a6338e9")]
        # upstream timeouts during a resolver blip are ordinary noise
        for t in L.spread(cl.rng, cl.ago(20 * HOUR), cl.now, 3 * HOUR, jitter=0.8):
            host = cl.rng.choice(["huggingface.co.", "cdn-lfs-us-1.hf.co.", "nvcr.io.", "pypi.org."])
            lines.append((t, f"[ERROR] plugin/errors: 2 {host} AAAA: read udp {p['status']['podIP']}:{cl.rng.randint(32768, 60999)}"
                             f"->10.0.0.2:53: i/o timeout"))
        cl.log(ns, p["metadata"]["name"], "coredns", lines)
    configmap(cl, ns, "coredns", {"Corefile": ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n"
                                              "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n"
                                              "       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n"
                                              "    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n"
                                              "    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"},
              created=created)
    service(cl, ns, "kube-dns", [("dns", 53, 53), ("dns-tcp", 53, 53), ("metrics", 9153, 9153)],
            {"k8s-app": "kube-dns"}, created=created, labels={"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"})

    def proxy(i: int, node: str) -> list[Ctr]:
        return [Ctr("kube-proxy", f"registry.k8s.io/kube-proxy:{cl.server_version}",
                    command=["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                             "--hostname-override=$(NODE_NAME)"],
                    env=[env_field("NODE_NAME", "spec.nodeName")],
                    mounts=[mount("/var/lib/kube-proxy", "kube-proxy"), mount("/run/xtables.lock", "xtables-lock"),
                            mount("/lib/modules", "lib-modules", True)],
                    security_context={"privileged": True})]
    ppods = daemonset_pods(cl, ns, "kube-proxy", labels={"k8s-app": "kube-proxy"}, created=created, nodes=node_names,
                           containers_fn=proxy, host_network=True, priority_class="system-node-critical",
                           service_account="kube-proxy",
                           volumes=[configmap_vol("kube-proxy", "kube-proxy"),
                                    host_path("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
                                    host_path("lib-modules", "/lib/modules", "")],
                           tolerations=[{"operator": "Exists"}])
    for p in ppods:
        t0 = _t(p["status"]["startTime"]) + 3 * NS
        ip = p["status"]["hostIP"]
        msgs = [("server_linux.go:66", '"Using iptables proxy"'),
                ("server.go:677", f'"Successfully retrieved node IP(s)" IPs=["{ip}"]'),
                ("conntrack.go:60", '"Setting nf_conntrack_max" nfConntrackMax=1572864'),
                ("conntrack.go:121", '"Set sysctl" entry="net/netfilter/nf_conntrack_tcp_timeout_close_wait" value=3600'),
                ("server.go:234", '"kube-proxy running in dual-stack mode" primary ipFamily="IPv4"'),
                ("server_linux.go:169", '"Using iptables Proxier"'),
                ("proxier.go:255", '"Setting route_localnet=1 to allow node-ports on localhost; to change this either disable '
                                   'iptables.localhostNodePorts (--iptables-localhost-nodeports) or set nodePortAddresses '
                                   '(--nodeport-addresses) to filter loopback addresses"'),
                ("server.go:872", f'"Version info" version="{cl.server_version}"'),
                ("server.go:874", '"Golang settings" GOGC="" GOMAXPROCS="" GOTRACEBACK=""'),
                ("config.go:192", '"Starting service config controller"'),
                ("shared_informer.go:313", "Waiting for caches to sync for service config"),
                ("config.go:101", '"Starting endpoint slice config controller"'),
                ("shared_informer.go:313", "Waiting for caches to sync for endpoint slice config"),
                ("config.go:316", '"Starting node config controller"'),
                ("shared_informer.go:313", "Waiting for caches to sync for node config"),
                ("shared_informer.go:320", "Caches are synced for node config"),
                ("shared_informer.go:320", "Caches are synced for service config"),
                ("shared_informer.go:320", "Caches are synced for endpoint slice config")]
        lines = [L.klog(t0 + i * 7_000_000, "I", fl, m) for i, (fl, m) in enumerate(msgs)]
        cl.log(ns, p["metadata"]["name"], "kube-proxy", lines)

    def ms(i: int) -> list[Ctr]:
        return [Ctr("metrics-server", "registry.k8s.io/metrics-server/metrics-server:v0.7.2",
                    args=["--cert-dir=/tmp", "--secure-port=10250", "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
                          "--kubelet-use-node-status-port", "--metric-resolution=15s"],
                    ports=[(10250, "https")], requests={"cpu": "100m", "memory": "200Mi"},
                    liveness=http_probe("/livez", "https", period=10),
                    readiness=http_probe("/readyz", "https", delay=20, period=10),
                    mounts=[mount("/tmp", "tmp-dir")])]
    mpods = deployment_pods(cl, ns, "metrics-server", replicas=1, labels={"k8s-app": "metrics-server"}, created=created,
                            containers_fn=ms, nodes=sys_nodes, priority_class="system-cluster-critical",
                            service_account="metrics-server", volumes=[empty_dir("tmp-dir")])
    for p in mpods:
        t0 = _t(p["status"]["startTime"]) + 2 * NS
        lines = [L.klog(t0, "I", "serving.go:374", "Generated self-signed cert (/tmp/apiserver.crt, /tmp/apiserver.key)"),
                 L.klog(t0 + 400_000_000, "I", "handler.go:275", "Adding GroupVersion metrics.k8s.io v1beta1 to ResourceManager"),
                 L.klog(t0 + 500_000_000, "I", "requestheader_controller.go:169",
                        'Starting RequestHeaderAuthRequestController'),
                 L.klog(t0 + 600_000_000, "I", "secure_serving.go:213", "Serving securely on [::]:10250"),
                 L.klog(t0 + 700_000_000, "I", "tlsconfig.go:240", '"Starting DynamicServingCertificateController"')]
        gpu = [n.name for n in cl.nodes if n.name not in sys_nodes] or node_names
        for t in L.spread(cl.rng, cl.ago(30 * HOUR), cl.now, 2.5 * HOUR, jitter=0.9):
            node = cl.rng.choice(gpu)
            ip = cl.node(node).ip
            lines.append(L.klog(t, "E", "scraper.go:149",
                                f'"Failed to scrape node" err="Get \\"https://{ip}:10250/metrics/resource\\": context '
                                f'deadline exceeded" node="{node}"'))
        cl.log(ns, p["metadata"]["name"], "metrics-server", lines)


# ---------------------------------------------------------------------------------------------
# HAMi


HAMI_VERSION = "v2.6.1"


def hami(e: Env, *, webhook: bool = True, scheduler_extra: L.Lines | None = None,
         extender_extra: L.Lines | None = None, allocations: list[tuple[str, str, int, str, int, int]] | None = None,
         extender_v: int = 4, helm_status: str = "deployed") -> None:
    """HAMi in ``e.hami_ns``: scheduler (kube-scheduler + extender), device-plugin daemonset with
    vgpu-monitor, its ConfigMaps, webhook and helm release. ``allocations`` are the HAMi pods already
    placed: (namespace, pod, gpu index, node, mem MiB, cores) for the monitor's scrape."""
    cl = e.cl
    ns = e.hami_ns
    cl.hami_namespace = ns
    cl.ns(ns, 70 * DAY, {"name": ns})
    root_ca(cl, ns)
    created = cl.ago(61 * DAY)
    labels = {"app.kubernetes.io/component": "hami-scheduler", "app.kubernetes.io/instance": "hami",
              "app.kubernetes.io/name": "hami"}
    # a failed upgrade is recent: it is what changed
    upgraded = created if helm_status == "deployed" else cl.ago(5 * DAY)
    cl.helm.append({"name": "hami", "namespace": ns, "revision": "3" if helm_status == "deployed" else "4",  # type: ignore[union-attr]
                    "updated": f"{go_datetime(upgraded)}.{cl.rng.randint(10**8, 10**9 - 1)} +0000 UTC",
                    "status": helm_status, "chart": f"hami-{HAMI_VERSION.lstrip('v')}", "app_version": HAMI_VERSION.lstrip("v")})
    secret(cl, ns, "sh.helm.release.v1.hami.v3", ["release"], created=created, typ="helm.sh/release.v1",
           labels={"name": "hami", "owner": "helm", "status": "deployed", "version": "3"})
    secret(cl, ns, "hami-scheduler-tls", ["ca.crt", "tls.crt", "tls.key"], created=created)
    device_cfg = (
        "nvidia:\n  resourceCountName: nvidia.com/gpu\n  resourceMemoryName: nvidia.com/gpumem\n"
        "  resourceMemoryPercentageName: nvidia.com/gpumem-percentage\n  resourceCoreName: nvidia.com/gpucores\n"
        "  resourcePriorityName: nvidia.com/priority\n  overwriteEnv: false\n  defaultMemory: 0\n  defaultCores: 0\n"
        "  defaultGPUNum: 1\n  memoryFactor: 1\n"
        f"  deviceSplitCount: {e.split}\n  deviceMemoryScaling: 1\n  deviceCoreScaling: 1\n"
        "  gpuCorePolicy: default\n  libCudaLogLevel: 1\n  knownMigGeometries:\n  - models: [ \"A30\" ]\n"
        "    allowedGeometries:\n      - group: group1\n        geometries:\n        - name: 1g.6gb\n"
        "          memory: 6144\n          count: 4\n")
    configmap(cl, ns, "hami-scheduler-device", {"device-config.yaml": device_cfg}, created=created,
              labels={**labels, "app.kubernetes.io/managed-by": "Helm"},
              annotations={"meta.helm.sh/release-name": "hami", "meta.helm.sh/release-namespace": ns})
    configmap(cl, ns, "hami-device-plugin", {"config.json": json.dumps({"nodeconfig": [
        {"name": n.name, "operatingmode": "hami-core", "devicememoryscaling": 1, "devicesplitcount": e.split,
         "migstrategy": "none", "filterdevices": {"uuid": [], "index": []}} for n in e.gpu_nodes]}, indent=4)},
        created=created, labels={"app.kubernetes.io/component": "hami-device-plugin", "app.kubernetes.io/instance": "hami",
                                 "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "hami"})
    configmap(cl, ns, "hami-scheduler", {"config.yaml": (
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nleaderElection:\n"
        "  leaderElect: false\nprofiles:\n- schedulerName: hami-scheduler\nextenders:\n"
        "- urlPrefix: \"https://127.0.0.1:443\"\n  filterVerb: filter\n  bindVerb: bind\n  nodeCacheCapable: true\n"
        "  weight: 1\n  httpTimeout: 30s\n  enableHTTPS: true\n  tlsConfig:\n    insecure: true\n  managedResources:\n"
        "  - name: nvidia.com/gpu\n    ignoredByScheduler: true\n  - name: nvidia.com/gpumem\n    ignoredByScheduler: true\n"
        "  - name: nvidia.com/gpucores\n    ignoredByScheduler: true\n  - name: nvidia.com/gpumem-percentage\n"
        "    ignoredByScheduler: true\n  - name: nvidia.com/priority\n    ignoredByScheduler: true\n")},
        created=created, labels={**labels, "app.kubernetes.io/managed-by": "Helm"})
    if webhook:
        cl.cluster_objects["mutatingwebhooks"].append({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": cl.meta("hami-webhook", None, created, {"app.kubernetes.io/managed-by": "Helm"},
                                {"meta.helm.sh/release-name": "hami", "meta.helm.sh/release-namespace": ns}),
            "webhooks": [{"admissionReviewVersions": ["v1beta1"],
                          "clientConfig": {"caBundle": "", "service": {"name": "hami-scheduler", "namespace": ns,
                                                                       "path": "/webhook", "port": 443}},
                          "failurePolicy": "Ignore", "matchPolicy": "Equivalent", "name": "vgpu.hami.io",
                          "namespaceSelector": {"matchExpressions": [{"key": "hami.io/webhook", "operator": "NotIn",
                                                                      "values": ["ignore"]}]},
                          "objectSelector": {"matchExpressions": [{"key": "hami.io/webhook", "operator": "NotIn",
                                                                   "values": ["ignore"]}]},
                          "reinvocationPolicy": "Never",
                          "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                                     "resources": ["pods"], "scope": "*"}],
                          "sideEffects": "None", "timeoutSeconds": 10}]})
    sys_nodes = [n.name for n in cl.nodes if "nvidia.com/gpu.present" not in n.obj["metadata"]["labels"]] or \
        [e.gpu_nodes[0].name]

    def sched(i: int) -> list[Ctr]:
        return [Ctr("kube-scheduler", f"registry.k8s.io/kube-scheduler:{cl.server_version}",
                    command=["kube-scheduler", "--config=/config/config.yaml", "-v=4", "--leader-elect=true",
                             "--leader-elect-resource-name=hami-scheduler", f"--leader-elect-resource-namespace={ns}"],
                    liveness=http_probe("/healthz", 10259, delay=15, failure=8), mounts=[mount("/config", "scheduler-config")]),
                Ctr("vgpu-scheduler-extender", f"projecthami/hami:{HAMI_VERSION}",
                    command=["scheduler", "--http_bind=0.0.0.0:443", "--cert_file=/tls/tls.crt", "--key_file=/tls/tls.key",
                             "--scheduler-name=hami-scheduler", "--metrics-bind-address=:9395",
                             "--node-scheduler-policy=binpack", "--gpu-scheduler-policy=spread",
                             "--device-config-file=/device-config.yaml", "--debug", f"-v={extender_v}"],
                    ports=[(443, "http")], env=[env("TZ", "UTC")],
                    mounts=[mount("/tls", "tls-config"), mount("/device-config.yaml", "device-config", sub_path="device-config.yaml")])]
    spods = deployment_pods(cl, ns, "hami-scheduler", replicas=1, labels=labels, created=created,
                            containers_fn=sched, nodes=sys_nodes, service_account="hami-scheduler",
                            priority_class="system-node-critical",
                            volumes=[secret_vol("tls-config", "hami-scheduler-tls"),
                                     configmap_vol("scheduler-config", "hami-scheduler"),
                                     configmap_vol("device-config", "hami-scheduler-device")])
    sp = spods[0]
    t0 = _t(sp["status"]["startTime"]) + 3 * NS
    sname = sp["metadata"]["name"]
    ks = [L.klog(t0, "I", "serving.go:386", "Generated self-signed cert in-memory"),
          L.klog(t0 + 310_000_000, "I", "server.go:154", f'"Starting Kubernetes Scheduler" version="{cl.server_version}"'),
          L.klog(t0 + 311_000_000, "I", "server.go:156", '"Golang settings" GOGC="" GOMAXPROCS="" GOTRACEBACK=""'),
          L.klog(t0 + 320_000_000, "I", "secure_serving.go:213", "Serving securely on [::]:10259"),
          L.klog(t0 + 330_000_000, "I", "leaderelection.go:250", f"attempting to acquire leader lease {ns}/hami-scheduler..."),
          L.klog(t0 + 2_400_000_000, "I", "leaderelection.go:260", f"successfully acquired lease {ns}/hami-scheduler")]
    ks += L.klog_noise(cl.rng, cl.ago(6 * HOUR), cl.now, 420,
                       [("reflector.go:808", '"Watch close" reflector="k8s.io/client-go/informers/factory.go:160" type="*v1.Pod" totalItems=61'),
                        ("reflector.go:808", '"Watch close" reflector="k8s.io/client-go/informers/factory.go:160" type="*v1.Node" totalItems=17'),
                        ("reflector.go:808", '"Watch close" reflector="k8s.io/client-go/informers/factory.go:160" type="*v1.PersistentVolumeClaim" totalItems=4')])
    ks += scheduler_extra or []
    cl.log(ns, sname, "kube-scheduler", ks)
    ex = [L.klog(t0 + 100_000_000, "I", "main.go:98", f'"Starting scheduler" version="{HAMI_VERSION}"'),
          L.klog(t0 + 101_000_000, "I", "device.go:164", '"initializing nvidia device" resourceName="nvidia.com/gpu" resourceMem="nvidia.com/gpumem" DefaultGPUNum=1'),
          L.klog(t0 + 150_000_000, "I", "scheduler.go:85", '"Initializing HAMi scheduler"'),
          L.klog(t0 + 160_000_000, "I", "scheduler.go:356", '"Starting HAMi scheduler components"'),
          L.klog(t0 + 170_000_000, "I", "scheduler.go:414", '"Entering RegisterFromNodeAnnotations"'),
          L.klog(t0 + 171_000_000, "I", "scheduler.go:418", '"Using label selector for list nodes" selector="gpu=on"')]
    for i, n in enumerate(e.gpu_nodes):
        info = ", ".join(f"{{ID:{g.uuid} Index:{g.index} Count:{e.split} Devmem:{g.mem_mib} Devcore:100 Type:NVIDIA-{g.name} Health:true}}"
                         for g in n.gpus[:2])
        ex.append(L.klog(t0 + (200 + i) * 1_000_000, "I", "scheduler.go:541",
                         f'"Node device added" nodeName="{n.name}" deviceVendor="NVIDIA" nodeInfo="&{{ID:{n.name} Devices:[{info} ...]}}"'))
    ex.append(L.klog(t0 + 900_000_000, "I", "main.go:145", '"listen on" address="0.0.0.0:443"'))
    # every successful placement the extender made, in the current window
    for ns_name, pod_name, gidx, node, mem, cores in (allocations or []):
        tt = cl.ago(cl.rng.randint(2 * HOUR, 20 * HOUR))
        ex.append(L.klog(tt, "I", "scheduler.go:1068", f'"Starting schedule filter process" pod="{pod_name}" uuid="{cl.rng.uid()}" namespace="{ns_name}"'))
        ex.append(L.klog(tt + 2_100_000, "I", "scheduler.go:1120", f'"Scheduling pod to node" podNamespace="{ns_name}" podName="{pod_name}" nodeName="{node}" devices="[[{{0 {gidx} NVIDIA {mem} {cores}}}]]"'))
        ex.append(L.klog(tt + 40_000_000, "I", "scheduler.go:999", f'"Attempting to bind pod to node" pod="{pod_name}" namespace="{ns_name}" node="{node}"'))
        ex.append(L.klog(tt + 62_000_000, "I", "scheduler.go:1063", f'"Successfully bound pod to node" pod="{pod_name}" namespace="{ns_name}" node="{node}"'))
    ex += extender_extra or []
    cl.log(ns, sname, "vgpu-scheduler-extender", ex)
    service(cl, ns, "hami-scheduler", [("http", 443, 443), ("monitor", 31993, 9395)], labels,
            created=created, labels=labels, typ="NodePort")

    dp_labels = {"app.kubernetes.io/component": "hami-device-plugin", "app.kubernetes.io/instance": "hami",
                 "app.kubernetes.io/name": "hami", "hami.io/webhook": "ignore"}

    def dp(i: int, node: str) -> list[Ctr]:
        return [Ctr("device-plugin", f"projecthami/hami:{HAMI_VERSION}",
                    command=["nvidia-device-plugin", "--config-file=/device-config.yaml", "--mig-strategy=none",
                             "--disable-core-limit=false", "-v=4"],
                    env=[env_field("NODE_NAME", "spec.nodeName"), env("NVIDIA_MIG_MONITOR_DEVICES", "all"),
                         env("HOOK_PATH", "/usr/local")],
                    mounts=[mount("/var/lib/kubelet/device-plugins", "device-plugin"), mount("/usr/local/vgpu", "lib"),
                            mount("/tmp", "hosttmp"), mount("/device-config.yaml", "device-config", True, "device-config.yaml")],
                    security_context={"allowPrivilegeEscalation": True, "capabilities": {"add": ["SYS_ADMIN"], "drop": ["ALL"]},
                                      "privileged": True}),
                Ctr("vgpu-monitor", f"projecthami/hami:{HAMI_VERSION}", command=["vGPUmonitor"],
                    env=[env("NVIDIA_VISIBLE_DEVICES", "all"), env("NVIDIA_MIG_MONITOR_DEVICES", "all"),
                         env("HOOK_PATH", "/usr/local/vgpu"), env_field("NODE_NAME", "spec.nodeName")],
                    ports=[(9394, "metrics")],
                    mounts=[mount("/usr/local/vgpu", "ctrs"), mount("/sys/fs/cgroup", "cgroup"),
                            mount("/hostvar", "hostvar")],
                    security_context={"allowPrivilegeEscalation": True, "capabilities": {"add": ["SYS_ADMIN"], "drop": ["ALL"]},
                                      "privileged": True})]
    dpods = daemonset_pods(cl, ns, "hami-device-plugin", labels=dp_labels, created=created,
                           nodes=[n.name for n in e.gpu_nodes], containers_fn=dp, node_selector={"gpu": "on"},
                           service_account="hami-device-plugin", priority_class="system-node-critical",
                           runtime_class="nvidia",
                           volumes=[host_path("device-plugin", "/var/lib/kubelet/device-plugins", ""),
                                    host_path("lib", "/usr/local/vgpu", ""), host_path("hosttmp", "/tmp", ""),
                                    host_path("ctrs", "/usr/local/vgpu/containers", ""),
                                    host_path("cgroup", "/sys/fs/cgroup", ""), host_path("hostvar", "/var", ""),
                                    configmap_vol("device-config", "hami-scheduler-device")])
    for pod, gn in zip(dpods, e.gpu_nodes):
        t0 = _t(pod["status"]["startTime"]) + 2 * NS
        pname = pod["metadata"]["name"]
        lines = [L.klog(t0, "I", "main.go:238", f'"Starting HAMi device plugin" version="{HAMI_VERSION}"'),
                 L.klog(t0 + 20_000_000, "I", "main.go:312", "Loading configuration."),
                 L.klog(t0 + 90_000_000, "I", "main.go:355", '"Retrieving plugins."'),
                 L.klog(t0 + 600_000_000, "I", "server.go:211", '"Starting GRPC server for \'nvidia.com/gpu\'"'),
                 L.klog(t0 + 610_000_000, "I", "server.go:146", '"Starting to serve \'nvidia.com/gpu\' on /var/lib/kubelet/device-plugins/nvidia-gpu.sock"'),
                 L.klog(t0 + 640_000_000, "I", "server.go:154", '"Registered device plugin for \'nvidia.com/gpu\' with Kubelet"'),
                 L.klog(t0 + 700_000_000, "I", "register.go:313", "Starting WatchAndRegister")]
        for g in gn.gpus:
            lines.append(L.klog(t0 + (710 + g.index) * 1_000_000, "I", "register.go:204",
                                f"Registered device id={g.index}, memory={g.mem_mib}MB, type={g.name}, numa={0 if g.index < len(gn.gpus) // 2 else 1}, health=true"))
        lines.append(L.klog(t0 + 730_000_000, "I", "register.go:302", f"Updating node annotations with {len(gn.gpus)} device(s)"))
        cl.log(ns, pname, "device-plugin", lines)
        mon = [L.klog(t0 + 50_000_000, "I", "main.go:84", f'"Starting vGPU monitor" version="{HAMI_VERSION}"'),
               L.klog(t0 + 60_000_000, "I", "metrics.go:412", '"Initializing metrics for vGPUmonitor"'),
               L.klog(t0 + 70_000_000, "I", "main.go:120", '"Serving metrics" address=":9394"')]
        cl.log(ns, pname, "vgpu-monitor", mon)
        mine = [a for a in (allocations or []) if a[3] == gn.name]
        used = [sum(a[4] for a in mine if a[2] == g.index) for g in gn.gpus]
        ctrs = [(a[0], a[1], "vllm", 0, gn.gpus[a[2]].uuid, int(a[4] * 0.93) * 2**20, a[4] * 2**20) for a in mine]
        cl.metrics(ns, pname, 9394, M.hami_monitor(gn.name, [(g.uuid, g.index, f"NVIDIA-{g.name}") for g in gn.gpus],
                                                     [int(u * 0.93) for u in used],
                                                     [cl.rng.randint(20, 90) if u else 0 for u in used], ctrs))


def hami_annotations(cl: Cluster, node: GpuNode, gidx: int, mem: int, cores: int, t: int) -> dict[str, str]:
    """The annotations HAMi leaves on a pod it placed (scheduler + device plugin)."""
    dev = f"{node.gpus[gidx].uuid},NVIDIA,{mem},{cores}:;"
    return {"hami.io/bind-phase": "success", "hami.io/bind-time": str(t // NS),
            "hami.io/vgpu-devices-allocated": dev, "hami.io/vgpu-devices-to-allocate": ";",
            "hami.io/vgpu-node": node.name, "hami.io/vgpu-time": str(t // NS - 1)}


# ---------------------------------------------------------------------------------------------
# NVIDIA GPU Operator (device plugin + DCGM exporter)


def gpu_operator(e: Env, *, plugin_extra: dict[str, L.Lines] | None = None, xid: dict[str, dict[int, int]] | None = None,
                 gpu_pods: dict[str, dict[int, tuple[str, str, str]]] | None = None,
                 driver_nodes: list[str] | None = None, dcgm: bool = True,
                 plugin_health_checks: bool = True) -> dict[str, Obj]:
    """gpu-operator namespace: operator, nvidia-device-plugin and dcgm-exporter daemonsets; with
    ``driver_nodes`` the driver daemonset on those nodes (the others have a pre-installed driver).
    ``plugin_health_checks=False`` is ``DP_DISABLE_HEALTHCHECKS=all`` in the ClusterPolicy's device
    plugin env: Xids no longer mark devices unhealthy. Returns the driver pods by node."""
    cl = e.cl
    ns = "gpu-operator"
    cl.ns(ns, 80 * DAY)
    root_ca(cl, ns)
    created = cl.ago(63 * DAY)
    cl.helm.append({"name": "gpu-operator", "namespace": ns, "revision": "1",  # type: ignore[union-attr]
                    "updated": f"{go_datetime(created)}.{cl.rng.randint(10**8, 10**9 - 1)} +0000 UTC",
                    "status": "deployed", "chart": "gpu-operator-v24.9.2", "app_version": "v24.9.2"})
    nodes = [n.name for n in e.gpu_nodes]
    sys_nodes = [n.name for n in cl.nodes if n.name not in nodes] or nodes

    def op(i: int) -> list[Ctr]:
        return [Ctr("gpu-operator", "nvcr.io/nvidia/gpu-operator:v24.9.2", command=["gpu-operator"],
                    args=["--leader-elect", "--zap-time-encoding=epoch", "--zap-log-level=info"],
                    env=[env("WATCH_NAMESPACE", ""), env_field("OPERATOR_NAMESPACE", "metadata.namespace")],
                    ports=[(8080, "metrics")], requests={"cpu": "200m", "memory": "100Mi"},
                    limits={"cpu": "500m", "memory": "350Mi"},
                    liveness=http_probe("/healthz", 8081, delay=15, period=20),
                    readiness=http_probe("/readyz", 8081, delay=5, period=10))]
    opods = deployment_pods(cl, ns, "gpu-operator", replicas=1, labels={"app": "gpu-operator", "app.kubernetes.io/component": "gpu-operator"},
                            created=created, containers_fn=op, nodes=sys_nodes, service_account="gpu-operator",
                            priority_class="system-node-critical")
    t0 = _t(opods[0]["status"]["startTime"]) + 2 * NS
    lines = []
    for t in L.spread(cl.rng, cl.ago(8 * HOUR), cl.now, 300, jitter=0.2):
        lines.append((t, json.dumps({"level": "info", "ts": round(t / NS, 9), "logger": "controllers.ClusterPolicy",
                                     "msg": "ClusterPolicy is ready", "name": "cluster-policy"}, separators=(",", ":"))))
    cl.log(ns, opods[0]["metadata"]["name"], "gpu-operator", lines)

    def plugin(i: int, node: str) -> list[Ctr]:
        return [Ctr("nvidia-device-plugin", "nvcr.io/nvidia/k8s-device-plugin:v0.17.0",
                    command=["/bin/bash", "-c"], args=["/bin/entrypoint.sh"],
                    env=[env("PASS_DEVICE_SPECS", "true"), env("FAIL_ON_INIT_ERROR", "true"),
                         env("DEVICE_LIST_STRATEGY", "envvar"), env("DEVICE_ID_STRATEGY", "uuid"),
                         env("NVIDIA_VISIBLE_DEVICES", "all"), env("NVIDIA_DRIVER_CAPABILITIES", "all"),
                         env("MPS_ROOT", "/run/nvidia/mps"), env("MIG_STRATEGY", "single"),
                         env("NVIDIA_MIG_MONITOR_DEVICES", "all")]
                        + ([] if plugin_health_checks else [env("DP_DISABLE_HEALTHCHECKS", "all")]),
                    mounts=[mount("/var/lib/kubelet/device-plugins", "device-plugin"), mount("/run/nvidia", "run-nvidia", True)],
                    security_context={"privileged": True})]
    ppods = daemonset_pods(cl, ns, "nvidia-device-plugin-daemonset", labels={"app": "nvidia-device-plugin-daemonset"},
                           created=created, nodes=nodes, containers_fn=plugin, runtime_class="nvidia",
                           node_selector={"nvidia.com/gpu.deploy.device-plugin": "true"},
                           service_account="nvidia-device-plugin", priority_class="system-node-critical",
                           tolerations=[{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}],
                           volumes=[host_path("device-plugin", "/var/lib/kubelet/device-plugins", ""),
                                    host_path("run-nvidia", "/run/nvidia", "Directory")])
    for p, gn in zip(ppods, e.gpu_nodes):
        t0 = _t(p["status"]["startTime"]) + 2 * NS
        lines = [L.klog(t0, "I", "main.go:235", '"Starting NVIDIA Device Plugin" version="v0.17.0"'),
                 L.klog(t0 + 3 * MS, "I", "main.go:238", "Starting FS watcher for /var/lib/kubelet/device-plugins"),
                 L.klog(t0 + 4 * MS, "I", "main.go:245", "Starting OS watcher."),
                 L.klog(t0 + 6 * MS, "I", "main.go:260", "Starting Plugins."),
                 L.klog(t0 + 7 * MS, "I", "main.go:317", "Loading configuration."),
                 L.klog(t0 + 9 * MS, "I", "main.go:342", "Updating config with default resource matching patterns."),
                 L.klog(t0 + 90 * MS, "I", "main.go:353", "Retrieving plugins."),
                 L.klog(t0 + 420 * MS, "I", "server.go:195", "Starting GRPC server for 'nvidia.com/gpu'"),
                 L.klog(t0 + 424 * MS, "I", "server.go:139", "Starting to serve 'nvidia.com/gpu' on /var/lib/kubelet/device-plugins/nvidia-gpu.sock"),
                 L.klog(t0 + 431 * MS, "I", "server.go:146", "Registered device plugin for 'nvidia.com/gpu' with Kubelet")]
        if plugin_health_checks:  # with DP_DISABLE_HEALTHCHECKS=all the health loop returns before logging
            lines.append(L.klog(t0 + 433 * MS, "I", "health.go:64", "Ignoring the following XIDs for health checks: "
                                "map[13:true 31:true 43:true 45:true 68:true 109:true]"))
        lines += (plugin_extra or {}).get(gn.name, [])
        cl.log(ns, p["metadata"]["name"], "nvidia-device-plugin", lines)

    drivers = driver_daemonset(e, ns, driver_nodes, created) if driver_nodes else {}
    if not dcgm:
        return drivers

    def exporter(i: int, node: str) -> list[Ctr]:
        return [Ctr("nvidia-dcgm-exporter", "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.9-3.6.1-ubuntu22.04",
                    ports=[(9400, "metrics")], env=[env("DCGM_EXPORTER_LISTEN", ":9400"), env("DCGM_EXPORTER_KUBERNETES", "true"),
                                                     env("DCGM_EXPORTER_COLLECTORS", "/etc/dcgm-exporter/dcp-metrics-included.csv")],
                    security_context={"privileged": True},
                    mounts=[mount("/var/lib/kubelet/pod-resources", "pod-gpu-resources", True)])]
    epods = daemonset_pods(cl, ns, "nvidia-dcgm-exporter", labels={"app": "nvidia-dcgm-exporter"}, created=created,
                           nodes=nodes, containers_fn=exporter, runtime_class="nvidia",
                           node_selector={"nvidia.com/gpu.deploy.dcgm-exporter": "true"},
                           service_account="nvidia-dcgm-exporter", priority_class="system-node-critical",
                           tolerations=[{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}],
                           volumes=[host_path("pod-gpu-resources", "/var/lib/kubelet/pod-resources", "")])
    for p, gn in zip(epods, e.gpu_nodes):
        t0 = _t(p["status"]["startTime"]) + 2 * NS
        base = [(t0, 'time="' + rfc3339(t0) + '" level=info msg="Starting dcgm-exporter"'),
                (t0 + 20 * MS, 'time="' + rfc3339(t0) + '" level=info msg="DCGM successfully initialized!"'),
                (t0 + 180 * MS, 'time="' + rfc3339(t0) + '" level=info msg="Collecting DCP Metrics"'),
                (t0 + 181 * MS, 'time="' + rfc3339(t0) + '" level=info msg="Falling back to metric file \'/etc/dcgm-exporter/dcp-metrics-included.csv\'"'),
                (t0 + 400 * MS, 'time="' + rfc3339(t0) + '" level=info msg="Initializing system entities of type: GPU"'),
                (t0 + 900 * MS, 'time="' + rfc3339(t0) + '" level=info msg="Starting webserver"'),
                (t0 + 901 * MS, 'time="' + rfc3339(t0) + '" level=info msg="Listening on" address="[::]:9400"'),
                (t0 + 902 * MS, 'time="' + rfc3339(t0) + '" level=info msg="TLS is disabled." address="[::]:9400" http2=false')]
        cl.log(ns, p["metadata"]["name"], "nvidia-dcgm-exporter", base)
        pods_on = (gpu_pods or {}).get(gn.name, {})
        util = [cl.rng.randint(35, 97) if g.index in pods_on else 0 for g in gn.gpus]
        used = [int(g.mem_mib * 0.91) if g.index in pods_on else 1 for g in gn.gpus]
        cl.metrics(ns, p["metadata"]["name"], 9400,
                   M.dcgm(gn.name, [(g.uuid, g.index, g.name, g.bus) for g in gn.gpus], xid=(xid or {}).get(gn.name),
                          util=util, fb_used=used, fb_total=gn.gpus[0].mem_mib,
                          temp=[cl.rng.randint(31, 38) + u // 3 for u in util], pods=pods_on))
    return drivers


DRIVER_MANAGER_IMAGE = "nvcr.io/nvidia/cloud-native/k8s-driver-manager:v0.7.0"


def driver_daemonset(e: Env, ns: str, nodes: list[str], created: int) -> dict[str, Obj]:
    """The GPU Operator's nvidia-driver-daemonset (ClusterPolicy driver): a k8s-driver-manager init
    container, then nvidia-driver-ctr building and loading the kernel modules for the node's kernel
    and waiting (labels and names as in the operator's assets/state-driver)."""
    cl = e.cl
    by_node = {n.name: n for n in e.gpu_nodes}

    def ctrs(i: int, node: str) -> list[Ctr]:
        driver = by_node[node].driver
        return [Ctr("nvidia-driver-ctr", f"nvcr.io/nvidia/driver:{driver}-ubuntu22.04", command=["nvidia-driver"],
                    args=["init"], env=[env_field("NODE_NAME", "spec.nodeName"), env_field("NODE_IP", "status.hostIP")],
                    security_context={"privileged": True, "seLinuxOptions": {"level": "s0"}},
                    mounts=[mount("/run/nvidia", "run-nvidia"), mount("/var/log", "var-log"),
                            mount("/host-etc/os-release", "host-os-release", True)],
                    startup={"exec": {"command": ["sh", "/usr/local/bin/startup-probe.sh"]}, "failureThreshold": 120,
                             "initialDelaySeconds": 60, "periodSeconds": 10, "successThreshold": 1,
                             "timeoutSeconds": 60})]

    pods = daemonset_pods(cl, ns, "nvidia-driver-daemonset",
                          labels={"app": "nvidia-driver-daemonset", "app.kubernetes.io/component": "nvidia-driver",
                                  "nvidia.com/precompiled": "false"},
                          created=created, nodes=nodes, containers_fn=ctrs,
                          annotations={"kubectl.kubernetes.io/default-container": "nvidia-driver-ctr"},
                          init_fn=lambda i, node: [Ctr(
                              "k8s-driver-manager", DRIVER_MANAGER_IMAGE, command=["driver-manager"], args=["uninstall_driver"],
                              env=[env_field("NODE_NAME", "spec.nodeName"), env("ENABLE_GPU_POD_EVICTION", "true"),
                                   env("ENABLE_AUTO_DRAIN", "false")],
                              security_context={"privileged": True}, ready=False,
                              state=terminated("Completed", 0, created + (i + 1) * 3 * NS + 2 * NS,
                                               created + (i + 1) * 3 * NS + 3 * NS))],
                          node_selector={"nvidia.com/gpu.deploy.driver": "true"}, service_account="nvidia-driver",
                          priority_class="system-node-critical",
                          tolerations=[{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}],
                          volumes=[host_path("run-nvidia", "/run/nvidia", "DirectoryOrCreate"),
                                   host_path("var-log", "/var/log", ""),
                                   host_path("host-os-release", "/etc/os-release", "")])
    out = {}
    for pod in pods:
        node = pod["spec"]["nodeName"]
        out[node] = pod
        t0 = _t(pod["status"]["startTime"])
        cl.log(ns, pod["metadata"]["name"], "k8s-driver-manager", driver_manager_log(t0 + 1 * NS, node))
        cl.log(ns, pod["metadata"]["name"], "nvidia-driver-ctr", driver_ctr_log(t0 + 4 * NS, by_node[node].driver, "5.15.0-1071-aws"))
    return out


# the node labels the driver manager reads before it evicts the GPU clients (value on these nodes)
_DEPLOY_LABELS = (("nvidia.com/gpu.deploy.operator-validator", "true"), ("nvidia.com/gpu.deploy.container-toolkit", "true"),
                  ("nvidia.com/gpu.deploy.device-plugin", "true"), ("nvidia.com/gpu.deploy.gpu-feature-discovery", "true"),
                  ("nvidia.com/gpu.deploy.dcgm-exporter", "false"), ("nvidia.com/gpu.deploy.dcgm", "true"),
                  ("nvidia.com/gpu.deploy.mig-manager", "true"), ("nvidia.com/gpu.deploy.nvsm", ""),
                  ("nvidia.com/gpu.deploy.sandbox-validator", ""), ("nvidia.com/gpu.deploy.sandbox-device-plugin", ""),
                  ("nvidia.com/gpu.deploy.vgpu-device-manager", ""))


def driver_manager_log(t0: int, node: str) -> L.Lines:
    """`driver-manager uninstall_driver` on a node with no driver loaded yet (auto drain off): read
    the component labels, pause the GPU clients, put them back."""
    lines: list[str] = []
    for label, value in _DEPLOY_LABELS:
        lines += [f"Getting current value of the '{label}' node label", f"Current value of '{label}={value}'"]
    lines += ["Getting current value of the 'nodeType' node label(used by NVIDIA Fleet Command)", "Current value of 'nodeType='",
              "Shutting down all GPU clients on the current node by disabling their component-specific nodeSelector labels",
              f"node/{node} labeled", f"node/{node} labeled", "Waiting for the operator-validator to shutdown",
              "Waiting for the container-toolkit to shutdown", "Waiting for the device-plugin to shutdown",
              "Waiting for gpu-feature-discovery to shutdown", "Waiting for dcgm-exporter to shutdown",
              "Waiting for dcgm to shutdown", "Waiting for mig-manager to shutdown",
              f"Auto drain of the node {node} is disabled",
              "Rescheduling all GPU clients on the current node by enabling their component-specific nodeSelector labels",
              f"node/{node} labeled", f"node/{node} labeled"]
    return [(t0 + i * 60 * MS, text) for i, text in enumerate(lines)]


def driver_ctr_log(t0: int, driver: str, kernel: str) -> L.Lines:
    """What `nvidia-driver init` prints while it builds and loads the modules (its own echo lines,
    the makeself extraction and the modprobe xtrace)."""
    steps = [(0, "DRIVER_ARCH is x86_64"), (900, f"Creating directory NVIDIA-Linux-x86_64-{driver}"),
             (950, "Verifying archive integrity... OK"),
             (2400, f"Uncompressing NVIDIA Accelerated Graphics Driver for Linux-x86_64 {driver}" + "." * 60),
             (9100, ""), (9100, "========== NVIDIA Software Installer =========="), (9100, ""),
             (9101, f"Starting installation of NVIDIA driver version {driver} for Linux kernel version {kernel}"),
             (9101, ""), (9102, "Stopping NVIDIA persistence daemon..."), (9104, "Unloading NVIDIA driver kernel modules..."),
             (9110, "Unmounting NVIDIA driver rootfs..."), (9120, "Checking NVIDIA driver packages..."),
             (9400, "Updating the package cache..."), (15800, "Resolving Linux kernel version..."),
             (16300, f"Proceeding with Linux kernel version {kernel}"), (16301, "Installing Linux kernel headers..."),
             (31800, "Installing Linux kernel module files..."), (52200, "Generating Linux kernel version string..."),
             (52300, "Compiling NVIDIA driver kernel modules..."), (141900, "Relinking NVIDIA driver kernel modules..."),
             (143100, f"Building NVIDIA driver package nvidia-modules-{kernel.rsplit('-', 1)[0]}..."),
             (151800, "Installing NVIDIA driver kernel modules..."), (163400, "Parsing kernel module parameters..."),
             (163401, "Configuring the following firmware search path in '/sys/module/firmware_class/parameters/path': "
                      "/run/nvidia/driver/lib/firmware"),
             (163402, "Loading ipmi and i2c_core kernel modules..."), (163500, "Loading NVIDIA driver kernel modules..."),
             (163501, "+ modprobe nvidia"), (166800, "+ modprobe nvidia-uvm"), (166950, "+ modprobe nvidia-modeset"),
             (167100, "+ set +o xtrace -o nounset"), (167101, "Starting NVIDIA persistence daemon..."),
             (167900, "Mounting NVIDIA driver rootfs..."), (168000, "Done, now waiting for signal")]
    return [(t0 + ms * MS, text) for ms, text in steps]


# ---------------------------------------------------------------------------------------------
# Dynamo


DYNAMO_VERSION = "0.7.1"
DYNAMO_IMAGE = f"nvcr.io/nvidia/ai-dynamo/vllm-runtime:{DYNAMO_VERSION}"


@dataclass
class Platform:
    ns: str
    etcd: str
    nats: str


def dynamo_platform(e: Env, ns: str, *, etcd_ok: bool = True, nats_ok: bool = True, etcd_override=None,
                    nats_override=None, sc: str = "gp3") -> Platform:
    """The dynamo-platform chart: operator, etcd and NATS in ``ns``; CRDs; helm release."""
    cl = e.cl
    created = cl.ago(21 * DAY)
    cl.ns(ns, 22 * DAY)
    root_ca(cl, ns)
    rel = "dynamo-platform"
    cl.helm.append({"name": rel, "namespace": ns, "revision": "2",  # type: ignore[union-attr]
                    "updated": f"{go_datetime(created)}.{cl.rng.randint(10**8, 10**9 - 1)} +0000 UTC",
                    "status": "deployed", "chart": f"dynamo-platform-{DYNAMO_VERSION}", "app_version": DYNAMO_VERSION})
    secret(cl, ns, f"sh.helm.release.v1.{rel}.v2", ["release"], created=created, typ="helm.sh/release.v1",
           labels={"name": rel, "owner": "helm", "status": "deployed", "version": "2"})
    for crd in ("dynamocomponentdeployments", "dynamographdeployments", "dynamographdeploymentrequests",
                "dynamomodels", "dynamoworkermetadatas"):
        kind = {"dynamocomponentdeployments": "DynamoComponentDeployment", "dynamographdeployments": "DynamoGraphDeployment",
                "dynamographdeploymentrequests": "DynamoGraphDeploymentRequest", "dynamomodels": "DynamoModel",
                "dynamoworkermetadatas": "DynamoWorkerMetadata"}[crd]
        if any(c["metadata"]["name"] == f"{crd}.nvidia.com" for c in cl.cluster_objects["crds"]):
            continue
        cl.cluster_objects["crds"].append({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": cl.meta(f"{crd}.nvidia.com", None, created, {"app.kubernetes.io/managed-by": "Helm"},
                                {"controller-gen.kubebuilder.io/version": "v0.16.4", "helm.sh/resource-policy": "keep"},
                                extra={"generation": 1}),
            "spec": {"conversion": {"strategy": "None"}, "group": "nvidia.com",
                     "names": {"kind": kind, "listKind": kind + "List", "plural": crd, "singular": kind.lower(),
                               **({"shortNames": ["dgd"]} if crd == "dynamographdeployments" else {})},
                     "scope": "Namespaced",
                     "versions": [{"name": "v1alpha1", "served": True, "storage": True, "subresources": {"status": {}},
                                   "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
            "status": {"acceptedNames": {"kind": kind, "plural": crd},
                       "conditions": [{"lastTransitionTime": rfc3339(created), "message": "no conflicts found",
                                       "reason": "NoConflicts", "status": "True", "type": "NamesAccepted"},
                                      {"lastTransitionTime": rfc3339(created), "message": "the initial names have been accepted",
                                       "reason": "InitialNamesAccepted", "status": "True", "type": "Established"}],
                       "storedVersions": ["v1alpha1"]}})
    sys_nodes = [n.name for n in cl.nodes if "nvidia.com/gpu.present" not in n.obj["metadata"]["labels"]] or \
        [n.name for n in cl.nodes]
    op_labels = {"app.kubernetes.io/instance": rel, "app.kubernetes.io/name": "dynamo-operator",
                 "control-plane": "controller-manager"}

    def op(i: int) -> list[Ctr]:
        return [Ctr("manager", f"nvcr.io/nvidia/ai-dynamo/kubernetes-operator:{DYNAMO_VERSION}", command=["/manager"],
                    args=["--health-probe-bind-address=:8081", "--metrics-bind-address=127.0.0.1:8080", "--leader-elect",
                          f"--natsAddr=nats://{rel}-nats.{ns}:4222", f"--etcdAddr={rel}-etcd.{ns}:2379"],
                    requests={"cpu": "100m", "memory": "128Mi"}, limits={"cpu": "1", "memory": "1Gi"},
                    liveness=http_probe("/healthz", 8081, delay=15, period=20),
                    readiness=http_probe("/readyz", 8081, delay=5, period=10)),
                Ctr("kube-rbac-proxy", "quay.io/brancz/kube-rbac-proxy:v0.15.0",
                    args=["--secure-listen-address=0.0.0.0:8443", "--upstream=http://127.0.0.1:8080/", "--logtostderr=true", "--v=0"],
                    ports=[(8443, "https")], requests={"cpu": "5m", "memory": "64Mi"}, limits={"cpu": "500m", "memory": "128Mi"})]
    opods = deployment_pods(cl, ns, f"{rel}-dynamo-operator-controller-manager", replicas=1, labels=op_labels,
                            created=created, containers_fn=op, nodes=sys_nodes,
                            service_account=f"{rel}-dynamo-operator-controller-manager")
    op_pod = opods[0]["metadata"]["name"]
    t0 = _t(opods[0]["status"]["startTime"]) + 2 * NS
    mlog = [L.zap_console(t0, "INFO", "setup", "starting manager"),
            L.zap_console(t0 + 5 * MS, "INFO", "controller-runtime.metrics", "Starting metrics server"),
            L.zap_console(t0 + 7 * MS, "INFO", "", "starting server", {"name": "health probe", "addr": "[::]:8081"}),
            L.zap_console(t0 + 9 * MS, "INFO", "", f"attempting to acquire leader lease {ns}/dynamo.nvidia.com..."),
            L.zap_console(t0 + 2100 * MS, "INFO", "", f"successfully acquired lease {ns}/dynamo.nvidia.com")]
    for ctl in ("dynamographdeployment", "dynamocomponentdeployment"):
        mlog.append(L.zap_console(t0 + 2200 * MS, "INFO", "", "Starting Controller",
                                  {"controller": ctl, "controllerGroup": "nvidia.com", "controllerKind": ctl.title()}))
        mlog.append(L.zap_console(t0 + 2400 * MS, "INFO", "", "Starting workers",
                                  {"controller": ctl, "controllerGroup": "nvidia.com", "worker count": 1}))
    cl.log(ns, op_pod, "kube-rbac-proxy", [L.klog(t0, "I", "main.go:186", "Valid token audiences: "),
                                           L.klog(t0 + MS, "I", "main.go:316", "Generating self signed cert as no cert is provided"),
                                           L.klog(t0 + 600 * MS, "I", "main.go:366", "Starting TCP socket on 0.0.0.0:8443"),
                                           L.klog(t0 + 601 * MS, "I", "main.go:373", "Listening securely on 0.0.0.0:8443")])
    e.__dict__.setdefault("operator_logs", {})[ns] = (op_pod, mlog)

    etcd_labels = {"app.kubernetes.io/component": "etcd", "app.kubernetes.io/instance": rel, "app.kubernetes.io/name": "etcd"}

    def etcd_ctr(i: int) -> list[Ctr]:
        c = Ctr("etcd", "docker.io/bitnami/etcd:3.5.18-debian-12-r1", ports=[(2379, "client"), (2380, "peer")],
                env=[env("BITNAMI_DEBUG", "false"), env_field("MY_POD_IP", "status.podIP"),
                     env_field("MY_POD_NAME", "metadata.name"), env("ETCDCTL_API", "3"), env("ETCD_ON_K8S", "yes"),
                     env("ETCD_START_FROM_SNAPSHOT", "no"), env("ETCD_DISASTER_RECOVERY", "no"),
                     env("ETCD_NAME", "$(MY_POD_NAME)"), env("ETCD_DATA_DIR", "/bitnami/etcd/data"),
                     env("ETCD_LOG_LEVEL", "info"), env("ALLOW_NONE_AUTHENTICATION", "yes"),
                     env("ETCD_AUTO_COMPACTION_MODE", "periodic"), env("ETCD_AUTO_COMPACTION_RETENTION", "1h"),
                     env("ETCD_ADVERTISE_CLIENT_URLS", f"http://$(MY_POD_NAME).{rel}-etcd-headless.{ns}.svc.cluster.local:2379,http://{rel}-etcd.{ns}.svc.cluster.local:2379"),
                     env("ETCD_LISTEN_CLIENT_URLS", "http://0.0.0.0:2379")],
                requests={"cpu": "500m", "memory": "512Mi"}, limits={"cpu": "750m", "memory": "768Mi"},
                liveness={"exec": {"command": ["/opt/bitnami/scripts/etcd/healthcheck.sh"]}, "failureThreshold": 5,
                          "initialDelaySeconds": 60, "periodSeconds": 30, "successThreshold": 1, "timeoutSeconds": 5},
                readiness={"exec": {"command": ["/opt/bitnami/scripts/etcd/healthcheck.sh"]}, "failureThreshold": 5,
                           "initialDelaySeconds": 60, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 5},
                mounts=[mount("/bitnami/etcd", "data")])
        if etcd_override:
            etcd_override(c)
        return [c]
    epods = statefulset_pods(cl, ns, f"{rel}-etcd", replicas=1, labels=etcd_labels, created=created, nodes=sys_nodes,
                             containers_fn=etcd_ctr, volumes=[pvc_vol("data", f"data-{rel}-etcd-0")],
                             service_account=f"{rel}-etcd")
    if etcd_ok:
        cl.log(ns, epods[0]["metadata"]["name"], "etcd", etcd_log(cl, _t(epods[0]["status"]["startTime"]) + 3 * NS,
                                                                  cl.now, f"{rel}-etcd-0", epods[0]["status"]["podIP"]))
    service(cl, ns, f"{rel}-etcd", [("client", 2379, "client"), ("peer", 2380, "peer")], etcd_labels,
            created=created, labels=etcd_labels)
    service(cl, ns, f"{rel}-etcd-headless", [("client", 2379, "client"), ("peer", 2380, "peer")], etcd_labels,
            created=created, labels=etcd_labels, headless=True)
    _pvc(cl, ns, f"data-{rel}-etcd-0", "8Gi", sc, created, etcd_labels)

    nats_labels = {"app.kubernetes.io/component": "nats", "app.kubernetes.io/instance": rel, "app.kubernetes.io/name": "nats"}

    def nats_ctr(i: int) -> list[Ctr]:
        c = Ctr("nats", "nats:2.10.24-alpine", args=["--config", "/etc/nats-config/nats.conf"],
                ports=[(4222, "nats"), (8222, "monitor")],
                env=[env_field("POD_NAME", "metadata.name"), env("SERVER_NAME", "$(POD_NAME)")],
                liveness=http_probe("/healthz?js-enabled-only=true", "monitor", delay=10, period=30, timeout=5),
                readiness=http_probe("/healthz?js-server-only=true", "monitor", delay=10, period=10, timeout=5),
                startup=http_probe("/healthz", "monitor", delay=10, period=10, timeout=5, failure=90),
                mounts=[mount("/etc/nats-config", "config"), mount("/data", f"{rel}-nats-js")])
        if nats_override:
            nats_override(c)
        return [c, Ctr("reloader", "natsio/nats-server-config-reloader:0.16.0",
                       args=["-pid", "/var/run/nats/nats.pid", "-config", "/etc/nats-config/nats.conf"],
                       mounts=[mount("/etc/nats-config", "config"), mount("/var/run/nats", "pid")])]
    npods = statefulset_pods(cl, ns, f"{rel}-nats", replicas=1, labels=nats_labels, created=created, nodes=sys_nodes,
                             containers_fn=nats_ctr, volumes=[configmap_vol("config", f"{rel}-nats-config"), empty_dir("pid"),
                                                              pvc_vol(f"{rel}-nats-js", f"{rel}-nats-js-{rel}-nats-0")],
                             service_account=f"{rel}-nats")
    npod = npods[0]["metadata"]["name"]
    if nats_ok:
        cl.log(ns, npod, "nats", nats_log(cl, _t(npods[0]["status"]["startTime"]) + 2 * NS, cl.now))
    t0 = _t(npods[0]["status"]["startTime"]) + 2 * NS
    cl.log(ns, npod, "reloader", [(t0, f"{nats_ts_short(t0)} Starting NATS Server Reloader v0.16.0"),
                                 (t0 + 2 * MS, f"{nats_ts_short(t0)} Live, ready to kick pid 7 using signal 1")])
    service(cl, ns, f"{rel}-nats", [("nats", 4222, "nats"), ("monitor", 8222, "monitor")], nats_labels,
            created=created, labels=nats_labels)
    _pvc(cl, ns, f"{rel}-nats-js-{rel}-nats-0", "10Gi", sc, created, nats_labels)
    configmap(cl, ns, f"{rel}-nats-config", {"nats.conf": "{\n  \"http_port\": 8222,\n  \"jetstream\": {\n    \"max_file_store\": 10Gi,\n"
                                                          "    \"max_memory_store\": 0,\n    \"store_dir\": \"/data\"\n  },\n"
                                                          "  \"lame_duck_duration\": \"30s\",\n  \"lame_duck_grace_period\": \"10s\",\n"
                                                          "  \"pid_file\": \"/var/run/nats/nats.pid\",\n  \"port\": 4222,\n"
                                                          "  \"server_name\": $SERVER_NAME\n}\n"}, created=created, labels=nats_labels)
    return Platform(ns, f"http://{rel}-etcd.{ns}:2379", f"nats://{rel}-nats.{ns}:4222")


def nats_ts_short(t: int) -> str:
    from .clock import nats_ts
    return nats_ts(t)[:19]


def _pvc(cl: Cluster, ns: str, name: str, size: str, sc: str | None, created: int, labels: dict[str, str],
         bound: bool = True) -> Obj:
    """A PVC; bound ones get their PV (dynamically provisioned, or static when ``sc`` is "")."""
    if not bound:
        obj: Obj = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": cl.meta(name, ns, created, labels, extra={"finalizers": ["kubernetes.io/pvc-protection"]}),
                    "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": size}},
                             "volumeMode": "Filesystem"},
                    "status": {"phase": "Pending"}}
        if sc is not None:
            obj["spec"]["storageClassName"] = sc
        cl.add(ns, "pvcs", obj)
        return obj
    pv_name = f"pvc-{cl.rng.uid()}" if sc else f"local-pv-{cl.rng.hex(8)}"
    ann = {"pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes"}
    if sc:
        ann.update({"volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                    "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com"})
    obj = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
           "metadata": cl.meta(name, ns, created, labels, ann, extra={"finalizers": ["kubernetes.io/pvc-protection"]}),
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}},
                    "storageClassName": sc or "", "volumeMode": "Filesystem", "volumeName": pv_name},
           "status": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}, "phase": "Bound"}}
    cl.add(ns, "pvcs", obj)
    pv_spec: Obj = {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": size},
                    "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": name, "namespace": ns,
                                 "resourceVersion": obj["metadata"]["resourceVersion"], "uid": obj["metadata"]["uid"]},
                    "persistentVolumeReclaimPolicy": "Delete" if sc else "Retain", "storageClassName": sc or "",
                    "volumeMode": "Filesystem"}
    if sc:
        pv_spec["csi"] = {"driver": "ebs.csi.aws.com", "fsType": "ext4", "volumeHandle": f"vol-0{cl.rng.hex(16)}"}
        pv_ann = {"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com",
                  "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                  "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""}
        fin = ["external-provisioner.volume.kubernetes.io/finalizer", "kubernetes.io/pv-protection"]
    else:
        pv_spec["local"] = {"path": f"/mnt/disks/{name}"}
        pv_spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [cl.nodes[0].name]}]}]}}
        pv_ann = {"pv.kubernetes.io/bound-by-controller": "yes"}
        fin = ["kubernetes.io/pv-protection"]
    cl.cluster_objects["persistentvolumes"].append({
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": cl.meta(pv_name, None, created + NS, None, pv_ann, extra={"finalizers": fin}),
        "spec": pv_spec, "status": {"lastPhaseTransitionTime": rfc3339(created + NS), "phase": "Bound"}})
    return obj


def storage_class(cl: Cluster, name: str = "gp3", default: bool = True) -> None:
    ann = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
    cl.cluster_objects["storageclasses"].append({
        "allowVolumeExpansion": True, "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": cl.meta(name, None, cl.ago(95 * DAY), None, ann), "parameters": {"fsType": "ext4", "type": "gp3"},
        "provisioner": "ebs.csi.aws.com", "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"})


def runtime_class(cl: Cluster) -> None:
    cl.cluster_objects["runtimeclasses"].append({"apiVersion": "node.k8s.io/v1", "handler": "nvidia", "kind": "RuntimeClass",
                                                 "metadata": cl.meta("nvidia", None, cl.ago(63 * DAY))})


def etcd_log(cl: Cluster, t0: int, t_end: int, member: str, ip: str) -> L.Lines:
    E = L.etcd
    mid = cl.rng.hex(16)
    out = [E(t0, "info", "etcdmain/etcd.go:73", "Running: ", args=["etcd"]),
           E(t0 + 2 * MS, "info", "etcdmain/etcd.go:116", "server has been already initialized", **{"data-dir": "/bitnami/etcd/data", "dir-type": "member"}),
           E(t0 + 5 * MS, "info", "embed/etcd.go:128", "configuring peer listeners", **{"listen-peer-urls": ["http://0.0.0.0:2380"]}),
           E(t0 + 7 * MS, "info", "embed/etcd.go:136", "configuring client listeners", **{"listen-client-urls": ["http://0.0.0.0:2379"]}),
           E(t0 + 40 * MS, "info", "etcdserver/server.go:513", "recovered v2 store from snapshot", **{"snapshot-index": 300003, "snapshot-size": "7.5 kB"}),
           E(t0 + 80 * MS, "info", "etcdserver/raft.go:530", "restarting local member", **{"cluster-id": cl.rng.hex(16), "local-member-id": mid, "commit-index": 301442}),
           E(t0 + 900 * MS, "info", "raft/raft.go:1019", f"{mid} is starting a new election at term 4"),
           E(t0 + 901 * MS, "info", "raft/raft.go:971", f"{mid} became candidate at term 5"),
           E(t0 + 902 * MS, "info", "raft/raft.go:1071", f"{mid} became leader at term 5"),
           E(t0 + 910 * MS, "info", "etcdserver/server.go:2068", "published local member to cluster through raft",
             **{"local-member-id": mid, "local-member-attributes": f"{{Name:{member} ClientURLs:[http://{member}.dynamo-platform-etcd-headless:2379]}}", "request-path": f"/0/members/{mid}/attributes", "publish-timeout": "7s"}),
           E(t0 + 920 * MS, "info", "embed/serve.go:103", "ready to serve client requests"),
           E(t0 + 921 * MS, "info", "embed/serve.go:187", "serving client traffic insecurely; this is strongly discouraged!", address="[::]:2379")]
    rev = 412_000 + cl.rng.randint(0, 9000)
    for t in L.spread(cl.rng, max(t0 + 3600 * NS, t_end - 18 * 3600 * NS), t_end, 3600, jitter=0.01):
        rev += cl.rng.randint(3000, 9000)
        out.append(E(t, "info", "mvcc/index.go:214", "compact tree index", revision=rev))
        out.append(E(t + 2 * MS, "info", "mvcc/kvstore_compaction.go:68", "finished scheduled compaction",
                     **{"compact-revision": rev, "took": f"{cl.rng.uniform(1, 9):.6f}ms", "hash": cl.rng.randint(10**8, 4 * 10**9),
                        "current-db-size-bytes": 2_981_888, "current-db-size": "3.0 MB", "current-db-size-in-use-bytes": 1_142_784,
                        "current-db-size-in-use": "1.1 MB"}))
    for t in L.spread(cl.rng, t_end - 18 * 3600 * NS, t_end, 1500, jitter=0.9):
        out.append(E(t, "warn", "etcdserver/util.go:170", "apply request took too long",
                     took=f"{cl.rng.uniform(100, 260):.6f}ms", **{"expected-duration": "100ms"},
                     prefix="read-only range ", request="key:\"v1/instances/\" range_end:\"v1/instances0\" ",
                     response=f"range_response_count:{cl.rng.randint(2, 6)} size:{cl.rng.randint(900, 3000)}"))
    return out


def nats_log(cl: Cluster, t0: int, t_end: int) -> L.Lines:
    N = L.nats
    out = [N(t0, "INF", "Starting nats-server"), N(t0 + 1000, "INF", "  Version:  2.10.24"),
           N(t0 + 2000, "INF", "  Git:      [1d6f7ea]"), N(t0 + 3000, "INF", "  Cluster:  dynamo-platform-nats"),
           N(t0 + 4000, "INF", "  Name:     dynamo-platform-nats-0"), N(t0 + 5000, "INF", "  Node:     xB3rYr6h"),
           N(t0 + 6000, "INF", f"  ID:       N{cl.rng.hex(8).upper()}{cl.rng.hex(8).upper()}{cl.rng.hex(8).upper()}"),
           N(t0 + 7000, "INF", "Using configuration file: /etc/nats-config/nats.conf"),
           N(t0 + 9000, "INF", "Starting http monitor on 0.0.0.0:8222"),
           N(t0 + 10000, "INF", "Starting JetStream"),
           N(t0 + 11000, "INF", "    _ ___ _____ ___ _____ ___ ___   _   __  __"),
           N(t0 + 11100, "INF", " _ | | __|_   _/ __|_   _| _ \\ __| /_\\ |  \\/  |"),
           N(t0 + 11200, "INF", "| || | _|  | | \\__ \\ | | |   / _| / _ \\| |\\/| |"),
           N(t0 + 11300, "INF", " \\__/|___| |_| |___/ |_| |_|_\\___/_/ \\_\\_|  |_|"),
           N(t0 + 11400, "INF", ""),
           N(t0 + 11500, "INF", "         https://docs.nats.io/jetstream"),
           N(t0 + 11600, "INF", ""),
           N(t0 + 11700, "INF", "---------------- JETSTREAM ----------------"),
           N(t0 + 11800, "INF", "  Max Memory:      0 B"),
           N(t0 + 11900, "INF", "  Max Storage:     10.00 GB"),
           N(t0 + 12000, "INF", "  Store Directory: \"/data/jetstream\""),
           N(t0 + 12100, "INF", "-------------------------------------------"),
           N(t0 + 40 * MS, "INF", "  Starting restore for stream '$G > namespace-vllm-agg-kv-events'"),
           N(t0 + 52 * MS, "INF", "  Restored 0 messages for stream '$G > namespace-vllm-agg-kv-events' in 12ms"),
           N(t0 + 60 * MS, "INF", "Listening for client connections on 0.0.0.0:4222"),
           N(t0 + 61 * MS, "INF", "Server is ready")]
    for t in L.spread(cl.rng, t_end - 20 * 3600 * NS, t_end, 2400, jitter=0.9):
        cid = cl.rng.randint(20, 900)
        out.append(N(t, "WRN", f"10.244.{cl.rng.randint(1, 3)}.{cl.rng.randint(2, 250)}:{cl.rng.randint(32768, 60999)} - cid:{cid} - "
                              f"\"v0.38.0:rust:dynamo\" - Readloop processing time: {cl.rng.uniform(2.0, 3.4):.9f}s"))
    return out


@dataclass
class WorkerPlan:
    """One Dynamo worker pod: where it runs and, when it is not healthy, its state and logs."""

    role: str = "decode"                 # decode | prefill
    node: str | None = None
    state: Obj | None = None
    last_state: Obj = field(default_factory=dict)
    ready: bool = True
    restarts: int = 0
    log: L.Lines | None = None           # None: healthy log generated
    previous_log: L.Lines | None = None
    metrics: bool = True
    metric_error: str | None = None
    started: int | None = None           # current container start (default: pod start)
    unscheduled: bool = False            # never bound to a node (Pending, no container status)


def dynamo_graph(e: Env, p: Platform, ns: str, name: str, m, *, workers: list[WorkerPlan],
                 frontend_log: L.Lines | None = None, frontend_ok_requests: int = 18_000,
                 frontend_errors: dict[str, int] | None = None, created_h: float = 30.0,
                 dgd_state: str | None = None, worker_args: list[str] | None = None,
                 hf_secret: str | None = "hf-token-secret", gpu_resources: dict[str, str] | None = None,
                 scheduler_name: str = "default-scheduler", worker_pod_kw: dict | None = None,
                 image: str = DYNAMO_IMAGE, jsonl: bool = False, cache_sc: str | None = "gp3",
                 cache_bound: bool = True) -> dict[str, list[Obj]]:
    """A DynamoGraphDeployment (operator-managed Deployments): Frontend plus workers."""
    cl = e.cl
    created = cl.ago(created_h * HOUR)
    cl.ns(ns)
    if "kube-root-ca.crt" not in [c["metadata"]["name"] for c in cl.ns(ns).objects.get("configmaps", [])]:
        root_ca(cl, ns)
    roles = sorted({w.role for w in workers})
    svc_names = {"decode": "VllmDecodeWorker", "prefill": "VllmPrefillWorker"}
    args_base = ["--model", m.name] + (worker_args or [])
    services: Obj = {"Frontend": {"componentType": "frontend", "dynamoNamespace": name, "replicas": 1,
                                  "extraPodSpec": {"mainContainer": {"image": image}}}}
    for r in roles:
        n = sum(1 for w in workers if w.role == r)
        services[svc_names[r]] = {
            "componentType": "worker", "subComponentType": r, "dynamoNamespace": name, "replicas": n,
            **({"envFromSecret": hf_secret} if hf_secret else {}),
            "resources": {"limits": {"gpu": "1"}},
            "extraPodSpec": {"mainContainer": {"image": image, "workingDir": "/workspace/examples/backends/vllm",
                                               "command": ["python3", "-m", "dynamo.vllm"],
                                               "args": args_base + (["--is-prefill-worker"] if r == "prefill" else [])}}}
    not_ready = [w for w in workers if not w.ready]
    state = dgd_state or ("successful" if not not_ready else "pending")
    cond = ({"lastTransitionTime": rfc3339(created + 300 * NS), "message": "All resources are ready",
             "reason": "all_resources_are_ready", "status": "True", "type": "Ready"} if not not_ready else
            {"lastTransitionTime": rfc3339(cl.ago(600)), "message": "Resources not ready: " + "; ".join(
                f"{name}: deployment/{name}-{svc_names[r].lower()}: desired={sum(1 for w in workers if w.role == r)}, "
                f"ready={sum(1 for w in workers if w.role == r and w.ready)}" for r in roles
                if any(not w.ready for w in workers if w.role == r)),
             "reason": "some_resources_are_not_ready", "status": "False", "type": "Ready"})
    dgd = {"apiVersion": "nvidia.com/v1alpha1", "kind": "DynamoGraphDeployment",
           "metadata": cl.meta(name, ns, created, None, None, extra={"finalizers": ["nvidia.com/finalizer"], "generation": 1}),
           "spec": {"services": services}, "status": {"conditions": [cond], "state": state}}
    cl.ns(ns).custom.setdefault("dynamographdeployments", []).append(dgd)
    out: dict[str, list[Obj]] = {}
    op_pod, mlog = e.__dict__.get("operator_logs", {}).get(p.ns, (None, None))
    gpu_nodes_ = [n.name for n in e.gpu_nodes]
    common_env = [env("DYN_NAMESPACE", name), env("DYN_PARENT_DGD_K8S_NAME", name), env("DYN_PARENT_DGD_K8S_NAMESPACE", ns),
                  env("ETCD_ENDPOINTS", p.etcd.removeprefix("http://")), env("NATS_SERVER", p.nats),
                  env_field("POD_NAME", "metadata.name"), env_field("POD_NAMESPACE", "metadata.namespace"),
                  env_field("POD_UID", "metadata.uid")] + ([env("DYN_LOGGING_JSONL", "true")] if jsonl else [])
    for svc, spec in services.items():
        dcd_name = f"{name}-{svc.lower()}"
        dcd = {"apiVersion": "nvidia.com/v1alpha1", "kind": "DynamoComponentDeployment",
               "metadata": cl.meta(dcd_name, ns, created + NS, {"nvidia.com/dynamo-graph-deployment-name": name},
                                   owner=Cluster.owner_ref(dgd), extra={"generation": 1}),
               "spec": {"serviceName": svc, "backendFramework": "vllm", **spec},
               "status": {"conditions": [{"lastTransitionTime": rfc3339(created + 200 * NS),
                                          "message": "Deployment is ready" if (svc == "Frontend" or not any(not w.ready for w in workers if svc_names.get(w.role) == svc)) else "Deployment is not ready",
                                          "reason": "DeploymentReady", "status": "True", "type": "Available"}]}}
        if dcd["status"]["conditions"][0]["message"] != "Deployment is ready":
            dcd["status"]["conditions"][0].update({"reason": "DeploymentNotReady", "status": "False"})
        cl.ns(ns).custom.setdefault("dynamocomponentdeployments", []).append(dcd)
        labels = {"nvidia.com/dynamo-component": svc, "nvidia.com/dynamo-component-type": spec["componentType"],
                  "nvidia.com/dynamo-graph-deployment-name": name, "nvidia.com/dynamo-namespace": name,
                  "nvidia.com/selector": dcd_name}
        if svc == "Frontend":
            def fe(i: int) -> list[Ctr]:
                return [Ctr("main", image, command=["python3", "-m", "dynamo.frontend"], args=["--http-port", "8000"],
                            ports=[(8000, "http")], env=common_env + [env("DYN_COMPONENT", "Frontend"), env("DYN_HTTP_PORT", "8000")],
                            requests={"cpu": "1", "memory": "2Gi"}, limits={"cpu": "2", "memory": "4Gi"},
                            liveness=http_probe("/live", "http", delay=15, period=10, failure=3),
                            readiness=http_probe("/health", "http", delay=10, period=10, failure=3),
                            mounts=[mount("/dev/shm", "shared-memory")])]
            pods = deployment_pods(cl, ns, dcd_name, replicas=1, labels=labels, created=created + 2 * NS,
                                   containers_fn=fe, nodes=[n.name for n in cl.nodes if n.name not in gpu_nodes_] or gpu_nodes_,
                                   volumes=[empty_dir("shared-memory", "Memory", "512Mi")])
            pod = pods[0]
            t0 = _t(pod["status"]["startTime"]) + 3 * NS
            if frontend_log is None:
                lines = dynamo_frontend_startup(cl.rng, t0, dyn_ns=name, etcd=p.etcd, nats=p.nats, jsonl=jsonl)
                lines += frontend_added_model(t0 + 95 * NS, m, name, jsonl=jsonl)
            else:
                lines = frontend_log
            cl.log(ns, pod["metadata"]["name"], "main", lines)
            healthy_workers = sum(1 for w in workers if w.ready and w.role == "decode")
            cl.metrics(ns, pod["metadata"]["name"], 8000,
                       M.frontend(cl.rng, m.name, ok=frontend_ok_requests, errors=frontend_errors,
                                  workers=healthy_workers, ready=healthy_workers > 0, inflight=cl.rng.randint(0, 9) if healthy_workers else 0,
                                  migrations=sum((frontend_errors or {}).values()) // 7))
            out["frontend"] = pods
            continue
        role = spec["subComponentType"]
        plans = [w for w in workers if w.role == role]

        def wk(i: int, plans=plans, svc=svc) -> list[Ctr]:
            w = plans[i]
            res_lim = dict(gpu_resources or {"nvidia.com/gpu": "1"})
            res_lim["memory"] = "96Gi"
            return [Ctr("main", image, command=["python3", "-m", "dynamo.vllm"],
                        args=args_base + (["--is-prefill-worker"] if w.role == "prefill" else []),
                        ports=[(9090, "system")],
                        env=common_env + [env("DYN_COMPONENT", svc), env("DYN_SYSTEM_ENABLED", "true"),
                                          env("DYN_SYSTEM_PORT", "9090"),
                                          env("DYN_SYSTEM_USE_ENDPOINT_HEALTH_STATUS", '["generate"]'),
                                          env("HF_HOME", "/root/.cache/huggingface")],
                        env_from=[{"secretRef": {"name": hf_secret}}] if hf_secret else [],
                        requests={"cpu": "8", "memory": "64Gi", **{k: v for k, v in res_lim.items() if k != "memory"}},
                        limits=res_lim,
                        liveness=http_probe("/live", "system", period=5, failure=1, timeout=4),
                        readiness=http_probe("/health", "system", period=10, failure=3, timeout=4),
                        startup=http_probe("/live", "system", period=10, failure=720, timeout=5),
                        mounts=[mount("/dev/shm", "shared-memory"), mount("/root/.cache/huggingface", "model-cache")],
                        state=w.state, last_state=w.last_state, ready=w.ready, restarts=w.restarts,
                        started=None if w.state is None else ("running" in w.state))]
        worker_nodes = [None if w.unscheduled else (w.node or gpu_nodes_[i % len(gpu_nodes_)]) for i, w in enumerate(plans)]
        pods = deployment_pods(cl, ns, dcd_name, replicas=len(plans), labels=labels, created=created + 2 * NS,
                               containers_fn=wk, nodes=worker_nodes, scheduler_name=scheduler_name,
                               volumes=[empty_dir("shared-memory", "Memory", "16Gi"), pvc_vol("model-cache", f"{name}-model-cache")],
                               tolerations=[{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}],
                               **(worker_pod_kw or {}))
        for pod, w in zip(pods, plans):
            pname = pod["metadata"]["name"]
            t0 = w.started or (_t(pod["status"].get("startTime") or pod["metadata"]["creationTimestamp"]) + 3 * NS)
            if w.log is None:
                cl.log(ns, pname, "main", dynamo_worker_log(cl.rng, t0, cl.now, m, dyn_ns=name, role=w.role,
                                                            etcd=p.etcd, nats=p.nats, load=0.55, jsonl=jsonl))
            elif w.log:
                cl.log(ns, pname, "main", w.log)
            if w.previous_log:
                cl.log(ns, pname, "main", w.previous_log, previous=True)
            if w.metric_error:
                cl.ns(ns).metric_errors[pname] = (9090, w.metric_error.format(ip=pod["status"].get("podIP", "")))
            elif w.metrics and w.ready:
                blocks = m.kv_tokens // 16
                cl.metrics(ns, pname, 9090, M.worker(cl.rng, m.name, name, "prefill" if w.role == "prefill" else "backend",
                                                     requests=frontend_ok_requests // max(1, len(plans)) + cl.rng.randint(0, 400),
                                                     kv_blocks=blocks, active_blocks=int(blocks * cl.rng.uniform(0.1, 0.45)),
                                                     uptime=(cl.now - t0) / NS, running=cl.rng.randint(1, 14)))
        out[role] = pods
    _pvc(cl, ns, f"{name}-model-cache", "500Gi", cache_sc, created, {"nvidia.com/dynamo-graph-deployment-name": name},
         bound=cache_bound)
    service(cl, ns, f"{name}-frontend", [("http", 8000, "http")], {"nvidia.com/selector": f"{name}-frontend"},
            created=created, labels={"nvidia.com/dynamo-graph-deployment-name": name})
    if mlog is not None:
        for t in L.spread(cl.rng, created, cl.now, 1800, jitter=0.3):
            mlog.append(L.zap_console(t, "INFO", "", "Reconciling the DynamoGraphDeployment",
                                      {"controller": "dynamographdeployment", "controllerGroup": "nvidia.com",
                                       "controllerKind": "DynamoGraphDeployment",
                                       "DynamoGraphDeployment": {"name": name, "namespace": ns}, "namespace": ns,
                                       "name": name, "reconcileID": cl.rng.uid()}))
        cl.log(p.ns, op_pod, "manager", mlog)
    if hf_secret and hf_secret not in [s["metadata"]["name"] for s in cl.ns(ns).objects.get("secrets", [])]:
        secret(cl, ns, hf_secret, ["HF_TOKEN"], created=created - 600 * NS)
    return out
