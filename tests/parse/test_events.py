"""Events from `kubectl get events -o json` and from the plain table."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from analyzer.parse.events import event_row, table_rows

TABLE = """\
NAMESPACE     LAST SEEN   TYPE      REASON             OBJECT                                MESSAGE
dynamo        2m13s       Warning   FailedScheduling   pod/vllm-decode-6c9d8f7b4-k8s2x       0/3 nodes are available: 3 Insufficient nvidia.com/gpumem. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.
dynamo        45s         Normal    Pulled             pod/frontend-5f6d7c8b9-abcde          Container image "nvcr.io/nvidia/ai-dynamo/vllm-runtime:0.6.1" already present on machine
kube-system   12m         Warning   BackOff            pod/nvidia-device-plugin-daemonset-x   Back-off restarting failed container nvidia-device-plugin-ctr in pod nvidia-device-plugin-daemonset-x_kube-system(1f2e)
"""

EVENT_JSON = {
    "apiVersion": "v1", "kind": "Event", "count": 42, "type": "Warning", "reason": "BackOff",
    "firstTimestamp": "2026-11-20T09:41:10Z", "lastTimestamp": "2026-11-20T09:59:40Z",
    "involvedObject": {"apiVersion": "v1", "fieldPath": "spec.containers{main}", "kind": "Pod",
                       "name": "vllm-decode-0", "namespace": "dynamo"},
    "message": "Back-off restarting failed container main in pod vllm-decode-0_dynamo(0b6f)",
    "metadata": {"name": "vllm-decode-0.17f0", "namespace": "dynamo",
                 "creationTimestamp": "2026-11-20T09:41:10Z"},
    "source": {"component": "kubelet", "host": "gpu-node-2"},
}


def test_table_rows():
    rows = table_rows(TABLE, "events.txt")
    assert [(r["namespace"], r["type"], r["reason"], r["object_kind"], r["object_name"]) for r in rows] == [
        ("dynamo", "Warning", "FailedScheduling", "Pod", "vllm-decode-6c9d8f7b4-k8s2x"),
        ("dynamo", "Normal", "Pulled", "Pod", "frontend-5f6d7c8b9-abcde"),
        ("kube-system", "Warning", "BackOff", "Pod", "nvidia-device-plugin-daemonset-x"),
    ]
    assert rows[0]["message"].startswith("0/3 nodes are available: 3 Insufficient nvidia.com/gpumem.")
    assert rows[0]["line"] == 2


def test_json_event_row():
    row = event_row(json.loads(json.dumps(EVENT_JSON)), "events.json")
    assert row["count"] == 42
    assert row["field_path"] == "spec.containers{main}"
    assert row["last_time"] == datetime(2026, 11, 20, 9, 59, 40, tzinfo=timezone.utc)
    assert (row["component"], row["host"]) == ("kubelet", "gpu-node-2")


def test_events_v1_style_without_legacy_times():
    obj = dict(EVENT_JSON, firstTimestamp=None, lastTimestamp=None, count=None,
               eventTime="2026-11-20T09:50:00.123456Z", series={"count": 7, "lastObservedTime": "2026-11-20T09:58:00.000000Z"},
               source={}, reportingComponent="default-scheduler")
    row = event_row(obj, "e.json")
    assert row["count"] == 7
    assert row["last_time"] == datetime(2026, 11, 20, 9, 58, tzinfo=timezone.utc)
    assert row["component"] == "default-scheduler"
