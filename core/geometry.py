"""Points, shapes, subvolumes and block arithmetic shared by every datatype.

Conventions (DVID's):

* Points are ``(x, y, z)`` tuples; URL points are integers joined by ``_`` (``,`` in settings),
  each an int32.
* Arrays are C-ordered ``[z][y][x]`` (x fastest), so a subvolume's array shape is ``(nz, ny, nx)``.
* Block coordinates use floor division, so voxel -1 is in block -1 and the position within a
  block is always in ``[0, block size)``, negative coordinates included.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

import numpy as np

from dvidpy import native
from dvidpy.errors import bad_request

Point3 = tuple[int, int, int]

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
#: DVID's default block size for every blocked datatype.
DEFAULT_BLOCK_SIZE: Point3 = (32, 32, 32)
AXIS_NAMES = ("X", "Y", "Z")


def parse_ints(text: str, sep: str = "_", *, what: str = "point") -> tuple[int, ...]:
    """Integers joined by ``sep``; each trimmed and checked to fit in an int32."""
    out = []
    for part in text.split(sep):
        try:
            value = int(part.strip(), 10)
        except ValueError:
            raise bad_request(f"cannot parse {what} {text!r}: {part.strip()!r} is not an integer")
        if not INT32_MIN <= value <= INT32_MAX:
            raise bad_request(f"cannot parse {what} {text!r}: {value} does not fit in 32 bits")
        out.append(value)
    return tuple(out)


def parse_point(text: str, ndims: int, sep: str = "_", *, what: str = "point") -> tuple[int, ...]:
    """A point of exactly ``ndims`` integers."""
    values = parse_ints(text, sep, what=what)
    if len(values) != ndims:
        raise bad_request(f"{what} must be {ndims}d, not {len(values)}d: {text!r}")
    return values


def parse_point3(text: str, sep: str = "_", *, what: str = "point") -> Point3:
    x, y, z = parse_point(text, 3, sep, what=what)
    return x, y, z


def parse_floats(text: str, ndims: int = 3, sep: str = ",", *, what: str = "value") -> tuple[float, ...]:
    """Finite floats joined by ``sep`` (spaces allowed), exactly ``ndims`` of them."""
    parts = text.split(sep)
    if len(parts) != ndims:
        raise bad_request(f"{what} must have {ndims} components, not {len(parts)}: {text!r}")
    try:
        values = tuple(float(p.strip()) for p in parts)
    except ValueError:
        raise bad_request(f"cannot parse {what} {text!r} as {ndims} numbers") from None
    if not all(math.isfinite(v) for v in values):
        raise bad_request(f"{what} {text!r} must be finite numbers")
    return values


class Shape(Enum):
    """DVID's data shapes: three orthogonal slices, the 3-D volume, and arbitrary planes."""

    XY = (0, 1)
    XZ = (0, 2)
    YZ = (1, 2)
    VOL = (0, 1, 2)
    ARB = ()

    @property
    def axes(self) -> tuple[int, ...]:
        return self.value

    @property
    def ndims(self) -> int:
        return len(self.value)

    @classmethod
    def parse(cls, text: str) -> Shape:
        shape = _SHAPES.get(text.lower())
        if shape is None:
            raise bad_request(f"Unknown data shape specification ({text})")
        return shape


_SHAPES = {
    "xy": Shape.XY, "0_1": Shape.XY, "0,1": Shape.XY,
    "xz": Shape.XZ, "0_2": Shape.XZ, "0,2": Shape.XZ,
    "yz": Shape.YZ, "1_2": Shape.YZ, "1,2": Shape.YZ,
    "vol": Shape.VOL, "0_1_2": Shape.VOL, "0,1,2": Shape.VOL,
    "arb": Shape.ARB,
}


