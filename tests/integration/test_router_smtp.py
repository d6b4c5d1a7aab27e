"""Issue 6: mail routing through the real server. Outside SMTP clients (Python's smtplib,
swaks) send to local users over the SMTP listener; Notes users deposit mail through the
client API; the Router delivers into mail files byte for byte, reports unknown
recipients with a DSN, and sends Internet mail to a small SMTP sink standing in for the
outside mail host (down at first: retries). A restart with mail in mail.box delivers
every message exactly once."""
import json
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import time
import unittest

from mail_harness import (ApiUser, SmtpSink, make_self_signed, register_api_user, set_ini, set_up_mail_data,
                          start_mail_server, wait_until)
from notesd_harness import Server, TempDir, free_port

LOCAL_MESSAGE = (b"From: Outside Person <outside@example.org>\r\n"
                 b"To: Jane Admin <jane@acme.example>\r\n"
                 b"Subject: byte for byte\r\n"
                 b"Date: Sun, 29 Nov 2026 02:54:00 +0000\r\n"
                 b"Message-ID: <exact-1@example.org>\r\n"
                 b"MIME-Version: 1.0\r\n"
                 b"Content-Type: text/plain; charset=utf-8\r\n"
                 b"Content-Transfer-Encoding: 8bit\r\n\r\n"
                 b"caf\xc3\xa9 line\r\n"
                 b".a line starting with a dot\r\n"
                 b"trailing spaces   \r\n"
                 b"\tand a tab\r\n")


def message(subject, to="jane@acme.example", body=b"hello\r\n", author=b"Jane Admin <jane@acme.example>"):
    return (b"From: " + author + b"\r\nTo: " + to.encode() + b"\r\nSubject: " + subject.encode() +
            b"\r\nMessage-ID: <" + subject.encode() + b"@acme.example>\r\n\r\n" + body)


def outside_message(subject, **kw):
    """A message from outside, as it comes over SMTP (a local From is refused there)."""
    return message(subject, author=b"Outside Person <outside@example.org>", **kw)


