"""arb/ arbitrary planes: trilinear sampling checked against DVID's mix computed here (exactly, with
fractions, where rounding matters) for uint8, anisotropic voxels, rgba8 per channel and the wider
types, Background outside every write, other image formats, and bad requests.
"""

from __future__ import annotations

import io
import math
from fractions import Fraction

import numpy as np
import pytest
from conftest import error_message
from PIL import Image

from .volumes import decode_2d, put, rand, xor_volume


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
