"""HAMi scheduling and component checks and the GPU node checks (analyzer/checks/hami_scheduling.py,
hami_components.py, cluster.py): fire with the right numbers, stay clear on healthy input, skip
when the bundle lacks the source."""

from __future__ import annotations

import pytest
from checkdata import DEVICE_CONFIG, configmap, container, context, event, node, pod, register

from analyzer.checks.cluster import device_plugin_allocatable, no_gpu_nodes
from analyzer.checks.hami_components import hami_components, hami_handshake
from analyzer.checks.hami_scheduling import gpu_capacity, hami_filtering_reasons
from analyzer.gpu.hami import decode_allocated, decode_register, parse_filtering

NODE1 = [("GPU-0adaaba2-1f0c-4e2b-9a51-6f1e2d3c4b5a", 40960, 0), ("GPU-11dcec1d-7e3a-4f5b-8c6d-0a1b2c3d4e5f", 40960, 1)]
NODE2 = [("GPU-5b3c9e7f-2a4d-4c1e-b6f8-9d0e1f2a3b4c", 40960, 0), ("GPU-7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f", 40960, 1)]


def running(name: str, node_name: str, uuid: str, mem: int, cores: int) -> dict:
    """A running vGPU pod holding ``mem`` MiB and ``cores`` % of one card (HAMi's annotation)."""
    return pod(name, node_name=node_name,
               containers=[container(limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": str(mem),
                                             "nvidia.com/gpucores": str(cores)})],
               annotations={"hami.io/vgpu-devices-allocated": f"{uuid},NVIDIA,{mem},{cores}:;",
                            "hami.io/vgpu-node": node_name, "hami.io/bind-phase": "success"})


def cluster(*, json_form: bool = True, ask: dict | None = None, count: int = 10) -> list[dict]:
    """Two A100-40GB nodes, partly used; one Pending pod asking ``ask``."""
    ask = ask or {"nvidia.com/gpu": "1", "nvidia.com/gpumem": "24576", "nvidia.com/gpucores": "30"}
    return [
        node("gpu-node-1", gpus=20, reg=register(*NODE1, json_form=json_form, count=count),
             handshake="Reported 2026-11-20 10:14:50"),
        node("gpu-node-2", gpus=20, reg=register(*NODE2, json_form=json_form, count=count),
             handshake="Reported 2026-11-20 10:14:52"),
        node("cpu-node-1"),
        running("embed-0", "gpu-node-1", NODE1[0][0], 20480, 40),
        running("rerank-0", "gpu-node-1", NODE1[1][0], 30720, 30),
        running("chat-small-0", "gpu-node-2", NODE2[0][0], 18432, 50),
        running("chat-small-1", "gpu-node-2", NODE2[1][0], 24576, 20),
        configmap("hami-system", "hami-scheduler-device", {"device-config.yaml": DEVICE_CONFIG}),
        pod("qwen25-32b-0", phase="Pending", containers=[container("vllm", limits=ask)]),
        event("ml-serving", "qwen25-32b-0", "FailedScheduling",
              "0/3 nodes are available: 2 2/2 CardInsufficientMemory, 1 node unregistered. preemption: "
              "0/3 nodes are available: 3 No preemption victims found for incoming pod.", count=14,
              first="2026-11-20T09:50:00Z", last="2026-11-20T10:14:00Z"),
    ]


# --- decoding ---------------------------------------------------------------------------------

def test_register_both_encodings_decode_to_the_same_devices():
    a = decode_register(register(*NODE1, json_form=True))
    b = decode_register(register(*NODE1, json_form=False))
    assert [(d.uuid, d.devmem, d.count, d.devcore, d.health) for d in a] == \
           [(d.uuid, d.devmem, d.count, d.devcore, d.health) for d in b] == \
           [(NODE1[0][0], 40960, 10, 100, True), (NODE1[1][0], 40960, 10, 100, True)]


def test_register_nine_field_form_and_json_omitempty():
    devs = decode_register("GPU-a,4,24576,100,NVIDIA-NVIDIA L4,0,false,3,mig:")
    assert (devs[0].index, devs[0].mode, devs[0].health) == (3, "mig", False)
    # Go omitempty drops health=false and index=0
    devs = decode_register('[{"id":"GPU-b","count":10,"devmem":81920,"devcore":100,"type":"NVIDIA-H100"}]')
    assert (devs[0].index, devs[0].health) == (0, False)
    with pytest.raises(ValueError):
        decode_register("GPU-a,10,24576")


