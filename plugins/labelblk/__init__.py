"""The labelblk plugin: 64-bit label volumes built on imageblk's voxel engine."""

from core import hookimpl

from plugins.labelblk.routes import LabelType


@hookimpl
def dvidpy_register_datatypes(registry) -> None:
    registry.add(LabelType())
