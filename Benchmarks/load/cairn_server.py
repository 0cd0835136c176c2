"""Start and stop a Cairn server for load scripts (fresh data dir, free port, stopped by its own PID)."""
import os
import re
import signal
import subprocess
import tempfile
import time


class CairnServer:
    def __init__(self, binary, data_dir=None, extra_args=()):
        self.binary = binary
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="cairn-bench-")
        self.extra_args = list(extra_args)
        self.proc = None
        self.endpoint = None

    def start(self, timeout=60):
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", self.data_dir,
             "--log-level", "warning", *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("cairn exited before listening")
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                self.endpoint = m.group(1)
                return self
        raise RuntimeError("cairn did not start in time")

    def credentials(self):
        key = secret = None
        with open(os.path.join(self.data_dir, "credentials")) as f:
            for line in f:
                if line.startswith("aws_access_key_id"):
                    key = line.split("=", 1)[1].strip()
                if line.startswith("aws_secret_access_key"):
                    secret = line.split("=", 1)[1].strip()
        return key, secret

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
