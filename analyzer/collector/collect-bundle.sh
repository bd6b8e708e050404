#!/usr/bin/env bash
# collect-bundle.sh: gather a support bundle from a Kubernetes cluster running GPU inference
# (NVIDIA Dynamo, vLLM, SGLang, TensorRT-LLM; GPUs shared with HAMi or the NVIDIA device plugin)
# for `bundle-analyzer analyze`. Read-only: it runs `kubectl get/describe/logs/top` (and, when
# present and allowed, `helm list` and `kubectl exec ... nvidia-smi`). GPU nodes: the kernel log
# tail and `nvidia-smi -q` through the GPU Operator's driver pods (`kubectl exec`), or, only with
# --node-debug, through a short-lived `kubectl debug node/...` pod that is deleted afterwards; the
# DCGM exporters' /metrics.
#
# Needs only bash, kubectl, tar and gzip. Every command has a timeout and is recorded in
# manifest.json; a command that fails (forbidden, not found, timeout) never stops the run.
# Secret values are never collected (names and key names only) and tokens are redacted before
# anything is written to disk.

# Background jobs (spawn_job) set their own OUT_TMP/ERR_TMP; the main shell's stay as they are.
# shellcheck disable=SC2031
set -u -o pipefail
umask 077

COLLECTOR_VERSION="0.1.0"
PROG=${0##*/}

# The bundle layout: source name, path inside the bundle, member kind. The analyzer's
# analyzer/sources.py holds the same table (a test keeps the two equal).
# BEGIN SOURCES
SOURCES_TABLE='
manifest manifest.json manifest
version cluster/version.json version
context cluster/context.txt text
nodes cluster/nodes.json objects
nodes_describe cluster/nodes.describe.txt describe_node
namespaces cluster/namespaces.json objects
persistentvolumes cluster/persistentvolumes.json objects
storageclasses cluster/storageclasses.json objects
crds cluster/customresourcedefinitions.json objects
mutatingwebhooks cluster/mutatingwebhookconfigurations.json objects
runtimeclasses cluster/runtimeclasses.json objects
helm_releases cluster/helm-releases.json helm
top_nodes cluster/top-nodes.txt text
cluster_custom_resources cluster/custom/{resource}.json objects
pods namespaces/{namespace}/pods.json objects
pods_describe namespaces/{namespace}/pods.describe.txt describe_pod
events namespaces/{namespace}/events.json objects
deployments namespaces/{namespace}/deployments.json objects
statefulsets namespaces/{namespace}/statefulsets.json objects
daemonsets namespaces/{namespace}/daemonsets.json objects
replicasets namespaces/{namespace}/replicasets.json objects
jobs namespaces/{namespace}/jobs.json objects
services namespaces/{namespace}/services.json objects
endpoints namespaces/{namespace}/endpoints.json objects
pvcs namespaces/{namespace}/persistentvolumeclaims.json objects
configmaps namespaces/{namespace}/configmaps.json objects
secrets namespaces/{namespace}/secrets.json objects
hpas namespaces/{namespace}/horizontalpodautoscalers.json objects
ingresses namespaces/{namespace}/ingresses.json objects
networkpolicies namespaces/{namespace}/networkpolicies.json objects
top_pods namespaces/{namespace}/top-pods.txt text
custom_resources namespaces/{namespace}/custom/{resource}.json objects
log namespaces/{namespace}/logs/{pod}/{container}.log log
previous_log namespaces/{namespace}/logs/{pod}/{container}.previous.log log
metrics namespaces/{namespace}/metrics/{pod}.prom metrics
exec namespaces/{namespace}/exec/{pod}/{container}.txt text
node_kernel_log nodes/{node}/kernel.log text
node_nvidia_smi nodes/{node}/nvidia-smi-q.txt text
node_dcgm_metrics nodes/{node}/dcgm-exporter.prom metrics
'
# END SOURCES

usage() {
  cat <<EOF
Usage: $PROG [options]

Collect a support bundle for GPU inference on Kubernetes (read-only) and write it as a .tar.gz
for 'bundle-analyzer analyze'.

Options:
  -n, --namespace NS     collect namespace NS (repeatable). Default: discover the namespaces
                         that run GPU pods, DynamoGraphDeployments, HAMi, the NVIDIA device
                         plugin / GPU operator and the Dynamo platform. The HAMi namespace is
                         always added when HAMi is found.
  -A, --all-namespaces   collect every namespace
      --since DURATION   only logs newer than DURATION (e.g. 2h, 30m), as 'kubectl logs --since'
      --max-log-bytes N  keep at most the last N bytes of each container log (default $MAX_LOG_BYTES)
      --timeout SECONDS  time limit of each command (default $CMD_TIMEOUT)
      --no-exec          never run 'kubectl exec ... nvidia-smi' (default: run it in GPU pods
                         when RBAC allows pods/exec)
      --no-helm          never run 'helm list'
      --node-debug       for GPU nodes without a running GPU Operator driver pod, read the
                         kernel log and 'nvidia-smi -q' through 'kubectl debug node/NAME' (a
                         privileged pod in the node's host namespaces, deleted afterwards).
                         Default: only through the driver pods, when RBAC allows pods/exec
      --node-debug-image IMAGE
                         image of the debug pod (default $NODE_DEBUG_IMAGE; it needs sleep and
                         chroot)
      --node-debug-namespace NS
                         namespace of the debug pod (default $NODE_DEBUG_NS)
      --parallel N       fetch up to N container logs and scrapes at a time (default $PARALLEL)
  -o, --output PATH      the .tar.gz to write (default ./gpu-bundle-<UTC time>.tar.gz)
      --context NAME     kubeconfig context to use
      --kubeconfig FILE  kubeconfig file to use
  -h, --help             show this help

Secret values are never collected (only Secret names and key names); Hugging Face (hf_...),
NGC (nvapi-...), AWS and bearer tokens, JWTs, private keys and password/token/key values are
redacted before anything is written.
EOF
}

# ---------------------------------------------------------------------------------------------
# options

NAMESPACES=()
ALL_NAMESPACES=0
SINCE=""
MAX_LOG_BYTES=2097152
CMD_TIMEOUT=60
ALLOW_EXEC=1
ALLOW_HELM=1
NODE_DEBUG=0
NODE_DEBUG_IMAGE="busybox:1.36"
NODE_DEBUG_NS="default"
PARALLEL=4
OUTPUT=""
CONTEXT=""
KUBECONFIG_FILE=""

die() { printf '%s: %s\n' "$PROG" "$1" >&2; exit 2; }

need_arg() {
  if [ $# -lt 2 ] || [ -z "$2" ]; then die "option $1 needs a value (see --help)"; fi
}

while [ $# -gt 0 ]; do
  case $1 in
    -n|--namespace) need_arg "$@"; NAMESPACES+=("$2"); shift 2 ;;
    --namespace=*) NAMESPACES+=("${1#*=}"); shift ;;
    -A|--all-namespaces) ALL_NAMESPACES=1; shift ;;
    --since) need_arg "$@"; SINCE=$2; shift 2 ;;
    --since=*) SINCE=${1#*=}; shift ;;
    --max-log-bytes) need_arg "$@"; MAX_LOG_BYTES=$2; shift 2 ;;
    --max-log-bytes=*) MAX_LOG_BYTES=${1#*=}; shift ;;
    --timeout) need_arg "$@"; CMD_TIMEOUT=$2; shift 2 ;;
    --timeout=*) CMD_TIMEOUT=${1#*=}; shift ;;
    --no-exec) ALLOW_EXEC=0; shift ;;
    --no-helm) ALLOW_HELM=0; shift ;;
    --node-debug) NODE_DEBUG=1; shift ;;
    --node-debug-image) need_arg "$@"; NODE_DEBUG_IMAGE=$2; shift 2 ;;
    --node-debug-image=*) NODE_DEBUG_IMAGE=${1#*=}; shift ;;
    --node-debug-namespace) need_arg "$@"; NODE_DEBUG_NS=$2; shift 2 ;;
    --node-debug-namespace=*) NODE_DEBUG_NS=${1#*=}; shift ;;
    --parallel) need_arg "$@"; PARALLEL=$2; shift 2 ;;
    --parallel=*) PARALLEL=${1#*=}; shift ;;
    -o|--output) need_arg "$@"; OUTPUT=$2; shift 2 ;;
    --output=*) OUTPUT=${1#*=}; shift ;;
    --context) need_arg "$@"; CONTEXT=$2; shift 2 ;;
    --context=*) CONTEXT=${1#*=}; shift ;;
    --kubeconfig) need_arg "$@"; KUBECONFIG_FILE=$2; shift 2 ;;
    --kubeconfig=*) KUBECONFIG_FILE=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

