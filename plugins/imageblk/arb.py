"""Images of arbitrary planes through a volume, sampled with trilinear interpolation.

The plane is given by three corners in physical units (voxel index x voxel size) and a pixel
size. Sample positions are accumulated by repeated addition, as DVID does, so they round the
same way; every block under a sample's eight lattice neighbours is read once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dvidpy import bad_request
from dvidpy.geometry import parse_floats
from dvidpy.plugins.blockvolume.voxels import Volume


@dataclass(frozen=True)
class ArbPlane:
    top_left: np.ndarray
    step_x: np.ndarray
    step_y: np.ndarray
    width: int
    height: int

    @classmethod
    def parse(cls, tl: str, tr: str, bl: str, res: str) -> ArbPlane:
        top_left = np.array(parse_floats(tl, 3, "_", what="top-left point"))
        top_right = np.array(parse_floats(tr, 3, "_", what="top-right point"))
        bottom_left = np.array(parse_floats(bl, 3, "_", what="bottom-left point"))
        try:
            resolution = float(res)
        except ValueError:
            raise bad_request(f"cannot parse resolution {res!r} as a number")
        if not resolution > 0:
            raise bad_request(f"resolution must be positive, not {res!r}")
        with np.errstate(over="ignore"):  # corners too far apart are refused just below
            width, height = float(np.linalg.norm(top_right - top_left)), float(np.linalg.norm(bottom_left - top_left))
        if not (math.isfinite(width / resolution) and math.isfinite(height / resolution)):
            raise bad_request("Bad arbitrary image size requested: the corners are too far apart")
        nx = math.floor(width / resolution)
        ny = math.floor(height / resolution)
        if nx < 1 or ny < 1:
            raise bad_request(
                f"Bad arbitrary image size requested: {nx + 1} x {ny + 1} pixels; "
                "the corners must be at least one resolution step apart"
            )
        return cls(top_left, (top_right - top_left) / nx, (bottom_left - top_left) / ny, nx + 1, ny + 1)

    def row_starts(self) -> np.ndarray:
        """Physical position of each row's first sample ``(height, 3)``, by repeated addition."""
        starts = np.empty((self.height, 3))
        starts[0] = self.top_left
        starts[1:] = self.step_y
        return np.cumsum(starts, axis=0)

    def positions(self, starts: np.ndarray) -> np.ndarray:
        """Physical sample positions ``(rows, width, 3)`` of the rows beginning at ``starts``."""
        grid = np.empty((len(starts), self.width, 3))
        grid[:, 0] = starts
        grid[:, 1:] = self.step_x
        return np.cumsum(grid, axis=1)


#: Samples computed at once: the working memory of a step is about 1.5 KB per sample, so a
#: plane of any size costs its output plus a few tens of MB.
STEP_SAMPLES = 1 << 14


def sample(volume: Volume, plane: ArbPlane, voxel_size: tuple[float, float, float], byte_channels: bool) -> np.ndarray:
    """The plane's ``[row][column]`` values: trilinear mixes of the eight surrounding voxels,
    computed a band of rows at a time."""
    res = np.array(voxel_size, dtype=np.float64)
    out = np.empty((plane.height, plane.width), dtype=volume.codec.dtype)
    starts = plane.row_starts()
    rows = max(1, STEP_SAMPLES // plane.width)
    for r0 in range(0, plane.height, rows):
        band = plane.positions(starts[r0 : r0 + rows]).reshape(-1, 3)
        out[r0 : r0 + rows] = _sample_at(volume, band, res, byte_channels).reshape(-1, plane.width)
    return out


def _sample_at(volume: Volume, pos: np.ndarray, res: np.ndarray, byte_channels: bool) -> np.ndarray:
    v = pos / res
    lo, hi = np.floor(v), np.ceil(v)
    frac = np.where(lo != hi, (pos - lo * res) / np.where(hi != lo, (hi - lo) * res, 1.0), 0.0)
    corners = []
    for dz in (0, 1):
        for dy in (0, 1):
            for dx in (0, 1):
                pick = np.stack([hi[:, 0] if dx else lo[:, 0], hi[:, 1] if dy else lo[:, 1],
                                 hi[:, 2] if dz else lo[:, 2]], axis=1)
                corners.append(pick.astype(np.int64))
    values = volume.values_at(np.concatenate(corners)).reshape(8, -1)
    if byte_channels:
        channels = values.view(np.uint8).reshape(8, -1, values.dtype.itemsize)
        mixed = _trilinear(channels.astype(np.float64), frac)
        return np.minimum(np.floor(mixed + 0.5), 255).astype(np.uint8).view(values.dtype).reshape(-1)
    if values.dtype.kind == "u" and values.dtype.itemsize == 8:
        return _trilinear_uint64(values, frac)
    mixed = _trilinear(values.astype(np.float64), frac)
    if values.dtype.kind == "f":
        return mixed.astype(values.dtype)
    top = float(np.iinfo(values.dtype).max)
    return np.minimum(np.floor(mixed + 0.5), top).astype(values.dtype)


def _trilinear(c: np.ndarray, frac: np.ndarray) -> np.ndarray:
    """Mix eight corner values (order: x fastest, then y, then z) along x, then y, then z."""
    extra = (slice(None),) + (None,) * (c.ndim - 2)
    xd, yd, zd = (frac[:, i][extra] for i in range(3))
    c00 = c[0] * (1.0 - xd) + c[1] * xd
    c10 = c[2] * (1.0 - xd) + c[3] * xd
    c01 = c[4] * (1.0 - xd) + c[5] * xd
    c11 = c[6] * (1.0 - xd) + c[7] * xd
    c0 = c00 * (1.0 - yd) + c10 * yd
    c1 = c01 * (1.0 - yd) + c11 * yd
    return c0 * (1 - zd) + c1 * zd


def _trilinear_uint64(values: np.ndarray, frac: np.ndarray) -> np.ndarray:
    """Trilinear mix of 64-bit values, rounded half up, without float64's 53-bit loss.

    The high and low 32-bit halves are mixed separately (each exact enough in float64) and
    recombined with carries, so samples on voxel centres return the stored values exactly and
    the largest values do not wrap.
    """
    mask = np.uint64(0xFFFFFFFF)
    hi = _trilinear((values >> np.uint64(32)).astype(np.float64), frac)
    lo = _trilinear((values & mask).astype(np.float64), frac)
    hi_whole = np.floor(hi)
    low = np.floor((hi - hi_whole) * 2.0**32 + lo + 0.5).astype(np.uint64)
    top = hi_whole.astype(np.uint64) + (low >> np.uint64(32))
    out = (top << np.uint64(32)) | (low & mask)
    out[top > mask] = np.iinfo(np.uint64).max
    return out
