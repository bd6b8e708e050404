"""The offline API's answers, request by request (no sockets): what kubectl reads from them."""

from __future__ import annotations

import json
import socket

from analyzer.parse.quantity import human_duration
from analyzer.serve import Cluster, make_server, respond
from analyzer.serve.tables import pod_status
from minibundle import HAMI_NS, NS, write_bundle

WORKER = "qwen-vllmdecodeworker-7d9f8-abcde"
TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"


def _json(cluster: Cluster, path: str, accept: str = "application/json", method: str = "GET", body: bytes = b""):
    resp = respond(cluster, method, path, accept, body)
    return resp.status, json.loads(resp.body)


def test_discovery_lists_core_builtin_groups_and_the_bundles_crds(mini_cluster: Cluster) -> None:
    status, core = _json(mini_cluster, "/api/v1")
    assert status == 200
    names = {r["name"] for r in core["resources"]}
    assert {"pods", "pods/log", "nodes", "events", "secrets"} <= names
    _, groups = _json(mini_cluster, "/apis")
    by_name = {g["name"]: g for g in groups["groups"]}
    assert by_name["nvidia.com"]["preferredVersion"]["version"] == "v1alpha1"
    assert "apps" in by_name and "apiextensions.k8s.io" in by_name
    _, nv = _json(mini_cluster, "/apis/nvidia.com/v1alpha1")
    dgd = next(r for r in nv["resources"] if r["name"] == "dynamographdeployments")
    assert dgd["namespaced"] and dgd["kind"] == "DynamoGraphDeployment" and dgd["shortNames"] == ["dgd"]
    _, version = _json(mini_cluster, "/version")
    assert version["gitVersion"] == "v1.30.5" and version["minor"] == "30"


def test_list_and_get_return_the_bundles_objects(mini_cluster: Cluster) -> None:
    status, pods = _json(mini_cluster, f"/api/v1/namespaces/{NS}/pods")
    assert status == 200 and pods["kind"] == "PodList"
    assert [p["metadata"]["name"] for p in pods["items"]] == [
        "qwen-frontend-5c6d7-fghij", "qwen-prefill-6b5a4-klmno", WORKER]
    _, everywhere = _json(mini_cluster, "/api/v1/pods?labelSelector=app%3Dhami-scheduler")
    assert [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in everywhere["items"]] == [
        (HAMI_NS, "hami-scheduler-6c8b9d-pqrst")]
    status, node = _json(mini_cluster, "/api/v1/nodes/gpu-node-1")
    assert status == 200 and node["status"]["capacity"]["nvidia.com/gpu"] == "8"
    _, dgds = _json(mini_cluster, f"/apis/nvidia.com/v1alpha1/namespaces/{NS}/dynamographdeployments")
    assert [d["metadata"]["name"] for d in dgds["items"]] == ["qwen"]


def test_missing_object_is_a_not_found_status(mini_cluster: Cluster) -> None:
    status, body = _json(mini_cluster, f"/api/v1/namespaces/{NS}/pods/nope")
    assert status == 404
    assert body["kind"] == "Status" and body["reason"] == "NotFound" and body["message"] == 'pods "nope" not found'


def test_pod_table_has_kubectl_columns_and_status(mini_cluster: Cluster) -> None:
    resp = respond(mini_cluster, "GET", f"/api/v1/namespaces/{NS}/pods", TABLE_ACCEPT)
    assert resp.content_type.startswith("application/json;as=Table")
    table = json.loads(resp.body)
    assert [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0] == [
        "Name", "Ready", "Status", "Restarts", "Age"]
    rows = {r["cells"][0]: r["cells"] for r in table["rows"]}
    # collected 12:00, last restart finished 11:50:42 -> "4 (9m18s ago)"; created 10:00 -> 120m
    assert rows[WORKER][1:5] == ["0/1", "CrashLoopBackOff", "4 (9m18s ago)", "120m"]
    assert rows["qwen-prefill-6b5a4-klmno"][2] == "Pending"
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert table["rows"][0]["object"]["metadata"]["namespace"] == NS


