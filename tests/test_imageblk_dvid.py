"""DVID's imageblk tests (datatype/imageblk/uint8_test.go, uint16_test.go, float32_test.go) and the
worked examples of the imageblk spec, ported as black-box HTTP tests.

Expected data is built here with numpy from DVID's own generators; nothing is taken from the code
under test.
"""

from __future__ import annotations

import io
import json
import struct

import lz4.block
import numpy as np
import pytest
from conftest import error_message
from PIL import Image

XDATA = [0x01, 0x07, 0xAF, 0xFF, 0x70]
YDATA = [0x33, 0xB2, 0x77, 0xD0, 0x4F]
ZDATA = [0x5C, 0x89, 0x40, 0x13, 0xCA]

CREATION = {"blocksize": "64,43,28", "VoxelSize": "13.1, 14.2, 15.3", "VoxelUnits": "picometers,nanometers,microns"}
PERSISTENCE = {"BlockSize": "12,13,14", "VoxelSize": "1.1,2.8,11", "VoxelUnits": "microns,millimeters,nanometers"}


def make_volume(offset, size) -> bytes:
    """DVID's makeVolume: voxel (x, y, z) = xdata[x%5] ^ ydata[y%5] ^ zdata[z%5], x fastest."""
    (ox, oy, oz), (nx, ny, nz) = offset, size
    out = bytearray(nx * ny * nz)
    i = 0
    for z in range(oz, oz + nz):
        for y in range(oy, oy + ny):
            row = bytes(XDATA[x % 5] ^ YDATA[y % 5] ^ ZDATA[z % 5] for x in range(ox, ox + nx))
            out[i : i + nx] = row
            i += nx
    return bytes(out)


def uint16_volume(size) -> bytes:
    """DVID's newUint16Volume: voxel i (linear, x fastest) = uint16(i), little-endian."""
    n = size[0] * size[1] * size[2]
    return (np.arange(n, dtype=np.int64) % 65536).astype("<u2").tobytes()


def float_volume(size) -> bytes:
    """DVID's newFloatVolume: voxel i = float32(i), little-endian."""
    n = size[0] * size[1] * size[2]
    return np.arange(n, dtype=np.int64).astype("<f4").tobytes()


def raw_url(uuid, name, size, offset, query=""):
    return f"/api/node/{uuid}/{name}/raw/0_1_2/{'_'.join(map(str, size))}/{'_'.join(map(str, offset))}{query}"


def f32(values):
    return [float(np.float32(v)) for v in values]


# -- TestVoxelsInstanceCreation, TestUint16InstanceCreation, TestFloatInstanceCreation -------------


@pytest.mark.parametrize("typename, name", [("uint8blk", "grayscale"), ("uint16blk", "tester"), ("float32blk", "weights")])
def test_instance_creation(dvid, typename, name):
    uuid = dvid.new_repo()
    body = json.dumps({"typename": typename, "dataname": name, **CREATION})
    r = dvid.ok("POST", f"/api/repo/{uuid}/instance", content=body)
    assert r.json() == {"result": f"Added {name} [{typename}] to node {uuid}"}
    r = dvid.ok("GET", f"/api/node/{uuid}/{name}/info")
    assert r.headers["content-type"] == "application/json"
    info = r.json()
    assert info["Base"]["Name"] == name
    assert info["Base"]["TypeName"] == typename
    assert info["Extended"]["BlockSize"] == [64, 43, 28]
    # float32 values, compared as float32 (DVID's NdFloat32.Equals), and printed in shortest form.
    assert f32(info["Extended"]["VoxelSize"]) == f32([13.1, 14.2, 15.3])
    assert '"VoxelSize":[13.1,14.2,15.3]' in r.text
    assert info["Extended"]["VoxelUnits"] == ["picometers", "nanometers", "microns"]


# -- TestExtentsAndRes ------------------------------------------------------------------------------


