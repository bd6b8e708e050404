"""HAMi and GPU capacity checks: what the scheduler sees on each node, computed from the tables.

HAMi keeps its view of every GPU in node annotations. The device plugin writes the inventory to
``hami.io/node-nvidia-register``, in one of two encodings:

- older: ``GPU-<uuid>,<count>,<devmem MiB>,<devcore>,<type>,<numa>,<health>:`` per device
  (9 fields in between versions: ``...,<health>,<index>,<mode>:``), devices joined by ``:``;
- newer: a JSON list ``[{"id":"GPU-...","index":0,"count":10,"devmem":81920,"devcore":100,
  "type":"NVIDIA-NVIDIA A100-SXM4-80GB","numa":0,"mode":"hami-core","health":true}]``
  (Go ``omitempty``: a missing ``health`` is false, a missing ``index`` is 0).

``count`` is already the split count and ``devmem`` already multiplied by
``deviceMemoryScaling`` (the device plugin applies both before it registers), so these numbers are
exactly what the scheduler compares a request with. The ``hami-scheduler-device`` ConfigMap
(key ``device-config.yaml``, section ``nvidia:``) adds the request defaults: ``defaultMemory``
(0 = the whole card), ``defaultCores`` and ``defaultGPUNum``; its ``deviceSplitCount`` and
``deviceMemoryScaling`` (already inside the register) are reported next to the numbers, with the
per-node overrides of the ``hami-device-plugin`` ConfigMap (``config.json`` ``nodeconfig``).

Each scheduled pod's share is in its annotation ``hami.io/vgpu-devices-allocated``:
``<uuid>,<type>,<usedmem>,<usedcores>:`` per device, ``;`` between containers.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

import polars as pl

from analyzer.checks import CheckContext, Outcome, check
from analyzer.checks.builtin import HAMI_RESOURCES, _ev
from analyzer.checks.readers import scheduler_device_config
from analyzer.findings import Affected, Evidence
from analyzer.parse.quantity import GPU, parse_time

REGISTER = "hami.io/node-nvidia-register"
HANDSHAKE = "hami.io/node-handshake"
ALLOCATED = "hami.io/vgpu-devices-allocated"
USE_TYPE, NOUSE_TYPE = "nvidia.com/use-gputype", "nvidia.com/nouse-gputype"
USE_UUID, NOUSE_UUID = "nvidia.com/use-gpuuuid", "nvidia.com/nouse-gpuuuid"
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"
DONE_PHASES = ("Succeeded", "Failed")

# HAMi's per-device filter reasons (pkg/device/common/common.go) -> our category
REASON_CATEGORY: dict[str, str] = {
    "CardInsufficientMemory": "scheduling.insufficient_gpumem",
    "CardInsufficientCore": "scheduling.insufficient_gpucores",
    "CardComputeUnitsExhausted": "scheduling.insufficient_gpucores",
    "ExclusiveDeviceAllocateConflict": "scheduling.insufficient_gpucores",
    "CardTimeSlicingExhausted": "scheduling.insufficient_gpu",
    "AllocatedCardsInsufficientRequest": "scheduling.insufficient_gpu",
    "NodeInsufficientDevice": "scheduling.insufficient_gpu",
    "CardNotHealth": "scheduling.insufficient_gpu",
    "CardTypeMismatch": "scheduling.node_affinity",
    "CardUuidMismatch": "scheduling.node_affinity",
    "NumaNotFit": "scheduling.node_affinity",
    "ModeNotFit": "scheduling.node_affinity",
    "CardNotFoundCustomFilterRule": "scheduling.node_affinity",
    "CardMigTopologyInfeasible": "scheduling.insufficient_gpu",
    "CardCordoned": "scheduling.insufficient_gpu",
    "ResourceQuotaNotFit": "scheduling.insufficient_gpu",
    "node unregistered": "hami.component_unhealthy",
}

_REASON_TEXT = {
    "CardInsufficientMemory": "not enough free device memory",
    "CardInsufficientCore": "not enough free GPU cores",
    "CardComputeUnitsExhausted": "all cores of the card in use",
    "ExclusiveDeviceAllocateConflict": "whole-card request on a shared card",
    "CardTimeSlicingExhausted": "all deviceSplitCount slots taken",
    "AllocatedCardsInsufficientRequest": "fewer fitting cards than requested",
    "NodeInsufficientDevice": "fewer cards on the node than requested",
    "CardNotHealth": "card unhealthy",
    "CardTypeMismatch": "card type excluded by use-gputype/nouse-gputype",
    "CardUuidMismatch": "card excluded by use-gpuuuid/nouse-gpuuuid",
}


# ---------------------------------------------------------------------------------------------
# small readers shared with workloads.py


def jcol(value: str | None, default: Any = None) -> Any:
    """A JSON text column as a value (``default`` when null or not JSON)."""
    if not value:
        return default
    try:
        return json.loads(value)
    except ValueError:
        return default


def requests_gpu(row: dict) -> bool:
    """The pod/container row asks for ``nvidia.com/gpu`` or a HAMi resource."""
    return any(row.get(c) for c in ("gpu", *HAMI_RESOURCES))


def requests_hami(row: dict) -> bool:
    """The row asks for a HAMi-only resource (gpumem, gpumem-percentage, gpucores)."""
    return any(row.get(c) is not None for c in HAMI_RESOURCES)


def unscheduled(row: dict) -> bool:
    """A Pending pod that no node was assigned to yet."""
    return row.get("phase") == "Pending" and (row.get("node") or "<none>") in ("<none>", "")


def is_gpu_node(row: dict) -> bool:
    """A node that GPUs were seen on: capacity, the GPU-feature-discovery labels or HAMi's register."""
    labels = jcol(row.get("labels"), {})
    annotations = jcol(row.get("annotations"), {})
    return bool((row.get("gpu_capacity") or 0) > 0 or labels.get(GPU_PRESENT_LABEL) == "true"
                or row.get("gpu_product") or REGISTER in annotations)


