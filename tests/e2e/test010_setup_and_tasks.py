"""Scenario 010: a server set up from nothing (`nserver --setup`), its tasks, its console
from a shell (`nserver -c`), the administrator's and a user's `notes setup`, and the
article's first heading: "Add the Certificate Authority task to the Domino server"
(edit ServerTasks, restart, the CA task is there and has no certifier yet)."""
import os
import unittest

import scenario
from scenario import notes


class SetupAndTasks(unittest.TestCase):
    def setUp(self):
        self.site = scenario.set_up_server("010")

    def tearDown(self):
        self.site.close()

    def test_setup_tasks_console_and_the_ca_task(self):
        site = self.site
        for name in ("notes.ini", "cert.id", "server.id", "names.nsf", os.path.join("ids", "jadmin.id")):
            self.assertTrue(os.path.exists(os.path.join(site.data, name)), name)
        tasks = site.console("show tasks")
        for row in ("HTTP Server", "Admin Process", "Router", "SMTP Server"):
            self.assertIn(row, tasks)
        self.assertNotIn("CA Process", tasks)
        self.assertIn("CN=Acme01/O=Acme", site.console("show server"))
        self.assertIn("SHOW TASKS", site.console("help").upper())

        # The administrator and a registered user talk to the server over mutual TLS.
        self.assertIn("Jane Admin/Acme", notes(site.jane, "whoami"))
        john = scenario.register(site, "John Roe", "jroe")
        self.assertIn("John Roe/Acme", notes(john, "whoami"))
        people = notes(site.jane, "admin", "person", "show", "John Roe")
        self.assertIn("jroe@acme.example", people)

        # "Edit notes.ini. Add ',CA' to the ServerTasks line. Restart Domino."
        tasks = scenario.add_ca_task(site)
        self.assertRegex(tasks, r"CA Process\s+Idle: 0 certifier\(s\), 0 active")
        with open(os.path.join(site.data, "notes.ini")) as f:
            self.assertRegex(f.read(), r"(?m)^ServerTasks=HTTP,AdminP,Router,SMTP,CA$")
        self.assertIn("No certifiers are using the CA process on this server", site.console("tell ca stat"))
        # Every task runs after the restart; the console log has it all, time-stamped.
        for row in ("HTTP Server", "Admin Process", "Router", "SMTP Server"):
            self.assertIn(row, tasks)
        with open(os.path.join(site.data, "console.log")) as f:
            log = f.read()
        self.assertRegex(log, r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d [AP]M  CA Process: ")
        # A bad value is refused naming the key; nserver -c with no server says so (exit 3).
        rc, out, err = site.server.command("set config AdminPInterval=0")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("AdminPInterval", out + err)
        site.stop()
        rc, out, err = site.server.command("show tasks")
        self.assertEqual(rc, 3, out + err)


if __name__ == "__main__":
    unittest.main()
