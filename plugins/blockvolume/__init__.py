"""The block-volume library: what imageblk's six types and labelblk share, as peers.

A library, not a plugin: it implements no hooks and registers nothing. It holds the voxel
engine (:mod:`~dvidpy.plugins.blockvolume.voxels`), the block keys
(:mod:`~dvidpy.plugins.blockvolume.keys`), the instance settings
(:mod:`~dvidpy.plugins.blockvolume.config`), element types and their image carriers
(:mod:`~dvidpy.plugins.blockvolume.formats`), slice resampling
(:mod:`~dvidpy.plugins.blockvolume.slices`) and :class:`VolumeType`, the datatype base class
with the endpoints every block volume has
(:mod:`~dvidpy.plugins.blockvolume.datatype`). Like a third-party plugin it uses only dvidpy's
public API.
"""
