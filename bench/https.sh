#!/usr/bin/env bash
# bench/https.sh — latency and throughput of the HTTPS client API, against a minimal TLS
# server answering the same bytes in the same run. Not a test: it prints numbers.
#
# Starts a Release nserver (HTTP task) in a temporary data directory, fetches
# GET /api/v1/me/certificates once with the administrator's client certificate, and
# serves those exact bytes with `openssl s_server -WWW` from the server ID's certificate
# and key (client certificate asked for, as ours). bench/https_load.py then measures,
# for DURATION seconds each, p50/p90/p99/max latency (ms) and requests/s:
#   notesd   keep-alive, 1 client and CLIENTS clients
#   notesd   a new TLS connection per request (session resumed), 1 client
#   s_server a new TLS connection per request (session resumed; s_server -WWW answers
#            one request per connection, so it has no keep-alive), 1 and CLIENTS clients
# and prints the ratios the issue sets targets for: notesd keep-alive p50 / s_server p50
# (target <= 1.5), notesd / s_server requests/s at CLIENTS clients (target >= 1), and
# notesd's worst case at CLIENTS clients (target < 200 ms).
#
# Usage: bench/https.sh                 (DURATION=5 CLIENTS=20)
#        NSERVER=build/server/nserver ID_PEM_TOOL=build/tests/id_pem_tool bench/https.sh
# Builds nserver and id_pem_tool in build-bench (Release) unless NSERVER/ID_PEM_TOOL are
# given. Everything listens on 127.0.0.1 only; the data directory is temporary.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${DURATION:-5}
CLIENTS=${CLIENTS:-20}
BUILD=${BUILD:-build-bench}

if [ -z "${NSERVER:-}" ] || [ -z "${ID_PEM_TOOL:-}" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j1 --target nserver --target id_pem_tool >/dev/null
  NSERVER="$PWD/$BUILD/server/nserver"
  ID_PEM_TOOL="$PWD/$BUILD/tests/id_pem_tool"
else
  echo "using NSERVER=$NSERVER ID_PEM_TOOL=$ID_PEM_TOOL (not rebuilt)"
fi

WORK=$(mktemp -d /tmp/notesd-bench-XXXXXX)
SERVER_PID=""
REF_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [ -n "$REF_PID" ] && kill "$REF_PID" 2>/dev/null && wait "$REF_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

. bench/bench_common.sh
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

DATA="$WORK/server"
HTTP_PORT=$(free_port)
REF_PORT=$(free_port)
setup_server "$DATA" "$HTTP_PORT" "HTTP"
"$NSERVER" --data "$DATA" >"$WORK/server.log" 2>&1 </dev/null &
SERVER_PID=$!
wait_port "$HTTP_PORT"

"$ID_PEM_TOOL" "$DATA/ids/jadmin.id" bench-pw "$WORK/jane.cert.pem" "$WORK/jane.key.pem" "$WORK/roots.pem"
"$ID_PEM_TOOL" "$DATA/server.id" "" "$WORK/server.cert.pem" "$WORK/server.key.pem" "$WORK/server.roots.pem"
API_PATH=/api/v1/me/certificates
mkdir -p "$WORK/www"
curl -sSf -k --cert "$WORK/jane.cert.pem" --key "$WORK/jane.key.pem" -o "$WORK/www/me.json" \
  "https://127.0.0.1:$HTTP_PORT$API_PATH"
BODY_BYTES=$(wc -c <"$WORK/www/me.json")

(cd "$WORK/www" && exec openssl s_server -quiet -WWW -accept "$REF_PORT" -cert "$WORK/server.cert.pem" \
  -key "$WORK/server.key.pem" -verify 1 -CAfile "$WORK/roots.pem" >/dev/null 2>&1 </dev/null) &
REF_PID=$!
wait_port "$REF_PORT"

load() {  # port path mode clients
  /usr/bin/python3 bench/https_load.py --host 127.0.0.1 --port "$1" --path "$2" --mode "$3" --clients "$4" \
    --seconds "$SECONDS_EACH" --cert "$WORK/jane.cert.pem" --key "$WORK/jane.key.pem"
}

echo "GET $API_PATH ($BODY_BYTES bytes), $SECONDS_EACH s per row, $(nproc) cores"
declare -A R
row() {  # name port path mode clients
  R[$1]=$(load "$2" "$3" "$4" "$5")
  /usr/bin/python3 bench/https_load.py show "$1" "${R[$1]}"
}
row "notesd keep-alive, 1 client" "$HTTP_PORT" "$API_PATH" keepalive 1
row "notesd keep-alive, $CLIENTS clients" "$HTTP_PORT" "$API_PATH" keepalive "$CLIENTS"
row "notesd new connection, 1 client" "$HTTP_PORT" "$API_PATH" newconn 1
row "s_server -WWW, 1 client" "$REF_PORT" /me.json newconn 1
row "s_server -WWW, $CLIENTS clients" "$REF_PORT" /me.json newconn "$CLIENTS"

/usr/bin/python3 - "${R["notesd keep-alive, 1 client"]}" "${R["notesd keep-alive, $CLIENTS clients"]}" \
  "${R["notesd new connection, 1 client"]}" "${R["s_server -WWW, 1 client"]}" "${R["s_server -WWW, $CLIENTS clients"]}" \
  "$CLIENTS" <<'PY'
import json, sys
ka1, kan, nc1, ref1, refn = (json.loads(a) for a in sys.argv[1:6])
clients = sys.argv[6]
print(f"keep-alive p50 / s_server p50 (1 client): {ka1['p50'] / ref1['p50']:.2f}  (target <= 1.5)")
print(f"new-connection p50 / s_server p50 (1 client): {nc1['p50'] / ref1['p50']:.2f}")
print(f"throughput at {clients} clients, notesd / s_server: {kan['rps'] / refn['rps']:.2f}  (target >= 1)")
print(f"worst case at {clients} clients: {kan['max']:.1f} ms  (target < 200)")
PY
