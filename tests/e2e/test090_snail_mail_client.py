"""Scenario 090: a Notes user on an ordinary mail program (issue 16, part 5).

John Roe, a Notes user with an Internet certificate and an Internet password, uses s-nail
as his whole mail program, configured as the README's "Reading and sending with an ordinary
mail program" says: his key and certificate exported from his ID (`notes id export
--pkcs12`, then `openssl pkcs12 -nodes`), the IMAP account (imaps:// and imap:// with
STARTTLS), the submission account (smtp:// on SMTPSubmissionPort with STARTTLS and
smtp-auth=plain), the password in a netrc file, never on a command line.

a. s-nail lists his INBOX over IMAP and prints a message's body.
b. s-nail sends an S/MIME-signed message through submission with AUTH to the outside person;
   the Router relays it to her provider, which keeps it byte for byte: it is what s-nail
   wrote (its `record` copy) below the Router's Received field, and it verifies with
   `openssl cms -verify` against the Acme Internet root and with gpgsm.
c. The outside person signs with openssl, encrypts to John's certificate, and sends it over
   SMTP from outside; s-nail reads it back through IMAP, decrypts it with John's key and
   reports the signature verified.
d. `notes mail read` shows the same message decrypted with the ID and validly signed.
"""
import os
import shutil
import subprocess
import unittest

import scenario
from notesd_harness import free_port
from scenario import notes, openssl, read_text
from smime_harness import Gpgsm, crlf

JOHN_SECRET = "John-Mail-Program-Pw-4711"
EXPORT_SECRET = "p12-export-pw"
TOOLS = ("s-nail", "openssl", "gpgsm", "gpgconf", "gpg-connect-agent", "curl")


def missing_tools():
    return [t for t in TOOLS if not shutil.which(t)]


