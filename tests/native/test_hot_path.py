"""The compiled hot path and its pure-Python twin give the same arrays and the same stored
values, refuse the same broken values, and the server says which one it runs."""

from __future__ import annotations

import os
import subprocess
import sys

import lz4.block
import numpy as np
import pytest

from dvidpy import native
from dvidpy.codecs import Checksum, Compression, CorruptValue, Kind, deserialize, serialize
from dvidpy.native import fallback

BLOCK = (8, 16, 32)  # z, y, x: unequal sides catch a swapped axis
DTYPES = [np.uint8, np.uint16, np.uint32, np.uint64, np.float32, np.float64]


def blocks_of(dtype, n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return [rng.standard_normal(BLOCK).astype(dtype) for _ in range(n)]
    return [rng.integers(0, min(np.iinfo(dtype).max, 2**40), BLOCK, dtype=dtype, endpoint=True) for _ in range(n)]


def stored(blocks, kind=Kind.LZ4, checksum=Checksum.NONE) -> list[bytes]:
    return [serialize(np.ascontiguousarray(b).tobytes(), Compression(kind), checksum) for b in blocks]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("kind, checksum", [(Kind.LZ4, Checksum.NONE), (Kind.LZ4, Checksum.CRC32),
                                            (Kind.NONE, Checksum.NONE), (Kind.NONE, Checksum.CRC32)])
def test_decode_into_an_unaligned_box_matches_the_twin(compiled, dtype, kind, checksum):
    blocks = blocks_of(dtype, 12, seed=1)
    values = stored(blocks, kind, checksum)
    dest_shape = (13, 21, 45)  # cut through blocks on every side
    origins = np.array([[z, y, x] for z in (-3, 5) for y in (-10, 6, 16) for x in (-20, 30)], dtype=np.int64)
    expected = np.full(dest_shape, 7, dtype=dtype)
    got = expected.copy()
    assert fallback.decode_into(values, origins, expected, BLOCK) == []
    assert compiled.decode_into(values, origins, got, BLOCK, 2) == []
    assert got.tobytes() == expected.tobytes()
    z, y, x = origins[0]
    assert np.array_equal(got[0 : z + 8, 0 : y + 16, 0 : x + 32], blocks[0][-z:, -y:, -x:])


def test_decode_into_a_strided_destination(compiled):
    blocks = blocks_of(np.uint16, 2, seed=2)
    values = stored(blocks)
    origins = np.array([[0, 0, 0], [0, 0, 32]], dtype=np.int64)
    base = np.zeros((8, 16, 128), dtype=np.uint16)
    view = base[:, :, ::2]  # every other voxel along x
    compiled.decode_into(values, origins, view, BLOCK, 1)
    assert np.array_equal(view[:, :, :32], blocks[0]) and np.array_equal(view[:, :, 32:], blocks[1])
    assert not base[:, :, 1::2].any()


def test_other_kinds_are_left_to_the_caller(compiled):
    blocks = blocks_of(np.uint8, 3, seed=3)
    values = [stored(blocks[:1])[0], serialize(blocks[1].tobytes(), Compression(Kind.GZIP)),
              serialize(blocks[2].tobytes(), Compression(Kind.SNAPPY))]
    origins = np.zeros((3, 3), dtype=np.int64)
    for implementation in (lambda *a: compiled.decode_into(*a, 1), fallback.decode_into):
        dest = np.zeros(BLOCK, dtype=np.uint8)
        assert implementation(values, origins, dest, BLOCK) == [1, 2]
        assert np.array_equal(dest, blocks[0])


@pytest.mark.parametrize("value, message", [
    (b"", "empty stored value"),
    (b"\x88\x00\x00", "truncated checksum"),
    (b"\x88\x00\x00\x00\x00abc", "Bad checksum"),
    (b"\x80\x10", "truncated LZ4 size"),
    (b"\x80\x10\x00\x00\x00\x10", "LZ4 block's stored size is not the block's size"),
    (b"\x00abc", "uncompressed block has the wrong size"),
])
def test_broken_values_are_refused_on_both_paths(compiled, value, message):
    dest = np.zeros(BLOCK, dtype=np.uint8)
    origins = np.zeros((1, 3), dtype=np.int64)
    with pytest.raises(ValueError, match=f"^{message} \\(block 0 of the request\\)$"):
        compiled.decode_into([value], origins, dest, BLOCK, 1)
    with pytest.raises(CorruptValue):
        fallback.decode_into([value], origins, dest, BLOCK)
    with pytest.raises(CorruptValue):
        native.decode_into([value], origins, dest, BLOCK)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("kind, checksum", [(Kind.LZ4, Checksum.NONE), (Kind.LZ4, Checksum.CRC32),
                                            (Kind.NONE, Checksum.CRC32)])
def test_encode_blocks_gives_values_every_reader_decodes(compiled, dtype, kind, checksum):
    grid = (2, 3, 2)
    parts = np.stack(blocks_of(dtype, 12, seed=4)).reshape(grid + BLOCK)
    array = np.ascontiguousarray(parts.transpose(0, 3, 1, 4, 2, 5)).reshape(tuple(g * b for g, b in zip(grid, BLOCK)))
    chosen = np.array([0, 3, 4, 11], dtype=np.int64)
    ours = compiled.encode_blocks(array, BLOCK, chosen, int(kind), int(checksum), 2)
    theirs = fallback.encode_blocks(array, BLOCK, chosen, int(kind), int(checksum))
    split = fallback.split_blocks(array, BLOCK)
    for value, twin, number in zip(ours, theirs, chosen.tolist()):
        assert value[0] == twin[0] == (int(kind) << 5 | int(checksum) << 3)
        assert deserialize(value) == deserialize(twin) == split[number].tobytes()
        if kind == Kind.LZ4:
            head = 5 if checksum else 1
            assert lz4.block.decompress(value[head:]) == split[number].tobytes()  # size prefix + block


def test_encode_refuses_a_ragged_array(compiled):
    with pytest.raises(ValueError, match="not a whole number of blocks"):
        compiled.encode_blocks(np.zeros((8, 16, 33), np.uint8), BLOCK, np.zeros(1, np.int64), 4, 0, 1)
    with pytest.raises(IndexError, match="outside the array"):
        compiled.encode_blocks(np.zeros((8, 16, 32), np.uint8), BLOCK, np.array([1], np.int64), 4, 0, 1)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint64, np.float32], ids=str)
