"""HAMi's own formats: node and pod annotations, scheduler messages, components and ConfigMaps.

The device plugin writes each node's GPU inventory to ``hami.io/node-nvidia-register``, in one
of two encodings (``pkg/device/devices.go`` of Project-HAMi/HAMi):

- older (``DecodeNodeDevices``): ``<uuid>,<count>,<devmem MiB>,<devcore>,<type>,<numa>,<health>:``
  per device, ``...,<health>,<index>,<mode>:`` in later 2.x; a segment with another number of
  fields, or a field that is not a number or a Go bool, rejects the whole annotation;
- newer (``UnMarshalNodeDevices``, what the NVIDIA device reads today): a JSON list
  ``[{"id":"GPU-...","index":1,"count":10,"devmem":81920,"devcore":100,"type":"NVIDIA-NVIDIA
  A100-SXM4-80GB","numa":1,"mode":"hami-core","health":true}]``; Go ``omitempty`` drops zero
  values (a missing ``health`` is false, a missing ``index``/``numa`` is 0), and JSON that does
  not unmarshal rejects the whole annotation.

A rejected annotation leaves the node without devices: HAMi's scheduler reports it as
``node unregistered``. ``count`` is already the split count and ``devmem`` already multiplied
by ``deviceMemoryScaling``: exactly what the scheduler compares a request with.

Each scheduled pod's share is in ``hami.io/vgpu-devices-allocated``: ``<uuid>,<type>,<usedmem>,
<usedcores>:`` per device, ``;`` between containers. The scheduler and the device plugin talk
through the node annotation ``hami.io/node-handshake`` (``Requesting_<time>`` /
``Reported <time>``; the NVIDIA device has no ``-nvidia`` suffix, unlike the other vendors).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import regex

from analyzer.parse.documents import DocumentError, load_json, load_yaml
from analyzer.parse.quantity import note_value, parse_time, quantity, value_problems
from analyzer.parse.shape import dig
from analyzer.tables import from_json

REGISTER = "hami.io/node-nvidia-register"
HANDSHAKE = "hami.io/node-handshake"
ALLOCATED = "hami.io/vgpu-devices-allocated"
BIND_PHASE, BIND_TIME = "hami.io/bind-phase", "hami.io/bind-time"
USE_TYPE, NOUSE_TYPE = "nvidia.com/use-gputype", "nvidia.com/nouse-gputype"
USE_UUID, NOUSE_UUID = "nvidia.com/use-gpuuuid", "nvidia.com/nouse-gpuuuid"
WEBHOOK = "vgpu.hami.io"  # the chart's webhook entry, whatever the configuration is called

# HAMi's per-device filter reasons (pkg/device/common/common.go)
FILTER_REASONS = (
    "CardInsufficientMemory", "CardInsufficientCore", "CardComputeUnitsExhausted",
    "ExclusiveDeviceAllocateConflict", "CardTimeSlicingExhausted", "AllocatedCardsInsufficientRequest",
    "NodeInsufficientDevice", "CardNotHealth", "CardTypeMismatch", "CardUuidMismatch", "NumaNotFit",
    "ModeNotFit", "CardNotFoundCustomFilterRule", "CardMigTopologyInfeasible", "CardCordoned",
    "ResourceQuotaNotFit")
UNREGISTERED = "node unregistered"


# --------------------------------------------------------------------------- devices

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
    numa: int = 0
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

    @property
    def product(self) -> str:
        """The NVML name: HAMi prefixes it with the vendor (``NVIDIA-NVIDIA A100-SXM4-80GB``)."""
        return self.type[len("NVIDIA-"):] if self.type.startswith("NVIDIA-") else self.type


_GO_BOOL = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
            "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


# HAMi's DeviceInfo fields (count, devmem, devcore, numa, index) are Go int32: a value beyond
# them is rejected as a malformed register, as HAMi's decoder would
_INT32 = 2**31 - 1


def _json_int(value: Any, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not -_INT32 - 1 <= value <= _INT32:
        raise ValueError(f"register field {name} is not an int32: {str(value)[:40]}")
    return value


def _field_int(text: str, name: str) -> int:
    """A decimal int32 of the colon/comma register form; ValueError otherwise."""
    t = text.strip()
    if not (t.lstrip("+-").isdigit() and len(t) <= 11) or not -_INT32 - 1 <= int(t) <= _INT32:
        raise ValueError(f"register field {name} is not an int32: {t[:40]}")
    return int(t)


def decode_register(text: str | None) -> list[Device]:
    """Both encodings of ``hami.io/node-nvidia-register``; ``ValueError`` when HAMi would reject it.

    >>> [d.devmem for d in decode_register("GPU-a,10,24576,100,NVIDIA-L4,0,true:")]
    [24576]
    >>> decode_register('[{"id":"GPU-b","count":10,"devmem":81920,"devcore":100,"type":"A100"}]')[0].health
    False
    """
    text = (text or "").strip()
    if text.startswith("["):
        try:
            items = load_json(text)
        except DocumentError as exc:
            raise ValueError(f"register JSON does not parse: {exc}") from None
        if not isinstance(items, list):
            raise ValueError("register JSON is not a list")
        out = []
        for d in items:
            if not isinstance(d, dict) or not isinstance(d.get("health", False), bool):
                raise ValueError("register JSON item is not a device object")
            out.append(Device(uuid=str(d.get("id") or ""), index=_json_int(d.get("index"), "index"),
                              count=_json_int(d.get("count"), "count"), devmem=_json_int(d.get("devmem"), "devmem"),
                              devcore=_json_int(d.get("devcore"), "devcore"), type=str(d.get("type") or ""),
                              health=d.get("health", False), mode=str(d.get("mode") or "hami-core"),
                              numa=_json_int(d.get("numa"), "numa")))
        return out
    if ":" not in text:
        raise ValueError("register annotation is neither JSON nor the colon/comma form")
    out = []
    for i, seg in enumerate(s for s in text.split(":") if s.strip()):
        f = [x.strip() for x in seg.split(",")]
        if len(f) not in (7, 9):
            raise ValueError(f"register device has {len(f)} fields, want 7 or 9")
        if f[6] not in _GO_BOOL:
            raise ValueError(f"register health field is not a bool: {f[6]!r}")
        out.append(Device(uuid=f[0], index=_field_int(f[7], "index") if len(f) == 9 else i,
                          count=_field_int(f[1], "count"), devmem=_field_int(f[2], "devmem"),
                          devcore=_field_int(f[3], "devcore"), type=f[4], health=_GO_BOOL[f[6]],
                          mode=f[8] if len(f) == 9 else "hami-core", numa=_field_int(f[5], "numa")))
    return out


def registered_devices(annotations: dict[str, Any]) -> list[Device] | None:
    """A node's registered devices; None when it carries no register or HAMi would reject it."""
    if REGISTER not in annotations:
        return None
    try:
        return decode_register(annotations[REGISTER])
    except (ValueError, TypeError):
        return None


