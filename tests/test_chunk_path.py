"""Neuroglancer's chunk path: the lean route answers exactly as the framework's route does, and
the chunk cache never answers with a chunk the store no longer holds.

Every lean answer is compared byte for byte (status, headers, the body as sent, before any
content decoding) with the answer of the same request through the framework's route on the
same server. Cache exactness is checked against what a fresh encoding of the written voxels
gives, through this process and through another real worker process.
"""

from __future__ import annotations

import asyncio
import gzip
import logging

import compressed_segmentation
import numpy as np
import pytest
from served import Served
from test_workers import two_workers

from dvidpy.chunk_cache import ENTRY_OVERHEAD, ChunkCache
from dvidpy.imaging import ImageFormat, encode_image
from dvidpy.plugins.imageblk import routes as imageblk_routes
from dvidpy.plugins.labelblk import transfer as labelblk_transfer
from dvidpy.routes import instances
from dvidpy.routes.lean import LeanRoute
from dvidpy.storage.engine import engine_spec

RNG = np.random.default_rng(17)
NG = "app=Neuroglancer"


def grey_volume(shape=(128, 128, 128)) -> np.ndarray:
    """EM-like: smooth with some noise, so JPEG and LZ4 have something to do."""
    z, y, x = np.indices(shape)
    smooth = 128 + 60 * np.sin(x / 9.0) * np.cos(y / 13.0) + 30 * np.sin(z / 7.0)
    return np.clip(smooth + RNG.normal(0, 8, shape), 0, 255).astype(np.uint8)


