"""HAMi webhook, configuration, container limits and allocation checks, the RuntimeClass, the
collector's own errors and the Dynamo operator and CRDs (analyzer/checks/hami_components.py,
hami_config.py, hami_scheduling.py, cluster.py, collection.py, dynamo.py): each fires on a small
realistic bundle, stays clear on a sound one, and says "skipped" when the bundle lacks its source.

The bundles are written in our collector's layout and read by the real ingest and parse stages
(the ``bundle`` fixture of conftest.py), so the checks see exactly the tables, files and manifest
a customer bundle gives them.
"""

from __future__ import annotations

import json

from checkdata import DEVICE_CONFIG, configmap, container, dgd, event, node, pod, register

from analyzer.checks.cluster import runtimeclass
from analyzer.checks.collection import collection_errors, namespace_missing
from analyzer.checks.dynamo import dynamo_crds, dynamo_operator
from analyzer.checks.hami_components import hami_pod_allocation, hami_webhook
from analyzer.checks.hami_config import hami_config, hami_core_env, hami_vgpu_memory
from analyzer.checks.hami_scheduling import hami_gpu_allocation
from analyzer.checks.helpers import labels_match
from testkit.samples import sample_run


def namespace(name: str, labels: dict | None = None, phase: str = "Active") -> dict:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}},
            "status": {"phase": phase}}


def webhook(*, ca: str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=", ns_selector: dict | None = None) -> dict:
    """HAMi's MutatingWebhookConfiguration as the chart renders it."""
    sel = {"matchExpressions": [{"key": "hami.io/webhook", "operator": "NotIn", "values": ["ignore"]}]}
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "hami-webhook", "annotations": {"meta.helm.sh/release-name": "hami"}},
            "webhooks": [{"admissionReviewVersions": ["v1beta1"], "name": "vgpu.hami.io", "failurePolicy": "Ignore",
                          "clientConfig": {"caBundle": ca, "service": {"name": "hami-scheduler", "namespace": "hami-system",
                                                                      "path": "/webhook", "port": 443}},
                          "namespaceSelector": ns_selector or sel, "objectSelector": sel, "sideEffects": "None",
                          "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                                     "resources": ["pods"]}], "timeoutSeconds": 10}]}


def vgpu_pod(name: str, *, scheduler: str = "default-scheduler", phase: str = "Pending", **kw) -> dict:
    return pod(name, phase=phase, scheduler=scheduler,
               containers=[container("vllm", limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "20480"})], **kw)


HAMI_SCHED = pod("hami-scheduler-7c9d8b6f4-x2x9q", "hami-system", node_name="cpu-node-1", scheduler="default-scheduler",
                 labels={"app.kubernetes.io/component": "hami-scheduler", "app.kubernetes.io/name": "hami"},
                 containers=[container("kube-scheduler"), container("vgpu-scheduler-extender")])


def service(name: str, ns: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"ports": [{"port": 443, "targetPort": 9443}], "selector": {"app.kubernetes.io/component": name}}}


def endpoints(name: str, ns: str, ready: bool) -> dict:
    subset = {"addresses": [{"ip": "10.244.1.12"}]} if ready else {"notReadyAddresses": [{"ip": "10.244.1.12"}]}
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": ns},
            "subsets": [dict(subset, ports=[{"port": 9443}])]}


# --- selector semantics ---------------------------------------------------------------------

def test_label_selector_semantics():
    sel = {"matchLabels": {"team": "ml"},
           "matchExpressions": [{"key": "hami.io/webhook", "operator": "NotIn", "values": ["ignore"]}]}
    assert labels_match(sel, {"team": "ml"}) == (True, "")
    assert labels_match(sel, {"team": "ml", "hami.io/webhook": "ignore"}) == (False, "hami.io/webhook NotIn ['ignore']")
    assert labels_match({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}, {})[0] is False
    assert labels_match(None, {})[0] is True


# --- CHK020 hami-webhook ---------------------------------------------------------------------

def test_hami_webhook_missing_with_unmutated_pods_is_critical(bundle):
    ctx = bundle([HAMI_SCHED, vgpu_pod("qwen-0")], empty=("cluster/mutatingwebhookconfigurations.json",))
    out = hami_webhook(ctx)
    [f] = out.findings
    assert f.severity == "critical" and f.category == "hami.webhook_not_applied"
    assert "No MutatingWebhookConfiguration registers HAMi's webhook vgpu.hami.io" in f.summary
    assert "1 pod(s)" in f.summary and "qwen-0" in f.summary
    assert f.evidence[0].path == "cluster/mutatingwebhookconfigurations.json"
    assert any(e.path == "namespaces/ml-serving/pods.json" and e.line for e in f.evidence)


