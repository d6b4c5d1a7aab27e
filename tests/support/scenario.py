"""The article's steps, one function each, for the numbered end-to-end scenarios in
tests/e2e/testNNN_*.py.

Each function performs one step of Chuck Connell's *Secure Email between Lotus Notes and
the Outside World* the way a person would: through `nserver --setup`, `nserver -c`, the
`notes` client and, for the outside person, `openssl`, `curl` and gpgsm. It checks what
the article says the person sees, and returns what a later step needs (a client, a file,
a message number). A failing check raises AssertionError naming the step, with the
command's output, so a scenario needs no checks of its own for the ordinary path.

Hermetic: every site is a temporary directory with its own loopback ports; the outside
person's mail provider is scripts/outside-mailhost.py on another loopback port (the
Router's SMTPRelayHost), which keeps each message byte for byte as DIR/NNNN.eml.
"""
import base64
import json
import os
import re
import signal
import subprocess
import sys

from notesd_harness import (FAST_KDF_ENV, SOURCE_DIR, Client, Server, TempDir, free_port, set_ini, setup_server,
                            wait_until)
from smime_harness import OutsidePki, crlf, status_lines

ORG = "Acme"
DOMAIN = "acme.example"
CERTIFIER = "Acme-Corp-Email"
ICL = f"ICL_{CERTIFIER}.nsf"
ADMIN_PASSWORD = "admin-pw"
CERTIFIER_PASSWORD = "cert-pw"
USER_PASSWORD = "user-pw"
MAILHOST = os.path.join(SOURCE_DIR, "scripts", "outside-mailhost.py")


def run(args, *, input=None, env=None, check=True, what=None, timeout=60):
    """Runs an outside program; returns (rc, stdout, stderr) as text."""
    done = subprocess.run(args, input=input, capture_output=True, env={**os.environ, **(env or {})}, timeout=timeout,
                          text=not isinstance(input, bytes))
    out, err = done.stdout, done.stderr
    if isinstance(out, bytes):
        out, err = out.decode(errors="replace"), err.decode(errors="replace")
    if check and done.returncode != 0:
        raise AssertionError(f"{what or args[0]}: {' '.join(map(str, args))} exited {done.returncode}\n{out}{err}")
    return done.returncode, out, err


def openssl(*args, input=None, check=True):
    return run(["openssl", *args], input=input, check=check, what="openssl")


def read_text(path):
    with open(path) as f:
        return f.read()


# ---- the site: a server, its console and its people ----------------------------------------

class Site:
    """One notesd server in its own temporary data directory, with its own loopback ports."""

    def __init__(self, name="site"):
        self.tmp = TempDir(prefix=f"notesd-e2e-{name}-")
        self.dir = self.tmp.path
        self.data = os.path.join(self.dir, "data")
        self.http_port = self.smtp_port = self.crl_port = self.outside_port = None
        self.server = None
        self.jane = None
        self.people = {}  # short name -> Client
        self.names = {}  # short name -> "Full Name/Acme"
        self.mailhost = None

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def console(self, line, ok=True):
        """`nserver -c line`; returns its output."""
        rc, out, err = self.server.command(line)
        if ok and rc != 0:
            raise AssertionError(f"nserver -c {line!r} exited {rc}: {out}{err}\n--- server ---\n{self.tail()}")
        return out + err

    def tail(self, lines=40):
        return "\n".join(self.server.output().splitlines()[-lines:]) if self.server else ""

    def start(self, env=None):
        self.server = Server(self.data, env={**FAST_KDF_ENV, **(env or {})}).wait_ready(timeout=30)
        return self.server

    def stop(self):
        if self.server:
            self.server.stop()

    def kill9(self):
        """kill -9: no orderly shutdown, nothing flushed but what was committed."""
        self.server.proc.send_signal(signal.SIGKILL)
        self.server.wait_exit()

    def close(self):
        self.stop()
        if self.mailhost and self.mailhost.poll() is None:
            self.mailhost.terminate()
            self.mailhost.wait(timeout=10)
        self.tmp.cleanup()


def notes(client, *args, ok=True, env=None, password=None):
    """Runs `notes` as the client's user (stdin not a terminal); returns stdout + stderr."""
    rc, out, err = client.run(*args, env=env, password=password)
    if ok and rc != 0:
        raise AssertionError(f"notes {' '.join(args)} exited {rc}:\n{out}{err}")
    return out + err


