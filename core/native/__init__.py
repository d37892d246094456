"""The hot path: a request's blocks decoded, encoded and sampled in one call each.

Two implementations with one interface. The compiled one (``_blocks``, C written for dvidpy,
built at install when a compiler is there) does each call with the GIL released and the
blocks split over threads; the pure-Python twin (:mod:`dvidpy.native.fallback`) does the same
on numpy and python-lz4. ``DVIDPY_NATIVE=0`` forces the twin. :data:`PATH` says which one runs;
the banner and ``/api/server/info`` ("Hot path") report it.

Functions (values are stored values in DVID's format; only plain, LZ4 and compressed
segmentation ones are handled, the indexes of others are returned for the caller's own decoding):

``decode_into(values, origins, dest, block_shape) -> skipped``
    each value decoded into its overlap of the 3-D array ``dest``; ``origins`` (n, 3) int64 is
    each block's first voxel (z, y, x) relative to ``dest``'s first voxel.
``encode_blocks(data, block_shape, chosen, kind, checksum) -> values``
    the stored values of the chosen blocks (numbers in ZYX order) of a block-aligned array.
``gather(values, starts, offsets, picks, out, block_shape) -> skipped``
    ``out[picks[k]] = block_j[offsets[k]]`` for the points ``starts[j]:starts[j+1]`` of block j;
    a block is decoded only as far as its largest offset.
``compose_segmentation(values, grid, rel, size, block, fill) -> bytes or None``
    neuroglancer's compressed_segmentation of a box from the stored values of its blocks (x
    fastest over ``grid``, None where none is stored) without decoding them; None when a block
    is stored in another encoding (see :func:`dvidpy.segmentation.compose`).
``lz4_compress(data)``, ``lz4_decompress(block, size)``: one raw LZ4 block.
``point_triples(body) -> (n, 3) int64 array or None``
    a JSON list of ``[x, y, z]`` plain integers read in one pass; None for any other text (the
    caller's ``json`` then says precisely what is wrong).
``json_uint64s(values) -> bytes``
    a 1-D uint64 array as compact JSON, ``b"[1,2,3]"``.

A corrupt or truncated value raises :class:`dvidpy.codecs.CorruptValue`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from dvidpy.codecs import CorruptValue
from dvidpy.native import fallback
from dvidpy.native.fallback import KINDS, Shape, paste, split_blocks

try:
    from dvidpy.native import _blocks
except ImportError:  # built without a compiler: the twin serves
    _blocks = None

if os.environ.get("DVIDPY_NATIVE", "1") == "0":
    _blocks = None

#: "compiled" or "fallback": which implementation this process runs.
PATH = "compiled" if _blocks is not None else "fallback"
#: Threads a compiled call splits its blocks over.
THREADS = max(1, min(4, os.cpu_count() or 1))

__all__ = ["KINDS", "PATH", "compose_segmentation", "decode_into", "encode_blocks", "gather", "json_uint64s",
           "lz4_compress", "lz4_decompress", "paste", "point_triples", "split_blocks"]


def _int64(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


if _blocks is not None:

    def decode_into(values: Sequence, origins: np.ndarray, dest: np.ndarray, block_shape: Shape) -> list[int]:
        try:
            return _blocks.decode_into(values, _int64(origins), dest, tuple(block_shape), THREADS)
        except ValueError as exc:
            raise CorruptValue(str(exc)) from None

    def encode_blocks(data: np.ndarray, block_shape: Shape, chosen: np.ndarray, kind: int,
                      checksum: int) -> list[bytes]:
        return _blocks.encode_blocks(np.ascontiguousarray(data), tuple(block_shape), _int64(chosen), int(kind),
                                     int(checksum), THREADS)

    def gather(values: Sequence, starts: np.ndarray, offsets: np.ndarray, picks: np.ndarray, out: np.ndarray,
               block_shape: Shape) -> list[int]:
        try:
            return _blocks.gather(values, _int64(starts), _int64(offsets), _int64(picks), out, tuple(block_shape),
                                  THREADS)
        except ValueError as exc:
            raise CorruptValue(str(exc)) from None

    def compose_segmentation(values: Sequence, grid: Shape, rel: Shape, size: Shape, block: Shape,
                             fill: int) -> bytes | None:
        try:
            return _blocks.compose_segmentation(values, tuple(grid), tuple(rel), tuple(size), tuple(block), int(fill))
        except ValueError as exc:
            raise CorruptValue(str(exc)) from None

    def lz4_compress(data) -> bytes:
        return _blocks.lz4_compress(data)

    def lz4_decompress(block, size: int) -> bytes:
        try:
            return _blocks.lz4_decompress(block, size)
        except ValueError as exc:
            raise CorruptValue(f"bad LZ4 block: {exc}") from None

    def point_triples(body: bytes) -> np.ndarray | None:
        raw = _blocks.parse_triples(body)
        return None if raw is None else np.frombuffer(raw, dtype=np.int64).reshape(-1, 3)

    def json_uint64s(values: np.ndarray) -> bytes:
        return _blocks.json_uint64s(np.ascontiguousarray(values, dtype=np.uint64))

else:
    compose_segmentation = fallback.compose_segmentation
    decode_into = fallback.decode_into
    encode_blocks = fallback.encode_blocks
    gather = fallback.gather
    lz4_compress = fallback.lz4_compress
    lz4_decompress = fallback.lz4_decompress
    point_triples = fallback.point_triples
    json_uint64s = fallback.json_uint64s