case $MAX_LOG_BYTES in ''|*[!0-9]*) die "--max-log-bytes needs a number of bytes, got '$MAX_LOG_BYTES'" ;; esac
case $CMD_TIMEOUT in ''|*[!0-9]*|0) die "--timeout needs a positive number of seconds, got '$CMD_TIMEOUT'" ;; esac
case $PARALLEL in ''|*[!0-9]*|0) die "--parallel needs a positive number, got '$PARALLEL'" ;; esac
if [ "$NODE_DEBUG" -eq 1 ] && [ "$ALLOW_EXEC" -eq 0 ]; then
  die "--node-debug reads the node through 'kubectl exec' into the debug pod: it cannot be combined with --no-exec"
fi
[ -n "$NODE_DEBUG_IMAGE" ] || die "--node-debug-image needs an image name"
[ -n "$NODE_DEBUG_NS" ] || die "--node-debug-namespace needs a namespace"
if [ -n "$SINCE" ]; then
  case $SINCE in *[!0-9hms]*|'') die "--since needs a duration such as 2h, 30m or 90s, got '$SINCE'" ;; esac
fi
command -v kubectl >/dev/null 2>&1 || die "kubectl is not on PATH; install it or add it to PATH"
command -v tar >/dev/null 2>&1 || die "tar is not on PATH"
command -v gzip >/dev/null 2>&1 || die "gzip is not on PATH"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
COLLECTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
[ -n "$OUTPUT" ] || OUTPUT="./gpu-bundle-$STAMP.tar.gz"
case $OUTPUT in
  *.tar.gz) TOP=${OUTPUT%.tar.gz} ;;
  *.tgz) TOP=${OUTPUT%.tgz} ;;
  *) OUTPUT="$OUTPUT.tar.gz"; TOP=${OUTPUT%.tar.gz} ;;
esac
TOP=${TOP##*/}
[ -n "$TOP" ] || TOP="gpu-bundle-$STAMP"
OUT_DIR=$(dirname -- "$OUTPUT")
[ -d "$OUT_DIR" ] || die "output folder '$OUT_DIR' does not exist"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/collect-bundle.XXXXXX") || die "cannot create a temporary folder"
MAIN_PID=$$
# Only the main shell removes the work folder: a background helper that gets a signal right after
# fork, before bash resets its traps, would otherwise run this trap too.
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
  local me=${BASHPID:-$(exec sh -c 'echo "$PPID"')} pod
  [ "$me" = "$MAIN_PID" ] || return 0
  # node debug pods the run created and did not delete (interrupted): delete them now
  if [ -s "$WORK/debug-pods" ]; then
    while read -r pod; do
      grep -qxF "$pod" "$WORK/debug-pods.deleted" 2>/dev/null && continue
      with_timeout "${KUBECTL[@]}" delete pod -n "$NODE_DEBUG_NS" "$pod" --wait=false >/dev/null 2>&1 ||
        printf '%s: could not delete debug pod %s/%s; delete it with kubectl delete pod -n %s %s\n' \
          "$PROG" "$NODE_DEBUG_NS" "$pod" "$NODE_DEBUG_NS" "$pod" >&2
    done <"$WORK/debug-pods"
  fi
  rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
B="$WORK/$TOP"
mkdir -p "$B"
RECORDS="$WORK/records.jsonl"
: >"$RECORDS"
FAILED="$WORK/failed.txt"
: >"$FAILED"
OUT_TMP="$WORK/out.tmp"
ERR_TMP="$WORK/err.tmp"
# lines asked for when a log is tailed at the source: about --max-log-bytes of 64-byte lines
LOG_LINES=$(( MAX_LOG_BYTES / 64 + 1 ))

KUBECTL=(kubectl "--request-timeout=${CMD_TIMEOUT}s")
[ -n "$CONTEXT" ] && KUBECTL+=("--context=$CONTEXT")
[ -n "$KUBECONFIG_FILE" ] && KUBECTL+=("--kubeconfig=$KUBECONFIG_FILE")
HELM=(helm)
[ -n "$CONTEXT" ] && HELM+=("--kube-context" "$CONTEXT")
[ -n "$KUBECONFIG_FILE" ] && HELM+=("--kubeconfig" "$KUBECONFIG_FILE")

# ---------------------------------------------------------------------------------------------
# helpers

if command -v timeout >/dev/null 2>&1; then
  TIMEOUT_BIN=timeout
elif command -v gtimeout >/dev/null 2>&1; then
  TIMEOUT_BIN=gtimeout
else
  TIMEOUT_BIN=""
fi

# Run "$@" with the per-command time limit; exit code 124 when the limit fired (as coreutils).
with_timeout() {
  if [ -n "$TIMEOUT_BIN" ]; then
    "$TIMEOUT_BIN" -k 5 "$CMD_TIMEOUT" "$@"
    return
  fi
  # No timeout(1) (stock macOS): a watchdog kills the command; kubectl also has --request-timeout.
  "$@" &
  local pid=$! flag="$OUT_TMP.timed-out"
  ( sleep "$CMD_TIMEOUT" && : >"$flag" && kill -TERM "$pid" ) </dev/null >/dev/null 2>&1 &
  local watchdog=$!
  wait "$pid"
  local rc=$?
  kill "$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
  if [ -e "$flag" ]; then rm -f "$flag"; return 124; fi
  return "$rc"
}

# The time in milliseconds into NOW_MS (a variable, not $(...): no subshell per command timed).
now_ms() {
  if [ -n "${EPOCHREALTIME:-}" ]; then
    local t=${EPOCHREALTIME/[.,]/}
    NOW_MS=${t%???}
  else
    NOW_MS="$(date +%s)000"
  fi
}

# JSON string literal of $1 into J (no subshell: the collector runs hundreds of commands). The
# caller strips control bytes beforehand.
json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  J="\"$s\""
}

# JSON array of the arguments into J.
json_array() {
  local out="" item
  for item in "$@"; do
    json_str "$item"
    out+="${out:+, }$J"
  done
  J="[$out]"
}

json_print() { json_str "$1"; printf '%s' "$J"; }

