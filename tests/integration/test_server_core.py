"""Issue 2: the server core driven as an administrator would — the console on stdin and
`nserver -c` — with the test-only Probe tasks proving the task mechanism."""
import os
import signal
import stat
import time
import unittest

from notesd_harness import Server, TempDir, binary, run_nserver_command, write_ini

INI = (
    "[Notes]\r\n"
    "ServerName=CN=Acme01/O=Acme\r\n"
    "  Domain = Acme  \r\n"
    "$MyVariable=Keep Me\r\n"
    "; a comment the server must keep\r\n"
    "ServerTasks=Probe first,NoSuchTask,ProbeB\r\n"
    "this line is malformed\r\n"
    "Probe_Limit=7\r\n"
)


class ServerCoreTest(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.data = self.tmp.path
        write_ini(self.data, INI)
        self.server = Server(self.data, program="nserver_probe").wait_ready()

    def tearDown(self):
        self.server.stop()
        self.tmp.cleanup()

    def cmd(self, line):
        return self.server.command(line)

    def test_show_tasks_lists_loaded_tasks_in_two_columns(self):
        rc, out, _ = self.cmd("show tasks")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"Task\s+Description")
        self.assertRegex(out, r"Probe Task\s+Idle")
        self.assertRegex(out, r"ProbeB Task\s+Idle")
        self.assertIn("Server name:            CN=Acme01/O=Acme", out)

    def test_abbreviations_match_full_commands(self):
        self.assertEqual(self.cmd("sh ta")[1].splitlines()[4:], self.cmd("SHOW TASKS")[1].splitlines()[4:])
        rc, out, _ = self.cmd("sh conf domain")
        self.assertEqual((rc, out.strip()), (0, "Domain=Acme"))
        rc, _, err = self.cmd("s tasks")
        self.assertEqual(rc, 1)
        self.assertIn("Ambiguous word 's'", err)

    def test_show_server(self):
        rc, out, _ = self.cmd("show server")
        self.assertEqual(rc, 0)
        self.assertIn("Domain name:            Acme", out)
        self.assertIn(f"Server directory:       {os.path.realpath(self.data)}", out)
        self.assertIn("Tasks running:          2", out)
        self.assertRegex(out, r"Elapsed time:\s+\d\d:\d\d:\d\d")
        self.assertIn("Mail:                   the Router is not running", out)

    def test_show_directory_lists_the_databases(self):
        rc, out, err = self.cmd("sh dir")
        self.assertEqual(rc, 0, err)
        rows = {line.split()[0]: line.split() for line in out.splitlines()[2:-1]}
        self.assertIn("log.nsf", rows, out)
        self.assertEqual(rows["log.nsf"][-1], "KB", out)
        self.assertTrue(int(rows["log.nsf"][1]) > 0, out)
        self.assertRegex(out.splitlines()[-1], r"^\d+ database\(s\)$")

    def test_unknown_task_in_server_tasks_is_reported_and_server_goes_on(self):
        self.assertIn("Unknown task 'NoSuchTask'", self.server.output())
        with open(os.path.join(self.data, "console.log")) as log:
            self.assertIn("Unknown task 'NoSuchTask'", log.read())
        self.assertEqual(self.cmd("tell probe ping")[0], 0)

    def test_malformed_ini_line_reported_with_its_number(self):
        self.assertIn("notes.ini line 7: missing '=' in 'this line is malformed'", self.server.output())

    def test_load_tell_restart_quit(self):
        rc, out, _ = self.cmd("tell probe ping")
        self.assertEqual((rc, out.strip()), (0, "PONG args: first"))
        self.assertIn("ProbeB.Pings = 0", self.cmd("show stat ProbeB.*")[1])
        self.cmd("tell probeb ping")
        self.assertIn("ProbeB.Pings = 1", self.cmd("show stat ProbeB.*")[1])
        rc, out, _ = self.cmd("restart task probeb")
        self.assertEqual(rc, 0, out)
        self.assertIn("ProbeB Task: Task shut down for restart", out)
        self.assertIn("ProbeB.Pings = 0", self.cmd("show stat ProbeB.*")[1])
        rc, out, _ = self.cmd("tell probeb quit")
        self.assertEqual(rc, 0)
        self.assertIn("ProbeB Task: Task shut down", out)
        self.assertNotIn("ProbeB Task", self.cmd("show tasks")[1])
        rc, _, err = self.cmd("tell probeb ping")
        self.assertEqual(rc, 1)
        self.assertIn("is not running", err)
        rc, out, _ = self.cmd("load probeb second arg")
        self.assertEqual(rc, 0)
        self.assertEqual(self.cmd("tell probeb ping")[1].strip(), "PONG args: second arg")
        rc, _, err = self.cmd("load probeb")
        self.assertEqual(rc, 1)
        self.assertIn("already running", err)

    def test_unknown_task_and_unknown_command(self):
        rc, _, err = self.cmd("load nosuchtask")
        self.assertEqual(rc, 1)
        self.assertIn("Unknown task 'nosuchtask'", err)
        rc, _, err = self.cmd("tell nosuchtask stat")
        self.assertEqual(rc, 1)
        self.assertIn("Unknown task 'nosuchtask'", err)
        rc, _, err = self.cmd("frobnicate now")
        self.assertEqual(rc, 1)
        self.assertIn("Unknown command 'frobnicate'", err)
        rc, _, err = self.cmd("tell probe dance")
        self.assertEqual(rc, 1)
        self.assertIn("Unknown command for Probe", err)

    def test_task_that_fails_to_start_is_reported(self):
        self.cmd("tell probeb quit")
        rc, _, err = self.cmd("load probeb fail-start")
        self.assertEqual(rc, 1)
        self.assertIn("ProbeB Task: task failed to start: probe asked to fail at start", err)
        self.assertNotIn("ProbeB Task", self.cmd("show tasks")[1])

    def test_failing_task_stops_alone(self):
        self.assertEqual(self.cmd("tell probe fail")[0], 0)
        self.assertTrue(self.server.wait_for_output("Probe Task: task stopped: probe failure requested"))
        deadline = time.time() + 5
        while "Probe Task " in self.cmd("show tasks")[1] and time.time() < deadline:
            time.sleep(0.05)
        tasks = self.cmd("show tasks")[1]
        self.assertNotIn("Probe Task ", tasks)
        self.assertIn("ProbeB Task", tasks)
        self.assertEqual(self.cmd("tell probeb ping")[0], 0)

    def test_set_config_writes_file_keeping_other_lines(self):
        rc, out, _ = self.cmd("set config Probe_Limit=9")
        self.assertEqual((rc, out.strip()), (0, "Probe_Limit=9"))
        self.assertEqual(self.cmd("tell probe limit")[1].strip(), "9")
        rc, out, _ = self.cmd("set config NewSetting=Hello World")
        self.assertEqual(rc, 0)
        with open(os.path.join(self.data, "notes.ini"), "rb") as f:
            on_disk = f.read().decode()
        self.assertEqual(on_disk, INI.replace("Probe_Limit=7", "Probe_Limit=9") + "NewSetting=Hello World\r\n")
        rc, out, _ = self.cmd("show config probe*")
        self.assertEqual(out.strip(), "Probe_Limit=9")
        rc, out, _ = self.cmd("show config $myvariable")
        self.assertEqual(out.strip(), "$MyVariable=Keep Me")

    def test_bad_config_value_is_refused_naming_the_key(self):
        rc, _, err = self.cmd("set config probe_limit=abc")
        self.assertEqual(rc, 1)
        self.assertIn("Probe_Limit=abc: not a whole number (allowed 1..10)", err)
        rc, _, err = self.cmd("set config Console_Control_Timeout=0")
        self.assertEqual(rc, 1)
        self.assertIn("out of range", err)
        self.assertIn("Probe_Limit=7", open(os.path.join(self.data, "notes.ini")).read())

    def test_sighup_rereads_notes_ini(self):
        with open(os.path.join(self.data, "notes.ini"), "a") as f:
            f.write("AddedLater=yes\r\n")
        self.server.proc.send_signal(signal.SIGHUP)
        self.assertTrue(self.server.wait_for_output("SIGHUP: notes.ini re-read"))
        self.assertEqual(self.cmd("show config addedlater")[1].strip(), "AddedLater=yes")

    def test_console_on_stdin(self):
        self.server.console("sh ta")
        self.assertTrue(self.server.wait_for_output("ProbeB Task"))
        self.server.console("what now")
        self.assertTrue(self.server.wait_for_output("Unknown command 'what'"))
        self.server.console("tell probe ping")
        self.assertTrue(self.server.wait_for_output("PONG args: first"))

    def test_exit_on_console_stops_tasks_in_reverse_order_and_cleans_up(self):
        self.server.console("exit")
        self.assertEqual(self.server.wait_exit(), 0)
        out = self.server.output()
        self.assertLess(out.index("ProbeB: stopping"), out.index("Probe: stopping"))
        self.assertIn("Server shutdown complete", out)
        self.assertFalse(os.path.exists(os.path.join(self.data, "nserver.sock")))
        self.assertFalse(os.path.exists(os.path.join(self.data, "nserver.lock")))

    def test_sigterm_shuts_down_in_order(self):
        self.server.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.server.wait_exit(), 0)
        self.assertIn("Received SIGTERM", self.server.output())
        self.assertIn("Server shutdown complete", self.server.output())
        self.assertFalse(os.path.exists(os.path.join(self.data, "nserver.sock")))
        self.assertFalse(os.path.exists(os.path.join(self.data, "nserver.lock")))
        rc, _, err = self.cmd("show tasks")
        self.assertEqual(rc, 3)
        self.assertIn("no server is running", err)

    def test_exit_through_nserver_c(self):
        rc, out, _ = self.cmd("quit")
        self.assertEqual(rc, 0)
        self.assertIn("Server shutdown in progress", out)
        self.assertEqual(self.server.wait_exit(), 0)

    def test_second_server_on_same_directory_is_refused(self):
        second = Server(self.data, program="nserver_probe")
        self.assertEqual(second.wait_exit(), 1)
        self.assertIn("already running", second.output())
        self.assertEqual(self.cmd("tell probe ping")[0], 0)

    def test_control_socket_is_owner_only(self):
        mode = os.stat(os.path.join(self.data, "nserver.sock")).st_mode
        self.assertTrue(stat.S_ISSOCK(mode))
        self.assertEqual(stat.S_IMODE(mode), 0o600)

    def test_restart_server(self):
        pid = self.server.proc.pid
        rc, out, _ = self.cmd("restart server")
        self.assertEqual(rc, 0)
        deadline = time.time() + 15
        while time.time() < deadline and self.server.output().count("Server started") < 2:
            time.sleep(0.05)
        self.assertEqual(self.server.output().count("Server started"), 2)
        self.assertEqual(self.server.proc.pid, pid)
        self.assertIn(f"Server.ProcessId = {pid}", self.cmd("show stat server.processid")[1])

    def test_help_lists_commands(self):
        rc, out, _ = self.cmd("help")
        self.assertEqual(rc, 0)
        for words in ("SHOW TASKS", "SET CONFIGURATION", "RESTART TASK", "TELL"):
            self.assertIn(words, out)


