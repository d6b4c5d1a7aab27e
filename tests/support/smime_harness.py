"""Test support for S/MIME: the outside world's PKI made with openssl, and gpgsm as an
outside person's mail program (its own GNUPGHOME, keys and trust set without prompts).

See /work/shared/reference/interop-notes.md for the tools' quirks these helpers avoid.
Hermetic: everything lives in the caller's temporary directory; gpgsm never talks to
dirmngr or the network, and its gpg-agent is stopped by Gpgsm.stop().
"""
import os
import subprocess


def openssl(*args, data=None):
    done = subprocess.run(["openssl", *args], input=data, capture_output=True)
    if done.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def sha1_fingerprint(cert_pem):
    """"AA:BB:..." as gpgsm's trustlist.txt wants it."""
    out = openssl("x509", "-in", cert_pem, "-noout", "-fingerprint", "-sha1").decode()
    return out.split("=", 1)[1].strip()


class OutsidePki:
    """A test root ("VerisignClass1") and people certificates under it, made with openssl."""

    def __init__(self, directory, root_cn="VerisignClass1"):
        os.makedirs(directory, exist_ok=True)
        self.dir = directory
        self.serial = 1
        self.root_key, self.root = self.path("root.key"), self.path("root.crt")
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", f"/CN={root_cn}",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", self.root_key, "-out", self.root)

    def path(self, name):
        return os.path.join(self.dir, name)

    def person(self, stem, cn, email):
        key, csr, cert, ext = (self.path(f"{stem}.{k}") for k in ("key", "csr", "crt", "ext"))
        with open(ext, "w") as f:
            f.write(f"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                    f"extendedKeyUsage=emailProtection\nsubjectAltName=email:{email}\n")
        openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout", key, "-out", csr)
        self.serial += 1
        openssl("x509", "-req", "-in", csr, "-CA", self.root, "-CAkey", self.root_key, "-set_serial",
                str(self.serial), "-days", "20", "-extfile", ext, "-out", cert)
        return cert, key

    def legacy_pkcs12(self, stem, cert, key, password):
        """A PKCS#12 gpgsm 2.2 can read: PBE-SHA1-3DES for key and certificates, SHA-1 MAC."""
        out = self.path(f"{stem}.p12")
        openssl("pkcs12", "-export", "-in", cert, "-inkey", key, "-certfile", self.root, "-keypbe", "PBE-SHA1-3DES",
                "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1", "-passout", f"pass:{password}", "-out", out)
        return out


class Gpgsm:
    """gpgsm in its own GNUPGHOME: no dirmngr, no CRL checks, loopback pinentry.

    run() returns (exit status, stdout bytes, the --status-fd lines as text)."""

    def __init__(self, home, passphrase="outside-pw"):
        self.home = home
        self.passphrase = passphrase
        os.makedirs(home, mode=0o700, exist_ok=True)
        with open(os.path.join(home, "gpgsm.conf"), "w") as f:
            f.write("disable-dirmngr\ndisable-crl-checks\n")
        with open(os.path.join(home, "gpg-agent.conf"), "w") as f:
            f.write("allow-loopback-pinentry\n")
        self.env = {**os.environ, "GNUPGHOME": home}

    def run(self, *args):
        """gpgsm --batch ... with the passphrase on fd 0 and `data` on a file (status on fd 2
        is mixed with diagnostics; the caller looks for "[GNUPG:] " lines)."""
        read_fd, write_fd = os.pipe()
        os.write(write_fd, (self.passphrase + "\n").encode())
        os.close(write_fd)
        try:
            done = subprocess.run(["gpgsm", "--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0",
                                   "--status-fd", "2", *args], stdin=read_fd, capture_output=True,
                                  env=self.env, timeout=60)
        finally:
            os.close(read_fd)
        return done.returncode, done.stdout, done.stderr.decode(errors="replace")

    def checked(self, *args):
        rc, out, status = self.run(*args)
        if rc != 0:
            raise AssertionError(f"gpgsm {' '.join(args)} exited {rc}:\n{status}")
        return out, status

    def import_identity(self, make_pkcs12, tries=5):
        """Imports a key and certificate from a PKCS#12 file made by `make_pkcs12()`.
        gpgsm 2.2 cannot decrypt some PKCS#12 files depending on their random salts (about
        one in 50, "possibly bad passphrase"; notesd avoids the zero-byte salt kind when it
        exports), so a refused file is made afresh and tried again."""
        status = ""
        for _ in range(tries):
            rc, _, status = self.run("--import", make_pkcs12())
            if rc == 0:
                return
        raise AssertionError(f"gpgsm refused {tries} PKCS#12 files in a row:\n{status}")

    def trust(self, *root_pems):
        """Imports the roots and trusts them for S/MIME without a prompt (trustlist.txt)."""
        for pem in root_pems:
            self.checked("--import", pem)
        with open(os.path.join(self.home, "trustlist.txt"), "w") as f:
            f.writelines(f"{sha1_fingerprint(pem)} S relax\n" for pem in root_pems)
        subprocess.run(["gpg-connect-agent", "reloadagent", "/bye"], env=self.env, capture_output=True, timeout=30)

    def write(self, name, data):
        path = os.path.join(self.home, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def stop(self):
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "gpg-agent"], capture_output=True, timeout=30)


def assert_outside_signature_untrusted(test, out):
    """Asserts `notes mail read` output: the outside person's valid signature, issued by VerisignClass1, not trusted."""
    test.assertRegex(out, r"Signature:\s+valid")
    test.assertRegex(out, r"Signed by:\s+CN=Outside Person <outside@example.org>")
    test.assertRegex(out, r"Signer issued by:\s+VerisignClass1")
    test.assertRegex(out, r"Signer trusted:\s+no")


def status_lines(status, keyword):
    """The "[GNUPG:] KEYWORD ..." lines of a gpgsm status output."""
    return [line for line in status.splitlines() if line.startswith(f"[GNUPG:] {keyword}")]