# The path of source $1 in the bundle, placeholders filled from the key=value arguments.
src_path() {
  local name=$1 line n p k
  shift
  p=""
  while read -r n line _; do
    if [ "$n" = "$name" ]; then p=$line; break; fi
  done <<<"$SOURCES_TABLE"
  [ -n "$p" ] || { printf 'unknown source %s\n' "$name" >&2; return 1; }
  for k in "$@"; do
    p=${p//\{${k%%=*}\}/${k#*=}}
  done
  printf '%s' "$p"
}

# Redact secrets from stdin to stdout: token shapes anywhere, values of password/token/key
# variables (env lists, describe output, key=value and JSON), and private key blocks. Plain awk
# (no gawk extensions) so that it runs with mawk and BSD awk too.
redact() {
  LC_ALL=C awk -v q="'" '
function ci(s,    i, c, o) { o = ""; for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); o = o ((toupper(c) != tolower(c)) ? "[" toupper(c) tolower(c) "]" : c) } return o }
function rep(cls, n,    o) { o = ""; while (n-- > 0) o = o cls; return o }
function subst_all(s, re, repl,    out) { out = ""; while (match(s, re)) { out = out substr(s, 1, RSTART - 1) repl; s = substr(s, RSTART + RLENGTH) } return out s }
# Keep the key and separator of each match of key_re, replace the value that follows.
function kv(s, key_re, val_re,    out, k, rest) {
  out = ""
  while (match(s, key_re)) {
    k = substr(s, RSTART, RLENGTH); out = out substr(s, 1, RSTART - 1) k; s = substr(s, RSTART + RLENGTH)
    if (match(s, "^" val_re)) {
      rest = substr(s, 1, RLENGTH)
      if (rest ~ /^(-?[0-9.]+|true|false|null|None|[Bb]earer|<[^>]*>?)$/ || rest ~ /^REDACTED/) { out = out rest } else { out = out "REDACTED" }
      s = substr(s, RLENGTH + 1)
    }
  }
  return out s
}
# user:password@ in URLs (redis://:pw@host, https://user:pw@host): keep the user
function url_creds(s,    out, m, u) {
  out = ""
  while (match(s, url_re)) {
    m = substr(s, RSTART + 3, RLENGTH - 4); u = substr(m, 1, index(m, ":") - 1)
    out = out substr(s, 1, RSTART - 1) "://" u ":REDACTED@"; s = substr(s, RSTART + RLENGTH)
  }
  return out s
}
BEGIN {
  word = "(" ci("password") "|" ci("passwd") "|" ci("secret") "|" ci("token") "|" ci("api_key") "|" ci("apikey") "|" ci("api-key") "|" ci("access_key") "|" ci("private_key") "|" ci("credentials") "|" ci("key-data") "|" ci("key_data") "|" ci("_pwd") "|" ci("accountkey") "|" ci("sharedaccesskey") ")"
  sens_name = "[A-Za-z0-9_.-]*" word
  key_re = "(^|[^A-Za-z0-9_.-])" sens_name "[\\\\]?[\"" q "]?[ \t]*[:=][ \t]*[\\\\]?[\"" q "]?"
  flag_re = "--[A-Za-z0-9-]*(" ci("token") "|" ci("password") "|" ci("api-key") "|" ci("secret") ")[ \t]+[\"" q "]?"
  val_re = "[^] \t\"" q ",;&{}<>()[\\\\]+"
  envpair_re = "\\\\?\"name\\\\?\"[ ]*:[ ]*\\\\?\"" sens_name "\\\\?\"[ ]*,[ ]*\\\\?\"value\\\\?\"[ ]*:[ ]*\\\\?\""
  env_name_re = "^[ \t]*\"name\":[ ]*\"" sens_name "\",?[ \t]*$"
  hf_re = "hf_" rep("[A-Za-z0-9]", 20) "[A-Za-z0-9]*"
  nv_re = "nvapi-" rep("[A-Za-z0-9_-]", 20) "[A-Za-z0-9_-]*"
  aws_re = "(AKIA|ASIA|ABIA|ACCA)" rep("[0-9A-Z]", 16)
  gh_re = "gh[pousr]_" rep("[A-Za-z0-9]", 36) "[A-Za-z0-9]*"
  ghpat_re = "github_pat_" rep("[A-Za-z0-9_]", 50) "[A-Za-z0-9_]*"
  sk_re = "sk-(proj|svcacct|admin)-" rep("[A-Za-z0-9_-]", 20) "[A-Za-z0-9_-]*"
  skant_re = "sk-ant-(api|admin)[0-9][0-9]-" rep("[A-Za-z0-9_-]", 20) "[A-Za-z0-9_-]*"
  skold_re = "sk-" rep("[A-Za-z0-9]", 32) "[A-Za-z0-9]*"
  auth_re = "(" ci("authorization") "|" ci("x-api-key") ")[\"" q "]?[ \t]*[:=][ \t]*[\"" q "]?[ \t]*((" ci("basic") "|" ci("token") "|" ci("digest") "|" ci("apikey") "|" ci("api-key") ")[ \t]+)?"
  jwt_re = "eyJ" rep("[A-Za-z0-9_-]", 10) "[A-Za-z0-9_-]*[.]eyJ[A-Za-z0-9_-]+[.][A-Za-z0-9_-]+"
  bearer_re = ci("bearer") "[ \t]+[A-Za-z0-9._~+/=-]" rep("[A-Za-z0-9._~+/=-]", 7) "[A-Za-z0-9._~+/=-]*"
  url_re = "://[^/ \t:@\"" q "]*:[^@ \t/\"" q "]+@"
  slack_re = "(xoxe[.])?(xox[abposrce]|xapp)-[0-9]+-[A-Za-z0-9-]" rep("[A-Za-z0-9-]", 7) "[A-Za-z0-9-]*"
  slackhook_re = "hooks[.]slack[.]com/(services|workflows|triggers)/[A-Za-z0-9_/+-]+"
  gl_re = "(glpat|gldt|glrt|glrtr|glptt|gloas|glcbt|glsoat|glffct|glimt|glagent|glft|glwt)-" rep("[A-Za-z0-9_-]", 20) "[A-Za-z0-9_.-]*"
  google_re = "(AIza" rep("[0-9A-Za-z_-]", 35) "|GOCSPX-" rep("[0-9A-Za-z_-]", 28) "|ya29[.]" rep("[0-9A-Za-z_-]", 20) "[0-9A-Za-z_-]*)"
  sig_re = "[?&;](" ci("sig") "|" ci("x-amz-signature") "|" ci("x-goog-signature") "|" ci("signature") "|" ci("x-amz-security-token") ")="
  mysql_re = "(mysql|mysqldump|mysqladmin|mysqlimport|mariadb|mariadb-dump)[ \t][^|;&]*[ \t](-p|--password=)[\"" q "]?"
  pem_one = "-----BEGIN [A-Z ]*PRIVATE KEY-----.*-----END [A-Z ]*PRIVATE KEY-----"
  in_pem = 0; sens_env = 0
}
{
  line = $0
  if (in_pem) { if (line ~ /-----END [A-Z ]*PRIVATE KEY-----/) { in_pem = 0; print "-----END PRIVATE KEY-----" } ; next }
  if (line ~ /-----BEGIN [A-Z ]*PRIVATE KEY-----/ && line !~ /-----END [A-Z ]*PRIVATE KEY-----/) { in_pem = 1; print "-----BEGIN PRIVATE KEY----- REDACTED"; next }
  line = subst_all(line, pem_one, "-----BEGIN PRIVATE KEY-----REDACTED-----END PRIVATE KEY-----")
  line = subst_all(line, hf_re, "hf_REDACTED")
  line = subst_all(line, nv_re, "nvapi-REDACTED")
  line = subst_all(line, aws_re, "AKIAREDACTED")
  line = subst_all(line, gh_re, "gh_REDACTED")
  line = subst_all(line, ghpat_re, "github_pat_REDACTED")
  line = subst_all(line, sk_re, "sk-REDACTED")
  line = subst_all(line, skant_re, "sk-REDACTED")
  line = subst_all(line, skold_re, "sk-REDACTED")
  line = subst_all(line, jwt_re, "REDACTED_JWT")
  line = subst_all(line, bearer_re, "Bearer REDACTED")
  line = subst_all(line, slack_re, "xox-REDACTED")
  line = subst_all(line, slackhook_re, "hooks.slack.com/services/REDACTED")
  line = subst_all(line, gl_re, "glpat-REDACTED")
  line = subst_all(line, google_re, "AIzaREDACTED")
  line = kv(line, sig_re, "[^&# \t\"" q "\\\\]+")
  line = kv(line, mysql_re, "[^ \t\"" q "\\\\]+")
  # a sensitive env var in pretty JSON: "name" on one line, "value" on the next
  if (sens_env && line ~ /^[ \t]*"value":[ ]*"/) { line = kv(line, "\"value\":[ ]*\"", "[^\"]*") }
  sens_env = (line ~ env_name_re)
  line = url_creds(line)
  line = kv(line, envpair_re, "[^\"\\\\]*")
  line = kv(line, key_re, val_re)
  line = kv(line, flag_re, val_re)
  line = kv(line, auth_re, val_re)
  print line
}'
}

