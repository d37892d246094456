"""The labelblk plugin: 64-bit label volumes on the shared block-volume library."""

from dvidpy import hookimpl
from dvidpy.plugins.labelblk.datatype import LabelType


@hookimpl
def dvidpy_register_datatypes(registry) -> None:
    registry.add(LabelType())
