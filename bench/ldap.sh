#!/usr/bin/env bash
# bench/ldap.sh — the LDAP task against OpenLDAP's slapd (back-mdb) with the same people
# and certificates, in the same run. Not a test: it prints numbers.
#
#   notesd   N people registered offline (bench/enroll_tool.cc populate), each given an
#            Internet certificate by the CA task (`notes admin people add-internet-cert
#            --all`, as bench/enroll.sh), then the server restarted with ServerTasks=LDAP
#            alone, so its memory is the LDAP task's, on a free loopback port.
#   slapd    a private instance: its own slapd.conf (core, cosine and inetorgperson
#            schema, back-mdb, the database in the temporary directory, indexes
#            objectClass eq, mail eq, uid eq, cn and sn eq,sub: what an address-book
#            directory sets up), loaded offline by slapadd from an LDIF of the same
#            entries notesd publishes (enroll_tool ldif: the same DNs, names and DER
#            certificates), run in the foreground as the current user on a free loopback
#            port (slapd -d 0 -h ldap://127.0.0.1:PORT/ -f CONF). The system's slapd is
#            never configured, enabled or started.
# Both get the same load from bench/ldap_load.py (processes, BER from a template):
#   1. (mail=benchNNNNN@acme.example) returning cn, mail, userCertificate;binary, 1 client
#   2. the same from CLIENTS clients at once
#   3. (cn=*sonKKKK*) over the subtree, sizeLimit 100, cn and mail (up to 10 entries), 1 client
# and prints searches/s, latencies, server CPU per search, the ratios notesd/slapd (target:
# >= 1 for the throughput; also of the server CPU per search, which a busy machine moves
# less) and both servers' peak RSS (VmHWM) and memory at the end.
#
# Usage: bench/ldap.sh                      (N=100000 DURATION=10 CLIENTS=20)
#        N=2000 DURATION=3 bench/ldap.sh    (a quick check)
# Builds Release binaries in build-bench (NSERVER_DIR=<build dir> to use others).
# Everything listens on 127.0.0.1 only; the data directories are temporary (KEEP_LOG=FILE
# keeps the servers' output).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100000}
SECONDS_EACH=${DURATION:-10}
CLIENTS=${CLIENTS:-20}
BUILD=${BUILD:-build-bench}

command -v slapd >/dev/null || PATH=$PATH:/usr/sbin
command -v slapd >/dev/null || { echo "slapd is not installed (scripts/install-deps.sh)" >&2; exit 1; }
if [ -n "${NSERVER_DIR:-}" ]; then
  BIN="$NSERVER_DIR"
  echo "using binaries in $BIN (not rebuilt)"
else
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNOTESD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j2 --target nserver notes notesd_bench_enroll >/dev/null
  BIN="$PWD/$BUILD"
fi
NSERVER="$BIN/server/nserver"
NOTES="$BIN/client_cli/notes"
TOOL="$BIN/bench/notesd_bench_enroll"

