"""Issue 7: S/MIME mail, contacts and cross-certificates through the real binaries.

An "outside person" has a certificate from a test root made with `openssl req -x509`
(standing in for VerisignClass1). They send `openssl cms -sign` mail over SMTP to Jane,
a Notes user; `notes mail read` reports it valid but untrusted until Jane answers the
cross-certificate question; Jane adds the sender to her contacts with the certificate,
imports certificates from DER, PEM and PKCS#7 files, sees a tampered message reported as
tampered, and cannot send encrypted mail to an address without a certificate. Mail from
us to the outside person (sign + encrypt, checked with `openssl cms`) needs the Notes
users' own Internet certificates, which issue 5 provides (`notes id sync`); that test is
skipped, saying so, when those pieces are not on this branch.

The tests run in order (test_1_..., test_2_...): one server, as a user would live it.
Hermetic: loopback only, ports chosen at run time, certificates made fresh.
"""
import json
import os
import re
import smtplib
import unittest

from mail_harness import (SmtpSink, make_self_signed, relay_to_sink_settings, set_up_mail_data, start_smtp_server,
                          wait_until)
from notesd_harness import TempDir, free_port, run_notes_on_terminal, run_notes_without_terminal
from smime_harness import OutsidePki, assert_outside_signature_untrusted, crlf, openssl

OUTSIDE = "outside@example.org"
JANE = "jane@acme.example"


class SmimeMailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.data = os.path.join(cls.tmp.path, "server")
        cls.sink_port = free_port()
        cls.port, cls.smtp_port = set_up_mail_data(cls.data, "HTTP,Router,SMTP,AdminP,CA",
                                                   relay_to_sink_settings(cls.sink_port))
        cls.server = start_smtp_server(cls.data)
        cls.jane_dir = os.path.join(cls.tmp.path, "jane-client")
        rc, out, err = cls.notes("setup", "--id", os.path.join(cls.data, "ids", "jadmin.id"),
                                 "--server-address", f"127.0.0.1:{cls.port}")
        if rc != 0:
            raise AssertionError(out + err)
        # John Roe, a second Notes user, registered by Jane.
        john_id = os.path.join(cls.tmp.path, "john.id")
        rc, out, err = cls.notes("admin", "register", "--certifier-id", os.path.join(cls.data, "cert.id"),
                                 "--certifier-password", "cert-pw", "--name", "John Roe", "--short-name", "jroe",
                                 "--email", "john@acme.example", "--id-out", john_id, "--id-password", "user-pw")
        if rc != 0:
            raise AssertionError(out + err)
        cls.john_dir = os.path.join(cls.tmp.path, "john-client")
        rc, out, err = cls.notes("setup", "--id", john_id, "--server-address", f"127.0.0.1:{cls.port}",
                                 client_dir=cls.john_dir, password="user-pw")
        if rc != 0:
            raise AssertionError(out + err)
        cls.acme_root = None
        cls.issue5_missing = None
        cls.pki = OutsidePki(cls.tmp.path)
        cls.outside_cert, cls.outside_key = cls.pki.person("outside", "Outside Person", OUTSIDE)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    @classmethod
    def notes(cls, *args, client_dir=None, password="admin-pw"):
        """Runs `notes` as Jane, never on a terminal (stdin is /dev/null)."""
        return run_notes_without_terminal(client_dir or cls.jane_dir, password, *args)

    def ok(self, *args):
        rc, out, err = self.notes(*args)
        self.assertEqual(rc, 0, f"notes {' '.join(args)}:\n{out}{err}")
        return out, err

    def messages(self):
        out, _ = self.ok("mail", "list", "--json")
        return json.loads(out)

    def signed_from_outside(self, subject, text="Hello from outside, signed.\n"):
        """An `openssl cms -sign` message (detached, the root in the signature), CRLF."""
        body = self.pki.path(f"{subject}.txt")
        with open(body, "w") as f:
            f.write(text)
        signed = openssl("cms", "-sign", "-in", body, "-text", "-signer", self.outside_cert, "-inkey", self.outside_key,
                         "-certfile", self.pki.root, "-from", f"Outside Person <{OUTSIDE}>", "-to", JANE,
                         "-subject", subject)
        return crlf(signed)

    def deliver(self, message):
        before = len(self.messages())
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.example.org", timeout=20) as smtp:
            smtp.sendmail(OUTSIDE, [JANE], message)
        self.assertTrue(wait_until(lambda: len(self.messages()) > before, timeout=30), self.server.output())
        return len(self.messages())  # its number in `notes mail list`

    # ---- outside -> us ----------------------------------------------------------------

    def test_1_signed_mail_from_outside_is_valid_untrusted_then_cross_certified(self):
        number = str(self.deliver(self.signed_from_outside("Signed from outside")))
        type(self).signed_number = number

        listing, _ = self.ok("mail", "list")
        self.assertRegex(listing, rf"(?m)^\s*{number} [* ] S -  .*Signed from outside")
        entry = self.messages()[int(number) - 1]
        self.assertTrue(entry["signed"])
        self.assertFalse(entry["encrypted"])

        # No terminal, no flag: reported valid but untrusted, with the way to trust it.
        out, _ = self.ok("mail", "read", number)
        assert_outside_signature_untrusted(self, out)
        self.assertRegex(out, r"Signer trusted:\s+no: You and signer have no certificates in common")
        self.assertIn("--trust sender", out)
        self.assertIn("Hello from outside, signed.", out)
        out, _ = self.ok("mail", "read", number, "--no-trust")
        self.assertIn("you chose not to create a cross-certificate", out)
        out, _ = self.ok("contacts", "cross-certs")
        self.assertIn("No cross-certificates.", out)

        # --trust ca: a cross-certificate for the issuing CA, signed by Jane's Notes key.
        out, _ = self.ok("mail", "read", number, "--trust", "ca")
        self.assertIn("Created a cross-certificate for the CA CN=VerisignClass1", out)
        self.assertRegex(out, r"Signer trusted:\s+yes, your cross-certificate for the CA CN=VerisignClass1")
        out, _ = self.ok("contacts", "cross-certs", "--json")
        cross = json.loads(out)
        self.assertEqual(len(cross), 1)
        self.assertEqual(cross[0]["scope"], "ca")
        self.assertTrue(cross[0]["valid"])
        self.assertEqual(cross[0]["subject"], "CN=VerisignClass1")
        self.assertEqual(cross[0]["created_by"], "CN=Jane Admin/O=Acme")
        fingerprint = openssl("x509", "-in", self.pki.root, "-noout", "-fingerprint", "-sha256").decode()
        self.assertEqual(cross[0]["sha256"], fingerprint.split("=", 1)[1].strip().replace(":", "").lower())

        # From now on trusted without asking; JSON says so too.
        out, _ = self.ok("mail", "read", number, "--json")
        smime = json.loads(out)["smime"]
        self.assertTrue(smime["signed"])
        self.assertFalse(smime["tampered"])
        self.assertTrue(smime["layers"][0]["valid"])
        self.assertTrue(smime["layers"][0]["trusted"])

        # remove-cross-cert by fingerprint prefix: untrusted again; then trust the sender only.
        out, _ = self.ok("contacts", "remove-cross-cert", cross[0]["sha256"][:16])
        self.assertIn("Removed the cross-certificate for CN=VerisignClass1", out)
        out, _ = self.ok("mail", "read", number, "--trust", "sender")
        self.assertRegex(out, r"Signer trusted:\s+yes, your cross-certificate for the sender CN=Outside Person")
        out, _ = self.ok("contacts", "cross-certs")
        self.assertRegex(out, r"For:\s+this sender only")
        self.ok("contacts", "remove-cross-cert", "1")
        self.ok("mail", "read", number, "--trust", "ca")  # back to the article's choice

    def test_2_add_sender_to_contacts_includes_the_certificate(self):
        number = self.signed_number
        out, _ = self.ok("contacts", "add-sender", number, "--include-x509")
        self.assertIn("Added Outside Person <outside@example.org> to your contacts with 1 new X.509 certificate", out)
        out, _ = self.ok("contacts", "show", OUTSIDE)
        self.assertRegex(out, r"Certificate:\s+Present")
        self.assertRegex(out, r"Issuer:\s+VerisignClass1")
        self.assertRegex(out, r"Subject:\s+CN=Outside Person")
        self.assertRegex(out, r"E-mail:\s+outside@example.org")
        self.assertRegex(out, r"SHA-256:\s+([0-9A-F]{2}:){31}[0-9A-F]{2}")
        out, _ = self.ok("contacts", "list", "--json")
        contacts = json.loads(out)
        self.assertEqual([c["name"] for c in contacts], ["Outside Person"])
        self.assertEqual(contacts[0]["certificate"], "Present")
        self.assertEqual(contacts[0]["certificates"][0]["issued_by"], "VerisignClass1")
        # Again: nothing new.
        out, _ = self.ok("contacts", "add-sender", number, "--include-x509")
        self.assertIn("Updated Outside Person", out)
        self.assertIn("with 0 new X.509 certificate", out)

    def test_3_import_cert_reads_der_pem_and_pkcs7_and_refuses_a_broken_file(self):
        self.ok("contacts", "add", "Second Person", "--email", "second@example.org")
        out, _ = self.ok("contacts", "show", "Second Person")
        self.assertRegex(out, r"Certificate:\s+Not present")
        pem, _ = self.pki.person("second", "Second Person", "second@example.org")
        der = self.pki.path("second.cer")
        openssl("x509", "-in", pem, "-outform", "DER", "-out", der)
        p7b = self.pki.path("second.p7b")
        openssl("crl2pkcs7", "-nocrl", "-certfile", pem, "-certfile", self.pki.root, "-outform", "DER", "-out", p7b)
        third_pem, _ = self.pki.person("third", "Third Person", "third@example.org")

        out, _ = self.ok("contacts", "import-cert", "second@example.org", der)
        self.assertIn("Imported 1 new certificate(s) into contact Second Person", out)
        out, _ = self.ok("contacts", "import-cert", "Second Person", p7b)  # the same one, plus the root (skipped)
        self.assertIn("Imported 0 new certificate(s)", out)
        out, _ = self.ok("contacts", "import-cert", "Second Person", third_pem, "--json")
        imported = json.loads(out)
        self.assertEqual(imported["imported"], 1)
        self.assertEqual(len(imported["certificates"]), 2)
        out, _ = self.ok("contacts", "show", "second@example.org")
        self.assertRegex(out, r"Certificate:\s+Present")
        self.assertRegex(out, r"Issuer:\s+VerisignClass1")

        broken = self.pki.path("broken.cer")
        with open(der, "rb") as f:
            data = f.read()
        with open(broken, "wb") as f:
            f.write(data[: len(data) // 2])
        rc, out, err = self.notes("contacts", "import-cert", "Second Person", broken)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("broken.cer", err)
        self.assertRegex(err, r"truncated|not a certificate")
        rc, out, err = self.notes("contacts", "import-cert", "Second Person", self.pki.root)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("only CA certificates", err)
        rc, out, err = self.notes("contacts", "import-cert", "Nobody Here", pem)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("no contact 'Nobody Here'", err)

    def test_4_a_changed_byte_is_reported_as_tampered(self):
        message = self.signed_from_outside("Tampered in transit", text="Pay 100 euros to the usual account.\n")
        changed = message.replace(b"Pay 100 euros", b"Pay 900 euros", 1)
        self.assertNotEqual(changed, message)
        number = str(self.deliver(changed))
        rc, out, err = self.notes("mail", "read", number)
        self.assertEqual(rc, 1, out + err)
        self.assertRegex(out, r"Signature:\s+TAMPERED")
        self.assertIn("TAMPERED", err)
        self.assertNotIn("Signature:  valid", out)
        self.assertNotIn("Pay 900 euros", out)
        listing, _ = self.ok("mail", "list")
        self.assertRegex(listing, rf"(?m)^\s*{number} [* ] X -  .*Tampered in transit")
        entry = self.messages()[int(number) - 1]
        self.assertTrue(entry["tampered"])
        rc, out, err = self.notes("mail", "read", number, "--json")
        self.assertEqual(rc, 1)
        self.assertTrue(json.loads(out)["smime"]["tampered"])
        rc, out, err = self.notes("contacts", "add-sender", number, "--include-x509")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("tampered", err)

    def test_5_encrypting_to_an_address_without_certificate_sends_nothing(self):
        rc, out, err = self.notes("mail", "send", "--to", "nobody@example.net", "--to", OUTSIDE, "--subject", "secret",
                                  "--body", "for your eyes only", "--encrypt")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("nobody@example.net", err)
        self.assertIn("not in your contacts or the directory", err)
        self.assertIn("nothing was sent", err)
        self.assertNotIn("deposited", out)
        rc, out, err = self.notes("mail", "send", "--to", OUTSIDE, "--subject", "x", "--body", "y", "--encrypt",
                                  "--cipher", "des")
        self.assertEqual(rc, 2, out + err)

    # ---- us -> outside ----------------------------------------------------------------

    def give_internet_certificates(self):
        """Issue 5: an Internet certifier, certificates for Jane and John, `notes id sync`.
        Skips the test when the server does not offer these yet."""
        if type(self).acme_root:
            return
        if type(self).issue5_missing:
            self.skipTest(type(self).issue5_missing)
        rc, out, err = self.notes("admin", "internet-certifier", "create", "--cn", "Acme-Corp-Email", "--o", "Acme",
                                  "--icl", "ICL_Acme-Corp-Email.nsf", "--encrypt-with", "server-id",
                                  "--require-activation-password", "no", "--json")
        self.assertEqual(rc, 0, out + err)
        self.server.command("tell adminp process all")
        self.server.command("tell ca refresh")
        rc, out, err = self.notes("admin", "people", "add-internet-cert", "Jane Admin/Acme", "John Roe/Acme",
                                  "--ca", "Acme-Corp-Email", "--no-wait", "--json")
        if rc != 0 and re.search(r"404|not found|no such|HTTP 4", err, re.I):
            type(self).issue5_missing = ("the server does not issue Internet certificates to people yet (issue 5's "
                                         f"HTTP endpoints are not on this branch): {err.strip().splitlines()[-1]}")
            self.skipTest(type(self).issue5_missing)
        self.assertEqual(rc, 0, out + err)
        rc, processed, err = self.server.command("tell adminp process people")
        self.assertEqual(rc, 0, processed + err)
        for client_dir, password in ((self.jane_dir, "admin-pw"), (self.john_dir, "user-pw")):
            rc, out, err = self.notes("id", "sync", client_dir=client_dir, password=password)
            self.assertEqual(rc, 0, out + err)
        root = self.pki.path("acme-root.pem")
        out, _ = self.ok("admin", "internet-certifier", "show", "Acme-Corp-Email", "--cert-out", root)
        type(self).acme_root = root

    def test_6_signed_and_encrypted_mail_between_notes_users(self):
        self.give_internet_certificates()
        attachment = self.pki.path("plan.bin")
        with open(attachment, "wb") as f:
            f.write(bytes(range(256)) * 4)
        # John's certificate comes from the directory (he is not in Jane's contacts).
        out, _ = self.ok("mail", "send", "--to", "john@acme.example", "--subject", "sealed for John",
                         "--body", "Only John and I can read this.", "--attach", attachment, "--sign", "--encrypt")
        self.assertIn("Signed and encrypted message", out)
        self.assertIn("(from your directory)", out)

        def johns():
            rc, out, err = self.notes("mail", "list", "--json", client_dir=self.john_dir, password="user-pw")
            return [m for m in json.loads(out) if m["subject"] == "sealed for John"] if rc == 0 else []
        self.assertTrue(wait_until(johns, timeout=30), self.server.output())
        self.assertTrue(johns()[0]["signed"] and johns()[0]["encrypted"])
        rc, out, err = self.notes("mail", "read", johns()[0]["unid"], client_dir=self.john_dir, password="user-pw")
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out, r"Encrypted:\s+yes, decrypted with your ID")
        self.assertRegex(out, r"Encrypted for:\s+.*you")
        self.assertRegex(out, r"Signature:\s+valid")
        self.assertRegex(out, r"Signer trusted:\s+yes, your organisation's root")
        self.assertIn("Only John and I can read this.", out)
        self.assertIn("Attachment: plan.bin", out)

    def test_7_signed_and_encrypted_mail_to_the_outside_person_opens_with_openssl(self):
        self.give_internet_certificates()
        sink = SmtpSink(self.sink_port, *make_self_signed(self.tmp.path)).start()
        try:
            out, _ = self.ok("mail", "send", "--to", OUTSIDE, "--subject", "sealed for outside",
                             "--body", "Signed, sealed, delivered.", "--sign", "--encrypt", "--cipher", "aes128")
            self.assertIn("(from your contacts)", out)
            got = wait_until(lambda: [m for m in sink.received() if b"sealed for outside" in m[2]], timeout=30)
            self.assertTrue(got, self.server.output())
        finally:
            sink.stop()
        sent = self.pki.path("sent.eml")
        with open(sent, "wb") as f:
            f.write(got[0][2])
        decrypted = openssl("cms", "-decrypt", "-recip", self.outside_cert, "-inkey", self.outside_key, "-in", sent)
        content = openssl("cms", "-verify", "-CAfile", self.acme_root, "-purpose", "smimesign", data=decrypted)
        self.assertIn(b"Signed, sealed, delivered.", content)

    def test_8_no_usable_certificate_names_the_recipient_and_the_reason(self):
        # A contact whose only certificate does not name its address.
        self.ok("contacts", "add", "Wrong Address", "--email", "wrong@example.org")
        other, _ = self.pki.person("wrong", "Wrong Address", "elsewhere@example.org")
        self.ok("contacts", "import-cert", "Wrong Address", other)
        rc, out, err = self.notes("mail", "send", "--to", "wrong@example.org", "--subject", "x", "--body", "y",
                                  "--encrypt")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("wrong@example.org", err)
        self.assertIn("nothing was sent", err)

    def test_9_on_a_terminal_the_cross_certificate_question_is_asked(self):
        other = OutsidePki(os.path.join(self.tmp.path, "other"), "Other Root")  # a root nobody trusts
        cert, key = other.person("carol", "Carol Other", "carol@example.org")
        body = other.path("body.txt")
        with open(body, "w") as f:
            f.write("Hello from Carol.\n")
        message = crlf(openssl("cms", "-sign", "-in", body, "-text", "-signer", cert, "-inkey", key,
                               "-certfile", other.root, "-from", "Carol <carol@example.org>", "-to", JANE,
                               "-subject", "Carol asks"))
        number = str(self.deliver(message))
        done = run_notes_on_terminal(self.jane_dir, "admin-pw", b"s\n", "mail", "read", number)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("Create a cross-certificate for", done.stderr)
        self.assertIn("[c] its issuing CA CN=Other Root", done.stderr)
        self.assertIn("Created a cross-certificate for the sender CN=Carol Other", done.stdout)
        self.assertRegex(done.stdout, r"Signer trusted:\s+yes, your cross-certificate for the sender CN=Carol Other")
        out, _ = self.ok("contacts", "cross-certs", "--json")
        self.assertIn("CN=Carol Other", [c["subject"] for c in json.loads(out)])
