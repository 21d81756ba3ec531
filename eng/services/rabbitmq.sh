#!/usr/bin/env bash
# RabbitMQ 3.10 (Debian package) with the AMQP 1.0 plugin: the local stand-in for Azure Service Bus.
# The package only provides the binaries: its system-wide broker is never started. Our node runs as a
# plain background process with everything (config, mnesia, cookie, plugins file, logs) under .local/,
# listens on 127.0.0.1:5672 only, and loads eng/emulators/rabbitmq/definitions.json at boot (user,
# permissions, queues, topic exchange, dead-letter policies). ECOFLOWS_RABBITMQ_NODE, _PORT and _DIST_PORT
# give an isolated second node (own name, AMQP port, Erlang distribution port) next to the default one; it
# shares epmd (4369), which serves any number of nodes.

RABBITMQ_VERSION="3.10.8-1.1+deb12u1"
RABBITMQ_NODE="${ECOFLOWS_RABBITMQ_NODE:-ecoflows@localhost}"
RABBITMQ_PORT="${ECOFLOWS_RABBITMQ_PORT:-5672}"
# Erlang distribution (node <-> CLI tools) port; the CLI tools themselves listen on 10000 above it (+10).
RABBITMQ_DIST="${ECOFLOWS_RABBITMQ_DIST_PORT:-25672}"
RABBITMQ_PID="$RUN_DIR/rabbitmq.pid"
# Present while the epmd serving our node is one we started (so stop may end it).
RABBITMQ_EPMD_PID="$RUN_DIR/rabbitmq-epmd.pid"
RABBITMQ_HOME_DIR="$DATA_DIR/rabbitmq"
RABBITMQ_DEFINITIONS="$EMULATORS_DIR/rabbitmq/definitions.json"
# The package's /usr/sbin wrappers switch to the 'rabbitmq' system user and its HOME (another cookie,
# /var/lib paths) when run as root; the scripts below them honour our environment as is.
RABBITMQ_SBIN="/usr/lib/rabbitmq/bin"

# as_root CMD...: runs CMD as root (directly when we are root, through sudo otherwise).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

rabbitmq_installed() {
  [ "$(dpkg-query -W -f='${Status} ${Version}' rabbitmq-server 2>/dev/null)" = "install ok installed $RABBITMQ_VERSION" ] &&
    [ -x "$RABBITMQ_SBIN/rabbitmq-server" ]
}

# Pids of brokers and epmd daemons currently running (any owner), one per line.
rabbitmq_system_pids() {
  { pgrep -x epmd || true; pgrep -f 'beam.*-s rabbit' || true; pgrep -f 'beam.*rabbit boot' || true; } | sort -u
}

rabbitmq_install() {
  rabbitmq_installed && return 0
  command -v apt-get >/dev/null || die "rabbitmq: apt-get is required (Debian bookworm); install rabbitmq-server $RABBITMQ_VERSION by hand"
  local apt_log="$LOG_DIR/rabbitmq-install.log" before rc=0
  log "installing rabbitmq-server $RABBITMQ_VERSION (apt output: $apt_log)"
  before="$(rabbitmq_system_pids)"
  # A subshell so the EXIT trap restores policy-rc.d whatever happens; exit code 101 tells
  # invoke-rc.d ("action forbidden") that the maintainer scripts must not start the broker.
  (
    set -euo pipefail
    policy=/usr/sbin/policy-rc.d
    backup=""
    if [ -e "$policy" ]; then
      backup="$(mktemp "$RUN_DIR/policy-rc.d.XXXXXX")"
      as_root cp -p "$policy" "$backup"
    fi
    restore() {
      if [ -n "$backup" ]; then as_root cp -p "$backup" "$policy" && rm -f "$backup"; else as_root rm -f "$policy"; fi
    }
    trap restore EXIT
    printf '#!/bin/sh\n# Temporary, written by eng/services/rabbitmq.sh: no service starts during install.\nexit 101\n' |
      as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    export DEBIAN_FRONTEND=noninteractive
    {
      # A bare CI machine has empty package lists; refresh them when the pinned version is not known yet.
      known="$(apt-cache madison rabbitmq-server 2>/dev/null || true)"
      if ! grep -qF "| $RABBITMQ_VERSION |" <<<"$known"; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 update -q
      fi
      as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "rabbitmq-server=$RABBITMQ_VERSION"
    } >>"$apt_log" 2>&1
  ) || rc=$?
  rabbitmq_stop_package_daemons "$before"
  [ "$rc" -eq 0 ] || { tail -n 20 "$apt_log" >&2 || true; die "rabbitmq: apt-get install failed (exit $rc); see $apt_log"; }
  rabbitmq_installed || die "rabbitmq: rabbitmq-server $RABBITMQ_VERSION not installed after apt-get; see $apt_log"
}

