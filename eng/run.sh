#!/usr/bin/env bash
# Runs the service on the local emulators: installs and starts Azurite, the Cosmos DB stand-in and
# the Service Bus emulator (idempotent), creates local.settings.json from the sample when absent, runs the app on
# http://localhost:7071, then runs the demo scenario against it (eng/demo), which ends with an offering left for the
# web app (/app/) to sign. The service keeps running afterwards; Ctrl+C stops it (`eng/services.sh stop` stops the
# services). ECOFLOWS_NO_DEMO=1 skips the demo.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"

command -v dotnet >/dev/null || die "the .NET SDK is required (see README: prerequisites)"

# The app builds while the services install and start: on a bare machine npm ci waits on the network and the
# build on the CPU, so side by side they take about as long as the longer of the two.
build_when_changed run-app src/EcosystemFlows.LocalHost eng/demo &
build=$!
"$ROOT/eng/services.sh" start || { pkill -P "$build" 2>/dev/null; kill "$build" 2>/dev/null; exit 1; }
wait "$build" || die "the app did not build; see the errors above"

if [ ! -f local.settings.json ]; then
  cp local.settings.sample.json local.settings.json
  log "created local.settings.json from local.settings.sample.json (emulator-only values)"
fi

url="${ECOFLOWS_URL:-http://localhost:7071}"
# Development: a local run on the emulators (development token issuer, sample settings), not a production host.
# The built app directly, from its project folder (its content root): `dotnet run` would evaluate the project again.
(cd src/EcosystemFlows.LocalHost && ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}" \
  exec dotnet bin/Release/net10.0/EcosystemFlows.LocalHost.dll --urls "$url") &
app=$!
trap 'kill "$app" 2>/dev/null || true; wait "$app" 2>/dev/null || true' INT TERM

app_live() { curl -sf -o /dev/null "$url/healthz"; }
wait_until 120 "app" app_live || { kill "$app" 2>/dev/null; die "the app did not start; see its output above"; }
log "ready check: $(curl -s "$url/readyz")"
if [ "${ECOFLOWS_NO_DEMO:-0}" != "1" ]; then
  dotnet eng/demo/bin/Release/net10.0/EcosystemFlows.Demo.dll "$url" || log "the demo failed (the service keeps running)"
fi
log "EcosystemFlows is running at $url (Ctrl+C to stop)"
log "web app: $url/app/ (development sign-in; the demo's people are listed there)"
wait "$app"