def pod_evidence(r: dict, extra: str = "") -> Evidence:
    """One line proving what a pod asks for."""
    asks = " ".join(f"{k}={r[c]}" for k, c in (("nvidia.com/gpu", "gpu"), ("nvidia.com/gpumem", "gpumem"),
                                                 ("nvidia.com/gpumem-percentage", "gpumem_percentage"),
                                                 ("nvidia.com/gpucores", "gpucores")) if r.get(c) is not None)
    return _ev(r["path"], f"pod/{r['name']} phase={r['phase']} schedulerName={r['scheduler_name']} "
                          f"{asks}{extra}".rstrip(), None, r.get("line"))


# ---------------------------------------------------------------------------------------------
# HAMi's model: devices, configuration, requests and the fit


@dataclass
class Device:
    """One GPU as HAMi registered it, with what running pods hold of it."""

    uuid: str
    index: int
    count: int       # slots (deviceSplitCount)
    devmem: int      # MiB, after deviceMemoryScaling
    devcore: int     # percent, after deviceCoreScaling
    type: str
    health: bool
    mode: str = "hami-core"
    used: int = 0
    usedmem: int = 0
    usedcores: int = 0

    @property
    def free_mem(self) -> int:
        return self.devmem - self.usedmem

    @property
    def free_cores(self) -> int:
        return self.devcore - self.usedcores

    @property
    def free_slots(self) -> int:
        return self.count - self.used


def decode_register(text: str) -> list[Device]:
    """Both encodings of ``hami.io/node-nvidia-register``; ``ValueError`` when it is neither.

    >>> [d.devmem for d in decode_register("GPU-a,10,24576,100,NVIDIA-L4,0,true:")]
    [24576]
    >>> decode_register('[{"id":"GPU-b","count":10,"devmem":81920,"devcore":100,"type":"A100"}]')[0].health
    False
    """
    text = (text or "").strip()
    if text.startswith("["):
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError("register JSON is not a list")
        return [Device(uuid=str(d.get("id", "")), index=int(d.get("index") or 0),
                       count=int(d.get("count") or 0), devmem=int(d.get("devmem") or 0),
                       devcore=int(d.get("devcore") or 0), type=str(d.get("type") or ""),
                       health=bool(d.get("health")), mode=str(d.get("mode") or "hami-core"))
                for d in items if isinstance(d, dict)]
    if ":" not in text:
        raise ValueError("register annotation is neither JSON nor the colon/comma form")
    out = []
    for i, seg in enumerate(s for s in text.split(":") if "," in s):
        f = [x.strip() for x in seg.split(",")]
        if len(f) not in (7, 9):
            raise ValueError(f"register device has {len(f)} fields, want 7 or 9")
        out.append(Device(uuid=f[0], index=int(f[7]) if len(f) == 9 else i, count=int(f[1]),
                          devmem=int(f[2]), devcore=int(f[3]), type=f[4], health=f[6].lower() == "true",
                          mode=f[8] if len(f) == 9 else "hami-core"))
    return out


def decode_allocated(text: str) -> list[list[tuple[str, str, int, int]]]:
    """``hami.io/vgpu-devices-allocated``: per container, (uuid, type, usedmem, usedcores)."""
    out = []
    for ctr in (text or "").split(";"):
        devs = []
        for seg in ctr.split(":"):
            f = seg.split(",")
            if len(f) >= 4 and f[0]:
                try:
                    devs.append((f[0], f[1], int(f[2]), int(f[3])))
                except ValueError:
                    continue
        out.append(devs)
    return out


@dataclass
class HamiConfig:
    """The ``nvidia:`` section of the scheduler's device ConfigMap (chart defaults otherwise)."""

    split: int = 10
    mem_scaling: float = 1.0
    core_scaling: float = 1.0
    default_memory: int = 0
    default_cores: int = 0
    default_gpu_num: int = 1
    path: str | None = None     # the ConfigMap's file in the bundle
    line: int | None = None
    name: str | None = None     # "<configmap>/<key>"
    node_overrides: dict[str, dict] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"deviceSplitCount": self.split, "deviceMemoryScaling": self.mem_scaling,
                "deviceCoreScaling": self.core_scaling, "defaultMemory": self.default_memory,
                "defaultCores": self.default_cores, "defaultGPUNum": self.default_gpu_num,
                "source": f"{self.path} ({self.name})" if self.path else "chart defaults (ConfigMap not in the bundle)"}


def hami_config(ctx: CheckContext) -> HamiConfig:
    """Read ``hami-scheduler-device`` (any ConfigMap whose YAML has an ``nvidia:`` section with
    HAMi keys) and the device plugin's per-node overrides (``config.json`` ``nodeconfig``)."""
    cfg = HamiConfig()
    cm, key, nv = scheduler_device_config(ctx)
    if cm is not None:
        cfg.split = int(nv.get("deviceSplitCount") or cfg.split)
        cfg.mem_scaling = float(nv.get("deviceMemoryScaling") or cfg.mem_scaling)
        cfg.core_scaling = float(nv.get("deviceCoreScaling") or cfg.core_scaling)
        cfg.default_memory = int(nv.get("defaultMemory") or 0)
        cfg.default_cores = int(nv.get("defaultCores") or 0)
        cfg.default_gpu_num = int(nv.get("defaultGPUNum") or cfg.default_gpu_num)
        cfg.path, cfg.name = cm["_path"], f"{(cm.get('metadata') or {}).get('name')}/{key}"
        cfg.line = cm.get("_line")
    for cm in ctx.objects("ConfigMap"):
        data = cm.get("data") or {}
        if not isinstance(data, dict):
            continue
        text = data.get("config.json")
        if isinstance(text, str) and "nodeconfig" in text:
            doc = jcol(text, {})
            for nc in doc.get("nodeconfig") or [] if isinstance(doc, dict) else []:
                if isinstance(nc, dict) and nc.get("name"):
                    cfg.node_overrides[nc["name"]] = nc
    return cfg


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


def container_request(row: dict, cfg: HamiConfig) -> Request | None:
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


