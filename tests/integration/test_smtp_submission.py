"""Issue 16, part 4: authenticated submission through the real server, with real clients.

Python's smtplib (STARTTLS, then AUTH PLAIN and LOGIN), swaks (--auth PLAIN/LOGIN --tls on
the submission port, --tlsc on the implicit-TLS port) and curl (smtp:// with --ssl-reqd and
smtps://, --login-options AUTH=PLAIN, the password in a --netrc-file) submit mail as Jane
and John with their Internet passwords. Covered: AUTH is not offered and is refused (538)
before TLS; MAIL before AUTH on the submission ports is refused (530); a wrong password gets
535, and repeated failures lock the person out through the shared lockout table; a foreign
envelope sender (553 5.7.1) or header From (550 5.7.1) is refused; an authenticated person
relays to the Internet through the Router (captured at an SmtpSink relay host), an
unauthenticated client cannot; a message signed with openssl cms leaves byte for byte and
still verifies. No password appears in the server's output or console.log.
"""
import base64
import concurrent.futures
import os
import shutil
import smtplib
import ssl
import subprocess
import unittest

from mail_harness import (SmtpSink, free_port, register_api_user, relay_to_sink_settings, start_mail_server,
                          wait_until)
from smime_harness import OutsidePki, crlf, openssl

JANE_SECRET = "Jane-Inet-Submit-4711"
JOHN_SECRET = "John-Inet-Submit-0815"
LOCK_SECRET = "Lock-Target-Right-Pw-1"
WRONG_SECRET = "Wrong-Guess-Pw-999"
ALL_SECRETS = (JANE_SECRET, JOHN_SECRET, LOCK_SECRET, WRONG_SECRET)


def no_verify():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def message(message_id, author="Jane Admin <jane@acme.example>", to="bob@outside.example", body=b"hello\r\n"):
    return (f"From: {author}\r\nTo: {to}\r\nSubject: submission {message_id}\r\n"
            f"Message-ID: <{message_id}@acme.example>\r\n\r\n").encode() + body


class SubmissionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink_port, cls.submission_port, cls.ssl_port = free_port(), free_port(), free_port()
        cls.sink = SmtpSink(cls.sink_port).start()
        start_mail_server(cls, {**relay_to_sink_settings(cls.sink_port), "SMTPSubmissionPort": cls.submission_port,
                                "SMTPSSLPort": cls.ssl_port, "InternetLockout_MaxTries": 3,
                                # Every test comes from 127.0.0.1: keep the per-address lockout out of the way.
                                "InternetLockout_MaxTriesPerAddress": 1000})
        for line in (f"Listening for SMTP submission on 127.0.0.1:{cls.submission_port}",
                     f"Listening for SMTPS submission on 127.0.0.1:{cls.ssl_port}"):
            assert cls.server.wait_for_output(line), cls.server.output()
        cls.john = register_api_user(cls, "John Roe", "jroe", "john@acme.example")
        register_api_user(cls, "Lock Target", "ltarget", "lock@acme.example")
        for name, secret in (("Jane Admin/Acme", JANE_SECRET), ("John Roe/Acme", JOHN_SECRET),
                             ("Lock Target/Acme", LOCK_SECRET)):
            rc, out, err = cls.admin.run("admin", "person", "set-internet-password", name, "--password-stdin",
                                         input=secret + "\n")
            assert rc == 0, out + err

    @classmethod
    def tearDownClass(cls):
        try:
            output = cls.server.output()
            cls.server.stop()
            with open(os.path.join(cls.data, "console.log"), errors="replace") as f:
                output += f.read()
            for secret in ALL_SECRETS:
                for form in (secret, base64.b64encode(f"\0jane@acme.example\0{secret}".encode()).decode()):
                    assert form not in output, "a password reached the server's output or console.log"
        finally:
            cls.sink.stop()
            cls.tmp.cleanup()

    def submission(self, port=None):
        s = smtplib.SMTP("127.0.0.1", port or self.submission_port, local_hostname="laptop.example.org", timeout=30)
        s.starttls(context=no_verify())
        s.ehlo()
        return s

    def relayed(self, message_id, timeout=30):
        """The message with this Message-ID as the relay host received it."""
        got = wait_until(lambda: [m for m in self.sink.received() if f"<{message_id}@".encode() in m[2]],
                         timeout=timeout)
        self.assertTrue(got, f"{message_id} never reached the relay host:\n" + self.server.output()[-3000:])
        self.assertEqual(len(got), 1)
        return got[0]

    def assert_left_byte_for_byte(self, data, original):
        """The relay host got the original bytes below the Router's Received field(s) only."""
        self.assertTrue(data.endswith(original), data)
        trace = data[:len(data) - len(original)]
        self.assertTrue(trace.startswith(b"Received: "), trace)
        self.assertIn(b"with ESMTPSA", trace)

    def smtp_code(self, call):
        try:
            return call()
        except smtplib.SMTPResponseException as e:
            return e.smtp_code, e.smtp_error

    # --- before TLS ---------------------------------------------------------------------------

    def test_auth_is_refused_before_tls(self):
        blob = base64.b64encode(f"\0jane@acme.example\0{JANE_SECRET}".encode()).decode()
        for port in (self.smtp_port, self.submission_port):
            with smtplib.SMTP("127.0.0.1", port, local_hostname="laptop.example.org", timeout=30) as s:
                code, features = s.ehlo()
                self.assertEqual(code, 250)
                self.assertIn(b"STARTTLS", features)
                self.assertNotIn(b"AUTH", features)
                with self.assertRaises(smtplib.SMTPNotSupportedError):
                    s.login("jane@acme.example", JANE_SECRET)
                code, text = s.docmd("AUTH", "PLAIN " + blob)
                self.assertEqual(code, 538, text)
                self.assertIn(b"5.7.11 Encryption required", text)
                if port == self.submission_port:
                    code, text = s.mail("jane@acme.example")
                    self.assertEqual((code, text), (530, b"5.7.0 Authentication required"))
        # After STARTTLS on the submission port: AUTH offered, and still needed before MAIL.
        with self.submission() as s:
            self.assertIn("auth", s.esmtp_features)
            self.assertEqual(s.esmtp_features["auth"].split(), ["PLAIN", "LOGIN"])
            self.assertEqual(s.mail("jane@acme.example")[0], 530)

    def test_show_tasks_lists_every_port(self):
        rc, out, err = self.server.command("show tasks")
        self.assertEqual(rc, 0, err)
        self.assertIn(f"Listening for connect requests on TCP Port:{self.smtp_port}\n", out + "\n")
        self.assertIn(f"TCP Port:{self.submission_port} (submission)", out)
        self.assertIn(f"TCP Port:{self.ssl_port} (submission, implicit TLS)", out)

    # --- Python smtplib -------------------------------------------------------------------------

    def test_smtplib_plain_relays_through_the_router(self):
        original = message("smtplib-plain")
        with self.submission() as s:
            code, text = s.login("jane@acme.example", JANE_SECRET)  # PLAIN: the first we offer that it knows
            self.assertEqual((code, text), (235, b"2.7.0 Authentication successful"))
            self.assertEqual(s.sendmail("jane@acme.example", ["bob@outside.example"], original), {})
        sender, rcpts, data, _ = self.relayed("smtplib-plain")
        self.assertEqual((sender, rcpts), ("jane@acme.example", ["bob@outside.example"]))
        self.assert_left_byte_for_byte(data, original)
        rc, out, _ = self.server.command("show stat SMTP.Auth.*")
        self.assertIn("SMTP.Auth.Succeeded = ", out)
        self.assertNotIn("SMTP.Auth.Succeeded = 0", out)

    def test_smtplib_login_on_the_listener_after_starttls(self):
        # The SMTP listener itself takes AUTH after STARTTLS, and then relays too.
        original = message("smtplib-login", author="John Roe <john@acme.example>")
        with self.submission(port=self.smtp_port) as s:
            s.user, s.password = "jroe", JOHN_SECRET
            code, text = s.auth("LOGIN", s.auth_login)
            self.assertEqual(code, 235, text)
            self.assertEqual(s.sendmail("john@acme.example", ["bob@outside.example", "jane@acme.example"], original),
                             {})
        sender, rcpts, data, _ = self.relayed("smtplib-login")
        self.assertEqual((sender, rcpts), ("john@acme.example", ["bob@outside.example"]))
        self.assert_left_byte_for_byte(data, original)
        self.assertTrue(wait_until(lambda: [raw for raw in self.jane.raw_messages()
                                            if raw and b"<smtplib-login@acme.example>" in raw]))

    def test_parallel_logins_all_answered(self):
        # Eight sessions authenticate at once (the checks queue on the task's AUTH pool and
        # the hashing turns); meanwhile a plain session is answered at once.
        def login(i):
            with self.submission() as s:
                code, _ = s.login("john@acme.example" if i % 2 else "jane@acme.example",
                                  JOHN_SECRET if i % 2 else JANE_SECRET)
                return code

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            codes = pool.map(login, range(8))
            with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="laptop.example.org", timeout=10) as s:
                self.assertEqual(s.noop()[0], 250)
            self.assertEqual(list(codes), [235] * 8)

    def test_relaying_is_refused_without_auth(self):
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="laptop.example.org", timeout=30) as s:
            s.starttls(context=no_verify())
            s.ehlo()
            self.assertEqual(s.mail("someone@outside.example")[0], 250)
            code, text = s.rcpt("bob@outside.example")
            self.assertEqual(code, 550, text)
            self.assertIn(b"5.7.1", text)
            self.assertIn(b"Relay access denied", text)
            s.rset()
            # And a local sender without AUTH is still forged.
            code, text = s.mail("jane@acme.example")
            self.assertEqual(code, 550, text)

    def test_wrong_password_is_535_and_the_shared_lockout_engages(self):
        def plain(s, user, password):
            # One AUTH PLAIN (smtplib's login() would go on to try LOGIN after a 535).
            s.user, s.password = user, password
            return self.smtp_code(lambda: s.auth("PLAIN", s.auth_plain))

        with self.submission() as s:
            for _ in range(3):  # InternetLockout_MaxTries=3
                code, text = plain(s, "lock@acme.example", WRONG_SECRET)
                self.assertEqual(code, 535, text)
                self.assertIn(b"5.7.8", text)
        with self.submission(port=self.smtp_port) as s:
            # Now even the right password is refused, for a while, from any door.
            code, text = plain(s, "lock@acme.example", LOCK_SECRET)
            self.assertEqual(code, 454, text)
            self.assertIn(b"4.7.0", text)
            # Someone else is not locked out.
            self.assertEqual(s.login("john@acme.example", JOHN_SECRET)[0], 235)
        self.assertTrue(self.server.wait_for_output("Internet login failed for lock@acme.example from 127.0.0.1"),
                        self.server.output()[-2000:])
        self.assertIn("locked out", self.server.output())
        rc, out, _ = self.server.command("show stat SMTP.Auth.Failed")
        self.assertRegex(out, r"SMTP\.Auth\.Failed = [1-9]")
        rc, out, _ = self.server.command("show stat Security.InternetLogin.LockedOut")
        self.assertRegex(out, r"Security\.InternetLogin\.LockedOut = [1-9]")

    def test_foreign_envelope_sender_is_refused(self):
        with self.submission() as s:
            s.login("jane@acme.example", JANE_SECRET)
            for foreign in ("john@acme.example", "ceo@outside.example"):
                code, text = s.mail(foreign)
                self.assertEqual(code, 553, text)
                self.assertIn(b"5.7.1", text)
                self.assertIn(b"you may send only as <jane@acme.example>", text)
            self.assertEqual(s.mail("Jane@Acme.Example")[0], 250)

    def test_foreign_header_from_is_refused(self):
        with self.submission() as s:
            s.login("jane@acme.example", JANE_SECRET)
            with self.assertRaises(smtplib.SMTPDataError) as refused:
                s.sendmail("jane@acme.example", ["bob@outside.example"],
                           message("forged-from", author="John Roe <john@acme.example>"))
            self.assertEqual(refused.exception.smtp_code, 550)
            self.assertIn(b"5.7.1", refused.exception.smtp_error)
            self.assertIn(b"From field names john@acme.example", refused.exception.smtp_error)
        self.assertFalse(wait_until(lambda: [m for m in self.sink.received() if b"forged-from" in m[2]], timeout=2))

    # --- swaks ------------------------------------------------------------------------------------

    def swaks(self, stem, *args):
        if not shutil.which("swaks"):
            self.skipTest("swaks is not installed (scripts/install-deps.sh installs it)")
        # The password in a config file (--config), not on the command line.
        config = os.path.join(self.tmp.path, f"{stem}.swaksrc")
        with open(config, "w") as f:
            f.write(f"auth-user jane@acme.example\nauth-password {JANE_SECRET}\n")
        body = os.path.join(self.tmp.path, f"{stem}.txt")
        with open(body, "w") as f:
            f.write(f"From: jane@acme.example\nTo: bob@outside.example\nSubject: {stem}\n"
                    f"Message-ID: <{stem}@acme.example>\n\nhello from swaks\n")
        done = subprocess.run(["swaks", "--config", config, "--from", "jane@acme.example", "--to",
                               "bob@outside.example", "--helo", "laptop.example.org", "--data", "@" + body, *args],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        return done.stdout

    def test_swaks_plain_and_login_with_starttls(self):
        for mechanism in ("PLAIN", "LOGIN"):
            stem = f"swaks-{mechanism.lower()}"
            out = self.swaks(stem, "--server", f"127.0.0.1:{self.submission_port}", "--tls", "--auth", mechanism)
            self.assertIn("235 2.7.0 Authentication successful", out)
            sender, _, data, _ = self.relayed(stem)
            self.assertEqual(sender, "jane@acme.example")
            self.assertIn(b"\r\nhello from swaks\r\n", data)

    def test_swaks_on_the_implicit_tls_port(self):
        out = self.swaks("swaks-tlsc", "--server", f"127.0.0.1:{self.ssl_port}", "--tlsc", "--auth", "PLAIN")
        self.assertIn("235 2.7.0 Authentication successful", out)
        self.assertNotIn("STARTTLS", out.split("EHLO", 1)[1])  # TLS from the first byte: no STARTTLS offered
        self.relayed("swaks-tlsc")

    # --- curl -------------------------------------------------------------------------------------

    def curl(self, stem, url, *args):
        netrc = os.path.join(self.tmp.path, f"{stem}.netrc")
        with open(netrc, "w") as f:
            f.write(f"machine 127.0.0.1 login jane@acme.example password {JANE_SECRET}\n")
        original = message(stem)
        path = os.path.join(self.tmp.path, f"{stem}.eml")
        with open(path, "wb") as f:
            f.write(original)
        done = subprocess.run(["curl", "-sS", "-k", "--max-time", "60", "--url", url, "--netrc-file", netrc,
                               "--login-options", "AUTH=PLAIN", "--mail-from", "jane@acme.example",
                               "--mail-rcpt", "bob@outside.example", "--upload-file", path, *args],
                              capture_output=True, text=True, timeout=90)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        _, _, data, _ = self.relayed(stem)
        self.assert_left_byte_for_byte(data, original)

    def test_curl_smtp_with_ssl_reqd(self):
        self.curl("curl-starttls", f"smtp://127.0.0.1:{self.submission_port}", "--ssl-reqd")

    def test_curl_smtps(self):
        self.curl("curl-smtps", f"smtps://127.0.0.1:{self.ssl_port}")

    def test_curl_without_tls_cannot_authenticate(self):
        netrc = os.path.join(self.tmp.path, "clear.netrc")
        with open(netrc, "w") as f:
            f.write(f"machine 127.0.0.1 login jane@acme.example password {JANE_SECRET}\n")
        path = os.path.join(self.tmp.path, "clear.eml")
        with open(path, "wb") as f:
            f.write(message("curl-clear"))
        done = subprocess.run(["curl", "-sS", "--max-time", "30", "--url", f"smtp://127.0.0.1:{self.submission_port}",
                               "--netrc-file", netrc, "--login-options", "AUTH=PLAIN", "--mail-from",
                               "jane@acme.example", "--mail-rcpt", "bob@outside.example", "--upload-file", path],
                              capture_output=True, text=True, timeout=60)
        self.assertNotEqual(done.returncode, 0, done.stdout + done.stderr)

    # --- a signed message ---------------------------------------------------------------------------

    def test_signed_message_leaves_byte_for_byte_and_verifies(self):
        pki = OutsidePki(os.path.join(self.tmp.path, "pki"))
        cert, key = pki.person("jane", "Jane Admin", "jane@acme.example")
        content = os.path.join(self.tmp.path, "signed-content.txt")
        with open(content, "wb") as f:
            f.write(b"Signed through submission.\r\n.a line with a dot\r\ntrailing space \r\n")
        signed = crlf(openssl("cms", "-sign", "-in", content, "-signer", cert, "-inkey", key, "-text",
                              "-from", "jane@acme.example", "-to", "bob@outside.example", "-subject", "signed"))
        original = b"Message-ID: <signed-submission@acme.example>\r\n" + signed
        with smtplib.SMTP_SSL("127.0.0.1", self.ssl_port, local_hostname="laptop.example.org", context=no_verify(),
                              timeout=30) as s:
            s.login("jane@acme.example", JANE_SECRET)
            self.assertEqual(s.sendmail("jane@acme.example", ["bob@outside.example"], original), {})
        _, _, data, _ = self.relayed("signed-submission")
        self.assert_left_byte_for_byte(data, original)
        captured = os.path.join(self.tmp.path, "captured.eml")
        with open(captured, "wb") as f:
            f.write(data)
        verified = openssl("cms", "-verify", "-in", captured, "-CAfile", pki.root, "-purpose", "smimesign")
        self.assertIn(b"Signed through submission.", verified)


if __name__ == "__main__":
    unittest.main()
