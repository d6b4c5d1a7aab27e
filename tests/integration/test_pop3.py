"""Issue 16 part 3: the POP3 task, through real clients (Python's poplib and curl).

Mail reaches Jane's INBOX over SMTP; she reads it over POP3 with STLS on POP3Port and with
implicit TLS on POP3SSLPort: USER/PASS before STLS is refused with [AUTH], a wrong password
is refused, STAT/LIST/UIDL/RETR give the delivered message byte for byte (and a message
signed by an outside person still verifies with `openssl cms -verify`), TOP cuts the body,
DELE then RSET keeps a message, DELE then QUIT removes it (`notes mail list` agrees), a
connection dropped after DELE removes nothing, RETR marks the message read, UIDL survives
a restart, and bad input (a 100 KB line, an unknown command, half a command and then
silence) gets -ERR or a close after the timeout (Test_POP3IdleTimeoutSeconds).

Passwords reach curl through a --netrc-file only, and never appear in console.log.
Hermetic: 127.0.0.1 only, ports chosen at run time."""
import json
import os
import poplib
import select
import smtplib
import socket
import ssl
import subprocess
import time
import unittest

from mail_harness import Server, free_port, start_mail_server, wait_until
from smime_harness import OutsidePki, crlf, openssl

PASSWORD = "Jane-Pop3-Secret-4711"
USER = "jane@acme.example"
IDLE_SECONDS = 3


def outside_message(subject, body=b"hello"):
    return (b"From: Outside Person <outside@example.org>\r\nTo: Jane Admin <jane@acme.example>\r\n"
            b"Subject: " + subject.encode() + b"\r\nMessage-ID: <" + subject.encode() +
            b"@example.org>\r\n\r\n" + body + b"\r\n")


