"""The stopwatch: ``timed`` runs of one action, ``interleaved`` rounds of several, and the bare
connection timed requests go over.

The benchmark times the server, so a timed request should cost the client as little as it can:
:class:`Stopwatch` sends each one over a single keep-alive ``http.client`` socket. Everything
else (the repo, the instances, loading the volumes, and the rows that time the client itself)
goes through :mod:`dvidpy.client`. Side by side on the 2-core machine, the client's httpx
transport took 1.6-1.8 times this socket's time for a 64^3 GET, a label point and a 256^3 GET
(docs/performance.md has the numbers): timing the server through it would largely time httpx.
"""

from __future__ import annotations

import http.client
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


class Stopwatch:
    """One keep-alive connection to 127.0.0.1:``port``; every answer must be a 200."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def request(self, method: str, path: str, body: bytes | None = None) -> bytes:
        self.conn.request(method, path, body=body)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path} -> {response.status}: {data[:300]!r}")
        return data

    def get(self, path: str, body: bytes | None = None) -> bytes:
        return self.request("GET", path, body)

    def post(self, path: str, body: bytes) -> bytes:
        return self.request("POST", path, body)

    def close(self) -> None:
        self.conn.close()


@dataclass
class Timing:
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def timed(
    action: Callable[[], object], runs: int, check: Callable[[object], None] | None = None, *, warm_up: bool = True
) -> Timing:
    """Run ``action`` once to warm up (checking its result), then ``runs`` timed times."""
    if warm_up:
        result = action()
        if check is not None:
            check(result)
    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = action()
        seconds.append(time.perf_counter() - t0)
    if check is not None:
        check(result)
    return Timing(seconds)


def interleaved(
    actions: dict[str, Callable[[], object]], runs: int, checks: dict[str, Callable[[object], None]] | None = None
) -> dict[str, Timing]:
    """Run every action once to warm up (checking its result), then ``runs`` rounds, each timing
    every action once in turn (A B C, A B C, ...), so that drift in the machine's load falls on
    all of them alike and their ratios hold even when absolute times do not."""
    checks = checks or {}
    for name, action in actions.items():
        result = action()
        if name in checks:
            checks[name](result)
    seconds: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            t0 = time.perf_counter()
            action()
            seconds[name].append(time.perf_counter() - t0)
    return {name: Timing(times) for name, times in seconds.items()}


def measured_row(name: str, nbytes: int, timing: Timing, **refs: Timing | None) -> dict:
    """One row of the table: the median, its rate, and each reference's median and ratio
    (``x_<ref>`` = the reference's time / this one's: above 1 is faster than the reference)."""
    row = {"name": name, "bytes": nbytes, "ms": round(timing.median * 1000, 3),
           "MBps": round(nbytes / timing.median / 1e6, 1)}
    for ref, t in refs.items():
        if t is not None:
            row[f"{ref}_ms"] = round(t.median * 1000, 3)
            row[f"x_{ref}"] = round(t.median / timing.median, 3)
    return row
