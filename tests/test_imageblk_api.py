"""imageblk over HTTP: DVID's uint8/uint16/float32 tests ported, every endpoint, every type, bad input."""

from __future__ import annotations

import json

import lz4.block
import numpy as np
import pytest

from conftest import block_records
from core.imaging import decode_jpeg, decode_png

XDATA = [0x01, 0x07, 0xAF, 0xFF, 0x70]
YDATA = [0x33, 0xB2, 0x77, 0xD0, 0x4F]
ZDATA = [0x5C, 0x89, 0x40, 0x13, 0xCA]

TYPES = {
    "uint8blk": np.dtype("u1"),
    "uint16blk": np.dtype("<u2"),
    "uint32blk": np.dtype("<u4"),
    "uint64blk": np.dtype("<u8"),
    "float32blk": np.dtype("<f4"),
    "rgba8blk": np.dtype("<u4"),  # four bytes per voxel, compared as raw words
}


def make_volume(offset, size) -> np.ndarray:
    """DVID's imageblk makeVolume: x-, y- and z-dependent bytes XORed, as a ``[z][y][x]`` array."""
    (ox, oy, oz), (nx, ny, nz) = offset, size
    x = np.array(XDATA, dtype=np.uint8)[np.arange(ox, ox + nx) % 5]
    y = np.array(YDATA, dtype=np.uint8)[np.arange(oy, oy + ny) % 5]
    z = np.array(ZDATA, dtype=np.uint8)[np.arange(oz, oz + nz) % 5]
    return z[:, None, None] ^ y[None, :, None] ^ x[None, None, :]


def random_volume(dtype: np.dtype, shape_zyx, seed: int = 0) -> np.ndarray:
    raw = np.random.default_rng(seed).integers(0, 256, int(np.prod(shape_zyx)) * dtype.itemsize, dtype=np.uint8)
    if dtype.kind == "f":
        return np.random.default_rng(seed).random(shape_zyx, dtype=np.float32) * 1000
    return raw.view(dtype).reshape(shape_zyx)


def raw_url(uuid: str, name: str, size, offset, query: str = "") -> str:
    s = "_".join(map(str, size))
    o = "_".join(map(str, offset))
    return f"/api/node/{uuid}/{name}/raw/0_1_2/{s}/{o}{query}"


@pytest.fixture
def gray(dvid):
    """A repo with a default uint8blk ``grayscale``; yields (harness, uuid)."""
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "grayscale")
    return dvid, uuid


# -- DVID's uint8_test.go, uint16_test.go, float32_test.go ----------------------------------------


@pytest.mark.parametrize("typename, name", [("uint8blk", "grayscale"), ("uint16blk", "tester"), ("float32blk", "weights")])
def test_instance_creation(dvid, typename, name):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, name, blocksize="64,43,28", VoxelSize="13.1, 14.2, 15.3",
                      VoxelUnits="picometers,nanometers,microns")
    info = dvid.ok("GET", f"/api/node/{uuid}/{name}/info").json()
    assert info["Base"]["Name"] == name
    assert info["Base"]["TypeName"] == typename
    assert info["Extended"]["BlockSize"] == [64, 43, 28]
    assert info["Extended"]["VoxelSize"] == pytest.approx([13.1, 14.2, 15.3], rel=1e-6)
    assert info["Extended"]["VoxelUnits"] == ["picometers", "nanometers", "microns"]


def test_extents_and_resolution(gray):
    dvid, uuid = gray
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/extents", content=b'{"MinPoint": [68, 127, 210], "MaxPoint": [1023, 4811, 12187]}')
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/resolution", content=b"[4.0, 4.0, 4.0]")
    ext = dvid.ok("GET", f"/api/node/{uuid}/grayscale/info").json()["Extended"]
    assert ext["MinPoint"] == [68, 127, 210]
    assert ext["MaxPoint"] == [1023, 4811, 12187]
    assert ext["MinIndex"] == [2, 3, 6]
    assert ext["MaxIndex"] == [31, 150, 380]
    assert ext["VoxelSize"] == [4, 4, 4]


