#!/usr/bin/env bash
# Runs every benchmark and merges their figures into bench/results/latest.json: Service Bus end to end
# (this script) and the durable runtime (bench/durable.sh). Starts (installing if needed) the local
# services they use through eng/services.sh, builds Release. Extra arguments go to the Service Bus
# benchmark, e.g. bench/run.sh --messages 50000; run bench/durable.sh alone for its own options.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

eng/services.sh start rabbitmq
dotnet build bench/EcosystemFlows.Bench/EcosystemFlows.Bench.csproj -c Release -nologo -v quiet
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if ! git diff --quiet HEAD -- src bench ':!bench/results' 2>/dev/null; then commit="$commit-dirty"; fi
dotnet bench/EcosystemFlows.Bench/bin/Release/net10.0/EcosystemFlows.Bench.dll \
  --out bench/results/latest.json --commit "$commit" "$@"
"$root/bench/durable.sh"
