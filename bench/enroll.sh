#!/usr/bin/env bash
# bench/enroll.sh — "Add Internet Cert To Selected People" for thousands of people,
# measured against two references in the same run. Not a test: it prints numbers.
#
#   notesd     N people registered (offline, keys from a pool of pre-made keys: key
#              generation is not measured), an Internet certifier active in the CA task;
#              the time runs from `notes admin people add-internet-cert --all` (the RA's
#              request) until AdminP has finished the batch, i.e. every Person record
#              holds its certificate. Afterwards the Person records are counted offline:
#              each must hold exactly one certificate of the certifier.
#   raw        the limit: the same certificates signed by OpenSSL alone, nothing
#              stored (notesd_bench_enroll raw), in as many processes at once as the
#              machine has cores (notesd signs on that many threads); their rates add up.
#   openssl    what a tester would otherwise script: one `openssl x509 -req` per
#              certificate (CLI_N of them, default 300, from pre-made CSRs).
# Prints certificates per second for each, the server's memory during the batch, and
# the ratios notesd/raw (target >= 0.5) and notesd/openssl.
#
# Usage: bench/enroll.sh                 (N=10000 CLI_N=300)
#        N=2000 CLI_N=100 bench/enroll.sh
# Builds Release binaries in build-bench (NSERVER_DIR=<build dir> to use others).
# Everything listens on 127.0.0.1 only; the data directory is temporary (KEEP_LOG=FILE
# keeps the server's console output).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-10000}
CLI_N=${CLI_N:-300}
BUILD=${BUILD:-build-bench}

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

WORK=$(mktemp -d /tmp/notesd-enroll-XXXXXX)
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
cleanup() {
  stop_server
  if [ -n "${KEEP_LOG:-}" ]; then cp "$WORK/server.log" "$KEEP_LOG" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

. bench/bench_common.sh

DATA="$WORK/server"
HTTP_PORT=$(free_port)
CRL_PORT=$(free_port)
export NOTESD_ID_KDF=fast  # the bench's own IDs only; never for real data
setup_server "$DATA" "$HTTP_PORT" "HTTP,AdminP,CA"
# notes.ini's first line of a key wins: rewrite the sample's lines rather than append.
sed -i -e 's/^AdminP_Interval_Seconds=.*/AdminP_Interval_Seconds=1/' -e "s/^HTTP_CRLPort=.*/HTTP_CRLPort=$CRL_PORT/" \
  "$DATA/notes.ini"
grep -q "^HTTP_CRLPort=$CRL_PORT" "$DATA/notes.ini" || { echo "notes.ini has no HTTP_CRLPort line to set" >&2; exit 1; }

start_server() {
  "$NSERVER" --data "$DATA" --no-console >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 200); do
    "$NSERVER" --data "$DATA" -c "show tasks" 2>/dev/null | grep -q "Admin Process" && return 0
    sleep 0.1
  done
  cat "$WORK/server.log"
  exit 1
}

CLIENT="$WORK/client"
notes() { NOTESD_PASSWORD=bench-pw "$NOTES" --client-dir "$CLIENT" "$@"; }

# The certifier, made as the article makes it, then the people, offline.
start_server
notes setup --id "$DATA/ids/jadmin.id" --server-address "127.0.0.1:$HTTP_PORT" >/dev/null
notes admin internet-certifier create --cn Bench-Email --o Acme --icl ICL_Bench-Email.nsf \
  --encrypt-with server-id --require-activation-password no >/dev/null
"$NSERVER" --data "$DATA" -c "tell adminp process all" >/dev/null
"$NSERVER" --data "$DATA" -c "tell ca refresh" >/dev/null
"$NSERVER" --data "$DATA" -c "tell ca stat" | grep -q "Bench-Email.*Active=Yes" || {
  echo "the certifier did not become active" >&2
  "$NSERVER" --data "$DATA" -c "tell ca stat" >&2
  exit 1
}
stop_server
"$TOOL" populate "$DATA" "$N" acme.example
start_server

