#!/usr/bin/env bash
# A stand-in for kubectl in the collector tests: answers the commands collect-bundle.sh runs with
# small but real-shaped output, and misbehaves on request:
#   FAKE_FORBIDDEN_NS=ns   every namespaced request in ns answers 403 as the API server does
#   FAKE_HANG=describe     'kubectl describe nodes' never returns
#   FAKE_LOG_LINES=n       container logs have n lines
#   FAKE_CAN_EXEC=yes      RBAC allows pods/exec
# Every call is appended to $FAKE_CALLS (one line of arguments).
set -u
args=()
for a in "$@"; do
  case $a in --request-timeout=*|--context=*|--kubeconfig=*) ;; *) args+=("$a") ;; esac
done
[ -n "${FAKE_CALLS:-}" ] && printf '%s\n' "${args[*]}" >>"$FAKE_CALLS"
set -- "${args[@]}"
cmd="$*"

ns=""
prev=""
for a in "$@"; do
  [ "$prev" = "-n" ] && ns=$a
  prev=$a
done

if [ -n "$ns" ] && [ "$ns" = "${FAKE_FORBIDDEN_NS:-}" ] && [ "$1" != "auth" ]; then
  res=$2
  [ "$1" = "logs" ] && res="pods/log"
  printf 'Error from server (Forbidden): %s is forbidden: User "system:serviceaccount:support:collector" cannot list resource "%s" in API group "" in the namespace "%s"\n' \
    "$res" "$res" "$ns" >&2
  case $cmd in *"-o json"*) printf '{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n' ;; esac
  exit 1
fi

list() { printf '{\n    "apiVersion": "v1",\n    "items": [%s],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n' "${1:-}"; }

pod_json() {  # name ns
  cat <<EOF
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "$1",
                "namespace": "$2"
            },
            "spec": {
                "containers": [
                    {
                        "env": [
                            {
                                "name": "HF_TOKEN",
                                "value": "hf_FakePlantedToken0123456789abcdefgh"
                            },
                            {
                                "name": "REDIS_PASSWORD",
                                "value": "plantedRedisPw77"
                            }
                        ],
                        "image": "vllm/vllm-openai:v0.10.1",
                        "name": "main",
                        "resources": {
                            "limits": {
                                "nvidia.com/gpu": "1"
                            }
                        }
                    }
                ]
            },
            "status": {
                "phase": "Running"
            }
        }
EOF
}

case $cmd in
  "version -o json")
    printf '{\n  "clientVersion": {"gitVersion": "v1.30.5"},\n  "serverVersion": {\n    "major": "1",\n    "minor": "30",\n    "gitVersion": "v1.30.5",\n    "platform": "linux/amd64"\n  }\n}\n' ;;
  "config current-context") echo "fake-ctx" ;;
  "describe nodes")
    if [ "${FAKE_HANG:-}" = "describe" ]; then exec sleep 300; fi
    printf 'Name:               gpu-1\nRoles:              <none>\nCapacity:\n  nvidia.com/gpu:     8\n' ;;
  "top nodes"|"top pods"*) echo "error: Metrics API not available" >&2; exit 1 ;;
  "get nodes,"*" -o json")  # the cluster-scoped lists, in one call
    list "$(printf '\n        {\n            "apiVersion": "apiextensions.k8s.io/v1",\n            "kind": "CustomResourceDefinition",\n            "metadata": {\n                "name": "dynamographdeployments.nvidia.com"\n            },\n            "spec": {\n                "group": "nvidia.com",\n                "scope": "Namespaced"\n            }\n        }\n    ')" ;;
  "get customresourcedefinitions -o jsonpath"*) printf 'Namespaced dynamographdeployments.nvidia.com DynamoGraphDeployment\n' ;;
  "get pods -A -l app=hami-scheduler"*) printf 'hami-system\n' ;;
  "get pods -A -o jsonpath"*)
    printf 'ml\tvllm-0\t{"limits":{"nvidia.com/gpu":"1"}}\n'
    printf 'other\tweb-0\t{"limits":{"cpu":"1"}}\n'
    printf 'hami-system\thami-scheduler-abc\t{}\n' ;;
  "get dynamographdeployments.nvidia.com -A"*) printf 'dynamo-ns\ndynamo-ns\n' ;;
  "get pods,"*" -n "*" -o json"|"get pods -n "*" -o json") list "$(printf '\n%s\n    ' "$(pod_json "vllm-0" "$ns")")" ;;
  "get pods -n "*" -o jsonpath"*)
    printf 'vllm-0|Running||main |main=2 |http:8000 |9090 |main=1 \n' ;;
  "describe pods -n "*)
    printf 'Name:         vllm-0\nNamespace:    %s\nContainers:\n  main:\n    Environment:\n      HF_TOKEN:  hf_FakePlantedToken0123456789abcdefgh\n      NGC_API_KEY:  nvapi-FakePlantedNgcKey0123456789abcdefghijkl\n' "$ns" ;;
  "get secrets -n "*) printf '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"hf-token","namespace":"%s"},"type":"Opaque","data":{"token":null}}]}' "$ns" ;;
  "auth can-i"*)
    if [ "${FAKE_CAN_EXEC:-}" = "yes" ]; then echo "yes"; else echo "no"; exit 1; fi ;;
  "exec -n "*" -- nvidia-smi")
    printf '+-----------------------------------------------------------------------------------------+\n'
    printf '| NVIDIA-SMI 550.127.05             Driver Version: 550.127.05     CUDA Version: 12.4     |\n' ;;
  "get namespaces -o jsonpath"*) printf 'ml\nother\n' ;;
  "logs "*)
    n=${FAKE_LOG_LINES:-3}
    i=1
    while [ "$i" -le "$n" ]; do
      printf '2026-11-20T10:%02d:%02d.000000000Z INFO line %d Authorization: Bearer plantedBearerTokenXYZ123 password=plantedPw%d\n' \
        $((i / 60 % 60)) $((i % 60)) "$i" "$i"
      i=$((i + 1))
    done ;;
  "get --raw "*) printf '# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name="m"} 1\n' ;;
  "get "*" -o json") list ;;
  *) echo "error: the fake kubectl does not know: $cmd" >&2; exit 1 ;;
esac
