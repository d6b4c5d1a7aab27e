"""Issue 2: the console on a terminal — line editing (libedit) and history across runs."""
import os
import pty
import select
import subprocess
import time
import unittest

from notesd_harness import TempDir, binary, write_ini


class TerminalConsoleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        write_ini(self.tmp.path, "ServerName=CN=Acme01/O=Acme\nServerTasks=Probe\n")

    def tearDown(self):
        self.tmp.cleanup()

    def start(self):
        master, slave = pty.openpty()
        proc = subprocess.Popen([binary("nserver_probe"), "--data", self.tmp.path],
                                stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        return proc, master

    def read_until(self, master, text, timeout=15):
        seen = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
                if text.encode() in seen:
                    return seen.decode(errors="replace")
        raise AssertionError(f"did not see {text!r} in:\n{seen.decode(errors='replace')}")

    def test_editing_and_history(self):
        proc, master = self.start()
        try:
            self.read_until(master, "Server started")
            # Type "tell probe pnig", fix it with backspaces, as a person would.
            os.write(master, b"tell probe pnig\x7f\x7f\x7fing\r")
            self.read_until(master, "PONG")
            os.write(master, b"exit\r")
            self.read_until(master, "Server shutdown complete")
            self.assertEqual(proc.wait(timeout=15), 0)
        finally:
            os.close(master)
        with open(os.path.join(self.tmp.path, ".nserver_history"), errors="replace") as f:
            history = f.read().replace("\\040", " ")  # libedit escapes spaces
        self.assertIn("tell probe ping", history)

        # The next run offers the history: arrow-up recalls the last command.
        proc, master = self.start()
        try:
            self.read_until(master, "Server started")
            os.write(master, b"\x1b[A\x1b[A\r")  # up twice: "tell probe ping" (before "exit")
            self.read_until(master, "PONG")
            os.write(master, b"quit\r")
            self.read_until(master, "Server shutdown complete")
            self.assertEqual(proc.wait(timeout=15), 0)
        finally:
            os.close(master)


if __name__ == "__main__":
    unittest.main()
