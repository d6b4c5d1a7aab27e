#!/usr/bin/env bash
# bench/imap.sh — IMAP read performance of notesd against Dovecot in the same run. Not a
# test: it prints numbers.
#
# notesd: a Release nserver (HTTP, Router, SMTP, IMAP) in a temporary data directory; Jane
# Admin gets an Internet password (`notes admin person set-internet-password`), and her
# INBOX is filled with N messages of SIZE bytes over SMTP (SMTP_CLIENTS connections, many
# messages each, through the Router: the ordinary way in).
# Dovecot: a private instance of Debian's dovecot-imapd started by this script (`dovecot -F
# -c FILE`: its own dovecot.conf, base_dir, state, logs, passwd-file and Maildir in a
# temporary directory; imaps on a 127.0.0.1 port chosen at run time, no plain IMAP port, a
# self-signed certificate made by openssl). Its Maildir is written directly with the bytes
# notesd serves (UID FETCH 1:* BODY.PEEK[] from notesd, one file per message), so both
# servers serve the same messages. The password is checked by both as an Argon2id hash
# with notesd's parameters (m=19456 KiB, t=2, p=1; Dovecot's {ARGON2ID} scheme, libsodium).
# Dovecot's settings are its defaults otherwise (imap-login in its default high-security
# mode: a process per connection), except mail_max_userip_connections (10 by default; the
# 20 clients all come from 127.0.0.1); DOVECOT_CONF="name = value" lines are appended.
# The system Dovecot service is never used, enabled or started; if one is running (the
# package's postinst starts it on a machine with systemd), it is left alone and does not
# matter: the private instance has its own port and directories. Run as root, the master
# runs as root as on Debian, its login and auth processes as dovenull and dovecot, its mail
# processes as nobody (Dovecot refuses uid 0); run as another user, all of it as that user.
#
# Measured, both servers alternating ROUNDS times, over implicit TLS (IMAPSSLPort, imaps)
# with Python's imaplib (bench/imap_load.py), medians printed:
#   1. one session: LOGIN, SELECT INBOX, then UID FETCH 1:* BODY.PEEK[] timed: MB/s, seconds
#      (after one untimed fetch of everything on each server: notesd's is the export,
#      Dovecot's builds its index files).
#   2. CLIENTS (20) client processes for DURATION seconds, each repeating: connect, TLS,
#      LOGIN, SELECT INBOX, UID FETCH <UIDNEXT-50>:* (UID RFC822.SIZE FLAGS
#      BODY.PEEK[HEADER.FIELDS (...)]), LOGOUT: sessions/s, p50/p99/max session latency.
#   3. peak memory during the measurements, sampled every 0.1 s: nserver's RSS (and its
#      VmHWM over the whole run, the fill included), and the sum over all of Dovecot's
#      processes (master, config, auth, anvil, log, imap-login, imap) of RSS and of PSS
#      (PSS shares the pages of the libraries among the processes, so it does not count
#      them once per process).
# and the ratios notesd / Dovecot for each line (throughput: higher is better for notesd
# when > 1; time, latency, memory: lower is better for notesd when < 1). The issue's target:
# at least as fast as Dovecot.
#
# Usage: bench/imap.sh                      (N=10000 SIZE=4096 CLIENTS=20 DURATION=10 ROUNDS=3)
#        N=500 DURATION=3 ROUNDS=1 bench/imap.sh          (a quick check)
#        NSERVER=build/server/nserver NOTES=build/client_cli/notes bench/imap.sh   (no build)
# Builds nserver and notes (Release) in build-bench unless NSERVER and NOTES are set;
# installs dovecot-imapd on first use. Everything listens on 127.0.0.1 only; all data is in
# temporary directories (KEEP_LOG=DIR keeps the servers' logs).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-10000}
SIZE=${SIZE:-4096}
CLIENTS=${CLIENTS:-20}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
SMTP_CLIENTS=${SMTP_CLIENTS:-4}
BUILD=${BUILD:-build-bench}
PY=/usr/bin/python3
LOAD="$PWD/bench/imap_load.py"

SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! [ -x /usr/sbin/dovecot ] || ! dpkg-query -W -f='${Status}' dovecot-imapd 2>/dev/null | grep -q "install ok installed"; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null
fi

