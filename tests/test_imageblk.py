"""imageblk (uint8blk, uint16blk, uint32blk, uint64blk, float32blk, rgba8blk) over HTTP: every
endpoint, every type, ROI masking, versions, throttling, and bad input (each a clear 4xx that
writes nothing).

Expected values are computed here with numpy (and Pillow or a small PNG reader for images),
independently of the code under test.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import lz4.block
import numpy as np
import pytest
from conftest import block_records, error_message
from PIL import Image

from dvidpy.imaging import decode_jpeg

# typename -> (numpy dtype of one voxel, TypeURL file, TypeVersion, Values)
TYPES = {
    "uint8blk": (np.dtype("u1"), "uint8.go", "0.2", [{"DataType": "uint8", "Label": "uint8"}]),
    "uint16blk": (np.dtype("<u2"), "uint16.go", "0.1", [{"DataType": "uint16", "Label": "uint16"}]),
    "uint32blk": (np.dtype("<u4"), "uint32.go", "0.1", [{"DataType": "uint32", "Label": "uint32"}]),
    "uint64blk": (np.dtype("<u8"), "uint64.go", "0.1", [{"DataType": "uint64", "Label": "uint64"}]),
    "float32blk": (np.dtype("<f4"), "float32.go", "0.1", [{"DataType": "float32", "Label": "float32"}]),
    "rgba8blk": (np.dtype("<u4"), "rgba8.go", "0.2",
                 [{"DataType": "uint8", "Label": c} for c in ("red", "green", "blue", "alpha")]),
}
ALL_TYPES = sorted(TYPES)
BYTE_CHANNEL_TYPES = ("uint8blk", "rgba8blk")
MULTI_BYTE_TYPES = [t for t in ALL_TYPES if t != "uint8blk"]

XDATA = [0x01, 0x07, 0xAF, 0xFF, 0x70]
YDATA = [0x33, 0xB2, 0x77, 0xD0, 0x4F]
ZDATA = [0x5C, 0x89, 0x40, 0x13, 0xCA]


# -- helpers ------------------------------------------------------------------------------------------


def dtype_of(typename: str) -> np.dtype:
    return TYPES[typename][0]


def rand(typename: str, shape_zyx, seed: int = 0) -> np.ndarray:
    """Random voxels of a type (every bit pattern, except float32 NaNs and infinities)."""
    dtype = dtype_of(typename)
    n = int(np.prod(shape_zyx))
    rng = np.random.default_rng(seed)
    if dtype.kind == "f":
        return (rng.standard_normal(n) * 1e6).astype(dtype).reshape(shape_zyx)
    return rng.integers(0, 256, n * dtype.itemsize, dtype=np.uint8).view(dtype).reshape(shape_zyx)


def xor_volume(offset, size) -> np.ndarray:
    """DVID's makeVolume (uint8), as a ``[z][y][x]`` array."""
    (ox, oy, oz), (nx, ny, nz) = offset, size
    x = np.array(XDATA, np.uint8)[np.arange(ox, ox + nx) % 5]
    y = np.array(YDATA, np.uint8)[np.arange(oy, oy + ny) % 5]
    z = np.array(ZDATA, np.uint8)[np.arange(oz, oz + nz) % 5]
    return z[:, None, None] ^ y[None, :, None] ^ x[None, None, :]


def fill_value(typename: str, background: int):
    """What a never-written voxel reads as: Background in every 8-bit channel, else its value."""
    dtype = dtype_of(typename)
    if typename == "rgba8blk":
        return np.frombuffer(bytes([background]) * 4, dtype)[0]
    return dtype.type(background)


def pt(p) -> str:
    return "_".join(map(str, p))


def raw_url(uuid, name, size, offset, query="", fmt=""):
    return f"/api/node/{uuid}/{name}/raw/0_1_2/{pt(size)}/{pt(offset)}{'/' + fmt if fmt else ''}{query}"


def put(dvid, uuid, name, arr: np.ndarray, offset, query=""):
    nz, ny, nx = arr.shape
    r = dvid.ok("POST", raw_url(uuid, name, (nx, ny, nz), offset, query), content=np.ascontiguousarray(arr).tobytes())
    assert r.content == b""


def get(dvid, uuid, name, typename, size, offset, query="") -> np.ndarray:
    r = dvid.ok("GET", raw_url(uuid, name, size, offset, query))
    assert r.headers["content-type"] == "application/octet-stream"
    nx, ny, nz = size
    assert len(r.content) == nx * ny * nz * dtype_of(typename).itemsize
    return np.frombuffer(r.content, dtype_of(typename)).reshape(nz, ny, nx)


def info(dvid, uuid, name="grayscale"):
    return dvid.ok("GET", f"/api/node/{uuid}/{name}/info").json()


def block_bytes(vol: np.ndarray, origin, coord, bs=(32, 32, 32)) -> bytes:
    """Block ``coord`` cut out of ``vol`` whose voxel (0,0,0) is at ``origin``, in block layout."""
    x0, y0, z0 = (c * b - o for c, b, o in zip(coord, bs, origin))
    return np.ascontiguousarray(vol[z0 : z0 + bs[2], y0 : y0 + bs[1], x0 : x0 + bs[0]]).tobytes()