def test_hami_webhook_namespace_selector_excludes_the_namespace(bundle):
    ctx = bundle([HAMI_SCHED, webhook(), namespace("ml-serving", {"hami.io/webhook": "ignore"}), namespace("hami-system"),
                  vgpu_pod("qwen-0"), service("hami-scheduler", "hami-system")])
    [f] = hami_webhook(ctx).findings
    assert "namespaceSelector (hami.io/webhook NotIn ['ignore']) excludes namespace ml-serving" in f.summary
    assert f.evidence[0].path == "cluster/mutatingwebhookconfigurations.json" and f.evidence[0].line


def test_hami_webhook_object_selector_and_dead_service(bundle):
    ctx = bundle([HAMI_SCHED, webhook(), namespace("ml-serving"), namespace("hami-system"),
                  vgpu_pod("qwen-0", labels={"app": "qwen", "hami.io/webhook": "ignore"}), vgpu_pod("qwen-1"),
                  service("hami-scheduler", "hami-system"), endpoints("hami-scheduler", "hami-system", ready=False)])
    out = hami_webhook(ctx)
    by_pod = {f.affected[0].name: f for f in out.findings}
    assert "objectSelector" in by_pod["qwen-0"].summary
    assert "has no ready endpoint" in by_pod["qwen-1"].summary and "failurePolicy Ignore" in by_pod["qwen-1"].summary


def test_hami_webhook_clear_when_pods_were_mutated(bundle):
    ctx = bundle([HAMI_SCHED, webhook(ca=""), namespace("ml-serving"), vgpu_pod("qwen-0", scheduler="hami-scheduler")])
    out = hami_webhook(ctx)
    assert out.findings == [] and "0 not mutated" in out.note


def test_hami_webhook_skips_without_webhook_list(bundle):
    assert hami_webhook(bundle([HAMI_SCHED, vgpu_pod("qwen-0")])).skipped


# --- CHK021 hami-config ----------------------------------------------------------------------

def plugin_config(*entries: dict) -> dict:
    return configmap("hami-system", "hami-device-plugin", {"config.json": json.dumps({"nodeconfig": list(entries)}, indent=4)})


def test_hami_config_flags_overcommit_unknown_node_hidden_gpus_and_mig(bundle):
    overcommit = DEVICE_CONFIG.replace("deviceMemoryScaling: 1", "deviceMemoryScaling: 1.5")
    ctx = bundle([
        node("gpu-node-1", gpus=8, labels={"nvidia.com/mig.config": "all-disabled"}),
        node("gpu-node-2", gpus=8),
        configmap("hami-system", "hami-scheduler-device", {"device-config.yaml": overcommit}),
        plugin_config({"name": "gpu-node-1", "operatingmode": "mig", "migstrategy": "mixed"},
                      {"name": "gpu-node-2", "filterdevices": {"uuid": [], "index": [6, 7]}},
                      {"name": "gpu-node-9", "devicememoryscaling": 1})])
    out = hami_config(ctx)
    text = {f.summary: f for f in out.findings}
    over = next(f for s, f in text.items() if "deviceMemoryScaling=1.5" in s)
    assert over.severity == "warning" and over.evidence[0].path == "namespaces/hami-system/configmaps.json"
    assert next(f for s, f in text.items() if "'gpu-node-9' matches no node" in s).severity == "warning"
    hidden = next(f for s, f in text.items() if "filterdevices hides 2 GPU(s)" in s)
    assert hidden.severity == "info"
    mig = next(f for s, f in text.items() if "operatingmode=mig" in s)
    assert mig.severity == "error" and any(e.path == "cluster/nodes.json" for e in mig.evidence)


