"""Scenario: kill -9 the server while several SMTP clients send and the Router delivers;
after a restart, every message that got a 250 is in the mail file exactly once, and no
message is there twice.

NOTESD_CRASH_MESSAGES (default 300) is how many acknowledged messages to wait for before
the kill; bench/smtp_crash.sh runs it bigger."""
import os
import smtplib
import threading
import time
import unittest
from collections import Counter

from mail_harness import ApiUser, set_up_mail_data, wait_until
from notesd_harness import Server, TempDir

SENDERS = 8


class MailCrashTest(unittest.TestCase):
    def test_kill_9_during_delivery_loses_and_duplicates_nothing(self):
        target = int(os.environ.get("NOTESD_CRASH_MESSAGES", "300"))
        tmp = TempDir()
        try:
            data = os.path.join(tmp.path, "server")
            port, smtp_port = set_up_mail_data(data, "HTTP,Router,SMTP")
            server = Server(data).wait_ready()
            self.assertTrue(server.wait_for_output("Listening for SMTP"))

            acked, lock, stop = [], threading.Lock(), threading.Event()

            def sender(n):
                i = 0
                while not stop.is_set():
                    try:
                        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as s:
                            while not stop.is_set():
                                subject = f"crash-{n}-{i}"
                                i += 1
                                s.sendmail("outside@example.org", ["jane@acme.example"],
                                           (f"From: outside@example.org\r\nTo: jane@acme.example\r\n"
                                            f"Subject: {subject}\r\n\r\nbody {subject}\r\n").encode())
                                with lock:
                                    acked.append(subject)  # got its 250
                    except (OSError, smtplib.SMTPException):
                        if stop.wait(0.05):
                            return

            threads = [threading.Thread(target=sender, args=(n,), daemon=True) for n in range(SENDERS)]
            for t in threads:
                t.start()
            self.assertTrue(wait_until(lambda: len(acked) >= target, timeout=120), f"only {len(acked)} acked")
            server.proc.kill()  # kill -9 in the middle of sending and routing
            server.stop()
            stop.set()
            for t in threads:
                t.join(timeout=15)
            with lock:
                acked_now = list(acked)

            server = Server(data).wait_ready()
            try:
                def settled():
                    rc, out, _ = server.command("show stat Mail.Waiting")
                    return rc == 0 and "Mail.Waiting = 0" in out
                self.assertTrue(wait_until(settled, timeout=60), server.output())
                jane = ApiUser(os.path.join(data, "ids", "jadmin.id"), "admin-pw", port, tmp.path, "jane")
                counts = Counter(m["subject"] for m in jane.messages())
            finally:
                server.stop()
            duplicated = [s for s, c in counts.items() if c > 1]
            missing = [s for s in acked_now if counts[s] != 1]
            self.assertEqual(duplicated, [], "delivered more than once")
            self.assertEqual(missing, [], f"acknowledged but not delivered exactly once ({len(acked_now)} acked)")
            print(f"\n  {len(acked_now)} acknowledged before kill -9, {sum(counts.values())} delivered, "
                  f"0 lost, 0 duplicated")
        finally:
            tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