class NoServerTest(unittest.TestCase):
    def test_c_without_server_says_so(self):
        tmp = TempDir()
        try:
            rc, _, err = run_nserver_command(binary("nserver"), tmp.path, "show tasks")
            self.assertEqual(rc, 3)
            self.assertIn("no server is running on", err)
        finally:
            tmp.cleanup()

    def test_c_with_an_empty_command_says_so_and_starts_no_server(self):
        with TempDir() as tmp:
            for empty in ("", "   "):
                rc, out, err = run_nserver_command(binary("nserver"), tmp.path, empty)
                self.assertEqual(rc, 2, out + err)
                self.assertIn("the command given with -c is empty", err)
            self.assertFalse(os.path.exists(os.path.join(tmp.path, "console.log")))

    def test_missing_data_directory(self):
        server = Server("/nonexistent/notesd-data")
        self.assertEqual(server.wait_exit(), 1)
        self.assertIn("does not exist", server.output())

    def test_real_nserver_runs_with_the_sample_ini(self):
        with TempDir() as tmp:
            with open(os.path.join(os.path.dirname(__file__), "..", "..", "notes.ini.sample")) as f:
                write_ini(tmp.path, f.read())
            with Server(tmp.path).wait_ready() as server:
                rc, out, _ = server.command("show server")
                self.assertEqual(rc, 0)


if __name__ == "__main__":
    unittest.main()
