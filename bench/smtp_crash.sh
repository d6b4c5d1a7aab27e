#!/usr/bin/env bash
# bench/smtp_crash.sh — the durability check, bigger than in CI: kill -9 the server while
# 8 SMTP clients send and the Router delivers; after the restart every message that got
# a 250 must be in the mail file exactly once and none twice. The clients are Python's
# smtplib (not smtp-source) because the check needs to know which messages got their 250.
# Usage: bench/smtp_crash.sh [ROUNDS]   (N=3000 acknowledged messages per round)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
BUILD=${BUILD:-build}
if [ ! -x "$BUILD/server/nserver" ]; then
  cmake -S . -B "$BUILD" -G Ninja >/dev/null
  cmake --build "$BUILD" -j1 >/dev/null
fi
for round in $(seq "$ROUNDS"); do
  echo "round $round of $ROUNDS"
  (cd tests/e2e && NOTESD_CRASH_MESSAGES=${N:-3000} NOTESD_BIN_DIR="$PWD/../../$BUILD" PYTHONPATH="$PWD/../support" \
    /usr/bin/python3 -m unittest test_mail_crash)
done
