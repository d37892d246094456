"""Export: a box of a block volume, at one version, to a new zarr v3 array through TensorStore.

The array holds the box (its origin is the box's first voxel), chunked like the instance's
blocks unless asked otherwise, zstd-compressed; its attributes say where it came from
(server, version, instance, the box's offset, voxel size and units, all (z, y, x)). Slabs of
whole chunk layers are read concurrently and each is written as soon as it arrives.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvidpy.client.boxes import Box
from dvidpy.client.transfers import run_pieces
from dvidpy.client.volumes import Volume


@dataclass
class ExportReport:
    path: Path
    box: Box
    bytes: int
    seconds: float

    def line(self) -> str:
        rate = self.bytes / self.seconds / 1e6 if self.seconds else 0.0
        return (f"exported {self.box.describe()} ({self.bytes} bytes) to {self.path} in {self.seconds:.1f} s: "
                f"{rate:.1f} MB/s")


def zarr_spec(path: Path, volume: Volume, box: Box, chunks: tuple[int, int, int]) -> dict[str, Any]:
    """The TensorStore spec creating the zarr v3 array for ``box`` of ``volume``."""
    channels = list(volume.voxel_shape)
    return {
        "driver": "zarr3",
        "kvstore": {"driver": "file", "path": str(path)},
        "metadata": {
            "shape": [*box.shape, *channels],
            "data_type": volume.dtype.name,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [*chunks, *channels]}},
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                       {"name": "zstd", "configuration": {"level": 3}}],
            "dimension_names": ["z", "y", "x", *(["c"] if channels else [])],
            "attributes": {"dvid": {
                "server": volume.node.repo.client.url,
                "uuid": volume.node.uuid,
                "instance": volume.name,
                "typename": volume.typename,
                "offset_zyx": list(box.start),
                "voxel_size_zyx": list(volume.voxel_size),
                "voxel_units_zyx": list(volume.voxel_units),
            }},
        },
        "create": True,
    }


def export_zarr(volume: Volume, path: Path, box: Box | None = None, *, chunks: tuple[int, int, int] | None = None,
                concurrency: int = 4, progress: bool = True, overwrite: bool = False) -> ExportReport:
    """Write ``box`` of ``volume`` (its stored extents when ``None``) to a zarr v3 array at ``path``."""
    import tensorstore as ts

    started = time.perf_counter()
    if box is None:
        box = volume.bounds()
        if box is None:
            raise ValueError(f"{volume.name} holds no data at {volume.node.uuid}: give a box to export")
    chunks = chunks or volume.block_size
    spec = zarr_spec(path, volume, box, chunks)
    if overwrite:
        spec["delete_existing"] = True
    array = ts.open(spec).result()
    reader = volume.view(concurrency=1, progress=False)

    def copy(slab: Box) -> int:
        data = reader.read(slab)
        array[slab.within(box)].write(data).result()
        return data.nbytes

    slabs = _slabs(box, chunks, volume.voxel_bytes, volume.options.piece_bytes)
    total = box.voxels * volume.voxel_bytes
    run_pieces(slabs, copy, concurrency=concurrency, progress=progress, desc=f"export {volume.name}", total=total)
    return ExportReport(path, box, total, time.perf_counter() - started)


def _slabs(box: Box, chunks: tuple[int, int, int], voxel_bytes: int, max_bytes: int) -> list[Box]:
    """Layers of whole chunks along z (the array's own grid, from the box's first voxel)."""
    layer = box.shape[1] * box.shape[2] * chunks[0] * voxel_bytes
    step = chunks[0] * max(1, max_bytes // layer)
    out = []
    for z in range(0, box.shape[0], step):
        start = (box.start[0] + z, box.start[1], box.start[2])
        stop = (min(box.start[0] + z + step, box.stop[0]), box.stop[1], box.stop[2])
        out.append(Box(start, stop))
    return out
