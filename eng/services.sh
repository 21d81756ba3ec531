#!/usr/bin/env bash
# Installs, starts, stops and reports the local stand-ins for Azure services.
#   eng/services.sh start  [service...]   install if needed, start, wait until ready (idempotent)
#   eng/services.sh stop   [service...]   stop (data is kept under .local/data)
#   eng/services.sh status [service...]   print state; exit 1 if any is down
# Services: azurite (Blob/Queue/Table), cosmos (Cosmos DB NoSQL stand-in), servicebus (Service Bus emulator).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ALL_SERVICES=(azurite cosmos servicebus)
for svc in "${ALL_SERVICES[@]}"; do
  # shellcheck source=/dev/null
  source "$ROOT/eng/services/$svc.sh"
done

usage() { echo "usage: $0 start|stop|status [${ALL_SERVICES[*]}]" >&2; exit 2; }

[ $# -ge 1 ] || usage
action="$1"; shift
selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${ALL_SERVICES[@]}")
for svc in "${selected[@]}"; do
  [[ " ${ALL_SERVICES[*]} " == *" $svc "* ]] || { echo "unknown service: $svc" >&2; usage; }
done

rc=0
case "$action" in
  start)
    for svc in "${selected[@]}"; do
      if "${svc}_status" >/dev/null 2>&1; then
        log "$svc already running"
        continue
      fi
      "${svc}_install"
      "${svc}_start" || { log "$svc failed to start; last log lines:"; tail -n 30 "$LOG_DIR/$svc.log" >&2 || true; exit 1; }
      log "$svc ready"
    done
    ;;
  stop)
    for svc in "${selected[@]}"; do "${svc}_stop"; log "$svc stopped"; done
    ;;
  status)
    for svc in "${selected[@]}"; do
      if "${svc}_status"; then echo "$svc: running"; else echo "$svc: stopped"; rc=1; fi
    done
    ;;
  *) usage ;;
esac
exit $rc