echo "Add Internet Certificate for $N people (Release build, $(nproc) cores)"
# The server's memory, sampled every 0.1 s during the batch: its own (anonymous: heap,
# stacks, allocator arenas) apart from the pages of its memory-mapped databases
# (RssFile: the kernel's page cache of names.nsf, admin4.nsf and the ICL, shared and
# reclaimable, which grows with the data as any LMDB reader's does).
sample_memory() {
  local anon=0 file=0 a f
  while kill -0 "$SERVER_PID" 2>/dev/null && [ ! -e "$WORK/stop-sampling" ]; do
    a=$(awk '/^RssAnon:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
    f=$(awk '/^RssFile:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
    [ "${a:-0}" -gt "$anon" ] && anon=$a
    [ "${f:-0}" -gt "$file" ] && file=$f
    sleep 0.1
  done
  echo "$anon $file" >"$WORK/memory.txt"
}
sample_memory &
SAMPLER_PID=$!
start=$(now)
notes --no-sync admin people add-internet-cert --all --ca Bench-Email >"$WORK/enroll.log" || {
  tail -20 "$WORK/enroll.log" >&2
  exit 1
}
done_at=$(now)
peak_rss_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")
touch "$WORK/stop-sampling"
wait "$SAMPLER_PID"
read -r peak_anon_kb peak_file_kb <"$WORK/memory.txt"
stop_server
counted=$("$TOOL" count "$DATA" Bench-Email ICL_Bench-Email.nsf | tr "\n" " ") || {
  echo "not every Person holds exactly one certificate: $counted" >&2
  exit 1
}
ours=$(calc "$N / ($done_at - $start)")
echo "  notesd:  $N certificates in $(calc "$done_at - $start") s: $ours/s ($counted), peak RSS $((peak_rss_kb / 1024)) MB"
echo "           memory during the batch: own (RssAnon) peak $((peak_anon_kb / 1024)) MB, mapped databases (RssFile) peak $((peak_file_kb / 1024)) MB"

# One raw loop per core at once, each signing its share; the rates add up.
CORES=$(nproc)
for c in $(seq "$CORES"); do "$TOOL" raw $((N / CORES)) >"$WORK/raw$c.txt" & done
wait
raw=0
for c in $(seq "$CORES"); do
  rate=$(sed -n 's/.*: \([0-9.]*\)\/s.*/\1/p' "$WORK/raw$c.txt")
  raw=$(calc "$raw + $rate")
done
echo "  raw:     $CORES loops at once, $((N / CORES)) certificates each: $raw/s in all"

# The command-line loop: a root, CSRs from a few pre-made keys, one openssl run each.
CLI="$WORK/openssl"
mkdir -p "$CLI"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$CLI/root.key" -out "$CLI/root.pem" -days 3650 \
  -subj "/O=Acme/CN=Bench-Root" 2>/dev/null
for k in 0 1 2 3; do
  openssl req -newkey rsa:2048 -nodes -keyout "$CLI/user$k.key" -out "$CLI/user$k.csr" -subj "/O=Acme/CN=Bench User$k" 2>/dev/null
done
cat >"$CLI/ext.cnf" <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment
extendedKeyUsage=emailProtection
subjectAltName=email:copy
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
crlDistributionPoints=URI:http://127.0.0.1:8080/crl/Bench-Root.crl
EOF
start=$(now)
for i in $(seq "$CLI_N"); do
  openssl x509 -req -in "$CLI/user$((i % 4)).csr" -CA "$CLI/root.pem" -CAkey "$CLI/root.key" -set_serial "$((1000 + i))" \
    -days 730 -sha256 -extfile "$CLI/ext.cnf" -out "$CLI/cert$i.pem" 2>/dev/null
done
done_at=$(now)
cli=$(calc "$CLI_N / ($done_at - $start)")
echo "  openssl: $CLI_N x 'openssl x509 -req' in $(calc "$done_at - $start") s: $cli/s"

echo
echo "notesd / $CORES raw OpenSSL loops:  $(calc "$ours / $raw")  (target >= 0.5)"
echo "notesd / openssl CLI loop:   $(calc "$ours / $cli")"
