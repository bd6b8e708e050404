"""HAMi's formats as HAMi writes them (Project-HAMi/HAMi pkg/device/devices.go, the chart, the
protocol document): both register encodings and HAMi's own rejection rules, allocations,
handshakes, scheduler messages, components, webhook entries and the device ConfigMaps."""

from __future__ import annotations

import json

import pytest

from analyzer.gpu.hami import (REGISTER, component_of, container_component, decode_allocated, decode_register,
                               device_config, device_plugin_config, hami_webhooks, handshake, main_namespace,
                               parse_filtering, registered_devices, scheduler_device_config)

# docs/develop/protocol.md: the 7-field form of HAMi before the JSON register
OLD = ("GPU-00552014-5c87-89ac-b1a6-7b53aa24b0ec,10,32768,100,NVIDIA-Tesla V100-PCIE-32GB,0,true:"
       "GPU-0fc3eda5-e98b-a25b-5b0d-cf5c855d1448,10,32768,100,NVIDIA-Tesla V100-PCIE-32GB,0,true:")
# MarshalNodeDevices today: Go omitempty drops index 0, numa 0 and health false
NEW = json.dumps([
    {"id": "GPU-6f1c0a52-8d3e-4b8e-9a0f-3c2d1e4b5a69", "count": 10, "devmem": 81920, "devcore": 100,
     "type": "NVIDIA-NVIDIA A100-SXM4-80GB", "mode": "hami-core", "health": True},
    {"id": "GPU-0b9e2f31-7c4a-4d1b-8e6f-5a3c2b1d0e98", "index": 1, "count": 10, "devmem": 81920, "devcore": 100,
     "type": "NVIDIA-NVIDIA A100-SXM4-80GB", "numa": 1, "mode": "hami-core"}], separators=(",", ":"))
MIG = ('[{"id":"GPU-0","count":7,"devmem":40960,"devcore":100,"type":"NVIDIA-A100-SXM4-40GB","numa":0,'
       '"health":true,"mode":"mig","migProfiles":[{"name":"1g.5gb","memoryMB":5120,"core":14,"sliceCount":1,'
       '"instanceCount":7,"multiprocessorCount":14,"placements":[{"start":6,"size":1}]}]}]')


def test_register_json_form_as_hami_marshals_it():
    a, b = decode_register(NEW)
    assert (a.index, a.numa, a.health, a.devmem, a.count) == (0, 0, True, 81920, 10)
    assert (b.index, b.numa, b.health) == (1, 1, False)           # omitted health is false
    assert a.product == "NVIDIA A100-SXM4-80GB"                    # HAMi prefixes the vendor
    [mig] = decode_register(MIG)
    assert (mig.mode, mig.count, mig.devmem) == ("mig", 7, 40960)


def test_register_colon_forms():
    a, b = decode_register(OLD)
    assert [d.uuid[:12] for d in (a, b)] == ["GPU-00552014", "GPU-0fc3eda5"]
    assert (a.index, b.index, a.mode, a.health) == (0, 1, "hami-core", True)
    [nine] = decode_register("GPU-a,10,24576,100,NVIDIA-NVIDIA L4,1,false,3,mig:")
    assert (nine.index, nine.mode, nine.numa, nine.health) == (3, "mig", 1, False)
    # Go's strconv.ParseBool spellings
    assert [d.health for d in decode_register("GPU-a,1,1,100,T,0,True:GPU-b,1,1,100,T,0,1:GPU-c,1,1,100,T,0,f:")] \
        == [True, True, False]


@pytest.mark.parametrize("text", [
    OLD + "GPU-x,10,32768,100,NVIDIA-Tesla V100-PCIE-32GB,0:",       # one device with 6 fields
    OLD.replace(",10,", ",ten,", 1),                                  # a count that is no number
    OLD.replace(",true:", ",yes:", 1),                                # a health that is no Go bool
    OLD + "garbage:",                                                 # a segment without fields
    "GPU-a,10,24576,100,NVIDIA-L4,0,true",                            # no device separator at all
    '[{"id":"GPU-a","count":"10"}]',                                  # JSON count as a string
    '[{"id":"GPU-a","health":"true"}]',                               # JSON health as a string
    '{"id":"GPU-a"}', '[{broken json', '[1, 2]',
])
def test_register_hami_rejects_is_rejected_whole(text):
    """HAMi rejects the whole annotation (the node is "unregistered"), never one device of it."""
    with pytest.raises(ValueError):
        decode_register(text)
    assert registered_devices({REGISTER: text}) is None


def test_registered_devices_of_a_node():
    assert registered_devices({}) is None
    assert len(registered_devices({REGISTER: NEW})) == 2


def test_allocation_per_container():
    text = ("GPU-6f1c0a52-8d3e-4b8e-9a0f-3c2d1e4b5a69,NVIDIA,20000,30:GPU-0b9e2f31-7c4a-4d1b-8e6f-5a3c2b1d0e98,"
            "NVIDIA,20000,30:;GPU-6f1c0a52-8d3e-4b8e-9a0f-3c2d1e4b5a69,NVIDIA,1024,0:;")
    main, sidecar, _ = decode_allocated(text)
    assert [d[2] for d in main] == [20000, 20000] and sidecar == [("GPU-6f1c0a52-8d3e-4b8e-9a0f-3c2d1e4b5a69",
                                                                    "NVIDIA", 1024, 0)]


