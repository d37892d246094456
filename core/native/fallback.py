"""The hot path's pure-Python twin: the same functions as the compiled ``_blocks`` module, on
numpy and python-lz4, for installs without a compiler (or ``DVIDPY_NATIVE=0``).

Blocks are whole numpy arrays and every copy is a slice assignment; nothing runs per voxel.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import lz4.block
import numpy as np

from dvidpy import segmentation
from dvidpy.codecs import Checksum, Compression, CorruptValue, Kind, deserialize, payload, serialize

#: The value kinds these functions decode and encode; others are left to the caller.
KINDS = (Kind.NONE, Kind.LZ4, Kind.SEGMENTATION)
Shape = tuple[int, int, int]


def _kind(value) -> int:
    """The value's compression kind (an empty value is this path's to refuse)."""
    return value[0] >> 5 if len(value) else Kind.NONE


def _decoded(value, nbytes: int, block_shape: Shape) -> bytes:
    if _kind(value) == Kind.SEGMENTATION:
        try:
            size = segmentation.block_size(payload(value))
        except ValueError as exc:
            raise CorruptValue(str(exc)) from exc
        if size != tuple(block_shape[::-1]):
            raise CorruptValue("compressed segmentation block is not of this instance's block size")
    raw = deserialize(value)
    if len(raw) != nbytes:
        raise CorruptValue(f"stored block holds {len(raw)} bytes, expected {nbytes}")
    return raw


def paste(dest: np.ndarray, origin: Sequence[int], block: np.ndarray) -> None:
    """Copy the part of ``block`` (z, y, x) that overlaps ``dest`` when the block's first voxel
    sits at ``origin`` (z, y, x, may be negative or past the end) of ``dest``."""
    src, dst = [], []
    for o, n, b in zip(origin, dest.shape, block.shape):
        lo, hi = max(0, -o), min(b, n - o)
        if hi <= lo:
            return
        src.append(slice(lo, hi))
        dst.append(slice(o + lo, o + hi))
    dest[tuple(dst)] = block[tuple(src)]


def decode_into(values: Sequence, origins: np.ndarray, dest: np.ndarray, block_shape: Shape) -> list[int]:
    """Decode each stored value into its overlap of ``dest``; returns the indexes of values of
    other kinds (left to the caller). ``origins`` is ``(n, 3)`` int64, z, y, x."""
    nbytes = int(np.prod(block_shape)) * dest.itemsize
    skipped = []
    rows = _row_view(dest, origins, block_shape)
    for i, (value, origin) in enumerate(zip(values, origins.tolist())):
        if _kind(value) not in KINDS:
            skipped.append(i)
            continue
        block = np.frombuffer(_decoded(value, nbytes, block_shape), dtype=dest.dtype).reshape(block_shape)
        if rows is not None:
            paste(rows[0], (origin[0], origin[1], origin[2] // block_shape[2]), block.view(rows[1]))
        else:
            paste(dest, origin, block)
    return skipped


def _row_view(dest: np.ndarray, origins: np.ndarray, block_shape: Shape):
    """When every block starts on a whole block row of a contiguous ``dest``, ``dest`` seen with
    one opaque element per block row, which makes numpy's copy loop several times shorter."""
    bx = block_shape[2]
    if not dest.flags.c_contiguous or dest.shape[2] % bx or (len(origins) and (origins[:, 2] % bx).any()):
        return None
    row = np.dtype((np.void, bx * dest.itemsize))
    return dest.view(row), row


