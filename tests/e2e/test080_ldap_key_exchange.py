"""Scenario 080: the shortcut real Domino offers for the key exchange. The outside person
needs no signed mail first: her mail program looks the Notes user's certificate up in the
directory over LDAP (the LDAP task), encrypts to it and sends the mail over SMTP; the Notes
user reads it decrypted.

- ldapsearch (anonymous, as Outlook and Thunderbird do) fetches John's
  `userCertificate;binary` by his mail address; openssl reads the DER.
- `openssl cms -encrypt` seals a message to it; it goes to our SMTP listener (curl, byte
  for byte); `notes mail read` decrypts it with John's ID.
- s-nail, a real mail program, does the same with its own S/MIME code
  (`smime-encrypt-<address>=` the certificate from LDAP) and its own SMTP client.
"""
import base64
import os
import subprocess
import unittest

import scenario
from notesd_harness import free_port
from scenario import notes, openssl, run

LDAP_ENV = {**os.environ, "HOME": "/nonexistent", "LDAPRC": "/nonexistent"}


class LdapKeyExchange(unittest.TestCase):
    def setUp(self):
        self.ldap_port = free_port()
        self.site = scenario.set_up_server("080", tasks="HTTP,AdminP,CA,Router,SMTP,LDAP",
                                           ini={"LDAPPort": self.ldap_port, "LDAPSSLPort": 0,
                                                "LDAPAddress": "127.0.0.1"})

    def tearDown(self):
        self.site.close()

    def test_outside_person_fetches_the_certificate_over_ldap(self):
        site = self.site
        john = scenario.register(site, "John Roe", "jroe")
        scenario.make_certifier(site)
        scenario.certify_people(site, "jroe")
        self.assertIn("LDAP Server", site.console("show tasks"))

        # The outside person's address book lookup.
        done = subprocess.run(["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H",
                               f"ldap://127.0.0.1:{self.ldap_port}", "-b", "o=Acme", "(mail=jroe@acme.example)",
                               "userCertificate;binary"], capture_output=True, text=True, env=LDAP_ENV, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        values = [line.split(":: ", 1)[1] for line in done.stdout.splitlines()
                  if line.startswith("userCertificate;binary:: ")]
        self.assertEqual(len(values), 1, done.stdout)
        der = site.path("john.der")
        with open(der, "wb") as f:
            f.write(base64.b64decode(values[0]))
        pem = site.path("john.pem")
        openssl("x509", "-inform", "DER", "-in", der, "-out", pem)
        _, subject, _ = openssl("x509", "-in", pem, "-noout", "-subject")
        self.assertIn("John Roe", subject)

        # openssl cms -encrypt, sent over SMTP byte for byte.
        entity = site.path("entity.txt")
        with open(entity, "wb") as f:
            f.write(b"Content-Type: text/plain; charset=utf-8\r\n\r\nSealed with the key from your directory.\r\n")
        sealed = site.path("sealed.eml")
        openssl("cms", "-encrypt", "-aes256", "-binary", "-in", entity, "-out", sealed, "-from", "olivia@example.org",
                "-to", "jroe@acme.example", "-subject", "Sealed via LDAP", pem)
        with open(sealed, "rb") as f:
            message = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with open(sealed, "wb") as f:
            f.write(message)
        run(["curl", "-sS", f"smtp://127.0.0.1:{site.smtp_port}", "--mail-from", "olivia@example.org",
             "--mail-rcpt", "jroe@acme.example", "-T", sealed], what="curl smtp")
        number, _ = scenario.wait_for_mail(john, "Sealed via LDAP")
        read = notes(john, "mail", "read", str(number))
        self.assertRegex(read, r"Encrypted:\s+yes, decrypted with your ID")
        self.assertIn("Sealed with the key from your directory.", read)

        # s-nail encrypts with its own S/MIME code to the certificate from LDAP.
        home = site.path("s-nail-home")
        os.makedirs(home, exist_ok=True)
        env = {"PATH": os.environ["PATH"], "HOME": home, "LC_ALL": "C.UTF-8", "MAILRC": "/dev/null"}
        done = subprocess.run(["s-nail", "-:/", "-#", "-S", "v15-compat", "-S", "nosave",
                               "-S", f"DEAD={home}/dead.letter", "-S", f"mta=smtp://127.0.0.1:{site.smtp_port}",
                               "-S", "smtp-auth=none", "-S", "hostname=client.example.org",
                               "-S", "from=olivia@example.org", "-S", f"smime-encrypt-jroe@acme.example={pem}",
                               "-s", "Sealed by s-nail via LDAP", "jroe@acme.example"],
                              input=b"Sealed by s-nail with the key from LDAP.\n", capture_output=True, env=env,
                              timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout.decode() + done.stderr.decode())
        number, _ = scenario.wait_for_mail(john, "Sealed by s-nail via LDAP")
        read = notes(john, "mail", "read", str(number))
        self.assertRegex(read, r"Encrypted:\s+yes, decrypted with your ID")
        self.assertIn("Sealed by s-nail with the key from LDAP.", read)


if __name__ == "__main__":
    unittest.main()