def png_samples(data: bytes) -> np.ndarray:
    """A small independent PNG reader: the samples of a non-interlaced PNG (16-bit as uint16)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert interlace == 0
        elif kind == b"IDAT":
            idat += body
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    bpp = channels * depth // 8
    stride = w * bpp
    raw = zlib.decompress(idat)
    out = np.zeros((h, stride), np.uint8)
    prev = [0] * stride
    for r in range(h):
        f = raw[r * (stride + 1)]
        line = list(raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)])
        cur = [0] * stride
        for i, v in enumerate(line):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 0:
                p = 0
            elif f == 1:
                p = a
            elif f == 2:
                p = b
            elif f == 3:
                p = (a + b) // 2
            else:
                q = a + b - c
                pa, pb, pc = abs(q - a), abs(q - b), abs(q - c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[i] = (v + p) & 255
        out[r] = cur
        prev = cur
    samples = out.view(">u2").astype(np.uint16) if depth == 16 else out
    return samples.reshape(h, w, channels) if channels > 1 else samples.reshape(h, w)


def decode_2d(typename: str, body: bytes) -> np.ndarray:
    """A PNG slice of a type back to voxel values (independently of the server's image code)."""
    dtype = dtype_of(typename)
    if typename == "uint64blk":
        samples = png_samples(body)
        if samples.shape[2] == 3:  # written as RGB: every A sample was 0xFFFF
            samples = np.concatenate([samples, np.full(samples.shape[:2] + (1,), 0xFFFF, np.uint16)], axis=2)
        h, w = samples.shape[:2]
        return np.frombuffer(samples.astype(">u2").tobytes(), "<u8").reshape(h, w)
    img = Image.open(io.BytesIO(body))
    pixels = np.asarray(img)
    if typename == "uint8blk":
        assert img.mode == "L"
        return pixels
    if typename == "uint16blk":
        assert img.mode.startswith("I;16")
        return pixels.astype(np.uint16)
    assert img.mode in ("RGBA", "RGB")
    if img.mode == "RGB":
        pixels = np.concatenate([pixels, np.full(pixels.shape[:2] + (1,), 255, np.uint8)], axis=2)
    return np.ascontiguousarray(pixels).view(dtype)[..., 0]


def slice_of(vol: np.ndarray, origin, plane: str, size2d, offset) -> np.ndarray:
    """The expected 2-D image (rows, columns) of a slice from a ``[z][y][x]`` array at ``origin``."""
    x, y, z = (o - g for o, g in zip(offset, origin))
    w, h = size2d
    if plane in ("xy", "0_1"):
        return vol[z, y : y + h, x : x + w]
    if plane in ("xz", "0_2"):
        return vol[z : z + h, y, x : x + w]
    return vol[z : z + h, y : y + w, x]


def box_resize(image: np.ndarray, dst_w: int, dst_h: int) -> np.ndarray:
    """DVID's area-weighted box filter, exactly: replicate each source pixel dst_w x dst_h times,
    sum the src_w x src_h cells under each output pixel, divide (truncating for integers).
    Integers are summed as Python ints, so nothing overflows."""
    src_h, src_w = image.shape[:2]
    big = np.repeat(np.repeat(image, dst_h, axis=0), dst_w, axis=1)
    if image.dtype.kind == "f":
        cells = big.astype(np.float64).reshape(dst_h, src_h, dst_w, src_w, *image.shape[2:])
        return (cells.sum(axis=(1, 3)) / (src_h * src_w)).astype(image.dtype)
    cells = big.astype(object).reshape(dst_h, src_h, dst_w, src_w, *image.shape[2:])
    return (cells.sum(axis=(1, 3)) // (src_h * src_w)).astype(image.dtype)


@pytest.fixture
def gray(dvid):
    """A repo with a default uint8blk ``grayscale``."""
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "grayscale")
    return dvid, uuid


@pytest.fixture
def filled(gray):
    """``grayscale`` holding DVID's makeVolume over x -32..31, y and z 0..63."""
    dvid, uuid = gray
    data = xor_volume((-32, 0, 0), (64, 64, 64))
    put(dvid, uuid, "grayscale", data, (-32, 0, 0))
    return dvid, uuid, data


# -- info -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("typename", ALL_TYPES)
def test_info_before_any_write(dvid, typename):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img")
    r = dvid.ok("GET", f"/api/node/{uuid}/img/info")
    assert r.headers["content-type"] == "application/json"
    assert not r.content.endswith(b"\n")
    got = r.json()
    assert list(got) == ["Base", "Extended", "Extents"]
    base = got["Base"]
    _, url, version, values = TYPES[typename]
    assert base["TypeName"] == typename
    assert base["TypeURL"] == f"github.com/janelia-flyem/dvid/datatype/imageblk/{url}"
    assert base["TypeVersion"] == version
    assert base["Name"] == "img"
    assert base["RepoUUID"] == uuid
    assert len(base["DataUUID"]) == 32 and int(base["DataUUID"], 16) >= 0
    assert base["Compression"] == "LZ4 compression, level -1"
    assert base["Checksum"] == "No checksum"
    assert base["Syncs"] == []
    assert base["Versioned"] is True
    assert base["Tags"] is None
    assert got["Extended"] == {
        "Values": values,
        "Interpolable": True,
        "BlockSize": [32, 32, 32],
        "VoxelSize": [8, 8, 8],
        "VoxelUnits": ["nanometers", "nanometers", "nanometers"],
        "MinPoint": None,
        "MaxPoint": None,
        "MinIndex": None,
        "MaxIndex": None,
        "Background": 0,
        "GridStore": "",
        "ScaleLevel": 0,
    }
    assert list(got["Extended"]) == ["Values", "Interpolable", "BlockSize", "VoxelSize", "VoxelUnits", "MinPoint",
                                     "MaxPoint", "MinIndex", "MaxIndex", "Background", "GridStore", "ScaleLevel"]
    assert got["Extents"] == {"MinPoint": None, "MaxPoint": None}
    # The repo listing shows the same instance.
    listed = dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DataInstances"]["img"]
    assert listed["Base"]["TypeName"] == typename
    assert listed["Extended"]["Values"] == values


def test_info_after_writes_and_creation_settings(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint16blk", "img", BlockSize="16,8,4", VoxelSize="3.2, 3.2, 40.0",
                      VoxelUnits="nm,nm,um", Background="12")
    put(dvid, uuid, "img", rand("uint16blk", (8, 16, 32)), (-16, 8, -4))
    r = dvid.ok("GET", f"/api/node/{uuid}/img/info")
    got = r.json()
    ext = got["Extended"]
    assert ext["BlockSize"] == [16, 8, 4]
    assert ext["VoxelSize"] == [3.2, 3.2, 40]
    assert '"VoxelSize":[3.2,3.2,40]' in r.text
    assert ext["VoxelUnits"] == ["nm", "nm", "um"]
    assert ext["Background"] == 12
    assert (ext["MinPoint"], ext["MaxPoint"]) == ([-16, 8, -4], [15, 23, 3])
    assert (ext["MinIndex"], ext["MaxIndex"]) == ([-1, 1, -1], [0, 2, 0])
    assert got["Extents"] == {"MinPoint": [-16, 8, -4], "MaxPoint": [15, 23, 3]}


def test_info_shows_creation_extents_until_a_write(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g", MinPoint="1,2,3", MaxPoint="40,50,60")
    ext = info(dvid, uuid, "g")["Extended"]
    assert (ext["MinPoint"], ext["MaxPoint"], ext["MinIndex"], ext["MaxIndex"]) == ([1, 2, 3], [40, 50, 60], [0, 0, 0], [1, 1, 1])


@pytest.mark.parametrize("settings, compression, checksum", [
    ({}, "LZ4 compression, level -1", "No checksum"),
    ({"Compression": "none"}, "No compression, level -1", "No checksum"),
    ({"Compression": "LZ4"}, "LZ4 compression, level -1", "No checksum"),
    ({"Compression": "gzip"}, "gzip compression, level -1", "No checksum"),
    ({"Compression": "gzip:7"}, "gzip compression, level 7", "No checksum"),
    ({"Compression": "jpeg"}, "jpeg compression, level 32", "No checksum"),
    ({"Compression": "jpeg", "BlockSize": "64,64,64"}, "jpeg compression, level 64", "No checksum"),
    ({"Checksum": "crc32"}, "LZ4 compression, level -1", "CRC32 checksum"),
])
def test_info_compression_and_checksum(dvid, settings, compression, checksum):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g", **settings)
    base = info(dvid, uuid, "g")["Base"]
    assert (base["Compression"], base["Checksum"]) == (compression, checksum)


def test_info_only_answers_get(gray):
    dvid, uuid = gray
    path = f"/api/node/{uuid}/grayscale/info"
    assert error_message(dvid.post(path, content=b"{}"), path) == "info endpoint only supports GET HTTP verb"


# -- metadata -------------------------------------------------------------------------------------


def test_metadata_before_and_after_writes(gray):
    dvid, uuid = gray
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/metadata")
    assert r.headers["content-type"] == "application/vnd.dvid-nd-data+json"
    assert r.content.endswith(b"}\n")
    axes = [{"Label": a, "Resolution": 8, "Units": "nanometers", "Size": 0, "Offset": 0} for a in "XYZ"]
    assert r.json() == {"Axes": axes, "Properties": info(dvid, uuid)["Extended"]}

    put(dvid, uuid, "grayscale", xor_volume((-32, 0, 64), (64, 32, 32)), (-32, 0, 64))
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/resolution", content=b"[4, 5.5, 40]")
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/metadata")
    assert r.json() == {
        "Axes": [
            {"Label": "X", "Resolution": 4, "Units": "nanometers", "Size": 64, "Offset": -32},
            {"Label": "Y", "Resolution": 5.5, "Units": "nanometers", "Size": 32, "Offset": 0},
            {"Label": "Z", "Resolution": 40, "Units": "nanometers", "Size": 32, "Offset": 64},
        ],
        "Properties": info(dvid, uuid)["Extended"],
    }


def test_metadata_uses_creation_extents_like_info(dvid):
    """DVID's metadata falls back to the instance's MinPoint/MaxPoint as info does."""
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g", MinPoint="1,2,3", MaxPoint="40,50,60")
    meta = dvid.ok("GET", f"/api/node/{uuid}/g/metadata").json()
    assert [(a["Size"], a["Offset"]) for a in meta["Axes"]] == [(40, 1), (49, 2), (58, 3)]
    assert meta["Properties"] == info(dvid, uuid, "g")["Extended"]


# -- POST to the instance root (configuration), help, tags ---------------------------------------------


def test_post_configuration(gray):
    dvid, uuid = gray
    body = {"VoxelSize": "2,3,4.5", "VoxelUnits": "um,um,um", "Background": "5"}
    r = dvid.ok("POST", f"/api/node/{uuid}/grayscale", content=json.dumps(body))
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == f"Changed 'grayscale' based on received configuration:\n{json.dumps(body)}\n"
    ext = info(dvid, uuid)["Extended"]
    assert (ext["VoxelSize"], ext["VoxelUnits"], ext["Background"]) == ([2, 3, 4.5], ["um", "um", "um"], 5)
    # Background is now what never-written voxels read as.
    assert get(dvid, uuid, "grayscale", "uint8blk", (2, 1, 1), (0, 0, 0)).tolist() == [[[5, 5]]]
    dvid.restart()
    assert info(dvid, uuid)["Extended"]["VoxelSize"] == [2, 3, 4.5]


def test_post_configuration_extents(gray):
    dvid, uuid = gray
    dvid.ok("POST", f"/api/node/{uuid}/grayscale", json={"MinPoint": "-5,0,5", "MaxPoint": "100,200,300"})
    assert info(dvid, uuid)["Extents"] == {"MinPoint": [-5, 0, 5], "MaxPoint": [100, 200, 300]}
    ext = info(dvid, uuid)["Extended"]
    assert (ext["MinIndex"], ext["MaxIndex"]) == ([-1, 0, 0], [3, 6, 9])


def test_block_size_changes_only_while_empty(gray):
    dvid, uuid = gray
    dvid.ok("POST", f"/api/node/{uuid}/grayscale", json={"BlockSize": "16,16,16"})
    assert info(dvid, uuid)["Extended"]["BlockSize"] == [16, 16, 16]
    put(dvid, uuid, "grayscale", xor_volume((0, 0, 0), (16, 16, 16)), (0, 0, 0))
    path = f"/api/node/{uuid}/grayscale"
    r = dvid.post(path, json={"BlockSize": "32,32,32"})
    assert error_message(r, path) == "BlockSize cannot change once blocks are stored"
    r = dvid.post(path, json={"Compression": "gzip"})
    assert error_message(r, path) == "Compression and Checksum cannot be changed after an instance is created"
    r = dvid.post(path, content=b"{not json")
    assert error_message(r, path).startswith("Malformed JSON in configuration body")
    r = dvid.post(path, json={"Background": "256"})
    assert "Background" in error_message(r, path)
    assert info(dvid, uuid)["Extended"]["BlockSize"] == [16, 16, 16]
    assert info(dvid, uuid)["Extended"]["Background"] == 0
    assert get(dvid, uuid, "grayscale", "uint8blk", (16, 16, 16), (0, 0, 0)).tobytes() == xor_volume((0, 0, 0), (16, 16, 16)).tobytes()


@pytest.mark.parametrize("typename", ALL_TYPES)
def test_help(dvid, typename):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img")
    r = dvid.ok("GET", f"/api/node/{uuid}/img/help")
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text.endswith("\n") and not r.text.endswith("\n\n")
    nbytes = dtype_of(typename).itemsize
    labels = ", ".join(v["Label"] for v in TYPES[typename][3])
    assert r.text.startswith(f"API for image volume datatype {typename} ({nbytes} bytes per voxel: {labels})\n")
    assert dvid.ok("GET", f"/api/help/{typename}").text == r.text
    for word in ("/info", "/metadata", "/extents", "/resolution", "/raw/", "/isotropic/", "/blocks/", "/subvolblocks/",
                 "/specificblocks?", "/arb/", "/rawkey?", "roi", "attenuation", "throttle", "Background"):
        assert word in r.text, word


def test_tags(gray):
    dvid, uuid = gray
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/tags").json() == {"Tags": {}}
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/tags", json={"stage": "raw"})
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/tags").json() == {"Tags": {"stage": "raw"}}
    assert info(dvid, uuid)["Base"]["Tags"] == {"stage": "raw"}


# -- 2-D slices ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("plane, size, offset", [
    ("xy", (64, 40), (-40, 10, 5)),
    ("0_1", (64, 40), (-40, 10, 5)),
    ("XY", (7, 3), (-2, 60, 63)),
    ("xz", (30, 70), (-35, 9, 0)),
    ("0_2", (30, 70), (-35, 9, 0)),
    ("yz", (70, 20), (17, -3, 40)),
    ("1_2", (70, 20), (17, -3, 40)),
])
def test_png_slices_uint8(filled, plane, size, offset):
    dvid, uuid, data = filled
    # Expected: the written voxels, 0 wherever nothing was written.
    padded = np.zeros((80, 80, 80), np.uint8)
    padded[8:72, 8:72, 8:72] = data  # padded voxel (0,0,0) is (-40, -8, -8)
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/raw/{plane}/{pt(size)}/{pt(offset)}")
    assert r.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(r.content))
    assert img.mode == "L" and img.size == size
    want = slice_of(padded, (-40, -8, -8), plane.lower(), size, offset)
    assert np.array_equal(np.asarray(img), want)
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/raw/{plane}/{pt(size)}/{pt(offset)}/png").content == r.content
    # isotropic with equal voxel sizes is the raw slice
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/isotropic/{plane}/{pt(size)}/{pt(offset)}").content == r.content


