#!/usr/bin/env bash
# bench/smtp_inbound.sh — inbound SMTP throughput, measured against a ceiling and against a
# durable mail server in the same run. Not a test: it prints numbers.
#
# Two loads, both sent with Postfix's smtp-source, SIZE-byte messages to jane@acme.example.
# smtp-source is run without -d, so it opens a new connection for every message (connect,
# EHLO, MAIL, RCPT, DATA, QUIT) in both loads; they differ in how many run in parallel:
#   load 1: N messages over SESSIONS parallel sessions   (smtp-source -s 50 -m 20000 -l 4096)
#   load 2: N2 messages over SESSIONS2 parallel sessions (smtp-source -s 5 -m 5000 -l 4096)
# Each load goes to three receivers, alternating ROUNDS times (all keep running between rounds):
#   notesd     our SMTP listener with the Router and SMTP tasks: every message committed to
#              mail.box with fsync before its 250, then delivered into the recipient's mail
#              file. Timed from the first connection until the Router has delivered all of the
#              round's messages (SHOW STAT Mail.Delivered), not just until the last 250. Each
#              round also prints SMTP sessions per message (from SMTP.Sessions.Total): 1.00
#              means every message came on its own connection.
#   smtp-sink  Postfix's protocol-only sink, nothing written: the ceiling.
#   Postfix    a private Postfix instance (own main.cf/master.cf, queue and data directories
#              in a temporary directory, smtpd on 127.0.0.1 only, on a port chosen at run time,
#              no chroot, no DNS, default_process_limit=100), delivering every message for
#              jane@acme.example into a Maildir through virtual(8). Postfix fsyncs the queue
#              file before its 250 and the Maildir file before delivery counts: "durable".
#              Timed from the first connection until the Maildir's new/ holds all of the
#              round's messages. Needs root (Postfix's master runs as root); POSTFIX=0 skips it;
#              POSTFIX_MAIN_CF="name = value" adds main.cf lines (e.g. in_flow_delay = 0s).
# Prints messages per second for each round, the medians, the ratios notesd / smtp-sink and
# notesd / Postfix for each load, and the peak RSS of nserver over the whole run (VmHWM).
# The issue's targets: at least half of the ceiling at 50 sessions, and no regression against
# Postfix durable at 5 sessions.
#
# Usage: bench/smtp_inbound.sh       (N=20000 SESSIONS=50 N2=5000 SESSIONS2=5 SIZE=4096 ROUNDS=3)
#        N=2000 ROUNDS=1 bench/smtp_inbound.sh          (N2 is at most N unless set)
#        NSERVER=build/server/nserver bench/smtp_inbound.sh   (use that binary, no build)
# The machine may be shared: the receivers alternate and medians are compared, so other work
# skews every side alike.
# Builds a Release nserver in build-bench unless NSERVER is set; installs Postfix on first use
# (the package is preseeded with "No configuration"; its system daemon is never enabled or
# started: only the private instance runs, with `postfix -c DIR`, and is stopped on exit).
# Everything listens on 127.0.0.1 only; all data is in temporary directories (KEEP_LOG=FILE
# keeps the server's console output).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-20000}
SESSIONS=${SESSIONS:-50}
N2=${N2:-$(( N < 5000 ? N : 5000 ))}
SESSIONS2=${SESSIONS2:-5}
SIZE=${SIZE:-4096}
ROUNDS=${ROUNDS:-3}
BUILD=${BUILD:-build-bench}
POSTFIX=${POSTFIX:-1}

SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! command -v smtp-source >/dev/null || ! command -v smtp-sink >/dev/null || ! [ -x /usr/sbin/postfix ]; then
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postfix >/dev/null
  # The package enables its unit; the system instance must never run.
  if command -v systemctl >/dev/null; then $SUDO systemctl disable postfix >/dev/null 2>&1 || true; fi
fi
PATH="$PATH:/usr/sbin"
if [ "$POSTFIX" = 1 ] && [ "$(id -u)" -ne 0 ]; then
  echo "the Postfix reference needs root (its master daemon runs as root): skipped"
  POSTFIX=0
fi

if [ -n "${NSERVER:-}" ]; then
  echo "using NSERVER=$NSERVER (not rebuilt)"
else
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNOTESD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j1 --target nserver >/dev/null
  NSERVER="$PWD/$BUILD/server/nserver"
fi

