"""2-D slices under raw/<plane>: PNG slices of uint8 in every plane spelling and of every type
(decoded independently of the server), Go's RGB PNGs when every alpha is opaque, JPEG, TIFF and BMP
output, 16-bit TIFF, and Background filling never-written voxels.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from .volumes import ALL_TYPES, decode_2d, png_samples, pt, put, rand, slice_of, xor_volume


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
