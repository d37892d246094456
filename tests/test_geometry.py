"""dvidpy.geometry: URL parsing, shapes, boxes and block arithmetic."""

import numpy as np
import pytest

from dvidpy.errors import DVIDError
from dvidpy.geometry import (
    Geometry,
    Shape,
    Subvolume,
    block_box,
    block_of,
    check_positive,
    parse_floats,
    parse_geometry,
    parse_ints,
    parse_point,
)


def message(exc_info) -> str:
    return exc_info.value.message


@pytest.mark.parametrize(
    "text, shape",
    [("xy", Shape.XY), ("XY", Shape.XY), ("0_1", Shape.XY), ("0,1", Shape.XY), ("xz", Shape.XZ),
     ("0_2", Shape.XZ), ("yz", Shape.YZ), ("1_2", Shape.YZ), ("vol", Shape.VOL), ("0_1_2", Shape.VOL),
     ("0,1,2", Shape.VOL), ("arb", Shape.ARB)],
)
def test_shape_strings(text, shape):
    assert Shape.parse(text) is shape


def test_unknown_shape_is_named():
    with pytest.raises(DVIDError) as e:
        Shape.parse("xw")
    assert message(e) == "Unknown data shape specification (xw)"
    assert e.value.status == 400


def test_parse_ints_trims_and_checks_int32():
    assert parse_ints(" 1_ -2 _3") == (1, -2, 3)
    assert parse_ints("4,5", ",") == (4, 5)
    with pytest.raises(DVIDError) as e:
        parse_ints("1_x_3", what="offset")
    assert message(e) == "cannot parse offset '1_x_3': 'x' is not an integer"
    with pytest.raises(DVIDError) as e:
        parse_ints("2147483648_0_0")
    assert "does not fit in 32 bits" in message(e)
    assert parse_ints("-2147483648") == (-(2**31),)


def test_parse_point_needs_exact_dims():
    assert parse_point("1,2,3", 3, ",") == (1, 2, 3)
    with pytest.raises(DVIDError) as e:
        parse_point("1,2", 3, ",", what="BlockSize")
    assert message(e) == "BlockSize must be 3d, not 2d: '1,2'"


def test_parse_floats():
    assert parse_floats("13.1, 14.2 ,15.3") == (13.1, 14.2, 15.3)
    with pytest.raises(DVIDError):
        parse_floats("1,2")
    with pytest.raises(DVIDError):
        parse_floats("1,a,2")


def test_geometry_of_a_volume():
    g = parse_geometry("0_1_2", "10_20_30", "-5_6_7")
    assert g.shape is Shape.VOL and not g.is_slice
    assert g.box == Subvolume((-5, 6, 7), (10, 20, 30))
    assert g.box.end == (4, 25, 36)
    assert g.box.shape_zyx == (30, 20, 10)
    assert g.box.num_voxels == 6000


@pytest.mark.parametrize(
    "shape, size3, size2",
    [("xy", (64, 32, 1), (64, 32)), ("xz", (64, 1, 32), (64, 32)), ("yz", (1, 64, 32), (64, 32))],
)
def test_geometry_of_slices(shape, size3, size2):
    g = parse_geometry(shape, "64_32", "1_2_3")
    assert g.is_slice and g.size2d == size2
    assert g.box == Subvolume((1, 2, 3), size3)


def test_slice_planes_come_out_row_by_column():
    vol = np.arange(2 * 3 * 4).reshape(2, 3, 4)  # z, y, x
    xy = parse_geometry("xy", "4_3", "0_0_0")
    xz = parse_geometry("xz", "4_2", "0_0_0")
    yz = parse_geometry("yz", "3_2", "0_0_0")
    assert np.array_equal(xy.plane(vol[:1]), vol[0])
    assert np.array_equal(xz.plane(vol[:, :1, :]), vol[:, 0, :])
    assert np.array_equal(yz.plane(vol[:, :, :1]), vol[:, :, 0])


