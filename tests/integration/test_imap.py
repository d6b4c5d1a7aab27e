"""Issue 16 part 2: the IMAP task, driven by real clients (Python's imaplib, curl and a raw
client that parses every reply as Thunderbird would), and s-nail as a mail program.

Mail comes in over SMTP from the outside; Jane reads her own mail file over IMAP with her
Internet password (set by `notes admin person set-internet-password`). Checked: no login
before TLS (LOGINDISABLED), STARTTLS and implicit TLS, wrong and right passwords, LIST,
SELECT, FETCH byte-exact (and a signed message still verifies with `openssl cms -verify`),
STORE \\Seen seen by `notes mail list`, COPY/MOVE/EXPUNGE with COPYUID, APPEND with
APPENDUID, CREATE/RENAME/DELETE, SEARCH, IDLE seeing a delivery, Thunderbird's
first-connect sequence, bad input, UIDs stable across a restart, and the idle timeout.

Hermetic: 127.0.0.1 only, ports chosen at run time; the password reaches curl through a
--netrc-file only."""
import imaplib
import json
import os
import re
import smtplib
import socket
import ssl
import subprocess
import threading
import time
import unittest

from mail_harness import Server, free_port, register_person, set_ini, start_mail_server, wait_until
from scenario import gpgsm_verify_detached, split_signed
from smime_harness import Gpgsm

SECRET = "Jane-Imap-Secret-77"


def tls_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def outside_message(subject, body=b"hello"):
    return (b"From: Outside Person <outside@example.org>\r\nTo: Jane Admin <jane@acme.example>\r\n"
            b"Subject: " + subject.encode() + b"\r\nMessage-ID: <" + subject.encode() +
            b"@example.org>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\n" + body + b"\r\n")


# ---- A raw IMAP client that parses every response (the grammar of RFC 3501 section 9).

def parse_values(data, pos=0, depth=0):
    """Parses a sequence of IMAP values from bytes (literals already inlined as
    (b'{n}', bytes) by the reader); returns (list, pos). Raises ValueError on bad syntax."""
    values = []
    while pos < len(data):
        c = data[pos:pos + 1]
        if c == b" ":
            pos += 1
        elif c == b"(":
            inner, pos = parse_values(data, pos + 1, depth + 1)
            values.append(inner)
        elif c == b")":
            if depth == 0:
                raise ValueError(f"unbalanced ) at {pos}")
            return values, pos + 1
        elif c == b'"':
            end = pos + 1
            out = b""
            while data[end:end + 1] != b'"':
                if end >= len(data):
                    raise ValueError("unterminated string")
                if data[end:end + 1] == b"\\":
                    end += 1
                out += data[end:end + 1]
                end += 1
            values.append(out)
            pos = end + 1
        elif c == b"{":
            m = re.match(rb"\{(\d+)\}\r\n", data[pos:])
            if not m:
                raise ValueError(f"bad literal at {pos}")
            n = int(m.group(1))
            start = pos + m.end()
            values.append(data[start:start + n])
            pos = start + n
        elif c == b"[":
            end = data.index(b"]", pos)
            values.append(data[pos:end + 1])
            pos = end + 1
        else:
            m = re.match(rb"[^ ()\"{\[\]]+(\[[^\]]*\](<\d+>)?)?", data[pos:])
            if not m or not m.group(0):
                raise ValueError(f"unexpected byte {c!r} at {pos}")
            values.append(m.group(0))
            pos += m.end()
    if depth:
        raise ValueError("unbalanced (")
    return values, pos