# Strip what would break a JSON string and keep an excerpt.
excerpt() { LC_ALL=C tr -cd '\11\12\15\40-\176' <"$1" | head -c 600; }

# An exit code that answers a question rather than fail ('kubectl auth can-i' exits 1 for "no").
ANSWER_CODE=""

# record SOURCE NS PATH EXIT BYTES DURATION_MS STDERR_FILE -- ARGV...
record() {
  local source=$1 ns=$2 path=$3 rc=$4 bytes=$5 ms=$6 errf=$7 err="" line
  shift 8
  [ -s "$errf" ] && err=$(excerpt "$errf" | redact)
  [ "$rc" -eq 124 ] && err="timed out after ${CMD_TIMEOUT}s${err:+; $err}"
  json_str "$source"
  line="{\"source\": $J, \"namespace\": "
  if [ -n "$ns" ]; then json_str "$ns"; line+=$J; else line+="null"; fi
  json_array "$@"
  line+=", \"argv\": $J, \"exit_code\": $rc, \"bytes\": $bytes, \"duration_ms\": $ms, \"stderr\": "
  json_str "$err"
  line+="$J, \"path\": "
  if [ -n "$path" ]; then json_str "$path"; line+=$J; else line+="null"; fi
  printf '%s}\n' "$line" >>"$RECORDS"
  if [ "$rc" -ne 0 ] && [ "$rc" != "$ANSWER_CODE" ]; then
    local why
    # the last line says what went wrong; client-go's retry noise comes first
    why=$(printf '%s\n' "$err" | awk 'NF { last = $0 } END { print last }')
    printf '  %s%s: exit %d: %s\n' "$source" "${ns:+ ($ns)}" "$rc" "${why:0:160}" >>"$FAILED"
  fi
}

# The byte count of file $1 (wc pads it with spaces on some systems; stripped without a process:
# the collector sizes every file it keeps).
file_size() {
  local n
  n=$(wc -c <"$1")
  printf '%s' "${n//[!0-9]/}"
}

