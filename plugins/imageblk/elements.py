"""The six imageblk element types: uint8, uint16, uint32, uint64, float32 and rgba8 voxels."""

from __future__ import annotations

import numpy as np

from dvidpy.plugins.blockvolume.formats import DVID_TYPE_URL, VoxelType, bytes_as_rgba8, bytes_as_rgba16, grey


def _scalar(name: str, dtype: str, label: str, version: str, to_image, byte_channels: bool = False) -> VoxelType:
    return VoxelType(
        typename=name,
        url=f"{DVID_TYPE_URL}imageblk/{label}.go",
        version=version,
        dtype=np.dtype(dtype),
        values=({"DataType": label, "Label": label},),
        interpolable=True,
        to_image=to_image,
        byte_channels=byte_channels,
    )


UINT8 = _scalar("uint8blk", "u1", "uint8", "0.2", grey, byte_channels=True)
UINT16 = _scalar("uint16blk", "<u2", "uint16", "0.1", grey)
UINT32 = _scalar("uint32blk", "<u4", "uint32", "0.1", bytes_as_rgba8)
UINT64 = _scalar("uint64blk", "<u8", "uint64", "0.1", bytes_as_rgba16)
FLOAT32 = _scalar("float32blk", "<f4", "float32", "0.1", bytes_as_rgba8)
RGBA8 = VoxelType(
    typename="rgba8blk",
    url=f"{DVID_TYPE_URL}imageblk/rgba8.go",
    version="0.2",
    dtype=np.dtype("<u4"),
    values=tuple({"DataType": "uint8", "Label": c} for c in ("red", "green", "blue", "alpha")),
    interpolable=True,
    to_image=bytes_as_rgba8,
    byte_channels=True,
)

IMAGE_TYPES = (UINT8, UINT16, UINT32, UINT64, FLOAT32, RGBA8)
