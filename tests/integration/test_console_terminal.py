"""Issue 2: the console on a terminal — line editing (libedit) and history across runs."""
import os
import unittest

from notesd_harness import TempDir, read_terminal_until, start_on_terminal, write_ini


class TerminalConsoleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        write_ini(self.tmp.path, "ServerName=CN=Acme01/O=Acme\nServerTasks=Probe\n")

    def tearDown(self):
        self.tmp.cleanup()

    def start(self):
        return start_on_terminal(self.tmp.path, "nserver_probe")

    def test_editing_and_history(self):
        proc, master = self.start()
        try:
            read_terminal_until(master, "Server started")
            # Type "tell probe pnig", fix it with backspaces, as a person would.
            os.write(master, b"tell probe pnig\x7f\x7f\x7fing\r")
            read_terminal_until(master, "PONG")
            os.write(master, b"exit\r")
            read_terminal_until(master, "Server shutdown complete")
            self.assertEqual(proc.wait(timeout=15), 0)
        finally:
            os.close(master)
        with open(os.path.join(self.tmp.path, ".nserver_history"), errors="replace") as f:
            history = f.read().replace("\\040", " ")  # libedit escapes spaces
        self.assertIn("tell probe ping", history)

        # The next run offers the history: arrow-up recalls the last command.
        proc, master = self.start()
        try:
            read_terminal_until(master, "Server started")
            os.write(master, b"\x1b[A\x1b[A\r")  # up twice: "tell probe ping" (before "exit")
            read_terminal_until(master, "PONG")
            os.write(master, b"quit\r")
            read_terminal_until(master, "Server shutdown complete")
            self.assertEqual(proc.wait(timeout=15), 0)
        finally:
            os.close(master)


if __name__ == "__main__":
    unittest.main()
