"""Creation settings real clients send that DVID accepts: ``"Compression": "snappy"`` (neuclease)
and a single ``VoxelUnits`` (DVID's help), through the HTTP API and back."""

from __future__ import annotations

import cramjam
import numpy as np
import pytest
from conftest import block_records, error_message

from dvidpy.codecs import Compression, CorruptValue, Kind, deserialize, serialize

RNG = np.random.default_rng(7)


def test_snappy_values_are_gos_block_format():
    """Known answers of Go's snappy.Encode: varint length, then a literal tag (len-1)<<2."""
    assert serialize(b"a", Compression(Kind.SNAPPY)) == bytes([Kind.SNAPPY << 5]) + b"\x01\x00a"
    assert serialize(b"hello", Compression(Kind.SNAPPY))[1:] == b"\x05\x10hello"
    data = bytes(RNG.integers(0, 4, 100_000, dtype=np.uint8))
    stored = serialize(data, Compression(Kind.SNAPPY))
    assert stored[0] == 0x20 and bytes(cramjam.snappy.decompress_raw(stored[1:])) == data
    assert deserialize(stored) == data
    with pytest.raises(CorruptValue, match="bad snappy value"):
        deserialize(stored[:50])


@pytest.mark.parametrize("typename, dtype", [("uint8blk", np.uint8), ("uint16blk", np.uint16), ("labelblk", np.uint64)])
def test_snappy_instances_round_trip(dvid, typename, dtype):
    root = dvid.new_repo()
    dvid.new_instance(root, typename, "s", Compression="snappy", BlockSize="32,32,32")
    base = dvid.ok("GET", f"/api/node/{root}/s/info").json()["Base"]
    assert base["Compression"] == "Go Snappy compression, level -1"
    volume = RNG.integers(0, 50, (32, 32, 64), dtype=dtype)
    dvid.ok("POST", f"/api/node/{root}/s/raw/0_1_2/64_32_32/0_0_0", content=volume.tobytes())
    back = dvid.ok("GET", f"/api/node/{root}/s/raw/0_1_2/64_32_32/0_0_0").content
    assert back == volume.tobytes()
    if typename == "labelblk":
        return
    stream = dvid.ok("GET", f"/api/node/{root}/s/subvolblocks/64_32_32/0_0_0").content
    records = block_records(stream)
    assert [c for c, _ in records] == [(0, 0, 0), (1, 0, 0)]
    for (bx, _, _), data in records:
        assert bytes(cramjam.snappy.decompress_raw(data)) == volume[:, :, bx * 32:(bx + 1) * 32].tobytes()
    raw = dvid.ok("GET", f"/api/node/{root}/s/subvolblocks/64_32_32/0_0_0?compression=uncompressed").content
    assert [d for _, d in block_records(raw)] == [volume[:, :, :32].tobytes(), volume[:, :, 32:].tobytes()]


def test_snappy_instances_survive_a_restart(dvid):
    root = dvid.new_repo()
    dvid.new_instance(root, "uint8blk", "s", Compression="snappy")
    volume = RNG.integers(0, 255, (32, 32, 32), dtype=np.uint8).tobytes()
    dvid.ok("POST", f"/api/node/{root}/s/raw/0_1_2/32_32_32/0_0_0", content=volume)
    dvid.restart()
    assert dvid.ok("GET", f"/api/node/{root}/s/raw/0_1_2/32_32_32/0_0_0").content == volume


@pytest.mark.parametrize("typename", ["uint8blk", "labelblk"])
def test_one_voxel_unit_names_all_three_axes(dvid, typename):
    root = dvid.new_repo()
    dvid.new_instance(root, typename, "v", VoxelUnits="nanometers")
    assert dvid.ok("GET", f"/api/node/{root}/v/info").json()["Extended"]["VoxelUnits"] == ["nanometers"] * 3
    dvid.new_instance(root, typename, "w", VoxelUnits="microns, microns, nanometers")
    assert dvid.ok("GET", f"/api/node/{root}/w/info").json()["Extended"]["VoxelUnits"] == [
        "microns", "microns", "nanometers"]


def test_two_voxel_units_are_refused(dvid):
    root = dvid.new_repo()
    path = f"/api/repo/{root}/instance"
    r = dvid.post(path, json={"typename": "uint8blk", "dataname": "v", "VoxelUnits": "nm,nm"})
    assert error_message(r, path) == "VoxelUnits must name 1 or 3 units, not 2: 'nm,nm'"
    assert dvid.ok("GET", f"/api/repo/{root}/info").json()["DataInstances"] == {}
