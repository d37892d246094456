"""A server-wide cap on concurrent heavy operations that clients opt into with ``throttle=on``.

Requests without the flag are never refused. A throttled request that finds every slot taken is
answered 503 at once (clients such as libdvid retry).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dvidpy.errors import unavailable


class Throttle:
    def __init__(self, max_ops: int = 1) -> None:
        self.max_ops = max_ops
        self._running = 0
        self._lock = threading.Lock()

    @property
    def running(self) -> int:
        return self._running

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the duration of the block, or raise a 503 if none is free."""
        with self._lock:
            if self._running >= self.max_ops:
                raise unavailable(
                    f"Server already running {self._running} throttled operations (max = {self.max_ops})"
                )
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
