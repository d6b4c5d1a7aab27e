#!/usr/bin/env bash
# bench/fuzz.sh — runs every libFuzzer target (fuzz/) for longer than CI does. Not a
# test: it prints executions per target and keeps what it found.
#
# Builds build-fuzz (clang, -DNOTESD_FUZZ=ON) if needed, then runs each target for
# FUZZ_SECONDS (default 600) over its seed corpus and fuzz/regressions, one after the
# other, with the limits CI uses (-rss_limit_mb=2048 -timeout=25). New inputs are kept
# in build-fuzz/fuzz/work/corpus/<target> (reused by the next run); a crash leaves its
# input in build-fuzz/fuzz/work/artifacts/ and the run goes on with the next target.
# Usage: bench/fuzz.sh                      every target, 10 minutes each
#        FUZZ_SECONDS=60 bench/fuzz.sh smtp_session id_file
# To keep a crash: fix it, copy the input to fuzz/regressions/<target>/ (the unit tests
# replay it) and add a test naming the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-600}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=1
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DNOTESD_FUZZ=ON -DNOTESD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "${NOTESD_JOBS:-2}" --target notesd_fuzzers
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(smtp_session smime_read cert_import id_file notes_ini console hier_name api_body)
fi
failed=()
for target in "${targets[@]}"; do
  if ! fuzz/run_fuzzer.sh "build-fuzz/fuzz/fuzz_$target" "$target" build-fuzz/fuzz/work "$seconds"; then
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashes in: ${failed[*]} (inputs in build-fuzz/fuzz/work/artifacts/)"
  exit 1
fi
