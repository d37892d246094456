"""DVID's two ways of cutting an ROI into subvolumes for batch processing.

Both walk the spans in key order, cut z into layers of ``batch`` blocks, each layer's y range
into rows, and each row's x range into windows. They reproduce DVID's outputs exactly,
including its quirks (see docs/compatibility.md):

* a span beyond the current layer advances the layer by exactly one step, whatever its z;
* the ``ROI`` extents start at ``[0, 0, MinZ]``/``[0, 0, MaxZ]`` and only grow in x and y;
* totals count every window, emitted or not;
* in the optimized partition a window with a gap extends the *previous* subvolume, whose
  ``MaxPoint`` then becomes the first voxel (not the last) of its new last block.

The one deliberate difference: where DVID would extend a previous subvolume that does not
exist (an index-out-of-range panic), a new subvolume is emitted for those blocks instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dvidpy.plugins.roi.spans import Spans, z_range

Point3 = tuple[int, int, int]


@dataclass
class Layer:
    """The spans of one z layer ``[z0, z1]`` as columns y, x0, x1."""

    z0: int
    z1: int
    y: np.ndarray
    x0: np.ndarray
    x1: np.ndarray

    def row(self, y0: int, y1: int) -> tuple[np.ndarray, np.ndarray]:
        sel = (self.y >= y0) & (self.y <= y1)
        return self.x0[sel], self.x1[sel]


@dataclass
class Partition:
    """The JSON object DVID answers, built up layer by layer."""

    block_size: Point3
    min_z: int
    max_z: int
    total: int = 0
    active: int = 0
    roi_min: list[int] = field(default_factory=list)
    roi_max: list[int] = field(default_factory=list)
    subvolumes: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.roi_min = [0, 0, self.min_z]
        self.roi_max = [0, 0, self.max_z]

    def extend_roi(self, dim: int, *values: int) -> None:
        for v in values:
            self.roi_min[dim] = min(self.roi_min[dim], v)
            self.roi_max[dim] = max(self.roi_max[dim], v)

    def emit(self, lo: Point3, hi: Point3, total: int, active: int) -> None:
        bs = self.block_size
        self.subvolumes.append({
            "MinPoint": [c * b for c, b in zip(lo, bs)],
            "MaxPoint": [(c + 1) * b - 1 for c, b in zip(hi, bs)],
            "MinChunk": list(lo),
            "MaxChunk": list(hi),
            "TotalBlocks": total,
            "ActiveBlocks": active,
        })

    def as_json(self) -> dict[str, Any]:
        return {
            "NumTotalBlocks": self.total,
            "NumActiveBlocks": self.active,
            "NumSubvolumes": len(self.subvolumes),
            "ROI": {"MinChunk": self.roi_min, "MaxChunk": self.roi_max},
            "Subvolumes": self.subvolumes,
        }


# -- shared helpers ------------------------------------------------------------------------------


def _layers(spans: Spans, first: tuple[int, int], advance: Callable[[int], int]) -> Iterator[Layer]:
    """Group key-ordered spans into layers; ``advance(end)`` gives the next layer's end.

    As in DVID, a span past the current layer closes it and opens exactly the next one.
    """
    z0, z1 = first
    zs, starts = np.unique(spans[:, 0], return_index=True)
    begin = 0
    for z, i in zip(zs.tolist(), starts.tolist()):
        if z > z1:
            yield _layer(spans[begin:i], z0, z1)
            begin, z0, z1 = i, z1 + 1, advance(z1)
    if begin < len(spans):
        yield _layer(spans[begin:], z0, z1)


def _layer(spans: Spans, z0: int, z1: int) -> Layer:
    return Layer(z0, z1, spans[:, 1], spans[:, 2], spans[:, 3])


def count_active(x0: np.ndarray, x1: np.ndarray, lo: int, hi: int) -> int:
    """Blocks of the spans falling in ``[lo, hi]`` (overlapping spans count twice, as in DVID)."""
    overlap = np.minimum(x1, hi) - np.maximum(x0, lo) + 1
    return int(overlap[overlap > 0].sum())


def longest_gap(x0: np.ndarray, x1: np.ndarray, lo: int, hi: int) -> tuple[int, int] | None:
    """The longest run of x in ``[lo, hi]`` covered by no span (first of equals), or None."""
    n = hi - lo + 1
    cover = np.zeros(n + 1, dtype=np.int64)
    a = np.maximum(x0, lo) - lo
    b = np.minimum(x1, hi) - lo
    keep = a <= b
    np.add.at(cover, a[keep], 1)
    np.add.at(cover, b[keep] + 1, -1)
    free = np.concatenate(([False], np.cumsum(cover[:n]) == 0, [False]))
    edges = np.flatnonzero(np.diff(free.astype(np.int8)))
    if not len(edges):
        return None
    begins, ends = edges[0::2], edges[1::2]
    best = int(np.argmax(ends - begins))
    return lo + int(begins[best]), lo + int(ends[best]) - 1


def _volume(lo: Point3, hi: Point3) -> int:
    return (hi[0] - lo[0] + 1) * (hi[1] - lo[1] + 1) * (hi[2] - lo[2] + 1)


# -- simple partition ----------------------------------------------------------------------------


def simple_partition(spans: Spans, batch: int, block_size: Point3) -> dict[str, Any]:
    """Fixed cubes of ``batch`` blocks centred on each layer's and row's extent."""
    min_z, max_z = z_range(spans)
    out = Partition(block_size, min_z, max_z)
    begin = min_z - ((max_z - min_z + 1) % batch) // 2
    for layer in _layers(spans, (begin, begin + batch - 1), lambda end: end + batch):
        _grid_layer(layer, out, batch)
    return out.as_json()


def _centred(lo: int, hi: int, batch: int) -> range:
    left = (hi - lo + 1) % batch
    return range(lo - left // 2, hi + (left - left // 2) + 1, batch)


def _grid_layer(layer: Layer, out: Partition, batch: int) -> None:
    if not len(layer.y):
        return
    min_y, max_y = int(layer.y.min()), int(layer.y.max())
    out.extend_roi(1, min_y, max_y)
    for y0 in _centred(min_y, max_y, batch):
        y1 = y0 + batch - 1
        x0s, x1s = layer.row(y0, y1)
        if not len(x0s):
            continue
        min_x, max_x = int(x0s.min()), int(x1s.max())
        out.extend_roi(0, min_x, max_x)
        for x0 in _centred(min_x, max_x, batch):
            lo, hi = (x0, y0, layer.z0), (x0 + batch - 1, y1, layer.z1)
            total, active = _volume(lo, hi), count_active(x0s, x1s, x0, x0 + batch - 1)
            if active > 0:
                out.emit(lo, hi, total, active)
            out.total += total
            out.active += active


# -- optimized partition -------------------------------------------------------------------------


class _Stretch:
    """Lengths of ``batch``, one longer while the remainder of ``extent / batch`` lasts."""

    def __init__(self, extent: int, batch: int) -> None:
        self.batch = batch
        self.left = extent % batch

    def next_end(self, begin: int) -> int:
        end = begin + self.batch - 1
        if self.left > 0:
            end += 1
            self.left -= 1
        return end


def optimized_partition(spans: Spans, batch: int, block_size: Point3) -> dict[str, Any]:
    """Variable-width subvolumes that skip the largest gap of each window."""
    min_z, max_z = z_range(spans)
    out = Partition(block_size, min_z, max_z)
    z_stretch = _Stretch(max_z - min_z + 1, batch)
    first = (min_z, min_z + batch - 1)
    for layer in _layers(spans, first, lambda end: z_stretch.next_end(end + 1)):
        _optimized_layer(layer, out, batch)
    return out.as_json()


def _optimized_layer(layer: Layer, out: Partition, batch: int) -> None:
    if not len(layer.y):
        return
    min_y, max_y = int(layer.y.min()), int(layer.y.max())
    out.extend_roi(1, min_y, max_y)
    y_stretch = _Stretch(max_y - min_y + 1, batch)
    y0 = min_y
    while y0 <= max_y:
        y1 = y_stretch.next_end(y0)
        x0s, x1s = layer.row(y0, y1)
        if len(x0s):
            _optimized_row(layer, out, batch, (y0, y1), x0s, x1s)
        y0 = y1 + 1


def _optimized_row(layer: Layer, out: Partition, batch: int, ys: tuple[int, int],
                   x0s: np.ndarray, x1s: np.ndarray) -> None:
    y0, y1 = ys
    min_x, max_x = int(x0s.min()), int(x1s.max())
    out.extend_roi(0, min_x, max_x)
    x_stretch = _Stretch(max_x - min_x + 1, batch)
    x0 = min_x
    while x0 <= max_x:
        x1 = x_stretch.next_end(x0)
        lo = (x0, y0, layer.z0)
        gap = longest_gap(x0s, x1s, x0, x1)
        total = active = 0
        if gap is None:
            hi = (x1, y1, layer.z1)
            total, active = _volume(lo, hi), count_active(x0s, x1s, x0, x1)
            out.emit(lo, hi, total, active)
            x0 = x1 + 1
        else:
            if gap[0] - 1 >= x0:
                hi = (gap[0] - 1, y1, layer.z1)
                total, active = _volume(lo, hi), count_active(x0s, x1s, x0, gap[0] - 1)
                _extend_last(out, lo, hi, total, active)
            x0 = gap[1] + 1
        out.total += total
        out.active += active


def _extend_last(out: Partition, lo: Point3, hi: Point3, total: int, active: int) -> None:
    """DVID's merge: the previous subvolume grows to ``hi`` (MaxPoint = first voxel of ``hi``)."""
    if not out.subvolumes:
        out.emit(lo, hi, total, active)
        return
    last = out.subvolumes[-1]
    last["MaxChunk"] = list(hi)
    last["MaxPoint"] = [c * b for c, b in zip(hi, out.block_size)]
    last["TotalBlocks"] += total
    last["ActiveBlocks"] += active
