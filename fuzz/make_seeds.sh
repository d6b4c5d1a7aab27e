#!/usr/bin/env bash
# Regenerates the seed corpora in fuzz/corpus/ from the inputs the tests use: SMTP
# transcripts (tests/unit/smtp_protocol_test.cc), S/MIME messages like those the mail
# tests produce (signed, opaque-signed, encrypted, both, LF endings; made with the
# openssl CLI and the key in fuzz/fuzz_pki.h), certificate files in every import format,
# a cheap ID file (scrypt N=2^10 r=8 p=1, password "fuzz", as KdfParams::ForTests), the
# notes.ini sample, console lines, names, API bodies and IMAP command streams. Run from anywhere; needs openssl
# and python3-cryptography. The corpora are committed; run this only to refresh them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=$root/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$corpus"/{smtp_session,smime_read,cert_import,id_file,notes_ini,console,hier_name,api_body,imap_command,pop3_command,ldap_message}

# The fixed test identity, from fuzz/fuzz_pki.h.
python3 - "$root/fuzz/fuzz_pki.h" "$tmp" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
blocks = re.findall(r'R"\(\n(.*?)\)"', text, re.S)
open(sys.argv[2] + "/key.pem", "w").write(blocks[0])
open(sys.argv[2] + "/cert.pem", "w").write(blocks[1])
PY

# SMTP: byte 0 is the options byte of fuzz_smtp_session (1 = STARTTLS offered, 4 = tight limits).
smtp() { printf "$2" "${@:3}" > "$corpus/smtp_session/$1"; }
smtp good '\x01EHLO client.example\r\nMAIL FROM:<sender@outside.example> SIZE=120 BODY=8BITMIME\r\nRCPT TO:<jane@acme.example>\r\nRCPT TO:<John@acme.example>\r\nDATA\r\nSubject: hi\r\n\r\nline one\r\n..dot line\r\n.\r\nQUIT\r\n'
smtp pipelined '\x00EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\nX: 1\r\n\r\nbody\r\n.\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\nX: 1\r\n\r\nbody\r\n.\r\nQUIT\r\n'
smtp helo '\x00HELO c.example\r\nNOOP\r\nHELP\r\nVRFY jane\r\nEXPN staff\r\nMAIL FROM:<>\r\nRSET\r\nRCPT TO:<jane@acme.example>\r\nQUIT\r\n'
smtp bad '\x05EHLO c\r\nFOO bar\r\n\r\nEHLO\r\nMAIL TO:<a@b.example>\r\nMAIL FROM:<a@@b>\r\nMAIL FROM:<a@b.example> SIZE=x\r\nMAIL FROM:<a@b.example> AUTH=<>\r\nMAIL FROM:<a@b.example> SIZE=5000\r\nDATA now\r\nBDAT 10 LAST\r\nSTARTTLS now\r\nNOOP\r\n'
smtp starttls '\x01EHLO c\r\nSTARTTLS\r\nEHLO c\r\nMAIL FROM:<"J Q"@x.example>\r\nRCPT TO:<postmaster>\r\nRCPT TO:<x@[127.0.0.1]>\r\nRCPT TO:<a@tempfail.acme.example>\r\nRCPT TO:<a@other.example>\r\nDATA\r\n\r\n.\r\n'
# 0xC2 = TLS active, AUTH offered and required (a submission port); 0x43 = offered after STARTTLS.
smtp auth_submission '\xc2EHLO c\r\nMAIL FROM:<jane@acme.example>\r\nAUTH PLAIN AGphbmUAd3Jvbmc=\r\nAUTH LOGIN\r\n*\r\nAUTH LOGIN amFuZQ==\r\nc2VjcmV0\r\nMAIL FROM:<john@acme.example>\r\nMAIL FROM:<jane@acme.example> AUTH=<>\r\nRCPT TO:<bob@outside.example>\r\nDATA\r\nFrom: john@acme.example\r\n\r\nx\r\n.\r\nMAIL FROM:<jane@acme.example>\r\nRCPT TO:<bob@outside.example>\r\nDATA\r\nFrom: Jane <jane@acme.example>\r\n\r\nx\r\n.\r\nQUIT\r\n'
smtp auth_starttls '\x43EHLO c\r\nAUTH PLAIN AGphbmUAc2VjcmV0\r\nSTARTTLS\r\nEHLO c\r\nAUTH PLAIN\r\n%%%%\r\nAUTH PLAIN\r\nAGxvY2tlZABzZWNyZXQ=\r\nAUTH CRAM-MD5\r\nAUTH PLAIN AGphbmUAc2VjcmV0\r\n'
smtp bigdata '\x04EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\n%0300d\r\n.\r\nQUIT\r\n' 0
smtp forged_sender '\x00EHLO c\r\nMAIL FROM:<jane@acme.example>\r\nMAIL FROM:<x@tempfail.acme.example>\r\nMAIL FROM:<out@example.org>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\nFrom: out@example.org\r\nFrom: Jane Admin <jane@acme.example>,\r\n Jane Admin\r\n\r\nbody\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\nFrom: MAILER-DAEMON@example.org\r\n\r\nreport\r\n.\r\nQUIT\r\n'
# Deadlines: byte 0 bit 5 makes the fuzz target advance its clock by the bytes' values;
# a command line and a message trickled in.
smtp drip '\x20EHLO drip\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\nSubject: drip\r\n\r\n%0200d\r\n.\r\nNO' 0
smtp bare_lf '\x08EHLO c\nMAIL FROM:<a@b.example>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\nA\n.\nB\r.\r\n.\r\n'

