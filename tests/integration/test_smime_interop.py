"""Issue 7: S/MIME both ways between the real programs and real outside tools.

The outside person ("Outside Person <outside@example.org>", certificate from a test root
standing in for VerisignClass1) uses three independent S/MIME implementations: GnuPG's
gpgsm, `openssl cms` / `openssl smime`, and the s-nail mail program (with its own SMTP
client). Jane, a Notes user with an Internet certificate from the Acme Internet
certifier, uses `notes mail send` / `notes mail read` against a real nserver (Router,
SMTP listener, CA, AdminP). Our Router relays outside mail to an SMTP sink that keeps
every byte (tests/support/mail_harness.py).

 1. us -> gpgsm: signed, encrypted, signed+encrypted mail relayed to the sink; the MIME
    is taken apart with Python's `email`; gpgsm verifies (GOODSIG, VALIDSIG, TRUST_*)
    and decrypts (DECRYPTION_OKAY) with the outside person's key.
 2. us -> openssl: the same messages with `openssl smime` and `openssl cms`.
 3. gpgsm -> us: detached signature in a multipart/signed built with `email`, valid but
    untrusted, then trusted after `--trust ca` (also gpgsm's default signature without
    the root, which alone cannot be CA-cross-certified); opaque signed-data with 8-bit
    UTF-8 text; encrypted and signed-then-encrypted to Jane's exported certificate,
    decrypted by `notes mail read`.
 4. openssl -> us: `openssl cms -encrypt -aes256`, `openssl smime -encrypt`, sign then
    encrypt.
 5. s-nail -> us over SMTP: plain, signed (its micalg=SHA512, folded headers, QP
    `=46rom`), and encrypted (no smime-type parameter).
 6. One changed byte in gpgsm-, openssl- and s-nail-signed mail: `notes mail read` exits
    1, TAMPERED.

The tests share one server and one set of keys (made once in setUpClass); test 3 creates
the cross-certificate the later ones benefit from, but each test asserts only what holds
when it runs alone. Hermetic: loopback only, ports chosen at run time, temp dirs removed.
"""
import email
import json
import os
import shutil
import smtplib
import subprocess
import time
import unittest
from email import policy
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from mail_harness import SmtpSink, relay_to_sink_settings, set_up_mail_data, start_smtp_server, wait_until
from notesd_harness import TempDir, free_port, run_notes_without_terminal
from smime_harness import Gpgsm, OutsidePki, assert_outside_signature_untrusted, crlf, openssl, status_lines

OUTSIDE = "outside@example.org"
OUTSIDE_FROM = f"Outside Person <{OUTSIDE}>"
JANE = "jane@acme.example"
SMTP_POLICY = policy.SMTP  # CRLF line endings, as on the wire


def tool_missing(*names):
    return [n for n in names if shutil.which(n) is None]


def entity(text):
    """A text/plain MIME entity (no MIME-Version), CRLF, as bytes; and the email object."""
    part = MIMEText(text, "plain", "us-ascii")
    del part["MIME-Version"]
    return part.as_bytes(policy=SMTP_POLICY), part


def with_headers(message, subject, to=JANE):
    message["From"] = OUTSIDE_FROM
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate()
    message["Message-ID"] = email.utils.make_msgid(domain="example.org")
    return message


def multipart_signed(inner_part, signed_bytes, signature_der, micalg="sha-256"):
    """multipart/signed around an email part whose serialisation is `signed_bytes`."""
    outer = MIMEMultipart("signed", protocol="application/pkcs7-signature", micalg=micalg)
    outer.preamble = "This is an S/MIME signed message"
    outer.attach(inner_part)
    signature = MIMEApplication(signature_der, "pkcs7-signature", name="smime.p7s")
    signature.add_header("Content-Disposition", "attachment", filename="smime.p7s")
    del signature["MIME-Version"]
    outer.attach(signature)
    return outer


def enveloped(der):
    """application/pkcs7-mime enveloped-data around raw CMS (e.g. from gpgsm)."""
    part = MIMEApplication(der, "pkcs7-mime", name="smime.p7m")
    part.set_param("smime-type", "enveloped-data")
    part.add_header("Content-Disposition", "attachment", filename="smime.p7m")
    return part


