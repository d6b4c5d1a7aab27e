"""bench/ldap_load.py — the LDAP load generator of bench/ldap.sh (not a test).

CLIENTS processes (not threads: Python's lock would serialise them), each with one LDAP
connection (an anonymous bind, then one search at a time, the next sent when the last
one's SearchResultDone has come), for SECONDS after all have connected. The requests are
BER encoded here from a template and the replies framed by their TLV lengths only, so a
client costs little CPU per search; the same code drives both servers. Prints one JSON
line: searches, searches/s, latency percentiles (ms), the driver's own CPU seconds, and,
with --server-pid, the server's CPU seconds over the run (from /proc/PID/stat).

  --mode mail  (mail=benchNNNNN@DOMAIN), NNNNN random in 1..N, attributes cn, mail,
               userCertificate;binary: exactly one entry, which must carry a certificate
  --mode sub   (cn=*sonKKKK*) with sizeLimit 100, KKKK random in 0..N/10-1, attributes
               cn, mail: the people Bench PersonKKKK0..KKKK9 that exist (up to 10), the
               count checked against N
Every reply is checked (result code success, the number of entries); a wrong one is
counted as an error and reported.
"""
import argparse
import json
import multiprocessing
import os
import random
import resource
import socket
import sys
import time


def ber_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, body):
    return bytes([tag]) + ber_length(len(body)) + body