def test_event_field_selectors_as_describe_sends_them(mini_cluster: Cluster) -> None:
    sel = (f"involvedObject.namespace={NS},involvedObject.uid=uid-{NS}-{WORKER},involvedObject.name={WORKER}")
    _, events = _json(mini_cluster, f"/api/v1/namespaces/{NS}/events?fieldSelector={sel}&limit=500")
    assert [e["reason"] for e in events["items"]] == ["BackOff"]
    # describe node asks once by uid and once by name; an event is answered once
    by_uid = "involvedObject.name=gpu-node-1,involvedObject.namespace=,involvedObject.kind=Node,involvedObject.uid=uid-cluster-gpu-node-1"
    by_name = "involvedObject.namespace=,involvedObject.kind=Node,involvedObject.uid=gpu-node-1,involvedObject.name=gpu-node-1"
    found = [len(_json(mini_cluster, f"/api/v1/events?fieldSelector={s}")[1]["items"]) for s in (by_uid, by_name)]
    assert found == [1, 0]
    _, on_node = _json(mini_cluster, "/api/v1/pods?fieldSelector=spec.nodeName%3Dgpu-node-1%2Cstatus.phase%21%3DFailed")
    assert [p["metadata"]["name"] for p in on_node["items"]] == [WORKER]


def test_logs_previous_timestamps_and_tail(mini_cluster: Cluster) -> None:
    base = f"/api/v1/namespaces/{NS}/pods/{WORKER}/log?container=main"
    prev = respond(mini_cluster, "GET", base + "&previous=true")
    assert prev.status == 200
    lines = prev.body.decode().splitlines()
    # stored with --timestamps; kubectl logs without --timestamps gets the lines without them
    assert lines[-1].startswith("ERROR 11-20 11:50:41 [core.py:586] torch.OutOfMemoryError: CUDA out of memory.")
    stamped = respond(mini_cluster, "GET", base + "&previous=true&timestamps=true&tailLines=1").body.decode()
    assert stamped.startswith("2026-11-20T11:50:41.000000000Z ERROR") and stamped.count("\n") == 1
    since = respond(mini_cluster, "GET", base + "&previous=true&sinceTime=2026-11-20T11:50:40Z").body.decode()
    assert since.count("\n") == 2


def test_log_errors_read_like_the_api_servers(mini_cluster: Cluster) -> None:
    status, body = _json(mini_cluster, f"/api/v1/namespaces/{NS}/pods/qwen-frontend-5c6d7-fghij/log?container=main&previous=true")
    assert status == 400
    assert body["message"] == 'previous terminated container "main" in pod "qwen-frontend-5c6d7-fghij" not found'
    status, body = _json(mini_cluster, f"/api/v1/namespaces/{NS}/pods/qwen-prefill-6b5a4-klmno/log?container=main")
    assert (status, body["message"]) == (400, "pod qwen-prefill-6b5a4-klmno does not have a host assigned")


def test_pod_proxy_serves_the_metrics_scrape(mini_cluster: Cluster) -> None:
    resp = respond(mini_cluster, "GET", f"/api/v1/namespaces/{NS}/pods/qwen-frontend-5c6d7-fghij:8000/proxy/metrics")
    assert resp.status == 200 and resp.content_type.startswith("text/plain")
    assert b'dynamo_frontend_requests_total{endpoint="chat_completions"' in resp.body
    assert respond(mini_cluster, "GET", f"/api/v1/namespaces/{NS}/pods/{WORKER}:9090/proxy/metrics").status == 503