class MailServerTest(unittest.TestCase):
    """One server for the class: HTTP, Router and SMTP."""

    @classmethod
    def setUpClass(cls):
        cls.sink_port = free_port()
        start_mail_server(cls, {"SMTPMaxMessageSizeKB": 64, "SMTPRelayHost": "127.0.0.1",
                                "SMTPRelayPort": cls.sink_port, "RouterRetryIntervalSeconds": 1,
                                "RouterRetryMaxSeconds": 2, "RouterTimeoutSeconds": 10})
        cls.john = register_api_user(cls, "John Roe", "jroe", "john@acme.example")
        cls.sink_cert = make_self_signed(cls.tmp.path)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def smtp(self):
        return smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.example.org", timeout=20)

    def wait_for_mail(self, user, predicate, timeout=20):
        found = wait_until(lambda: [raw for raw in user.raw_messages() if raw is not None and predicate(raw)],
                           timeout=timeout)
        self.assertTrue(found, "message not delivered:\n" + self.server.output()[-3000:])
        return found

    # --- inbound --------------------------------------------------------------------------

    def test_smtplib_message_is_delivered_byte_for_byte(self):
        with self.smtp() as s:
            code, banner = s.ehlo()
            self.assertEqual(code, 250)
            for ext in (b"SIZE 65536", b"8BITMIME", b"PIPELINING", b"ENHANCEDSTATUSCODES", b"STARTTLS"):
                self.assertIn(ext, banner)
            refused = s.sendmail("outside@example.org", ["jane@acme.example"], LOCAL_MESSAGE)
            self.assertEqual(refused, {})
        found = self.wait_for_mail(self.jane, lambda raw: b"exact-1@example.org" in raw)
        self.assertEqual(found[0], LOCAL_MESSAGE)
        listed = [m for m in self.jane.messages() if m["subject"] == "byte for byte"]
        self.assertEqual(listed[0]["from"], "Outside Person <outside@example.org>")
        self.assertEqual(listed[0]["size"], len(LOCAL_MESSAGE))
        self.assertEqual(listed[0]["sender"], "outside@example.org")

    def test_swaks_sends_to_a_local_user(self):
        if not shutil.which("swaks"):
            self.skipTest("swaks is not installed (scripts/install-deps.sh installs it)")
        body = os.path.join(self.tmp.path, "swaks.txt")
        with open(body, "w") as f:
            f.write("From: outside@example.org\nTo: john@acme.example\nSubject: via swaks\n"
                    "Message-ID: <swaks-1@example.org>\n\nhello John\n.dot\n")
        done = subprocess.run(["swaks", "--server", f"127.0.0.1:{self.smtp_port}", "--from", "outside@example.org",
                               "--to", "john@acme.example", "--helo", "swaks.example.org", "--data", "@" + body],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        found = self.wait_for_mail(self.john, lambda raw: b"swaks-1@example.org" in raw)
        # swaks turns LF into CRLF and always appends one more CRLF (interop notes).
        expected = (b"From: outside@example.org\r\nTo: john@acme.example\r\nSubject: via swaks\r\n"
                    b"Message-ID: <swaks-1@example.org>\r\n\r\nhello John\r\n.dot\r\n\r\n")
        self.assertEqual(found[0], expected)

    def test_starttls_with_the_server_certificate(self):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with self.smtp() as s:
            s.starttls(context=context)
            self.assertIn("TLS", s.sock.version())
            code, banner = s.ehlo()
            self.assertNotIn(b"STARTTLS", banner)
            s.sendmail("outside@example.org", ["jane@acme.example"], outside_message("over-tls"))
        self.wait_for_mail(self.jane, lambda raw: b"over-tls@acme.example" in raw)

    def test_unknown_local_recipient_is_refused_at_rcpt(self):
        with self.smtp() as s:
            s.ehlo()
            s.mail("outside@example.org")
            code, text = s.rcpt("nobody@acme.example")
            self.assertEqual(code, 550)
            self.assertIn(b"5.1.1", text)
            code, _ = s.rcpt("jane@acme.example")  # the session goes on
            self.assertEqual(code, 250)

    def test_relaying_is_refused(self):
        with self.smtp() as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
                s.sendmail("outside@example.org", ["someone@elsewhere.example"], outside_message("relay"))
            code, text = refused.exception.recipients["someone@elsewhere.example"]
            self.assertEqual(code, 550)
            self.assertIn(b"5.7.1", text)

    def test_oversized_mail_is_refused_at_mail_with_size_and_at_data_without(self):
        big = outside_message("big", body=b"x" * 70 * 1024 + b"\r\n")
        with self.smtp() as s:
            with self.assertRaises(smtplib.SMTPSenderRefused) as refused:
                s.sendmail("outside@example.org", ["jane@acme.example"], big)  # smtplib sends SIZE=
            self.assertEqual(refused.exception.smtp_code, 552)
        with self.smtp() as s:
            s.ehlo()
            self.assertEqual(s.mail("outside@example.org")[0], 250)  # no SIZE parameter
            self.assertEqual(s.rcpt("jane@acme.example")[0], 250)
            code, text = s.data(big)
            self.assertEqual(code, 552)
            self.assertIn(b"5.3.4", text)
            self.assertEqual(s.noop()[0], 250)

    def test_bad_commands_and_long_lines_keep_the_session(self):
        with self.smtp() as s:
            s.ehlo()
            self.assertEqual(s.docmd("FROB")[0], 500)
            self.assertEqual(s.docmd("NOOP " + "x" * 2000)[0], 500)
            self.assertEqual(s.docmd("VRFY jane")[0], 252)
            self.assertEqual(s.noop()[0], 250)

    # --- Notes users, outbound, reports -----------------------------------------------------

    def test_notes_user_sends_to_a_local_user(self):
        code, body = self.jane.deposit(["John Roe"], message("jane-to-john", to="John Roe <john@acme.example>"))
        self.assertEqual(code, 200, body)
        found = self.wait_for_mail(self.john, lambda raw: b"jane-to-john@acme.example" in raw)
        self.assertEqual(found[0], message("jane-to-john", to="John Roe <john@acme.example>"))

    def test_a_notes_name_nobody_has_is_refused_at_send_time(self):
        rc, out, err = self.admin.run("mail", "send", "--to", "John Roe", "--to", "Joan Nobody", "--subject",
                                      "typo", "--body", "x")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("no person or group named 'Joan Nobody' in the directory", err)
        code, body = self.jane.deposit(["Joan Nobody"], message("to-nobody", to="Joan <joan@acme.example>"))
        self.assertEqual(code, 404, body)
        # Nothing was deposited, so no delivery failure report comes back later.
        rc, out, err = self.admin.run("mail", "list", "--json")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("typo", [m["subject"] for m in json.loads(out)])

    def test_notes_mail_send_list_and_read(self):
        attachment = os.path.join(self.tmp.path, "report.bin")
        with open(attachment, "wb") as f:
            f.write(bytes(range(256)))
        rc, out, err = self.admin.run("mail", "send", "--to", "John Roe", "--subject", "from the cli",
                                      "--body", "Hello John,\nsee attached.", "--attach", attachment)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("deposited in mail.box", out)
        found = self.wait_for_mail(self.john, lambda raw: b"Subject: from the cli" in raw)
        raw = found[0]
        self.assertIn(b"From: Jane Admin <jane@acme.example>\r\n", raw)
        self.assertIn(b"Content-Type: multipart/mixed;", raw)
        self.assertIn(b"Hello John,\r\nsee attached.\r\n", raw)
        self.assertIn(b'filename="report.bin"', raw)
        # A message from an outside program comes out of `notes mail read` as it went in.
        original = outside_message("cli-read", body=b"exact \xc3\xa9\r\n.dot\r\n")
        with self.smtp() as s:
            s.sendmail("outside@example.org", ["jane@acme.example"], original)
        self.wait_for_mail(self.jane, lambda r: b"cli-read@acme.example" in r)
        rc, out, err = self.admin.run("mail", "list", "--json")
        self.assertEqual(rc, 0, err)
        subjects = [m["subject"] for m in json.loads(out)]
        number = subjects.index("cli-read") + 1
        rc, out, err = self.admin.run("mail", "list")
        self.assertIn("cli-read", out)
        saved = os.path.join(self.tmp.path, "cli-read.eml")
        rc, out, err = self.admin.run("mail", "read", str(number), "--out", saved)
        self.assertEqual(rc, 0, out + err)
        with open(saved, "rb") as f:
            self.assertEqual(f.read(), original)
        rc, out, err = self.admin.run("mail", "read", str(number))
        self.assertEqual(rc, 0, err)
        self.assertIn("Subject:", out)
        self.assertIn("cli-read", out)
        rc, _, err = self.admin.run("mail", "read", "9999")
        self.assertEqual(rc, 1)
        self.assertIn("no message 9999", err)

    def test_encoded_subject_and_rfc2231_file_name_are_shown_decoded(self):
        """An smtplib message with RFC 2047 words in Subject and From and an RFC 2231
        attachment name: `notes mail list` and `read` show them decoded; a damaged word
        stays as written."""
        boundary = b"b-2231"
        original = (b"From: =?iso-8859-1?q?J=FCrgen?= Outside <outside@example.org>\r\n"
                    b"To: jane@acme.example\r\n"
                    b"Subject: =?utf-8?b?R3LDvMOfZSDigqw=?= =?utf-8?q?_aus_K=C3=B6ln?=\r\n"
                    b"Message-ID: <encoded-words@example.org>\r\nMIME-Version: 1.0\r\n"
                    b"Content-Type: multipart/mixed; boundary=\"" + boundary + b"\"\r\n\r\n"
                    b"--" + boundary + b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n"
                    b"--" + boundary + b"\r\nContent-Type: application/pdf\r\n"
                    b"Content-Disposition: attachment;\r\n filename*0*=utf-8''%E2%82%AC%20rates;\r\n"
                    b" filename*1=\".pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
                    b"--" + boundary + b"--\r\n")
        damaged = outside_message("=?utf-8?b?!!!?= kept")
        with self.smtp() as s:
            s.sendmail("outside@example.org", ["jane@acme.example"], original)
            s.sendmail("outside@example.org", ["jane@acme.example"], damaged)
        self.wait_for_mail(self.jane, lambda r: b"encoded-words@example.org" in r)
        self.wait_for_mail(self.jane, lambda r: b"=?utf-8?b?!!!?= kept" in r)
        rc, out, err = self.admin.run("mail", "list", "--json")
        self.assertEqual(rc, 0, err)
        listed = json.loads(out)
        subjects = [m["subject"] for m in listed]
        self.assertIn("Grüße € aus Köln", subjects)
        self.assertIn("=?utf-8?b?!!!?= kept", subjects)
        number = subjects.index("Grüße € aus Köln") + 1
        self.assertEqual(listed[number - 1]["from"], "Jürgen Outside <outside@example.org>")
        rc, out, err = self.admin.run("mail", "list")
        self.assertEqual(rc, 0, err)
        self.assertIn("Grüße € aus Köln", out)
        rc, out, err = self.admin.run("mail", "read", str(number))
        self.assertEqual(rc, 0, err)
        self.assertIn("Grüße € aus Köln", out)
        self.assertIn("Jürgen Outside", out)
        self.assertIn("Attachment: € rates.pdf (application/pdf, 9 bytes)", out)
        self.assertNotIn("(unnamed)", out)

    def test_outbound_mail_reaches_the_sink_after_the_relay_was_down(self):
        original = message("outbound-1", to="friend@outside.example",
                           body=b"line\r\n.starts with a dot\r\n8bit \xe2\x82\xac\r\n")
        code, body = self.jane.deposit(["friend@outside.example"], original)
        self.assertEqual(code, 200, body)
        # The sink is down: the Router records the failure and retries.
        self.assertTrue(wait_until(lambda: "last error" in self.server.command("tell router show queues")[1]),
                        self.server.command("tell router show queues")[1])
        rc, out, _ = self.server.command("show stat Mail.*")
        self.assertIn("Mail.WaitingForTransfer = 1", out)
        sink = SmtpSink(self.sink_port, *self.sink_cert).start()
        try:
            got = wait_until(lambda: [m for m in sink.received() if b"outbound-1@acme.example" in m[2]], timeout=30)
            self.assertTrue(got, self.server.output()[-3000:])
            sender, rcpts, data, tls = got[0]
            self.assertEqual(sender, "jane@acme.example")
            self.assertEqual(rcpts, ["friend@outside.example"])
            self.assertTrue(data.startswith(b"Received: from Jane Admin/Acme"))
            self.assertTrue(data.endswith(b"\r\n" + original), data)
            self.assertTrue(tls, "STARTTLS was offered, so the Router should have used it")
            self.assertTrue(wait_until(lambda: "Mail.WaitingForTransfer = 0" in self.server.command("show stat Mail.*")[1]))
            rc, out, _ = self.server.command("show stat Mail.Transferred")
            self.assertNotIn("Mail.Transferred = 0", out)
        finally:
            sink.stop()

    def test_unknown_local_recipient_of_deposited_mail_gets_a_dsn(self):
        code, body = self.jane.deposit(["nobody@acme.example"], message("to-nobody", to="nobody@acme.example"))
        self.assertEqual(code, 200, body)
        found = self.wait_for_mail(self.jane, lambda raw: b"Message-ID: <to-nobody@acme.example>" in raw
                                   and b"multipart/report" in raw)
        dsn = found[0]
        self.assertIn(b"Content-Type: multipart/report; report-type=delivery-status;", dsn)
        self.assertIn(b"Final-Recipient: rfc822; nobody@acme.example\r\nAction: failed\r\nStatus: 5.1.1", dsn)
        self.assertIn(b"Reporting-MTA: dns; mx.acme.example", dsn)
        listed = [m for m in self.jane.messages() if m["subject"] == "Undeliverable message"]
        self.assertTrue(listed)
        self.assertEqual(listed[0]["sender"], "")

    def test_deposit_is_refused_without_recipients_or_header(self):
        self.assertEqual(self.jane.deposit([], message("x"))[0], 400)
        self.assertEqual(self.jane.call("POST", "/api/v1/mail/deposit",
                                        {"recipients": ["jroe"], "message_base64": "!!!"})[0], 400)

    # --- console ------------------------------------------------------------------------------

    def test_console_commands_and_statistics(self):
        rc, out, err = self.server.command("tell router show queues")
        self.assertEqual(rc, 0, err)
        self.assertIn("Mail routing queues (mail.box)", out)
        self.assertIn(f"127.0.0.1:{self.sink_port}", out)
        rc, out, err = self.server.command("tell router delivery stats")
        self.assertEqual(rc, 0, err)
        self.assertIn("Messages delivered to mail files:", out)
        rc, out, err = self.server.command("tell router update config")
        self.assertEqual(rc, 0, err)
        self.assertIn("configuration updated", out)
        rc, out, err = self.server.command("tell router frobnicate")
        self.assertEqual(rc, 1)
        rc, out, err = self.server.command("show directory")
        self.assertEqual(rc, 0, err)
        listed = {line.split()[0] for line in out.splitlines()[2:-1]}
        self.assertTrue({"names.nsf", "mail.box", "log.nsf", "mail/jadmin.nsf"} <= listed, out)
        rc, out, err = self.server.command("tell router show dead")
        self.assertEqual((rc, out.strip()), (0, "Dead mail in mail.box: 0 message(s)"), err)
        rc, out, err = self.server.command("t router rel dead *")
        self.assertEqual(rc, 0, err)
        self.assertIn("Router: 0 dead message(s) released for routing", out)
        rc, out, err = self.server.command("tell router purge dead 0123456789ABCDEF0123456789ABCDEF")
        self.assertEqual(rc, 1)
        self.assertIn("no dead message 0123456789ABCDEF0123456789ABCDEF in mail.box", err)
        rc, out, err = self.server.command("tell router purge dead")
        self.assertEqual(rc, 1)
        rc, out, _ = self.server.command("show stat Mail.*")
        for name in ("Mail.Delivered", "Mail.Transferred", "Mail.Dead", "Mail.Waiting", "Mail.TotalFailures"):
            self.assertIn(name + " = ", out)
        wildcard_names = sorted(line.split(" = ")[0].strip() for line in out.splitlines())
        rc, out, _ = self.server.command("show stat mail")  # Domino's Show Stat Mail: every Mail.* statistic
        self.assertEqual(rc, 0, out)
        self.assertEqual(sorted(line.split(" = ")[0].strip() for line in out.splitlines()), wildcard_names)
        rc, out, _ = self.server.command("show server")
        self.assertRegex(out, r"Pending mail: \d+ +Dead mail: \d+")
        self.assertRegex(out, r"Transactions/minute: +Last minute: \d+; Last hour: \d+; Peak: \d+")
        rc, out, _ = self.server.command("show stat SMTP.*")
        self.assertIn("SMTP.Sessions.Total = ", out)
        self.assertIn("SMTP.Messages.Received = ", out)
        rc, out, _ = self.server.command("show tasks")
        self.assertIn("SMTP Server", out)
        self.assertIn("Router", out)


class SmtpLimitsTest(unittest.TestCase):
    """Session cap and idle timeout: misbehaving clients hold only their own sessions."""

    def test_session_cap_and_idle_timeout(self):
        tmp = TempDir()
        try:
            data = os.path.join(tmp.path, "server")
            _, smtp_port = set_up_mail_data(data, "SMTP", {"SMTPMaxSessions": 2, "SMTPIdleTimeoutSeconds": 2})
            server = Server(data).wait_ready()
            try:
                self.assertTrue(server.wait_for_output("Listening for SMTP"))
                idle = []
                for _ in range(2):
                    sock = socket.create_connection(("127.0.0.1", smtp_port), timeout=10)
                    self.assertTrue(sock.recv(512).startswith(b"220 "))
                    sock.sendall(b"EHLO half-a-line-and-then-nothing")  # no CRLF: it just sits there
                    idle.append(sock)
                third = socket.create_connection(("127.0.0.1", smtp_port), timeout=10)
                self.assertTrue(third.recv(512).startswith(b"421 4.7.0"))
                third.close()
                for sock in idle:  # the idle deadline closes them with 421
                    data_in = b""
                    while True:
                        chunk = sock.recv(512)
                        if not chunk:
                            break
                        data_in += chunk
                    self.assertIn(b"421 4.4.2", data_in)
                    sock.close()
                with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as s:  # room again
                    self.assertEqual(s.noop()[0], 250)
                rc, out, _ = server.command("show stat SMTP.Sessions.Refused")
                self.assertIn("SMTP.Sessions.Refused = 1", out)
            finally:
                server.stop()
        finally:
            tmp.cleanup()


class MailRestartTest(unittest.TestCase):
    """Mail accepted into mail.box survives a kill -9 and is delivered exactly once."""

    def test_restart_with_mail_in_mail_box_delivers_each_message_once(self):
        with TempDir() as tmp:
            data = os.path.join(tmp.path, "server")
            port, smtp_port = set_up_mail_data(data, "HTTP,SMTP")
            server = Server(data).wait_ready()
            self.assertTrue(server.wait_for_output("Listening for SMTP"))
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as s:
                for i in range(40):
                    s.sendmail("outside@example.org", ["jane@acme.example"], outside_message(f"queued-{i}"))
            server.proc.kill()  # kill -9: no orderly shutdown
            server.stop()
            # The Router was not running: all 40 wait in mail.box. Start it with the server.
            set_ini(data, {"ServerTasks": "HTTP,Router,SMTP"})
            with Server(data).wait_ready() as server:
                jane = ApiUser(os.path.join(data, "ids", "jadmin.id"), "admin-pw", port, tmp.path, "jane")
                self.assertTrue(wait_until(lambda: len(jane.messages()) >= 40, timeout=30), server.output())
                time.sleep(1)
                subjects = sorted(m["subject"] for m in jane.messages())
                self.assertEqual(subjects, sorted(f"queued-{i}" for i in range(40)))  # each exactly once
                rc, out, _ = server.command("show stat Mail.Waiting")
                self.assertIn("Mail.Waiting = 0", out)


if __name__ == "__main__":
    unittest.main()