def device_reason(dev: Device, req: Request, annotations: dict[str, str]) -> str | None:
    """Why HAMi rejects ``dev`` for ``req`` (its card-check pipeline order), None when it fits."""
    if not dev.health:
        return "CardNotHealth"
    if USE_TYPE in annotations and not any(t.strip().upper() in dev.type.upper()
                                           for t in annotations[USE_TYPE].split(",")):
        return "CardTypeMismatch"
    if NOUSE_TYPE in annotations and any(t.strip().upper() in dev.type.upper()
                                         for t in annotations[NOUSE_TYPE].split(",") if t.strip()):
        return "CardTypeMismatch"
    if USE_UUID in annotations and dev.uuid not in annotations[USE_UUID].split(","):
        return "CardUuidMismatch"
    if NOUSE_UUID in annotations and dev.uuid in annotations[NOUSE_UUID].split(","):
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

    def kth(self, values: list[int], k: int) -> int:
        """The k-th largest free amount (a k-GPU request needs k cards with that much)."""
        return values[k - 1] if len(values) >= k else 0
    free_slots: int = 0
    usable: int = 0             # devices passing every check for the first unmet request
    need: Request | None = None  # the first request the node cannot meet
    cards: list[dict[str, Any]] = field(default_factory=list)  # each device's free share before the pod

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
        for d in sorted(ok, key=lambda d: -d.free_mem)[:req.nums]:
            d.used += 1
            d.usedmem += req.memreq(d)
            d.usedcores += req.cores
    return nf


def node_devices(ctx: CheckContext, cfg: HamiConfig) -> tuple[dict[str, list[Device]], list[str]]:
    """Each registered node's devices minus what its live pods hold; and notes on estimates."""
    nodes = ctx.table("nodes")
    inventory: dict[str, list[Device]] = {}
    for r in nodes.iter_rows(named=True):
        ann = jcol(r["annotations"], {})
        if REGISTER in ann:
            try:
                inventory[r["name"]] = decode_register(ann[REGISTER])
            except (ValueError, TypeError):
                continue
    notes: list[str] = []
    pods = ctx.table("pods")
    if pods.is_empty() or not inventory:
        return inventory, notes
    live = pods.filter(pl.col("node").is_in(list(inventory)) & ~pl.col("phase").is_in(list(DONE_PHASES)))
    ctrs = ctx.table("containers")
    for p in live.iter_rows(named=True):
        devs = inventory[p["node"]]
        by_uuid = {d.uuid: d for d in devs}
        ann = jcol(p["annotations"], {})
        if ann.get(ALLOCATED):
            for ctr in decode_allocated(ann[ALLOCATED]):
                for uuid, _, mem, cores in ctr:
                    d = by_uuid.get(uuid)
                    if d:
                        d.used += 1
                        d.usedmem += mem
                        d.usedcores += cores
            continue
        if not requests_gpu(p) or ctrs.is_empty():
            continue
        # no allocation annotation (collected without it, or not a HAMi pod): place the limits
        rows = ctrs.filter((pl.col("namespace") == p["namespace"]) & (pl.col("pod") == p["name"])
                           & (pl.col("init") == False))  # noqa: E712
        for c in rows.iter_rows(named=True):
            req = container_request(c, cfg)
            if req is None:
                continue
            for d in sorted(devs, key=lambda d: (-d.free_slots, -d.free_mem))[:req.nums]:
                d.used += 1
                d.usedmem += req.memreq(d)
                d.usedcores += req.cores
            notes.append(f"{p['name']} on {p['node']} has no {ALLOCATED} annotation: usage estimated from its limits")
    return inventory, notes


def gpu_pod_requests(ctx: CheckContext, pod: dict, cfg: HamiConfig) -> list[Request]:
    """The app containers' requests of one pod."""
    ctrs = ctx.table("containers")
    if ctrs.is_empty():
        return []
    rows = ctrs.filter((pl.col("namespace") == pod["namespace"]) & (pl.col("pod") == pod["name"])
                       & (pl.col("init") == False))  # noqa: E712
    return [r for r in (container_request(c, cfg) for c in rows.iter_rows(named=True)) if r]


def _selector_ok(pod: dict, node: dict) -> bool:
    sel = jcol(pod.get("node_selector"), {}) or {}
    labels = jcol(node.get("labels"), {})
    return all(labels.get(k) == v for k, v in sel.items())


def _category(reasons: Counter) -> tuple[str, str]:
    """The dominant reason across nodes and its category."""
    order = list(REASON_CATEGORY)
    top = sorted(reasons.items(), key=lambda kv: (-kv[1], order.index(kv[0]) if kv[0] in order else 99))
    reason = top[0][0] if top else "AllocatedCardsInsufficientRequest"
    return reason, REASON_CATEGORY.get(reason, "scheduling.insufficient_gpu")


# ---------------------------------------------------------------------------------------------
# CHK010


@check("CHK010", "gpu-capacity", "scheduling.insufficient_gpu", "error",
       "Pending GPU pod does not fit the free GPU capacity of any node")
def gpu_capacity(ctx: CheckContext) -> Outcome:
    """Every Pending pod that asks for GPUs, compared with every node's free GPUs.

    With HAMi (nodes carry ``hami.io/node-nvidia-register``) each container's request
    (``nvidia.com/gpu`` x ``gpumem`` or ``gpumem-percentage``, ``gpucores``; HAMi's defaults
    from the ``hami-scheduler-device`` ConfigMap) is placed on each node's registered devices
    minus what the node's live pods hold (``hami.io/vgpu-devices-allocated``, else their
    limits), with HAMi's own card checks. Without HAMi a node's free count is its allocatable
    ``nvidia.com/gpu`` minus the allocated count of ``kubectl describe node`` (else the sum of
    its live pods' GPU limits). Fires when no schedulable node fits; the summary gives the
    shortfall in numbers and the category follows the dominant reason (memory, cores, count).
    Cordoned and NotReady nodes are not candidates; a pod's ``nodeSelector`` narrows them.
    """
    pods, nodes = ctx.table("pods"), ctx.table("nodes")
    if pods.is_empty():
        return Outcome(skipped="no pods in the bundle")
    if nodes.is_empty():
        return Outcome(skipped="no nodes in the bundle (cluster/nodes.json)")
    pending = [r for r in pods.iter_rows(named=True) if unscheduled(r) and requests_gpu(r)]
    if not pending:
        gpu_pods = sum(1 for r in pods.iter_rows(named=True) if requests_gpu(r))
        return Outcome(note=f"no Pending pod waits for GPUs ({gpu_pods} GPU pods, {nodes.height} nodes)")
    cfg = hami_config(ctx)
    inventory, notes = node_devices(ctx, cfg)
    node_rows = {r["name"]: r for r in nodes.iter_rows(named=True)}
    out = Outcome(note=f"{len(pending)} Pending GPU pod(s) checked against {nodes.height} nodes")
    fitting: list[str] = []
    for pod in pending:
        candidates = [n for n in node_rows.values() if _selector_ok(pod, n)]
        excluded = [n["name"] for n in candidates if n["unschedulable"] or n["ready"] is False]
        candidates = [n for n in candidates if n["name"] not in excluded]
        hami_pod = bool(inventory) and (pod["scheduler_name"] == "hami-scheduler" or requests_hami(pod))
        if hami_pod:
            f = _hami_pod(ctx, pod, candidates, inventory, cfg, excluded, notes)
        elif requests_hami(pod):
            continue  # HAMi resources but no registered node: CHK012/CHK017 say why
        else:
            f = _plain_pod(ctx, pod, candidates, excluded)
        if isinstance(f, str):
            fitting.append(f)
        elif f is not None:
            out.findings.append(f)
    if fitting:
        out.note += "; GPU capacity is free for " + ", ".join(fitting[:5]) + ": not what they wait on"
    return out


