#!/usr/bin/env bash
# Builds the notesd .deb: a Release build in build-release (or $1) without the tests, then
# CPack (scripts/packaging/CMakeLists.txt). Prints the package's path.
#   scripts/package.sh [build-dir]
#   sudo apt install ./build-release/notesd_<version>_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build-release}
NOTESD_TARGETS="nserver notes notesd_docs" scripts/build.sh "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DNOTESD_TESTS=OFF
(cd "$BUILD_DIR" && cpack -G DEB >/dev/null)
ls "$BUILD_DIR"/notesd_*.deb
