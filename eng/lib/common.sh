#!/usr/bin/env bash
# Shared helpers for the eng/ scripts: paths, logging, pid files, readiness waits.
# Everything a local service writes (packages, data, logs, pids) lives under .local/ (git-ignored).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="${ECOFLOWS_LOCAL_DIR:-$ROOT/.local}"
LOG_DIR="$LOCAL_DIR/logs"
DATA_DIR="$LOCAL_DIR/data"
RUN_DIR="$LOCAL_DIR/run"
EMULATORS_DIR="$ROOT/eng/emulators"
mkdir -p "$LOG_DIR" "$DATA_DIR" "$RUN_DIR"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Services are started with `setsid nohup … &`: their own session, so a Ctrl+C in the terminal that ran
# eng/run.sh stops the app but not the services, and no hang-up reaches them either.

# pid_alive FILE: true when FILE names a live process.
pid_alive() {
  local file="$1" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file" 2>/dev/null)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_until() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$what: not ready after ${timeout}s"
      return 1
    fi
    sleep 0.2
  done
}

# stop_pidfile NAME FILE: SIGTERM, wait up to 15 s, then SIGKILL; removes FILE.
stop_pidfile() {
  local name="$1" file="$2" pid
  if ! pid_alive "$file"; then
    rm -f "$file"
    return 0
  fi
  pid="$(cat "$file")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 75); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop on SIGTERM; killing"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

# npm_emulators_installed: installs the pinned npm emulators (eng/emulators/package-lock.json) once.
npm_emulators_installed() {
  local stamp="$EMULATORS_DIR/node_modules/.ecoflows-lock"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$EMULATORS_DIR/package-lock.json"; then
    return 0
  fi
  command -v npm >/dev/null || die "npm is required (Node.js 20+); install Node.js first"
  log "installing npm emulators (azurite, @vercel/cosmosdb-server) from the lock file"
  (cd "$EMULATORS_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed in $EMULATORS_DIR"
  cp "$EMULATORS_DIR/package-lock.json" "$stamp"
}

# build_when_changed NAME PROJECT...: `dotnet build -c Release` of each PROJECT, skipped when no file or folder
# under src/, eng/demo, host.json or the repository's build settings changed since the last build that succeeded through
# this function (stamp .local/run/NAME.built). A no-op MSBuild run still costs 10-15 s of project evaluation on two
# cores: that is most of a second `eng/run.sh`. Deleting the stamp forces a build.
build_when_changed() {
  local stamp="$RUN_DIR/$1.built" project changed; shift
  if [ -f "$stamp" ]; then
    changed="$(cd "$ROOT" && find src eng/demo host.json Directory.Build.props Directory.Packages.props global.json \
      \( -name bin -o -name obj -o -name node_modules \) -prune -o -newer "$stamp" -print -quit)"
    if [ -z "$changed" ]; then
      log "$* up to date (no change since the last build); skipping the build"
      return 0
    fi
  fi
  # Stamped before building, so an edit made while the build runs is seen next time.
  touch "$stamp.next"
  for project in "$@"; do
    dotnet build "$ROOT/$project" -c Release -nologo -v quiet
  done
  mv "$stamp.next" "$stamp"
}