WORK=$(mktemp -d /tmp/notesd-ldap-XXXXXX)
SERVER_PID=""
SLAPD_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
cleanup() {
  stop_server
  if [ -n "$SLAPD_PID" ]; then
    kill "$SLAPD_PID" 2>/dev/null || true
    wait "$SLAPD_PID" 2>/dev/null || true
  fi
  if [ -n "${KEEP_LOG:-}" ]; then cat "$WORK/server.log" "$WORK/slapd.log" >"$KEEP_LOG" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

. bench/bench_common.sh
wait_port() { for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

DATA="$WORK/server"
HTTP_PORT=$(free_port)
CRL_PORT=$(free_port)
LDAP_PORT=$(free_port)
SLAPD_PORT=$(free_port)
export NOTESD_ID_KDF=fast  # the bench's own IDs only; never for real data
setup_server "$DATA" "$HTTP_PORT" "HTTP,AdminP,CA"
# notes.ini's first line of a key wins: rewrite the sample's lines rather than append.
sed -i -e 's/^AdminP_Interval_Seconds=.*/AdminP_Interval_Seconds=1/' -e "s/^HTTP_CRLPort=.*/HTTP_CRLPort=$CRL_PORT/" \
  -e "s/^LDAPPort=.*/LDAPPort=$LDAP_PORT/" -e 's/^LDAPSSLPort=.*/LDAPSSLPort=0/' \
  -e 's/^LDAPAddress=.*/LDAPAddress=127.0.0.1/' -e 's/^LDAPMaxSessionsPerIP=.*/LDAPMaxSessionsPerIP=1000/' \
  "$DATA/notes.ini"
grep -q "^LDAPPort=$LDAP_PORT" "$DATA/notes.ini" || { echo "notes.ini has no LDAPPort line to set" >&2; exit 1; }

start_server() {  # the task whose SHOW TASKS line says it is up
  "$NSERVER" --data "$DATA" --no-console >>"$WORK/server.log" 2>&1 </dev/null &
  SERVER_PID=$!
  for _ in $(seq 300); do
    "$NSERVER" --data "$DATA" -c "show tasks" 2>/dev/null | grep -q "$1" && return 0
    sleep 0.1
  done
  cat "$WORK/server.log"
  exit 1
}

CLIENT="$WORK/client"
notes() { NOTESD_PASSWORD=bench-pw "$NOTES" --client-dir "$CLIENT" "$@"; }

echo "Setting up $N people with Internet certificates ..."
start_server "Admin Process"
notes setup --id "$DATA/ids/jadmin.id" --server-address "127.0.0.1:$HTTP_PORT" >/dev/null
notes admin internet-certifier create --cn Bench-Email --o Acme --icl ICL_Bench-Email.nsf \
  --encrypt-with server-id --require-activation-password no >/dev/null
"$NSERVER" --data "$DATA" -c "tell adminp process all" >/dev/null
"$NSERVER" --data "$DATA" -c "tell ca refresh" >/dev/null
stop_server
"$TOOL" populate "$DATA" "$N" acme.example >/dev/null
start_server "Admin Process"
start=$(now)
notes --no-sync admin people add-internet-cert --all --ca Bench-Email >"$WORK/enroll.log" || {
  tail -20 "$WORK/enroll.log" >&2
  exit 1
}
echo "  $N certificates issued in $(calc "$(now) - $start") s"
stop_server
"$TOOL" count "$DATA" Bench-Email >/dev/null || { echo "not every person holds one certificate" >&2; exit 1; }

# slapd's entries: what notesd publishes, from names.nsf (server stopped).
"$TOOL" ldif "$DATA" o=Acme "$WORK/people.ldif" >/dev/null
SLAPD_DIR="$WORK/slapd"
mkdir -p "$SLAPD_DIR/db"
cat >"$SLAPD_DIR/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $SLAPD_DIR/slapd.pid
argsfile $SLAPD_DIR/slapd.args
loglevel 0
sizelimit unlimited
database mdb
maxsize 8589934592
suffix "o=Acme"
rootdn "cn=Manager,o=Acme"
directory $SLAPD_DIR/db
index objectClass eq
index mail eq
index uid eq
index cn,sn eq,sub
access to * by * read
EOF
start=$(now)
slapadd -q -f "$SLAPD_DIR/slapd.conf" -l "$WORK/people.ldif" >"$WORK/slapadd.log" 2>&1 || {
  tail -20 "$WORK/slapadd.log" >&2
  exit 1
}
echo "  slapadd of the same $N entries in $(calc "$(now) - $start") s"

# notesd again with the LDAP task alone: its memory is the LDAP task's.
sed -i 's/^ServerTasks=.*/ServerTasks=LDAP/' "$DATA/notes.ini"
start_server "LDAP Server"
wait_port "$LDAP_PORT"
slapd -d 0 -h "ldap://127.0.0.1:$SLAPD_PORT/" -f "$SLAPD_DIR/slapd.conf" >"$WORK/slapd.log" 2>&1 </dev/null &
SLAPD_PID=$!
wait_port "$SLAPD_PORT" || { cat "$WORK/slapd.log" >&2; exit 1; }

# The same entry from both: the same certificate bytes.
export LDAPRC=/nonexistent LDAPNOINIT=1
same() {
  ldapsearch -x -LLL -o ldif-wrap=no -H "ldap://127.0.0.1:$1" -b o=Acme "(mail=bench00001@acme.example)" \
    cn mail "userCertificate;binary" | grep -v '^dn:' | sort
}
[ "$(same "$LDAP_PORT")" = "$(same "$SLAPD_PORT")" ] && [ -n "$(same "$LDAP_PORT" | grep '^userCertificate;binary::')" ] || {
  echo "notesd and slapd do not return the same entry for bench00001:" >&2
  diff <(same "$LDAP_PORT") <(same "$SLAPD_PORT") >&2 || true
  exit 1
}

echo
echo "LDAP, $N people, $SECONDS_EACH s per row, $(nproc) cores (searches/s, ms)"
declare -A R
row() {  # key label port pid mode clients
  R[$1]=$(/usr/bin/python3 bench/ldap_load.py --port "$3" --server-pid "$4" --mode "$5" --clients "$6" --n "$N" \
    --seconds "$SECONDS_EACH")
  /usr/bin/python3 bench/ldap_load.py show "$2" "${R[$1]}"
}
row n1 "notesd mail=, 1 client" "$LDAP_PORT" "$SERVER_PID" mail 1
row s1 "slapd  mail=, 1 client" "$SLAPD_PORT" "$SLAPD_PID" mail 1
row nc "notesd mail=, $CLIENTS clients" "$LDAP_PORT" "$SERVER_PID" mail "$CLIENTS"
row sc "slapd  mail=, $CLIENTS clients" "$SLAPD_PORT" "$SLAPD_PID" mail "$CLIENTS"
row nsub "notesd cn=*sonKKKK*, 1 client" "$LDAP_PORT" "$SERVER_PID" sub 1
row ssub "slapd  cn=*sonKKKK*, 1 client" "$SLAPD_PORT" "$SLAPD_PID" sub 1

memory() {  # pid
  awk '/^VmHWM:/ {h=$2} /^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} END {printf "peak RSS (VmHWM) %d MB; at the end own (RssAnon) %d MB, mapped (RssFile) %d MB", h/1024, a/1024, f/1024}' "/proc/$1/status"
}
echo
echo "notesd nserver (LDAP task alone): $(memory "$SERVER_PID")"
echo "slapd (back-mdb):                 $(memory "$SLAPD_PID"), database $(du -sm "$SLAPD_DIR/db" | cut -f1) MB"
echo "names.nsf:                        $(du -sm "$DATA/names.nsf" | cut -f1) MB"
n_hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")
s_hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$SLAPD_PID/status")

/usr/bin/python3 - "${R[n1]}" "${R[s1]}" "${R[nc]}" "${R[sc]}" "${R[nsub]}" "${R[ssub]}" "$CLIENTS" "$n_hwm" "$s_hwm" <<'PY'
import json, sys
n1, s1, nc, sc, nsub, ssub = (json.loads(a) for a in sys.argv[1:7])
clients, n_hwm, s_hwm = sys.argv[7], int(sys.argv[8]), int(sys.argv[9])
def ratio(a, b, key="rate"):
    return f"{a[key] / b[key]:.2f}" if key in a and key in b and b[key] else "n/a"
print()
print(f"notesd / slapd, mail= 1 client:           {ratio(n1, s1)}  (target >= 1)")
print(f"notesd / slapd, mail= {clients} clients:         {ratio(nc, sc)}  (target >= 1)")
print(f"notesd / slapd, cn=*sonKKKK* 1 client:    {ratio(nsub, ssub)}  (target >= 1)")
print(f"notesd / slapd, peak RSS:                 {n_hwm / s_hwm:.2f}")
def cpu(r):
    return r["server_cpu"] / r["searches"] if r.get("searches") else float("nan")
print("server CPU per search, notesd / slapd (less load-sensitive): "
      f"mail= {cpu(n1) / cpu(s1):.1f}, mail= x{clients} {cpu(nc) / cpu(sc):.1f}, cn=*sonKKKK* {cpu(nsub) / cpu(ssub):.1f}")
if any(r.get("errors") or "error" in r for r in (n1, s1, nc, sc, nsub, ssub)):
    print("SOME SEARCHES FAILED: see the rows above")
    sys.exit(1)
PY
