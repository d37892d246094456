"""Label blocks stored in neuroglancer's compressed_segmentation encoding, and chunks made from them.

The encoding (neuroglancer's ``compressed_segmentation``, one channel of uint64 labels) cuts a
volume into 8x8x8 cells. Each cell has a two-word header (a 24-bit lookup-table offset and an
8-bit index width, then the offset of its packed indexes, both in uint32 words from the start of
the channel) and holds its voxels as indexes of 0, 1, 2, 4, 8, 16 or 32 bits into a table of the
labels it contains. Two things make it the storage form of label blocks here:

* a voxel is found without decoding anything else (a header, one word of indexes, one table
  entry), so label point queries touch a few words per point instead of a whole block;
* the chunks neuroglancer asks for (``raw/...?compression=googlegzip``) are this encoding of the
  chunk, which is the blocks' own cells with their headers moved: :func:`compose` writes them
  without decoding a voxel.

A stored payload is three little-endian uint32s (the block size x, y, z, each a multiple of 8)
then the block's bytes exactly as neuroglancer's format has them for a one-channel volume (a
channel offset word of 1, the cell headers in x-fastest order, then cell by cell its packed
indexes and its table, the labels in the order they first occur: DVID's encoder's layout).
Malformed payloads raise ``ValueError`` naming what is wrong; nothing here reads outside its
input. The compiled hot path (:mod:`dvidpy.native`) reads and writes the same bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

CELL = 8
#: The most cells a stored block may have: with 512 labels in every cell its tables still lie
#: within the 24-bit offsets of the cell headers.
MAX_CELLS = 8192
#: Words of packed indexes per bit of index width (a cell's 512 indexes).
WORDS_PER_BIT = CELL**3 // 32
#: The index widths the format allows.
WIDTHS = (0, 1, 2, 4, 8, 16, 32)
#: The largest table offset a cell header holds (24 bits, in words).
MAX_OFFSET = (1 << 24) - 1
_PREFIX = struct.Struct("<III")


def storable(block_size: Sequence[int]) -> bool:
    """Whether blocks of this size (x, y, z) can be stored in this encoding."""
    if not all(n > 0 and n % CELL == 0 for n in block_size):
        return False
    bx, by, bz = block_size
    return bx * by * bz // CELL**3 <= MAX_CELLS


def encode(block: np.ndarray) -> bytes:
    """The stored payload of one ``[z][y][x]`` block of uint64 labels, in DVID's layout: cell by
    cell, each cell's packed indexes then its table of labels in the order they first occur."""
    bz, by, bx = block.shape
    if not storable((bx, by, bz)):
        raise ValueError(f"block size {bx}x{by}x{bz} is not a multiple of {CELL} on every axis of at most "
                         f"{MAX_CELLS} cells")
    gx, gy, gz = bx // CELL, by // CELL, bz // CELL
    cells = np.asarray(block, dtype=np.uint64).reshape(gz, CELL, gy, CELL, gx, CELL).transpose(0, 2, 4, 1, 3, 5)
    labels = np.ascontiguousarray(cells).reshape(-1)
    n = gx * gy * gz
    voxels = CELL**3
    cell = np.repeat(np.arange(n), voxels)
    order = np.lexsort((labels, cell))  # by cell, then label; stable, so first occurrences lead
    new = np.ones(len(order), dtype=bool)
    new[1:] = (labels[order[1:]] != labels[order[:-1]]) | (cell[order[1:]] != cell[order[:-1]])
    group = np.cumsum(new) - 1  # each voxel's (cell, label) group, in sorted order
    first = order[new]  # where each group first occurs
    by_first = np.argsort(first, kind="stable")  # groups cell by cell, in order of first occurrence
    counts = np.bincount(cell[first], minlength=n)
    rank = np.empty(len(first), dtype=np.int64)
    rank[by_first] = np.arange(len(first)) - np.repeat(np.cumsum(counts) - counts, counts)
    index = np.empty(len(labels), dtype=np.int64)
    index[order] = rank[group]
    index = index.reshape(n, voxels)
    table = labels[first[by_first]]

    widths = np.select([counts <= 1, counts <= 2, counts <= 4, counts <= 16, counts <= 256, counts <= 65536],
                       [0, 1, 2, 4, 8, 16], 32)
    index_words = widths * WORDS_PER_BIT
    sizes = index_words + 2 * counts
    begin = 2 * n + np.concatenate(([0], np.cumsum(sizes)[:-1]))
    channel = np.empty(2 * n + int(sizes.sum()), dtype="<u4")
    channel[0 : 2 * n : 2] = (begin + index_words) | widths << 24
    channel[1 : 2 * n : 2] = begin
    for width in np.unique(widths[widths > 0]).tolist():
        mine = np.flatnonzero(widths == width)
        per_word = 32 // width
        parts = index[mine].reshape(len(mine), voxels // per_word, per_word) << (np.arange(per_word) * width)
        channel[_ranges(begin[mine], index_words[mine])] = parts.sum(axis=2, dtype=np.uint64).astype("<u4").ravel()
    at = _ranges(begin + index_words, 2 * counts)
    pairs = np.empty((len(table), 2), dtype="<u4")
    pairs[:, 0] = table & np.uint64(0xFFFFFFFF)
    pairs[:, 1] = table >> np.uint64(32)
    channel[at] = pairs.ravel()
    return _PREFIX.pack(bx, by, bz) + b"\x01\x00\x00\x00" + channel.tobytes()


class Cells:
    """The parsed cell headers of one stored payload (every field checked against its length)."""

    def __init__(self, payload: bytes | memoryview) -> None:
        view = memoryview(payload).cast("B")
        if len(view) < _PREFIX.size + 4 or (len(view) - _PREFIX.size) % 4:
            raise ValueError("truncated compressed segmentation block")
        self.size = _PREFIX.unpack_from(view)  # x, y, z
        if not storable(self.size):
            raise ValueError(f"compressed segmentation block size {self.size} is not a multiple of {CELL}")
        words = np.frombuffer(view, dtype="<u4", offset=_PREFIX.size)
        if words[0] != 1:
            raise ValueError("compressed segmentation block does not start its one channel at word 1")
        self.words = words[1:]
        self.grid = tuple(n // CELL for n in self.size)  # cells along x, y, z
        n = self.grid[0] * self.grid[1] * self.grid[2]
        if len(self.words) < 2 * n:
            raise ValueError("compressed segmentation block is shorter than its cell headers")
        head = self.words[: 2 * n].reshape(n, 2).astype(np.int64)
        self.tables = head[:, 0] & MAX_OFFSET
        self.widths = head[:, 0] >> 24
        self.indexes = head[:, 1]
        if not np.isin(self.widths, WIDTHS).all():
            raise ValueError("compressed segmentation cell has an index width the format does not allow")
        if (self.indexes + self.widths * WORDS_PER_BIT > len(self.words)).any():
            raise ValueError("compressed segmentation cell indexes run past the block")
        if (self.tables + 2 > len(self.words)).any():
            raise ValueError("compressed segmentation cell table runs past the block")
        if (self.tables < 2 * n).any() or ((self.indexes < 2 * n) & (self.widths > 0)).any():
            raise ValueError("compressed segmentation cell data overlaps the cell headers")

    @property
    def count(self) -> int:
        return len(self.tables)

    def spans(self) -> tuple[np.ndarray, np.ndarray]:
        """Each cell's data, ``[begin, end)`` in channel words: its indexes, then its table.
        Blocks are stored cell by cell in cell order (DVID's layout: one cell's data ends where
        the next begins), which anything else violates."""
        begin = np.where(self.widths > 0, self.indexes, self.tables)
        end = np.append(begin[1:], len(self.words))
        if (((self.widths > 0) & (self.tables != self.indexes + self.widths * WORDS_PER_BIT)) | (self.tables >= end)
                | ((end - self.tables) % 2 == 1)).any():
            raise ValueError("compressed segmentation cell is not stored in cell order")
        return begin, end

    def labels(self) -> np.ndarray:
        """Every cell's 512 labels, ``(cells, 512)`` in the cell's x-fastest order."""
        out = np.empty((self.count, CELL**3), dtype=np.uint64)
        n_words = len(self.words)
        for width in np.unique(self.widths).tolist():
            cells = np.flatnonzero(self.widths == width)
            if width == 0:
                index = np.zeros((len(cells), CELL**3), dtype=np.int64)
            else:
                per_word = 32 // width
                spans = self.indexes[cells, None] + np.arange(CELL**3 // per_word)
                packed = self.words[spans].astype(np.int64)
                shifts = np.arange(per_word, dtype=np.int64) * width
                index = ((packed[:, :, None] >> shifts) & ((1 << width) - 1)).reshape(len(cells), CELL**3)
            at = self.tables[cells, None] + 2 * index
            if (at + 1 >= n_words).any():
                raise ValueError("compressed segmentation index points past the block")
            out[cells] = self.words[at].astype(np.uint64) | self.words[at + 1].astype(np.uint64) << np.uint64(32)
        return out


def decode(payload: bytes | memoryview) -> np.ndarray:
    """The ``[z][y][x]`` uint64 block of a stored payload."""
    cells = Cells(payload)
    gx, gy, gz = cells.grid
    grid = cells.labels().reshape(gz, gy, gx, CELL, CELL, CELL)
    return np.ascontiguousarray(grid.transpose(0, 3, 1, 4, 2, 5)).reshape(gz * CELL, gy * CELL, gx * CELL)


def block_size(payload: bytes | memoryview) -> tuple[int, int, int]:
    """The block size (x, y, z) a stored payload says it has."""
    if len(payload) < _PREFIX.size:
        raise ValueError("truncated compressed segmentation block")
    return _PREFIX.unpack_from(payload)


def compose(blocks: Sequence[bytes | memoryview | None], grid: Sequence[int], rel: Sequence[int],
            size: Sequence[int], block_size: Sequence[int], fill: int) -> bytes | None:
    """Neuroglancer's compressed_segmentation of a box made from the stored payloads of the
    blocks it covers, without decoding them: each of the box's cells is its block cell's
    indexes and table, copied, with the header moved; so the answer is what DVID's encoder
    writes for the box.

    ``grid`` (x, y, z) is the box's blocks per axis and ``blocks`` their payloads, x fastest
    (None: not stored, read as ``fill``); ``rel`` (x, y, z) is the box's first voxel relative to
    the first block's and ``size`` its size, all multiples of 8. None when the answer would need
    table offsets past the format's 24 bits.
    """
    bsize = np.asarray(block_size, dtype=np.int64)
    gx, gy, gz = (n // CELL for n in size)
    cz, cy, cx = np.meshgrid(np.arange(gz), np.arange(gy), np.arange(gx), indexing="ij")
    vox = np.stack([cx.ravel(), cy.ravel(), cz.ravel()], axis=1) * CELL + np.asarray(rel, dtype=np.int64)
    block_xyz = vox // bsize
    which = (block_xyz[:, 2] * grid[1] + block_xyz[:, 1]) * grid[0] + block_xyz[:, 0]
    local = (vox - block_xyz * bsize) // CELL
    bgrid = bsize // CELL
    cell_in_block = (local[:, 2] * bgrid[1] + local[:, 1]) * bgrid[0] + local[:, 0]

    n_out = len(which)
    starts = np.zeros(n_out, dtype=np.int64)  # each answer cell's data in its block, [start, end)
    lengths = np.full(n_out, 2, dtype=np.int64)  # a missing block's cell: a one-label table
    tables = np.zeros(n_out, dtype=np.int64)
    widths = np.zeros(n_out, dtype=np.int64)
    source = np.full(n_out, -1, dtype=np.int64)  # the block each cell is copied from
    words = []
    for j, value in enumerate(blocks):
        mine = np.flatnonzero(which == j)
        if value is None or not len(mine):
            continue
        cells = Cells(value)
        if cells.size != tuple(block_size):
            raise ValueError(f"compressed segmentation block of size {cells.size}, expected {tuple(block_size)}")
        begin, end = cells.spans()
        picked = cell_in_block[mine]
        starts[mine] = begin[picked]
        lengths[mine] = end[picked] - begin[picked]
        tables[mine] = cells.tables[picked]
        widths[mine] = cells.widths[picked]
        source[mine] = len(words)
        words.append(cells.words)
    at = 2 * n_out + np.concatenate(([0], np.cumsum(lengths)[:-1]))  # where each cell's data goes
    total = 2 * n_out + int(lengths.sum())
    if total > MAX_OFFSET:
        return None
    channel = np.empty(total, dtype="<u4")
    channel[0 : 2 * n_out : 2] = np.where(source >= 0, at + tables - starts, at) | widths << 24
    channel[1 : 2 * n_out : 2] = at
    for k, data in enumerate(words):
        mine = np.flatnonzero(source == k)
        channel[_ranges(at[mine], lengths[mine])] = data[_ranges(starts[mine], lengths[mine])]
    missing = np.flatnonzero(source < 0)
    channel[at[missing]] = fill & 0xFFFFFFFF
    channel[at[missing] + 1] = fill >> 32
    return b"\x01\x00\x00\x00" + channel.tobytes()


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenation of ``range(s, s + n)`` for each start and length."""
    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return offsets + np.arange(int(lengths.sum()))
