"""Issue 13, safe at the edges (the Router's part), against a running server:
a mail file that cannot be opened makes the Router back off (a handful of attempts, not
17 a second), SHOW QUEUES says why and when it tries next, the message is delivered once
the file is repaired and expires into a 4.4.7 report when it is not; registration refuses
a MailFile that is a system file, lies outside mail/ or is someone else's; the deposit API
refuses a From or Sender that is not the caller's own address."""
import math
import os
import re
import shutil
import smtplib
import subprocess
import time
import unittest

from mail_harness import ApiUser, register_person, set_ini, start_mail_server, wait_until
from notesd_harness import SOURCE_DIR, Server, TempDir, free_port, setup_server

DELIVERY_FAILURE = re.compile(r"Unable to deliver message ([0-9A-F]{32}) to (\S+): unable to open mail file")


def message(subject, sender="Outside Person <outside@example.org>", to="jroe@acme.example", extra=""):
    return (f"From: {sender}\r\nTo: {to}\r\n{extra}Subject: {subject}\r\n"
            f"Message-ID: <{subject}@example.org>\r\n\r\nhello\r\n").encode()


def break_mail_file(data_dir, short_name):
    """A mail file that is no NSF at all (truncated to a few bytes of text)."""
    path = os.path.join(data_dir, "mail", short_name + ".nsf")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"truncated")
    return path


