"""A server-wide cap on concurrent heavy operations that clients opt into with ``throttle=on``.

Requests without the flag are never refused. A throttled request that finds every slot taken is
answered 503 at once (clients such as libdvid retry). The cap holds across the server's worker
processes: each slot is an exclusive ``flock`` on ``<folder>/slot-<n>`` (the kernel releases it
when its holder ends, however it ends), and the maximum itself is read through ``max_ops`` from
wherever the server keeps it (the store, so a change through one worker reaches all).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dvidpy.errors import unavailable


class Throttle:
    def __init__(self, folder: Path, max_ops: Callable[[], int]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._max_ops = max_ops
        self._running = 0
        self._lock = threading.Lock()

    @property
    def max_ops(self) -> int:
        return self._max_ops()

    @property
    def running(self) -> int:
        """Throttled operations running in this process."""
        return self._running

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the duration of the block, or raise a 503 if none is free."""
        limit = self.max_ops
        fd = self._take(limit)
        if fd is None:
            raise unavailable(f"Server already running {limit} throttled operations (max = {limit})")
        with self._lock:
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
            os.close(fd)  # closing the descriptor releases its lock

    def _take(self, limit: int) -> int | None:
        for n in range(limit):
            fd = os.open(self.folder / f"slot-{n}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                os.close(fd)
        return None