def test_gather_matches_the_twin(compiled, dtype):
    blocks = blocks_of(dtype, 4, seed=5)
    values = [*stored(blocks[:2]), None, *stored(blocks[3:])]
    rng = np.random.default_rng(6)
    counts = [5, 1, 3, 7]
    starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    offsets = rng.integers(0, int(np.prod(BLOCK)), starts[-1]).astype(np.int64)
    offsets[0] = int(np.prod(BLOCK)) - 1  # the last voxel: the whole block is decoded
    picks = rng.permutation(starts[-1]).astype(np.int64)
    out = np.full(starts[-1], 99, dtype=dtype)
    twin = out.copy()
    assert compiled.gather(values, starts, offsets, picks, out, BLOCK, 2) == []
    assert fallback.gather(values, starts, offsets, picks, twin, BLOCK) == []
    assert out.tobytes() == twin.tobytes()
    for j, value in enumerate(values):
        s, e = starts[j], starts[j + 1]
        want = np.full(e - s, 99, dtype) if value is None else blocks[j].reshape(-1)[offsets[s:e]]
        assert np.array_equal(out[picks[s:e]], want)


def test_gather_checks_its_indexes(compiled):
    values = stored(blocks_of(np.uint8, 1, seed=7))
    out = np.zeros(2, np.uint8)
    with pytest.raises(IndexError):
        compiled.gather(values, np.array([0, 2], np.int64), np.array([0, 4096], np.int64), np.array([0, 1], np.int64),
                        out, BLOCK, 1)
    with pytest.raises(IndexError):
        compiled.gather(values, np.array([0, 2], np.int64), np.array([0, 1], np.int64), np.array([0, 2], np.int64),
                        out, BLOCK, 1)


def test_the_path_follows_the_environment(compiled):
    probe = "import dvidpy.native as n; print(n.PATH)"
    for setting, path in (("0", "fallback"), ("1", "compiled")):
        env = dict(os.environ, DVIDPY_NATIVE=setting)
        out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
        assert out.stdout == f"{path}\n", out.stderr


@pytest.mark.parametrize("path", ["compiled", "fallback"])
def test_a_corrupt_stored_block_is_a_400_on_both_paths(make_dvid, monkeypatch, request, path):
    """A damaged value in the store answers 400 naming it, on either path, for reads and point
    queries. (A point query decodes a block only as far as its points: the compiled path reads
    a point before the damage correctly, as the twin refuses it.)"""
    if path == "compiled":
        request.getfixturevalue("compiled")
        assert native.PATH == "compiled" or os.environ.get("DVIDPY_NATIVE") == "0"
    if path == "fallback" or native.PATH == "fallback":
        path = "fallback"
        for name in ("decode_into", "encode_blocks", "gather", "point_triples", "json_uint64s"):
            monkeypatch.setattr(native, name, getattr(fallback, name))
    dvid = make_dvid()
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "gray")
    dvid.new_instance(uuid, "labelblk", "seg", Compression="lz4")  # (compressed segmentation: test_label_storage.py)
    dvid.ok("POST", f"/api/node/{uuid}/gray/raw/0_1_2/64_32_32/0_0_0", content=bytes(range(256)) * 256)
    dvid.ok("POST", f"/api/node/{uuid}/seg/raw/0_1_2/32_32_32/0_0_0", content=np.arange(32**3, dtype="<u8").tobytes())
    first_block = bytes.fromhex("1701" "80000000" "80000000" "80000000")  # class 23, block (0, 0, 0)
    with dvid.server.engine.writing() as txn:
        damaged = [(bytes(k), bytes(v)) for k, v in txn.scan(b"\x01", b"\x02") if k[5:19] == first_block]
        for key, good in damaged:
            txn.put(key, good[:-40])  # a truncated LZ4 block
    assert len(damaged) == 2  # one per instance
    for url in (f"/api/node/{uuid}/gray/raw/0_1_2/64_32_32/0_0_0", f"/api/node/{uuid}/seg/raw/0_1_2/32_32_32/0_0_0",
                f"/api/node/{uuid}/seg/label/31_31_31"):
        r = dvid.get(url)
        assert r.status_code == 400, (url, r.status_code, r.text)
        assert r.text.startswith("stored block could not be decoded: "), r.text
    r = dvid.post(f"/api/node/{uuid}/seg/labels", content=b"[[31,31,31],[40,0,0]]")
    assert r.status_code == 400 and r.text.startswith("stored block could not be decoded: ")
    early = dvid.get(f"/api/node/{uuid}/seg/label/3_2_1")
    assert (early.status_code, early.text) == ((200, '{"Label": 1091}') if path == "compiled" else (400, early.text))
    volume = np.frombuffer(bytes(range(256)) * 256, dtype=np.uint8).reshape(32, 32, 64)
    beside = dvid.ok("GET", f"/api/node/{uuid}/gray/raw/0_1_2/32_32_32/32_0_0").content
    assert beside == volume[:, :, 32:].tobytes()  # the undamaged block beside it still reads
