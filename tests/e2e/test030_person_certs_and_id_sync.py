"""Scenario 030: "Create and install the Notes email certificates": an RA (John, made CAA
and RA when the certifier was created) selects people and runs "Add Internet Cert To
Selected People"; AdminP puts a certificate in each Person record ("Internet Certificate =
present / Issuer = Acme-Corp-Email"); the users' IDs pick them up (`notes id sync`, and
quietly at the next command, the article's "restart the Notes client"), and "Your Internet
Certificates / Issued By = Acme-Corp-Email". The exported certificate verifies under the
root with `openssl verify` and its PKCS#12 opens with `openssl pkcs12`."""
import json
import re
import unittest

import scenario
from scenario import CERTIFIER, notes, openssl


class PersonCertsAndIdSync(unittest.TestCase):
    def setUp(self):
        self.site = scenario.set_up_server("030", tasks="HTTP,AdminP,CA")

    def tearDown(self):
        self.site.close()

    def test_add_internet_cert_to_selected_people_then_id_sync(self):
        site = self.site
        john = scenario.register(site, "John Roe", "jroe")
        mary = scenario.register(site, "Mary Poe", "mpoe")
        root = scenario.make_certifier(site)

        # Before: no certificate anywhere.
        self.assertIn("Internet Certificate: none", scenario.person_certificates(site, "John Roe/Acme"))
        self.assertIn("Your Internet Certificates (0)", notes(john, "--no-sync", "id", "certificates"))

        # John, an RA, selects Mary and himself; AdminP is hurried with TELL ADMINP PROCESS PEOPLE.
        out = scenario.add_internet_certs(site, "John Roe/Acme", "Mary Poe/Acme", by=john)
        self.assertRegex(out, r"batch [0-9a-f]+")
        for name in ("John Roe/Acme", "Mary Poe/Acme"):
            shown = scenario.person_certificates(site, name)
            self.assertTrue(scenario.has_acme_certificate(shown), shown)
        self.assertIn("Internet Certificate: none", scenario.person_certificates(site, "Jane Admin/Acme"))

        # John syncs explicitly; Mary's ID picks it up with her next command.
        synced = notes(john, "id", "sync")
        self.assertRegex(synced, rf"Added Internet certificate CN=John Roe,O=Acme issued by {CERTIFIER} \(serial [0-9A-F]+\)")
        self.assertIn("Your ID file is up to date", notes(john, "id", "sync"))
        listing = notes(john, "id", "certificates")
        self.assertIn("Your Internet Certificates (1)", listing)
        self.assertRegex(listing, rf"Issued By:\s+{CERTIFIER}")
        self.assertIn("1 new Internet certificate(s) added to your ID file", notes(mary, "whoami"))
        self.assertRegex(notes(mary, "id", "certificates"), rf"Issued By:\s+{CERTIFIER}")

        # One certificate per person, not one per request path.
        person = json.loads(notes(site.jane, "admin", "person", "show", "John Roe", "--certificates", "--json"))
        self.assertEqual(len(person["internet_certificates"]), 1)

        # Outside tools accept what the ID holds.
        pem = scenario.export_cert(john, site.path("john.pem"))
        openssl("verify", "-CAfile", root, "-purpose", "smimesign", pem)
        _, text, _ = openssl("x509", "-in", pem, "-noout", "-text")
        self.assertIn("email:jroe@acme.example", text)
        self.assertIn(f"http://127.0.0.1:{site.crl_port}/crl/{CERTIFIER}.crl", text)
        p12 = site.path("john.p12")
        notes(john, "id", "export", "--pkcs12", p12, "--legacy-3des", env={"NOTESD_EXPORT_PASSWORD": "p12-pw"})
        _, info, _ = openssl("pkcs12", "-info", "-nokeys", "-in", p12, "-passin", "pass:p12-pw")
        self.assertIn("subject=O = Acme, CN = John Roe", info)
        self.assertTrue(re.search(rf"subject=O = Acme, CN = {CERTIFIER}", info))


if __name__ == "__main__":
    unittest.main()
