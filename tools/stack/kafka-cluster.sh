# shellcheck shell=bash
# -----------------------------------------------------------------------------
# The replicated Kafka of the local stack: N KRaft nodes (each broker and controller, a quorum of
# N voters), topics with three copies and min.insync.replicas=2 by default. Sourced by stack.sh,
# whose helpers (log, die, managed_pid, stop_pid, wait_ready, port_open...) it uses:
#
#   stack.sh up --brokers 3          the cluster instead of the single broker (+ registry, PostgreSQL)
#   stack.sh broker <id> kill|stop|start|pause|resume|isolate|rejoin
#                                    one node: SIGKILL; clean stop; start again on its data;
#                                    SIGSTOP (frozen: every connection goes silent); SIGCONT;
#                                    cut off from the network (below); connected again
#   stack.sh controller              the node id of the active controller (the quorum's leader)
#
# Ports (comma lists, one per node; defaults from BRIDGE_CLUSTER_BASE_PORT [19092]):
#   BRIDGE_CLUSTER_CLIENT_PORTS      [base, base+1, ...]        the CLIENT listener
#   BRIDGE_CLUSTER_ADVERTISED_PORTS  [the client ports]         what metadata tells clients: a proxy
#                                                               of the network faults listens there
#   BRIDGE_CLUSTER_INTERNAL_PORTS    [base+100, ...]            replication between the nodes
#   BRIDGE_CLUSTER_CONTROLLER_PORTS  [base+200, ...]            the KRaft quorum
# The resolved ports are kept in <stack dir>/kafka-cluster/cluster.env, so that the per-node
# commands, `env`, `status` and `down` need none of the variables again.
#
# Isolation is a real network partition, made with iptables (root only): every packet to one of
# the node's ports from any other process is dropped, and every packet the node sends to another
# node's port, or from its own ports to anyone, so it can neither reach nor be reached by its
# peers or its clients, while it keeps running and its own timers go on (unlike a frozen node).
# To tell the node's packets from everyone else's on the one loopback interface, each node runs
# in a cgroup (v2) of its own, which the rules match. A partitioned node cannot talk to its own
# listeners either, the only difference from two machines cut apart.
# -----------------------------------------------------------------------------

CLUSTER_DIR="$STACK_DIR/kafka-cluster"
CLUSTER_ENV_FILE="$CLUSTER_DIR/cluster.env"
CLUSTER_HEAP_OPTS="${BRIDGE_CLUSTER_HEAP_OPTS:--Xms128m -Xmx512m}"
CLUSTER_SIZE=0
CLIENT_PORTS=() ADVERTISED_PORTS=() INTERNAL_PORTS=() CONTROLLER_PORTS=()

port_list() { # variable-value size first-default -> one port per line
  local given=$1 size=$2 first=$3 i
  if [ -n "$given" ]; then
    tr ',' '\n' <<<"$given"
  else
    for ((i = 0; i < size; i++)); do echo $((first + i)); done
  fi
}

# Resolves the ports of a new cluster of $1 nodes from the environment and writes cluster.env.
plan_cluster() { # size
  local size=$1 base="${BRIDGE_CLUSTER_BASE_PORT:-19092}"
  [[ "$size" =~ ^[0-9]+$ ]] && [ "$size" -ge 3 ] && [ "$size" -le 9 ] \
    || die "--brokers takes 1 (the single broker) or a cluster of 3 to 9 nodes, not '$size'"
  mapfile -t CLIENT_PORTS < <(port_list "${BRIDGE_CLUSTER_CLIENT_PORTS:-}" "$size" "$base")
  ADVERTISED_PORTS=("${CLIENT_PORTS[@]}")
  [ -z "${BRIDGE_CLUSTER_ADVERTISED_PORTS:-}" ] \
    || mapfile -t ADVERTISED_PORTS < <(port_list "$BRIDGE_CLUSTER_ADVERTISED_PORTS" "$size" 0)
  mapfile -t INTERNAL_PORTS < <(port_list "${BRIDGE_CLUSTER_INTERNAL_PORTS:-}" "$size" $((base + 100)))
  mapfile -t CONTROLLER_PORTS < <(port_list "${BRIDGE_CLUSTER_CONTROLLER_PORTS:-}" "$size" $((base + 200)))
  [ "${#CLIENT_PORTS[@]}" -eq "$size" ] && [ "${#ADVERTISED_PORTS[@]}" -eq "$size" ] \
    && [ "${#INTERNAL_PORTS[@]}" -eq "$size" ] && [ "${#CONTROLLER_PORTS[@]}" -eq "$size" ] \
    || die "the BRIDGE_CLUSTER_*_PORTS lists must each give one port per node ($size)"
  CLUSTER_SIZE=$size
  mkdir -p "$CLUSTER_DIR"
  {
    echo "CLUSTER_SIZE=$size"
    echo "CLIENT_PORTS=(${CLIENT_PORTS[*]})"
    echo "ADVERTISED_PORTS=(${ADVERTISED_PORTS[*]})"
    echo "INTERNAL_PORTS=(${INTERNAL_PORTS[*]})"
    echo "CONTROLLER_PORTS=(${CONTROLLER_PORTS[*]})"
  } >"$CLUSTER_ENV_FILE"
}

