"""`serve` reads a bundle's objects with the parse stage's reader: no Secret value is ever served,
whatever the file's form, and the same files give the same objects."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from analyzer.serve import load_cluster, respond
from minibundle import NS, SECRET_VALUES

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def _bodies(cluster, paths: list[str]) -> list[bytes]:
    out = []
    for path in paths:
        for accept in ("application/json", TABLE):
            resp = respond(cluster, "GET", path, accept)
            assert resp.status == 200, (path, accept, resp.body[:200])
            out.append(resp.body)
    return out


def test_secret_values_are_never_served(mini_cluster) -> None:
    bodies = _bodies(mini_cluster, [
        f"/api/v1/namespaces/{NS}/secrets", "/api/v1/secrets", f"/api/v1/namespaces/{NS}/secrets/db",
        f"/api/v1/namespaces/{NS}/secrets/hf-token-secret", f"/api/v1/namespaces/{NS}/secrets?includeObject=Object"])
    bodies.append(respond(mini_cluster, "GET", f"/api/v1/namespaces/{NS}/secrets?includeObject=Object", TABLE).body)
    for body in bodies:
        for value in SECRET_VALUES:
            assert value.encode() not in body
    # names, key names and the number of keys stay, as `kubectl get secrets` shows them
    db = json.loads(respond(mini_cluster, "GET", f"/api/v1/namespaces/{NS}/secrets/db").body)
    assert db["data"] == {"token": ""} and db["stringData"] == {"password": ""}
    hf = json.loads(respond(mini_cluster, "GET", f"/api/v1/namespaces/{NS}/secrets/hf-token-secret").body)
    assert hf["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] == ""
    table = json.loads(respond(mini_cluster, "GET", f"/api/v1/namespaces/{NS}/secrets", TABLE).body)
    assert [(r["cells"][0], r["cells"][2]) for r in table["rows"]] == [("db", 1), ("hf-token-secret", 1)]


def test_secrets_in_yaml_and_mixed_lists_are_stripped_too(tmp_path: Path) -> None:
    """Another collector's layout: a multi-document YAML and a v1 List mixing kinds, whose items
    take the list's kind and apiVersion when they carry none."""
    bundle = tmp_path / "loose"
    bundle.mkdir()
    (bundle / "all.yaml").write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ngc", "namespace": "llm"},
         "stringData": {"NGC_API_KEY": "nvapi-PlantedNgcKey0123456789abcdefghij"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "llm"},
         "data": {"a": "1"}}]))
    (bundle / "list.json").write_text(json.dumps({"apiVersion": "v1", "kind": "SecretList", "items": [
        {"metadata": {"name": "pull", "namespace": "llm"}, "type": "kubernetes.io/dockerconfigjson",
         "data": {".dockerconfigjson": "eyJhdXRocyI6eyJudmNyLmlvIjp7InBhc3N3b3JkIjoiaHVudGVyMiJ9fX0="}}]}))
    cluster = load_cluster(str(bundle))
    try:
        body = b"".join(_bodies(cluster, ["/api/v1/secrets", "/api/v1/namespaces/llm/secrets/pull",
                                          "/api/v1/namespaces/llm/secrets/ngc", "/api/v1/namespaces/llm/configmaps"]))
        assert b"nvapi-Planted" not in body and b"eyJhdXRocy" not in body
        pull = json.loads(respond(cluster, "GET", "/api/v1/namespaces/llm/secrets/pull").body)
        assert (pull["kind"], pull["apiVersion"], pull["data"]) == ("Secret", "v1", {".dockerconfigjson": ""})
        cfg = json.loads(respond(cluster, "GET", "/api/v1/namespaces/llm/configmaps/cfg").body)
        assert cfg["data"] == {"a": "1"}       # only Secrets lose their values
    finally:
        cluster.close()


def test_unreadable_object_files_are_problems_and_the_rest_is_served(tmp_path: Path) -> None:
    bundle = tmp_path / "loose"
    bundle.mkdir()
    (bundle / "broken.json").write_text('{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": ')
    (bundle / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n  namespace: a\n")
    cluster = load_cluster(str(bundle))
    try:
        assert [p.split(":", 1)[0] for p in cluster.problems] == ["broken.json"]
        assert "invalid JSON" in cluster.problems[0]
        assert respond(cluster, "GET", "/api/v1/namespaces/a/configmaps/ok").status == 200
    finally:
        cluster.close()