# mkdir -p the folder of bundle path $1 below $B (no dirname process per file kept).
make_parent() {
  case $1 in
    */*) [ -d "$B/${1%/*}" ] || mkdir -p "$B/${1%/*}" ;;
  esac
}

# The line count of file $1, as file_size.
count_lines() {
  local n
  n=$(wc -l <"$1")
  printf '%s' "${n//[!0-9]/}"
}

# collect SOURCE NS PATH -- ARGV...: run ARGV, write its redacted stdout to PATH in the bundle.
# Output of a failed command is kept only when there is some (kubectl prints partial lists).
collect() {
  local source=$1 ns=$2 path=$3 t0 rc bytes
  shift 4
  now_ms
  t0=$NOW_MS
  with_timeout "$@" 2>"$ERR_TMP" | redact >"$OUT_TMP"
  rc=${PIPESTATUS[0]}
  # kubectl -o json prints an empty List when the request failed: that is no answer, keep nothing
  if [ "$rc" -ne 0 ] && grep -q '"items": \[\]' "$OUT_TMP" && [ "$(wc -l <"$OUT_TMP")" -le 8 ]; then
    : >"$OUT_TMP"
  fi
  bytes=$(file_size "$OUT_TMP")
  if [ "$bytes" -gt 0 ]; then
    make_parent "$path"
    mv -f "$OUT_TMP" "$B/$path"
  else
    path=""
  fi
  now_ms
  record "$source" "$ns" "$path" "$rc" "$bytes" "$(( NOW_MS - t0 ))" "$ERR_TMP" -- "$@"
  return "$rc"
}

# query SOURCE NS -- ARGV...: a discovery command; its stdout goes to $OUT_TMP, nothing is kept.
query() {
  local source=$1 ns=$2 t0 rc
  shift 3
  now_ms
  t0=$NOW_MS
  with_timeout "$@" >"$OUT_TMP" 2>"$ERR_TMP"
  rc=$?
  now_ms
  record "$source" "$ns" "" "$rc" "$(file_size "$OUT_TMP")" "$(( NOW_MS - t0 ))" "$ERR_TMP" -- "$@"
  return "$rc"
}

# can_exec NS: whether RBAC lets us 'kubectl exec' into pods of NS (asked once per namespace;
# never when --no-exec). "no" is an answer, not a failure.
EXEC_ANSWERS=" "
can_exec() {
  local ns=$1
  [ "$ALLOW_EXEC" -eq 1 ] || return 1
  case $EXEC_ANSWERS in
    *" $ns=yes "*) return 0 ;;
    *" $ns=no "*) return 1 ;;
  esac
  ANSWER_CODE="1"
  query exec "$ns" -- "${KUBECTL[@]}" auth can-i create pods --subresource=exec -n "$ns"
  ANSWER_CODE=""
  if [ "$(head -n 1 "$OUT_TMP")" = "yes" ]; then
    EXEC_ANSWERS+="$ns=yes "
    return 0
  fi
  EXEC_ANSWERS+="$ns=no "
  return 1
}

# collect_tail SOURCE NS PATH -- ARGV...: as collect, but only the last --max-log-bytes of the
# output are kept, cut at a line start (the command bounds what it sends, tail -c what is kept).
collect_tail() {
  local source=$1 ns=$2 path=$3 t0 rc bytes
  shift 4
  now_ms
  t0=$NOW_MS
  with_timeout "$@" 2>"$ERR_TMP" | tail -c "$MAX_LOG_BYTES" >"$OUT_TMP.raw"
  rc=${PIPESTATUS[0]}
  if [ "$(file_size "$OUT_TMP.raw")" -ge "$MAX_LOG_BYTES" ]; then
    # cut: drop the partial first line left by tail -c
    sed '1d' "$OUT_TMP.raw" | redact >"$OUT_TMP"
  else
    redact <"$OUT_TMP.raw" >"$OUT_TMP"
  fi
  rm -f "$OUT_TMP.raw"
  bytes=$(file_size "$OUT_TMP")
  if [ "$bytes" -gt 0 ]; then
    make_parent "$path"
    mv -f "$OUT_TMP" "$B/$path"
  else
    path=""
  fi
  now_ms
  record "$source" "$ns" "$path" "$rc" "$bytes" "$(( NOW_MS - t0 ))" "$ERR_TMP" -- "$@"
  return "$rc"
}

# collect_log NS POD CONTAINER PREVIOUS(0|1): the last --max-log-bytes of a container log.
# shellcheck disable=SC2317  # reached through spawn_job, which shellcheck does not follow
collect_log() {
  local ns=$1 pod=$2 c=$3 prev=$4 source=log
  local args=(logs -n "$ns" "$pod" -c "$c" --timestamps "--tail=$LOG_LINES")
  [ -n "$SINCE" ] && args+=("--since=$SINCE")
  if [ "$prev" -eq 1 ]; then args+=(--previous); source=previous_log; fi
  collect_tail "$source" "$ns" "$(src_path "$source" "namespace=$ns" "pod=$pod" "container=$c")" -- \
    "${KUBECTL[@]}" "${args[@]}"
}

# The file of a list source: custom resources are named by resource, the others by namespace.
list_path() {
  case $1 in
    custom_resources) src_path "$1" "namespace=$2" "resource=$3" ;;
    cluster_custom_resources) src_path "$1" "resource=$3" ;;
    *) src_path "$1" "namespace=$2" ;;
  esac
}

# collect_lists NS SPEC...: object lists of several resources with one kubectl call (SPEC is
# "source|resource|group|Kind"; NS empty for cluster-scoped ones). 'get a,b,c -o json' answers
# one List; its items (kubectl prints them at a fixed indentation) are split by group and kind
# into each source's file, so each source still gets its own file, empty lists included. When the
# call fails (a type refused or unknown), each resource is asked for on its own, so that every
# failure is recorded with its own message.
collect_lists() {
  local ns=$1 spec source resource group kind path resources="" sources="" t0 rc ms
  local map="$WORK/lists.map"
  shift
  [ $# -gt 0 ] || return 0
  : >"$map"
  for spec in "$@"; do
    IFS='|' read -r source resource group kind <<<"$spec"
    resources+="${resources:+,}$resource"
    sources+="${sources:+,}$source"
    path=$(list_path "$source" "$ns" "$resource")
    make_parent "$path"
    printf '%s/%s\t%s\n' "$group" "$kind" "$path" >>"$map"
  done
  local argv=("${KUBECTL[@]}" get "$resources")
  [ -n "$ns" ] && argv+=(-n "$ns")
  argv+=(-o json)
  now_ms
  t0=$NOW_MS
  with_timeout "${argv[@]}" 2>"$ERR_TMP" | redact >"$OUT_TMP"
  rc=${PIPESTATUS[0]}
  now_ms
  ms=$(( NOW_MS - t0 ))
  if [ "$rc" -ne 0 ]; then
    ANSWER_CODE=$rc  # recorded, but the per-resource retries below say what failed
    record "$sources" "$ns" "" "$rc" "$(file_size "$OUT_TMP")" "$ms" "$ERR_TMP" -- "${argv[@]}"
    ANSWER_CODE=""
    for spec in "$@"; do
      IFS='|' read -r source resource group kind <<<"$spec"
      local one=("${KUBECTL[@]}" get "$resource")
      [ -n "$ns" ] && one+=(-n "$ns")
      collect "$source" "$ns" "$(list_path "$source" "$ns" "$resource")" -- "${one[@]}" -o json
    done
    return
  fi
  LC_ALL=C awk -v dir="$B" '
NR == FNR { split($0, f, "\t"); dest[f[1]] = f[2]; n[f[2]] = 0; count[f[2]] = 0; next }
/^        \{$/ { inside = 1; lines = 0; av = ""; kd = "" }
inside {
  buf[++lines] = $0
  if ($0 ~ /^            "apiVersion": "/) { av = $0; sub(/^ *"apiVersion": "/, "", av); sub(/",?$/, "", av) }
  if ($0 ~ /^            "kind": "/) { kd = $0; sub(/^ *"kind": "/, "", kd); sub(/",?$/, "", kd) }
  if ($0 ~ /^        \},?$/) {
    inside = 0
    g = index(av, "/") ? substr(av, 1, index(av, "/") - 1) : ""
    p = dest[g "/" kd]
    if (p != "") {
      if (count[p]++) items[p, n[p]] = "        },"
      buf[lines] = "        }"
      for (i = 1; i <= lines; i++) items[p, ++n[p]] = buf[i]
    }
  }
}
END {
  for (p in n) {
    out = dir "/" p
    printf "{\n    \"apiVersion\": \"v1\",\n" > out
    if (count[p]) {
      print "    \"items\": [" > out
      for (i = 1; i <= n[p]; i++) print items[p, i] > out
      print "    ]," > out
    } else {
      print "    \"items\": []," > out
    }
    printf "    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n" > out
    close(out)
  }
}' "$map" "$OUT_TMP"
  for spec in "$@"; do
    IFS='|' read -r source resource group kind <<<"$spec"
    path=$(list_path "$source" "$ns" "$resource")
    record "$source" "$ns" "$path" 0 "$(file_size "$B/$path")" "$ms" "$ERR_TMP" -- "${argv[@]}"
  done
}

contains() {
  local needle=$1 x
  shift
  for x in "$@"; do [ "$x" = "$needle" ] && return 0; done
  return 1
}

progress() { printf '%s: %s\n' "$PROG" "$1" >&2; }

# CRDs whose objects matter for GPU inference: Dynamo, NVIDIA GPU operator, HAMi, Grove, LWS.
INTERESTING_CRD='(nvidia\.com|dynamo|hami|grove\.io|leaderworkerset|volcano)'

# ---------------------------------------------------------------------------------------------
# cluster

progress "collecting into $OUTPUT (per-command timeout ${CMD_TIMEOUT}s)"

collect version "" "$(src_path version)" -- "${KUBECTL[@]}" version -o json
SERVER_VERSION=$(awk '/"serverVersion"/ { s = 1 } s && /"gitVersion"/ { gsub(/.*"gitVersion": *"|".*/, ""); print; exit }' \
  "$B/$(src_path version)" 2>/dev/null)
if [ -n "$CONTEXT" ]; then
  CONTEXT_NAME=$CONTEXT
  printf '%s\n' "$CONTEXT" >"$B/$(src_path context)"
else
  collect context "" "$(src_path context)" -- "${KUBECTL[@]}" config current-context
  CONTEXT_NAME=$(head -n 1 "$B/$(src_path context)" 2>/dev/null)
fi

collect_lists "" "nodes|nodes||Node" "namespaces|namespaces||Namespace" \
  "persistentvolumes|persistentvolumes||PersistentVolume" \
  "storageclasses|storageclasses.storage.k8s.io|storage.k8s.io|StorageClass" \
  "crds|customresourcedefinitions.apiextensions.k8s.io|apiextensions.k8s.io|CustomResourceDefinition" \
  "mutatingwebhooks|mutatingwebhookconfigurations.admissionregistration.k8s.io|admissionregistration.k8s.io|MutatingWebhookConfiguration" \
  "runtimeclasses|runtimeclasses.node.k8s.io|node.k8s.io|RuntimeClass"
collect nodes_describe "" "$(src_path nodes_describe)" -- "${KUBECTL[@]}" describe nodes
TOP_OK=1
if ! collect top_nodes "" "$(src_path top_nodes)" -- "${KUBECTL[@]}" top nodes \
    && grep -q "Metrics API not available" "$ERR_TMP"; then
  TOP_OK=0  # no metrics-server: 'kubectl top pods' would fail the same way in every namespace
fi
if [ "$ALLOW_HELM" -eq 1 ] && command -v helm >/dev/null 2>&1; then
  collect helm_releases "" "$(src_path helm_releases)" -- "${HELM[@]}" list -A -o json
fi

# GPU-related CRDs, as collect_lists specs: "<scope> <plural.group> <Kind>" per line
NS_CRDS=()
CLUSTER_CRDS=()
if query crds "" -- "${KUBECTL[@]}" get customresourcedefinitions \
    -o 'jsonpath={range .items[*]}{.spec.scope}{" "}{.metadata.name}{" "}{.spec.names.kind}{"\n"}{end}'; then
  while read -r scope name kind; do
    [ -n "$kind" ] || continue
    printf '%s\n' "$name" | grep -Eq "$INTERESTING_CRD" || continue
    if [ "$scope" = "Namespaced" ]; then
      NS_CRDS+=("custom_resources|$name|${name#*.}|$kind")
    else
      CLUSTER_CRDS+=("cluster_custom_resources|$name|${name#*.}|$kind")
    fi
  done <"$OUT_TMP"