def test_extents_and_res(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "grayscale")
    extents = b'{\n\t\t"MinPoint": [68, 127, 210],\n\t\t"MaxPoint": [1023, 4811, 12187]\n\t}'
    r = dvid.ok("POST", f"/api/node/{uuid}/grayscale/extents", content=extents)
    assert r.content == b""
    r = dvid.ok("POST", f"/api/node/{uuid}/grayscale/resolution", content=b"[4.0, 4.0, 4.0]")
    assert r.content == b""
    ext = dvid.ok("GET", f"/api/node/{uuid}/grayscale/info").json()["Extended"]
    assert ext["MinPoint"] == [68, 127, 210]
    assert ext["MaxPoint"] == [1023, 4811, 12187]
    assert ext["MinIndex"] == [2, 3, 6]
    assert ext["MaxIndex"] == [31, 150, 380]
    assert ext["VoxelSize"] == [4, 4, 4]


# -- TestForegroundROI ------------------------------------------------------------------------------


def test_foreground_roi_volume(dvid):
    """TestForegroundROI's volume and the blocks its foreground ROI must list.

    DVID builds the ROI with an RPC command (``roi foreground 0,255``) that has no HTTP
    equivalent in dvidpy, so this port checks the stored blocks holding non-background voxels,
    which are exactly the spans DVID's test expects.
    """
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "grayscale")
    data = np.zeros((128, 128, 128), dtype=np.uint8)
    data[64:] = 255
    data[32:96, 32:96, 32:96] = 128
    dvid.ok("POST", raw_url(uuid, "grayscale", (128, 128, 128), (160, 64, 128)), content=data.tobytes())
    body = dvid.ok("GET", f"/api/node/{uuid}/grayscale/subvolblocks/128_128_128/160_64_128?compression=uncompressed").content
    foreground = []
    pos = 0
    while pos < len(body):
        x, y, z, n = struct.unpack_from("<iiii", body, pos)
        block = np.frombuffer(body[pos + 16 : pos + 16 + n], np.uint8)
        if not np.isin(block, [0, 255]).all():
            foreground.append((z, y, x))
        pos += 16 + n
    spans = []
    for z, y, x in foreground:
        if spans and spans[-1][:2] == [z, y] and spans[-1][3] == x - 1:
            spans[-1][3] = x
        else:
            spans.append([z, y, x, x])
    assert json.dumps(spans, separators=(",", ":")) == "[[5,3,6,7],[5,4,6,7],[6,3,6,7],[6,4,6,7]]"


# -- TestDirectCalls, TestUint16DirectCalls, TestFloatDirectCalls ------------------------------------


def test_direct_calls(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "grayscale")
    offset, size = (512, 32, 1024), (128, 96, 64)
    data = make_volume(offset, size)
    assert len(data) == 786432
    r = dvid.ok("POST", raw_url(uuid, "grayscale", size, offset), content=data)
    assert r.content == b""
    r = dvid.ok("GET", raw_url(uuid, "grayscale", size, offset))
    assert r.headers["content-type"] == "application/octet-stream"
    assert len(r.content) == 786432
    assert r.content == data


@pytest.mark.parametrize("typename, name, make, nbytes", [
    ("uint16blk", "uint16img", uint16_volume, 1_572_864),
    ("float32blk", "floatimg", float_volume, 3_145_728),
])
def test_wide_direct_calls(dvid, typename, name, make, nbytes):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, name)
    offset, size = (512, 32, 1024), (128, 96, 64)
    data = make(size)
    assert len(data) == nbytes
    dvid.ok("POST", raw_url(uuid, name, size, offset, "?mutate=true"), content=data)
    got = dvid.ok("GET", raw_url(uuid, name, size, offset)).content
    assert len(got) == nbytes
    assert got == data
    # A sub-box of it, not block aligned, comes from the same voxels.
    sub = dvid.ok("GET", raw_url(uuid, name, (5, 3, 2), (600, 50, 1030))).content
    dtype = "<u2" if typename == "uint16blk" else "<f4"
    whole = np.frombuffer(data, dtype).reshape(64, 96, 128)
    assert sub == whole[6:8, 18:21, 88:93].tobytes()


# -- TestBlockAPI -----------------------------------------------------------------------------------


