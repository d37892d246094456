"""A throw-away PostgreSQL cluster on 127.0.0.1 for the benchmark and the tests.

``Cluster.start()`` runs ``initdb`` into a temporary folder and starts the server on a free port
with its socket in that folder; ``stop()`` stops it and removes the folder. initdb and the
server refuse to run as root, so as root both run as the ``postgres`` user (``runuser``), who
then owns the folder. The binaries come from ``DVIDPY_PG_BIN``, else the newest
``/usr/lib/postgresql/<version>/bin`` (Debian's packages), else ``PATH``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BIN_ENV = "DVIDPY_PG_BIN"


class Unavailable(Exception):
    """No PostgreSQL server can be started here (and why)."""


def find_bin() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``."""
    given = os.environ.get(BIN_ENV)
    if given:
        if not (Path(given) / "initdb").exists():
            raise Unavailable(f"{BIN_ENV}={given} holds no initdb")
        return Path(given)
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: _version(p.parent.parent.name))
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise Unavailable("PostgreSQL's initdb is not installed (apt-get install postgresql, or set DVIDPY_PG_BIN)")


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A running throw-away cluster: ``dsn`` connects to its ``postgres`` database."""

    def __init__(self, root: Path, bin_dir: Path, port: int) -> None:
        self.root = root
        self.bin_dir = bin_dir
        self.port = port
        self.dsn = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"

    @classmethod
    def start(cls, *, durable: bool = True, max_connections: int = 200) -> Cluster:
        """initdb and start. ``durable=False`` turns fsync off: the data of a test run need not
        survive a crash of the machine, and the tests then spend their time on dvidpy."""
        bin_dir = find_bin()
        root = Path(tempfile.mkdtemp(prefix="dvidpy-pg-"))
        try:
            _give_to_postgres(root)
            _run(bin_dir, "initdb", "-D", str(root / "data"), "-A", "trust", "-U", "postgres", "--no-sync",
                 "-E", "UTF8", "--locale", "C")
            settings = [f"-c max_connections={max_connections}", "-c listen_addresses=127.0.0.1", f"-k {root}"]
            if not durable:
                settings += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
            for _ in range(3):  # another process may take the free port first
                port = _free_port()
                done = _run(bin_dir, "pg_ctl", "-D", str(root / "data"), "-l", str(root / "server.log"), "-w",
                            "-t", "60", "-o", " ".join([*settings, f"-p {port}"]), "start", check=False)
                if done.returncode == 0:
                    return cls(root, bin_dir, port)
            log = (root / "server.log").read_text(errors="replace")[-2000:] if (root / "server.log").exists() else ""
            raise Unavailable(f"the PostgreSQL server did not start: {done.stderr.strip()} {log}")
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise

    def stop(self) -> None:
        _run(self.bin_dir, "pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _give_to_postgres(root: Path) -> None:
    """As root, the folder must belong to the ``postgres`` user the server will run as."""
    if os.geteuid() != 0:
        return
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root, but there is no postgres user to run the server as") from None
    os.chown(root, user.pw_uid, user.pw_gid)


def _run(bin_dir: Path, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    command = [str(bin_dir / program), *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120, cwd="/")
    if check and done.returncode != 0:
        raise Unavailable(f"{program} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done
