"""labelblk's default block storage, neuroglancer's compressed_segmentation: every endpoint reads
it as it reads LZ4 blocks, neuroglancer's chunks are composed from the stored cells (exact after
writes, deletes and new versions), point queries read single voxels, and broken or impossible
settings and damaged blocks are refused by name. Every case runs on both hot paths."""

from __future__ import annotations

import gzip
import json

import compressed_segmentation
import lz4.block
import numpy as np
import pytest

from dvidpy import native
from dvidpy.native import fallback

RNG = np.random.default_rng(23)


@pytest.fixture(params=["compiled", "fallback"])
def path(request, monkeypatch):
    if request.param == "compiled":
        if native.PATH != "compiled":
            pytest.skip("the compiled hot path is not what this process runs")
    else:
        for name in ("decode_into", "encode_blocks", "gather", "compose_segmentation"):
            monkeypatch.setattr(native, name, getattr(fallback, name))
    return request.param


def label_volume(shape=(64, 96, 128), n=300) -> np.ndarray:
    """Segments of a few cells each, plus some voxels of their own (every index width occurs)."""
    z, y, x = np.indices(shape)
    vol = ((x // 12) * 7 + (y // 10) * 3 + (z // 8) * 11).astype(np.uint64) % n + np.uint64(2**40)
    noisy = RNG.random(shape) < 0.02
    vol[noisy] = RNG.integers(1, 2**62, int(noisy.sum())).astype(np.uint64)
    return vol


def post(dvid, uuid, name, vol, offset=(0, 0, 0)):
    nz, ny, nx = vol.shape
    dvid.ok("POST", f"/api/node/{uuid}/{name}/raw/0_1_2/{nx}_{ny}_{nz}/{offset[0]}_{offset[1]}_{offset[2]}",
            content=np.ascontiguousarray(vol, "<u8").tobytes())


def get_raw(dvid, uuid, name, size, offset, query="") -> bytes:
    return dvid.ok("GET", f"/api/node/{uuid}/{name}/raw/0_1_2/{'_'.join(map(str, size))}/"
                          f"{'_'.join(map(str, offset))}{query}").content


def seg_chunk(dvid, uuid, name, size, offset, gzipped=True) -> np.ndarray:
    """A neuroglancer chunk as the browser sees it (gzip content encoding undone)."""
    url = f"/api/node/{uuid}/{name}/raw/0_1_2/{'_'.join(map(str, size))}/{'_'.join(map(str, offset))}"
    r = dvid.ok("GET", url, params={"compression": "googlegzip" if gzipped else "google"})
    assert r.headers.get("content-encoding") == ("gzip" if gzipped else None)
    body = r.content  # the test client undoes the content encoding
    return compressed_segmentation.decompress(body, size, np.uint64, (8, 8, 8), order="F").transpose(2, 1, 0)


@pytest.fixture
def stored(dvid, path):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "segs")  # the default: compressed segmentation
    dvid.new_instance(uuid, "labelblk", "lz4segs", Compression="lz4")
    vol = label_volume()
    post(dvid, uuid, "segs", vol)
    post(dvid, uuid, "lz4segs", vol)
    return dvid, uuid, vol


def test_the_default_storage_is_compressed_segmentation_and_lz4_stays_lz4(stored):
    dvid, uuid, _ = stored
    info = dvid.ok("GET", f"/api/node/{uuid}/segs/info").json()
    assert info["Base"]["Compression"] == "compressed segmentation, level -1"
    assert dvid.ok("GET", f"/api/node/{uuid}/lz4segs/info").json()["Base"]["Compression"] == "LZ4 compression, level -1"


@pytest.mark.parametrize("size, offset", [((64, 96, 64), (0, 0, 0)), ((37, 50, 21), (5, 3, 40)),
                                          ((128, 96, 64), (0, 0, 0)), ((40, 40, 40), (100, 70, 30))])
def test_every_transfer_reads_the_same_labels_as_lz4_blocks(stored, size, offset):
    dvid, uuid, vol = stored
    (x0, y0, z0), (sx, sy, sz) = offset, size
    want = np.zeros((sz, sy, sx), np.uint64)
    inside = vol[z0 : z0 + sz, y0 : y0 + sy, x0 : x0 + sx]
    want[: inside.shape[0], : inside.shape[1], : inside.shape[2]] = inside
    for name in ("segs", "lz4segs"):
        assert get_raw(dvid, uuid, name, size, offset) == want.tobytes()
        lz4_body = get_raw(dvid, uuid, name, size, offset, "?compression=lz4")
        assert lz4.block.decompress(lz4_body, uncompressed_size=want.nbytes) == want.tobytes()
        assert gzip.decompress(get_raw(dvid, uuid, name, size, offset, "?compression=gzip")) == want.tobytes()


@pytest.mark.parametrize("size, offset", [((64, 64, 64), (0, 0, 0)), ((64, 64, 64), (64, 32, 0)),
                                          ((48, 40, 8), (8, 16, 24)), ((64, 64, 64), (96, 64, 32)),
                                          ((24, 16, 8), (-8, 0, 0))])
def test_neuroglancer_chunks_are_the_boxs_labels(stored, size, offset):
    dvid, uuid, vol = stored
    (x0, y0, z0), (sx, sy, sz) = offset, size
    want = np.zeros((sz, sy, sx), np.uint64)  # outside the volume: the background, 0
    lo = [max(0, -o) for o in (z0, y0, x0)]
    src = [slice(max(0, o), min(n, o + s)) for o, s, n in zip((z0, y0, x0), (sz, sy, sx), vol.shape)]
    part = vol[tuple(src)]
    want[lo[0] : lo[0] + part.shape[0], lo[1] : lo[1] + part.shape[1], lo[2] : lo[2] + part.shape[2]] = part
    for name in ("segs", "lz4segs"):
        for gzipped in (True, False):
            assert np.array_equal(seg_chunk(dvid, uuid, name, size, offset, gzipped), want), (name, gzipped)


def test_chunks_off_the_cell_grid_are_encoded_from_voxels(stored):
    dvid, uuid, vol = stored
    got = seg_chunk(dvid, uuid, "segs", (16, 16, 8), (4, 0, 0))
    assert np.array_equal(got, vol[:8, :16, 4:20])


def test_chunks_follow_writes_deletes_and_versions(stored):
    dvid, uuid, vol = stored
    box = ((64, 64, 64), (0, 0, 0))
    assert np.array_equal(seg_chunk(dvid, uuid, "segs", *box), vol[:64, :64, :64])
    new = label_volume((32, 32, 32), 5) + np.uint64(1000)
    post(dvid, uuid, "segs", new, (32, 0, 0))
    want = vol[:64, :64, :64].copy()
    want[:32, :32, 32:64] = new
    assert np.array_equal(seg_chunk(dvid, uuid, "segs", *box), want)

    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    post(dvid, child, "segs", np.full((32, 32, 32), 9, np.uint64), (0, 32, 0))
    dvid.ok("DELETE", f"/api/node/{child}/segs/blocks/0_0_1/2")  # blocks x 0-1, y 0, z 1
    want_child = want.copy()
    want_child[:32, 32:64, :32] = 9
    want_child[32:64, :32, :64] = 0
    assert np.array_equal(seg_chunk(dvid, uuid, "segs", *box), want)
    assert np.array_equal(seg_chunk(dvid, child, "segs", *box), want_child)
    assert get_raw(dvid, child, "segs", *box) == want_child.tobytes()


def test_the_background_fills_missing_blocks(dvid, path):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "segs", Background="7")
    post(dvid, uuid, "segs", np.full((32, 32, 32), 3, np.uint64))
    want = np.full((64, 64, 64), 7, np.uint64)
    want[:32, :32, :32] = 3
    assert np.array_equal(seg_chunk(dvid, uuid, "segs", (64, 64, 64), (0, 0, 0)), want)