if [ -n "${NSERVER:-}" ] && [ -n "${NOTES:-}" ]; then
  echo "using NSERVER=$NSERVER NOTES=$NOTES (not rebuilt)"
else
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNOTESD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j1 --target nserver notes >/dev/null
  NSERVER="$PWD/$BUILD/server/nserver"
  NOTES="$PWD/$BUILD/client_cli/notes"
fi

WORK=$(mktemp -d /tmp/notesd-bench-imap-XXXXXX)
chmod 755 "$WORK"  # Dovecot's login and auth processes run as its own users when we are root
SERVER_PID=""
DOVECOT_PID=""
SAMPLERS=()
cleanup() {
  for pid in "${SAMPLERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$DOVECOT_PID" ]; then
    kill "$DOVECOT_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$DOVECOT_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  if [ -n "${KEEP_LOG:-}" ]; then
    mkdir -p "$KEEP_LOG"
    cp "$WORK/server.log" "$WORK/dovecot/dovecot.log" "$KEEP_LOG/" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

. bench/bench_common.sh
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# The Internet password: random, in a file only (never on a command line).
SECRET_FILE="$WORK/secret"
(umask 077 && /usr/bin/openssl rand -hex 16 >"$SECRET_FILE")
USER_NAME=jane@acme.example

# ---- notesd
DATA="$WORK/server"
HTTP_PORT=$(free_port)
SMTP_PORT=$(free_port)
IMAP_PORT=$(free_port)
IMAPS_PORT=$(free_port)
setup_server "$DATA" "$HTTP_PORT" "HTTP,Router,SMTP,IMAP"
# notes.ini's first line of a key wins: rewrite the sample's lines rather than append.
"$PY" - "$DATA/notes.ini" "$SMTP_PORT" "$IMAP_PORT" "$IMAPS_PORT" <<'EOF'
import sys
path, smtp, imap, imaps = sys.argv[1:5]
settings = {"SMTPListenerPort": smtp, "SMTPListenerAddress": "127.0.0.1", "SMTPDomains": "acme.example",
            "SMTPMaxSessionsPerIP": "100", "IMAPPort": imap, "IMAPSSLPort": imaps, "IMAPAddress": "127.0.0.1",
            "IMAPMaxSessions": "1000", "IMAPMaxSessionsPerIP": "1000"}  # every client comes from 127.0.0.1
lines = open(path).read().splitlines()
for i, line in enumerate(lines):
    key = line.split("=", 1)[0].strip()
    if key in settings and not line.lstrip().startswith((";", "#")):
        lines[i] = f"{key}={settings.pop(key)}"
lines += [f"{k}={v}" for k, v in settings.items()]
open(path, "w").write("\n".join(lines) + "\n")
EOF
"$NSERVER" --data "$DATA" --no-console >"$WORK/server.log" 2>&1 </dev/null &
SERVER_PID=$!
for _ in $(seq 200); do grep -q "Listening for IMAP over TLS on 127.0.0.1" "$WORK/server.log" && break; sleep 0.1; done
grep -q "Listening for IMAP over TLS on 127.0.0.1" "$WORK/server.log" || { cat "$WORK/server.log"; exit 1; }
wait_port "$HTTP_PORT"

CLIENT="$WORK/client"
notes() { NOTESD_ID_KDF=fast NOTESD_PASSWORD=bench-pw "$NOTES" --client-dir "$CLIENT" "$@"; }
notes setup --id "$DATA/ids/jadmin.id" --server-address "127.0.0.1:$HTTP_PORT" >/dev/null
notes admin person set-internet-password "Jane Admin" --password-stdin <"$SECRET_FILE" >/dev/null

echo "$N messages of $SIZE bytes; $CLIENTS clients for $DURATION s; $ROUNDS rounds; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" "$LOAD" fill --port "$IMAPS_PORT" --user "$USER_NAME" --password-file "$SECRET_FILE" \
  --smtp-port "$SMTP_PORT" --to "$USER_NAME" --count "$N" --size "$SIZE" --smtp-clients "$SMTP_CLIENTS"

