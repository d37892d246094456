"""Multiscale labels: an instance synced to another labelblk holds it at half the resolution.

When blocks of a source are written, every labelblk that follows it (``POST .../sync``) gets
the matching blocks recomputed: each 2x2x2 cell of source voxels becomes one voxel holding the
cell's most frequent label (ties go to the larger label, as DVID does). Source block (x, y, z)
fills octant (x mod 2, y mod 2, z mod 2) of destination block (x // 2, y // 2, z // 2). It runs
inside the source write's transaction, down the whole chain (labels -> labels_1 -> labels_2).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from dvidpy.geometry import Point3, block_box
from dvidpy.plugins.blockvolume.voxels import Volume


def mode_downsample(block: np.ndarray) -> np.ndarray:
    """Half-size ``[z][y][x]`` array: the most frequent label of each 2x2x2 cell, ties to larger."""
    bz, by, bx = block.shape
    cells = block.reshape(bz // 2, 2, by // 2, 2, bx // 2, 2).transpose(0, 2, 4, 1, 3, 5).reshape(-1, 8)
    counts = (cells[:, :, None] == cells[:, None, :]).sum(axis=2)
    best = counts == counts.max(axis=1, keepdims=True)
    return np.where(best, cells, 0).max(axis=1).reshape(bz // 2, by // 2, bx // 2)


def downsample_blocks(source: Volume, dest: Volume, written: list[Point3]) -> list[Point3]:
    """Recompute the destination blocks under ``written`` source blocks; returns those written."""
    bz, by, bx = dest.codec.shape
    half = (bz // 2, by // 2, bx // 2)
    octants: dict[Point3, list[tuple[Point3, np.ndarray]]] = defaultdict(list)
    with source.store.snapshot():
        for coord, value in source.fetch(written):
            block = source.background_block() if value is None else source.codec.decode(value)
            target = (coord[0] // 2, coord[1] // 2, coord[2] // 2)
            octants[target].append(((coord[0] % 2, coord[1] % 2, coord[2] % 2), mode_downsample(block)))
    out = []
    for target, parts in octants.items():
        block = _base_block(dest, target) if len(parts) < 8 else np.empty(dest.codec.shape, dest.codec.dtype)
        for (ox, oy, oz), small in parts:
            block[oz * half[0] : (oz + 1) * half[0], oy * half[1] : (oy + 1) * half[1], ox * half[2] : (ox + 1) * half[2]] = small
        dest.write_block(target, block)
        out.append(target)
    return out


def _base_block(dest: Volume, coord: Point3) -> np.ndarray:
    for _, value in dest.fetch([coord]):
        if value is not None:
            return dest.codec.decode(value).copy()
    return dest.background_block()


def written_box(coords: list[Point3], block_size: Point3):
    """The voxel box covering a list of blocks (for extents)."""
    box = block_box(coords[0], block_size)
    for coord in coords[1:]:
        box = box.union(block_box(coord, block_size))
    return box