def test_point_queries_read_single_voxels(stored):
    dvid, uuid, vol = stored
    points = np.stack([RNG.integers(-20, n + 20, 2000) for n in vol.shape[::-1]], axis=1)  # x, y, z
    inside = ((points >= 0) & (points < vol.shape[::-1])).all(axis=1)
    want = np.zeros(len(points), np.uint64)
    p = points[inside]
    want[inside] = vol[p[:, 2], p[:, 1], p[:, 0]]
    for name in ("segs", "lz4segs"):
        got = dvid.ok("GET", f"/api/node/{uuid}/{name}/labels", content=json.dumps(points.tolist())).json()
        assert got == want.tolist()
    x, y, z = points[inside][0]
    label = dvid.ok("GET", f"/api/node/{uuid}/segs/label/{x}_{y}_{z}").json()
    assert label == {"Label": int(vol[z, y, x])}


def test_block_streams_send_lz4_or_uncompressed_labels(stored):
    dvid, uuid, vol = stored
    for mode in ("lz4", "uncompressed"):
        streams = {}
        for name in ("segs", "lz4segs"):
            url = f"/api/node/{uuid}/{name}/blocks/64_32_32/32_0_0"
            body = dvid.ok("GET", url, params={"compression": mode}).content
            records, at = [], 0
            while at < len(body):
                x, y, z, n = np.frombuffer(body[at : at + 16], "<i4")
                data = body[at + 16 : at + 16 + n]
                raw = data if mode == "uncompressed" else lz4.block.decompress(data, uncompressed_size=32**3 * 8)
                records.append(((int(x), int(y), int(z)), raw))
                at += 16 + n
            streams[name] = records
            assert [c for c, _ in records] == [(1, 0, 0), (2, 0, 0)]
            assert records[0][1] == vol[:32, :32, 32:64].tobytes()
            assert records[1][1] == vol[:32, :32, 64:96].tobytes()


