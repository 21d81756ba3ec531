#!/usr/bin/env bash
# Compiles and lints infra/main.bicep with the Bicep CLI restored from NuGet (eng/tools/Bicep.proj).
# Any diagnostic (warning or error) fails: infra follows the same warnings-as-errors rule as the code.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

version="$(sed -n 's/.*Azure.Bicep.CommandLine.linux-x64" Version="\[\(.*\)\]".*/\1/p' "$ROOT/eng/tools/Bicep.proj")"
packages="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"
bicep="$packages/azure.bicep.commandline.linux-x64/$version/tools/bicep"
if [ ! -x "$bicep" ]; then
  dotnet restore "$ROOT/eng/tools/Bicep.proj" -nologo -v quiet >&2
  chmod +x "$bicep"
fi

out="$LOCAL_DIR/bicep"
mkdir -p "$out"
diagnostics="$("$bicep" build "$ROOT/infra/main.bicep" --outdir "$out" 2>&1)" || { echo "$diagnostics" >&2; die "bicep build failed"; }
if [ -n "$diagnostics" ]; then
  echo "$diagnostics" >&2
  die "bicep reported diagnostics (treated as errors)"
fi
log "infra/main.bicep compiles cleanly with Bicep $version ($out/main.json)"
