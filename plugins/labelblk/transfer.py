"""How 3-D label volumes travel: raw uint64, LZ4, gzip, and neuroglancer's compressed segmentation.

``compression=lz4`` is one raw LZ4 block with no size prefix (the client knows the size);
``google`` is neuroglancer's compressed_segmentation format (8x8x8 cells, one channel) and
``googlegzip`` the same bytes gzipped and sent with ``Content-Encoding: gzip``.
"""

from __future__ import annotations

import compressed_segmentation
import numpy as np
from isal import isal_zlib

from dvidpy import bad_request
from dvidpy.codecs import gzip_decode, lz4_decode_raw, lz4_encode_raw
from dvidpy.geometry import Subvolume

GET_ENCODINGS = ("", "lz4", "gzip", "google", "googlegzip")
#: The encodings whose answers are worth keeping in the chunk cache (they cost more to make
#: than to look up); raw and lz4 answers are as cheap to make again.
CACHED = ("gzip", "google", "googlegzip")
#: Neuroglancer's encodings, made from blocks stored in it without decoding when they are.
SEGMENTATION = ("google", "googlegzip")
#: ISA-L's level 1 and a gzip wrapper (31 = 16 + 15: gzip header, 32 KiB window).
GZIP_LEVEL = 1
GZIP_WBITS = 31
#: The largest input LZ4's block API takes (LZ4_MAX_INPUT_SIZE).
LZ4_LIMIT = 0x7E000000
POST_ENCODINGS = ("", "lz4", "gzip")
CELL = (8, 8, 8)


def compressed_segmentation_bytes(volume: np.ndarray) -> bytes:
    """The ``[z][y][x]`` labels in neuroglancer's compressed_segmentation layout (x fastest)."""
    if any(n % 8 for n in volume.shape):
        raise bad_request("volume must be a multiple of the block size")
    # The codec takes (x, y, z) axes; a transposed view in Fortran order is our own memory.
    return compressed_segmentation.compress(np.asarray(volume, dtype=np.uint64).transpose(2, 1, 0), block_size=CELL, order="F")


def encode(volume: np.ndarray, compression: str) -> bytes | memoryview:
    """The response body for a label volume (its extra headers: :func:`headers`)."""
    if compression not in GET_ENCODINGS:
        raise bad_request(f'unknown compression type "{compression}"')
    raw = np.ascontiguousarray(volume, dtype="<u8")
    if compression == "lz4":
        return lz4_encode_raw(raw.data)
    if compression == "gzip":
        return fast_gzip(raw.data)
    if compression == "google":
        return compressed_segmentation_bytes(raw)
    if compression == "googlegzip":
        return fast_gzip(compressed_segmentation_bytes(raw))
    return raw.reshape(-1).view(np.uint8).data


def headers(compression: str) -> dict[str, str]:
    """The extra headers of a GET answer in ``compression``: ``googlegzip`` is sent as gzip
    content encoding (the browser inflates it for neuroglancer); ``gzip`` is a gzip file."""
    return {"Content-Encoding": "gzip"} if compression == "googlegzip" else {}


def fast_gzip(data: bytes | memoryview) -> bytes:
    """A gzip stream at ISA-L's level 1: a 64^3 chunk's compressed segmentation in 0.1 ms
    instead of 1.7 ms at zlib's level 6, for about 15% more bytes (docs/compatibility.md)."""
    return isal_zlib.compress(data, GZIP_LEVEL, wbits=GZIP_WBITS)


def check_lz4_size(size: int, compression: str) -> None:
    if compression == "lz4" and size > LZ4_LIMIT:
        raise bad_request(f"lz4 transfers are limited to {LZ4_LIMIT} bytes, and this box holds {size}")


def decode(body: bytes, box: Subvolume, compression: str) -> bytes:
    """The raw little-endian labels of a POST body; compressed bodies must expand exactly."""
    if compression not in POST_ENCODINGS:
        raise bad_request(f'unknown compression type "{compression}"')
    if box.empty:
        raise bad_request(f"Illegal geometry requested: size {box.size} must be positive on every axis")
    size = box.num_voxels * 8
    check_lz4_size(size, compression)
    if compression == "lz4":
        return lz4_decode_raw(body, size)
    if compression == "gzip":
        raw = gzip_decode(body, limit=size)
        if len(raw) != size:
            raise bad_request(f"gzip labels data expanded to {len(raw)} bytes, expected {size} bytes for {box.describe()}")
        return raw
    return body