@pytest.mark.parametrize(
    "args, text",
    [
        (("0_1_2", "10_20", "0_0_0"), "Size must be 3 (not 2) dimensions"),
        (("xy", "10_20", "0_0"), "Offset must be 3d coordinate, not 2-d coordinate"),
        (("xy", "10_20_30", "0_0_0"), "Size of a 2d slice must be 2 integers, not 3: '10_20_30'"),
        (("arb", "1_1_1", "0_0_0"), "DVID currently supports shapes of only 2 and 3 dimensions"),
    ],
)
def test_geometry_errors(args, text):
    with pytest.raises(DVIDError) as e:
        parse_geometry(*args)
    assert message(e) == text


def test_block_of_uses_floor_division():
    assert block_of((-1, -32, -33), (32, 32, 32)) == (-1, -1, -2)
    assert block_of((31, 32, 0), (32, 32, 32)) == (0, 1, 0)
    assert block_box((-1, 0, 2), (32, 16, 8)) == Subvolume((-32, 0, 16), (32, 16, 8))


def test_alignment_holds_for_negative_offsets():
    bs = (32, 32, 32)
    assert Subvolume((-64, 0, 32), (64, 32, 32)).is_aligned(bs)
    assert not Subvolume((16, 0, 0), (32, 32, 32)).is_aligned(bs)
    assert not Subvolume((0, 0, 0), (48, 32, 32)).is_aligned(bs)


def test_block_bounds_intersection_and_slices():
    box = Subvolume((-5, 10, 0), (40, 30, 1))
    assert box.block_bounds((32, 32, 32)) == Subvolume((-1, 0, 0), (3, 2, 1))
    other = Subvolume((0, 0, 0), (32, 32, 32))
    inter = box.intersect(other)
    assert inter == Subvolume((0, 10, 0), (32, 22, 1))
    assert inter.slices_within(box) == (slice(0, 1), slice(0, 22), slice(5, 37))
    assert box.intersect(Subvolume((100, 0, 0), (1, 1, 1))) is None
    assert box.union(other) == Subvolume.from_bounds((-5, 0, 0), (34, 39, 31))


def test_coords_in_zyx_order_and_rows():
    box = Subvolume((0, 0, 0), (2, 2, 2))
    assert box.coords_zyx().tolist() == [
        [0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1],
    ]
    assert list(Subvolume((3, 0, 5), (4, 2, 1)).rows()) == [(0, 5, 3, 6), (1, 5, 3, 6)]


def test_check_positive():
    check_positive(Subvolume((0, 0, 0), (1, 1, 1)))
    with pytest.raises(DVIDError) as e:
        check_positive(Subvolume((0, 0, 0), (1, 0, 1)))
    assert message(e).startswith("Illegal geometry requested")


def test_geometry_describe():
    assert Geometry(Shape.VOL, Subvolume((16, 0, 0), (32, 32, 32))).describe() == "(16,0,0) -> (47,31,31)"


@pytest.mark.parametrize("body, expected", [
    (b"[]", []),
    (b"[[1,2,3]]", [[1, 2, 3]]),
    (b"[ [1, -2, 3] ,\n [-4,5,-6] ]", [[1, -2, 3], [-4, 5, -6]]),
    (b"[[2147483647,-2147483648,0]]", [[2147483647, -2147483648, 0]]),
])
def test_parse_point_list(body, expected):
    from dvidpy.geometry import parse_point_list

    assert parse_point_list(body, "points").tolist() == expected


@pytest.mark.parametrize("body, message", [
    (b"[[1,2,3]", "points: Expecting ','"),
    (b"[[1-2,3,4]]", "points: Expecting ','"),
    (b"[[1,2,3],[4,5]]", "points: point 1 must be 3 integers [x, y, z], got [4, 5]"),
    (b'{"x": 1}', "points: expected a list of [x, y, z] integer points"),
    (b"[[1,2,2147483648]]", "points: point coordinates must fit in 32 bits"),
    (b"[[1,2,99999999999999999999999]]", "points: point coordinates must fit in 32 bits"),
])
def test_parse_point_list_errors(body, message):
    from dvidpy.errors import DVIDError
    from dvidpy.geometry import parse_point_list

    with pytest.raises(DVIDError) as err:
        parse_point_list(body, "points")
    assert err.value.message.startswith(message)
