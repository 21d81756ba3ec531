#!/usr/bin/env bash
# Durable runtime benchmark (issue #4) on the local Cosmos DB stand-in and Azurite.
# Starts the services it needs through eng/services.sh, builds Release, runs, writes
# bench/results/durable.json and merges its keys into bench/results/latest.json (keeping keys other
# benchmarks wrote there). Extra arguments go to the benchmark, e.g. bench/durable.sh --idle 2000 --profile 1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

eng/services.sh start azurite cosmos
dotnet build bench/EcosystemFlows.Bench.Durable/EcosystemFlows.Bench.Durable.csproj -c Release -nologo -v quiet
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if ! git diff --quiet HEAD -- src bench ':!bench/results' 2>/dev/null; then commit="$commit-dirty"; fi
dotnet bench/EcosystemFlows.Bench.Durable/bin/Release/net10.0/EcosystemFlows.Bench.Durable.dll \
  --out bench/results/durable.json --merge bench/results/latest.json --commit "$commit" "$@"
