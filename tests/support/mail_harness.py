"""Test support for mail: a tiny SMTP sink standing in for the outside mail host (keeps
every byte, optional STARTTLS, per-recipient refusals), notes.ini editing, and a Notes
user talking to the mail API with curl and their ID's certificate.

Hermetic: 127.0.0.1 only, ports chosen at run time.
"""
import base64
import json
import os
import socket
import socketserver
import ssl
import subprocess
import threading

from notesd_harness import (Server, TempDir, binary, free_port, register_person,  # noqa: F401 (re-exported)
                            set_up_client, setup_server, wait_until)


def set_ini(data_dir, settings):
    """Sets notes.ini keys, rewriting an existing line in place or appending."""
    path = os.path.join(data_dir, "notes.ini")
    with open(path) as f:
        lines = f.read().splitlines()
    remaining = dict(settings)
    for i, line in enumerate(lines):
        name = line.split("=", 1)[0].strip()
        for key in list(remaining):
            if "=" in line and not line.lstrip().startswith((";", "#")) and name.lower() == key.lower():
                lines[i] = f"{name}={remaining.pop(key)}"
    lines += [f"{k}={v}" for k, v in remaining.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def set_up_mail_data(data_dir, tasks, settings=None):
    """`nserver --setup` of data_dir with Jane Admin (jane@acme.example) running `tasks`, its SMTP
    listener on a free loopback port for acme.example, plus `settings` in notes.ini; returns
    (HTTPS port, SMTP port)."""
    port = setup_server(data_dir, email="jane@acme.example", tasks=tasks)
    smtp_port = free_port()
    set_ini(data_dir, {"SMTPListenerPort": smtp_port, "SMTPListenerAddress": "127.0.0.1",
                       "SMTPDomains": "acme.example", **(settings or {})})
    return port, smtp_port


def relay_to_sink_settings(sink_port):
    """notes.ini settings (as mx.acme.example) that relay outbound mail to 127.0.0.1:sink_port, retrying quickly."""
    return {"SMTPHostName": "mx.acme.example", "SMTPRelayHost": "127.0.0.1", "SMTPRelayPort": sink_port,
            "RouterRetryIntervalSeconds": 1, "RouterRetryMaxSeconds": 2, "RouterTimeoutSeconds": 10}


def start_smtp_server(data_dir):
    """Starts the server of data_dir and waits for its SMTP listener on 127.0.0.1; returns the Server."""
    server = Server(data_dir).wait_ready()
    if not server.wait_for_output("Listening for SMTP on 127.0.0.1"):
        raise AssertionError("SMTP did not start:\n" + server.output())
    return server


def start_mail_server(cls, settings=None, tasks="HTTP,Router,SMTP"):
    """The mail tests' shared fixture, set as attributes of the test class `cls`: a data
    directory set up in a temporary directory with Jane Admin (jane@acme.example) as
    administrator (tmp, data, port); the SMTP listener on a free loopback port (smtp_port)
    for acme.example as mx.acme.example, plus `settings` in notes.ini; the running server
    (server); Jane on the client API (jane) and her `notes` client, set up (admin)."""
    cls.tmp = TempDir()
    cls.data = os.path.join(cls.tmp.path, "server")
    cls.port, cls.smtp_port = set_up_mail_data(cls.data, tasks, {"SMTPHostName": "mx.acme.example", **(settings or {})})
    cls.server = start_smtp_server(cls.data)
    jane_id = os.path.join(cls.data, "ids", "jadmin.id")
    cls.jane = ApiUser(jane_id, "admin-pw", cls.port, cls.tmp.path, "jane")
    cls.admin = set_up_client(cls, "admin", jane_id, "admin-pw")


def register_api_user(cls, name, short_name, email):
    """register_person, then that person on the client API (an ApiUser)."""
    rc, out, err = register_person(cls, name, short_name, email)
    if rc != 0:
        raise AssertionError(out + err)
    return ApiUser(os.path.join(cls.tmp.path, f"{short_name}.id"), "user-pw", cls.port, cls.tmp.path, short_name)


def make_self_signed(directory, cn="sink.test"):
    cert, key = os.path.join(directory, "sink.crt"), os.path.join(directory, "sink.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={cn}",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def read_data_body(reader, lenient=False):
    """Reads an SMTP DATA body up to its "." line (lenient: also ended by a bare LF or CR), undoing the dot-stuffing."""
    data = b""
    while True:
        line = reader.readline(1 << 20)
        ends = line.rstrip(b"\n").rstrip(b"\r") == b"." if lenient else line == b".\r\n"
        if not line or ends:
            return data
        data += line[1:] if line.startswith(b".") else line


class SmtpSink:
    """A minimal ESMTP server that records (sender, recipients, bytes, tls) per message."""

    def __init__(self, port, cert=None, key=None, refuse=()):
        self.port = port
        self.messages = []
        self.refuse = set(refuse)
        self.lock = threading.Lock()
        self.tls = None
        if cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(cert, key)
        self.server = None

    def start(self):
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                sink._session(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def received(self):
        with self.lock:
            return list(self.messages)

    def _session(self, sock):
        reader = sock.makefile("rb")
        send = sock.sendall
        tls_on = False
        sender, rcpts = None, []
        send(b"220 sink.test ESMTP\r\n")
        while True:
            line = reader.readline(4096)
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"EHLO":
                ext = b"250-sink.test\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250-PIPELINING\r\n"
                if self.tls and not tls_on:
                    ext += b"250-STARTTLS\r\n"
                send(ext + b"250 HELP\r\n")
            elif verb == b"HELO":
                send(b"250 sink.test\r\n")
            elif line.upper().startswith(b"STARTTLS"):
                send(b"220 2.0.0 go ahead\r\n")
                sock = self.tls.wrap_socket(sock, server_side=True)
                reader, send, tls_on = sock.makefile("rb"), sock.sendall, True
            elif verb == b"MAIL":
                sender = line[10:].strip().split(b" ")[0].strip(b"<>").decode()
                rcpts = []
                send(b"250 2.1.0 Ok\r\n")
            elif verb == b"RCPT":
                rcpt = line[8:].strip().strip(b"<>").decode()
                if rcpt in self.refuse:
                    send(b"550 5.1.1 <" + rcpt.encode() + b">: no such user here\r\n")
                else:
                    rcpts.append(rcpt)
                    send(b"250 2.1.5 Ok\r\n")
            elif verb == b"DATA":
                if not rcpts:
                    send(b"554 5.5.1 no valid recipients\r\n")
                    continue
                send(b"354 go\r\n")
                data = read_data_body(reader)
                with self.lock:
                    self.messages.append((sender, rcpts, data, tls_on))
                send(b"250 2.0.0 Ok: queued\r\n")
            elif verb == b"RSET" or verb == b"NOOP":
                send(b"250 2.0.0 Ok\r\n")
            elif verb == b"QUIT":
                send(b"221 2.0.0 Bye\r\n")
                return
            else:
                send(b"500 5.5.2 what?\r\n")


class ApiUser:
    """A Notes user calling the mail API with curl and their ID's certificate and key."""

    def __init__(self, id_path, password, port, out_dir, stem):
        self.port = port
        self.cert, self.key, self.roots = (os.path.join(out_dir, f"{stem}.{k}.pem") for k in ("cert", "key", "roots"))
        subprocess.run([binary("id_pem_tool"), id_path, password, self.cert, self.key, self.roots], check=True)

    def call(self, method, path, body=None):
        cmd = ["curl", "-sS", "-k", "--max-time", "30", "-X", method, "--cert", self.cert, "--key", self.key,
               "-w", "\n%{http_code}", f"https://127.0.0.1:{self.port}{path}"]
        if body is not None:
            cmd += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
        done = subprocess.run(cmd, input=json.dumps(body) if body is not None else None,
                              capture_output=True, text=True)
        text, _, code = done.stdout.rpartition("\n")
        return int(code or 0), (json.loads(text) if text.strip() else {})

    def deposit(self, recipients, message_bytes):
        return self.call("POST", "/api/v1/mail/deposit",
                         {"recipients": recipients, "message_base64": base64.b64encode(message_bytes).decode()})

    def messages(self):
        code, body = self.call("GET", "/api/v1/mail/messages")
        return body.get("messages", []) if code == 200 else []

    def raw(self, unid):
        code, body = self.call("GET", f"/api/v1/mail/messages/{unid}")
        return base64.b64decode(body["message_base64"]) if code == 200 else None

    def raw_messages(self):
        return [self.raw(m["unid"]) for m in self.messages()]


def free_port_pair():
    with socket.socket() as a:
        a.bind(("127.0.0.1", 0))
        return a.getsockname()[1]
