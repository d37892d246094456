"""Synthetic but realistic volumes: smooth grayscale with fine noise (incompressible), EM-like
grayscale (compressible as real EM is), irregular label segments.

All are generated slab by slab (z chunks) so a 512^3 uint64 volume never needs more than one
slab of temporaries.
"""

from __future__ import annotations

import lz4.block
import numpy as np


def _coarse(shape: tuple[int, int, int], scale: int, rng: np.random.Generator) -> np.ndarray:
    """The random grid a smooth field of feature size ``scale`` is interpolated from."""
    return rng.standard_normal(tuple(s // scale + 2 for s in shape)).astype(np.float32)


def _upsample(coarse: np.ndarray, scale: int, shape: tuple[int, int, int], z0: int = 0, z1: int | None = None) -> np.ndarray:
    """Planes ``z0:z1`` of ``coarse`` trilinearly upsampled by ``scale`` to ``shape``."""
    out = coarse
    for axis, n in enumerate(shape):
        idx = np.arange(z0, shape[0] if z1 is None else z1) if axis == 0 else np.arange(n)
        pos = (idx.astype(np.float32) + 0.5) / scale
        lo = np.floor(pos).astype(np.int64)
        frac = (pos - lo).reshape([-1 if a == axis else 1 for a in range(3)])
        out = np.take(out, lo, axis=axis) * (1 - frac) + np.take(out, lo + 1, axis=axis) * frac
    return out


def _smooth_field(shape: tuple[int, int, int], scale: int, rng: np.random.Generator) -> np.ndarray:
    """Low-frequency noise: a coarse random grid, trilinearly upsampled by ``scale``."""
    return _upsample(_coarse(shape, scale, rng), scale, shape)


def grayscale(size: int, seed: int = 1) -> np.ndarray:
    """A ``size``^3 uint8 volume: smooth structure (several scales) plus fine noise."""
    rng = np.random.default_rng(seed)
    shape = (size, size, size)
    field = _smooth_field(shape, 32, rng) * 40 + _smooth_field(shape, 8, rng) * 20
    field += rng.normal(0, 6, shape).astype(np.float32)
    return np.clip(field + 128, 0, 255).astype(np.uint8)


def em_like(size: int, seed: int = 3, slab: int = 64) -> np.ndarray:
    """A ``size``^3 uint8 volume that compresses like electron microscopy: LZ4 ratio 1.1-1.5.

    Cell membranes are dark sheets (where either of two smooth fields, feature sizes 24 and 40,
    crosses zero; their cores saturate at 0), cytoplasm is a textured mid grey (feature sizes 4
    and 48) with Gaussian noise of sigma 8, and vessel-lumen-like blobs (feature size 32)
    saturate at 255. The saturated runs are what LZ4 finds; the noisy rest stays incompressible,
    as in real EM. python-lz4's default block compression over 32^3 blocks measured a ratio of
    1.31 at 64^3, 1.16 at 128^3, 1.22 at 256^3 and 1.21 at 512^3 (``grayscale`` is 1.00).
    """
    rng = np.random.default_rng(seed)
    shape = (size, size, size)
    sheets = [(_coarse(shape, 24, rng), 24), (_coarse(shape, 40, rng), 40)]
    texture, shade, lumen = _coarse(shape, 4, rng), _coarse(shape, 48, rng), _coarse(shape, 32, rng)
    out = np.empty(shape, dtype=np.uint8)
    for z0 in range(0, size, slab):
        z1 = min(z0 + slab, size)
        distance = np.minimum(*(np.abs(_upsample(c, s, shape, z0, z1)) for c, s in sheets))
        membrane = np.clip(1 - distance / 0.25, 0, 1)
        v = 150 + _upsample(shade, 48, shape, z0, z1) * 15 + _upsample(texture, 4, shape, z0, z1) * 12
        v += rng.normal(0, 8, v.shape).astype(np.float32)
        v -= membrane * 220
        v += np.clip(_upsample(lumen, 32, shape, z0, z1) - 0.3, 0, None) * 600
        out[z0:z1] = np.clip(v, 0, 255).astype(np.uint8)
    return out


def lz4_ratio(volume: np.ndarray, block: int = 32) -> float:
    """Raw bytes / python-lz4 block bytes (default mode, size prefix) over ``block``^3 blocks."""
    raw = packed = 0
    nz, ny, nx = (s // block for s in volume.shape)
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                data = volume[z * block : (z + 1) * block, y * block : (y + 1) * block, x * block : (x + 1) * block].tobytes()
                raw += len(data)
                packed += len(lz4.block.compress(data))
    return raw / packed


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