def decode_allocated(text: str | None) -> list[list[tuple[str, str, int, int]]]:
    """``hami.io/vgpu-devices-allocated``: per container, (uuid, type, usedmem, usedcores)."""
    out = []
    for ctr in (text or "").split(";"):
        devs = []
        for seg in ctr.split(":"):
            f = seg.split(",")
            if len(f) >= 4 and f[0]:
                try:
                    devs.append((f[0], f[1], _field_int(f[2], "usedmem"), _field_int(f[3], "usedcores")))
                except ValueError:
                    continue
        out.append(devs)
    return out


def handshake(value: str) -> tuple[str, datetime | None]:
    """``hami.io/node-handshake`` -> (state, time): ``Requesting_2026-11-20 10:00:00``,
    ``Deleted_...``, ``Reported 2026-11-20 10:00:00.1 +0000 UTC m=+1.2``."""
    value = value.strip()
    under, space = value.find("_"), value.find(" ")
    sep = "_" if under != -1 and (space == -1 or under < space) else " "
    state, _, stamp = value.partition(sep)
    try:
        t = datetime.strptime(stamp.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        t = parse_time(stamp.strip())
    return state, t


# --------------------------------------------------------------------------- scheduler messages

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


# --------------------------------------------------------------------------- components

# (label value or name part, component). The chart labels its pods
# ``app.kubernetes.io/component: hami-scheduler|hami-device-plugin`` and names them
# ``<release>-hami-scheduler-...``; ``app=`` labels and separate monitor pods are older layouts.
COMPONENTS = (("hami-scheduler", "scheduler"), ("hami-device-plugin", "device plugin"),
              ("hami-vgpu-monitor", "vGPU monitor"), ("vgpu-monitor", "vGPU monitor"))
# the chart runs the vGPU monitor as this container of the device-plugin pods
MONITOR_CONTAINER = "vgpu-monitor"


def component_of(pod: dict[str, Any]) -> str | None:
    """Which HAMi component a ``pods`` row is (by its labels, else its name); None: not HAMi."""
    labels = from_json(pod.get("labels"), {}) or {}
    for key in ("app.kubernetes.io/component", "app", "component"):
        value = labels.get(key)
        for part, component in COMPONENTS:
            if value == part:
                return component
    name = pod.get("name") or ""
    for part, component in COMPONENTS:
        if part in name:
            return component
    return None


def container_component(pod_component: str | None, container: str | None) -> str | None:
    """The component a container of a HAMi pod serves (the monitor inside a device-plugin pod)."""
    if pod_component and container == MONITOR_CONTAINER:
        return "vGPU monitor"
    return pod_component


def main_namespace(pods: list[tuple[dict[str, Any], str]], fact: str | None) -> str | None:
    """The namespace HAMi runs in: the bundle's ``hami_namespace`` fact, else the namespace that
    holds most HAMi component pods (ties by name)."""
    if fact:
        return fact
    counts = Counter(p.get("namespace") for p, _ in pods)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or ""))[0][0] if counts else None


