"""Bulk ingest: a source volume (see :mod:`dvidpy.client.sources`) into a block volume, in z
slabs on the block grid, several at a time, with a progress bar.

The source lands at ``offset`` (z, y, x), which need not be block-aligned: where a slab's
enclosing aligned box reaches past the source, the voxels the server already holds there are
read and kept, and the whole aligned box is written (DVID stores whole blocks only). Slabs
never share a block, so they can go concurrently.

Re-running resumes: each slab is first read back and skipped if the server already holds
exactly the source's voxels (a fresh instance skips that check), and ``start_z`` skips the
source's slices before it without looking.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from dvidpy.client.boxes import Box
from dvidpy.client.sources import Source
from dvidpy.client.transfers import run_pieces
from dvidpy.client.volumes import Volume

#: Types for a new instance, by the source's voxel type.
TYPE_FOR_DTYPE = {"uint8": "uint8blk", "uint16": "uint16blk", "uint32": "uint32blk", "uint64": "labelblk",
                  "float32": "float32blk"}


def type_for(source: Source) -> str:
    """The datatype a new instance for ``source`` gets: rgba8blk for (z, y, x, 4) uint8, else by dtype."""
    if len(source.shape) == 4:
        if source.dtype != np.uint8:
            raise ValueError(f"4-channel sources must be uint8 (RGBA), not {source.dtype.name}")
        return "rgba8blk"
    try:
        return TYPE_FOR_DTYPE[source.dtype.name]
    except KeyError:
        raise ValueError(f"no DVID type holds {source.dtype.name} voxels; convert the source first") from None


@dataclass
class Report:
    voxels: int = 0
    bytes: int = 0
    seconds: float = 0.0
    written: int = 0
    skipped: int = 0

    def line(self, name: str) -> str:
        rate = self.bytes / self.seconds / 1e6 if self.seconds else 0.0
        return (f"ingested {self.voxels} voxels ({self.bytes} bytes) into {name} in {self.seconds:.1f} s: "
                f"{rate:.1f} MB/s; {self.written} slabs written, {self.skipped} already there")


class Ingest:
    """One ingest of ``source`` into ``volume`` at ``offset`` (z, y, x)."""

    def __init__(self, volume: Volume, source: Source, offset: tuple[int, int, int] = (0, 0, 0), *,
                 start_z: int = 0, check_existing: bool = True, concurrency: int = 4, progress: bool = True) -> None:
        if tuple(source.shape[3:]) != volume.voxel_shape:
            raise ValueError(f"{source.description} has voxels of shape {source.shape[3:]}; "
                             f"{volume.name} ({volume.typename}) holds {volume.voxel_shape}")
        if source.dtype != volume.dtype:
            raise ValueError(f"{source.description} holds {source.dtype.name} voxels; "
                             f"{volume.name} ({volume.typename}) holds {volume.dtype.name}")
        self.volume = volume.view(concurrency=1, progress=False)
        self.source = source
        self.target = Box.at(offset, source.shape[:3])  # type: ignore[arg-type]
        self.start_z, self.check_existing = start_z, check_existing
        self.concurrency, self.progress = concurrency, progress
        self.report = Report()
        self._lock = threading.Lock()

    def slabs(self) -> Iterator[Box]:
        """The aligned boxes written, in z order: block layers of at most the piece size."""
        outer = self.target.aligned(self.volume.block_size)
        bz = self.volume.block_size[0]
        layer = outer.shape[1] * outer.shape[2] * bz * self.volume.voxel_bytes
        step = bz * max(1, self.volume.options.piece_bytes // layer)
        for z in range(outer.start[0], outer.stop[0], step):
            yield Box((z, outer.start[1], outer.start[2]), (min(z + step, outer.stop[0]), *outer.stop[1:]))  # type: ignore[arg-type]

    def run(self) -> Report:
        started = time.perf_counter()
        first = self.target.start[0] + self.start_z
        slabs = [s for s in self.slabs() if s.stop[0] > first]
        total = sum(s.intersect(self.target).voxels for s in slabs) * self.volume.voxel_bytes
        run_pieces(slabs, self._slab, concurrency=self.concurrency, progress=self.progress,
                   desc=f"ingest {self.volume.name}", total=total)
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _slab(self, slab: Box) -> int:
        part = slab.intersect(self.target)  # the source's whole y, x extent, some of its z
        z0 = part.start[0] - self.target.start[0]
        data = self.source.read(z0, z0 + part.shape[0])
        written = self._store(slab, part, data)
        with self._lock:
            self.report.voxels += part.voxels
            self.report.bytes += data.nbytes
            self.report.written += written
            self.report.skipped += 1 - written
        return data.nbytes

    def _store(self, slab: Box, part: Box, data: np.ndarray) -> int:
        """Write one slab unless it is already there; 1 if written, 0 if skipped."""
        if part == slab and not self.check_existing:
            self.volume.write(slab, data)
            return 1
        held = self.volume.read(slab)
        inside = part.within(slab)
        if self.check_existing and np.array_equal(held[inside], data):
            return 0
        held[inside] = data
        self.volume.write(slab, held)
        return 1
