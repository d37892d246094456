"""blocks/<x_y_z>/<spanX>: runs of blocks written and read for every type, Background for missing
blocks, the voxel layout of a block, the ends of the int32 block and voxel ranges, and wrong-length
bodies and bad URLs that write nothing.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import error_message

from .volumes import ALL_TYPES, block_bytes, dtype_of, fill_value, get, info, put, rand, xor_volume


@pytest.mark.parametrize("typename", ALL_TYPES)
def test_blocks_round_trip_every_type(dvid, typename):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img", Background="3")
    blocks = rand(typename, (3 * 32, 32, 32), seed=21)
    r = dvid.ok("POST", f"/api/node/{uuid}/img/blocks/-1_2_-3/3", content=blocks.tobytes())
    assert r.content == b""
    r = dvid.ok("GET", f"/api/node/{uuid}/img/blocks/-1_2_-3/3")
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content == blocks.tobytes()
    # missing blocks on either side read as Background
    body = dvid.ok("GET", f"/api/node/{uuid}/img/blocks/-2_2_-3/5").content
    empty = np.full((32, 32, 32), fill_value(typename, 3), dtype_of(typename)).tobytes()
    assert body == empty + blocks.tobytes() + empty
    # the blocks are voxels like any other: block i holds voxels x fastest, then y, then z
    vol = get(dvid, uuid, "img", typename, (96, 32, 32), (-32, 64, -96))
    for i in range(3):
        assert block_bytes(vol, (-32, 64, -96), (i - 1, 2, -3)) == blocks[i * 32 : (i + 1) * 32].tobytes()
    ext = info(dvid, uuid, "img")["Extended"]
    assert (ext["MinPoint"], ext["MaxPoint"]) == ([-32, 64, -96], [63, 95, -65])


def test_blocks_at_the_ends_of_the_int32_range(gray):
    dvid, uuid = gray
    top, bottom = 2**31 - 1, -(2**31)
    first = np.full(32768, 11, np.uint8).tobytes()
    last = np.full(32768, 22, np.uint8).tobytes()
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/blocks/{bottom}_0_0/1", content=first)
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/blocks/{top}_0_0/1", content=last)
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/blocks/{bottom}_0_0/1").content == first
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/blocks/{top}_0_0/1").content == last
    # Blocks whose voxels lie beyond the int32 voxel coordinates do not enter the extents.
    assert info(dvid, uuid)["Extents"] == {"MinPoint": None, "MaxPoint": None}
    # A run past the largest block coordinate must not wrap around onto the smallest one.
    for method in ("GET", "POST"):
        path = f"/api/node/{uuid}/grayscale/blocks/{top}_0_0/2"
        r = dvid.request(method, path, content=last + last)
        assert "goes past the largest block coordinate (2147483647)" in error_message(r, path)
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/blocks/{bottom}_0_0/1").content == first
    for coord in ("2147483648_0_0", "0_-2147483649_0"):
        path = f"/api/node/{uuid}/grayscale/blocks/{coord}/1"
        assert "does not fit in 32 bits" in error_message(dvid.post(path, content=last), path)
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/blocks/{bottom}_0_0/1").content == first


def test_voxels_at_the_ends_of_the_int32_range(gray):
    dvid, uuid = gray
    top, bottom = 2**31 - 32, -(2**31)
    a, b = xor_volume((0, 0, 0), (32, 32, 32)), xor_volume((1, 2, 3), (32, 32, 32))
    put(dvid, uuid, "grayscale", a, (top, bottom, 0))
    put(dvid, uuid, "grayscale", b, (bottom, 0, top))
    assert get(dvid, uuid, "grayscale", "uint8blk", (32, 32, 32), (top, bottom, 0)).tobytes() == a.tobytes()
    assert get(dvid, uuid, "grayscale", "uint8blk", (32, 32, 32), (bottom, 0, top)).tobytes() == b.tobytes()
    assert info(dvid, uuid)["Extents"] == {"MinPoint": [bottom, bottom, 0], "MaxPoint": [2**31 - 1, 31, 2**31 - 1]}


@pytest.mark.parametrize("body_len, message", [
    (2 * 32768 - 1, "block data ceased before all block data read"),
    (0, "block data ceased before all block data read"),
    (2 * 32768 + 1, "bytes more than 2 blocks"),
])
def test_blocks_post_with_wrong_length_writes_nothing(filled, body_len, message):
    dvid, uuid, data = filled
    before = info(dvid, uuid)
    path = f"/api/node/{uuid}/grayscale/blocks/-1_0_0/2"
    r = dvid.post(path, content=bytes([77]) * body_len)
    assert message in error_message(r, path)
    assert get(dvid, uuid, "grayscale", "uint8blk", (64, 64, 64), (-32, 0, 0)).tobytes() == data.tobytes()
    assert info(dvid, uuid) == before


@pytest.mark.parametrize("args, message", [
    ("0_0_0", '"blocks" must be followed by block-coord/span-x'),
    ("0_0/2", "block coordinate"),
    ("0_a_0/2", "block coordinate"),
    ("0_0_0/x", "span"),
    ("0_0_0/0", "span"),
    ("0_0_0/-2", "span"),
    ("0_0_0/2_2", "span"),
])
def test_blocks_bad_urls(filled, args, message):
    dvid, uuid, data = filled
    for method in ("GET", "POST"):
        path = f"/api/node/{uuid}/grayscale/blocks/{args}"
        r = dvid.request(method, path, content=bytes(65536))
        assert message in error_message(r, path)
    assert get(dvid, uuid, "grayscale", "uint8blk", (64, 64, 64), (-32, 0, 0)).tobytes() == data.tobytes()
