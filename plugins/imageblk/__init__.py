"""The imageblk plugin: uint8blk, uint16blk, uint32blk, uint64blk, float32blk and rgba8blk."""

from dvidpy import hookimpl
from dvidpy.plugins.imageblk.datatype import ImageType
from dvidpy.plugins.imageblk.elements import IMAGE_TYPES


@hookimpl
def dvidpy_register_datatypes(registry) -> None:
    for voxel in IMAGE_TYPES:
        registry.add(ImageType(voxel))
