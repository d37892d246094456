"""The labelblk datatype (64-bit label volumes) and its endpoint table."""

from __future__ import annotations

import numpy as np

from dvidpy import SYNC, Endpoint, Instance, InstanceRequest, Settings, bad_request, segmentation
from dvidpy.codecs import Compression, Kind
from dvidpy.plugins.blockvolume import sizes
from dvidpy.plugins.blockvolume.datatype import VolumeType
from dvidpy.plugins.blockvolume.formats import VoxelType, bytes_as_rgba16
from dvidpy.plugins.labelblk import routes
from dvidpy.plugins.labelblk.help import LABEL_HELP

LABELS = VoxelType(
    typename="labelblk",
    url="github.com/janelia-flyem/dvid/datatype/labelblk",
    version="0.1",
    dtype=np.dtype("<u8"),
    values=({"DataType": "uint64", "Label": "labelblk"},),
    interpolable=False,
    to_image=bytes_as_rgba16,
)

GET_POST = ("GET", "POST")


class LabelType(VolumeType):
    verbs = ("GET", "POST", "DELETE")
    refusal = "labelblk only handles GET, POST, and DELETE HTTP verbs"
    verb_refusals = {"DELETE": "DELETE is only supported on the 'blocks' endpoint, not '{keyword}'"}
    endpoints = VolumeType.endpoints + (
        Endpoint("raw", routes.raw, GET_POST, size=routes.transfer_size, lean=True),
        Endpoint("isotropic", routes.raw, GET_POST, size=routes.transfer_size),
        Endpoint("pseudocolor", routes.pseudocolor, ("GET",), "pseudocolor only supports GET", size=sizes.voxels),
        Endpoint("label", routes.label, ("GET",), "label only supports GET"),
        Endpoint("labels", routes.labels, GET_POST),
        Endpoint("blocks", routes.blocks, ("GET", "DELETE"),
                 "DVID does not accept the post action on the 'blocks' endpoint", size=routes.blocks_size),
        SYNC,
    )

    def __init__(self) -> None:
        super().__init__(LABELS, LABEL_HELP)

    def create(self, settings: Settings, instance: Instance) -> None:
        """Without a ``Compression`` setting, label blocks whose size allows it are stored in
        neuroglancer's compressed_segmentation encoding (random access for point queries,
        chunks for neuroglancer without decoding; docs/compatibility.md), else LZ4 as DVID."""
        super().create(settings, instance)
        if settings.text("compression") is None and segmentation.storable(self.config(instance).block_size):
            instance.compression = Compression(Kind.SEGMENTATION)

    def check_sync(self, req: InstanceRequest, source: Instance) -> None:
        if source.typename != self.name:
            raise bad_request(
                f'Unable to sync {req.instance.name} with {source.name} since datatype "{source.typename}" is not supported.'
            )
        if self.config(source).block_size != self.config(req.instance).block_size:
            raise bad_request(f"Unable to sync {req.instance.name} with {source.name}: their block sizes differ")
