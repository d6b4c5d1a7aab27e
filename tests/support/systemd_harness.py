"""Stand-ins for what systemd gives a service, for tests that need no running systemd:
NotifySocket is the datagram socket of $NOTIFY_SOCKET (sd_notify(3)) and collects what
the server sends (READY=1, RELOADING=1, STOPPING=1)."""
import os
import socket
import threading

from notesd_harness import wait_until


class NotifySocket:
    """An AF_UNIX datagram socket at DIRECTORY/notify.sock; `messages` holds each datagram."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []
        self._stop = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        while not self._stop:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except socket.timeout:
                continue
            except OSError:
                return

    def count(self, field):
        """How many datagrams carried the assignment `field` ("READY=1")."""
        return sum(field in message.split("\n") for message in list(self.messages))

    def wait_for(self, field, count=1, timeout=20):
        return wait_until(lambda: self.count(field) >= count, timeout=timeout)

    def close(self):
        self._stop = True
        self._thread.join(timeout=5)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