# Reads cluster.env; false when no cluster was ever started under this stack directory.
load_cluster() {
  [ -f "$CLUSTER_ENV_FILE" ] || return 1
  # shellcheck disable=SC1090
  . "$CLUSTER_ENV_FILE"
}

node_dir() { echo "$CLUSTER_DIR/node-$1"; }
node_log() { echo "$LOG_DIR/kafka-node-$1.log"; }
node_pid_file() { echo "$PID_DIR/kafka-node-$1.pid"; }
node_component() { echo "kafka-node-$1"; }
node_pid() { managed_pid "$(node_component "$1")" "$(node_pid_file "$1")"; }

# The nodes' cgroups and iptables chains are named after the stack directory, so that two
# clusters on one machine (two test files) never touch each other's.
stack_tag() { printf '%s' "$STACK_DIR" | md5sum | cut -c1-8; }
node_chain() { echo "BRIDGE-$(stack_tag)-N$1"; }
cgroup2_root() { awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts; }
node_cgroup() { echo "bridge-kafka-$(stack_tag)-node-$1"; }

# The cgroup directory a node is started in, or nothing where cgroups v2 cannot be written to
# (the node then runs, and only `isolate` is refused).
node_cgroup_dir() { # id
  local root
  root="$(cgroup2_root)"
  [ -n "$root" ] || return 0
  mkdir -p "$root/$(node_cgroup "$1")" 2>/dev/null && echo "$root/$(node_cgroup "$1")"
  return 0
}

cluster_bootstrap() { # host:port of every node as clients reach it
  local i out=()
  for ((i = 0; i < CLUSTER_SIZE; i++)); do out+=("127.0.0.1:${ADVERTISED_PORTS[$i]}"); done
  local IFS=,
  echo "${out[*]}"
}

render_node_config() { # id
  local id=$1 i=$(($1 - 1)) voters=() v
  for ((v = 0; v < CLUSTER_SIZE; v++)); do voters+=("$((v + 1))@127.0.0.1:${CONTROLLER_PORTS[$v]}"); done
  local IFS=,
  mkdir -p "$(node_dir "$id")"
  sed -e "s|@NODE_ID@|$id|g" \
      -e "s|@VOTERS@|${voters[*]}|g" \
      -e "s|@CLIENT_PORT@|${CLIENT_PORTS[$i]}|g" \
      -e "s|@ADVERTISED_PORT@|${ADVERTISED_PORTS[$i]}|g" \
      -e "s|@INTERNAL_PORT@|${INTERNAL_PORTS[$i]}|g" \
      -e "s|@CONTROLLER_PORT@|${CONTROLLER_PORTS[$i]}|g" \
      -e "s|@DATA_DIR@|$(node_dir "$id")/data|g" \
      "$SCRIPT_DIR/kafka/cluster-node.properties.template" >"$(node_dir "$id")/server.properties"
}