def is_hami_webhook(hook: dict[str, Any]) -> bool:
    """A MutatingWebhookConfiguration entry that is HAMi's: named ``vgpu.hami.io`` or served by a
    HAMi Service (``<release>-hami-scheduler``)."""
    service = dig(hook, "clientConfig", "service", default={})
    return hook.get("name") == WEBHOOK or "hami" in str(service.get("name", ""))


def hami_webhooks(configs: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(configuration, entry) of every HAMi webhook entry among the configurations."""
    return [(c, w) for c in configs for w in dig(c, "webhooks", default=[])
            if isinstance(w, dict) and is_hami_webhook(w)]


# --------------------------------------------------------------------------- ConfigMaps


def scheduler_device_config(configmaps: list[dict[str, Any]]) -> tuple[dict | None, str | None, dict]:
    """HAMi's scheduler device config: (the ConfigMap, its key, the ``nvidia:`` section) of the
    first ConfigMap whose YAML holds HAMi's device keys (the chart's ``<release>-hami-scheduler-
    device``, key ``device-config.yaml``: found by content, since the name follows the release);
    ``(None, None, {})`` when there is none."""
    for cm in configmaps:
        data = cm.get("data") if isinstance(cm.get("data"), dict) else {}
        for key, text in data.items():
            if isinstance(text, str) and key.endswith((".yaml", ".yml")) and "deviceSplitCount" in text:
                try:  # the one bounded loader: a ConfigMap value may nest thousands deep or hold an alias bomb
                    docs = load_yaml(text)
                except DocumentError:
                    continue
                doc = docs[0] if docs else None
                nv = doc.get("nvidia") if isinstance(doc, dict) else None
                if isinstance(nv, dict):
                    return cm, key, nv
    return None, None, {}


def device_plugin_config(configmaps: list[dict[str, Any]]) -> tuple[dict | None, list[dict]]:
    """(the ConfigMap holding HAMi's device-plugin ``config.json``, its ``nodeconfig`` entries)."""
    for cm in configmaps:
        text = (cm.get("data") or {}).get("config.json") if isinstance(cm.get("data"), dict) else None
        if isinstance(text, str) and "nodeconfig" in text:
            try:
                doc = load_json(text)
            except DocumentError:
                doc = {}
            entries = doc.get("nodeconfig") if isinstance(doc, dict) else None
            return cm, [e for e in entries or [] if isinstance(e, dict)]
    return None, []


@dataclass
class HamiConfig:
    """The ``nvidia:`` section of the scheduler's device ConfigMap (chart defaults otherwise),
    with the device plugin's per-node overrides."""

    split: int = 10
    mem_scaling: float = 1.0
    core_scaling: float = 1.0
    default_memory: int = 0
    default_cores: int = 0
    default_gpu_num: int = 1
    path: str | None = None     # the ConfigMap's file in the bundle
    line: int | None = None
    name: str | None = None     # "<configmap>/<key>"
    namespace: str | None = None
    section: dict[str, Any] = field(default_factory=dict)   # the ``nvidia:`` section as written
    node_overrides: dict[str, dict] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)       # settings not read (default used)

    def as_dict(self) -> dict[str, Any]:
        return {"deviceSplitCount": self.split, "deviceMemoryScaling": self.mem_scaling,
                "deviceCoreScaling": self.core_scaling, "defaultMemory": self.default_memory,
                "defaultCores": self.default_cores, "defaultGPUNum": self.default_gpu_num,
                "source": f"{self.path} ({self.name})" if self.path else "chart defaults (ConfigMap not in the bundle)"}


