"""Synthetic but realistic volumes: smooth grayscale with fine noise, irregular label segments.

Both are generated slab by slab (z chunks) so a 512^3 uint64 volume never needs more than one
slab of temporaries.
"""

from __future__ import annotations

import numpy as np


def _smooth_field(shape: tuple[int, int, int], scale: int, rng: np.random.Generator) -> np.ndarray:
    """Low-frequency noise: a coarse random grid, trilinearly upsampled by ``scale``."""
    coarse = rng.standard_normal(tuple(s // scale + 2 for s in shape)).astype(np.float32)
    out = coarse
    for axis, n in enumerate(shape):
        pos = (np.arange(n, dtype=np.float32) + 0.5) / scale
        lo = np.floor(pos).astype(np.int64)
        frac = (pos - lo).reshape([-1 if a == axis else 1 for a in range(3)])
        out = np.take(out, lo, axis=axis) * (1 - frac) + np.take(out, lo + 1, axis=axis) * frac
    return out


def grayscale(size: int, seed: int = 1) -> np.ndarray:
    """A ``size``^3 uint8 volume: smooth structure (several scales) plus fine noise."""
    rng = np.random.default_rng(seed)
    shape = (size, size, size)
    field = _smooth_field(shape, 32, rng) * 40 + _smooth_field(shape, 8, rng) * 20
    field += rng.normal(0, 6, shape).astype(np.float32)
    return np.clip(field + 128, 0, 255).astype(np.uint8)


def labels(size: int, cell: int = 32, seed: int = 2, slab: int = 64) -> np.ndarray:
    """A ``size``^3 uint64 volume of irregular segments, about (size/cell)^3 of them.

    Each voxel takes the label of the coarse cell its position falls in after a smooth random
    displacement, so segment boundaries wander like real ones.
    """
    rng = np.random.default_rng(seed)
    ncell = size // cell + 3
    ids = rng.permutation(ncell**3).astype(np.uint64).reshape(ncell, ncell, ncell) + 1
    disp = [_smooth_field((size, size, size), 16, rng) * (cell / 3) for _ in range(3)]
    out = np.empty((size, size, size), dtype=np.uint64)
    ax = np.arange(size, dtype=np.float32)
    for z0 in range(0, size, slab):
        zs = slice(z0, min(z0 + slab, size))
        z, y, x = np.meshgrid(ax[zs], ax, ax, indexing="ij")
        cz = ((z + disp[0][zs]) // cell + 1).clip(0, ncell - 1).astype(np.int64)
        cy = ((y + disp[1][zs]) // cell + 1).clip(0, ncell - 1).astype(np.int64)
        cx = ((x + disp[2][zs]) // cell + 1).clip(0, ncell - 1).astype(np.int64)
        out[zs] = ids[cz, cy, cx]
    return out
