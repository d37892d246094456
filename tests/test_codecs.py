"""dvidpy.codecs: DVID's stored-value format and the HTTP transfer codecs."""

import gzip
import struct
import zlib

import lz4.block
import numpy as np
import pytest

from dvidpy.codecs import (
    Checksum,
    Compression,
    CorruptValue,
    Kind,
    deserialize,
    gzip_decode,
    gzip_encode,
    lz4_decode_raw,
    lz4_encode_raw,
    parse_checksum,
    payload,
    serialize,
    value_format,
)
from dvidpy.errors import DVIDError

RAW = bytes(range(256)) * 40


def test_lz4_value_is_dvids_layout():
    value = serialize(RAW)
    assert value[0] == 0x80
    assert struct.unpack_from("<I", value, 1)[0] == len(RAW)
    assert value[5:] == lz4.block.compress(RAW, store_size=False)
    assert deserialize(value) == RAW


def test_format_bytes():
    assert serialize(RAW, Compression(Kind.NONE))[0] == 0x00
    assert serialize(RAW, Compression(Kind.GZIP))[0] == 0x40
    assert serialize(RAW, Compression(Kind.LZ4), Checksum.CRC32)[0] == 0x88
    # gzip forces the checksum off, as DVID does
    assert serialize(RAW, Compression(Kind.GZIP), Checksum.CRC32)[0] == 0x40


@pytest.mark.parametrize("kind", [Kind.NONE, Kind.LZ4, Kind.GZIP])
@pytest.mark.parametrize("checksum", [Checksum.NONE, Checksum.CRC32])
def test_round_trips(kind, checksum):
    value = serialize(RAW, Compression(kind), checksum)
    assert deserialize(value) == RAW
    assert value_format(value)[0] == kind


def test_crc32_is_checked():
    value = bytearray(serialize(RAW, Compression(Kind.NONE), Checksum.CRC32))
    assert struct.unpack_from("<I", value, 1)[0] == zlib.crc32(bytes(value[5:]))
    value[-1] ^= 0xFF
    with pytest.raises(CorruptValue, match="Bad checksum"):
        deserialize(bytes(value))


def test_empty_values_and_legacy_uncompressed_lz4():
    assert serialize(b"") == b""
    assert deserialize(b"") == b""
    assert deserialize(b"\x80" + struct.pack("<I", 0) + b"plain") == b"plain"


def test_payload_strips_format_and_checksum():
    value = serialize(RAW, Compression(Kind.LZ4), Checksum.CRC32)
    assert bytes(payload(value)) == value[5:]


def test_jpeg_needs_coders():
    with pytest.raises(ValueError):
        serialize(RAW, Compression(Kind.JPEG, 32))
    value = serialize(RAW, Compression(Kind.JPEG, 32), jpeg_encoder=lambda raw, width: b"JPEG%d" % width)
    assert value == b"\xa0JPEG32"
    assert deserialize(value, jpeg_decoder=lambda body: bytes(body).lower()) == b"jpeg32"
    with pytest.raises(CorruptValue):
        deserialize(value)


@pytest.mark.parametrize(
    "text, expected",
    [("lz4", Compression(Kind.LZ4)), ("LZ4", Compression(Kind.LZ4)), ("none", Compression(Kind.NONE)),
     ("gzip", Compression(Kind.GZIP)), ("gzip:7", Compression(Kind.GZIP, 7)), ("jpeg", Compression(Kind.JPEG, 32))],
)
def test_compression_settings(text, expected):
    assert Compression.parse(text) == expected


def test_compression_descriptions():
    assert str(Compression()) == "LZ4 compression, level -1"
    assert str(Compression(Kind.NONE)) == "No compression, level -1"
    assert str(Compression(Kind.GZIP, 7)) == "gzip compression, level 7"
    assert str(Compression.parse("jpeg", jpeg_level=64)) == "jpeg compression, level 64"


@pytest.mark.parametrize("text", ["zstd", "gzip:0", "gzip:10", "gzip:x", "jpeg:80", "snap"])
def test_bad_compression_settings(text):
    with pytest.raises(DVIDError) as e:
        Compression.parse(text)
    assert e.value.message == f"Illegal compression specified: {text}"


def test_checksum_settings():
    assert parse_checksum("CRC32") == Checksum.CRC32
    assert parse_checksum("none") == Checksum.NONE
    with pytest.raises(DVIDError) as e:
        parse_checksum("md5")
    assert e.value.message == "Illegal checksum specified: md5"


def test_raw_lz4_transfer():
    data = np.arange(1000, dtype="<u8").tobytes()
    body = lz4_encode_raw(data)
    assert body == lz4.block.compress(data, store_size=False)
    assert lz4_decode_raw(body, len(data)) == data


@pytest.mark.parametrize("size, text", [(7000, "Malformed compression stream"), (9000, "Malformed compression stream")])
def test_raw_lz4_must_expand_to_exact_size(size, text):
    body = lz4_encode_raw(bytes(8000))
    with pytest.raises(DVIDError) as e:
        lz4_decode_raw(body, size)
    assert e.value.message.startswith(text)


def test_raw_lz4_empty_and_garbage():
    with pytest.raises(DVIDError) as e:
        lz4_decode_raw(b"", 10)
    assert e.value.message == "received 0 LZ4 compressed bytes"
    with pytest.raises(DVIDError):
        lz4_decode_raw(b"\xff\xff\xff\xff", 10)


def test_gzip_transfer():
    data = RAW * 3
    assert gzip.decompress(gzip_encode(data)) == data
    assert gzip_decode(gzip.compress(data)) == data
    with pytest.raises(DVIDError) as e:
        gzip_decode(b"not gzip")
    assert e.value.message.startswith("Malformed gzip stream")
    with pytest.raises(DVIDError) as e:
        gzip_decode(gzip.compress(data), limit=len(data) - 1)
    assert e.value.message.startswith("Malformed compression stream")