# MIME / S/MIME messages.
m=$corpus/smime_read
printf 'From: Fuzz Tester <fuzz@acme.example>\r\nTo: jane@acme.example\r\nSubject: plain\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello =C3=A9 soft=\r\nbreak\r\n' > "$m/plain"
printf 'From: fuzz@acme.example\r\nSubject: mixed\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\npreamble\r\n--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\nContent-Type: text/plain\r\n\r\ntext\r\n--b2\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b2--\r\n--b1\r\nContent-Type: application/pdf; name="a.pdf"\r\nContent-Disposition: attachment; filename="../x/a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n' > "$m/multipart"
printf 'Content-Type: text/plain\r\n\r\nsigned body\r\n' > "$tmp/entity"
openssl smime -sign -in "$tmp/entity" -signer "$tmp/cert.pem" -inkey "$tmp/key.pem" -md sha256 \
  -from fuzz@acme.example -to jane@acme.example -subject signed -out "$m/signed" 2>/dev/null
openssl smime -sign -nodetach -in "$tmp/entity" -signer "$tmp/cert.pem" -inkey "$tmp/key.pem" -md sha256 \
  -from fuzz@acme.example -subject opaque -out "$m/opaque_signed" 2>/dev/null
openssl smime -encrypt -aes256 -in "$tmp/entity" -from fuzz@acme.example -subject encrypted \
  -out "$m/encrypted" "$tmp/cert.pem" 2>/dev/null
openssl smime -encrypt -aes256 -in "$m/signed" -out "$m/signed_encrypted" "$tmp/cert.pem" 2>/dev/null
tr -d '\r' < "$m/signed" > "$m/signed_lf"

# Certificate files; byte 0 is fuzz_cert_import's mode (0 certificates, 1 PKCS#12).
c=$corpus/cert_import
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/ec.key" -out "$tmp/ec.pem" \
  -days 365 -subj "/CN=Bob/O=Acme" 2>/dev/null
openssl x509 -in "$tmp/ec.pem" -outform DER -out "$tmp/ec.der"
openssl crl2pkcs7 -nocrl -certfile "$tmp/ec.pem" -certfile "$tmp/cert.pem" -out "$tmp/bundle.p7b" 2>/dev/null
openssl crl2pkcs7 -nocrl -certfile "$tmp/ec.pem" -outform DER -out "$tmp/bundle_der.p7b" 2>/dev/null
openssl pkcs12 -export -inkey "$tmp/ec.key" -in "$tmp/ec.pem" -certfile "$tmp/cert.pem" -passout pass:pw -out "$tmp/bob.p12" 2>/dev/null
with_mode() { { printf "$1"; cat "$2"; } > "$3"; }
with_mode '\x00' "$tmp/ec.der" "$c/der"
with_mode '\x00' "$tmp/ec.pem" "$c/pem"
{ printf '\x00'; cat "$tmp/ec.pem" "$tmp/cert.pem"; } > "$c/pem_two"
with_mode '\x00' "$tmp/bundle.p7b" "$c/p7b_pem"
with_mode '\x00' "$tmp/bundle_der.p7b" "$c/p7b_der"
with_mode '\x00' "$tmp/ec.key" "$c/key_only"
with_mode '\x00' "$tmp/bob.p12" "$c/p12_as_cert"
{ printf '\x00'; head -c 200 "$tmp/ec.der"; } > "$c/der_truncated"
with_mode '\x01' "$tmp/bob.p12" "$c/p12"

