"""DVID's key layout, byte for byte.

Every key starts with a key-space byte: metadata ``0x00``, data ``0x01``, blobs ``0x02``.
A data key is::

    0x01 | InstanceID (4, BE) | TKey | VersionID (4, BE) | ClientID (4, BE, always 0) | marker

with marker ``0x03`` for a value and ``0x4F`` for a tombstone, so every version of one TKey is
adjacent, in ascending version order. A TKey ("type key") belongs to the datatype: a class byte,
``0x01``, then the payload. Within one class, TKeys must have one length or never be prefixes of
each other, or a short key's version suffix could sort between longer keys.
"""

from __future__ import annotations

import struct

import numpy as np

METADATA = 0x00
DATA = 0x01
BLOB = 0x02

MARKER_VALUE = 0x03
MARKER_TOMBSTONE = 0x4F

#: Bytes after the TKey in a data key: version, client id, marker.
SUFFIX_LEN = 9
#: Bytes before the TKey in a data key: key space and instance id.
PREFIX_LEN = 5

_U32 = struct.Struct(">I")
_CLIENT = b"\x00\x00\x00\x00"
_SIGN = 0x80000000


def tkey(class_id: int, payload: bytes = b"") -> bytes:
    """A type key in DVID's convention: class byte, ``0x01``, payload."""
    return bytes((class_id, 0x01)) + payload


def tkey_class_range(class_id: int) -> tuple[bytes, bytes]:
    """The smallest and largest possible TKeys of a class (both inclusive bounds)."""
    return bytes((class_id, 0x00)), bytes((class_id, 0xFF))


def instance_prefix(instance_id: int) -> bytes:
    return bytes((DATA,)) + _U32.pack(instance_id)


def instance_range(instance_id: int) -> tuple[bytes, bytes]:
    """Half-open range holding every key of an instance, all versions."""
    start = instance_prefix(instance_id)
    if instance_id == 0xFFFFFFFF:
        return start, bytes((DATA + 1,))
    return start, instance_prefix(instance_id + 1)


def data_key(instance_id: int, tk: bytes, version: int, tombstone: bool = False) -> bytes:
    marker = MARKER_TOMBSTONE if tombstone else MARKER_VALUE
    return b"".join(
        (instance_prefix(instance_id), tk, _U32.pack(version), _CLIENT, bytes((marker,)))
    )


def tkey_range(instance_id: int, begin: bytes, end: bytes) -> tuple[bytes, bytes]:
    """Half-open raw-key range holding every version (and tombstone) of the TKeys in
    ``[begin, end]`` (both inclusive)."""
    prefix = instance_prefix(instance_id)
    return prefix + begin + b"\x00" * SUFFIX_LEN, prefix + end + b"\xff" * SUFFIX_LEN + b"\x00"


def version_of(key: bytes) -> int:
    """The version id of a data key."""
    return int.from_bytes(key[-SUFFIX_LEN:-5], "big")


def is_tombstone(key: bytes) -> bool:
    return key[-1] == MARKER_TOMBSTONE


def without_version(key: bytes) -> bytes:
    """A data key without its version suffix: instance and TKey, shared by every version."""
    return key[:-SUFFIX_LEN]


def versioned_key(prefix: bytes, version: int, tombstone: bool = False) -> bytes:
    """``prefix`` (a key :func:`without_version`) at ``version``, as a value or a tombstone."""
    marker = MARKER_TOMBSTONE if tombstone else MARKER_VALUE
    return prefix + _U32.pack(version) + _CLIENT + bytes((marker,))


def split_data_key(key: bytes) -> tuple[bytes, int, bool]:
    """(TKey, version, is_tombstone) of a data key."""
    return (
        key[PREFIX_LEN:-SUFFIX_LEN],
        _U32.unpack_from(key, len(key) - SUFFIX_LEN)[0],
        key[-1] == MARKER_TOMBSTONE,
    )


def metadata_key(class_id: int, payload: bytes = b"") -> bytes:
    return bytes((METADATA,)) + tkey(class_id, payload)


def blob_key(ref_hash: bytes) -> bytes:
    return bytes((BLOB,)) + ref_hash


def index_zyx(x: int, y: int, z: int) -> bytes:
    """DVID's 12-byte block index: Z, Y, X as big-endian uint32 with the sign bit flipped.

    Byte order then equals numeric Z-then-Y-then-X order, negative coordinates included.
    A coordinate outside int32 raises ``struct.error`` rather than wrapping onto another block.
    """
    return struct.pack(">III", z + _SIGN, y + _SIGN, x + _SIGN)


def decode_index_zyx(data: bytes) -> tuple[int, int, int]:
    """(x, y, z) of a 12-byte ZYX block index."""
    z, y, x = struct.unpack_from(">III", data)
    return x - _SIGN, y - _SIGN, z - _SIGN


def to_key_order(values: np.ndarray) -> np.ndarray:
    """int32 coordinates as the uint32 that DVID's keys hold (sign bit flipped), vectorised:
    their big-endian bytes sort in numeric order, negative values first."""
    return ((np.asarray(values, dtype=np.int64) + _SIGN) & 0xFFFFFFFF).astype(np.uint32)


def from_key_order(values: np.ndarray) -> np.ndarray:
    """The inverse of :func:`to_key_order`, as int64."""
    return np.asarray(values).astype(np.int64) - _SIGN


def indexes_zyx(coords: np.ndarray) -> list[bytes]:
    """ZYX block indexes for an (N, 3) array of (x, y, z) block coordinates, vectorised."""
    coords = np.asarray(coords, dtype=np.int64)
    flipped = to_key_order(coords[:, ::-1]).astype(">u4")
    raw = flipped.tobytes()
    return [raw[i : i + 12] for i in range(0, len(raw), 12)]