def test_direct_calls_uint8(gray):
    dvid, uuid = gray
    data = make_volume((512, 32, 1024), (128, 96, 64)).tobytes()
    url = raw_url(uuid, "grayscale", (128, 96, 64), (512, 32, 1024))
    dvid.ok("POST", url, content=data)
    got = dvid.ok("GET", url)
    assert got.headers["content-type"] == "application/octet-stream"
    assert len(got.content) == 786432
    assert got.content == data


@pytest.mark.parametrize("typename, dtype", [("uint16blk", "<u2"), ("float32blk", "<f4")])
def test_direct_calls_wide_types(dvid, typename, dtype):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img")
    n = 128 * 96 * 64
    values = np.arange(n) % 65536 if dtype == "<u2" else np.arange(n)
    data = values.astype(dtype).tobytes()
    url = raw_url(uuid, "img", (128, 96, 64), (512, 32, 1024))
    dvid.ok("POST", url + "?mutate=true", content=data)
    got = dvid.ok("GET", url).content
    assert len(got) == n * np.dtype(dtype).itemsize
    assert got == data


def test_block_api(gray):
    dvid, uuid = gray
    n = 101
    data = np.random.default_rng(1).integers(0, 256, n * 32768, dtype=np.uint8).tobytes()
    x, y, z = 1 << 20, 77, 3
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/blocks/{x}_{y}_{z}/{n}", content=data)
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/blocks/{x}_{y}_{z}/{n}").content == data
    empty = dvid.ok("GET", f"/api/node/{uuid}/grayscale/blocks/{x}_{y}_{z + 1}/{n}").content
    assert empty == bytes(len(data))
    # The blocks are voxels like any others.
    first = np.frombuffer(data[:32768], np.uint8).reshape(32, 32, 32)
    got = dvid.ok("GET", raw_url(uuid, "grayscale", (32, 32, 32), (x * 32, y * 32, z * 32))).content
    assert got == first.tobytes()


def test_block_api_for_wide_types(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint64blk", "big")
    data = random_volume(np.dtype("<u8"), (2 * 32, 32, 32)).tobytes()
    dvid.ok("POST", f"/api/node/{uuid}/big/blocks/0_0_0/2", content=data)
    assert dvid.ok("GET", f"/api/node/{uuid}/big/blocks/0_0_0/2").content == data


@pytest.mark.parametrize("settings", [
    {"BlockSize": "12,13,14", "VoxelSize": "1.1,2.8,11", "VoxelUnits": "microns,millimeters,nanometers"},
])
def test_repo_persistence(dvid, settings):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "grayscale", **settings)
    dvid.ok("POST", raw_url(uuid, "grayscale", (24, 26, 28), (12, 13, 14)), content=make_volume((12, 13, 14), (24, 26, 28)).tobytes())
    before = dvid.ok("GET", f"/api/node/{uuid}/grayscale/info").json()
    assert before["Extended"]["BlockSize"] == [12, 13, 14]
    assert before["Extended"]["MinPoint"] == [12, 13, 14]
    assert before["Extended"]["MaxPoint"] == [35, 38, 41]
    dvid.restart()
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/info").json() == before


# -- every type: round trips, partial blocks, negative coordinates, Background -------------------


@pytest.mark.parametrize("typename", sorted(TYPES))
def test_round_trip_every_type(dvid, typename):
    dtype = TYPES[typename]
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img")
    data = random_volume(dtype, (32, 64, 96), seed=3)
    dvid.ok("POST", raw_url(uuid, "img", (96, 64, 32), (-32, -64, 0)), content=data.tobytes())
    assert dvid.ok("GET", raw_url(uuid, "img", (96, 64, 32), (-32, -64, 0))).content == data.tobytes()
    # An unaligned box reaching beyond what was written: the rest reads as 0.
    got = dvid.ok("GET", raw_url(uuid, "img", (50, 70, 40), (-40, -30, 5))).content
    want = np.zeros((40, 70, 50), dtype=dtype)
    want[0:27, 0:30, 8:50] = data[5:32, 34:64, 0:42]
    assert got == want.tobytes()


