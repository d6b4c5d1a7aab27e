#!/usr/bin/env bash
# bench/smtp_inbound.sh — inbound SMTP throughput, measured against a ceiling in the same
# run. Not a test: it prints numbers.
#
# Sends N messages of SIZE bytes over SESSIONS parallel connections with Postfix's
# smtp-source, first to our SMTP listener (Router and SMTP tasks running, every message
# committed to mail.box with fsync before its 250, then delivered into the recipient's
# mail file) and then to Postfix's smtp-sink (protocol only, nothing written: the
# ceiling). Our time runs until the Router has delivered all N into the mail file
# (SHOW STAT Mail.Delivered), not just until the last 250. Prints messages per second
# for each round, the medians and their ratio. The issue's target: at least half of the ceiling.
#
# Usage: bench/smtp_inbound.sh            (N=20000 SIZE=4096 SESSIONS=50 ROUNDS=3)
#        N=2000 SESSIONS=10 ROUNDS=1 bench/smtp_inbound.sh
# The two loads alternate ROUNDS times (the server keeps running) and the medians are
# compared, so a machine shared with other work skews both sides alike.
# Builds a Release nserver in build-bench; installs Postfix's tools on first use (the
# package is preseeded with "No configuration" and its daemon is never started).
# Everything listens on 127.0.0.1 only; the data directory is temporary (KEEP_LOG=FILE keeps
# the server's console output).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-20000}
SIZE=${SIZE:-4096}
SESSIONS=${SESSIONS:-50}
ROUNDS=${ROUNDS:-3}
BUILD=${BUILD:-build-bench}

if ! command -v smtp-source >/dev/null || ! command -v smtp-sink >/dev/null; then
  SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postfix >/dev/null
fi
PATH="$PATH:/usr/sbin"

if [ -n "${NSERVER:-}" ]; then
  echo "using NSERVER=$NSERVER (not rebuilt)"
else
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNOTESD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j1 --target nserver >/dev/null
  NSERVER="$PWD/$BUILD/server/nserver"
fi

WORK=$(mktemp -d /tmp/notesd-bench-XXXXXX)
SERVER_PID=""
SINK_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null || true
  if [ -n "${KEEP_LOG:-}" ]; then cp "$WORK/server.log" "$KEEP_LOG" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

. bench/bench_common.sh

DATA="$WORK/server"
HTTP_PORT=$(free_port)
SMTP_PORT=$(free_port)
SINK_PORT=$(free_port)
setup_server "$DATA" "$HTTP_PORT" "Router,SMTP"
/usr/bin/python3 - "$DATA/notes.ini" "$SMTP_PORT" "$SESSIONS" <<'EOF'
import sys
path, port, sessions = sys.argv[1], sys.argv[2], int(sys.argv[3])
settings = {"SMTPListenerPort": port, "SMTPListenerAddress": "127.0.0.1", "SMTPDomains": "acme.example",
            "SMTPMaxSessions": str(max(100, sessions * 2)),
            "SMTPMaxSessionsPerIP": str(max(100, sessions * 2))}  # every session comes from 127.0.0.1
lines = open(path).read().splitlines()
for i, line in enumerate(lines):
    key = line.split("=", 1)[0].strip()
    if key in settings:
        lines[i] = f"{key}={settings.pop(key)}"
lines += [f"{k}={v}" for k, v in settings.items()]
open(path, "w").write("\n".join(lines) + "\n")
EOF
"$NSERVER" --data "$DATA" --no-console >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do grep -q "Listening for SMTP" "$WORK/server.log" && break; sleep 0.1; done
grep -q "Listening for SMTP" "$WORK/server.log" || { cat "$WORK/server.log"; exit 1; }

delivered() { "$NSERVER" --data "$DATA" -c "show stat Mail.Delivered" 2>/dev/null | sed -n 's/.*Mail.Delivered = //p'; }

SINK_USER=(); if [ "$(id -u)" -eq 0 ]; then SINK_USER=(-u nobody); fi
smtp-sink "${SINK_USER[@]}" "127.0.0.1:$SINK_PORT" 256 >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
sleep 0.3

# One timed run of ours: from the first connection until the Router has delivered all of
# this round's messages into the mail file.
run_ours() {
  local target=$(( $1 * N )) start accepted done_at
  start=$(now)
  smtp-source -s "$SESSIONS" -m "$N" -l "$SIZE" -f sender@example.org -t jane@acme.example -M client.example \
    "127.0.0.1:$SMTP_PORT"
  accepted=$(now)
  while [ "$(delivered)" != "$target" ]; do
    if [ "$(calc "$(now) - $start > 600")" = True ]; then echo "timed out; delivered $(delivered)" >&2; exit 1; fi
    sleep 0.05
  done
  done_at=$(now)
  echo "  notesd    round $1: $(calc "$N / ($done_at - $start)") msg/s into the mail file (all 250s after $(calc "$accepted - $start") s)" >&2
  calc "$N / ($done_at - $start)"
}

run_sink() {
  local start done_at
  start=$(now)
  smtp-source -s "$SESSIONS" -m "$N" -l "$SIZE" -f sender@example.org -t jane@acme.example -M client.example \
    "127.0.0.1:$SINK_PORT"
  done_at=$(now)
  echo "  smtp-sink round $1: $(calc "$N / ($done_at - $start)") msg/s" >&2
  calc "$N / ($done_at - $start)"
}

# The machine may be shared: alternate the two and compare medians.
echo "$N messages of $SIZE bytes over $SESSIONS sessions, $ROUNDS rounds each, alternating"
ours=(); ceiling=()
for round in $(seq "$ROUNDS"); do
  ceiling+=("$(run_sink "$round")")
  ours+=("$(run_ours "$round")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m_ours=$(median "${ours[@]}")
m_ceiling=$(median "${ceiling[@]}")
echo
echo "notesd (fsync'd to mail.box before 250, then into the mail file): median $m_ours msg/s"
echo "smtp-sink (ceiling: protocol only, no disk):                      median $m_ceiling msg/s"
echo "ratio notesd / ceiling: $(calc "$m_ours / $m_ceiling")"
