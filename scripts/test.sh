#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, checks the layout of the code
# (scripts/check-format.sh, part `format`), builds with warnings as errors, runs
# clang-tidy (scripts/check-tidy.sh, part `tidy`, on the files changed against origin/main,
# or all of them with NOTESD_TIDY_ALL=1) and every test (Catch2 unit tests, integration
# and end-to-end tests) through ctest. A format or tidy finding does not stop the run: the
# tests still run and the run fails at the end, so one run shows everything.
# Then the hardening parts (docs/hardening.md):
#   2. build-asan: the same tests again, built with AddressSanitizer + UBSan
#      (NOTESD_SANITIZE=ON, -O1); any report fails the run;
#   3. build-fuzz: every libFuzzer target (fuzz/, clang) run NOTESD_FUZZ_SECONDS
#      (default 10) over its seed corpus; any crash fails the run.
# NOTESD_HARDENING=0 skips parts 2 and 3 (a quick local check). Each part prints its time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=${NOTESD_TEST_JOBS:-2}
# Runs a part and prints its time; returns the part's own status (also when called as
# `timed ... || x`, where bash's errexit is off inside the function).
timed() {
  local label=$1 start status=0
  shift
  start=$(date +%s)
  "$@" || status=$?
  echo "$label: $(( $(date +%s) - start ))s"
  return "$status"
}

style_status=0
timed format scripts/check-format.sh || style_status=1
timed build scripts/build.sh build-ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNOTESD_WERROR=ON
timed tidy scripts/check-tidy.sh build-ci || style_status=1
timed tests ctest --test-dir build-ci --output-on-failure -j "$jobs"
style_done() {
  if [ "$style_status" -ne 0 ]; then echo "format or tidy findings above (parts format, tidy)"; fi
  exit "$style_status"
}
if [ "${NOTESD_HARDENING:-1}" = 0 ]; then style_done; fi

# Sanitizers: halt on the first report of any kind (UBSan too: -fno-sanitize-recover),
# leaks included. Reports go to files under build-asan/sanitizer-reports as well, because
# the integration tests do not look at the exit status of every server they stop: any
# report file fails the run, whatever ctest said.
reports=$PWD/build-asan/sanitizer-reports
rm -rf "$reports" && mkdir -p "$reports"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0:log_path=$reports/asan
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp:print_suppressions=0
timed asan-build scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DNOTESD_SANITIZE=ON
asan_status=0
timed asan-tests ctest --test-dir build-asan --output-on-failure -j "$jobs" || asan_status=$?
if compgen -G "$reports/*" >/dev/null; then
  for report in "$reports"/*; do echo "== $report"; cat "$report"; done
  echo "sanitizer reports above (build-asan/sanitizer-reports)"
  exit 1
fi
if [ "$asan_status" -ne 0 ]; then exit "$asan_status"; fi
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# Fuzzing: clang, a build of its own; each target runs a short bounded time.
export CC=clang CXX=clang++
NOTESD_TARGETS=notesd_fuzzers timed fuzz-build scripts/build.sh build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  '-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g' -DNOTESD_FUZZ=ON -DNOTESD_TESTS=OFF \
  -DNOTESD_FUZZ_SECONDS="${NOTESD_FUZZ_SECONDS:-10}"
timed fuzz-runs ctest --test-dir build-fuzz --output-on-failure -j "$jobs"
style_done
