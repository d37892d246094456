"""Helpers shared by the imageblk tests: the six types (numpy dtype, TypeURL file, TypeVersion,
Values), random and DVID makeVolume volumes, raw URLs and put/get/info shortcuts, block layout, an
independent PNG reader and 2-D decoding per type, expected slices and DVID's box filter, and the ROI
helpers (spans, making an ROI over HTTP, the inside mask). Expected values are computed here with
numpy (and Pillow or the small PNG reader for images), independently of the code under test.
"""

from __future__ import annotations

import io
import json
import struct
import zlib

import numpy as np
from PIL import Image

# typename -> (numpy dtype of one voxel, TypeURL file, TypeVersion, Values)
TYPES = {
    "uint8blk": (np.dtype("u1"), "uint8.go", "0.2", [{"DataType": "uint8", "Label": "uint8"}]),
    "uint16blk": (np.dtype("<u2"), "uint16.go", "0.1", [{"DataType": "uint16", "Label": "uint16"}]),
    "uint32blk": (np.dtype("<u4"), "uint32.go", "0.1", [{"DataType": "uint32", "Label": "uint32"}]),
    "uint64blk": (np.dtype("<u8"), "uint64.go", "0.1", [{"DataType": "uint64", "Label": "uint64"}]),
    "float32blk": (np.dtype("<f4"), "float32.go", "0.1", [{"DataType": "float32", "Label": "float32"}]),
    "rgba8blk": (np.dtype("<u4"), "rgba8.go", "0.2",
                 [{"DataType": "uint8", "Label": c} for c in ("red", "green", "blue", "alpha")]),
}
ALL_TYPES = sorted(TYPES)
BYTE_CHANNEL_TYPES = ("uint8blk", "rgba8blk")
MULTI_BYTE_TYPES = [t for t in ALL_TYPES if t != "uint8blk"]

XDATA = [0x01, 0x07, 0xAF, 0xFF, 0x70]
YDATA = [0x33, 0xB2, 0x77, 0xD0, 0x4F]
ZDATA = [0x5C, 0x89, 0x40, 0x13, 0xCA]


def dtype_of(typename: str) -> np.dtype:
    return TYPES[typename][0]


def rand(typename: str, shape_zyx, seed: int = 0) -> np.ndarray:
    """Random voxels of a type (every bit pattern, except float32 NaNs and infinities)."""
    dtype = dtype_of(typename)
    n = int(np.prod(shape_zyx))
    rng = np.random.default_rng(seed)
    if dtype.kind == "f":
        return (rng.standard_normal(n) * 1e6).astype(dtype).reshape(shape_zyx)
    return rng.integers(0, 256, n * dtype.itemsize, dtype=np.uint8).view(dtype).reshape(shape_zyx)


def xor_volume(offset, size) -> np.ndarray:
    """DVID's makeVolume (uint8), as a ``[z][y][x]`` array."""
    (ox, oy, oz), (nx, ny, nz) = offset, size
    x = np.array(XDATA, np.uint8)[np.arange(ox, ox + nx) % 5]
    y = np.array(YDATA, np.uint8)[np.arange(oy, oy + ny) % 5]
    z = np.array(ZDATA, np.uint8)[np.arange(oz, oz + nz) % 5]
    return z[:, None, None] ^ y[None, :, None] ^ x[None, None, :]


def fill_value(typename: str, background: int):
    """What a never-written voxel reads as: Background in every 8-bit channel, else its value."""
    dtype = dtype_of(typename)
    if typename == "rgba8blk":
        return np.frombuffer(bytes([background]) * 4, dtype)[0]
    return dtype.type(background)


def pt(p) -> str:
    return "_".join(map(str, p))


def raw_url(uuid, name, size, offset, query="", fmt=""):
    return f"/api/node/{uuid}/{name}/raw/0_1_2/{pt(size)}/{pt(offset)}{'/' + fmt if fmt else ''}{query}"


def put(dvid, uuid, name, arr: np.ndarray, offset, query=""):
    nz, ny, nx = arr.shape
    r = dvid.ok("POST", raw_url(uuid, name, (nx, ny, nz), offset, query), content=np.ascontiguousarray(arr).tobytes())
    assert r.content == b""


def get(dvid, uuid, name, typename, size, offset, query="") -> np.ndarray:
    r = dvid.ok("GET", raw_url(uuid, name, size, offset, query))
    assert r.headers["content-type"] == "application/octet-stream"
    nx, ny, nz = size
    assert len(r.content) == nx * ny * nz * dtype_of(typename).itemsize
    return np.frombuffer(r.content, dtype_of(typename)).reshape(nz, ny, nx)


def info(dvid, uuid, name="grayscale"):
    return dvid.ok("GET", f"/api/node/{uuid}/{name}/info").json()


def block_bytes(vol: np.ndarray, origin, coord, bs=(32, 32, 32)) -> bytes:
    """Block ``coord`` cut out of ``vol`` whose voxel (0,0,0) is at ``origin``, in block layout."""
    x0, y0, z0 = (c * b - o for c, b, o in zip(coord, bs, origin))
    return np.ascontiguousarray(vol[z0 : z0 + bs[2], y0 : y0 + bs[1], x0 : x0 + bs[0]]).tobytes()