WORK=$(mktemp -d /tmp/notesd-bench-XXXXXX)
PFX=""
PFX_MASTER=""
SERVER_PID=""
SINK_PID=""
cleanup() {
  if [ -n "$PFX" ]; then
    postfix -c "$PFX/conf" stop >/dev/null 2>&1 || true
    # master is a session leader: anything of its process group still alive is a leftover.
    if [ -n "$PFX_MASTER" ]; then
      for _ in $(seq 20); do pgrep -g "$PFX_MASTER" >/dev/null || break; sleep 0.1; done
      pgrep -g "$PFX_MASTER" >/dev/null && kill -KILL -- "-$PFX_MASTER" 2>/dev/null
    fi
    rm -rf "$PFX"
  fi
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
MAX_SESSIONS=$(( SESSIONS > SESSIONS2 ? SESSIONS : SESSIONS2 ))
setup_server "$DATA" "$HTTP_PORT" "Router,SMTP"
/usr/bin/python3 - "$DATA/notes.ini" "$SMTP_PORT" "$MAX_SESSIONS" <<'EOF'
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

stat_value() {
  local v
  v=$("$NSERVER" --data "$DATA" -c "show stat $1" 2>/dev/null | sed -n "s/.*$1 = //p")
  echo "${v:-0}"
}
delivered() { stat_value Mail.Delivered; }

SINK_USER=(); if [ "$(id -u)" -eq 0 ]; then SINK_USER=(-u nobody); fi
smtp-sink "${SINK_USER[@]}" "127.0.0.1:$SINK_PORT" 256 >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
sleep 0.3

# The private Postfix: nothing of it is outside $PFX, and nothing in /etc/postfix is read
# or changed (postfix -c points every command at $PFX/conf).
if [ "$POSTFIX" = 1 ]; then
  PFX=$(mktemp -d /tmp/notesd-bench-postfix-XXXXXX)
  chmod 711 "$PFX"  # the daemons run as postfix and nobody and must reach their directories
  PFX_PORT=$(free_port)
  MAILDIR="$PFX/mail/acme.example/jane"
  mkdir -p "$PFX/conf" "$PFX/queue" "$PFX/data" "$MAILDIR/new" "$MAILDIR/cur" "$MAILDIR/tmp"
  chown postfix "$PFX/data"
  chown -R nobody:nogroup "$PFX/mail"
  echo "jane@acme.example acme.example/jane/" >"$PFX/conf/vmailbox"  # trailing /: Maildir
  cat >"$PFX/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PFX/queue
data_directory = $PFX/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $PFX/maillog
maillog_file_prefixes = $PFX
myhostname = postfix-ref.localdomain
mydomain = localdomain
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
biff = no
virtual_mailbox_domains = acme.example
virtual_mailbox_base = $PFX/mail
virtual_mailbox_maps = texthash:$PFX/conf/vmailbox
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
disable_dns_lookups = yes
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
default_process_limit = 100
EOF
  # POSTFIX_MAIN_CF="name = value" lines are appended (later lines win), to try other settings.
  if [ -n "${POSTFIX_MAIN_CF:-}" ]; then printf '%s\n' "$POSTFIX_MAIN_CF" >>"$PFX/conf/main.cf"; fi
  # Debian's services, without the port-25 listener and without chroot (column 5 is n).
  cat >"$PFX/conf/master.cf" <<EOF
127.0.0.1:$PFX_PORT inet n - n - - smtpd
pickup     unix  n - n 60    1 pickup
cleanup    unix  n - n -     0 cleanup
qmgr       unix  n - n 300   1 qmgr
rewrite    unix  - - n -     - trivial-rewrite
bounce     unix  - - n -     0 bounce
defer      unix  - - n -     0 bounce
trace      unix  - - n -     0 bounce
verify     unix  - - n -     1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -     - proxymap
proxywrite unix  - - n -     1 proxymap
smtp       unix  - - n -     - smtp
relay      unix  - - n -     - smtp
showq      unix  n - n -     - showq
error      unix  - - n -     - error
retry      unix  - - n -     - error
discard    unix  - - n -     - discard
local      unix  - n n -     - local
virtual    unix  - n n -     - virtual
anvil      unix  - - n -     1 anvil
scache     unix  - - n -     1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
  postfix -c "$PFX/conf" start >/dev/null 2>&1 || { cat "$PFX/maillog" 2>/dev/null; echo "Postfix did not start" >&2; exit 1; }
  for _ in $(seq 100); do
    [ -s "$PFX/queue/pid/master.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PFX_PORT") 2>/dev/null && break
    sleep 0.1
  done
  PFX_MASTER=$(tr -d ' \n' <"$PFX/queue/pid/master.pid" 2>/dev/null || true)
  (exec 3<>"/dev/tcp/127.0.0.1/$PFX_PORT") 2>/dev/null || { cat "$PFX/maillog" 2>/dev/null; echo "Postfix is not listening" >&2; exit 1; }
fi

send() {  # send SESSIONS COUNT PORT
  smtp-source -s "$1" -m "$2" -l "$SIZE" -f sender@example.org -t jane@acme.example -M client.example "127.0.0.1:$3"
}
too_long() { [ "$(calc "$(now) - $1 > 600")" = True ]; }

# One timed round of ours: from the first connection until the Router has delivered all of
# this round's messages into the mail file.
run_ours() {  # run_ours SESSIONS COUNT ROUND
  local base sessions0 sessions1 start accepted done_at
  base=$(delivered); sessions0=$(stat_value SMTP.Sessions.Total)
  start=$(now)
  send "$1" "$2" "$SMTP_PORT"
  accepted=$(now)
  while [ "$(delivered)" != "$(( base + $2 ))" ]; do
    if too_long "$start"; then echo "timed out; delivered $(( $(delivered) - base )) of $2" >&2; exit 1; fi
    sleep 0.05
  done
  done_at=$(now)
  sessions1=$(stat_value SMTP.Sessions.Total)
  echo "  notesd    round $3: $(calc "$2 / ($done_at - $start)") msg/s into the mail file" \
    "(all 250s after $(calc "$accepted - $start") s; $(/usr/bin/python3 -c "print(f'{($sessions1 - $sessions0) / $2:.2f}')") sessions per message)" >&2
  calc "$2 / ($done_at - $start)"
}

run_sink() {  # run_sink SESSIONS COUNT ROUND
  local start done_at
  start=$(now)
  send "$1" "$2" "$SINK_PORT"
  done_at=$(now)
  echo "  smtp-sink round $3: $(calc "$2 / ($done_at - $start)") msg/s" >&2
  calc "$2 / ($done_at - $start)"
}

maildir_count() { find "$MAILDIR/new" -maxdepth 1 -type f | wc -l; }

# One timed round of Postfix: from the first connection until its Maildir's new/ holds all
# of this round's messages (emptied before the round, untimed).
run_postfix() {  # run_postfix SESSIONS COUNT ROUND
  local start accepted done_at
  find "$MAILDIR/new" -maxdepth 1 -type f -delete
  start=$(now)
  send "$1" "$2" "$PFX_PORT"
  accepted=$(now)
  while [ "$(maildir_count)" -lt "$2" ]; do
    if too_long "$start"; then echo "timed out; Postfix delivered $(maildir_count) of $2" >&2; exit 1; fi
    sleep 0.05
  done
  done_at=$(now)
  echo "  Postfix   round $3: $(calc "$2 / ($done_at - $start)") msg/s into the Maildir" \
    "(all 250s after $(calc "$accepted - $start") s)" >&2
  calc "$2 / ($done_at - $start)"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

SUMMARY=()
run_load() {  # run_load NAME SESSIONS COUNT
  local name=$1 sessions=$2 count=$3 round m_ours m_sink m_pfx="n/a" r_pfx="n/a"
  local ours=() sink=() pfx=()
  echo
  echo "$name: smtp-source -s $sessions -m $count -l $SIZE (a new connection per message)," \
    "$ROUNDS rounds each, alternating"
  for round in $(seq "$ROUNDS"); do
    sink+=("$(run_sink "$sessions" "$count" "$round")")
    if [ "$POSTFIX" = 1 ]; then pfx+=("$(run_postfix "$sessions" "$count" "$round")"); fi
    ours+=("$(run_ours "$sessions" "$count" "$round")")
  done
  m_ours=$(median "${ours[@]}")
  m_sink=$(median "${sink[@]}")
  echo "  notesd (fsync'd to mail.box before 250, then into the mail file): median $m_ours msg/s"
  echo "  smtp-sink (ceiling: protocol only, no disk):                      median $m_sink msg/s"
  if [ "$POSTFIX" = 1 ]; then
    m_pfx=$(median "${pfx[@]}")
    r_pfx=$(calc "$m_ours / $m_pfx")
    echo "  Postfix durable (fsync'd queue file, then Maildir via virtual):   median $m_pfx msg/s"
  fi
  echo "  ratio notesd / smtp-sink: $(calc "$m_ours / $m_sink")   ratio notesd / Postfix durable: $r_pfx"
  SUMMARY+=("$(printf '%-22s %10s %10s %10s %14s %16s' "$name" "$m_ours" "$m_sink" "$m_pfx" \
    "$(calc "$m_ours / $m_sink")" "$r_pfx")")
}

echo "$SIZE-byte messages; notesd pid $SERVER_PID; Postfix reference: $([ "$POSTFIX" = 1 ] && echo "on, port $PFX_PORT" || echo off)"
run_load "load 1, $SESSIONS sessions" "$SESSIONS" "$N"
run_load "load 2, $SESSIONS2 sessions" "$SESSIONS2" "$N2"

hwm=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$SERVER_PID/status")
echo
echo "medians in msg/s:"
printf '%-22s %10s %10s %10s %14s %16s\n' "load" "notesd" "smtp-sink" "Postfix" "notesd/sink" "notesd/Postfix"
printf '%s\n' "${SUMMARY[@]}"
echo "nserver peak RSS over the run (VmHWM): $hwm ($(calc "${hwm% kB} / 1024") MB)"
