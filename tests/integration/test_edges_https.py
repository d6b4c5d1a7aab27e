"""Issue 13, points 6 and 7: the HTTPS and CRL ports are bounded, and every TLS listener
offers forward-secret AEAD suites only.

- 1,000 dripping connections (500 at the HTTPS port sending a TLS handshake a byte at a
  time, 500 at the CRL port sending a request head a byte at a time, each well inside the
  per-read timeout) do not stop a client with the user's certificate from being answered
  within a second, and all of them are closed by the handshake / request-head deadline.
- One address gets HTTP_MaxSessionsPerIP connections; more are closed at once.
- A keep-alive connection carries more than 5 requests (cpp-httplib's default).
- TLS 1.2 with static-RSA suites (AES128-SHA, AES256-SHA) is refused, ECDHE-RSA-AES128-GCM
  accepted, on HTTPS and on SMTP STARTTLS.

The drippers bind source addresses in 127.0.0.0/8 other than 127.0.0.1 (a few per
address, under the cap), so the client at 127.0.0.1 is not capped with them. Deadlines
are 2 s in notes.ini so the file runs in about 15 s."""
import os
import resource
import select
import socket
import ssl
import subprocess
import sys
import threading
import time
import unittest

from mail_harness import start_mail_server
from notesd_harness import free_port

DEADLINE_SECONDS = 2
PER_IP = 16
DRIPS_PER_PORT = 500


