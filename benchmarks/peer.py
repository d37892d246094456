"""The peer: TensorStore reading the same volume from a local zarr array (32^3 chunks, blosc-lz4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def available() -> bool:
    try:
        import tensorstore  # noqa: F401
    except ImportError:
        return False
    return True


class ZarrPeer:
    def __init__(self, folder: Path, name: str, volume: np.ndarray, chunk: int = 32) -> None:
        import tensorstore as ts

        spec = {
            "driver": "zarr",
            "kvstore": {"driver": "file", "path": str(folder / name)},
            "metadata": {
                "shape": list(volume.shape),
                "chunks": [chunk] * 3,
                "dtype": volume.dtype.str,
                "compressor": {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 0},
            },
            "create": True,
            "delete_existing": True,
        }
        ts.open(spec).result().write(volume).result()
        self.array = ts.open({"driver": "zarr", "kvstore": spec["kvstore"]}).result()

    def read(self, offset_zyx: tuple[int, int, int], shape_zyx: tuple[int, int, int]) -> np.ndarray:
        z, y, x = offset_zyx
        nz, ny, nx = shape_zyx
        return self.array[z : z + nz, y : y + ny, x : x + nx].read().result()