def ber_int(tag, n):
    return tlv(tag, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def message(message_id, op):
    return tlv(0x30, ber_int(0x02, message_id) + op)


def anonymous_bind(message_id):
    return message(message_id, tlv(0x60, ber_int(0x02, 3) + tlv(0x04, b"") + tlv(0x80, b"")))


def search(message_id, base, filter_bytes, attributes, size_limit=0):
    body = (tlv(0x04, base) + ber_int(0x0A, 2) + ber_int(0x0A, 0) + ber_int(0x02, size_limit) + ber_int(0x02, 0) +
            tlv(0x01, b"\x00") + filter_bytes + tlv(0x30, b"".join(tlv(0x04, a) for a in attributes)))
    return message(message_id, tlv(0x63, body))


def equality(attribute, value):
    return tlv(0xA3, tlv(0x04, attribute) + tlv(0x04, value))


def substring_any(attribute, value):
    return tlv(0xA4, tlv(0x04, attribute) + tlv(0x30, tlv(0x81, value)))


class Reader:
    """Frames LDAPMessages from a socket by their outer TLV length."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()
        self.pos = 0

    def _fill(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise IOError("the server closed the connection")
        if self.pos:
            del self.buffer[:self.pos]
            self.pos = 0
        self.buffer += chunk

    def next(self):
        """One message: (protocolOp tag, the whole message bytes)."""
        while True:
            b, p = self.buffer, self.pos
            if len(b) - p >= 2:
                first = b[p + 1]
                header = 2 if first < 0x80 else 2 + (first & 0x7F)
                if len(b) - p >= header:
                    length = first if first < 0x80 else int.from_bytes(b[p + 2:p + header], "big")
                    end = p + header + length
                    if len(b) >= end:
                        m = bytes(b[p:end])
                        self.pos = end
                        # messageID: INTEGER right after the SEQUENCE header; then the op.
                        id_length = m[header + 1]
                        return m[header + 2 + id_length], m
            self._fill()


def result_code(m):
    """The resultCode of an LDAPResult message: the ENUMERATED that opens the op's body."""
    i = 2 if m[1] < 0x80 else 2 + (m[1] & 0x7F)  # the messageID
    i += 2 + m[i + 1] + 1  # past it and the op's tag
    i += 1 if m[i] < 0x80 else 1 + (m[i] & 0x7F)  # past the op's length
    if m[i] != 0x0A:
        raise IOError(f"no resultCode in {m[:24].hex()}")
    return m[i + 2]


def request_for(args, rng, message_id):
    if args.mode == "mail":
        i = rng.randint(1, args.n)
        return search(message_id, args.base.encode(), equality(b"mail", f"bench{i:05d}@{args.domain}".encode()),
                      [b"cn", b"mail", b"userCertificate;binary"]), 1
    k = rng.randrange(max(1, args.n // 10))
    expected = sum(1 for d in range(10) if 1 <= k * 10 + d <= args.n)
    return search(message_id, args.base.encode(), substring_any(b"cn", f"son{k:04d}".encode()), [b"cn", b"mail"],
                  size_limit=100), expected


def client(args, index, ready, go, results):
    rng = random.Random(index * 7919 + 1)
    latencies, errors = [], []
    try:
        sock = socket.create_connection(("127.0.0.1", args.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = Reader(sock)
        sock.sendall(anonymous_bind(1))
        op, m = reader.next()
        if op != 0x61 or result_code(m) != 0:
            raise IOError(f"anonymous bind refused: {m[:40].hex()}")
    except Exception as error:  # noqa: BLE001 - reported in the output
        ready.release()
        results.put({"latencies": [], "errors": [f"connect: {error!r}"]})
        return
    ready.release()
    go.wait()
    deadline = time.perf_counter() + args.seconds
    message_id = 2
    now = time.perf_counter()
    try:
        while now < deadline:
            request, expected = request_for(args, rng, message_id)
            started = now
            sock.sendall(request)
            entries, big_enough = 0, True
            while True:
                op, m = reader.next()
                if op == 0x64:
                    entries += 1
                    if args.mode == "mail" and len(m) < 400:
                        big_enough = False  # an entry without its certificate
                elif op == 0x65:
                    break
            code = result_code(m)
            now = time.perf_counter()
            latencies.append(now - started)
            if code != 0 or entries != expected or not big_enough:
                if len(errors) < 5:
                    errors.append(f"resultCode {code}, {entries} entries (expected {expected})"
                                  f"{'' if big_enough else ', no certificate'}")
                else:
                    errors.append("")
            message_id = message_id + 1 if message_id < 2**31 - 1 else 2
    except Exception as error:  # noqa: BLE001 - reported in the output
        errors.append(f"search: {error!r}")
    sock.close()
    results.put({"latencies": latencies, "errors": errors})


def cpu_seconds(pid):
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=("mail", "sub"), required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--base", default="o=Acme")
    parser.add_argument("--domain", default="acme.example")
    parser.add_argument("--server-pid", type=int, default=0)
    args = parser.parse_args()
    context = multiprocessing.get_context("fork")
    ready, go, results = context.Semaphore(0), context.Event(), context.Queue()
    workers = [context.Process(target=client, args=(args, i, ready, go, results)) for i in range(args.clients)]
    for w in workers:
        w.start()
    for _ in workers:
        ready.acquire()
    server_cpu = cpu_seconds(args.server_pid)
    started = time.perf_counter()
    go.set()
    collected = [results.get() for _ in workers]
    elapsed = time.perf_counter() - started
    server_cpu = cpu_seconds(args.server_pid) - server_cpu
    for w in workers:
        w.join()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    values = sorted(v for r in collected for v in r["latencies"])
    errors = [e for r in collected for e in r["errors"]]
    if not values:
        print(json.dumps({"error": [e for e in errors if e][:3] or ["no search answered"]}))
        return
    print(json.dumps({"searches": len(values), "rate": round(len(values) / elapsed, 1),
                      "p50": round(percentile(values, 0.5) * 1000, 3), "p99": round(percentile(values, 0.99) * 1000, 3),
                      "max": round(values[-1] * 1000, 3), "seconds": round(elapsed, 2),
                      "driver_cpu": round(children.ru_utime + children.ru_stime, 2),
                      "server_cpu": round(server_cpu, 2), "errors": len(errors),
                      "first_errors": [e for e in errors if e][:3]}))


def show(label, result_json):
    """Prints one result as a table row: `ldap_load.py show LABEL JSON`."""
    r = json.loads(result_json)
    if "error" in r:
        print(f"{label:<34}{r['error']}")
        return
    per_search = r["server_cpu"] / r["searches"] * 1000
    errors = f"  ERRORS {r['errors']}: {r['first_errors']}" if r["errors"] else ""
    print(f"{label:<34}{r['rate']:9.1f}/s  p50 {r['p50']:8.2f}  p99 {r['p99']:8.2f}  max {r['max']:8.2f} ms"
          f"  server CPU {per_search:6.3f} ms/search, driver CPU {r['driver_cpu']:.1f} s in {r['seconds']:.1f} s"
          f"{errors}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "show":
        show(sys.argv[2], sys.argv[3])
    else:
        main()