@pytest.mark.parametrize("typename", ALL_TYPES)
@pytest.mark.parametrize("plane", ["xy", "xz", "yz"])
def test_png_slices_every_type(dvid, typename, plane):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img")
    data = rand(typename, (32, 32, 64), seed=5)
    put(dvid, uuid, "img", data, (0, -32, 0))
    size, offset = (20, 30), (3, -31, 1)
    r = dvid.ok("GET", f"/api/node/{uuid}/img/raw/{plane}/{pt(size)}/{pt(offset)}")
    assert r.headers["content-type"] == "image/png"
    assert decode_2d(typename, r.content).tobytes() == slice_of(data, (0, -32, 0), plane, size, offset).tobytes()


@pytest.mark.parametrize("typename", ["rgba8blk", "uint32blk", "float32blk", "uint64blk"])
def test_png_opaque_alpha_becomes_rgb(dvid, typename):
    """Go writes RGB when every alpha sample is opaque; the values still come back exactly."""
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img")
    data = rand(typename, (32, 32, 32), seed=6).copy()
    raw = data.view(np.uint8).reshape(32, 32, 32, -1)
    raw[..., -1] = 0xFF
    if typename == "uint64blk":
        raw[..., -2] = 0xFF
    put(dvid, uuid, "img", data, (0, 0, 0))
    body = dvid.ok("GET", f"/api/node/{uuid}/img/raw/xy/32_32/0_0_3").content
    assert png_samples(body).shape == (32, 32, 3)
    assert decode_2d(typename, body).tobytes() == data[3].tobytes()