def test_synced_lower_resolutions_are_stored_and_read_alike(dvid, path):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "segs")
    dvid.new_instance(uuid, "labelblk", "segs_1", Sync="segs")
    vol = label_volume((64, 64, 64))
    post(dvid, uuid, "segs", vol)
    half = get_raw(dvid, uuid, "segs_1", (32, 32, 32), (0, 0, 0))
    assert len(half) == 32**3 * 8
    assert dvid.ok("GET", f"/api/node/{uuid}/segs_1/info").json()["Base"]["Compression"].startswith("compressed")
    assert np.array_equal(seg_chunk(dvid, uuid, "segs_1", (32, 32, 32), (0, 0, 0)),
                          np.frombuffer(half, np.uint64).reshape(32, 32, 32))


@pytest.mark.parametrize("typename, settings, message", [
    ("uint8blk", {"Compression": "compressed_segmentation"},
     "Compression compressed_segmentation stores uint64 labels only, not uint8blk"),
    ("labelblk", {"Compression": "compressed_segmentation", "BlockSize": "30,32,32"},
     "Compression compressed_segmentation needs a BlockSize that is a multiple of 8 on every axis and at most 8192 "
     "cells of 8^3, not 30,32,32"),
])
def test_impossible_storage_is_refused_by_name(dvid, typename, settings, message):
    uuid = dvid.new_repo()
    url = f"/api/repo/{uuid}/instance"
    r = dvid.post(url, json={"typename": typename, "dataname": "x", **settings})
    assert (r.status_code, r.text) == (400, f"{message} ({url}).\n")
    assert "x" not in dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DataInstances"]


def test_a_block_size_the_encoding_cannot_take_is_lz4_by_default_and_refused_later(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "odd", BlockSize="30,30,30")
    assert dvid.ok("GET", f"/api/node/{uuid}/odd/info").json()["Base"]["Compression"] == "LZ4 compression, level -1"
    dvid.new_instance(uuid, "labelblk", "segs")
    r = dvid.post(f"/api/node/{uuid}/segs", json={"BlockSize": "20,32,32"})
    assert (r.status_code, r.text) == (400, "Compression compressed_segmentation needs a BlockSize that is a multiple "
                                            "of 8 on every axis and at most 8192 cells of 8^3, not 20,32,32 "
                                            f"(/api/node/{uuid}/segs).\n")
    assert dvid.ok("GET", f"/api/node/{uuid}/segs/info").json()["Extended"]["BlockSize"] == [32, 32, 32]


def test_a_damaged_stored_block_is_a_400_for_every_read(dvid, path):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "segs")
    post(dvid, uuid, "segs", label_volume((32, 32, 32)))
    first_block = bytes.fromhex("1701" "80000000" "80000000" "80000000")  # class 23, block (0, 0, 0)
    with dvid.server.engine.writing() as txn:
        [(key, good)] = [(bytes(k), bytes(v)) for k, v in txn.scan(b"\x01", b"\x02") if k[5:19] == first_block]
        damaged = bytearray(good)
        damaged[1 + 16 : 1 + 16 + 8 * 64] = b"\xff" * (8 * 64)  # every cell header
        txn.put(key, bytes(damaged))
    for url in (f"/api/node/{uuid}/segs/raw/0_1_2/32_32_32/0_0_0",
                f"/api/node/{uuid}/segs/raw/0_1_2/32_32_32/0_0_0?compression=googlegzip",
                f"/api/node/{uuid}/segs/label/3_2_1"):
        r = dvid.get(url)
        assert r.status_code == 400, (url, r.status_code)
        assert r.text.startswith("stored block could not be decoded: compressed segmentation cell"), r.text