def test_hami_config_two_installations(bundle):
    # a second installation: another pod (its own uid) in another namespace
    other = dict(HAMI_SCHED, metadata=dict(HAMI_SCHED["metadata"], name="hami-scheduler-5f6d7c8b9-k8s2m",
                                           namespace="kube-system", uid="uid-hami-scheduler-5f6d7c8b9-k8s2m"))
    ctx = bundle([HAMI_SCHED, other, configmap("hami-system", "hami-scheduler-device", {"device-config.yaml": DEVICE_CONFIG})])
    [f] = hami_config(ctx).findings
    assert "hami-scheduler runs in 2 namespaces (hami-system, kube-system)" in f.summary
    assert {e.path for e in f.evidence} == {"namespaces/hami-system/pods.json", "namespaces/kube-system/pods.json"}


def test_hami_config_clear_on_chart_defaults(bundle):
    ctx = bundle([node("gpu-node-1", gpus=8), configmap("hami-system", "hami-scheduler-device",
                                                         {"device-config.yaml": DEVICE_CONFIG}),
                  plugin_config({"name": "gpu-node-1", "operatingmode": "hami-core", "devicememoryscaling": 1,
                                 "devicesplitcount": 10, "filterdevices": {"uuid": [], "index": []}})])
    out = hami_config(ctx)
    assert out.findings == [] and "deviceSplitCount=10" in out.note


def test_hami_config_skips_without_configmaps_when_hami_runs(bundle):
    assert "no HAMi ConfigMap" in hami_config(bundle([HAMI_SCHED])).skipped
    assert hami_config(bundle([node("cpu-node-1")])).skipped is None  # HAMi not in use: clear


# --- CHK022 hami-core-env --------------------------------------------------------------------

def env_pod(name: str, env: list[dict], cores: str = "30") -> dict:
    spec, status = container("vllm", limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "10240",
                                             "nvidia.com/gpucores": cores})
    spec["env"] = env
    return pod(name, containers=[(spec, status)],
               annotations={"hami.io/vgpu-devices-allocated": "GPU-0adaaba2-1f0c-4e2b-9a51-6f1e2d3c4b5a,NVIDIA,10240,30:;"})


def test_hami_core_env_disable_control_and_forced_core_policy(bundle):
    ctx = bundle([env_pod("embed-0", [{"name": "CUDA_DISABLE_CONTROL", "value": "true"}]),
                  env_pod("chat-0", [{"name": "GPU_CORE_UTILIZATION_POLICY", "value": "force"}])])
    out = hami_core_env(ctx)
    disable = next(f for f in out.findings if f.affected[0].name == "embed-0")
    assert disable.category == "hami.config" and "CUDA_DISABLE_CONTROL=true" in disable.summary
    assert disable.evidence[0].path == "namespaces/ml-serving/pods.json" and disable.evidence[0].line
    capped = next(f for f in out.findings if f.affected[0].name == "chat-0")
    assert capped.category == "performance.low_throughput" and capped.severity == "info"
    assert "capped at 30% of a GPU's compute" in capped.summary


def test_hami_core_env_utilisation_pinned_at_the_limit_is_a_warning(bundle):
    prom = ('# HELP Device_utilization_desc_of_container Container device utilization description\n'
            '# TYPE Device_utilization_desc_of_container gauge\n'
            'Device_utilization_desc_of_container{ctrname="vllm",deviceuuid="GPU-0adaaba2",podname="chat-0",'
            'podnamespace="ml-serving",vdeviceid="0"} 29\n')
    ctx = bundle([env_pod("chat-0", [])], files={"namespaces/hami-system/metrics/hami-device-plugin-x7k2p.prom": prom})
    [f] = hami_core_env(ctx).findings
    assert f.severity == "warning" and "runs at 29%" in f.summary
    assert f.evidence[1].path == "namespaces/hami-system/metrics/hami-device-plugin-x7k2p.prom"


def test_hami_core_env_clear_and_skip(bundle):
    out = hami_core_env(bundle([env_pod("chat-0", [{"name": "CUDA_DISABLE_CONTROL", "value": "false"}], cores="100")]))
    assert out.findings == [] and "1 HAMi container(s) checked" in out.note
    assert hami_core_env(bundle([node("gpu-node-1", gpus=1)])).skipped


# --- CHK023 hami-vgpu-memory -----------------------------------------------------------------