def test_handshake_states():
    state, t = handshake("Requesting_2026-11-20 10:10:00")
    assert state == "Requesting" and t.isoformat() == "2026-11-20T10:10:00+00:00"
    assert handshake("Deleted_2026-11-20 10:11:00")[0] == "Deleted"
    # what the device plugin writes: Go's time.Now().String()
    assert handshake("Reported 2024-01-23 04:30:04.434037031 +0000 UTC m=+1104711.777756895")[0] == "Reported"


def test_scheduler_messages():
    assert parse_filtering("1 nodes CardInsufficientMemory(vm-0-4-ubuntu)")["reasons"] == {
        "CardInsufficientMemory": ["vm-0-4-ubuntu"]}
    assert parse_filtering("no available node, 1 nodes do not meet")["total"] == 1
    hist = parse_filtering("0/1 nodes are available: 1 1/1 CardInsufficientMemory. no new claims to deallocate, "
                           "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
    assert hist["histogram"] == {"CardInsufficientMemory": 1} and hist["total"] == 1


def pod(name: str, ns: str = "hami-system", **labels: str) -> dict:
    return {"namespace": ns, "name": name, "labels": json.dumps(labels) if labels else None}


def test_components_by_chart_label_release_name_or_older_labels():
    assert component_of(pod("x-6d9f7-abcde", **{"app.kubernetes.io/component": "hami-scheduler"})) == "scheduler"
    assert component_of(pod("gpu-hami-device-plugin-x7k2p")) == "device plugin"      # release "gpu"
    assert component_of(pod("monitor-1", app="hami-vgpu-monitor")) == "vGPU monitor"
    assert component_of(pod("kube-scheduler-cp-1", "kube-system", component="kube-scheduler")) is None
    assert container_component("device plugin", "vgpu-monitor") == "vGPU monitor"
    assert container_component("device plugin", "device-plugin") == "device plugin"
    assert container_component(None, "vgpu-monitor") is None


def test_main_namespace():
    pods = [(pod("a", "gpu"), "scheduler"), (pod("b", "hami-system"), "device plugin"),
            (pod("c", "hami-system"), "device plugin")]
    assert main_namespace(pods, None) == "hami-system"
    assert main_namespace(pods, "gpu") == "gpu"          # the collector's fact wins
    assert main_namespace([], None) is None


def test_webhook_entries():
    named = {"metadata": {"name": "gpu-share"}, "webhooks": [{"name": "vgpu.hami.io"}]}
    served = {"metadata": {"name": "x"}, "webhooks": [{"name": "mutate.example",
                                                       "clientConfig": {"service": {"name": "gpu-hami-scheduler"}}}]}
    empty = {"metadata": {"name": "hami-webhook"}, "webhooks": []}   # mutates nothing
    other = {"metadata": {"name": "istio"}, "webhooks": [{"name": "sidecar-injector.istio.io"}]}
    assert [c["metadata"]["name"] for c, _ in hami_webhooks([named, served, empty, other])] == ["gpu-share", "x"]


DEVICE_YAML = ("nvidia:\n  resourceCountName: nvidia.com/gpu\n  defaultMemory: 0\n  defaultCores: 0\n"
               "  defaultGPUNum: 1\n  deviceSplitCount: 5\n  deviceMemoryScaling: 1.5\n  deviceCoreScaling: 1\n")


def configmap(name: str, data: dict) -> dict:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "gpu"}, "data": data,
            "_path": "namespaces/gpu/configmaps.json", "_line": 7}


def test_device_config_found_by_content_whatever_the_release():
    cms = [configmap("coredns", {"Corefile": ".:53 {}"}),
           configmap("gpu-hami-scheduler-device", {"device-config.yaml": DEVICE_YAML}),
           configmap("gpu-hami-device-plugin", {"config.json": json.dumps(
               {"nodeconfig": [{"name": "gpu-node-1", "devicesplitcount": 4}]})})]
    cm, key, section = scheduler_device_config(cms)
    assert (cm["metadata"]["name"], key, section["deviceSplitCount"]) == ("gpu-hami-scheduler-device",
                                                                          "device-config.yaml", 5)
    cfg = device_config(cms)
    assert (cfg.split, cfg.mem_scaling, cfg.namespace, cfg.name) == (5, 1.5, "gpu",
                                                                     "gpu-hami-scheduler-device/device-config.yaml")
    assert cfg.node_overrides == {"gpu-node-1": {"name": "gpu-node-1", "devicesplitcount": 4}}
    assert device_plugin_config(cms)[1] == [{"name": "gpu-node-1", "devicesplitcount": 4}]
    defaults = device_config([])
    assert (defaults.split, defaults.default_gpu_num, defaults.path) == (10, 1, None)
