#!/usr/bin/env python3
"""A stand-in for the outside person's mail provider in the README tutorial and the
end-to-end scenarios: a small SMTP server that keeps each message it accepts byte for
byte as one file, DIR/0001.eml, DIR/0002.eml, ... (written to a temporary name, then
renamed, so a reader never sees half a message).

    scripts/outside-mailhost.py --listen 127.0.0.1:2526 --maildir outside/inbox

notesd's Router sends Internet mail to it when notes.ini says SMTPRelayHost=127.0.0.1 and
SMTPRelayPort=2526. It accepts any sender and recipient, offers no STARTTLS and no AUTH,
and is meant for loopback only: it is no mail server for real use.
"""
import argparse
import os
import socketserver
import sys
import threading

_lock = threading.Lock()


def _next_path(maildir):
    with _lock:
        numbers = [int(n[:4]) for n in os.listdir(maildir) if n.endswith(".eml") and n[:4].isdigit()]
        path = os.path.join(maildir, "%04d.eml" % (max(numbers, default=0) + 1))
        open(path + ".tmp", "wb").close()  # reserve the number before the lock is released
        return path


class _Session(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        maildir = self.server.maildir
        sender, recipients = None, []
        self.reply("220 outside.example ESMTP outside-mailhost")
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"EHLO":
                self.reply("250-outside.example\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SIZE 52428800")
            elif verb == b"HELO":
                self.reply("250 outside.example")
            elif verb == b"MAIL":
                sender, recipients = line[10:].strip().split(b" ")[0].strip(b"<>").decode(), []
                self.reply("250 2.1.0 Ok")
            elif verb == b"RCPT":
                recipients.append(line[8:].strip().split(b" ")[0].strip(b"<>").decode())
                self.reply("250 2.1.5 Ok")
            elif verb == b"DATA":
                if not recipients:
                    self.reply("554 5.5.1 no valid recipients")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while True:
                    chunk = self.rfile.readline(1 << 20)
                    if not chunk:
                        return
                    if chunk == b".\r\n":
                        break
                    data += chunk[1:] if chunk.startswith(b".") else chunk
                path = _next_path(maildir)
                with open(path + ".tmp", "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.rename(path + ".tmp", path)
                print(f"outside-mailhost: message from {sender} for {', '.join(recipients)} saved as {path}", flush=True)
                self.reply("250 2.0.0 Ok: saved")
            elif verb in (b"RSET", b"NOOP"):
                self.reply("250 2.0.0 Ok")
            elif verb == b"QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Command not implemented")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:2526", help="address:port to listen on (default 127.0.0.1:2526)")
    parser.add_argument("--maildir", required=True, help="directory for the received messages (created if missing)")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    os.makedirs(args.maildir, exist_ok=True)
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    with socketserver.ThreadingTCPServer((host or "127.0.0.1", int(port)), _Session) as server:
        server.maildir = args.maildir
        print(f"outside-mailhost: listening on {host}:{port}, saving mail in {args.maildir}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
