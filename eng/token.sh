#!/usr/bin/env bash
# Mints a development JWT (local issuer, key from local.settings.json) for calling the local API:
#   eng/token.sh --user alice --org contoso --roles partner,approver [--minutes 60]
#   curl -H "Authorization: Bearer $(eng/token.sh --user alice --org contoso --roles partner)" …
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"
[ -f local.settings.json ] || cp local.settings.sample.json local.settings.json
dll="$ROOT/src/EcosystemFlows.LocalHost/bin/Release/net10.0/EcosystemFlows.LocalHost.dll"
[ -f "$dll" ] || dotnet build src/EcosystemFlows.LocalHost -c Release -nologo -v quiet >&2
exec dotnet "$dll" mint-token "$@"
