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

import numpy as np

from dvidpy import decode_index_zyx, from_key_order, index_zyx, tkey, tkey_class_range
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


def block_coords(tkeys: list[bytes]) -> list[Point3]:
    """The block coordinates of many block keys at once (one numpy pass, not one unpack each)."""
    if not tkeys:
        return []
    zyx = np.frombuffer(b"".join(tk[2:14] for tk in tkeys), dtype=">u4").reshape(-1, 3)
    return list(map(tuple, from_key_order(zyx[:, ::-1]).tolist()))
