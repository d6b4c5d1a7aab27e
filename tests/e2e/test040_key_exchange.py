"""Scenario 040: the outside person (Olivia, certificate from an independent test root
"VerisignClass1" made with `openssl req -x509`: the article's "purchases a Verisign
Digital ID") and the key exchange in both directions, as the article tells it:

- "Notes user sends public key to outside person": John sends signed mail; Olivia's
  `openssl cms -verify` finds a good signature from a signer she does not trust yet; she
  says YES (trusts the root carried in the mail), adds John to her contacts, and sees
  "Issued By = Acme-Corp-Email".
- "Outside person sends public key to Notes user": Olivia exports her certificate as DER
  .cer and sends it attached to a signed mail (openssl cms -sign, curl over SMTP). John
  reads it: valid but untrusted, the cross-certificate question, YES (`--trust ca`); "Add
  Sender to Contacts / Include X.509 Certificates = Yes"; Certificate Present, Issuer
  VerisignClass1. Mary, asked the question on a terminal, answers no, and does the manual
  import instead: detaches the .cer from the message and `notes contacts import-cert`."""
import email
import email.policy
import os
import unittest

import scenario
from notesd_harness import run_notes_on_terminal
from scenario import notes, openssl


class KeyExchange(unittest.TestCase):
    def setUp(self):
        self.site = scenario.set_up_server("040", tasks="HTTP,AdminP,CA,Router,SMTP")

    def tearDown(self):
        self.site.close()

    def test_keys_both_ways(self):
        site = self.site
        john = scenario.register(site, "John Roe", "jroe")
        mary = scenario.register(site, "Mary Poe", "mpoe")
        scenario.make_certifier(site)
        scenario.certify_people(site, "jroe", "mpoe")
        olivia = scenario.OutsidePerson(site)
        olivia.start_mailhost()

        # Notes user -> outside person.
        issuer = scenario.notes_user_sends_key(site, john, olivia)
        self.assertEqual(issuer, "issuer=O = Acme, CN = Acme-Corp-Email")
        # Before she said YES, the chain did not verify: a fresh check without her trust list fails.
        message = olivia.wait_for_mail("My email key")
        rc, _, err = openssl("cms", "-verify", "-in", message, "-out", os.devnull, check=False)
        self.assertNotEqual(rc, 0, err)
        self.assertIn("jroe@acme.example", olivia.contacts)

        # Outside person -> Notes user.
        number = scenario.outside_sends_key(site, john, olivia, "jroe@acme.example")
        read = notes(john, "mail", "read", str(number))
        self.assertRegex(read, r"Signer trusted:\s+yes, your cross-certificate for the CA CN=VerisignClass1")
        self.assertIn("Here is my certificate.", read)
        self.assertIn("Attachment: olivia.cer", read)
        self.assertRegex(notes(john, "contacts", "cross-certs"), r"CN=VerisignClass1")

        # Mary got the same mail; without trust the reader says so and tells her how.
        olivia.send("mpoe@acme.example", olivia.signed_message("mpoe@acme.example", "Key for Mary",
                                                               "Here is my certificate.", attach=olivia.path("olivia.cer")))
        number, _ = scenario.wait_for_mail(mary, "Key for Mary")
        # On a terminal the cross-certificate question is asked; Mary answers "n".
        done = run_notes_on_terminal(mary.client_dir, mary.password, b"n\n", "mail", "read", str(number), timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("Create a cross-certificate for", done.stderr)
        self.assertIn("[c] its issuing CA CN=VerisignClass1", done.stderr)
        self.assertRegex(done.stdout, r"Signature:\s+valid")
        self.assertRegex(done.stdout, r"Signer trusted:\s+no")
        self.assertIn("No cross-certificates.", notes(mary, "contacts", "cross-certs"))
        # Manual import: detach the .cer from the raw message, then import it.
        raw = site.path("mary-key.eml")
        notes(mary, "mail", "read", str(number), "--out", raw)
        with open(raw, "rb") as f:
            parsed = email.message_from_binary_file(f, policy=email.policy.default)
        cer = [part for part in parsed.walk() if part.get_filename() == "olivia.cer"]
        self.assertEqual(len(cer), 1)
        detached = site.path("detached-olivia.cer")
        with open(detached, "wb") as f:
            f.write(cer[0].get_content())
        notes(mary, "contacts", "add", "Olivia Outside", "--email", olivia.email)
        self.assertRegex(notes(mary, "contacts", "show", olivia.email), r"Certificate:\s+Not present")
        out = notes(mary, "contacts", "import-cert", olivia.email, detached)
        self.assertIn("Imported 1 new certificate(s) into contact Olivia Outside", out)
        shown = notes(mary, "contacts", "show", olivia.email)
        self.assertRegex(shown, r"Certificate:\s+Present")
        self.assertRegex(shown, r"Issuer:\s+VerisignClass1")


if __name__ == "__main__":
    unittest.main()