def test_background_fills_unwritten_voxels(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "bg", Background="7")
    data = make_volume((0, 0, 0), (32, 32, 32))
    dvid.ok("POST", raw_url(uuid, "bg", (32, 32, 32), (0, 0, 0)), content=data.tobytes())
    got = np.frombuffer(dvid.ok("GET", raw_url(uuid, "bg", (64, 32, 32), (0, 0, 0))).content, np.uint8)
    got = got.reshape(32, 32, 64)
    assert np.array_equal(got[:, :, :32], data)
    assert (got[:, :, 32:] == 7).all()


# -- 2-D images ------------------------------------------------------------------------------------


@pytest.fixture
def filled(gray):
    """grayscale holding makeVolume over (0,0,0)-(64,64,64)."""
    dvid, uuid = gray
    data = make_volume((0, 0, 0), (64, 64, 64))
    dvid.ok("POST", raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0)), content=data.tobytes())
    return dvid, uuid, data


@pytest.mark.parametrize("plane, size, offset, pick", [
    ("xy", "64_40", "0_10_5", lambda d: d[5, 10:50, :]),
    ("0_1", "64_40", "0_10_5", lambda d: d[5, 10:50, :]),
    ("xz", "30_64", "3_9_0", lambda d: d[:, 9, 3:33]),
    ("0_2", "30_64", "3_9_0", lambda d: d[:, 9, 3:33]),
    ("yz", "64_20", "17_0_40", lambda d: d[40:60, :, 17]),
    ("1_2", "64_20", "17_0_40", lambda d: d[40:60, :, 17]),
])
def test_png_slices(filled, plane, size, offset, pick):
    dvid, uuid, data = filled
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/raw/{plane}/{size}/{offset}")
    assert r.headers["content-type"] == "image/png"
    assert np.array_equal(decode_png(r.content), pick(data))
    explicit = dvid.ok("GET", f"/api/node/{uuid}/grayscale/raw/{plane}/{size}/{offset}/png")
    assert explicit.content == r.content


def test_jpeg_slice_and_quality(filled):
    dvid, uuid, data = filled
    smooth = np.tile(np.arange(64, dtype=np.uint8) * 4, (64, 64, 1))
    dvid.ok("POST", raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0)), content=smooth.tobytes())
    hi = dvid.ok("GET", f"/api/node/{uuid}/grayscale/raw/xy/64_64/0_0_3/jpg:95")
    lo = dvid.ok("GET", f"/api/node/{uuid}/grayscale/raw/xy/64_64/0_0_3/jpg:10")
    assert hi.headers["content-type"] == "image/jpeg"
    img = decode_jpeg(hi.content)
    assert img.shape[:2] == (64, 64)
    assert np.abs(img.reshape(64, 64, -1)[..., 0].astype(int) - smooth[3]).max() <= 8
    assert len(lo.content) < len(hi.content)


def test_isotropic_slice_scales_by_voxel_size(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "aniso", VoxelSize="1,1,2")
    data = make_volume((0, 0, 0), (64, 64, 64))
    dvid.ok("POST", raw_url(uuid, "aniso", (64, 64, 64), (0, 0, 0)), content=data.tobytes())
    # xz of 64 x 32 pixels covers 32 z slices at voxel size 2 stretched to 32... the z axis is
    # resampled so one pixel is one x voxel wide: a 64 x 32 request reads 16 slices of z.
    r = dvid.ok("GET", f"/api/node/{uuid}/aniso/isotropic/xz/64_32/0_7_0")
    img = decode_png(r.content)
    assert img.shape == (32, 64)
    assert np.array_equal(img[0::2], data[0:16, 7, :])