def set_up_server(name, tasks="HTTP,AdminP,Router,SMTP", ini=None):
    """Before the article: `nserver --setup`, loopback ports in notes.ini (SMTP listener, CRL
    port, the outside mail provider as relay host; `ini`: more settings), the server
    started, and the administrator Jane's `notes setup`. Returns the Site."""
    site = Site(name)
    try:
        site.http_port = setup_server(site.data, org=ORG, email=f"jane@{DOMAIN}", admin_password=ADMIN_PASSWORD,
                                      certifier_password=CERTIFIER_PASSWORD, tasks=tasks)
        site.smtp_port, site.crl_port, site.outside_port = free_port(), free_port(), free_port()
        set_ini(site.data, SMTPListenerPort=site.smtp_port, SMTPListenerAddress="127.0.0.1", SMTPDomains=DOMAIN,
                SMTPHostName=f"mx.{DOMAIN}", SMTPRelayHost="127.0.0.1", SMTPRelayPort=site.outside_port,
                RouterRetryIntervalSeconds=1, RouterRetryMaxSeconds=2, RouterTimeoutSeconds=10,
                HTTP_CRLPort=site.crl_port)
        if ini:
            set_ini(site.data, **ini)
        site.start()
        site.jane = Client(site.path("jane"), password=ADMIN_PASSWORD)
        out = notes(site.jane, "setup", "--id", os.path.join(site.data, "ids", "jadmin.id"),
                    "--server-address", f"127.0.0.1:{site.http_port}")
        if f"as Jane Admin/{ORG}" not in out:
            raise AssertionError("notes setup: " + out)
        site.people["jane"] = site.jane
        site.names["jane"] = f"Jane Admin/{ORG}"
    except BaseException:
        site.close()
        raise
    return site


def register(site, name, short):
    """Jane registers a Notes user (ID file with a password) and the user runs `notes setup`."""
    id_path = site.path(f"{short}.id")
    notes(site.jane, "admin", "register", "--certifier-id", os.path.join(site.data, "cert.id"),
          "--certifier-password", CERTIFIER_PASSWORD, "--name", name, "--short-name", short,
          "--email", f"{short}@{DOMAIN}", "--id-out", id_path, "--id-password", USER_PASSWORD)
    client = Client(site.path(short), password=USER_PASSWORD)
    notes(client, "setup", "--id", id_path, "--server-address", f"127.0.0.1:{site.http_port}")
    site.people[short] = client
    site.names[short] = f"{name}/{ORG}"
    return client


# ---- "Add the Certificate Authority task to the Domino server" ------------------------------

def add_ca_task(site):
    """Adds CA to ServerTasks (SET CONFIG writes notes.ini), restarts the server, and
    returns SHOW TASKS, which must list the CA Process."""
    tasks = site.console("show config ServerTasks")
    current = re.search(r"ServerTasks=(\S*)", tasks).group(1)
    if "CA" not in current.split(","):
        site.console(f"set config ServerTasks={current},CA")
    started = site.server.output().count("Server started")
    site.console("restart server")
    if not wait_until(lambda: site.server.output().count("Server started") > started, timeout=30):
        raise AssertionError("restart server: the server did not come back\n" + site.tail())
    shown = site.console("show tasks")
    if "CA Process" not in shown:
        raise AssertionError("show tasks after adding CA:\n" + shown)
    return shown


# ---- "Create an Internet root certifier" ---------------------------------------------------

def create_internet_certifier(site, by=None, local_copy="Acme-Corp-Email.id", local_copy_password="copy-pw"):
    """Posts the article's certifier request (CA process, ICL name, encrypted with the server
    ID, no activation password, a second CAA and RA, a local copy of the certifier ID with its
    own password). Returns the request's UNID."""
    by = by or site.jane
    others = [n for n in site.people if n != "jane"]
    extra = []
    if others:
        person = person_name(site, others[0])
        extra = ["--caa", person, "--ra", person]
    out = notes(by, "admin", "internet-certifier", "create", "--cn", CERTIFIER, "--o", ORG, "--icl", ICL,
                "--encrypt-with", "server-id", "--require-activation-password", "no", *extra,
                "--local-copy", site.path(local_copy), "--local-copy-password", local_copy_password)
    match = re.search(r"UNID:\s+([0-9A-F]{32})", out)
    if not match or "Status:    New" not in out:
        raise AssertionError("internet-certifier create: " + out)
    return match.group(1)


