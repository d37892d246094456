"""3-D raw transfers: byte-exact round trips of every type (unaligned boxes over written and never-
written voxels, single voxels, rewrites of whole blocks), odd block sizes, every compression and
checksum across a restart, 3-D JPEG as stacked xy slices, and ignored compression= values.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from .volumes import ALL_TYPES, block_bytes, dtype_of, fill_value, get, put, rand, raw_url


@pytest.mark.parametrize("typename", ALL_TYPES)
def test_round_trip_every_type(dvid, typename):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img", Background="7")
    data = rand(typename, (64, 32, 96), seed=11)
    origin = (-64, -32, -32)
    put(dvid, uuid, "img", data, origin)
    # byte-for-byte, as written
    assert get(dvid, uuid, "img", typename, (96, 32, 64), origin).tobytes() == data.tobytes()
    # an unaligned box over written and never-written voxels: the rest reads as Background
    got = get(dvid, uuid, "img", typename, (50, 45, 21), (-70, -40, 20))
    want = np.full((21, 45, 50), fill_value(typename, 7), dtype_of(typename))
    want[:12, 8:40, 6:50] = data[52:64, 0:32, 0:44]
    assert got.tobytes() == want.tobytes()
    # a single voxel
    one = get(dvid, uuid, "img", typename, (1, 1, 1), (31, -1, 31))
    assert one.tobytes() == data[63, 31, 95].tobytes()
    # a second write replaces whole blocks and leaves the others alone
    second = rand(typename, (32, 32, 32), seed=12)
    put(dvid, uuid, "img", second, (-32, -32, 0))
    want = data.copy()
    want[32:, :, 32:64] = second
    assert get(dvid, uuid, "img", typename, (96, 32, 64), origin).tobytes() == want.tobytes()


@pytest.mark.parametrize("typename", ["uint8blk", "uint64blk", "rgba8blk"])
def test_round_trip_with_odd_block_size(dvid, typename):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img", BlockSize="16,8,4")
    data = rand(typename, (12, 24, 48), seed=13)
    put(dvid, uuid, "img", data, (-16, 8, -4))
    assert get(dvid, uuid, "img", typename, (48, 24, 12), (-16, 8, -4)).tobytes() == data.tobytes()
    got = get(dvid, uuid, "img", typename, (13, 7, 5), (-3, 11, 2))
    assert got.tobytes() == data[6:11, 3:10, 13:26].tobytes()
    # blocks come out in the block layout of that block size
    body = dvid.ok("GET", f"/api/node/{uuid}/img/blocks/-1_2_1/2").content
    assert body == block_bytes(data, (-16, 8, -4), (-1, 2, 1), (16, 8, 4)) + block_bytes(data, (-16, 8, -4), (0, 2, 1), (16, 8, 4))


@pytest.mark.parametrize("settings", [{"Compression": "none"}, {"Compression": "gzip"}, {"Compression": "gzip:9"},
                                      {"Checksum": "crc32"}, {"Compression": "none", "Checksum": "crc32"}])
def test_round_trip_every_compression(dvid, settings):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint32blk", "img", **settings)
    data = rand("uint32blk", (32, 64, 32), seed=14)
    put(dvid, uuid, "img", data, (0, 0, 0))
    assert get(dvid, uuid, "img", "uint32blk", (32, 64, 32), (0, 0, 0)).tobytes() == data.tobytes()
    dvid.restart()
    assert get(dvid, uuid, "img", "uint32blk", (32, 64, 32), (0, 0, 0)).tobytes() == data.tobytes()


def test_3d_jpeg_is_stacked_xy_slices(filled):
    dvid, uuid, _ = filled
    smooth = np.tile((np.arange(64, dtype=np.uint8) * 3)[None, None, :], (32, 64, 1))
    put(dvid, uuid, "grayscale", smooth, (0, 0, 0))
    r = dvid.ok("GET", raw_url(uuid, "grayscale", (64, 16, 3), (0, 4, 2), fmt="jpg"))
    assert r.headers["content-type"] == "image/jpeg"
    img = Image.open(io.BytesIO(r.content))
    assert (img.mode, img.size) == ("L", (64, 48))
    assert np.abs(np.asarray(img).astype(int) - smooth[2:5, 4:20].reshape(48, 64)).max() <= 6
    assert dvid.ok("GET", raw_url(uuid, "grayscale", (64, 16, 3), (0, 4, 2), fmt="jpeg")).content == r.content
    # only a bare jpg/jpeg asks for JPEG; anything else is raw bytes
    for fmt in ("jpg:80", "nd", "octet-stream"):
        r = dvid.ok("GET", raw_url(uuid, "grayscale", (64, 16, 3), (0, 4, 2), fmt=fmt))
        assert r.headers["content-type"] == "application/octet-stream"
        assert r.content == smooth[2:5, 4:20].tobytes()


@pytest.mark.parametrize("compression", ["lz4", "gzip", "none", "google"])
def test_3d_transfer_compression_values_are_ignored(filled, compression):
    dvid, uuid, data = filled
    got = dvid.ok("GET", raw_url(uuid, "grayscale", (64, 64, 64), (-32, 0, 0), f"?compression={compression}")).content
    assert got == data.tobytes()