VGPU_PROM = """# HELP hami_vgpu_memory_used_bytes vGPU device memory usage
# TYPE hami_vgpu_memory_used_bytes gauge
hami_vgpu_memory_used_bytes{container="vllm",device_uuid="GPU-0adaaba2",namespace="ml-serving",pod="qwen-0",vdevice_index="0"} %d
hami_vgpu_memory_used_bytes{container="embed",device_uuid="GPU-11dcec1d",namespace="ml-serving",pod="embed-0",vdevice_index="0"} 2147483648
# HELP hami_vgpu_memory_limit_bytes vGPU device memory limit
# TYPE hami_vgpu_memory_limit_bytes gauge
hami_vgpu_memory_limit_bytes{container="vllm",device_uuid="GPU-0adaaba2",namespace="ml-serving",pod="qwen-0",vdevice_index="0"} 21474836480
hami_vgpu_memory_limit_bytes{container="embed",device_uuid="GPU-11dcec1d",namespace="ml-serving",pod="embed-0",vdevice_index="0"} 10737418240
"""
PROM_PATH = "namespaces/hami-system/metrics/hami-device-plugin-x7k2p.prom"


def test_hami_vgpu_memory_near_limit(bundle):
    [f] = hami_vgpu_memory(bundle([HAMI_SCHED], files={PROM_PATH: VGPU_PROM % 21045339750})).findings
    assert f.category == "runtime.vgpu_memory_limit" and "uses 20070 MiB of its 20480 MiB HAMi vGPU limit (98%)" in f.summary
    assert f.affected[0].name == "qwen-0" and f.evidence[0].path == PROM_PATH


def test_hami_vgpu_memory_clear_and_skip(bundle):
    out = hami_vgpu_memory(bundle([HAMI_SCHED], files={PROM_PATH: VGPU_PROM % 8589934592}))
    assert out.findings == [] and "2 vGPU device(s) checked" in out.note
    assert "vGPU monitor" in hami_vgpu_memory(bundle([HAMI_SCHED])).skipped


# --- CHK024 hami-pod-allocation --------------------------------------------------------------

def test_hami_pod_allocation_stuck_and_wrong_card(bundle):
    stuck = pod("qwen-0", phase="Pending", node_name=None, annotations={
        "hami.io/bind-phase": "allocating", "hami.io/bind-time": "1795168800", "hami.io/vgpu-node": "gpu-node-1"})
    # the allocation names the vendor (NVIDIA); the card's model is in its node's register
    wrong = pod("embed-0", annotations={
        "hami.io/bind-phase": "success", "nvidia.com/use-gputype": "H100",
        "hami.io/vgpu-devices-allocated": "GPU-0adaaba2,NVIDIA,10240,30:;"})
    right = pod("embed-1", annotations={
        "hami.io/bind-phase": "success", "nvidia.com/use-gputype": "A100", "nvidia.com/nouse-gpuuuid": " ",
        "hami.io/vgpu-devices-allocated": "GPU-0adaaba2,NVIDIA,10240,30:;"})
    gpu_node = node("gpu-node-1", gpus=10, reg=register(("GPU-0adaaba2", 40960, 0)))
    out = hami_pod_allocation(bundle([gpu_node, stuck, wrong, right]))
    s = next(f for f in out.findings if f.affected[0].name == "qwen-0")
    assert s.category == "hami.component_unhealthy" and "hami.io/bind-phase=allocating for 900 s" in s.summary
    w = next(f for f in out.findings if f.affected[0].name == "embed-0")
    assert w.category == "scheduling.node_affinity"
    assert "GPU-0adaaba2 type NVIDIA-NVIDIA A100-SXM4-40GB not in nvidia.com/use-gputype" in w.summary
    # an A100 asked for and given, a blank nouse list: nothing wrong
    assert [f for f in out.findings if f.affected[0].name == "embed-1"] == []


def test_hami_pod_allocation_judges_no_type_without_the_register(bundle):
    wrong_uuid = pod("embed-0", annotations={
        "hami.io/bind-phase": "success", "nvidia.com/use-gputype": "H100", "nvidia.com/use-gpuuuid": "GPU-ffff",
        "hami.io/vgpu-devices-allocated": "GPU-0adaaba2,NVIDIA,10240,30:;"})
    [f] = hami_pod_allocation(bundle([wrong_uuid])).findings
    assert f.details["mismatches"] == ["GPU-0adaaba2 not in nvidia.com/use-gpuuuid"]


