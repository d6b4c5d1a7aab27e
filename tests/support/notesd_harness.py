"""Test harness for notesd: starts the real binaries in temporary data directories and
drives them as a user would (console on stdin, `nserver -c`, later the `notes` CLI).

Hermetic: 127.0.0.1 only, ports chosen at run time, temporary directories removed after.
"""
import os
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
        self.program = binary(program)
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
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        self._close_pipes()


def run_nserver_command(program, data_dir, line, timeout=60):
    # stdin is empty: a command whose password was left out (`tell ca unlock idfile`) would
    # otherwise wait for it on the test runner's stdin.
    done = subprocess.run([program, "--data", data_dir, "-c", line], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


FAST_KDF_ENV = {"NOTESD_ID_KDF": "fast"}  # test-only: cheap scrypt for the many IDs tests make


def setup_server(data_dir, org="Acme", server_name="Acme01", admin="Jane Admin", email=None,
                 admin_password="admin-pw", certifier_password="cert-pw", http_port=None, tasks="HTTP"):
    """`nserver --setup` with loopback-only HTTPS on a free port. Returns the port."""
    port = http_port or free_port()
    args = [binary("nserver"), "--data", data_dir, "--setup", "--org", org, "--server-name", server_name,
            "--admin-name", admin, "--admin-password", admin_password,
            "--certifier-password", certifier_password, "--http-port", str(port),
            "--http-address", "127.0.0.1", "--server-tasks", tasks]
    if email:
        args += ["--admin-email", email]
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **FAST_KDF_ENV})
    if done.returncode != 0:
        raise AssertionError(f"setup failed: {done.stdout}{done.stderr}")
    return port


class Client:
    """The `notes` client with its own client directory."""

    def __init__(self, client_dir, password=None):
        self.client_dir = client_dir
        self.password = password

    def run(self, *args, password=None, env=None, timeout=60):
        full_env = {**os.environ, **FAST_KDF_ENV, **(env or {})}
        pw = password if password is not None else self.password
        if pw is not None:
            full_env["NOTESD_PASSWORD"] = pw
        done = subprocess.run([binary("notes"), "--client-dir", self.client_dir, *args],
                              capture_output=True, text=True, env=full_env, timeout=timeout)
        return done.returncode, done.stdout, done.stderr