# A cheap ID file (image, mode 0) and its payload (mode 1) for fuzz_id_file.
python3 - "$tmp" "$corpus/id_file" <<'PY'
import hashlib, json, os, struct, sys
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
tmp, out = sys.argv[1], sys.argv[2]
key_pem = open(tmp + "/ec.key").read()
cert_pem = open(tmp + "/ec.pem").read()
payload = json.dumps({"payload_version": 1, "name": "CN=Bob/O=Acme", "kind": "person",
    "notes_key": key_pem, "notes_certificate": cert_pem, "trusted_certificates": [cert_pem],
    "cross_certificates": [{"certificate": cert_pem, "note": "x"}],
    "internet_certificates": [{"certificate": cert_pem, "default": True}],
    "properties": {"a": "b"}}).encode()
open(out + "/payload", "wb").write(b"\x01" + payload)
salt, nonce = os.urandom(16), os.urandom(12)
keys = Scrypt(salt=salt, length=64, n=1024, r=8, p=1).derive(b"fuzz")
total = 92 + len(payload) + 16 + 32
header = b"NOTESDID" + struct.pack(">HIBBQII", 1, total, 1, 1, 1024, 8, 1) + salt + keys[32:] + nonce
sealed = AESGCM(keys[:32]).encrypt(nonce, payload, header)
body = header + sealed
open(out + "/image", "wb").write(b"\x00" + body + hashlib.sha256(body).digest())
PY

# notes.ini
cp "$root/notes.ini.sample" "$corpus/notes_ini/sample"
printf '[Notes]\r\nServerTasks=Router,SMTP\r\n; comment\r\n$UserVar = x \r\nServerTasks Router\r\n=novalue\r\nKEY=1\nkey=2' > "$corpus/notes_ini/mixed"

# Console lines (one per line; the target splits them).
printf 'show tasks\nsh ta\nsh conf Server*\nsh stat SMTP.*\nset config LogLevel=2\nload router\nt adminp p all\ntell http quit\nrestart task smtp\nrestart server\nhelp\nexit\nshow\nsh s\n\nfoo\n' > "$corpus/console/lines"

# Names
n=$corpus/hier_name
printf 'CN=Jane Doe/OU=Sales/O=Acme/C=US' > "$n/canonical"
printf 'Jane Doe/Sales/East/Acme/US' > "$n/abbreviated"
printf '/Sales/Acme' > "$n/certifier"
printf 'Jane Doe' > "$n/flat"
printf 'cn=J\xc3\xa9r\xc3\xb4me/ou=a/ou=b/ou=c/ou=d/o=Acme/c=de' > "$n/utf8_four_ous"
printf 'CN=Jane/OU=Acme/O=UK' > "$n/two_letter_o"

# API bodies
a=$corpus/api_body
printf '{"command":"show tasks"}' > "$a/console"
printf '{"name":"Jane Doe/Acme","certificate":"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n","first_name":"Jane","short_name":"jdoe"}' > "$a/people"
printf '{"recipients":["jane@acme.example","John Doe/Acme"],"message_base64":"U3ViamVjdDogaGkNCg0KYm9keQ0K"}' > "$a/mail"
printf '{"people":["Jane Doe/Acme"],"groups":["Staff"],"ou":"Sales/Acme","all":false,"validity_years":2}' > "$a/person_certs"
printf '{"serial":"0A1B","person":"Jane Doe/Acme"}' > "$a/revoke"
printf '{"common_name":"Acme Internet CA","org_units":["IT"],"organization":"Acme","country":"US","email":"ca@acme.example","icl_file":"icl.nsf","protection":"server_id","key":"rsa2048","validity_years":10,"crl_duration_days":7,"crl_interval_hours":24,"caa":["CN=Admin/O=Acme"],"ra":["CN=Admin/O=Acme"],"use_ca_process":true}' > "$a/internet_certifier"

