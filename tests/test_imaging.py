"""dvidpy.imaging: image formats, PNG carriers (including 16-bit RGBA) and JPEG blocks."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from dvidpy.errors import DVIDError
from dvidpy.imaging import (
    ImageFormat,
    decode_jpeg,
    decode_png,
    encode_image,
    encode_jpeg_gray,
    encode_png,
)

RNG = np.random.default_rng(7)


def png_header(data: bytes) -> tuple:
    return struct.unpack(">IIBBBBB", data[16:29])


@pytest.mark.parametrize(
    "text, kind, quality, media",
    [("", "png", 80, "image/png"), ("png", "png", 80, "image/png"), ("jpg", "jpeg", 80, "image/jpeg"),
     ("jpeg:35", "jpeg", 35, "image/jpeg"), ("tif", "tiff", 80, "image/tiff"), ("bmp", "bmp", 80, "image/bmp")],
)
def test_format_strings(text, kind, quality, media):
    fmt = ImageFormat.parse(text)
    assert (fmt.kind, fmt.quality, fmt.media_type) == (kind, quality, media)


@pytest.mark.parametrize(
    "text, msg",
    [("gif", "Illegal image format requested: gif"), ("jpg:abc", "Unable to parse JPEG quality: 'abc'"),
     ("jpg:0", "JPEG quality must be from 1 to 100, not 0")],
)
def test_bad_format_strings(text, msg):
    with pytest.raises(DVIDError) as e:
        ImageFormat.parse(text)
    assert e.value.message == msg


def test_grey8_png_round_trip_and_pillow_agrees():
    pixels = RNG.integers(0, 256, (17, 23), dtype=np.uint8)
    data = encode_png(pixels)
    assert png_header(data) == (23, 17, 8, 0, 0, 0, 0)
    assert np.array_equal(decode_png(data), pixels)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), pixels)


def test_grey16_png_holds_true_values():
    pixels = RNG.integers(0, 65536, (9, 11), dtype=np.uint16)
    data = encode_png(pixels)
    assert png_header(data)[2:4] == (16, 0)
    assert np.array_equal(decode_png(data), pixels)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))).astype(np.uint16), pixels)


def test_rgba16_carries_eight_bytes_per_pixel():
    labels = RNG.integers(0, 2**63, (5, 6), dtype=np.uint64)
    carrier = labels.astype("<u8").view(">u2").astype(np.uint16).reshape(5, 6, 4)
    data = encode_png(carrier)
    assert png_header(data)[2:4] == (16, 6)
    samples = decode_png(data)
    back = samples.astype(">u2").tobytes()
    assert np.array_equal(np.frombuffer(back, "<u8").reshape(5, 6), labels)


def test_opaque_rgba_is_written_as_rgb():
    rgba = RNG.integers(0, 256, (4, 4, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    data = encode_png(rgba)
    assert png_header(data)[3] == 2
    assert np.array_equal(decode_png(data), rgba[..., :3])
    rgba[0, 0, 3] = 7
    assert png_header(encode_png(rgba))[3] == 6


def test_decode_png_handles_every_row_filter():
    pixels = RNG.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    rows = []
    stride = 15
    flat = pixels.reshape(6, stride).astype(np.int32)
    prior = np.zeros(stride, dtype=np.int32)
    for r in range(6):
        kind = r % 5
        line = flat[r]
        left = np.concatenate([np.zeros(3, np.int32), line[:-3]])
        up_left = np.concatenate([np.zeros(3, np.int32), prior[:-3]])
        if kind == 0:
            pred = np.zeros(stride, np.int32)
        elif kind == 1:
            pred = left
        elif kind == 2:
            pred = prior
        elif kind == 3:
            pred = (left + prior) // 2
        else:
            p = left + prior - up_left
            pa, pb, pc = abs(p - left), abs(p - prior), abs(p - up_left)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prior, up_left))
        rows.append(bytes([kind]) + ((line - pred) & 0xFF).astype(np.uint8).tobytes())
        prior = line
    ihdr = struct.pack(">IIBBBBB", 5, 6, 8, 2, 0, 0, 0)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")
    assert np.array_equal(decode_png(data), pixels)


def test_jpeg_tiff_bmp_through_pillow():
    pixels = np.tile(np.arange(64, dtype=np.uint8) * 4, (32, 1))
    jpeg = encode_image(pixels, ImageFormat("jpeg", 95))
    image = Image.open(io.BytesIO(jpeg))
    assert (image.format, image.mode, image.size) == ("JPEG", "L", (64, 32))
    assert np.abs(np.asarray(image).astype(int) - pixels).max() <= 4
    tiff = Image.open(io.BytesIO(encode_image(pixels.astype(np.uint16) * 200, ImageFormat("tiff"))))
    assert tiff.format == "TIFF" and np.array_equal(np.asarray(tiff).astype(np.uint16), pixels.astype(np.uint16) * 200)
    bmp = Image.open(io.BytesIO(encode_image(pixels, ImageFormat("bmp"))))
    assert bmp.format == "BMP" and np.array_equal(np.asarray(bmp), pixels)


def test_jpeg_of_colour_carriers_is_three_component():
    rgba = RNG.integers(0, 256, (8, 8, 4), dtype=np.uint8)
    image = Image.open(io.BytesIO(encode_image(rgba, ImageFormat("jpeg"))))
    assert image.mode == "RGB"


def test_jpeg_gray_blocks_round_trip_closely():
    block = np.tile(np.arange(32, dtype=np.uint8) * 8, (1024, 1))
    data = encode_jpeg_gray(block)
    back = decode_jpeg(data)
    assert back.shape == (1024, 32)
    assert np.abs(back.astype(int) - block).max() <= 6
    with pytest.raises(ValueError):
        decode_jpeg(b"not a jpeg")
