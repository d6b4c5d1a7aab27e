"""Scenario 060: revocation. John's Internet certificate is revoked (keyCompromise) by the
administrator; TELL CA CRL ISSUE publishes a new CRL, served over plain HTTP on
HTTP_CRLPort at the URL the certificates name; the outside person fetches it with curl,
and `openssl verify -crl_check` and `openssl cms -verify -crl_check` refuse John's
certificate and the mail he signed earlier, while Mary's certificate still verifies."""
import os
import re
import unittest

import scenario
from scenario import CERTIFIER, notes, openssl, run


class Revocation(unittest.TestCase):
    def setUp(self):
        self.site = scenario.set_up_server("060", tasks="HTTP,AdminP,CA,Router,SMTP")

    def tearDown(self):
        self.site.close()

    def test_revoked_certificate_is_refused_by_outside_tools(self):
        site = self.site
        john = scenario.register(site, "John Roe", "jroe")
        mary = scenario.register(site, "Mary Poe", "mpoe")
        root = scenario.make_certifier(site)
        scenario.certify_people(site, "jroe", "mpoe")
        olivia = scenario.OutsidePerson(site)
        olivia.start_mailhost()
        scenario.notes_user_sends_key(site, john, olivia)
        signed_before = olivia.wait_for_mail("My email key")
        john_pem = scenario.export_cert(john, site.path("john.pem"))
        mary_pem = scenario.export_cert(mary, site.path("mary.pem"))
        serial = openssl("x509", "-in", john_pem, "-noout", "-serial")[1].strip().split("=")[1]

        out = notes(site.jane, "admin", "certificates", "revoke", "--ca", CERTIFIER, "--person", "John Roe",
                    "--reason", "keyCompromise")
        self.assertIn(serial, out)
        number = re.search(rf"^\s*(\d+)\. CN={CERTIFIER}", site.console("tell ca stat"), re.M).group(1)
        site.console(f"tell ca crl issue {number}")
        self.assertIn("regular CRL: #2", site.console(f"tell ca crl info {number}"))

        # The outside person fetches the CRL from the distribution point in the certificate.
        url = re.search(r"URI:(http://\S+\.crl)", openssl("x509", "-in", john_pem, "-noout", "-text")[1]).group(1)
        self.assertEqual(url, f"http://127.0.0.1:{site.crl_port}/crl/{CERTIFIER}.crl")
        crl_der = olivia.path("acme.crl")
        run(["curl", "-sSf", "-o", crl_der, url], what="curl")
        crl_pem = olivia.path("acme-crl.pem")
        openssl("crl", "-inform", "DER", "-in", crl_der, "-out", crl_pem)
        crl_text = openssl("crl", "-in", crl_pem, "-noout", "-text")[1]
        self.assertIn(f"Serial Number: {serial}", crl_text)
        self.assertIn("Key Compromise", crl_text)
        openssl("crl", "-in", crl_pem, "-noout", "-CAfile", root)  # signed by the certifier

        rc, out, err = openssl("verify", "-crl_check", "-CAfile", root, "-CRLfile", crl_pem, john_pem, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("certificate revoked", out + err)
        openssl("verify", "-crl_check", "-CAfile", root, "-CRLfile", crl_pem, mary_pem)
        # openssl cms takes CRLs from the -CAfile PEM: Olivia's trusted roots plus the CRL.
        with_crl = olivia.path("trusted-and-crl.pem")
        with open(with_crl, "w") as f:
            f.write(scenario.read_text(olivia.trusted) + scenario.read_text(crl_pem))
        rc, out, err = openssl("cms", "-verify", "-crl_check", "-CAfile", with_crl,
                               "-in", signed_before, "-out", os.devnull, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("certificate revoked", out + err)
        # Without the CRL the old mail still verifies: the CRL is what tells.
        olivia.verify(signed_before)


if __name__ == "__main__":
    unittest.main()