# A new cluster: every node's storage formatted with one cluster id.
format_cluster() {
  local cluster_id="-" id
  while [[ "$cluster_id" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  for ((id = 1; id <= CLUSTER_SIZE; id++)); do
    rm -rf "$(node_dir "$id")/data"
    if ! java -Dlog4j.configuration="file:$SCRIPT_DIR/kafka/tools-log4j.properties" \
        -cp "$KAFKA_HOME/libs/*" kafka.tools.StorageTool format \
        -t "$cluster_id" -c "$(node_dir "$id")/server.properties" >"$(node_log "$id")" 2>&1; then
      log_tail "$(node_log "$id")"
      die "kafka node $id: formatting its storage failed"
    fi
  done
}

launch_node() { # id; the node's data must be formatted
  local id=$1 log_file
  log_file="$(node_log "$id")"
  [ -f "$log_file" ] && mv -f "$log_file" "$log_file.previous"
  : >"$log_file"
  rm -f "$(node_pid_file "$id")"
  log "kafka node $id: starting on 127.0.0.1:${CLIENT_PORTS[$((id - 1))]} (advertised :${ADVERTISED_PORTS[$((id - 1))]}), log $log_file"
  # As start_kafka: own session, pid of the JVM itself, no lock fd for the daemon; and in its
  # own cgroup from the start, since a socket stays in the cgroup it was opened in.
  # shellcheck disable=SC2086,SC2016
  setsid bash -c 'echo $$ >"$0"; [ -z "$1" ] || echo $$ >"$1/cgroup.procs"; shift; exec "$@"' \
    "$(node_pid_file "$id")" "$(node_cgroup_dir "$id")" \
    java $CLUSTER_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dbridge.stack.component="$(node_component "$id")" -Dbridge.stack.dir="$STACK_DIR" \
    -Dlog4j.configuration="file:$SCRIPT_DIR/kafka/log4j.properties" \
    -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$(node_dir "$id")/server.properties" \
    >>"$log_file" 2>&1 </dev/null 9>&- &
}

NODE_UNDER_WAIT=0
node_ready() {
  grep -q "Kafka Server started" "$(node_log "$NODE_UNDER_WAIT")" 2>/dev/null \
    && port_open 127.0.0.1 "${CLIENT_PORTS[$((NODE_UNDER_WAIT - 1))]}"
}

wait_node() { # id
  NODE_UNDER_WAIT=$1
  wait_ready "kafka node $1" "$(node_pid_file "$1")" "$(node_log "$1")" "$KAFKA_START_TIMEOUT" \
    node_ready "not ready"
  log "kafka node $1: ready (pid $READY_PID)"
}

# `up --brokers N`: the nodes already running are left alone; if none is, a new cluster is
# formatted (as the single broker, a fresh `up` gives empty Kafka unless BRIDGE_KAFKA_KEEP_DATA=1).
CLUSTER_LAUNCHED=()
start_cluster() { # size
  local size=$1 id running=0
  if load_cluster; then
    for ((id = 1; id <= CLUSTER_SIZE; id++)); do node_pid "$id" >/dev/null && running=$((running + 1)); done
  fi
  if [ "$running" -gt 0 ]; then
    [ "$CLUSTER_SIZE" -eq "$size" ] || die "a cluster of $CLUSTER_SIZE nodes is running here; stop it first"
  else
    plan_cluster "$size"
    for ((id = 1; id <= CLUSTER_SIZE; id++)); do
      port_open 127.0.0.1 "${CLIENT_PORTS[$((id - 1))]}" && die "kafka node $id: 127.0.0.1:${CLIENT_PORTS[$((id - 1))]} is taken"
      port_open 127.0.0.1 "${CONTROLLER_PORTS[$((id - 1))]}" && die "kafka node $id: controller port ${CONTROLLER_PORTS[$((id - 1))]} is taken"
      render_node_config "$id"
    done
    mkdir -p "$LOG_DIR" "$PID_DIR"
    if [ "$KAFKA_KEEP_DATA" = "1" ] && [ -f "$(node_dir 1)/data/meta.properties" ]; then
      log "kafka cluster: keeping the data under $CLUSTER_DIR"
    else
      format_cluster
    fi
  fi
  CLUSTER_LAUNCHED=()
  for ((id = 1; id <= CLUSTER_SIZE; id++)); do
    if node_pid "$id" >/dev/null; then
      log "kafka node $id: already running"
    else
      launch_node "$id"
    fi
    CLUSTER_LAUNCHED+=("$id")
  done
}

wait_cluster() {
  local id
  for id in "${CLUSTER_LAUNCHED[@]}"; do wait_node "$id"; done
  log "kafka cluster: $CLUSTER_SIZE nodes ready at $(cluster_bootstrap)"
}

stop_cluster() {
  load_cluster || return 0
  local id pid
  for ((id = 1; id <= CLUSTER_SIZE; id++)); do
    # A frozen node cannot take the SIGTERM in; it must run again to stop.
    if pid="$(node_pid "$id")"; then
      kill -CONT "$pid" 2>/dev/null || true
      stop_pid "kafka node $id" "$pid" &
    fi
  done
  wait
  for ((id = 1; id <= CLUSTER_SIZE; id++)); do
    rm -f "$(node_pid_file "$id")"
    rejoin_node "$id"
    [ -z "$(cgroup2_root)" ] || rmdir "$(cgroup2_root)/$(node_cgroup "$id")" 2>/dev/null || true
  done
}

node_isolated() { iptables -S "$(node_chain "$1")" >/dev/null 2>&1; }

isolate_node() { # id
  local id=$1 i own=() others=() chain cgroup
  chain="$(node_chain "$id")" cgroup="$(node_cgroup "$id")"
  command -v iptables >/dev/null 2>&1 || die "isolate needs iptables (apt-get install iptables)"
  [ -n "$(cgroup2_root)" ] && [ -d "$(cgroup2_root)/$cgroup" ] \
    || die "kafka node $id: not in a cgroup of its own (no writable cgroup v2), cannot be isolated"
  node_isolated "$id" && { log "kafka node $id: already isolated"; return 0; }
  for ((i = 0; i < CLUSTER_SIZE; i++)); do
    if [ $((i + 1)) -eq "$id" ]; then
      own+=("${CLIENT_PORTS[$i]}" "${INTERNAL_PORTS[$i]}" "${CONTROLLER_PORTS[$i]}")
    else
      others+=("${CLIENT_PORTS[$i]}" "${INTERNAL_PORTS[$i]}" "${CONTROLLER_PORTS[$i]}")
    fi
  done
  local IFS=,
  iptables -N "$chain"
  # Nobody else reaches the node; the node reaches no other node, and answers nobody.
  iptables -A "$chain" -p tcp -m multiport --dports "${own[*]}" -m cgroup ! --path "$cgroup" -j DROP
  iptables -A "$chain" -p tcp -m cgroup --path "$cgroup" -m multiport --dports "${others[*]}" -j DROP
  iptables -A "$chain" -p tcp -m cgroup --path "$cgroup" -m multiport --sports "${own[*]}" -j DROP
  iptables -I OUTPUT -j "$chain"
  log "kafka node $id: isolated (iptables chain $chain)"
}

rejoin_node() { # id
  local chain
  chain="$(node_chain "$1")"
  node_isolated "$1" || return 0
  iptables -D OUTPUT -j "$chain" 2>/dev/null || true
  iptables -F "$chain" && iptables -X "$chain"
  log "kafka node $1: connected again"
}

cmd_broker() { # id action
  local id=${1:-} action=${2:-} pid _
  load_cluster || die "no cluster was started under $STACK_DIR (up --brokers 3)"
  [[ "$id" =~ ^[0-9]+$ ]] && [ "$id" -ge 1 ] && [ "$id" -le "$CLUSTER_SIZE" ] \
    || die "broker: a node id from 1 to $CLUSTER_SIZE, not '$id'"
  case "$action" in
    kill | stop | pause | resume)
      pid="$(node_pid "$id")" || die "kafka node $id is not running"
      case "$action" in
        kill) kill -KILL "$pid"; log "kafka node $id: SIGKILLed (pid $pid)" ;;
        stop) kill -CONT "$pid" 2>/dev/null || true; stop_pid "kafka node $id" "$pid" ;;
        pause) kill -STOP "$pid"; log "kafka node $id: frozen (SIGSTOP, pid $pid)" ;;
        resume) kill -CONT "$pid"; log "kafka node $id: running again (SIGCONT, pid $pid)" ;;
      esac
      if [ "$action" = kill ] || [ "$action" = stop ]; then
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        rm -f "$(node_pid_file "$id")"
      fi
      ;;
    start)
      if pid="$(node_pid "$id")"; then log "kafka node $id: already running (pid $pid)"; return 0; fi
      [ -f "$(node_dir "$id")/data/meta.properties" ] || die "kafka node $id has no formatted data"
      mkdir -p "$LOG_DIR" "$PID_DIR"
      launch_node "$id"
      wait_node "$id"
      ;;
    isolate) node_pid "$id" >/dev/null || die "kafka node $id is not running"; isolate_node "$id" ;;
    rejoin) rejoin_node "$id" ;;
    *) die "broker $id: kill, stop, start, pause, resume, isolate or rejoin, not '$action'" ;;
  esac
}

