"""A small, real collector bundle to break: objects taken from the sample bundles (HAMi's GPU
node, ConfigMaps, webhook and scheduler; a HAMi pod and a pending one with their events and a
vLLM log; a Dynamo graph with its CRD, frontend pod and metrics scrape), written in our
collector's layout. Cases change one thing in it (``Bundle.edit``) and plant a secret.

Reading the samples once and writing a bundle of about 150 KB keeps each case cheap.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_bundles"
HAMI = SAMPLES / "hami-gpumem-pending"
DYNAMO = SAMPLES / "healthy-dynamo-agg"

POD_A = "chat-qwen25-7b-a-tvtbp28ltj-9dssv"      # Running, HAMi annotations
POD_PENDING = "qwen25-32b-awq-md74smq4v4-5v59z"   # Pending, FilteringFailed events
FRONTEND = "vllm-agg-frontend-jjbd7g5hln-qxb5t"
LOG = f"namespaces/ml-serving/logs/{POD_A}/vllm.log"
FT = SAMPLES / "ft-results"


def _items(path: Path) -> list[dict]:
    return json.loads(path.read_text())["items"]


def _pick(path: Path, *names: str) -> list[dict]:
    return [o for o in _items(path) if o["metadata"]["name"] in names]


@functools.lru_cache(maxsize=1)
def _base() -> dict[str, Any]:
    """relative path -> JSON document (dict) or text (str)."""
    docs: dict[str, Any] = {}

    def put(rel: str, items: list[dict]) -> None:
        docs[rel] = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}

    put("cluster/nodes.json", _items(HAMI / "cluster/nodes.json")[:2])
    put("cluster/namespaces.json", _items(HAMI / "cluster/namespaces.json") + _pick(DYNAMO / "cluster/namespaces.json", "dynamo"))
    for name in ("mutatingwebhookconfigurations", "runtimeclasses"):
        put(f"cluster/{name}.json", _items(HAMI / f"cluster/{name}.json"))
    put("cluster/customresourcedefinitions.json",
        _pick(DYNAMO / "cluster/customresourcedefinitions.json", "dynamographdeployments.nvidia.com"))
    docs["cluster/version.json"] = json.loads((HAMI / "cluster/version.json").read_text())
    hs = HAMI / "namespaces/hami-system"
    put("namespaces/hami-system/configmaps.json", _pick(hs / "configmaps.json", "hami-scheduler-device", "hami-device-plugin"))
    put("namespaces/hami-system/pods.json", [o for o in _items(hs / "pods.json") if "scheduler" in o["metadata"]["name"]])
    for name in ("services", "endpoints"):
        put(f"namespaces/hami-system/{name}.json", _items(hs / f"{name}.json"))
    ml = HAMI / "namespaces/ml-serving"
    put("namespaces/ml-serving/pods.json", _pick(ml / "pods.json", POD_A, POD_PENDING))
    put("namespaces/ml-serving/events.json", _items(ml / "events.json"))
    put("namespaces/ml-serving/secrets.json", _items(ml / "secrets.json"))
    put("namespaces/ml-serving/configmaps.json", [])
    docs[LOG] = "".join((ml / f"logs/{POD_A}/vllm.log").read_text().splitlines(keepends=True)[:40])
    dy = DYNAMO / "namespaces/dynamo"
    put("namespaces/dynamo/custom/dynamographdeployments.json", _items(dy / "custom/dynamographdeployments.json"))
    put("namespaces/dynamo/pods.json", _pick(dy / "pods.json", FRONTEND))
    docs[f"namespaces/dynamo/metrics/{FRONTEND}.prom"] = (dy / f"metrics/{FRONTEND}.prom").read_text()
    docs[f"namespaces/dynamo/logs/{FRONTEND}/main.log"] = (dy / f"logs/{FRONTEND}/main.log").read_text()
    manifest = json.loads((HAMI / "manifest.json").read_text())
    manifest["namespaces"] = manifest["options"]["namespaces"] = ["hami-system", "ml-serving", "dynamo"]
    manifest["commands"] = [c for c in manifest["commands"] if c.get("path") in docs or c.get("exit_code")][:30]
    docs["manifest.json"] = manifest
    return docs


class Bundle:
    """A copy of the base bundle to edit, then ``write`` to a folder."""

    def __init__(self) -> None:
        self.docs: dict[str, Any] = copy.deepcopy(_base())
        self.raw: dict[str, bytes] = {}   # files written as they are (after the documents)

    def doc(self, rel: str) -> Any:
        return self.docs[rel]

    def item(self, rel: str, index: int = 0) -> dict:
        return self.docs[rel]["items"][index]

    def pod(self, name: str = POD_A) -> dict:
        ns = "dynamo" if name == FRONTEND else "ml-serving"
        return next(p for p in self.docs[f"namespaces/{ns}/pods.json"]["items"] if p["metadata"]["name"] == name)

    def node(self, index: int = 0) -> dict:
        return self.item("cluster/nodes.json", index)

    def configmap(self, name: str) -> dict:
        return next(c for c in self.docs["namespaces/hami-system/configmaps.json"]["items"] if c["metadata"]["name"] == name)

    def edit(self, rel: str, fn: Callable[[Any], Any]) -> "Bundle":
        """Replace document ``rel`` with ``fn(document)`` (edit in place and return it)."""
        self.docs[rel] = fn(self.docs[rel])
        return self

    def log(self, text: str, rel: str = LOG) -> "Bundle":
        """Append lines to a container log."""
        self.docs[rel] = self.docs.get(rel, "") + text
        return self

    def write(self, root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        for rel, doc in self.docs.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(doc, str):
                p.write_text(doc, encoding="utf-8", errors="surrogatepass")
            elif isinstance(doc, bytes):
                p.write_bytes(doc)
            else:
                p.write_text(json.dumps(doc, indent=1, allow_nan=True))
        for rel, data in self.raw.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        return root


def setin(obj: Any, path: tuple, value: Any) -> Any:
    """Set ``obj[path[0]][path[1]]...`` to ``value`` (list indices as ints); returns ``obj``."""
    cur = obj
    for key in path[:-1]:
        cur = cur[key]
    cur[path[-1]] = value
    return obj
