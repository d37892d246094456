"""The compiled LZ4 block codec against python-lz4, both ways, and against broken input."""

from __future__ import annotations

import os

import lz4.block
import numpy as np
import pytest

from dvidpy.benchmarks.volumes import grayscale, labels

RNG = np.random.default_rng(7)

CASES = {
    "empty": b"",
    "one byte": b"x",
    "twelve bytes": b"abcdefghijkl",
    "thirteen bytes": b"abcabcabcabca",
    "random": RNG.integers(0, 256, 100_000, dtype=np.uint8).tobytes(),
    "zeros, a 64^3 uint64 block": bytes(64**3 * 8),
    "zeros, 16 MiB": bytes(16 << 20),
    "a short period": b"\x01\x02\x03" * 50_000,
    "labels": labels(64)[:32, :32, :32].tobytes(),
    "grayscale": grayscale(64)[:32, :32, :32].tobytes(),
    "repeats beyond the 64 KiB window": os.urandom(70_000) * 3,
    "a counter": np.arange(1 << 16, dtype=np.uint32).tobytes(),
}


@pytest.mark.parametrize("name", CASES)
def test_our_blocks_decode_with_python_lz4(compiled, name):
    data = CASES[name]
    block = compiled.lz4_compress(data)
    assert len(block) <= len(data) + len(data) // 255 + 16
    assert lz4.block.decompress(block, uncompressed_size=len(data)) == data


@pytest.mark.parametrize("name", CASES)
def test_python_lz4_blocks_decode_with_ours(compiled, name):
    data = CASES[name]
    for mode in ("default", "high_compression"):
        block = lz4.block.compress(data, mode=mode, store_size=False)
        assert compiled.lz4_decompress(block, len(data)) == data


def test_compressible_data_shrinks_as_with_python_lz4(compiled):
    for name in ("zeros, a 64^3 uint64 block", "a short period", "labels"):
        ours, theirs = len(compiled.lz4_compress(CASES[name])), len(lz4.block.compress(CASES[name], store_size=False))
        assert ours <= theirs * 1.1, name


@pytest.mark.parametrize("block, size, message", [
    (b"", 10, "truncated LZ4 block"),
    (b"\xf0", 20, "truncated LZ4 literal length"),
    (b"\x50abc", 5, "LZ4 literals run past the end of the value"),
    (b"\x50abcde", 4, "LZ4 literals run past the stored size"),
    (b"\x40abcd\x01", 10, "truncated LZ4 match offset"),
    (b"\x40abcd\x05\x00", 10, "LZ4 match offset points before the start of the block"),
    (b"\x40abcd\x00\x00", 10, "LZ4 match offset points before the start of the block"),
    (b"\x4fabcd\x01\x00", 40, "truncated LZ4 match length"),
    (b"\x44abcd\x01\x00", 8, "LZ4 match runs past the stored size"),
    (b"\x50abcde", 6, "LZ4 block decodes to fewer bytes than its stored size"),
])
def test_broken_blocks_are_refused_with_the_reason(compiled, block, size, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        compiled.lz4_decompress(block, size)


def test_every_truncation_of_a_block_is_refused(compiled):
    data = CASES["labels"]
    block = lz4.block.compress(data, store_size=False)
    for n in range(len(block)):
        with pytest.raises(ValueError):
            compiled.lz4_decompress(block[:n], len(data))


def test_random_damage_is_decoded_or_refused_never_read_out_of_bounds(compiled):
    """Thousands of mutated blocks: each one decodes to exactly its size or is refused
    (run under AddressSanitizer by .ci/asan-native, which catches any access out of bounds)."""
    rng = np.random.default_rng(11)
    sources = [CASES["labels"], CASES["grayscale"], CASES["a short period"][:5000]]
    refused = 0
    for i in range(3000):
        data = sources[i % len(sources)]
        block = bytearray(lz4.block.compress(data, store_size=False))
        for _ in range(int(rng.integers(1, 4))):
            block[int(rng.integers(0, len(block)))] = int(rng.integers(0, 256))
        if i % 7 == 0:
            block = block[: int(rng.integers(0, len(block)))]
        try:
            out = compiled.lz4_decompress(bytes(block), len(data))
        except ValueError:
            refused += 1
        else:
            assert len(out) == len(data)
    assert 0 < refused < 3000


def test_crc32_is_zlibs(compiled):
    import zlib
    for data in (b"", b"hello", CASES["random"]):
        assert compiled.crc32(data) == zlib.crc32(data)


@pytest.mark.parametrize("period", [1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31])
def test_matches_of_every_period_and_length_decode_exactly(compiled, period):
    """Runs of one short pattern of each length up to 300, and at the very end of the output,
    take every copy path of the decoder (byte-wise, 8 and 16 bytes at a time)."""
    rng = np.random.default_rng(period)
    pieces = []
    for length in range(1, 300, 7):
        pattern = rng.integers(0, 256, period, dtype=np.uint8).tobytes()
        pieces.append((pattern * (length // period + 2))[: length + period])
    data = b"".join(pieces)
    for end in (len(data), len(data) - 3, len(data) - 17):
        chunk = data[:end]
        assert compiled.lz4_decompress(lz4.block.compress(chunk, store_size=False), len(chunk)) == chunk
        assert lz4.block.decompress(compiled.lz4_compress(chunk), uncompressed_size=len(chunk)) == chunk
