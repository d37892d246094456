"""The block streams specificblocks and subvolblocks: record order, absent blocks left out, the
stored payload by compression (LZ4, gzip, none, JPEG, also after a block-size change), uncompressed
payloads for every type, bad queries and geometry, and refused POSTs.
"""

from __future__ import annotations

import gzip
import io
import struct

import lz4.block
import numpy as np
import pytest
from conftest import block_records, error_message
from PIL import Image

from .volumes import ALL_TYPES, block_bytes, get, info, put, rand


def test_specificblocks(filled):
    dvid, uuid, data = filled
    url = f"/api/node/{uuid}/grayscale/specificblocks"
    r = dvid.ok("GET", url + "?blocks=0,1,1,-1,0,0,9,9,9,0,0,1&compression=uncompressed")
    assert r.headers["content-type"] == "application/octet-stream"
    got = block_records(r.content)
    # absent blocks are left out; the others come in the order asked
    assert [c for c, _ in got] == [(0, 1, 1), (-1, 0, 0), (0, 0, 1)]
    for coord, payload in got:
        assert payload == block_bytes(data, (-32, 0, 0), coord)
    # default: the stored payload (LZ4: uint32 size, then an LZ4 block)
    stored = block_records(dvid.ok("GET", url + "?blocks=-1,1,0").content)
    assert [c for c, _ in stored] == [(-1, 1, 0)]
    payload = stored[0][1]
    assert payload[:4] == struct.pack("<I", 32768)
    assert lz4.block.decompress(payload) == block_bytes(data, (-32, 0, 0), (-1, 1, 0))
    # nothing asked, nothing found, or only prefetching: an empty answer
    for query in ("", "?blocks=", "?blocks=5,5,5", "?blocks=0,0,0&prefetch=true", "?blocks=0,0,0&prefetch=on"):
        r = dvid.ok("GET", url + query)
        assert r.content == b"", query


@pytest.mark.parametrize("query, message", [
    ("?blocks=1,2", "block query string should be three coordinates per block"),
    ("?blocks=1,2,3,4", "block query string should be three coordinates per block"),
    ("?blocks=1,2,a", "'a' is not an integer"),
    ("?blocks=0,0,0&compression=zstd", "don't understand 'compression' query string value: zstd"),
    ("?blocks=0,0,0&compression=jpeg", "can't encode JPEG: expected internal block data to be JPEG, was LZ4 instead"),
])
def test_specificblocks_bad_queries(filled, query, message):
    dvid, uuid, _ = filled
    path = f"/api/node/{uuid}/grayscale/specificblocks"
    assert message in error_message(dvid.get(path + query), path)


def test_subvolblocks(filled):
    dvid, uuid, data = filled
    url = f"/api/node/{uuid}/grayscale/subvolblocks/96_64_32/-32_0_32"
    r = dvid.ok("GET", url + "?compression=uncompressed")
    assert r.headers["content-type"] == "application/octet-stream"
    got = block_records(r.content)
    # z, then y, then x; the never-written x=1 blocks are left out
    assert [c for c, _ in got] == [(-1, 0, 1), (0, 0, 1), (-1, 1, 1), (0, 1, 1)]
    for coord, payload in got:
        assert payload == block_bytes(data, (-32, 0, 0), coord)
    stored = block_records(dvid.ok("GET", url + "?throttle=on").content)
    assert [c for c, _ in stored] == [c for c, _ in got]
    for (coord, payload), (_, raw) in zip(stored, got):
        assert payload[:4] == struct.pack("<I", 32768)
        assert lz4.block.decompress(payload) == raw
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/subvolblocks/32_32_32/320_0_0").content == b""


@pytest.mark.parametrize("settings, unpack", [
    ({"Compression": "none"}, bytes),
    ({"Compression": "gzip"}, gzip.decompress),
    ({"Compression": "gzip:1"}, gzip.decompress),
    ({"Checksum": "crc32"}, lz4.block.decompress),
    ({"Compression": "none", "Checksum": "crc32"}, bytes),
])
def test_subvolblocks_stored_payload_by_compression(dvid, settings, unpack):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint16blk", "img", **settings)
    data = rand("uint16blk", (32, 32, 64), seed=22)
    put(dvid, uuid, "img", data, (0, 0, 0))
    got = block_records(dvid.ok("GET", f"/api/node/{uuid}/img/subvolblocks/64_32_32/0_0_0").content)
    assert [c for c, _ in got] == [(0, 0, 0), (1, 0, 0)]
    for coord, payload in got:
        assert unpack(payload) == block_bytes(data, (0, 0, 0), coord)


