"""Issue 5: Internet certificates for people, as the article's "Issue Internet
certificates to users": an RA asks AdminP to add certificates to Person records (one
batch), users pick them up into their ID files (`notes id sync`, and quietly at every
command), export them (.cer, PKCS#12 for other mail programs), and a revoked
certificate shows up in the CRL served over plain HTTP (HTTP_CRLPort).

Checked with outside tools: `openssl verify` (chain and CRL), `openssl x509 -pubkey`
against the ID's Notes key (id_pem_tool), `openssl pkcs12 -info`, and gpgsm's import.
The tests run in order on one server; ports are chosen at run time, 127.0.0.1 only.
"""
import datetime
import json
import os
import re
import shutil
import stat
import subprocess
import unittest
import ssl
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from notesd_harness import (FAST_KDF_ENV, binary, free_port, register_client, set_up_client, start_test_server,
                            stop_test_server)

CERTIFIER = "Acme-Corp-Email"


def openssl(*args, input=None):
    return subprocess.run(["openssl", *args], capture_output=True, text=input is None or isinstance(input, str), input=input)


class PersonCertsApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.crl_port = free_port()
        start_test_server(cls, tasks="HTTP,AdminP,CA", ini={"HTTP_CRLPort": cls.crl_port})
        cls.admin = set_up_client(cls, "admin", os.path.join(cls.data, "ids", "jadmin.id"), "admin-pw")
        cls.john = register_client(cls, "John Roe", "jroe")
        cls.mary = register_client(cls, "Mary Poe", "mpoe")
        cls.carl = register_client(cls, "Carl Low", "clow")
        cls.register_without_address("Nomail Person", "nomail")

        # The certifier, as in test_ca_adminp: Jane is CAA and RA, John is an RA too.
        rc, out, err = cls.admin.run("admin", "internet-certifier", "create", "--cn", CERTIFIER, "--o", "Acme",
                                     "--icl", f"ICL_{CERTIFIER}.nsf", "--encrypt-with", "server-id",
                                     "--require-activation-password", "no", "--ra", "John Roe/Acme")
        if rc != 0:
            raise AssertionError(f"certifier request failed: {out}{err}")
        cls.console_ok("tell adminp process all")
        _, stat_text, _ = cls.console_ok("tell ca refresh")
        if "Active=Yes" not in stat_text:
            raise AssertionError(f"certifier not active: {stat_text}")
        cls.root = os.path.join(cls.tmp.path, "root.pem")
        rc, out, err = cls.admin.run("admin", "internet-certifier", "show", CERTIFIER, "--cert-out", cls.root)
        if rc != 0:
            raise AssertionError(f"root export failed: {out}{err}")

    @classmethod
    def tearDownClass(cls):
        stop_test_server(cls)

    @classmethod
    def console_ok(cls, line):
        rc, out, err = cls.server.command(line)
        if rc != 0:
            raise AssertionError(f"{line}: {out}{err}")
        return rc, out, err

    @classmethod
    def pem_files(cls, id_path, password, stem):
        paths = [os.path.join(cls.tmp.path, f"{stem}-{part}.pem") for part in ("cert", "key", "roots")]
        done = subprocess.run([binary("id_pem_tool"), id_path, password, *paths], capture_output=True, text=True,
                              env={**os.environ, **FAST_KDF_ENV})
        if done.returncode != 0:
            raise AssertionError(f"id_pem_tool {id_path}: {done.stderr}")
        return paths

    @classmethod
    def register_without_address(cls, name, short):
        """`notes admin register` insists on an Internet address; the API does not. Issue a
        Notes certificate with the certifier's key (python-cryptography) and register it as
        the administrator, over mutual TLS, as an outside tool would."""
        cert_pem, key_pem, _ = cls.pem_files(os.path.join(cls.data, "cert.id"), "cert-pw", "certifier")
        admin_cert, admin_key, admin_roots = cls.pem_files(os.path.join(cls.data, "ids", "jadmin.id"), "admin-pw", "admin")
        with open(cert_pem, "rb") as f:
            certifier = x509.load_pem_x509_certificate(f.read())
        with open(key_pem, "rb") as f:
            certifier_key = serialization.load_pem_private_key(f.read(), password=None)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.datetime.utcnow()
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme"),
                                         x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(certifier.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=365))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(certifier.public_key()), critical=False)
                .sign(certifier_key, hashes.SHA256()))
        body = json.dumps({"name": f"{name}/Acme", "short_name": short,
                           "certificate": cert.public_bytes(serialization.Encoding.PEM).decode()}).encode()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.load_verify_locations(admin_roots)
        context.load_cert_chain(admin_cert, admin_key)
        request = urllib.request.Request(f"https://127.0.0.1:{cls.port}/api/v1/admin/people", data=body,
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, context=context, timeout=30) as reply:
            if reply.status != 201:
                raise AssertionError(f"registering {name}: HTTP {reply.status}")

    def client_id_file(self, client):
        return os.path.join(client.client_dir, "user.id") if os.path.exists(
            os.path.join(client.client_dir, "user.id")) else client.id_path

    def export_cert(self, client, name):
        path = os.path.join(self.tmp.path, name)
        rc, out, err = client.run("--no-sync", "id", "export-cert", "--pem", path)
        self.assertEqual(rc, 0, out + err)
        return path

    # --- refusals first: nothing may be posted ------------------------------------------------

    def test_1_refusals_post_nothing(self):
        # Mary is no RA of the certifier.
        rc, out, err = self.mary.run("admin", "people", "add-internet-cert", "Mary Poe", "--ca", CERTIFIER)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("Mary Poe/Acme is not a registration authority (RA) of certifier", err)
        self.assertTrue(self.server.wait_for_output("403 POST /api/v1/admin/certifiers/"))
        # Nomail Person has no Internet address: the whole selection is refused, naming them.
        rc, out, err = self.admin.run("admin", "people", "add-internet-cert", "John Roe", "Nomail Person",
                                      "--ca", CERTIFIER, "--timeout", "5")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("Nomail Person", err)
        self.assertNotIn("Posted", out)
        # An OU path selects everyone under it: Nomail is among them, so again nothing is posted.
        rc, out, err = self.admin.run("admin", "people", "add-internet-cert", "--ou", "/Acme", "--ca", CERTIFIER,
                                      "--timeout", "5")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("Nomail Person", err)
        rc, out, err = self.admin.run("admin", "people", "add-internet-cert", "--ou", "/Nowhere/Acme", "--ca", CERTIFIER,
                                      "--timeout", "5")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("no person under '/Nowhere/Acme'", err)
        # An unknown name is named.
        rc, out, err = self.admin.run("admin", "people", "add-internet-cert", "Nobody Here", "--ca", CERTIFIER,
                                      "--timeout", "5")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("Nobody Here", err)
        rc, out, err = self.admin.run("admin", "people", "add-internet-cert", "jroe", "--ca", "No-Such-CA")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("No-Such-CA", err)
        rc, out, err = self.admin.run("admin", "requests", "list", "--status", "all", "--json")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("Add Internet Certificate to Person Record", out)
        # Usage: nobody selected.
        rc, out, err = self.admin.run("admin", "people", "add-internet-cert", "--ca", CERTIFIER)
        self.assertEqual(rc, 2, out + err)
        # Issue 9: validity_years beyond int used to wrap (4294967298 read as 2) and pass.
        admin_cert, admin_key, admin_roots = self.pem_files(os.path.join(self.data, "ids", "jadmin.id"), "admin-pw", "admin")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.load_verify_locations(admin_roots)
        context.load_cert_chain(admin_cert, admin_key)
        for years in (4294967298, 18446744073709551615, -4294967294):
            body = json.dumps({"people": ["John Roe"], "validity_years": years}).encode()
            request = urllib.request.Request(f"https://127.0.0.1:{self.port}/api/v1/admin/certifiers/{CERTIFIER}/certificates",
                                             data=body, headers={"Content-Type": "application/json"}, method="POST")
            with self.assertRaises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, context=context, timeout=30)
            self.assertEqual(refused.exception.code, 400, years)
            self.assertIn("'validity_years' must be a whole number from", refused.exception.read().decode())

    # --- the RA issues certificates; the command waits for AdminP --------------------------------

    def test_2_add_internet_certificates_and_wait(self):
        env = {**os.environ, **FAST_KDF_ENV, "NOTESD_PASSWORD": "user-pw"}
        # John (an RA, not an administrator) posts for three people, one named twice.
        waiting = subprocess.Popen([binary("notes"), "--client-dir", self.john.client_dir, "admin", "people",
                                    "add-internet-cert", "John Roe", "mpoe", "Carl Low/Acme", "jroe@acme.example",
                                    "--ca", CERTIFIER, "--timeout", "120"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.assertTrue(self.server.wait_for_output("'Add Internet Certificate to Person Record' requests", timeout=30),
                        self.server.output())
        _, processed, _ = self.console_ok("tell adminp process people")
        out, err = waiting.communicate(timeout=120)
        self.assertEqual(waiting.returncode, 0, out + err + processed)
        self.assertRegex(out, r"Posted 3 'Add Internet Certificate to Person Record' requests \(batch [0-9a-f]+\)")
        self.assertIn("  3 of 3 done, 0 failed", out)

    def test_3_person_show_certificates(self):
        rc, out, err = self.admin.run("admin", "person", "show", "John Roe", "--certificates")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Internet Certificate: present", out)
        self.assertIn(f"Issued By:  {CERTIFIER}", re.sub(r"Issued By: +", "Issued By:  ", out))
        self.assertIn("jroe@acme.example", out)
        self.assertRegex(out, r"Serial: +[0-9A-F]+")
        self.assertIn("Valid from", out)
        rc, out, err = self.admin.run("admin", "person", "show", "Nomail Person", "--certificates")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Internet Certificate: none", out)
        rc, out, err = self.admin.run("admin", "person", "show", "mpoe", "--certificates", "--json")
        self.assertEqual(rc, 0, out + err)
        person = json.loads(out)
        self.assertEqual(len(person["internet_certificates"]), 1)
        self.assertEqual(person["internet_certificate_details"][0]["issued_by"], CERTIFIER)

    def test_4_id_sync_and_certificates(self):
        id_file = self.client_id_file(self.john)
        rc, out, err = self.john.run("id", "certificates")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Your Internet Certificates (0)", out)
        rc, out, err = self.john.run("id", "sync")
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out, r"Added Internet certificate CN=John Roe,O=Acme issued by Acme-Corp-Email \(serial [0-9A-F]+\)")
        self.assertIn("Added trusted root", out)
        self.assertEqual(stat.S_IMODE(os.stat(id_file).st_mode), 0o600)
        rc, out, err = self.john.run("id", "sync")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Your ID file is up to date", out)
        rc, out, err = self.john.run("id", "certificates")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Your Internet Certificates (1)", out)
        self.assertRegex(out, r"Issued By: +Acme-Corp-Email")
        self.assertRegex(out, r"Default: +yes")
        rc, out, err = self.john.run("id", "certificates", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["internet_certificates"][0]["issued_by"], CERTIFIER)

        # Mary's certificate arrives quietly with her next command; --no-sync skips it.
        rc, out, err = self.mary.run("--no-sync", "whoami")
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn("Internet certificate", err)
        rc, out, err = self.mary.run("whoami")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("1 new Internet certificate(s) added to your ID file", err)
        rc, out, err = self.mary.run("whoami")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(err, "")
        rc, out, err = self.mary.run("id", "certificates")
        self.assertIn("Your Internet Certificates (1)", out)

    def test_5_exported_certificate_verifies_and_holds_the_notes_key(self):
        pem = self.export_cert(self.john, "john.pem")
        verify = openssl("verify", "-CAfile", self.root, pem)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        der = os.path.join(self.tmp.path, "john.cer")
        rc, out, err = self.john.run("id", "export-cert", "--der", der)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(openssl("x509", "-inform", "DER", "-in", der, "-noout").returncode, 0)
        rc, out, err = self.john.run("id", "export-cert", "--der", der)
        self.assertEqual(rc, 1, out + err)  # never over an existing file

        notes_cert, _, _ = self.pem_files(self.client_id_file(self.john), "user-pw", "john")
        internet_key = openssl("x509", "-in", pem, "-noout", "-pubkey").stdout
        notes_pub = openssl("x509", "-in", notes_cert, "-noout", "-pubkey").stdout
        self.assertTrue(internet_key.startswith("-----BEGIN PUBLIC KEY-----"))
        self.assertEqual(internet_key, notes_pub)
        text = openssl("x509", "-in", pem, "-noout", "-text").stdout
        self.assertIn("email:jroe@acme.example", text)
        self.assertIn(f"http://127.0.0.1:{self.crl_port}/crl/{CERTIFIER}.crl", text)

    def test_6_pkcs12_export_imports_into_openssl_and_gpgsm(self):
        for legacy in (False, True):
            p12 = os.path.join(self.tmp.path, "john-legacy.p12" if legacy else "john.p12")
            args = ["id", "export", "--pkcs12", p12] + (["--legacy-3des"] if legacy else [])
            rc, out, err = self.john.run(*args, env={"NOTESD_EXPORT_PASSWORD": "p12-pw"})
            self.assertEqual(rc, 0, out + err)
            self.assertEqual(stat.S_IMODE(os.stat(p12).st_mode), 0o600)
            info = openssl("pkcs12", "-info", "-nokeys", "-in", p12, "-passin", "pass:p12-pw")
            self.assertEqual(info.returncode, 0, info.stdout + info.stderr)
            self.assertIn("subject=O = Acme, CN = John Roe", info.stdout)
            self.assertIn(f"subject=O = Acme, CN = {CERTIFIER}", info.stdout)
            self.assertIn("PBES2" if not legacy else "pbeWithSHA1And3-KeyTripleDES-CBC", info.stderr + info.stdout)
            wrong = openssl("pkcs12", "-info", "-nokeys", "-in", p12, "-passin", "pass:wrong")
            self.assertNotEqual(wrong.returncode, 0)

        home = os.path.join(self.tmp.path, "gnupg")
        os.makedirs(home, mode=0o700)
        with open(os.path.join(home, "gpgsm.conf"), "w") as f:
            f.write("disable-dirmngr\ndisable-crl-checks\n")
        with open(os.path.join(home, "gpg-agent.conf"), "w") as f:
            f.write("allow-loopback-pinentry\n")
        env = {**os.environ, "GNUPGHOME": home}
        try:
            # gpgsm 2.2 refuses about one PKCS#12 file in 50 for its random salts (see
            # smime_harness.Gpgsm.import_identity): a refused export is made again.
            legacy = os.path.join(self.tmp.path, "john-legacy.p12")
            for _ in range(5):
                imported = subprocess.run(["gpgsm", "--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0",
                                           "--import", legacy],
                                          input="p12-pw\n", capture_output=True, text=True, env=env, timeout=60)
                if imported.returncode == 0:
                    break
                os.remove(legacy)
                rc, out, err = self.john.run("id", "export", "--pkcs12", legacy, "--legacy-3des",
                                             env={"NOTESD_EXPORT_PASSWORD": "p12-pw"})
                self.assertEqual(rc, 0, out + err)
            self.assertEqual(imported.returncode, 0, imported.stdout + imported.stderr)
            self.assertIn("secret keys imported: 1", imported.stderr)
            listed = subprocess.run(["gpgsm", "--batch", "--list-secret-keys"], capture_output=True, text=True, env=env, timeout=60)
            self.assertIn("Subject: /CN=John Roe/O=Acme", listed.stdout)
        finally:
            subprocess.run(["gpgconf", "--kill", "all"], env=env, capture_output=True)

    def test_7_revocation_reaches_the_crl(self):
        john_pem = self.export_cert(self.john, "john-revoked.pem")
        mary_pem = self.export_cert(self.mary, "mary.pem")
        serial = openssl("x509", "-in", john_pem, "-noout", "-serial").stdout.strip().split("=")[1]

        # Mary is no RA or CAA.
        rc, out, err = self.mary.run("admin", "certificates", "revoke", "--ca", CERTIFIER, "--serial", serial)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("Mary Poe/Acme is neither a registration authority (RA)", err)
        rc, out, err = self.john.run("admin", "certificates", "revoke", "--ca", CERTIFIER, "--serial", serial,
                                     "--reason", "bogus")
        self.assertEqual(rc, 1, out + err)

        rc, out, err = self.john.run("admin", "certificates", "revoke", "--ca", CERTIFIER, "--person", "John Roe",
                                     "--reason", "keyCompromise", "--json")
        self.assertEqual(rc, 0, out + err)
        revoked = json.loads(out)["revoked"]
        self.assertEqual([item["serial"] for item in revoked], [serial])
        _, stat_text, _ = self.console_ok("tell ca stat")
        number = re.search(r"^\s*(\d+)\. CN=" + CERTIFIER, stat_text, re.M).group(1)
        self.console_ok(f"tell ca crl issue {number}")

        base = f"http://127.0.0.1:{self.crl_port}"
        with urllib.request.urlopen(f"{base}/crl/{CERTIFIER}.crl", timeout=10) as reply:
            self.assertEqual(reply.headers["Content-Type"], "application/pkix-crl")
            crl_der = reply.read()
        for missing in ("/crl/Nobody.crl", "/api/v1/whoami", "/"):
            with self.assertRaises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + missing, timeout=10)
            self.assertEqual(refused.exception.code, 404)

        crl_pem = os.path.join(self.tmp.path, "crl.pem")
        converted = openssl("crl", "-inform", "DER", "-out", crl_pem, input=crl_der)
        self.assertEqual(converted.returncode, 0, converted.stderr)
        crl_text = openssl("crl", "-in", crl_pem, "-noout", "-text").stdout
        self.assertIn(f"Serial Number: {serial}", crl_text)
        self.assertIn("Key Compromise", crl_text)
        bad = openssl("verify", "-crl_check", "-CAfile", self.root, "-CRLfile", crl_pem, john_pem)
        self.assertNotEqual(bad.returncode, 0, bad.stdout)
        self.assertIn("certificate revoked", bad.stdout + bad.stderr)
        good = openssl("verify", "-crl_check", "-CAfile", self.root, "-CRLfile", crl_pem, mary_pem)
        self.assertEqual(good.returncode, 0, good.stdout + good.stderr)


if __name__ == "__main__":
    unittest.main()