def label_volume(shape=(128, 128, 128), n=40) -> np.ndarray:
    z, y, x = np.indices(shape)
    return ((x // 24) * 7 + (y // 20) * 3 + (z // 16) * 11 + 1).astype(np.uint64) % n + 1


def post(dvid, uuid: str, name: str, vol: np.ndarray, offset=(0, 0, 0)) -> None:
    nz, ny, nx = vol.shape
    dvid.ok("POST", f"/api/node/{uuid}/{name}/raw/0_1_2/{nx}_{ny}_{nz}/{offset[0]}_{offset[1]}_{offset[2]}",
            content=vol.tobytes())


@pytest.fixture
def chunks(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "grey")
    dvid.new_instance(uuid, "uint8blk", "greyjpeg", Compression="jpeg", BlockSize="64,64,64")
    # LZ4 label blocks: their chunks are encoded from voxels and kept in the chunk cache (labels
    # stored as compressed segmentation are composed from their blocks: test_label_storage.py)
    dvid.new_instance(uuid, "labelblk", "labels", Compression="lz4")
    grey, labels = grey_volume(), label_volume()
    post(dvid, uuid, "grey", grey)
    post(dvid, uuid, "greyjpeg", grey)
    post(dvid, uuid, "labels", labels)
    return dvid, uuid, grey, labels


class Routes:
    """Requests through the lean route, and the same through the framework's route only."""

    def __init__(self, dvid, monkeypatch) -> None:
        self.dvid, self.monkeypatch = dvid, monkeypatch
        self.dispatched = 0
        real = instances.dispatch

        async def counting(request, name):
            self.dispatched += 1
            return await real(request, name)

        monkeypatch.setattr(instances, "dispatch", counting)

    def send(self, url: str, headers=None, method="GET", content=None) -> tuple[int, list, bytes]:
        with self.dvid.client.stream(method, url, headers=headers or {}, content=content) as r:
            return r.status_code, sorted(r.headers.multi_items()), b"".join(r.iter_raw())

    def both(self, url: str, headers=None) -> tuple[tuple[int, list, bytes], bool]:
        """The answer (asserted the same on both routes) and whether the lean route served it."""
        before = self.dispatched
        lean = self.send(url, headers)
        served_lean = self.dispatched == before
        with self.monkeypatch.context() as patch:
            patch.setattr(LeanRoute, "_lean_head", lambda self, scope: None)
            normal = self.send(url, headers)
        assert self.dispatched == before + 1 + (not served_lean)
        assert lean == normal, url
        return lean, served_lean


@pytest.fixture
def routes(chunks, monkeypatch):
    return Routes(chunks[0], monkeypatch)


def chunk_urls(uuid: str) -> list[str]:
    base = f"/api/node/{uuid}"
    return [
        f"{base}/grey/raw/0_1_2/64_64_64/64_0_64/jpeg?{NG}",
        f"{base}/grey/raw/0_1_2/64_64_64/64_0_64/jpg",
        f"{base}/grey/raw/0_1_2/64_64_64/0_64_0?{NG}",
        f"{base}/grey/raw/0_1_2/40_30_20/5_6_7",
        f"{base}/grey/raw/xy/64_64/0_0_10",
        f"{base}/grey/raw/xz/64_64/0_10_0/jpg:50",
        f"{base}/greyjpeg/subvolblocks/64_64_64/64_64_0?{NG}",
        f"{base}/greyjpeg/subvolblocks/128_128_64/0_0_0?compression=uncompressed",
        f"{base}/greyjpeg/raw/0_1_2/64_64_64/0_0_64/jpeg",
        *(f"{base}/labels/raw/0_1_2/64_64_64/64_64_64?compression={c}&{NG}"
          for c in ("googlegzip", "google", "gzip", "lz4", "")),
        f"{base}/labels/raw/0_1_2/64_64_64/192_0_0?compression=googlegzip",  # no blocks there
        f"{base}/labels/raw/0_1_2/64_64_64/-32_0_0?compression=googlegzip",  # half stored
        f"{base}/labels/raw/xy/64_64/0_0_10",
    ]


def test_every_chunk_format_is_the_same_on_both_routes(chunks, routes):
    _, uuid, _, _ = chunks
    for url in chunk_urls(uuid):
        (status, _, _), lean = routes.both(url)
        assert (status, lean) == (200, True), url
        routes.both(url, {"Origin": "https://neuroglancer.example"})


def test_googlegzip_is_gzip_content_encoding_of_the_labels(chunks, routes):
    _, uuid, _, labels = chunks
    (status, headers, body), lean = routes.both(f"/api/node/{uuid}/labels/raw/0_1_2/64_64_64/64_0_64?compression=googlegzip")
    assert (status, lean) == (200, True)
    assert ("content-encoding", "gzip") in headers and ("content-type", "application/octet-stream") in headers
    assert ("access-control-allow-origin", "*") in headers and ("content-length", str(len(body))) in headers
    decoded = compressed_segmentation.decompress(gzip.decompress(body), (64, 64, 64), np.uint64,
                                                 block_size=(8, 8, 8), order="F")
    assert np.array_equal(decoded.transpose(2, 1, 0), labels[64:128, 0:64, 64:128])


def test_jpeg_chunk_is_the_stacked_slices_at_quality_80(chunks, routes):
    _, uuid, grey, _ = chunks
    (status, headers, body), _ = routes.both(f"/api/node/{uuid}/grey/raw/0_1_2/64_64_64/0_64_64/jpeg")
    assert status == 200 and ("content-type", "image/jpeg") in headers
    assert body == encode_image(grey[64:128, 64:128, 0:64].reshape(64 * 64, 64), ImageFormat("jpeg", 80))


def error_urls(uuid: str) -> list[tuple[str, str]]:
    """Refused chunk URLs and DVID's message for each (every one a 400)."""
    base = f"/api/node/{uuid}"
    raw = f"{base}/grey/raw/0_1_2"
    return [
        (f"{raw}/64_64/0_0_0", "Size must be 3 (not 2) dimensions"),
        (f"{raw}/a_b_c/0_0_0", "cannot parse size 'a_b_c': 'a' is not an integer"),
        (f"{raw}/0_64_64/0_0_0", "Illegal geometry requested: size (0, 64, 64) must be positive on every axis"),
        (f"{raw}/100000_100000_100000/0_0_0",
         "Requested payload (1000000000000000 bytes) exceeds this DVID server's set limit (3221225472)"),
        (f"{raw}/64_64_64/3000000000_0_0", "cannot parse offset '3000000000_0_0': 3000000000 does not fit in 32 bits"),
        (f"{raw}/64_64_64/0_0_0?compression=zstd", 'unknown compression type "zstd"'),
        (f"{raw}/64_64_64/0_0_0/jpeg?roi=nothere", 'Can\'t get ROI with name "nothere": no data instance of that name'),
        (f"{base}/grey/raw", '"raw" must be followed by shape/size/offset'),
        (f"{base}/labels/raw/0_1_2/60_64_64/0_0_0?compression=google", "volume must be a multiple of the block size"),
        (f"{base}/labels/raw/0_1_2/64_64_64/0_0_0?compression=bogus", 'unknown compression type "bogus"'),
        (f"{base}/greyjpeg/subvolblocks/64_64_64/1_0_0",
         "cannot use labels via 'block' endpoint in non-block aligned geometry (1,0,0) -> (64,63,63)"),
        (f"{base}/greyjpeg/subvolblocks/64_64_64/0_0_0?compression=lz4",
         "don't understand 'compression' query string value: lz4"),
        (f"{base}/nothere/raw/0_1_2/64_64_64/0_0_0", "invalid data instance name"),
        ("/api/node/ffff0000/grey/raw/0_1_2/64_64_64/0_0_0", "could not find UUID with partial match to ffff0000"),
        (f"{raw}/64_64_64/0_0_0\\x", "cannot parse offset '0_0_0%5Cx': '0%5Cx' is not an integer"),
        (f"{base}/commit/raw/0_1_2/64_64_64/0_0_0", "invalid data instance name"),
    ]


def test_refusals_are_the_same_on_both_routes(chunks, routes):
    _, uuid, _, _ = chunks
    for url, message in error_urls(uuid):
        (status, headers, body), lean = routes.both(url)
        path = url.partition("?")[0].replace("\\", "%5C")
        assert (status, body.decode()) == (400, f"{message} ({path}).\n"), url
        # what the lean route cannot resolve, the framework refuses
        assert lean == all(word not in url for word in ("nothere/", "ffff0000", "\\", "/commit/")), url
        assert ("content-type", "text/plain; charset=utf-8") in headers
        assert ("x-content-type-options", "nosniff") in headers
    (status, _, body), _ = routes.both(f"{base_of(uuid)}/grey/nothing/0_0_0")
    assert (status, body) == (400, f'Bad API call ({base_of(uuid)}/grey/nothing/0_0_0) for data "grey".  '
                                   "See API help at http://testserver/api/help/uint8blk\n".encode())


def base_of(uuid: str) -> str:
    return f"/api/node/{uuid}"


def test_what_the_lean_route_leaves_to_the_framework(chunks, routes):
    _, uuid, _, _ = chunks
    url = f"/api/node/{uuid}/grey/raw/0_1_2/64_64_64/0_0_0"
    routes.dispatched = 0
    assert routes.send(url, method="HEAD")[0] == 200
    assert routes.send(url, content=b"a body")[0] == 200
    assert routes.send(f"/api/node/{uuid}/grey/info")[0] == 200
    assert routes.send(f"/api/node/{uuid}/grey/raw/0_1_2/64_64_64/0_0_0%3F")[0] == 400
    assert routes.dispatched == 4
    assert routes.send(url)[0] == 200
    assert routes.dispatched == 4


def test_throttle_and_locked_nodes_read_the_same(chunks, routes):
    dvid, uuid, _, _ = chunks
    dvid.commit(uuid)
    url = f"/api/node/{uuid}/labels/raw/0_1_2/64_64_64/0_0_0?compression=googlegzip&throttle=on"
    (status, _, _), lean = routes.both(url)
    assert (status, lean) == (200, True)
    with dvid.server.throttle.slot():  # every slot taken: a throttled read is a 503 on both routes
        (status, _, body), _ = routes.both(url)
    assert status == 503 and b"Server already running 1 throttled operations" in body


def test_cors_for_listed_origins_only(make_dvid, monkeypatch):
    dvid = make_dvid(cors_domains=("https://ng.example",))
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "grey")
    post(dvid, uuid, "grey", grey_volume((64, 64, 64)))
    routes = Routes(dvid, monkeypatch)
    url = f"/api/node/{uuid}/grey/raw/0_1_2/64_64_64/0_0_0/jpeg"
    (_, headers, _), lean = routes.both(url, {"Origin": "https://ng.example"})
    assert lean and ("access-control-allow-origin", "https://ng.example") in headers and ("vary", "Origin") in headers
    (_, headers, _), _ = routes.both(url, {"Origin": "https://other.example"})
    assert not any(name == "access-control-allow-origin" for name, _ in headers)


def test_the_log_line_is_the_same(chunks, routes, caplog):
    _, uuid, _, _ = chunks
    url = f"/api/node/{uuid}/labels/raw/0_1_2/64_64_64/0_0_0?compression=googlegzip"
    with caplog.at_level(logging.INFO, logger="dvidpy.requests"):
        (_, _, body), _ = routes.both(url)
    lines = [r.getMessage().rsplit(" ", 2)[0] for r in caplog.records if r.name == "dvidpy.requests"]
    assert lines == [f'testclient:50000 "GET {url}" 200 in=0 out={len(body)}'] * 2


# -- the chunk cache -------------------------------------------------------------------------------


def test_cache_is_bounded_by_bytes_and_least_recently_used_goes_first():
    cost = 10 + 1000 + ENTRY_OVERHEAD
    cache = ChunkCache(4 * cost + 10)
    for i in range(4):
        assert cache.get_or_make(lambda i=i: b"key-%05d!" % i, lambda i=i: bytes([i]) * 1000) == bytes([i]) * 1000
    assert (len(cache), cache.bytes, cache.misses, cache.hits) == (4, 4 * cost, 4, 0)
    cache.get_or_make(lambda: b"key-00000!", lambda: b"never")  # a hit makes it the most recent
    cache.get_or_make(lambda: b"key-00004!", lambda: b"x" * 1000)
    assert (len(cache), cache.bytes, cache.hits) == (4, 4 * cost, 1)
    assert cache.get_or_make(lambda: b"key-00001!", lambda: b"made again") == b"made again"  # evicted
    assert cache.get_or_make(lambda: b"key-00000!", lambda: b"never") == bytes([0]) * 1000
    assert cache.get_or_make(lambda: b"big", lambda: b"b" * cache.max_bytes) == b"b" * cache.max_bytes
    assert b"big" not in cache._entries


def test_cache_off_keeps_nothing():
    cache = ChunkCache(0)

    def no_key() -> bytes:
        raise AssertionError("a cache that is off needs no key")

    assert cache.get_or_make(no_key, lambda: b"v") == b"v" and cache.get_or_make(no_key, lambda: b"w") == b"w"
    assert (len(cache), cache.bytes, cache.hits) == (0, 0, 0)


def seg_url(uuid: str, name="labels", offset="0_0_0") -> str:
    return f"/api/node/{uuid}/{name}/raw/0_1_2/64_64_64/{offset}?compression=googlegzip&{NG}"


def jpeg_url(uuid: str, name="grey", offset="0_0_0") -> str:
    return f"/api/node/{uuid}/{name}/raw/0_1_2/64_64_64/{offset}/jpeg"


def seg_of(body: bytes) -> np.ndarray:
    """A googlegzip chunk as ``[z][y][x]`` labels (the test client already undid the gzip)."""
    return compressed_segmentation.decompress(body, (64, 64, 64), np.uint64, block_size=(8, 8, 8),
                                              order="F").transpose(2, 1, 0)


def jpeg_of(vol: np.ndarray) -> bytes:
    return encode_image(np.ascontiguousarray(vol).reshape(64 * 64, 64), ImageFormat("jpeg"))


def test_cache_hits_and_every_change_misses(chunks):
    dvid, uuid, grey, labels = chunks
    cache = dvid.server.chunk_cache
    assert np.array_equal(seg_of(dvid.ok("GET", seg_url(uuid)).content), labels[:64, :64, :64])
    hits = cache.hits
    assert np.array_equal(seg_of(dvid.ok("GET", seg_url(uuid)).content), labels[:64, :64, :64])
    assert cache.hits == hits + 1
    assert dvid.ok("GET", jpeg_url(uuid)).content == jpeg_of(grey[:64, :64, :64])
    assert dvid.ok("GET", jpeg_url(uuid)).content == jpeg_of(grey[:64, :64, :64])
    assert cache.hits == hits + 2

    # a write of one 32^3 block of the chunk at the same version
    new = label_volume((32, 32, 32), 5) + 1000
    post(dvid, uuid, "labels", new, (32, 0, 0))
    want = labels[:64, :64, :64].copy()
    want[:32, :32, 32:64] = new
    assert np.array_equal(seg_of(dvid.ok("GET", seg_url(uuid)).content), want)
    grey_new = grey_volume((32, 32, 32))
    post(dvid, uuid, "grey", grey_new, (0, 32, 32))
    want_grey = grey[:64, :64, :64].copy()
    want_grey[32:64, 32:64, :32] = grey_new
    assert dvid.ok("GET", jpeg_url(uuid)).content == jpeg_of(want_grey)


def test_versions_block_deletes_and_instance_changes_are_exact(chunks):
    dvid, uuid, _, labels = chunks
    assert np.array_equal(seg_of(dvid.ok("GET", seg_url(uuid)).content), labels[:64, :64, :64])
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    assert np.array_equal(seg_of(dvid.ok("GET", seg_url(child)).content), labels[:64, :64, :64])
    post(dvid, child, "labels", np.full((64, 64, 64), 9, np.uint64))
    assert np.array_equal(seg_of(dvid.ok("GET", seg_url(child)).content), np.full((64, 64, 64), 9))
    assert np.array_equal(seg_of(dvid.ok("GET", seg_url(uuid)).content), labels[:64, :64, :64])

    dvid.ok("DELETE", f"/api/node/{child}/labels/blocks/0_0_0/2")  # blocks x 0 and 1 of row y 0, z 0
    want = np.full((64, 64, 64), 9, np.uint64)
    want[:32, :32, :] = 0
    assert np.array_equal(seg_of(dvid.ok("GET", seg_url(child)).content), want)

    dvid.ok("POST", f"/api/repo/{uuid}/instance/labels/rename", json={"name": "segs"})
    assert np.array_equal(seg_of(dvid.ok("GET", seg_url(child, "segs")).content), want)
    dvid.new_instance(child, "labelblk", "labels")
    post(dvid, child, "labels", np.full((64, 64, 64), 4, np.uint64))
    assert np.array_equal(seg_of(dvid.ok("GET", seg_url(child)).content), np.full((64, 64, 64), 4))
    dvid.ok("DELETE", f"/api/repo/{uuid}/instance/labels", params={"imsure": "true"})
    dvid.new_instance(child, "labelblk", "labels")
    assert np.array_equal(seg_of(dvid.ok("GET", seg_url(child)).content), np.zeros((64, 64, 64)))


def test_background_change_is_a_new_chunk(chunks):
    dvid, uuid, _, _ = chunks
    empty = jpeg_url(uuid, offset="256_0_0")
    assert dvid.ok("GET", empty).content == jpeg_of(np.zeros((64, 64, 64), np.uint8))
    dvid.ok("POST", f"/api/node/{uuid}/grey", json={"Background": "7"})
    assert dvid.ok("GET", empty).content == jpeg_of(np.full((64, 64, 64), 7, np.uint8))


# -- across real worker processes ------------------------------------------------------------------


@pytest.fixture
def two(tmp_path):
    server = Served(tmp_path, "--data", str(tmp_path / "data"), "--workers", "2")
    yield two_workers(server)
    server.kill()


def worker_seg(worker, url: str) -> np.ndarray:
    status, body = worker.request("GET", url)
    assert status == 200, body
    return seg_of(gzip.decompress(body))


def test_no_worker_answers_from_its_cache_what_another_changed(two):
    a, b = two
    uuid = a.json("POST", "/api/repos", b"{}")["root"]
    lz4_labels = b'{"typename": "labelblk", "dataname": "labels", "Compression": "lz4"}'
    a.json("POST", f"/api/repo/{uuid}/instance", lz4_labels)
    a.json("POST", f"/api/repo/{uuid}/instance", b'{"typename": "uint8blk", "dataname": "grey"}')
    labels, grey = label_volume((64, 64, 64)), grey_volume((64, 64, 64))
    raw = "raw/0_1_2/64_64_64/0_0_0"
    assert b.request("POST", f"/api/node/{uuid}/labels/{raw}", labels.tobytes()) == (200, b"")
    assert b.request("POST", f"/api/node/{uuid}/grey/{raw}", grey.tobytes()) == (200, b"")
    for _ in range(2):  # the second read is answered from A's cache
        assert np.array_equal(worker_seg(a, seg_url(uuid)), labels)
        assert a.request("GET", jpeg_url(uuid)) == (200, jpeg_of(grey))

    assert b.request("POST", f"/api/node/{uuid}/labels/{raw}", (labels + 50).tobytes()) == (200, b"")
    assert b.request("POST", f"/api/node/{uuid}/grey/{raw}", (255 - grey).tobytes()) == (200, b"")
    assert np.array_equal(worker_seg(a, seg_url(uuid)), labels + 50)
    assert a.request("GET", jpeg_url(uuid)) == (200, jpeg_of(255 - grey))

    b.json("POST", f"/api/node/{uuid}/commit", b"{}")
    child = b.json("POST", f"/api/node/{uuid}/newversion", b"{}")["child"]
    assert np.array_equal(worker_seg(a, seg_url(child)), labels + 50)
    assert b.request("DELETE", f"/api/node/{child}/labels/blocks/0_0_0/1") == (200, b"")
    want = labels + 50
    want[:32, :32, :32] = 0
    assert np.array_equal(worker_seg(a, seg_url(child)), want)
    assert np.array_equal(worker_seg(a, seg_url(uuid)), labels + 50)

    assert b.request("DELETE", f"/api/repo/{uuid}/instance/labels?imsure=true")[0] == 200
    b.json("POST", f"/api/repo/{child}/instance", lz4_labels)
    assert b.request("POST", f"/api/node/{child}/labels/{raw}", np.full(64**3, 3, "<u8").tobytes()) == (200, b"")
    assert np.array_equal(worker_seg(a, seg_url(child)), np.full((64, 64, 64), 3))


def test_a_server_with_the_cache_off_encodes_every_time(make_dvid):
    dvid = make_dvid(chunk_cache_mb=0)
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "labels", Compression="lz4")
    labels = label_volume((64, 64, 64))
    post(dvid, uuid, "labels", labels)
    for _ in range(2):
        assert np.array_equal(seg_of(dvid.ok("GET", seg_url(uuid)).content), labels)
    cache = dvid.server.chunk_cache
    assert (cache.max_bytes, len(cache), cache.hits, cache.misses) == (0, 0, 0, 0)