class RouterEdgesTest(unittest.TestCase):
    """One server for the class: HTTP, Router and SMTP. The tests run in name order
    (test_a_... first): test_c moves the server's clock forward a day."""

    @classmethod
    def setUpClass(cls):
        start_mail_server(cls, {"RouterRetryIntervalSeconds": 1, "RouterRetryMaxSeconds": 3600,
                                "Test_ClockAdvance": 1})
        for name, short in (("John Roe", "jroe"), ("Mary Major", "mmajor")):
            rc, out, err = cls.register(name, short)
            if rc != 0:
                raise AssertionError(out + err)
        cls.john = ApiUser(os.path.join(cls.tmp.path, "jroe.id"), "user-pw", cls.port, cls.tmp.path, "john")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    @classmethod
    def register(cls, name, short, *extra):
        return register_person(cls, name, short, f"{short}@acme.example", "--key", "ecdsa-p256", *extra)

    def send_smtp(self, sender, recipient, data):
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.example.org", timeout=20) as s:
            self.assertEqual(s.sendmail(sender, [recipient], data), {})

    def failures_logged(self, unid=None):
        with open(os.path.join(self.data, "console.log"), errors="replace") as f:
            return [m for m in DELIVERY_FAILURE.finditer(f.read()) if unid is None or m.group(1) == unid]

    def queues(self):
        rc, out, err = self.server.command("tell router show queues")
        self.assertEqual(rc, 0, err)
        return out

    # --- the Router backs off ------------------------------------------------------------

    def test_a_unopenable_mail_file_is_retried_with_back_off_then_delivered(self):
        path = break_mail_file(self.data, "jroe")
        start = time.monotonic()
        self.send_smtp("outside@example.org", "jroe@acme.example", message("backoff-1", to="jroe@acme.example"))
        self.assertTrue(wait_until(lambda: self.failures_logged(), timeout=10), self.server.output()[-3000:])
        unid = self.failures_logged()[0].group(1)
        time.sleep(6)
        attempts = len(self.failures_logged(unid))
        elapsed = time.monotonic() - start
        # Attempts after 0, 1, 3, 7... s (RouterRetryIntervalSeconds=1, doubling): a
        # handful, where the Router used to try about 17 times a second.
        self.assertGreaterEqual(attempts, 2)
        self.assertLessEqual(attempts, int(math.log2(elapsed)) + 2, f"{attempts} attempts in {elapsed:.1f} s")
        queues = self.queues()
        self.assertIn("1 waiting to be retried", queues)
        line = next((l for l in queues.splitlines() if unid in l), "")
        self.assertRegex(line, rf"{unid}  to jroe@acme\.example, delivery attempts \d+, next in \d+ s, "
                               r"last error: unable to open mail file mail/jroe\.nsf: ")
        shown = int(re.search(r"delivery attempts (\d+)", line).group(1))
        self.assertIn(shown, (attempts, attempts + 1))  # one more may have run in between
        next_in = int(re.search(r"next in (\d+) s", line).group(1))
        rc, out, _ = self.server.command("show stat Mail.Waiting")
        self.assertIn("Mail.Waiting = 1", out)

        os.remove(path)  # repaired: the Router creates the mail file at its next attempt
        found = wait_until(lambda: [m for m in self.john.messages() if m["subject"] == "backoff-1"],
                           timeout=next_in + 15)
        self.assertEqual(len(found), 1, self.server.output()[-3000:])
        self.assertEqual(found[0]["unid"], unid)
        self.assertNotIn(unid, self.queues())
        self.assertLessEqual(len(self.failures_logged(unid)), shown + 1)  # none failed after the repair
        rc, out, _ = self.server.command("show stat Mail.Delivered")
        self.assertIn("Mail.Delivered = 1", out)

    # --- registration refuses bad mail files -------------------------------------------

    def test_b_registration_refuses_system_foreign_and_outside_mail_files(self):
        cases = [("names.nsf", "is a system database (names.nsf), not a mail file"),
                 ("admin4.nsf", "is a system database (admin4.nsf)"),
                 ("mail.box", "is a system database (mail.box)"),
                 ("ICL_Acme-Email.nsf", "is a system database (an issued certificate list)"),
                 ("server.id", "is an ID file, not a mail file"),
                 ("/tmp/evil.nsf", "is an absolute path"),
                 ("mail/../names2.nsf", "leaves the mail directory ('..')"),
                 ("elsewhere/x.nsf", "lies outside mail/"),
                 ("mail/jroe.nsf", "the mail file 'mail/jroe.nsf' already belongs to John Roe/Acme")]
        for i, (mail_file, problem) in enumerate(cases):
            with self.subTest(mail_file=mail_file):
                rc, out, err = self.register(f"Bad Person{i}", f"bad{i}", "--mail-file", mail_file)
                self.assertNotEqual(rc, 0, out)
                self.assertIn(problem, err)
        code, body = self.jane.call("GET", "/api/v1/people/lookup?name=bad0")
        self.assertEqual(code, 404, body)
        rc, out, err = self.register("Good Person", "good", "--mail-file", "mail/./good.nsf")
        self.assertEqual(rc, 0, out + err)
        code, body = self.jane.call("GET", "/api/v1/people/lookup?name=good")
        self.assertEqual((code, body.get("mail_file")), (200, "mail/good.nsf"))

    # --- a message that never gets through expires -------------------------------------

    def test_c_undeliverable_message_expires_into_a_report(self):
        break_mail_file(self.data, "mmajor")
        # Jane sends it through the client API (a local sender over SMTP would be refused),
        # so the expiry report comes back to her mail file.
        code, body = self.jane.deposit(["mmajor@acme.example"],
                                       message("expire-1", sender="Jane Admin <jane@acme.example>",
                                               to="mmajor@acme.example"))
        self.assertEqual(code, 200, body)
        self.assertTrue(wait_until(lambda: [m for m in self.failures_logged() if m.group(2) == "mmajor@acme.example"],
                                   timeout=10), self.server.output()[-3000:])
        rc, out, err = self.server.command("set clock +25h")  # past RouterMessageExpireMinutes (1440)
        self.assertEqual(rc, 0, err)
        found = wait_until(lambda: [raw for raw in (self.jane.raw(m["unid"]) for m in self.jane.messages())
                                    if raw and b"expire-1@example.org" in raw], timeout=20)
        self.assertTrue(found, self.server.output()[-3000:])
        self.assertIn(b"Final-Recipient: rfc822; mmajor@acme.example\r\nAction: failed\r\nStatus: 4.4.7", found[0])
        self.assertIn(b"delivery time expired (last error: unable to open mail file mail/mmajor.nsf", found[0])
        self.assertIn("0 waiting to be retried", self.queues())

    # --- the deposit API sends only as the caller ---------------------------------------

    def test_d_deposit_refuses_a_from_or_sender_of_someone_else(self):
        code, body = self.jane.deposit(["jroe"], message("forged-1", sender="The Boss <boss@acme.example>"))
        self.assertEqual(code, 403, body)
        self.assertIn("names boss@acme.example, but you may send only as yourself (jane@acme.example)",
                      body.get("error", ""))
        code, body = self.jane.deposit(["jroe"], message("forged-2", sender="Jane <jane@acme.example>",
                                                         extra="Sender: boss@acme.example\r\n"))
        self.assertEqual(code, 403, body)
        code, body = self.jane.deposit(["jroe"], b"To: jroe@acme.example\r\nSubject: no from\r\n\r\nx\r\n")
        self.assertEqual(code, 400, body)
        code, body = self.jane.deposit(["jroe"], message("own-1", sender='"Admin, Jane" <JANE@acme.example>'))
        self.assertEqual(code, 200, body)
        self.assertTrue(wait_until(lambda: [m for m in self.john.messages() if m["subject"] == "own-1"]))
        self.assertFalse([m for m in self.john.messages() if m["subject"].startswith("forged")])
        # The `notes` client writes the caller's own From: its mail still goes.
        rc, out, err = self.admin.run("mail", "send", "--to", "jroe@acme.example", "--subject", "via notes",
                                      "--body", "hello")
        self.assertEqual(rc, 0, out + err)
        self.assertTrue(wait_until(lambda: [m for m in self.john.messages() if m["subject"] == "via notes"]))