def _setting(section: dict[str, Any], key: str, default: Any, integer: bool = True) -> Any:
    """One setting of the ``nvidia:`` section; ``default`` when unset, or when it is not a
    number HAMi would take (not a number, negative, beyond int32 for an integer: noted)."""
    value = section.get(key)
    if value is None or value == "" or value == 0:
        return default
    number = quantity(value, key)
    if number is None:
        return default
    if number < 0 or (integer and (number > _INT32 or number != int(number))):
        note_value(key, value, "is not a setting HAMi takes")
        return default
    return int(number) if integer else number


def device_config(configmaps: list[dict[str, Any]]) -> HamiConfig:
    """HAMi's configuration from the bundle's ConfigMaps (``scheduler_device_config`` and the
    device plugin's ``config.json`` ``nodeconfig``)."""
    cfg = HamiConfig()
    cm, key, nv = scheduler_device_config(configmaps)
    if cm is not None:
        meta = cm.get("metadata") if isinstance(cm.get("metadata"), dict) else {}
        with value_problems() as notes:
            cfg.split = _setting(nv, "deviceSplitCount", cfg.split)
            cfg.mem_scaling = _setting(nv, "deviceMemoryScaling", cfg.mem_scaling, integer=False)
            cfg.core_scaling = _setting(nv, "deviceCoreScaling", cfg.core_scaling, integer=False)
            cfg.default_memory = _setting(nv, "defaultMemory", 0)
            cfg.default_cores = _setting(nv, "defaultCores", 0)
            cfg.default_gpu_num = _setting(nv, "defaultGPUNum", cfg.default_gpu_num)
        cfg.problems = [f"ConfigMap {meta.get('name')} key {key}: {n}, the chart default is used" for n in notes]
        cfg.path, cfg.name = cm["_path"], f"{meta.get('name')}/{key}"
        cfg.line, cfg.namespace, cfg.section = cm.get("_line"), meta.get("namespace"), nv
    _, entries = device_plugin_config(configmaps)
    for nc in entries:
        if nc.get("name"):
            cfg.node_overrides[nc["name"]] = nc
    return cfg
