"""The element types of block volumes: how a voxel is stored and how it becomes a 2-D image.

Every voxel is held in a numpy array of one little-endian scalar dtype whose size is the
voxel's size: rgba8 voxels travel as opaque ``<u4`` words (their four bytes R, G, B, A in
order) and become ``(h, w, 4)`` uint8 only when drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DVID_TYPE_URL = "github.com/janelia-flyem/dvid/datatype/"


def grey(plane: np.ndarray) -> np.ndarray:
    return plane


def bytes_as_rgba8(plane: np.ndarray) -> np.ndarray:
    """Four stored bytes per voxel shown as 8-bit RGBA (DVID's carrier for 32-bit values)."""
    h, w = plane.shape
    return np.ascontiguousarray(plane).view(np.uint8).reshape(h, w, 4)


def bytes_as_rgba16(plane: np.ndarray) -> np.ndarray:
    """Eight little-endian bytes per voxel shown as 16-bit RGBA samples, in file order."""
    h, w = plane.shape
    return np.ascontiguousarray(plane, dtype="<u8").view(">u2").astype(np.uint16).reshape(h, w, 4)


@dataclass(frozen=True)
class VoxelType:
    """One element type: its DVID type name, storage dtype, JSON description and image carrier."""

    typename: str
    url: str
    version: str
    dtype: np.dtype
    values: tuple[dict[str, str], ...]
    interpolable: bool
    to_image: Callable[[np.ndarray], np.ndarray]
    #: Channels of 8 bits each (uint8, rgba8): attenuation shifts them bytewise.
    byte_channels: bool = False

    @property
    def bytes_per_voxel(self) -> int:
        return self.dtype.itemsize

    def fill_value(self, background: int):
        """The voxel value standing for "nothing here": ``Background`` in every channel."""
        if self.byte_channels and self.dtype.itemsize == 4:
            return np.frombuffer(bytes([background]) * 4, dtype=self.dtype)[0]
        return self.dtype.type(background)
