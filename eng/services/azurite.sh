#!/usr/bin/env bash
# Azurite (Azure Storage emulator: Blob 10000, Queue 10001, Table 10002), data on disk. The ports can be
# moved with ECOFLOWS_AZURITE_BLOB_PORT / _QUEUE_PORT / _TABLE_PORT (an isolated second instance, as the
# fault suite starts).
# Started through eng/emulators/azurite/server.js: Azurite with its queue store's index rebuilds, its table store's
# whole-table scans and its whole-file saves every 5 s replaced (each took a core as the fault suite's task hub grew;
# see eng/emulators/azurite/README.md).
# --skipApiVersionCheck: the SDKs send a newer API version than Azurite accepts (every call 400s otherwise).
# --disableTelemetry: nothing may leave this machine. --silent: no access log (a line per request cost 7% of its CPU
# under the fault suite, and 55 MB per CI-profile run). On-disk --location: the in-memory mode stalls for
# seconds after a few thousand writes.

AZURITE_PID="$RUN_DIR/azurite.pid"
AZURITE_BLOB_PORT="${ECOFLOWS_AZURITE_BLOB_PORT:-10000}"
AZURITE_QUEUE_PORT="${ECOFLOWS_AZURITE_QUEUE_PORT:-10001}"
AZURITE_TABLE_PORT="${ECOFLOWS_AZURITE_TABLE_PORT:-10002}"

azurite_install() { npm_emulators_installed; }

azurite_status() {
  pid_alive "$AZURITE_PID" && port_open "$AZURITE_BLOB_PORT" && port_open "$AZURITE_QUEUE_PORT" && port_open "$AZURITE_TABLE_PORT"
}

azurite_start() {
  mkdir -p "$DATA_DIR/azurite"
  setsid nohup node "$EMULATORS_DIR/azurite/server.js" \
    --blobHost 127.0.0.1 --blobPort "$AZURITE_BLOB_PORT" \
    --queueHost 127.0.0.1 --queuePort "$AZURITE_QUEUE_PORT" \
    --tableHost 127.0.0.1 --tablePort "$AZURITE_TABLE_PORT" \
    --location "$DATA_DIR/azurite" \
    --skipApiVersionCheck --disableTelemetry --loose --silent \
    >>"$LOG_DIR/azurite.log" 2>&1 &
  echo $! >"$AZURITE_PID"
  wait_until 60 azurite azurite_status
}

azurite_stop() { stop_pidfile azurite "$AZURITE_PID"; }
