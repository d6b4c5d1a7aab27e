#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds, makes a fresh data directory
# if there is none (default ./data, or $NOTESD_DATA), and runs nserver with its console.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
NOTESD_TARGETS="nserver notes" scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
DATA_DIR=${NOTESD_DATA:-$PWD/data}
if ! grep -qi '^ServerSetup=' "$DATA_DIR/notes.ini" 2>/dev/null; then
  echo "Setting up a fresh data directory in $DATA_DIR (organisation Acme, server Acme01)"
  build/server/nserver --data "$DATA_DIR" --setup --org "${NOTESD_ORG:-Acme}" \
    --server-name "${NOTESD_SERVER_NAME:-Acme01}" --admin-name "${NOTESD_ADMIN_NAME:-Jane Admin}" \
    --http-address 127.0.0.1 --http-port "${NOTESD_HTTP_PORT:-8443}"
fi
exec build/server/nserver --data "$DATA_DIR"
