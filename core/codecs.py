"""Stored-value serialization in DVID's format, and the transfer codecs of the HTTP API.

A stored value is one format byte ``(compression & 7) << 5 | (checksum & 3) << 3``, then a
CRC32 (little-endian) of the payload when checksummed, then the payload. An LZ4 payload is a
little-endian uint32 of the original length and one raw LZ4 block, which is exactly what
``lz4.block.compress(data, store_size=True)`` returns.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum

import cramjam
import lz4.block
import numpy as np

from dvidpy import segmentation
from dvidpy.errors import bad_request


class Kind(IntEnum):
    """DVID's compression codes (the top three bits of the format byte)."""

    NONE = 0
    SNAPPY = 1
    GZIP = 2
    LZ4 = 4
    JPEG = 5
    #: dvidpy's own: uint64 label blocks in neuroglancer's compressed_segmentation encoding
    #: (:mod:`dvidpy.segmentation`); DVID leaves codes 3, 6 and 7 unused.
    SEGMENTATION = 6


class Checksum(IntEnum):
    NONE = 0
    CRC32 = 1


_KIND_TEXT = {
    Kind.NONE: "No compression",
    Kind.SNAPPY: "Go Snappy compression",
    Kind.GZIP: "gzip compression",
    Kind.LZ4: "LZ4 compression",
    Kind.JPEG: "jpeg compression",
    Kind.SEGMENTATION: "compressed segmentation",
}
_CHECKSUM_TEXT = {Checksum.NONE: "No checksum", Checksum.CRC32: "CRC32 checksum"}


@dataclass(frozen=True)
class Compression:
    """How an instance stores its values: a kind and a level (-1 = the codec's default)."""

    kind: Kind = Kind.LZ4
    level: int = -1

    def __str__(self) -> str:
        return f"{_KIND_TEXT[self.kind]}, level {self.level}"

    @classmethod
    def parse(cls, text: str, jpeg_level: int = 32) -> Compression:
        """Parse DVID's ``Compression`` setting: none, snappy, lz4, gzip, gzip:N or jpeg, and
        dvidpy's ``compressed_segmentation`` (label blocks).

        ``jpeg`` stores the JPEG image width (the first block dimension) as its level.
        Snappy is Go's snappy block format (``snappy.Encode``), through cramjam.
        """
        t = text.strip().lower()
        if t in ("none", ""):
            return cls(Kind.NONE)
        if t == "lz4":
            return cls(Kind.LZ4)
        if t == "snappy":
            return cls(Kind.SNAPPY)
        if t == "gzip":
            return cls(Kind.GZIP)
        if t.startswith("gzip:"):
            try:
                level = int(t[5:])
            except ValueError:
                level = 0
            if not 1 <= level <= 9:
                raise bad_request(f"Illegal compression specified: {text}")
            return cls(Kind.GZIP, level)
        if t == "jpeg":
            return cls(Kind.JPEG, jpeg_level)
        if t == "compressed_segmentation":
            return cls(Kind.SEGMENTATION)
        raise bad_request(f"Illegal compression specified: {text}")


def parse_checksum(text: str) -> Checksum:
    t = text.strip().lower()
    if t in ("none", ""):
        return Checksum.NONE
    if t == "crc32":
        return Checksum.CRC32
    raise bad_request(f"Illegal checksum specified: {text}")


def checksum_text(checksum: Checksum) -> str:
    return _CHECKSUM_TEXT[checksum]


class CorruptValue(Exception):
    """A stored value could not be decoded (bad checksum, unknown format)."""


def serialize(
    raw: bytes | memoryview,
    compression: Compression = Compression(),
    checksum: Checksum = Checksum.NONE,
    *,
    jpeg_encoder=None,
    block_size: tuple[int, int, int] | None = None,
) -> bytes:
    """Encode ``raw`` as a stored value. JPEG needs ``jpeg_encoder(raw, width) -> bytes``;
    compressed segmentation, the ``block_size`` (x, y, z) of the uint64 block ``raw`` holds."""
    if len(raw) == 0:
        return b""
    kind = compression.kind
    if kind == Kind.LZ4:
        payload = lz4.block.compress(raw, store_size=True)
    elif kind == Kind.NONE:
        payload = bytes(raw)
    elif kind == Kind.SNAPPY:
        payload = bytes(cramjam.snappy.compress_raw(raw))
    elif kind == Kind.GZIP:
        payload = gzip_encode(raw, compression.level)
        checksum = Checksum.NONE
    elif kind == Kind.JPEG:
        if jpeg_encoder is None:
            raise ValueError("JPEG storage needs an encoder")
        payload = jpeg_encoder(raw, compression.level)
    elif kind == Kind.SEGMENTATION:
        if block_size is None:
            raise ValueError("compressed segmentation storage needs the block size")
        bx, by, bz = block_size
        payload = segmentation.encode(np.frombuffer(raw, dtype="<u8").reshape(bz, by, bx))
    else:
        raise ValueError(f"cannot store values with {kind.name} compression")
    head = bytes(((int(kind) & 7) << 5 | (int(checksum) & 3) << 3,))
    if checksum == Checksum.CRC32:
        head += struct.pack("<I", zlib.crc32(payload))
    return head + payload


