"""Connections to PostgreSQL for the postgres engine: the driver (imported on first use), its
errors as the engine interface names them, DSNs without passwords, and a small pool.

Each process keeps at most ``size`` connections taken by threads that held none; a thread that
already holds one (a read inside a request's own write transaction) may take another past the
limit, so a request never waits for itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from dvidpy.storage.engine import Conflict, StoreUnavailable

_psycopg: Any = None


def driver() -> Any:
    """psycopg, imported on first use: dvidpy without the ``postgres`` extra still runs."""
    global _psycopg
    if _psycopg is None:
        try:
            import psycopg
        except ImportError:
            raise StoreUnavailable("the postgres engine needs psycopg 3: pip install 'dvidpy[postgres]'") from None
        _psycopg = psycopg
    return _psycopg


def safe_dsn(dsn: str) -> str:
    """The connection string without its password (what ``describe()`` and errors show)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        params = conninfo_to_dict(dsn)
    except Exception:  # its message may quote the string, password included
        raise ValueError("the postgres dsn is not a libpq connection string or URL") from None
    params.pop("password", None)
    return make_conninfo(**params) or "libpq defaults"


@contextmanager
def translated() -> Iterator[None]:
    """The driver's errors as the engine interface names them."""
    psycopg = _psycopg
    try:
        yield
    except (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected) as exc:
        raise Conflict(str(exc).strip()) from exc
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(f"the PostgreSQL store is unavailable: {' '.join(str(exc).split())}") from exc


class Pool:
    """Connections of one engine: at most ``size`` taken at once by threads that held none.

    A thread that holds a connection may take more without waiting (a read inside its own
    write transaction), so no request waits for itself.
    """

    def __init__(self, connect: Callable[[], Any], size: int) -> None:
        self._connect = connect
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)
        self._thread = threading.local()
        self._leases: dict[int, tuple[set[int], bool]] = {}  # id(conn): (its thread's set, owns a slot)
        self._closed = False

    def take(self) -> tuple[Any, bool]:
        """A connection, and whether it was used before (so may have died while idle)."""
        mine = self._thread.__dict__.setdefault("held", set())
        slot = not mine
        if slot:
            self._slots.acquire()
        try:
            with self._lock:
                if self._closed:
                    raise StoreUnavailable("the PostgreSQL store is closed")
                conn = self._idle.pop() if self._idle else None
            reused = conn is not None
            conn = conn if reused else self._connect()
        except BaseException:
            if slot:
                self._slots.release()
            raise
        with self._lock:
            self._leases[id(conn)] = (mine, slot)
        mine.add(id(conn))
        return conn, reused

    def give(self, conn: Any) -> None:
        """Take back a connection; one that is broken or still inside a transaction is closed."""
        reusable = not conn.closed and not conn.broken and conn.info.transaction_status == 0  # idle
        with self._lock:
            held, slot = self._leases.pop(id(conn))
            held.discard(id(conn))
            keep = reusable and not self._closed
            if keep:
                self._idle.append(conn)
        if not keep:
            conn.close()
        if slot:
            self._slots.release()

    def drop_idle(self) -> None:
        """Close every idle connection (after one was found dead, the others likely are)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.drop_idle()
