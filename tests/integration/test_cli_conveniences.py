"""Issue 8 item 3: tester conveniences, through the real binaries.

- Every `notes` command takes --json and prints one JSON document on stdout: the walk runs
  each leaf command found in `notes --help` (recursively) against a running server and
  json.loads() its stdout; a command left out of the walk fails the test.
- `--help` exits 0 on every command; `--version` on notes and nserver.
- A clock tests can advance: `SET CLOCK +2h` (Test_ClockAdvance=1) makes the CA issue the
  next regular CRL of a certifier with a one-hour CRL interval, without waiting; with
  Test_ClockAdvance=0 the command is refused (exit 1) and the clock stays.
- Exit statuses: 2 usage, 1 refused, 3 unreachable, for notes and `nserver -c`.

The tests run in order on one server (HTTP, Router, SMTP, AdminP, CA); ports are chosen
at run time, 127.0.0.1 only.
"""
import json
import os
import re
import shutil
import smtplib
import subprocess
import time
import unittest

from mail_harness import set_up_mail_data, wait_until
from notesd_harness import Client, Server, TempDir, binary, free_port, run_nserver_command

CERTIFIER = "Acme-Test-Email"
JANE = "jane@acme.example"
OUTSIDE = "outside@example.org"


def notes_help_tree(*path):
    """Every command path under `notes *path`, by walking the --help output; each with
    its --help exit status and text."""
    done = subprocess.run([binary("notes"), *path, "--help"], capture_output=True, text=True)
    found = {path: (done.returncode, done.stdout)}
    section = re.search(r"(?ms)^Subcommands:\n(.*?)(?:\n\S|\Z)", done.stdout)
    if section:
        for name in re.findall(r"(?m)^  ([a-z][a-z0-9-]*)\s", section.group(1)):
            found.update(notes_help_tree(*path, name))
    return found


def leaf_commands():
    tree = notes_help_tree()
    return {path: text for path, (_, text) in tree.items()
            if path and not re.search(r"(?m)^Subcommands:", text)}


def openssl(*args):
    done = subprocess.run(["openssl", *args], capture_output=True)
    if done.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)}: {done.stderr.decode()}")
    return done.stdout


class CliConveniencesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.data = os.path.join(cls.tmp.path, "server")
        cls.port, cls.smtp_port = set_up_mail_data(cls.data, "HTTP,Router,SMTP,AdminP,CA",
                                                   {"SMTPHostName": "mx.acme.example", "HTTP_CRLPort": free_port(),
                                                    "Test_ClockAdvance": 1})
        cls.server = Server(cls.data).wait_ready()
        cls.covered = set()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.path, name)

    def console(self, line, expect=0):
        rc, out, err = self.server.command(line)
        self.assertEqual(rc, expect, f"{line}: {out}{err}")
        return out + err

    def json_run(self, client, *args, expect=0, input=None):
        """Runs `notes ARGS --json` (with `input` on its standard input), checks the exit
        status, parses stdout as one JSON document and records the command as covered."""
        rc, out, err = client.run(*args, "--json", input=input)
        self.assertEqual(rc, expect, f"notes {' '.join(args)} --json: {out}{err}\n{self.server.output()[-3000:]}")
        try:
            value = json.loads(out)
        except json.JSONDecodeError as error:
            self.fail(f"notes {' '.join(args)} --json printed no JSON ({error}): {out!r}")
        self.check_times_are_rfc3339(value, " ".join(args))
        words = tuple(a for a in args if not a.startswith("-"))
        for length in range(len(words), 0, -1):
            if words[:length] in self.leaves:
                self.covered.add(words[:length])
                break
        return value

    TIME_FIELDS = {"posted", "delivered", "created", "modified", "not_before", "not_after", "started", "finished",
                   "retry_at", "signing_time", "expires"}

    def check_times_are_rfc3339(self, value, command):
        """Every time in --json output is an RFC 3339 UTC string, never epoch microseconds."""
        if isinstance(value, list):
            for item in value:
                self.check_times_are_rfc3339(item, command)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in self.TIME_FIELDS and not isinstance(item, (dict, list, bool)):
                    self.assertIsInstance(item, str, f"notes {command} --json: {key} = {item!r} is not a time string")
                    if item not in ("", "?"):
                        self.assertRegex(item, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", f"notes {command} --json: {key}")
                        self.__class__.times_seen = getattr(self.__class__, "times_seen", 0) + 1
                else:
                    self.check_times_are_rfc3339(item, command)

    # ---- --json everywhere ------------------------------------------------------------

    def test_1_every_command_prints_json(self):
        self.__class__.leaves = leaf_commands()
        self.assertIn(("admin", "internet-certifier", "create"), self.leaves)
        for path, text in self.leaves.items():
            options = text.split("Options:", 1)[-1].split("\n\n", 1)[0]
            self.assertIn("--json", options, f"`notes {' '.join(path)}` has no --json")

        # The administrator connects (setup), makes a certifier with a one-hour CRL interval.
        admin = Client(self.path("admin-client"), password="admin-pw")
        reply = self.json_run(admin, "setup", "--id", os.path.join(self.data, "ids", "jadmin.id"),
                              "--server-address", f"127.0.0.1:{self.port}")
        self.assertIsInstance(reply, dict)
        self.assertIn("Jane Admin", json.dumps(reply))
        self.json_run(admin, "whoami")
        self.json_run(admin, "people", "show", "Jane Admin")
        people = self.json_run(admin, "people", "list")
        self.assertIn("Jane Admin", json.dumps(people))
        reply = self.json_run(admin, "admin", "console", "show tasks")
        self.assertTrue(reply["ok"])
        self.assertIn(("admin", "mail", "track"), self.leaves)
        self.assertIsInstance(self.json_run(admin, "admin", "mail", "track", "--since", "2000-01-01")["events"], list)
        self.json_run(admin, "admin", "internet-certifier", "create", "--cn", CERTIFIER, "--o", "Acme",
                      "--icl", f"ICL_{CERTIFIER}.nsf", "--crl-interval-hours", "1", "--crl-duration-days", "1")
        self.console("tell adminp process all")
        self.assertIn("Active=Yes", self.console("tell ca refresh"))
        self.json_run(admin, "admin", "internet-certifier", "list")
        self.json_run(admin, "admin", "internet-certifier", "show", CERTIFIER)
        self.json_run(admin, "admin", "internet-certifier", "roles", CERTIFIER, "--ra", "Jane Admin/Acme")
        requests = self.json_run(admin, "admin", "requests", "list")
        unids = re.findall(r'"unid": "([0-9A-Fa-f]{32})"', json.dumps(requests, indent=1))
        self.assertTrue(unids, requests)
        self.json_run(admin, "admin", "requests", "show", unids[0])

        # John is registered; both get Internet certificates; John's first one is revoked.
        john_id = self.path("jroe.id")
        self.json_run(admin, "admin", "register", "--certifier-id", os.path.join(self.data, "cert.id"),
                      "--certifier-password", "cert-pw", "--name", "John Roe", "--short-name", "jroe",
                      "--email", "jroe@acme.example", "--id-out", john_id, "--id-password", "user-pw")
        john = Client(self.path("john-client"), password="user-pw")
        self.json_run(john, "setup", "--id", john_id, "--server-address", f"127.0.0.1:{self.port}")
        reply = self.json_run(admin, "admin", "people", "add-internet-cert", "Jane Admin", "John Roe",
                              "--ca", CERTIFIER, "--no-wait")
        self.assertEqual(reply["count"], 2, reply)
        batch = reply["batch"]
        progress = self.json_run(admin, "admin", "requests", "batch", batch)
        self.assertEqual((progress["total"], progress["pending"]), (2, 2), progress)
        rc, out, err = admin.run("admin", "requests", "batch", batch, "--wait", "--timeout", "1")
        self.assertEqual(rc, 1, out + err)  # AdminP has not run yet: the wait ends, saying how to follow it
        self.assertIn("0 of 2 done, 0 failed, waiting for AdminP", out)
        self.assertIn(f"notes admin requests batch {batch} --wait", err)
        self.console("tell adminp process people")
        progress = self.json_run(admin, "admin", "requests", "batch", batch, "--wait")
        self.assertEqual((progress["done"], progress["pending"]), (2, 0), progress)
        person = self.json_run(admin, "admin", "person", "show", "John Roe", "--certificates")
        serial = person["internet_certificate_details"][0]["serial"]
        self.json_run(admin, "admin", "certificates", "revoke", "--ca", CERTIFIER, "--serial", serial)
        self.json_run(admin, "id", "sync")
        self.json_run(admin, "id", "show")
        certificates = self.json_run(admin, "id", "certificates")
        self.assertTrue(certificates["internet_certificates"])
        jane_cert = self.path("jane.pem")
        self.json_run(admin, "id", "export-cert", "--pem", jane_cert)
        self.json_run(admin, "id", "export", "--pkcs12", self.path("jane.p12"), "--export-password", "p12-pw")
        copy = self.path("copy.id")
        shutil.copy(john_id, copy)
        reply = self.json_run(john, "id", "password", "--id", copy, "--new-password", "new-pw")
        self.assertTrue(reply["password_changed"])
        reply = self.json_run(admin, "admin", "person", "set-internet-password", "John Roe", "--password-stdin",
                              input="inet-pw-by-admin\n")
        self.assertEqual(reply["name"], "CN=John Roe/O=Acme")
        reply = self.json_run(john, "id", "internet-password", "--password-stdin", input="inet-pw-by-john\n")
        self.assertEqual(reply["name"], "CN=John Roe/O=Acme")

        # Mail: Jane writes to John; an outside person sends Jane signed mail over SMTP.
        reply = self.json_run(admin, "mail", "send", "--to", "John Roe", "--subject", "Hello", "--body", "Hi John")
        self.assertRegex(reply["unid"], r"^[0-9A-F]{32}$")
        self.assertTrue(wait_until(lambda: john.run("mail", "list", "--json")[1].count('"unid"') >= 1, timeout=30),
                        self.server.output()[-3000:])
        messages = self.json_run(john, "mail", "list")
        self.assertEqual(len(messages if isinstance(messages, list) else messages["messages"]), 1)
        self.json_run(john, "mail", "read", "1")
        self.json_run(john, "mail", "folders", "create", "Kept")
        self.assertIn("Kept", json.dumps(self.json_run(john, "mail", "folders")))
        self.assertEqual(self.json_run(john, "mail", "move", "1", "Kept")["uid"], 1)
        self.json_run(john, "mail", "delete", "1", "--folder", "Kept")
        number = self.deliver_signed_from_outside(admin)
        self.json_run(admin, "mail", "read", str(number), "--trust", "sender")
        crosses = self.json_run(admin, "contacts", "cross-certs")
        self.assertIn("Outside Person", json.dumps(crosses))
        self.json_run(admin, "contacts", "remove-cross-cert", "1")
        self.json_run(admin, "contacts", "add-sender", str(number), "--include-x509")
        self.json_run(admin, "contacts", "add", "Jane Admin", "--email", JANE)
        self.json_run(admin, "contacts", "import-cert", JANE, jane_cert)
        self.json_run(admin, "contacts", "list")
        self.json_run(admin, "contacts", "show", OUTSIDE)
        self.json_run(admin, "contacts", "remove", JANE)

        # A local database: the client's names.nsf.
        names = os.path.join(self.path("admin-client"), "names.nsf")
        self.json_run(admin, "db", "info", names)
        notes = self.json_run(admin, "db", "list", names)
        self.json_run(admin, "db", "show", names, str(notes[0]["noteid"]))

        self.assertGreater(getattr(self.__class__, "times_seen", 0), 10, "the walk saw hardly any times")
        missing = sorted(" ".join(path) for path in set(self.leaves) - self.covered)
        self.assertEqual(missing, [], "commands not walked with --json")

    def deliver_signed_from_outside(self, admin):
        """An `openssl cms -sign` message from a self-signed outside certificate, over SMTP;
        returns its number in Jane's `notes mail list`."""
        key, cert, body = self.path("outside.key"), self.path("outside.crt"), self.path("outside.txt")
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=Outside Person",
                "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
                "-addext", "extendedKeyUsage=emailProtection", "-addext", f"subjectAltName=email:{OUTSIDE}",
                "-keyout", key, "-out", cert)
        with open(body, "w") as f:
            f.write("Signed hello from outside.\n")
        signed = openssl("cms", "-sign", "-in", body, "-text", "-signer", cert, "-inkey", key,
                         "-from", f"Outside Person <{OUTSIDE}>", "-to", JANE, "-subject", "Signed from outside")
        message = signed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.example.org", timeout=20) as smtp:
            smtp.sendmail(OUTSIDE, [JANE], message)

        def count():
            rc, out, _ = admin.run("mail", "list", "--json")
            return len(json.loads(out)) if rc == 0 and out.startswith("[") else out.count('"unid"')
        self.assertTrue(wait_until(lambda: count() >= 1, timeout=30), self.server.output()[-3000:])
        return count()

    # ---- --help and --version -----------------------------------------------------------

    def test_2_help_on_every_command_and_version(self):
        tree = notes_help_tree()
        self.assertGreater(len(tree), 30)
        for path, (rc, text) in tree.items():
            self.assertEqual(rc, 0, f"notes {' '.join(path)} --help")
            self.assertIn("Usage:", text)
        for program, prefix in (("notes", "notes (notesd) "), ("nserver", "nserver (notesd) ")):
            done = subprocess.run([binary(program), "--version"], capture_output=True, text=True)
            self.assertEqual(done.returncode, 0)
            self.assertRegex(done.stdout, "^" + re.escape(prefix) + r"\d+\.\d+")
        done = subprocess.run([binary("nserver"), "--help"], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0)
        self.assertIn("Exit status", done.stdout)

    # ---- a clock tests can advance ------------------------------------------------------

    def regular_crl_number(self):
        out = self.console(f"tell ca crl info {CERTIFIER} S")
        found = re.search(r"regular CRL: #(\d+)", out)
        self.assertIsNotNone(found, out)
        return int(found.group(1))

    def test_3_set_clock_drives_the_ca_regular_crl(self):
        before = self.regular_crl_number()
        self.assertIn("+0 s", self.console("show clock"))

        # Refused while Test_ClockAdvance=0 (read at every command): exit 1, clock unchanged.
        self.console("set config Test_ClockAdvance=0")
        out = self.console("set clock +2h", expect=1)
        self.assertIn("Test_ClockAdvance=1", out)
        self.assertIn("+0 s", self.console("show clock"))
        self.console("set config Test_ClockAdvance=1")
        self.assertIn("forward step", self.console("set clock -1h", expect=1))

        # +2h passes the one-hour CRL interval: the CA issues the next regular CRL at once.
        start = time.monotonic()
        out = self.console("set clock +2h")
        self.assertIn("Clock moved forward by 7200 s by nserver -c", out)
        self.assertIn("+7200 s", self.console("sh cl"))
        self.assertTrue(wait_until(lambda: self.regular_crl_number() > before, timeout=15),
                        self.server.output()[-3000:])
        self.assertLess(time.monotonic() - start, 15)
        with open(os.path.join(self.data, "console.log")) as f:
            self.assertIn("Clock moved forward by 7200 s", f.read())
        self.assertTrue(self.server.wait_for_output(f"Issued regular CRL #{before + 1} of CN={CERTIFIER}/O=Acme"),
                        self.server.output()[-3000:])

    # ---- exit statuses ------------------------------------------------------------------

    def test_5_show_users_drop_and_broadcast(self):
        admin = Client(self.path("admin-client"), password="admin-pw")
        john = Client(self.path("john-client"), password="user-pw")
        for client in (admin, john):
            rc, out, err = client.run("whoami")
            self.assertEqual(rc, 0, out + err)
        users = self.console("show users")
        rows = [line for line in users.splitlines() if "HTTPS" in line]
        self.assertTrue(any(line.split()[:3] == ["Jane", "Admin/Acme", "HTTPS"] for line in rows), users)
        self.assertTrue(any("John Roe/Acme" in line and "mail/jroe.nsf" in line for line in rows), users)

        # BROADCAST: each user sees it once, on stderr (stdout stays the answer).
        self.assertIn("Broadcast message sent", self.console('broadcast "Maintenance at noon"'))
        rc, out, err = john.run("whoami", "--json")
        self.assertEqual(rc, 0, err)
        self.assertIn("broadcast from", err)
        self.assertIn("Maintenance at noon", err)
        json.loads(out)
        rc, out, err = john.run("whoami")
        self.assertNotIn("Maintenance at noon", err)
        rc, out, err = admin.run("whoami")
        self.assertIn("Maintenance at noon", err)
        self.assertIn("withdrawn", self.console("broadcast"))

        # DROP forgets the API session (the next request opens a new one).
        self.assertIn("1 session(s) dropped", self.console("drop John Roe"))
        self.assertNotIn("John Roe/Acme", self.console("show users"))
        self.assertIn("No sessions of 'Nobody Here'", self.console("drop Nobody Here", expect=1))
        self.assertRegex(self.console("drop all"), r"(?m)^\d+ session\(s\) dropped$")
        self.assertEqual(self.console("show users").strip(), "No users are connected")

    def test_4_exit_statuses(self):
        admin = Client(self.path("admin-client"), password="admin-pw")
        # 2: usage errors, named.
        for args, says in ((("frob",), "unknown command 'frob'"),
                           (("admin", "requests", "frob"), "unknown command 'frob' for `notes admin requests`"),
                           (("id", "show", "--bogus"), "--bogus"),
                           (("admin", "console"), "COMMAND is required"),
                           (("db",), "subcommand is required")):
            rc, out, err = admin.run(*args)
            self.assertEqual(rc, 2, f"notes {' '.join(args)}: {out}{err}")
            self.assertTrue(err.startswith("notes: "), err)
            self.assertIn(says, err)
            self.assertEqual(out, "")
        done = subprocess.run([binary("nserver"), "--bogus"], capture_output=True, text=True)
        self.assertEqual(done.returncode, 2)
        self.assertTrue(done.stderr.startswith("nserver: "), done.stderr)

        # 1: refused. A person who is no administrator; a wrong password; nothing on stdout
        # but the answer (a console refusal is still an answer: JSON with "ok": false).
        john = Client(self.path("john-client"), password="user-pw")
        rc, out, err = john.run("admin", "console", "show tasks", "--json")
        self.assertEqual(rc, 1, out + err)
        self.assertEqual(out, "")
        self.assertTrue(err.startswith("notes: "), err)
        rc, out, err = admin.run("whoami", "--json", password="wrong")
        self.assertEqual((rc, out), (1, ""), err)
        rc, out, err = admin.run("admin", "console", "frob", "--json")
        self.assertEqual(rc, 1, out + err)
        self.assertFalse(json.loads(out)["ok"])
        rc, out, err = run_nserver_command(binary("nserver"), self.data, "frob")
        self.assertEqual(rc, 1, out + err)

        # 3: unreachable. A copy of the client pointing at a closed port; nserver -c on a
        # data directory with no server.
        away = self.path("away-client")
        shutil.copytree(self.path("admin-client"), away)
        with open(os.path.join(away, "notes.ini")) as f:
            ini = f.read()
        with open(os.path.join(away, "notes.ini"), "w") as f:
            f.write(re.sub(r"(?m)^HomeServerAddress=.*$", f"HomeServerAddress=127.0.0.1:{free_port()}", ini))
        rc, out, err = Client(away, password="admin-pw").run("whoami", "--json")
        self.assertEqual((rc, out), (3, ""), err)
        empty = self.path("no-server")
        os.makedirs(empty)
        rc, out, err = run_nserver_command(binary("nserver"), empty, "show tasks")
        self.assertEqual(rc, 3, out + err)


if __name__ == "__main__":
    unittest.main()
