# bench/bench_common.sh — what every bench script shares; sourced, never run.
#
#   free_port          prints a free TCP port on 127.0.0.1
#   now                prints the time in seconds with nanoseconds
#   calc EXPR          prints a Python expression rounded to 2 places
#   setup_server DATA HTTP_PORT TASKS
#                      sets up a fresh data directory for organisation Acme, server
#                      Acme01 and administrator Jane Admin (password "bench-pw"), with the
#                      HTTP task on 127.0.0.1:HTTP_PORT and ServerTasks=TASKS. The bench's
#                      own IDs use the fast key derivation (never for real data).
# Needs NSERVER (the nserver binary) set by the caller.

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
calc() { /usr/bin/python3 -c "print(round($1, 2))"; }

setup_server() {
  local data=$1 http_port=$2 tasks=$3
  NOTESD_ID_KDF=fast "$NSERVER" --data "$data" --setup --org Acme --server-name Acme01 --admin-name "Jane Admin" \
    --admin-email jane@acme.example --admin-password bench-pw --certifier-password bench-pw --http-port "$http_port" \
    --http-address 127.0.0.1 --server-tasks "$tasks" >/dev/null
}
