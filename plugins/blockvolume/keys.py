"""The keys of a block volume (DVID's imageblk and labelblk layout), one class per idea.

=====  ==================================  ===============================================
class  TKey payload                        value
=====  ==================================  ===============================================
23     ZYX block index (12 bytes)          one whole block in DVID's value format
24     none                                this version's extents, JSON MinPoint/MaxPoint
=====  ==================================  ===============================================

Block keys sort by z, then y, then x (negative coordinates included), so a row of blocks
along x is one contiguous range.
"""

from __future__ import annotations

from dvidpy import decode_index_zyx, index_zyx, tkey, tkey_class_range
from dvidpy.geometry import Point3

BLOCK_CLASS = 23
EXTENTS_CLASS = 24

KEY_CLASSES = {
    BLOCK_CLASS: "a block of voxels, keyed by its ZYX block index",
    EXTENTS_CLASS: "the version's extents (MinPoint, MaxPoint)",
}

EXTENTS_TKEY = tkey(EXTENTS_CLASS)
FIRST_BLOCK_TKEY, LAST_BLOCK_TKEY = tkey_class_range(BLOCK_CLASS)
_BLOCK_PREFIX = tkey(BLOCK_CLASS)


def block_tkey(x: int, y: int, z: int) -> bytes:
    return _BLOCK_PREFIX + index_zyx(x, y, z)


def block_coord(tk: bytes) -> Point3:
    return decode_index_zyx(tk[2:14])