# IMAP command streams (tests/unit/imap_parser_test.cc); byte 0 is fuzz_imap_command's
# options byte (1 = tight limits).
imap() { printf "$2" > "$corpus/imap_command/$1"; }
imap thunderbird '\x001 capability\r\n2 ID ("name" "Thunderbird" "version" "115.0")\r\n3 authenticate PLAIN\r\nAGphbmUAc2VjcmV0\r\n4 LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN SPECIAL-USE)\r\n5 select "INBOX"\r\n6 UID fetch 1:* (FLAGS)\r\n7 UID fetch 1:10 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n8 IDLE\r\nDONE\r\n9 LOGOUT\r\n'
imap literals '\x00a1 LOGIN {4}\r\njane {6}\r\nsecret\r\na2 APPEND INBOX (\\Seen) "02-Dec-2026 18:00:00 +0000" {12+}\r\nSubject: x\r\n\r\na3 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS ({7}\r\nSubject)])\r\na4 AUTHENTICATE PLAIN AGphbmUAc2VjcmV0\r\na5 AUTHENTICATE PLAIN\r\n*\r\n'
imap search '\x00s UID SEARCH CHARSET UTF-8 ALL ANSWERED DELETED FLAGGED SEEN UNSEEN UNDELETED NEW OLD RECENT KEYWORD $Junk FROM jane TO "Joe Q" CC {3+}\r\nabc BCC x SUBJECT hi BODY b TEXT t HEADER X-Priority 1 BEFORE 1-Feb-2026 ON "02-Dec-2026" SINCE 3-Mar-2025 SENTBEFORE 4-Apr-2024 SENTON 5-May-2023 SENTSINCE 6-Jun-2022 LARGER 100 SMALLER 2000 UID 1:5 2,4:* NOT SEEN OR FROM a (TO b SUBJECT c)\r\nt SEARCH $\r\nu SEARCH *:3,7 UNKEYWORD x DRAFT UNDRAFT UNFLAGGED UNANSWERED\r\n'
imap fetch '\x00f FETCH 1 (FLAGS UID INTERNALDATE RFC822.SIZE RFC822 RFC822.HEADER RFC822.TEXT ENVELOPE BODY BODYSTRUCTURE)\r\nf FETCH 1:* ALL\r\nf FETCH 2,4:7,9 FAST\r\nf FETCH * FULL\r\nf UID FETCH 5 (BODY[] body.peek[]<0.1024> BODY[HEADER] BODY.PEEK[TEXT]<100.50> BODY[1.2.3] BODY[1.2.MIME] BODY[2.HEADER] BODY[3.TEXT] BODY[HEADER.FIELDS.NOT (Received)])\r\n'
imap mailboxes '\x00c CREATE "Sent Items"\r\nc RENAME "Sent Items" Sent\r\nc SUBSCRIBE Sent\r\nc UNSUBSCRIBE Sent\r\nc LSUB "" *\r\nc LIST "" %%\r\nc LIST (subscribed recursivematch) "" ("INBOX" "Sent*") RETURN (STATUS (MESSAGES UNSEEN) CHILDREN)\r\nc STATUS inbox (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)\r\nc EXAMINE Sent\r\nc STORE 1:3 +FLAGS.SILENT (\\Deleted)\r\nc UID STORE 4 -FLAGS \\Seen $Junk\r\nc COPY 1 Trash\r\nc UID MOVE 2:* Junk\r\nc UID EXPUNGE 3:5\r\nc EXPUNGE\r\nc CHECK\r\nc CLOSE\r\nc UNSELECT\r\nc NAMESPACE\r\nc ENABLE UTF8=ACCEPT\r\nc ID NIL\r\nc STARTTLS\r\nc NOOP\r\nc DELETE Sent\r\n'
imap bad '\x00a1 FROBNICATE x\r\n+ NOOP\r\na2 LOGIN "ja\\ne" pw\r\na3 SELECT "INBOX\r\na4 SELECT\r\na5 FETCH 1\r\na6 SEARCH ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((SEEN))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))\r\na7 APPEND INBOX {4294967295}\r\na8 UID FROB\r\n\r\na9 APPEND INBOX {4294967295+}\r\n'
imap tight '\x01a1 SEARCH NOT NOT NOT NOT NOT SEEN\r\na2 LOGIN {200}\r\na3 LOGIN x yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n'
imap append_mime '\x00a APPEND Drafts (\\Draft) " 2-Dec-2026 18:00:00 +0100" {443+}\r\nFrom: "Doe, J" <j@acme.example>, team: a@b.example;\r\nTo: <@relay.example:joe@z.example>\r\nSubject: mixed\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\nContent-Type: text/plain\r\n\r\ntext\r\n--b2\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b2--\r\n--b1\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename="m.eml"\r\n\r\nSubject: inner\r\n\r\nhi\r\n--b1--\r\n\r\n'
# LDAP message streams (tests/integration/test_ldap.py); byte 0 is fuzz_ldap_message's
# options byte (the split: 0 = at once; bit 7: a 256-byte cap).
python3 - "$corpus/ldap_message" <<'PY'
import sys
out = sys.argv[1]
def length(n):
    if n < 0x80: return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body
def tlv(tag, body): return bytes([tag]) + length(len(body)) + body
def s(text): return tlv(0x04, text.encode())
def msg(mid, op, controls=b""): return tlv(0x30, tlv(0x02, bytes([mid])) + op + controls)
def search(base, scope, flt, attrs=(), size=0):
    return tlv(0x63, s(base) + tlv(0x0A, bytes([scope])) + tlv(0x0A, b"\0") + tlv(0x02, bytes([size])) +
               tlv(0x02, b"\0") + tlv(0x01, b"\0") + flt + tlv(0x30, b"".join(s(a) for a in attrs)))