def test_jpeg_tiff_bmp_slices(filled):
    dvid, uuid, _ = filled
    smooth = np.tile((np.arange(64, dtype=np.uint8) * 4)[None, :], (64, 64, 1))
    put(dvid, uuid, "grayscale", smooth, (0, 0, 0))
    base = f"/api/node/{uuid}/grayscale/raw/xy/64_48/0_8_3"
    r = dvid.ok("GET", base + "/jpg")
    assert r.headers["content-type"] == "image/jpeg"
    img = Image.open(io.BytesIO(r.content))
    assert (img.format, img.mode, img.size) == ("JPEG", "L", (64, 48))
    assert np.abs(np.asarray(img).astype(int) - smooth[3, 8:56]).max() <= 6
    # default quality is 80; jpeg and jpg are the same format
    assert dvid.ok("GET", base + "/jpg:80").content == r.content
    assert dvid.ok("GET", base + "/jpeg").content == r.content
    assert len(dvid.ok("GET", base + "/jpg:10").content) < len(dvid.ok("GET", base + "/jpg:95").content)
    for fmt, media, name in (("tif", "image/tiff", "TIFF"), ("tiff", "image/tiff", "TIFF"), ("bmp", "image/bmp", "BMP")):
        r = dvid.ok("GET", f"{base}/{fmt}")
        assert r.headers["content-type"] == media
        img = Image.open(io.BytesIO(r.content))
        assert img.format == name
        assert np.array_equal(np.asarray(img.convert("L")), smooth[3, 8:56])


def test_uint16_tiff_keeps_16_bits(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint16blk", "img")
    data = rand("uint16blk", (32, 32, 32), seed=8)
    put(dvid, uuid, "img", data, (0, 0, 0))
    r = dvid.ok("GET", f"/api/node/{uuid}/img/raw/yz/32_32/7_0_0/tif")
    assert r.headers["content-type"] == "image/tiff"
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(r.content))).astype(np.uint16), data[:, :, 7])


