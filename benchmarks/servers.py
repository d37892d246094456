"""Processes under test: ``dvidpy serve`` and the trivial endpoint, each in its own process."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A server subprocess on 127.0.0.1 and a free port, waited for until it answers."""

    def __init__(self, args: list[str], probe: str) -> None:
        self.port = free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(
            [sys.executable, *args, "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self._wait(probe)

    def _wait(self, probe: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", probe)
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def rss_bytes(self) -> int:
        return _status_kib(self.proc.pid, "VmRSS") * 1024

    def reset_peak(self) -> bool:
        """Reset the peak RSS counter (Linux); False where that is not possible."""
        try:
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def peak_bytes(self) -> int:
        return _status_kib(self.proc.pid, "VmHWM") * 1024

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its worker processes, user and kernel, every
        thread including those that have ended (a thread-per-connection server's are gone by
        the time it is asked): /proc/<pid>/stat, in clock ticks."""
        return sum(_cpu_ticks(pid) for pid in _process_tree(self.proc.pid)) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in children.read_text().split()]
            except OSError:
                continue
    return found


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat(5))


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def dvidpy_server(data: Path, *, sync: bool = True, workers: int = 1, chunk_cache: bool = True) -> Process:
    """``dvidpy serve`` on ``data``; ``sync=False`` is the ingest mode (``[store] sync = false``),
    ``chunk_cache=False`` a server that encodes every chunk (``[server] chunk_cache_mb = 0``).

    One worker process by default, so that per-request times and the peak memory of the
    process are the same measurement on every machine; the concurrency rows vary it.
    """
    args = ["-m", "dvidpy", "serve", "--data", str(data), "--log-level", "warning", "--workers", str(workers)]
    settings = ("" if sync else "[store]\nsync = false\n") + ("" if chunk_cache else "[server]\nchunk_cache_mb = 0\n")
    if settings:
        data.mkdir(parents=True, exist_ok=True)
        config = data.parent / f"{data.name}-settings.toml"
        config.write_text(settings)
        args += ["--config", str(config)]
    return Process(args, "/api/server/info")


def postgres_server(data: Path, dsn: str, table: str, *, workers: int = 1) -> Process:
    """``dvidpy serve`` on a PostgreSQL table (its data folder holds only its run files)."""
    data.mkdir(parents=True, exist_ok=True)
    config = data / "postgres.toml"
    config.write_text(f'[store]\nengine = "postgres"\ndsn = "{dsn}"\ntable = "{table}"\n')
    return Process(["-m", "dvidpy", "serve", "--data", str(data), "--config", str(config), "--log-level", "warning",
                    "--workers", str(workers)], "/api/server/info")


def trivial_server() -> Process:
    """The limit's server, with the uvicorn options ``dvidpy serve`` uses (core/serving.py)."""
    return Process(
        ["-m", "uvicorn", "dvidpy.benchmarks.trivial_app:app", "--host", "127.0.0.1", "--log-level", "warning",
         "--lifespan", "on", "--no-access-log", "--timeout-keep-alive", "30"],
        "/bytes/1",
    )


def hot_path(port: int) -> str:
    """Which hot path the server on ``port`` runs ("compiled" or "fallback"), from its
    ``GET /api/server/info``; "unknown" from a server that does not say."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/api/server/info")
        info = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    return str(info.get("Hot path", "unknown"))