def test_block_api(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "grayscale")
    n = 1001
    block_data = np.random.default_rng(20).integers(0, 256, n * 32768, dtype=np.uint8).tobytes()
    # DVID draws random int31 block coordinates; these keep every voxel coordinate an int32.
    x, y, z = 48_123, 20_011, 61_003
    url = f"/api/node/{uuid}/grayscale/blocks/{x}_{y}_{z}/{n}"
    assert dvid.ok("POST", url, content=block_data).content == b""
    r = dvid.ok("GET", url)
    assert r.headers["content-type"] == "application/octet-stream"
    assert len(r.content) == n * 32768
    assert r.content == block_data
    # Blank blocks at the next z.
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/blocks/{x}_{y}_{z + 1}/{n}")
    assert len(r.content) == n * 32768
    assert r.content == bytes(n * 32768)


# -- TestGrayscaleRepoPersistence, TestUint16RepoPersistence, TestFloat32RepoPersistence ----------


@pytest.mark.parametrize("typename", ["uint8blk", "uint16blk", "float32blk"])
def test_repo_persistence(dvid, typename):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "mygrayscale", **PERSISTENCE)
    before = dvid.ok("GET", f"/api/node/{uuid}/mygrayscale/info").json()
    assert before["Extended"]["BlockSize"] == [12, 13, 14]
    assert f32(before["Extended"]["VoxelSize"]) == f32([1.1, 2.8, 11])
    assert before["Extended"]["VoxelUnits"] == ["microns", "millimeters", "nanometers"]
    dvid.restart()
    assert dvid.ok("GET", f"/api/node/{uuid}/mygrayscale/info").json() == before


def test_reload_metadata(dvid):
    """tests_integration TestReloadMetadata, for the imageblk types: every instance survives a restart."""
    uuid = dvid.new_repo()
    names = {"uint8blk": "grayscale", "uint16blk": "u16", "uint32blk": "u32", "uint64blk": "u64",
             "float32blk": "weights", "rgba8blk": "color", "roi": "someroi"}
    for typename, name in names.items():
        dvid.new_instance(uuid, typename, name)
    before = dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DataInstances"]
    dvid.restart()
    after = dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DataInstances"]
    assert {n: i["Base"]["TypeName"] for n, i in after.items()} == {n: t for t, n in names.items()}
    assert after == before


# -- worked examples of the spec (§3.14) --------------------------------------------------------------


@pytest.fixture
def gray(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "grayscale")
    return dvid, uuid


def test_create_answer_and_duplicate(gray):
    dvid, uuid = gray
    r = dvid.post(f"/api/repo/{uuid}/instance", json={"typename": "uint8blk", "dataname": "grayscale"})
    assert r.status_code == 400
    assert f'Data named "grayscale" already exists in repo (root {uuid})' in r.text
    r = dvid.post(f"/api/repo/{uuid}/instance", json={"typename": "uint9blk", "dataname": "other"})
    assert r.status_code == 400
    assert "uint9blk" in r.text


def test_one_block_written_and_read_back(gray):
    dvid, uuid = gray
    block = make_volume((32, 0, 0), (32, 32, 32))
    r = dvid.ok("POST", raw_url(uuid, "grayscale", (32, 32, 32), (32, 0, 0)), content=block)
    assert r.content == b""
    got = dvid.ok("GET", raw_url(uuid, "grayscale", (64, 32, 32), (0, 0, 0))).content
    assert len(got) == 65536
    rows = np.frombuffer(got, np.uint8).reshape(32, 32, 64)
    assert not rows[:, :, :32].any()
    assert rows[:, :, 32:].tobytes() == block
    # The block is stored under TKey 17 01 80000000 80000000 80000001 (block (1,0,0)); its
    # stored payload is DVID's LZ4: a uint32 size then one LZ4 block.
    key = dvid.ok("GET", f"/api/node/{uuid}/grayscale/rawkey?x=1&y=0&z=0").json()["Key"]
    assert key[10:38].lower() == "1701" "80000000" "80000000" "80000001"
    body = dvid.ok("GET", f"/api/node/{uuid}/grayscale/subvolblocks/32_32_32/32_0_0").content
    assert body[:16] == struct.pack("<iiii", 1, 0, 0, len(body) - 16)
    assert body[16:20] == struct.pack("<I", 32768)
    assert lz4.block.decompress(body[16:]) == block