_PLAIN_LZ4 = (int(Kind.LZ4) & 7) << 5


def value_format(value: bytes | memoryview) -> tuple[Kind, Checksum]:
    b = value[0]
    return Kind(b >> 5), Checksum((b >> 3) & 3)


def payload(value: bytes | memoryview) -> memoryview:
    """The stored payload: the value without its format byte and checksum (verified)."""
    view = memoryview(value)
    if len(view) == 0:
        return view
    _, checksum = value_format(view)
    if checksum == Checksum.CRC32:
        if len(view) < 5:
            raise CorruptValue("truncated checksum")
        body = view[5:]
        if struct.unpack_from("<I", view, 1)[0] != zlib.crc32(body):
            raise CorruptValue("Bad checksum")
        return body
    return view[1:]


def deserialize(value: bytes | memoryview, *, jpeg_decoder=None) -> bytes:
    """Decode a stored value back into the raw bytes that were serialized."""
    if len(value) == 0:
        return b""
    if value[0] == _PLAIN_LZ4 and len(value) > 5 and value[1:5] != b"\x00\x00\x00\x00":
        # The hot path (every block read): LZ4 without a checksum, no enum or struct work.
        try:
            return lz4.block.decompress(value[1:])
        except lz4.block.LZ4BlockError as exc:
            raise CorruptValue(f"bad LZ4 value: {exc}") from exc
    try:
        kind, _ = value_format(value)
    except ValueError as exc:
        raise CorruptValue(f"unknown value format byte {value[0]:#x}") from exc
    body = payload(value)
    if kind == Kind.LZ4:
        if len(body) < 4:
            raise CorruptValue("truncated LZ4 size")
        size = struct.unpack_from("<I", body)[0]
        if size == 0:
            return bytes(body[4:])
        try:
            return lz4.block.decompress(body[4:], uncompressed_size=size)
        except lz4.block.LZ4BlockError as exc:
            raise CorruptValue(f"bad LZ4 value: {exc}") from exc
    if kind == Kind.NONE:
        return bytes(body)
    if kind == Kind.SNAPPY:
        try:
            return bytes(cramjam.snappy.decompress_raw(body))
        except cramjam.DecompressionError as exc:
            raise CorruptValue(f"bad snappy value: {exc}") from exc
    if kind == Kind.GZIP:
        try:
            return gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as exc:
            raise CorruptValue(f"bad gzip value: {exc}") from exc
    if kind == Kind.JPEG and jpeg_decoder is not None:
        return jpeg_decoder(body)
    if kind == Kind.SEGMENTATION:
        try:
            return segmentation.decode(body).tobytes()
        except ValueError as exc:
            raise CorruptValue(str(exc)) from exc
    raise CorruptValue(f"cannot decode {kind.name} values")


# -- transfer codecs (request and response bodies) -------------------------------------------


def gzip_encode(data: bytes | memoryview, level: int = -1) -> bytes:
    """A gzip stream of ``data``; level -1 is the usual default (6)."""
    return gzip.compress(data, compresslevel=6 if level == -1 else level, mtime=0)


def gzip_decode(data: bytes | memoryview, limit: int | None = None) -> bytes:
    """Decode a gzip stream, refusing output longer than ``limit`` bytes."""
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(data, limit + 1) if limit is not None else d.decompress(data)
    except zlib.error as exc:
        raise bad_request(f"Malformed gzip stream: {exc}") from exc
    if limit is not None and len(out) > limit:
        raise bad_request("Malformed compression stream: more data than expected")
    return out


def lz4_encode_raw(data: bytes | memoryview) -> bytes:
    """One raw LZ4 block with no size prefix (DVID's ``compression=lz4`` bodies)."""
    return lz4.block.compress(data, store_size=False)


def lz4_decode_raw(data: bytes | memoryview, size: int) -> bytes:
    """Decode one raw LZ4 block that must expand to exactly ``size`` bytes."""
    if len(data) == 0:
        raise bad_request("received 0 LZ4 compressed bytes")
    try:
        out = lz4.block.decompress(data, uncompressed_size=size)
    except lz4.block.LZ4BlockError as exc:
        raise bad_request(f"Malformed compression stream: {exc}") from exc
    if len(out) != size:
        raise bad_request(
            f"Malformed compression stream: LZ4 data expanded to {len(out)} bytes, expected {size}"
        )
    return out
