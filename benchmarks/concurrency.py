"""Many clients at once: 64^3 chunk GETs from several client processes, against dvidpy with
1, 2 and 4 worker processes, and 256^3 GET latency under such a background load.

Neuroglancer and proofreading tools always send many chunk requests at once; these rows say
how the server's throughput scales with connections and worker processes on this machine.
Clients are separate processes (no shared GIL with each other), on the same cores as the server.
"""

from __future__ import annotations

import http.client
import multiprocessing
import statistics
import time
from pathlib import Path

import numpy as np

CHUNK = 64


def _chunk_load(port: int, node: str, size: int, seconds: float, seed: int, start: float) -> int:
    """One client process: keep-alive GETs of random aligned 64^3 uint8 chunks until time is up."""
    rng = np.random.default_rng(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    edges = max(1, size // CHUNK)
    while time.time() < start:
        time.sleep(0.001)
    done, deadline = 0, start + seconds
    while time.time() < deadline:
        x, y, z = (int(v) * CHUNK for v in rng.integers(0, edges, 3))
        conn.request("GET", f"{node}/grayscale/raw/0_1_2/{CHUNK}_{CHUNK}_{CHUNK}/{x}_{y}_{z}")
        response = conn.getresponse()
        body = response.read()
        if response.status != 200 or len(body) != CHUNK**3:
            raise RuntimeError(f"chunk GET answered {response.status} with {len(body)} bytes")
        done += 1
    conn.close()
    return done


def chunk_throughput(port: int | list[int], node: str, size: int, clients: int, seconds: float) -> float:
    """Requests per second answered to ``clients`` processes together (spread over the ports
    of several servers in turn, when given a list)."""
    ports = port if isinstance(port, list) else [port]
    ctx = multiprocessing.get_context("fork")
    start = time.time() + 0.5
    with ctx.Pool(clients) as pool:
        jobs = [(ports[i % len(ports)], node, size, seconds, i, start) for i in range(clients)]
        counts = pool.starmap(_chunk_load, jobs)
    return sum(counts) / seconds


def latency_under_load(port: int, node: str, size: int, background: int, runs: int) -> float:
    """Median ms of a 256^3 (or whole-volume) GET while ``background`` processes load chunks."""
    n = min(256, size)
    ctx = multiprocessing.get_context("fork")
    seconds = 2.0 + runs * 0.5
    start = time.time() + 0.5
    with ctx.Pool(background) as pool:
        pending = pool.starmap_async(_chunk_load, [(port, node, size, seconds, 100 + i, start) for i in range(background)])
        while time.time() < start + 0.3:
            time.sleep(0.01)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            conn.request("GET", f"{node}/grayscale/raw/0_1_2/{n}_{n}_{n}/0_0_0")
            response = conn.getresponse()
            body = response.read()
            times.append(time.perf_counter() - t0)
            if response.status != 200 or len(body) != n**3:
                raise RuntimeError("256^3 GET under load failed")
        conn.close()
        pending.get()
    return statistics.median(times) * 1000


def rows(start_server, data: Path, node: str, size: int, runs: int, quick: bool) -> list[dict]:
    """Every row: ``start_server(data, workers)`` gives a running server on the ingested data."""
    seconds = 0.5 if quick else 3.0
    out = []
    for workers in (1, 2, 4):
        server = start_server(data, workers)
        try:
            for clients in (1, 8):
                rate = chunk_throughput(server.port, node, size, clients, seconds)
                out.append({"name": f"64^3 chunk GETs, {clients} client processes, {workers} workers",
                            "requests_per_s": round(rate), "workers": workers, "clients": clients})
                print(f"  {out[-1]['name']}: {rate:.0f} req/s", flush=True)
            if workers <= 2:
                ms = latency_under_load(server.port, node, size, 4, max(3, runs))
                out.append({"name": f"GET {min(256, size)}^3 under a 4-client chunk load, {workers} workers",
                            "ms_under_load": round(ms, 2), "workers": workers})
                print(f"  {out[-1]['name']}: {ms:.1f} ms", flush=True)
        finally:
            server.stop()
    return out