@dataclass(frozen=True)
class Subvolume:
    """An axis-aligned box of voxels (or of blocks): ``offset`` and ``size`` as (x, y, z)."""

    offset: Point3
    size: Point3

    @classmethod
    def from_bounds(cls, start: Point3, end: Point3) -> Subvolume:
        """The box from ``start`` to ``end``, both inclusive."""
        return cls(start, tuple(e - s + 1 for s, e in zip(start, end)))  # type: ignore[arg-type]

    @property
    def start(self) -> Point3:
        return self.offset

    @property
    def end(self) -> Point3:
        """The last voxel, inclusive."""
        return tuple(o + s - 1 for o, s in zip(self.offset, self.size))  # type: ignore[return-value]

    @property
    def shape_zyx(self) -> tuple[int, int, int]:
        """The numpy shape of an array holding this box."""
        return self.size[2], self.size[1], self.size[0]

    @property
    def num_voxels(self) -> int:
        return self.size[0] * self.size[1] * self.size[2]

    @property
    def empty(self) -> bool:
        return any(s <= 0 for s in self.size)

    def describe(self) -> str:
        return "({},{},{}) -> ({},{},{})".format(*self.start, *self.end)

    def is_aligned(self, block_size: Point3) -> bool:
        """True when both faces of every axis lie on block boundaries."""
        return all(
            o % b == 0 and (o + s) % b == 0 for o, s, b in zip(self.offset, self.size, block_size)
        )

    def block_bounds(self, block_size: Point3) -> Subvolume:
        """The box of block coordinates that this box touches."""
        first = block_of(self.start, block_size)
        last = block_of(self.end, block_size)
        return Subvolume.from_bounds(first, last)

    def intersect(self, other: Subvolume) -> Subvolume | None:
        start = tuple(max(a, b) for a, b in zip(self.start, other.start))
        end = tuple(min(a, b) for a, b in zip(self.end, other.end))
        if any(s > e for s, e in zip(start, end)):
            return None
        return Subvolume.from_bounds(start, end)  # type: ignore[arg-type]

    def slices_within(self, outer: Subvolume) -> tuple[slice, slice, slice]:
        """Numpy ``[z, y, x]`` slices selecting this box inside an array holding ``outer``."""
        rel = [o - p for o, p in zip(self.offset, outer.offset)]
        return (
            slice(rel[2], rel[2] + self.size[2]),
            slice(rel[1], rel[1] + self.size[1]),
            slice(rel[0], rel[0] + self.size[0]),
        )

    def union(self, other: Subvolume) -> Subvolume:
        start = tuple(min(a, b) for a, b in zip(self.start, other.start))
        end = tuple(max(a, b) for a, b in zip(self.end, other.end))
        return Subvolume.from_bounds(start, end)  # type: ignore[arg-type]

    def coords_zyx(self) -> np.ndarray:
        """Every point of the box as an ``(N, 3)`` array of (x, y, z), in ZYX order (x fastest)."""
        z, y, x = np.meshgrid(
            *(np.arange(o, o + s, dtype=np.int64) for o, s in zip(self.offset[::-1], self.size[::-1])),
            indexing="ij",
        )
        return np.stack([x.ravel(), y.ravel(), z.ravel()], axis=1)

    def rows(self) -> Iterator[tuple[int, int, int, int]]:
        """``(y, z, x0, x1)`` for each x-run of the box in ZYX order (x1 inclusive)."""
        x0, x1 = self.start[0], self.end[0]
        for z in range(self.start[2], self.end[2] + 1):
            for y in range(self.start[1], self.end[1] + 1):
                yield y, z, x0, x1