def test_arb_plane_matches_xy_slice(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g", VoxelSize="1,1,1")
    data = make_volume((0, 0, 0), (64, 64, 64))
    dvid.ok("POST", raw_url(uuid, "g", (64, 64, 64), (0, 0, 0)), content=data.tobytes())
    r = dvid.ok("GET", f"/api/node/{uuid}/g/arb/0_0_5/63_0_5/0_63_5/1/png")
    assert np.array_equal(decode_png(r.content), data[5])


# -- block streams -----------------------------------------------------------------------------------


def block_of(data: np.ndarray, x: int, y: int, z: int) -> bytes:
    return data[z * 32 : z * 32 + 32, y * 32 : y * 32 + 32, x * 32 : x * 32 + 32].tobytes()


def test_subvolblocks(filled):
    dvid, uuid, data = filled
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/subvolblocks/64_64_32/0_0_32?compression=uncompressed")
    records = block_records(r.content)
    assert [c for c, _ in records] == [(0, 0, 1), (1, 0, 1), (0, 1, 1), (1, 1, 1)]
    assert all(b == block_of(data, *c) for c, b in records)
    stored = block_records(dvid.ok("GET", f"/api/node/{uuid}/grayscale/subvolblocks/64_64_32/0_0_32").content)
    assert [c for c, _ in stored] == [c for c, _ in records]
    # The stored payload: LZ4 with DVID's 4-byte size prefix.
    assert all(lz4.block.decompress(b) == block_of(data, *c) for c, b in stored)


def test_specificblocks(filled):
    dvid, uuid, data = filled
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/specificblocks?blocks=1,1,0,0,0,1,9,9,9&compression=uncompressed")
    records = dict(block_records(r.content))
    assert set(records) == {(1, 1, 0), (0, 0, 1)}
    assert records[(1, 1, 0)] == block_of(data, 1, 1, 0)
    assert records[(0, 0, 1)] == block_of(data, 0, 0, 1)


def test_jpeg_stored_blocks(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "jp", Compression="jpeg")
    smooth = np.tile(np.arange(32, dtype=np.uint8) * 8, (32, 32, 1))
    dvid.ok("POST", raw_url(uuid, "jp", (32, 32, 32), (0, 0, 0)), content=smooth.tobytes())
    got = np.frombuffer(dvid.ok("GET", raw_url(uuid, "jp", (32, 32, 32), (0, 0, 0))).content, np.uint8)
    assert np.abs(got.reshape(32, 32, 32).astype(int) - smooth).max() <= 8
    (coord, jpeg), = block_records(dvid.ok("GET", f"/api/node/{uuid}/jp/subvolblocks/32_32_32/0_0_0?compression=jpeg").content)
    assert coord == (0, 0, 0)
    pixels = decode_jpeg(jpeg)
    assert pixels.shape[:2] == (32 * 32, 32)
    # A non-JPEG instance cannot serve JPEG blocks.
    dvid.new_instance(uuid, "uint8blk", "plain")
    dvid.ok("POST", raw_url(uuid, "plain", (32, 32, 32), (0, 0, 0)), content=smooth.tobytes())
    r = dvid.get(f"/api/node/{uuid}/plain/subvolblocks/32_32_32/0_0_0?compression=jpeg")
    assert r.status_code == 400
    assert "JPEG" in r.text


def test_raw_3d_as_jpeg(filled):
    dvid, uuid, _ = filled
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/raw/0_1_2/64_64_2/0_0_0/jpg")
    assert r.headers["content-type"] == "image/jpeg"
    assert decode_jpeg(r.content).shape[:2] == (128, 64)


# -- metadata, info, rawkey, config ---------------------------------------------------------------


def test_metadata(filled):
    dvid, uuid, _ = filled
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/metadata")
    assert r.headers["content-type"] == "application/vnd.dvid-nd-data+json"
    assert r.content.endswith(b"\n")
    meta = r.json()
    assert [a["Label"] for a in meta["Axes"]] == ["X", "Y", "Z"]
    assert [a["Size"] for a in meta["Axes"]] == [64, 64, 64]
    assert meta["Properties"]["Values"][0]["DataType"] == "uint8"


def test_rawkey_names_the_block_key(gray):
    dvid, uuid = gray
    key = dvid.ok("GET", f"/api/node/{uuid}/grayscale/rawkey?x=1&y=2&z=3").json()["Key"]
    assert len(key) == 2 * (5 + 14 + 9)
    assert key.startswith("01")
    r = dvid.get(f"/api/node/{uuid}/grayscale/rawkey?x=1&y=2")
    assert r.status_code == 400


def test_help_and_unknown_endpoint(gray):
    dvid, uuid = gray
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/help")
    assert r.headers["content-type"].startswith("text/plain")
    assert "subvolblocks" in r.text
    r = dvid.get(f"/api/node/{uuid}/grayscale/nosuchthing")
    assert r.status_code == 400


# -- versions ---------------------------------------------------------------------------------------


def test_child_writes_leave_parent_alone(filled):
    dvid, uuid, data = filled
    dvid.commit(uuid)
    url = raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0))
    r = dvid.post(url, content=bytes(64**3))
    assert r.status_code == 400
    assert "locked" in r.text
    child = dvid.newversion(uuid)
    dvid.ok("POST", raw_url(child, "grayscale", (32, 32, 32), (0, 0, 0)), content=bytes(32**3))
    assert dvid.ok("GET", url).content == data.tobytes()
    got = np.frombuffer(dvid.ok("GET", raw_url(child, "grayscale", (64, 64, 64), (0, 0, 0))).content, np.uint8)
    want = data.copy()
    want[:32, :32, :32] = 0
    assert np.array_equal(got.reshape(64, 64, 64), want)


