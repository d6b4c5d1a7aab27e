#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds, makes a fresh data directory
# if there is none (default ./data, or $NOTESD_DATA), and runs nserver with its console.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
DATA_DIR=${NOTESD_DATA:-$PWD/data}
if [ ! -f "$DATA_DIR/notes.ini" ]; then
  echo "Making a fresh data directory in $DATA_DIR"
  mkdir -p "$DATA_DIR"
  chmod 700 "$DATA_DIR"
  cp notes.ini.sample "$DATA_DIR/notes.ini"
fi
exec build/server/nserver --data "$DATA_DIR"