def test_allocated_annotation_per_container():
    assert decode_allocated("GPU-a,NVIDIA,20000,30:GPU-b,NVIDIA,20000,30:;GPU-c,NVIDIA,1000,0:;") == [
        [("GPU-a", "NVIDIA", 20000, 30), ("GPU-b", "NVIDIA", 20000, 30)], [("GPU-c", "NVIDIA", 1000, 0)], []]


# --- CHK010 gpu-capacity --------------------------------------------------------------------

@pytest.mark.parametrize("json_form", [True, False])
def test_gpu_capacity_reports_memory_shortfall(json_form):
    out = gpu_capacity(context(cluster(json_form=json_form)))
    assert len(out.findings) == 1
    f = out.findings[0]
    assert f.category == "scheduling.insufficient_gpumem"
    assert "requests 1 GPU x 24576 MiB, 30% cores" in f.summary
    assert "best node gpu-node-2 has 22528 MiB free on its largest device (2048 MiB short)" in f.summary
    assert "2 node(s) checked" in f.summary
    nodes = {n["node"]: n for n in f.details["nodes"]}
    assert nodes["gpu-node-1"]["largest_free_mem_mib"] == 20480
    assert nodes["gpu-node-2"]["reasons"] == {"CardInsufficientMemory": 2}
    assert f.details["hami_config"]["deviceSplitCount"] == 10
    assert f.count == 14  # the FailedScheduling event's count
    assert any("configmap/hami-scheduler-device/device-config.yaml" in e.text for e in f.evidence)
    assert f.affected[0].name == "qwen25-32b-0"


def test_gpu_capacity_memory_percentage_is_of_device_memory():
    out = gpu_capacity(context(cluster(ask={"nvidia.com/gpu": "1", "nvidia.com/gpumem-percentage": "60"})))
    assert "requests 1 GPU x 60% of device memory" in out.findings[0].summary
    assert "(2048 MiB short)" in out.findings[0].summary  # 60% of 40960 = 24576


def test_gpu_capacity_clear_when_a_card_has_room():
    out = gpu_capacity(context(cluster(ask={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "20000"})))
    assert out.findings == [] and out.skipped is None
    assert out.note == ("1 Pending GPU pod(s) checked against 3 nodes; GPU capacity is free for qwen25-32b-0 "
                        "(fits gpu-node-1, gpu-node-2): not what they wait on")


def test_gpu_capacity_cores_and_slots():
    out = gpu_capacity(context(cluster(ask={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "1000",
                                            "nvidia.com/gpucores": "90"})))
    f = out.findings[0]
    assert f.category == "scheduling.insufficient_gpucores"
    assert "best node gpu-node-2 has 80% cores free on its best device (10% short)" in f.summary
    out = gpu_capacity(context(cluster(ask={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "1000"}, count=1)))
    f = out.findings[0]
    assert f.category == "scheduling.insufficient_gpu"
    assert f.details["dominant_reason"] == "CardTimeSlicingExhausted"
    assert "0 fitting device(s) of 2 (0 free slot(s))" in f.summary


def test_gpu_capacity_card_type_selector_is_node_affinity():
    objs = cluster(ask={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "1000"})
    objs[-2]["metadata"]["annotations"]["nvidia.com/use-gputype"] = "H100"
    f = gpu_capacity(context(objs)).findings[0]
    assert f.category == "scheduling.node_affinity"
    assert f.details["nodes"][0]["reasons"] == {"CardTypeMismatch": 2}
    assert "use-gputype" in f.remediation


def test_gpu_capacity_two_gpus_need_two_fitting_cards():
    out = gpu_capacity(context(cluster(ask={"nvidia.com/gpu": "2", "nvidia.com/gpumem": "20000"})))
    f = out.findings[0]
    # each node has one card with room and one without: HAMi says "1/2 CardInsufficientMemory"
    assert f.category == "scheduling.insufficient_gpumem"
    assert "requests 2 GPUs x 20000 MiB" in f.summary
    assert "best node gpu-node-2 has 16384 MiB free on its 2nd largest device (3616 MiB short)" in f.summary
    assert f.details["nodes"][1]["fitting_devices"] == 1
    out = gpu_capacity(context(cluster(ask={"nvidia.com/gpu": "3", "nvidia.com/gpumem": "1000"})))
    assert out.findings[0].details["dominant_reason"] == "NodeInsufficientDevice"
    assert "requests 3 GPUs x 1000 MiB; best node gpu-node-1 has 0 fitting device(s) of 2" in out.findings[0].summary


