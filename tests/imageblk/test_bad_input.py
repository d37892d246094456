"""Bad input: malformed or unstorable requests (shapes, sizes and offsets, empty, huge or unaligned
geometry, body lengths, formats and compressions, ROIs and attenuation), other verbs, the bare
instance root, unknown endpoints and unknown instances each answer a 4xx naming the problem and
leave the volume, its blocks and its info unchanged; JPEG storage of multi-byte types and bad
creation settings create no instance.
"""

from __future__ import annotations

import pytest
from conftest import block_records, error_message

from .volumes import MULTI_BYTE_TYPES, dtype_of, get, info, make_roi, raw_url


def unchanged(dvid, uuid, data, before):
    """The volume, its stored blocks and its info are as they were."""
    around = get(dvid, uuid, "grayscale", "uint8blk", (128, 128, 128), (-64, -32, -32)).copy()
    assert around[32:96, 32:96, 32:96].tobytes() == data.tobytes()
    around[32:96, 32:96, 32:96] = 0
    assert not around.any()
    stored = block_records(dvid.ok("GET", f"/api/node/{uuid}/grayscale/subvolblocks/160_160_160/-64_-32_-32").content)
    assert sorted(c for c, _ in stored) == sorted((x, y, z) for x in (-1, 0) for y in (0, 1) for z in (0, 1))
    assert info(dvid, uuid) == before


