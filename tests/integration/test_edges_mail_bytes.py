"""Issue 13, points 1 and 4: the bytes of a message at the edges of the server.

1. No SMTP smuggling. An ordinary Notes user deposits, through the client API, a body
   with a bare LF before "." (`hello\\n.\\r\\nMAIL FROM:<ceo@acme.example>...`) for an
   Internet recipient. The relay here is lenient the way some real ones are: it ends a
   line at a bare LF. It must still receive exactly one message, from the user's own
   address, with the forged commands as body text: mail.box stores CRLF-canonical lines
   and the Router's SMTP client sends only CRLF lines, dot-stuffed. The same body sent
   over SMTP DATA (bare LF and bare CR) is one message in the mail file, CRLF-canonical.
2. Message size and memory. Four concurrent SMTP messages at the configured maximum
   (SMTPMaxMessageSizeKB=20480 here) raise the server's RSS by less than RSS_BOUND_MB and
   arrive intact in the mail file; a large message cut off mid-DATA or refused as too
   big leaves no spool file behind.

Hermetic: 127.0.0.1 only, ports chosen at run time."""
import hashlib
import os
import socket
import socketserver
import threading
import time
import unittest

from mail_harness import read_data_body, register_api_user, start_mail_server, wait_until
from notesd_harness import free_port

MAX_KB = 20480
CONCURRENT = 4
# Under AddressSanitizer freed memory sits in the quarantine before reuse.
RSS_BOUND_MB = 320 if "ASAN_OPTIONS" in os.environ else 32
FORGED = (b"MAIL FROM:<ceo@acme.example>\r\nRCPT TO:<victim@outside.example>\r\nDATA\r\n"
          b"From: ceo@acme.example\r\nSubject: forged\r\n\r\npay now\r\n")