def _hami_pod(ctx: CheckContext, pod: dict, candidates: list[dict], inventory: dict[str, list[Device]],
              cfg: HamiConfig, excluded: list[str], notes: list[str]):
    reqs = gpu_pod_requests(ctx, pod, cfg)
    if not reqs:
        return None
    ann = jcol(pod["annotations"], {})
    fits: list[NodeFit] = []
    unregistered = []
    for n in candidates:
        if n["name"] not in inventory:
            if is_gpu_node(n):
                unregistered.append(n["name"])
            continue
        fits.append(fit_node(n["name"], n["path"], n.get("line"), inventory[n["name"]], reqs, ann))
    room = [f.node for f in fits if f.fits]
    if room:
        return f"{pod['name']} (fits {', '.join(room[:3])})"  # it waits on something else
    if not (fits or unregistered):
        return None  # no GPU node is a candidate
    reasons: Counter = Counter()
    for f in fits:
        for reason in f.reasons:
            reasons[reason] += 1  # nodes failing for this reason
    if unregistered and not fits:
        reasons["node unregistered"] += len(unregistered)
    reason, category = _category(reasons)
    need = next((f.need for f in fits if f.need), reqs[0])
    checked = len(fits) + len(unregistered)
    k = need.nums
    nth = "" if k == 1 else f"{k}{'nd' if k == 2 else 'rd' if k == 3 else 'th'} "
    if category == "scheduling.insufficient_gpumem":
        best = max(fits, key=lambda f: f.kth(f.free_mems, k))
        want = max((need.memreq(d) for d in inventory[best.node]), default=need.mem)
        have = best.kth(best.free_mems, k)
        shortfall = (f"best node {best.node} has {have} MiB free on its {nth or ''}largest device "
                     f"({want - have} MiB short)")
    elif category == "scheduling.insufficient_gpucores":
        best = max(fits, key=lambda f: f.kth(f.free_cores, k))
        have = best.kth(best.free_cores, k)
        short = need.cores - have
        shortfall = (f"best node {best.node} has {have}% cores free on its {nth}best device"
                     + (f" ({short}% short)" if short > 0 else ""))
    elif fits:
        best = max(fits, key=lambda f: (f.usable, f.free_slots))
        shortfall = (f"best node {best.node} has {best.usable} fitting device(s) of {best.devices} "
                     f"({best.free_slots} free slot(s))")
    else:
        best = None
        shortfall = f"GPU node(s) {', '.join(unregistered)} have no HAMi device registration"
    if category == "hami.component_unhealthy":
        return None  # the device plugin is the problem: CHK012/CHK013/CHK017 report it
    by_reason = ", ".join(f"{k} on {v} node(s)" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]))
    extra = f"; {len(excluded)} cordoned/NotReady node(s) not counted" if excluded else ""
    summary = (f"Pod {pod['name']} requests {need.text()}; {shortfall} ({checked} node(s) checked: "
               f"{by_reason}){extra}")
    evidence = [pod_evidence(pod)]
    if best is not None:
        devs = inventory[best.node]
        evidence.append(_ev(best.path, f"node/{best.node} {REGISTER}: " + "; ".join(
            f"{d.uuid[:12]} devmem={d.devmem} count={d.count} devcore={d.devcore} health={str(d.health).lower()}"
            for d in devs[:4]) + (f" (+{len(devs) - 4} more)" if len(devs) > 4 else ""), None, best.line))
    if cfg.path:
        evidence.append(_ev(cfg.path, f"configmap/{cfg.name}: nvidia.deviceSplitCount={cfg.split} "
                                      f"deviceMemoryScaling={cfg.mem_scaling} defaultMemory={cfg.default_memory} "
                                      f"defaultCores={cfg.default_cores}", None, cfg.line))
    remediation = {
        "scheduling.insufficient_gpumem": (
            "Lower nvidia.com/gpumem (or use gpumem-percentage) to fit a card's free memory, free memory "
            "by scaling down pods sharing those cards, add GPUs with more memory, or raise "
            "deviceMemoryScaling in the hami-scheduler-device ConfigMap (overcommit: only with care)."),
        "scheduling.insufficient_gpucores": (
            "Lower nvidia.com/gpucores, or wait for / scale down the pods holding the cards' cores "
            "(a 100% request needs a card no other pod uses)."),
        "scheduling.node_affinity": (
            "Relax the pod's nvidia.com/use-gputype / use-gpuuuid (or nouse-*) annotations to match the "
            "registered cards, or add nodes with that GPU type."),
    }.get(category, "Lower the pod's nvidia.com/gpu count, free slots by scaling down other GPU pods, "
                    "raise deviceSplitCount, or add GPU nodes.")
    return gpu_capacity.check.finding(
        category=category, summary=summary, remediation=remediation,
        checks=[f"kubectl describe pod {pod['name']} -n {pod['namespace']}",
                "kubectl get nodes -o custom-columns='NAME:.metadata.name,REGISTER:.metadata.annotations.hami\\.io/node-nvidia-register'",
                "kubectl get pods -A -o wide --field-selector=status.phase=Running | grep <gpu-node>"],
        affected=[Affected(pod["namespace"], "Pod", pod["name"])], evidence=evidence,
        **sched_failures(ctx, pod),
        details={"request": [{"container": r.container, "gpus": r.nums, "gpumem_mib": r.mem or None,
                              "gpumem_percentage": r.pct, "gpucores": r.cores} for r in reqs],
                 "dominant_reason": reason, "nodes_checked": checked,
                 "nodes": [f.as_dict() for f in sorted(fits, key=lambda f: f.node)]
                 + [{"node": n, "fits": False, "reasons": {"node unregistered": 1}} for n in unregistered],
                 "excluded_nodes": excluded, "hami_config": cfg.as_dict(),
                 "node_overrides": {f.node: cfg.node_overrides[f.node] for f in fits if f.node in cfg.node_overrides},
                 "estimates": notes[:5]})


