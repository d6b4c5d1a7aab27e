"""Issue 14 items 5 and 7, through the real server.

- One TELL grammar: every task takes Domino's prefix abbreviations (`tell router sh q`,
  `tell smtp st`, `tell http sh st`, `tell adminp sh req`, `tell ca sta`), and an
  ambiguous prefix is answered with an error naming the candidates.
- One clock: after `SET CLOCK` moves the server's clock past the notAfter of the
  administrator's certificate, the HTTPS client-certificate check refuses it (it checks
  at the server's time, as the CA does, not at the wall clock's).

The tests run in order on one server (HTTP, Router, SMTP, AdminP, CA); the clock test is
last because the clock only moves forward. Ports are chosen at run time, 127.0.0.1 only.
"""
import os
import unittest

from notesd_harness import free_port, set_up_client, start_test_server, stop_test_server


class TellAndClockTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_test_server(cls, email="jane@acme.example", tasks="HTTP,Router,SMTP,AdminP,CA",
                          ini={"SMTPListenerPort": free_port(), "SMTPListenerAddress": "127.0.0.1",
                               "SMTPDomains": "acme.example", "Test_ClockAdvance": 1})
        cls.admin = set_up_client(cls, "admin", os.path.join(cls.data, "ids", "jadmin.id"), "admin-pw")

    @classmethod
    def tearDownClass(cls):
        stop_test_server(cls)

    def test_abbreviated_tell_commands(self):
        for line, expected in [
            ("tell router sh q", "Mail routing queues"),
            ("TELL ROUTER SH Q", "Mail routing queues"),
            ("tell router show queue", "Mail routing queues"),
            ("t router del st", "Router delivery statistics"),
            ("tell router upd conf", "configuration updated"),
            ("tell smtp st", ""),
            ("tell smtp sh stat", ""),
            ("tell http sh st", "Requests:"),
            ("tell http st", "Requests:"),
            ("tell adminp sh req a", "Admin Process"),
            ("tell adminp sh da", "Administration Requests database"),
            ("tell adminp h", "TELL ADMINP commands"),
            ("tell ca sta", "CA Process"),
        ]:
            with self.subTest(line=line):
                rc, out, err = self.server.command(line)
                self.assertEqual(rc, 0, f"{line}: {out}{err}")
                self.assertIn(expected, out)

    def test_ambiguous_and_unknown_tell_words_are_refused_naming_the_candidates(self):
        for line, expected in [
            ("tell ca s", "Ambiguous word 's' for CA: could be STAT, STATUS, SHOW"),
            ("tell adminp sh", "expected one of DATABASES, REQUESTS"),
            ("tell router frobnicate", "Unknown command for Router: 'frobnicate'"),
            ("tell smtp show queues", "Unknown word 'queues' after SHOW"),
        ]:
            with self.subTest(line=line):
                rc, out, err = self.server.command(line)
                self.assertEqual(rc, 1, f"{line}: {out}{err}")
                self.assertIn(expected, out + err)
        # Nothing was stopped by the refused lines.
        rc, out, _ = self.server.command("show tasks")
        for task in ("Router", "SMTP", "Admin Process", "CA Process", "HTTP"):
            self.assertIn(task, out)

    def test_zz_expired_client_certificate_refused_at_the_server_clock(self):
        rc, out, err = self.admin.run("whoami")
        self.assertEqual(rc, 0, out + err)
        # The administrator's certificate is valid for 10 years (nserver --setup); move the
        # server's clock past its notAfter.
        rc, out, err = self.server.command("set clock +3660d")
        self.assertEqual(rc, 0, out + err)
        rc, out, err = self.admin.run("whoami")
        self.assertNotEqual(rc, 0, "an expired client certificate was accepted: " + out + err)


if __name__ == "__main__":
    unittest.main()
