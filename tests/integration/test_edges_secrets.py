"""Issue 13 ("Safe at the edges"), points 2, 8 and 14: no password in any log, history,
argv or environment; untrusted text escaped before it reaches a terminal or a log; the
small CA console fixes (ACTIVATE without a password for a server-ID certifier,
DEACTIVATE answering once) and the NOTESD_ID_KDF=fast warning.

One server lives through every password-taking command (set-up with the passwords in
the environment, TELL CA ACTIVATE on the console, with `nserver -c` in argv and on stdin,
over the remote console, TELL CA UNLOCK IDFILE, RESTART SERVER); the last test then
greps every file of the data directory, the history and /proc for the passwords and
checks every file's mode.
"""
import os
import smtplib
import stat
import subprocess
import time
import unittest

from mail_harness import ApiUser, set_ini, wait_until
from notesd_harness import (FAST_KDF_ENV, Client, Server, TempDir, binary, free_port, read_terminal_until,
                            start_on_terminal, write_ini)

CERT_PW = "CertPw-Secret-Alpha1"
ADMIN_PW = "AdminPw-Secret-Bravo2"
ACT_PW = "ActPw-Secret-Charlie3"
HISTORY_PW = "HistPw-Secret-Delta4"
SECRETS = [CERT_PW, ADMIN_PW, ACT_PW, HISTORY_PW]
SECRET_ENV = {"NOTESD_CERTIFIER_PASSWORD": CERT_PW, "NOTESD_ADMIN_PASSWORD": ADMIN_PW}


def proc_file(pid, name):
    with open(f"/proc/{pid}/{name}", "rb") as f:
        return f.read()


def assert_no_secret(test, data, where):
    for secret in SECRETS:
        test.assertNotIn(secret.encode(), data, f"{secret} found in {where}")


class EdgesSecretsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.data = os.path.join(cls.tmp.path, "server")
        cls.port, cls.smtp_port = free_port(), free_port()
        # Set-up with both passwords in the environment only (not in argv).
        cls.setup_run = subprocess.run(
            [binary("nserver"), "--data", cls.data, "--setup", "--org", "Acme", "--server-name", "Acme01",
             "--admin-name", "Jane Admin", "--admin-email", "jane@acme.example", "--http-port", str(cls.port),
             "--http-address", "127.0.0.1", "--server-tasks", "HTTP,AdminP,CA,Router,SMTP"],
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
            env={**os.environ, **FAST_KDF_ENV, **SECRET_ENV})
        if cls.setup_run.returncode != 0:
            raise AssertionError(cls.setup_run.stdout + cls.setup_run.stderr)
        set_ini(cls.data, {"SMTPListenerPort": cls.smtp_port, "SMTPListenerAddress": "127.0.0.1",
                           "SMTPDomains": "acme.example"})
        # The server is started with the password variables too: it must drop them.
        cls.server = Server(cls.data, env={**FAST_KDF_ENV, **SECRET_ENV}).wait_ready()
        cls.admin = Client(os.path.join(cls.tmp.path, "admin-client"), password=ADMIN_PW)
        rc, out, err = cls.admin.run("setup", "--id", os.path.join(cls.data, "ids", "jadmin.id"),
                                     "--server-address", f"127.0.0.1:{cls.port}")
        if rc != 0:
            raise AssertionError(out + err)
        for args in (["--cn", "Acme-Auto", "--icl", "ICL_Acme-Auto.nsf", "--require-activation-password", "no"],
                     ["--cn", "Acme-Secure", "--icl", "ICL_Acme-Secure.nsf", "--require-activation-password", "yes",
                      "--activation-password", ACT_PW]):
            rc, out, err = cls.admin.run("admin", "internet-certifier", "create", "--o", "Acme",
                                         "--encrypt-with", "server-id", *args)
            if rc != 0:
                raise AssertionError(out + err)
        cls.command("tell adminp process all")
        cls.command("tell ca refresh")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    @classmethod
    def command(cls, line, expect_ok=True):
        rc, out, err = cls.server.command(line)
        if expect_ok and rc != 0:
            raise AssertionError(f"{line}: {out}{err}")
        return rc, out, err

    def certifier_line(self, name):
        _, out, _ = self.command("tell ca stat")
        return next(line for line in out.splitlines() if f"CN={name}/" in line)

    def console_log(self):
        with open(os.path.join(self.data, "console.log"), "rb") as f:
            return f.read()

    # --- 14: the KDF warning and the CA console ----------------------------------------------

    def test_1_fast_kdf_is_loudly_warned(self):
        self.assertIn("WARNING: NOTESD_ID_KDF=fast", self.setup_run.stderr)
        self.assertEqual(self.setup_run.stderr.count("WARNING: NOTESD_ID_KDF=fast"), 1)

    def test_2_deactivate_answers_once_and_a_server_id_certifier_activates_without_a_password(self):
        self.assertIn("Active=Yes", self.certifier_line("Acme-Auto"))
        _, out, _ = self.command("tell ca deactivate Acme-Auto")
        self.assertEqual(out.count("Deactivated CN=Acme-Auto/O=Acme"), 1, out)
        self.assertIn("Active=No", self.certifier_line("Acme-Auto"))
        _, out, _ = self.command("tell ca activate Acme-Auto")  # no password, stdin empty
        self.assertIn("Activated CN=Acme-Auto/O=Acme", out)
        self.assertIn("Active=Yes", self.certifier_line("Acme-Auto"))
        # A certifier with an activation password still needs it.
        rc, out, err = self.command("tell ca activate Acme-Secure", expect_ok=False)
        self.assertEqual(rc, 1, out)
        self.assertIn("needs its password", err)

    # --- 2: the password-taking commands -----------------------------------------------------

    def test_3_nserver_c_reads_the_password_from_stdin_never_from_argv(self):
        proc = subprocess.Popen([binary("nserver"), "--data", self.data, "-c", "tell ca activate Acme-Secure"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, **SECRET_ENV})
        try:
            time.sleep(0.5)  # it waits for its stdin now
            self.assertIsNone(proc.poll())
            assert_no_secret(self, proc_file(proc.pid, "cmdline"), "nserver -c's cmdline")
            assert_no_secret(self, proc_file(proc.pid, "environ"), "nserver -c's environ")
            out, err = proc.communicate((ACT_PW + "\n").encode(), timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(b"Activated CN=Acme-Secure/O=Acme", out)
        self.command("tell ca deactivate Acme-Secure")

    def test_4_a_password_in_argv_on_the_console_and_remote_is_masked(self):
        _, out, _ = self.command(f"tell ca activate Acme-Secure {ACT_PW}")
        self.assertIn("Activated", out)
        self.command("tell ca deactivate 2")
        # The server console (a pipe here).
        self.server.console(f"t ca act Acme-Secure {ACT_PW}")
        self.assertTrue(wait_until(lambda: "Active=Yes" in self.certifier_line("Acme-Secure")))
        self.command("tell ca deactivate Acme-Secure")
        # The remote console over the client API.
        rc, out, err = self.admin.run("admin", "console", f"tell ca activate Acme-Secure {ACT_PW}")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Activated", out)
        self.assertNotIn(ACT_PW, out + err)
        self.assertTrue(self.server.wait_for_output("Remote console command from Jane Admin/Acme: "
                                                    "tell ca activate Acme-Secure ********"))
        # LOCK / UNLOCK IDFILE with the password.
        self.command("tell ca lock idfile")
        _, out, _ = self.command(f"tell ca unlock idfile {ACT_PW}")
        self.assertIn("Acme-Secure/O=Acme is active", out)
        log = self.console_log()
        self.assertIn(b"> tell ca activate Acme-Secure ********", log)
        self.assertIn(b"> tell ca unlock idfile ********", log)
        assert_no_secret(self, log, "console.log")
        assert_no_secret(self, self.server.output().encode(), "the console")

    def test_5_restart_server_does_not_bring_the_environment_back(self):
        pid = self.server.proc.pid
        assert_no_secret(self, proc_file(pid, "environ"), "the server's environ")
        before = self.server.output().count("Server started")
        self.command("restart server")
        self.assertTrue(wait_until(lambda: self.server.output().count("Server started") > before, timeout=30),
                        self.server.output()[-2000:])
        self.assertEqual(self.server.proc.pid, pid)
        assert_no_secret(self, proc_file(pid, "environ"), "the restarted server's environ")
        assert_no_secret(self, proc_file(pid, "cmdline"), "the server's cmdline")

    # --- 8: untrusted text is escaped --------------------------------------------------------

    def test_6_mail_from_outside_shows_escaped_in_mail_list_and_read(self):
        self.assertTrue(wait_until(lambda: "Listening for SMTP" in self.server.output(), timeout=20))
        message = (b"From: \x1b[31mEvil\xc2\x9b <evil@example.org>\r\n"
                   b"To: jane@acme.example\r\n"
                   b"Subject: Hi \x1b]0;owned\x07 \xc2\x9b2J \xff\xfe bad\r\n"
                   b"\r\n"
                   b"body \x1b[2J\xc2\x9b31m and \xc3 broken\r\n")
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.example.org", timeout=20) as s:
            s.sendmail("evil@example.org", ["jane@acme.example"], message)
        listed = wait_until(lambda: (lambda r: r[1] if r[0] == 0 and "Evil" in r[1] else None)(
            self.admin.run("mail", "list")), timeout=30)
        self.assertTrue(listed, self.server.output()[-2000:])
        rc, read, err = self.admin.run("mail", "read", "1")
        self.assertEqual(rc, 0, err)
        for shown, what in ((listed, "mail list"), (read, "mail read")):
            self.assertNotIn("\x1b", shown, what)
            self.assertNotIn("\x9b", shown, what)
            self.assertNotIn("\x07", shown, what)
            shown.encode("ascii")  # everything outside ASCII here was a control or invalid: escaped
            self.assertIn("\\x1B", shown, what)
        self.assertIn("\\u009B", read)
        self.assertIn("body \\x1B[2J\\u009B31m and \\xC3 broken", read)

    def test_7_an_escape_in_a_url_never_reaches_console_log_raw(self):
        user = ApiUser(os.path.join(self.data, "ids", "jadmin.id"), ADMIN_PW, self.port, self.tmp.path, "jane")
        code, _ = user.call("GET", "/api/v1/people/lookup?name=%00%1b%5B31mEvil%c2%9b")
        self.assertEqual(code, 404)
        self.assertTrue(self.server.wait_for_output("404 GET /api/v1/people/lookup"))
        log = self.console_log()
        self.assertIn(b"404 GET /api/v1/people/lookup", log)
        for raw in (b"\x1b", b"\x00", b"\xc2\x9b"):
            self.assertNotIn(raw, log)
        self.assertIn(b"\\x1B[31mEvil", log)

    # --- the sweep ---------------------------------------------------------------------------

    def test_9_no_password_in_any_file_and_every_file_owner_only(self):
        self.command("show tasks")  # everything above is written
        checked = 0
        for root, dirs, files in os.walk(self.data):
            for name in dirs:
                path = os.path.join(root, name)
                self.assertEqual(stat.S_IMODE(os.lstat(path).st_mode), 0o700, path)
            for name in files:
                path = os.path.join(root, name)
                mode = os.lstat(path).st_mode
                self.assertEqual(stat.S_IMODE(mode), 0o600, path)
                if stat.S_ISREG(mode):
                    with open(path, "rb") as f:
                        assert_no_secret(self, f.read(), path)
                    checked += 1
        self.assertEqual(stat.S_IMODE(os.stat(self.data).st_mode), 0o700)
        self.assertGreater(checked, 10)
        pid = self.server.proc.pid
        assert_no_secret(self, proc_file(pid, "environ"), "the server's environ")
        assert_no_secret(self, proc_file(pid, "cmdline"), "the server's cmdline")


class ConsoleHistorySecretsTest(unittest.TestCase):
    """The console on a terminal keeps a history file: passwords are masked there too."""

    def test_history_and_console_log_hold_the_mask_not_the_password(self):
        tmp = TempDir()
        try:
            write_ini(tmp.path, "ServerName=CN=Acme01/O=Acme\nServerTasks=\n")
            proc, master = start_on_terminal(tmp.path)
            try:
                read_terminal_until(master, "Server started")
                os.write(master, f"tell ca activate 1 {HISTORY_PW}\r".encode())
                time.sleep(0.5)  # no CA task here: refused, but typed and kept in the history
                os.write(master, b"exit\r")
                read_terminal_until(master, "Server shutdown complete")
                self.assertEqual(proc.wait(timeout=15), 0)
            finally:
                os.close(master)
            history_path = os.path.join(tmp.path, ".nserver_history")
            with open(history_path, "rb") as f:
                history = f.read()
            self.assertIn(b"********", history)
            self.assertNotIn(HISTORY_PW.encode(), history)
            self.assertEqual(stat.S_IMODE(os.stat(history_path).st_mode), 0o600)
            with open(os.path.join(tmp.path, "console.log"), "rb") as f:
                log = f.read()
            self.assertIn(b"> tell ca activate 1 ********", log)
            self.assertNotIn(HISTORY_PW.encode(), log)
        finally:
            tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
