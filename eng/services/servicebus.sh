#!/usr/bin/env bash
# The local Service Bus emulator (eng/emulators/servicebus): AMQP 1.0 on 127.0.0.1:5672 for the real
# Azure.Messaging.ServiceBus SDK, entities from eng/emulators/servicebus/Config.json (the official emulator's
# format), messages in SQLite under .local/data/servicebus. ECOFLOWS_SERVICEBUS_PORT moves the port (an
# isolated second instance, as the fault suite and integration-test runs start). The SAS key is the official
# emulator's (RootManageSharedAccessKey / SAS_KEY_VALUE), so the same connection string works with both.

SERVICEBUS_PORT="${ECOFLOWS_SERVICEBUS_PORT:-5672}"
SERVICEBUS_PID="$RUN_DIR/servicebus.pid"
SERVICEBUS_PROJECT="$EMULATORS_DIR/servicebus/EcosystemFlows.ServiceBusEmulator"
SERVICEBUS_BIN="$LOCAL_DIR/servicebus-emulator"
SERVICEBUS_CONFIG="${ECOFLOWS_SERVICEBUS_CONFIG:-$EMULATORS_DIR/servicebus/Config.json}"

# Published once into .local, and again whenever a source file of the emulator is newer than the build.
servicebus_install() {
  local stamp="$SERVICEBUS_BIN/.ecoflows-built"
  if [ -f "$stamp" ] && [ -z "$(find "$SERVICEBUS_PROJECT" -path '*/bin' -prune -o -path '*/obj' -prune -o -type f -newer "$stamp" -print -quit)" ] \
     && [ "$ROOT/Directory.Packages.props" -ot "$stamp" ]; then
    return 0
  fi
  command -v dotnet >/dev/null || die "the .NET SDK is required (see README: prerequisites)"
  log "building the Service Bus emulator into $SERVICEBUS_BIN"
  dotnet publish "$SERVICEBUS_PROJECT" -c Release -o "$SERVICEBUS_BIN" -nologo -v quiet >&2 \
    || die "the Service Bus emulator did not build"
  touch "$stamp"
}

servicebus_status() { pid_alive "$SERVICEBUS_PID" && port_open "$SERVICEBUS_PORT"; }

servicebus_start() {
  mkdir -p "$DATA_DIR/servicebus"
  setsid nohup dotnet "$SERVICEBUS_BIN/EcosystemFlows.ServiceBusEmulator.dll" \
    --config "$SERVICEBUS_CONFIG" --port "$SERVICEBUS_PORT" --data "$DATA_DIR/servicebus" --log "${ECOFLOWS_SERVICEBUS_LOG:-Information}" \
    >>"$LOG_DIR/servicebus.log" 2>&1 &
  echo $! >"$SERVICEBUS_PID"
  wait_until 60 servicebus servicebus_status
}

servicebus_stop() { stop_pidfile servicebus "$SERVICEBUS_PID"; }
