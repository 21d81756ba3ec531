#!/usr/bin/env bash
# Publishes the app as an Azure Functions custom handler into .local/publish (or $1): the app, host.json, and
# one <function>/function.json per HTTP endpoint and Service Bus trigger, generated from the app's own
# registrations by the GenerateFunctionMetadata target (the same one `azd deploy` runs through dotnet publish).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

out="${1:-$LOCAL_DIR/publish}"
dotnet publish "$ROOT/src/EcosystemFlows.Functions/EcosystemFlows.Functions.csproj" -c Release -o "$out" -nologo -v quiet
functions="$(find "$out" -mindepth 2 -maxdepth 2 -name function.json | wc -l)"
[ "$functions" -gt 0 ] || die "no function.json was generated in $out"
log "published to $out with $functions functions"
