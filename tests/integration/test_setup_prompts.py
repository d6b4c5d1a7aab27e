"""Issue 3: `nserver --setup` run by a person asks for what it needs, passwords unechoed."""
import os
import pty
import select
import time
import unittest

from notesd_harness import FAST_KDF_ENV, TempDir, binary


class SetupPromptTest(unittest.TestCase):
    def test_prompts_for_names_and_passwords(self):
        tmp = TempDir()
        try:
            data = os.path.join(tmp.path, "srv")
            pid, fd = pty.fork()
            if pid == 0:
                os.environ.update(FAST_KDF_ENV)
                os.execv(binary("nserver"), ["nserver", "--data", data, "--setup", "--http-port", "1"])
            seen = b""
            answers = [(b"Organisation", b"Acme\r"), (b"Server name", b"Acme01\r"),
                       (b"First administrator", b"Jane Admin\r"), (b"Internet address", b"jane@acme.example\r"),
                       (b"certifier (cert.id)", b"cert-secret\r"), (b"administrator's ID file", b"admin-secret\r")]
            deadline = time.time() + 60
            while time.time() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.2)
                if ready:
                    try:
                        chunk = os.read(fd, 4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    seen += chunk
                if answers and answers[0][0] in seen:
                    os.write(fd, answers.pop(0)[1])
            _, status = os.waitpid(pid, 0)
            text = seen.decode(errors="replace")
            self.assertEqual(os.WEXITSTATUS(status), 0, text)
            self.assertIn("Administrator: CN=Jane Admin/O=Acme", text)
            self.assertNotIn("cert-secret", text)
            self.assertNotIn("admin-secret", text)
            self.assertTrue(os.path.exists(os.path.join(data, "ids", "jadmin.id")))
        finally:
            tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