class LenientRelay:
    """An SMTP relay that, like a lenient MTA, ends every line at a bare LF (a CR before
    it is optional). Records (sender, recipients, data) per message it believes it got."""

    def __init__(self, port):
        self.port = port
        self.messages = []
        self.lock = threading.Lock()
        relay = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                relay._session(self.rfile, self.request.sendall)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def received(self):
        with self.lock:
            return list(self.messages)

    def _session(self, reader, send):
        send(b"220 lenient.test ESMTP\r\n")
        sender, rcpts = None, []
        while True:
            line = reader.readline(1 << 20)
            if not line:
                return
            command = line.rstrip(b"\n").rstrip(b"\r")
            verb = command[:4].upper()
            if verb == b"EHLO":
                send(b"250-lenient.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif verb == b"MAIL":
                sender, rcpts = command[10:].split(b">")[0].strip(b"<").decode(), []
                send(b"250 2.1.0 Ok\r\n")
            elif verb == b"RCPT":
                rcpts.append(command[8:].split(b">")[0].strip(b"<").decode())
                send(b"250 2.1.5 Ok\r\n")
            elif verb == b"QUIT":
                send(b"221 2.0.0 Bye\r\n")
                return
            elif verb == b"DATA":
                send(b"354 go\r\n")
                data = read_data_body(reader, lenient=True)
                with self.lock:
                    self.messages.append((sender, rcpts, data))
                send(b"250 2.0.0 Ok\r\n")
            else:
                send(b"250 2.0.0 Ok\r\n")


def has_bare_line_end(data):
    return b"\n" in data.replace(b"\r\n", b"") or b"\r" in data.replace(b"\r\n", b"")


def vm_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


class MailBytesTest(unittest.TestCase):
    """One server for the class: HTTP, Router, SMTP, relaying to the lenient relay."""

    @classmethod
    def setUpClass(cls):
        cls.relay = LenientRelay(free_port())
        start_mail_server(cls, {"SMTPMaxMessageSizeKB": MAX_KB, "SMTPStartTLS": 0, "SMTPRelayHost": "127.0.0.1",
                                "SMTPRelayPort": cls.relay.port, "RouterRelayTLS": "None",
                                "RouterRetryIntervalSeconds": 1, "RouterRetryMaxSeconds": 2,
                                "RouterTimeoutSeconds": 10})
        # An ordinary user, registered by the administrator with the `notes` client.
        cls.john = register_api_user(cls, "John Roe", "jroe", "john@acme.example")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.relay.stop()
        cls.tmp.cleanup()

    def smtp_session(self, lines_then_data):
        """Sends raw SMTP (EHLO, MAIL, RCPT, DATA, the data bytes) and returns the replies."""
        with socket.create_connection(("127.0.0.1", self.smtp_port), timeout=60) as sock:
            sock.sendall(lines_then_data)
            reader = sock.makefile("rb")
            replies = []
            while True:
                line = reader.readline()
                if not line:
                    return replies
                replies.append(line)
                if line.startswith(b"221"):
                    return replies

    def wait_for_mail(self, user, subject, timeout=30):
        """The raw bytes of every message with this subject, once there is one (only
        those are fetched: the mail file also holds the large messages)."""
        listed = wait_until(lambda: [m["unid"] for m in user.messages() if m["subject"] == subject], timeout=timeout)
        self.assertTrue(listed, "message not delivered:\n" + self.server.output()[-3000:])
        return [user.raw(unid) for unid in listed]

    # --- 1. no SMTP smuggling --------------------------------------------------------------

    def test_deposit_with_bare_lf_reaches_a_lenient_relay_as_one_message(self):
        body = (b"From: John Roe <john@acme.example>\r\nTo: friend@outside.example\r\n"
                b"Subject: smuggle-api\r\n\r\nhello\n.\r\n" + FORGED + b"bare\r.\rcr\r\n")
        code, answer = self.john.deposit(["friend@outside.example"], body)
        self.assertEqual(code, 200, answer)
        got = wait_until(lambda: [m for m in self.relay.received() if b"smuggle-api" in m[2]], timeout=30)
        self.assertTrue(got, "nothing reached the relay:\n" + self.server.output()[-3000:])
        time.sleep(1.5)  # a smuggled second message would arrive in the same transfer
        forged = [m for m in self.relay.received() if m[0] == "ceo@acme.example" or b"pay now" in m[2] and m not in got]
        self.assertEqual(forged, [], "the relay parsed a smuggled message")
        self.assertEqual(len(got), 1)
        sender, rcpts, data = got[0]
        self.assertEqual(sender, "john@acme.example")
        self.assertEqual(rcpts, ["friend@outside.example"])
        self.assertFalse(has_bare_line_end(data), data)
        self.assertIn(b"\r\nhello\r\n.\r\nMAIL FROM:<ceo@acme.example>\r\n", data)
        self.assertTrue(data.endswith(b"pay now\r\nbare\r\n.\r\ncr\r\n"), data[-80:])

    def test_smtp_data_with_bare_lf_and_cr_is_one_crlf_message(self):
        data = (b"From: outside@example.org\r\nTo: jane@acme.example\r\nSubject: smuggle-smtp\r\n\r\n"
                b"hello\n.\n" + FORGED + b"bare\r.\rend\r\n")
        replies = self.smtp_session(b"EHLO client.example.org\r\nMAIL FROM:<outside@example.org>\r\n"
                                    b"RCPT TO:<jane@acme.example>\r\nDATA\r\n" + data + b".\r\nQUIT\r\n")
        codes = [r[:3] for r in replies if r[3:4] == b" "]
        # greeting, EHLO, MAIL, RCPT, 354, one 250 for the one message, 221: nothing smuggled
        self.assertEqual(codes, [b"220", b"250", b"250", b"250", b"354", b"250", b"221"], replies)
        found = self.wait_for_mail(self.jane, "smuggle-smtp")
        self.assertEqual(len(found), 1)
        stored = found[0]
        self.assertFalse(has_bare_line_end(stored), stored)
        self.assertTrue(stored.endswith(b"\r\n\r\nhello\r\n.\r\n" + FORGED + b"bare\r\n.\r\nend\r\n"), stored[-200:])
        self.assertEqual([m for m in self.jane.messages() if m["subject"] == "forged"], [])

    # --- 4. message size and memory --------------------------------------------------------

    def test_four_concurrent_messages_at_the_maximum_keep_rss_bounded(self):
        pid = self.server.proc.pid
        messages = []
        for i in range(CONCURRENT):
            header = (f"From: big{i}@example.org\r\nTo: jane@acme.example\r\nSubject: big-{i}\r\n"
                      f"Message-ID: <big-{i}@example.org>\r\n\r\n").encode()
            line = (f"{i:02d}" + "z" * 996 + "\r\n").encode()
            count = (MAX_KB * 1024 - len(header) - 64) // len(line)
            messages.append(header + line * count)
        rss_before = vm_kb(pid, "VmRSS")
        peak = [rss_before]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], vm_kb(pid, "VmRSS"))
                time.sleep(0.02)

        def send(message, replies, index):
            replies[index] = self.smtp_session(
                b"EHLO client.example.org\r\nMAIL FROM:<big@example.org> SIZE=" + str(len(message)).encode() +
                b"\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\n" + message + b".\r\nQUIT\r\n")

        sampler = threading.Thread(target=sample)
        sampler.start()
        replies = [None] * CONCURRENT
        started = time.time()
        senders = [threading.Thread(target=send, args=(m, replies, i)) for i, m in enumerate(messages)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        elapsed = time.time() - started
        # Until the Router has delivered all four.
        delivered = wait_until(lambda: len([m for m in self.jane.messages() if m["subject"].startswith("big-")])
                               >= CONCURRENT, timeout=60)
        stop.set()
        sampler.join()
        rise_mb = (peak[0] - rss_before) / 1024
        figures = (f"{CONCURRENT} x {len(messages[0]) / 1e6:.1f} MB sent in {elapsed:.1f} s, delivered after "
                   f"{time.time() - started:.1f} s: RSS {rss_before / 1024:.1f} MB"
                   f" -> peak {peak[0] / 1024:.1f} MB (+{rise_mb:.1f}), VmHWM {vm_kb(pid, 'VmHWM') / 1024:.1f} MB")
        print("\n" + figures)
        for r in replies:
            self.assertIn(b"250 2.0.0 Ok: queued", b"".join(r), r)
        self.assertTrue(delivered, "not all delivered:\n" + self.server.output()[-3000:])
        self.assertLess(rise_mb, RSS_BOUND_MB, figures)
        # Intact, byte for byte, in the mail file: all four as stored (the body files the
        # notes refer to, mail_store.h), one also as its owner reads it through the API
        # (after the measurement: the API returns whole bodies).
        listed = {m["subject"]: m for m in self.jane.messages()}
        bodies = os.path.join(self.data, "mail", "jadmin.nsf.bodies")
        for i, message in enumerate(messages):
            entry = listed[f"big-{i}"]
            self.assertEqual(entry["size"], len(message))
            with open(os.path.join(bodies, entry["unid"]), "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).digest(), hashlib.sha256(message).digest(), f"big-{i}")
        self.assertEqual(self.jane.raw(listed["big-3"]["unid"]), messages[3])
        self.assertEqual(os.listdir(os.path.join(self.data, "mail.box.spool")), [])  # nothing left behind


    def test_a_large_message_cut_off_or_too_big_leaves_no_spool_file(self):
        spool = os.path.join(self.data, "mail.box.spool")
        start = (b"EHLO client.example.org\r\nMAIL FROM:<cut@example.org>\r\nRCPT TO:<jane@acme.example>\r\n"
                 b"DATA\r\n")
        chunk = b"c" * 998 + b"\r\n"
        # The client goes away in the middle of a 2 MB message (spooled to a file by then).
        with socket.create_connection(("127.0.0.1", self.smtp_port), timeout=30) as sock:
            sock.sendall(start + chunk * 2048)
            self.assertTrue(wait_until(lambda: os.path.isdir(spool) and os.listdir(spool), timeout=10), "nothing was spooled")
        self.assertTrue(wait_until(lambda: os.listdir(spool) == [], timeout=10), os.listdir(spool))
        # A message over SMTPMaxMessageSizeKB is refused and its spool file removed.
        replies = self.smtp_session(start + chunk * (MAX_KB * 1024 // len(chunk) + 10) + b".\r\nQUIT\r\n")
        self.assertTrue(any(r.startswith(b"552 5.3.4") for r in replies), replies)
        self.assertEqual(os.listdir(spool), [])


if __name__ == "__main__":
    unittest.main()
