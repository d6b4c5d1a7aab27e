#!/usr/bin/env bash
# bench/crash_consistency.sh — crash consistency (issue 9): SIGKILL the server KILLS times
# at random moments of a mixed load (SMTP inbound to local people, AdminP "Add Internet
# Certificate" batches, `notes id sync`), then check that every accepted message is
# delivered exactly once, every person holds exactly the certificates requested, ICL
# serials are unique and every database opens. The driver is bench/crash_consistency.py
# (its header lists the invariants); this script builds and calls it.
#
# Usage: bench/crash_consistency.sh                (KILLS=20 PEOPLE=200 SENDERS=4)
#        KILLS=10 SEED=1234 bench/crash_consistency.sh
# Builds in build (Debug-or-whatever is configured there) unless NSERVER_DIR=<build dir>
# names ready binaries. Everything listens on 127.0.0.1 only; the data directory is
# temporary, kept when an invariant breaks (KEEP=1 keeps it always).
set -euo pipefail
cd "$(dirname "$0")/.."

KILLS=${KILLS:-20}
PEOPLE=${PEOPLE:-200}
SENDERS=${SENDERS:-4}
BUILD=${BUILD:-build}

if [ -n "${NSERVER_DIR:-}" ]; then
  BIN="$NSERVER_DIR"
else
  [ -f "$BUILD/build.ninja" ] || cmake -S . -B "$BUILD" -G Ninja >/dev/null
  cmake --build "$BUILD" -j1 --target nserver notes notesd_bench_enroll >/dev/null
  BIN="$PWD/$BUILD"
fi

args=(--bin "$BIN" --kills "$KILLS" --people "$PEOPLE" --senders "$SENDERS")
[ -n "${SEED:-}" ] && args+=(--seed "$SEED")
[ -n "${KEEP:-}" ] && args+=(--keep)
# Debian's python3: the one the tests use.
exec /usr/bin/python3 bench/crash_consistency.py "${args[@]}"
