#!/usr/bin/env bash
# A stand-in for kubectl in the collector tests: answers the commands collect-bundle.sh runs with
# small but real-shaped output, and misbehaves on request:
#   FAKE_FORBIDDEN_NS=ns   every namespaced request in ns answers 403 as the API server does
#   FAKE_HANG=describe     'kubectl describe nodes' never returns
#   FAKE_HANG=wait         'kubectl wait' (for a debug pod) never returns
#   FAKE_LOG_LINES=n       container logs have n lines
#   FAKE_CAN_EXEC=yes      RBAC allows pods/exec
#   FAKE_EXEC_FAIL=node    'kubectl exec' into the driver pod on that node cannot reach its kubelet
#   FAKE_DEBUG=fail        'kubectl debug node/...' is refused (RBAC)
# GPU nodes: gpu-1 and gpu-2 run a GPU Operator driver pod and a DCGM exporter; gpu-3 (GPUs, no
# driver pod: driver on the host) and gpu-4 (driver pod not running) are reached by kubectl debug
# only; cpu-1 has no GPU.
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

# a debug pod's name, as kubectl debug makes it: node-debugger-NODE-<5 random characters>
debug_pod() { printf 'node-debugger-%s-%s' "$1" "$(printf '%s' "$1" | cksum | cut -c1-5)"; }

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
  "get pods -A -l app.kubernetes.io/component=nvidia-driver -o jsonpath"*|"get pods -A -l app=nvidia-driver-daemonset -o jsonpath"*)
    printf 'gpu-operator|nvidia-driver-daemonset-8xk2p|gpu-1|Running|nvidia-driver-ctr |\n'
    printf 'gpu-operator|nvidia-driver-daemonset-q7wzt|gpu-2|Running|nvidia-driver-ctr |\n'
    printf 'gpu-operator|nvidia-driver-daemonset-m4v9c|gpu-4|Pending|nvidia-driver-ctr |\n' ;;
  "get pods -A -l app=nvidia-dcgm-exporter -o jsonpath"*)
    printf 'gpu-operator|nvidia-dcgm-exporter-2kqhd|gpu-1|Running|nvidia-dcgm-exporter |metrics:9400 \n'
    printf 'gpu-operator|nvidia-dcgm-exporter-v8xrn|gpu-2|Running|nvidia-dcgm-exporter |metrics:9400 \n' ;;
  "get pods -A -l "*" -o jsonpath"*) ;;
  "get nodes -o jsonpath"*) printf 'gpu-1|8|true\ngpu-2|8|true\ngpu-3|4|\ngpu-4||true\ncpu-1||\n' ;;
  "exec -n gpu-operator "*" -- sh -c "*|"exec -n gpu-operator "*" -- nvidia-smi -q")
    node=""
    case $cmd in *8xk2p*) node=gpu-1 ;; *q7wzt*) node=gpu-2 ;; esac
    if [ "$node" = "${FAKE_EXEC_FAIL:-}" ]; then
      echo "Error from server: error dialing backend: dial tcp 10.0.3.12:10250: i/o timeout" >&2
      exit 1
    fi
    case $cmd in
      *"nvidia-smi -q")
        printf '\n==============NVSMI LOG==============\n\nTimestamp                                 : Fri Nov 20 10:14:03 2026\n'
        printf 'Driver Version                            : 550.127.05\nCUDA Version                              : 12.4\n\n'
        printf 'Attached GPUs                             : 8\nGPU 00000000:3B:00.0\n    Remapped Rows\n'
        printf '        Correctable Error                 : 0\n        Uncorrectable Error               : 1\n'
        printf '        Pending                           : Yes\n        Remapping Failure Occurred        : No\n' ;;
      *)
        printf '[Fri Nov 20 08:01:12 2026] NVRM: loading NVIDIA UNIX x86_64 Kernel Module  550.127.05  Tue Oct  8 03:22:07 UTC 2024\n'
        printf "[Fri Nov 20 10:02:41 2026] NVRM: Xid (PCI:0000:3b:00): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus.\n"
        printf '[Fri Nov 20 10:02:41 2026] NVRM: GPU 0000:3b:00.0: GPU has fallen off the bus.\n' ;;
    esac ;;
  "debug node/"*)
    node=${cmd#debug node/}
    node=${node%% *}
    if [ "${FAKE_DEBUG:-}" = "fail" ]; then
      printf 'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:support:collector" cannot create resource "pods" in API group "" in the namespace "%s"\n' "$ns" >&2
      exit 1
    fi
    printf 'Creating debugging pod %s with container debugger on node %s.\n' "$(debug_pod "$node")" "$node" ;;
  "wait -n "*" --for=condition=Ready pod/"*)
    if [ "${FAKE_HANG:-}" = "wait" ]; then exec sleep 300; fi
    printf '%s condition met\n' "$5" ;;
  "exec -n "*" -c debugger -- chroot /host sh -c "*)
    host=${4#node-debugger-}
    host=${host%-*}
    printf '2026-11-20T09:40:02+0000 %s kernel: NVRM: loading NVIDIA UNIX x86_64 Kernel Module  550.127.05  Tue Oct  8 03:22:07 UTC 2024\n' "$host"
    printf "2026-11-20T10:05:17+0000 %s kernel: NVRM: Xid (PCI:0000:c1:00): 48, pid=2211, name=python3, An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at partition 6, subpartition 0.\n" "$host" ;;
  "exec -n "*" -c debugger -- chroot /host nvidia-smi -q")
    printf '\n==============NVSMI LOG==============\n\nDriver Version                            : 550.127.05\n' ;;
  "delete pod -n "*" --wait=false") printf 'pod "%s" deleted\n' "$5" ;;
  "get pods -A -o jsonpath"*)
    printf 'ml\tvllm-0\t{"limits":{"nvidia.com/gpu":"1"}}\n'
    printf 'other\tweb-0\t{"limits":{"cpu":"1"}}\n'
    printf 'hami-system\thami-scheduler-abc\t{}\n' ;;
  "get dynamographdeployments.nvidia.com -A"*) printf 'dynamo-ns\ndynamo-ns\n' ;;
  "get pods,"*" -n "*" -o json"|"get pods -n "*" -o json") list "$(printf '\n%s\n    ' "$(pod_json "vllm-0" "$ns")")" ;;
  "get pods -n gpu-operator -o jsonpath"*)
    printf 'nvidia-dcgm-exporter-2kqhd|Running||nvidia-dcgm-exporter |nvidia-dcgm-exporter=0 |metrics:9400 ||nvidia-dcgm-exporter= \n' ;;
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
  "get --raw /api/v1/namespaces/gpu-operator/pods/nvidia-dcgm-exporter-"*)
    printf '# HELP DCGM_FI_DEV_XID_ERRORS Value of the last XID error encountered.\n# TYPE DCGM_FI_DEV_XID_ERRORS gauge\n'
    printf 'DCGM_FI_DEV_XID_ERRORS{gpu="0",UUID="GPU-5e3e8a9c-1d2f-4b3a-9c8d-7e6f5a4b3c2d",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-1"} 0\n' ;;
  "get --raw "*) printf '# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name="m"} 1\n' ;;
  "get "*" -o json") list ;;
  *) echo "error: the fake kubectl does not know: $cmd" >&2; exit 1 ;;
esac
