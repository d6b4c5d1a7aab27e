"""Issue 5: a server killed (SIGKILL) in the middle of an "Add Internet Certificate to
Person Record" batch finishes the batch after restart with exactly one certificate per
person: every Person record holds one certificate of the certifier, the ICL holds one
Valid certificate per person, and no serial is used twice.

1,000 people are registered offline with pre-made keys (bench/enroll_tool.cc); the RA's
`notes admin people add-internet-cert --all` posts the batch; AdminP works through it in
chunks of 256, each paused by the test-only NOTESD_TEST_ADMINP_PAUSE_MS, and the server is
killed as soon as the first chunk is done.
"""
import os
import re
import signal
import subprocess
import time
import unittest

from notesd_harness import Client, Server, TempDir, binary, set_ini, setup_server

PEOPLE = 1000
CERTIFIER = "Crash-Email"
ICL = "ICL_Crash-Email.nsf"


class PersonCertsCrashTest(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.data = os.path.join(self.tmp.path, "server")
        self.port = setup_server(self.data, email="jane@acme.example", tasks="HTTP,AdminP,CA")
        set_ini(self.data, AdminP_Interval_Seconds=1)
        self.server = Server(self.data).wait_ready()
        self.admin = Client(os.path.join(self.tmp.path, "admin-client"), password="admin-pw")
        rc, out, err = self.admin.run("setup", "--id", os.path.join(self.data, "ids", "jadmin.id"),
                                      "--server-address", f"127.0.0.1:{self.port}")
        self.assertEqual(rc, 0, out + err)

    def tearDown(self):
        self.server.stop()
        self.tmp.cleanup()

    def console(self, line):
        rc, out, err = self.server.command(line)
        self.assertEqual(rc, 0, f"{line}: {out}{err}")
        return out

    def make_certifier(self):
        rc, out, err = self.admin.run("admin", "internet-certifier", "create", "--cn", CERTIFIER, "--o", "Acme",
                                      "--icl", ICL, "--encrypt-with", "server-id", "--require-activation-password", "no")
        self.assertEqual(rc, 0, out + err)
        self.console("tell adminp process all")
        self.console("tell ca refresh")
        self.assertRegex(self.console("tell ca stat"), rf"CN={CERTIFIER}/O=Acme .*Active=Yes")

    def count(self):
        done = subprocess.run([binary("notesd_bench_enroll"), "count", self.data, CERTIFIER, ICL],
                              capture_output=True, text=True)
        return done.returncode, done.stdout + done.stderr

    def test_kill_mid_batch_then_restart_gives_exactly_one_certificate_each(self):
        self.make_certifier()
        self.server.stop()
        populate = subprocess.run([binary("notesd_bench_enroll"), "populate", self.data, str(PEOPLE), "acme.example"],
                                  capture_output=True, text=True)
        self.assertEqual(populate.returncode, 0, populate.stdout + populate.stderr)

        self.server = Server(self.data, env={"NOTESD_TEST_ADMINP_PAUSE_MS": "700"}).wait_ready()
        rc, out, err = self.admin.run("--no-sync", "admin", "people", "add-internet-cert", "--ou", "/Acme",
                                      "--ca", CERTIFIER, "--no-wait")
        self.assertEqual(rc, 0, out + err)
        self.assertIn(f"Posted {PEOPLE + 1} ", out)  # the Bench people and Jane Admin

        # Kill as soon as the first chunk of 256 is done: the rest are New or InProgress.
        self.assertTrue(self.server.wait_for_output("Performed 256", timeout=120), self.server.output())
        self.server.proc.send_signal(signal.SIGKILL)
        self.server.wait_exit()
        rc, before = self.count()
        self.assertNotEqual(rc, 0, "the batch should not be complete when the server was killed")
        done_before = int(re.search(r"one=(\d+)", before).group(1))
        self.assertGreaterEqual(done_before, 255, before)
        self.assertLess(done_before, PEOPLE, before)
        self.assertIn("more=0", before)

        # Restart without the pause: AdminP's start-up pass and its interval finish the batch.
        self.server = Server(self.data).wait_ready()
        deadline = time.time() + 120
        while time.time() < deadline:
            pending = self.console("tell adminp show requests pending")
            if "Add Internet Certificate" not in pending:
                break
            time.sleep(0.5)
        else:
            log = "\n".join(self.server.output().splitlines()[-40:])
            self.fail("the batch did not finish after restart:\n" + pending[-3000:] + "\n--- server log ---\n" + log)
        failed = self.console("tell adminp show requests failed")
        self.assertNotIn("Add Internet Certificate", failed)
        self.server.stop()

        rc, after = self.count()
        self.assertEqual(rc, 0, after)
        self.assertIn(f"people={PEOPLE} one={PEOPLE} none=0 more=0", after)
        self.assertIn(f"icl_valid={PEOPLE} icl_reserved=0 unique_serials=yes persons_in_icl=yes", after)


if __name__ == "__main__":
    unittest.main()