def test_hami_pod_allocation_clear_and_skip(bundle):
    ok = pod("embed-0", annotations={"hami.io/bind-phase": "success",
                                     "hami.io/vgpu-devices-allocated": "GPU-0adaaba2,NVIDIA,10240,30:;"})
    fresh = pod("qwen-1", phase="Pending", node_name=None, annotations={
        "hami.io/bind-phase": "allocating", "hami.io/bind-time": "1795169640"})  # one minute old: still binding
    out = hami_pod_allocation(bundle([ok, fresh]))
    assert out.findings == [] and "2 pod(s)" in out.note
    assert hami_pod_allocation(bundle([node("gpu-node-1")])).skipped


# --- CHK025 hami-gpu-allocation --------------------------------------------------------------

CARDS = [("GPU-0adaaba2-1f0c-4e2b-9a51-6f1e2d3c4b5a", 40960, 0), ("GPU-11dcec1d-7e3a-4f5b-8c6d-0a1b2c3d4e5f", 40960, 1)]


def holder(name: str, uuid: str, mem: int) -> dict:
    return pod(name, containers=[container(limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": str(mem)})],
               annotations={"hami.io/vgpu-devices-allocated": f"{uuid},NVIDIA,{mem},0:;", "hami.io/bind-phase": "success"})


def test_hami_gpu_allocation_fragmented_memory(bundle):
    ctx = bundle([node("gpu-node-1", gpus=20, reg=register(*CARDS)),
                  holder("embed-0", CARDS[0][0], 20480), holder("rerank-0", CARDS[1][0], 20480),
                  pod("qwen-0", phase="Pending", node_name=None,
                      containers=[container(limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "30720"})])])
    [f] = hami_gpu_allocation(ctx).findings
    assert f.category == "scheduling.insufficient_gpumem" and f.severity == "warning"
    assert "needs 30720 MiB on one GPU; node gpu-node-1 has 40960 MiB free in total across 2 cards" in f.summary
    assert "at most 20480 MiB on any one" in f.summary


def test_hami_gpu_allocation_clear_lists_shares_and_skips(bundle):
    out = hami_gpu_allocation(bundle([node("gpu-node-1", gpus=20, reg=register(*CARDS)),
                                      holder("embed-0", CARDS[0][0], 20480)]))
    assert out.findings == [] and "gpu-node-1 25%" in out.note
    assert hami_gpu_allocation(bundle([HAMI_SCHED, node("gpu-node-1", gpus=2)])).skipped


# --- CHK026 runtimeclass ---------------------------------------------------------------------

NVIDIA_RC = {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "handler": "nvidia", "metadata": {"name": "nvidia"}}


def deployment(name: str, ns: str, runtime_class: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": name}},
                                                 "spec": {"runtimeClassName": runtime_class,
                                                          "containers": [{"name": "main", "image": "vllm/vllm-openai:v0.11.0"}]}}},
            "status": {"replicas": 1, "unavailableReplicas": 1}}


def test_runtimeclass_missing(bundle):
    [f] = runtimeclass(bundle([deployment("llama-chat", "ml-serving", "nvidia-cdi"), NVIDIA_RC])).findings
    assert f.severity == "critical" and "RuntimeClass 'nvidia-cdi' does not exist" in f.summary
    assert "the cluster has nvidia" in f.summary
    assert f.evidence[0].path == "namespaces/ml-serving/deployments.json" and f.evidence[0].line


def test_runtimeclass_clear_and_skip(bundle):
    out = runtimeclass(bundle([deployment("llama-chat", "ml-serving", "nvidia"), NVIDIA_RC]))
    assert out.findings == [] and "1 pod(s)/workload(s)" in out.note
    assert runtimeclass(bundle([deployment("llama-chat", "ml-serving", "nvidia")])).skipped


# --- CHK027 collection-errors ----------------------------------------------------------------

def cmd(source: str, argv: str, code: int, stderr: str = "", ns: str | None = None) -> dict:
    return {"source": source, "namespace": ns, "argv": argv.split(), "exit_code": code, "bytes": 0,
            "duration_ms": 87, "stderr": stderr, "path": None}


FORBIDDEN = ('Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:support:collector" '
             'cannot list resource "pods" in API group "" in the namespace "ml-serving"')


