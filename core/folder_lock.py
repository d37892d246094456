"""One server per data folder: an exclusive lock file held for the life of the server.

DVID's embedded stores refuse a second opener; two dvidpy servers on one LMDB folder would each
keep their own in-memory view and overwrite each other's metadata. The lock is ``flock`` on
``<data>/dvidpy.lock``, which holds the owner's pid and address for the second server's error
message. The kernel drops the lock when the process ends, however it ends (``kill -9``
included), so a stale file never blocks a restart.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "dvidpy.lock"
#: Held shared by every worker process for its whole life.
WORKERS_LOCK_NAME = "dvidpy.workers.lock"
_held: list[int] = []


class FolderBusy(Exception):
    """Another server holds the folder."""

    def __init__(self, folder: Path, owner: str) -> None:
        super().__init__(f"data folder {folder} is in use by another dvidpy server ({owner}); "
                         "stop it, or give this server another --data folder")
        self.folder = folder
        self.owner = owner


class FolderLock:
    """The exclusive lock on one data folder; :meth:`release` (or process exit) frees it."""

    def __init__(self, folder: Path, fd: int) -> None:
        self.folder = folder
        self._fd = fd

    @classmethod
    def take(cls, folder: Path, *, address: str = "") -> FolderLock:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 512, 0).decode(errors="replace").strip() or "pid unknown"
            os.close(fd)
            raise FolderBusy(folder, owner) from None
        if not _workers_gone(folder):
            os.close(fd)
            raise FolderBusy(folder, "worker processes of an earlier server are still running")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}{', ' + address if address else ''}\n".encode(), 0)
        return cls(folder, fd)

    @staticmethod
    @contextmanager
    def try_take(folder: Path, name: str) -> Iterator[bool]:
        """Hold ``<folder>/<name>`` exclusively for the block if no other process does: yields
        whether this one got it (worker processes use it so only one of them purges)."""
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                got = True
            except BlockingIOError:
                got = False
            yield got
        finally:
            os.close(fd)

    def release(self) -> None:
        if self._fd >= 0:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


def _workers_gone(folder: Path) -> bool:
    fd = os.open(folder / WORKERS_LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def hold_as_worker(folder: Path) -> None:
    """Hold the folder's worker lock shared until this process ends."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / WORKERS_LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    fcntl.flock(fd, fcntl.LOCK_SH)
    _held.append(fd)
