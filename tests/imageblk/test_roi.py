"""ROI-masked reads and writes, with ROIs made through the roi datatype's HTTP API: masked 3-D and
2-D reads, Background outside the ROI, every type, attenuation outside the ROI (uint8, rgba8 per
channel, ignored without an ROI, refused for wider voxels), writes stored only in the ROI's blocks,
extents growing anyway, empty ROIs, and the ROI read at the request's version.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import block_records, error_message
from PIL import Image

from .volumes import MULTI_BYTE_TYPES, SPANS, get, info, inside_mask, make_roi, put, rand, raw_url, xor_volume


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
