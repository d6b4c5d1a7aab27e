#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time over its seed corpus and regressions.
# Usage: fuzz/run_fuzzer.sh <fuzzer binary> <target name> <work dir> <seconds>
# New inputs go to <work dir>/corpus/<target> (never into the source tree); a crashing
# input is written to <work dir>/artifacts/<target>-crash-*. Exit status non-zero on any
# crash, leak, sanitizer report or timeout. Prints "<target>: N execs in S s".
set -euo pipefail
binary=$1 name=$2 work=$3 seconds=$4
source_dir=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/corpus/$name" "$work/artifacts"
dirs=("$work/corpus/$name" "$source_dir/corpus/$name")
if [ -d "$source_dir/regressions/$name" ]; then dirs+=("$source_dir/regressions/$name"); fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
log="$work/$name.log"
status=0
"$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/$name-" "${dirs[@]}" >"$log" 2>&1 || status=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
echo "$name: ${execs:-?} execs in ${seconds} s"
if [ "$status" -ne 0 ]; then
  tail -n 60 "$log"
  echo "$name: FAILED (exit $status); the input is in $work/artifacts/"
fi
exit "$status"