# ---- Dovecot, loaded with the bytes notesd serves
DOV="$WORK/dovecot"
mkdir -p "$DOV/run" "$DOV/state" "$DOV/home"
"$PY" "$LOAD" export --port "$IMAPS_PORT" --user "$USER_NAME" --password-file "$SECRET_FILE" --dir "$DOV/Maildir"
/usr/bin/openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=dovecot-ref.localdomain \
  -keyout "$DOV/key.pem" -out "$DOV/cert.pem" >/dev/null 2>&1
(umask 077 && echo "$USER_NAME:{ARGON2ID}$("$PY" "$LOAD" argon2 --password-file "$SECRET_FILE")" >"$DOV/passwd")
DOVECOT_PORT=$(free_port)
if [ "$(id -u)" -eq 0 ]; then
  # Root runs the master as Debian does (login and auth processes as dovenull and dovecot);
  # the mail processes run as nobody (Dovecot refuses uid 0 for mail), who owns the Maildir.
  MAIL_UID=$(id -u nobody); MAIL_GID=$(id -g nobody)
  chown -R nobody:"$(id -gn nobody)" "$DOV/Maildir" "$DOV/home"
  chown dovecot "$DOV/passwd"
  USERS=""
  LOGIN_CHROOT=""
else
  MAIL_UID=$(id -u); MAIL_GID=$(id -g)
  USERS="default_login_user = $(id -un)
default_internal_user = $(id -un)
default_internal_group = $(id -gn)
service anvil {
  chroot =
}"
  LOGIN_CHROOT="chroot ="  # chroot needs root
fi
cat >"$DOV/dovecot.conf" <<EOF
# A private Dovecot for bench/imap.sh: nothing here reads or writes /etc/dovecot or /var.
instance_name = notesd-bench-dovecot
base_dir = $DOV/run
state_dir = $DOV/state
log_path = $DOV/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$DOV/cert.pem
ssl_key = <$DOV/key.pem
auth_mechanisms = plain
passdb {
  driver = passwd-file
  args = $DOV/passwd
}
userdb {
  driver = static
  args = uid=$MAIL_UID gid=$MAIL_GID home=$DOV/home
}
mail_location = maildir:$DOV/Maildir
$USERS
protocol imap {
  mail_max_userip_connections = 1000
}
service imap-login {
  $LOGIN_CHROOT
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
}
EOF
if [ -n "${DOVECOT_CONF:-}" ]; then printf '%s\n' "$DOVECOT_CONF" >>"$DOV/dovecot.conf"; fi
/usr/sbin/dovecot -F -c "$DOV/dovecot.conf" </dev/null >"$DOV/stdout.log" 2>&1 &
DOVECOT_PID=$!
wait_port "$DOVECOT_PORT" || { cat "$DOV/stdout.log" "$DOV/dovecot.log" 2>/dev/null; echo "Dovecot is not listening" >&2; exit 1; }
# Untimed: Dovecot indexes the Maildir on its first full fetch (notesd's was the export).
"$PY" "$LOAD" fetchall --port "$DOVECOT_PORT" --user "$USER_NAME" --password-file "$SECRET_FILE" >/dev/null

# ---- measurements
"$PY" "$LOAD" rss --pid "$SERVER_PID" --out "$WORK/rss.notesd" &
SAMPLERS+=($!)
"$PY" "$LOAD" rss --pid "$DOVECOT_PID" --tree --out "$WORK/rss.dovecot" &
SAMPLERS+=($!)

load() {  # load MODE PORT [args...]
  local mode=$1 port=$2
  shift 2
  "$PY" "$LOAD" "$mode" --port "$port" --user "$USER_NAME" --password-file "$SECRET_FILE" "$@"
}
FETCH_NOTESD=(); FETCH_DOVECOT=(); SESS_NOTESD=(); SESS_DOVECOT=()
for round in $(seq "$ROUNDS"); do
  echo "round $round:"
  r=$(load fetchall "$IMAPS_PORT"); FETCH_NOTESD+=("$r"); "$PY" "$LOAD" show notesd "$r"
  r=$(load fetchall "$DOVECOT_PORT"); FETCH_DOVECOT+=("$r"); "$PY" "$LOAD" show Dovecot "$r"
  r=$(load sessions "$IMAPS_PORT" --clients "$CLIENTS" --seconds "$DURATION"); SESS_NOTESD+=("$r")
  "$PY" "$LOAD" show notesd "$r"
  r=$(load sessions "$DOVECOT_PORT" --clients "$CLIENTS" --seconds "$DURATION"); SESS_DOVECOT+=("$r")
  "$PY" "$LOAD" show Dovecot "$r"
