"""The labelblk plugin: 64-bit label volumes built on imageblk's voxel engine."""

from dvidpy import hookimpl

from dvidpy.plugins.labelblk.routes import LabelType


@hookimpl
def dvidpy_register_datatypes(registry) -> None:
    registry.add(LabelType())
