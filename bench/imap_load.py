"""bench/imap_load.py — the IMAP load driver of bench/imap.sh (not a test).

Subcommands (every IMAP connection is implicit TLS on 127.0.0.1, with Python's imaplib;
the password is read from the file named by --password-file, never from argv):
  fill      delivers COUNT messages of SIZE bytes to TO over SMTP (SMTP_CLIENTS connections
            in parallel, many messages each), then waits until IMAP STATUS INBOX counts them
  export    fetches every INBOX message (UID FETCH 1:* BODY.PEEK[]) and writes each, byte for
            byte, as a Maildir file into DIR/cur (so the reference serves the same bytes)
  fetchall  one session: LOGIN, SELECT INBOX, then times UID FETCH 1:* BODY.PEEK[];
            prints JSON: messages, bytes, seconds, MB/s
  sessions  CLIENTS processes for SECONDS, each repeating: connect, LOGIN, SELECT INBOX,
            UID FETCH of the last 50 UIDs (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS
            (...)]), LOGOUT; prints JSON: sessions, sessions/s, p50/p99/max latency in ms
  rss       samples every 0.1 s until SIGTERM the memory of PID (--tree: PID and all its
            descendants, summed); prints JSON: peak RSS and peak PSS in kB
  argon2    prints an Argon2id PHC string (m=19456,t=2,p=1, notesd's parameters) of the
            password in --password-file, through libargon2 (for Dovecot's passwd-file)
  show      prints one JSON result as a line of text
"""
import argparse
import ctypes
import imaplib
import json
import multiprocessing
import os
import re
import signal
import smtplib
import ssl
import sys
import threading
import time

HEADER_FIELDS = "(From To Cc Subject Date Message-ID In-Reply-To References Content-Type)"


def tls_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def password(args):
    with open(args.password_file) as f:
        return f.read().strip()


def connect(args):
    m = imaplib.IMAP4_SSL("127.0.0.1", args.port, ssl_context=tls_context(), timeout=120)
    m.login(args.user, password(args))
    return m


def check(result, what):
    typ, data = result
    if typ != "OK":
        raise RuntimeError(f"{what}: {typ} {data!r}")
    return data