def test_writes_and_watches_are_refused_and_can_i_answers_read_only(mini_cluster: Cluster) -> None:
    status, body = _json(mini_cluster, f"/api/v1/namespaces/{NS}/pods/{WORKER}", method="DELETE")
    assert status == 405 and "read-only" in body["message"]
    assert respond(mini_cluster, "GET", f"/api/v1/namespaces/{NS}/pods?watch=true").status == 405
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
              "spec": {"resourceAttributes": {"namespace": NS, "verb": "create", "resource": "pods",
                                              "subresource": "exec"}}}
    path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    status, answer = _json(mini_cluster, path, method="POST", body=json.dumps(review).encode())
    assert status == 201 and answer["status"]["allowed"] is False
    review["spec"]["resourceAttributes"].update(verb="list", subresource="")
    assert _json(mini_cluster, path, method="POST", body=json.dumps(review).encode())[1]["status"]["allowed"] is True


def test_refusals_recorded_by_the_collector_are_replayed(tmp_path) -> None:
    from analyzer.serve import load_cluster

    cluster = load_cluster(str(write_bundle(tmp_path, forbidden_namespace="locked")))
    try:
        status, body = _json(cluster, "/api/v1/namespaces/locked/pods")
        assert status == 403 and body["reason"] == "Forbidden"
        assert body["message"].startswith('pods is forbidden: User "system:serviceaccount:support:collector"')
        assert _json(cluster, f"/api/v1/namespaces/{NS}/pods")[0] == 200
    finally:
        cluster.close()


def test_server_binds_to_loopback_only(mini_cluster: Cluster) -> None:
    server = make_server(mini_cluster, 0)
    try:
        host, port = server.server_address
        assert host == "127.0.0.1" and port > 0
        assert server.socket.family == socket.AF_INET
    finally:
        server.server_close()


def test_human_duration_matches_kubernetes() -> None:
    assert [human_duration(s) for s in (5, 119, 125, 600, 3 * 3600 + 5 * 60, 30 * 3600, 3 * 86400 + 3600, 400 * 86400)] == [
        "5s", "119s", "2m5s", "10m", "3h5m", "30h", "3d1h", "400d"]


def test_pod_status_init_and_completed() -> None:
    pod = {"spec": {"initContainers": [{"name": "download"}], "containers": [{"name": "main"}]},
           "status": {"phase": "Pending", "initContainerStatuses": [
               {"name": "download", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]},
           "metadata": {}}
    assert pod_status(pod)[0] == "Init:CrashLoopBackOff"
    done = {"spec": {"containers": [{"name": "bench"}]}, "metadata": {},
            "status": {"phase": "Succeeded", "containerStatuses": [
                {"name": "bench", "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}}
    assert pod_status(done)[:3] == ("Completed", 0, 1)


def test_cluster_info_dump_logs_are_served_per_container(tmp_path) -> None:
    from analyzer.serve import load_cluster

    root = tmp_path / "dump"
    (root / "ml" / "vllm-0").mkdir(parents=True)
    (root / "nodes.json").write_text(json.dumps({"kind": "NodeList", "apiVersion": "v1", "items": []}))
    pod = {"metadata": {"name": "vllm-0", "namespace": "ml"}, "spec": {"nodeName": "n1", "containers": [
        {"name": "main"}, {"name": "sidecar"}]}, "status": {"phase": "Running"}}
    (root / "ml" / "pods.json").write_text(json.dumps({"kind": "PodList", "apiVersion": "v1", "items": [pod]}))
    (root / "ml" / "vllm-0" / "logs.txt").write_text(
        "==== START logs for container main of pod ml/vllm-0 ====\n"
        "INFO: Started server process [1]\n"
        "==== END logs for container main of pod ml/vllm-0 ====\n"
        "==== START logs for container sidecar of pod ml/vllm-0 ====\n"
        "proxy ready\n"
        "==== END logs for container sidecar of pod ml/vllm-0 ====\n")
    cluster = load_cluster(str(root))
    try:
        main = respond(cluster, "GET", "/api/v1/namespaces/ml/pods/vllm-0/log?container=main")
        assert (main.status, main.body) == (200, b"INFO: Started server process [1]\n")
        side = respond(cluster, "GET", "/api/v1/namespaces/ml/pods/vllm-0/log?container=sidecar")
        assert side.body == b"proxy ready\n"
    finally:
        cluster.close()