def sched_failures(ctx: CheckContext, pod: dict) -> dict[str, Any]:
    """How often the pod failed scheduling (events), for the finding's count and times."""
    ev = ctx.table("events")
    if ev.is_empty():
        return {}
    ev = ev.filter((pl.col("namespace") == pod["namespace"]) & (pl.col("object_name") == pod["name"])
                   & pl.col("reason").is_in(["FailedScheduling", "FilteringFailed"]))
    if ev.is_empty():
        return {}
    return {"count": int(ev.get_column("count").fill_null(1).sum()),
            "first_seen": ev.get_column("first_time").min() or ev.get_column("last_time").min(),
            "last_seen": ev.get_column("last_time").max()}


def _allocated(ctx: CheckContext, node: dict) -> int:
    if node.get("gpu_allocated") is not None:
        return int(node["gpu_allocated"])
    pods = ctx.table("pods")
    if pods.is_empty():
        return 0
    live = pods.filter((pl.col("node") == node["name"]) & ~pl.col("phase").is_in(list(DONE_PHASES)))
    return int(live.get_column("gpu").fill_null(0).sum() or 0)


def _plain_pod(ctx: CheckContext, pod: dict, candidates: list[dict], excluded: list[str]):
    want = pod.get("gpu") or 0
    if not want:
        return None
    rows = []
    for n in candidates:
        alloc = n["gpu_allocatable"] or 0
        used = _allocated(ctx, n) if alloc else 0
        rows.append((n, alloc, used, alloc - used))
    room = [n["name"] for n, _, _, free in rows if free >= want]
    if room:
        return f"{pod['name']} (fits {', '.join(room[:3])})"
    gpu_rows = [r for r in rows if r[1] > 0]
    if not gpu_rows:
        return None  # no node offers nvidia.com/gpu at all: CHK016 no-gpu-nodes
    best = max(gpu_rows, key=lambda r: r[3])
    n, alloc, used, free = best
    extra = f"; {len(excluded)} cordoned/NotReady node(s) not counted" if excluded else ""
    return gpu_capacity.check.finding(
        category="scheduling.insufficient_gpu",
        summary=(f"Pod {pod['name']} requests {want} nvidia.com/gpu; best node {n['name']} has {max(free, 0)} free "
                 f"(allocatable {alloc}, allocated {used}) ({len(gpu_rows)} GPU node(s) checked){extra}"),
        remediation=("Lower the GPU count per pod (tensor parallelism), scale down other GPU workloads, "
                     "or add GPU nodes."),
        checks=[f"kubectl describe pod {pod['name']} -n {pod['namespace']}",
                "kubectl describe nodes | grep -A 12 'Allocated resources'"],
        affected=[Affected(pod["namespace"], "Pod", pod["name"])],
        evidence=[pod_evidence(pod), _ev(n["path"], f"node/{n['name']} allocatable {GPU}={alloc} allocated={used}",
                                         None, n.get("line"))],
        **sched_failures(ctx, pod),
        details={"request_gpus": want, "nodes": [{"node": r[0]["name"], "allocatable": r[1], "allocated": r[2],
                                                  "free": r[3]} for r in rows],
                 "excluded_nodes": excluded})


# ---------------------------------------------------------------------------------------------
# CHK011

FILTER_REASONS = tuple(r for r in REASON_CATEGORY if r != "node unregistered")
_RX_PER_REASON = r"^(\d+) nodes ([A-Za-z]+)\(([^)]*)\)"
_RX_NO_NODE = r"^no available node, (?:(\d+) nodes do not meet|all node scores do not meet)"
_RX_HISTOGRAM = r"^0/(\d+) nodes are available: (.*?)\.(?:\s|$)"


def parse_filtering(message: str) -> dict[str, Any]:
    """One hami-scheduler message -> {"reasons": {reason: [nodes]}, "histogram": {reason: n}, "total": n}.

    >>> parse_filtering("1 nodes CardInsufficientMemory(gpu-node-1)")["reasons"]
    {'CardInsufficientMemory': ['gpu-node-1']}
    >>> parse_filtering("0/3 nodes are available: 2 1/1 CardInsufficientMemory, 1 node unregistered.")["histogram"]
    {'CardInsufficientMemory': 2, 'node unregistered': 1}
    """
    import regex

    out: dict[str, Any] = {"reasons": {}, "histogram": {}, "total": None}
    msg = message.strip()
    m = regex.match(_RX_PER_REASON, msg)
    if m:
        out["reasons"][m[2]] = [n.strip() for n in m[3].split(",") if n.strip()]
        return out
    m = regex.match(_RX_NO_NODE, msg)
    if m:
        out["total"] = int(m[1]) if m[1] else None
        return out
    m = regex.match(_RX_HISTOGRAM, msg)
    if m:
        out["total"] = int(m[1])
        nodes_n = None
        for part in m[2].split(", "):
            # "2 1/1 CardInsufficientMemory" (nodes, then devices/total), "1/2 CardInsufficientCore"
            # (another reason of the same nodes), or a plain "1 node unregistered"
            p = regex.match(r"^(?:(\d+) )?(\d+)/(\d+) (\w+)$", part.strip())
            if p:
                if p[1]:
                    nodes_n = int(p[1])
                out["histogram"][p[4]] = out["histogram"].get(p[4], 0) + (nodes_n or 1)
                continue
            p = regex.match(r"^(\d+) (.+)$", part.strip())
            if p:
                nodes_n = int(p[1])
                out["histogram"][p[2]] = out["histogram"].get(p[2], 0) + nodes_n
    return out


