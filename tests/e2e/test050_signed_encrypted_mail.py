"""Scenario 050: signed and encrypted mail both ways, after the key exchange of 040.

- "Notes user sends signed and encrypted email to outside person": John's `notes mail send
  --sign --encrypt` goes out through the Router; Olivia opens it with `openssl cms -decrypt`
  then `openssl cms -verify` (the "blue lock and red seal"), and again with gpgsm
  (her PKCS#12 imported, the Acme root trusted), an S/MIME implementation independent of
  OpenSSL.
- "Outside person sends signed and encrypted email to Notes user": Olivia signs, then
  encrypts for John and herself with openssl, and sends with curl; John's `notes mail read`
  shows the black lock and the red pen: decrypted with his ID, signature valid, signer
  trusted through his cross-certificate; `notes mail list` marks it S and E."""
import os
import unittest

import scenario
from scenario import notes, openssl
from smime_harness import Gpgsm


class SignedEncryptedMail(unittest.TestCase):
    def setUp(self):
        self.site = scenario.set_up_server("050", tasks="HTTP,AdminP,CA,Router,SMTP")
        self.gpgsm = None

    def tearDown(self):
        if self.gpgsm:
            self.gpgsm.stop()
        self.site.close()

    def test_signed_and_encrypted_both_ways(self):
        site = self.site
        john = scenario.register(site, "John Roe", "jroe")
        scenario.make_certifier(site)
        scenario.certify_people(site, "jroe")
        olivia = scenario.OutsidePerson(site)
        olivia.start_mailhost()
        scenario.notes_user_sends_key(site, john, olivia)
        scenario.outside_sends_key(site, john, olivia, "jroe@acme.example")

        # John -> Olivia, signed and encrypted; her certificate comes from John's contacts.
        out = scenario.send_mail(john, olivia.email, "Sealed for Olivia", "Only Olivia can read this.",
                                 "--sign", "--encrypt")
        self.assertIn("(from your contacts)", out)
        sealed = olivia.wait_for_mail("Sealed for Olivia")
        with open(sealed, "rb") as f:
            raw = f.read()
        self.assertRegex(raw, rb"Content-Type: application/(x-)?pkcs7-mime")
        self.assertNotIn(b"Only Olivia can read this.", raw)
        inner = olivia.decrypt(sealed)
        inner_path = site.path("sealed-inner.eml")
        with open(inner_path, "wb") as f:
            f.write(inner)
        self.assertIn("Only Olivia can read this.", olivia.verify(inner_path))
        openssl("cms", "-verify", "-in", inner_path, "-CAfile", olivia.trusted, "-signer",
                site.path("sealed-signer.pem"), "-out", os.devnull)
        _, subject, _ = openssl("x509", "-in", site.path("sealed-signer.pem"), "-noout", "-subject", "-issuer")
        self.assertIn("CN = John Roe", subject)
        self.assertIn("CN = Acme-Corp-Email", subject)
        # Encrypted for John too (he can read his own sent mail), with AES-256.
        _, cms, _ = openssl("cms", "-cmsout", "-print", "-in", sealed)
        self.assertIn("aes-256-cbc", cms)
        self.assertGreaterEqual(cms.count("d.issuerAndSerialNumber") + cms.count("d.subjectKeyIdentifier"), 2, cms)

        # The same message through gpgsm.
        self.gpgsm = gpg = Gpgsm(site.path("gnupg"), passphrase="p12-pw")
        gpg.import_identity(lambda: olivia.pki.legacy_pkcs12("olivia", olivia.cert, olivia.key, "p12-pw"))
        gpg.trust(olivia.root, scenario.export_root(site))
        plain, _ = scenario.gpgsm_decrypt(gpg, scenario.mime_body_bytes(raw))
        signed, signature = scenario.split_signed(plain)
        self.assertIn(b"Only Olivia can read this.", signed)
        status = scenario.gpgsm_verify_detached(gpg, signature, signed)
        self.assertIn("John Roe", status)

        # Olivia -> John, signed and encrypted with openssl, sent with curl.
        john_pem = olivia.contacts["jroe@acme.example"]
        olivia.send("jroe@acme.example", olivia.signed_and_encrypted_message(
            "jroe@acme.example", john_pem, "Sealed for John", "Only John can read this."))
        number, entry = scenario.wait_for_mail(john, "Sealed for John")
        self.assertTrue(entry["encrypted"])
        listing = notes(john, "mail", "list")
        self.assertRegex(listing, rf"(?m)^\s*{number} [* ] S E  .*Sealed for John")
        read = notes(john, "mail", "read", str(number))
        self.assertRegex(read, r"Encrypted:\s+yes, decrypted with your ID")
        self.assertRegex(read, r"Signature:\s+valid")
        self.assertRegex(read, r"Signer trusted:\s+yes, your cross-certificate for the CA CN=VerisignClass1")
        self.assertRegex(read, r"Signed by:\s+CN=Olivia Outside")
        self.assertIn("Only John can read this.", read)


if __name__ == "__main__":
    unittest.main()
