"""Issue 16, part 1: Internet passwords, through the real binaries.

An administrator sets a person's Internet password (`notes admin person
set-internet-password`, the password piped in with --password-stdin or typed twice on a
terminal), the person changes it (`notes id internet-password`); a non-administrator cannot
set someone else's; the password rules are enforced by the server; names.nsf's Person note
holds only an Argon2id PHC string (read with `notes db show`), and neither console.log nor
any output holds a password. No protocol checks Internet passwords yet (IMAP, POP3 and SMTP
AUTH will), so the login check itself is covered by the unit tests
(tests/unit/directory_internet_password_test.cc).
"""
import json
import os
import pty
import select
import subprocess
import termios
import time
import unittest

from notesd_harness import FAST_KDF_ENV, binary, register_client, set_up_client, start_test_server, stop_test_server

ADMIN_SECRET = "Admin-Set-Inet-Pw-4711"
OWN_SECRET = "Johns-Own-Inet-Pw-0815"
TYPED_SECRET = "Typed-On-Terminal-Pw-42"
ALL_SECRETS = (ADMIN_SECRET, OWN_SECRET, TYPED_SECRET, "Not-Matching-One", "Not-Matching-Two")


def type_on_terminal(client_dir, id_password, answers, *args, timeout=60):
    """`notes ARGS` with stdin on a pseudo-terminal; each answer is typed once its prompt
    (the next ": " on stderr) is shown and echo is off, as a person would (the prompt
    flushes input typed ahead). Returns (returncode, stdout, stderr)."""
    controller, terminal = pty.openpty()
    env = {**os.environ, **FAST_KDF_ENV, "NOTESD_PASSWORD": id_password}
    proc = subprocess.Popen([binary("notes"), "--client-dir", client_dir, *args], stdin=terminal,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    stderr = b""
    deadline = time.monotonic() + timeout
    try:
        for answer in answers:
            seen = stderr.count(b": ")
            while stderr.count(b": ") == seen and time.monotonic() < deadline and proc.poll() is None:
                if select.select([proc.stderr], [], [], 0.1)[0]:
                    stderr += os.read(proc.stderr.fileno(), 4096)
            while termios.tcgetattr(terminal)[3] & termios.ECHO and time.monotonic() < deadline:
                time.sleep(0.02)
            os.write(controller, answer + b"\n")
        out, err = proc.communicate(timeout=max(1, deadline - time.monotonic()))
        return proc.returncode, out.decode(), (stderr + err).decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(terminal)
        os.close(controller)


class InternetPasswordTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_test_server(cls, email="jane@acme.example")
        cls.admin = set_up_client(cls, "admin", os.path.join(cls.data, "ids", "jadmin.id"), "admin-pw")
        cls.john = register_client(cls, "John Roe", "jroe")

    @classmethod
    def tearDownClass(cls):
        stop_test_server(cls)

    def person_items(self, name):
        """The Person note whose FullName includes `name`, in the server's names.nsf (read
        with `notes db show`, as text and as JSON)."""
        names = os.path.join(self.data, "names.nsf")
        rc, out, err = self.admin.run("db", "list", names, "--form", "person", "--json")
        self.assertEqual(rc, 0, err)
        found = []
        for summary in json.loads(out):
            rc, shown, err = self.admin.run("db", "show", names, str(summary["noteid"]), "--json")
            self.assertEqual(rc, 0, err)
            if f"CN={name}/" in shown:
                found.append(shown)
        self.assertEqual(len(found), 1, out)
        return found[0], json.loads(found[0])

    def http_password(self, name):
        raw, note = self.person_items(name)
        for secret in ALL_SECRETS:
            self.assertNotIn(secret, raw)
        self.assertIn("HTTPPasswordChangeDate", raw)
        text = json.dumps(note)
        start = text.find("$argon2id$")
        self.assertGreaterEqual(start, 0, raw)
        return text[start:text.find('"', start)]

    def test_1_admin_sets_then_person_changes(self):
        rc, out, err = self.admin.run("admin", "person", "set-internet-password", "John Roe/Acme", "--password-stdin",
                                      input=ADMIN_SECRET + "\n")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("The Internet password of CN=John Roe/O=Acme has been set", out)
        first = self.http_password("John Roe")
        self.assertRegex(first, r"^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")

        rc, out, err = self.john.run("id", "internet-password", "--password-stdin", "--json", input=OWN_SECRET + "\n")
        self.assertEqual(rc, 0, out + err)
        reply = json.loads(out)
        self.assertEqual(reply["name"], "CN=John Roe/O=Acme")
        self.assertRegex(reply["changed"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        second = self.http_password("John Roe")
        self.assertNotEqual(first, second)

        # Typed twice on a terminal; two different answers change nothing.
        rc, out, err = type_on_terminal(self.john.client_dir, "user-pw", [b"Not-Matching-One", b"Not-Matching-Two"],
                                        "id", "internet-password")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("do not match", err)
        self.assertEqual(self.http_password("John Roe"), second)
        rc, out, err = type_on_terminal(self.john.client_dir, "user-pw", [TYPED_SECRET.encode()] * 2,
                                        "id", "internet-password")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("New Internet password: ", err)
        self.assertIn("Your Internet password has been set", out)
        self.assertNotIn(TYPED_SECRET, out + err)
        self.assertNotEqual(self.http_password("John Roe"), second)

        rc, out, err = self.server.command("show stat Security.InternetPassword.Set")
        self.assertEqual(rc, 0, err)
        self.assertIn("Security.InternetPassword.Set = 3", out)

    def test_2_only_administrators_set_other_peoples(self):
        rc, out, err = self.john.run("admin", "person", "set-internet-password", "Jane Admin", "--password-stdin",
                                     input="John-Tries-For-Jane\n")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("not an administrator", err)
        raw, _ = self.person_items("Jane Admin")
        self.assertNotIn("HTTPPassword", raw)
        rc, out, err = self.admin.run("admin", "person", "set-internet-password", "Nobody Here", "--password-stdin",
                                      input="Some-Password\n")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("Nobody Here", err)

    def test_3_the_rules_and_the_sources(self):
        rc, out, err = self.john.run("id", "internet-password", "--password-stdin", input="\n")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("must not be empty", err)
        rc, out, err = self.john.run("id", "internet-password", "--password-stdin", input="x" * 1025 + "\n")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("at most 1024", err)
        # No terminal and no --password-stdin: nothing to read, nothing sent.
        rc, out, err = self.john.run("id", "internet-password", input="")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("--password-stdin", err)
        # The password is never an option.
        rc, out, err = self.john.run("id", "internet-password", "--new-password", "p")
        self.assertEqual(rc, 2, out + err)

    def test_9_no_password_in_the_log(self):
        with open(os.path.join(self.data, "console.log"), errors="replace") as f:
            log = f.read()
        self.assertIn("Internet password of John Roe/Acme set by Jane Admin/Acme", log)
        self.assertIn("Internet password of John Roe/Acme set by John Roe/Acme (own password)", log)
        for secret in ALL_SECRETS + ("John-Tries-For-Jane", "Some-Password"):
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    unittest.main()
