#!/usr/bin/env bash
# Cosmos DB NoSQL stand-in: @vercel/cosmosdb-server wrapped by eng/emulators/cosmos/server.js (query
# plans, partition-scoped paged queries, change feed, 404/304, journal on disk). Plain HTTP on
# 127.0.0.1:8081 (ECOFLOWS_COSMOS_PORT moves it); data in $DATA_DIR/cosmos survives stop/start.

COSMOS_PID="$RUN_DIR/cosmos.pid"
COSMOS_PORT="${ECOFLOWS_COSMOS_PORT:-8081}"

cosmos_install() { npm_emulators_installed; }

# cosmos_answers: the HTTP API answers (the port alone opens before the journal is replayed).
cosmos_answers() {
  local reply
  reply="$({ exec 3<>"/dev/tcp/127.0.0.1/$COSMOS_PORT" &&
    printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3 &&
    timeout 5 head -c 12 <&3; } 2>/dev/null)" || return 1
  [[ "$reply" == "HTTP/1.1 200" ]]
}

cosmos_status() {
  pid_alive "$COSMOS_PID" && cosmos_answers
}

cosmos_start() {
  mkdir -p "$DATA_DIR/cosmos"
  setsid nohup node "$EMULATORS_DIR/cosmos/server.js" --port "$COSMOS_PORT" --data "$DATA_DIR/cosmos" \
    >>"$LOG_DIR/cosmos.log" 2>&1 &
  echo $! >"$COSMOS_PID"
  wait_until 60 cosmos cosmos_status
}

cosmos_stop() { stop_pidfile cosmos "$COSMOS_PID"; }