def block_of(point: Point3, block_size: Point3) -> Point3:
    """The block holding a voxel (floor division on each axis)."""
    return tuple(p // b for p, b in zip(point, block_size))  # type: ignore[return-value]


def block_box(block: Point3, block_size: Point3) -> Subvolume:
    """The voxels of one block."""
    return Subvolume(tuple(c * b for c, b in zip(block, block_size)), block_size)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Geometry:
    """What a ``<shape>/<size>/<offset>`` URL names: a 2-D slice or a 3-D subvolume.

    ``box`` is always 3-D; a slice has size 1 along its fixed axis. ``size2d`` is the image
    size (width along the shape's first axis, height along its second).
    """

    shape: Shape
    box: Subvolume
    size2d: tuple[int, int] | None = None

    @property
    def is_slice(self) -> bool:
        return self.shape.ndims == 2

    def describe(self) -> str:
        return self.box.describe()

    def plane(self, volume: np.ndarray) -> np.ndarray:
        """The 2-D image ``[row][column]`` of a slice from its ``[z][y][x]`` array."""
        if self.shape is Shape.XY:
            return volume[0]
        if self.shape is Shape.XZ:
            return volume[:, 0, :]
        return volume[:, :, 0]


def parse_geometry(shape_text: str, size_text: str, offset_text: str) -> Geometry:
    """Parse a ``<shape>/<size>/<offset>`` triple from a URL."""
    shape = Shape.parse(shape_text)
    if shape.ndims not in (2, 3):
        raise bad_request("DVID currently supports shapes of only 2 and 3 dimensions")
    offset_values = parse_ints(offset_text, what="offset")
    if len(offset_values) != 3:
        raise bad_request(f"Offset must be 3d coordinate, not {len(offset_values)}-d coordinate")
    offset: Point3 = offset_values  # type: ignore[assignment]
    size_values = parse_ints(size_text, what="size")
    if shape is Shape.VOL:
        if len(size_values) != 3:
            raise bad_request(f"Size must be 3 (not {len(size_values)}) dimensions")
        return Geometry(shape, Subvolume(offset, size_values))  # type: ignore[arg-type]
    if len(size_values) != 2:
        raise bad_request(f"Size of a 2d slice must be 2 integers, not {len(size_values)}: {size_text!r}")
    size = [1, 1, 1]
    size[shape.axes[0]], size[shape.axes[1]] = size_values
    return Geometry(shape, Subvolume(offset, tuple(size)), (size_values[0], size_values[1]))  # type: ignore[arg-type]


def check_int32_box(box: Subvolume) -> None:
    """Refuse boxes whose last voxel lies beyond DVID's int32 voxel coordinates (offsets and
    sizes are int32 already; their sum is not)."""
    if not box.empty and max(box.end) > INT32_MAX:
        raise bad_request(f"geometry {box.describe()} goes beyond the largest voxel coordinate ({INT32_MAX})")


def check_positive(box: Subvolume) -> None:
    """Refuse boxes with no voxels (DVID's "Illegal geometry requested")."""
    if box.empty:
        raise bad_request(f"Illegal geometry requested: size {box.size} must be positive on every axis")


# -- JSON point lists (label queries, ROI point queries) ------------------------------------------

def parse_point_list(body: bytes, what: str) -> np.ndarray:
    """A JSON list of ``[x, y, z]`` integer points as an ``(N, 3)`` int64 array.

    The common spelling (plain integers) is read in one pass by :func:`dvidpy.native.point_triples`,
    fast enough for 100k-point queries; anything else goes through ``json`` for a precise 400
    starting ``what``.
    """
    points = native.point_triples(body)
    if points is None:
        points = _json_points(body, what)
    if len(points) and (points.min() < INT32_MIN or points.max() > INT32_MAX):
        raise bad_request(f"{what}: point coordinates must fit in 32 bits")
    return points


def _json_points(body: bytes, what: str) -> np.ndarray:
    try:
        data = json.loads(body or b"")
    except ValueError as exc:
        raise bad_request(f"{what}: {exc}")
    except RecursionError:
        raise bad_request(f"{what}: JSON nested too deeply") from None
    if not isinstance(data, list):
        raise bad_request(f"{what}: expected a list of [x, y, z] integer points")
    for i, point in enumerate(data):
        if not (isinstance(point, list) and len(point) == 3 and all(type(v) is int for v in point)):
            raise bad_request(f"{what}: point {i} must be 3 integers [x, y, z], got {json.dumps(point)[:80]}")
    try:
        return np.array(data, dtype=np.int64).reshape(-1, 3)
    except OverflowError:
        raise bad_request(f"{what}: point coordinates must fit in 32 bits")
