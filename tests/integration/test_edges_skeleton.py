"""Issue 13 ("Safe at the edges"), the server skeleton: signals, task workers that fail
alone, notes.ini key hygiene, start-up order and damaged system databases, and the
Router's log prefix — each replayed against a running nserver on loopback."""
import os
import random
import shutil
import signal
import smtplib
import socket
import subprocess
import time
import unittest

from notesd_harness import (Client, Server, TempDir, binary, free_port, run_nserver_command,
                            set_ini, setup_server, write_ini)

PROBE_INI = (
    "[Notes]\n"
    "ServerName=CN=Acme01/O=Acme\n"
    "Domain=Acme\n"
    "ServerTasks=Probe,ProbeB\n"
)


def wait_until(predicate, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


class ProbeServerCase(unittest.TestCase):
    """A server with only the test-only Probe tasks: starts in well under a second."""
    ini = PROBE_INI

    def setUp(self):
        self.tmp = TempDir()
        self.data = self.tmp.path
        write_ini(self.data, self.ini)
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.stop()
        self.tmp.cleanup()

    def start(self):
        self.server = Server(self.data, program="nserver_probe").wait_ready()
        return self.server

    def console_log(self):
        return read(os.path.join(self.data, "console.log"))


class SignalTest(ProbeServerCase):
    def assert_stopped_cleanly(self, rc):
        self.assertEqual(rc, 0, self.server.output())
        self.assertFalse(os.path.exists(os.path.join(self.data, "nserver.sock")))
        self.assertFalse(os.path.exists(os.path.join(self.data, "nserver.lock")))
        log = self.console_log()
        self.assertIn("Server shutdown complete", log)
        for bad in ("error", "Error", "bad_function_call", "exception"):
            self.assertNotIn(bad, log)

    def hup(self, times):
        for i in range(1, times + 1):
            self.server.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_until(lambda: self.server.output().count("SIGHUP: notes.ini re-read") == i),
                            self.server.output())

    def test_hup_hup_term_stops_cleanly(self):
        self.start()
        self.hup(2)
        self.assertEqual(self.server.command("tell probe ping")[1].strip(), "PONG")  # still serving
        self.server.proc.send_signal(signal.SIGTERM)
        self.assert_stopped_cleanly(self.server.wait_exit(timeout=15))
        self.assertIn("Received SIGTERM, shutting down", self.server.output())

    def test_int_after_hup_stops_cleanly(self):
        self.start()
        self.hup(1)
        self.server.proc.send_signal(signal.SIGINT)
        self.assert_stopped_cleanly(self.server.wait_exit(timeout=15))
        self.assertIn("Received SIGINT, shutting down", self.server.output())


class DuplicateKeysTest(ProbeServerCase):
    ini = PROBE_INI + "Probe_Limit=abc\nOther=1\nPROBE_LIMIT=8\n"  # lines 5 and 7

    def test_duplicates_are_warned_at_load_and_at_sighup_and_set_config_leaves_one(self):
        self.start()
        warning = ("Server: notes.ini: Probe_Limit is set on line 5 and again on line 7; line 5 is used "
                   "(the first copy wins), line 7 is ignored")
        self.assertIn(warning, self.server.output())
        # The first copy wins, though invalid (the key's default is used), as Domino reads it.
        self.assertEqual(self.server.command("tell probe limit")[1].strip(), "5")
        rc, out, _ = self.server.command("show config probe_limit")
        self.assertEqual(rc, 0)
        self.assertIn("PROBE_LIMIT=8   (ignored: line 7 repeats line 5, which wins)", out)

        self.server.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: self.server.output().count(warning) == 2), self.server.output())

        rc, out, _ = self.server.command("set config PROBE_LIMIT=9")
        self.assertEqual((rc, out.strip()), (0, "PROBE_LIMIT=9"))
        on_disk = read(os.path.join(self.data, "notes.ini"))
        self.assertEqual(on_disk, PROBE_INI + "Probe_Limit=9\nOther=1\n")
        self.assertEqual(self.server.command("tell probe limit")[1].strip(), "9")

    def test_set_config_of_an_unknown_key_is_written_with_a_warning_naming_the_nearest(self):
        self.start()
        rc, out, _ = self.server.command("set config Probe_Limt=3")
        self.assertEqual(rc, 0)
        self.assertIn("Probe_Limt=3", out)
        self.assertIn("Warning: Probe_Limt is not a setting notesd reads (written anyway); did you mean Probe_Limit?",
                      out)
        self.assertIn("Probe_Limt=3\n", read(os.path.join(self.data, "notes.ini")))
        rc, out, _ = self.server.command("set config HTTP_Prot=1")
        self.assertIn("did you mean HTTP_Port?", out)
        rc, out, _ = self.server.command("set config $MyVar=x")  # a user variable: no warning
        self.assertEqual((rc, out.strip()), (0, "$MyVar=x"))
        rc, out, _ = self.server.command("set config Probe_Limit=4")  # a known key: no warning
        self.assertEqual((rc, out.strip()), (0, "Probe_Limit=4"))