def png_samples(data: bytes) -> np.ndarray:
    """A small independent PNG reader: the samples of a non-interlaced PNG (16-bit as uint16)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert interlace == 0
        elif kind == b"IDAT":
            idat += body
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    bpp = channels * depth // 8
    stride = w * bpp
    raw = zlib.decompress(idat)
    out = np.zeros((h, stride), np.uint8)
    prev = [0] * stride
    for r in range(h):
        f = raw[r * (stride + 1)]
        line = list(raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)])
        cur = [0] * stride
        for i, v in enumerate(line):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 0:
                p = 0
            elif f == 1:
                p = a
            elif f == 2:
                p = b
            elif f == 3:
                p = (a + b) // 2
            else:
                q = a + b - c
                pa, pb, pc = abs(q - a), abs(q - b), abs(q - c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[i] = (v + p) & 255
        out[r] = cur
        prev = cur
    samples = out.view(">u2").astype(np.uint16) if depth == 16 else out
    return samples.reshape(h, w, channels) if channels > 1 else samples.reshape(h, w)


def decode_2d(typename: str, body: bytes) -> np.ndarray:
    """A PNG slice of a type back to voxel values (independently of the server's image code)."""
    dtype = dtype_of(typename)
    if typename == "uint64blk":
        samples = png_samples(body)
        if samples.shape[2] == 3:  # written as RGB: every A sample was 0xFFFF
            samples = np.concatenate([samples, np.full(samples.shape[:2] + (1,), 0xFFFF, np.uint16)], axis=2)
        h, w = samples.shape[:2]
        return np.frombuffer(samples.astype(">u2").tobytes(), "<u8").reshape(h, w)
    img = Image.open(io.BytesIO(body))
    pixels = np.asarray(img)
    if typename == "uint8blk":
        assert img.mode == "L"
        return pixels
    if typename == "uint16blk":
        assert img.mode.startswith("I;16") or img.mode == "I"  # Pillow < 10.1 opens 16-bit grey as "I"
        return pixels.astype(np.uint16)
    assert img.mode in ("RGBA", "RGB")
    if img.mode == "RGB":
        pixels = np.concatenate([pixels, np.full(pixels.shape[:2] + (1,), 255, np.uint8)], axis=2)
    return np.ascontiguousarray(pixels).view(dtype)[..., 0]


def slice_of(vol: np.ndarray, origin, plane: str, size2d, offset) -> np.ndarray:
    """The expected 2-D image (rows, columns) of a slice from a ``[z][y][x]`` array at ``origin``."""
    x, y, z = (o - g for o, g in zip(offset, origin))
    w, h = size2d
    if plane in ("xy", "0_1"):
        return vol[z, y : y + h, x : x + w]
    if plane in ("xz", "0_2"):
        return vol[z : z + h, y, x : x + w]
    return vol[z : z + h, y : y + w, x]


def box_resize(image: np.ndarray, dst_w: int, dst_h: int) -> np.ndarray:
    """DVID's area-weighted box filter, exactly: replicate each source pixel dst_w x dst_h times,
    sum the src_w x src_h cells under each output pixel, divide (truncating for integers).
    Integers are summed as Python ints, so nothing overflows."""
    src_h, src_w = image.shape[:2]
    big = np.repeat(np.repeat(image, dst_h, axis=0), dst_w, axis=1)
    if image.dtype.kind == "f":
        cells = big.astype(np.float64).reshape(dst_h, src_h, dst_w, src_w, *image.shape[2:])
        return (cells.sum(axis=(1, 3)) / (src_h * src_w)).astype(image.dtype)
    cells = big.astype(object).reshape(dst_h, src_h, dst_w, src_w, *image.shape[2:])
    return (cells.sum(axis=(1, 3)) // (src_h * src_w)).astype(image.dtype)


# -- ROIs (made through the roi datatype's HTTP API) ------------------------------------------------


SPANS = [[0, 0, -1, -1], [1, 1, 0, 0], [1, 0, -1, 0]]  # [z, y, x0, x1] in blocks


def make_roi(dvid, uuid, spans=SPANS, name="myroi"):
    dvid.ok("POST", f"/api/repo/{uuid}/instance", json={"typename": "roi", "dataname": name})
    dvid.ok("POST", f"/api/node/{uuid}/{name}/roi", content=json.dumps(spans))


def inside_mask(spans, origin, shape_zyx, bs=32) -> np.ndarray:
    z, y, x = np.meshgrid(*(np.arange(o, o + n) for o, n in zip(origin[::-1], shape_zyx)), indexing="ij")
    mask = np.zeros(shape_zyx, bool)
    for bz, by, x0, x1 in spans:
        mask |= (z // bs == bz) & (y // bs == by) & (x // bs >= x0) & (x // bs <= x1)
    return mask
