"""Issue 19 part 3: Message Tracking through the real server. A message received over
SMTP and delivered locally, one relayed to an SMTP sink, and one a Notes user sends to an
unknown local recipient each leave their path in mtstore.nsf; TELL ROUTER TRACK filters by
from, to, subject and since; records older than MTKeepDays are purged once the server's
clock (SET CLOCK, Test_ClockAdvance=1) has moved past them."""
import json
import smtplib
import time
import unittest

from mail_harness import SmtpSink, make_self_signed, relay_to_sink_settings, start_mail_server, wait_until
from notesd_harness import free_port, register_client


def message(subject, to, author):
    return (b"From: " + author + b"\r\nTo: " + to.encode() + b"\r\nSubject: " + subject.encode() +
            b"\r\nMessage-ID: <" + subject.encode() + b"@test>\r\n\r\nhello\r\n")


class MessageTrackingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink_port = free_port()
        start_mail_server(cls, {**relay_to_sink_settings(cls.sink_port), "Test_ClockAdvance": 1, "MTKeepDays": 3})
        cls.sink = SmtpSink(cls.sink_port, *make_self_signed(cls.tmp.path)).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.sink.stop()
        cls.tmp.cleanup()

    def track(self, arguments=""):
        rc, out, err = self.server.command(("tell router track " + arguments).strip())
        self.assertEqual(rc, 0, out + err)
        return [line for line in out.splitlines() if line.strip()]

    def wait_track(self, arguments, needle, timeout=20):
        lines = wait_until(lambda: [l for l in self.track(arguments) if needle in l], timeout=timeout)
        self.assertTrue(lines, f"no '{needle}' for '{arguments}':\n" + "\n".join(self.track()) +
                        "\n" + self.server.output()[-3000:])
        return lines

    def test_1_received_over_smtp_and_delivered(self):
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.example.org", timeout=20) as s:
            s.sendmail("outside@example.org", ["jane@acme.example"],
                       message("tracked-local", "jane@acme.example", b"Outside <outside@example.org>"))
        delivered = self.wait_track("subject=tracked-local", " delivered ")
        self.assertIn("to jane@acme.example", delivered[0])
        self.assertIn("mail file mail/", delivered[0])
        lines = self.track("from=outside@example.org")
        received = [l for l in lines if " received " in l and "tracked-local" in l]
        self.assertTrue(received, lines)
        self.assertIn("<tracked-local@test>", received[0])
        self.assertIn("client.example.org", received[0])  # the HELO name
        # Newest last: received comes before delivered.
        self.assertLess(lines.index(received[0]), lines.index(delivered[0]))

    def test_2_relayed_to_the_sink_shows_its_answer(self):
        code, body = self.jane.deposit(["friend@outside.example"],
                                       message("tracked-relay", "friend@outside.example", b"Jane <jane@acme.example>"))
        self.assertEqual(code, 200, body)
        lines = self.wait_track("to=friend@outside.example", " transferred ", timeout=30)
        self.assertIn("127.0.0.1: 250", lines[0])
        received = [l for l in self.track("subject=tracked-relay") if " received " in l]
        self.assertTrue(received)
        self.assertIn("Notes user", received[0])

    def test_3_unknown_local_recipient_fails_with_the_reason(self):
        code, body = self.jane.deposit(["nobody@acme.example"],
                                       message("tracked-unknown", "nobody@acme.example", b"Jane <jane@acme.example>"))
        self.assertEqual(code, 200, body)
        lines = self.wait_track("to=nobody@acme.example", " failed ")
        self.assertIn("DSN sent", lines[0])
        self.assertIn("tracked-unknown", lines[0])

    def test_3b_notes_admin_mail_track(self):
        self.wait_track("to=nobody@acme.example", " failed ")
        rc, out, err = self.admin.run("admin", "mail", "track", "--to", "nobody@acme.example", "--json")
        self.assertEqual(rc, 0, out + err)
        events = json.loads(out)["events"]
        self.assertIn("failed", [e["event"] for e in events])
        self.assertTrue(all(e["recipient"] == "nobody@acme.example" for e in events if e["event"] != "received"))
        self.assertTrue(events[0]["time"].endswith("Z"), events[0])  # RFC 3339
        rc, out, err = self.admin.run("admin", "mail", "track", "--subject", "tracked-local", "--since", "2000-01-01")
        self.assertEqual(rc, 0, out + err)
        self.assertIn(" delivered ", out)
        rc, out, err = self.admin.run("admin", "mail", "track", "--since", "yesterday", "--json")
        self.assertNotEqual(rc, 0)
        self.assertIn("since=", err)
        rc, out, err = self.admin.run("admin", "mail", "track", "--help")
        self.assertEqual(rc, 0)
        self.assertIn("--json", out)
        # Not an administrator: refused.
        john = register_client(self, "John Roe", "jroe")
        rc, out, err = john.run("admin", "mail", "track", "--json")
        self.assertEqual((rc, out), (1, ""), err)

    def test_4_filters(self):
        self.wait_track("subject=tracked-unknown", " failed ")
        self.assertTrue(all("tracked-relay" in l for l in self.track("subject=TRACKED-RELAY")))
        self.assertTrue(all("friend@outside.example" in l for l in self.track("to=friend@")))
        self.assertEqual(self.track("from=nobody-sent-this@nowhere"), ["Router: no tracked events match"])
        self.assertEqual(self.track("since=2999-01-01"), ["Router: no tracked events match"])
        self.assertGreaterEqual(len(self.track("since=2000-01-01")), 5)
        rc, out, err = self.server.command("tell router track colour=red")
        self.assertIn("unknown key", out + err)
        # The router's other abbreviations still work.
        for line in ("t router del st", "t router sh q"):
            rc, out, err = self.server.command(line)
            self.assertEqual(rc, 0, out + err)

    def test_5_records_older_than_keep_days_are_purged(self):
        self.assertTrue(self.track("since=2000-01-01"))
        rc, out, err = self.server.command("set clock +4d")
        self.assertEqual(rc, 0, out + err)
        self.assertTrue(self.server.wait_for_output("Message Tracking: purged"), self.server.output()[-3000:])
        self.assertEqual(self.track(), ["Router: no tracked events match"])


if __name__ == "__main__":
    unittest.main()