done

for pid in "${SAMPLERS[@]}"; do kill -TERM "$pid"; wait "$pid" || true; done
SAMPLERS=()
HWM=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$SERVER_PID/status")

"$PY" - "$WORK/rss.notesd" "$WORK/rss.dovecot" "$HWM" "$CLIENTS" \
  "$(printf '%s\n' "${FETCH_NOTESD[@]}")" "$(printf '%s\n' "${FETCH_DOVECOT[@]}")" \
  "$(printf '%s\n' "${SESS_NOTESD[@]}")" "$(printf '%s\n' "${SESS_DOVECOT[@]}")" <<'PY'
import json, statistics, sys
rss_n, rss_d = (json.load(open(p)) for p in sys.argv[1:3])
hwm, clients = int(sys.argv[3]), sys.argv[4]
fn, fd, sn, sd = ([json.loads(line) for line in a.splitlines() if line] for a in sys.argv[5:9])
med = lambda rows, key: statistics.median(r[key] for r in rows)
for rows, name in ((fn, "notesd"), (fd, "Dovecot")):
    if len({(r["messages"], r["bytes"]) for r in rows}) != 1:
        print(f"warning: {name}'s fetches differ: {[(r['messages'], r['bytes']) for r in rows]}")
if (fn[0]["messages"], fn[0]["bytes"]) != (fd[0]["messages"], fd[0]["bytes"]):
    print(f"warning: the servers served different mail: notesd {fn[0]['messages']} messages, {fn[0]['bytes']} bytes;"
          f" Dovecot {fd[0]['messages']} messages, {fd[0]['bytes']} bytes")
for rows, name in ((sn, "notesd"), (sd, "Dovecot")):
    errors, short = sum(r["errors"] for r in rows), sum(r["short"] for r in rows)
    if errors or short:
        print(f"warning: {name}: {errors} failed sessions, {short} header fetches without 50 messages")
mb = lambda kb: kb / 1024
lines = [
    ("UID FETCH 1:* BODY.PEEK[], MB/s", med(fn, "mbps"), med(fd, "mbps"), "higher is better"),
    ("UID FETCH 1:* BODY.PEEK[], s", med(fn, "seconds"), med(fd, "seconds"), "lower is better"),
    (f"{clients} clients, sessions/s", med(sn, "rate"), med(sd, "rate"), "higher is better"),
    (f"{clients} clients, p50 ms", med(sn, "p50"), med(sd, "p50"), "lower is better"),
    (f"{clients} clients, p99 ms", med(sn, "p99"), med(sd, "p99"), "lower is better"),
    (f"{clients} clients, max ms", med(sn, "max"), med(sd, "max"), "lower is better"),
    ("peak RSS MB (Dovecot: all processes)", mb(rss_n["rss_kb"]), mb(rss_d["rss_kb"]), "lower is better"),
    ("peak PSS MB (Dovecot: all processes)", mb(rss_n["pss_kb"]), mb(rss_d["pss_kb"]), "lower is better"),
]
print(f"\nmedians of {len(fn)} round(s); {fn[0]['messages']} messages, {fn[0]['bytes'] / 1e6:.1f} MB")
print(f"{'':40} {'notesd':>10} {'Dovecot':>10} {'notesd/Dovecot':>15}")
for name, a, b, better in lines:
    ratio = f"{a / b:15.2f}" if b and b == b else f"{'n/a':>15}"  # b == b: not NaN
    print(f"{name:40} {a:10.2f} {b:10.2f} {ratio}   ({better})")
print(f"nserver VmHWM over the whole run (fill included): {mb(hwm):.1f} MB; Dovecot: up to "
      f"{rss_d['processes']} processes at once")
PY