def test_gpu_capacity_estimates_usage_without_allocation_annotation():
    objs = cluster(ask={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "30000"})
    objs.append(pod("legacy-0", node_name="gpu-node-2",
                    containers=[container(limits={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "20000"})]))
    f = gpu_capacity(context(objs)).findings[0]
    # legacy-0 is placed on gpu-node-2's card with most room (22528 free -> 2528); 16384 is left
    nodes = {n["node"]: n for n in f.details["nodes"]}
    assert nodes["gpu-node-2"]["largest_free_mem_mib"] == 16384
    assert "best node gpu-node-1 has 20480 MiB free on its largest device (9520 MiB short)" in f.summary
    assert any("usage estimated" in n for n in f.details["estimates"])


def test_gpu_capacity_without_hami_uses_allocatable_minus_allocated():
    objs = [node("gpu-node-1", gpus=8), node("gpu-node-2", gpus=8, allocatable=8),
            *[pod(f"train-{i}", node_name=f"gpu-node-{1 + i // 2}", scheduler="default-scheduler",
                  containers=[container(limits={"nvidia.com/gpu": "4"})]) for i in range(4)],
            pod("llama-70b-0", phase="Pending", scheduler="default-scheduler",
                containers=[container(limits={"nvidia.com/gpu": "2"})])]
    f = gpu_capacity(context(objs)).findings[0]
    assert f.category == "scheduling.insufficient_gpu"
    assert "requests 2 nvidia.com/gpu; best node gpu-node-1 has 0 free (allocatable 8, allocated 8)" in f.summary
    objs.pop(2)  # one training pod fewer on gpu-node-1: 4 free
    assert gpu_capacity(context(objs)).findings == []


def test_gpu_capacity_ignores_cordoned_nodes_and_says_so():
    objs = cluster(ask={"nvidia.com/gpu": "1", "nvidia.com/gpumem": "21000"})  # fits only gpu-node-2
    objs[1] = node("gpu-node-2", gpus=20, reg=register(*NODE2), unschedulable=True)
    f = gpu_capacity(context(objs)).findings[0]
    assert "1 cordoned/NotReady node(s) not counted" in f.summary
    assert f.details["excluded_nodes"] == ["gpu-node-2"]


def test_gpu_capacity_skips_and_clears():
    assert gpu_capacity(context([node("gpu-node-1", gpus=8)])).skipped == "no pods in the bundle"
    assert gpu_capacity(context([pod("a", phase="Pending")])).skipped.startswith("no nodes")
    out = gpu_capacity(context([node("gpu-node-1", gpus=8), pod("a")]))
    assert out.findings == [] and out.note.startswith("no Pending pod waits for GPUs")


# --- CHK011 filtering reasons -----------------------------------------------------------------

def test_parse_filtering_message_forms():
    assert parse_filtering("2 nodes CardInsufficientMemory(gpu-node-1,gpu-node-2)")["reasons"] == {
        "CardInsufficientMemory": ["gpu-node-1", "gpu-node-2"]}
    assert parse_filtering("no available node, 3 nodes do not meet")["total"] == 3
    assert parse_filtering("no available node, all node scores do not meet")["total"] is None
    h = parse_filtering("0/4 nodes are available: 2 1/2 CardInsufficientCore, 1/2 CardInsufficientMemory, "
                        "1 2/2 CardTypeMismatch, 1 node unregistered. preemption: 0/4 nodes are available: "
                        "4 No preemption victims found for incoming pod..")
    assert h["histogram"] == {"CardInsufficientCore": 2, "CardInsufficientMemory": 2, "CardTypeMismatch": 1,
                              "node unregistered": 1}
    assert h["total"] == 4


def test_filtering_reasons_counts_per_reason_and_node():
    ns, p = "ml-serving", "qwen25-32b-0"
    ctx = context([
        event(ns, p, "FilteringFailed", "2 nodes CardInsufficientMemory(gpu-node-1,gpu-node-2)", count=9),
        event(ns, p, "FilteringFailed", "1 nodes CardTypeMismatch(gpu-node-3)", count=9),
        event(ns, p, "FilteringFailed", "no available node, 3 nodes do not meet", count=9),
        event(ns, p, "Scheduled", "Successfully assigned ml-serving/other to gpu-node-1",
              component="default-scheduler", typ="Normal"),
    ])
    out = hami_filtering_reasons(ctx)
    assert len(out.findings) == 1
    f = out.findings[0]
    assert f.category == "scheduling.insufficient_gpumem"
    assert f.summary == ("hami-scheduler could not place pod qwen25-32b-0: CardInsufficientMemory on 2 node(s) "
                         "(gpu-node-1, gpu-node-2); CardTypeMismatch on 1 node(s) (gpu-node-3) (of 3 nodes); "
                         "27 event(s)")
    assert f.details["reasons"] == {"CardInsufficientMemory": 2, "CardTypeMismatch": 1}
    assert f.details["nodes"]["gpu-node-3"] == ["CardTypeMismatch"]
    assert f.count == 27


