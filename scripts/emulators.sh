#!/usr/bin/env bash
# Start, stop and check the local AWS emulators used by `make demo`, the e2e
# tests and CI: LocalStack for S3, STS and CloudWatch, and moto_server for
# DynamoDB. Both listen on 127.0.0.1 only and run without Docker.
#
# Usage: scripts/emulators.sh start|stop|status|wait
#
#   start   start both emulators in the background and wait until they are
#           healthy. An emulator that already runs from EMULATOR_DIR is reused.
#   stop    stop both (SIGTERM, then SIGKILL after EMULATOR_STOP_TIMEOUT)
#   status  print the state of each emulator. Exits 0 only if both are healthy.
#   wait    wait until both endpoints are healthy, also when another process
#           started the emulators
#
# Environment:
#   EMULATOR_DIR           pid files, logs and LocalStack's file system root
#                          (default: <repository>/.tools/run)
#   VENV                   virtualenv with localstack-core[runtime]
#                          (default: <repository>/.tools/venv)
#   MOTO_VENV              virtualenv with moto[server]
#                          (default: <repository>/.tools/moto-venv)
#   LOCALSTACK_PORT        LocalStack gateway port (default: 4566)
#   MOTO_PORT              moto_server port (default: 4567)
#   EMULATOR_TIMEOUT       seconds that start and wait allow for the emulators
#                          to become healthy (default: 120)
#   EMULATOR_STOP_TIMEOUT  seconds that stop waits after SIGTERM before it
#                          sends SIGKILL (default: 10)
#
# LocalStack and moto need separate virtualenvs: localstack-core[runtime]
# 4.14.0 requires aws-sam-translator>=1.105.0, moto[server] 5.1.22 requires
# aws-sam-translator<=1.103.0, and LocalStack's moto-ext fork installs its own
# `moto` package.
#
# Exit status: 0 on success, 1 when an emulator is missing, failed or timed
# out (for status: is not healthy), 2 on a usage error.

set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

EMULATOR_DIR="${EMULATOR_DIR:-$ROOT_DIR/.tools/run}"
VENV="${VENV:-$ROOT_DIR/.tools/venv}"
MOTO_VENV="${MOTO_VENV:-$ROOT_DIR/.tools/moto-venv}"
LOCALSTACK_PORT="${LOCALSTACK_PORT:-4566}"
MOTO_PORT="${MOTO_PORT:-4567}"
EMULATOR_TIMEOUT="${EMULATOR_TIMEOUT:-120}"
EMULATOR_STOP_TIMEOUT="${EMULATOR_STOP_TIMEOUT:-10}"

readonly HOST=127.0.0.1
readonly LOCALSTACK_SERVICES=(s3 sts cloudwatch)
readonly EMULATORS=(localstack moto)
readonly LOG_TAIL_LINES=40

# Install commands for the error messages about a missing virtualenv.
# LocalStack 4.14.0 needs Python 3.13 although its package metadata allows
# 3.10, because it uses PEP 695 generic classes, warnings.deprecated and
# `threading.Lock | None` annotations. The extra pins keep it working:
# cbor2 6 drops the cbor2._decoder module it imports, pyOpenSSL 26 drops
# X509.add_extensions, and localstack-twisted 26.4.0 imports service_identity
# without requiring it.
readonly LOCALSTACK_INSTALL="python3.13 -m venv \"$VENV\" && \"$VENV/bin/pip\" install 'localstack-core[runtime]==4.14.0' 'cbor2>=5.5,<6' 'pyopenssl>=23,<26' 'localstack-twisted==25.5.0'"
readonly MOTO_INSTALL="python3 -m venv \"$MOTO_VENV\" && \"$MOTO_VENV/bin/pip\" install 'moto[server]==5.1.22'"

log() {
  printf 'emulators: %s\n' "$*" >&2
}

die() {
  log "$*"
  exit 1
}

