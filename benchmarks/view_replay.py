"""The neuroglancer-view replay row: a captured view's chunk URLs from 8 client processes.

The same chunks (``data/ng_view_chunks.json``: image chunks as JPEG, segmentation chunks as
gzipped compressed_segmentation) go to dvidpy with 2 and 1 worker processes (and 2 with the
chunk cache off, which a first view meets: the answers are checked before timing, which fills
the others' caches with the image chunks; and 2 with the image stored as JPEG blocks, as README
advises, whose image chunks neuroglancer asks as ``subvolblocks``) and, as the
precomputed file of each chunk, to Python's static file server (``precomputed.StaticServer``,
as ``python -m http.server`` and with keep-alive), in rounds that take each server in turn; the
row reports the median chunks/s of each, the ratio to ``python -m http.server`` (issue 17's
target: dvidpy >= 1.0 with the machine's workers) and the server's CPU time per chunk (all its
processes and threads), which is what a browser on the same machine competes with.
Before timing, a sample of each server's answers is decoded and checked: labels exact against
the volume, images within JPEG's error.
"""

from __future__ import annotations

import gzip
import http.client
import io
import multiprocessing
import shutil
import statistics
import time
from pathlib import Path

import compressed_segmentation
import numpy as np

from dvidpy.benchmarks import neuroglancer_view as view
from dvidpy.benchmarks.servers import Process, dvidpy_server

CLIENTS = 8
STATIC = "static files (http.server)"
JPEG_BLOCKS = "dvidpy, 2 workers, image as JPEG blocks"
JPEG_MEAN_ERROR = 6.0  # mean |decoded - source| of a q80 JPEG chunk of this data is about 2-4


