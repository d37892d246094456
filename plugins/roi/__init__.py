"""The roi datatype plugin: regions of interest as runs of blocks, and the region hook."""

from __future__ import annotations

from dvidpy import Instance, Region, VersionedStore, hookimpl
from dvidpy.plugins.roi.datatype import RoiType

_ROI = RoiType()


@hookimpl
def dvidpy_register_datatypes(registry) -> None:
    registry.add(_ROI)


@hookimpl
def dvidpy_region(instance: Instance, store: VersionedStore) -> Region | None:
    """Any datatype's ``roi=<name>``: the named roi instance's blocks at the store's version."""
    if instance.typename != RoiType.name:
        return None
    return _ROI.region(instance, store)
