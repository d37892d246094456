"""The imageblk datatypes (uint8blk ... rgba8blk) and their endpoint table."""

from __future__ import annotations

from dvidpy import Endpoint
from dvidpy.plugins.blockvolume import sizes
from dvidpy.plugins.blockvolume.datatype import VolumeType
from dvidpy.plugins.blockvolume.formats import VoxelType
from dvidpy.plugins.imageblk import routes
from dvidpy.plugins.imageblk.help import image_help

GET_POST = ("GET", "POST")


class ImageType(VolumeType):
    """One of the six imageblk types; ``voxel`` says which."""

    verbs = GET_POST
    refusal = 'Data "{name}" can only handle GET or POST HTTP verbs'
    endpoints = VolumeType.endpoints + (
        Endpoint("raw", routes.raw, GET_POST, size=sizes.voxels, lean=True),
        Endpoint("isotropic", routes.raw, GET_POST, size=sizes.voxels),
        Endpoint("blocks", routes.blocks, GET_POST, size=sizes.run_of_blocks),
        Endpoint("subvolblocks", routes.subvolblocks, ("GET",),
                 "DVID does not accept the post action on the 'subvolblocks' endpoint", size=sizes.blocks_in_box,
                 lean=True),
        Endpoint("specificblocks", routes.specificblocks, ("GET",),
                 "DVID does not accept the post action on the 'specificblocks' endpoint", size=sizes.listed_blocks),
        Endpoint("arb", routes.arb, ("GET",), "arb endpoint only supports GET", size=routes.arb_size),
        Endpoint("rawkey", routes.rawkey, GET_POST),
    )

    def __init__(self, voxel: VoxelType) -> None:
        super().__init__(voxel, image_help(voxel))
