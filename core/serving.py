"""``dvidpy serve``: take the data folder, bind the socket, say so truthfully, then serve.

The order matters for what the user is told: the folder lock comes first (a second server on
the same folder stops here, naming the first), then the socket (a busy port is one clear line
and exit code 1), and only then the banner, which names the bound address, the data folder,
the engine and the mode.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from dataclasses import replace

from dvidpy import __version__
from dvidpy.config import Config
from dvidpy import native
from dvidpy.folder_lock import FolderBusy, FolderLock
from dvidpy.storage.engine import StoreUnavailable, engine_spec, open_engine
from dvidpy.worker_process import SUPERVISOR_ENV

#: How the supervisor hands a worker process its configuration and log level.
WORKER_CONFIG_ENV = "DVIDPY_WORKER_CONFIG"
WORKER_LOG_ENV = "DVIDPY_WORKER_LOG_LEVEL"

log = logging.getLogger("dvidpy")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 if the host is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def default_workers() -> int:
    """One worker process per core this process may run on: a request is CPU work under one
    GIL, so a process per core is what uses the machine, and more only cost memory."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def banner(config: Config, sock: socket.socket, workers: int, store: str = "") -> str:
    """The line that says the server is up; ``store`` describes a store outside the data folder."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    mode = ", read-only" if config.read_only else (", writes allowed on committed nodes" if config.full_write else "")
    processes = f", {workers} worker processes" if workers > 1 else ""
    return (f"dvidpy {__version__} serving http://{shown}:{port}/ (data {config.data.resolve()}, "
            f"engine {store or config.engine}{mode}{processes}, hot path {native.PATH})")


def reach_store(config: Config) -> str:
    """Open and close a store that lives outside the data folder (a database): it exists (its
    table is created) before any worker opens it, and a store that cannot be reached stops
    start-up with one line. Returns its description for the banner."""
    engine = open_engine(config.engine, config.data, config.store_options)
    try:
        return engine.describe()
    finally:
        engine.close()


def serve(config: Config, log_level: str = "info") -> int:
    """Take the folder (or reach the database), bind, print the banner, serve until SIGINT or
    SIGTERM; the exit code. Servers on a database share it; each keeps its own data folder
    for its run files."""
    try:
        local = engine_spec(config.engine).local
        lock = FolderLock.take(config.data, address=f"{config.host}:{config.port}") if local else None
        store = "" if local else reach_store(config)
    except (FolderBusy, StoreUnavailable, ValueError) as exc:
        print(f"dvidpy: {exc}", file=sys.stderr)
        return 1
    try:
        try:
            sock = bind(config.host, config.port)
        except OSError as exc:
            print(f"dvidpy: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        config = replace(config, port=sock.getsockname()[1])  # the real port when asked for port 0
        workers = config.workers or default_workers()
        if workers > 1:
            _serve_workers(config, sock, workers, log_level, store)
        else:
            _serve_here(config, sock, store)
        print("dvidpy stopped; store closed", flush=True)
        return 0
    finally:
        if lock is not None:
            lock.release()


def _uvicorn_config(app, **kw):
    import uvicorn

    return uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False, timeout_keep_alive=30, **kw)


def _serve_here(config: Config, sock: socket.socket, store: str) -> None:
    import uvicorn

    from dvidpy.app import create_app

    app = create_app(config)
    print(banner(config, sock, 1, store), flush=True)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal with the
    # handler it found; a no-op one lets the process finish normally (exit 0).
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    uvicorn.Server(_uvicorn_config(app)).run(sockets=[sock])


def _serve_workers(config: Config, sock: socket.socket, workers: int, log_level: str, store: str) -> None:
    """N processes accept on the one socket; uvicorn's supervisor restarts any that dies.

    Each worker builds its own app on the same store (LMDB is made for many processes) from
    the configuration handed over in the environment.
    """
    import inspect

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ[WORKER_CONFIG_ENV] = config.to_json()
    os.environ[WORKER_LOG_ENV] = log_level
    os.environ[SUPERVISOR_ENV] = str(os.getpid())
    uv = _uvicorn_config("dvidpy.app:worker_app", factory=True, workers=workers)
    print(banner(config, sock, workers, store), flush=True)
    if "target" in inspect.signature(Multiprocess).parameters:  # uvicorn before 0.52
        Multiprocess(uv, target=uvicorn.Server(uv).run, sockets=[sock]).run()
    else:
        Multiprocess(uv, sockets=[sock]).run()
