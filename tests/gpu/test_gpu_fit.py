"""HAMi's request defaults, card checks (its CheckType/CheckUUID semantics) and each node's free
devices after the pods it holds."""

from __future__ import annotations

import pytest

from analyzer.gpu.fit import (allocation_mismatches, container_request, device_reason, excluded_by, fit_node,
                              node_inventory)
from analyzer.gpu.hami import Device, HamiConfig

A100 = "NVIDIA-NVIDIA A100-SXM4-80GB"


def card(uuid: str = "GPU-a", **kw) -> Device:
    return Device(**{"uuid": uuid, "index": 0, "count": 10, "devmem": 81920, "devcore": 100, "type": A100,
                     "health": True, **kw})


@pytest.mark.parametrize("annotations,excluded", [
    ({"nvidia.com/use-gputype": "a100"}, []),                             # substring, any case
    ({"nvidia.com/use-gputype": "H100, "}, ["nvidia.com/use-gputype"]),    # a blank element is no wildcard
    ({"nvidia.com/use-gputype": " "}, []),                                # a blank list is no constraint
    ({"nvidia.com/nouse-gputype": "A100"}, ["nvidia.com/nouse-gputype"]),
    ({"nvidia.com/use-gpuuuid": "GPU-b, GPU-a"}, []),                     # uuids trimmed, exact
    ({"nvidia.com/use-gpuuuid": "GPU-ab"}, ["nvidia.com/use-gpuuuid"]),
    ({"nvidia.com/nouse-gpuuuid": " GPU-a"}, ["nvidia.com/nouse-gpuuuid"]),
])
def test_selection_annotations_read_as_hami_reads_them(annotations, excluded):
    assert excluded_by(annotations, "GPU-a", A100) == excluded


def test_request_defaults():
    cfg = HamiConfig(default_memory=0, default_cores=0, default_gpu_num=1)
    only_gpu = container_request({"name": "main", "gpu": 1}, cfg)
    assert (only_gpu.nums, only_gpu.mem, only_gpu.pct) == (1, 0, 100)    # no gpumem: the whole card
    assert only_gpu.memreq(card()) == 81920
    hami_only = container_request({"name": "main", "gpumem": 8000}, cfg)
    assert (hami_only.nums, hami_only.mem) == (1, 8000)                  # the webhook adds defaultGPUNum
    with_default = container_request({"name": "main", "gpu": 2}, HamiConfig(default_memory=4096))
    assert (with_default.mem, with_default.pct, with_default.text()) == (4096, None, "2 GPUs x 4096 MiB")
    assert container_request({"name": "main"}, cfg) is None


def test_card_checks_in_hami_order():
    req = container_request({"name": "main", "gpu": 1, "gpumem": 40000, "gpucores": 50}, HamiConfig())
    assert device_reason(card(health=False), req, {}) == "CardNotHealth"
    assert device_reason(card(), req, {"nvidia.com/use-gputype": "H100"}) == "CardTypeMismatch"
    assert device_reason(card(), req, {"nvidia.com/nouse-gpuuuid": "GPU-a"}) == "CardUuidMismatch"
    assert device_reason(card(used=10), req, {}) == "CardTimeSlicingExhausted"
    assert device_reason(card(usedmem=50000), req, {}) == "CardInsufficientMemory"
    assert device_reason(card(usedcores=60), req, {}) == "CardInsufficientCore"
    assert device_reason(card(), req, {}) is None


def test_allocation_judged_by_the_registered_card_type():
    ann = {"nvidia.com/use-gputype": "H100", "hami.io/vgpu-devices-allocated": "GPU-a,NVIDIA,10240,30:;"}
    assert allocation_mismatches(ann, {"GPU-a": A100}) == [f"GPU-a type {A100} not in nvidia.com/use-gputype"]
    # the allocation only names the vendor: without the register the type is not judged
    assert allocation_mismatches(ann, {}) == []
    ok = {"nvidia.com/use-gputype": "A100", "hami.io/vgpu-devices-allocated": "GPU-a,NVIDIA,10240,30:;"}
    assert allocation_mismatches(ok, {"GPU-a": A100}) == []


def test_fit_reports_the_reasons_of_every_card():
    req = container_request({"name": "main", "gpu": 1, "gpumem": 40000}, HamiConfig())
    nf = fit_node("n1", "cluster/nodes.json", 3, [card("GPU-a", usedmem=50000), card("GPU-b", health=False)], [req], {})
    assert not nf.fits and dict(nf.reasons) == {"CardInsufficientMemory": 1, "CardNotHealth": 1}
    assert nf.free_mems == [31920]
    two = container_request({"name": "main", "gpu": 3}, HamiConfig())
    assert dict(fit_node("n1", "p", None, [card()], [two], {}).reasons) == {"NodeInsufficientDevice": 1}


def test_inventory_counts_what_live_pods_hold_on_each_card():
    registered = {"n1": [card("GPU-a"), card("GPU-b")]}
    pods = [
        # a two-GPU pod: HAMi records its share on each card it holds
        {"namespace": "ml", "name": "tp2", "node": "n1", "phase": "Running", "gpu": 2, "gpumem": 20000,
         "annotations": '{"hami.io/vgpu-devices-allocated":"GPU-a,NVIDIA,20000,30:GPU-b,NVIDIA,20000,30:;"}'},
        # no allocation annotation: its limits are placed as HAMi would (whole card by default)
        {"namespace": "ml", "name": "plain", "node": "n1", "phase": "Running", "gpu": 1, "annotations": "{}"},
        {"namespace": "ml", "name": "done", "node": "n1", "phase": "Succeeded", "gpu": 1,
         "annotations": '{"hami.io/vgpu-devices-allocated":"GPU-a,NVIDIA,60000,70:;"}'},
    ]
    containers = {("ml", "plain"): [{"name": "main", "gpu": 1}]}
    inventory, notes = node_inventory(registered, pods, containers, HamiConfig())
    a, b = inventory["n1"]
    assert (a.usedmem, b.usedmem, a.usedcores + b.usedcores) == (20000 + 81920, 20000, 60)
    assert notes == ["plain on n1 has no hami.io/vgpu-devices-allocated annotation: usage estimated from its limits"]
    assert registered["n1"][0].usedmem == 0          # the registered devices stay as registered