BAD_REQUESTS = [
    # shape, size and offset strings
    ("GET", "raw/0_3/64_64/0_0_0", 0, "Unknown data shape specification (0_3)"),
    ("GET", "raw/xyz/64_64/0_0_0", 0, "Unknown data shape specification (xyz)"),
    ("POST", "raw/0_1_3/64_64_64/0_0_0", 64**3, "Unknown data shape specification (0_1_3)"),
    ("GET", "raw/arb/64_64/0_0_0", 0, "DVID currently supports shapes of only 2 and 3 dimensions"),
    ("GET", "raw/0_1_2/64_64/0_0_0", 0, "Size must be 3 (not 2) dimensions"),
    ("POST", "raw/0_1_2/64_64_64_1/0_0_0", 64**3, "Size must be 3 (not 4) dimensions"),
    ("GET", "raw/0_1_2/64_a_64/0_0_0", 0, "cannot parse size '64_a_64'"),
    ("POST", "raw/0_1_2/64_64_64/0_x_0", 64**3, "cannot parse offset '0_x_0'"),
    ("GET", "raw/0_1_2/64_64_64/0_0", 0, "Offset must be 3d coordinate, not 2-d coordinate"),
    ("GET", "raw/xy/64_64/0_0", 0, "Offset must be 3d coordinate, not 2-d coordinate"),
    ("GET", "raw/xy/64_64_64/0_0_0", 0, "2d slice must be 2 integers"),
    ("GET", "raw/0_1_2/2147483648_1_1/0_0_0", 0, "does not fit in 32 bits"),
    ("GET", "raw/0_1_2", 0, '"raw" must be followed by shape/size/offset'),
    ("POST", "raw/0_1_2/64_64", 0, '"raw" must be followed by shape/size/offset'),
    # empty or huge geometry
    ("GET", "raw/0_1_2/0_64_64/0_0_0", 0, "Illegal geometry requested"),
    ("POST", "raw/0_1_2/0_64_64/0_0_0", 0, "Illegal geometry requested"),
    ("GET", "raw/0_1_2/64_-64_64/0_0_0", 0, "Illegal geometry requested"),
    ("GET", "raw/xy/0_5/0_0_0", 0, "Illegal geometry requested"),
    ("GET", "raw/0_1_2/2048_2048_1024/0_0_0", 0, "Requested payload (4294967296 bytes) exceeds this DVID server's set limit (3221225472)"),
    ("POST", "raw/0_1_2/64_64_64/2147483616_0_0", 64**3,
     "geometry (2147483616,0,0) -> (2147483679,63,63) goes beyond the largest voxel coordinate (2147483647)"),
    ("GET", "raw/xy/2_2/0_2147483647_0", 0,
     "geometry (0,2147483647,0) -> (1,2147483648,0) goes beyond the largest voxel coordinate (2147483647)"),
    ("GET", "subvolblocks/64_64_64/2147483616_0_0", 0, "goes beyond the largest voxel coordinate (2147483647)"),
    # writes that cannot be stored
    ("POST", "raw/0_1_2/64_64_64/1_0_0", 64**3, "cannot store voxels in non-block aligned geometry (1,0,0) -> (64,63,63)"),
    ("POST", "raw/0_1_2/60_64_64/-32_0_0", 60 * 64 * 64, "cannot store voxels in non-block aligned geometry (-32,0,0) -> (27,63,63)"),
    ("POST", "raw/0_1_2/32_32_32/0_0_-16", 32**3, "cannot store voxels in non-block aligned geometry (0,0,-16) -> (31,31,15)"),
    ("POST", "raw/0_1_2/64_64_64/-32_0_0", 64**3 - 1,
     "voxels data was 262143 bytes, expected 262144 bytes for (-32,0,0) -> (31,63,63)"),
    ("POST", "raw/0_1_2/64_64_64/-32_0_0", 64**3 + 5,
     "voxels data was 262149 bytes, expected 262144 bytes for (-32,0,0) -> (31,63,63)"),
    ("POST", "raw/0_1_2/64_64_64/-32_0_0", 0, "voxels data was 0 bytes, expected 262144 bytes for (-32,0,0) -> (31,63,63)"),
    ("POST", "raw/xy/64_64/-32_0_0", 64 * 64, "DVID does not permit 2d mutations, only 3d block-aligned stores"),
    ("POST", "raw/yz/64_64/-32_0_0", 64 * 64, "DVID does not permit 2d mutations, only 3d block-aligned stores"),
    ("POST", "isotropic/0_1_2/64_64_64/-32_0_0", 64**3, "can only POST 'raw' not 'isotropic' images"),
    ("POST", "isotropic/xy/64_64/-32_0_0", 64 * 64, "can only POST 'raw' not 'isotropic' images"),
    # formats and compressions
    ("GET", "raw/xy/64_64/0_0_0/gif", 0, "Illegal image format requested: gif"),
    ("GET", "isotropic/xz/64_64/0_0_0/webp", 0, "Illegal image format requested: webp"),
    ("GET", "raw/xy/64_64/0_0_0/jpg:abc", 0, "Unable to parse JPEG quality: 'abc'"),
    ("GET", "raw/xy/64_64/0_0_0/jpg:101", 0, "JPEG quality must be from 1 to 100, not 101"),
    ("GET", "raw/0_1_2/64_64_64/-32_0_0?compression=snappy", 0, 'unknown compression type "snappy"'),
    ("POST", "raw/0_1_2/64_64_64/-32_0_0?compression=zstd", 64**3, 'unknown compression type "zstd"'),
    ("GET", "subvolblocks/64_64_64/-32_0_0?compression=lz4", 0, "don't understand 'compression' query string value: lz4"),
    # ROI and attenuation
    ("GET", "raw/0_1_2/64_64_64/-32_0_0?roi=nosuchroi", 0, 'Can\'t get ROI with name "nosuchroi"'),
    ("POST", "raw/0_1_2/64_64_64/-32_0_0?roi=nosuchroi", 64**3, 'Can\'t get ROI with name "nosuchroi"'),
    ("GET", "raw/xy/64_64/-32_0_0?roi=nosuchroi", 0, 'Can\'t get ROI with name "nosuchroi"'),
    ("POST", "raw/0_1_2/64_64_64/-32_0_0?roi=grayscale", 64**3, 'Can\'t get ROI with name "grayscale"'),
    ("GET", "raw/0_1_2/64_64_64/-32_0_0?roi=myroi&attenuation=0", 0, "Attenuation should be from 1 to 7 (divides by 2^n)"),
    ("GET", "raw/0_1_2/64_64_64/-32_0_0?roi=myroi&attenuation=8", 0, "Attenuation should be from 1 to 7 (divides by 2^n)"),
    ("GET", "raw/0_1_2/64_64_64/-32_0_0?roi=myroi&attenuation=-1", 0, "Attenuation should be from 1 to 7 (divides by 2^n)"),
    ("GET", "raw/xy/64_64/-32_0_0?roi=myroi&attenuation=x", 0, "Attenuation should be from 1 to 7 (divides by 2^n)"),
    ("POST", "raw/0_1_2/64_64_64/-32_0_0?roi=myroi&attenuation=2.5", 64**3, "Attenuation should be from 1 to 7 (divides by 2^n)"),
    ("POST", "raw/0_1_2/64_64_64/-32_0_0?roi=myroi&attenuation=9", 64**3, "Attenuation should be from 1 to 7 (divides by 2^n)"),
]