def test_extents_grow_and_persist(gray):
    dvid, uuid = gray
    dvid.ok("POST", raw_url(uuid, "grayscale", (32, 32, 32), (32, 64, 96)), content=bytes(32**3))
    dvid.ok("POST", raw_url(uuid, "grayscale", (32, 32, 32), (-32, 0, 0)), content=bytes(32**3))
    ext = dvid.ok("GET", f"/api/node/{uuid}/grayscale/info").json()["Extended"]
    assert (ext["MinPoint"], ext["MaxPoint"]) == ([-32, 0, 0], [63, 95, 127])
    assert (ext["MinIndex"], ext["MaxIndex"]) == ([-1, 0, 0], [1, 2, 3])
    dvid.restart()
    again = dvid.ok("GET", f"/api/node/{uuid}/grayscale/info").json()["Extended"]
    assert (again["MinPoint"], again["MaxPoint"]) == ([-32, 0, 0], [63, 95, 127])


# -- ROI-masked reads and writes, through the roi plugin -------------------------------------------


@pytest.fixture
def with_roi(filled):
    """An ROI holding blocks (0,0,0) and (1,1,1) of the 2x2x2 filled blocks."""
    dvid, uuid, data = filled
    dvid.new_instance(uuid, "roi", "myroi")
    dvid.ok("POST", f"/api/node/{uuid}/myroi/roi", content=b"[[0,0,0,0],[1,1,1,1]]")
    inside = np.zeros((64, 64, 64), dtype=bool)
    inside[:32, :32, :32] = True
    inside[32:, 32:, 32:] = True
    return dvid, uuid, data, inside


def test_roi_read(with_roi):
    dvid, uuid, data, inside = with_roi
    got = dvid.ok("GET", raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0), "?roi=myroi")).content
    assert got == np.where(inside, data, 0).astype(np.uint8).tobytes()


