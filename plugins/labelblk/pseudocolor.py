"""DVID's label colours: MurmurHash3 (x86, 32-bit, seed 0) of a label's 8 little-endian bytes.

The hash's top three bytes are red, green and blue, so a label looks the same here as in DVID.
Only the distinct labels of an image are hashed, vectorised over numpy uint32 arithmetic.
"""

from __future__ import annotations

import numpy as np

_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def murmur3_32(labels: np.ndarray) -> np.ndarray:
    """MurmurHash3_x86_32 with seed 0 of each uint64's 8 little-endian bytes."""
    words = np.ascontiguousarray(labels, dtype="<u8").view("<u4").reshape(-1, 2)
    h = np.zeros(len(words), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for i in (0, 1):
            k = words[:, i].astype(np.uint32) * _C1
            k = _rotl(k, 15) * _C2
            h = _rotl(h ^ k, 13) * np.uint32(5) + np.uint32(0xE6546B64)
        h ^= np.uint32(8)
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    return h


def colorize(labels: np.ndarray) -> np.ndarray:
    """An ``(h, w, 3)`` uint8 RGB image of a 2-D label array."""
    unique, inverse = np.unique(labels, return_inverse=True)
    h = murmur3_32(unique)
    palette = np.stack([h >> 24, (h >> 16) & 0xFF, (h >> 8) & 0xFF], axis=1).astype(np.uint8)
    return palette[inverse.reshape(labels.shape)]