def raise_nofile(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def connect_from(source, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.settimeout(5)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


def closed_by_peer(sock):
    """True when the server closed or reset `sock` (never blocks)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(65536) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except BlockingIOError:
        return False


class Dripper:
    """Sends one byte to every open socket every `interval` seconds until stopped; a
    socket the server closed is noted with the time it was seen closed."""

    def __init__(self, sockets, first_bytes, interval=0.5):
        self.sockets = {s: 0 for s in sockets}  # socket -> bytes sent
        self.payload = first_bytes
        self.interval = interval
        self.closed_at = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            for sock in list(self.sockets):
                if sock in self.closed_at:
                    continue
                if closed_by_peer(sock):
                    self.closed_at[sock] = time.time()
                    continue
                sent = self.sockets[sock]
                try:
                    sock.send(self.payload[sent % len(self.payload):sent % len(self.payload) + 1])
                    self.sockets[sock] = sent + 1
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    self.closed_at[sock] = time.time()
            self.stop.wait(self.interval)

    def open_count(self):
        return len(self.sockets) - len(self.closed_at)

    def finish(self):
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


# A TLS record header announcing a 512-byte handshake record, then a ClientHello that
# never gets anywhere.
TLS_DRIP = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(32)) * 16
HEAD_DRIP = b"GET /crl/Acme.crl HTTP/1.1\r\nHost: x\r\n" + b"X-Drip: " + b"a" * 4000


class EdgesHttpsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise_nofile(8192)
        cls.crl_port = free_port()
        start_mail_server(cls, {"HTTP_CRLPort": cls.crl_port, "HTTP_HandshakeTimeoutSeconds": DEADLINE_SECONDS,
                                "HTTP_RequestHeadTimeoutSeconds": DEADLINE_SECONDS, "HTTP_MaxSessionsPerIP": PER_IP,
                                "HTTP_TimeoutSeconds": 30})

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def timed_whoami(self):
        """(seconds, HTTP status) of one GET /api/v1/whoami with the user's certificate."""
        done = subprocess.run(["curl", "-sS", "-k", "--max-time", "10", "--cert", self.jane.cert, "--key",
                               self.jane.key, "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
                               f"https://127.0.0.1:{self.port}/api/v1/whoami"], capture_output=True, text=True)
        code, _, seconds = done.stdout.partition(" ")
        return float(seconds or 99), int(code or 0)

    def open_drips(self, port, first_octet):
        sockets = []
        for i in range(DRIPS_PER_PORT):
            sockets.append(connect_from(f"127.{first_octet}.0.{10 + i // PER_IP}", port))
        return sockets

    def test_dripping_connections_are_closed_and_others_served(self):
        started = time.time()
        tls = Dripper(self.open_drips(self.port, 1), TLS_DRIP)
        crl = Dripper(self.open_drips(self.crl_port, 2), HEAD_DRIP)
        opened = time.time() - started
        try:
            time.sleep(0.5)
            self.assertGreater(tls.open_count(), DRIPS_PER_PORT * 0.9, "the TLS drippers were closed too early")
            self.assertGreater(crl.open_count(), DRIPS_PER_PORT * 0.9, "the CRL drippers were closed too early")
            timings = [self.timed_whoami() for _ in range(3)]
            for seconds, code in timings:
                self.assertEqual(code, 200)
                self.assertLess(seconds, 1.0, f"whoami took {seconds:.3f} s among {2 * DRIPS_PER_PORT} drippers")
            rc, out, err = self.admin.run("--no-sync", "whoami")
            self.assertEqual(rc, 0, out + err)
            # Every dripper is closed by its deadline (plus the dripper's own half-second).
            limit = time.time() + DEADLINE_SECONDS + 4
            while time.time() < limit and (tls.open_count() or crl.open_count()):
                time.sleep(0.2)
            self.assertEqual(tls.open_count(), 0, "TLS drippers still open after the handshake deadline")
            self.assertEqual(crl.open_count(), 0, "CRL drippers still open after the request-head deadline")
            tls_hold = max(tls.closed_at.values()) - started
            sys.stderr.write(f"\n1000 drippers opened in {opened:.2f} s; whoami "
                             f"{', '.join(f'{s * 1000:.0f} ms' for s, _ in timings)}; all closed "
                             f"{tls_hold:.1f} s after the first connect (deadline {DEADLINE_SECONDS} s)\n")
        finally:
            tls.finish()
            crl.finish()
        seconds, code = self.timed_whoami()
        self.assertEqual(code, 200)

    def test_one_address_is_capped(self):
        sockets = [connect_from("127.0.3.1", self.port) for _ in range(PER_IP + 8)]
        try:
            time.sleep(1.0)
            closed = [s for s in sockets if closed_by_peer(s)]
            self.assertEqual(len(closed), 8, f"{len(closed)} of {len(sockets)} closed at once; cap {PER_IP}")
            seconds, code = self.timed_whoami()
            self.assertEqual(code, 200)
        finally:
            for s in sockets:
                s.close()

    def test_keep_alive_carries_many_requests(self):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.load_cert_chain(self.jane.cert, self.jane.key)
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as raw:
            with context.wrap_socket(raw) as tls:
                stream = tls.makefile("rb")
                for i in range(50):
                    tls.sendall(b"GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\n\r\n")
                    status = stream.readline()
                    self.assertIn(b" 200 ", status, f"request {i + 1} on one connection")
                    length = 0
                    while True:
                        line = stream.readline()
                        if line in (b"\r\n", b""):
                            break
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                        if name.strip().lower() == b"connection":
                            self.assertNotIn(b"close", value.lower(), f"closed after request {i + 1}")
                    stream.read(length)

    def s_client(self, port, *args):
        command = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-cert", self.jane.cert, "-key",
                   self.jane.key, *args]
        done = subprocess.run(command, input="Q\n", capture_output=True, text=True, timeout=20)
        return done.stdout + done.stderr

    def assert_suites(self, port, *extra):
        for weak in ("AES128-SHA", "AES256-SHA", "AES128-GCM-SHA256"):
            out = self.s_client(port, "-tls1_2", "-cipher", weak, *extra)
            self.assertNotIn(f"Cipher is {weak}", out, f"{weak} accepted on port {port}")
            self.assertRegex(out, r"alert handshake failure|no cipher|Cipher is \(NONE\)|handshake failure",
                             out[-1500:])
        out = self.s_client(port, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", *extra)
        self.assertIn("Cipher is ECDHE-RSA-AES128-GCM-SHA256", out, out[-1500:])
        out = self.s_client(port, "-tls1_3", *extra)
        self.assertIn("TLSv1.3", out, out[-1500:])

    def test_https_offers_forward_secret_suites_only(self):
        self.assert_suites(self.port)

    def test_smtp_starttls_offers_forward_secret_suites_only(self):
        self.assert_suites(self.smtp_port, "-starttls", "smtp")

    def test_https_resumes_sessions(self):
        out = self.s_client(self.port, "-tls1_2", "-reconnect")
        self.assertGreaterEqual(out.count("Reused, TLSv1.2"), 4, out[-2000:])


if __name__ == "__main__":
    unittest.main()
