"""The postgres engine's rows beside LMDB's: a 256^3 GET and a 512x512x64 POST through one
server, and 64^3 chunk GETs from 8 client processes spread over 2 servers on one database.

The database is a throw-away cluster with PostgreSQL's durable defaults (fsync on), started for
the run on the same machine (dvidpy.benchmarks.postgres_cluster), or the server named by
``DVIDPY_BENCH_PG_DSN``. Every answer is checked against the source volume.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from dvidpy.benchmarks import concurrency
from dvidpy.benchmarks.postgres_cluster import Cluster, Unavailable
from dvidpy.benchmarks.servers import postgres_server
from dvidpy.benchmarks.timing import Stopwatch, timed

DSN_ENV = "DVIDPY_BENCH_PG_DSN"
SLAB = 64
PREFIX = "postgres: "


def available() -> str:
    """Why the rows cannot run here ("" if they can)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'dvidpy[bench]')"
    if os.environ.get(DSN_ENV):
        return ""
    try:
        from dvidpy.benchmarks.postgres_cluster import find_bin

        find_bin()
    except Unavailable as exc:
        return str(exc)
    return ""


def rows(tmp: Path, gray: np.ndarray, runs: int, quick: bool) -> list[dict]:
    cluster = None if os.environ.get(DSN_ENV) else Cluster.start(durable=True)
    dsn = os.environ.get(DSN_ENV) or cluster.dsn
    try:
        return _measure(tmp, dsn, gray, runs, quick)
    finally:
        if cluster is not None:
            cluster.stop()


def _measure(tmp: Path, dsn: str, gray: np.ndarray, runs: int, quick: bool) -> list[dict]:
    size = gray.shape[0]
    table = f"bench_{os.getpid()}"
    out: list[dict] = []
    first = postgres_server(tmp / "pg-a", dsn, table)
    second = None
    client = Stopwatch(first.port)
    try:
        root = json.loads(client.post("/api/repos", b'{"alias": "bench"}'))["root"]
        node = f"/api/node/{root}"
        client.post(f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "grayscale"}')
        for z in range(0, size, SLAB):
            slab = gray[z : z + SLAB]
            client.post(f"{node}/grayscale/raw/0_1_2/{size}_{size}_{slab.shape[0]}/0_0_{z}", slab.tobytes())
        slab = gray[:SLAB].tobytes()
        url = f"{node}/grayscale/raw/0_1_2/{size}_{size}_{SLAB}/0_0_0"
        out.append(_row(f"{PREFIX}POST uint8 {size}x{size}x{SLAB}", len(slab),
                        timed(lambda: client.post(url, slab), runs)))
        n = min(256, size)
        expected = gray[:n, :n, :n].tobytes()

        def check(body: bytes) -> None:
            if body != expected:
                raise AssertionError("GET through the postgres engine returned wrong data")

        url = f"{node}/grayscale/raw/0_1_2/{n}_{n}_{n}/0_0_0"
        out.append(_row(f"{PREFIX}GET grayscale {n}x{n}x{n} raw", len(expected), timed(lambda: client.get(url), runs, check)))
        second = postgres_server(tmp / "pg-b", dsn, table)
        seconds = 0.5 if quick else 3.0
        rate = concurrency.chunk_throughput([first.port, second.port], node, size, 8, seconds)
        out.append({"name": f"{PREFIX}64^3 chunk GETs, 8 client processes, 2 servers", "requests_per_s": round(rate),
                    "servers": 2, "clients": 8})
        print(f"  {out[-1]['name']}: {rate:.0f} req/s", flush=True)
    finally:
        client.close()
        for server in (first, second):
            if server is not None:
                server.stop()
    return out


def _row(name: str, nbytes: int, timing) -> dict:
    ms = timing.median * 1000
    print(f"  {name}: {ms:.1f} ms", flush=True)
    return {"name": name, "bytes": nbytes, "ms": round(ms, 3), "MBps": round(nbytes / timing.median / 1e6, 1)}
