#!/usr/bin/env bash
# Runs the Service Bus end-to-end benchmark and merges its figures into bench/results/latest.json. Starts
# (installing if needed) the local services it uses through eng/services.sh, builds Release. Extra arguments
# go to the benchmark, e.g. bench/run.sh --messages 50000.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

eng/services.sh start rabbitmq
dotnet build bench/EcosystemFlows.Bench/EcosystemFlows.Bench.csproj -c Release -nologo -v quiet
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if ! git diff --quiet HEAD -- src bench ':!bench/results' 2>/dev/null; then commit="$commit-dirty"; fi
dotnet bench/EcosystemFlows.Bench/bin/Release/net10.0/EcosystemFlows.Bench.dll \
  --out bench/results/latest.json --commit "$commit" "$@"