# Print the usage line and exit. A help request gets it on stdout with status
# 0, a usage error on stderr with status 2.
usage() {
  local line
  line=$(printf 'usage: %s start|stop|status|wait' "$(basename "$0")")

  if [[ ${1:-} == help ]]; then
    printf '%s\n' "$line"
    exit 0
  fi
  printf '%s\n' "$line" >&2
  exit 2
}

require_integer() {
  local name=$1 value=$2 min=$3 max=$4

  if ! [[ $value =~ ^[0-9]+$ ]] || ((10#$value < min || 10#$value > max)); then
    log "invalid $name '$value': expected an integer from $min to $max"
    exit 2
  fi
}

validate_settings() {
  require_integer LOCALSTACK_PORT "$LOCALSTACK_PORT" 1 65535
  require_integer MOTO_PORT "$MOTO_PORT" 1 65535
  require_integer EMULATOR_TIMEOUT "$EMULATOR_TIMEOUT" 1 3600
  require_integer EMULATOR_STOP_TIMEOUT "$EMULATOR_STOP_TIMEOUT" 1 3600

  if ((10#$LOCALSTACK_PORT == 10#$MOTO_PORT)); then
    log "invalid ports: LOCALSTACK_PORT and MOTO_PORT are both $MOTO_PORT"
    exit 2
  fi
}

port_of() {
  case $1 in
    localstack) printf '%s\n' "$LOCALSTACK_PORT" ;;
    moto) printf '%s\n' "$MOTO_PORT" ;;
  esac
}

# Print the text that identifies the emulator in a process's command line, so
# a pid file whose pid now belongs to an unrelated process is ignored.
command_marker_of() {
  case $1 in
    localstack) printf '%s\n' "localstack.runtime.main" ;;
    moto) printf '%s\n' "moto_server" ;;
  esac
}

pid_file_of() {
  printf '%s/%s.pid\n' "$EMULATOR_DIR" "$1"
}

log_file_of() {
  printf '%s/%s.log\n' "$EMULATOR_DIR" "$1"
}

