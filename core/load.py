"""Request and byte counters for ``/api/load`` and per-user latencies for ``/api/user-latencies``."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from dvidpy.timefmt import now, rfc3339

_COUNTERS = ("GET requests", "PUT requests", "value bytes read", "value bytes written")


class LoadMonitor:
    """Counts per second; ``rates()`` reports the last complete second, as DVID's monitor does."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._second = int(time.time())
        self._current = dict.fromkeys(_COUNTERS, 0)
        self._last = dict.fromkeys(_COUNTERS, 0)
        self.active = 0

    def _roll(self, second: int) -> None:
        if second != self._second:
            self._last = self._current if second == self._second + 1 else dict.fromkeys(_COUNTERS, 0)
            self._current = dict.fromkeys(_COUNTERS, 0)
            self._second = second

    def count(self, method: str, bytes_in: int, bytes_out: int) -> None:
        with self._lock:
            self._roll(int(time.time()))
            self._current["GET requests" if method in ("GET", "HEAD") else "PUT requests"] += 1
            self._current["value bytes written"] += bytes_in
            self._current["value bytes read"] += bytes_out

    def rates(self) -> dict[str, int]:
        with self._lock:
            self._roll(int(time.time()))
            last = dict(self._last)
        out = {
            "GET requests": last["GET requests"],
            "PUT requests": last["PUT requests"],
            "active CGo writes": 0,
            "file bytes read": 0,
            "file bytes written": 0,
            "goroutines": threading.active_count(),
            "handlers active": self.active,
            "key bytes read": 0,
            "key bytes written": 0,
            "pending log messages": 0,
            "value bytes read": last["value bytes read"],
            "value bytes written": last["value bytes written"],
        }
        return dict(sorted(out.items()))


@dataclass
class Latency:
    user: str
    last_ping: str
    last: int
    min: int
    max: int

    def to_json(self) -> dict:
        return {"User": self.user, "LastPing": self.last_ping, "LastLatency": self.last,
                "MinLatency": self.min, "MaxLatency": self.max}


class Latencies:
    """Per-user request latencies in milliseconds, recorded by the silent routes when ``u=`` is given."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.users: dict[str, Latency] = {}

    def record(self, user: str, millis: int) -> None:
        with self._lock:
            entry = self.users.get(user)
            stamp = rfc3339(now())
            if entry is None:
                self.users[user] = Latency(user, stamp, millis, millis, millis)
            else:
                entry.last_ping, entry.last = stamp, millis
                entry.min, entry.max = min(entry.min, millis), max(entry.max, millis)

    def to_json(self, user: str | None = None) -> dict:
        with self._lock:
            if user is not None:
                entry = self.users.get(user)
                # an unknown user gets Go's zero value, with an empty User
                return entry.to_json() if entry else Latency("", "", 0, 0, 0).to_json()
            return {name: e.to_json() for name, e in sorted(self.users.items())}
