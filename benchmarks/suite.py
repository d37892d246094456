"""What the benchmark measures, and the checks that every measured answer is right."""

from __future__ import annotations

import json
from pathlib import Path

import lz4.block
import numpy as np

from dvidpy.benchmarks import concurrency, postgres_rows, view_replay
from dvidpy.benchmarks.label_points import LabelPoints
from dvidpy.benchmarks.peer import ZarrPeer, available
from dvidpy.benchmarks.servers import dvidpy_server, hot_path, trivial_server
from dvidpy.benchmarks.timing import Stopwatch, interleaved, measured_row, timed
from dvidpy.benchmarks.volumes import em_like, grayscale, labels, lz4_ratio
from dvidpy.client import Box, Client

SLAB = 64
UINT8 = {"grayscale": "grayscale", "em": "em-like"}
"""The uint8 instances the GET and POST rows run on, and the name each row gives its volume:
the incompressible grayscale and the EM-like one (LZ4 ratio ~1.2, as real EM)."""


class Suite:
    def __init__(self, tmp: Path, size: int, runs: int, quick: bool = False, postgres: bool = True) -> None:
        self.size, self.runs, self.tmp, self.quick, self.with_postgres = size, runs, tmp, quick, postgres
        print(f"generating {size}^3 grayscale, EM-like and label volumes ...", flush=True)
        self.gray, self.em, self.labels = grayscale(size), em_like(size), labels(size)
        self.data = {"grayscale": self.gray, "em": self.em, "labels": self.labels}
        self.volume_facts = {name: {"lz4_ratio": round(lz4_ratio(self.data[name]), 3)} for name in UINT8}
        self.dvid = dvidpy_server(tmp / "data")
        self.hot_path = hot_path(self.dvid.port)
        print(f"server hot path: {self.hot_path}", flush=True)
        self.trivial = trivial_server()
        self.client = Stopwatch(self.dvid.port)
        self.limit = Stopwatch(self.trivial.port)
        self.peers = {}
        if available():
            print("writing the zarr copies for TensorStore ...", flush=True)
            self.peers = {name: ZarrPeer(tmp / "zarr", name, volume) for name, volume in self.data.items()}
        self.results: list[dict] = []

    def close(self) -> None:
        self.client.close()
        self.limit.close()
        self.dvid.stop()
        self.trivial.stop()

    # -- plan ------------------------------------------------------------------------------------

    def run(self) -> list[dict]:
        with Client(f"127.0.0.1:{self.dvid.port}") as client:
            node = client.new_repo("bench").root
            kinds = (("uint8blk", "grayscale"), ("uint8blk", "em"), ("labelblk", "labels"), ("labelblk", "warm"))
            self.volumes = {name: node.new_instance(typename, name) for typename, name in kinds}
            self.node = f"/{node.path}"
            self.ingest()
            self.client_rows()
        for name in UINT8:
            for n in self.cube_sizes():
                self.subvolume(name, (n, n, n))
            self.subvolume(name, self.wide())
        for n in self.cube_sizes():
            self.subvolume("labels", (n, n, n))
            self.subvolume("labels", (n, n, n), lz4_transfer=True)
        self.subvolume("labels", self.wide(), lz4_transfer=True)
        for plane in ("xy", "xz", "yz"):
            self.slice_png(plane)
        self.label_points()
        self.memory("grayscale", self.gray, self.wide())
        self.memory("labels", self.labels, self.wide())
        self.concurrency()
        self.neuroglancer_view()
        self.postgres()
        return self.results

    def neuroglancer_view(self) -> None:
        """The captured neuroglancer view's chunks against dvidpy and static precomputed files."""
        if not available():
            print("neuroglancer view replay skipped: TensorStore (writes the precomputed files) is not installed")
            return
        print("neuroglancer view replay (its own volumes, dvidpy and precomputed files) ...", flush=True)
        self.results += view_replay.rows(self.tmp, self.size, self.quick)

    def postgres(self) -> None:
        """The postgres engine's rows, where a PostgreSQL server can be had."""
        why = "--no-postgres" if not self.with_postgres else postgres_rows.available()
        if why:
            print(f"postgres rows skipped: {why}", flush=True)
            return
        print("postgres engine (a throw-away cluster, fsync on) ...", flush=True)
        self.results += postgres_rows.rows(self.tmp, self.gray, self.runs, self.quick)

    def concurrency(self) -> None:
        """The scaling rows, on the same data, with servers of 1, 2 and 4 worker processes."""
        self.client.close()
        self.dvid.stop()
        self.results += concurrency.rows(lambda data, workers: dvidpy_server(data, workers=workers),
                                         self.tmp / "data", self.node, self.size, self.runs, self.quick)
        self.dvid = dvidpy_server(self.tmp / "data")
        self.client = Stopwatch(self.dvid.port)

    def cube_sizes(self) -> list[int]:
        return sorted({min(64, self.size), min(256, self.size)})

    def wide(self) -> tuple[int, int, int]:
        return (self.size, self.size, max(32, self.size // 4))

    def offset(self, shape_xyz) -> tuple[int, int, int]:
        return tuple(((self.size - n) // 2) // 32 * 32 for n in shape_xyz)  # type: ignore[return-value]

    def record(self, name: str, nbytes: int, timing, **refs) -> None:
        self.results.append(measured_row(name, nbytes, timing, **refs))
        print(f"  {name}: {timing.median * 1000:.1f} ms", flush=True)

    # -- measurements ----------------------------------------------------------------------------

    def ingest(self) -> None:
        """Whole volumes POSTed in z slabs; then the slab POSTs."""
        for name, volume in self.data.items():
            def post_all(name=name, volume=volume):
                for z in range(0, self.size, SLAB):
                    slab = volume[z : z + SLAB]
                    nz = slab.shape[0]
                    self.client.post(f"{self.node}/{name}/raw/0_1_2/{self.size}_{self.size}_{nz}/0_0_{z}", slab.tobytes())
            t = timed(post_all, 1, warm_up=False)
            self.record(f"POST {UINT8.get(name, name)} whole volume ({self.size}^3, {SLAB}-slabs)", volume.nbytes, t)
        self.volumes["warm"].write(Box((0, 0, 0), (32, 32, 32)), np.ones((32, 32, 32), dtype=np.uint64))
        self.slab_posts()

    def slab_posts(self) -> None:
        """Re-POSTing one uint8 slab of each uint8 volume, and the grayscale one on a second server
        whose store skips fsync (``[store] sync = false``, the ingest mode), interleaved round by
        round with the same body POSTed to the limit."""
        slabs = {name: self.data[name][:SLAB].tobytes() for name in UINT8}
        where = f"raw/0_1_2/{self.size}_{self.size}_{SLAB}/0_0_0"
        server = dvidpy_server(self.tmp / "ingest", sync=False)
        unsynced = Stopwatch(server.port)
        try:
            with Client(f"127.0.0.1:{server.port}") as setup:
                vol = setup.new_repo().root.new_instance("uint8blk", "g")
            actions = {name: (lambda name=name: self.client.post(f"{self.node}/{name}/{where}", slabs[name]))
                       for name in UINT8}
            actions["sync off"] = lambda: unsynced.post(f"/{vol.path}/{where}", slabs["grayscale"])
            actions["limit"] = lambda: self.limit.post("/post", slabs["grayscale"])
            t = interleaved(actions, self.runs)
        finally:
            unsynced.close()
            server.stop()
        for name, label in UINT8.items():
            self.record(f"POST {label} {self.size}x{self.size}x{SLAB}", len(slabs[name]), t[name], limit=t["limit"])
        self.record(f"POST grayscale {self.size}x{self.size}x{SLAB}, sync off", len(slabs["grayscale"]), t["sync off"],
                    limit=t["limit"])

    def client_rows(self) -> None:
        """The client itself: ``vol[...]`` reads (pieces, concurrency, LZ4 for labels) beside the
        same GET over the bare connection, and the whole grayscale volume written by ``vol[...] =``."""
        rows = [("grayscale", self.gray, n) for n in self.cube_sizes()] + [("labels", self.labels, self.cube_sizes()[-1])]
        for name, volume, n in rows:
            offset = self.offset((n, n, n))[::-1]
            box = Box.at(offset, (n, n, n))
            expected = volume[box.within(Box((0, 0, 0), volume.shape))]
            path = f"{self.node}/{name}/raw/0_1_2/{box.url_size()}/{box.url_offset()}"
            path += "?compression=lz4" if name == "labels" else ""  # the request the client sends

            def check(array, expected=expected, name=name) -> None:
                if not np.array_equal(array, expected):
                    raise AssertionError(f"dvidpy.client read wrong {name} data")

            vol = self.volumes[name]
            mine = timed(lambda vol=vol, box=box: vol.read(box), self.runs, check)
            bare = timed(lambda path=path: self.client.get(path), self.runs)
            wire = " lz4" if name == "labels" else ""
            self.record(f"dvidpy.client vol[...] {name} {n}^3{wire}", expected.nbytes, mine, bare=bare)
        vol = self.volumes["grayscale"]
        whole = Box((0, 0, 0), self.gray.shape)
        t = timed(lambda: vol.write(whole, self.gray), 1, warm_up=False)
        self.record(f"dvidpy.client vol[...] = grayscale whole volume ({self.size}^3)", self.gray.nbytes, t)

    def subvolume(self, name: str, shape_xyz, lz4_transfer: bool = False) -> None:
        """A GET of a box at the volume's centre; raw ones interleaved round by round with the
        limit (the same bytes from the trivial endpoint), a numpy copy and TensorStore."""
        ox, oy, oz = self.offset(shape_xyz)
        nx, ny, nz = shape_xyz
        expected = self.data[name][oz : oz + nz, oy : oy + ny, ox : ox + nx]
        nbytes = expected.nbytes
        url = f"{self.node}/{name}/raw/0_1_2/{nx}_{ny}_{nz}/{ox}_{oy}_{oz}" + ("?compression=lz4" if lz4_transfer else "")

        def check(body: bytes) -> None:
            raw = lz4.block.decompress(body, uncompressed_size=nbytes) if lz4_transfer else body
            if raw != expected.tobytes():
                raise AssertionError(f"GET {url} returned wrong data")

        label = f"GET {UINT8.get(name, name)} {nx}x{ny}x{nz}" + (" lz4" if lz4_transfer else " raw")
        if lz4_transfer:
            self.record(label, nbytes, timed(lambda: self.client.get(url), self.runs, check))
            return
        flat = np.ascontiguousarray(expected)
        actions = {"dvidpy": lambda: self.client.get(url), "limit": lambda: self.limit.get(f"/bytes/{nbytes}"),
                   "numpy": flat.copy}
        checks = {"dvidpy": check}
        peer = self.peers.get(name)
        if peer is not None:
            actions["peer"] = lambda: peer.read((oz, oy, ox), (nz, ny, nx))

            def peer_check(arr) -> None:
                if not np.array_equal(arr, expected):
                    raise AssertionError("TensorStore returned wrong data")
            checks["peer"] = peer_check
        t = interleaved(actions, self.runs, checks)
        self.record(label, nbytes, t.pop("dvidpy"), **t)

    def slice_png(self, plane: str) -> None:
        from dvidpy.imaging import decode_png

        n, mid = self.size, self.size // 2
        offset = {"xy": (0, 0, mid), "xz": (0, mid, 0), "yz": (mid, 0, 0)}[plane]
        url = f"{self.node}/grayscale/raw/{plane}/{n}_{n}/{offset[0]}_{offset[1]}_{offset[2]}"
        expected = {"xy": self.gray[mid], "xz": self.gray[:, mid, :], "yz": self.gray[:, :, mid]}[plane]

        def check(body: bytes) -> None:
            if not np.array_equal(decode_png(body), expected):
                raise AssertionError(f"GET {url} returned the wrong image")

        self.record(f"GET {plane} png {n}x{n}", expected.nbytes, timed(lambda: self.client.get(url), self.runs, check))

    def label_points(self) -> None:
        """The labels batch rows, each cold (label_points.py says how), and the single point."""
        points = LabelPoints(self.labels, self.node, self.runs)
        for n in (10_000, 100_000):
            self.results.append(points.fresh_points(self.client, min(n, self.size**3)))
        self.results.append(points.fresh_points(self.client, min(100_000, self.size**3), region=min(128, self.size)))
        self.label_point()
        self.client.close()
        self.dvid.stop()
        try:
            self.results.append(points.fresh_servers(lambda: dvidpy_server(self.tmp / "data"), min(100_000, self.size**3)))
        finally:
            self.dvid = dvidpy_server(self.tmp / "data")
            self.client = Stopwatch(self.dvid.port)

    def label_point(self) -> None:
        x, y, z = (self.size // 3,) * 3
        expected = int(self.labels[z, y, x])

        def check(reply: bytes) -> None:
            if json.loads(reply) != {"Label": expected}:
                raise AssertionError("label returned the wrong label")

        t = timed(lambda: self.client.get(f"{self.node}/labels/label/{x}_{y}_{z}"), max(self.runs, 20), check)
        self.record("label single point", 8, t)

    def memory(self, name: str, volume: np.ndarray, shape_xyz) -> None:
        """The server's peak RSS growth for one wide GET, against the answer's size."""
        nx, ny, nz = shape_xyz
        ox, oy, oz = self.offset(shape_xyz)
        url = f"{self.node}/{name}/raw/0_1_2/{nx}_{ny}_{nz}/{ox}_{oy}_{oz}"
        before = self.dvid.rss_bytes()
        if not self.dvid.reset_peak():
            return
        body = self.client.get(url)
        peak = self.dvid.peak_bytes()
        if body != volume[oz : oz + nz, oy : oy + ny, ox : ox + nx].tobytes():
            raise AssertionError(f"GET {url} returned wrong data")
        self.results.append({
            "name": f"peak memory GET {name} {nx}x{ny}x{nz}",
            "bytes": len(body),
            "peak_growth_bytes": peak - before,
            "x_response": round((peak - before) / len(body), 2),
        })
        print(f"  peak memory GET {name}: {(peak - before) / 2**20:.1f} MiB for {len(body) / 2**20:.1f} MiB", flush=True)
