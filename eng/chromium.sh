#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/EcosystemFlows.Web.Tests) when it is missing. Playwright's
# own browser download cannot work on our machines, so the tests launch this one (ECOFLOWS_CHROMIUM, default
# /usr/lib/chromium/chromium). Idempotent: nothing happens when it is installed. apt-get needs root (or sudo).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

chromium="${ECOFLOWS_CHROMIUM:-/usr/lib/chromium/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi

command -v apt-get >/dev/null || die "$chromium is missing and apt-get is not available: install Chromium and set ECOFLOWS_CHROMIUM"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
log "installing Debian's chromium for the browser tests (about 1 minute)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
[ -x "$chromium" ] || die "chromium installed, but $chromium does not exist: set ECOFLOWS_CHROMIUM to its path"
log "chromium: $("$chromium" --version 2>/dev/null || echo installed)"
