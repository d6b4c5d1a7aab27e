"""The README's tutorial ("Walkthrough: the article's steps with notesd") run as written, so
it cannot go stale.

Every ```console block of that section is parsed: a line starting with `$ ` is a command
(a trailing `\\` continues it on the next line), the lines after it are its expected
output. The commands run in order, in one temporary directory, each through `bash -c`
with stdout and stderr together, as a reader's terminal shows them; `export`s carry over
from one command to the next. Each command must exit 0, and its expected lines must appear
in its output: consecutive lines as consecutive lines, `...` skipping any number of
lines; `<name>` stands for a value that varies (a UNID, a serial, a date) and, once seen,
may be used in a later command (`notes admin requests show <unid>`).

What the test changes, and only that: the tutorial's ports (8443 HTTPS, 2525 SMTP, 2526
the outside mail provider, 8080 CRLs, 1143 and 1993 IMAP, 2587 submission) become free ports; `nserver` and `notes` come from
the build directory; `scripts/` is the repository's; NOTESD_ID_KDF=fast makes ID files
cheap; HOME is the temporary directory. A command ending in `&` runs in the background
(for `nserver` the test waits for "Server started"); after `restart server` it waits
for the server to be back, as a reader would. A command that only looks (`ls`,
`notes ... mail list`, `nserver -c "show ..."`) and does not show the expected lines yet
is run again for up to 30 seconds: mail takes a moment to arrive.

NOTESD_TUTORIAL_RECORD=1 prints every command's actual output (for updating the README).
"""
import os
import re
import shlex
import subprocess
import tempfile
import time
import unittest

from notesd_harness import BIN_DIR, SOURCE_DIR, free_port

README = os.path.join(SOURCE_DIR, "README.md")
SECTION = "## Walkthrough"
PORTS = ("8443", "2525", "2526", "8080", "1143", "1993", "2587")
LOOKS = re.compile(r"^(ls\b|cat\b|notes\b.*\bmail list\b|nserver\b.*-c \"(show|tell router show|tell ca stat))")
RECORD = os.environ.get("NOTESD_TUTORIAL_RECORD") == "1"


def tutorial_steps(text):
    """[(heading, command, [expected lines])] from the console blocks of the section."""
    start = text.index(SECTION)
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else len(text)]
    steps, heading, in_block, pending = [], None, False, None
    for line in section.splitlines():
        if not in_block:
            if line.startswith("### "):
                heading = line[4:].strip()
            elif line.strip() == "```console":
                in_block = True
            continue
        if line.strip() == "```":
            in_block = False
            pending = None
            continue
        if pending is not None:  # continuation of a command
            steps[-1] = (heading, steps[-1][1][:-1].rstrip() + " " + line.strip(), steps[-1][2])
            pending = line.rstrip().endswith("\\") or None
            continue
        if line.startswith("$ "):
            steps.append((heading, line[2:].rstrip(), []))
            pending = line.rstrip().endswith("\\") or None
        elif steps:
            steps[-1][2].append(line.rstrip())
    return steps


PLACEHOLDER = re.compile(r"<([A-Za-z0-9_. -]+)>")


def line_pattern(expected, captured):
    """A regex for one expected line: literal text, `<name>` a varying value."""
    out, pos, names = "", 0, []
    for m in PLACEHOLDER.finditer(expected):
        out += re.escape(expected[pos:m.start()])
        name = m.group(1)
        key = re.sub(r"\W", "_", name)
        if name in captured:
            out += re.escape(captured[name])
        elif key in names:
            out += f"(?P={key})"
        else:
            out += f"(?P<{key}>.+?)" if key.isidentifier() else "(.+?)"
            names.append(key)
        pos = m.end()
    out += re.escape(expected[pos:])
    return re.compile(out), names


def match_output(expected, actual, captured):
    """Checks the expected lines against the actual ones; returns new captures or raises."""
    groups, current = [], []
    for line in expected:
        if line.strip() == "...":
            groups.append(current)
            current = []
        else:
            current.append(line)
    groups.append(current)
    lines = [line.rstrip() for line in actual.splitlines()]
    found, pos = {}, 0
    for group in groups:
        if not group:
            continue
        patterns = [line_pattern(line, {**captured, **found}) for line in group]
        for start in range(pos, len(lines) - len(group) + 1):
            got = {}
            for offset, (pattern, names) in enumerate(patterns):
                m = pattern.fullmatch(lines[start + offset])
                if not m:
                    break
                for original in PLACEHOLDER.findall(group[offset]):
                    key = re.sub(r"\W", "_", original)
                    if key in m.groupdict() and m.group(key) is not None:
                        got[original] = m.group(key)
            else:
                found.update(got)
                pos = start + len(group)
                break
        else:
            raise AssertionError("expected lines not found in order:\n  " + "\n  ".join(group))
    return found


