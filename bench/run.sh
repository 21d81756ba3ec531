#!/usr/bin/env bash
# Runs the Service Bus benchmark (the app's SDK sender and processor against the local emulator), then the Durable
# Task benchmark (bench/durable.sh, which gets only --record from these arguments). Starts (installing
# if needed) the local services it uses through eng/services.sh, builds Release. Extra arguments go to the
# benchmark, e.g. bench/run.sh --messages 50000. Its figures go to .local/bench/servicebus.json; add --record to
# write bench/results/servicebus.json, the committed figures, instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

eng/services.sh start servicebus
dotnet build bench/EcosystemFlows.Bench/EcosystemFlows.Bench.csproj -c Release -nologo -v quiet
dotnet bench/EcosystemFlows.Bench/bin/Release/net10.0/EcosystemFlows.Bench.dll "$@"

record=()
for arg in "$@"; do
  if [ "$arg" = --record ]; then record=(--record); fi
done
bench/durable.sh "${record[@]}"
