"""The .deb (issue 19, part 4): built with CPack from the existing build tree (no second
build), unpacked into a throw-away root with `dpkg -x`, its files where the unit and the
man pages say; the unit passes `systemd-analyze verify` and its sandbox scores well
(`systemd-analyze security --offline`); the installed nserver, set up on a fresh data
directory and started as the unit starts it, tells $NOTIFY_SOCKET READY=1 once its tasks
are loaded, RELOADING=1 (then READY=1) on SIGHUP and STOPPING=1 on SIGTERM; the
generated bash completion completes `notes` and `nserver`."""
import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import unittest

from notesd_harness import BIN_DIR, Server, TempDir, binary, setup_server
from systemd_harness import NotifySocket

UNIT = "usr/lib/systemd/system/notesd.service"


def unit_values(text, key):
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(key + "=")]


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.started = time.monotonic()
        cls.tmp = TempDir("notesd-package-")
        out = os.path.join(cls.tmp.path, "cpack")
        # zstd and stripped binaries keep the package step to seconds (the shipped one: xz).
        subprocess.run(["cpack", "--config", os.path.join(BIN_DIR, "CPackConfig.cmake"), "-B", out,
                        "-D", "CPACK_DEBIAN_COMPRESSION_TYPE=zstd"], check=True, capture_output=True)
        debs = glob.glob(os.path.join(out, "notesd_*.deb"))
        assert len(debs) == 1, debs
        cls.deb = debs[0]
        cls.root = os.path.join(cls.tmp.path, "root")
        subprocess.run(["dpkg", "-x", cls.deb, cls.root], check=True)
        with open(os.path.join(cls.root, UNIT)) as f:
            cls.unit = f.read()
        print(f"\npackage built and unpacked in {time.monotonic() - cls.started:.1f} s", flush=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()
        print(f"test_package: {time.monotonic() - cls.started:.1f} s", flush=True)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def installed_nserver(self):
        command = shlex.split(unit_values(self.unit, "ExecStart")[0])
        return self.path(command[0].lstrip("/")), command[1:]

    def test_control_depends_on_the_runtime_libraries(self):
        control = subprocess.run(["dpkg-deb", "-f", self.deb], capture_output=True, text=True, check=True).stdout
        depends = re.search(r"^Depends: (.*)$", control, re.M).group(1)
        for package in ("adduser", "libssl3", "liblmdb0", "libedit2", "libargon2-1", "libc6"):
            self.assertIn(package, depends)
        scripts = subprocess.run(["dpkg-deb", "-I", self.deb], capture_output=True, text=True, check=True).stdout
        for script in ("postinst", "prerm", "postrm", "conffiles"):
            self.assertIn(script, scripts)
        control_dir = os.path.join(self.tmp.path, "control")
        subprocess.run(["dpkg-deb", "-e", self.deb, control_dir], check=True)
        with open(os.path.join(control_dir, "postinst")) as f:
            postinst = f.read()
        self.assertIn("systemd-sysusers /usr/lib/sysusers.d/notesd.conf", postinst)
        self.assertIn("adduser --system --group --home /var/lib/notesd", postinst)
        self.assertIn("install -d -o notesd -g notesd -m 0700 /var/lib/notesd", postinst)
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(control_dir, script)
            self.assertTrue(os.access(path, os.X_OK), script)
            subprocess.run(["sh", "-n", path], check=True)  # parses
        with open(os.path.join(control_dir, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/logrotate.d/notesd"])

    def test_files_are_where_the_unit_and_the_man_pages_say(self):
        program, args = self.installed_nserver()
        self.assertEqual(unit_values(self.unit, "ExecStart")[0], "/usr/sbin/nserver --data /var/lib/notesd --no-console")
        self.assertTrue(os.access(program, os.X_OK), program)
        self.assertTrue(os.access(self.path("usr/bin/notes"), os.X_OK))
        self.assertEqual(args[args.index("--data") + 1], "/var/lib/notesd")
        for key, value in (("Type", "notify"), ("User", "notesd"), ("StateDirectory", "notesd"),
                           ("ReadWritePaths", "/var/lib/notesd"), ("NoNewPrivileges", "yes"),
                           ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                           ("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"),
                           ("AmbientCapabilities", "CAP_NET_BIND_SERVICE"),
                           ("ExecReload", "/bin/kill -HUP $MAINPID")):
            self.assertEqual(unit_values(self.unit, key), [value], key)
        for page in ("usr/share/man/man8/nserver.8", "usr/share/man/man1/notes.1", "usr/share/man/man5/notes.ini.5",
                     "usr/share/bash-completion/completions/notes", "usr/share/bash-completion/completions/nserver",
                     "usr/share/doc/notesd/notes.ini.sample", "usr/lib/sysusers.d/notesd.conf",
                     "etc/logrotate.d/notesd"):
            self.assertTrue(os.path.isfile(self.path(page)), page)
        with open(self.path("usr/lib/sysusers.d/notesd.conf")) as f:
            self.assertRegex(f.read(), r"(?m)^u notesd - .* /var/lib/notesd$")
        with open(self.path("etc/logrotate.d/notesd")) as f:
            logrotate = f.read()
        self.assertIn("/var/lib/notesd/console.log {", logrotate)
        self.assertIn("systemctl reload notesd.service", logrotate)
        self.assertRegex(logrotate, r"(?m)^\s*dateext$")  # never console.log.1, nserver's own cap file
        self.assertNotRegex(logrotate, r"(?m)^\s*copytruncate")  # moved, then SIGHUP: no line lost

    def test_cmake_install_into_a_prefix(self):
        prefix = os.path.join(self.tmp.path, "prefix")
        subprocess.run(["cmake", "--install", BIN_DIR, "--prefix", prefix], check=True, capture_output=True)
        for path in ("sbin/nserver", "bin/notes", "share/doc/notesd/notes.ini.sample", "share/man/man8/nserver.8",
                     "share/man/man1/notes.1", "share/man/man5/notes.ini.5",
                     "share/bash-completion/completions/notes", "share/bash-completion/completions/nserver",
                     "lib/sysusers.d/notesd.conf", "etc/logrotate.d/notesd"):
            self.assertTrue(os.path.isfile(os.path.join(prefix, path)), path)
        with open(os.path.join(prefix, "lib/systemd/system/notesd.service")) as f:
            self.assertEqual(unit_values(f.read(), "ExecStart"),
                             [os.path.join(prefix, "sbin/nserver") + " --data /var/lib/notesd --no-console"])

    def test_man_pages_come_from_the_programs_tables(self):
        program, _ = self.installed_nserver()
        with open(self.path("usr/share/man/man8/nserver.8")) as f:
            nserver_page = f.read().replace("\\-", "-")
        for option in re.findall(r"^  (?:-\w,)?(--[\w-]+)", subprocess.run([program, "--help"], capture_output=True,
                                                                         text=True).stdout, re.M):
            self.assertIn(option, nserver_page)
        keys = subprocess.run([program, "--config-keys"], capture_output=True, text=True, check=True).stdout
        with open(self.path("usr/share/man/man5/notes.ini.5")) as f:
            ini_page = f.read().replace("\\-", "-")
        names = re.findall(r"^\| `([^`]+)`", keys, re.M)
        self.assertIn("Console_Log_Max_Kbytes", names)
        for name in names:
            self.assertIn(f".B {name}\n", ini_page)
        with open(self.path("usr/share/man/man1/notes.1")) as f:
            notes_page = f.read().replace("\\-", "-")
        for command in ("notes admin register", "notes mail send", "notes people list", "notes id show"):
            self.assertIn(f".SS {command}\n", notes_page)
        if shutil.which("man"):
            for page in ("man8/nserver.8", "man1/notes.1", "man5/notes.ini.5"):
                shown = subprocess.run(["man", "--warnings", "-l", self.path("usr/share/man", page)],
                                       capture_output=True, text=True, env={**os.environ, "MANWIDTH": "100"})
                self.assertEqual(shown.returncode, 0, shown.stderr)
                self.assertEqual(shown.stderr.strip(), "", f"{page}: {shown.stderr}")

    def test_bash_completion(self):
        def complete(program, *words):
            script = (f"source {shlex.quote(self.path('usr/share/bash-completion/completions', program))}; "
                      f"COMP_WORDS=({' '.join(shlex.quote(w) for w in (program, *words))}); "
                      f"COMP_CWORD={len(words)}; _notesd_{program}; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
            return subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout.split()

        self.assertEqual(complete("notes", "ad"), ["admin"])
        self.assertIn("register", complete("notes", "admin", ""))
        self.assertIn("--to", complete("notes", "--client-dir", "/tmp", "mail", "send", "--"))
        self.assertEqual(complete("nserver", "--da"), ["--data"])
        self.assertIn("--setup", complete("nserver", "--"))

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze not installed")
    def test_unit_verifies_and_is_sandboxed(self):
        program, _ = self.installed_nserver()
        check = os.path.join(self.tmp.path, "verify")
        os.makedirs(check, exist_ok=True)
        unit = os.path.join(check, "notesd.service")
        with open(unit, "w") as f:
            f.write(self.unit.replace("ExecStart=/usr/sbin/nserver", "ExecStart=" + program))
        verified = subprocess.run(["systemd-analyze", "verify", "--man=no", unit], capture_output=True, text=True,
                                  cwd=check)
        self.assertEqual(verified.returncode, 0, verified.stderr)
        self.assertEqual(verified.stderr.strip(), "", verified.stderr)
        security = subprocess.run(["systemd-analyze", "security", "--offline=true", unit], capture_output=True,
                                  text=True, cwd=check)
        exposure = re.search(r"Overall exposure level for notesd.service: ([\d.]+)", security.stdout + security.stderr)
        self.assertIsNotNone(exposure, security.stdout + security.stderr)
        self.assertLess(float(exposure.group(1)), 3.0, security.stdout)

    @unittest.skipUnless(shutil.which("logrotate"), "logrotate not installed")
    def test_logrotate_moves_console_log_and_the_server_reopens_it(self):
        # The shipped file with the test's data directory, and the postrotate's `systemctl
        # reload` (ExecReload: kill -HUP $MAINPID) done as the unit would, on this server.
        program, _ = self.installed_nserver()
        data = os.path.join(self.tmp.path, "logrotate-data")
        setup_server(data, program=program)
        with Server(data, program=program, extra_args=["--no-console"]) as server:
            server.wait_ready()
            with open(self.path("etc/logrotate.d/notesd")) as f:
                config = f.read()
            config = config.replace("/var/lib/notesd/console.log", os.path.join(data, "console.log"))
            config = re.sub(r"(?m)^\s*su notesd notesd\n", "", config)
            config = re.sub(r"(?s)postrotate\n.*?endscript", f"postrotate\n\t\tkill -HUP {server.proc.pid}\n\tendscript",
                            config)
            conf = os.path.join(self.tmp.path, "logrotate.conf")
            with open(conf, "w") as f:
                f.write(config)
            done = subprocess.run(["logrotate", "-f", "-s", os.path.join(self.tmp.path, "logrotate.state"), conf],
                                  capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            rotated = glob.glob(os.path.join(data, "console.log-*"))
            self.assertEqual(len(rotated), 1, os.listdir(data))
            self.assertFalse(os.path.exists(os.path.join(data, "console.log.1")), "logrotate used nserver's name")
            with open(rotated[0]) as f:
                self.assertIn("Server started", f.read())
            log = os.path.join(data, "console.log")
            self.assertTrue(server.wait_for_output("console.log reopened", 10))
            status, _, _ = server.command("show tasks")
            self.assertEqual(status, 0)
            with open(log) as f:
                self.assertIn("> show tasks", f.read())
            with open(rotated[0]) as f:
                self.assertNotIn("> show tasks", f.read())

    def test_installed_server_reports_ready_reload_and_stop(self):
        program, args = self.installed_nserver()
        data = os.path.join(self.tmp.path, "data")
        setup_server(data, program=program)
        with NotifySocket(self.tmp.path) as notify:
            server = Server(data, program=program, extra_args=["--no-console"], env={"NOTIFY_SOCKET": notify.path})
            try:
                self.assertTrue(notify.wait_for("READY=1"), f"{notify.messages}\n{server.output()}")
                self.assertTrue(server.wait_for_output("Server started", 5))
                self.assertTrue(server.wait_for_output("HTTP", 5))
                status, answer, _ = server.command("show tasks")
                self.assertEqual(status, 0)
                self.assertIn("HTTP", answer)
                server.proc.send_signal(signal.SIGHUP)
                self.assertTrue(notify.wait_for("RELOADING=1"), notify.messages)
                self.assertTrue(notify.wait_for("READY=1", count=2), notify.messages)
                self.assertTrue(any(m.startswith("RELOADING=1\nMONOTONIC_USEC=") for m in notify.messages))
                server.proc.send_signal(signal.SIGTERM)
                self.assertTrue(notify.wait_for("STOPPING=1"), notify.messages)
                self.assertEqual(server.wait_exit(), 0)
            finally:
                server.stop()
            order = [m.split("\n")[0] for m in notify.messages]
            self.assertEqual(order, ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"])


if __name__ == "__main__":
    unittest.main()