def message(index, size):
    head = (f"From: Bench Sender <sender@example.org>\r\nTo: Jane Admin <jane@acme.example>\r\n"
            f"Subject: bench message {index}\r\nMessage-ID: <bench-{index}@example.org>\r\n"
            f"Date: Tue, 1 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    line = b"abcdefghijklmnopqrstuvwxyz0123456789 the quick brown fox jumps over the lazy dog.\r\n"
    body = (line * (size // len(line) + 1))[:max(0, size - len(head) - 2)] + b"\r\n"
    return head + body


def inbox_count(args):
    m = connect(args)
    try:
        data = check(m.status("INBOX", "(MESSAGES)"), "STATUS")
        return int(re.search(rb"MESSAGES (\d+)", data[0]).group(1))
    finally:
        m.logout()


def cmd_fill(args):
    before = inbox_count(args)
    next_index = iter(range(args.count))
    lock = threading.Lock()
    failures = []

    def sender():
        try:
            with smtplib.SMTP("127.0.0.1", args.smtp_port, local_hostname="bench.example.org", timeout=120) as s:
                while True:
                    with lock:
                        i = next(next_index, None)
                    if i is None:
                        return
                    s.sendmail("sender@example.org", [args.to], message(i, args.size))
        except Exception as e:  # noqa: BLE001 (reported below)
            failures.append(repr(e))

    started = time.perf_counter()
    threads = [threading.Thread(target=sender) for _ in range(args.smtp_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"SMTP failed: {failures[0]}")
    accepted = time.perf_counter() - started
    while True:
        count = inbox_count(args)
        if count >= before + args.count:
            break
        if time.perf_counter() - started > 1800:
            raise RuntimeError(f"only {count - before} of {args.count} messages arrived")
        time.sleep(0.5)
    done = time.perf_counter() - started
    print(f"filled INBOX with {args.count} messages of {args.size} bytes: all 250s after {accepted:.1f} s, "
          f"all in INBOX after {done:.1f} s", file=sys.stderr)


def fetch_all(m):
    """UID FETCH 1:* BODY.PEEK[] on the selected mailbox; returns the message bodies."""
    data = check(m.uid("FETCH", "1:*", "(BODY.PEEK[])"), "UID FETCH")
    return [item[1] for item in data if isinstance(item, tuple)]


def cmd_export(args):
    m = connect(args)
    check(m.select("INBOX", readonly=True), "SELECT")
    bodies = fetch_all(m)
    m.logout()
    cur = os.path.join(args.dir, "cur")
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(args.dir, d), exist_ok=True)
    stamp = 1795000000
    for i, body in enumerate(bodies):
        # Dovecot's Maildir name: <time>.<unique>.<host>,S=<size>:2,<flags> (S= spares a stat).
        name = f"{stamp + i}.M{i}P1.bench,S={len(body)}:2,"
        with open(os.path.join(cur, name), "wb") as f:
            f.write(body)
    print(f"exported {len(bodies)} messages, {sum(map(len, bodies))} bytes", file=sys.stderr)


def cmd_fetchall(args):
    m = connect(args)
    check(m.select("INBOX", readonly=True), "SELECT")
    started = time.perf_counter()
    bodies = fetch_all(m)
    seconds = time.perf_counter() - started
    m.logout()
    total = sum(map(len, bodies))
    print(json.dumps({"messages": len(bodies), "bytes": total, "seconds": seconds,
                      "mbps": total / seconds / 1e6}))


def one_session(args, secret):
    m = imaplib.IMAP4_SSL("127.0.0.1", args.port, ssl_context=tls_context(), timeout=120)
    m.login(args.user, secret)
    check(m.select("INBOX", readonly=True), "SELECT")
    # imaplib files the response code of "* OK [UIDNEXT n]" under "UIDNEXT".
    codes = m.untagged_responses.get("UIDNEXT")
    if not codes:
        raise RuntimeError("SELECT gave no UIDNEXT")
    uidnext = int(codes[-1])
    first = max(1, uidnext - 50)
    data = check(m.uid("FETCH", f"{first}:*", f"(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS {HEADER_FIELDS}])"),
                 "UID FETCH")
    got = sum(1 for item in data if isinstance(item, tuple))
    m.logout()
    return got == uidnext - first


def session_worker(args, secret, deadline, out):
    latencies, errors, short, first_error = [], 0, 0, ""
    while time.time() < deadline:
        started = time.perf_counter()
        try:
            complete = one_session(args, secret)
            latencies.append(time.perf_counter() - started)
            if not complete:  # fewer messages than the UIDs asked for (50, or all if fewer)
                short += 1
        except Exception as e:  # noqa: BLE001 (counted)
            errors += 1
            first_error = first_error or repr(e)
            time.sleep(0.05)
    out.put((latencies, errors, short, first_error))


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def cmd_sessions(args):
    secret = password(args)
    out = multiprocessing.get_context("fork").Queue()
    started = time.time()
    deadline = started + args.seconds
    workers = [multiprocessing.get_context("fork").Process(target=session_worker, args=(args, secret, deadline, out))
               for _ in range(args.clients)]
    for w in workers:
        w.start()
    results = [out.get() for _ in workers]
    elapsed = time.time() - started
    for w in workers:
        w.join()
    latencies = sorted(x * 1000 for r in results for x in r[0])
    print(json.dumps({"sessions": len(latencies), "rate": len(latencies) / elapsed,
                      "p50": percentile(latencies, 0.50), "p99": percentile(latencies, 0.99),
                      "max": latencies[-1] if latencies else float("nan"),
                      "errors": sum(r[1] for r in results), "short": sum(r[2] for r in results),
                      "first_error": next((r[3] for r in results if r[3]), "")}))


def tree(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def memory_kb(pid):
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def cmd_rss(args):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    peak_rss = peak_pss = peak_processes = 0
    while not stop.is_set():
        pids = tree(args.pid) if args.tree else [args.pid]
        values = [memory_kb(p) for p in pids]
        peak_rss = max(peak_rss, sum(v[0] for v in values))
        peak_pss = max(peak_pss, sum(v[1] for v in values))
        peak_processes = max(peak_processes, len(pids))
        stop.wait(0.1)
    with open(args.out, "w") as f:
        json.dump({"rss_kb": peak_rss, "pss_kb": peak_pss, "processes": peak_processes}, f)


def cmd_argon2(args):
    lib = ctypes.CDLL("libargon2.so.1")
    lib.argon2id_hash_encoded.argtypes = [ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p,
                                          ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t,
                                          ctypes.c_char_p, ctypes.c_size_t]
    secret = password(args).encode()
    salt = os.urandom(16)
    encoded = ctypes.create_string_buffer(256)
    rc = lib.argon2id_hash_encoded(2, 19456, 1, secret, len(secret), salt, len(salt), 32, encoded, len(encoded))
    if rc != 0:
        raise RuntimeError(f"argon2id_hash_encoded: {rc}")
    print(encoded.value.decode())


def cmd_show(args):
    r = json.loads(args.json)
    if "mbps" in r:
        print(f"  {args.name:<10} UID FETCH 1:* BODY.PEEK[]: {r['messages']} messages, {r['bytes'] / 1e6:.1f} MB "
              f"in {r['seconds']:.2f} s = {r['mbps']:.1f} MB/s")
    else:
        print(f"  {args.name:<10} {r['sessions']} sessions, {r['rate']:.1f} sessions/s, p50 {r['p50']:.1f} ms, "
              f"p99 {r['p99']:.1f} ms, max {r['max']:.1f} ms, errors {r['errors']}, short fetches {r['short']}"
              + (f" (first error: {r['first_error']})" if r.get("first_error") else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def imap_args(p):
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--user", required=True)
        p.add_argument("--password-file", required=True)

    p = sub.add_parser("fill")
    imap_args(p)
    p.add_argument("--smtp-port", type=int, required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--smtp-clients", type=int, default=4)
    p = sub.add_parser("export")
    imap_args(p)
    p.add_argument("--dir", required=True)
    p = sub.add_parser("fetchall")
    imap_args(p)
    p = sub.add_parser("sessions")
    imap_args(p)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--seconds", type=float, default=10)
    p = sub.add_parser("rss")
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--tree", action="store_true")
    p.add_argument("--out", required=True)
    p = sub.add_parser("argon2")
    p.add_argument("--password-file", required=True)
    p = sub.add_parser("show")
    p.add_argument("name")
    p.add_argument("json")
    args = parser.parse_args()
    globals()[f"cmd_{args.command}"](args)


if __name__ == "__main__":
    main()
