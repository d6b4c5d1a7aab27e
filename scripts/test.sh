#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds with warnings as errors, and
# runs every test (Catch2 unit tests, integration and end-to-end tests) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
start=$(date +%s)
scripts/build.sh build-ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNOTESD_WERROR=ON
echo "build: $(( $(date +%s) - start ))s"
start=$(date +%s)
ctest --test-dir build-ci --output-on-failure -j "${NOTESD_TEST_JOBS:-2}"
echo "tests: $(( $(date +%s) - start ))s"
