#!/usr/bin/env bash
# -----------------------------------------------------------------------------
# Local infrastructure for bridge-sync development and integration tests,
# without Docker:
#   * Apache Kafka (KRaft, single node, broker+controller), jars from Maven Central
#   * Apicurio Registry (in-memory), Confluent-compatible API at /apis/ccompat/v7
#   * PostgreSQL: the machine's installed cluster (started if it is down), plus
#     the databases bridge_sync and bridge_sync_test
#
# Usage: bash tools/stack/stack.sh up [--brokers N]|down|status|env|restart-kafka|broker|controller
#   up      start whatever is not already answering on its port; wait until ready
#           --brokers 3: a replicated KRaft cluster of three nodes instead of the single broker
#           (see kafka-cluster.sh: its ports, and `broker <id> kill|stop|start|pause|resume`
#           and `controller` for the cluster faults)
#   down    stop Kafka and the registry started by this script (never PostgreSQL)
#   restart-kafka  stop the broker started by this script and start it again with its data
#           (topics, records, committed offsets): a broker restart, for the fault suite
#   status  print each component up/down (exit 0 only if all are up)
#   env     print export lines: eval "$(bash tools/stack/stack.sh env)"
#
# Configuration (env vars, defaults in brackets):
#   BRIDGE_KAFKA_PORT [9092]  BRIDGE_KAFKA_CONTROLLER_PORT [9093]
#   BRIDGE_KAFKA_ADVERTISED_PORT [BRIDGE_KAFKA_PORT] what the broker tells clients (a test's proxy)
#   BRIDGE_REGISTRY_PORT [8081]  BRIDGE_PG_HOST [127.0.0.1]  BRIDGE_PG_PORT [5432]
#   BRIDGE_STACK_DIR   runtime state: data, logs, pids [<repo>/.stack]
#   BRIDGE_STACK_CACHE downloaded jars, shared by clones [$HOME/.cache/bridge-sync-stack]
#   BRIDGE_REGISTRY_GLOBAL_COMPATIBILITY [BACKWARD] (Confluent's default; Apicurio's own is NONE)
#   BRIDGE_KAFKA_HEAP_OPTS [-Xms256m -Xmx768m]  BRIDGE_REGISTRY_HEAP_OPTS [-Xms128m -Xmx512m]
#   BRIDGE_KAFKA_KEEP_DATA [0] 1: a broker started on an existing data dir keeps it
#   BRIDGE_KAFKA_START_TIMEOUT [120]  BRIDGE_REGISTRY_START_TIMEOUT [180]  BRIDGE_PG_START_TIMEOUT [60] (seconds)
#
# Kafka data lives in $BRIDGE_STACK_DIR/kafka/data and is WIPED every time this
# script (re)starts the broker, i.e. a fresh `up` after `down` gives an empty
# broker (tests want a clean one), unless BRIDGE_KAFKA_KEEP_DATA=1 or the command is
# restart-kafka. An `up` while the broker is running keeps it.
# The registry keeps everything in memory, so it is also empty after a restart.
# See tools/stack/README.md.
# -----------------------------------------------------------------------------
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

# Pinned versions (the poms carry the same defaults; these are passed to mvn).
KAFKA_VERSION="3.9.2"
APICURIO_VERSION="2.6.13.Final"

