"""Issue 4: AdminP and the CA task, the article's "Add the Certificate Authority task to
the Domino server" and "Create an Internet root certifier", driven through the real
binaries (`nserver`, `nserver -c`, `notes`) and checked with `openssl x509`.

The tests run in order (test_1_..., test_2_...): one server, as an administrator would
live through the article. AdminPInterval keeps its default (60 minutes), so nothing
happens until TELL ADMINP PROCESS ALL, except in the last test, which sets
AdminP_Interval_Seconds to see AdminP work on its own.
"""
import json
import os
import re
import signal
import stat
import subprocess
import time
import unittest

from notesd_harness import Server, binary, register_client, set_up_client, start_test_server, stop_test_server

PAUSE_ENV = "NOTESD_TEST_ADMINP_PAUSE_MS"  # test-only hook of the AdminP task


def certifier_lines(stat_output, name):
    """The TELL CA STAT lines ("  1. CN=Name/O=Org  Type=...") of one certifier."""
    pattern = re.compile(r"^\s*\d+\. CN=" + re.escape(name) + r"[/ ]")
    return [line for line in stat_output.splitlines() if pattern.match(line)]


def certifier_line(stat_output, name):
    """The TELL CA STAT line of one certifier, or None."""
    lines = certifier_lines(stat_output, name)
    return lines[0] if lines else None


class CaAdminpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_test_server(cls, email="jane@acme.example", tasks="HTTP,AdminP")
        cls.admin = set_up_client(cls, "admin", os.path.join(cls.data, "ids", "jadmin.id"), "admin-pw")
        cls.john = register_client(cls, "John Roe", "jroe")
        cls.mary = register_client(cls, "Mary Poe", "mpoe")

    @classmethod
    def tearDownClass(cls):
        stop_test_server(cls)

    def console(self, line, expect_ok=True):
        rc, out, err = self.server.command(line)
        if expect_ok:
            self.assertEqual(rc, 0, f"{line}: {out}{err}")
        return rc, out, err

    def restart(self, env=None):
        type(self).server.stop()
        type(self).server = Server(self.data, env=env).wait_ready()

    def create(self, client, *args):
        return client.run("admin", "internet-certifier", "create", *args)

    # --- the article, step by step ----------------------------------------------------------

    def test_1_add_the_ca_task_and_create_the_article_certifier(self):
        # "Edit notes.ini. Add ',CA' to the ServerTasks line. Restart Domino."
        _, tasks, _ = self.console("show tasks")
        self.assertNotIn("CA Process", tasks)
        self.console("set config ServerTasks=HTTP,AdminP,CA")
        self.restart()
        _, tasks, _ = self.console("show tasks")
        self.assertIn("CA Process", tasks)
        self.assertIn("Admin Process", tasks)

        # "Create an Internet root certifier" with the article's options.
        local_copy = os.path.join(self.tmp.path, "Acme-Corp-Email.id")
        rc, out, err = self.create(self.admin, "--cn", "Acme-Corp-Email", "--o", "Acme",
                                   "--icl", "ICL_Acme-Corp-Email.nsf", "--encrypt-with", "server-id",
                                   "--require-activation-password", "no", "--caa", "John Roe/Acme", "--ra", "John Roe/Acme",
                                   "--local-copy", local_copy, "--local-copy-password", "copy-pw", "--json")
        self.assertEqual(rc, 0, out + err)
        request = json.loads(out)
        unid = request["unid"]
        self.assertEqual(request["type"], "Create Internet Certifier")
        self.assertEqual(request["status"], "New")
        self.assertEqual(request["author"], "CN=Jane Admin/O=Acme")
        self.assertEqual(request["certifier"]["caa"], ["CN=Jane Admin/O=Acme", "CN=John Roe/O=Acme"])
        self.assertEqual(request["certifier"]["ra"], ["CN=Jane Admin/O=Acme", "CN=John Roe/O=Acme"])
        self.assertNotIn("copy-pw", out)
        self.assertFalse(os.path.exists(local_copy))

        # Before AdminP runs, the CA does not know it (not even after a refresh).
        _, stat_text, _ = self.console("tell ca stat")
        self.assertIsNone(certifier_line(stat_text, "Acme-Corp-Email"), stat_text)
        _, stat_text, _ = self.console("tell ca refresh")
        self.assertIsNone(certifier_line(stat_text, "Acme-Corp-Email"), stat_text)
        _, pending, _ = self.console("tell adminp show requests pending")
        self.assertIn(unid, pending)

        # "TELL ADMINP PROCESS ALL, then TELL CA REFRESH, then TELL CA STAT."
        _, processed, _ = self.console("tell adminp process all")
        self.assertIn("Admin Process: Searching Administration Requests database", processed)
        self.assertIn("1 done", processed)
        self.console("tell ca refresh")
        _, stat_text, _ = self.console("tell ca stat")
        line = certifier_line(stat_text, "Acme-Corp-Email")
        self.assertIsNotNone(line, stat_text)
        self.assertIn("Type=Internet", line)
        self.assertIn("Active=Yes", line)
        self.assertIn("ICL=ICL_Acme-Corp-Email.nsf", line)
        self.assertRegex(line, r"^\s*1\. CN=Acme-Corp-Email/O=Acme")

        # What AdminP made on the server.
        for name in ("ICL_Acme-Corp-Email.nsf", "Acme-Corp-Email.id"):
            path = os.path.join(self.data, name)
            self.assertTrue(os.path.exists(path), name)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, name)

        # The local copy of the certifier ID, with its own password.
        rc, out, err = self.admin.run("admin", "requests", "show", unid, "--save-local-copy", local_copy)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Done", out)
        self.assertEqual(stat.S_IMODE(os.stat(local_copy).st_mode), 0o600)
        rc, out, err = self.admin.run("id", "show", "--id", local_copy, password="copy-pw")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("CN=Acme-Corp-Email/O=Acme", out)
        self.assertIn("certifier", out)
        rc, out, err = self.admin.run("id", "show", "--id", local_copy, password="admin-pw")
        self.assertEqual(rc, 1)
        self.assertIn("wrong password", err)
        rc, out, err = self.admin.run("id", "show", "--id", local_copy, password="")
        self.assertEqual(rc, 1, out)
        # Only the author gets the copy.
        rc, out, err = self.john.run("admin", "requests", "show", unid)
        self.assertEqual(rc, 1)
        self.assertIn("not an administrator", err)

        # The root certificate, checked by OpenSSL.
        root = os.path.join(self.tmp.path, "acme-corp-email-root.pem")
        rc, out, err = self.admin.run("admin", "internet-certifier", "show", "Acme-Corp-Email", "--cert-out", root)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("John Roe/Acme", out)
        text = subprocess.run(["openssl", "x509", "-in", root, "-noout", "-text"], capture_output=True, text=True, check=True).stdout
        self.assertIn("X509v3 Basic Constraints: critical", text)
        self.assertIn("CA:TRUE", text)
        self.assertIn("X509v3 Key Usage: critical", text)
        self.assertIn("Certificate Sign, CRL Sign", text)
        self.assertIn("X509v3 Subject Key Identifier", text)
        self.assertIn("Subject: O = Acme, CN = Acme-Corp-Email", text)
        self.assertIn("Issuer: O = Acme, CN = Acme-Corp-Email", text)
        verify = subprocess.run(["openssl", "verify", "-CAfile", root, root], capture_output=True, text=True)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

        # The first CRL is in the ICL.
        _, info, _ = self.console("tell ca crl info 1")
        self.assertIn("regular CRL: #1", info)
        self.assertTrue(self.server.wait_for_output("CA Process: Internet certifier CN=Acme-Corp-Email/O=Acme is active"))

    def test_2_a_password_activated_certifier_waits_for_tell_ca_activate(self):
        rc, out, err = self.create(self.admin, "--cn", "Acme-Secure", "--o", "Acme", "--icl", "ICL_Acme-Secure.nsf",
                                   "--encrypt-with", "server-id", "--require-activation-password", "yes",
                                   "--activation-password", "act-pw", "--key", "ecdsa-p256")
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn("act-pw", out)
        self.console("tell adminp process all")
        _, stat_text, _ = self.console("tell ca refresh")
        line = certifier_line(stat_text, "Acme-Secure")
        self.assertIsNotNone(line, stat_text)
        self.assertIn("Active=No", line)
        self.assertIn("TELL CA ACTIVATE", line)

        rc, out, err = self.console("tell ca activate Acme-Secure wrong-pw", expect_ok=False)
        self.assertEqual(rc, 1)
        self.assertIn("wrong password", out + err)
        _, stat_text, _ = self.console("tell ca stat")
        self.assertIn("Active=No", certifier_line(stat_text, "Acme-Secure"))

        _, out, _ = self.console("tell ca activate Acme-Secure act-pw")
        self.assertIn("Activated CN=Acme-Secure/O=Acme", out)
        _, stat_text, _ = self.console("tell ca stat")
        self.assertIn("Active=Yes", certifier_line(stat_text, "Acme-Secure"))
        self.assertIn("Active=Yes", certifier_line(stat_text, "Acme-Corp-Email"))

        # Deactivate, and LOCK / UNLOCK IDFILE: only the server-ID certifier comes back alone.
        self.console("tell ca deactivate Acme-Secure")
        _, stat_text, _ = self.console("tell ca stat")
        self.assertIn("Active=No", certifier_line(stat_text, "Acme-Secure"))
        self.console("tell ca lock idfile")
        _, stat_text, _ = self.console("tell ca stat")
        self.assertIn("Active=No", certifier_line(stat_text, "Acme-Corp-Email"))
        self.console("tell ca unlock idfile")
        _, stat_text, _ = self.console("tell ca stat")
        self.assertIn("Active=Yes", certifier_line(stat_text, "Acme-Corp-Email"))
        self.assertIn("Active=No", certifier_line(stat_text, "Acme-Secure"))
        self.console("tell ca activate 2 act-pw")
        _, stat_text, _ = self.console("tell ca stat")
        self.assertIn("Active=Yes", certifier_line(stat_text, "Acme-Secure"))

    def test_3_non_administrators_and_non_caas_are_refused(self):
        rc, out, err = self.create(self.john, "--cn", "Rogue", "--icl", "ICL_Rogue.nsf", "--encrypt-with", "server-id",
                                   "--require-activation-password", "no")
        self.assertEqual(rc, 1, out)
        self.assertIn("John Roe/Acme is not an administrator of Acme01/Acme", err)
        self.assertTrue(self.server.wait_for_output(
            "403 POST /api/v1/admin/requests/internet-certifier from John Roe/Acme"))
        rc, _, err = self.john.run("admin", "requests", "list")
        self.assertEqual(rc, 1)
        self.assertIn("not an administrator", err)
        self.assertFalse(os.path.exists(os.path.join(self.data, "ICL_Rogue.nsf")))

        # Only CAAs may change a certifier's roles: Mary is none, John (not an administrator) is.
        rc, out, err = self.mary.run("admin", "internet-certifier", "roles", "Acme-Corp-Email", "--ra", "Mary Poe/Acme")
        self.assertEqual(rc, 1, out)
        self.assertIn("Mary Poe/Acme is not a CA administrator (CAA) of certifier Acme-Corp-Email/Acme", err)
        rc, out, err = self.john.run("admin", "internet-certifier", "roles", "Acme-Corp-Email",
                                     "--caa", "Jane Admin/Acme", "--caa", "John Roe/Acme",
                                     "--ra", "Jane Admin/Acme", "--ra", "John Roe/Acme", "--ra", "Mary Poe/Acme", "--json")
        self.assertEqual(rc, 0, out + err)
        modify = json.loads(out)
        self.assertEqual(modify["type"], "Modify CA Configuration")
        self.console("tell adminp process all")
        rc, out, err = self.admin.run("admin", "internet-certifier", "show", "Acme-Corp-Email", "--json")
        self.assertEqual(rc, 0, err)
        self.assertIn("CN=Mary Poe/O=Acme", json.loads(out)["ra"])
        _, stat_text, _ = self.console("tell ca refresh")
        self.assertIn("Active=Yes", certifier_line(stat_text, "Acme-Corp-Email"))  # the new revision verifies

        # A second certifier of the same name is refused at once.
        rc, out, err = self.create(self.admin, "--cn", "Acme-Corp-Email", "--o", "Acme", "--icl", "ICL_Other.nsf",
                                   "--encrypt-with", "server-id", "--require-activation-password", "no")
        self.assertEqual(rc, 1, out)
        self.assertIn("already exists", err)

    def test_4_a_server_killed_mid_request_finishes_it_after_restart_once(self):
        self.restart(env={PAUSE_ENV: "60000"})
        rc, out, err = self.create(self.admin, "--cn", "Acme-Crash", "--o", "Acme", "--icl", "ICL_Acme-Crash.nsf",
                                   "--encrypt-with", "server-id", "--require-activation-password", "no", "--json")
        self.assertEqual(rc, 0, out + err)
        unid = json.loads(out)["unid"]
        tell = subprocess.Popen([binary("nserver"), "--data", self.data, "-c", "tell adminp process all"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            self.assertTrue(self.server.wait_for_output(f"pausing 60000 ms with request {unid} InProgress", timeout=30),
                            self.server.output())
            self.server.proc.send_signal(signal.SIGKILL)
            self.server.proc.wait(timeout=10)
        finally:
            tell.communicate(timeout=30)
        self.server.stop()

        # Restart without the hook: AdminP's start-up pass redoes the interrupted request.
        type(self).server = Server(self.data).wait_ready()
        self.assertTrue(self.server.wait_for_output(
            f"'Create Internet Certifier' for CN=Acme-Crash/O=Acme completed (request {unid})", timeout=30),
            self.server.output())
        _, stat_text, _ = self.console("tell ca refresh")
        lines = certifier_lines(stat_text, "Acme-Crash")
        self.assertEqual(len(lines), 1, stat_text)
        self.assertIn("Active=Yes", lines[0])
        rc, out, err = self.admin.run("admin", "internet-certifier", "list", "--json")
        self.assertEqual(rc, 0, err)
        names = [c["name"] for c in json.loads(out)["certifiers"]]
        self.assertEqual(names.count("CN=Acme-Crash/O=Acme"), 1, names)
        rc, out, err = self.admin.run("admin", "requests", "show", unid, "--json")
        self.assertEqual(rc, 0, err)
        request = json.loads(out)
        self.assertEqual(request["status"], "Done")
        self.assertEqual(request["attempts"], 2)
        self.assertEqual([r["outcome"] for r in request["responses"]], ["Done"])

    def test_5_adminp_works_interval_requests_on_its_own(self):
        self.console("set config AdminP_Interval_Seconds=2")
        local_copy = os.path.join(self.tmp.path, "Acme-Auto.id")
        started = time.time()
        rc, out, err = self.create(self.admin, "--cn", "Acme-Auto", "--o", "Acme", "--icl", "icl/ICL_Acme-Auto.nsf",
                                   "--encrypt-with", "password", "--certifier-password", "cert-id-pw",
                                   "--require-activation-password", "yes",
                                   "--local-copy", local_copy, "--local-copy-password", "auto-pw",
                                   "--wait", "--wait-seconds", "60")
        self.assertEqual(rc, 0, out + err)
        self.assertLess(time.time() - started, 60)
        self.assertIn("AdminP created the Internet certifier CN=Acme-Auto/O=Acme", out)
        self.assertTrue(os.path.exists(local_copy))
        rc, out, err = self.admin.run("id", "show", "--id", local_copy, password="auto-pw")
        self.assertEqual(rc, 0, out + err)
        self.assertTrue(os.path.exists(os.path.join(self.data, "icl", "ICL_Acme-Auto.nsf")))
        _, stat_text, _ = self.console("tell ca refresh")
        self.assertIn("Active=No", certifier_line(stat_text, "Acme-Auto"))
        self.console("tell ca activate Acme-Auto cert-id-pw")
        _, stat_text, _ = self.console("tell ca stat")
        self.assertIn("Active=Yes", certifier_line(stat_text, "Acme-Auto"))
        _, requests, _ = self.console("tell adminp show requests all")
        self.assertIn("Done", requests)
        _, databases, _ = self.console("tell adminp show databases")
        self.assertIn("icl/ICL_Acme-Auto.nsf", databases)


if __name__ == "__main__":
    unittest.main()
