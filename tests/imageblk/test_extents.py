"""The extents, resolution and rawkey endpoints: POSTed extents replace the stored ones and writes
grow them (over a restart too), resolution changes, the raw store key of a block coordinate and its
version part, and each endpoint's bad requests.
"""

from __future__ import annotations

import pytest
from conftest import error_message

from .volumes import info, put, xor_volume


def test_extents_post_replaces_and_writes_grow(gray):
    dvid, uuid = gray
    put(dvid, uuid, "grayscale", xor_volume((0, 0, 0), (64, 32, 32)), (0, 0, 0))
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/extents", json={"MinPoint": [10, 11, 12], "MaxPoint": [20, 21, 22]})
    ext = info(dvid, uuid)["Extended"]
    assert (ext["MinPoint"], ext["MaxPoint"], ext["MinIndex"], ext["MaxIndex"]) == ([10, 11, 12], [20, 21, 22], [0, 0, 0], [0, 0, 0])
    put(dvid, uuid, "grayscale", xor_volume((0, 0, 0), (32, 32, 32)), (-32, 32, 0))
    ext = info(dvid, uuid)["Extended"]
    assert (ext["MinPoint"], ext["MaxPoint"]) == ([-32, 11, 0], [20, 63, 31])
    # a missing point is the origin
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/extents", json={"MaxPoint": [5, 6, 7]})
    assert info(dvid, uuid)["Extents"] == {"MinPoint": [0, 0, 0], "MaxPoint": [5, 6, 7]}
    dvid.restart()
    assert info(dvid, uuid)["Extents"] == {"MinPoint": [0, 0, 0], "MaxPoint": [5, 6, 7]}


@pytest.mark.parametrize("method, body, message", [
    ("GET", b"", "extents endpoint only supports POST HTTP verb"),
    ("POST", b"{", "Malformed JSON in extents body"),
    ("POST", b"[1,2,3]", "JSON object"),
    ("POST", b'{"MinPoint": [1,2], "MaxPoint": [3,4,5]}', "MinPoint must be a list of 3 integers"),
    ("POST", b'{"MinPoint": [1,2,3], "MaxPoint": [3,"a",5]}', "MaxPoint must be a list of 3 integers"),
    ("POST", b'{"MinPoint": [5,5,5], "MaxPoint": [4,9,9]}', "must not be below MinPoint"),
])
def test_extents_bad_requests(filled, method, body, message):
    dvid, uuid, _ = filled
    before = info(dvid, uuid)
    path = f"/api/node/{uuid}/grayscale/extents"
    assert message in error_message(dvid.request(method, path, content=body), path)
    assert info(dvid, uuid) == before


def test_resolution(gray):
    dvid, uuid = gray
    r = dvid.ok("POST", f"/api/node/{uuid}/grayscale/resolution", content=b"[4.0, 5.5, 13.1]")
    assert r.content == b""
    assert info(dvid, uuid)["Extended"]["VoxelSize"] == [4, 5.5, 13.1]
    dvid.restart()
    assert info(dvid, uuid)["Extended"]["VoxelSize"] == [4, 5.5, 13.1]


@pytest.mark.parametrize("method, body, message", [
    ("GET", b"", "resolution endpoint only supports POST HTTP verb"),
    ("POST", b"[1,2", "Malformed JSON in resolution body"),
    ("POST", b"[1,2]", "resolution must be a JSON array of 3 numbers"),
    ("POST", b'[1,"2",3]', "resolution must be a JSON array of 3 numbers"),
    ("POST", b'{"x": 1}', "resolution must be a JSON array of 3 numbers"),
    ("POST", b"[1,0,3]", "resolution must be positive on every axis"),
])
def test_resolution_bad_requests(gray, method, body, message):
    dvid, uuid = gray
    path = f"/api/node/{uuid}/grayscale/resolution"
    assert message in error_message(dvid.request(method, path, content=body), path)
    assert info(dvid, uuid)["Extended"]["VoxelSize"] == [8, 8, 8]


def test_rawkey(gray):
    dvid, uuid = gray
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/rawkey?x=1&y=-2&z=3")
    assert r.headers["content-type"] == "application/json"
    key = bytes.fromhex(r.json()["Key"])
    # 0x01 | instance id | TKey (class 23, 0x01, Z Y X with the sign bit flipped) | version | client 0 | 0x03
    assert len(key) == 1 + 4 + 14 + 4 + 4 + 1
    assert key[0] == 1 and key[-1] == 3 and key[-5:-1] == bytes(4)
    assert key[5:19] == bytes.fromhex("1701" "80000003" "7ffffffe" "80000001")
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    other = bytes.fromhex(dvid.ok("GET", f"/api/node/{child}/grayscale/rawkey?x=1&y=-2&z=3").json()["Key"])
    assert other[:19] == key[:19] and other[19:23] != key[19:23]


@pytest.mark.parametrize("tail, message", [
    ("?x=1&y=2", "rawkey needs integer query strings x, y and z"),
    ("?x=1&y=2&z=a", "rawkey needs integer query strings x, y and z"),
    ("/5?x=1&y=2&z=3", "rawkey endpoint should be followed by query strings (x, y, and z) giving block coord"),
    ("?x=2147483648&y=0&z=0", "rawkey block coordinate (2147483648, 0, 0) does not fit in 32 bits"),
])
def test_rawkey_bad_requests(gray, tail, message):
    dvid, uuid = gray
    path = f"/api/node/{uuid}/grayscale/rawkey{tail.split('?')[0]}"
    assert error_message(dvid.get(f"/api/node/{uuid}/grayscale/rawkey{tail}"), path).startswith(message)
