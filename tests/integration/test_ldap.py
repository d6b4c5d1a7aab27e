"""Issue 17: the LDAP task, driven by real clients (ldapsearch and friends from
ldap-utils, Python's ldap3, openssl).

One server (HTTP, AdminP, CA and LDAP on free loopback ports): people John Roe, Mary Poe,
Jane Doe and Carl Low, an Internet certifier (groups: no client command makes one yet, so
their entries are covered by tests/unit/ldap_entry_test.cc). Covered: the root DSE and the
subschema; anonymous search by mail returning userCertificate;binary that openssl reads;
the address-book filter Thunderbird sends; base, one-level and subtree scopes; paging
(ldapsearch -E pr=N/noprompt and ldap3's paged search); attribute selection; a
certificate issued by AdminP, and its revocation, seen without a restart; binds with the
Internet password over StartTLS (-ZZ) and LDAPS, refused in clear text
(confidentialityRequired); write operations unwillingToPerform; bad input (a length of
2^31, a filter nested 10,000 deep, an unterminated substring, half a message then silence,
many wrong passwords: the lockout).
"""
import base64
import os
import socket
import ssl
import subprocess
import time
import unittest

import ldap3
from ldap3.core.exceptions import LDAPException

from notesd_harness import (FAST_KDF_ENV, binary, free_port, register_client, set_up_client, start_test_server,
                            stop_test_server)

CERTIFIER = "Acme-Ldap-Email"
JOHN_SECRET = "Johns-Ldap-Inet-Pw-1234"
CARL_SECRET = "Carls-Ldap-Inet-Pw-5678"
IDLE_SECONDS = 3

# ldapsearch and friends: never read the user's ldaprc; trust the loopback server's certificate
# without a host name check (the certificate names the server, not 127.0.0.1).
LDAP_ENV = {**os.environ, "LDAPTLS_REQCERT": "never", "HOME": "/nonexistent", "LDAPRC": "/nonexistent"}


def ber_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, body):
    return bytes([tag]) + ber_length(len(body)) + body


def search_pdu(message_id, filter_bytes, base=b"o=Acme"):
    """A SearchRequest (subtree) with the given encoded filter, for bad-input tests."""
    body = (tlv(0x04, base) + tlv(0x0A, b"\x02") + tlv(0x0A, b"\x00") + tlv(0x02, b"\x00") + tlv(0x02, b"\x00") +
            tlv(0x01, b"\x00") + filter_bytes + tlv(0x30, b""))
    return tlv(0x30, tlv(0x02, bytes([message_id])) + tlv(0x63, body))