class ReadmeTutorial(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="notesd-tutorial-")
        os.symlink(os.path.join(SOURCE_DIR, "scripts"), os.path.join(self.dir, "scripts"))
        self.ports = {p: str(free_port()) for p in PORTS}
        self.background = []
        self.envfile = os.path.join(self.dir, ".tutorial-env")
        path = os.pathsep.join([os.path.join(BIN_DIR, "server"), os.path.join(BIN_DIR, "client_cli"),
                                os.environ.get("PATH", "/usr/bin:/bin")])
        env = {"PATH": path, "HOME": self.dir, "NOTESD_ID_KDF": "fast", "LANG": "C.UTF-8", "TERM": "dumb"}
        with open(self.envfile, "w") as f:
            f.write("".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()))

    def tearDown(self):
        for proc, log in reversed(self.background):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            log.close()
        subprocess.run(["gpgconf", "--kill", "all"], capture_output=True,
                       env={**os.environ, "GNUPGHOME": os.path.join(self.dir, "outside", "gnupg")})
        subprocess.run(["rm", "-rf", self.dir])

    def localise(self, text):
        for port, free in self.ports.items():
            text = re.sub(rf"(?<![0-9]){port}(?![0-9])", free, text)
        return text

    def script(self, command):
        return (f"source {shlex.quote(self.envfile)}\ncd {shlex.quote(self.dir)}\n{command}\n"
                f"__rc=$?\nexport -p > {shlex.quote(self.envfile)}\nexit $__rc\n")

    def run_background(self, command):
        log = open(os.path.join(self.dir, f".background-{len(self.background)}.log"), "w+")
        proc = subprocess.Popen(["bash", "-c", f"source {shlex.quote(self.envfile)}\ncd {shlex.quote(self.dir)}\n"
                                 f"exec {command[:-1].strip()}"], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
        self.background.append((proc, log))
        ready = "Server started" if command.startswith("nserver") else "listening"
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(log.name) as f:
                if ready in f.read():
                    return
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        with open(log.name) as f:
            self.fail(f"{command}: never printed {ready!r}:\n{f.read()}")

    def server_starts(self):
        log = os.path.join(self.dir, "data", "console.log")
        if not os.path.exists(log):
            return 0
        with open(log, errors="replace") as f:
            return f.read().count("Server started")

    def test_every_command_of_the_tutorial(self):
        with open(README) as f:
            steps = tutorial_steps(f.read())
        self.assertGreater(len(steps), 30, "the tutorial's console blocks were not found")
        headings = []
        for heading, _, _ in steps:
            if heading not in headings:
                headings.append(heading)
        captured = {}
        for number, (heading, command, expected) in enumerate(steps, 1):
            command = self.localise(command)
            for name, value in captured.items():
                command = command.replace(f"<{name}>", value)
            self.assertNotRegex(command, PLACEHOLDER, f"step {number}: a placeholder was never shown before")
            where = f"step {number} ({heading}): $ {command}"
            if command.endswith("&"):
                self.run_background(command)
                continue
            expected = [self.localise(line) for line in expected]
            starts = self.server_starts()
            deadline = time.time() + (30 if LOOKS.match(command) else 0)
            while True:
                done = subprocess.run(["bash", "-c", self.script(command)], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
                output = done.stdout.decode(errors="replace")
                try:
                    self.assertEqual(done.returncode, 0, f"{where}\nexited {done.returncode}:\n{output}")
                    captured.update(match_output(expected, output, captured))
                    break
                except AssertionError as failure:
                    if time.time() >= deadline:
                        raise AssertionError(f"{where}\n{failure}\n--- actual output ---\n{output}") from None
                    time.sleep(0.5)
            if RECORD:
                print(f"\n$ {command}\n{output}", end="")
            if re.search(r"-c \"restart server\"", command, re.I):
                deadline = time.time() + 30
                while self.server_starts() <= starts and time.time() < deadline:
                    time.sleep(0.1)
                time.sleep(0.3)
        if RECORD:
            print("\nheadings:", headings)


if __name__ == "__main__":
    unittest.main()
