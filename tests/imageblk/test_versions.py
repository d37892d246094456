"""Versions: copy-on-write children (raw, blocks and slices), branches keeping their own writes,
locked nodes refusing writes, unversioned instances shared by every version, extents growing per
version and persisting, and concurrent writes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from .volumes import decode_2d, get, info, put, rand, raw_url, xor_volume


def test_versions_copy_on_write(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint16blk", "img")
    parent = rand("uint16blk", (32, 32, 64), seed=51)
    put(dvid, uuid, "img", parent, (0, 0, 0))
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    patch = rand("uint16blk", (32, 32, 32), seed=52)
    put(dvid, child, "img", patch, (32, 0, 0))
    assert get(dvid, uuid, "img", "uint16blk", (64, 32, 32), (0, 0, 0)).tobytes() == parent.tobytes()
    want = parent.copy()
    want[:, :, 32:] = patch
    assert get(dvid, child, "img", "uint16blk", (64, 32, 32), (0, 0, 0)).tobytes() == want.tobytes()
    # blocks, block streams and slices see the version's blocks too
    assert dvid.ok("GET", f"/api/node/{uuid}/img/blocks/1_0_0/1").content == parent[:, :, 32:].tobytes()
    assert dvid.ok("GET", f"/api/node/{child}/img/blocks/1_0_0/1").content == patch.tobytes()
    img = decode_2d("uint16blk", dvid.ok("GET", f"/api/node/{uuid}/img/raw/xy/64_32/0_0_4").content)
    assert np.array_equal(img, parent[4])


def test_branches_keep_their_own_writes(gray):
    dvid, uuid = gray
    base = xor_volume((0, 0, 0), (32, 32, 32))
    put(dvid, uuid, "grayscale", base, (0, 0, 0))
    dvid.commit(uuid)
    a = dvid.branch(uuid, "a")
    b = dvid.branch(uuid, "b")
    put(dvid, a, "grayscale", np.full((32, 32, 32), 1, np.uint8), (0, 0, 0))
    put(dvid, b, "grayscale", np.full((32, 32, 32), 2, np.uint8), (0, 0, 0))
    assert (get(dvid, a, "grayscale", "uint8blk", (32, 32, 32), (0, 0, 0)) == 1).all()
    assert (get(dvid, b, "grayscale", "uint8blk", (32, 32, 32), (0, 0, 0)) == 2).all()
    assert get(dvid, uuid, "grayscale", "uint8blk", (32, 32, 32), (0, 0, 0)).tobytes() == base.tobytes()


@pytest.mark.parametrize("path, body", [
    ("raw/0_1_2/32_32_32/0_0_0", bytes(32768)),
    ("blocks/0_0_0/1", bytes(32768)),
    ("extents", b'{"MinPoint":[0,0,0],"MaxPoint":[1,1,1]}'),
])
def test_locked_node_refuses_writes(filled, path, body):
    dvid, uuid, data = filled
    before = info(dvid, uuid)
    dvid.commit(uuid)
    url = f"/api/node/{uuid}/grayscale/{path}"
    r = dvid.post(url, content=body)
    assert 400 <= r.status_code < 500
    assert f'Cannot do POST on endpoint "{path.split("/")[0]}" of locked node {uuid}' in r.text
    assert get(dvid, uuid, "grayscale", "uint8blk", (64, 64, 64), (-32, 0, 0)).tobytes() == data.tobytes()
    assert info(dvid, uuid) == before


def test_unversioned_instance_is_shared_by_every_version(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "shared", Versioned="false")
    assert info(dvid, uuid, "shared")["Base"]["Versioned"] is False
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    data = xor_volume((0, 0, 0), (32, 32, 32))
    put(dvid, child, "shared", data, (0, 0, 0))
    assert get(dvid, uuid, "shared", "uint8blk", (32, 32, 32), (0, 0, 0)).tobytes() == data.tobytes()
    put(dvid, uuid, "shared", data[::-1], (0, 0, 0))  # the committed root still takes writes
    assert get(dvid, child, "shared", "uint8blk", (32, 32, 32), (0, 0, 0)).tobytes() == data[::-1].tobytes()


def test_extents_grow_per_version_and_persist(gray):
    dvid, uuid = gray
    put(dvid, uuid, "grayscale", np.zeros((32, 32, 32), np.uint8), (32, 64, 96))
    put(dvid, uuid, "grayscale", np.zeros((32, 32, 32), np.uint8), (-32, 0, 0))
    ext = info(dvid, uuid)["Extended"]
    assert (ext["MinPoint"], ext["MaxPoint"], ext["MinIndex"], ext["MaxIndex"]) == ([-32, 0, 0], [63, 95, 127], [-1, 0, 0], [1, 2, 3])
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    put(dvid, child, "grayscale", np.zeros((32, 32, 32), np.uint8), (0, -64, 0))
    dvid.restart()
    assert info(dvid, uuid)["Extents"] == {"MinPoint": [-32, 0, 0], "MaxPoint": [63, 95, 127]}
    assert info(dvid, child)["Extents"] == {"MinPoint": [-32, -64, 0], "MaxPoint": [63, 95, 127]}
    listed = dvid.ok("GET", "/api/repos/info").json()[uuid]["DataInstances"]["grayscale"]["Extended"]
    assert listed["MinPoint"] is not None


def test_concurrent_writes(gray):
    dvid, uuid = gray
    vols = [np.full((32, 32, 32), i + 1, np.uint8) for i in range(8)]

    def write(i):
        return dvid.post(raw_url(uuid, "grayscale", (32, 32, 32), (32 * i, 0, -32)), content=vols[i].tobytes()).status_code

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(write, range(8))) == [200] * 8
    got = get(dvid, uuid, "grayscale", "uint8blk", (256, 32, 32), (0, 0, -32))
    assert np.array_equal(got, np.concatenate(vols, axis=2))
    assert info(dvid, uuid)["Extents"] == {"MinPoint": [0, 0, -32], "MaxPoint": [255, 31, -1]}
