"""Logs an operator can keep (issue 19, part 5): console.log capped by
Console_Log_Max_Kbytes (renamed console.log.1, one old file kept), reopened on SIGHUP
after logrotate moved it, the journal's level prefixes when stdout is $JOURNAL_STREAM,
and the sd_notify datagrams (READY=1, RELOADING=1, STOPPING=1) to $NOTIFY_SOCKET."""
import os
import signal
import subprocess
import threading
import unittest

from notesd_harness import Server, TempDir, binary, set_ini, setup_server, stop_process, wait_until
from systemd_harness import NotifySocket


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


class ConsoleLogTest(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.data = os.path.join(self.tmp.path, "server")
        setup_server(self.data)
        self.log = os.path.join(self.data, "console.log")

    def tearDown(self):
        self.tmp.cleanup()

    def test_console_log_is_renamed_at_its_cap_and_one_old_file_is_kept(self):
        with Server(self.data).wait_ready() as server:
            # The default cap (10240 KB) is lowered while the server runs: SET CONFIG applies it at once.
            status, _, _ = server.command("set config Console_Log_Max_Kbytes=2")
            self.assertEqual(status, 0)
            for i in range(12):
                status, _, _ = server.command("show server")
                self.assertEqual(status, 0)
            server.command("show tasks")
        self.assertTrue(os.path.exists(self.log + ".1"), "console.log was never rotated")
        self.assertFalse(os.path.exists(self.log + ".2"), "more than one old console.log kept")
        for path in (self.log, self.log + ".1"):
            self.assertLessEqual(os.path.getsize(path), 2048, f"{path} is past Console_Log_Max_Kbytes")
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600, f"{path} is not owner-only")
        # The newest lines are in the new file, whole (a rotation never splits a line).
        self.assertIn("Server shutdown complete", read(self.log))
        for line in (read(self.log) + read(self.log + ".1")).splitlines():
            self.assertRegex(line, r"^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d [AP]M  ")

    def test_sighup_reopens_console_log_after_logrotate_moved_it(self):
        set_ini(self.data, Console_Log_Max_Kbytes=0)
        with Server(self.data).wait_ready() as server:
            moved = self.log + ".rotated"
            os.rename(self.log, moved)
            server.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_until(lambda: os.path.exists(self.log)), "no new console.log after SIGHUP")
            self.assertTrue(wait_until(lambda: "console.log reopened" in read(self.log)))
            status, _, _ = server.command("show tasks")
            self.assertEqual(status, 0)
            self.assertIn("> show tasks", read(self.log))
            self.assertNotIn("> show tasks", read(moved), "the moved file still gets new lines")
            self.assertIn("Server started", read(moved))

    def test_journal_level_prefixes_when_stdout_is_the_journal_stream(self):
        # A bad value is a warning at start-up, a task that does not exist an error.
        set_ini(self.data, Server_IO_Threads="many", ServerTasks="HTTP,NoSuchTask")
        reader, writer = os.pipe()
        info = os.fstat(writer)
        env = {**os.environ, "JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}
        proc = subprocess.Popen([binary("nserver"), "--data", self.data, "--no-console"], stdin=subprocess.DEVNULL,
                                stdout=writer, stderr=subprocess.DEVNULL, env=env)
        os.close(writer)
        lines = []
        reading = threading.Thread(target=lambda: lines.extend(os.fdopen(reader, errors="replace")), daemon=True)
        reading.start()
        try:
            self.assertTrue(wait_until(lambda: any("Server started" in line for line in lines)), "".join(lines))
        finally:
            stop_process(proc)
            reading.join(timeout=10)
        text = "".join(lines)
        self.assertIn("<6>Server: Server started", text)
        self.assertRegex(text, r"<4>Server: notes.ini: .*Server_IO_Threads")
        self.assertRegex(text, r"<3>Server: .*NoSuchTask.*ServerTasks entry skipped")
        for line in lines:
            self.assertRegex(line, r"^<[3-7]>", "a journal line without its level")
        # The journal keeps its own time: no Domino time stamp on these lines; console.log keeps it.
        self.assertNotRegex(text, r"^<\d>\d\d/\d\d/")
        self.assertRegex(read(self.log), r"\d\d/\d\d/\d{4} .*Server started")

    def test_no_prefix_without_journal_stream(self):
        with Server(self.data).wait_ready() as server:
            pass
        self.assertNotRegex(server.output(), r"(?m)^<\d>")


class NotifyTest(unittest.TestCase):
    def test_ready_reloading_restart_stopping(self):
        with TempDir() as tmp:
            data = os.path.join(tmp.path, "server")
            setup_server(data)
            with NotifySocket(tmp.path) as notify, Server(data, env={"NOTIFY_SOCKET": notify.path}) as server:
                self.assertTrue(notify.wait_for("READY=1"), notify.messages)
                self.assertTrue(server.wait_for_output("Server started", 5), "READY=1 but no Server started")
                server.proc.send_signal(signal.SIGHUP)
                self.assertTrue(notify.wait_for("RELOADING=1"), notify.messages)
                self.assertTrue(notify.wait_for("READY=1", count=2), notify.messages)
                # RESTART SERVER re-executes in the same process: a reload to systemd, never STOPPING=1.
                status, _, _ = server.command("restart server")
                self.assertEqual(status, 0)
                self.assertTrue(notify.wait_for("READY=1", count=3), notify.messages)
                self.assertEqual(notify.count("STOPPING=1"), 0, notify.messages)
                self.assertIn("STATUS=Restarting", "\n".join(notify.messages))
                server.proc.send_signal(signal.SIGTERM)
                self.assertTrue(notify.wait_for("STOPPING=1"), notify.messages)
                self.assertEqual(server.wait_exit(), 0)
            self.assertEqual([m.split("\n")[0] for m in notify.messages],
                             ["READY=1", "RELOADING=1", "READY=1", "RELOADING=1", "READY=1", "STOPPING=1"])


if __name__ == "__main__":
    unittest.main()