cmd_controller() {
  load_cluster || die "no cluster was started under $STACK_DIR (up --brokers 3)"
  (cd "$CLUSTER_DIR" && java -Dlog4j.configuration="file:$SCRIPT_DIR/kafka/tools-log4j.properties" \
    -cp "$KAFKA_HOME/libs/*" "$SCRIPT_DIR/kafka/QuorumLeader.java" "$(cluster_bootstrap)")
}

cluster_status() { # prints a line per node; returns 3 if any is down
  local id pid state all=0
  for ((id = 1; id <= CLUSTER_SIZE; id++)); do
    if pid="$(node_pid "$id")"; then
      state=up
      [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = T ] && state=frozen && all=3
      node_isolated "$id" && state=isolated && all=3
      printf '%-9s %-6s %s (pid %s)\n' "node-$id" "$state" "127.0.0.1:${CLIENT_PORTS[$((id - 1))]}" "$pid"
    else
      printf '%-9s %-6s %s\n' "node-$id" down "127.0.0.1:${CLIENT_PORTS[$((id - 1))]}"
      all=3
    fi
  done
  return "$all"
}

# A cluster counts as this stack's Kafka while any of its nodes runs.
cluster_running() {
  load_cluster || return 1
  local id
  for ((id = 1; id <= CLUSTER_SIZE; id++)); do node_pid "$id" >/dev/null && return 0; done
  return 1
}