class RawImap:
    def __init__(self, port, tls=True, timeout=20):
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = tls_context().wrap_socket(sock) if tls else sock
        self.buffer = b""
        self.count = 0
        self.greeting = self.read_response_line()

    def read_line(self):
        while b"\r\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buffer += data
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def read_exact(self, n):
        while len(self.buffer) < n:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buffer += data
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def read_response_line(self):
        """One response with its literals: the bytes as sent."""
        line = self.read_line()
        out = line
        while True:
            m = re.search(rb"\{(\d+)\}$", line)
            if not m:
                return out
            out += b"\r\n" + self.read_exact(int(m.group(1)))
            line = self.read_line()
            out += line

    def send(self, text):
        self.sock.sendall(text if isinstance(text, bytes) else text.encode())

    def command(self, text):
        """Sends `<tag> text`; returns (untagged responses parsed, tagged status, tagged line)."""
        self.count += 1
        tag = f"t{self.count}"
        self.send(f"{tag} {text}\r\n")
        return self.finish(tag)

    def finish(self, tag):
        untagged = []
        while True:
            response = self.read_response_line()
            if response.startswith(b"* "):
                values, _ = parse_values(response[2:])
                untagged.append(values)
            elif response.startswith(b"+"):
                raise AssertionError(f"unexpected continuation {response!r}")
            elif response.startswith(tag.encode() + b" "):
                values, _ = parse_values(response[len(tag) + 1:])
                return untagged, values[0].decode(), response
            else:
                raise AssertionError(f"unexpected response {response!r}")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def fetch_items(untagged):
    """{message number: {item name: value}} from FETCH responses."""
    out = {}
    for values in untagged:
        if len(values) >= 3 and values[1] == b"FETCH":
            items = values[2]
            out[int(values[0])] = {items[i].decode().upper(): items[i + 1] for i in range(0, len(items), 2)}
    return out


class ImapTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.imap_port, cls.imaps_port = free_port(), free_port()
        start_mail_server(cls, {"IMAPPort": cls.imap_port, "IMAPSSLPort": cls.imaps_port, "IMAPAddress": "127.0.0.1"},
                          tasks="HTTP,Router,SMTP,IMAP")
        if not cls.server.wait_for_output("Listening for IMAP over TLS on 127.0.0.1"):
            raise AssertionError("IMAP did not start:\n" + cls.server.output())
        rc, out, err = cls.admin.run("admin", "person", "set-internet-password", "Jane Admin", "--password-stdin",
                                     input=SECRET + "\n")
        if rc != 0:
            raise AssertionError(out + err)
        cls.netrc = os.path.join(cls.tmp.path, "netrc")
        with open(cls.netrc, "w") as f:
            f.write(f"machine 127.0.0.1 login jane@acme.example password {SECRET}\n")
        os.chmod(cls.netrc, 0o600)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    # ---- helpers

    def send(self, *messages):
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.example.org", timeout=20) as s:
            for message in messages:
                s.sendmail("outside@example.org", ["jane@acme.example"], message)

    def inbox(self):
        rc, out, err = self.admin.run("mail", "list", "--json")
        self.assertEqual(rc, 0, out + err)
        return json.loads(out)

    def deliver(self, *messages):
        before = len(self.inbox())
        self.send(*messages)
        self.assertTrue(wait_until(lambda: len(self.inbox()) >= before + len(messages), timeout=30),
                        self.server.output())

    def login(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=tls_context(), timeout=20)
        m.login("jane@acme.example", SECRET)
        return m

    def raw_login(self):
        c = RawImap(self.imaps_port)
        _, status, line = c.command(f"LOGIN jane@acme.example \"{SECRET}\"")
        self.assertEqual(status, "OK", line)
        return c

    def uid_of_subject(self, m, subject):
        typ, data = m.uid("SEARCH", None, "SUBJECT", f'"{subject}"')
        self.assertEqual(typ, "OK", data)
        uids = data[0].split()
        self.assertEqual(len(uids), 1, data)
        return uids[0].decode()

    def fetch_uid(self, m, uid, what):
        typ, data = m.uid("FETCH", uid, what)
        self.assertEqual(typ, "OK", data)
        return data

    # ---- tests

    def test_01_no_login_before_tls_then_starttls(self):
        m = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=20)
        try:
            self.assertIn("LOGINDISABLED", m.capabilities)
            self.assertIn("STARTTLS", m.capabilities)
            self.assertNotIn("AUTH=PLAIN", m.capabilities)
            with self.assertRaises(imaplib.IMAP4.error):
                m.login("jane@acme.example", SECRET)
            m.starttls(ssl_context=tls_context())
            self.assertNotIn("LOGINDISABLED", m.capabilities)
            self.assertIn("AUTH=PLAIN", m.capabilities)
            with self.assertRaises(imaplib.IMAP4.error) as wrong:
                m.login("jane@acme.example", "not-her-password")
            self.assertIn("AUTHENTICATIONFAILED", str(wrong.exception))
            typ, _ = m.login("jane@acme.example", SECRET)
            self.assertEqual(typ, "OK")
            m.logout()
        finally:
            if m.state != "LOGOUT":
                m.shutdown()
        self.assertNotIn(SECRET, self.server.output())
        self.assertIn("IMAP: Internet login failed for Jane Admin/Acme from 127.0.0.1", self.server.output())

    def test_02_list_select_fetch_byte_exact(self):
        body = b"Line with trailing spaces   \r\n\tand a tab\r\n" + b"x" * 990 + b"\r\n.leading dot\r\nend"
        message = outside_message("byte-exact", body)
        self.deliver(message)
        m = self.login()
        try:
            typ, folders = m.list()
            self.assertEqual(typ, "OK")
            self.assertTrue(any(b'"/" INBOX' in f for f in folders), folders)
            typ, count = m.select("INBOX")
            self.assertEqual(typ, "OK")
            self.assertGreaterEqual(int(count[0]), 1)
            self.assertTrue(any(re.match(rb"\d+", v or b"") for v in m.untagged_responses.get("UIDVALIDITY", [])))
            uid = self.uid_of_subject(m, "byte-exact")
            data = self.fetch_uid(m, uid, "(UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[])")
            fetched = data[0][1]
            self.assertEqual(fetched, message)
            self.assertIn(f"RFC822.SIZE {len(message)}".encode(), data[0][0])
            self.assertIn(b"FLAGS ()", data[0][0])  # PEEK: still unread
            self.assertEqual(fetched, [self.jane.raw(x["unid"]) for x in self.inbox()
                                       if x["subject"] == "byte-exact"][0])
            data = self.fetch_uid(m, uid, "(ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (Subject)] "
                                          "BODY.PEEK[TEXT]<0.9>)")
            joined = b"".join(part if isinstance(part, bytes) else b"".join(part) for part in data)
            self.assertIn(b'"byte-exact"', joined)
            self.assertIn(b'("TEXT" "PLAIN"', joined)
            self.assertIn(b"Subject: byte-exact\r\n\r\n", joined)
            self.assertIn(b"Line with", joined)
        finally:
            m.logout()

    def test_03_signed_message_verifies_after_fetch(self):
        d = self.tmp.path
        cert, key = os.path.join(d, "signer.crt"), os.path.join(d, "signer.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=Outside Person/emailAddress=outside@example.org", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        content = os.path.join(d, "content.txt")
        with open(content, "wb") as f:
            f.write(b"Signed words, kept exactly.\r\n")
        signed = subprocess.run(["openssl", "cms", "-sign", "-in", content, "-signer", cert, "-inkey", key,
                                 "-text", "-from", "outside@example.org", "-to", "jane@acme.example",
                                 "-subject", "signed-over-imap"], check=True, capture_output=True).stdout
        signed = signed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        self.deliver(signed)
        m = self.login()
        try:
            m.select("INBOX", readonly=True)
            uid = self.uid_of_subject(m, "signed-over-imap")
            fetched = self.fetch_uid(m, uid, "(BODY.PEEK[])")[0][1]
        finally:
            m.logout()
        self.assertEqual(fetched, signed)
        path = os.path.join(d, "fetched.eml")
        with open(path, "wb") as f:
            f.write(fetched)
        verified = subprocess.run(["openssl", "cms", "-verify", "-in", path, "-CAfile", cert, "-purpose", "any"],
                                  capture_output=True)
        self.assertEqual(verified.returncode, 0, verified.stderr)
        self.assertIn(b"Signed words, kept exactly.", verified.stdout)
        # gpgsm too, on the signed part and signature exactly as fetched.
        gpg = Gpgsm(os.path.join(d, "gnupg-imap"))
        try:
            gpg.trust(cert)
            signed_part, signature = split_signed(fetched)
            gpgsm_verify_detached(gpg, signature, signed_part)
        finally:
            gpg.stop()

    def test_04_store_seen_and_notes_agrees(self):
        self.deliver(outside_message("mark-me"), outside_message("read-me"))
        m = self.login()
        try:
            m.select("INBOX")
            uid = self.uid_of_subject(m, "mark-me")
            typ, data = m.uid("STORE", uid, "+FLAGS", "(\\Seen \\Flagged)")
            self.assertEqual(typ, "OK", data)
            self.assertIn(b"\\Seen", data[0])
            listed = {x["subject"]: x for x in self.inbox()}
            self.assertFalse(listed["mark-me"]["unread"])
            self.assertIn("\\Flagged", listed["mark-me"]["flags"])
            self.assertTrue(listed["read-me"]["unread"])
            # BODY[] without PEEK marks it read, and FLAGS says so.
            uid2 = self.uid_of_subject(m, "read-me")
            data = self.fetch_uid(m, uid2, "(BODY[])")
            self.assertIn(b"\\Seen", b" ".join(x if isinstance(x, bytes) else x[0] for x in data))
            self.assertFalse({x["subject"]: x for x in self.inbox()}["read-me"]["unread"])
            typ, data = m.uid("STORE", uid, "-FLAGS.SILENT", "(\\Seen)")
            self.assertEqual(typ, "OK")
            self.assertTrue({x["subject"]: x for x in self.inbox()}["mark-me"]["unread"])
            typ, data = m.uid("SEARCH", None, "UNSEEN", "FLAGGED")
            self.assertEqual(data[0].decode(), uid)
        finally:
            m.logout()

    def test_05_copy_move_expunge(self):
        self.deliver(outside_message("copy-me"), outside_message("move-me"), outside_message("expunge-me"))
        m = self.login()
        try:
            self.assertEqual(m.create("Archive")[0], "OK")
            m.select("INBOX")
            uid = self.uid_of_subject(m, "copy-me")
            typ, data = m.uid("COPY", uid, "Archive")
            self.assertEqual(typ, "OK", data)
            self.assertRegex(m.untagged_responses.get("COPYUID", [b""])[-1] or b"", rb"\d+ \d+ \d+")
            typ, data = m.uid("COPY", uid, "NoSuchFolder")
            self.assertEqual(typ, "NO")
            self.assertIn(b"TRYCREATE", data[0])
            uid_move = self.uid_of_subject(m, "move-me")
            typ, data = m.uid("MOVE", uid_move, "Archive")
            self.assertEqual(typ, "OK", data)
            typ, data = m.uid("SEARCH", None, "SUBJECT", '"move-me"')
            self.assertEqual(data[0], b"")
            uid_gone = self.uid_of_subject(m, "expunge-me")
            m.uid("STORE", uid_gone, "+FLAGS.SILENT", "(\\Deleted)")
            m.untagged_responses.pop("EXPUNGE", None)  # MOVE's
            typ, data = m.expunge()
            self.assertEqual(typ, "OK")
            self.assertEqual(len(data), 1, data)
            self.assertNotIn("expunge-me", [x["subject"] for x in self.inbox()])
            self.assertIn("copy-me", [x["subject"] for x in self.inbox()])
            rc, out, err = self.admin.run("mail", "list", "--folder", "Archive", "--json")
            self.assertEqual(rc, 0, err)
            self.assertEqual(sorted(x["subject"] for x in json.loads(out)), ["copy-me", "move-me"])
            # UID EXPUNGE removes only the UIDs named.
            m.select("Archive")
            typ, data = m.uid("SEARCH", None, "ALL")
            a, b = data[0].split()
            m.uid("STORE", b"1:*", "+FLAGS.SILENT", "(\\Deleted)")
            typ, data = m.uid("EXPUNGE", a.decode())
            self.assertEqual(typ, "OK", data)
            typ, data = m.uid("SEARCH", None, "ALL")
            self.assertEqual(data[0], b)
        finally:
            m.logout()

    def test_06_append(self):
        message = b"From: Jane Admin <jane@acme.example>\r\nSubject: appended draft\r\n\r\nDraft text\r\n"
        m = self.login()
        try:
            typ, data = m.append("INBOX", "(\\Draft \\Seen)", imaplib.Time2Internaldate(1700000000), message)
            self.assertEqual(typ, "OK", data)
            match = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
            self.assertTrue(match, data)
            m.select("INBOX")
            got = self.fetch_uid(m, match.group(2).decode(), "(FLAGS INTERNALDATE BODY.PEEK[])")
            self.assertEqual(got[0][1], message)
            self.assertIn(b"\\Draft", got[0][0])
            self.assertIn(b"14-Nov-2023", got[0][0])
            typ, data = m.append("NoSuchFolder", None, None, message)
            self.assertEqual(typ, "NO")
            # Big messages, fetched together (the reply goes out in parts), come back exactly.
            self.assertEqual(m.create("Big")[0], "OK")
            bigs = [b"Subject: big %d\r\n\r\n" % i + (b"%d" % i) * (700 * 1024) + b"\r\n" for i in range(4)]
            for big in bigs:
                self.assertEqual(m.append("Big", None, None, big)[0], "OK")
            m.select("Big", readonly=True)
            typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            self.assertEqual([x[1] for x in data if isinstance(x, tuple)], bigs)
        finally:
            m.logout()

    def test_07_create_rename_delete(self):
        m = self.login()
        try:
            self.assertEqual(m.create("Projects/2026")[0], "OK")
            self.assertEqual(m.create("Projects/2026")[0], "NO")
            typ, data = m.list('""', "Projects*")
            self.assertTrue(any(b"Projects/2026" in x for x in data), data)
            self.assertEqual(m.rename("Projects/2026", "Projects/Done")[0], "OK")
            typ, data = m.list('""', "Projects/%")
            self.assertEqual([x.split(b'"/" ')[-1] for x in data], [b"Projects/Done"])
            typ, data = m.status("Projects/Done", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
            self.assertEqual(typ, "OK", data)
            self.assertIn(b"MESSAGES 0", data[0])
            self.assertEqual(m.delete("Projects/Done")[0], "OK")
            typ, data = m.list('""', "Projects/*")
            self.assertEqual(data, [None])
            rc, out, err = self.admin.run("mail", "folders", "--json")
            self.assertEqual(rc, 0, err)
            self.assertNotIn("Projects/Done", out)
        finally:
            m.logout()

    def test_08_search(self):
        self.deliver(outside_message("search-alpha", b"needle in the body"), outside_message("search-beta"))
        m = self.login()
        try:
            m.select("INBOX", readonly=True)
            alpha = self.uid_of_subject(m, "search-alpha")
            for criteria in (["BODY", "needle"], ["TEXT", "NEEDLE"], ["FROM", "outside@example.org", "SUBJECT", "alpha"],
                             ["HEADER", "Message-ID", "search-alpha@"], ["OR", "SUBJECT", "alpha", "SUBJECT", "nothing"],
                             ["NOT", "NOT", "SUBJECT", "alpha"], ["SENTON", "1-Dec-2026", "BODY", "needle"]):
                typ, data = m.uid("SEARCH", None, *criteria)
                self.assertEqual((typ, data[0].decode()), ("OK", alpha), criteria)
            typ, data = m.uid("SEARCH", None, "LARGER", "1", "SINCE", "1-Jan-2000", "TO", "jane")
            self.assertIn(alpha.encode(), data[0].split())
            typ, data = m.search(None, "SMALLER", "10")
            self.assertEqual(data[0], b"")
            typ, data = m.search(None, "BEFORE", "1-Jan-2000")
            self.assertEqual(data[0], b"")
        finally:
            m.logout()

    def test_09_idle_sees_a_new_delivery(self):
        c = self.raw_login()
        try:
            untagged, status, _ = c.command("SELECT INBOX")
            exists = [int(v[0]) for v in untagged if len(v) == 2 and v[1] == b"EXISTS"][0]
            c.send("i1 IDLE\r\n")
            self.assertTrue(c.read_response_line().startswith(b"+"))
            self.send(outside_message("while-idle"))
            deadline = time.monotonic() + 30
            seen = None
            while time.monotonic() < deadline and seen is None:
                values, _ = parse_values(c.read_response_line()[2:])
                if len(values) == 2 and values[1] == b"EXISTS":
                    seen = int(values[0])
            self.assertEqual(seen, exists + 1)
            c.send("DONE\r\n")
            untagged, status, line = c.finish("i1")
            self.assertEqual(status, "OK", line)
            _, status, _ = c.command("LOGOUT")
            self.assertEqual(status, "OK")
        finally:
            c.close()

    def test_10_thunderbird_first_connect(self):
        self.deliver(outside_message("tb-one"), outside_message("tb-two"))
        c = RawImap(self.imaps_port)
        try:
            values, _ = parse_values(c.greeting[2:])
            self.assertEqual(values[0], b"OK")
            untagged, status, _ = c.command("capability")
            self.assertEqual(status, "OK")
            caps = [v.decode() for v in untagged[0][1:]]
            for cap in ("IMAP4rev1", "IDLE", "AUTH=PLAIN", "ID", "UIDPLUS", "MOVE"):
                self.assertIn(cap, caps)
            untagged, status, _ = c.command('ID ("name" "Thunderbird" "version" "128.5.0")')
            self.assertEqual((status, untagged[0][0]), ("OK", b"ID"))
            import base64
            plain = base64.b64encode(b"\0jane@acme.example\0" + SECRET.encode()).decode()
            c.count += 1
            c.send(f"t{c.count} authenticate PLAIN\r\n")
            self.assertEqual(c.read_line(), b"+ ")
            c.send(plain + "\r\n")
            _, status, line = c.finish(f"t{c.count}")
            self.assertEqual(status, "OK", line)
            if "LIST-EXTENDED" in caps:
                untagged, status, _ = c.command('list (SUBSCRIBED) "" "*" RETURN (CHILDREN)')
            else:
                untagged, status, _ = c.command('list "" "*"')
            self.assertEqual(status, "OK")
            names = [v[3] for v in untagged if v[0] == b"LIST"]
            self.assertIn(b"INBOX", names)
            untagged, status, _ = c.command("lsub \"\" \"*\"")
            self.assertEqual(status, "OK")
            untagged, status, line = c.command("select \"INBOX\"")
            self.assertEqual(status, "OK", line)
            self.assertIn(b"[READ-WRITE]", line)
            codes = b" ".join(v[1] for v in untagged if v[0] == b"OK" and isinstance(v[1], bytes))
            self.assertIn(b"UIDVALIDITY", codes)
            self.assertIn(b"UIDNEXT", codes)
            self.assertIn(b"PERMANENTFLAGS", codes)
            exists = [int(v[0]) for v in untagged if len(v) == 2 and v[1] == b"EXISTS"][0]
            untagged, status, _ = c.command("UID fetch 1:* (FLAGS)")
            self.assertEqual(status, "OK")
            items = fetch_items(untagged)
            self.assertEqual(len(items), exists)
            uids = sorted(int(i["UID"]) for i in items.values())
            self.assertTrue(all(isinstance(i["FLAGS"], list) for i in items.values()))
            fields = ("From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups "
                      "In-Reply-To Content-Type Reply-To")
            untagged, status, _ = c.command(f"UID fetch {uids[0]}:{uids[-1]} (UID RFC822.SIZE FLAGS "
                                            f"BODY.PEEK[HEADER.FIELDS ({fields})])")
            self.assertEqual(status, "OK")
            items = fetch_items(untagged)
            self.assertEqual(len(items), exists)
            name = f"BODY[HEADER.FIELDS ({fields.upper()})]"
            headers = [i.get(name) for i in items.values()]
            self.assertTrue(all(h is not None and h.endswith(b"\r\n\r\n") for h in headers), items)
            self.assertTrue(any(b"Subject: tb-two" in h for h in headers))
            for i in items.values():
                self.assertGreater(int(i["RFC822.SIZE"]), 0)
            c.send("t99 IDLE\r\n")
            self.assertTrue(c.read_response_line().startswith(b"+"))
            c.send("DONE\r\n")
            _, status, _ = c.finish("t99")
            self.assertEqual(status, "OK")
            untagged, status, _ = c.command("logout")
            self.assertEqual(status, "OK")
            self.assertEqual(untagged[0][0], b"BYE")
        finally:
            c.close()

    def test_11_curl_imap_starttls_and_imaps(self):
        self.deliver(outside_message("for-curl"))
        for url, extra in ((f"imap://127.0.0.1:{self.imap_port}/", ["--ssl-reqd"]),
                           (f"imaps://127.0.0.1:{self.imaps_port}/", [])):
            done = subprocess.run(["curl", "-sS", "-k", "--max-time", "30", "--netrc-file", self.netrc, *extra, url],
                                  capture_output=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn(b"INBOX", done.stdout)
            done = subprocess.run(["curl", "-sS", "-k", "--max-time", "30", "--netrc-file", self.netrc, *extra,
                                   url + "INBOX?SUBJECT%20for-curl"], capture_output=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            number = done.stdout.split()[-1].decode()  # SEARCH gives message numbers
            done = subprocess.run(["curl", "-sS", "-k", "--max-time", "30", "--netrc-file", self.netrc, *extra,
                                   url + f"INBOX/;MAILINDEX={number}"], capture_output=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(done.stdout, outside_message("for-curl"))
        # Without TLS curl gets no login.
        done = subprocess.run(["curl", "-sS", "--max-time", "30", "--netrc-file", self.netrc,
                               f"imap://127.0.0.1:{self.imap_port}/"], capture_output=True)
        self.assertNotEqual(done.returncode, 0)

    def test_12_bad_input(self):
        c = self.raw_login()
        try:
            _, status, _ = c.command("FROBNICATE now")
            self.assertEqual(status, "BAD")
            _, status, _ = c.command("FETCH 1 (FLAGS)")  # no mailbox selected
            self.assertEqual(status, "BAD")
            c.send("t50 APPEND INBOX {4294967295}\r\n")
            reply = c.read_response_line()
            self.assertTrue(reply.startswith(b"t50 BAD") or reply.startswith(b"t50 NO"), reply)
            _, status, _ = c.command("NOOP")
            self.assertEqual(status, "OK")
            def flood():  # the server stops reading and closes while this is still sending
                try:
                    c.send(b"t51 NOOP " + b"a" * (1024 * 1024) + b"\r\n")
                except OSError:
                    pass
            sender = threading.Thread(target=flood)
            sender.start()
            replies = []
            try:
                while True:
                    replies.append(c.read_response_line())
            except (EOFError, OSError):
                pass
            sender.join(timeout=20)
            self.assertTrue(any(b" BAD " in r for r in replies), replies)
        finally:
            c.close()
        # Commands before login; no big literal before login either.
        c = RawImap(self.imaps_port)
        try:
            c.send("t60 APPEND INBOX {100000}\r\n")
            reply = c.read_response_line()
            self.assertTrue(reply.startswith(b"t60 BAD"), reply)
            _, status, _ = c.command("SELECT INBOX")
            self.assertEqual(status, "BAD")
            _, status, _ = c.command("LIST \"\" *")
            self.assertEqual(status, "BAD")
        finally:
            c.close()

    def test_13_nesting_and_a_client_that_vanishes_in_idle(self):
        c = self.raw_login()
        try:
            _, status, line = c.command("SELECT INBOX")
            self.assertEqual(status, "OK", line)
            _, status, _ = c.command("SEARCH " + "(" * 10000 + "ALL" + ")" * 10000)
            self.assertEqual(status, "BAD")
            _, status, _ = c.command("NOOP")
            self.assertEqual(status, "OK")
            c.send("i1 IDLE\r\n")
            self.assertTrue(c.read_response_line().startswith(b"+"))
        finally:
            c.close()  # gone without DONE
        self.assertTrue(wait_until(lambda: "IMAP.Sessions.Current = 0" in
                                   self.server.command("show stat IMAP.Sessions.Current")[1]), self.server.output())
        m = self.login()  # the server goes on
        m.logout()

    def test_14_password_flood_locks_that_person_only(self):
        rc, out, err = register_person(self, "John Roe", "jroe", "jroe@acme.example")
        self.assertEqual(rc, 0, out + err)
        rc, out, err = self.admin.run("admin", "person", "set-internet-password", "John Roe", "--password-stdin",
                                      input="Johns-Imap-Pw-1\n")
        self.assertEqual(rc, 0, out + err)
        refusals = []
        for attempt in range(3):  # three sessions, the last two cut short after three failures
            c = RawImap(self.imaps_port)
            try:
                for _ in range(3):
                    _, status, line = c.command("LOGIN jroe wrong-guess")
                    refusals.append(line)
            except (EOFError, OSError):
                pass
            finally:
                c.close()
        self.assertTrue(all(b" NO " in r for r in refusals), refusals)
        self.assertTrue(any(b"UNAVAILABLE" in r for r in refusals), refusals)
        c = RawImap(self.imaps_port)
        try:
            _, status, line = c.command("LOGIN jroe Johns-Imap-Pw-1")
            self.assertEqual(status, "NO", line)  # locked out, even with the right password
            self.assertIn(b"too many failed logins", line)
        finally:
            c.close()
        m = self.login()  # Jane, from the same address, is not locked out
        m.logout()
        self.assertNotIn("Johns-Imap-Pw-1", self.server.output())
        self.assertNotIn("wrong-guess", self.server.output())

    def test_15_s_nail_reads_the_inbox(self):
        self.deliver(outside_message("for-s-nail", b"words for s-nail"))
        home = os.path.join(self.tmp.path, "snail-home")
        os.makedirs(home, exist_ok=True)
        for url in (f"imaps://jane%40acme.example@127.0.0.1:{self.imaps_port}/INBOX",
                    f"imap://jane%40acme.example@127.0.0.1:{self.imap_port}/INBOX"):
            done = subprocess.run(["s-nail", "-:/", "-#", "-Sv15-compat", "-Snetrc-lookup", "-Stls-verify=ignore",
                                   "-Simap-use-starttls", "-Y", "headers", "-Y", "print $", "-Y", "xit", "-f", url],
                                  capture_output=True, env={**os.environ, "NETRC": self.netrc, "HOME": home},
                                  timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn(b"for-s-nail", done.stdout)
            self.assertIn(b"words for s-nail", done.stdout)

    def test_16_show_users_broadcast_and_drop(self):
        m = self.login()
        try:
            m.select("INBOX")
            rc, out, err = self.server.command("show users")
            self.assertEqual(rc, 0, err)
            self.assertTrue(any(line.split()[:3] == ["Jane", "Admin/Acme", "IMAP"] and "mail/jadmin.nsf" in line
                                for line in out.splitlines()), out)
            # BROADCAST reaches the IMAP user as an [ALERT] (RFC 3501: the client must show it).
            rc, out, err = self.server.command('broadcast "Server restarts at noon"')
            self.assertEqual(rc, 0, err)
            m.response("OK")
            m.noop()
            self.assertEqual(m.response("ALERT")[0], "ALERT")
            self.assertIn(b"[ALERT] Server restarts at noon", m.response("OK")[1])
            m.noop()
            self.assertEqual(m.response("ALERT"), ("ALERT", [None]))  # once only
            self.server.command("broadcast")
            # DROP closes the session: the next command finds the connection gone.
            rc, out, err = self.server.command("drop Jane Admin")
            self.assertEqual(rc, 0, err)
            self.assertRegex(out, r"[1-9]\d* session\(s\) dropped")
            with self.assertRaises((imaplib.IMAP4.abort, OSError)):
                m.noop()
                m.noop()
            self.assertTrue(wait_until(lambda: "IMAP" not in self.server.command("show users")[1], timeout=10),
                            self.server.command("show users")[1])
        finally:
            try:
                m.shutdown()
            except OSError:
                pass

    def test_y_uids_stable_across_restart(self):
        m = self.login()
        try:
            m.select("INBOX", readonly=True)
            before_validity = m.untagged_responses["UIDVALIDITY"][-1]
            typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
            before = sorted(x for x in data if x)
        finally:
            m.logout()
        type(self).server.stop()
        type(self).server = Server(self.data).wait_ready()
        self.assertTrue(self.server.wait_for_output("Listening for IMAP over TLS on 127.0.0.1"), self.server.output())
        m = self.login()
        try:
            m.select("INBOX", readonly=True)
            self.assertEqual(m.untagged_responses["UIDVALIDITY"][-1], before_validity)
            typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
            self.assertEqual(sorted(x for x in data if x), before)
        finally:
            m.logout()

    def test_z_half_command_is_closed_after_the_timeout(self):
        set_ini(self.data, {"IMAPIdleTimeoutSeconds": 2})
        type(self).server.stop()
        type(self).server = Server(self.data).wait_ready()
        self.assertTrue(self.server.wait_for_output("Listening for IMAP over TLS on 127.0.0.1"), self.server.output())
        sock = socket.create_connection(("127.0.0.1", self.imap_port), timeout=20)
        try:
            self.assertTrue(sock.recv(1000).startswith(b"* OK"))
            sock.sendall(b"a1 LOGIN jane")
            start = time.monotonic()
            got = b""
            while True:
                data = sock.recv(1000)
                if not data:
                    break
                got += data
            self.assertLess(time.monotonic() - start, 15)
            self.assertIn(b"* BYE", got)
        finally:
            sock.close()
        rc, out, _ = self.server.command("show stat IMAP.Sessions.TimedOut")
        self.assertIn("IMAP.Sessions.TimedOut = 1", out)
        rc, out, _ = self.server.command("show tasks")
        self.assertIn("IMAP Server", out)
        rc, out, _ = self.server.command("tell imap stat")
        self.assertEqual(rc, 0, out)
        self.assertIn("IMAP.Sessions.Total = ", out)
        self.assertIn("IMAP.Commands = ", out)


if __name__ == "__main__":
    unittest.main()
