"""HAMi's placement of a request on a node's devices, and what each node's devices hold.

``container_request`` is HAMi's ``GenerateResourceRequests`` for one container (the
``hami-scheduler-device`` defaults filled in); ``device_reason`` is its per-card check, in the
order HAMi runs them; ``fit_node`` places every container of a pod on one node, first fit;
``node_inventory`` is each registered node's devices minus what its live pods hold.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from analyzer.findings import PodRef
from analyzer.gpu.hami import (ALLOCATED, NOUSE_TYPE, NOUSE_UUID, USE_TYPE, USE_UUID, Device, HamiConfig,
                               decode_allocated, registered_devices)
from analyzer.gpu.resources import holds_devices, requests_gpu, requests_hami
from analyzer.tables import from_json


@dataclass
class Request:
    """What one container asks HAMi for (after HAMi's own defaults)."""

    container: str
    nums: int
    mem: int            # MiB per GPU, 0 when given as a percentage
    pct: int | None     # gpumem-percentage, None when memory is in MiB
    cores: int

    def memreq(self, dev: Device) -> int:
        return self.mem if self.mem > 0 else (dev.devmem * self.pct // 100 if self.pct is not None else 0)

    def text(self) -> str:
        mem = f"{self.mem} MiB" if self.mem else f"{self.pct}% of device memory"
        cores = f", {self.cores}% cores" if self.cores else ""
        return f"{self.nums} GPU{'s' if self.nums != 1 else ''} x {mem}{cores}"


def container_request(row: dict[str, Any], cfg: HamiConfig) -> Request | None:
    """HAMi's ``GenerateResourceRequests`` for one container row (None: no GPU asked)."""
    nums = row.get("gpu")
    if nums is None and requests_hami(row):
        nums = cfg.default_gpu_num  # the webhook adds nvidia.com/gpu: defaultGPUNum
    if not nums:
        return None
    mem, pct = row.get("gpumem") or 0, row.get("gpumem_percentage")
    if not mem and pct is None:
        if cfg.default_memory:
            mem = cfg.default_memory
        else:
            pct = 100
    cores = row.get("gpucores")
    return Request(row.get("name") or "", int(nums), int(mem), pct,
                   int(cfg.default_cores if cores is None else min(cores, 100)))


def _listed(annotations: dict[str, str], key: str, hit) -> bool | None:
    """Whether an element of the comma list ``annotations[key]`` satisfies ``hit``; None when the
    annotation is absent or blank (HAMi's "no constraint")."""
    value = annotations.get(key)
    if value is None or not str(value).strip():
        return None
    return any(hit(t) for t in (x.strip() for x in str(value).split(",")) if t)


def excluded_by(annotations: dict[str, str], uuid: str, device_type: str) -> list[str]:
    """The pod's GPU selection annotations that exclude a card, as HAMi's ``CheckUUID`` and
    ``CheckType`` read them: uuids compared exactly, types as case-insensitive substrings of the
    card type, blank elements and blank annotations ignored."""
    is_type = lambda t: t.upper() in device_type.upper()  # noqa: E731
    out = []
    if _listed(annotations, USE_TYPE, is_type) is False:
        out.append(USE_TYPE)
    if _listed(annotations, NOUSE_TYPE, is_type):
        out.append(NOUSE_TYPE)
    if _listed(annotations, USE_UUID, lambda u: u == uuid) is False:
        out.append(USE_UUID)
    if _listed(annotations, NOUSE_UUID, lambda u: u == uuid):
        out.append(NOUSE_UUID)
    return out


def device_reason(dev: Device, req: Request, annotations: dict[str, str]) -> str | None:
    """Why HAMi rejects ``dev`` for ``req`` (its card-check pipeline order), None when it fits."""
    if not dev.health:
        return "CardNotHealth"
    excluded = excluded_by(annotations, dev.uuid, dev.type)
    if USE_TYPE in excluded or NOUSE_TYPE in excluded:
        return "CardTypeMismatch"
    if excluded:
        return "CardUuidMismatch"
    if dev.count <= dev.used:
        return "CardTimeSlicingExhausted"
    if dev.free_mem < req.memreq(dev):
        return "CardInsufficientMemory"
    if dev.free_cores < req.cores:
        return "CardInsufficientCore"
    if dev.devcore == 100 and req.cores == 100 and dev.used > 0:
        return "ExclusiveDeviceAllocateConflict"
    if dev.devcore and dev.usedcores == dev.devcore and req.cores == 0:
        return "CardComputeUnitsExhausted"
    return None


def allocation_mismatches(annotations: dict[str, str], card_types: dict[str, str]) -> list[str]:
    """The allocated cards (``hami.io/vgpu-devices-allocated``) that the pod's own
    use-/nouse-gpuuuid and use-/nouse-gputype annotations exclude.

    The allocation names each card's vendor (``NVIDIA``), not its model: a card's type is the
    one its node registered (``card_types``: uuid -> type); without it the type is not judged."""
    wrong = []
    for ctr in decode_allocated(annotations.get(ALLOCATED, "")):
        for uuid, _, _, _ in ctr:
            typ = card_types.get(uuid)
            excluded = excluded_by(annotations, uuid, typ or "")
            if typ is None:
                excluded = [k for k in excluded if k not in (USE_TYPE, NOUSE_TYPE)]
            # in the order the check has always listed them: uuids first
            wrong += [f"{uuid} not in {USE_UUID}"] if USE_UUID in excluded else []
            wrong += [f"{uuid} listed in {NOUSE_UUID}"] if NOUSE_UUID in excluded else []
            wrong += [f"{uuid} type {typ} not in {USE_TYPE}"] if USE_TYPE in excluded else []
            wrong += [f"{uuid} type {typ} listed in {NOUSE_TYPE}"] if NOUSE_TYPE in excluded else []
    return wrong


@dataclass
class NodeFit:
    """One node's answer to one pod."""

    node: str
    path: str
    line: int | None
    fits: bool
    reasons: Counter = field(default_factory=Counter)   # reason -> devices failing it
    devices: int = 0
    best_free_mem: int = 0
    best_free_cores: int = 0
    free_mems: list[int] = field(default_factory=list)    # healthy cards with a free slot, descending
    free_cores: list[int] = field(default_factory=list)
    free_slots: int = 0
    usable: int = 0             # devices passing every check for the first unmet request
    need: Request | None = None  # the first request the node cannot meet
    cards: list[dict[str, Any]] = field(default_factory=list)  # each device's free share before the pod

    def kth(self, values: list[int], k: int) -> int:
        """The k-th largest free amount (a k-GPU request needs k cards with that much)."""
        return values[k - 1] if len(values) >= k else 0

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.node, "fits": self.fits, "devices": self.devices,
                "largest_free_mem_mib": self.best_free_mem, "most_free_cores": self.best_free_cores,
                "free_slots": self.free_slots, "fitting_devices": self.usable,
                "reasons": dict(sorted(self.reasons.items())), "devices_free": self.cards}


def fit_node(name: str, path: str, line: int | None, devices: list[Device], reqs: list[Request],
             annotations: dict[str, str]) -> NodeFit:
    """Place every container's request on the node's devices, as HAMi would (first fit)."""
    devs = [replace(d) for d in devices]
    nf = NodeFit(name, path, line, True, devices=len(devs))
    healthy = [d for d in devs if d.health]
    nf.free_mems = sorted((d.free_mem for d in healthy if d.free_slots > 0), reverse=True)
    nf.free_cores = sorted((d.free_cores for d in healthy if d.free_slots > 0), reverse=True)
    nf.best_free_mem = nf.free_mems[0] if nf.free_mems else 0
    nf.best_free_cores = nf.free_cores[0] if nf.free_cores else 0
    nf.free_slots = sum(max(d.free_slots, 0) for d in healthy)
    nf.cards = [{"uuid": d.uuid, "type": d.type, "devmem_mib": d.devmem, "free_mem_mib": d.free_mem,
                 "free_cores": d.free_cores, "free_slots": d.free_slots, "health": d.health} for d in devs]
    for req in reqs:
        if len(devs) < req.nums:
            nf.fits, nf.need = False, req
            nf.reasons["NodeInsufficientDevice"] += 1
            return nf
        ok, reasons = [], Counter()
        for d in devs:
            why = device_reason(d, req, annotations)
            if why:
                reasons[why] += 1
            else:
                ok.append(d)
        if len(ok) < req.nums:
            nf.fits, nf.need, nf.usable = False, req, len(ok)
            nf.reasons = reasons if reasons else Counter({"AllocatedCardsInsufficientRequest": 1})
            if reasons and ok:
                nf.reasons["AllocatedCardsInsufficientRequest"] += 1
            return nf
        take(ok, req)
    return nf


def take(devices: list[Device], req: Request, order=lambda d: -d.free_mem) -> None:
    """Give ``req`` its ``nums`` devices, best first by ``order``."""
    for d in sorted(devices, key=order)[:req.nums]:
        d.used += 1
        d.usedmem += req.memreq(d)
        d.usedcores += req.cores


def devices_by_node(nodes: list[dict[str, Any]]) -> dict[str, list[Device]]:
    """Each node's devices as its HAMi device plugin registered them (nodes without a register,
    or with one HAMi would reject, left out)."""
    out: dict[str, list[Device]] = {}
    for r in nodes:
        devices = registered_devices(from_json(r.get("annotations"), {}) or {})
        if devices is not None:
            out[r["name"]] = devices
    return out


def node_inventory(devices: dict[str, list[Device]], pods: list[dict[str, Any]],
                   app_containers: dict[tuple, list[dict[str, Any]]],
                   cfg: HamiConfig) -> tuple[dict[str, list[Device]], list[str]]:
    """Each registered node's devices minus what its live pods hold (``hami.io/vgpu-devices-
    allocated``, else the containers' limits placed as HAMi would); and notes on estimates.

    ``devices``: node -> its registered devices (``devices_by_node``), left unchanged;
    ``app_containers``: ``(namespace, pod)`` -> the pod's app container rows."""
    inventory = {node: [replace(d) for d in devs] for node, devs in devices.items()}
    notes: list[str] = []
    if not inventory:
        return inventory, notes
    for p in pods:
        if p.get("node") not in inventory or not holds_devices(p):
            continue
        devs = inventory[p["node"]]
        by_uuid = {d.uuid: d for d in devs}
        ann = from_json(p.get("annotations"), {}) or {}
        if ann.get(ALLOCATED):
            for ctr in decode_allocated(ann[ALLOCATED]):
                for uuid, _, mem, cores in ctr:
                    d = by_uuid.get(uuid)
                    if d:
                        d.used += 1
                        d.usedmem += mem
                        d.usedcores += cores
            continue
        rows = app_containers.get(PodRef.of(p).key, [])
        if not requests_gpu(p) or not rows:
            continue
        # no allocation annotation (collected without it, or not a HAMi pod): place the limits
        for c in rows:
            req = container_request(c, cfg)
            if req is None:
                continue
            take(devs, req, order=lambda d: (-d.free_slots, -d.free_mem))
            notes.append(f"{p['name']} on {p['node']} has no {ALLOCATED} annotation: usage estimated from its limits")
    return inventory, notes