# rabbitmq_stop_package_daemons BEFORE: stops brokers/epmd that appeared during the install (a
# package started them despite policy-rc.d); pids listed in BEFORE were not ours to touch.
rabbitmq_stop_package_daemons() {
  local before="$1" pid
  for pid in $(rabbitmq_system_pids); do
    grep -qx "$pid" <<<"$before" && continue
    log "rabbitmq: stopping $(ps -o comm= -p "$pid" 2>/dev/null || echo process) $pid started by the package install"
    as_root kill "$pid" 2>/dev/null || true
  done
}

# Environment of our node, shared by the server and the CLI tools (they find the node and the
# cookie through it).
rabbitmq_env() {
  local base="$RABBITMQ_HOME_DIR"
  export HOME="$base/home"
  export RABBITMQ_NODENAME="$RABBITMQ_NODE"
  export RABBITMQ_USE_LONGNAME=false
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$RABBITMQ_PORT"
  export RABBITMQ_DIST_PORT="$RABBITMQ_DIST"
  export ERL_EPMD_ADDRESS=127.0.0.1
  export ERL_EPMD_PORT=4369
  export RABBITMQ_CONF_ENV_FILE="$base/rabbitmq-env.conf"
  export RABBITMQ_CONFIG_FILE="$base/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$base/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins"
  export RABBITMQ_MNESIA_BASE="$base/mnesia"
  export RABBITMQ_MNESIA_DIR="$base/mnesia/$RABBITMQ_NODE"
  export RABBITMQ_PLUGINS_EXPAND_DIR="$base/mnesia/$RABBITMQ_NODE-plugins-expand"
  export RABBITMQ_FEATURE_FLAGS_FILE="$base/mnesia/$RABBITMQ_NODE-feature_flags"
  export RABBITMQ_PID_FILE="$RUN_DIR/rabbitmq-beam.pid"
  export RABBITMQ_LOG_BASE="$LOG_DIR/rabbitmq"
  export RABBITMQ_LOGS=-
  export ERL_CRASH_DUMP="$LOG_DIR/rabbitmq/erl_crash.dump"
  # Bind the Erlang distribution listener (server and CLI tools) to loopback too.
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

# rabbitmqctl/rabbitmq-diagnostics against our node, in our environment.
rabbitmq_cli() {
  local tool="$1"; shift
  (rabbitmq_env && "$RABBITMQ_SBIN/$tool" -n "$RABBITMQ_NODE" "$@")
}

rabbitmq_write_config() {
  local base="$RABBITMQ_HOME_DIR"
  mkdir -p "$base/home" "$base/mnesia" "$LOG_DIR/rabbitmq"
  [ -f "$RABBITMQ_DEFINITIONS" ] || die "rabbitmq: $RABBITMQ_DEFINITIONS is missing"
  if [ ! -s "$base/home/.erlang.cookie" ]; then
    (umask 077 && head -c 30 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$base/home/.erlang.cookie")
  fi
  chmod 400 "$base/home/.erlang.cookie"
  # Empty on purpose: the CLI tools otherwise read /etc/rabbitmq/rabbitmq-env.conf.
  : >"$base/rabbitmq-env.conf"
  printf '[].\n' >"$base/advanced.config"
  printf '[rabbitmq_amqp1_0].\n' >"$base/enabled_plugins"
  # Generated from the template on every start: it holds absolute paths of this checkout.
  sed -e "s|@DEFINITIONS@|$RABBITMQ_DEFINITIONS|g" -e "s|@PORT@|$RABBITMQ_PORT|g" \
    "$EMULATORS_DIR/rabbitmq/rabbitmq.conf.template" >"$base/rabbitmq.conf"
}

rabbitmq_status() {
  pid_alive "$RABBITMQ_PID" && port_open "$RABBITMQ_PORT"
}

# Ready means booted (definitions loaded, listeners up) and the AMQP port accepts connections.
rabbitmq_ready() {
  pid_alive "$RABBITMQ_PID" || return 2
  port_open "$RABBITMQ_PORT" || return 1
  rabbitmq_cli rabbitmqctl await_startup --timeout 30 >/dev/null 2>&1
}

rabbitmq_start() {
  rabbitmq_installed || die "rabbitmq: not installed (run eng/services.sh start rabbitmq)"
  if port_open "$RABBITMQ_PORT"; then
    die "rabbitmq: 127.0.0.1:$RABBITMQ_PORT is already taken by another process"
  fi
  rabbitmq_write_config
  local epmd_running=false
  pgrep -x epmd >/dev/null && epmd_running=true
  (
    rabbitmq_env
    cd "$RABBITMQ_HOME_DIR"
    exec setsid nohup "$RABBITMQ_SBIN/rabbitmq-server" </dev/null >>"$LOG_DIR/rabbitmq.log" 2>&1
  ) &
  echo $! >"$RABBITMQ_PID"
  local deadline=$((SECONDS + 90)) rc
  while :; do
    rc=0
    rabbitmq_ready || rc=$?
    [ "$rc" -eq 0 ] && break
    if [ "$rc" -eq 2 ]; then log "rabbitmq: the node exited during boot"; rm -f "$RABBITMQ_PID"; return 1; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "rabbitmq: not ready after 90s; stopping it"
      stop_pidfile rabbitmq "$RABBITMQ_PID"
      return 1
    fi
    sleep 0.5
  done
  if [ "$epmd_running" = false ]; then
    pgrep -x -n epmd >"$RABBITMQ_EPMD_PID" || rm -f "$RABBITMQ_EPMD_PID"
  fi
}

rabbitmq_stop() {
  if pid_alive "$RABBITMQ_PID"; then
    # A clean stop flushes the message store; the pid-file fallback covers a node the CLI cannot reach.
    rabbitmq_cli rabbitmqctl stop --timeout 60 >>"$LOG_DIR/rabbitmq.log" 2>&1 || log "rabbitmq: rabbitmqctl stop failed; signalling the process"
    local pid
    pid="$(cat "$RABBITMQ_PID")"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
  fi
  stop_pidfile rabbitmq "$RABBITMQ_PID"
  rabbitmq_stop_epmd
}

# Ends the epmd our start launched, unless another Erlang node still registers with it.
rabbitmq_stop_epmd() {
  pid_alive "$RABBITMQ_EPMD_PID" || { rm -f "$RABBITMQ_EPMD_PID"; return 0; }
  local names
  names="$(ERL_EPMD_ADDRESS=127.0.0.1 epmd -names 2>/dev/null | grep -c '^name ' || true)"
  if [ "${names:-0}" -gt 0 ]; then
    log "rabbitmq: epmd still serves other nodes; leaving it running"
    rm -f "$RABBITMQ_EPMD_PID"
    return 0
  fi
  stop_pidfile epmd "$RABBITMQ_EPMD_PID"
}