KAFKA_PORT="${BRIDGE_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${BRIDGE_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_ADVERTISED_PORT="${BRIDGE_KAFKA_ADVERTISED_PORT:-$KAFKA_PORT}"
REGISTRY_PORT="${BRIDGE_REGISTRY_PORT:-8081}"
PG_HOST="${BRIDGE_PG_HOST:-127.0.0.1}"
PG_PORT="${BRIDGE_PG_PORT:-5432}"
PG_USER="postgres"
PG_DATABASES=(bridge_sync bridge_sync_test)
STACK_DIR="${BRIDGE_STACK_DIR:-$REPO_ROOT/.stack}"
CACHE_DIR="${BRIDGE_STACK_CACHE:-${HOME:-/tmp}/.cache/bridge-sync-stack}"
REGISTRY_GLOBAL_COMPAT="${BRIDGE_REGISTRY_GLOBAL_COMPATIBILITY:-BACKWARD}"
KAFKA_HEAP_OPTS="${BRIDGE_KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
REGISTRY_HEAP_OPTS="${BRIDGE_REGISTRY_HEAP_OPTS:--Xms128m -Xmx512m}"
KAFKA_START_TIMEOUT="${BRIDGE_KAFKA_START_TIMEOUT:-120}"
REGISTRY_START_TIMEOUT="${BRIDGE_REGISTRY_START_TIMEOUT:-180}"
PG_START_TIMEOUT="${BRIDGE_PG_START_TIMEOUT:-60}"
KAFKA_KEEP_DATA="${BRIDGE_KAFKA_KEEP_DATA:-0}"

KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"            # libs/*.jar
REGISTRY_HOME="$CACHE_DIR/apicurio-registry-$APICURIO_VERSION"  # unpacked distribution
LOG_DIR="$STACK_DIR/logs"
PID_DIR="$STACK_DIR/pids"
KAFKA_STATE_DIR="$STACK_DIR/kafka"
KAFKA_DATA_DIR="$KAFKA_STATE_DIR/data"
KAFKA_LOG="$LOG_DIR/kafka.log"
REGISTRY_LOG="$LOG_DIR/registry.log"
KAFKA_PID_FILE="$PID_DIR/kafka.pid"
REGISTRY_PID_FILE="$PID_DIR/registry.pid"
REGISTRY_CONFIGURED_MARK="$PID_DIR/registry.configured"  # global compatibility was set

REGISTRY_CCOMPAT_URL="http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"

# ----------------------------------------------------------------- helpers ---
# (kafka-cluster.sh, sourced below, uses these too.)
log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
fmt_secs() { # milliseconds -> "12.3s"
  local ms=$1
  printf '%d.%ds' $((ms / 1000)) $(((ms % 1000) / 100))
}

require() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is required but not on PATH"
  done
}

port_open() { # host port
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" >/dev/null 2>&1
}

registry_ready() {
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$REGISTRY_CCOMPAT_URL/subjects" 2>/dev/null || true)"
  [ "$code" = "200" ]
}

pg_ready() {
  pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2 >/dev/null 2>&1
}

# pid of a component started by this script, if that process is still alive
# (the command line must carry our marker, so a recycled pid is never taken).
managed_pid() { # component pidfile
  local pid cmdline
  [ -f "$2" ] || return 1
  pid="$(cat "$2" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *"-Dbridge.stack.component=$1 "* ]] || return 1
  echo "$pid"
}

# pid written by the launcher (see start_kafka), read without the liveness check of
# managed_pid so that a JVM that died right away is noticed.
launched_pid() { # pidfile
  local pid
  pid="$(cat "$1" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && echo "$pid"
  return 0
}

log_tail() { # file
  if [ -f "$1" ]; then
    printf '[stack] ---- last 40 lines of %s ----\n' "$1" >&2
    tail -n 40 "$1" >&2 || true
    printf '[stack] ---- end of %s ----\n' "$1" >&2
  fi
}