class StartupOrderTest(ProbeServerCase):
    # Probe takes 3 s to start: the control socket answers long before the tasks are up.
    ini = PROBE_INI.replace("ServerTasks=Probe,ProbeB", "ServerTasks=ProbeB,Probe slow-start=3000")

    def raw_command(self, line):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(os.path.join(self.data, "nserver.sock"))
            s.sendall(line.encode() + b"\n")
            answer = b""
            while chunk := s.recv(4096):
                answer += chunk
        return answer.decode()

    def test_commands_sent_at_once_are_refused_then_retried_and_show_server_answers(self):
        self.server = Server(self.data, program="nserver_probe")
        sock = os.path.join(self.data, "nserver.sock")
        self.assertTrue(wait_until(lambda: os.path.exists(sock), timeout=10), self.server.output())
        started = time.time()
        # The wire answer during start-up: refused, with the STARTING status.
        answer = self.raw_command("tell probeb ping")
        self.assertTrue(answer.startswith("STARTING\nServer is starting; try again"), answer)
        rc, out, _ = self.server.command("show server")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"Server state:\s+Starting")
        self.assertNotIn("Server started", self.server.output())
        # `nserver -c` waits for the start and then runs the command: its work is done.
        rc, out, err = self.server.command("tell probeb ping")
        self.assertEqual((rc, out.strip()), (0, "PONG"), err)
        self.assertIn("Server started", self.server.output())
        self.assertLess(time.time() - started, 15)
        rc, out, _ = self.server.command("show server")
        self.assertRegex(out, r"Server state:\s+Running")


_REAL = {}  # one set-up data directory for the module: `nserver --setup` is the slow part


def tearDownModule():
    if "tmp" in _REAL:
        _REAL["tmp"].cleanup()


class RealServerCase(unittest.TestCase):
    """A set-up server (names.nsf, IDs) with HTTP, AdminP, CA, Router and SMTP."""

    @classmethod
    def setUpClass(cls):
        if "tmp" not in _REAL:
            tmp = TempDir()
            data = os.path.join(tmp.path, "server")
            os.makedirs(data)
            port = setup_server(data, email="jane@acme.example", tasks="HTTP,AdminP,CA,Router,SMTP")
            smtp_port = free_port()
            set_ini(data, SMTPListenerPort=smtp_port, SMTPListenerAddress="127.0.0.1",
                    SMTPDomains="acme.example", SMTPHostName="mx.acme.example")
            _REAL.update(tmp=tmp, data=data, port=port, smtp_port=smtp_port)
        cls.tmp, cls.data, cls.port, cls.smtp_port = _REAL["tmp"], _REAL["data"], _REAL["port"], _REAL["smtp_port"]