fi
collect_lists "" ${CLUSTER_CRDS[@]+"${CLUSTER_CRDS[@]}"}

# ---------------------------------------------------------------------------------------------
# namespaces: explicit, all, or discovered (as the HAMi seed's Step 0 does, plus GPU pods and
# DynamoGraphDeployments)

HAMI_NS=""
if query pods "" -- "${KUBECTL[@]}" get pods -A -l app=hami-scheduler \
    -o 'jsonpath={range .items[*]}{.metadata.namespace}{"\n"}{end}'; then
  HAMI_NS=$(head -n 1 "$OUT_TMP")
fi
# one line per pod: namespace, name, requested resources
DISCOVERED=()
if query pods "" -- "${KUBECTL[@]}" get pods -A \
    -o 'jsonpath={range .items[*]}{.metadata.namespace}{"\t"}{.metadata.name}{"\t"}{.spec.containers[*].resources}{"\n"}{end}'; then
  if [ -z "$HAMI_NS" ]; then
    HAMI_NS=$(awk -F '\t' '$2 ~ /hami-scheduler|hami-device-plugin|hami-vgpu/ { print $1; exit }' "$OUT_TMP")
  fi
  while read -r ns; do
    [ -n "$ns" ] && DISCOVERED+=("$ns")
  done < <(awk -F '\t' '$3 ~ /nvidia\.com\// || $2 ~ /hami-|nvidia-device-plugin|gpu-operator|dynamo/ { print $1 }' "$OUT_TMP" | sort -u)
fi
DGD_CRD=dynamographdeployments.nvidia.com
# ask for DynamoGraphDeployments unless the CRD list was read and lacks them
if { [ ! -s "$B/$(src_path crds)" ] || grep -q "\"$DGD_CRD\"" "$B/$(src_path crds)"; } &&
  query custom_resources "" -- "${KUBECTL[@]}" get "$DGD_CRD" -A \
    -o 'jsonpath={range .items[*]}{.metadata.namespace}{"\n"}{end}'; then
  while read -r ns; do
    [ -n "$ns" ] && DISCOVERED+=("$ns")
  done < <(sort -u "$OUT_TMP")
fi

TARGETS=()
if [ "$ALL_NAMESPACES" -eq 1 ]; then
  NS_MODE="all"
  if query namespaces "" -- "${KUBECTL[@]}" get namespaces -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}'; then
    while read -r ns; do [ -n "$ns" ] && TARGETS+=("$ns"); done <"$OUT_TMP"
  fi
elif [ ${#NAMESPACES[@]} -gt 0 ]; then
  NS_MODE="explicit"
  TARGETS=("${NAMESPACES[@]}")
else
  NS_MODE="discovered"
  TARGETS=(${DISCOVERED[@]+"${DISCOVERED[@]}"})
fi
if [ -n "$HAMI_NS" ] && ! contains "$HAMI_NS" ${TARGETS[@]+"${TARGETS[@]}"}; then
  TARGETS+=("$HAMI_NS")
fi
UNIQUE=()
for ns in ${TARGETS[@]+"${TARGETS[@]}"}; do
  contains "$ns" ${UNIQUE[@]+"${UNIQUE[@]}"} || UNIQUE+=("$ns")
done
TARGETS=(${UNIQUE[@]+"${UNIQUE[@]}"})
if [ ${#TARGETS[@]} -eq 0 ]; then
  progress "no namespace with GPU pods, DynamoGraphDeployments or HAMi found; use -n NS or -A"
fi

# A go-template that keeps Secret names and key names and drops every value (and annotations,
# where kubectl's last-applied-configuration would carry the values). It prints the same shape
# as 'kubectl get -o json', so that readers see one JSON style.
# shellcheck disable=SC2016  # $i, $s, $k are Go template variables, not shell ones
SECRETS_TEMPLATE='{
    "apiVersion": "v1",
    "items": [{{range $i, $s := .items}}{{if $i}},{{end}}
        {
            "apiVersion": "v1",
            "data": {{if $s.data}}{ {{- $first := true}}{{range $k, $v := $s.data}}{{if not $first}},{{end}}{{$first = false}}
                {{printf "%q" $k}}: null{{end}}
            }{{else}}{}{{end}},
            "kind": "Secret",
            "metadata": {
                {{with $s.metadata.creationTimestamp}}"creationTimestamp": {{printf "%q" .}},
                {{end}}"name": {{printf "%q" $s.metadata.name}},
                "namespace": {{printf "%q" $s.metadata.namespace}}
            },
            "type": {{if $s.type}}{{printf "%q" $s.type}}{{else}}""{{end}}
        }{{end}}
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
'

# per pod, "|"-separated (a tab would merge empty fields when read): name, phase, init
# containers, containers, restarts (name=count), ports (name:number), DYN_SYSTEM_PORT, GPU limits
POD_INVENTORY='jsonpath={range .items[*]}{.metadata.name}{"|"}{.status.phase}{"|"}{range .spec.initContainers[*]}{.name}{" "}{end}{"|"}{range .spec.containers[*]}{.name}{" "}{end}{"|"}{range .status.containerStatuses[*]}{.name}{"="}{.restartCount}{" "}{end}{range .status.initContainerStatuses[*]}{.name}{"="}{.restartCount}{" "}{end}{"|"}{range .spec.containers[*].ports[*]}{.name}{":"}{.containerPort}{" "}{end}{"|"}{range .spec.containers[*].env[?(@.name=="DYN_SYSTEM_PORT")]}{.value}{" "}{end}{"|"}{range .spec.containers[*]}{.name}{"="}{.resources.limits.nvidia\.com/gpu}{" "}{end}{"\n"}{end}'

# The port whose /metrics to scrape, or nothing: a port named for metrics, the Dynamo system
# port, the HAMi monitors, a frontend's HTTP port. In kube-system only GPU components (DCGM
# exporter, device plugins) are scraped, not coredns and the like.
# shellcheck disable=SC2317  # reached through spawn_job, which shellcheck does not follow
metrics_port() {
  local ns=$1 pod=$2 ports=$3 sysport=$4 p
  if [ "$ns" = "kube-system" ]; then
    case $pod in *dcgm*|*device-plugin*|*hami*) ;; *) return 0 ;; esac
  fi
  for p in $ports; do case ${p%%:*} in metrics|http-metrics|monitor) printf '%s' "${p##*:}"; return ;; esac; done
  for p in $ports; do case ${p%%:*} in system) printf '%s' "${p##*:}"; return ;; esac; done
  for p in $sysport; do printf '%s' "$p"; return; done
  case $pod in
    hami-scheduler*|*-hami-scheduler*) printf '9395'; return ;;
    hami-device-plugin*|*-hami-device-plugin*) printf '9394'; return ;;
  esac
  case $pod in
    *frontend*)
      for p in $ports; do case ${p%%:*} in http) printf '%s' "${p##*:}"; return ;; esac; done
      printf '8000' ;;
  esac
}

