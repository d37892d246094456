"""GET <instance>/info for every imageblk type: the Base and Extended fields and their order before
any write, what creation settings and writes put there (block size, voxel size and units,
background, extents and block indices), creation extents shown until a write, the Compression and
Checksum strings, and that info answers only GET.
"""

from __future__ import annotations

import pytest
from conftest import error_message

from .volumes import ALL_TYPES, TYPES, info, put, rand


@pytest.mark.parametrize("typename", ALL_TYPES)
def test_info_before_any_write(dvid, typename):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img")
    r = dvid.ok("GET", f"/api/node/{uuid}/img/info")
    assert r.headers["content-type"] == "application/json"
    assert not r.content.endswith(b"\n")
    got = r.json()
    assert list(got) == ["Base", "Extended", "Extents"]
    base = got["Base"]
    _, url, version, values = TYPES[typename]
    assert base["TypeName"] == typename
    assert base["TypeURL"] == f"github.com/janelia-flyem/dvid/datatype/imageblk/{url}"
    assert base["TypeVersion"] == version
    assert base["Name"] == "img"
    assert base["RepoUUID"] == uuid
    assert len(base["DataUUID"]) == 32 and int(base["DataUUID"], 16) >= 0
    assert base["Compression"] == "LZ4 compression, level -1"
    assert base["Checksum"] == "No checksum"
    assert base["Syncs"] == []
    assert base["Versioned"] is True
    assert base["Tags"] is None
    assert got["Extended"] == {
        "Values": values,
        "Interpolable": True,
        "BlockSize": [32, 32, 32],
        "VoxelSize": [8, 8, 8],
        "VoxelUnits": ["nanometers", "nanometers", "nanometers"],
        "MinPoint": None,
        "MaxPoint": None,
        "MinIndex": None,
        "MaxIndex": None,
        "Background": 0,
        "GridStore": "",
        "ScaleLevel": 0,
    }
    assert list(got["Extended"]) == ["Values", "Interpolable", "BlockSize", "VoxelSize", "VoxelUnits", "MinPoint",
                                     "MaxPoint", "MinIndex", "MaxIndex", "Background", "GridStore", "ScaleLevel"]
    assert got["Extents"] == {"MinPoint": None, "MaxPoint": None}
    # The repo listing shows the same instance.
    listed = dvid.ok("GET", f"/api/repo/{uuid}/info").json()["DataInstances"]["img"]
    assert listed["Base"]["TypeName"] == typename
    assert listed["Extended"]["Values"] == values


def test_info_after_writes_and_creation_settings(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint16blk", "img", BlockSize="16,8,4", VoxelSize="3.2, 3.2, 40.0",
                      VoxelUnits="nm,nm,um", Background="12")
    put(dvid, uuid, "img", rand("uint16blk", (8, 16, 32)), (-16, 8, -4))
    r = dvid.ok("GET", f"/api/node/{uuid}/img/info")
    got = r.json()
    ext = got["Extended"]
    assert ext["BlockSize"] == [16, 8, 4]
    assert ext["VoxelSize"] == [3.2, 3.2, 40]
    assert '"VoxelSize":[3.2,3.2,40]' in r.text
    assert ext["VoxelUnits"] == ["nm", "nm", "um"]
    assert ext["Background"] == 12
    assert (ext["MinPoint"], ext["MaxPoint"]) == ([-16, 8, -4], [15, 23, 3])
    assert (ext["MinIndex"], ext["MaxIndex"]) == ([-1, 1, -1], [0, 2, 0])
    assert got["Extents"] == {"MinPoint": [-16, 8, -4], "MaxPoint": [15, 23, 3]}


def test_info_shows_creation_extents_until_a_write(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g", MinPoint="1,2,3", MaxPoint="40,50,60")
    ext = info(dvid, uuid, "g")["Extended"]
    assert (ext["MinPoint"], ext["MaxPoint"], ext["MinIndex"], ext["MaxIndex"]) == ([1, 2, 3], [40, 50, 60], [0, 0, 0], [1, 1, 1])


@pytest.mark.parametrize("settings, compression, checksum", [
    ({}, "LZ4 compression, level -1", "No checksum"),
    ({"Compression": "none"}, "No compression, level -1", "No checksum"),
    ({"Compression": "LZ4"}, "LZ4 compression, level -1", "No checksum"),
    ({"Compression": "gzip"}, "gzip compression, level -1", "No checksum"),
    ({"Compression": "gzip:7"}, "gzip compression, level 7", "No checksum"),
    ({"Compression": "jpeg"}, "jpeg compression, level 32", "No checksum"),
    ({"Compression": "jpeg", "BlockSize": "64,64,64"}, "jpeg compression, level 64", "No checksum"),
    ({"Checksum": "crc32"}, "LZ4 compression, level -1", "CRC32 checksum"),
])
def test_info_compression_and_checksum(dvid, settings, compression, checksum):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g", **settings)
    base = info(dvid, uuid, "g")["Base"]
    assert (base["Compression"], base["Checksum"]) == (compression, checksum)


def test_info_only_answers_get(gray):
    dvid, uuid = gray
    path = f"/api/node/{uuid}/grayscale/info"
    assert error_message(dvid.post(path, content=b"{}"), path) == "info endpoint only supports GET HTTP verb"
