#!/usr/bin/env bash
# Runs the service on the local emulators: installs and starts Azurite, the Cosmos DB stand-in and
# RabbitMQ (idempotent), creates local.settings.json from the sample when absent, then runs the app on
# http://localhost:7071 and reports its readiness. Ctrl+C stops the app; `eng/services.sh stop` the services.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

command -v dotnet >/dev/null || die "the .NET SDK is required (see README: prerequisites)"
"$ROOT/eng/services.sh" start

if [ ! -f local.settings.json ]; then
  cp local.settings.sample.json local.settings.json
  log "created local.settings.json from local.settings.sample.json (emulator-only values)"
fi

dotnet build src/EcosystemFlows.Functions -c Release -nologo -v quiet

url="${ECOFLOWS_URL:-http://localhost:7071}"
report_readiness() {
  if wait_until 60 "app" curl -sf -o /dev/null "$url/healthz"; then
    log "ready check: $(curl -s "$url/readyz")"
    log "EcosystemFlows is running at $url (Ctrl+C to stop)"
  fi
}
report_readiness &
exec dotnet run --project src/EcosystemFlows.Functions -c Release --no-build -- --urls "$url"