def test_slices_fill_never_written_voxels_with_background(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g", Background="9")
    data = xor_volume((0, 0, 0), (32, 32, 32))
    put(dvid, uuid, "g", data, (0, 0, 0))
    img = np.asarray(Image.open(io.BytesIO(dvid.ok("GET", f"/api/node/{uuid}/g/raw/xy/40_40/-4_-4_2").content)))
    want = np.full((40, 40), 9, np.uint8)
    want[4:36, 4:36] = data[2]
    assert np.array_equal(img, want)


# -- isotropic slices ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typename", ALL_TYPES)
@pytest.mark.parametrize("voxel_size, plane, size, offset, src_size", [
    ("4,4,8", "xz", (64, 32), (0, 5, 0), (64, 16)),      # rx < rz: height shrinks
    ("8,8,3", "xz", (30, 20), (2, 5, 1), (11, 20)),      # rx > rz: width 30*3/8 = 11.25 -> 11
    ("5,7,7", "xy", (20, 21), (1, 2, 3), (20, 15)),      # rx < ry: height 21*5/7 = 15
    ("3,4,6", "yz", (24, 18), (9, 1, 0), (24, 12)),      # ry < rz: height 18*4/6 = 12
])
def test_isotropic_slices(dvid, typename, voxel_size, plane, size, offset, src_size):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img", VoxelSize=voxel_size)
    if typename == "float32blk":  # sums of quarters are exact, so the mean is exact
        data = (np.random.default_rng(1).integers(0, 4000, (32, 32, 64)) / 4).astype("<f4")
    else:
        data = rand(typename, (32, 32, 64), seed=2)
    put(dvid, uuid, "img", data, (0, 0, 0))
    source = np.ascontiguousarray(slice_of(data, (0, 0, 0), plane, src_size, offset))
    r = dvid.ok("GET", f"/api/node/{uuid}/img/isotropic/{plane}/{pt(size)}/{pt(offset)}")
    got = decode_2d(typename, r.content)
    if typename == "rgba8blk":  # each 8-bit channel on its own
        want = box_resize(source.view(np.uint8).reshape(*source.shape, 4), *size).view("<u4")[..., 0]
    else:
        want = box_resize(source, *size)
    assert got.shape == (size[1], size[0])
    assert np.array_equal(got, want)


@pytest.mark.parametrize("typename", ALL_TYPES)
def test_isotropic_3d_is_raw(dvid, typename):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img", VoxelSize="1,2,3")
    data = rand(typename, (32, 32, 32), seed=4)
    put(dvid, uuid, "img", data, (0, 0, 0))
    r = dvid.ok("GET", f"/api/node/{uuid}/img/isotropic/0_1_2/10_20_30/1_2_1")
    assert r.content == data[1:31, 2:22, 1:11].tobytes()


# -- 3-D transfers, every type ---------------------------------------------------------------------------


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


# -- blocks/<x_y_z>/<spanX> ------------------------------------------------------------------------------


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


# -- block streams: specificblocks and subvolblocks ---------------------------------------------------------


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


# -- arb --------------------------------------------------------------------------------------------------


def trilinear(values_at, v):
    """DVID's trilinear mix at voxel-space point v from the eight lattice neighbours."""
    lo = [math.floor(c) for c in v]
    hi = [math.ceil(c) for c in v]
    d = [(c - a) if a != b else 0 for c, a, b in zip(v, lo, hi)]
    corner = lambda dx, dy, dz: (values_at((hi[0] if dx else lo[0], hi[1] if dy else lo[1], hi[2] if dz else lo[2])))
    c00 = corner(0, 0, 0) * (1 - d[0]) + corner(1, 0, 0) * d[0]
    c10 = corner(0, 1, 0) * (1 - d[0]) + corner(1, 1, 0) * d[0]
    c01 = corner(0, 0, 1) * (1 - d[0]) + corner(1, 0, 1) * d[0]
    c11 = corner(0, 1, 1) * (1 - d[0]) + corner(1, 1, 1) * d[0]
    c0 = c00 * (1 - d[1]) + c10 * d[1]
    c1 = c01 * (1 - d[1]) + c11 * d[1]
    return c0 * (1 - d[2]) + c1 * d[2]


def test_arb_uint8_trilinear(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g", Background="9")  # VoxelSize 8,8,8
    data = xor_volume((0, 0, 0), (64, 64, 64))
    put(dvid, uuid, "g", data, (0, 0, 0))
    # a plane at z = 2.5 voxels from (0,0) to (15,7) voxels, half-voxel pixels (res 4 nm)
    r = dvid.ok("GET", f"/api/node/{uuid}/g/arb/0_0_20/120_0_20/0_56_20/4")
    assert r.headers["content-type"] == "image/png"
    img = np.asarray(Image.open(io.BytesIO(r.content)))
    assert img.shape == (15, 31)
    at = lambda p: data[p[2], p[1], p[0]]
    want = np.array([[min(255, math.floor(trilinear(at, (i / 2, j / 2, 2.5)) + 0.5)) for i in range(31)] for j in range(15)])
    assert np.array_equal(img, want)
    # a plane on voxel centres is the slice itself; an xz plane has z down the image
    img = np.asarray(Image.open(io.BytesIO(dvid.ok("GET", f"/api/node/{uuid}/g/arb/8_16_24/256_16_24/8_16_272/8").content)))
    assert np.array_equal(img, data[3:35, 2, 1:33])
    # outside everything written: the Background
    img = np.asarray(Image.open(io.BytesIO(dvid.ok("GET", f"/api/node/{uuid}/g/arb/0_0_-80/80_0_-80/0_80_-80/8/png").content)))
    assert img.shape == (11, 11) and (img == 9).all()
    # other formats
    r = dvid.ok("GET", f"/api/node/{uuid}/g/arb/8_16_24/256_16_24/8_16_272/8/jpg:90?throttle=on")
    assert r.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(r.content)).size == (32, 32)


def test_arb_with_anisotropic_voxels(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g", VoxelSize="2,4,8")
    data = xor_volume((0, 0, 0), (32, 32, 32))
    put(dvid, uuid, "g", data, (0, 0, 0))
    # physical (x, y, z) = voxel * (2, 4, 8): a y-z plane at x = 3.5 voxels, 1 nm pixels
    r = dvid.ok("GET", f"/api/node/{uuid}/g/arb/7_8_20/7_16_20/7_8_28/1")
    img = np.asarray(Image.open(io.BytesIO(r.content)))
    assert img.shape == (9, 9)
    at = lambda p: Fraction(int(data[p[2], p[1], p[0]]))
    want = [[math.floor(trilinear(at, (Fraction(7, 2), Fraction(8 + i, 4), Fraction(20 + j, 8))) + Fraction(1, 2))
             for i in range(9)] for j in range(9)]
    assert img.tolist() == want


def test_arb_rgba8_per_channel(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "rgba8blk", "c", VoxelSize="1,1,1")
    data = rand("rgba8blk", (32, 32, 32), seed=31)
    put(dvid, uuid, "c", data, (0, 0, 0))
    img = decode_2d("rgba8blk", dvid.ok("GET", f"/api/node/{uuid}/c/arb/2_3_4.5/9_3_4.5/2_7_4.5/0.5").content)
    assert img.shape == (9, 15)
    channels = data.view(np.uint8).reshape(32, 32, 32, 4)
    want = np.zeros((9, 15, 4), np.uint8)
    for c in range(4):
        at = lambda p: channels[p[2], p[1], p[0], c]
        for j in range(9):
            for i in range(15):
                want[j, i, c] = min(255, math.floor(trilinear(at, (2 + i / 2, 3 + j / 2, 4.5)) + 0.5))
    assert np.array_equal(img.view(np.uint8).reshape(9, 15, 4), want)


@pytest.mark.parametrize("typename", ["uint16blk", "uint32blk", "uint64blk", "float32blk"])
def test_arb_wide_types(dvid, typename):
    """dvidpy samples every type (DVID answers zeros for these): on voxel centres the plane is the
    slice exactly; between voxels integers round half up."""
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img", VoxelSize="1,1,1")
    if typename == "float32blk":
        data = (np.random.default_rng(32).integers(-4000, 4000, (32, 32, 32)) / 4).astype("<f4")
    else:
        data = rand(typename, (32, 32, 32), seed=32)
        if typename == "uint64blk":  # the largest values must survive too
            data = data.copy()
            data[5, :4, :4] = np.iinfo(np.uint64).max
    put(dvid, uuid, "img", data, (0, 0, 0))
    centred = decode_2d(typename, dvid.ok("GET", f"/api/node/{uuid}/img/arb/0_0_5/31_0_5/0_31_5/1").content)
    assert np.array_equal(centred, data[5])
    half = decode_2d(typename, dvid.ok("GET", f"/api/node/{uuid}/img/arb/0_0_5.5/6_0_5.5/0_4_5.5/0.5").content)
    # exact rational arithmetic (every weight is a multiple of 1/8), which float64 matches here
    at = lambda p: Fraction(data[p[2], p[1], p[0]].item())
    for j in range(9):
        for i in range(13):
            c = trilinear(at, (Fraction(i, 2), Fraction(j, 2), Fraction(11, 2)))
            want = np.float32(float(c)) if typename == "float32blk" else math.floor(c + Fraction(1, 2))
            assert half[j, i] == want, (i, j)


@pytest.mark.parametrize("args, message", [
    ("0_0_0/10_0_0/0_10_0", '"arb" must be followed by top-left/top-right/bottom-left/res'),
    ("0_0/10_0_0/0_10_0/1", "top-left point"),
    ("0_0_0/10_x_0/0_10_0/1", "top-right point"),
    ("0_0_0/10_0_0/0_10_0/x", "resolution"),
    ("0_0_0/10_0_0/0_10_0/-1", "resolution"),
    ("0_0_0/10_0_0/0_10_0/0", "resolution"),
    ("0_0_0/0_0_0/0_10_0/1", "Bad arbitrary image size requested"),
    ("0_0_0/10_0_0/0_10_0/1/gif", "Illegal image format requested: gif"),
])
def test_arb_bad_requests(filled, args, message):
    dvid, uuid, _ = filled
    path = f"/api/node/{uuid}/grayscale/arb/{args}"
    assert message in error_message(dvid.get(path), path)


# -- extents, resolution, rawkey ------------------------------------------------------------------------------


def test_extents_post_replaces_and_writes_grow(gray):
    dvid, uuid = gray
    put(dvid, uuid, "grayscale", xor_volume((0, 0, 0), (64, 32, 32)), (0, 0, 0))
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/extents", json={"MinPoint": [10, 11, 12], "MaxPoint": [20, 21, 22]})
    ext = info(dvid, uuid)["Extended"]
    assert (ext["MinPoint"], ext["MaxPoint"], ext["MinIndex"], ext["MaxIndex"]) == ([10, 11, 12], [20, 21, 22], [0, 0, 0], [0, 0, 0])
    put(dvid, uuid, "grayscale", xor_volume((0, 0, 0), (32, 32, 32)), (-32, 32, 0))
    ext = info(dvid, uuid)["Extended"]
    assert (ext["MinPoint"], ext["MaxPoint"]) == ([-32, 11, 0], [20, 63, 31])
    # a missing point is the origin
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/extents", json={"MaxPoint": [5, 6, 7]})
    assert info(dvid, uuid)["Extents"] == {"MinPoint": [0, 0, 0], "MaxPoint": [5, 6, 7]}
    dvid.restart()
    assert info(dvid, uuid)["Extents"] == {"MinPoint": [0, 0, 0], "MaxPoint": [5, 6, 7]}


@pytest.mark.parametrize("method, body, message", [
    ("GET", b"", "extents endpoint only supports POST HTTP verb"),
    ("POST", b"{", "Malformed JSON in extents body"),
    ("POST", b"[1,2,3]", "JSON object"),
    ("POST", b'{"MinPoint": [1,2], "MaxPoint": [3,4,5]}', "MinPoint must be a list of 3 integers"),
    ("POST", b'{"MinPoint": [1,2,3], "MaxPoint": [3,"a",5]}', "MaxPoint must be a list of 3 integers"),
    ("POST", b'{"MinPoint": [5,5,5], "MaxPoint": [4,9,9]}', "must not be below MinPoint"),
])
def test_extents_bad_requests(filled, method, body, message):
    dvid, uuid, _ = filled
    before = info(dvid, uuid)
    path = f"/api/node/{uuid}/grayscale/extents"
    assert message in error_message(dvid.request(method, path, content=body), path)
    assert info(dvid, uuid) == before


def test_resolution(gray):
    dvid, uuid = gray
    r = dvid.ok("POST", f"/api/node/{uuid}/grayscale/resolution", content=b"[4.0, 5.5, 13.1]")
    assert r.content == b""
    assert info(dvid, uuid)["Extended"]["VoxelSize"] == [4, 5.5, 13.1]
    dvid.restart()
    assert info(dvid, uuid)["Extended"]["VoxelSize"] == [4, 5.5, 13.1]


@pytest.mark.parametrize("method, body, message", [
    ("GET", b"", "resolution endpoint only supports POST HTTP verb"),
    ("POST", b"[1,2", "Malformed JSON in resolution body"),
    ("POST", b"[1,2]", "resolution must be a JSON array of 3 numbers"),
    ("POST", b'[1,"2",3]', "resolution must be a JSON array of 3 numbers"),
    ("POST", b'{"x": 1}', "resolution must be a JSON array of 3 numbers"),
    ("POST", b"[1,0,3]", "resolution must be positive on every axis"),
])
def test_resolution_bad_requests(gray, method, body, message):
    dvid, uuid = gray
    path = f"/api/node/{uuid}/grayscale/resolution"
    assert message in error_message(dvid.request(method, path, content=body), path)
    assert info(dvid, uuid)["Extended"]["VoxelSize"] == [8, 8, 8]


def test_rawkey(gray):
    dvid, uuid = gray
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/rawkey?x=1&y=-2&z=3")
    assert r.headers["content-type"] == "application/json"
    key = bytes.fromhex(r.json()["Key"])
    # 0x01 | instance id | TKey (class 23, 0x01, Z Y X with the sign bit flipped) | version | client 0 | 0x03
    assert len(key) == 1 + 4 + 14 + 4 + 4 + 1
    assert key[0] == 1 and key[-1] == 3 and key[-5:-1] == bytes(4)
    assert key[5:19] == bytes.fromhex("1701" "80000003" "7ffffffe" "80000001")
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    other = bytes.fromhex(dvid.ok("GET", f"/api/node/{child}/grayscale/rawkey?x=1&y=-2&z=3").json()["Key"])
    assert other[:19] == key[:19] and other[19:23] != key[19:23]


@pytest.mark.parametrize("tail, message", [
    ("?x=1&y=2", "rawkey needs integer query strings x, y and z"),
    ("?x=1&y=2&z=a", "rawkey needs integer query strings x, y and z"),
    ("/5?x=1&y=2&z=3", "rawkey endpoint should be followed by query strings (x, y, and z) giving block coord"),
    ("?x=2147483648&y=0&z=0", "rawkey block coordinate (2147483648, 0, 0) does not fit in 32 bits"),
])
def test_rawkey_bad_requests(gray, tail, message):
    dvid, uuid = gray
    path = f"/api/node/{uuid}/grayscale/rawkey{tail.split('?')[0]}"
    assert error_message(dvid.get(f"/api/node/{uuid}/grayscale/rawkey{tail}"), path).startswith(message)


# -- throttle ----------------------------------------------------------------------------------------------------


def test_throttle_on_is_accepted(filled):
    dvid, uuid, data = filled
    for flag in ("on", "true", "ON"):
        assert get(dvid, uuid, "grayscale", "uint8blk", (64, 64, 64), (-32, 0, 0), f"?throttle={flag}").tobytes() == data.tobytes()
    put(dvid, uuid, "grayscale", data, (-32, 0, 0), "?throttle=true")
    dvid.ok("GET", f"/api/node/{uuid}/grayscale/subvolblocks/32_32_32/0_0_0?throttle=on")
    dvid.ok("GET", f"/api/node/{uuid}/grayscale/arb/0_0_0/80_0_0/0_80_0/8?throttle=on")


def test_throttle_full_answers_503_and_writes_nothing(filled):
    dvid, uuid, data = filled
    url = raw_url(uuid, "grayscale", (64, 64, 64), (-32, 0, 0))
    with dvid.server.throttle.slot():  # the one throttled operation allowed is running
        r = dvid.get(url + "?throttle=on")
        assert r.status_code == 503
        assert r.text == "Server already running 1 throttled operations (max = 1)\n"
        r = dvid.post(url + "?throttle=on", content=bytes(64**3))
        assert r.status_code == 503
        # requests that did not ask, and 2-D slices, are never throttled
        assert dvid.ok("GET", url).content == data.tobytes()
        dvid.ok("GET", f"/api/node/{uuid}/grayscale/raw/xy/8_8/0_0_0?throttle=on")
    assert dvid.ok("GET", url + "?throttle=on").content == data.tobytes()


# -- ROI-masked reads and writes (ROIs made through the roi datatype's HTTP API) ----------------------------


SPANS = [[0, 0, -1, -1], [1, 1, 0, 0], [1, 0, -1, 0]]  # [z, y, x0, x1] in blocks


def make_roi(dvid, uuid, spans=SPANS, name="myroi"):
    dvid.ok("POST", f"/api/repo/{uuid}/instance", json={"typename": "roi", "dataname": name})
    dvid.ok("POST", f"/api/node/{uuid}/{name}/roi", content=json.dumps(spans))


def inside_mask(spans, origin, shape_zyx, bs=32) -> np.ndarray:
    z, y, x = np.meshgrid(*(np.arange(o, o + n) for o, n in zip(origin[::-1], shape_zyx)), indexing="ij")
    mask = np.zeros(shape_zyx, bool)
    for bz, by, x0, x1 in spans:
        mask |= (z // bs == bz) & (y // bs == by) & (x // bs >= x0) & (x // bs <= x1)
    return mask


@pytest.fixture
def with_roi(filled):
    dvid, uuid, data = filled
    make_roi(dvid, uuid)
    return dvid, uuid, data, inside_mask(SPANS, (-32, 0, 0), (64, 64, 64))


def test_roi_read_3d_and_2d(with_roi):
    dvid, uuid, data, inside = with_roi
    assert inside.sum() == 4 * 32**3
    got = get(dvid, uuid, "grayscale", "uint8blk", (64, 64, 64), (-32, 0, 0), "?roi=myroi")
    assert np.array_equal(got, np.where(inside, data, 0))
    img = np.asarray(Image.open(io.BytesIO(dvid.ok("GET", f"/api/node/{uuid}/grayscale/raw/xy/64_64/-32_0_40?roi=myroi").content)))
    assert np.array_equal(img, np.where(inside, data, 0)[40])
    # without roi= nothing is masked
    assert get(dvid, uuid, "grayscale", "uint8blk", (64, 64, 64), (-32, 0, 0)).tobytes() == data.tobytes()


def test_roi_read_outside_is_background(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g", Background="9")
    data = xor_volume((0, 0, 0), (64, 32, 32))
    put(dvid, uuid, "g", data, (0, 0, 0))
    make_roi(dvid, uuid, [[0, 0, 1, 1]])
    got = get(dvid, uuid, "g", "uint8blk", (96, 32, 32), (0, 0, 0), "?roi=myroi")
    want = np.full((32, 32, 96), 9, np.uint8)
    want[:, :, 32:64] = data[:, :, 32:]
    assert np.array_equal(got, want)


@pytest.mark.parametrize("typename", MULTI_BYTE_TYPES)
def test_roi_read_every_type(dvid, typename):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img")
    data = rand(typename, (32, 32, 64), seed=41)
    put(dvid, uuid, "img", data, (-32, 0, 0))
    make_roi(dvid, uuid, [[0, 0, 0, 0]])
    got = get(dvid, uuid, "img", typename, (64, 32, 32), (-32, 0, 0), "?roi=myroi")
    want = np.zeros_like(data)
    want[:, :, 32:] = data[:, :, 32:]
    assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("n", range(1, 8))
def test_attenuation_uint8(with_roi, n):
    dvid, uuid, data, inside = with_roi
    got = get(dvid, uuid, "grayscale", "uint8blk", (64, 64, 64), (-32, 0, 0), f"?roi=myroi&attenuation={n}")
    assert np.array_equal(got, np.where(inside, data, data >> n))
    img = np.asarray(Image.open(io.BytesIO(dvid.ok("GET", f"/api/node/{uuid}/grayscale/raw/yz/64_64/-20_0_0?roi=myroi&attenuation={n}").content)))
    assert np.array_equal(img, np.where(inside, data, data >> n)[:, :, 12])


def test_attenuation_rgba8_shifts_each_channel(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "rgba8blk", "c")
    data = rand("rgba8blk", (32, 32, 64), seed=42)
    put(dvid, uuid, "c", data, (0, 0, 0))
    make_roi(dvid, uuid, [[0, 0, 1, 1]])
    got = get(dvid, uuid, "c", "rgba8blk", (64, 32, 32), (0, 0, 0), "?roi=myroi&attenuation=3")
    channels = data.view(np.uint8).reshape(32, 32, 64, 4)
    want = channels.copy()
    want[:, :, :32] >>= 3
    assert got.tobytes() == want.tobytes()


def test_attenuation_without_roi_is_ignored(filled):
    dvid, uuid, data = filled
    got = get(dvid, uuid, "grayscale", "uint8blk", (64, 64, 64), (-32, 0, 0), "?attenuation=3")
    assert got.tobytes() == data.tobytes()


@pytest.mark.parametrize("typename", ["uint16blk", "uint32blk", "uint64blk", "float32blk"])
def test_attenuation_needs_8_bit_channels(dvid, typename):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img")
    make_roi(dvid, uuid, [[0, 0, 0, 0]])
    path = raw_url(uuid, "img", (32, 32, 32), (0, 0, 0))
    assert error_message(dvid.get(path + "?roi=myroi&attenuation=2"), path) == "Can only scale non-ROI blocks with 1 byte voxels"


def test_roi_write_only_inside_blocks(with_roi):
    dvid, uuid, data, inside = with_roi
    new = np.full((64, 64, 96), 200, np.uint8)
    put(dvid, uuid, "grayscale", new, (-32, 0, 0), "?roi=myroi")
    got = get(dvid, uuid, "grayscale", "uint8blk", (96, 64, 64), (-32, 0, 0))
    wide_inside = inside_mask(SPANS, (-32, 0, 0), (64, 64, 96))
    before = np.zeros((64, 64, 96), np.uint8)
    before[:, :, :64] = data
    assert np.array_equal(got, np.where(wide_inside, new, before))
    # blocks outside the ROI were not written at all
    stored = [c for c, _ in block_records(dvid.ok("GET", f"/api/node/{uuid}/grayscale/subvolblocks/96_64_64/-32_0_0").content)]
    assert (1, 0, 0) not in stored and (1, 1, 1) not in stored


def test_roi_write_outside_everything_still_grows_extents(gray):
    dvid, uuid = gray
    make_roi(dvid, uuid, [[5, 5, 5, 5]])
    put(dvid, uuid, "grayscale", np.full((32, 32, 32), 1, np.uint8), (0, 0, 0), "?roi=myroi")
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/subvolblocks/32_32_32/0_0_0").content == b""
    assert info(dvid, uuid)["Extents"] == {"MinPoint": [0, 0, 0], "MaxPoint": [31, 31, 31]}


def test_empty_roi_masks_everything(filled):
    dvid, uuid, data = filled
    make_roi(dvid, uuid, [], name="empty")
    assert not get(dvid, uuid, "grayscale", "uint8blk", (64, 64, 64), (-32, 0, 0), "?roi=empty").any()


def test_roi_is_read_at_the_requests_version(filled):
    dvid, uuid, data = filled
    make_roi(dvid, uuid, [[0, 0, -1, -1]])
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    dvid.ok("POST", f"/api/node/{child}/myroi/roi", json=[[0, 0, 0, 0]])
    at_root = get(dvid, uuid, "grayscale", "uint8blk", (64, 32, 32), (-32, 0, 0), "?roi=myroi")
    at_child = get(dvid, child, "grayscale", "uint8blk", (64, 32, 32), (-32, 0, 0), "?roi=myroi")
    assert np.array_equal(at_root[:, :, :32], data[:32, :32, :32]) and not at_root[:, :, 32:].any()
    assert np.array_equal(at_child[:, :, 32:], data[:32, :32, 32:]) and not at_child[:, :, :32].any()


# -- versions ----------------------------------------------------------------------------------------------------


def test_versions_copy_on_write(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint16blk", "img")
    parent = rand("uint16blk", (32, 32, 64), seed=51)
    put(dvid, uuid, "img", parent, (0, 0, 0))
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    patch = rand("uint16blk", (32, 32, 32), seed=52)
    put(dvid, child, "img", patch, (32, 0, 0))
    assert get(dvid, uuid, "img", "uint16blk", (64, 32, 32), (0, 0, 0)).tobytes() == parent.tobytes()
    want = parent.copy()
    want[:, :, 32:] = patch
    assert get(dvid, child, "img", "uint16blk", (64, 32, 32), (0, 0, 0)).tobytes() == want.tobytes()
    # blocks, block streams and slices see the version's blocks too
    assert dvid.ok("GET", f"/api/node/{uuid}/img/blocks/1_0_0/1").content == parent[:, :, 32:].tobytes()
    assert dvid.ok("GET", f"/api/node/{child}/img/blocks/1_0_0/1").content == patch.tobytes()
    img = decode_2d("uint16blk", dvid.ok("GET", f"/api/node/{uuid}/img/raw/xy/64_32/0_0_4").content)
    assert np.array_equal(img, parent[4])


def test_branches_keep_their_own_writes(gray):
    dvid, uuid = gray
    base = xor_volume((0, 0, 0), (32, 32, 32))
    put(dvid, uuid, "grayscale", base, (0, 0, 0))
    dvid.commit(uuid)
    a = dvid.branch(uuid, "a")
    b = dvid.branch(uuid, "b")
    put(dvid, a, "grayscale", np.full((32, 32, 32), 1, np.uint8), (0, 0, 0))
    put(dvid, b, "grayscale", np.full((32, 32, 32), 2, np.uint8), (0, 0, 0))
    assert (get(dvid, a, "grayscale", "uint8blk", (32, 32, 32), (0, 0, 0)) == 1).all()
    assert (get(dvid, b, "grayscale", "uint8blk", (32, 32, 32), (0, 0, 0)) == 2).all()
    assert get(dvid, uuid, "grayscale", "uint8blk", (32, 32, 32), (0, 0, 0)).tobytes() == base.tobytes()


@pytest.mark.parametrize("path, body", [
    ("raw/0_1_2/32_32_32/0_0_0", bytes(32768)),
    ("blocks/0_0_0/1", bytes(32768)),
    ("extents", b'{"MinPoint":[0,0,0],"MaxPoint":[1,1,1]}'),
])
def test_locked_node_refuses_writes(filled, path, body):
    dvid, uuid, data = filled
    before = info(dvid, uuid)
    dvid.commit(uuid)
    url = f"/api/node/{uuid}/grayscale/{path}"
    r = dvid.post(url, content=body)
    assert 400 <= r.status_code < 500
    assert f'Cannot do POST on endpoint "{path.split("/")[0]}" of locked node {uuid}' in r.text
    assert get(dvid, uuid, "grayscale", "uint8blk", (64, 64, 64), (-32, 0, 0)).tobytes() == data.tobytes()
    assert info(dvid, uuid) == before


def test_unversioned_instance_is_shared_by_every_version(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "shared", Versioned="false")
    assert info(dvid, uuid, "shared")["Base"]["Versioned"] is False
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    data = xor_volume((0, 0, 0), (32, 32, 32))
    put(dvid, child, "shared", data, (0, 0, 0))
    assert get(dvid, uuid, "shared", "uint8blk", (32, 32, 32), (0, 0, 0)).tobytes() == data.tobytes()
    put(dvid, uuid, "shared", data[::-1], (0, 0, 0))  # the committed root still takes writes
    assert get(dvid, child, "shared", "uint8blk", (32, 32, 32), (0, 0, 0)).tobytes() == data[::-1].tobytes()


def test_extents_grow_per_version_and_persist(gray):
    dvid, uuid = gray
    put(dvid, uuid, "grayscale", np.zeros((32, 32, 32), np.uint8), (32, 64, 96))
    put(dvid, uuid, "grayscale", np.zeros((32, 32, 32), np.uint8), (-32, 0, 0))
    ext = info(dvid, uuid)["Extended"]
    assert (ext["MinPoint"], ext["MaxPoint"], ext["MinIndex"], ext["MaxIndex"]) == ([-32, 0, 0], [63, 95, 127], [-1, 0, 0], [1, 2, 3])
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    put(dvid, child, "grayscale", np.zeros((32, 32, 32), np.uint8), (0, -64, 0))
    dvid.restart()
    assert info(dvid, uuid)["Extents"] == {"MinPoint": [-32, 0, 0], "MaxPoint": [63, 95, 127]}
    assert info(dvid, child)["Extents"] == {"MinPoint": [-32, -64, 0], "MaxPoint": [63, 95, 127]}
    listed = dvid.ok("GET", "/api/repos/info").json()[uuid]["DataInstances"]["grayscale"]["Extended"]
    assert listed["MinPoint"] is not None


def test_concurrent_writes(gray):
    dvid, uuid = gray
    vols = [np.full((32, 32, 32), i + 1, np.uint8) for i in range(8)]

    def write(i):
        return dvid.post(raw_url(uuid, "grayscale", (32, 32, 32), (32 * i, 0, -32)), content=vols[i].tobytes()).status_code

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(write, range(8))) == [200] * 8
    got = get(dvid, uuid, "grayscale", "uint8blk", (256, 32, 32), (0, 0, -32))
    assert np.array_equal(got, np.concatenate(vols, axis=2))
    assert info(dvid, uuid)["Extents"] == {"MinPoint": [0, 0, -32], "MaxPoint": [255, 31, -1]}


# -- bad input: a 4xx naming the problem, and nothing written --------------------------------------------------


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


# -- what neuroglancer's dvid datasource asks for ---------------------------------------------------


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
