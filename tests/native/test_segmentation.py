"""Label blocks in neuroglancer's compressed_segmentation encoding: the compiled codec, the numpy
twin and the compressed_segmentation package agree on every block; chunks composed from stored
blocks decode to exactly the box's labels; damaged payloads are refused, never read out of bounds."""

from __future__ import annotations

import compressed_segmentation
import numpy as np
import pytest

from dvidpy import segmentation
from dvidpy.codecs import Checksum, Compression, CorruptValue, Kind, deserialize, serialize
from dvidpy.native import fallback

SHAPES = [(8, 8, 8), (8, 16, 32), (32, 32, 32), (16, 8, 64)]  # z, y, x


def labels(shape, distinct: int, seed: int) -> np.ndarray:
    """Labels with ``distinct`` values per block (wide ones, so both words of a table entry count)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, distinct, shape).astype(np.uint64) * np.uint64(0x1_0000_0001) + np.uint64(2**63)


def package_decode(payload: bytes, shape) -> np.ndarray:
    bz, by, bx = shape
    xyz = compressed_segmentation.decompress(bytes(payload[12:]), (bx, by, bz), np.uint64, (8, 8, 8), order="F")
    return xyz.transpose(2, 1, 0)


def encode_compiled(compiled, block: np.ndarray, checksum=0) -> bytes:
    [value] = compiled.encode_blocks(np.ascontiguousarray(block), block.shape, np.zeros(1, np.int64), 6, checksum, 1)
    return value


def decode_compiled(compiled, value: bytes, shape) -> np.ndarray:
    out = np.zeros(shape, np.uint64)
    assert compiled.decode_into([value], np.zeros((1, 3), np.int64), out, shape, 1) == []
    return out


# Every index width: 1 label (0 bits), 2 (1), 3-4 (2), 5-16 (4), 17-256 (8), 257-512 (16).
@pytest.mark.parametrize("distinct", [1, 2, 3, 16, 17, 256, 257, 100_000])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_compiled_twin_and_package_read_each_others_blocks(compiled, shape, distinct):
    block = labels(shape, distinct, seed=distinct)
    ours = encode_compiled(compiled, block)
    twin = serialize(block.tobytes(), Compression(Kind.SEGMENTATION), block_size=shape[::-1])
    for value in (ours, twin):
        assert value[0] == 6 << 5
        assert np.array_equal(decode_compiled(compiled, value, shape), block)
        assert np.array_equal(segmentation.decode(value[1:]), block)
        assert np.array_equal(package_decode(value[1:], shape), block)
        assert deserialize(value) == block.tobytes()


def test_sorted_and_uniform_blocks_and_a_checksum(compiled):
    block = np.sort(labels((32, 32, 32), 40, seed=3), axis=2)
    for checksum in (0, 1):
        value = encode_compiled(compiled, block, checksum)
        assert value[0] == 6 << 5 | checksum << 3
        assert np.array_equal(decode_compiled(compiled, value, block.shape), block)
    uniform = np.full((32, 32, 32), 7, np.uint64)
    value = encode_compiled(compiled, uniform)
    assert np.array_equal(decode_compiled(compiled, value, uniform.shape), uniform)
    # the format byte, the size prefix and channel word, and 64 cells of a header and a 1-entry table
    assert len(value) == 1 + 16 + 64 * 8 + 64 * 8


def test_point_reads_without_decoding_match_the_block(compiled):
    block = labels((16, 8, 64), 300, seed=4)
    value = encode_compiled(compiled, block)
    rng = np.random.default_rng(5)
    offsets = rng.integers(0, block.size, 500).astype(np.int64)
    out = np.zeros(500, np.uint64)
    assert compiled.gather([value], np.array([0, 500], np.int64), offsets, np.arange(500, dtype=np.int64), out,
                           block.shape, 1) == []
    assert np.array_equal(out, block.reshape(-1)[offsets])


def test_a_block_of_another_size_is_refused(compiled):
    value = encode_compiled(compiled, labels((8, 16, 32), 3, seed=6))
    with pytest.raises(ValueError, match="not of this instance's block size"):
        compiled.decode_into([value], np.zeros((1, 3), np.int64), np.zeros((32, 16, 8), np.uint64), (32, 16, 8), 1)
    with pytest.raises(CorruptValue, match="not of this instance's block size"):
        fallback.decode_into([value], np.zeros((1, 3), np.int64), np.zeros((32, 16, 8), np.uint64), (32, 16, 8))


def test_storable_sizes():
    assert segmentation.storable((32, 32, 32)) and segmentation.storable((8, 16, 64))
    assert not segmentation.storable((30, 32, 32)) and not segmentation.storable((0, 8, 8))
    assert segmentation.storable((128, 128, 256)) and not segmentation.storable((256, 256, 128))  # 8192 cells at most


def test_random_damage_is_decoded_or_refused_never_read_out_of_bounds(compiled):
    """Run under AddressSanitizer by .ci/asan-native: any out-of-bounds access aborts."""
    rng = np.random.default_rng(7)
    shape = (16, 16, 16)
    good = [encode_compiled(compiled, labels(shape, d, seed=d)) for d in (1, 2, 5, 40, 300)]
    refused = decoded = 0
    for trial in range(3000):
        value = bytearray(good[trial % len(good)])
        for _ in range(int(rng.integers(1, 4))):
            value[int(rng.integers(1, len(value)))] = int(rng.integers(0, 256))
        if trial % 7 == 0:
            value = value[: int(rng.integers(1, len(value)))]
        value = bytes(value)
        outcomes = []
        try:
            decode_compiled(compiled, value, shape)
            outcomes.append("ok")
        except ValueError:
            outcomes.append("refused")
        try:
            segmentation.decode(value[1:])
        except ValueError:
            pass
        out = np.zeros(64, np.uint64)
        try:
            compiled.gather([value], np.array([0, 64], np.int64), np.arange(0, 4096, 64, dtype=np.int64),
                            np.arange(64, dtype=np.int64), out, shape, 1)
        except ValueError:
            pass
        try:
            compiled.compose_segmentation([value], (1, 1, 1), (0, 0, 0), (16, 16, 16), (16, 16, 16), 0)
        except ValueError:
            pass
        refused += outcomes == ["refused"]
        decoded += outcomes == ["ok"]
    assert refused > 1000 and decoded > 100  # both outcomes are exercised


def test_every_truncation_is_refused(compiled):
    value = encode_compiled(compiled, labels((8, 8, 16), 5, seed=8))
    for n in range(1, len(value)):
        with pytest.raises(ValueError):
            decode_compiled(compiled, value[:n], (8, 8, 16))
        with pytest.raises(ValueError):
            segmentation.decode(value[1:n])


# -- chunks composed from stored blocks ----------------------------------------------------------


def volume_blocks(compiled, vol: np.ndarray, block, missing=()):
    """The stored values of ``vol``'s blocks, x fastest, None for the ``missing`` numbers."""
    bz, by, bx = block
    values = []
    for z in range(0, vol.shape[0], bz):
        for y in range(0, vol.shape[1], by):
            for x in range(0, vol.shape[2], bx):
                values.append(encode_compiled(compiled, vol[z : z + bz, y : y + by, x : x + bx]))
    for j in missing:
        values[j] = None
    return values


