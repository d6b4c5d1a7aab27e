#!/usr/bin/env bash
# Configures and builds notesd. Usage: scripts/build.sh [build-dir] [extra cmake args...]
# NOTESD_TARGETS="nserver notes" builds only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
shift || true
cmake -S . -B "$BUILD_DIR" -G Ninja "$@" >/dev/null
targets=()
for target in ${NOTESD_TARGETS:-}; do targets+=(--target "$target"); done
cmake --build "$BUILD_DIR" -j "${NOTESD_JOBS:-2}" "${targets[@]}"