# collect_pod NS POD PHASE CONTAINERS RESTARTS PORTS SYSPORT GPUS CAN_EXEC: the logs (and previous
# logs of restarted containers), the /metrics scrape and nvidia-smi of one pod.
# shellcheck disable=SC2317  # reached through spawn_job, which shellcheck does not follow
collect_pod() {
  local ns=$1 pod=$2 phase=$3 containers=$4 restarts=$5 ports=$6 sysport=$7 gpus=$8 can_exec=$9
  local c r port target="" g
  for c in $containers; do
    collect_log "$ns" "$pod" "$c" 0
    for r in $restarts; do
      if [ "${r%%=*}" = "$c" ] && [ "${r#*=}" != "0" ] && [ -n "${r#*=}" ]; then
        collect_log "$ns" "$pod" "$c" 1
      fi
    done
  done
  [ "$phase" = "Running" ] || return 0
  port=$(metrics_port "$ns" "$pod" "$ports" "$sysport")
  # a DCGM exporter the GPU node step scraped already
  grep -qxF "$ns/$pod" "$SCRAPED" && port=""
  if [ -n "$port" ]; then
    collect metrics "$ns" "$(src_path metrics "namespace=$ns" "pod=$pod")" -- \
      "${KUBECTL[@]}" get --raw "/api/v1/namespaces/$ns/pods/$pod:$port/proxy/metrics"
  fi
  [ "$can_exec" -eq 1 ] || return 0
  for g in $gpus; do
    if [ -n "${g#*=}" ] && [ "${g#*=}" != "0" ]; then target=${g%%=*}; break; fi
  done
  case $pod in *hami-device-plugin*|*nvidia-device-plugin*) [ -n "$target" ] || target=${containers%% *} ;; esac
  if [ -n "$target" ]; then
    collect exec "$ns" "$(src_path exec "namespace=$ns" "pod=$pod" "container=$target")" -- \
      "${KUBECTL[@]}" exec -n "$ns" "$pod" -c "$target" -- nvidia-smi
  fi
}