def test_collection_errors_forbidden_and_unreachable(bundle):
    ctx = bundle([node("gpu-node-1")], manifest={"commands": [
        cmd("nodes", "kubectl get nodes -o json", 0),
        cmd("pods", "kubectl get pods -n ml-serving -o json", 1, FORBIDDEN, "ml-serving"),
        cmd("previous_log", "kubectl logs -n ml-serving qwen-0 -c vllm --previous", 1,
            'Error from server (BadRequest): previous terminated container "vllm" in pod "qwen-0" not found', "ml-serving"),
        cmd("events", "kubectl get events -n ml-serving -o json", 1,
            "Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout", "ml-serving")]})
    out = collection_errors(ctx)
    forb = next(f for f in out.findings if f.category == "cluster.rbac_forbidden")
    assert forb.severity == "warning" and "forbidden for system:serviceaccount:support:collector" in forb.summary
    assert forb.evidence[0].path == "manifest.json"
    manifest = next(m for m in ctx.parsed.bundle.members if m.kind == "manifest").read_bytes(1 << 20).decode()
    lines = manifest.splitlines()
    # evidence points at the failed record: its exit_code line, after its argv
    assert lines[forb.evidence[0].line - 1].strip() == '"exit_code": 1,'
    argv = "".join(lines[forb.evidence[0].line - 10:forb.evidence[0].line - 1])
    assert '"pods",' in argv and '"ml-serving",' in argv
    unreach = next(f for f in out.findings if f.category == "cluster.unreachable")
    assert unreach.severity == "error" and "events (ml-serving)" in unreach.summary
    assert "4 collector commands, 3 failed, 2 of them" in out.note  # --previous noise is not a finding


def test_collection_errors_log_timeout_is_not_an_unreachable_server(bundle):
    ctx = bundle([node("gpu-node-1")], manifest={"commands": [
        cmd("nodes", "kubectl get nodes -o json", 0),
        cmd("log", "kubectl logs -n ml-serving qwen-0 -c vllm --timestamps --tail=81921", 124,
            "timed out after 60s", "ml-serving")]})
    [f] = collection_errors(ctx).findings
    assert f.severity == "info" and "1 collector command(s) timed out" in f.summary and "log (ml-serving)" in f.summary


def test_collection_errors_clear_and_skip(bundle):
    ok = bundle([node("gpu-node-1")], manifest={"commands": [cmd("nodes", "kubectl get nodes -o json", 0),
                                                             cmd("helm_releases", "helm list -A -o json", 127,
                                                                 "helm: command not found")]})
    assert collection_errors(ok).findings == []
    assert collection_errors(bundle([node("gpu-node-1")])).skipped


# --- CHK028 namespace-missing ----------------------------------------------------------------

def test_namespace_missing_and_terminating(bundle):
    ctx = bundle([namespace("dynamo-system"), namespace("team-b", phase="Terminating")],
                 manifest={"namespaces": ["dynamo-system", "llm-prod", "team-b"], "commands": [
                     cmd("log", "kubectl logs -n llm-prod qwen-0 -c main", 1,
                         'Error from server (NotFound): namespaces "llm-prod" not found', "llm-prod")]})
    out = namespace_missing(ctx)
    gone = next(f for f in out.findings if f.affected[0].name == "llm-prod")
    assert gone.severity == "critical" and gone.category == "cluster.namespace_missing"
    assert {e.path for e in gone.evidence} == {"cluster/namespaces.json", "manifest.json"}
    term = next(f for f in out.findings if f.affected[0].name == "team-b")
    assert term.severity == "error" and "Terminating" in term.summary


def test_namespace_missing_clear_and_skip(bundle):
    out = namespace_missing(bundle([namespace("dynamo-system")], manifest={"namespaces": ["dynamo-system"]}))
    assert out.findings == [] and "1 target namespace(s)" in out.note
    assert namespace_missing(bundle([node("gpu-node-1")], manifest={"namespaces": ["x"]})).skipped


# --- CHK029 dynamo-crds / CHK030 dynamo-operator ---------------------------------------------

def crd(name: str) -> dict:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": name},
            "spec": {"group": name.split(".", 1)[1], "scope": "Namespaced"}}


def dynamo_worker(name: str = "qwen-agg-vllmdecodeworker-8d5f9c7b4-h2k4x", graph: str = "qwen-agg") -> dict:
    spec, status = container("main", limits={"nvidia.com/gpu": "1"})
    spec["image"] = "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.7.1"
    return pod(name, "dynamo", containers=[(spec, status)],
               labels={"nvidia.com/dynamo-graph-deployment-name": graph, "nvidia.com/dynamo-component": "VllmDecodeWorker"})


