#!/usr/bin/env bash
# System packages the test suite needs, installed only where missing (idempotent, a few seconds when done):
#   Debian: PostgreSQL server (metadata DB), Redis (Celery broker), Chromium (browser tests);
#   npm:    Azurite (Azure Blob emulator), into .tools/ of this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing Debian packages: ${missing[*]}"
    # Keep the packages' services from starting: the tests start their own servers on loopback.
    policy=/usr/sbin/policy-rc.d
    created_policy=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
        $SUDO chmod +x "$policy"
        created_policy=1
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$created_policy" ]; then $SUDO rm -f "$policy"; fi
fi

AZURITE_VERSION=3.35.0
if [ ! -x .tools/node_modules/.bin/azurite-blob ]; then
    echo "Installing Azurite $AZURITE_VERSION (npm) into .tools/"
    mkdir -p .tools
    npm install --prefix .tools --no-audit --no-fund --silent "azurite@$AZURITE_VERSION" >/dev/null
fi
