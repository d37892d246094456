"""isotropic/ slices of every type with anisotropic voxel sizes, checked against DVID's area-
weighted box filter computed here, and isotropic 3-D requests, which are the raw volume.
"""

from __future__ import annotations

import numpy as np
import pytest

from .volumes import ALL_TYPES, box_resize, decode_2d, pt, put, rand, slice_of


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
