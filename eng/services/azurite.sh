#!/usr/bin/env bash
# Azurite (Azure Storage emulator: Blob 10000, Queue 10001, Table 10002), data on disk.
# --skipApiVersionCheck: the SDKs send a newer API version than Azurite accepts (every call 400s otherwise).
# --disableTelemetry: nothing may leave this machine. On-disk --location: the in-memory mode stalls for
# seconds after a few thousand writes.

AZURITE_PID="$RUN_DIR/azurite.pid"

azurite_install() { npm_emulators_installed; }

azurite_status() {
  pid_alive "$AZURITE_PID" && port_open 10000 && port_open 10001 && port_open 10002
}

azurite_start() {
  mkdir -p "$DATA_DIR/azurite"
  setsid nohup node "$EMULATORS_DIR/node_modules/azurite/dist/src/azurite.js" \
    --blobHost 127.0.0.1 --blobPort 10000 \
    --queueHost 127.0.0.1 --queuePort 10001 \
    --tableHost 127.0.0.1 --tablePort 10002 \
    --location "$DATA_DIR/azurite" \
    --skipApiVersionCheck --disableTelemetry --loose \
    >>"$LOG_DIR/azurite.log" 2>&1 &
  echo $! >"$AZURITE_PID"
  wait_until 60 azurite azurite_status
}

azurite_stop() { stop_pidfile azurite "$AZURITE_PID"; }