def _replay(port: int, paths: list[str], seconds: float, first: int, start: float) -> int:
    """One client process: keep-alive GETs of ``paths`` in turn (from ``first``) until time is up."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.time() < start:
        time.sleep(0.001)
    done, deadline = 0, start + seconds
    while time.time() < deadline:
        conn.request("GET", paths[(first + done) % len(paths)])
        response = conn.getresponse()
        body = response.read()
        if response.status != 200 or not body:
            raise RuntimeError(f"chunk GET {paths[(first + done) % len(paths)]} answered {response.status}, {len(body)} bytes")
        done += 1
    conn.close()
    return done


def throughput(port: int, paths: list[str], seconds: float, clients: int = CLIENTS) -> float:
    """Chunks per second answered to ``clients`` processes replaying ``paths`` together."""
    ctx = multiprocessing.get_context("fork")
    start = time.time() + 0.5
    with ctx.Pool(clients) as pool:
        jobs = [(port, paths, seconds, i * len(paths) // clients, start) for i in range(clients)]
        counts = pool.starmap(_replay, jobs)
    return sum(counts) / seconds


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def decode_chunk(chunk: view.Chunk, body: bytes, gzipped: bool, block_record: bool = False) -> np.ndarray:
    """A chunk's answer as the (z, y, x) array it holds: JPEG (x across, y then z down; after
    its 16-byte block header when ``block_record``, as ``subvolblocks`` sends one block) or
    compressed_segmentation (gunzipped first when ``gzipped``)."""
    nx, ny, nz = chunk.size_xyz
    if chunk.name == view.IMAGE:
        from PIL import Image

        if block_record:
            body = body[16:]
        return np.asarray(Image.open(io.BytesIO(body)).convert("L")).reshape(nz, ny, nx)
    raw = gzip.decompress(body) if gzipped else body
    labels = compressed_segmentation.decompress(raw, (nx, ny, nz), np.uint64, (8, 8, 8), order="F")
    return np.asarray(labels).reshape(nx, ny, nz).transpose(2, 1, 0)


def check_answers(port: int, paths: list[str], chunks: list[view.Chunk], volumes: dict[str, np.ndarray],
                  gzipped: bool, sample: int = 8, block_records: bool = False) -> None:
    """Every path answers 200 with a body; ``sample`` chunks of each layer decode to the volume."""
    extent = volumes[view.IMAGE].shape[::-1]
    checked = {view.IMAGE: 0, view.SEGMENTATION: 0}
    for path, chunk in zip(paths, chunks):
        status, body = _get(port, path)
        if status != 200 or not body:
            raise AssertionError(f"GET {path} answered {status} with {len(body)} bytes")
        if checked[chunk.name] >= sample:
            continue
        checked[chunk.name] += 1
        got, expected = decode_chunk(chunk, body, gzipped, block_records), volumes[chunk.name][chunk.box(extent)]
        if chunk.name == view.SEGMENTATION and not np.array_equal(got, expected):
            raise AssertionError(f"GET {path}: labels differ from the volume")
        error = np.abs(got.astype(np.float32) - expected).mean() if got.shape == expected.shape else np.inf
        if chunk.name == view.IMAGE and error > JPEG_MEAN_ERROR:
            raise AssertionError(f"GET {path}: image differs from the volume by {error:.1f} on average")


class ViewServers:
    """dvidpy with 1 and 2 workers (each on its own copy of one store) and the static server,
    as ``python -m http.server`` (the reference) and with keep-alive."""

    def __init__(self, tmp: Path, size: int) -> None:
        self.chunks = view.view_chunks(size)
        self.volumes, uuid, store, folder = view.prepare(tmp, size)
        shutil.copytree(store, tmp / "ngview-store-copy")
        shutil.copytree(store, tmp / "ngview-store-uncached")
        shutil.copytree(store, tmp / "ngview-store-jpeg")
        self.dvid_paths = [f"/api/node/{uuid}/{c.path}" for c in self.chunks]
        self.jpeg_paths = [f"/api/node/{uuid}/{c.jpeg_blocks_path()}" for c in self.chunks]
        extent = self.volumes[view.IMAGE].shape[::-1]
        self.static_paths = [c.precomputed_path(extent) for c in self.chunks]
        self.servers: dict[str, Process] = {}
        self.servers["dvidpy, 2 workers"] = dvidpy_server(store, workers=2)
        self.servers["dvidpy, 1 worker"] = dvidpy_server(tmp / "ngview-store-copy", workers=1)
        # the answers are checked before timing, which fills a chunk cache: this one has none,
        # so every image chunk is a JPEG encoded for the request (a first view's case)
        self.servers["dvidpy, 2 workers, chunk cache off"] = dvidpy_server(tmp / "ngview-store-uncached", workers=2,
                                                                           chunk_cache=False)
        self.servers[JPEG_BLOCKS] = dvidpy_server(tmp / "ngview-store-jpeg", workers=2, chunk_cache=False)
        static = ["-m", "dvidpy.benchmarks.precomputed", str(folder)]
        self.servers[STATIC] = Process(static, "/")
        self.servers[f"{STATIC}, keep-alive"] = Process([*static, "--keep-alive"], "/")

    def paths(self, label: str) -> list[str]:
        if label == JPEG_BLOCKS:
            return self.jpeg_paths
        return self.static_paths if label.startswith(STATIC) else self.dvid_paths

    def check(self) -> None:
        for label, server in self.servers.items():
            check_answers(server.port, self.paths(label), self.chunks, self.volumes, gzipped=not label.startswith(STATIC),
                          block_records=label == JPEG_BLOCKS)

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


def rows(tmp: Path, size: int, quick: bool) -> list[dict]:
    """The replay row (one per server, and the ratios), in rounds over the three servers."""
    seconds, rounds = (0.5, 1) if quick else (3.0, 3)
    servers = ViewServers(tmp, size)
    rates: dict[str, list[float]] = {label: [] for label in servers.servers}
    cpu: dict[str, list[float]] = {label: [] for label in servers.servers}
    try:
        servers.check()
        for _ in range(rounds):
            for label, server in servers.servers.items():
                used = server.cpu_seconds()
                rates[label].append(throughput(server.port, servers.paths(label), seconds))
                cpu[label].append((server.cpu_seconds() - used) / (rates[label][-1] * seconds))
    finally:
        servers.stop()
    static = statistics.median(rates[STATIC])
    out = []
    for label, values in rates.items():
        rate = statistics.median(values)
        cpu_us = statistics.median(cpu[label]) * 1e6
        out.append({"name": f"neuroglancer view replay ({len(servers.chunks)} chunks, {CLIENTS} client processes), {label}",
                    "chunks_per_s": round(rate), "x_static": round(rate / static, 3), "rounds": [round(v) for v in values],
                    "server_cpu_us_per_chunk": round(cpu_us)})
        print(f"  {out[-1]['name']}: {rate:.0f} chunks/s ({rate / static:.2f}x the static server), "
              f"server CPU {cpu_us:.0f} us a chunk", flush=True)
    return out
