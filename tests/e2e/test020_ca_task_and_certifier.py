"""Scenario 020: "Create an Internet root certifier" with every option the article sets:
the CA process, the server, the certifier's common name, the ICL file name, the certifier
ID encrypted with the server ID, no activation password, another person as CAA and RA, a
local copy of the certifier ID with its own password; then "wait 30 minutes" done twice:
once with the article's console shortcut (TELL ADMINP PROCESS ALL, TELL CA REFRESH, TELL
CA STAT), once for a second certifier by AdminP's own interval (AdminP_Interval_Seconds).
The root is checked with `openssl x509` and `openssl verify`."""
import json
import os
import stat
import unittest

import scenario
from scenario import CERTIFIER, ICL, notes, openssl


class CaTaskAndCertifier(unittest.TestCase):
    def setUp(self):
        self.site = scenario.set_up_server("020", tasks="HTTP,AdminP,CA")

    def tearDown(self):
        self.site.close()

    def test_the_article_certifier_and_the_interval(self):
        site = self.site
        scenario.register(site, "John Roe", "jroe")
        unid = scenario.create_internet_certifier(site)
        # Posted, not made: the CA does not know it yet, not even after a refresh.
        self.assertNotIn(CERTIFIER, site.console("tell ca stat"))
        self.assertNotIn(CERTIFIER, site.console("tell ca refresh"))
        self.assertIn(unid, site.console("tell adminp show requests pending"))
        self.assertFalse(os.path.exists(os.path.join(site.data, ICL)))

        processed, stat_text = scenario.hurry_adminp_and_ca(site)
        self.assertIn("Admin Process: Searching Administration Requests database", processed)
        self.assertTrue(scenario.certifier_active(stat_text), stat_text + site.tail())
        for name in (ICL, f"{CERTIFIER}.id"):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(site.data, name)).st_mode), 0o600, name)

        shown = json.loads(notes(site.jane, "admin", "internet-certifier", "show", CERTIFIER, "--json"))
        self.assertEqual(shown["caa"], ["CN=Jane Admin/O=Acme", "CN=John Roe/O=Acme"])
        self.assertEqual(shown["ra"], ["CN=Jane Admin/O=Acme", "CN=John Roe/O=Acme"])

        copy = scenario.save_local_copy(site, unid)
        self.assertEqual(stat.S_IMODE(os.stat(copy).st_mode), 0o600)
        rc, out, err = site.jane.run("id", "show", "--id", copy, password="admin-pw")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("wrong password", err)

        root = scenario.export_root(site)
        _, text, _ = openssl("x509", "-in", root, "-noout", "-text")
        self.assertIn("Subject: O = Acme, CN = Acme-Corp-Email", text)
        self.assertIn("CA:TRUE", text)
        self.assertIn("Certificate Sign, CRL Sign", text)
        openssl("verify", "-CAfile", root, root)

        # The same wait done by the interval: AdminP_Interval_Seconds=1 instead of 60 minutes.
        site.console("set config AdminP_Interval_Seconds=1")
        out = notes(site.jane, "admin", "internet-certifier", "create", "--cn", "Acme-Second", "--o", "Acme",
                    "--icl", "ICL_Acme-Second.nsf", "--encrypt-with", "server-id",
                    "--require-activation-password", "no", "--wait", "--wait-seconds", "60")
        self.assertIn("AdminP created the Internet certifier CN=Acme-Second/O=Acme", out)
        self.assertIn("Acme-Second", site.console("tell ca refresh"))
        stat_text = site.console("tell ca stat")
        self.assertRegex(stat_text, r"CN=Acme-Second/O=Acme\s+Type=Internet\s+Active=Yes")
        self.assertTrue(scenario.certifier_active(stat_text))


if __name__ == "__main__":
    unittest.main()