@check("CHK011", "hami-filtering-reasons", "scheduling.insufficient_gpu", "error",
       "HAMi scheduler found no node for the pod (reasons per node)")
def hami_filtering_reasons(ctx: CheckContext) -> Outcome:
    """``FilteringFailed`` events of ``hami-scheduler`` (``1 nodes CardInsufficientMemory(node-a)``,
    ``no available node, 3 nodes do not meet``) and its ``FailedScheduling`` histogram
    (``0/3 nodes are available: 2 1/1 CardInsufficientMemory, ...``), per pod, counted per reason
    and per node. The category follows the reason that rejected the most nodes:
    ``CardInsufficientMemory`` -> gpumem, ``CardInsufficientCore`` -> gpucores,
    ``CardTypeMismatch``/``CardUuidMismatch`` -> node affinity, slots and counts -> gpu.
    """
    events = ctx.table("events")
    if events.is_empty():
        return Outcome(skipped="no events in the bundle")
    reason_rx = "|".join(FILTER_REASONS) + "|node unregistered"
    ev = events.filter(pl.col("reason").is_in(["FilteringFailed", "FailedScheduling"])
                       & (pl.col("component").fill_null("").str.contains("(?i)hami")
                          | pl.col("message").fill_null("").str.contains(reason_rx)))
    out = Outcome(note=f"{events.height} events checked: no HAMi filtering failure")
    if ev.is_empty():
        return out
    for key, group in ev.sort("last_time", nulls_last=True).group_by(["namespace", "object_name"], maintain_order=True):
        ns, pod = key
        per_reason: dict[str, set[str]] = {}
        histogram: Counter = Counter()
        total, n_events = None, 0
        for r in group.iter_rows(named=True):
            parsed = parse_filtering(r["message"] or "")
            if not (parsed["reasons"] or parsed["histogram"] or parsed["total"]):
                continue
            n_events += r["count"] or 1
            for reason, nodes in parsed["reasons"].items():
                per_reason.setdefault(reason, set()).update(nodes)
            for reason, n in parsed["histogram"].items():
                histogram[reason] = max(histogram[reason], n)
            total = parsed["total"] or total
        counts = Counter({k: len(v) for k, v in per_reason.items()})
        for k, n in histogram.items():
            counts[k] = max(counts[k], n)
        counts = Counter({k: v for k, v in counts.items() if k in REASON_CATEGORY})
        if not counts:
            continue
        reason, category = _category(counts)
        per_node: dict[str, list[str]] = {}
        for k, nodes in per_reason.items():
            for n in nodes:
                per_node.setdefault(n, []).append(k)
        parts = [f"{k} on {v} node(s)" + (f" ({', '.join(sorted(per_reason[k]))})" if per_reason.get(k) else "")
                 for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        rows = group.to_dicts()
        evidence = [Evidence(r["path"], r["line"], f"{r['type']} {r['reason']} {r['component']}: {r['message']}",
                             r["last_time"], None, "events") for r in rows[:4]]
        out.findings.append(hami_filtering_reasons.check.finding(
            category=category,
            summary=(f"hami-scheduler could not place pod {pod}: " + "; ".join(parts)
                     + (f" (of {total} nodes)" if total else "") + f"; {n_events} event(s)"),
            remediation=(f"Dominant reason {reason}: {_REASON_TEXT.get(reason, reason)}. "
                         "Compare the request with each node's free GPU memory/cores/slots "
                         "(see the gpu-capacity check) and shrink the request or free capacity."),
            checks=[f"kubectl describe pod {pod} -n {ns}",
                    "kubectl logs -n <hami-namespace> -l app.kubernetes.io/component=hami-scheduler "
                    "-c vgpu-scheduler-extender | grep NodeUnfitPod"],
            affected=[Affected(ns, "Pod", pod)], evidence=evidence, count=max(n_events, 1),
            first_seen=group.get_column("first_time").min(), last_seen=group.get_column("last_time").max(),
            details={"reasons": dict(sorted(counts.items())), "nodes": {n: sorted(v) for n, v in sorted(per_node.items())},
                     "dominant_reason": reason, "nodes_total": total}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK012 / CHK013

_COMPONENTS = (("hami-scheduler", "scheduler"), ("hami-device-plugin", "device plugin"),
               ("hami-vgpu-monitor", "vGPU monitor"), ("vgpu-monitor", "vGPU monitor"))


def hami_component(pod: dict) -> str | None:
    """Which HAMi component a pod is, by its labels or its name (None: not HAMi)."""
    labels = jcol(pod.get("labels"), {})
    for key in ("app.kubernetes.io/component", "app", "component"):
        v = labels.get(key)
        for prefix, name in _COMPONENTS:
            if v == prefix:
                return name
    for prefix, name in _COMPONENTS:
        if (pod.get("name") or "").startswith(prefix):
            return name
    return None


@check("CHK012", "hami-components", "hami.component_unhealthy", "error",
       "HAMi component not Ready, restarting, or missing")
def hami_components(ctx: CheckContext) -> Outcome:
    """HAMi scheduler, device-plugin and vGPU-monitor pods (by the chart's
    ``app.kubernetes.io/component``/``app`` label or their name, in any namespace) that are not
    Running and Ready, or whose containers restarted 3 times or more.

    Also "HAMi expected but absent": pods ask for ``nvidia.com/gpumem``/``gpucores`` and the
    namespace HAMi lives in (bundle fact ``hami_namespace``) was collected, yet it holds no
    hami-scheduler pod. Without a known HAMi namespace that second part cannot tell "not
    installed" from "not collected" and is left out.
    """
    pods = ctx.table("pods")
    if pods.is_empty():
        return Outcome(skipped="no pods in the bundle")
    ctrs = ctx.table("containers")
    comps = [(p, hami_component(p)) for p in pods.iter_rows(named=True)]
    comps = [(p, c) for p, c in comps if c]
    out = Outcome(note=f"{len(comps)} HAMi pod(s) checked")
    for p, comp in comps:
        crows = [] if ctrs.is_empty() else ctrs.filter(
            (pl.col("namespace") == p["namespace"]) & (pl.col("pod") == p["name"])).to_dicts()
        restarts = max((c["restart_count"] or 0 for c in crows), default=0)
        bad = [c for c in crows if c["ready"] is False or (c["restart_count"] or 0) >= 3]
        if p["phase"] == "Running" and p["ready"] is not False and not bad:
            continue
        if p["phase"] == "Succeeded":
            continue
        worst = max(bad, key=lambda c: c["restart_count"] or 0) if bad else None
        state = (f"container {worst['name']} {worst['state_reason'] or worst['state']}, "
                 f"{worst['restart_count']} restarts, last exit {worst['last_exit_code']}"
                 if worst else f"phase {p['phase']}" + (f" ({p['reason']})" if p["reason"] else ""))
        impact = {"scheduler": "new GPU pods are not mutated or scheduled by HAMi",
                  "device plugin": f"node {p['node']} stops registering its GPUs (and allocating them)",
                  "vGPU monitor": "GPU usage metrics and limits feedback on that node are missing"}[comp]
        out.findings.append(hami_components.check.finding(
            severity="warning" if comp == "vGPU monitor" else None,
            summary=f"HAMi {comp} pod {p['name']} is not healthy: {state}; {impact}",
            remediation=("Read the component's (previous) log: device plugins fail on driver/NVML problems "
                         "or missing privileges, the scheduler on certificate/webhook or RBAC errors."),
            checks=[f"kubectl describe pod {p['name']} -n {p['namespace']}",
                    f"kubectl logs {p['name']} -n {p['namespace']} --all-containers --previous"],
            affected=[Affected(p["namespace"], "Pod", p["name"], worst["name"] if worst else None)],
            node=p["node"],
            evidence=[_ev(p["path"], f"pod/{p['name']} phase={p['phase']} ready={p['ready']} "
                                     + " ".join(f"{c['name']}:ready={c['ready']},restarts={c['restart_count']},"
                                                f"state={c['state_reason'] or c['state']}" for c in crows),
                          None, p.get("line"))],
            count=max(1, restarts), details={"component": comp, "restarts": restarts}))
    hami_ns = ctx.facts.get("hami_namespace")
    askers = [r for r in pods.iter_rows(named=True) if requests_hami(r)]
    collected = hami_ns and ctx.table("files").filter(
        (pl.col("source") == "pods") & (pl.col("namespace") == hami_ns)).height > 0
    if askers and collected and not any(c == "scheduler" for _, c in comps):
        r = askers[0]
        out.findings.append(hami_components.check.finding(
            severity="critical",
            summary=(f"{len(askers)} pod(s) request HAMi resources (e.g. {r['name']}) but namespace {hami_ns} "
                     "has no hami-scheduler pod"),
            remediation="Install or restore HAMi (helm status/upgrade of the hami release) before scheduling vGPU pods.",
            checks=[f"kubectl get pods -n {hami_ns}", "helm list -A | grep -i hami"],
            affected=[Affected(hami_ns, "Deployment", "hami-scheduler")],
            evidence=[pod_evidence(r)], details={"hami_namespace": hami_ns, "pods": len(askers)}))
    elif not comps and not askers:
        out.note = "no HAMi pods and no pod asks for HAMi resources"
    return out


HANDSHAKE_STALE_S = 60  # HAMi's scheduler gives the device plugin 60 s to answer a Requesting_


def _handshake_time(value: str) -> tuple[str, datetime | None]:
    # "Requesting_2026-11-20 10:00:00", "Deleted_...", "Reported 2026-11-20 10:00:00"
    state, _, stamp = value.strip().partition("_") if value.find("_") != -1 and (
        value.find(" ") == -1 or value.find("_") < value.find(" ")) else value.strip().partition(" ")
    try:
        t = datetime.strptime(stamp.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        t = parse_time(stamp.strip())
    return state, t


@check("CHK013", "hami-handshake", "hami.component_unhealthy", "error",
       "HAMi device plugin stopped answering the scheduler's handshake")
def hami_handshake(ctx: CheckContext) -> Outcome:
    """Node annotation ``hami.io/node-handshake``: the scheduler writes ``Requesting_<time>`` and
    the device plugin answers ``Reported <time>``. ``Requesting_`` older than 60 s before the
    bundle was collected, or ``Deleted_`` (the scheduler gave up and dropped the node's devices),
    means the device plugin on that node is not running or cannot reach the API server.

    The reference time is the bundle's ``collected_at``; without it, the newest event time.
    """
    nodes = ctx.table("nodes")
    if nodes.is_empty():
        return Outcome(skipped="no nodes in the bundle")
    shakes = []
    for r in nodes.iter_rows(named=True):
        ann = jcol(r["annotations"], {})
        if ann.get(HANDSHAKE):
            shakes.append((r, ann[HANDSHAKE]))
    if not shakes:
        return Outcome(skipped="no node carries hami.io/node-handshake (HAMi not installed or annotations not collected)")
    ref = parse_time(ctx.facts.get("collected_at"))
    ref_text = "collected_at"
    if ref is None:
        ev = ctx.table("events")
        ref = None if ev.is_empty() else ev.get_column("last_time").max()
        ref_text = "the newest event"
    out = Outcome(note=f"handshake of {len(shakes)} node(s) checked against {ref_text}")
    for r, value in shakes:
        state, t = _handshake_time(value)
        if state == "Requesting" and (ref is None or t is None or (ref - t).total_seconds() <= HANDSHAKE_STALE_S):
            continue
        if state not in ("Requesting", "Deleted"):
            continue
        age = f"{int((ref - t).total_seconds())} s before {ref_text}" if ref is not None and t is not None else ""
        what = ("the scheduler asked the device plugin to report and got no answer" if state == "Requesting"
                else "the scheduler dropped the node's devices after the device plugin stopped answering")
        out.findings.append(hami_handshake.check.finding(
            summary=f"Node {r['name']}: {HANDSHAKE}={value} ({age}); {what}".replace(" ()", ""),
            remediation=("Check the hami-device-plugin pod on this node (running? logs?) and restart it; "
                         "HAMi schedules nothing onto the node's GPUs until it reports again."),
            checks=[f"kubectl get pods -A -o wide --field-selector spec.nodeName={r['name']} | grep -i hami",
                    f"kubectl get node {r['name']} -o jsonpath='{{.metadata.annotations.hami\\.io/node-handshake}}'"],
            affected=[Affected(None, "Node", r["name"])], node=r["name"],
            evidence=[_ev(r["path"], f"node/{r['name']} {HANDSHAKE}={value}", t, r.get("line"))],
            first_seen=t, details={"state": state, "age_seconds": int((ref - t).total_seconds())
                                   if ref is not None and t is not None else None}))
    return out


# ---------------------------------------------------------------------------------------------
# CHK016 / CHK017


@check("CHK016", "no-gpu-nodes", "cluster.no_gpu_nodes", "critical",
       "GPU pods but no node offers GPUs")
def no_gpu_nodes(ctx: CheckContext) -> Outcome:
    """Pods ask for ``nvidia.com/gpu`` (or HAMi resources) but no node has ``nvidia.com/gpu``
    capacity and none carries HAMi's device register: the cluster has no usable GPU node (none
    joined, or the device plugin/GPU Operator runs on none of them)."""
    pods, nodes = ctx.table("pods"), ctx.table("nodes")
    if pods.is_empty() or nodes.is_empty():
        return Outcome(skipped="needs both pods and nodes in the bundle")
    askers = [r for r in pods.iter_rows(named=True) if requests_gpu(r)]
    rows = nodes.to_dicts()
    offering = [r for r in rows if (r["gpu_capacity"] or 0) > 0 or REGISTER in jcol(r["annotations"], {})]
    out = Outcome(note=f"{len(askers)} GPU pod(s); {len(offering)} of {len(rows)} nodes offer GPUs")
    if not askers or offering:
        return out
    labelled = [r["name"] for r in rows if is_gpu_node(r)]
    r = askers[0]
    out.findings.append(no_gpu_nodes.check.finding(
        summary=(f"{len(askers)} pod(s) ask for GPUs (e.g. {r['name']}) but none of the {len(rows)} node(s) "
                 f"advertises nvidia.com/gpu" + (f"; GPU-labelled nodes without it: {', '.join(labelled)}" if labelled else "")),
        remediation=("Add GPU nodes (or scale the GPU node pool up), and make sure the NVIDIA device plugin "
                     "(GPU Operator or HAMi) runs on them."),
        checks=["kubectl get nodes -o custom-columns='NAME:.metadata.name,GPU:.status.capacity.nvidia\\.com/gpu'",
                "kubectl get pods -A | grep -i -E 'device-plugin|gpu-operator|hami'"],
        affected=[Affected(r["namespace"], "Pod", r["name"]) for r in askers[:5]],
        evidence=[pod_evidence(r)] + [_ev(n["path"], f"node/{n['name']} capacity nvidia.com/gpu={n['gpu_capacity']}",
                                          None, n.get("line"))
                                      for n in rows[:3]],
        details={"gpu_pods": len(askers), "nodes": len(rows), "gpu_labelled_nodes": labelled}))
    return out


@check("CHK017", "device-plugin-allocatable", "gpu.device_plugin", "error",
       "GPU node advertises no allocatable nvidia.com/gpu")
def device_plugin_allocatable(ctx: CheckContext) -> Outcome:
    """A node that has GPUs (label ``nvidia.com/gpu.present=true``, a ``nvidia.com/gpu.product``
    label, or HAMi's device register) whose ``nvidia.com/gpu`` capacity is missing or whose
    allocatable count is 0: the device plugin is not running there, or reports every GPU
    unhealthy, so no GPU pod can land on it."""
    nodes = ctx.table("nodes")
    if nodes.is_empty():
        return Outcome(skipped="no nodes in the bundle")
    gpu_nodes = [r for r in nodes.iter_rows(named=True) if is_gpu_node(r)]
    out = Outcome(note=f"{len(gpu_nodes)} GPU node(s) checked")
    if not gpu_nodes:
        out.note = "no node is labelled or registered as a GPU node"
    for r in gpu_nodes:
        if (r["gpu_allocatable"] or 0) > 0:
            continue
        labels = jcol(r["labels"], {})
        why = ("label " + ", ".join(f"{k}={v}" for k, v in labels.items()
                                     if k in (GPU_PRESENT_LABEL, "nvidia.com/gpu.product", "nvidia.com/gpu.count"))
               or f"annotation {REGISTER}")
        cap = "missing" if r["gpu_capacity"] is None else str(r["gpu_capacity"])
        out.findings.append(device_plugin_allocatable.check.finding(
            summary=(f"Node {r['name']} has GPUs ({why}) but nvidia.com/gpu capacity is {cap} and allocatable "
                     f"{r['gpu_allocatable'] if r['gpu_allocatable'] is not None else 'missing'}"),
            remediation=("Check the device plugin daemonset pod on this node (GPU Operator: "
                         "nvidia-device-plugin-daemonset; HAMi: hami-device-plugin) and its log for NVML or "
                         "health errors; check the driver with nvidia-smi on the node."),
            checks=[f"kubectl describe node {r['name']}",
                    f"kubectl get pods -A -o wide --field-selector spec.nodeName={r['name']} | grep -i -E 'device-plugin|hami'"],
            affected=[Affected(None, "Node", r["name"])], node=r["name"],
            evidence=[_ev(r["path"], f"node/{r['name']} {why} capacity nvidia.com/gpu={cap} "
                                     f"allocatable nvidia.com/gpu={r['gpu_allocatable']}", None, r.get("line"))],
            details={"capacity": r["gpu_capacity"], "allocatable": r["gpu_allocatable"]}))
    return out
