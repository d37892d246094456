"""POST to the instance root (configuration changes to voxel size and units, background, extents and
block size, and which changes are refused once blocks are stored, persisting over a restart), the
help text of every type (also served as /api/help/<type>), and instance tags.
"""

from __future__ import annotations

import json

import pytest
from conftest import error_message

from .volumes import ALL_TYPES, TYPES, dtype_of, get, info, put, xor_volume


def test_post_configuration(gray):
    dvid, uuid = gray
    body = {"VoxelSize": "2,3,4.5", "VoxelUnits": "um,um,um", "Background": "5"}
    r = dvid.ok("POST", f"/api/node/{uuid}/grayscale", content=json.dumps(body))
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == f"Changed 'grayscale' based on received configuration:\n{json.dumps(body)}\n"
    ext = info(dvid, uuid)["Extended"]
    assert (ext["VoxelSize"], ext["VoxelUnits"], ext["Background"]) == ([2, 3, 4.5], ["um", "um", "um"], 5)
    # Background is now what never-written voxels read as.
    assert get(dvid, uuid, "grayscale", "uint8blk", (2, 1, 1), (0, 0, 0)).tolist() == [[[5, 5]]]
    dvid.restart()
    assert info(dvid, uuid)["Extended"]["VoxelSize"] == [2, 3, 4.5]


def test_post_configuration_extents(gray):
    dvid, uuid = gray
    dvid.ok("POST", f"/api/node/{uuid}/grayscale", json={"MinPoint": "-5,0,5", "MaxPoint": "100,200,300"})
    assert info(dvid, uuid)["Extents"] == {"MinPoint": [-5, 0, 5], "MaxPoint": [100, 200, 300]}
    ext = info(dvid, uuid)["Extended"]
    assert (ext["MinIndex"], ext["MaxIndex"]) == ([-1, 0, 0], [3, 6, 9])


def test_block_size_changes_only_while_empty(gray):
    dvid, uuid = gray
    dvid.ok("POST", f"/api/node/{uuid}/grayscale", json={"BlockSize": "16,16,16"})
    assert info(dvid, uuid)["Extended"]["BlockSize"] == [16, 16, 16]
    put(dvid, uuid, "grayscale", xor_volume((0, 0, 0), (16, 16, 16)), (0, 0, 0))
    path = f"/api/node/{uuid}/grayscale"
    r = dvid.post(path, json={"BlockSize": "32,32,32"})
    assert error_message(r, path) == "BlockSize cannot change once blocks are stored"
    r = dvid.post(path, json={"Compression": "gzip"})
    assert error_message(r, path) == "Compression and Checksum cannot be changed after an instance is created"
    r = dvid.post(path, content=b"{not json")
    assert error_message(r, path).startswith("Malformed JSON in configuration body")
    r = dvid.post(path, json={"Background": "256"})
    assert "Background" in error_message(r, path)
    assert info(dvid, uuid)["Extended"]["BlockSize"] == [16, 16, 16]
    assert info(dvid, uuid)["Extended"]["Background"] == 0
    assert get(dvid, uuid, "grayscale", "uint8blk", (16, 16, 16), (0, 0, 0)).tobytes() == xor_volume((0, 0, 0), (16, 16, 16)).tobytes()


@pytest.mark.parametrize("typename", ALL_TYPES)
def test_help(dvid, typename):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, typename, "img")
    r = dvid.ok("GET", f"/api/node/{uuid}/img/help")
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text.endswith("\n") and not r.text.endswith("\n\n")
    nbytes = dtype_of(typename).itemsize
    labels = ", ".join(v["Label"] for v in TYPES[typename][3])
    assert r.text.startswith(f"API for image volume datatype {typename} ({nbytes} bytes per voxel: {labels})\n")
    assert dvid.ok("GET", f"/api/help/{typename}").text == r.text
    for word in ("/info", "/metadata", "/extents", "/resolution", "/raw/", "/isotropic/", "/blocks/", "/subvolblocks/",
                 "/specificblocks?", "/arb/", "/rawkey?", "roi", "attenuation", "throttle", "Background"):
        assert word in r.text, word


def test_tags(gray):
    dvid, uuid = gray
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/tags").json() == {"Tags": {}}
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/tags", json={"stage": "raw"})
    assert dvid.ok("GET", f"/api/node/{uuid}/grayscale/tags").json() == {"Tags": {"stage": "raw"}}
    assert info(dvid, uuid)["Base"]["Tags"] == {"stage": "raw"}