def operator_pod(ready: bool = True) -> dict:
    spec, status = container("manager", ready=ready, restarts=0 if ready else 7,
                             state=None if ready else {"waiting": {"reason": "CrashLoopBackOff"}})
    spec["image"] = "nvcr.io/nvidia/ai-dynamo/kubernetes-operator:0.7.1"
    return pod("dynamo-platform-dynamo-operator-controller-manager-6vpx68zzx6-k97zj", "dynamo-system",
               node_name="cpu-node-1", scheduler="default-scheduler", containers=[(spec, status)])


def test_dynamo_crds_missing_while_dynamo_runs(bundle):
    [f] = dynamo_crds(bundle([crd("clusterpolicies.nvidia.com"), dynamo_worker(), operator_pod()])).findings
    assert f.category == "operator.crd_missing" and f.severity == "critical"
    assert "dynamographdeployments.nvidia.com is not installed" in f.summary
    assert f.evidence[0].path == "cluster/customresourcedefinitions.json"


def test_dynamo_crds_clear_and_skip(bundle):
    assert dynamo_crds(bundle([crd("dynamographdeployments.nvidia.com"), dynamo_worker()])).findings == []
    assert dynamo_crds(bundle([crd("clusterpolicies.nvidia.com"), node("gpu-node-1")])).findings == []  # not used
    assert dynamo_crds(bundle([dynamo_worker()])).skipped


def test_dynamo_operator_not_ready_and_absent(bundle):
    [f] = dynamo_operator(bundle([dgd(), operator_pod(ready=False), dynamo_worker()])).findings
    assert "is not ready" in f.summary and "7 restarts" in f.summary
    [g] = dynamo_operator(bundle([dgd(), dynamo_worker()])).findings
    assert "No Dynamo operator pod in any collected namespace" in g.summary
    assert g.evidence[0].path == "namespaces/dynamo/custom/dynamographdeployments.nvidia.com.json"


def test_dynamo_operator_clear_and_skip(bundle):
    assert dynamo_operator(bundle([dgd(), operator_pod(), dynamo_worker()])).findings == []
    explicit = dynamo_operator(bundle([dgd(), dynamo_worker()], manifest={"options": {"namespace_mode": "explicit"}}))
    assert explicit.findings == [] and "may not be collected" in explicit.note
    assert dynamo_operator(bundle([operator_pod()])).skipped


def test_real_collector_events_feed_the_checks(bundle):
    """A FailedScheduling event next to the webhook finding: the pipeline types stay compatible."""
    ctx = bundle([HAMI_SCHED, vgpu_pod("qwen-0"),
                  event("ml-serving", "qwen-0", "FailedScheduling",
                        "0/3 nodes are available: 3 Insufficient nvidia.com/gpumem.", component="default-scheduler")],
                 empty=("cluster/mutatingwebhookconfigurations.json",))
    assert hami_webhook(ctx).findings[0].severity == "critical"


# --- the sample bundles ------------------------------------------------------------------------

NEW = tuple(f"CHK0{n}" for n in range(20, 37))


def sample(name: str) -> dict:
    """The session's analysis of sample bundle ``name`` (``testkit.samples``)."""
    return sample_run(name).result


def test_healthy_sample_gets_nothing_above_warning_from_the_new_checks():
    r = sample("healthy-dynamo-agg")
    assert [f for f in r["findings"] if f["pattern"] in NEW] == []
    status = {c["name"][:6]: c for c in r["checks"]}
    assert status["CHK029"]["status"] == "clear" and "dynamographdeployments.nvidia.com" in status["CHK029"]["reason"]
    assert status["CHK026"]["reason"].endswith("cluster has: nvidia")


def test_webhook_sample_names_the_missing_webhook():
    r = sample("hami-webhook-not-applied")
    f = next(f for f in r["findings"] if f["pattern"] == "CHK020")
    assert f["severity"] == "critical" and f["evidence"][0]["path"] == "cluster/mutatingwebhookconfigurations.json"
    assert [rc["category"] for rc in r["root_causes"]] == ["hami.webhook_not_applied"]


def test_gpumem_sample_shows_the_fragmented_node():
    r = sample("hami-gpumem-pending")
    f = next(f for f in r["findings"] if f["pattern"] == "CHK025")
    assert "node gpu-a100-2 has 38912 MiB free in total across 2 cards but at most 22528 MiB on any one" in f["summary"]