@pytest.mark.parametrize("n", [1, 3, 7])
def test_roi_read_with_attenuation(with_roi, n):
    dvid, uuid, data, inside = with_roi
    got = dvid.ok("GET", raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0), f"?roi=myroi&attenuation={n}")).content
    assert got == np.where(inside, data, data >> n).astype(np.uint8).tobytes()


def test_roi_write_only_inside(with_roi):
    dvid, uuid, data, inside = with_roi
    new = np.full((64, 64, 64), 200, dtype=np.uint8)
    dvid.ok("POST", raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0), "?roi=myroi"), content=new.tobytes())
    got = dvid.ok("GET", raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0))).content
    assert got == np.where(inside, new, data).astype(np.uint8).tobytes()


@pytest.mark.parametrize("query, message", [
    ("?roi=nosuchroi", "nosuchroi"),
    ("?roi=myroi&attenuation=0", "Attenuation should be from 1 to 7"),
    ("?roi=myroi&attenuation=8", "Attenuation should be from 1 to 7"),
    ("?roi=myroi&attenuation=x", "ttenuation"),
])
def test_bad_roi_queries(with_roi, query, message):
    dvid, uuid, data, _ = with_roi
    url = raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0), query)
    r = dvid.get(url)
    assert r.status_code == 400
    assert message in r.text
    r = dvid.post(url, content=bytes(64**3))
    assert r.status_code == 400
    assert dvid.ok("GET", raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0))).content == data.tobytes()


def test_attenuation_needs_byte_channels(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint16blk", "w")
    dvid.new_instance(uuid, "roi", "r")
    r = dvid.get(raw_url(uuid, "w", (32, 32, 32), (0, 0, 0), "?roi=r&attenuation=2"))
    assert r.status_code == 400
    assert "1 byte" in r.text or "8-bit" in r.text


# -- bad input: a 4xx naming the problem, and nothing written ---------------------------------------


@pytest.mark.parametrize("method, path, body, message", [
    ("POST", "raw/0_1_2/64_64_64/1_0_0", 64**3, "non-block aligned"),
    ("POST", "raw/0_1_2/60_64_64/0_0_0", 60 * 64 * 64, "non-block aligned"),
    ("POST", "raw/0_1_2/64_64_64/0_0_0", 64**3 - 1, "64"),
    ("POST", "raw/0_1_2/64_64_64/0_0_0", 64**3 + 5, "64"),
    ("POST", "raw/xy/64_64/0_0_0", 64 * 64, "2d"),
    ("POST", "isotropic/0_1_2/64_64_64/0_0_0", 64**3, "isotropic"),
    ("GET", "raw/0_3/64_64/0_0_0", 0, "0_3"),
    ("GET", "raw/xyz/64_64/0_0_0", 0, "xyz"),
    ("GET", "raw/0_1_2/64_64/0_0_0", 0, "64_64"),
    ("GET", "raw/0_1_2/64_a_64/0_0_0", 0, "64_a_64"),
    ("GET", "raw/0_1_2/64_64_64/0_0", 0, "0_0"),
    ("GET", "raw/0_1_2/0_64_64/0_0_0", 0, "0"),
    ("GET", "raw/xy/64_64/0_0_0/gif", 0, "gif"),
    ("GET", "raw/0_1_2/64_64_64/0_0_0?compression=snappy", 0, "snappy"),
    ("GET", "subvolblocks/64_64_64/0_0_0?compression=zstd", 0, "zstd"),
    ("POST", "blocks/0_0_0/2", 32768 * 2 - 1, "block"),
    ("GET", "blocks/0_0_0", 0, "blocks"),
    ("POST", "subvolblocks/64_64_64/0_0_0", 10, "subvolblocks"),
    ("GET", "arb/0_0_0/10_0_0/0_10_0", 0, "arb"),
    ("GET", "arb/0_0_0/10_0_0/0_10_0/-1", 0, "resolution"),
    ("POST", "extents", b"[1,2]", "MinPoint"),
    ("POST", "resolution", b"[1,2]", "resolution"),
])
def test_bad_requests_change_nothing(filled, method, path, body, message):
    dvid, uuid, data = filled
    before = dvid.ok("GET", f"/api/node/{uuid}/grayscale/info").json()
    content = bytes(body) if isinstance(body, int) else body
    r = dvid.request(method, f"/api/node/{uuid}/grayscale/{path}", content=content)
    assert 400 <= r.status_code < 500, r.text
    assert message.lower() in r.text.lower()
    assert r.headers["content-type"].startswith("text/plain")
    assert dvid.ok("GET", raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0))).content == data.tobytes()
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/info").json() == before


