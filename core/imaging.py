"""2-D image encoding for slices: PNG (default), JPEG with quality, TIFF and BMP.

Datatypes hand over a *carrier* array that says what the image holds:

* ``(h, w)`` uint8: 8-bit grey; ``(h, w)`` uint16: 16-bit grey;
* ``(h, w, 3|4)`` uint8: 8-bit RGB / RGBA;
* ``(h, w, 4)`` uint16: 16-bit RGBA (DVID's carrier for 64-bit values: the eight sample bytes of
  a pixel, in file order, are the value's eight little-endian bytes).

As Go's encoder does, an RGBA image whose alpha is opaque everywhere is written as RGB. PNG is
written here directly (Pillow cannot write 16-bit RGBA); the other formats go through Pillow.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

from dvidpy.errors import bad_request

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEFAULT_JPEG_QUALITY = 80

_MEDIA = {"png": "image/png", "jpeg": "image/jpeg", "tiff": "image/tiff", "bmp": "image/bmp"}


@dataclass(frozen=True)
class ImageFormat:
    kind: str = "png"
    quality: int = DEFAULT_JPEG_QUALITY

    @property
    def media_type(self) -> str:
        return _MEDIA[self.kind]

    @classmethod
    def parse(cls, text: str | None) -> ImageFormat:
        """DVID's format strings: ``""``/``png``, ``jpg``/``jpeg`` with ``:quality``, ``tif``, ``bmp``."""
        t = (text or "").strip().lower()
        name, _, quality_text = t.partition(":")
        if name in ("", "png"):
            return cls("png")
        if name in ("jpg", "jpeg"):
            quality = DEFAULT_JPEG_QUALITY
            if quality_text:
                try:
                    quality = int(quality_text)
                except ValueError:
                    raise bad_request(f"Unable to parse JPEG quality: {quality_text!r}")
                if not 1 <= quality <= 100:
                    raise bad_request(f"JPEG quality must be from 1 to 100, not {quality}")
            return cls("jpeg", quality)
        if name in ("tif", "tiff"):
            return cls("tiff")
        if name == "bmp":
            return cls("bmp")
        raise bad_request(f"Illegal image format requested: {text}")


def encode_image(pixels: np.ndarray, fmt: ImageFormat = ImageFormat(), *, png_level: int = 1) -> bytes:
    """Encode a carrier array (see the module docstring) in the requested format."""
    if fmt.kind == "png":
        return encode_png(pixels, png_level)
    limit = _SIDE_LIMITS.get(fmt.kind)
    if limit is not None and max(pixels.shape[:2]) > limit:
        height, width = pixels.shape[:2]
        raise bad_request(f"a {fmt.kind} image can be at most {limit} pixels on a side, not {width} x {height}")
    image = _to_pillow(pixels, fmt.kind)
    buf = io.BytesIO()
    if fmt.kind == "jpeg":
        image.save(buf, "JPEG", quality=fmt.quality)
    elif fmt.kind == "tiff":
        image.save(buf, "TIFF", compression="tiff_deflate")
    else:
        image.save(buf, "BMP")
    return buf.getvalue()


#: The largest side each format can hold (JPEG's header fields are 16 bits).
_SIDE_LIMITS = {"jpeg": 65535}


def _to_pillow(pixels: np.ndarray, kind: str) -> Image.Image:
    if pixels.ndim == 2 and pixels.dtype == np.uint8:
        return Image.fromarray(pixels, "L")
    if pixels.ndim == 2 and pixels.dtype == np.uint16:
        if kind == "tiff":
            return Image.fromarray(pixels)
        return Image.fromarray((pixels >> 8).astype(np.uint8), "L").convert("RGB")
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    if pixels.shape[2] == 4 and (kind == "jpeg" or np.all(pixels[..., 3] == 255)):
        pixels = np.ascontiguousarray(pixels[..., :3])
    mode = "RGBA" if pixels.shape[2] == 4 else "RGB"
    return Image.fromarray(np.ascontiguousarray(pixels), mode)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels: np.ndarray, level: int = 1) -> bytes:
    """A PNG of a carrier array, written with filter 0 on every row."""
    if pixels.ndim == 2:
        channels = 1
    elif pixels.ndim == 3 and pixels.shape[2] in (3, 4):
        channels = pixels.shape[2]
        opaque = np.iinfo(pixels.dtype).max
        if channels == 4 and np.all(pixels[..., 3] == opaque):
            pixels, channels = pixels[..., :3], 3
    else:
        raise ValueError(f"cannot make a PNG of an array of shape {pixels.shape}")
    if pixels.dtype == np.uint8:
        depth, samples = 8, np.ascontiguousarray(pixels)
    elif pixels.dtype == np.uint16:
        depth, samples = 16, np.ascontiguousarray(pixels, dtype=">u2")
    else:
        raise ValueError(f"cannot make a PNG of {pixels.dtype} samples")
    height, width = pixels.shape[:2]
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    rows = samples.reshape(height, -1).view(np.uint8)
    filtered = np.zeros((height, rows.shape[1] + 1), dtype=np.uint8)
    filtered[:, 1:] = rows
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(filtered.tobytes(), level)),
            _chunk(b"IEND", b""),
        )
    )


def decode_png(data: bytes) -> np.ndarray:
    """Decode a non-interlaced PNG into its samples (big-endian 16-bit samples as uint16).

    Grey images come back ``(h, w)``, colour ones ``(h, w, channels)``. Handles all five row
    filters, so it reads PNGs from any encoder, not only ours.
    """
    if data[:8] != PNG_SIGNATURE:
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    assert header is not None, "PNG without IHDR"
    width, height, depth, color_type, _, _, interlace = header
    if interlace:
        raise ValueError("interlaced PNGs are not supported")
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    bpp = channels * depth // 8
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    prior = np.zeros(stride, dtype=np.int32)
    for r in range(height):
        out[r] = _unfilter(int(raw[r, 0]), raw[r, 1:].astype(np.int32), prior, bpp)
        prior = out[r].astype(np.int32)
    samples = out.view(">u2").astype(np.uint16) if depth == 16 else out
    shape = (height, width) if channels == 1 else (height, width, channels)
    return samples.reshape(shape)


def _unfilter(kind: int, line: np.ndarray, prior: np.ndarray, bpp: int) -> np.ndarray:
    if kind == 0:
        return line.astype(np.uint8)
    if kind == 2:
        return ((line + prior) & 0xFF).astype(np.uint8)
    out = np.zeros_like(line)
    for i in range(len(line)):
        left = out[i - bpp] if i >= bpp else 0
        up = prior[i]
        if kind == 1:
            pred = left
        elif kind == 3:
            pred = (left + up) // 2
        else:
            up_left = prior[i - bpp] if i >= bpp else 0
            p = left + up - up_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
            pred = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
        out[i] = (line[i] + pred) & 0xFF
    return out.astype(np.uint8)


def encode_jpeg_gray(pixels: np.ndarray, quality: int = DEFAULT_JPEG_QUALITY) -> bytes:
    """A baseline 1-component JPEG of a 2-D uint8 array."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), "L").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def decode_jpeg(data: bytes | memoryview) -> np.ndarray:
    """Decode a JPEG into a 2-D uint8 array (grey) or ``(h, w, 3)`` (colour)."""
    try:
        with Image.open(io.BytesIO(bytes(data))) as image:
            image.load()
            return np.asarray(image)
    except OSError as exc:
        raise ValueError(f"not a decodable JPEG: {exc}") from exc