@pytest.mark.parametrize("method, path, body, message", BAD_REQUESTS, ids=[f"{m} {p}" for m, p, _, _ in BAD_REQUESTS])
def test_bad_requests_change_nothing(filled, method, path, body, message):
    dvid, uuid, data = filled
    make_roi(dvid, uuid, [[0, 0, -1, 0]])
    before = info(dvid, uuid)
    url = f"/api/node/{uuid}/grayscale/{path}"
    r = dvid.request(method, url, content=bytes([99]) * body)
    assert message in error_message(r, url.split("?")[0])
    unchanged(dvid, uuid, data, before)


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
def test_other_verbs_are_refused(filled, method):
    dvid, uuid, data = filled
    before = info(dvid, uuid)
    for path in ("raw/0_1_2/64_64_64/-32_0_0", "blocks/-1_0_0/2", "info", "extents"):
        url = f"/api/node/{uuid}/grayscale/{path}"
        r = dvid.request(method, url, content=bytes(64**3))
        assert error_message(r, url) == 'Data "grayscale" can only handle GET or POST HTTP verbs'
    unchanged(dvid, uuid, data, before)


def test_instance_root_needs_a_keyword(filled):
    dvid, uuid, data = filled
    before = info(dvid, uuid)
    path = f"/api/node/{uuid}/grayscale"
    assert error_message(dvid.get(path), path) == "Incomplete API request"
    unchanged(dvid, uuid, data, before)


@pytest.mark.parametrize("method, tail", [("GET", "nosuchthing"), ("POST", "nosuchthing/1_2_3"), ("GET", "label/1_2_3"),
                                          ("POST", "sync"), ("GET", "labels")])
def test_unknown_endpoints(filled, method, tail):
    dvid, uuid, data = filled
    before = info(dvid, uuid)
    path = f"/api/node/{uuid}/grayscale/{tail}"
    r = dvid.request(method, path, content=b'{"sync": "x"}')
    assert r.status_code == 400
    assert r.text == f'Bad API call ({path}) for data "grayscale".  See API help at http://testserver/api/help/uint8blk\n'
    unchanged(dvid, uuid, data, before)


def test_unknown_instance(filled):
    dvid, uuid, data = filled
    before = info(dvid, uuid)
    for method in ("GET", "POST"):
        path = raw_url(uuid, "nosuch", (64, 64, 64), (-32, 0, 0))
        assert error_message(dvid.request(method, path, content=bytes(64**3)), path) == "invalid data instance name"
    unchanged(dvid, uuid, data, before)


@pytest.mark.parametrize("typename", MULTI_BYTE_TYPES)
def test_jpeg_storage_needs_8_bit_voxels(dvid, typename):
    uuid = dvid.new_repo()
    path = f"/api/repo/{uuid}/instance"
    r = dvid.post(path, json={"typename": typename, "dataname": "j", "Compression": "jpeg"})
    nbytes = dtype_of(typename).itemsize
    assert error_message(r, path) == f"Compression jpeg stores 8-bit grey blocks only; {typename} has {nbytes} bytes per voxel"
    assert "j" not in dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DataInstances"]


@pytest.mark.parametrize("settings, message", [
    ({"BlockSize": "32,32"}, "BlockSize"),
    ({"BlockSize": "32,0,32"}, "BlockSize"),
    ({"VoxelSize": "1,x,1"}, "VoxelSize"),
    ({"VoxelUnits": "nm,nm"}, "VoxelUnits"),
    ({"Compression": "zstd"}, "zstd"),
    ({"Checksum": "md5"}, "md5"),
    ({"Background": "256"}, "Background"),
    ({"Background": "dark"}, "Background"),
    ({"MinPoint": "1,2"}, "minpoint"),
    ({"BlockSize": 32}, "BlockSize must be 3d, not 1d"),
])
def test_bad_creation_settings(dvid, settings, message):
    uuid = dvid.new_repo()
    r = dvid.post(f"/api/repo/{uuid}/instance", json={"typename": "uint8blk", "dataname": "g", **settings})
    assert r.status_code == 400
    assert message.lower() in r.text.lower()
    assert "g" not in dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DataInstances"]