# Print the pid of the emulator started from EMULATOR_DIR, or return 1 when it
# is not running. A zombie does not count because ps shows it as <defunct>.
running_pid() {
  local name=$1 pid_file pid args

  pid_file=$(pid_file_of "$name")
  [[ -f $pid_file ]] || return 1

  pid=$(<"$pid_file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1

  args=$(ps -p "$pid" -o args= 2>/dev/null) || return 1
  [[ $args == *"$(command_marker_of "$name")"* ]] || return 1

  printf '%s\n' "$pid"
}

port_in_use() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

localstack_health() {
  curl -fsS -m 2 "http://$HOST:$LOCALSTACK_PORT/_localstack/health" 2>/dev/null
}

# Succeed when every required service is "available" (loads on first request)
# or "running".
localstack_healthy() {
  local body service

  body=$(localstack_health) || return 1
  for service in "${LOCALSTACK_SERVICES[@]}"; do
    grep -Eq "\"$service\": *\"(available|running)\"" <<<"$body" || return 1
  done
}

# Print the required services that LocalStack reports in state "error" and
# succeed if there is one. A service keeps that state until LocalStack
# restarts, and the log has the provider's traceback.
localstack_failed() {
  local body service failed=()

  body=$(localstack_health) || return 1
  for service in "${LOCALSTACK_SERVICES[@]}"; do
    if grep -Eq "\"$service\": *\"error\"" <<<"$body"; then
      failed+=("$service")
    fi
  done

  ((${#failed[@]} > 0)) || return 1
  printf '%s\n' "${failed[*]}"
}

# moto_server serves every AWS service on one port and picks the backend from
# the service named in the Authorization header's credential scope. It does
# not verify signatures by default, so a fixed dummy header is enough.
moto_healthy() {
  curl -fsS -m 2 -X POST \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}' "http://$HOST:$MOTO_PORT/" 2>/dev/null | grep -q '"TableNames"'
}

moto_failed() {
  return 1
}

is_healthy() {
  "${1}_healthy"
}

has_failed() {
  "${1}_failed"
}

print_log_tail() {
  local log_file

  log_file=$(log_file_of "$1")
  if ! [[ -s $log_file ]]; then
    log "$log_file is empty"
    return 0
  fi

  log "last $LOG_TAIL_LINES lines of $log_file:"
  tail -n "$LOG_TAIL_LINES" "$log_file" >&2
}

# Serialize start and stop calls that share EMULATOR_DIR, for example from
# parallel test packages. Skipped where flock(1) is not installed.
lock_emulator_dir() {
  command -v flock >/dev/null || return 0

  exec 9>"$EMULATOR_DIR/lock"
  if ! flock -w $((10#$EMULATOR_TIMEOUT + 10#$EMULATOR_STOP_TIMEOUT * 2)) 9; then
    die "timed out waiting for another emulators.sh call to release $EMULATOR_DIR/lock"
  fi
}

require_commands() {
  local name

  for name in curl ps tail grep; do
    command -v "$name" >/dev/null || die "required command not found: $name"
  done
}

# Start a command in the background, detached from the caller's terminal so a
# Ctrl-C on a later test run does not reach the emulator. The script runs
# without job control, so the background child is never a process group leader
# and setsid(1) calls setsid() without forking: $! stays the emulator's pid.
launch() {
  local name=$1
  shift

  local log_file
  log_file=$(log_file_of "$name")

  if command -v setsid >/dev/null; then
    setsid "$@" >"$log_file" 2>&1 </dev/null 9>&- &
  else
    nohup "$@" >"$log_file" 2>&1 </dev/null 9>&- &
  fi
  printf '%s\n' "$!" >"$(pid_file_of "$name")"
}

check_localstack_installed() {
  local python="$VENV/bin/python"

  if ! [[ -x $python ]] || ! "$python" -c 'import localstack.runtime.main' 2>/dev/null; then
    die "LocalStack is not installed in VENV=$VENV. Install it with: $LOCALSTACK_INSTALL"
  fi
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 13))'; then
    die "LocalStack 4.14 needs Python 3.13 or newer, but VENV=$VENV has $("$python" -V 2>&1). Recreate it with: $LOCALSTACK_INSTALL"
  fi
}

check_moto_installed() {
  if ! [[ -x $MOTO_VENV/bin/moto_server ]]; then
    die "moto_server not found in MOTO_VENV=$MOTO_VENV. Install it with: $MOTO_INSTALL"
  fi
}

launch_localstack() {
  local root="$EMULATOR_DIR/localstack"

  mkdir -p "$root/config" "$root/cache"

  # Settings read by localstack/config.py in LocalStack 4.14.0:
  # - OVERRIDE_IN_DOCKER=0: LocalStack takes any host with /.dockerenv for its
  #   own container and would then write to /var/lib/localstack and
  #   /tmp/localstack and bind 0.0.0.0.
  # - GATEWAY_SERVER=hypercorn: the default twisted server ignores the host
  #   part of GATEWAY_LISTEN and binds 0.0.0.0.
  # - DNS_ADDRESS=0: the built-in DNS server would bind 0.0.0.0:53 and, when
  #   LocalStack thinks it runs in Docker, edit /etc/resolv.conf.
  # - DISABLE_EVENTS=1: no usage analytics are sent.
  # - SKIP_SSL_CERT_DOWNLOAD=1: a self-signed certificate replaces the one
  #   LocalStack otherwise downloads at startup.
  # - LOCALSTACK_HOST: host and port in the URLs that LocalStack returns. The
  #   default, localhost.localstack.cloud, needs a public DNS lookup.
  # - CONFIG_DIR: LocalStack loads <CONFIG_DIR>/default.env into its
  #   environment, by default from ~/.localstack.
  # - XDG_CACHE_HOME: plux, LocalStack's plugin loader, writes an entry point
  #   cache to $XDG_CACHE_HOME/plux, by default under ~/.cache.
  # - EAGER_SERVICE_LOADING=1: services load at startup, so a broken provider
  #   fails start instead of the first request.
  # AWS_PROFILE is removed because LocalStack 4.14.0 fails to load its
  # runtime components when it is set, even to an empty value.
  launch localstack env -u AWS_PROFILE \
    OVERRIDE_IN_DOCKER=0 \
    GATEWAY_SERVER=hypercorn \
    GATEWAY_LISTEN="$HOST:$LOCALSTACK_PORT" \
    LOCALSTACK_HOST="$HOST:$LOCALSTACK_PORT" \
    SERVICES="$(IFS=,; printf '%s' "${LOCALSTACK_SERVICES[*]}")" \
    EAGER_SERVICE_LOADING=1 \
    PERSISTENCE=0 \
    DNS_ADDRESS=0 \
    DISABLE_EVENTS=1 \
    SKIP_SSL_CERT_DOWNLOAD=1 \
    FILESYSTEM_ROOT="$root" \
    CONFIG_DIR="$root/config" \
    XDG_CACHE_HOME="$root/cache" \
    "$VENV/bin/python" -m localstack.runtime.main
}

launch_moto() {
  launch moto "$MOTO_VENV/bin/moto_server" -H "$HOST" -p "$MOTO_PORT"
}

# Print microseconds since an arbitrary start: from EPOCHREALTIME in bash 5.0
# or newer, else from SECONDS in whole seconds.
now_us() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then
    printf '%s\n' "${EPOCHREALTIME/[.,]/}"
  else
    printf '%s\n' "$((SECONDS * 1000000))"
  fi
}

format_elapsed() {
  local elapsed_us=$(($(now_us) - $1))
  printf '%d.%ds\n' "$((elapsed_us / 1000000))" "$((elapsed_us % 1000000 / 100000))"
}

# Check a pending emulator once. Return 0 when it is healthy, 1 when it is
# still starting, and 2 when a required service is in state error or a process
# that this call launched has exited.
check_pending() {
  local name=$1 launched=$2 failed_services

  if is_healthy "$name"; then
    return 0
  fi
  if failed_services=$(has_failed "$name"); then
    log "$name failed to load: $failed_services"
    return 2
  fi
  if [[ " $launched " == *" $name "* ]] && ! running_pid "$name" >/dev/null; then
    log "$name exited before it became healthy"
    return 2
  fi
  return 1
}

# Poll the named emulators together until all are healthy, a failure shows or
# EMULATOR_TIMEOUT passes. The first argument lists, space-separated, the
# emulators this call launched, whose exit counts as a failure.
wait_until_healthy() {
  local launched=$1
  shift

  local pending=("$@") starting name status
  local started_us
  started_us=$(now_us)
  local deadline=$((SECONDS + 10#$EMULATOR_TIMEOUT))

  while ((${#pending[@]} > 0)); do
    starting=()
    for name in "${pending[@]}"; do
      status=0
      check_pending "$name" "$launched" || status=$?
      case $status in
        0) log "$name is healthy on http://$HOST:$(port_of "$name") after $(format_elapsed "$started_us")" ;;
        1) starting+=("$name") ;;
        *)
          print_log_tail "$name"
          return 1
          ;;
      esac
    done
    pending=(${starting[@]+"${starting[@]}"})

    if ((${#pending[@]} > 0 && SECONDS >= deadline)); then
      for name in "${pending[@]}"; do
        log "timed out after ${EMULATOR_TIMEOUT}s waiting for $name on $HOST:$(port_of "$name") to become healthy"
        print_log_tail "$name"
      done
      return 1
    fi
    if ((${#pending[@]} > 0)); then
      sleep 0.5
    fi
  done
}

# Send SIGTERM, then SIGKILL once EMULATOR_STOP_TIMEOUT has passed.
# NOTE: LocalStack 4.14.0 with GATEWAY_SERVER=hypercorn can hang on SIGTERM
# while a request is in flight, because the worker thread waits for a request
# body from the event loop that shutdown already stopped. SIGKILL ends it.
stop_emulator() {
  local name=$1 pid pid_file

  pid_file=$(pid_file_of "$name")
  if ! pid=$(running_pid "$name"); then
    rm -f "$pid_file"
    log "$name is not running"
    return 0
  fi

  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true

  local deadline=$((SECONDS + 10#$EMULATOR_STOP_TIMEOUT))
  while running_pid "$name" >/dev/null; do
    if ((SECONDS >= deadline)); then
      log "$name (pid $pid) still running ${EMULATOR_STOP_TIMEOUT}s after SIGTERM, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done

  deadline=$((SECONDS + 5))
  while running_pid "$name" >/dev/null; do
    if ((SECONDS >= deadline)); then
      die "failed to stop $name (pid $pid): still running 5s after SIGKILL"
    fi
    sleep 0.2
  done

  rm -f "$pid_file"
  log "stopped $name (pid $pid)"
}

# Start the emulator unless it already runs from EMULATOR_DIR. Print its pid
# when this call launched it, and nothing when it was already running.
ensure_started() {
  local name=$1 pid port

  port=$(port_of "$name")
  if pid=$(running_pid "$name"); then
    log "$name is already running (pid $pid, http://$HOST:$port)"
    return 0
  fi
  rm -f "$(pid_file_of "$name")"

  if port_in_use "$port"; then
    die "failed to start $name: $HOST:$port is in use by a process not started from EMULATOR_DIR=$EMULATOR_DIR. Stop that process or set $(tr '[:lower:]' '[:upper:]' <<<"$name")_PORT"
  fi

  "launch_$name"
  pid=$(<"$(pid_file_of "$name")")
  log "started $name (pid $pid, log $(log_file_of "$name"))"
  printf '%s\n' "$pid"
}

cmd_start() {
  require_commands
  mkdir -p "$EMULATOR_DIR"
  lock_emulator_dir

  local name pid
  for name in "${EMULATORS[@]}"; do
    if ! running_pid "$name" >/dev/null; then
      "check_${name}_installed"
    fi
  done

  # Launch both before waiting on either, so their startups overlap. When any
  # step fails, stop only the emulators this call launched.
  local launched=()
  for name in "${EMULATORS[@]}"; do
    if ! pid=$(ensure_started "$name"); then
      stop_emulators ${launched[@]+"${launched[@]}"}
      exit 1
    fi
    if [[ -n $pid ]]; then
      launched+=("$name")
    fi
  done

  if ! wait_until_healthy "${launched[*]-}" "${EMULATORS[@]}"; then
    stop_emulators ${launched[@]+"${launched[@]}"}
    exit 1
  fi
}

stop_emulators() {
  local name

  for name in "$@"; do
    stop_emulator "$name"
  done
}

cmd_stop() {
  if ! [[ -d $EMULATOR_DIR ]]; then
    log "nothing to stop: $EMULATOR_DIR does not exist"
    return 0
  fi
  lock_emulator_dir

  stop_emulators "${EMULATORS[@]}"
}

cmd_status() {
  require_commands

  local name pid port state exit_status=0
  for name in "${EMULATORS[@]}"; do
    port=$(port_of "$name")

    if is_healthy "$name"; then
      state="healthy"
    else
      state="not healthy"
      exit_status=1
    fi

    if pid=$(running_pid "$name"); then
      printf '%s: running, pid %s, http://%s:%s, %s\n' "$name" "$pid" "$HOST" "$port" "$state"
    elif port_in_use "$port"; then
      printf '%s: not started from %s, but %s:%s is in use, %s\n' "$name" "$EMULATOR_DIR" "$HOST" "$port" "$state"
    else
      printf '%s: stopped\n' "$name"
    fi
  done

  return "$exit_status"
}

cmd_wait() {
  require_commands

  wait_until_healthy "" "${EMULATORS[@]}" || exit 1
}

main() {
  (($# == 1)) || usage
  validate_settings

  case $1 in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    wait) cmd_wait ;;
    -h | --help | help) usage help ;;
    *)
      log "unknown command: $1"
      usage
      ;;
  esac
}

main "$@"