def test_unaligned_post_message(gray):
    dvid, uuid = gray
    path = f"/api/node/{uuid}/grayscale/raw/0_1_2/32_32_32/16_0_0"
    r = dvid.post(path, content=bytes(32768))
    assert error_message(r, path) == "cannot store voxels in non-block aligned geometry (16,0,0) -> (47,31,31)"
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/info").json()["Extended"]["MinPoint"] is None


def test_extents_per_version(gray):
    dvid, uuid = gray
    dvid.ok("POST", raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0)), content=make_volume((0, 0, 0), (64, 64, 64)))

    def extents(node):
        ext = dvid.ok("GET", f"/api/node/{node}/grayscale/info").json()["Extended"]
        return ext["MinPoint"], ext["MaxPoint"]

    assert extents(uuid) == ([0, 0, 0], [63, 63, 63])
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    assert extents(child) == ([0, 0, 0], [63, 63, 63])
    dvid.ok("POST", raw_url(child, "grayscale", (32, 32, 32), (96, 0, 0)), content=bytes(32768))
    assert extents(child) == ([0, 0, 0], [127, 63, 63])
    assert extents(uuid) == ([0, 0, 0], [63, 63, 63])


def test_copy_on_write_and_locked_root(gray):
    dvid, uuid = gray
    old = make_volume((0, 0, 0), (64, 64, 64))
    url = raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0))
    dvid.ok("POST", url, content=old)
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    new = bytes([200]) * 32768
    dvid.ok("POST", raw_url(child, "grayscale", (32, 32, 32), (0, 0, 0)), content=new)
    assert dvid.ok("GET", url).content == old
    want = np.frombuffer(old, np.uint8).reshape(64, 64, 64).copy()
    want[:32, :32, :32] = 200
    assert dvid.ok("GET", raw_url(child, "grayscale", (64, 64, 64), (0, 0, 0))).content == want.tobytes()
    path = f"/api/node/{uuid}/grayscale/raw/0_1_2/32_32_32/0_0_0"
    r = dvid.post(path, content=new)
    assert r.status_code == 400
    assert f'Cannot do POST on endpoint "raw" of locked node {uuid}' in r.text
    assert dvid.ok("GET", url).content == old


def test_block_stream_record_layout(gray):
    dvid, uuid = gray
    data = np.random.default_rng(3).integers(0, 256, 32768, dtype=np.uint8).tobytes()
    dvid.ok("POST", raw_url(uuid, "grayscale", (32, 32, 32), (32, 64, 96)), content=data)
    body = dvid.ok("GET", f"/api/node/{uuid}/grayscale/subvolblocks/32_32_32/32_64_96?compression=uncompressed").content
    assert body == bytes.fromhex("01000000" "02000000" "03000000" "00800000") + data


def test_xz_slice_and_isotropic_example(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "grayscale", VoxelSize="4,4,8")
    data = np.frombuffer(make_volume((0, 0, 0), (64, 64, 64)), np.uint8).reshape(64, 64, 64)
    dvid.ok("POST", raw_url(uuid, "grayscale", (64, 64, 64), (0, 0, 0)), content=data.tobytes())
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/raw/xz/64_32/0_5_0")
    assert r.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(r.content))
    assert (img.mode, img.size) == ("L", (64, 32))
    assert np.array_equal(np.asarray(img), data[:32, 5, :])  # pixel (i, j) = voxel (i, 5, j)
    # Isotropic: a 64 x 16 raw slice (z 0..15) scaled up to 64 x 32 by the box filter, which for
    # an exact doubling repeats every row.
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/isotropic/xz/64_32/0_5_0")
    img = np.asarray(Image.open(io.BytesIO(r.content)))
    assert img.shape == (32, 64)
    assert np.array_equal(img, np.repeat(data[:16, 5, :], 2, axis=0))
