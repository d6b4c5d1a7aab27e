#!/usr/bin/python3
"""bench/crash_consistency.py — issue 9, item 4: SIGKILL the server at random moments of a
mixed load, then check the invariants. Run through bench/crash_consistency.sh.

Set-up (once): a server with HTTP, SMTP, Router, AdminP and CA; an Internet certifier
(Crash-Email) made as an administrator makes it; PEOPLE Bench people registered offline
with mail files (notesd_bench_enroll populate ... mail).

Each of KILLS rounds: start the server; in the background
  - SENDERS smtplib clients send numbered messages ("crash N") to Bench people and record
    which got their 250;
  - the administrator's `notes admin people add-internet-cert --no-wait` for the next
    slice of people (a request that got no answer is "uncertain": it may or may not have
    been posted, and is never asked again, since a second request would rightly issue a
    second certificate);
  - `notes id sync` for the administrator, over and over;
then SIGKILL the server after a random 0.3..4 s (seeded; the seed is printed).

Finally: start the server, post the slices not yet asked for, let the Router and AdminP
finish, stop it, and check
  1. every message that got a 250 is in its recipient's mail file exactly once, and no
     message is anywhere twice (offline: notesd_bench_enroll mail);
  2. every person whose request was acknowledged holds exactly one certificate of the
     certifier, an uncertain one at most one, nobody else any (notesd_bench_enroll certs);
     the ICL holds one Valid certificate per certificate held, none Reserved, no serial
     twice; the administrator (asked for in the first slice) ends with the same number
     in their ID file after a last `notes id sync`;
  3. every .nsf in the data directory opens (`notes db info`), and so does the
     administrator's ID file;
  4. no `notes` command was killed by a signal or hung while the server died under it.
Prints the figures; exit 1 when an invariant is broken, 2 when the run itself failed.
"""
import argparse
import glob
import json
import os
import random
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support"))
from notesd_harness import free_port, set_ini, stop_process  # noqa: E402 (the tests' helpers)

CERTIFIER = "Crash-Email"
ICL = "ICL_Crash-Email.nsf"
DOMAIN = "acme.example"
ENV = {**os.environ, "NOTESD_ID_KDF": "fast"}  # the run's own IDs only


def fail(message, code=2):
    print(f"crash_consistency: {message}", file=sys.stderr)
    sys.exit(code)