@unittest.skipIf(missing_tools(), f"outside tools missing: {missing_tools()} (scripts/install-deps.sh installs them)")
class SnailMailClient(unittest.TestCase):
    def setUp(self):
        self.imap_port, self.imaps_port, self.submission_port = free_port(), free_port(), free_port()
        self.site = scenario.set_up_server(
            "090", tasks="HTTP,AdminP,CA,Router,SMTP,IMAP",
            ini={"IMAPPort": self.imap_port, "IMAPSSLPort": self.imaps_port, "IMAPAddress": "127.0.0.1",
                 "SMTPSubmissionPort": self.submission_port})
        self.gpgsm = None

    def tearDown(self):
        if self.gpgsm:
            self.gpgsm.stop()
        self.site.close()

    # ---- John's s-nail ---------------------------------------------------------------------

    def configure_s_nail(self, john):
        """John's key and certificate as s-nail wants them, his netrc and his mail rc file."""
        site = self.site
        self.home = home = site.path("john-home")
        os.makedirs(home, mode=0o700)
        p12 = os.path.join(home, "john.p12")
        notes(john, "id", "export", "--pkcs12", p12, env={"NOTESD_EXPORT_PASSWORD": EXPORT_SECRET})
        env = {"P12PW": EXPORT_SECRET}
        _, key, _ = scenario.run(["openssl", "pkcs12", "-in", p12, "-passin", "env:P12PW", "-nocerts", "-nodes"],
                                 env=env)
        _, cert, _ = scenario.run(["openssl", "pkcs12", "-in", p12, "-passin", "env:P12PW", "-nokeys", "-clcerts"],
                                  env=env)
        self.signer = os.path.join(home, "john-s-nail.pem")  # the private key, then the certificate
        with open(os.open(self.signer, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(key + cert)
        self.john_cert = os.path.join(home, "john-cert.pem")
        with open(self.john_cert, "w") as f:
            f.write(cert)
        self.netrc = os.path.join(home, ".netrc")
        with open(os.open(self.netrc, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(f"machine 127.0.0.1 login jroe@acme.example password {JOHN_SECRET}\n")
        self.sent = os.path.join(home, "sent")
        self.mailrc = os.path.join(home, ".mailrc")
        with open(self.mailrc, "w") as f:
            f.write(f"""set v15-compat ttycharset=utf-8 hostname=laptop.example.org
set from="John Roe <jroe@acme.example>"
set netrc-lookup tls-verify=ignore
set inbox=imaps://jroe%40acme.example@127.0.0.1:{self.imaps_port}/INBOX
set mta=smtp://jroe%40acme.example@127.0.0.1:{self.submission_port} smtp-use-starttls smtp-auth=plain
set smime-sign-cert={self.signer} smime-ca-file={self.olivia.root}
set record={self.sent}
""")

    def s_nail(self, *args, input=b""):
        env = {"PATH": os.environ["PATH"], "HOME": self.home, "MAILRC": self.mailrc, "NETRC": self.netrc,
               "LC_ALL": "C.UTF-8"}
        done = subprocess.run(["s-nail", "-:u", *args], input=input, capture_output=True, env=env, timeout=90)
        output = done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
        self.assertNotIn(JOHN_SECRET, output)
        self.assertEqual(done.returncode, 0, output)
        return output

    # ---- the scenario ----------------------------------------------------------------------

    def test_s_nail_as_johns_mail_program(self):
        site = self.site
        john = scenario.register(site, "John Roe", "jroe")
        root = scenario.make_certifier(site)
        scenario.certify_people(site, "jroe")
        rc, out, err = john.run("id", "internet-password", "--password-stdin", input=JOHN_SECRET + "\n")
        self.assertEqual(rc, 0, out + err)
        self.olivia = olivia = scenario.OutsidePerson(site)
        olivia.start_mailhost()
        self.configure_s_nail(john)

        # a. The INBOX over IMAP: imaps:// (the rc file's inbox) and imap:// with STARTTLS.
        olivia.send("jroe@acme.example", crlf(
            b"From: Olivia Outside <olivia@example.org>\nTo: John Roe <jroe@acme.example>\n"
            b"Subject: Lunch on Friday\nMessage-ID: <lunch@example.org>\n\nShall we meet at noon?\n"))
        scenario.wait_for_mail(john, "Lunch on Friday")
        out = self.s_nail("-Y", "headers", "-Y", "print 1", "-Y", "xit")  # not -#: it sets inbox=/dev/null
        self.assertRegex(out, r"U +1 olivia@example.org .* Lunch on Friday")
        self.assertIn("Shall we meet at noon?", out)
        # LOGINDISABLED before TLS: a login here means s-nail did STARTTLS first.
        out = self.s_nail("-#", "-Simap-use-starttls", "-Y", "headers", "-Y", "print 1", "-Y", "xit", "-f",
                          f"imap://jroe%40acme.example@127.0.0.1:{self.imap_port}/INBOX")
        self.assertIn("Lunch on Friday", out)
        self.assertIn("Shall we meet at noon?", out)

        # b. Signed mail out through submission with AUTH PLAIN, relayed to the outside provider.
        self.s_nail("-#", "-Ssmime-sign", "-s", "Signed by s-nail", "olivia@example.org",
                    input=b"Signed in s-nail, sent through submission.\nFrom a line mbox would quote.\n")
        relayed_path = olivia.wait_for_mail("Signed by s-nail")
        with open(relayed_path, "rb") as f:
            relayed = f.read()
        with open(self.sent, "rb") as f:
            record = f.read()
        self.assertTrue(record.startswith(b"From "), record[:200])  # s-nail's copy, an mbox with one message
        written = record.split(b"\n", 1)[1]
        self.assertTrue(written.endswith(b"\n\n"))
        written = crlf(written[:-1])  # without the blank line that ends an mbox message
        self.assertIn(b"micalg=SHA512", written)  # s-nail's own S/MIME, not ours
        self.assertTrue(relayed.endswith(written), relayed)
        trace = relayed[:-len(written)]
        self.assertRegex(trace, rb"^Received: from laptop.example.org \(?\[?127.0.0.1.*\r\n\tby mx.acme.example "
                         rb"\(notesd\) with ESMTPSA;\r\n\t[^\r\n]+\r\n$")
        _, content, err = openssl("cms", "-verify", "-in", relayed_path, "-CAfile", root, "-purpose", "smimesign")
        self.assertIn("Verification successful", err)
        self.assertIn("Signed in s-nail, sent through submission.", content)
        self.gpgsm = gpg = Gpgsm(site.path("gnupg"))
        gpg.trust(root)
        signed, signature = scenario.split_signed(relayed)
        self.assertIn("John Roe", scenario.gpgsm_verify_detached(gpg, signature, signed))

        # c. Signed and encrypted from outside (openssl cms -sign | -encrypt, SMTP port 25 from
        # outside); s-nail reads it through IMAP and decrypts it with John's key.
        olivia.send("jroe@acme.example", olivia.signed_and_encrypted_message(
            "jroe@acme.example", self.john_cert, "Sealed for John", "Only John can read this."))
        number, entry = scenario.wait_for_mail(john, "Sealed for John")
        self.assertTrue(entry["encrypted"])
        decrypted = os.path.join(self.home, "decrypted")
        out = self.s_nail("-Y", f"decrypt {number} {decrypted}", "-Y", "xit")
        self.assertIn(f"{decrypted} [New file]", out)
        self.assertNotIn(b"Only John can read this.", self.imap_fetch(number))  # sealed on the server
        out = self.s_nail("-Y", "verify 1", "-Y", "print 1", "-Y", "xit", "-f", decrypted)
        self.assertIn("Message 1 was verified successfully", out)  # against smime-ca-file: Olivia's root
        self.assertRegex(out, r"Content-Type: multipart/signed;.*micalg=\"sha-256\"")
        self.assertIn("Only John can read this.", out)

        # d. The same message in `notes mail read`: decrypted with the ID, signed, valid.
        read = notes(john, "mail", "read", str(number))
        self.assertRegex(read, r"Encrypted:\s+yes, decrypted with your ID")
        self.assertRegex(read, r"Signed by:\s+CN=Olivia Outside <olivia@example.org>")
        self.assertRegex(read, r"Signature:\s+valid")
        self.assertIn("Only John can read this.", read)

        # The Internet password reached the server through s-nail's netrc lookups only, and was never logged.
        self.assertNotIn(JOHN_SECRET, site.server.output() + read_text(os.path.join(site.data, "console.log")))

    def imap_fetch(self, number):
        """Message `number` of John's INBOX as IMAP serves it (curl, the password from the netrc)."""
        done = subprocess.run(["curl", "-sS", "-k", "--max-time", "30", "--netrc-file", self.netrc,
                               f"imaps://127.0.0.1:{self.imaps_port}/INBOX;MAILINDEX={number}"],
                              capture_output=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(b"Subject: Sealed for John", done.stdout)
        return done.stdout


if __name__ == "__main__":
    unittest.main()