# spawn_job FUNCTION ARGS...: run FUNCTION in the background with its own temporary files, at
# most --parallel at a time (logs are fetched one kubectl call per container, node evidence one
# exec per command; on a big cluster the round trips dominate).
SEQ=0
spawn_job() {
  SEQ=$((SEQ + 1))
  if [ "$PARALLEL" -le 1 ]; then
    "$@"
    return
  fi
  local running newlines
  while :; do
    # the running jobs' pids, one a line, counted without a wc process per job spawned
    running=$(jobs -pr)
    newlines=${running//[!$'\n']/}
    if [ -z "$running" ] || [ $(( ${#newlines} + 1 )) -lt "$PARALLEL" ]; then break; fi
    if [ "${BASH_VERSINFO[0]}" -gt 4 ] || { [ "${BASH_VERSINFO[0]}" -eq 4 ] && [ "${BASH_VERSINFO[1]}" -ge 3 ]; }; then
      wait -n
    else
      wait  # bash < 4.3 (macOS): no 'wait -n'; wait for the whole batch
    fi
  done
  # shellcheck disable=SC2030  # each job's own temporary files, on purpose
  ( OUT_TMP="$WORK/job.$SEQ.out"; ERR_TMP="$WORK/job.$SEQ.err"; "$@"; rm -f "$OUT_TMP" "$ERR_TMP" ) &
}

# ---------------------------------------------------------------------------------------------
# GPU nodes: Xid, ECC and fallen-off-the-bus messages live in the node's kernel log, which no
# pod log shows. Per GPU node: the kernel log tail and 'nvidia-smi -q' through the GPU Operator's
# driver pod (privileged, it sees the host's kernel ring buffer), or with --node-debug through a
# debug pod on the node; and the DCGM exporter's /metrics. Files land under nodes/NODE/.

# per pod, "|"-separated: namespace, name, node, phase, containers, ports (name:number)
NODE_POD_FIELDS='jsonpath={range .items[*]}{.metadata.namespace}{"|"}{.metadata.name}{"|"}{.spec.nodeName}{"|"}{.status.phase}{"|"}{range .spec.containers[*]}{.name}{" "}{end}{"|"}{range .spec.containers[*].ports[*]}{.name}{":"}{.containerPort}{" "}{end}{"\n"}{end}'

# In a driver container: dmesg with readable times, else the raw form. On the host (debug pod):
# the journal first, as it keeps what the ring buffer has overwritten since boot.
DMESG_SCRIPT='dmesg -T 2>/dev/null || dmesg'
HOST_KERNEL_SCRIPT="journalctl -k -o short-iso --no-pager -n $LOG_LINES 2>/dev/null || dmesg -T 2>/dev/null || dmesg"

# labelled_pods OUT SELECTOR...: the running pods any selector matches, one NODE_POD_FIELDS line
# each, the first pod per node only (a selector ANDs its terms: one 'get pods -l' per selector).
labelled_pods() {
  local out=$1 sel
  shift
  : >"$out.all"
  for sel in "$@"; do
    query pods "" -- "${KUBECTL[@]}" get pods -A -l "$sel" -o "$NODE_POD_FIELDS" && cat "$OUT_TMP" >>"$out.all"
  done
  awk -F '|' '$3 != "" && $4 == "Running" && !seen[$3]++' "$out.all" >"$out"
}

# collect_node NODE NS POD CONTAINER [PREFIX...]: the kernel log and nvidia-smi -q of NODE by
# 'kubectl exec' into POD; PREFIX (chroot /host) runs them on the host from a debug pod.
collect_node() {
  local node=$1 ns=$2 pod=$3 ctr=$4 script=$DMESG_SCRIPT
  shift 4
  [ $# -eq 0 ] || script=$HOST_KERNEL_SCRIPT
  local into=("${KUBECTL[@]}" exec -n "$ns" "$pod" -c "$ctr" --)
  collect_tail node_kernel_log "$ns" "$(src_path node_kernel_log "node=$node")" -- "${into[@]}" "$@" sh -c "$script"
  collect node_nvidia_smi "$ns" "$(src_path node_nvidia_smi "node=$node")" -- "${into[@]}" "$@" nvidia-smi -q
}

# debug_node NODE: a debug pod on NODE (host namespaces, the host's / at /host) that sleeps while
# collect_node runs in it, then is deleted. Fails (1) only when the pod cannot be created.
debug_node() {
  local node=$1 pod ns=$NODE_DEBUG_NS
  query node_debug "$ns" -- "${KUBECTL[@]}" debug "node/$node" -n "$ns" "--image=$NODE_DEBUG_IMAGE" \
    --profile=sysadmin -- sleep "$(( CMD_TIMEOUT * 3 + 30 ))" || return 1
  pod=$(sed -n 's/^Creating debugging pod \([^ ]*\) with container .*/\1/p' "$OUT_TMP" | head -n 1)
  if [ -z "$pod" ]; then
    progress "kubectl debug did not name the pod it created on $node: look for node-debugger-$node-* in namespace $ns"
    return 0
  fi
  printf '%s\n' "$pod" >>"$DEBUG_PODS"
  if query node_debug "$ns" -- "${KUBECTL[@]}" wait -n "$ns" --for=condition=Ready "pod/$pod" "--timeout=${CMD_TIMEOUT}s"; then
    collect_node "$node" "$ns" "$pod" debugger chroot /host
  fi
  query node_debug "$ns" -- "${KUBECTL[@]}" delete pod -n "$ns" "$pod" --wait=false &&
    printf '%s\n' "$pod" >>"$DEBUG_PODS.deleted"
  return 0
}

DRIVER_PODS="$WORK/driver-pods"
DCGM_PODS="$WORK/dcgm-pods"
SCRAPED="$WORK/scraped"  # namespace/pod of the DCGM exporters scraped here
DEBUG_PODS="$WORK/debug-pods"
: >"$SCRAPED"
# the GPU Operator labels its driver pods (ClusterPolicy and NVIDIADriver daemonsets) with the
# component label; releases before it only with app=nvidia-driver-daemonset
labelled_pods "$DRIVER_PODS" app.kubernetes.io/component=nvidia-driver app=nvidia-driver-daemonset
# the GPU Operator's exporter, and the standalone dcgm-exporter chart's
labelled_pods "$DCGM_PODS" app=nvidia-dcgm-exporter app.kubernetes.io/name=dcgm-exporter
progress "GPU nodes: $(count_lines "$DRIVER_PODS") with a driver pod, $(count_lines "$DCGM_PODS") with a DCGM exporter"
while IFS='|' read -r ns pod node _ containers _; do
  can_exec "$ns" || continue
  ctr=nvidia-driver-ctr
  case " $containers " in *" $ctr "*) ;; *) ctr=${containers%% *} ;; esac
  spawn_job collect_node "$node" "$ns" "$pod" "$ctr"
done <"$DRIVER_PODS"
while IFS='|' read -r ns pod node _ _ ports; do
  port=""
  for p in $ports; do case ${p%%:*} in metrics) port=${p##*:} ;; esac; done
  [ -n "$port" ] || { p=${ports%% *}; port=${p##*:}; }
  printf '%s/%s\n' "$ns" "$pod" >>"$SCRAPED"
  spawn_job collect node_dcgm_metrics "$ns" "$(src_path node_dcgm_metrics "node=$node")" -- \
    "${KUBECTL[@]}" get --raw "/api/v1/namespaces/$ns/pods/$pod:${port:-9400}/proxy/metrics"
done <"$DCGM_PODS"
if [ "$NODE_DEBUG" -eq 1 ]; then
  # GPU nodes (nvidia.com/gpu capacity, or the GPU Operator's gpu.present label) without a running
  # driver pod: the first one alone, so that a refusal (RBAC, admission) is met once
  DEBUG_TARGETS=()
  if query nodes "" -- "${KUBECTL[@]}" get nodes \
      -o 'jsonpath={range .items[*]}{.metadata.name}{"|"}{.status.capacity.nvidia\.com/gpu}{"|"}{.metadata.labels.nvidia\.com/gpu\.present}{"\n"}{end}'; then
    while IFS='|' read -r node gpus present; do
      case $gpus in ''|0) [ "$present" = "true" ] || continue ;; esac
      awk -F '|' -v n="$node" '$3 == n { found = 1 } END { exit !found }' "$DRIVER_PODS" && continue
      DEBUG_TARGETS+=("$node")
    done <"$OUT_TMP"
  fi
  if [ ${#DEBUG_TARGETS[@]} -gt 0 ]; then
    progress "GPU nodes without a driver pod, through kubectl debug: ${DEBUG_TARGETS[*]}"
    if debug_node "${DEBUG_TARGETS[0]}"; then
      for node in "${DEBUG_TARGETS[@]:1}"; do spawn_job debug_node "$node"; done
    elif [ ${#DEBUG_TARGETS[@]} -gt 1 ]; then
      progress "kubectl debug failed on ${DEBUG_TARGETS[0]}: the other $(( ${#DEBUG_TARGETS[@]} - 1 )) node(s) are skipped"
    fi
  fi
fi

for ns in ${TARGETS[@]+"${TARGETS[@]}"}; do
  progress "namespace $ns"
  collect_lists "$ns" "pods|pods||Pod" "events|events||Event" "deployments|deployments.apps|apps|Deployment" \
    "statefulsets|statefulsets.apps|apps|StatefulSet" "daemonsets|daemonsets.apps|apps|DaemonSet" \
    "replicasets|replicasets.apps|apps|ReplicaSet" "jobs|jobs.batch|batch|Job" "services|services||Service" \
    "endpoints|endpoints||Endpoints" "pvcs|persistentvolumeclaims||PersistentVolumeClaim" \
    "configmaps|configmaps||ConfigMap" \
    "hpas|horizontalpodautoscalers.autoscaling|autoscaling|HorizontalPodAutoscaler" \
    "ingresses|ingresses.networking.k8s.io|networking.k8s.io|Ingress" \
    "networkpolicies|networkpolicies.networking.k8s.io|networking.k8s.io|NetworkPolicy" \
    ${NS_CRDS[@]+"${NS_CRDS[@]}"}
  collect pods_describe "$ns" "$(src_path pods_describe "namespace=$ns")" -- "${KUBECTL[@]}" describe pods -n "$ns"
  collect secrets "$ns" "$(src_path secrets "namespace=$ns")" -- \
    "${KUBECTL[@]}" get secrets -n "$ns" -o "go-template=$SECRETS_TEMPLATE"
  if [ "$TOP_OK" -eq 1 ]; then
    collect top_pods "$ns" "$(src_path top_pods "namespace=$ns")" -- "${KUBECTL[@]}" top pods -n "$ns" --containers
  fi

  CAN_EXEC=0
  can_exec "$ns" && CAN_EXEC=1

  query pods "$ns" -- "${KUBECTL[@]}" get pods -n "$ns" -o "$POD_INVENTORY" || continue
  cp "$OUT_TMP" "$WORK/inventory.$ns"
  while IFS='|' read -r pod phase inits containers restarts ports sysport gpus; do
    [ -n "$pod" ] || continue
    spawn_job collect_pod "$ns" "$pod" "$phase" "$inits $containers" "$restarts" "$ports" "$sysport" "$gpus" "$CAN_EXEC"
  done <"$WORK/inventory.$ns"
done
wait

# ---------------------------------------------------------------------------------------------
# manifest and archive

{
  printf '{\n  "collector": "collect-bundle.sh",\n  "collector_version": %s,\n' "$(json_print "$COLLECTOR_VERSION")"
  printf '  "collected_at": %s,\n  "context": %s,\n' "$(json_print "$COLLECTED_AT")" "$(json_print "$CONTEXT_NAME")"
  printf '  "server_version": '
  if [ -n "$SERVER_VERSION" ]; then json_print "$SERVER_VERSION"; else printf 'null'; fi
  printf ',\n  "namespaces": %s,\n  "hami_namespace": ' "$(json_array ${TARGETS[@]+"${TARGETS[@]}"}; printf %s "$J")"
  if [ -n "$HAMI_NS" ]; then json_print "$HAMI_NS"; else printf 'null'; fi
  printf ',\n  "options": {"namespace_mode": %s, "namespaces": %s, "since": ' \
    "$(json_print "$NS_MODE")" "$(json_array ${NAMESPACES[@]+"${NAMESPACES[@]}"}; printf %s "$J")"
  if [ -n "$SINCE" ]; then json_print "$SINCE"; else printf 'null'; fi
  printf ', "max_log_bytes": %d, "timeout_seconds": %d, "exec": %s, "helm": %s, "node_debug": %s' \
    "$MAX_LOG_BYTES" "$CMD_TIMEOUT" "$([ "$ALLOW_EXEC" -eq 1 ] && echo true || echo false)" \
    "$([ "$ALLOW_HELM" -eq 1 ] && echo true || echo false)" "$([ "$NODE_DEBUG" -eq 1 ] && echo true || echo false)"
  printf ', "node_debug_image": %s, "node_debug_namespace": %s},\n' "$(json_print "$NODE_DEBUG_IMAGE")" \
    "$(json_print "$NODE_DEBUG_NS")"
  printf '  "commands": [\n'
  awk 'NR > 1 { printf ",\n" } { printf "    %s", $0 } END { if (NR) printf "\n" }' "$RECORDS"
  printf '  ]\n}\n'
} >"$B/$(src_path manifest)"

if ! tar -C "$WORK" -czf "$OUTPUT" "$TOP"; then
  die "could not write $OUTPUT"
fi

TOTAL=$(count_lines "$RECORDS")
NFAILED=$(count_lines "$FAILED")
printf 'Bundle written: %s\n' "$OUTPUT"
printf 'Namespaces: %s\n' "${TARGETS[*]:-(none)}"
printf 'Commands: %s run, %s failed\n' "$TOTAL" "$NFAILED"
if [ "$NFAILED" -gt 0 ]; then
  printf 'Failed (details in manifest.json):\n'
  head -n 50 "$FAILED"
  [ "$NFAILED" -le 50 ] || printf '  ... and %d more\n' "$((NFAILED - 50))"
fi
exit 0