stop_pid() { # name pid
  local name=$1 pid=$2 _
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do # up to 30s for a clean shutdown
    kill -0 "$pid" 2>/dev/null || { log "$name stopped (pid $pid)"; return 0; }
    sleep 0.5
  done
  log "$name (pid $pid) did not stop within 30s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

mvn_fetch() { # pom outdir extra-args...
  local pom=$1 out=$2
  shift 2
  require mvn
  if ! mvn -B -q -Dstyle.color=never -f "$pom" "$@" \
      dependency:copy-dependencies -DoutputDirectory="$out" >"$out.mvn.log" 2>&1; then
    cat "$out.mvn.log" >&2
    die "mvn could not fetch the artifacts of $pom (see above)"
  fi
  rm -f "$out.mvn.log"
}

# ------------------------------------------------------------------ fetch ---
fetch_kafka() {
  [ -f "$KAFKA_HOME/.complete" ] && return 0
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_HOME"
  mkdir -p "$CACHE_DIR"
  local tmp="$CACHE_DIR/.kafka-$KAFKA_VERSION.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp/libs"
  mvn_fetch "$SCRIPT_DIR/kafka/pom.xml" "$tmp/libs" -Dkafka.version="$KAFKA_VERSION"
  ls "$tmp"/libs/kafka_2.13-*.jar >/dev/null 2>&1 || die "mvn finished but no kafka_2.13 jar in $tmp/libs"
  touch "$tmp/.complete"
  install_into_cache "$tmp" "$KAFKA_HOME"
}

fetch_registry() {
  [ -f "$REGISTRY_HOME/.complete" ] && return 0
  log "fetching Apicurio Registry $APICURIO_VERSION (~140 MB) from Maven Central into $REGISTRY_HOME"
  mkdir -p "$CACHE_DIR"
  local tmp="$CACHE_DIR/.apicurio-registry-$APICURIO_VERSION.tmp.$$" archive f
  rm -rf "$tmp" && mkdir -p "$tmp/download" "$tmp/dist"
  mvn_fetch "$SCRIPT_DIR/registry/pom.xml" "$tmp/download" -Dapicurio.version="$APICURIO_VERSION"
  archive=""
  for f in "$tmp"/download/apicurio-registry-app-*-all.tar.gz; do [ -f "$f" ] && archive="$f"; done
  [ -n "$archive" ] || die "mvn finished but no apicurio-registry-app-*-all.tar.gz in $tmp/download"
  tar -xzf "$archive" -C "$tmp/dist"
  rm -rf "$tmp/download"
  registry_runner_jar "$tmp/dist" >/dev/null || die "no runnable jar found in $archive"
  touch "$tmp/dist/.complete"
  install_into_cache "$tmp/dist" "$REGISTRY_HOME"
  rm -rf "$tmp"
}

install_into_cache() { # tmpdir final
  if [ -f "$2/.complete" ]; then # another clone got there first; its files may be in use
    rm -rf "$1"
  else
    rm -rf "$2" && mv "$1" "$2"
  fi
}

# Serialise downloads of clones sharing one cache. Released before any daemon starts.
lock_cache() {
  mkdir -p "$CACHE_DIR"
  exec 8>"$CACHE_DIR/.lock"
  if command -v flock >/dev/null 2>&1; then
    flock -w 900 8 || die "another stack.sh is busy downloading into $CACHE_DIR"
  fi
}
unlock_cache() { exec 8>&-; }

# 2.x ships a legacy-jar (*-runner.jar + lib/); 3.x a fast-jar (quarkus-run.jar).
registry_runner_jar() { # dist dir
  local f
  for f in "$1"/*-runner.jar "$1"/quarkus-run.jar; do
    [ -f "$f" ] && { echo "$f"; return 0; }
  done
  return 1
}

# The replicated cluster of `up --brokers N`: its functions only, nothing runs on sourcing.
# shellcheck source=kafka-cluster.sh
. "$SCRIPT_DIR/kafka-cluster.sh"

# ------------------------------------------------------------------ kafka ---
# Fresh broker: wipe the data dir and format it anew.
format_kafka_storage() {
  rm -rf "$KAFKA_DATA_DIR"
  # Cluster id: 16 random bytes, base64url without padding (what `StorageTool random-uuid`
  # prints, minus a JVM start); a leading '-' would read as an option, so avoid it.
  local cluster_id="-"
  while [[ "$cluster_id" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  if ! java -Dlog4j.configuration="file:$SCRIPT_DIR/kafka/tools-log4j.properties" \
      -cp "$KAFKA_HOME/libs/*" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$KAFKA_STATE_DIR/server.properties" >"$KAFKA_LOG" 2>&1; then
    log_tail "$KAFKA_LOG"
    die "kafka: formatting the storage in $KAFKA_DATA_DIR failed"
  fi
}

KAFKA_ACTION=""
start_kafka() {
  local pid
  if pid="$(managed_pid kafka "$KAFKA_PID_FILE")"; then
    log "kafka: already running (pid $pid)"
    KAFKA_ACTION="wait"
    return 0
  fi
  if port_open 127.0.0.1 "$KAFKA_PORT"; then
    log "kafka: something already answers on 127.0.0.1:$KAFKA_PORT (not started by this script); leaving it"
    KAFKA_ACTION="external"
    return 0
  fi
  if port_open 127.0.0.1 "$KAFKA_CONTROLLER_PORT"; then
    die "kafka: controller port 127.0.0.1:$KAFKA_CONTROLLER_PORT is taken by another process (set BRIDGE_KAFKA_CONTROLLER_PORT)"
  fi
  rm -f "$KAFKA_PID_FILE"
  mkdir -p "$KAFKA_STATE_DIR" "$LOG_DIR" "$PID_DIR"

  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
      -e "s|@ADVERTISED_PORT@|$KAFKA_ADVERTISED_PORT|g" \
      -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@DATA_DIR@|$KAFKA_DATA_DIR|g" \
      "$SCRIPT_DIR/kafka/server.properties.template" >"$KAFKA_STATE_DIR/server.properties"

  if [ "$KAFKA_KEEP_DATA" = "1" ] && [ -f "$KAFKA_DATA_DIR/meta.properties" ]; then
    # A restart of the same broker (restart-kafka, or BRIDGE_KAFKA_KEEP_DATA=1): its topics,
    # records and committed offsets stay, as after a broker restart in production.
    # A new log, so that readiness waits for this start's "started" line.
    log "kafka: keeping the data in $KAFKA_DATA_DIR"
    [ -f "$KAFKA_LOG" ] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.previous"
    : >"$KAFKA_LOG"
  else
    format_kafka_storage
  fi

  log "kafka: starting $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT), log $KAFKA_LOG"
  # setsid: own session, so the broker outlives the shell (and its process group) that ran `up`.
  # `exec` keeps the pid written by the inner shell equal to the JVM's; 9>&- keeps our lock fd
  # away from the daemon (it would hold the lock forever).
  # shellcheck disable=SC2086,SC2016
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PID_FILE" \
    java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dbridge.stack.component=kafka -Dbridge.stack.dir="$STACK_DIR" \
    -Dlog4j.configuration="file:$SCRIPT_DIR/kafka/log4j.properties" \
    -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_STATE_DIR/server.properties" \
    >>"$KAFKA_LOG" 2>&1 </dev/null 9>&- &
  KAFKA_ACTION="wait"
}

# Polls a component we launched until `ready_cmd` succeeds: dies with the log tail if the process
# exits or the timeout passes (stopping it then). Sets READY_PID to the component's pid.
READY_PID=""
wait_ready() { # name pid_file log timeout_s ready_cmd not_ready_message
  local name="$1" pid_file="$2" log_file="$3" timeout="$4" ready_cmd="$5" not_ready="$6"
  local deadline=$(($(date +%s) + timeout)) pid=""
  while :; do
    [ -n "$pid" ] || pid="$(launched_pid "$pid_file")"
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pid_file"
      log_tail "$log_file"
      die "$name: exited during startup (log: $log_file)"
    fi
    if [ -n "$pid" ] && "$ready_cmd"; then
      READY_PID="$pid"
      return 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log_tail "$log_file"
      [ -n "$pid" ] && stop_pid "$name" "$pid"
      rm -f "$pid_file"
      die "$name: $not_ready within ${timeout}s (log: $log_file)"
    fi
    sleep 0.3
  done
}

kafka_ready() {
  grep -q "Kafka Server started" "$KAFKA_LOG" 2>/dev/null && port_open 127.0.0.1 "$KAFKA_PORT"
}

wait_kafka() {
  [ "$KAFKA_ACTION" = "wait" ] || return 0
  wait_ready kafka "$KAFKA_PID_FILE" "$KAFKA_LOG" "$KAFKA_START_TIMEOUT" kafka_ready "not ready"
  log "kafka: ready on 127.0.0.1:$KAFKA_PORT (pid $READY_PID)"
}

# --------------------------------------------------------------- registry ---
REGISTRY_ACTION=""
start_registry() {
  local pid jar
  if pid="$(managed_pid registry "$REGISTRY_PID_FILE")"; then
    log "registry: already running (pid $pid)"
    REGISTRY_ACTION="wait"
    return 0
  fi
  if port_open 127.0.0.1 "$REGISTRY_PORT"; then
    log "registry: something already answers on 127.0.0.1:$REGISTRY_PORT (not started by this script); leaving it"
    REGISTRY_ACTION="external"
    return 0
  fi
  rm -f "$REGISTRY_PID_FILE" "$REGISTRY_CONFIGURED_MARK"
  mkdir -p "$LOG_DIR" "$PID_DIR"
  jar="$(registry_runner_jar "$REGISTRY_HOME")" || die "registry: no runnable jar in $REGISTRY_HOME (delete it to re-download)"

  log "registry: starting Apicurio Registry $APICURIO_VERSION on 127.0.0.1:$REGISTRY_PORT, log $REGISTRY_LOG"
  : >"$REGISTRY_LOG"
  # Storage is the distribution's default: in-memory H2 (nothing survives a restart).
  local -a props=(
    -Dquarkus.http.host=127.0.0.1
    -Dquarkus.http.port="$REGISTRY_PORT"
  )
  # shellcheck disable=SC2086
  (
    cd "$STACK_DIR"
    exec 9>&- # no lock fd for the daemon; see start_kafka
    # shellcheck disable=SC2016
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$REGISTRY_PID_FILE" \
      java $REGISTRY_HEAP_OPTS -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
      -Dbridge.stack.component=registry -Dbridge.stack.dir="$STACK_DIR" \
      "${props[@]}" -jar "$jar" >>"$REGISTRY_LOG" 2>&1 </dev/null &
  )
  REGISTRY_ACTION="wait"
}

wait_registry() {
  [ "$REGISTRY_ACTION" = "wait" ] || return 0
  wait_ready registry "$REGISTRY_PID_FILE" "$REGISTRY_LOG" "$REGISTRY_START_TIMEOUT" registry_ready \
    "$REGISTRY_CCOMPAT_URL/subjects did not answer 200"
  if [ ! -f "$REGISTRY_CONFIGURED_MARK" ]; then
    set_registry_global_compat
    touch "$REGISTRY_CONFIGURED_MARK"
  fi
  log "registry: ready at $REGISTRY_CCOMPAT_URL (pid $READY_PID)"
}

# Apicurio's global compatibility defaults to NONE; Confluent's to BACKWARD. Set it through the
# ccompat API (GET /config then reports it too, unlike the registry.rules.global.* property).
set_registry_global_compat() {
  [ -n "$REGISTRY_GLOBAL_COMPAT" ] || return 0
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PUT \
    -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    -d "{\"compatibility\":\"$REGISTRY_GLOBAL_COMPAT\"}" "$REGISTRY_CCOMPAT_URL/config" || true)"
  [ "$code" = "200" ] || die "registry: PUT $REGISTRY_CCOMPAT_URL/config ($REGISTRY_GLOBAL_COMPAT) answered HTTP $code"
  log "registry: global compatibility set to $REGISTRY_GLOBAL_COMPAT"
}

# --------------------------------------------------------------- postgres ---
ensure_postgres() {
  require pg_isready psql
  if ! pg_ready; then
    case "$PG_HOST" in 127.0.0.1 | localhost | ::1) ;; *)
      die "postgres: $PG_HOST:$PG_PORT does not answer and is not local; start it yourself" ;;
    esac
    command -v pg_lsclusters >/dev/null 2>&1 \
      || die "postgres: $PG_HOST:$PG_PORT does not answer and pg_lsclusters/pg_ctlcluster are not installed"
    # The installed cluster (Debian's postgresql-common) that listens on PG_PORT.
    local ver name status logfile
    read -r ver name _ status logfile < <(pg_lsclusters -h 2>/dev/null \
      | awk -v p="$PG_PORT" '$3 == p { print $1, $2, $3, $4, $7; exit }') || true
    [ -n "${ver:-}" ] || die "postgres: $PG_HOST:$PG_PORT does not answer and no installed cluster uses port $PG_PORT (pg_lsclusters)"
    log "postgres: not answering on $PG_HOST:$PG_PORT; starting the installed cluster $ver/$name ($status)"
    # 9>&-: the postmaster must not inherit our lock fd.
    pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >&2 9>&- \
      || log "postgres: pg_ctlcluster $ver $name start failed (it may be starting already); waiting anyway"
    local deadline=$(($(date +%s) + PG_START_TIMEOUT))
    until pg_ready; do
      if [ "$(date +%s)" -ge "$deadline" ]; then
        log_tail "${logfile:-/var/log/postgresql/postgresql-$ver-$name.log}"
        die "postgres: not ready on $PG_HOST:$PG_PORT after ${PG_START_TIMEOUT}s"
      fi
      sleep 0.5
    done
  fi
  local db
  for db in "${PG_DATABASES[@]}"; do
    if [ "$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAX \
        -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
      psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -X -q -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE \"$db\"" >&2 || die "postgres: could not create database $db"
      log "postgres: created database $db"
    fi
  done
  log "postgres: ready on $PG_HOST:$PG_PORT (databases: ${PG_DATABASES[*]})"
}

# --------------------------------------------------------------- commands ---
cmd_up() {
  require java curl setsid
  local t0 t phases=() brokers=1
  t0="$(now_ms)"
  while [ $# -gt 0 ]; do
    case "$1" in
      --brokers) brokers="${2:-}"; shift 2 || die "--brokers needs a number" ;;
      *) die "up: unknown option '$1'" ;;
    esac
  done

  lock_cache
  t="$(now_ms)"; fetch_kafka;    phases+=("fetch kafka $(fmt_secs $(($(now_ms) - t)))")
  t="$(now_ms)"; fetch_registry; phases+=("fetch registry $(fmt_secs $(($(now_ms) - t)))")
  unlock_cache

  # Both JVMs boot in parallel while PostgreSQL is checked.
  t="$(now_ms)"
  if [ "$brokers" = 1 ]; then start_kafka; else start_cluster "$brokers"; fi
  start_registry; phases+=("launch $(fmt_secs $(($(now_ms) - t)))")
  t="$(now_ms)"; ensure_postgres; phases+=("postgres $(fmt_secs $(($(now_ms) - t)))")
  t="$(now_ms)"
  if [ "$brokers" = 1 ]; then wait_kafka; else wait_cluster; fi
  phases+=("kafka ready $(fmt_secs $(($(now_ms) - t)))")
  t="$(now_ms)"; wait_registry; phases+=("registry ready $(fmt_secs $(($(now_ms) - t)))")

  local joined
  joined="$(printf '%s, ' "${phases[@]}")"
  log "phases: ${joined%, }"
  log "up took $(fmt_secs $(($(now_ms) - t0))) in total"
  log "use it with: eval \"\$(bash ${SCRIPT_DIR#"$REPO_ROOT"/}/stack.sh env)\""
}

cmd_down() {
  local pid
  if pid="$(managed_pid registry "$REGISTRY_PID_FILE")"; then
    stop_pid registry "$pid"
  else
    log "registry: not running (nothing started by this script)"
  fi
  rm -f "$REGISTRY_PID_FILE" "$REGISTRY_CONFIGURED_MARK"
  if pid="$(managed_pid kafka "$KAFKA_PID_FILE")"; then
    stop_pid kafka "$pid"
  else
    log "kafka: not running (nothing started by this script)"
  fi
  rm -f "$KAFKA_PID_FILE"
  stop_cluster
  log "postgres: left as it is (system service)"
}

cmd_restart_kafka() {
  require java setsid
  local pid _
  pid="$(managed_pid kafka "$KAFKA_PID_FILE")" || die "kafka: no broker started by this script is running"
  [ -f "$KAFKA_DATA_DIR/meta.properties" ] || die "kafka: no formatted data in $KAFKA_DATA_DIR to keep"
  stop_pid kafka "$pid"
  # stop_pid may end with a SIGKILL it does not wait for: the port must be free before the start.
  for _ in $(seq 1 60); do
    if ! kill -0 "$pid" 2>/dev/null && ! port_open 127.0.0.1 "$KAFKA_PORT"; then break; fi
    sleep 0.5
  done
  port_open 127.0.0.1 "$KAFKA_PORT" && die "kafka: 127.0.0.1:$KAFKA_PORT still answers after the stop"
  rm -f "$KAFKA_PID_FILE"
  KAFKA_KEEP_DATA=1
  start_kafka
  [ "$KAFKA_ACTION" = "wait" ] || die "kafka: the broker was not started again"
  wait_kafka
}

cmd_status() {
  local all=0 pid how
  if cluster_running; then
    cluster_status || all=3
  elif port_open 127.0.0.1 "$KAFKA_PORT"; then
    how="external"; pid="$(managed_pid kafka "$KAFKA_PID_FILE" || true)"; [ -n "$pid" ] && how="pid $pid"
    printf '%-9s %-5s %s (%s)\n' kafka up "127.0.0.1:$KAFKA_PORT" "$how"
  else
    printf '%-9s %-5s %s\n' kafka down "127.0.0.1:$KAFKA_PORT"; all=3
  fi
  if registry_ready; then
    how="external"; pid="$(managed_pid registry "$REGISTRY_PID_FILE" || true)"; [ -n "$pid" ] && how="pid $pid"
    printf '%-9s %-5s %s (%s)\n' registry up "$REGISTRY_CCOMPAT_URL" "$how"
  else
    printf '%-9s %-5s %s\n' registry down "$REGISTRY_CCOMPAT_URL"; all=3
  fi
  if pg_ready; then
    printf '%-9s %-5s %s\n' postgres up "$PG_HOST:$PG_PORT"
  else
    printf '%-9s %-5s %s\n' postgres down "$PG_HOST:$PG_PORT"; all=3
  fi
  return "$all"
}

cmd_env() {
  if cluster_running; then
    echo "export KAFKA_BROKERS=$(cluster_bootstrap)"
  else
    echo "export KAFKA_BROKERS=127.0.0.1:$KAFKA_ADVERTISED_PORT"
  fi
  echo "export SCHEMA_REGISTRY_URL=$REGISTRY_CCOMPAT_URL"
  echo "export DATABASE_URL=postgres://$PG_USER@$PG_HOST:$PG_PORT/bridge_sync_test"
}

with_lock() { # serialise concurrent up/down runs on the same stack dir
  mkdir -p "$STACK_DIR"
  exec 9>"$STACK_DIR/.lock"
  if command -v flock >/dev/null 2>&1; then
    flock -w 900 9 || die "another stack.sh is busy with $STACK_DIR"
  fi
  "$@"
}

case "${1:-}" in
  up) shift; with_lock cmd_up "$@" ;;
  down) with_lock cmd_down ;;
  restart-kafka) with_lock cmd_restart_kafka ;;
  broker) shift; with_lock cmd_broker "$@" ;;
  controller) cmd_controller ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *)
    echo "usage: bash tools/stack/stack.sh up [--brokers N]|down|status|env|restart-kafka|broker <id> kill|stop|start|pause|resume|controller" >&2
    exit 2
    ;;
esac