@pytest.mark.parametrize("message,category", [
    ("0/2 nodes are available: 2 2/2 CardInsufficientCore.", "scheduling.insufficient_gpucores"),
    ("0/3 nodes are available: 3 1/1 CardUuidMismatch.", "scheduling.node_affinity"),
    ("0/2 nodes are available: 2 2/2 CardTimeSlicingExhausted.", "scheduling.insufficient_gpu"),
])
def test_filtering_reasons_category_from_dominant_reason(message, category):
    out = hami_filtering_reasons(context([event("ml", "p-0", "FailedScheduling", message)]))
    assert out.findings[0].category == category


def test_filtering_reasons_clear_and_skipped():
    out = hami_filtering_reasons(context([event("ml", "p-0", "FilteringSucceed",
                                                "find fit node(gpu-node-1), 0 nodes not fit, 1 nodes fit(gpu-node-1:3.50)",
                                                typ="Normal")]))
    assert out.findings == [] and out.note == "1 events checked: no HAMi filtering failure"
    # kube-scheduler's own reasons are not HAMi's
    out = hami_filtering_reasons(context([event("ml", "p-0", "FailedScheduling",
                                                "0/3 nodes are available: 3 Insufficient cpu.",
                                                component="default-scheduler")]))
    assert out.findings == []
    assert hami_filtering_reasons(context([pod("a")])).skipped == "no events in the bundle"


# --- CHK012 components -----------------------------------------------------------------------

def hami_pod(name: str, component: str, **kw) -> dict:
    return pod(name, "hami-system", scheduler="default-scheduler",
               labels={"app.kubernetes.io/component": component, "app.kubernetes.io/name": "hami"}, **kw)


def test_hami_components_unhealthy_device_plugin():
    crash = container("device-plugin", ready=False, restarts=7,
                      state={"waiting": {"reason": "CrashLoopBackOff"}},
                      last={"terminated": {"reason": "Error", "exitCode": 1}})
    ctx = context([hami_pod("hami-scheduler-6d9f7-abcde", "hami-scheduler"),
                   hami_pod("hami-device-plugin-x7k2p", "hami-device-plugin", node_name="gpu-node-2",
                            containers=[crash, container("vgpu-monitor")])])
    out = hami_components(ctx)
    assert len(out.findings) == 1
    f = out.findings[0]
    assert f.category == "hami.component_unhealthy" and f.severity == "error"
    assert ("HAMi device plugin pod hami-device-plugin-x7k2p is not healthy: container device-plugin "
            "CrashLoopBackOff, 7 restarts, last exit 1; node gpu-node-2 stops registering") in f.summary
    assert f.node == "gpu-node-2"


def test_hami_components_monitor_container_is_the_monitor():
    """The chart runs the vGPU monitor as a container of the device-plugin pod: its failure is the
    monitor's (a warning), the device plugin itself still registers the node's GPUs."""
    monitor = container("vgpu-monitor", ready=False, restarts=4, state={"waiting": {"reason": "CrashLoopBackOff"}},
                        last={"terminated": {"reason": "Error", "exitCode": 2}})
    ctx = context([hami_pod("hami-scheduler-6d9f7-abcde", "hami-scheduler"),
                   hami_pod("hami-device-plugin-x7k2p", "hami-device-plugin", node_name="gpu-node-2",
                            containers=[container("device-plugin"), monitor])])
    [f] = hami_components(ctx).findings
    assert f.severity == "warning" and f.details["component"] == "vGPU monitor"
    assert f.summary.startswith("HAMi vGPU monitor pod hami-device-plugin-x7k2p is not healthy: container vgpu-monitor")
    assert f.affected[0].container == "vgpu-monitor"