def person_name(site, short):
    """The abbreviated Notes name ("John Roe/Acme") of a registered person."""
    return site.names[short]


def hurry_adminp_and_ca(site, what="all"):
    """The article's shortcut for "wait 30 minutes": TELL ADMINP PROCESS <what>, TELL CA
    REFRESH, TELL CA STAT. Returns (process output, stat output)."""
    processed = site.console(f"tell adminp process {what}")
    site.console("tell ca refresh")
    return processed, site.console("tell ca stat")


def certifier_active(stat_text):
    return re.search(rf"^\s*\d+\. CN={CERTIFIER}/O={ORG}\s+Type=Internet\s+Active=Yes\s+ICL={ICL}", stat_text, re.M)


def save_local_copy(site, unid, local_copy="Acme-Corp-Email.id", password="copy-pw"):
    """Saves the local copy of the certifier ID and opens it with its own password."""
    notes(site.jane, "admin", "requests", "show", unid, "--save-local-copy", site.path(local_copy))
    shown = notes(site.jane, "id", "show", "--id", site.path(local_copy), password=password)
    if f"CN={CERTIFIER}/O={ORG}" not in shown:
        raise AssertionError("id show on the local copy: " + shown)
    return site.path(local_copy)


def export_root(site):
    """The Internet certifier's root certificate as PEM (what outside people will trust)."""
    root = site.path("acme-root.pem")
    if not os.path.exists(root):
        notes(site.jane, "admin", "internet-certifier", "show", CERTIFIER, "--cert-out", root)
    return root


def make_certifier(site):
    """The whole "Create an Internet root certifier" section; returns the root PEM."""
    unid = create_internet_certifier(site)
    _, stat_text = hurry_adminp_and_ca(site)
    if not certifier_active(stat_text):
        raise AssertionError("tell ca stat after AdminP:\n" + stat_text + "\n" + site.tail())
    save_local_copy(site, unid)
    return export_root(site)


# ---- "Create and install the Notes email certificates" --------------------------------------

def add_internet_certs(site, *people, by=None, wait=True):
    """People & Groups / Add Internet Cert To Selected People: posts one batch. With wait,
    hurries AdminP (TELL ADMINP PROCESS PEOPLE) and returns once every request is done."""
    by = by or site.jane
    out = notes(by, "admin", "people", "add-internet-cert", *people, "--ca", CERTIFIER, "--no-wait")
    if not re.search(rf"Posted {len(people)} 'Add Internet Certificate to Person Record' request", out):
        raise AssertionError("add-internet-cert: " + out)
    if wait:
        site.console("tell adminp process people")
    return out


def person_certificates(site, name):
    """Person record / Certificates / Internet Certificates (Domino Administrator's view)."""
    return notes(site.jane, "admin", "person", "show", name, "--certificates")


def has_acme_certificate(person_text):
    return "Internet Certificate: present" in person_text and re.search(rf"Issued By:\s+{CERTIFIER}", person_text)


def sync_id(client):
    """The user's ID picks up the new certificate (`notes id sync`); returns `notes id
    certificates`, which must show one issued by the certifier."""
    synced = notes(client, "id", "sync")
    listing = notes(client, "id", "certificates")
    if not re.search(rf"Issued By:\s+{CERTIFIER}", listing):
        raise AssertionError(f"id sync / id certificates:\n{synced}\n{listing}")
    return listing


def export_cert(client, path, fmt="--pem"):
    notes(client, "--no-sync", "id", "export-cert", fmt, path)
    return path


# ---- mail -----------------------------------------------------------------------------------

def mail_list(client):
    return json.loads(notes(client, "mail", "list", "--json"))


def wait_for_mail(client, subject, timeout=30):
    """Waits until a message with this subject is in the client's mail file; returns its
    1-based number in `notes mail list` and its entry."""
    def find():
        for number, entry in enumerate(mail_list(client), 1):
            if entry["subject"] == subject:
                return number, entry
        return None
    found = wait_until(find, timeout=timeout, interval=0.3)
    if not found:
        raise AssertionError(f"no message {subject!r} arrived")
    return found