def read_all(sock, timeout):
    """Everything the server sends until it closes (or `timeout`), and whether it closed."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except socket.timeout:
        return data, False
    except ConnectionResetError:
        return data, True


class LdapTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ldap_port = free_port()
        cls.ldaps_port = free_port()
        start_test_server(cls, tasks="HTTP,AdminP,CA,LDAP", email="jane.admin@acme.example",
                          ini={"LDAPPort": cls.ldap_port, "LDAPSSLPort": cls.ldaps_port, "LDAPAddress": "127.0.0.1",
                               "LDAPIdleTimeoutSeconds": IDLE_SECONDS})
        cls.admin = set_up_client(cls, "admin", os.path.join(cls.data, "ids", "jadmin.id"), "admin-pw")
        cls.john = register_client(cls, "John Roe", "jroe")
        cls.mary = register_client(cls, "Mary Poe", "mpoe")
        cls.jane = register_client(cls, "Jane Doe", "jdoe")
        cls.carl = register_client(cls, "Carl Low", "clow")
        cls.url = f"ldap://127.0.0.1:{cls.ldap_port}"
        cls.ldaps_url = f"ldaps://127.0.0.1:{cls.ldaps_port}"
        for name, secret in (("John Roe", JOHN_SECRET), ("Carl Low", CARL_SECRET)):
            rc, out, err = cls.admin.run("admin", "person", "set-internet-password", name, "--password-stdin",
                                         input=secret + "\n")
            if rc != 0:
                raise AssertionError(f"set-internet-password {name}: {out}{err}")
        rc, out, err = cls.admin.run("admin", "internet-certifier", "create", "--cn", CERTIFIER, "--o", "Acme",
                                     "--icl", f"ICL_{CERTIFIER}.nsf", "--encrypt-with", "server-id",
                                     "--require-activation-password", "no", "--ra", "Jane Admin/Acme")
        if rc != 0:
            raise AssertionError(f"certifier request failed: {out}{err}")
        cls.console_ok("tell adminp process all")
        _, stat_text, _ = cls.console_ok("tell ca refresh")
        if "Active=Yes" not in stat_text:
            raise AssertionError(f"certifier not active: {stat_text}")
        cls.issue_certificates("John Roe", "Jane Doe")
        cls.john_pw = os.path.join(cls.tmp.path, "john.pw")
        with open(cls.john_pw, "w") as f:
            f.write(JOHN_SECRET)  # ldap tools read -y files as they are (no newline)
        cls.wrong_pw = os.path.join(cls.tmp.path, "wrong.pw")
        with open(cls.wrong_pw, "w") as f:
            f.write("not-the-password")

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
    def issue_certificates(cls, *names):
        env = {**os.environ, **FAST_KDF_ENV, "NOTESD_PASSWORD": "admin-pw"}
        waiting = subprocess.Popen([binary("notes"), "--client-dir", cls.admin.client_dir, "admin", "people",
                                    "add-internet-cert", *names, "--ca", CERTIFIER, "--timeout", "120"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 60
        processed = ""
        while waiting.poll() is None and time.monotonic() < deadline:
            _, processed, _ = cls.server.command("tell adminp process people")
            time.sleep(0.5)
        out, err = waiting.communicate(timeout=120)
        if waiting.returncode != 0:
            raise AssertionError(f"add-internet-cert {names}: {out}{err}{processed}")

    def ldap_tool(self, tool, *args, url=None, timeout=30):
        return subprocess.run([tool, "-H", url or self.url, *args], capture_output=True, env=LDAP_ENV,
                              timeout=timeout)

    def ldapsearch(self, *args, url=None):
        done = self.ldap_tool("ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", *args, url=url)
        return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")

    @staticmethod
    def ldif_values(ldif, attribute):
        """Every value of `attribute` in LDIF text (base64 values decoded to bytes)."""
        values = []
        for line in ldif.splitlines():
            if line.lower().startswith(attribute.lower() + ":: "):
                values.append(base64.b64decode(line.split(":: ", 1)[1]))
            elif line.lower().startswith(attribute.lower() + ": "):
                values.append(line.split(": ", 1)[1].encode())
        return values

    def anonymous(self):
        return ldap3.Connection(ldap3.Server("127.0.0.1", port=self.ldap_port, get_info=ldap3.NONE), auto_bind=True)

    # --- the root DSE and the schema ---------------------------------------------------------

    def test_1_root_dse(self):
        rc, out, err = self.ldapsearch("-b", "", "-s", "base", "(objectClass=*)", "*", "+")
        self.assertEqual(rc, 0, err)
        self.assertIn("namingContexts: o=Acme", out)
        self.assertIn("supportedLDAPVersion: 3", out)
        self.assertIn("supportedControl: 1.2.840.113556.1.4.319", out)
        self.assertIn("supportedExtension: 1.3.6.1.4.1.1466.20037", out)
        self.assertIn("supportedExtension: 1.3.6.1.4.1.4203.1.11.3", out)
        # ldap3 reads the root DSE and the schema itself.
        server = ldap3.Server("127.0.0.1", port=self.ldap_port, get_info=ldap3.ALL)
        with ldap3.Connection(server, auto_bind=True) as conn:
            self.assertIn("o=Acme", server.info.naming_contexts)
            self.assertIn("3", [str(v) for v in server.info.supported_ldap_versions])
            self.assertIsNotNone(server.schema)
            self.assertIn("inetOrgPerson", server.schema.object_classes)
            self.assertTrue(conn.bound)

    # --- anonymous searches -------------------------------------------------------------------

    def test_2_search_by_mail_returns_a_certificate_openssl_reads(self):
        rc, out, err = self.ldapsearch("-b", "o=Acme", "(mail=JROE@acme.example)", "userCertificate;binary", "cn",
                                       "mail")
        self.assertEqual(rc, 0, err)
        self.assertIn("dn: cn=John Roe,o=Acme", out)
        certs = self.ldif_values(out, "userCertificate;binary")
        self.assertEqual(len(certs), 1, out)
        shown = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject", "-issuer"], input=certs[0],
                               capture_output=True)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn(b"John Roe", shown.stdout)
        self.assertIn(CERTIFIER.encode(), shown.stdout)
        # userSMIMECertificate is a PKCS#7 bundle of the same certificate.
        rc, out, err = self.ldapsearch("-b", "o=Acme", "(uid=jroe)", "userSMIMECertificate")
        bundles = self.ldif_values(out, "userSMIMECertificate")
        self.assertEqual(len(bundles), 1, out)
        printed = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-print_certs", "-noout"], input=bundles[0],
                                 capture_output=True)
        self.assertEqual(printed.returncode, 0, printed.stderr)
        self.assertIn(b"John Roe", printed.stdout)
        # The person's entry: object classes and names; never the password hash.
        rc, out, err = self.ldapsearch("-b", "o=Acme", "(cn=john roe)")
        self.assertEqual(rc, 0, err)
        for line in ("objectClass: dominoPerson", "objectClass: inetOrgPerson", "objectClass: organizationalPerson",
                     "objectClass: person", "sn: Roe", "givenName: John", "uid: jroe", "mail: jroe@acme.example"):
            self.assertIn(line, out)
        self.assertNotIn("argon2", out.lower())
        self.assertNotIn("password", out.lower())

    def test_2b_thunderbird_address_book_filter(self):
        with self.anonymous() as conn:
            conn.search("o=Acme", "(|(cn=*jane*)(mail=*jane*)(sn=*jane*)(givenName=*jane*))",
                        attributes=["cn", "mail", "userCertificate;binary"])
            dns = sorted(e.entry_dn for e in conn.entries)
            self.assertEqual(dns, ["cn=Jane Admin,o=Acme", "cn=Jane Doe,o=Acme"])
            conn.search("o=Acme", "(&(objectClass=person)(|(cn=J*e)(sn>=Roe)))", attributes=["cn"])
            dns = sorted(e.entry_dn for e in conn.entries)
            self.assertIn("cn=Jane Doe,o=Acme", dns)
            self.assertIn("cn=John Roe,o=Acme", dns)
            conn.search("o=Acme", "(&(objectClass=person)(!(mail=*acme.example)))", attributes=["cn"])
            self.assertEqual(conn.entries, [])
            conn.search("o=Acme", "(sn~=ro e)", attributes=["cn"])
            self.assertEqual([e.entry_dn for e in conn.entries], ["cn=John Roe,o=Acme"])
            conn.search("o=Acme", "(sn<=Doe)", attributes=["sn"])
            self.assertIn("cn=Jane Doe,o=Acme", [e.entry_dn for e in conn.entries])
            # Who has a certificate (a filter on the certificate attribute itself), and the
            # substring search returns the certificates too.
            conn.search("o=Acme", "(&(mail=*acme.example)(userCertificate=*))", attributes=["cn"])
            self.assertEqual(sorted(e.entry_dn for e in conn.entries), ["cn=Jane Doe,o=Acme", "cn=John Roe,o=Acme"])
            conn.search("o=Acme", "(cn=*doe*)", attributes=["userCertificate;binary"])
            self.assertEqual(len(conn.response[0]["raw_attributes"]["userCertificate;binary"]), 1)
            conn.search("o=Acme", "(mail=*)", attributes=["1.1"])
            self.assertGreaterEqual(len(conn.entries), 5)
            self.assertEqual(conn.response[0]["attributes"], {})

    def test_3_scopes(self):
        rc, out, err = self.ldapsearch("-b", "cn=John Roe,o=Acme", "-s", "base", "(objectClass=*)", "cn")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.count("dn: "), 1, out)
        rc, out, err = self.ldapsearch("-b", "o=Acme", "-s", "one", "(objectClass=*)", "1.1")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("dn: o=Acme\n", out)
        self.assertIn("dn: cn=Mary Poe,o=Acme", out)
        rc, out, err = self.ldapsearch("-b", "o=Acme", "-s", "sub", "(objectClass=*)", "1.1")
        self.assertIn("dn: o=Acme\n", out)
        self.assertIn("dn: cn=Mary Poe,o=Acme", out)
        rc, out, err = self.ldapsearch("-b", "o=Acme", "-s", "base", "(objectClass=*)", "1.1")
        self.assertEqual(out.count("dn: "), 1, out)
        rc, out, err = self.ldapsearch("-b", "o=Nowhere", "(objectClass=*)")
        self.assertEqual(rc, 32, out + err)  # noSuchObject

    def test_4_paging_and_size_limit(self):
        done = self.ldap_tool("ldapsearch", "-x", "-LLL", "-b", "o=Acme", "-E", "pr=2/noprompt", "(objectClass=person)",
                              "cn")
        out = done.stdout.decode()
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(out.count("dn: cn="), 5, out)  # Jane Admin, John, Mary, Jane Doe, Carl
        done = self.ldap_tool("ldapsearch", "-x", "-LLL", "-b", "o=Acme", "-E", "pr=100/noprompt",
                              "(objectClass=person)", "cn", url=self.ldaps_url)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.decode().count("dn: cn="), 5)
        with self.anonymous() as conn:
            pages = 0
            cookie = None
            seen = []
            while True:
                conn.search("o=Acme", "(objectClass=person)", attributes=["cn"], paged_size=2, paged_cookie=cookie)
                pages += 1
                seen += [e.entry_dn for e in conn.entries]
                cookie = conn.result["controls"]["1.2.840.113556.1.4.319"]["value"]["cookie"]
                if not cookie:
                    break
            self.assertGreaterEqual(pages, 3)
            self.assertEqual(len(seen), 5)
            self.assertEqual(len(set(seen)), 5)
            conn.search("o=Acme", "(objectClass=person)", attributes=["cn"], size_limit=2)
            self.assertEqual(conn.result["result"], 4)  # sizeLimitExceeded
            self.assertEqual(len(conn.entries), 2)

    def test_5_certificate_from_adminp_shows_without_restart(self):
        rc, out, err = self.ldapsearch("-b", "o=Acme", "(mail=mpoe@acme.example)", "userCertificate;binary")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.ldif_values(out, "userCertificate;binary"), [])
        self.issue_certificates("Mary Poe")
        rc, out, err = self.ldapsearch("-b", "o=Acme", "(mail=mpoe@acme.example)", "userCertificate;binary")
        certs = self.ldif_values(out, "userCertificate;binary")
        self.assertEqual(len(certs), 1, out)
        # Revoked: gone from the next search.
        rc, out, err = self.admin.run("admin", "certificates", "revoke", "--ca", CERTIFIER, "--person", "Mary Poe",
                                      "--reason", "keyCompromise")
        self.assertEqual(rc, 0, out + err)
        rc, out, err = self.ldapsearch("-b", "o=Acme", "(mail=mpoe@acme.example)", "userCertificate;binary")
        self.assertEqual(self.ldif_values(out, "userCertificate;binary"), [])

    # --- binds --------------------------------------------------------------------------------

    def test_6_bind_with_internet_password(self):
        for args, url in ((["-ZZ"], None), ([], self.ldaps_url)):
            done = self.ldap_tool("ldapwhoami", "-x", *args, "-D", "cn=John Roe,o=Acme", "-y", self.john_pw, url=url)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(done.stdout.decode().strip(), "dn:cn=John Roe,o=Acme")
        # By mail address, and anonymous Who am I?
        done = self.ldap_tool("ldapwhoami", "-x", "-ZZ", "-D", "jroe@acme.example", "-y", self.john_pw)
        self.assertEqual(done.returncode, 0, done.stderr)
        done = self.ldap_tool("ldapwhoami", "-x", "-ZZ", "-D", "uid=jroe,o=Acme", "-y", self.john_pw)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.decode().strip(), "dn:cn=John Roe,o=Acme")
        done = self.ldap_tool("ldapwhoami", "-x")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.decode().strip(), "anonymous")
        # A bound search over StartTLS.
        done = self.ldap_tool("ldapsearch", "-x", "-ZZ", "-LLL", "-D", "cn=John Roe,o=Acme", "-y", self.john_pw,
                              "-b", "o=Acme", "(uid=mpoe)", "cn")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(b"dn: cn=Mary Poe,o=Acme", done.stdout)
        # ldap3 with TLS.
        tls = ldap3.Tls(validate=ssl.CERT_NONE)
        server = ldap3.Server("127.0.0.1", port=self.ldaps_port, use_ssl=True, tls=tls, get_info=ldap3.NONE)
        with ldap3.Connection(server, "cn=John Roe,o=Acme", JOHN_SECRET, auto_bind=True) as conn:
            self.assertEqual(conn.extend.standard.who_am_i(), "dn:cn=John Roe,o=Acme")
        with open(os.path.join(self.data, "console.log")) as log:
            self.assertNotIn(JOHN_SECRET, log.read())

    def test_7_bind_before_tls_refused_and_wrong_password(self):
        done = self.ldap_tool("ldapwhoami", "-x", "-D", "cn=John Roe,o=Acme", "-y", self.john_pw)
        self.assertEqual(done.returncode, 13, done.stderr)  # confidentialityRequired
        done = self.ldap_tool("ldapwhoami", "-x", "-ZZ", "-D", "cn=John Roe,o=Acme", "-y", self.wrong_pw)
        self.assertEqual(done.returncode, 49, done.stderr)  # invalidCredentials

    def test_8_write_operations_unwilling(self):
        ldif = b"dn: cn=New Person,o=Acme\nobjectClass: person\ncn: New Person\nsn: Person\n"
        done = subprocess.run(["ldapadd", "-x", "-H", self.url], input=ldif, capture_output=True, env=LDAP_ENV, timeout=30)
        self.assertEqual(done.returncode, 53, done.stderr)
        change = b"dn: cn=John Roe,o=Acme\nchangetype: modify\nreplace: sn\nsn: Other\n"
        done = subprocess.run(["ldapmodify", "-x", "-H", self.url], input=change, capture_output=True, env=LDAP_ENV,
                              timeout=30)
        self.assertEqual(done.returncode, 53, done.stderr)
        self.assertEqual(self.ldap_tool("ldapdelete", "-x", "cn=John Roe,o=Acme").returncode, 53)
        self.assertEqual(self.ldap_tool("ldapmodrdn", "-x", "cn=John Roe,o=Acme", "cn=Johnny").returncode, 53)
        self.assertEqual(self.ldap_tool("ldapcompare", "-x", "cn=John Roe,o=Acme", "sn:Roe").returncode, 53)

    # --- bad input ----------------------------------------------------------------------------

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.ldap_port), timeout=10)

    def test_9a_length_of_two_to_the_31(self):
        with self.connect() as sock:
            sock.sendall(b"\x30\x84\x80\x00\x00\x00\x02\x01\x01")
            data, closed = read_all(sock, 10)
            self.assertTrue(closed)
            self.assertIn(b"1.3.6.1.4.1.1466.20036", data)  # a notice of disconnection
        self.assertServerAnswers()

    def test_9b_filter_nested_10000_deep(self):
        inner = tlv(0x87, b"cn")
        for _ in range(10000):
            inner = tlv(0xA2, inner)  # (!(!(!...(cn=*))))
        with self.connect() as sock:
            sock.sendall(search_pdu(5, inner))
            sock.settimeout(10)
            reply = sock.recv(65536)
            self.assertEqual(reply[0], 0x30)
            self.assertIn(b"\x65", reply[:8])  # a SearchResultDone
            self.assertIn(b"\x0a\x01\x35", reply)  # unwillingToPerform
        self.assertServerAnswers()

    def test_9c_unterminated_substring(self):
        # A substrings filter whose last part claims more bytes than the filter holds.
        broken = bytes([0xA4, 0x0B]) + tlv(0x04, b"cn") + bytes([0x30, 0x05, 0x80, 0x09]) + b"jan"
        with self.connect() as sock:
            sock.sendall(search_pdu(6, broken))
            data, closed = read_all(sock, 10)
            self.assertTrue(closed)
            self.assertIn(b"\x0a\x01\x02", data)  # protocolError
        self.assertServerAnswers()

    def test_9d_half_a_message_then_silence(self):
        with self.connect() as sock:
            started = time.monotonic()
            sock.sendall(search_pdu(7, tlv(0x87, b"cn"))[:9])
            data, closed = read_all(sock, IDLE_SECONDS + 10)
            self.assertTrue(closed)
            self.assertLess(time.monotonic() - started, IDLE_SECONDS + 5)
        self.assertServerAnswers()

    def test_9e_wrong_passwords_lock_out(self):
        tls = ldap3.Tls(validate=ssl.CERT_NONE)
        server = ldap3.Server("127.0.0.1", port=self.ldaps_port, use_ssl=True, tls=tls, get_info=ldap3.NONE)
        conn = ldap3.Connection(server, "cn=Carl Low,o=Acme", "wrong")
        conn.open()
        started = time.monotonic()
        codes = set()
        for _ in range(200):
            conn.bind()
            codes.add(conn.result["result"])
        elapsed = time.monotonic() - started
        conn.unbind()
        self.assertEqual(codes, {49})
        self.assertLess(elapsed, 60)
        # Locked: even the right password is refused now.
        right = ldap3.Connection(server, "cn=Carl Low,o=Acme", CARL_SECRET)
        self.assertFalse(right.bind())
        self.assertIn("too many failed logins", right.result["message"])
        self.assertServerAnswers()

    def test_9f_tasks_and_statistics(self):
        rc, out, err = self.server.command("show tasks")
        self.assertEqual(rc, 0, err)
        self.assertIn("LDAP Server", out)
        self.assertIn(f"TCP Port:{self.ldap_port}", out)
        rc, out, err = self.server.command("tell ldap stat")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"LDAP\.Searches = [1-9]")
        self.assertRegex(out, r"LDAP\.Binds\.RefusedWithoutTLS = [1-9]")
        self.assertRegex(out, r"LDAP\.Requests\.Refused = [1-9]")
        self.assertRegex(out, r"LDAP\.Sessions\.TimedOut = [1-9]")

    def assertServerAnswers(self):
        rc, out, err = self.ldapsearch("-b", "", "-s", "base", "(objectClass=*)", "namingContexts")
        self.assertEqual(rc, 0, err)
        self.assertIn("namingContexts: o=Acme", out)


if __name__ == "__main__":
    unittest.main()
