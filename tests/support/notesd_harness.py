"""Test harness for notesd: starts the real binaries in temporary data directories and
drives them as a user would (console on stdin, `nserver -c`, later the `notes` CLI).

Hermetic: 127.0.0.1 only, ports chosen at run time, temporary directories removed after.
"""
import os
import pty
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time

BIN_DIR = os.environ.get("NOTESD_BIN_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def binary(name):
    for sub in ("server", "client_cli", "tests", "bench"):
        path = os.path.join(BIN_DIR, sub, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{name} not built under {BIN_DIR}")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempDir:
    def __init__(self, prefix="notesd-test-"):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def wait_until(predicate, timeout=20, interval=0.1):
    """Polls predicate until it returns a true value or timeout seconds pass; returns its last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def write_ini(data_dir, text):
    with open(os.path.join(data_dir, "notes.ini"), "w") as f:
        f.write(text)


def set_ini(data_dir, **values):
    """Sets notes.ini keys as SET CONFIG would: the first line of each key is rewritten
    (notes.ini's first occurrence wins), a missing key is appended."""
    path = os.path.join(data_dir, "notes.ini")
    with open(path) as f:
        lines = f.read().splitlines()
    pending = {name.lower(): (name, str(value)) for name, value in values.items()}
    for i, line in enumerate(lines):
        key = line.split("=", 1)[0].strip().lower()
        if "=" in line and not line.lstrip().startswith(";") and key in pending:
            name, value = pending.pop(key)
            lines[i] = f"{name}={value}"
    lines += [f"{name}={value}" for name, value in pending.values()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Server:
    """A running nserver with its console on a pipe; output collected line by line."""

    def __init__(self, data_dir, program="nserver", extra_args=(), env=None):
        self.data_dir = data_dir
        self.program = program if os.path.isabs(program) else binary(program)
        self.lines = []
        self._lock = threading.Lock()
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [self.program, "--data", data_dir, *extra_args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=full_env)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            with self._lock:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def output(self):
        with self._lock:
            return "\n".join(self.lines)

    def wait_for_output(self, text, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.output():
                return True
            if self.proc.poll() is not None and text not in self.output():
                time.sleep(0.1)
                return text in self.output()
            time.sleep(0.05)
        return False

    def wait_ready(self, timeout=15):
        if not self.wait_for_output("Server started", timeout):
            raise AssertionError("server did not start:\n" + self.output())
        return self

    def console(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def command(self, line, timeout=60):
        """`nserver -c line`: returns (exit status, stdout, stderr)."""
        return run_nserver_command(self.program, self.data_dir, line, timeout)

    def wait_exit(self, timeout=20):
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._reader.join(timeout=5)
            self._close_pipes()

    def _close_pipes(self):
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass

    def stop(self):
        stop_process(self.proc)
        self._reader.join(timeout=5)
        self._close_pipes()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def stop_process(proc, timeout=20):
    """Terminates proc if it still runs, and kills it if it has not exited after timeout seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_on_terminal(data_dir, program="nserver"):
    """Starts `program --data data_dir` with its console on a new pseudo-terminal; returns (process, master fd)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([binary(program), "--data", data_dir], stdin=slave, stdout=slave, stderr=slave,
                            close_fds=True)
    os.close(slave)
    return proc, master


def read_terminal_until(master, text, timeout=15):
    """Reads the pseudo-terminal `master` until `text` shows; returns what was read, or raises AssertionError."""
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


def run_nserver_command(program, data_dir, line, timeout=60):
    # stdin is empty: a command whose password was left out (`tell ca unlock idfile`) would
    # otherwise wait for it on the test runner's stdin.
    done = subprocess.run([program, "--data", data_dir, "-c", line], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


FAST_KDF_ENV = {"NOTESD_ID_KDF": "fast"}  # test-only: cheap scrypt for the many IDs tests make


def setup_server(data_dir, org="Acme", server_name="Acme01", admin="Jane Admin", email=None,
                 admin_password="admin-pw", certifier_password="cert-pw", http_port=None, tasks="HTTP",
                 program=None):
    """`nserver --setup` (the built one, or `program`: a path) with loopback-only HTTPS on a free
    port. Returns the port."""
    port = http_port or free_port()
    args = [program or binary("nserver"), "--data", data_dir, "--setup", "--org", org, "--server-name", server_name,
            "--admin-name", admin, "--admin-password", admin_password,
            "--certifier-password", certifier_password, "--http-port", str(port),
            "--http-address", "127.0.0.1", "--server-tasks", tasks]
    if email:
        args += ["--admin-email", email]
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **FAST_KDF_ENV})
    if done.returncode != 0:
        raise AssertionError(f"setup failed: {done.stdout}{done.stderr}")
    return port


def start_test_server(cls, tasks="HTTP", email=None, ini=None):
    """Sets cls.tmp, cls.data (set up there, plus `ini` in notes.ini), cls.port (HTTPS) and cls.server (running)."""
    cls.tmp = TempDir()
    cls.data = os.path.join(cls.tmp.path, "server")
    cls.port = setup_server(cls.data, email=email, tasks=tasks)
    if ini:
        set_ini(cls.data, **ini)
    cls.server = Server(cls.data).wait_ready()


def stop_test_server(cls):
    """Undoes start_test_server: stops cls.server and removes cls.tmp."""
    cls.server.stop()
    cls.tmp.cleanup()


def set_up_client(cls, name, id_path, password):
    """A `notes` client in <cls.tmp>/<name>-client, set up with id_path against cls.server on cls.port."""
    client = Client(os.path.join(cls.tmp.path, f"{name}-client"), password=password, id_path=id_path)
    rc, out, err = client.run("setup", "--id", id_path, "--server-address", f"127.0.0.1:{cls.port}")
    if rc != 0:
        raise AssertionError(f"client setup for {name} failed: {out}{err}\n{cls.server.output()}")
    return client


def register_person(cls, name, short_name, email, *extra):
    """Registers a person with the fixture's `notes` client (cls.admin), ID file
    <tmp>/<short_name>.id with the password user-pw; returns (rc, stdout, stderr)."""
    return cls.admin.run("admin", "register", "--certifier-id", os.path.join(cls.data, "cert.id"),
                         "--certifier-password", "cert-pw", "--name", name, "--short-name", short_name,
                         "--email", email, "--id-out", os.path.join(cls.tmp.path, f"{short_name}.id"),
                         "--id-password", "user-pw", *extra)


def register_client(cls, name, short_name):
    """register_person as <short_name>@acme.example, then that person's `notes` client, set up (set_up_client)."""
    rc, out, err = register_person(cls, name, short_name, f"{short_name}@acme.example")
    if rc != 0:
        raise AssertionError(f"registering {name} failed: {out}{err}")
    return set_up_client(cls, short_name, os.path.join(cls.tmp.path, f"{short_name}.id"), "user-pw")


def run_notes_without_terminal(client_dir, password, *args, timeout=120):
    """`notes` in client_dir with NOTESD_PASSWORD and stdin on /dev/null; returns (rc, stdout, stderr)."""
    env = {**os.environ, **FAST_KDF_ENV, "NOTESD_PASSWORD": password}
    done = subprocess.run([binary("notes"), "--client-dir", client_dir, *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, env=env, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


def run_notes_on_terminal(client_dir, password, typed, *args, timeout=120):
    """`notes` with stdin on a pseudo-terminal already holding `typed` (its answers); returns the CompletedProcess."""
    controller, terminal = pty.openpty()
    try:
        os.write(controller, typed)
        env = {**os.environ, **FAST_KDF_ENV, "NOTESD_PASSWORD": password}
        return subprocess.run([binary("notes"), "--client-dir", client_dir, *args], stdin=terminal,
                              capture_output=True, text=True, env=env, timeout=timeout)
    finally:
        os.close(terminal)
        os.close(controller)


class Client:
    """The `notes` client with its own client directory (id_path: the ID it is set up with, when known)."""

    def __init__(self, client_dir, password=None, id_path=None):
        self.client_dir = client_dir
        self.password = password
        self.id_path = id_path

    def run(self, *args, password=None, env=None, timeout=60, input=None):
        """`notes ARGS`; `input`, when given, is written to its standard input (a pipe)."""
        full_env = {**os.environ, **FAST_KDF_ENV, **(env or {})}
        pw = password if password is not None else self.password
        if pw is not None:
            full_env["NOTESD_PASSWORD"] = pw
        done = subprocess.run([binary("notes"), "--client-dir", self.client_dir, *args], input=input,
                              capture_output=True, text=True, env=full_env, timeout=timeout)
        return done.returncode, done.stdout, done.stderr