def signed_parts(raw):
    """(exact signed bytes, signature DER) of a multipart/signed message, found with
    Python's `email` (boundary, signature part) and split from the raw bytes (a received
    signed part must never be re-serialised: interop-notes)."""
    message = email.message_from_bytes(raw, policy=policy.default)
    if message.get_content_type() != "multipart/signed":
        raise AssertionError(f"not multipart/signed but {message.get_content_type()}:\n{raw[:600]!r}")
    parts = list(message.iter_parts())
    if len(parts) != 2 or parts[1].get_content_type() not in ("application/pkcs7-signature",
                                                              "application/x-pkcs7-signature"):
        raise AssertionError(f"unexpected parts: {[p.get_content_type() for p in parts]}")
    delimiter = b"\r\n--" + message.get_boundary().encode()
    body = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    header_end = body.index(b"\r\n\r\n")  # a delimiter may follow the headers' last CRLF
    start = body.index(delimiter + b"\r\n", header_end) + len(delimiter) + 2
    end = body.index(delimiter, start)
    return body[start:end], parts[1].get_payload(decode=True)


def enveloped_der(raw):
    message = email.message_from_bytes(raw, policy=policy.default)
    if message.get_content_type() not in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
        raise AssertionError(f"not application/pkcs7-mime but {message.get_content_type()}")
    if message.get_param("smime-type") != "enveloped-data":
        raise AssertionError(f"smime-type is {message.get_param('smime-type')!r}")
    return message.get_payload(decode=True)


@unittest.skipIf(tool_missing("gpgsm", "gpgconf", "gpg-connect-agent", "s-nail", "openssl"),
                 f"outside tools missing: {tool_missing('gpgsm', 'gpgconf', 'gpg-connect-agent', 's-nail', 'openssl')}"
                 " (scripts/install-deps.sh installs them)")
class SmimeInteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        started = time.time()
        cls.tmp = TempDir()
        cls.gpgsm = None
        cls.sink = None
        cls.server = None
        try:
            cls._set_up()
        except BaseException:
            cls.tearDownClass()
            raise
        print(f"\nsetUpClass: {time.time() - started:.1f} s", flush=True)

    @classmethod
    def _set_up(cls):
        cls.data = os.path.join(cls.tmp.path, "server")
        cls.sink_port = free_port()
        cls.port, cls.smtp_port = set_up_mail_data(cls.data, "HTTP,Router,SMTP,AdminP,CA",
                                                   relay_to_sink_settings(cls.sink_port))
        cls.sink = SmtpSink(cls.sink_port).start()
        cls.server = start_smtp_server(cls.data)
        cls.jane_dir = os.path.join(cls.tmp.path, "jane-client")
        cls.must("setup", "--id", os.path.join(cls.data, "ids", "jadmin.id"), "--server-address",
                 f"127.0.0.1:{cls.port}")

        # Jane's Internet certificate from the Acme Internet certifier (issue 5's path).
        cls.must("admin", "internet-certifier", "create", "--cn", "Acme-Corp-Email", "--o", "Acme", "--icl",
                 "ICL_Acme-Corp-Email.nsf", "--encrypt-with", "server-id", "--require-activation-password", "no")
        cls.server.command("tell adminp process all")
        cls.server.command("tell ca refresh")
        cls.must("admin", "people", "add-internet-cert", "Jane Admin/Acme", "--ca", "Acme-Corp-Email", "--no-wait")
        rc, out, err = cls.server.command("tell adminp process people")
        if rc != 0:
            raise AssertionError(out + err)
        cls.must("id", "sync")
        cls.keys = os.path.join(cls.tmp.path, "keys")
        os.makedirs(cls.keys)
        cls.acme_root = os.path.join(cls.keys, "acme-root.pem")
        cls.must("admin", "internet-certifier", "show", "Acme-Corp-Email", "--cert-out", cls.acme_root)
        cls.jane_cert = os.path.join(cls.keys, "jane.pem")
        cls.must("id", "export-cert", "--pem", cls.jane_cert)

        # The outside person: their root, certificate and key; a PKCS#12 gpgsm can read.
        cls.pki = OutsidePki(os.path.join(cls.tmp.path, "outside"))
        cls.outside_cert, cls.outside_key = cls.pki.person("outside", "Outside Person", OUTSIDE)
        cls.snail_signer = cls.pki.path("s-nail-signer.pem")  # s-nail wants key and certificate in one file
        with open(cls.outside_key, "rb") as key, open(cls.outside_cert, "rb") as cert, \
                open(cls.snail_signer, "wb") as both:
            both.write(key.read() + cert.read())
        cls.must("contacts", "add", "Outside Person", "--email", OUTSIDE)
        cls.must("contacts", "import-cert", "Outside Person", cls.outside_cert)

        # Their gpgsm: their own key, Jane's certificate, both roots trusted.
        cls.gpgsm = Gpgsm(os.path.join(cls.tmp.path, "gnupg"))
        cls.gpgsm.import_identity(
            lambda: cls.pki.legacy_pkcs12("outside", cls.outside_cert, cls.outside_key, "outside-pw"))
        cls.gpgsm.checked("--import", cls.jane_cert)
        cls.gpgsm.trust(cls.pki.root, cls.acme_root)

    @classmethod
    def tearDownClass(cls):
        if cls.gpgsm:
            cls.gpgsm.stop()
        if cls.sink:
            cls.sink.stop()
        if cls.server:
            cls.server.stop()
        cls.tmp.cleanup()

    # ---- running things --------------------------------------------------------------

    @classmethod
    def notes(cls, *args):
        """`notes` as Jane, never on a terminal (stdin is /dev/null)."""
        return run_notes_without_terminal(cls.jane_dir, "admin-pw", *args)

    @classmethod
    def must(cls, *args):
        rc, out, err = cls.notes(*args)
        if rc != 0:
            raise AssertionError(f"notes {' '.join(args)} exited {rc}:\n{out}{err}")
        return out

    def read(self, unid, *extra, expect_rc=0):
        rc, out, err = self.notes("mail", "read", unid, *extra)
        self.assertEqual(rc, expect_rc, f"notes mail read {unid} {' '.join(extra)}:\n{out}{err}")
        return out, err

    def file(self, name, data):
        path = os.path.join(self.tmp.path, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    # ---- mail in and out ---------------------------------------------------------------

    def deliver(self, message, subject):
        """Sends `message` (bytes, CRLF) from outside into our SMTP listener for Jane and
        returns its UNID in her mail file."""
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.example.org", timeout=20) as smtp:
            smtp.sendmail(OUTSIDE, [JANE], message)
        return self.wait_in_inbox(subject)

    def wait_in_inbox(self, subject):
        def find():
            out = self.must("mail", "list", "--json")
            return [m for m in json.loads(out) if m["subject"] == subject]
        found = wait_until(find, timeout=30)
        self.assertTrue(found, f"'{subject}' never reached Jane:\n{self.server.output()[-3000:]}")
        return found[-1]["unid"]

    sent_cache = {}

    def sent_to_outside(self, kind):
        """Jane's `notes mail send --<kind>` to the outside person, as the sink received it
        (sent once per class, kind: "sign", "encrypt" or "sign+encrypt")."""
        if kind in self.sent_cache:
            return self.sent_cache[kind]
        subject = f"To outside, {kind}"
        flags = [f"--{k}" for k in kind.split("+")]
        text = f"Dear outside person,\nthis is {kind}.\nFrom Jane, with a line starting with From.\n"
        out = self.must("mail", "send", "--to", OUTSIDE, "--subject", subject, "--body", text, *flags)
        if "encrypt" in kind:
            self.assertIn("(from your contacts)", out)  # the outside person's certificate
        got = wait_until(lambda: [m for m in self.sink.received() if f"Subject: {subject}".encode() in m[2]],
                         timeout=30)
        self.assertTrue(got, f"the Router never relayed '{subject}':\n{self.server.output()[-3000:]}")
        sender, recipients, raw, _ = got[0]
        self.assertEqual(recipients, [OUTSIDE])
        self.assertEqual(sender, JANE)
        self.sent_cache[kind] = (raw, text)
        return raw, text

    def gpgsm_verify(self, signed_bytes, signature_der):
        sig = self.file("gpgsm-check.p7s", signature_der)
        content = self.file("gpgsm-check.txt", signed_bytes)
        rc, _, status = self.gpgsm.run("--verify", sig, content)
        self.assertEqual(rc, 0, status)
        self.assertTrue(status_lines(status, "GOODSIG"), status)
        validsig = status_lines(status, "VALIDSIG")
        self.assertTrue(validsig, status)
        self.assertTrue(status_lines(status, "TRUST_FULLY") or status_lines(status, "TRUST_ULTIMATE"), status)
        return validsig[0]

    def gpgsm_decrypt(self, der):
        rc, plain, status = self.gpgsm.run("--decrypt", self.file("gpgsm-check.p7m", der))
        self.assertTrue(status_lines(status, "DECRYPTION_OKAY"), f"gpgsm exit {rc}:\n{status}")
        return plain

    # ---- 1. us -> gpgsm --------------------------------------------------------------------

    def test_1_our_mail_verifies_and_decrypts_in_gpgsm(self):
        jane_fpr = openssl("x509", "-in", self.jane_cert, "-noout", "-fingerprint", "-sha1").decode()
        jane_fpr = jane_fpr.split("=", 1)[1].strip().replace(":", "")

        # Signed.
        raw, text = self.sent_to_outside("sign")
        signed, der = signed_parts(raw)
        self.assertIn(jane_fpr, self.gpgsm_verify(signed, der))
        inner = email.message_from_bytes(signed, policy=policy.default)
        self.assertEqual(inner.get_content_type(), "text/plain")
        self.assertEqual(inner.get_content().replace("\r\n", "\n"), text)

        # Encrypted alone: for the outside person and for Jane; gpgsm holds only the former.
        raw, text = self.sent_to_outside("encrypt")
        plain = self.gpgsm_decrypt(enveloped_der(raw))
        inner = email.message_from_bytes(plain, policy=policy.default)
        self.assertEqual(inner.get_content_type(), "text/plain")
        self.assertEqual(inner.get_content().replace("\r\n", "\n"), text)

        # Signed, then encrypted: decrypt, then verify the multipart/signed inside.
        raw, text = self.sent_to_outside("sign+encrypt")
        plain = self.gpgsm_decrypt(enveloped_der(raw))
        signed, der = signed_parts(plain)
        self.assertIn(jane_fpr, self.gpgsm_verify(signed, der))
        self.assertIn(text.splitlines()[1].encode(), signed)

    # ---- 2. us -> openssl --------------------------------------------------------------

    def test_2_our_mail_verifies_and_decrypts_in_openssl_smime_and_cms(self):
        raw, text = self.sent_to_outside("sign")
        message = self.file("ours-signed.eml", raw)
        for tool in ("smime", "cms"):
            content = openssl(tool, "-verify", "-in", message, "-CAfile", self.acme_root, "-purpose", "smimesign")
            self.assertIn(b"this is sign.", content, tool)

        raw, text = self.sent_to_outside("encrypt")
        message = self.file("ours-encrypted.eml", raw)
        for tool in ("smime", "cms"):
            plain = openssl(tool, "-decrypt", "-in", message, "-recip", self.outside_cert, "-inkey", self.outside_key)
            self.assertIn(b"this is encrypt.", plain, tool)

        raw, text = self.sent_to_outside("sign+encrypt")
        message = self.file("ours-both.eml", raw)
        for tool in ("smime", "cms"):
            plain = openssl(tool, "-decrypt", "-in", message, "-recip", self.outside_cert, "-inkey", self.outside_key)
            content = openssl(tool, "-verify", "-CAfile", self.acme_root, "-purpose", "smimesign", data=plain)
            self.assertIn(b"this is sign+encrypt.", content, tool)

    # ---- 3. gpgsm -> us ----------------------------------------------------------------

    def gpgsm_signed(self, subject, text, include_certs="-1"):
        """A multipart/signed message with gpgsm's detached signature, built with `email`.
        include_certs -1: every certificate including the root (as `openssl -certfile
        root`); gpgsm's default -2 leaves the root out."""
        signed_bytes, part = entity(text)
        der, _ = self.gpgsm.checked("--include-certs", include_certs, "--detach-sign",
                                    self.file("to-sign.txt", signed_bytes))
        message = with_headers(multipart_signed(part, signed_bytes, der), subject)
        raw = message.as_bytes(policy=SMTP_POLICY)
        self.assertIn(signed_bytes, raw)  # the generator kept the signed part byte for byte
        return raw, message

    def test_3_gpgsm_mail_reads_in_notes_untrusted_then_trusted_and_decrypts(self):
        # gpgsm's default leaves the root out: valid, untrusted, and no CA to cross-certify.
        no_root = self.deliver(self.gpgsm_signed("Signed with gpgsm, no root", "Root left out.\n", "-2")[0],
                               "Signed with gpgsm, no root")
        out, _ = self.read(no_root, "--no-trust")
        self.assertRegex(out, r"Signature:\s+valid")
        self.assertRegex(out, r"Signer trusted:\s+no")
        self.assertIn("Root left out.", out)
        rc, out, err = self.notes("mail", "read", no_root, "--trust", "ca")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("does not carry the certificate of the signer's CA", err)

        # Signed: valid but untrusted, then trusted through a cross-certificate for the CA.
        unid = self.deliver(self.gpgsm_signed("Signed with gpgsm", "Hello Jane, signed by gpgsm.\n")[0],
                            "Signed with gpgsm")
        out, _ = self.read(unid, "--no-trust")
        assert_outside_signature_untrusted(self, out)
        self.assertNotIn("Warning", out)
        self.assertIn("Hello Jane, signed by gpgsm.", out)
        out, _ = self.read(unid, "--trust", "ca")
        self.assertIn("Created a cross-certificate for the CA CN=VerisignClass1", out)
        self.assertRegex(out, r"Signer trusted:\s+yes, your cross-certificate for the CA CN=VerisignClass1")
        out, _ = self.read(unid, "--json")
        layer = json.loads(out)["smime"]["layers"][0]
        self.assertTrue(layer["valid"] and layer["trusted"] and layer["signer_matches_from"], layer)

        # gpgsm's default signature (no root) read earlier: now the cross-certified CA anchors it.
        out, _ = self.read(no_root)
        self.assertRegex(out, r"Signature:\s+valid")
        self.assertRegex(out, r"Signer trusted:\s+yes, your cross-certificate for the CA CN=VerisignClass1")

        # Opaque signed-data (gpgsm --sign: BER, indefinite lengths, content inside), UTF-8 8bit.
        inner = MIMEText("Gr\u00fc\u00dfe, opaque from gpgsm.\n", "plain", "utf-8")
        del inner["MIME-Version"]
        inner.replace_header("Content-Transfer-Encoding", "8bit")
        inner.set_payload("Gr\u00fc\u00dfe, opaque from gpgsm.\n".encode(), "utf-8")
        inner_bytes = inner.as_bytes(policy=SMTP_POLICY)
        der, _ = self.gpgsm.checked("--include-certs", "-1", "--sign", self.file("opaque.txt", inner_bytes))
        part = MIMEApplication(der, "pkcs7-mime", name="smime.p7m")
        part.set_param("smime-type", "signed-data")
        part.add_header("Content-Disposition", "attachment", filename="smime.p7m")
        unid = self.deliver(with_headers(part, "Opaque signed with gpgsm").as_bytes(policy=SMTP_POLICY),
                            "Opaque signed with gpgsm")
        out, _ = self.read(unid)
        self.assertRegex(out, r"Signature:\s+valid")
        self.assertRegex(out, r"Signer trusted:\s+yes")
        self.assertIn("Gr\u00fc\u00dfe, opaque from gpgsm.", out)

        # Encrypted to Jane's exported certificate (gpgsm finds it by her address).
        plain_bytes, _ = entity("Only Jane can read this (gpgsm).\n")
        der, _ = self.gpgsm.checked("--cipher-algo", "AES256", "--encrypt", "-r", JANE,
                                    self.file("to-encrypt.txt", plain_bytes))
        message = with_headers(enveloped(der), "Encrypted with gpgsm")
        unid = self.deliver(message.as_bytes(policy=SMTP_POLICY), "Encrypted with gpgsm")
        out, _ = self.read(unid)
        self.assertRegex(out, r"Encrypted:\s+yes, decrypted with your ID")
        self.assertRegex(out, r"Encrypted for:\s+you")
        self.assertIn("Only Jane can read this (gpgsm).", out)

        # Signed, then encrypted (the multipart/signed entity is what gpgsm encrypts).
        signed_bytes, part = entity("Signed and sealed by gpgsm.\n")
        sig, _ = self.gpgsm.checked("--include-certs", "-1", "--detach-sign", self.file("to-sign2.txt", signed_bytes))
        inner = multipart_signed(part, signed_bytes, sig)
        del inner["MIME-Version"]
        inner_bytes = inner.as_bytes(policy=SMTP_POLICY)
        self.assertIn(signed_bytes, inner_bytes)
        der, _ = self.gpgsm.checked("--encrypt", "-r", JANE, self.file("to-encrypt2.txt", inner_bytes))
        message = with_headers(enveloped(der), "Signed and encrypted with gpgsm")
        unid = self.deliver(message.as_bytes(policy=SMTP_POLICY), "Signed and encrypted with gpgsm")
        out, _ = self.read(unid)
        self.assertRegex(out, r"Encrypted:\s+yes, decrypted with your ID")
        self.assertRegex(out, r"Signature:\s+valid")
        self.assertIn("Signed and sealed by gpgsm.", out)

    # ---- 4. openssl -> us --------------------------------------------------------------

    def test_4_openssl_encrypted_and_signed_mail_reads_in_notes(self):
        body = self.file("openssl-body.txt", b"Content-Type: text/plain\r\n\r\nSealed with openssl cms.\r\n")
        for tool in ("cms", "smime"):
            subject = f"Encrypted with openssl {tool}"
            message = openssl(tool, "-encrypt", "-aes256", "-in", body, "-from", OUTSIDE_FROM, "-to", JANE,
                              "-subject", subject, self.jane_cert)
            unid = self.deliver(crlf(message), subject)
            out, _ = self.read(unid)
            self.assertRegex(out, r"Encrypted:\s+yes, decrypted with your ID")
            self.assertRegex(out, r"Signed:\s+no")
            self.assertIn("Sealed with openssl cms.", out)

        # Sign (the inner multipart/signed entity, no outer headers), make it CRLF, encrypt.
        text = self.file("openssl-text.txt", b"Signed, then sealed, by openssl.\n")
        for tool in ("cms", "smime"):
            subject = f"Signed and encrypted with openssl {tool}"
            inner = crlf(openssl(tool, "-sign", "-in", text, "-text", "-signer", self.outside_cert, "-inkey",
                                 self.outside_key, "-certfile", self.pki.root))
            message = openssl(tool, "-encrypt", "-aes256", "-binary", "-in", self.file("openssl-inner.eml", inner),
                              "-from", OUTSIDE_FROM, "-to", JANE, "-subject", subject, self.jane_cert)
            unid = self.deliver(crlf(message), subject)
            out, _ = self.read(unid, "--no-trust")
            self.assertRegex(out, r"Encrypted:\s+yes, decrypted with your ID")
            self.assertRegex(out, r"Signature:\s+valid")
            self.assertRegex(out, r"Signed by:\s+CN=Outside Person <outside@example.org>")
            self.assertIn("Signed, then sealed, by openssl.", out)

    # ---- 5. s-nail -> us ---------------------------------------------------------------

    def s_nail(self, subject, text, *settings, port=None):
        """s-nail sends `text` to Jane through our SMTP listener (or the sink on `port`: then
        returns nothing); no rc files, its own home."""
        home = os.path.join(self.tmp.path, "s-nail-home")
        os.makedirs(home, exist_ok=True)
        env = {"PATH": os.environ["PATH"], "HOME": home, "LC_ALL": "C.UTF-8", "MAILRC": "/dev/null"}
        done = subprocess.run(["s-nail", "-:/", "-#", "-S", "v15-compat", "-S", "nosave",
                               "-S", f"DEAD={home}/dead.letter", "-S", f"mta=smtp://127.0.0.1:{port or self.smtp_port}",
                               "-S", "smtp-auth=none", "-S", "hostname=client.example.org",
                               "-S", f"from={OUTSIDE_FROM}", *settings, "-s", subject, JANE],
                              input=text.encode(), capture_output=True, env=env, timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout.decode() + done.stderr.decode())
        return None if port else self.wait_in_inbox(subject)

    def test_5_s_nail_mail_over_smtp_reads_in_notes(self):
        text = "Hello from s-nail.\nFrom here on, a line that mbox would quote.\n.\nThe end.\n"
        unid = self.s_nail("Plain from s-nail", text)
        out, _ = self.read(unid)
        self.assertRegex(out, r"Signed:\s+no")
        self.assertIn("From here on, a line that mbox would quote.", out)

        unid = self.s_nail("Signed with s-nail", text, "-S", "smime-sign", "-S",
                           f"smime-sign-cert={self.snail_signer}")
        rc, raw, err = self.notes("mail", "read", unid, "--raw")
        self.assertEqual(rc, 0, err)
        self.assertIn("micalg=SHA", raw)  # s-nail's own form (not "sha-256") reached us unchanged
        self.assertIn("=46rom here on", raw)
        out, _ = self.read(unid, "--no-trust")
        self.assertRegex(out, r"Signature:\s+valid")
        self.assertRegex(out, r"Signed by:\s+CN=Outside Person <outside@example.org>")
        self.assertNotIn("Warning", out)
        self.assertIn("From here on, a line that mbox would quote.", out)

        unid = self.s_nail("Signed and encrypted with s-nail", text, "-S", "smime-sign", "-S",
                           f"smime-sign-cert={self.snail_signer}", "-S", f"smime-encrypt-{JANE}={self.jane_cert}")
        out, _ = self.read(unid, "--no-trust")
        self.assertRegex(out, r"Encrypted:\s+yes, decrypted with your ID")
        self.assertRegex(out, r"Signature:\s+valid")
        self.assertIn("The end.", out)

    # ---- 6. tampering ------------------------------------------------------------------

    def assert_tampered(self, unid):
        rc, out, err = self.notes("mail", "read", unid, "--no-trust")
        self.assertEqual(rc, 1, out + err)
        self.assertRegex(out, r"Signature:\s+TAMPERED")
        self.assertIn("TAMPERED", err)
        self.assertNotIn("Pay 900 euros", out)
        rc, out, err = self.notes("mail", "read", unid, "--json")
        self.assertEqual(rc, 1, out + err)
        self.assertTrue(json.loads(out)["smime"]["tampered"])

    def test_6_one_changed_byte_in_gpgsm_or_openssl_mail_is_tampered(self):
        raw, _ = self.gpgsm_signed("Tampered gpgsm mail", "Pay 100 euros to the usual account.\n")
        changed = raw.replace(b"Pay 100 euros", b"Pay 900 euros", 1)
        self.assertEqual(sum(a != b for a, b in zip(raw, changed)), 1)
        self.assert_tampered(self.deliver(changed, "Tampered gpgsm mail"))

        body = self.file("tamper.txt", b"Pay 100 euros to the usual account.\n")
        for tool in ("smime", "cms"):
            subject = f"Tampered openssl {tool} mail"
            raw = crlf(openssl(tool, "-sign", "-in", body, "-text", "-signer", self.outside_cert, "-inkey",
                               self.outside_key, "-certfile", self.pki.root, "-from", OUTSIDE_FROM, "-to", JANE,
                               "-subject", subject))
            changed = raw.replace(b"Pay 100 euros", b"Pay 900 euros", 1)
            self.assertEqual(sum(a != b for a, b in zip(raw, changed)), 1)
            self.assert_tampered(self.deliver(changed, subject))

        # s-nail's signed quoted-printable mail, caught at the sink and changed by one byte.
        subject = "Tampered s-nail mail"
        self.s_nail(subject, "Pay 100 euros to the usual account.\n", "-S", "smime-sign", "-S",
                    f"smime-sign-cert={self.snail_signer}", port=self.sink_port)
        got = wait_until(lambda: [m for m in self.sink.received() if f"Subject: {subject}".encode() in m[2]])
        self.assertTrue(got)
        raw = got[0][2]
        changed = raw.replace(b"Pay 100 euros", b"Pay 900 euros", 1)
        self.assertEqual(sum(a != b for a, b in zip(raw, changed)), 1)
        self.assert_tampered(self.deliver(changed, subject))


if __name__ == "__main__":
    unittest.main()
