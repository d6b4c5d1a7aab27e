"""The `notes` client on local files, no server running: `notes db info|list|show` on a
names.nsf and `notes id show|password` on ID files, both made by `nserver --setup`; and
`notes setup` against a port where nothing listens (exit 3, nothing written)."""
import json
import os
import stat
import subprocess
import unittest

from notesd_harness import TempDir, binary, free_port

ADMIN_PASSWORD = "admin pw"


def run(args, env=None, stdin=subprocess.DEVNULL, timeout=120):
    """Runs a program; returns (exit status, stdout, stderr). The environment carries no
    password unless `env` gives one, and fast (test-only) ID file encryption."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NOTESD_") or k == "NOTESD_BIN_DIR"}
    full_env["NOTESD_ID_KDF"] = "fast"
    full_env.update(env or {})
    done = subprocess.run(args, capture_output=True, env=full_env, stdin=stdin, timeout=timeout)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


class ClientLocalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.data = os.path.join(cls.tmp.path, "data")
        rc, out, err = run([binary("nserver"), "--setup", "--data", cls.data, "--org", "Acme",
                            "--server-name", "Acme01", "--admin-name", "Jane Admin",
                            "--admin-short-name", "jadmin", "--admin-email", "jadmin@acme.example",
                            "--internet-domain", "acme.example", "--admin-password", ADMIN_PASSWORD,
                            "--certifier-password", "cert pw", "--key", "ecdsa-p256",
                            "--http-port", str(free_port()), "--http-address", "127.0.0.1"])
        if rc != 0:
            raise AssertionError(f"nserver --setup failed ({rc}): {out}{err}")
        cls.names = os.path.join(cls.data, "names.nsf")
        cls.admin_id = os.path.join(cls.data, "ids", "jadmin.id")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def notes(self, *args, env=None):
        return run([binary("notes"), *args], env=env)

    def copy_admin_id(self, name):
        path = os.path.join(self.tmp.path, name)
        with open(self.admin_id, "rb") as src, open(path, "wb") as dst:
            dst.write(src.read())
        os.chmod(path, 0o600)
        return path

    # ---- notes db ----

    def test_db_info_text_and_json(self):
        rc, out, err = self.notes("db", "info", self.names)
        self.assertEqual(rc, 0, err)
        self.assertIn("Replica ID:", out)
        rc, out, err = self.notes("db", "info", self.names, "--json")
        self.assertEqual(rc, 0, err)
        info = json.loads(out)
        self.assertGreaterEqual(info["note_count"], 3)

    def test_db_list_filters_by_form_and_show_finds_by_noteid_and_unid(self):
        rc, out, err = self.notes("db", "list", self.names, "--form", "person", "--json")
        self.assertEqual(rc, 0, err)
        people = json.loads(out)
        self.assertGreaterEqual(len(people), 1)
        self.assertTrue(all(p["form"] == "Person" for p in people))

        first = people[0]
        rc, by_id, err = self.notes("db", "show", self.names, str(first["noteid"]), "--json")
        self.assertEqual(rc, 0, err)
        rc, by_unid, err = self.notes("db", "show", self.names, first["unid"].lower(), "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(by_id), json.loads(by_unid))
        self.assertEqual(json.loads(by_id)["form"], "Person")

        rc, text, _ = self.notes("db", "list", self.names)
        self.assertEqual(rc, 0)
        self.assertIn(first["unid"], text)
        rc, text, _ = self.notes("db", "show", self.names, str(first["noteid"]))
        self.assertIn(f"NoteID: {first['noteid']}", text)

    def test_db_errors_name_the_problem(self):
        missing = os.path.join(self.tmp.path, "missing.nsf")
        rc, _, err = self.notes("db", "info", missing)
        self.assertEqual(rc, 1)
        self.assertEqual(err.strip(), f"notes: no such database: {missing}")
        self.assertFalse(os.path.exists(missing))
        rc, _, err = self.notes("db", "show", self.names, "99999")
        self.assertEqual(rc, 1)
        self.assertIn("99999", err)
        rc, _, err = self.notes("db", "show", self.names, "xyz")
        self.assertEqual(rc, 2)
        self.assertTrue(err.startswith("notes: "))
        rc, _, _ = self.notes("db", "frobnicate", self.names)
        self.assertEqual(rc, 2)

    # ---- notes id ----

    def test_id_show_json_and_text(self):
        rc, out, err = self.notes("id", "show", "--id", self.admin_id, "--json",
                                  env={"NOTESD_PASSWORD": ADMIN_PASSWORD})
        self.assertEqual(rc, 0, err)
        shown = json.loads(out)
        self.assertEqual(shown["name"], "CN=Jane Admin/O=Acme")
        self.assertEqual(shown["abbreviated"], "Jane Admin/Acme")
        self.assertEqual(shown["kind"], "person")
        self.assertEqual(shown["key"]["spec"], "ecdsa-p256")
        self.assertEqual(shown["notes_certificate"]["issued_by"], "O=Acme")
        self.assertTrue(any(c["root"] for c in shown["trusted_certificates"]))
        self.assertEqual(shown["internet_certificates"], [])
        self.assertNotIn("PRIVATE KEY", out)

        rc, out, err = self.notes("--password", ADMIN_PASSWORD, "id", "show", "--id", self.admin_id)
        self.assertEqual(rc, 0, err)
        self.assertIn("Abbreviated:  Jane Admin/Acme", out)
        self.assertIn("Your Internet certificates (0)", out)

    def test_id_show_password_sources_and_failures(self):
        pw_file = os.path.join(self.tmp.path, "pw.txt")
        with open(pw_file, "w") as f:
            f.write(ADMIN_PASSWORD + "\n")
        rc, _, err = self.notes("id", "show", "--id", self.admin_id, "--password-file", pw_file)
        self.assertEqual(rc, 0, err)
        # --password wins over the environment.
        rc, _, err = self.notes("id", "show", "--id", self.admin_id, "--password", "wrong",
                                env={"NOTESD_PASSWORD": ADMIN_PASSWORD})
        self.assertEqual(rc, 1)
        self.assertIn("wrong password", err)
        rc, _, err = self.notes("id", "show", "--id", self.admin_id)
        self.assertEqual(rc, 1)
        self.assertEqual(err.strip(), "notes: no password given (use --password, NOTESD_PASSWORD or a terminal)")
        rc, _, err = self.notes("id", "show", "--id", os.path.join(self.tmp.path, "none.id"), "--password", "x")
        self.assertEqual(rc, 1)
        self.assertIn("no ID file", err)

    def test_id_show_defaults_to_the_client_directory(self):
        client = os.path.join(self.tmp.path, "client-default")
        os.makedirs(client)
        self.copy_admin_id(os.path.join("client-default", "user.id"))
        rc, out, err = self.notes("id", "show", "--json",
                                  env={"NOTESD_CLIENT": client, "NOTESD_PASSWORD": ADMIN_PASSWORD})
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["file"], os.path.join(client, "user.id"))

    def test_id_password_changes_atomically_and_refuses_a_wrong_old_password(self):
        path = self.copy_admin_id("change.id")
        with open(path, "rb") as f:
            before = f.read()
        rc, _, err = self.notes("id", "password", "--id", path, "--password", "not it", "--new-password", "new")
        self.assertEqual(rc, 1)
        self.assertIn("wrong password", err)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), before)

        rc, out, err = self.notes("id", "password", "--id", path, "--password", ADMIN_PASSWORD,
                                  "--new-password", "new pw")
        self.assertEqual(rc, 0, err)
        self.assertIn("changed", out)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        rc, _, _ = self.notes("id", "show", "--id", path, "--password", ADMIN_PASSWORD)
        self.assertEqual(rc, 1)
        rc, _, err = self.notes("id", "show", "--id", path, env={"NOTESD_PASSWORD": "new pw"})
        self.assertEqual(rc, 0, err)

        rc, _, err = self.notes("id", "password", "--id", path, "--password", "new pw",
                                env={"NOTESD_NEW_ID_PASSWORD": "from env"})
        self.assertEqual(rc, 0, err)
        rc, _, err = self.notes("id", "show", "--id", path, "--password", "from env")
        self.assertEqual(rc, 0, err)

    # ---- notes setup without a server ----

    def test_setup_against_nothing_is_exit_3_and_writes_nothing(self):
        client = os.path.join(self.tmp.path, "client-unreached")
        port = free_port()
        rc, _, err = self.notes("--client-dir", client, "setup", "--id", self.admin_id,
                                "--server-address", f"127.0.0.1:{port}", "--password", ADMIN_PASSWORD)
        self.assertEqual(rc, 3, err)
        self.assertEqual(err.strip(), f"notes: cannot reach the server at 127.0.0.1:{port}: connection refused")
        self.assertFalse(os.path.exists(client))
        rc, _, err = self.notes("--client-dir", client, "setup", "--id", self.admin_id,
                                "--server-address", "no-port", "--password", ADMIN_PASSWORD)
        self.assertEqual(rc, 2)
        rc, _, err = self.notes("--client-dir", client, "whoami", "--password", ADMIN_PASSWORD)
        self.assertEqual(rc, 1)
        self.assertIn("notes setup", err)

    def test_help_and_version(self):
        rc, out, _ = self.notes("--help")
        self.assertEqual(rc, 0)
        self.assertIn("Exit status: 0 ok; 1", out)
        rc, out, _ = self.notes("--version")
        self.assertEqual(rc, 0)
        self.assertIn("notes (notesd)", out)
        rc, out, _ = self.notes("admin", "register", "--help")
        self.assertEqual(rc, 0)
        self.assertIn("--certifier-id", out)


if __name__ == "__main__":
    unittest.main()
