"""bench/https_load.py — a small HTTPS load generator for bench/https.sh (not a test).

Sends GET PATH for SECONDS from CLIENTS threads, each with the client certificate, and
prints one JSON line: requests, requests/s, and latency percentiles in ms.
  --mode keepalive  one TLS connection per client, HTTP/1.1 requests back to back
  --mode newconn    a new TCP + TLS connection per request (the TLS session resumed, as
                    a client that keeps its session would), the server closes after it
"""
import argparse
import json
import socket
import ssl
import sys
import threading
import time


def context_for(args):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(args.cert, args.key)
    if args.tls12:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


def read_response(stream):
    """Reads one response; returns True if the server keeps the connection."""
    status = stream.readline()
    if not status.startswith(b"HTTP/"):
        raise IOError(f"bad status line {status!r}")
    length, keep = None, status.startswith(b"HTTP/1.1")
    while True:
        line = stream.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and b"close" in value.lower():
            keep = False
    if length is None:
        stream.read()
        return False
    stream.read(length)
    return keep


def keepalive_client(args, context, stop, latencies, events):
    """A server that ends the connection is reconnected to (counted, the reconnecting
    request's time includes the new handshake)."""
    request = f"GET {args.path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    while not stop.is_set():
        with socket.create_connection((args.host, args.port)) as raw:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            started = time.perf_counter()
            with context.wrap_socket(raw) as tls:
                stream = tls.makefile("rb")
                while not stop.is_set():
                    tls.sendall(request)
                    kept = read_response(stream)
                    latencies.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    if not kept:
                        events.append("server closed a keep-alive connection")
                        break


def newconn_client(args, context, stop, latencies, events):
    """A failed resumption is counted and the next connection makes a full handshake."""
    request = f"GET {args.path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode()
    session = None
    while not stop.is_set():
        started = time.perf_counter()
        try:
            with socket.create_connection((args.host, args.port)) as raw:
                raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with context.wrap_socket(raw, session=session) as tls:
                    tls.sendall(request)
                    read_response(tls.makefile("rb"))
                    if session is not None and not tls.session_reused:
                        events.append("session not resumed")
                    session = tls.session
        except ssl.SSLError as error:
            events.append(f"TLS error {error.reason} (session {'offered' if session else 'none'})")
            session = None
            continue
        latencies.append(time.perf_counter() - started)


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main():
    parser = argparse.ArgumentParser()
    for name in ("host", "cert", "key", "path"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--mode", choices=("keepalive", "newconn"), default="keepalive")
    parser.add_argument("--tls12", action="store_true")
    args = parser.parse_args()
    context = context_for(args)
    stop = threading.Event()
    per_thread = [[] for _ in range(args.clients)]
    errors, events = [], []
    client = keepalive_client if args.mode == "keepalive" else newconn_client

    def run(i):
        try:
            client(args, context, stop, per_thread[i], events)
        except Exception as error:  # noqa: BLE001 - reported in the output
            errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(args.clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    values = sorted(v for values in per_thread for v in values)
    if not values:
        print(json.dumps({"error": errors[:3] or ["no request answered"]}))
        return
    print(json.dumps({"requests": len(values), "rps": round(len(values) / elapsed, 1),
                      "p50": round(percentile(values, 0.5) * 1000, 2), "p90": round(percentile(values, 0.9) * 1000, 2),
                      "p99": round(percentile(values, 0.99) * 1000, 2), "max": round(values[-1] * 1000, 2),
                      "errors": errors[:3],
                      "events": {e: events.count(e) for e in sorted(set(events))}}))


def show(label, result_json):
    """Prints one result as a table row: `https_load.py show LABEL JSON`."""
    r = json.loads(result_json)
    if "error" in r:
        print(f"{label:<36}{r['error']}")
        return
    errors = f"  errors {r['errors']}" if r["errors"] else ""
    errors += "".join(f"  [{count} x {event}]" for event, count in r.get("events", {}).items())
    print(f"{label:<36}p50 {r['p50']:7.2f}  p90 {r['p90']:7.2f}  p99 {r['p99']:7.2f}  max {r['max']:7.2f} ms"
          f"  {r['rps']:8.1f} req/s{errors}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "show":
        show(sys.argv[2], sys.argv[3])
    else:
        main()
