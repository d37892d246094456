"""Real ``dvidpy`` processes for tests: the command line, and ``dvidpy serve`` on a free port.

:class:`Served` starts ``python -m dvidpy serve ... --port 0``, learns the port from the banner
(which comes only once the socket is bound), and waits until the server answers.
"""

from __future__ import annotations

import atexit
import http.client
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k not in ("DVIDPY_BLOCK_PLUGINS", "DVID_ADMIN_TOKEN")}
BANNER = re.compile(r"serving http://(?P<host>[^ ]+):(?P<port>\d+)/")
#: Every server started, so none outlives the test run even when a test fails before stop().
_STARTED: list[subprocess.Popen] = []


@atexit.register
def _kill_leftovers() -> None:
    for proc in _STARTED:
        if proc.poll() is None:
            proc.kill()


def cli(*args: str, env: dict | None = None, cwd: Path = ROOT, timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m dvidpy ARGS`` to completion."""
    return subprocess.run([sys.executable, "-m", "dvidpy", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env or ENV)


def http_request(port: int, method: str, path: str, body: bytes | None = None,
                 headers: dict | None = None, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


class Served:
    """``dvidpy serve ARGS`` in a subprocess, started and waited for until it answers."""

    def __init__(self, cwd: Path, *args: str, env: dict | None = None, timeout: float = 60,
                 free_port: bool = True) -> None:
        if free_port and "--port" not in args:
            args = (*args, "--port", "0")
        self.log_path = cwd / f"serve-{time.monotonic_ns()}.log"
        self.log = self.log_path.open("w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "dvidpy", "serve", *args], cwd=cwd, env=env or ENV,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True, bufsize=1)
        _STARTED.append(self.proc)
        self.stdout_lines: list[str] = []
        self.port = self._wait_for_banner(timeout)
        self._wait_until_answering(timeout)

    def _wait_for_banner(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                line = self.proc.stdout.readline()
                if line:
                    self.stdout_lines.append(line.rstrip("\n"))
                    found = BANNER.search(line)
                    if found:
                        return int(found["port"])
                    continue
            if self.proc.poll() is not None:
                break
        self.proc.kill()
        raise AssertionError(f"server did not start: {self.stderr()}")

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if http_request(self.port, "GET", "/api/server/info", timeout=5)[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        self.proc.kill()
        raise AssertionError(f"server did not answer: {self.stderr()}")

    @property
    def banner(self) -> str:
        return next(line for line in self.stdout_lines if BANNER.search(line))

    def stderr(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text()

    def request(self, method: str, path: str, body: bytes | None = None, **kw) -> tuple[int, bytes]:
        return http_request(self.port, method, path, body, **kw)

    def json(self, method: str, path: str, body: bytes | None = None):
        status, data = self.request(method, path, body)
        assert status == 200, (method, path, status, data)
        return json.loads(data)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> tuple[int, str]:
        """Signal the server and wait; returns its exit code and everything it printed."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, _ = self.proc.communicate(timeout=timeout)
        self.log.close()
        return self.proc.returncode, "".join(line + "\n" for line in self.stdout_lines) + out

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.log.close()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.kill()