def test_unknown_instance(gray):
    dvid, uuid = gray
    r = dvid.get(raw_url(uuid, "nosuch", (32, 32, 32), (0, 0, 0)))
    assert r.status_code == 400
    assert "invalid data instance name" in r.text


@pytest.mark.parametrize("settings, message", [
    ({"BlockSize": "32,32"}, "BlockSize"),
    ({"VoxelSize": "1,x,1"}, "VoxelSize"),
    ({"Compression": "snappy"}, "snappy"),
    ({"Background": "300"}, "Background"),
])
def test_bad_creation_settings(dvid, settings, message):
    uuid = dvid.new_repo()
    r = dvid.post(f"/api/repo/{uuid}/instance", json={"typename": "uint8blk", "dataname": "g", **settings})
    assert r.status_code == 400
    assert message.lower() in r.text.lower()
    assert "g" not in dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DataInstances"]


def test_what_neuroglancer_asks_for(dvid):
    """Discovery through /api/repos/info, 64^3 JPEG blocks via subvolblocks, and 3D chunks as JPEG."""
    uuid = dvid.new_repo("ng")
    dvid.new_instance(uuid, "uint8blk", "jpgblocks", BlockSize="64,64,64", Compression="jpeg")
    dvid.new_instance(uuid, "uint8blk", "gray", BlockSize="64,64,64")
    smooth = np.tile(np.arange(64, dtype=np.uint8) * 3, (64, 64, 1))
    for name in ("jpgblocks", "gray"):
        dvid.ok("POST", raw_url(uuid, name, (64, 64, 64), (64, 0, 0), "?app=Neuroglancer"), content=smooth.tobytes())
    repos = dvid.ok("GET", "/api/repos/info?app=Neuroglancer").json()
    instance = repos[uuid]["DataInstances"]["jpgblocks"]
    assert instance["Base"]["TypeName"] == "uint8blk"
    assert "jpeg" in instance["Base"]["Compression"].lower()
    assert instance["Extended"]["Values"][0]["DataType"] == "uint8"
    assert instance["Extended"]["BlockSize"] == [64, 64, 64]
    assert (instance["Extended"]["MinPoint"], instance["Extended"]["MaxPoint"]) == ([64, 0, 0], [127, 63, 63])
    assert uuid in repos[uuid]["DAG"]["Nodes"]

    body = dvid.ok("GET", f"/api/node/{uuid}/jpgblocks/subvolblocks/64_64_64/64_0_0?app=Neuroglancer").content
    pixels = decode_jpeg(body[16:])
    assert pixels.shape[:2] == (64 * 64, 64)
    assert np.abs(pixels.reshape(64 * 64, 64, -1)[..., 0].astype(int) - smooth.reshape(-1, 64)).max() <= 8

    r = dvid.ok("GET", raw_url(uuid, "gray", (64, 64, 64), (64, 0, 0)) + "/jpeg?app=Neuroglancer")
    assert r.headers["content-type"] == "image/jpeg"
    stacked = decode_jpeg(r.content)
    assert stacked.shape[:2] == (64 * 64, 64)
    assert np.abs(stacked.reshape(64 * 64, 64, -1)[..., 0].astype(int) - smooth.reshape(-1, 64)).max() <= 8