class DiskFullTest(unittest.TestCase):
    """Mail.Delivered after the disk was full while the Router recorded its deliveries:
    tests/support/enospc_preload.c, loaded into nserver, fails every write to mail.box
    with ENOSPC while a flag file exists (the mail files still take the messages)."""

    def test_delivered_count_equals_the_messages_delivered_after_recovery(self):
        if not shutil.which("cc"):
            self.skipTest("no C compiler for the fault-injecting preload library")
        tmp = TempDir()
        self.addCleanup(tmp.cleanup)
        shim = os.path.join(tmp.path, "enospc.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-o", shim, os.path.join(SOURCE_DIR, "tests", "support",
                                                                             "enospc_preload.c"), "-ldl"], check=True)
        data = os.path.join(tmp.path, "server")
        port = setup_server(data, email="jane@acme.example", tasks="HTTP,Router,SMTP")
        smtp_port = free_port()
        set_ini(data, {"SMTPListenerPort": smtp_port, "SMTPListenerAddress": "127.0.0.1",
                       "SMTPDomains": "acme.example"})
        flag = os.path.join(tmp.path, "disk-full")
        env = {"LD_PRELOAD": shim, "NOTESD_TEST_ENOSPC_FLAG": flag, "NOTESD_TEST_ENOSPC_SUFFIX": "/mail.box"}
        if "ASAN_OPTIONS" in os.environ:  # the sanitized build: the shim comes before ASan's runtime
            env["ASAN_OPTIONS"] = os.environ["ASAN_OPTIONS"] + ":verify_asan_link_order=0"
        server = Server(data, env=env).wait_ready()
        self.addCleanup(server.stop)
        self.assertTrue(server.wait_for_output("Listening for SMTP on 127.0.0.1"), server.output())
        rc, out, err = server.command("tell router quit")
        self.assertEqual(rc, 0, out + err)
        sent = 5
        with smtplib.SMTP("127.0.0.1", smtp_port, local_hostname="client.example.org", timeout=20) as s:
            for i in range(sent):
                s.sendmail("outside@example.org", ["jane@acme.example"],
                           message(f"full-{i}", to="jane@acme.example"))
        open(flag, "w").close()  # the disk is full from now on
        rc, out, err = server.command("load router")
        self.assertEqual(rc, 0, out + err)
        self.assertTrue(wait_until(lambda: server.output().count("Routing pass failed") >= 2, timeout=20),
                        server.output()[-3000:])
        self.assertIn("No space left on device", server.output())
        os.remove(flag)  # space again
        jane = ApiUser(os.path.join(data, "ids", "jadmin.id"), "admin-pw", port, tmp.path, "jane")
        self.assertTrue(wait_until(lambda: "Mail.Waiting = 0" in server.command("show stat Mail.Waiting")[1]))
        self.assertEqual(len([m for m in jane.messages() if m["subject"].startswith("full-")]), sent)
        rc, out, _ = server.command("show stat Mail.Delivered")
        self.assertIn(f"Mail.Delivered = {sent}", out)


if __name__ == "__main__":
    unittest.main()