def send_mail(client, to, subject, body, *flags):
    return notes(client, "mail", "send", "--to", to, "--subject", subject, "--body", body, *flags)


# ---- the outside person ---------------------------------------------------------------------

class OutsidePerson:
    """Someone outside with a certificate from an independent root ("VerisignClass1",
    made with `openssl req -x509` by smime_harness.OutsidePki), a mail provider (scripts/outside-mailhost.py on
    the site's relay port) and openssl (and gpgsm) for S/MIME, as the article's Outlook user."""

    def __init__(self, site, name="Olivia Outside", email="olivia@example.org", root_cn="VerisignClass1"):
        self.site, self.name, self.email = site, name, email
        self.dir = site.path("outside")
        self.inbox = os.path.join(self.dir, "inbox")
        os.makedirs(self.inbox, exist_ok=True)
        self.pki = OutsidePki(self.dir, root_cn)
        self.root = self.pki.root
        self.cert, self.key = self.pki.person("olivia", name, email)
        self.trusted = self.path("trusted.pem")  # the roots Olivia said YES to
        open(self.trusted, "w").close()
        self.contacts = {}  # address -> certificate PEM ("Add to Contacts")

    def path(self, name):
        return os.path.join(self.dir, name)

    def start_mailhost(self):
        """Starts the outside mail provider on the site's relay port."""
        log = open(self.path("mailhost.log"), "w")
        self.site.mailhost = subprocess.Popen(
            [sys.executable, MAILHOST, "--listen", f"127.0.0.1:{self.site.outside_port}", "--maildir", self.inbox],
            stdout=log, stderr=subprocess.STDOUT)
        def listening():
            with open(self.path("mailhost.log")) as f:
                return "listening" in f.read()
        log.close()
        if not wait_until(listening, timeout=10):
            raise AssertionError("outside-mailhost did not start")
        return self.site.mailhost

    def received(self):
        return sorted(n for n in os.listdir(self.inbox) if n.endswith(".eml"))

    def wait_for_mail(self, subject, timeout=30):
        """Returns the path of the first message in the inbox with this subject."""
        def find():
            for name in self.received():
                path = os.path.join(self.inbox, name)
                with open(path, "rb") as f:
                    if re.search(rb"(?m)^Subject: " + re.escape(subject.encode()) + rb"\r?$", f.read()):
                        return path
            return None
        found = wait_until(find, timeout=timeout, interval=0.2)
        if not found:
            raise AssertionError(f"the outside person got no {subject!r}\n{self.site.tail()}")
        return found

    def copies_of(self, subject):
        count = 0
        for name in self.received():
            with open(os.path.join(self.inbox, name), "rb") as f:
                count += bool(re.search(rb"(?m)^Subject: " + re.escape(subject.encode()) + rb"\r?$", f.read()))
        return count

    # "Outside person receives the signed email ... trust the signer ... Add to Contacts"
    def accept_signed_key(self, message_path, stem):
        """Reads a signed message: checks the signature (not yet the chain), saves the signer's
        certificate and the certificates sent with it, says YES to trusting the signer's root,
        adds the signer to the contacts, and verifies again, now against the trusted root.
        Returns (signer certificate path, issuer line, verified content)."""
        signer, chain = self.path(f"{stem}.pem"), self.path(f"{stem}-chain.pem")
        _, _, err = openssl("cms", "-verify", "-in", message_path, "-noverify", "-signer", signer,
                            "-certsout", chain, "-out", self.path(f"{stem}.txt"))
        if "Verification successful" not in err:
            raise AssertionError("openssl cms -verify -noverify: " + err)
        _, issuer, _ = openssl("x509", "-in", signer, "-noout", "-issuer")
        roots = self.self_signed_in(chain)
        if not roots:
            raise AssertionError("the signed mail carries no root to trust")
        with open(self.trusted, "a") as f:
            f.write(roots)
        _, email, _ = openssl("x509", "-in", signer, "-noout", "-email")
        self.contacts[email.strip().lower()] = signer
        content = self.verify(message_path)
        return signer, issuer.strip(), content

    def self_signed_in(self, pem_file):
        with open(pem_file) as f:
            text = f.read()
        roots = ""
        for block in re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", text, re.S):
            _, names, _ = openssl("x509", "-noout", "-subject", "-issuer", input=block)
            subject, issuer = (line.split("=", 1)[1] for line in names.splitlines()[:2])
            if subject == issuer:
                roots += block if block.endswith("\n") else block + "\n"
        return roots

    def verify(self, message_path):
        """openssl cms -verify against the roots Olivia trusts; returns the content."""
        _, out, err = openssl("cms", "-verify", "-in", message_path, "-CAfile", self.trusted, "-purpose", "smimesign")
        if "Verification successful" not in err:
            raise AssertionError("openssl cms -verify: " + err)
        return out

    def decrypt(self, message_path):
        """openssl cms -decrypt with Olivia's key; returns the decrypted MIME entity (bytes)."""
        done = subprocess.run(["openssl", "cms", "-decrypt", "-recip", self.cert, "-inkey", self.key, "-in",
                               message_path], capture_output=True)
        if done.returncode != 0:
            raise AssertionError("openssl cms -decrypt: " + done.stderr.decode(errors="replace"))
        return done.stdout

    def export_der(self):
        """"Export / no private key / DER encoded CER"."""
        cer = self.path("olivia.cer")
        openssl("x509", "-in", self.cert, "-outform", "DER", "-out", cer)
        return cer

    def signed_message(self, to, subject, text, attach=None):
        """A signed message (openssl cms -sign, detached, the root included), CRLF. With
        attach, the signed entity is multipart/mixed with the file as an attachment."""
        entity = self.path(f"{re.sub(r'[^A-Za-z0-9]+', '-', subject)}.entity")
        if attach:
            with open(attach, "rb") as f:
                b64 = base64.encodebytes(f.read()).decode()
            name = os.path.basename(attach)
            body = (f'Content-Type: multipart/mixed; boundary="outside-boundary"\n\n--outside-boundary\n'
                    f'Content-Type: text/plain; charset=utf-8\n\n{text}\n--outside-boundary\n'
                    f'Content-Type: application/pkix-cert; name="{name}"\n'
                    f'Content-Disposition: attachment; filename="{name}"\nContent-Transfer-Encoding: base64\n\n'
                    f'{b64}--outside-boundary--\n')
        else:
            body = f"Content-Type: text/plain; charset=utf-8\n\n{text}\n"
        with open(entity, "w") as f:
            f.write(body)
        done = subprocess.run(["openssl", "cms", "-sign", "-in", entity, "-signer", self.cert, "-inkey", self.key,
                               "-certfile", self.root, "-from", f"{self.name} <{self.email}>", "-to", to,
                               "-subject", subject, "-crlfeol"], capture_output=True)
        if done.returncode != 0:
            raise AssertionError("openssl cms -sign: " + done.stderr.decode(errors="replace"))
        return crlf(done.stdout)

    def signed_and_encrypted_message(self, to, recipient_cert, subject, text):
        """Sign (the inner multipart/signed entity, no outer headers), then encrypt for the
        recipient and for herself (openssl cms -encrypt, AES-256)."""
        entity = self.path("sealed.entity")
        with open(entity, "w") as f:
            f.write(f"Content-Type: text/plain; charset=utf-8\n\n{text}\n")
        done = subprocess.run(["openssl", "cms", "-sign", "-in", entity, "-signer", self.cert, "-inkey", self.key,
                               "-certfile", self.root], capture_output=True)
        if done.returncode != 0:
            raise AssertionError("openssl cms -sign: " + done.stderr.decode(errors="replace"))
        inner = self.path("sealed.signed")
        with open(inner, "wb") as f:
            f.write(crlf(done.stdout))
        done = subprocess.run(["openssl", "cms", "-encrypt", "-binary", "-aes256", "-in", inner,
                               "-from", f"{self.name} <{self.email}>", "-to", to, "-subject", subject,
                               recipient_cert, self.cert], capture_output=True)
        if done.returncode != 0:
            raise AssertionError("openssl cms -encrypt: " + done.stderr.decode(errors="replace"))
        return crlf(done.stdout)

    def send(self, to, message):
        """Sends a message to our SMTP listener with curl, byte for byte."""
        path = self.path("outgoing.eml")
        with open(path, "wb") as f:
            f.write(message)
        run(["curl", "-sS", f"smtp://127.0.0.1:{self.site.smtp_port}", "--mail-from", self.email, "--mail-rcpt", to,
             "-T", path], what="curl smtp")


