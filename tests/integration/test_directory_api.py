"""Issue 3: server set-up, registration, ID files and the HTTPS client API with mutual
TLS, driven through the real binaries (`nserver --setup`, `nserver`, `notes`) and curl."""
import json
import os
import stat
import subprocess
import unittest

from notesd_harness import (FAST_KDF_ENV, Client, binary, set_up_client, setup_server, start_test_server,
                            stop_test_server)


def pem_files(id_path, password, out_dir, stem):
    cert, key, roots = (os.path.join(out_dir, f"{stem}.{kind}.pem") for kind in ("cert", "key", "roots"))
    subprocess.run([binary("id_pem_tool"), id_path, password, cert, key, roots], check=True)
    return cert, key, roots


class DirectoryApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_test_server(cls, email="jane@acme.example")
        cls.admin = set_up_client(cls, "admin", os.path.join(cls.data, "ids", "jadmin.id"), "admin-pw")

    @classmethod
    def tearDownClass(cls):
        stop_test_server(cls)

    def register(self, name, short, email, id_out, password="user-pw"):
        return self.admin.run("admin", "register", "--certifier-id", os.path.join(self.data, "cert.id"),
                              "--certifier-password", "cert-pw", "--name", name, "--short-name", short,
                              "--email", email, "--id-out", id_out, "--id-password", password)

    def curl(self, *args, cert=None, key=None, roots=None):
        cmd = ["curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}"]
        cmd += ["--cacert", roots] if roots else ["-k"]
        if cert:
            cmd += ["--cert", cert, "--key", key]
        done = subprocess.run(cmd + list(args), capture_output=True, text=True)
        return done.returncode, done.stdout, done.stderr

    def url(self, path):
        # The server's certificate names CN=Acme01/O=Acme, not a host: curl's host check is
        # turned off with -k or --resolve tricks; here the chain is checked by --cacert only
        # where a test needs it.
        return f"https://127.0.0.1:{self.port}{path}"

    # --- set-up -------------------------------------------------------------------------

    def test_setup_made_the_data_directory(self):
        for name in ("notes.ini", "names.nsf", "cert.id", "server.id", "log.nsf"):
            self.assertTrue(os.path.exists(os.path.join(self.data, name)), name)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.data, "server.id")).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.data, "ids", "jadmin.id")).st_mode), 0o600)
        with open(os.path.join(self.data, "notes.ini")) as f:
            ini = f.read()
        self.assertIn("ServerSetup=", ini)
        self.assertIn("ServerName=CN=Acme01/O=Acme", ini)

    def test_setup_twice_is_refused(self):
        done = subprocess.run([binary("nserver"), "--data", self.data, "--setup", "--org", "Acme",
                               "--server-name", "Acme01", "--admin-name", "X Y", "--admin-password", "a",
                               "--certifier-password", "b"], capture_output=True, text=True)
        self.assertEqual(done.returncode, 1)
        self.assertIn("already set up", done.stderr)

    def test_setup_checks_names_before_passwords_and_refuses_short_ones(self):
        fresh = os.path.join(self.tmp.path, "fresh-setup")
        env = {k: v for k, v in os.environ.items() if not k.startswith("NOTESD_")}
        # No --org and no passwords: the missing name is named, no password is asked for.
        done = subprocess.run([binary("nserver"), "--data", fresh, "--setup", "--server-name", "Acme01",
                               "--admin-name", "X Y"], capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("--org is required", done.stderr)
        self.assertNotIn("assword", done.stderr)
        # A one-letter password is refused, naming which one and the rule.
        done = subprocess.run([binary("nserver"), "--data", fresh, "--setup", "--org", "Acme", "--server-name", "Acme01",
                               "--admin-name", "X Y", "--certifier-password", "c", "--admin-password", "long-enough"],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("the certifier password is too short", done.stderr)
        self.assertIn("at least 6 characters", done.stderr)
        self.assertFalse(os.path.exists(os.path.join(fresh, "cert.id")))

    def all_notes(self, nsf):
        """Every note of a database as `notes db show --json` prints it."""
        rc, out, err = self.admin.run("db", "list", os.path.join(self.data, nsf), "--json")
        self.assertEqual(rc, 0, err)
        shown = []
        for entry in json.loads(out):
            rc, note, err = self.admin.run("db", "show", os.path.join(self.data, nsf), str(entry["noteid"]), "--json")
            self.assertEqual(rc, 0, err)
            shown.append(note)
        return "\n".join(shown)

    def test_directory_holds_the_administrator(self):
        notes = self.all_notes("names.nsf")
        self.assertIn("CN=Jane Admin/O=Acme", notes)
        self.assertIn("CN=Acme01/O=Acme", notes)
        self.assertIn("UserCertificate", notes)

    def test_log_nsf_records_console_messages(self):
        self.server.command("show server")
        self.assertIn("Listening for the client API", self.all_notes("log.nsf"))

    # --- the client API -----------------------------------------------------------------

    def test_admin_whoami(self):
        rc, out, err = self.admin.run("whoami", "--json")
        self.assertEqual(rc, 0, err)
        me = json.loads(out)
        self.assertEqual(me["name"], "CN=Jane Admin/O=Acme")
        self.assertTrue(me["administrator"])
        self.assertEqual(me["internet_address"], "jane@acme.example")

    def test_admin_remote_console(self):
        rc, out, err = self.admin.run("admin", "console", "show tasks")
        self.assertEqual(rc, 0, err)
        self.assertIn("HTTP Server", out)
        self.assertTrue(self.server.wait_for_output("Remote console command from Jane Admin/Acme: show tasks"))

    def test_register_then_user_connects_and_is_not_an_administrator(self):
        user_dir = os.path.join(self.tmp.path, "john")
        os.makedirs(user_dir)
        john_id = os.path.join(user_dir, "john.id")
        rc, out, err = self.register("John Roe", "jroe", "john@acme.example", john_id)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(stat.S_IMODE(os.stat(john_id).st_mode), 0o600)

        rc, out, err = self.admin.run("people", "show", "jroe", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["internet_address"], "john@acme.example")

        rc, out, err = self.admin.run("people", "list")
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        john = [line for line in lines if line.startswith("John Roe/Acme")]
        self.assertEqual(len(john), 1, out)
        self.assertIn("john@acme.example", john[0])
        self.assertTrue(lines[-1].endswith(" people"), out)
        rc, out, err = self.admin.run("people", "list", "--json")
        self.assertEqual(rc, 0, err)
        listed = json.loads(out)
        self.assertIn("CN=John Roe/O=Acme", [person["name"] for person in listed])
        self.assertEqual(int(lines[-1].split()[0]), len(listed))

        john = Client(os.path.join(user_dir, "client"), password="user-pw")
        rc, out, err = john.run("setup", "--id", john_id, "--server-address", f"127.0.0.1:{self.port}")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Acme01/Acme", out)
        rc, out, err = john.run("whoami", "--json")
        self.assertEqual(rc, 0, err)
        self.assertFalse(json.loads(out)["administrator"])

        rc, out, err = john.run("admin", "console", "show tasks")
        self.assertEqual(rc, 1)
        self.assertIn("not an administrator", err)
        self.assertTrue(self.server.wait_for_output("403 POST /api/v1/admin/console from John Roe/Acme"))

    def test_duplicate_registration_is_refused_and_leaves_no_id_file(self):
        first = os.path.join(self.tmp.path, "dup1.id")
        self.assertEqual(self.register("Dee Dup", "ddup", "dee@acme.example", first)[0], 0)
        second = os.path.join(self.tmp.path, "dup2.id")
        rc, out, err = self.register("Dee Other", "ddup", "other@acme.example", second)
        self.assertEqual(rc, 1)
        self.assertIn("already used", err)
        self.assertFalse(os.path.exists(second))

    def test_wrong_id_password_is_refused(self):
        rc, _, err = Client(os.path.join(self.tmp.path, "wrongpw"), password="nope").run(
            "setup", "--id", os.path.join(self.data, "ids", "jadmin.id"), "--server-address", f"127.0.0.1:{self.port}")
        self.assertEqual(rc, 1)
        self.assertIn("wrong password", err)

    def test_client_without_certificate_is_refused(self):
        rc, out, _ = self.curl(self.url("/api/v1/whoami"))
        self.assertNotEqual(rc, 0)
        self.assertNotIn('"name"', out)

    def test_client_from_another_organisation_is_refused(self):
        other = os.path.join(self.tmp.path, "other-org")
        setup_server(other, org="Globex", server_name="Gx01", admin="Hank Scorpio")
        cert, key, _ = pem_files(os.path.join(other, "ids", "hscorpio.id"), "admin-pw", self.tmp.path, "globex")
        rc, out, _ = self.curl(self.url("/api/v1/whoami"), cert=cert, key=key)
        self.assertNotEqual(rc, 0)
        self.assertNotIn('"name"', out)
        self.assertEqual(self.admin.run("whoami")[0], 0)  # the server goes on

    def test_removed_person_is_refused(self):
        eve_id = os.path.join(self.tmp.path, "eve.id")
        self.assertEqual(self.register("Eve Gone", "egone", "eve@acme.example", eve_id)[0], 0)
        cert, key, _ = pem_files(eve_id, "user-pw", self.tmp.path, "eve")
        rc, out, _ = self.curl(self.url("/api/v1/whoami"), cert=cert, key=key)
        self.assertEqual(out.splitlines()[-1], "200")
        admin_cert, admin_key, _ = pem_files(os.path.join(self.data, "ids", "jadmin.id"), "admin-pw", self.tmp.path, "adm")
        rc, out, _ = self.curl("-X", "DELETE", self.url("/api/v1/admin/people?name=egone"), cert=admin_cert, key=admin_key)
        self.assertEqual(out.splitlines()[-1], "200", out)
        rc, out, _ = self.curl(self.url("/api/v1/whoami"), cert=cert, key=key)
        self.assertEqual(out.splitlines()[-1], "403")
        self.assertIn("no Person document for Eve Gone/Acme", out)

    def test_bad_requests_get_clear_errors_and_the_server_goes_on(self):
        cert, key, _ = pem_files(os.path.join(self.data, "ids", "jadmin.id"), "admin-pw", self.tmp.path, "adm2")
        rc, out, _ = self.curl("-X", "POST", "-d", "{not json", self.url("/api/v1/admin/console"), cert=cert, key=key)
        self.assertEqual(out.splitlines()[-1], "400")
        self.assertIn("not valid JSON", out)
        big = os.path.join(self.tmp.path, "big.json")
        with open(big, "w") as f:
            f.write('{"command": "' + "x" * (2 * 1024 * 1024) + '"}')
        rc, out, _ = self.curl("-X", "POST", "--data-binary", "@" + big, self.url("/api/v1/admin/console"), cert=cert, key=key)
        self.assertEqual(out.splitlines()[-1], "413")
        rc, out, _ = self.curl(self.url("/api/v1/nothing-here"), cert=cert, key=key)
        self.assertEqual(out.splitlines()[-1], "404")
        rc, out, _ = self.curl("-X", "POST", "-d", '{"command": "tell http quit"}', self.url("/api/v1/admin/console"), cert=cert, key=key)
        self.assertEqual(out.splitlines()[-1], "400")
        self.assertEqual(self.admin.run("whoami")[0], 0)

    def test_server_verifies_as_the_organisation_certified_it(self):
        # The server's certificate chains to the organisation certifier in the user's ID.
        cert, key, roots = pem_files(os.path.join(self.data, "ids", "jadmin.id"), "admin-pw", self.tmp.path, "adm3")
        done = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.port}", "-CAfile", roots,
                               "-cert", cert, "-key", key, "-verify_return_error", "-brief"],
                              input="", capture_output=True, text=True, timeout=20)
        self.assertIn("Verification: OK", done.stderr)
        self.assertIn("CN = Acme01", done.stderr)


if __name__ == "__main__":
    unittest.main()
