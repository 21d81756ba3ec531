#!/usr/bin/env bash
# Publishes the Azure Functions app (.NET isolated worker) as azd deploys it, into .local/functions-publish (or $1),
# zips it to <dir>.zip, and checks what the Functions host will read: functions.metadata (every function with its
# bindings), extensions.json (the Durable extension the SDK restored, its assemblies in .azurefunctions/) and worker.config.json.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

out="${1:-$LOCAL_DIR/functions-publish}"
rm -rf "$out" "$out.zip"
dotnet publish "$ROOT/src/EcosystemFlows.Functions/EcosystemFlows.Functions.csproj" -c Release -o "$out" -nologo -v quiet -warnaserror \
  -p:PublishZip="$out.zip"

for file in functions.metadata worker.config.json host.json extensions.json EcosystemFlows.Functions.dll; do
  [ -f "$out/$file" ] || die "the publish output has no $file"
done
grep -q '"language": "dotnet-isolated"' "$out/worker.config.json" || die "worker.config.json does not describe a dotnet-isolated worker"
grep -q '"defaultWorkerPath": "EcosystemFlows.Functions.dll"' "$out/worker.config.json" || die "worker.config.json does not start EcosystemFlows.Functions.dll"
grep -q 'Microsoft.Azure.WebJobs.Extensions.DurableTask' "$out/extensions.json" || die "extensions.json lacks the Durable extension"
[ -f "$out/.azurefunctions/Microsoft.Azure.WebJobs.Extensions.DurableTask.dll" ] || die "the Durable extension's assembly was not published"
for binding in httpTrigger orchestrationTrigger activityTrigger durableClient; do
  grep -q "\"type\": \"$binding\"" "$out/functions.metadata" || die "functions.metadata has no $binding binding"
done
! grep -q '"customHandler"' "$out/host.json" || die "host.json still configures a custom handler"
[ -s "$out.zip" ] || die "no zip package was written"
functions="$(grep -c '"scriptFile"' "$out/functions.metadata")"
log "published $functions functions to $out (zip: $out.zip)"
