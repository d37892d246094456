"""A imageblk instance's settings (BlockSize, VoxelSize, VoxelUnits, Background, MinPoint/MaxPoint):
the block-volume settings of :mod:`dvidpy.plugins.blockvolume.config`."""

from dvidpy.plugins.blockvolume.config import VolumeConfig

__all__ = ["VolumeConfig"]
