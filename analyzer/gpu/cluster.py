"""The cluster's GPUs and HAMi, worked out once from the parsed tables and the bundle facts.

The diagnosis builds one ``GpuCluster``; the structured checks read it as ``ctx.gpu`` and the
report shows its ``analyzer.gpu.status.cluster_status``, so both speak of the same devices,
configuration and components.
Every part is computed on first use only.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import polars as pl

from analyzer.findings import PodRef
from analyzer.gpu.fit import Request, container_request, devices_by_node, node_inventory
from analyzer.gpu.hami import Device, HamiConfig, component_of, device_config, main_namespace
from analyzer.gpu.resources import holds_devices, requests_hami
from analyzer.tables import object_bodies


class GpuCluster:
    """GPU nodes, HAMi's configuration, devices and components of one bundle."""

    def __init__(self, tables: dict[str, pl.DataFrame], facts: dict[str, Any]) -> None:
        self.tables = tables
        self.facts = facts

    def table(self, name: str) -> pl.DataFrame:
        return self.tables.get(name, pl.DataFrame())

    def objects(self, kind: str) -> list[dict[str, Any]]:
        return object_bodies(self.tables.get("objects"), kind)

    @cached_property
    def config(self) -> HamiConfig:
        """HAMi's device configuration (chart defaults when its ConfigMaps are not in the bundle)."""
        return device_config(self.objects("ConfigMap"))

    @cached_property
    def nodes(self) -> list[dict[str, Any]]:
        """One row per node, in table order: a node listed twice keeps its first row (JSON before
        describe), gaps filled from the other."""
        merged: dict[str, dict[str, Any]] = {}
        rows = self.table("nodes").to_dicts()
        order = {id(r): i for i, r in enumerate(rows)}
        for row in sorted(rows, key=lambda r: (0 if r.get("origin") == "json" else 1, order[id(r)])):
            name = row.get("name")
            if not name:
                continue
            node = merged.setdefault(name, {})
            for key, value in row.items():
                if node.get(key) in (None, "", "{}", "[]") and value not in (None, ""):
                    node[key] = value
        first = {}
        for r in rows:
            first.setdefault(r.get("name"), order[id(r)])
        return sorted(merged.values(), key=lambda n: first[n["name"]])

    @cached_property
    def pods(self) -> list[dict[str, Any]]:
        return self.table("pods").to_dicts()

    @cached_property
    def app_containers(self) -> dict[tuple, list[dict[str, Any]]]:
        """``(namespace, pod)`` -> its app containers (init containers left out)."""
        out: dict[tuple, list[dict[str, Any]]] = {}
        for c in self.table("containers").to_dicts():
            if c.get("init") is False:
                out.setdefault(PodRef.of(c).key, []).append(c)
        return out

    @cached_property
    def registered(self) -> dict[str, list[Device]]:
        """Each node's devices as HAMi registered them (``hami.io/node-nvidia-register``)."""
        return devices_by_node(self.nodes)

    @cached_property
    def card_types(self) -> dict[str, str]:
        """GPU uuid -> the card type its node registered (``NVIDIA-NVIDIA A100-SXM4-80GB``)."""
        return {d.uuid: d.type for devices in self.registered.values() for d in devices}

    @cached_property
    def _inventory(self) -> tuple[dict[str, list[Device]], list[str]]:
        return node_inventory(self.registered, self.pods, self.app_containers, self.config)

    @property
    def inventory(self) -> dict[str, list[Device]]:
        """Each HAMi-registered node's devices minus what its live pods hold."""
        return self._inventory[0]

    @property
    def estimates(self) -> list[str]:
        """Notes on pods whose device usage was estimated from their limits."""
        return self._inventory[1]

    def requests(self, pod: dict[str, Any]) -> list[Request]:
        """The app containers' HAMi requests of one pod."""
        rows = self.app_containers.get(PodRef.of(pod).key, [])
        return [r for r in (container_request(c, self.config) for c in rows) if r]

    @cached_property
    def _gpus_requested(self) -> dict[str, int]:
        """node -> the ``nvidia.com/gpu`` its live pods request."""
        out: dict[str, int] = {}
        for p in self.pods:
            if holds_devices(p):
                out[p["node"]] = out.get(p["node"], 0) + (p.get("gpu") or 0)
        return out

    def gpus_allocated(self, node: dict[str, Any]) -> int:
        """``nvidia.com/gpu`` allocated on a node: ``kubectl describe node``'s count, else the sum
        of what its live pods request."""
        if node.get("gpu_allocated") is not None:
            return int(node["gpu_allocated"])
        return self._gpus_requested.get(node.get("name"), 0)

    @cached_property
    def components(self) -> list[tuple[dict[str, Any], str]]:
        """(pod row, component) of every HAMi component pod, in any namespace."""
        return [(p, c) for p in self.pods if (c := component_of(p))]

    @cached_property
    def hami_namespace(self) -> str | None:
        """Where HAMi runs: the ``hami_namespace`` fact, else the namespace of most of its pods."""
        return main_namespace(self.components, self.facts.get("hami_namespace"))

    @cached_property
    def hami_askers(self) -> list[dict[str, Any]]:
        """The pods that ask for a HAMi resource (gpumem, gpumem-percentage, gpucores)."""
        return [r for r in self.pods if requests_hami(r)]

    @cached_property
    def hami_installed(self) -> bool:
        """The bundle says where HAMi runs, or holds one of its component pods."""
        return bool(self.facts.get("hami_namespace")) or bool(self.components)