def test_hami_components_found_by_release_prefixed_names():
    """``helm install gpu hami`` names the pods ``gpu-hami-scheduler-...``; older charts label ``app=``."""
    crash = container("device-plugin", ready=False, restarts=5, state={"waiting": {"reason": "CrashLoopBackOff"}})
    ctx = context([pod("gpu-hami-scheduler-6d9f7-abcde", "hami-system", node_name="cpu-node-1", labels={}),
                   pod("gpu-hami-device-plugin-x7k2p", "hami-system", labels={"app": "other"}, containers=[crash])])
    [f] = hami_components(ctx).findings
    assert f.details["component"] == "device plugin" and "2 HAMi pod(s) checked" == hami_components(ctx).note


def test_hami_components_healthy_and_absent():
    ok = context([hami_pod("hami-scheduler-6d9f7-abcde", "hami-scheduler"),
                  hami_pod("hami-device-plugin-x7k2p", "hami-device-plugin")])
    out = hami_components(ok)
    assert out.findings == [] and out.note == "2 HAMi pod(s) checked"
    absent = context([pod("other-0", "hami-system", labels={"app": "other"}),
                      pod("chat-0", phase="Pending", containers=[container(limits={"nvidia.com/gpumem": "8000"})])],
                     facts={"hami_namespace": "hami-system"})
    f = hami_components(absent).findings[0]
    assert f.severity == "critical"
    assert "1 pod(s) request HAMi resources (e.g. chat-0) but namespace hami-system has no hami-scheduler pod" == f.summary
    # HAMi namespace unknown: cannot tell "not installed" from "not collected"
    assert hami_components(context([pod("chat-0", containers=[container(limits={"nvidia.com/gpumem": "8000"})])])).findings == []
    assert hami_components(context([node("n")])).skipped == "no pods in the bundle"


# --- CHK013 handshake ------------------------------------------------------------------------

@pytest.mark.parametrize("value,fires", [
    ("Requesting_2026-11-20 10:10:00", True),    # 300 s before collected_at 10:15:00
    ("Requesting_2026-11-20 10:14:30", False),   # 30 s: the plugin may still answer
    ("Deleted_2026-11-20 10:11:00", True),
    ("Reported 2026-11-20 10:14:58", False),
])
def test_handshake(value, fires):
    out = hami_handshake(context([node("gpu-node-1", gpus=20, reg=register(*NODE1), handshake=value)]))
    assert bool(out.findings) == fires
    if fires:
        f = out.findings[0]
        assert f.summary.startswith(f"Node gpu-node-1: hami.io/node-handshake={value}")
        assert f.category == "hami.component_unhealthy" and f.node == "gpu-node-1"
    if value.startswith("Requesting_2026-11-20 10:10"):
        assert "(300 s before collected_at)" in out.findings[0].summary


def test_handshake_skipped_without_annotation():
    out = hami_handshake(context([node("gpu-node-1", gpus=8)]))
    assert out.skipped.startswith("no node carries hami.io/node-handshake")


# --- CHK016 / CHK017 ------------------------------------------------------------------------

def test_no_gpu_nodes():
    gpu_pod = pod("llama-0", phase="Pending", scheduler="default-scheduler",
                  containers=[container(limits={"nvidia.com/gpu": "1"})])
    f = no_gpu_nodes(context([node("cpu-1"), node("cpu-2"), gpu_pod])).findings[0]
    assert f.category == "cluster.no_gpu_nodes"
    assert f.summary.startswith("1 pod(s) ask for GPUs (e.g. llama-0) but none of the 2 node(s) advertises nvidia.com/gpu")
    assert no_gpu_nodes(context([node("gpu-1", gpus=8), gpu_pod])).findings == []
    assert no_gpu_nodes(context([gpu_pod])).skipped


def test_device_plugin_allocatable():
    labelled = node("gpu-node-3", labels={"nvidia.com/gpu.present": "true",
                                          "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"})
    zero = node("gpu-node-4", gpus=8, allocatable=0)
    out = device_plugin_allocatable(context([labelled, zero, node("gpu-node-1", gpus=8), node("cpu-1")]))
    assert [f.node for f in out.findings] == ["gpu-node-3", "gpu-node-4"]
    assert out.findings[0].category == "gpu.device_plugin"
    assert ("Node gpu-node-3 has GPUs (label nvidia.com/gpu.present=true, nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3) "
            "but nvidia.com/gpu capacity is missing and allocatable missing") == out.findings[0].summary
    assert "capacity is 8 and allocatable 0" in out.findings[1].summary
    assert device_plugin_allocatable(context([node("gpu-node-1", gpus=8)])).findings == []
    assert device_plugin_allocatable(context([pod("a")])).skipped == "no nodes in the bundle"
