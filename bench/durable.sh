#!/usr/bin/env bash
# Durable Task benchmark: the app's hosting (Durable Task SDK worker and client on the Durable Task Framework with the
# Azure Storage provider) on Azurite, Durable Functions' defaults against host.json's extensions:durableTask, next to
# the raw Azurite floor measured in the same run. Starts Azurite through eng/services.sh if it is not running, and
# stops it again on exit if this script started it; builds Release. Extra arguments go to the benchmark, e.g.
#   bench/durable.sh --quick                        (short idle periods, 200 waiting instances: a smoke run, ~3 min)
#   bench/durable.sh --idle-seconds 60 --idle-instances 10000   (the full run's defaults, ~15 min)
# Figures go to .local/bench/durable.json (under ECOFLOWS_LOCAL_DIR when set); add --record to write
# bench/results/durable.json, the committed figures, instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

started_azurite=0
stop_started() {
  if [ "$started_azurite" = 1 ]; then eng/services.sh stop azurite || true; fi
}
trap stop_started EXIT
if ! eng/services.sh status azurite >/dev/null 2>&1; then
  started_azurite=1
  eng/services.sh start azurite
fi

dotnet build bench/EcosystemFlows.Bench.DurableTask/EcosystemFlows.Bench.DurableTask.csproj -c Release -nologo -v quiet
local_dir="${ECOFLOWS_LOCAL_DIR:-$root/.local}"
dotnet bench/EcosystemFlows.Bench.DurableTask/bin/Release/net10.0/EcosystemFlows.Bench.DurableTask.dll \
  --azurite-pid "$(cat "$local_dir/run/azurite.pid")" "$@"
