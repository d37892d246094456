"""The labels batch rows (``GET .../labels`` with a JSON list of points), measured cold.

No answer here comes from a warm cache. The server keeps no decoded blocks between requests
(each request decodes what its points need and drops it), and every round asks for fresh
random points, so no answer can be reused either. One row goes further and starts a fresh
server process for every round, so that not even the operating system's view of the store in
that process (its mapped pages) has been touched by an earlier query of this volume: each is
warmed first by one point query on another instance, so that imports and thread pools are
not what it measures.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import numpy as np

from dvidpy.benchmarks.servers import Process
from dvidpy.benchmarks.timing import Stopwatch, Timing, measured_row

FRESH_POINTS = "fresh points each round; the server keeps no decoded blocks"
FRESH_SERVER = "a fresh server process each round, warmed on another instance only"


class LabelPoints:
    """Point sets over ``labels`` (z, y, x) and the checks of their answers."""

    def __init__(self, labels: np.ndarray, node: str, runs: int) -> None:
        self.labels, self.node, self.runs = labels, node, runs
        self.size = labels.shape[0]

    def batch(self, count: int, seed: int, region: int | None = None) -> tuple[bytes, list[int]]:
        """``count`` random (x, y, z) points over the volume, or within a ``region``^3 cube at its
        centre (how synapse lookups cluster); the JSON body and the labels expected."""
        rng = np.random.default_rng(seed)
        if region is None:
            points = rng.integers(0, self.size, (count, 3))
        else:
            low = (self.size - region) // 2 // 32 * 32
            points = rng.integers(low, low + region, (count, 3))
        return json.dumps(points.tolist()).encode(), self.labels[points[:, 2], points[:, 1], points[:, 0]].tolist()

    def _timed_query(self, client: Stopwatch, body: bytes, expected: list[int]) -> float:
        t0 = time.perf_counter()
        reply = client.get(f"{self.node}/labels/labels", body)
        seconds = time.perf_counter() - t0
        if json.loads(reply) != expected:
            raise AssertionError("labels batch returned wrong labels")
        return seconds

    def fresh_points(self, client: Stopwatch, count: int, region: int | None = None) -> dict:
        """One warm-up round and ``runs`` timed ones on the running server, new points each."""
        seconds = []
        for i in range(self.runs + 1):
            body, expected = self.batch(count, seed=count * 1000 + i, region=region)
            seconds.append(self._timed_query(client, body, expected))
        where = "" if region is None else f" in a {region}^3 region"
        return _row(f"labels batch {count} points{where}, fresh points each round", count, seconds[1:], FRESH_POINTS)

    def fresh_servers(self, start_server: Callable[[], Process], count: int) -> dict:
        """``runs`` rounds, each on a server process started for it and stopped after it."""
        warm = json.dumps([[0, 0, 0]]).encode()
        seconds = []
        for i in range(self.runs):
            body, expected = self.batch(count, seed=count * 2000 + i)
            server = start_server()
            client = Stopwatch(server.port)
            try:
                if json.loads(client.get(f"{self.node}/warm/labels", warm)) != [1]:
                    raise AssertionError("the warm-up point query returned the wrong label")
                seconds.append(self._timed_query(client, body, expected))
            finally:
                client.close()
                server.stop()
        return _row(f"labels batch {count} points, fresh server process each round", count, seconds, FRESH_SERVER)


def _row(name: str, count: int, seconds: list[float], cold: str) -> dict:
    timing = Timing(seconds)
    row = measured_row(name, count * 8, timing)
    row["points_per_s"] = round(count / timing.median)
    row["cold"] = cold
    print(f"  {name}: {timing.median * 1000:.1f} ms", flush=True)
    return row
