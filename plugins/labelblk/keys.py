"""The keys of a labelblk instance: the block-volume layout (class 23 blocks, class 24 extents);
see :mod:`dvidpy.plugins.blockvolume.keys`."""

from dvidpy.plugins.blockvolume.keys import KEY_CLASSES

__all__ = ["KEY_CLASSES"]