def eq(a, v, tag=0xA3): return tlv(tag, s(a) + s(v))
def sub(a, *parts): return tlv(0xA4, s(a) + tlv(0x30, b"".join(tlv(t, v.encode()) for t, v in parts)))
def present(a): return tlv(0x87, a.encode())
paged = tlv(0xA0, tlv(0x30, s("1.2.840.113556.1.4.319") + tlv(0x01, b"\xff") + tlv(0x04, tlv(0x30, tlv(0x02, b"\x64") + s("")))))
bind = msg(1, tlv(0x60, tlv(0x02, b"\3") + s("") + tlv(0x80, b"")))
bind_pw = msg(1, tlv(0x60, tlv(0x02, b"\3") + s("cn=John Roe,o=Acme") + tlv(0x80, b"secret")))
unbind = msg(9, tlv(0x42, b""))
thunderbird = msg(2, search("o=Acme", 2, tlv(0xA1, sub("cn", (0x81, "jane")) + sub("mail", (0x81, "jane")) +
                                           sub("sn", (0x81, "jane")) + sub("givenName", (0x81, "jane"))),
                             ["cn", "mail", "userCertificate;binary"]), paged)
root = msg(3, search("", 0, present("objectClass"), ["*", "+"]))
mixed = msg(4, search("o=Acme", 1, tlv(0xA0, eq("mail", "JANE@acme.example") + tlv(0xA2, eq("sn", "z", 0xA5)) +
                                      eq("sn", "a", 0xA6) + eq("cn", "jan e", 0xA8) +
                                      sub("cn", (0x80, "J"), (0x81, "n"), (0x82, "e"))), ["1.1"], size=2))
starttls = msg(5, tlv(0x77, tlv(0x80, b"1.3.6.1.4.1.1466.20037")))
whoami = msg(6, tlv(0x77, tlv(0x80, b"1.3.6.1.4.1.4203.1.11.3")))
writes = msg(7, tlv(0x4A, b"cn=x,o=Acme")) + msg(8, tlv(0x66, s("cn=x") + tlv(0x30, b""))) + msg(10, tlv(0x50, b"\2"))
deep = present("cn")
for _ in range(100): deep = tlv(0xA2, deep)
seeds = {
    "thunderbird": b"\0" + bind + thunderbird + unbind,
    "root_dse": b"\0" + root + whoami + unbind,
    "filters": b"\x03" + bind_pw + mixed + unbind,
    "starttls_writes": b"\x01" + starttls + writes,
    "deep": b"\0" + msg(11, search("", 2, deep)),
    "two_to_31": b"\0" + b"\x30\x84\x80\x00\x00\x00\x02\x01\x01",
    "unterminated": b"\0" + msg(12, search("o=Acme", 2, bytes([0xA4, 0x0B]) + s("cn") + bytes([0x30, 0x05, 0x80, 0x09]) + b"jan")),
    "tight": b"\x82" + thunderbird + root,
}
for name, data in seeds.items():
    open(f"{out}/{name}", "wb").write(data)
PY
echo "seeds written under $corpus"

# POP3 command streams (tests/unit/pop3_session_test.cc); byte 0 is fuzz_pop3_command's
# session byte (1 = on TLS, 2 = STLS available).
pop3() { printf "$2" > "$corpus/pop3_command/$1"; }
pop3 session '\x01CAPA\r\nUSER jane\r\nPASS pw\r\nSTAT\r\nLIST\r\nLIST 2\r\nUIDL\r\nUIDL 3\r\nRETR 1\r\nTOP 1 0\r\nTOP 3 5\r\nDELE 1\r\nRETR 1\r\nRSET\r\nDELE 2\r\nNOOP\r\nQUIT\r\n'
pop3 stls '\x02CAPA\r\nUSER jane\r\nSTLS\r\nCAPA\r\nUSER jane\r\nPASS pw\r\nSTAT\r\nQUIT\r\n'
pop3 auth '\x01AUTH\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN AGphbmUAd3Jvbmc=\r\nAUTH PLAIN\r\nAGphbmUAcHc=\r\nLIST\r\nQUIT\r\n'
pop3 bad '\x03XYZZY\r\n\r\nLIST 0\r\nRETR x\r\nTOP 1\r\nUSER\r\nPASS\r\nAPOP a b\r\nNO\x00OP\r\nUSER jane\nPASS pw\nLIST 99999999999\nQUIT'