def no_verify_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Pop3Test(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.pop3_port, cls.pop3s_port = free_port(), free_port()
        start_mail_server(cls, settings={
            "POP3Port": cls.pop3_port, "POP3SSLPort": cls.pop3s_port, "POP3Address": "127.0.0.1",
            "Test_POP3IdleTimeoutSeconds": IDLE_SECONDS, "InternetLockout_MaxTriesPerAddress": 1000,
            "InternetLockout_MaxTries": 1000,
            "POP3MaxSessionsPerIP": 3}, tasks="HTTP,Router,SMTP,POP3")
        cls.wait_for_pop3(cls.server)
        rc, out, err = cls.admin.run("admin", "person", "set-internet-password", "Jane Admin", "--password-stdin",
                                     input=PASSWORD + "\n")
        if rc != 0:
            raise AssertionError(out + err)
        cls.netrc = os.path.join(cls.tmp.path, "netrc")
        with open(cls.netrc, "w") as f:
            f.write(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
        os.chmod(cls.netrc, 0o600)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    @staticmethod
    def wait_for_pop3(server):
        if not server.wait_for_output("Listening for POP3 over TLS on 127.0.0.1"):
            raise AssertionError("POP3 did not start:\n" + server.output())

    # ---- helpers

    def notes_list(self):
        rc, out, err = self.admin.run("mail", "list", "--json")
        self.assertEqual(rc, 0, out + err)
        return json.loads(out)

    def deliver(self, *messages):
        before = len(self.notes_list())
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.example.org", timeout=20) as s:
            for message in messages:
                s.sendmail("outside@example.org", [USER], message)
        self.assertTrue(wait_until(lambda: len(self.notes_list()) >= before + len(messages), timeout=30),
                        self.server.output())

    def login(self, implicit=False):
        if implicit:
            client = poplib.POP3_SSL("127.0.0.1", self.pop3s_port, context=no_verify_context(), timeout=20)
        else:
            client = poplib.POP3("127.0.0.1", self.pop3_port, timeout=20)
            client.stls(no_verify_context())
        client.user(USER)
        client.pass_(PASSWORD)
        return client

    def retr(self, client, number):
        """RETR through poplib, the lines joined back with CRLF (poplib undoes the dot-stuffing)."""
        _, lines, _ = client.retr(number)
        return b"".join(line + b"\r\n" for line in lines)

    def curl(self, url, *args, check=True):
        done = subprocess.run(["curl", "-sS", "--max-time", "30", "-k", "--netrc-file", self.netrc, *args, url],
                              capture_output=True)
        if check:
            self.assertEqual(done.returncode, 0, done.stderr.decode(errors="replace"))
        return done

    def index_of(self, client, message_bytes):
        for number in range(1, len(client.list()[1]) + 1):
            if self.retr(client, number) == message_bytes:
                return number
        self.fail("message not in the maildrop")

    def stat(self, name):
        rc, out, err = self.server.command(f"show stat {name}")
        self.assertEqual(rc, 0, err)
        for line in out.splitlines():
            if line.strip().startswith(name + " = "):
                return int(line.split("=")[1])
        return 0

    # ---- tests

    def test_1_no_login_before_tls_and_wrong_passwords(self):
        client = poplib.POP3("127.0.0.1", self.pop3_port, timeout=20)
        self.assertTrue(client.getwelcome().startswith(b"+OK"))
        caps = client.capa()
        self.assertIn("STLS", caps)
        self.assertNotIn("USER", caps)
        self.assertIn("UIDL", caps)
        self.assertIn("RESP-CODES", caps)
        with self.assertRaises(poplib.error_proto) as refused:
            client.user(USER)
        self.assertTrue(str(refused.exception).startswith("b'-ERR [AUTH]"), refused.exception)
        with self.assertRaises(poplib.error_proto):
            client.pass_(PASSWORD)
        client.stls(no_verify_context())
        self.assertIn("USER", client.capa())
        self.assertNotIn("STLS", client.capa())
        client.user(USER)
        with self.assertRaises(poplib.error_proto) as wrong:
            client.pass_("not-the-password")
        self.assertIn("-ERR [AUTH] invalid user name or password", str(wrong.exception))
        client.user(USER)
        client.pass_(PASSWORD)
        client.quit()
        # curl with --ssl-reqd on the plain port, a wrong password in its netrc.
        bad_netrc = os.path.join(self.tmp.path, "bad-netrc")
        with open(bad_netrc, "w") as f:
            f.write(f"machine 127.0.0.1 login {USER} password wrong-one\n")
        done = subprocess.run(["curl", "-sS", "--max-time", "30", "-k", "--ssl-reqd", "--netrc-file", bad_netrc,
                               f"pop3://127.0.0.1:{self.pop3_port}/"], capture_output=True)
        self.assertEqual(done.returncode, 67, done.stderr)  # CURLE_LOGIN_DENIED
        with open(os.path.join(self.data, "console.log"), errors="replace") as f:
            log = f.read()
        self.assertIn("Internet login failed for", log)
        self.assertNotIn(PASSWORD, log)
        self.assertNotIn("not-the-password", log)
        self.assertNotIn("wrong-one", log)

    def test_2_stat_list_uidl_retr_top_byte_exact(self):
        message = outside_message("pop3 exact", b"line one\r\n.a line with a dot\r\n..two dots\r\n\r\nlast line")
        self.deliver(message)
        client = self.login()
        count, octets = client.stat()
        listing = client.list()[1]
        self.assertEqual(len(listing), count)
        sizes = [int(entry.split()[1]) for entry in listing]
        self.assertEqual(sum(sizes), octets)
        number = self.index_of(client, message)
        self.assertEqual(sizes[number - 1], len(message))
        uidl = client.uidl(number).split()[2].decode()
        unread = {m["unid"]: m for m in self.notes_list()}
        self.assertIn(uidl, unread)  # the UIDL is the message's UNID
        self.assertFalse(unread[uidl]["unread"])  # RETR marked it read
        self.assertEqual(self.jane.raw(uidl), message)  # the same bytes as the client API
        _, top, _ = client.top(number, 1)
        self.assertEqual(b"".join(line + b"\r\n" for line in top), message.split(b"\r\n\r\n")[0] + b"\r\n\r\nline one\r\n")
        client.quit()

        # curl: RETR over STLS (--ssl-reqd) and over implicit TLS, UIDL and TOP with -X.
        for url in (f"pop3://127.0.0.1:{self.pop3_port}/{number}", f"pop3s://127.0.0.1:{self.pop3s_port}/{number}"):
            self.assertEqual(self.curl(url, "--ssl-reqd").stdout, message, url)
        # curl takes SASL PLAIN when CAPA offers it (poplib above used USER/PASS).
        for login in ("AUTH=PLAIN", "AUTH=*"):
            self.assertEqual(self.curl(f"pop3s://127.0.0.1:{self.pop3s_port}/{number}", "--login-options", login).stdout,
                             message, login)
        uidl_out = self.curl(f"pop3s://127.0.0.1:{self.pop3s_port}/", "-X", "UIDL").stdout.decode()
        self.assertIn(f"{number} {uidl}", uidl_out)
        top_out = self.curl(f"pop3s://127.0.0.1:{self.pop3s_port}/", "-X", f"TOP {number} 0").stdout
        self.assertEqual(top_out, message.split(b"\r\n\r\n")[0] + b"\r\n\r\n")
        self.assertGreaterEqual(self.stat("POP3.Messages.Retrieved"), 3)
        self.assertGreaterEqual(self.stat("POP3.Logins.Succeeded"), 2)

    def test_3_signed_message_still_verifies(self):
        pki = OutsidePki(os.path.join(self.tmp.path, "outside-pki"))
        cert, key = pki.person("outside", "Outside Person", "outside@example.org")
        body = os.path.join(self.tmp.path, "signed-body.txt")
        with open(body, "wb") as f:
            f.write(b"A signed note for Jane.\r\n.A line that starts with a dot.\r\n")
        signed = openssl("cms", "-sign", "-signer", cert, "-inkey", key, "-in", body, "-text")
        message = crlf(b"From: Outside Person <outside@example.org>\r\nTo: Jane Admin <jane@acme.example>\r\n"
                       b"Subject: signed over pop3\r\n" + signed)
        self.deliver(message)
        client = self.login(implicit=True)
        number = self.index_of(client, message)
        client.quit()
        fetched = self.curl(f"pop3s://127.0.0.1:{self.pop3s_port}/{number}").stdout
        self.assertEqual(fetched, message)
        path = os.path.join(self.tmp.path, "fetched.eml")
        with open(path, "wb") as f:
            f.write(fetched)
        done = subprocess.run(["openssl", "cms", "-verify", "-in", path, "-CAfile", pki.root, "-out", os.devnull],
                              capture_output=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(b"Verification successful", done.stderr)

    def test_4_dele_applies_only_at_quit(self):
        keep, drop, dropped_conn = (outside_message(s) for s in ("pop3 keep", "pop3 drop", "pop3 dropped conn"))
        self.deliver(keep, drop, dropped_conn)

        # DELE then RSET keeps it.
        client = self.login()
        count = client.stat()[0]
        client.dele(self.index_of(client, keep))
        self.assertEqual(client.stat()[0], count - 1)
        client.rset()
        self.assertEqual(client.stat()[0], count)
        client.quit()

        # DELE then a dropped connection removes nothing.
        client = self.login()
        client.dele(self.index_of(client, dropped_conn))
        client.sock.close()
        time.sleep(0.5)
        subjects = [m["subject"] for m in self.notes_list()]
        self.assertIn("pop3 dropped conn", subjects)
        self.assertIn("pop3 keep", subjects)

        # DELE then QUIT removes it, and only it; notes mail list agrees.
        client = self.login()
        count = client.stat()[0]
        client.dele(self.index_of(client, drop))
        self.assertIn(b"1 messages deleted", client.quit())
        subjects = [m["subject"] for m in self.notes_list()]
        self.assertNotIn("pop3 drop", subjects)
        self.assertIn("pop3 keep", subjects)
        self.assertIn("pop3 dropped conn", subjects)
        client = self.login()
        self.assertEqual(client.stat()[0], count - 1)
        client.quit()
        self.assertGreaterEqual(self.stat("POP3.Messages.Deleted"), 1)

    def test_4b_show_users_and_drop(self):
        marked = outside_message("pop3 kept through a drop")
        self.deliver(marked)
        client = self.login(implicit=True)
        try:
            client.dele(self.index_of(client, marked))
            rc, out, err = self.server.command("show users")
            self.assertEqual(rc, 0, err)
            rows = [line for line in out.splitlines() if " POP3 " in line]
            self.assertTrue(rows and "mail/" in rows[0] and not rows[0].strip().startswith("(not signed in)"), out)
            rc, out, err = self.server.command("drop all")
            self.assertEqual(rc, 0, err)
            with self.assertRaises((poplib.error_proto, OSError)):
                client.noop()
                client.noop()
        finally:
            try:
                client.close()
            except OSError:
                pass
        # A dropped session never reaches UPDATE: its DELE is not applied.
        client = self.login()
        try:
            self.index_of(client, marked)
        finally:
            client.quit()

    def test_5_bad_input(self):
        def connect():
            sock = socket.create_connection(("127.0.0.1", self.pop3_port), timeout=20)
            reader = sock.makefile("rb")
            self.assertTrue(reader.readline().startswith(b"+OK"))
            return sock, reader

        sock, reader = connect()
        sock.sendall(b"XYZZY\r\n")
        self.assertEqual(reader.readline(), b"-ERR unknown command\r\n")
        sock.sendall(b"NOOP\r\n")  # not before login
        self.assertTrue(reader.readline().startswith(b"-ERR"))
        # Pipelined commands are answered in order.
        sock.sendall(b"CAPA\r\nXYZZY\r\nCAPA\r\n")
        for _ in range(2):
            self.assertTrue(reader.readline().startswith(b"+OK"))
            while reader.readline() != b".\r\n":
                pass
            if _ == 0:
                self.assertEqual(reader.readline(), b"-ERR unknown command\r\n")
        sock.sendall(b"A" * 100_000 + b"\r\n")
        self.assertTrue(reader.readline().startswith(b"-ERR command line too long"))
        self.assertEqual(reader.read(), b"")  # closed
        sock.close()

        # Half a command, then silence: closed after the timeout, with a last -ERR.
        sock, reader = connect()
        started = time.monotonic()
        sock.sendall(b"US")
        last = reader.readline()
        elapsed = time.monotonic() - started
        self.assertTrue(last.startswith(b"-ERR"), last)
        self.assertEqual(reader.read(), b"")
        self.assertGreaterEqual(elapsed, IDLE_SECONDS - 0.5)
        self.assertLess(elapsed, IDLE_SECONDS + 10)
        sock.close()
        # A trickle of bytes does not extend the deadline: the line's clock started at the greeting.
        sock, reader = connect()
        started, answered = time.monotonic(), None
        for _ in range(IDLE_SECONDS * 4):
            try:
                sock.sendall(b"N")
            except OSError:
                answered = time.monotonic()
                break
            time.sleep(0.5)
            if select.select([sock], [], [], 0)[0]:
                answered = time.monotonic()
                break
        self.assertIsNotNone(answered, "a trickling client was never cut off")
        self.assertGreaterEqual(answered - started, IDLE_SECONDS - 0.5)
        self.assertLess(answered - started, IDLE_SECONDS + 2)
        sock.close()
        self.assertGreaterEqual(self.stat("POP3.Sessions.TimedOut"), 1)

    def test_5b_sessions_per_address_are_capped(self):
        self.assertTrue(wait_until(lambda: self.stat("POP3.Sessions.Current") == 0), self.server.output())
        held = []
        try:
            for _ in range(3):
                sock = socket.create_connection(("127.0.0.1", self.pop3_port), timeout=20)
                held.append(sock)
                self.assertTrue(sock.makefile("rb").readline().startswith(b"+OK"))
            with socket.create_connection(("127.0.0.1", self.pop3_port), timeout=20) as refused:
                reader = refused.makefile("rb")
                self.assertTrue(reader.readline().startswith(b"-ERR [SYS/TEMP] "))
                self.assertEqual(reader.read(), b"")
        finally:
            for sock in held:
                sock.close()
        self.assertGreaterEqual(self.stat("POP3.Sessions.RefusedPerAddress"), 1)

    def test_6_uidl_stable_across_a_restart(self):
        self.deliver(outside_message("pop3 restart"))
        client = self.login()
        before = client.uidl()[1]
        client.quit()
        self.__class__.server.stop()
        self.__class__.server = Server(self.data).wait_ready()
        self.wait_for_pop3(self.server)
        client = self.login(implicit=True)
        self.assertEqual(client.uidl()[1], before)
        client.quit()
        rc, out, err = self.server.command("show tasks")
        self.assertEqual(rc, 0, err)
        self.assertIn("POP3 Server", out)
        self.assertIn(f"TCP Port:{self.pop3_port} and {self.pop3s_port} (TLS)", out)
        rc, out, err = self.server.command("tell pop3 stat")
        self.assertEqual(rc, 0, err)
        self.assertIn("POP3.Logins.Succeeded = ", out)


if __name__ == "__main__":
    unittest.main()