# ---- steps several scenarios share ----------------------------------------------------------

def certify_people(site, *shorts):
    """"Create and install the Notes email certificates" for these users: one batch, AdminP
    hurried, every Person record checked, every ID synced."""
    names = [person_name(site, s) for s in shorts]
    add_internet_certs(site, *names)
    for name, short in zip(names, shorts):
        shown = person_certificates(site, name)
        if not has_acme_certificate(shown):
            raise AssertionError(f"Person record of {name}:\n{shown}\n{site.tail()}")
        sync_id(site.people[short])


def notes_user_sends_key(site, client, outside, subject="My email key"):
    """"Notes user sends public key to outside person": signed mail out through the Router;
    the outside person trusts the signer and adds them to the contacts. Returns the issuer
    line of the certificate the outside person kept."""
    out = send_mail(client, outside.email, subject, "I am about to send you my email key.", "--sign")
    if "Signed message" not in out and "signed" not in out.lower():
        raise AssertionError("mail send --sign: " + out)
    message = outside.wait_for_mail(subject)
    _, issuer, content = outside.accept_signed_key(message, "john")
    if "I am about to send you my email key." not in content:
        raise AssertionError("signed content: " + content)
    return issuer


def outside_sends_key(site, client, outside, to, subject="My email key, from outside"):
    """"Outside person sends public key to Notes user": a signed mail with the DER .cer
    attached; the Notes user reads it, says YES to the cross-certificate (--trust ca), and
    adds the sender to the contacts with the X.509 certificate. Returns the message number."""
    cer = outside.export_der()
    outside.send(to, outside.signed_message(to, subject, "Here is my certificate.", attach=cer))
    number, entry = wait_for_mail(client, subject)
    if not entry.get("signed"):
        raise AssertionError(f"not listed as signed: {entry}")
    read = notes(client, "mail", "read", str(number), "--trust", "ca")
    if not re.search(r"Signature:\s+valid", read) or "Created a cross-certificate for the CA" not in read:
        raise AssertionError("mail read --trust ca: " + read)
    added = notes(client, "contacts", "add-sender", str(number), "--include-x509")
    if "X.509 certificate" not in added:
        raise AssertionError("contacts add-sender: " + added)
    shown = notes(client, "contacts", "show", outside.email)
    if not re.search(r"Certificate:\s+Present", shown) or not re.search(r"Issuer:\s+VerisignClass1", shown):
        raise AssertionError("contacts show: " + shown)
    return number