def test_jpeg_stored_blocks(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "jp", Compression="jpeg")
    smooth = np.tile((np.arange(64, dtype=np.uint8) * 4)[None, None, :], (32, 32, 1))
    put(dvid, uuid, "jp", smooth, (0, 0, 0))
    got = get(dvid, uuid, "jp", "uint8blk", (64, 32, 32), (0, 0, 0))
    assert np.abs(got.astype(int) - smooth).max() <= 6
    url = f"/api/node/{uuid}/jp/subvolblocks/64_32_32/0_0_0"
    default, as_jpeg = dvid.ok("GET", url).content, dvid.ok("GET", url + "?compression=jpeg").content
    assert default == as_jpeg
    blocks = block_records(as_jpeg)
    assert [c for c, _ in blocks] == [(0, 0, 0), (1, 0, 0)]
    for (bx, _, _), payload in blocks:
        img = Image.open(io.BytesIO(payload))
        # one greyscale JPEG per block: 32 wide, its rows y then z
        assert (img.format, img.mode, img.size) == ("JPEG", "L", (32, 32 * 32))
        want = smooth[:, :, bx * 32 : bx * 32 + 32].reshape(1024, 32)
        assert np.abs(np.asarray(img).astype(int) - want).max() <= 6
    uncompressed = block_records(dvid.ok("GET", url + "?compression=uncompressed").content)
    assert [bytes(p) for _, p in uncompressed] == [block_bytes(got, (0, 0, 0), c) for c, _ in uncompressed]
    specific = block_records(dvid.ok("GET", f"/api/node/{uuid}/jp/specificblocks?blocks=1,0,0&compression=jpeg").content)
    assert specific == blocks[1:]


def test_jpeg_block_width_follows_a_block_size_change(dvid):
    """Neuroglancer decodes each JPEG block as an image one block wide (BlockSize 64 there)."""
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "jp", Compression="jpeg")
    dvid.ok("POST", f"/api/node/{uuid}/jp", json={"BlockSize": "64,64,64"})
    assert info(dvid, uuid, "jp")["Base"]["Compression"] == "jpeg compression, level 64"
    smooth = np.tile((np.arange(64, dtype=np.uint8) * 2)[None, None, :], (64, 64, 1))
    put(dvid, uuid, "jp", smooth, (64, 0, 0))
    dvid.restart()
    assert info(dvid, uuid, "jp")["Base"]["Compression"] == "jpeg compression, level 64"
    body = dvid.ok("GET", f"/api/node/{uuid}/jp/subvolblocks/64_64_64/64_0_0").content
    img = Image.open(io.BytesIO(body[16:]))
    assert body[:12] == struct.pack("<iii", 1, 0, 0)
    assert (img.mode, img.size) == ("L", (64, 64 * 64))
    assert np.abs(np.asarray(img).astype(int) - smooth.reshape(4096, 64)).max() <= 6


@pytest.mark.parametrize("args, message", [
    ("32_32/0_0_0", "must specify 3D subvolumes"),
    ("32_32_32/0_0", "must specify 3D subvolumes"),
    ("32_32_32/16_0_0", "cannot use labels via 'block' endpoint in non-block aligned geometry (16,0,0) -> (47,31,31)"),
    ("48_32_32/0_0_0", "cannot use labels via 'block' endpoint in non-block aligned geometry (0,0,0) -> (47,31,31)"),
    ("0_32_32/0_0_0", "Illegal geometry requested"),
    ("32_32_32", '"subvolblocks" must be followed by size/offset'),
    ("32_x_32/0_0_0", "'x' is not an integer"),
    ("32_32_32/0_0_0?compression=zstd", "don't understand 'compression' query string value: zstd"),
])
def test_subvolblocks_bad_requests(filled, args, message):
    dvid, uuid, _ = filled
    r = dvid.get(f"/api/node/{uuid}/grayscale/subvolblocks/{args}")
    assert message in error_message(r, f"/api/node/{uuid}/grayscale/subvolblocks/{args.split('?')[0]}")


def test_block_streams_refuse_post(filled):
    dvid, uuid, data = filled
    for path in (f"/api/node/{uuid}/grayscale/subvolblocks/32_32_32/0_0_0", f"/api/node/{uuid}/grayscale/specificblocks"):
        r = dvid.post(path, content=bytes(32768))
        assert "DVID does not accept the post action" in error_message(r, path)
    assert get(dvid, uuid, "grayscale", "uint8blk", (64, 64, 64), (-32, 0, 0)).tobytes() == data.tobytes()


@pytest.mark.parametrize("typename", ALL_TYPES)
def test_block_streams_every_type(dvid, typename):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img")
    data = rand(typename, (32, 64, 32), seed=23)
    put(dvid, uuid, "img", data, (0, -32, 0))
    sub = block_records(dvid.ok("GET", f"/api/node/{uuid}/img/subvolblocks/32_64_32/0_-32_0?compression=uncompressed").content)
    spec = block_records(dvid.ok("GET", f"/api/node/{uuid}/img/specificblocks?blocks=0,0,0,0,-1,0&compression=uncompressed").content)
    assert [c for c, _ in sub] == [(0, -1, 0), (0, 0, 0)]
    assert [c for c, _ in spec] == [(0, 0, 0), (0, -1, 0)]
    for coord, payload in sub + spec:
        assert payload == block_bytes(data, (0, -32, 0), coord)