class Run:
    def __init__(self, args):
        self.args = args
        self.bin = args.bin
        self.work = tempfile.mkdtemp(prefix="notesd-crash-")
        self.data = os.path.join(self.work, "server")
        self.client_dir = os.path.join(self.work, "client")
        self.log = open(os.path.join(self.work, "server.log"), "ab")
        self.http_port, self.smtp_port, self.crl_port = free_port(), free_port(), free_port()
        self.proc = None
        self.rng = random.Random(args.seed)
        self.lock = threading.Lock()
        self.next_message = 1
        self.acked = {}        # message number -> recipient short name (got its 250)
        self.sent = 0          # DATA attempts
        self.cert_acked, self.cert_uncertain = set(), set()
        self.syncs = Counter()       # `notes id sync` exit codes
        self.cert_exits = Counter()  # `notes admin people add-internet-cert` exit codes
        self.kills = 0
        self.interrupted = []  # per kill: (accepted messages undelivered, certificate requests unfinished)

    def tool(self, name):
        sub = {"nserver": "server", "notes": "client_cli", "notesd_bench_enroll": "bench"}[name]
        return os.path.join(self.bin, sub, name)

    def nserver(self, *args, timeout=60):
        return subprocess.run([self.tool("nserver"), "--data", self.data, *args], capture_output=True, text=True,
                              timeout=timeout, env=ENV)

    def notes(self, *args, timeout=120):
        done = subprocess.run([self.tool("notes"), "--client-dir", self.client_dir, *args], capture_output=True,
                              text=True, timeout=timeout, env={**ENV, "NOTESD_PASSWORD": "bench-pw"})
        return done.returncode, done.stdout, done.stderr

    def enroll_tool(self, *args):
        done = subprocess.run([self.tool("notesd_bench_enroll"), *args], capture_output=True, text=True)
        if done.returncode != 0:
            fail(f"notesd_bench_enroll {args[0]}: {done.stdout}{done.stderr}")
        return done.stdout

    # --- the server ---------------------------------------------------------------------

    def start(self):
        self.proc = subprocess.Popen([self.tool("nserver"), "--data", self.data, "--no-console"], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=ENV)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail(f"the server exited ({self.proc.returncode}) at start; log in {self.work}/server.log")
            ready = 0
            for port in (self.smtp_port, self.http_port):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    ready += 1
                except OSError:
                    pass
            if ready == 2:
                return
            time.sleep(0.1)
        fail("the server did not open its ports within 60 s")

    def stop(self):
        if self.proc:
            stop_process(self.proc, timeout=60)
        self.proc = None

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None
        self.kills += 1

    def console(self, line):
        done = self.nserver("-c", line)
        if done.returncode != 0:
            fail(f"console '{line}': {done.stdout}{done.stderr}")
        return done.stdout

    # --- set-up -------------------------------------------------------------------------

    def set_up(self):
        done = self.nserver("--setup", "--org", "Acme", "--server-name", "Acme01", "--admin-name", "Jane Admin",
                            "--admin-email", f"jane@{DOMAIN}", "--admin-password", "bench-pw", "--certifier-password", "bench-pw",
                            "--http-port", str(self.http_port), "--http-address", "127.0.0.1",
                            "--server-tasks", "HTTP,SMTP,Router,AdminP,CA")
        if done.returncode != 0:
            fail("setup: " + done.stdout + done.stderr)
        set_ini(self.data, AdminP_Interval_Seconds=1, HTTP_CRLPort=self.crl_port, SMTPListenerPort=self.smtp_port,
                SMTPListenerAddress="127.0.0.1", SMTPDomains=DOMAIN)
        self.start()
        rc, out, err = self.notes("setup", "--id", os.path.join(self.data, "ids", "jadmin.id"),
                                  "--server-address", f"127.0.0.1:{self.http_port}")
        if rc != 0:
            fail("notes setup: " + out + err)
        rc, out, err = self.notes("admin", "internet-certifier", "create", "--cn", CERTIFIER, "--o", "Acme", "--icl",
                                  ICL, "--encrypt-with", "server-id", "--require-activation-password", "no")
        if rc != 0:
            fail("certifier: " + out + err)
        self.console("tell adminp process all")
        self.console("tell ca refresh")
        if "Active=Yes" not in self.console("tell ca stat"):
            fail("the certifier did not become active")
        self.stop()
        self.enroll_tool("populate", self.data, str(self.args.people), DOMAIN, "mail")

    # --- the load -----------------------------------------------------------------------

    def sender(self, stop, rng):
        while not stop.is_set():
            try:
                with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10) as s:
                    while not stop.is_set():
                        with self.lock:
                            n = self.next_message
                            self.next_message += 1
                            self.sent += 1
                        rcpt = f"bench{rng.randint(1, self.args.mail_users):05d}"
                        message = (f"From: outside@example.org\r\nTo: {rcpt}@{DOMAIN}\r\nSubject: crash {n}\r\n"
                                   f"Message-ID: <crash-{n}@example.org>\r\n\r\nmessage {n}\r\n").encode()
                        s.sendmail("outside@example.org", [f"{rcpt}@{DOMAIN}"], message)
                        with self.lock:
                            self.acked[n] = rcpt  # got its 250
            except (OSError, smtplib.SMTPException):
                if stop.wait(0.05):
                    return

    def certificates(self, names, delay=0.0):
        time.sleep(delay)
        if not names:
            return
        try:
            rc, out, err = self.notes("--no-sync", "admin", "people", "add-internet-cert", "--ca", CERTIFIER,
                                      "--no-wait", *names, timeout=60)
        except subprocess.TimeoutExpired:
            rc = "timeout"
        with self.lock:
            (self.cert_acked if rc == 0 else self.cert_uncertain).update(names)
            self.cert_exits[rc] += 1

    def syncer(self, stop):
        while not stop.is_set():
            try:
                rc, _, _ = self.notes("id", "sync", timeout=30)
            except subprocess.TimeoutExpired:
                rc = "timeout"
            self.syncs[rc] += 1
            stop.wait(0.2)

    def round(self, names):
        self.start()
        kill_after = self.rng.uniform(0.3, 4.0)
        stop = threading.Event()
        threads = [threading.Thread(target=self.sender, args=(stop, random.Random(self.rng.random())))
                   for _ in range(self.args.senders)]
        threads.append(threading.Thread(target=self.syncer, args=(stop,)))
        # Posted at a random moment before the kill, so the kill falls before, during or
        # after the POST and anywhere in AdminP's work on the batch.
        threads.append(threading.Thread(target=self.certificates, args=(names, self.rng.uniform(0, kill_after))))
        for t in threads:
            t.start()
        time.sleep(kill_after)
        self.kill()
        stop.set()
        for t in threads:
            t.join(timeout=90)
        return self.unfinished(kill_after)

    def delivered(self):
        where = {}
        for line in self.enroll_tool("mail", self.data).splitlines():
            file, _, subject = line.partition("\t")
            if subject.startswith("crash "):
                where.setdefault(int(subject.split()[1]), []).append(file)
        return where

    def held_certificates(self):
        held, icl = {}, ""
        for line in self.enroll_tool("certs", self.data, CERTIFIER, ICL).splitlines():
            if line.startswith("person "):
                _, name, count = line.split()
                held[name] = int(count)
            else:
                icl = line
        return held, icl

    def unfinished(self, kill_after):
        """What the kill interrupted, read offline: acknowledged messages still in
        mail.box, acknowledged certificate requests AdminP had not finished."""
        where = self.delivered()
        held, _ = self.held_certificates()
        with self.lock:
            mail = sum(1 for n in self.acked if n not in where)
            certs = sum(1 for n in self.cert_acked if n != "jadmin" and held.get(n, 0) == 0)
        self.interrupted.append((mail, certs))
        return f"killed after {kill_after:.2f} s with {mail} accepted messages undelivered, {certs} acknowledged " \
               f"certificate requests unfinished"

    # --- the checks ---------------------------------------------------------------------

    def settle(self):
        """Starts the server and waits until mail.box and AdminP have nothing left."""
        self.start()
        deadline = time.time() + 300
        while time.time() < deadline:
            waiting = self.console("show stat Mail.Waiting")
            pending = self.console("tell adminp show requests pending")
            if "Mail.Waiting = 0" in waiting and "Add Internet Certificate" not in pending:
                break
            time.sleep(0.5)
        else:
            fail("the Router or AdminP did not finish within 300 s")
        failed = self.console("tell adminp show requests failed")
        rc, out, err = self.notes("id", "sync")
        if rc != 0:
            fail("the last `notes id sync`: " + out + err)
        self.stop()
        return failed

    def check(self, failed_requests):
        problems = []
        # 1. Mail: every 250 delivered exactly once, nothing twice.
        where = self.delivered()
        duplicated = sorted(n for n, files in where.items() if len(files) > 1)
        lost = sorted(n for n, rcpt in self.acked.items() if where.get(n) != [f"{rcpt}.nsf"])
        unacked_delivered = len([n for n in where if n not in self.acked])
        if duplicated:
            problems.append(f"messages delivered more than once: {duplicated[:20]}")
        if lost:
            problems.append(f"messages acknowledged but not delivered exactly once to their recipient: {lost[:20]}")
        # 2. Certificates.
        held, icl = self.held_certificates()
        rc, out, err = self.notes("--no-sync", "id", "certificates", "--json")
        if rc != 0:
            problems.append("the administrator's ID file does not open: " + err)
        else:
            held["jadmin"] = len(json.loads(out)["internet_certificates"])
        wrong = {n: c for n, c in held.items()
                 if (n in self.cert_acked and c != 1) or (n in self.cert_uncertain and n not in self.cert_acked and c > 1)
                 or (n not in self.cert_acked and n not in self.cert_uncertain and c != 0)}
        if wrong:
            problems.append(f"people with the wrong number of certificates: {dict(list(wrong.items())[:20])}")
        fields = dict(f.split("=") for f in icl.split())
        total_held = sum(c for n, c in held.items() if n != "jadmin")  # the ICL line counts Bench people
        if (fields.get("unique_serials") != "yes" or fields.get("persons_in_icl") != "yes"
                or int(fields.get("icl_valid", -1)) != total_held or fields.get("icl_reserved") != "0"):
            problems.append(f"ICL: {icl} (the Person records hold {total_held})")
        if "Add Internet Certificate" in failed_requests:
            problems.append("failed AdminP requests:\n" + failed_requests[-2000:])
        # The clients fail cleanly while the server is down: an exit code, never a signal.
        crashed = {f"{what} {rc}": n for what, exits in (("id sync", self.syncs), ("add-internet-cert", self.cert_exits))
                   for rc, n in exits.items() if rc == "timeout" or rc < 0}
        if crashed:
            problems.append(f"client commands killed by a signal or hung: {crashed}")
        # 3. Every database opens; so does the administrator's ID.
        files = sorted(glob.glob(os.path.join(self.data, "**", "*.nsf"), recursive=True))
        bad = []
        for path in files:
            rc, out, err = self.notes("db", "info", path)
            if rc != 0:
                bad.append(f"{os.path.relpath(path, self.data)}: {err.strip()}")
        if bad:
            problems.append("databases that do not open: " + "; ".join(bad))

        print(f"kills survived:         {self.kills} (seed {self.args.seed}); "
              f"{sum(1 for m, _ in self.interrupted if m)} fell with accepted mail undelivered "
              f"({sum(m for m, _ in self.interrupted)} messages), "
              f"{sum(1 for _, c in self.interrupted if c)} with certificate requests unfinished "
              f"({sum(c for _, c in self.interrupted)})")
        print(f"messages:               {self.sent} sent, {len(self.acked)} accepted (250), "
              f"{sum(1 for n in self.acked if n in where)} of those delivered, {len(duplicated)} duplicated, "
              f"{len(lost)} lost; {unacked_delivered} delivered without the client seeing the 250")
        print(f"certificate requests:   {len(self.cert_acked)} people acknowledged, "
              f"{len(self.cert_uncertain - self.cert_acked)} uncertain (no answer before the kill)")
        print(f"certificates held:      {total_held} by Bench people, {held.get('jadmin')} in the administrator's "
              f"ID after sync ({sum(1 for c in held.values() if c == 1)} people with one, "
              f"{sum(1 for c in held.values() if c > 1)} with more); ICL: {icl}")
        print(f"client exit codes:      id sync " + ", ".join(f"{rc}: {n}" for rc, n in sorted(self.syncs.items(), key=str))
              + "; add-internet-cert " + ", ".join(f"{rc}: {n}" for rc, n in sorted(self.cert_exits.items(), key=str)))
        print(f"databases opened:       {len(files) - len(bad)} of {len(files)}")
        return problems

    def main(self):
        print(f"work directory {self.work}; seed {self.args.seed}; {self.args.kills} kills, "
              f"{self.args.people} people, {self.args.senders} SMTP senders")
        self.set_up()
        people = list(range(1, self.args.people + 1))
        per_round = max(1, len(people) // (self.args.kills + 1))
        slices = [[f"bench{i:05d}" for i in people[i:i + per_round]] for i in range(0, len(people), per_round)]
        slices[0].append("jadmin")  # the administrator, whose `notes id sync` then has work to do
        for k in range(self.args.kills):
            what = self.round(slices[k] if k < len(slices) else [])
            print(f"  kill {k + 1}: {what}; {len(self.acked)} messages accepted so far", flush=True)
        # The rest, with the server up and nobody killing it.
        self.start()
        for s in slices[self.args.kills:]:
            self.certificates(s)
        self.stop()
        problems = self.check(self.settle())
        if problems:
            print("BROKEN INVARIANTS:\n  " + "\n  ".join(problems))
            print(f"kept for inspection: {self.work}")
            return 1
        print("all invariants hold")
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        return 0


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", required=True, help="build directory with server/nserver, client_cli/notes, bench/")
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--people", type=int, default=200)
    p.add_argument("--mail-users", type=int, default=20, help="how many of the people receive mail")
    p.add_argument("--senders", type=int, default=4)
    p.add_argument("--seed", type=int, default=random.randrange(1, 1 << 30))
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    return p.parse_args()


if __name__ == "__main__":
    run = Run(parse())
    try:
        sys.exit(run.main())
    finally:
        if run.proc and run.proc.poll() is None:
            run.proc.kill()