# ---- reading S/MIME with gpgsm (smime_harness.Gpgsm) ----------------------------------------

def gpgsm_decrypt(gpg, cms_der):
    """Decrypts raw CMS with gpgsm; returns (plaintext, status). DECRYPTION_OKAY is what
    counts: gpgsm exits 2 when another RecipientInfo names a key it lacks."""
    _, plain, status = gpg.run("--decrypt", gpg.write("message.p7m", cms_der))
    if not status_lines(status, "DECRYPTION_OKAY"):
        raise AssertionError("gpgsm --decrypt: " + status)
    return plain, status


def gpgsm_verify_detached(gpg, signature_der, content):
    """A good signature from a trusted signer: GOODSIG + VALIDSIG + TRUST_FULLY/ULTIMATE."""
    _, _, status = gpg.run("--verify", gpg.write("message.p7s", signature_der), gpg.write("message.txt", content))
    if not (status_lines(status, "GOODSIG") and status_lines(status, "VALIDSIG")
            and (status_lines(status, "TRUST_FULLY") or status_lines(status, "TRUST_ULTIMATE"))):
        raise AssertionError("gpgsm --verify: " + status)
    return status


def mime_body_bytes(raw):
    """The body of a single-part MIME message (after the blank line), base64-decoded."""
    _, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    return base64.b64decode(body)


def split_signed(entity):
    """Splits a multipart/signed entity's raw bytes into (signed part bytes as signed, with
    CRLF, and the DER signature). Never re-serialises the signed part."""
    text = crlf(entity)
    boundary = re.search(rb'boundary="?([^";\r\n]+)"?', text).group(1)
    parts = text.split(b"--" + boundary)
    signed = parts[1][2:-2]  # between the CRLF after the delimiter and the CRLF before the next
    sig_part = parts[2]
    sig_body = sig_part.partition(b"\r\n\r\n")[2]
    return signed, base64.b64decode(sig_body)
