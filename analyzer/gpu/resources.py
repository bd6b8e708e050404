"""GPU resources in the tables: what pods ask for and which nodes offer GPUs.

The ``pods`` and ``containers`` tables carry the extended resources as columns: ``gpu``
(``nvidia.com/gpu``) and HAMi's ``gpumem``, ``gpumem_percentage``, ``gpucores``; the ``nodes``
table carries ``gpu_capacity``, ``gpu_allocatable``, ``gpu_allocated`` (from ``kubectl describe
node``) and ``gpu_product``.
"""

from __future__ import annotations

from typing import Any

from analyzer.gpu.hami import REGISTER
from analyzer.state.model import unscheduled  # noqa: F401 - a pod's state, used here by row
from analyzer.tables import from_json

HAMI_RESOURCES = ("gpumem", "gpumem_percentage", "gpucores")  # columns of HAMi-only resources
GPU_COLUMNS = ("gpu", *HAMI_RESOURCES)
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"  # set by GPU feature discovery
DONE_PHASES = ("Succeeded", "Failed")


def requests_gpu(row: dict[str, Any]) -> bool:
    """The pod/container row asks for ``nvidia.com/gpu`` or a HAMi resource."""
    return any(row.get(c) for c in GPU_COLUMNS)


def requests_hami(row: dict[str, Any]) -> bool:
    """The row asks for a HAMi-only resource (gpumem, gpumem-percentage, gpucores)."""
    return any(row.get(c) is not None for c in HAMI_RESOURCES)


def holds_devices(row: dict[str, Any]) -> bool:
    """A pod bound to a node and not finished: its GPUs are taken (an unknown phase counts)."""
    return bool(row.get("node")) and row.get("phase") not in DONE_PHASES


def offers_gpus(row: dict[str, Any]) -> bool:
    """A node that offers GPUs to the scheduler: ``nvidia.com/gpu`` capacity or HAMi's register."""
    return (row.get("gpu_capacity") or 0) > 0 or REGISTER in (from_json(row.get("annotations"), {}) or {})


def is_gpu_node(row: dict[str, Any]) -> bool:
    """A node that GPUs were seen on: capacity, the GPU-feature-discovery labels or HAMi's register."""
    labels = from_json(row.get("labels"), {}) or {}
    return bool(offers_gpus(row) or labels.get(GPU_PRESENT_LABEL) == "true" or row.get("gpu_product"))
