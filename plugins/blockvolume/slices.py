"""2-D slices: isotropic resampling and the area-weighted box filter DVID uses to resize.

An ``isotropic`` slice is drawn at the requested size but reads a source slice whose extent
along the coarser axis is shortened by the ratio of the two voxel sizes, so that output pixels
are square in physical units.
"""

from __future__ import annotations

import numpy as np

from dvidpy.geometry import Geometry, Subvolume


def _round_half_up(v: float) -> int:
    return int(np.float32(v) + np.float32(0.5))


def isotropic_source(geometry: Geometry, voxel_size: tuple[float, float, float]) -> Geometry:
    """The raw slice to read for an isotropic slice of ``geometry``'s requested size."""
    a, b = geometry.shape.axes
    ra, rb = voxel_size[a], voxel_size[b]
    w, h = geometry.size2d  # type: ignore[misc]
    if ra == rb:
        return geometry
    if ra < rb:
        h = _round_half_up(h * ra / rb)
    else:
        w = _round_half_up(w * rb / ra)
    size = list(geometry.box.size)
    size[a], size[b] = max(w, 1), max(h, 1)
    return Geometry(geometry.shape, Subvolume(geometry.box.offset, tuple(size)), (size[a], size[b]))  # type: ignore[arg-type]


def _overlap_weights(src: int, dst: int) -> np.ndarray:
    """``W[i, a]``: how many of the ``src*dst`` fine cells are both in output row i and source row a."""
    fine = np.arange(src * dst)
    weights = np.zeros((dst, src), dtype=np.int64)
    np.add.at(weights, (fine // src, fine // dst), 1)
    return weights


def box_filter(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize by area averaging: the mean of the source area under each output pixel, truncated.

    Works per channel for ``(h, w, c)`` images; float images are averaged without truncation.
    """
    src_h, src_w = image.shape[:2]
    rows = _overlap_weights(src_h, height)
    cols = _overlap_weights(src_w, width)

    def weigh(values: np.ndarray) -> np.ndarray:
        if values.ndim == 2:
            return rows @ values @ cols.T
        return np.einsum("ia,abc,jb->ijc", rows, values, cols)

    area = src_h * src_w
    if image.dtype.kind == "f":
        return (weigh(image.astype(np.float64)) / area).astype(image.dtype)
    if image.dtype.kind == "u" and image.dtype.itemsize == 8:
        # 64-bit values would overflow int64 sums: sum the two 32-bit halves separately
        # (each total stays below area * 2**32) and divide the combined total exactly.
        wide = image.astype(np.uint64)
        hi = weigh((wide >> np.uint64(32)).astype(np.int64))
        lo = weigh((wide & np.uint64(0xFFFFFFFF)).astype(np.int64))
        q_hi, r_hi = np.divmod(hi, area)
        low = (r_hi * (1 << 32) + lo) // area
        return ((q_hi.astype(np.uint64) << np.uint64(32)) + low.astype(np.uint64)).astype(image.dtype)
    return (weigh(image.astype(np.int64)) // area).astype(image.dtype)


def nearest(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize by nearest neighbour (for labels): output (x, y) takes source (x*w//W, y*h//H)."""
    src_h, src_w = image.shape[:2]
    ys = np.arange(height) * src_h // height
    xs = np.arange(width) * src_w // width
    return image[ys[:, None], xs[None, :]]