@pytest.mark.parametrize("rel, size", [((0, 0, 0), (64, 64, 64)), ((8, 16, 24), (48, 40, 8)),
                                       ((0, 0, 0), (128, 96, 64)), ((64, 32, 0), (64, 64, 64))])
def test_composed_chunks_are_the_boxs_labels_on_both_paths(compiled, rel, size):
    block = (32, 16, 32)  # z, y, x
    vol = np.sort(labels((64, 96, 128), 60, seed=9), axis=1)
    values = volume_blocks(compiled, vol, block, missing=(1, 9))
    grid = (4, 6, 2)  # x, y, z
    want = vol.copy()
    for j in (1, 9):
        x, y, z = j % 4, (j // 4) % 6, j // 24
        want[z * 32 : (z + 1) * 32, y * 16 : (y + 1) * 16, x * 32 : (x + 1) * 32] = 99
    ours = compiled.compose_segmentation(values, grid, rel, size, block[::-1], 99)
    twin = fallback.compose_segmentation(values, grid, rel, size, block[::-1], 99)
    assert ours == twin
    (x0, y0, z0), (sx, sy, sz) = rel, size
    box = want[z0 : z0 + sz, y0 : y0 + sy, x0 : x0 + sx]
    got = compressed_segmentation.decompress(ours, size, np.uint64, (8, 8, 8), order="F").transpose(2, 1, 0)
    assert np.array_equal(got, box)
    assert ours == segmentation.encode(box)[12:]  # byte for byte what encoding the box's labels gives


def test_a_chunk_of_one_whole_block_is_the_stored_block(compiled):
    vol = labels((64, 64, 64), 20, seed=10)
    [value] = volume_blocks(compiled, vol, (64, 64, 64))
    for compose in (compiled.compose_segmentation, fallback.compose_segmentation):
        chunk = compose([value], (1, 1, 1), (0, 0, 0), (64, 64, 64), (64, 64, 64), 0)
        assert chunk == value[13:]  # the stored block without its format byte and size prefix


def test_blocks_are_written_as_dvid_and_neuroglancer_write_them(compiled):
    """Cell by cell: packed indexes, then the labels in the order they first occur, no table
    shared (DVID's encoder; neuroglancer's package shares equal tables, and otherwise agrees)."""
    block = labels((8, 8, 16), 3, seed=12)
    value = encode_compiled(compiled, block)
    assert value[1:] == segmentation.encode(block)
    for c, cell in enumerate((block[:, :, :8], block[:, :, 8:])):
        flat = cell.reshape(-1)
        _, first = np.unique(flat, return_index=True)
        table = flat[np.sort(first)]
        head = np.frombuffer(value, "<u4", 2, 1 + 16 + 8 * c)
        width, start = int(head[0] >> 24), int(head[1])
        assert width == 2 and head[0] & 0xFFFFFF == start + 32
        packed = np.frombuffer(value, "<u4", 32, 1 + 16 + 4 * start)
        indexes = ((packed[:, None] >> (np.arange(16, dtype=np.uint32) * 2)) & 3).reshape(-1)
        assert np.array_equal(table[indexes], flat)
        assert np.array_equal(np.frombuffer(value, "<u8", 3, 1 + 16 + 4 * (start + 32)), table)


def test_a_block_in_another_encoding_is_left_to_the_caller(compiled):
    vol = labels((16, 16, 16), 4, seed=11)
    lz4 = serialize(vol.tobytes(), Compression(Kind.LZ4), Checksum.NONE)
    for compose in (compiled.compose_segmentation, fallback.compose_segmentation):
        assert compose([lz4], (1, 1, 1), (0, 0, 0), (16, 16, 16), (16, 16, 16), 0) is None