def split_blocks(data: np.ndarray, block_shape: Shape) -> np.ndarray:
    """A block-aligned ``[z][y][x]`` array as ``(n blocks, voxels per block)``, blocks in ZYX order.

    Each x row of a block moves as one opaque element (a numpy void view), so the transposing
    copy runs over rows rather than voxels.
    """
    (bz, by, bx) = block_shape
    nbz, nby, nbx = (n // b for n, b in zip(data.shape, block_shape))
    data = np.ascontiguousarray(data)
    row = np.dtype((np.void, bx * data.itemsize))
    rows = data.view(row).reshape(nbz, bz, nby, by, nbx)
    flat = np.ascontiguousarray(rows.transpose(0, 2, 4, 1, 3)).view(data.dtype)
    return flat.reshape(nbz * nby * nbx, bz * by * bx)


def encode_blocks(data: np.ndarray, block_shape: Shape, chosen: np.ndarray, kind: int, checksum: int) -> list[bytes]:
    """The stored values (DVID's format: plain, LZ4 or compressed segmentation) of the chosen
    blocks (numbers in ZYX order) of a block-aligned ``[z][y][x]`` array."""
    if kind not in KINDS:
        raise ValueError("only plain, LZ4 and compressed segmentation values are encoded here")
    size = tuple(block_shape[::-1])
    flat = split_blocks(data, block_shape)
    compression, check = Compression(Kind(kind)), Checksum(checksum)
    picks = chosen.tolist()
    encoded: list[bytes] = [b""] * len(picks)

    def compress(part: list[tuple[int, int]]) -> None:
        for slot, i in part:
            encoded[slot] = serialize(flat[i].data, compression, check, block_size=size)

    in_parallel(compress, list(enumerate(picks)))
    return encoded


def gather(values: Sequence, starts: np.ndarray, offsets: np.ndarray, picks: np.ndarray, out: np.ndarray,
           block_shape: Shape) -> list[int]:
    """``out[picks[k]] = block_j[offsets[k]]`` for the points ``starts[j]:starts[j + 1]`` of each
    stored block j (None: no block, the points keep their value); returns the skipped kinds."""
    nbytes = int(np.prod(block_shape)) * out.itemsize
    skipped = []
    bounds = starts.tolist()
    for j, value in enumerate(values):
        if value is None:
            continue
        if _kind(value) not in KINDS:
            skipped.append(j)
            continue
        s, e = bounds[j], bounds[j + 1]
        flat = np.frombuffer(_decoded(value, nbytes, block_shape), dtype=out.dtype)
        out[picks[s:e]] = flat[offsets[s:e]]
    return skipped


def compose_segmentation(values: Sequence, grid: Shape, rel: Shape, size: Shape, block: Shape,
                         fill: int) -> bytes | None:
    """Neuroglancer's compressed_segmentation of a box from its blocks' stored values (x fastest
    over ``grid``, None where none is stored; all shapes x, y, z); None when a block is stored
    in another encoding or the answer's offsets would not fit (:func:`dvidpy.segmentation.compose`)."""
    if any(v is not None and _kind(v) != Kind.SEGMENTATION for v in values):
        return None
    try:
        return segmentation.compose([None if v is None else payload(v) for v in values], grid, rel, size, block, fill)
    except ValueError as exc:
        raise CorruptValue(str(exc)) from exc


def lz4_compress(data) -> bytes:
    return lz4.block.compress(data, store_size=False)


def lz4_decompress(block, size: int) -> bytes:
    try:
        return lz4.block.decompress(block, uncompressed_size=size)
    except lz4.block.LZ4BlockError as exc:
        raise CorruptValue(f"bad LZ4 block: {exc}") from exc


_WORKERS = max(1, min(4, os.cpu_count() or 1))
_POOL = ThreadPoolExecutor(_WORKERS, thread_name_prefix="dvidpy-blocks") if _WORKERS > 1 else None

T = TypeVar("T")


def in_parallel(work: Callable[[list[T]], None], items: list[T], *, min_items: int = 64) -> None:
    """Run ``work`` over contiguous parts of ``items`` on a small pool (one part per core).

    python-lz4 releases the GIL per call, so large encodes spread over the cores; small
    requests stay on the calling thread.
    """
    if _POOL is None or len(items) < min_items:
        work(items)
        return
    step = -(-len(items) // _WORKERS)
    parts = [items[i : i + step] for i in range(0, len(items), step)]
    futures = [_POOL.submit(work, part) for part in parts[1:]]
    work(parts[0])
    for future in futures:
        future.result()


# -- JSON point lists and label lists ------------------------------------------------------------

_BRACKETS_TO_SPACES = bytes.maketrans(b"[]", b"  ")
#: Whitespace inside what the fast path would read as one number, and JSON's forbidden leading zeros.
_SPLIT_NUMBER = re.compile(rb"[0-9][ \t\r\n]+[-0-9]")
_LEADING_ZERO = re.compile(rb"(?<![0-9])-?0[0-9]")


def point_triples(body: bytes) -> np.ndarray | None:
    """``[[x,y,z],...]`` of plain JSON integers as an ``(N, 3)`` int64 array, else None.

    The punctuation left after removing digits and signs must be exactly that of N triples,
    then numpy reads the 3N numbers."""
    compact = body.translate(None, b" \t\r\n")
    if compact != body and _SPLIT_NUMBER.search(body):
        return None  # "1 2" is two tokens in JSON, not 12
    if compact == b"[]":
        return np.zeros((0, 3), dtype=np.int64)
    n = compact.count(b"[") - 1
    if n < 1 or _LEADING_ZERO.search(compact) or compact.translate(None, b"0123456789-") != b"[" + b"[,,]," * (n - 1) + b"[,,]]":
        return None
    if b"--" in compact or b"-," in compact or b"-]" in compact:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            values = np.fromstring(compact.translate(_BRACKETS_TO_SPACES), dtype=np.int64, sep=",")
        except (ValueError, DeprecationWarning):
            return None
    return values.reshape(n, 3) if values.size == 3 * n else None


def json_uint64s(values: np.ndarray) -> bytes:
    """A 1-D uint64 array as compact JSON: ``b"[1,2,3]"``."""
    return json.dumps(values.tolist(), separators=(",", ":")).encode()
