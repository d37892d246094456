"""Boxes of voxels in (z, y, x) order, numpy indexing into them, and their block-aligned pieces.

Every coordinate in :mod:`dvidpy.client` is (z, y, x), the order numpy indexes a volume
array in; DVID's URLs name points x_y_z, and :meth:`Box.url_size` / :meth:`Box.url_offset`
turn a box into them. Indices are voxel coordinates of the volume, negative ones included:
``vol[-32:0]`` is the 32 slices below z = 0, not numpy's "from the end".
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Zyx = tuple[int, int, int]
AXES = "zyx"


@dataclass(frozen=True)
class Box:
    """The voxels ``start <= p < stop`` on each axis, (z, y, x)."""

    start: Zyx
    stop: Zyx

    @classmethod
    def at(cls, offset: Zyx, shape: Zyx) -> Box:
        return cls(tuple(offset), tuple(o + n for o, n in zip(offset, shape)))  # type: ignore[arg-type]

    @property
    def shape(self) -> Zyx:
        return tuple(b - a for a, b in zip(self.start, self.stop))  # type: ignore[return-value]

    @property
    def voxels(self) -> int:
        nz, ny, nx = self.shape
        return nz * ny * nx

    @property
    def empty(self) -> bool:
        return any(n <= 0 for n in self.shape)

    def url_size(self) -> str:
        """DVID's ``<size>`` path part: x_y_z."""
        nz, ny, nx = self.shape
        return f"{nx}_{ny}_{nz}"

    def url_offset(self) -> str:
        """DVID's ``<offset>`` path part: x_y_z of the first voxel."""
        z, y, x = self.start
        return f"{x}_{y}_{z}"

    def within(self, outer: Box) -> tuple[slice, slice, slice]:
        """The slices of this box inside an array that holds ``outer``."""
        return tuple(slice(a - o, b - o) for a, b, o in zip(self.start, self.stop, outer.start))  # type: ignore[return-value]

    def intersect(self, other: Box) -> Box:
        return Box(tuple(map(max, self.start, other.start)), tuple(map(min, self.stop, other.stop)))  # type: ignore[arg-type]

    def is_aligned(self, block: Zyx) -> bool:
        return all(a % b == 0 and c % b == 0 for a, c, b in zip(self.start, self.stop, block))

    def aligned(self, block: Zyx) -> Box:
        """The smallest block-aligned box holding this one."""
        return Box(tuple(a // b * b for a, b in zip(self.start, block)),  # type: ignore[arg-type]
                   tuple(-(-c // b) * b for c, b in zip(self.stop, block)))

    def describe(self) -> str:
        return ", ".join(f"{axis} {a}:{b}" for axis, a, b in zip(AXES, self.start, self.stop))


def box_of(index: Any, bounds: Box | None) -> tuple[Box, tuple[int, ...]]:
    """The box a numpy-style index names, and the axes an integer index drops.

    ``index`` is what ``vol[...]`` receives: up to three slices or integers, or ``...``;
    an open end (``vol[:, 0:64]``) takes the volume's bounds, which must then be known.
    """
    if index is Ellipsis:
        index = ()
    if not isinstance(index, tuple):
        index = (index,)
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (3 - len(index) + 1) + index[at + 1:]
    if len(index) > 3:
        raise IndexError(f"a volume has three axes (z, y, x), not {len(index)}")
    index = index + (slice(None),) * (3 - len(index))
    start, stop, dropped = [], [], []
    for axis, item in enumerate(index):
        a, b = _axis_range(axis, item, bounds)
        if not isinstance(item, slice):
            dropped.append(axis)
        start.append(a)
        stop.append(b)
    box = Box(tuple(start), tuple(stop))  # type: ignore[arg-type]
    if box.empty:
        raise IndexError(f"the box {box.describe()} holds no voxels")
    return box, tuple(dropped)


def _axis_range(axis: int, item: Any, bounds: Box | None) -> tuple[int, int]:
    name = AXES[axis]
    if isinstance(item, slice):
        if item.step not in (None, 1):
            raise IndexError(f"{name}: steps are not supported, only whole ranges")
        if (item.start is None or item.stop is None) and bounds is None:
            raise IndexError(f"{name}: an open range needs the volume's extents, and nothing is stored yet")
        a = bounds.start[axis] if item.start is None else operator.index(item.start)  # type: ignore[union-attr]
        b = bounds.stop[axis] if item.stop is None else operator.index(item.stop)  # type: ignore[union-attr]
        return a, b
    try:
        at = operator.index(item)
    except TypeError:
        raise IndexError(f"{name}: index with integers or slices, not {item!r}") from None
    return at, at + 1


def pieces(box: Box, block: Zyx, bytes_per_voxel: int, max_bytes: int) -> list[Box]:
    """``box`` cut on the block grid into pieces of at most ``max_bytes`` (a piece is never
    smaller than one block), in z, y, x order.

    Whole block layers over the box's full y and x extent are taken first, then rows of blocks,
    then runs along x, so most requests cover a wide, contiguous region.
    """
    outer = box.aligned(block)
    counts = [n // b for n, b in zip(outer.shape, block)]
    per_block = block[0] * block[1] * block[2] * bytes_per_voxel
    budget = max(1, max_bytes // per_block)  # blocks per piece
    nz, ny, nx = counts
    if ny * nx <= budget:
        step = (max(1, min(nz, budget // (ny * nx))), ny, nx)
    elif nx <= budget:
        step = (1, max(1, budget // nx), nx)
    else:
        step = (1, 1, budget)
    return list(_tiles(box, outer, block, step))


def _tiles(box: Box, outer: Box, block: Zyx, step: tuple[int, int, int]) -> Iterator[Box]:
    edges = [b * s for b, s in zip(block, step)]
    for z in range(outer.start[0], outer.stop[0], edges[0]):
        for y in range(outer.start[1], outer.stop[1], edges[1]):
            for x in range(outer.start[2], outer.stop[2], edges[2]):
                tile = Box.at((z, y, x), tuple(edges)).intersect(box)  # type: ignore[arg-type]
                if not tile.empty:
                    yield tile