class TaskFailureTest(RealServerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server(cls.data)
        # A script's first command, sent as soon as the control socket exists: it waits for
        # the tasks instead of failing its work.
        sock = os.path.join(cls.data, "nserver.sock")
        if not wait_until(lambda: os.path.exists(sock), timeout=30):
            raise AssertionError("no control socket:\n" + cls.server.output())
        cls.first_command = cls.server.command("tell adminp process all")
        cls.server.wait_ready(timeout=30)
        if not cls.server.wait_for_output("Listening for SMTP on 127.0.0.1"):
            raise AssertionError("SMTP did not start:\n" + cls.server.output())
        cls.admin = Client(os.path.join(cls.tmp.path, "admin-client"), password="admin-pw")
        rc, out, err = cls.admin.run("setup", "--id", os.path.join(cls.data, "ids", "jadmin.id"),
                                     "--server-address", f"127.0.0.1:{cls.port}")
        if rc != 0:
            raise AssertionError(out + err)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def cmd(self, line):
        return self.server.command(line)

    def assert_others_answer(self, failed):
        self.assertIsNone(self.server.proc.poll(), "the server process ended")
        rc, out, err = self.admin.run("--no-sync", "whoami")
        self.assertEqual(rc, 0, out + err)
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10) as smtp:
            self.assertEqual(smtp.ehlo()[0], 250)
        for task, command in (("AdminP", "tell adminp show databases"), ("CA", "tell ca stat"),
                              ("Router", "tell router show queues")):
            if task != failed:
                rc, out, err = self.cmd(command)
                self.assertEqual(rc, 0, f"{command}: {out}{err}")

    def fail_and_reload(self, task, display):
        self.assertIn(display, self.cmd("show tasks")[1])
        self.assertEqual(self.cmd(f"set config Test_FailTask={task}")[0], 0)
        stopped = f"{display}: task stopped: test failure requested by Test_FailTask={task}"
        self.assertTrue(self.server.wait_for_output(stopped, timeout=10), self.server.output()[-3000:])
        self.assertTrue(wait_until(lambda: display not in self.cmd("show tasks")[1], timeout=10))
        self.assert_others_answer(task)
        rc, _, err = self.cmd(f"tell {task} help")
        self.assertNotEqual(rc, 0)
        self.assertIn("is not running", err)
        # Back with LOAD once the test switch is off.
        self.assertEqual(self.cmd("set config Test_FailTask=")[0], 0)
        rc, out, err = self.cmd(f"load {task}")
        self.assertEqual(rc, 0, out + err)
        self.assertIn(display, self.cmd("show tasks")[1])
        self.assert_others_answer(None)
        self.assertIn(f"{display}: task stopped", read(os.path.join(self.data, "console.log")))

    def test_a_command_sent_right_after_the_start_does_its_work(self):
        rc, out, err = self.first_command
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out, r"Admin Process: (Processed \d+ request|No requests to process)")
        self.assertNotIn("Server is starting", out + err)

    def test_adminp_fails_alone_and_loads_again(self):
        self.fail_and_reload("AdminP", "Admin Process")

    def test_ca_fails_alone_and_loads_again(self):
        self.fail_and_reload("CA", "CA Process")

    def test_router_fails_alone_and_loads_again(self):
        self.fail_and_reload("Router", "Router")

    def test_router_log_lines_carry_one_prefix(self):
        rc, out, _ = self.cmd("tell router update config")
        self.assertEqual(rc, 0)
        self.assertTrue(self.server.wait_for_output("Router: configuration updated: relay host"))
        log = read(os.path.join(self.data, "console.log"))
        self.assertIn("Router: configuration updated: relay host (none)", log)
        self.assertNotIn("Router: Router:", log)
        self.assertNotIn("Router: Router:", self.server.output())


class DamagedDatabaseTest(RealServerCase):
    def damaged_copy(self, damage):
        copy = os.path.join(self.tmp.path, f"copy-{self._testMethodName}")
        shutil.copytree(self.data, copy)
        names = os.path.join(copy, "names.nsf")
        damage(names)
        self.addCleanup(shutil.rmtree, copy, True)
        return copy

    def assert_refuses_to_start(self, data, what):
        done = run_start(data)
        names = os.path.join(os.path.realpath(data), "names.nsf")
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        message = done.stderr
        self.assertIn(f"system database {names} (the Domino Directory) is damaged and cannot be opened", message)
        self.assertIn(what, message)
        self.assertIn("The server does not start. Restore names.nsf from a backup", message)
        self.assertIn(f"`notes db info {names}`", message)
        self.assertNotIn("Task started", done.stdout)
        self.assertIn("is damaged and cannot be opened", read(os.path.join(data, "console.log")))
        self.assertFalse(os.path.exists(os.path.join(data, "nserver.sock")))

    def test_random_bytes_names_nsf_is_reported_and_the_server_exits_1(self):
        seed = 1313
        print(f"seed {seed}")
        rng = random.Random(seed)

        def scramble(path):
            size = os.path.getsize(path)
            with open(path, "wb") as f:
                f.write(bytes(rng.getrandbits(8) for _ in range(size)))
        self.assert_refuses_to_start(self.damaged_copy(scramble), "names.nsf")

    def test_truncated_names_nsf_is_reported_and_the_server_exits_1(self):
        def truncate(path):
            os.truncate(path, os.path.getsize(path) // 3)
        self.assert_refuses_to_start(self.damaged_copy(truncate), "names.nsf")


def run_start(data):
    return subprocess.run([binary("nserver"), "--data", data], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30)


if __name__ == "__main__":
    unittest.main()