def test_chunks_are_encoded_in_worker_threads_and_hits_answered_on_the_loop(chunks, monkeypatch):
    """A lean read starts on the event loop's thread; one that has to encode (a cache miss) is
    run again in a worker thread, so no encoding ever holds the loop."""
    dvid, uuid, grey, labels = chunks
    encoded_on_loop, hops = [], []

    def spy(module, name):
        real = getattr(module, name)

        def watched(*args):
            try:
                asyncio.get_running_loop()
                encoded_on_loop.append(name)
            except RuntimeError:
                pass
            return real(*args)

        monkeypatch.setattr(module, name, watched)

    spy(labelblk_transfer, "encode")
    spy(imageblk_routes, "jpeg_stack")
    real_hop = instances.run_in_threadpool

    async def hop(*args):
        hops.append(args[0])
        return await real_hop(*args)

    monkeypatch.setattr(instances, "run_in_threadpool", hop)
    for _ in range(2):
        assert np.array_equal(seg_of(dvid.ok("GET", seg_url(uuid, offset="64_64_0")).content), labels[:64, 64:, 64:])
        assert dvid.ok("GET", jpeg_url(uuid, offset="64_64_0")).content == jpeg_of(grey[:64, 64:, 64:])
    assert encoded_on_loop == []
    # on a local store the two misses; the hits never left the loop (a store across the
    # network is never read on the loop's thread)
    assert len(hops) == (2 if engine_spec(dvid.server.config.engine).local else 4)
