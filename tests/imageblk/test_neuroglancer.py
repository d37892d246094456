"""What neuroglancer's dvid datasource asks for: discovery through /api/repos/info, 64^3 JPEG blocks
through subvolblocks, and 3-D chunks as JPEG.
"""

from __future__ import annotations

import numpy as np

from dvidpy.imaging import decode_jpeg

from .volumes import raw_url


def test_what_neuroglancer_asks_for(dvid):
    """Discovery through /api/repos/info, 64^3 JPEG blocks via subvolblocks, and 3D chunks as JPEG."""
    uuid = dvid.new_repo("ng")
    dvid.new_instance(uuid, "uint8blk", "jpgblocks", BlockSize="64,64,64", Compression="jpeg")
    dvid.new_instance(uuid, "uint8blk", "gray", BlockSize="64,64,64")
    smooth = np.tile(np.arange(64, dtype=np.uint8) * 3, (64, 64, 1))
    for name in ("jpgblocks", "gray"):
        dvid.ok("POST", raw_url(uuid, name, (64, 64, 64), (64, 0, 0), "?app=Neuroglancer"), content=smooth.tobytes())
    repos = dvid.ok("GET", "/api/repos/info?app=Neuroglancer").json()
    instance = repos[uuid]["DataInstances"]["jpgblocks"]
    assert instance["Base"]["TypeName"] == "uint8blk"
    assert "jpeg" in instance["Base"]["Compression"].lower()
    assert instance["Extended"]["Values"][0]["DataType"] == "uint8"
    assert instance["Extended"]["BlockSize"] == [64, 64, 64]
    assert (instance["Extended"]["MinPoint"], instance["Extended"]["MaxPoint"]) == ([64, 0, 0], [127, 63, 63])
    assert uuid in repos[uuid]["DAG"]["Nodes"]

    body = dvid.ok("GET", f"/api/node/{uuid}/jpgblocks/subvolblocks/64_64_64/64_0_0?app=Neuroglancer").content
    pixels = decode_jpeg(body[16:])
    assert pixels.shape[:2] == (64 * 64, 64)
    assert np.abs(pixels.reshape(64 * 64, 64, -1)[..., 0].astype(int) - smooth.reshape(-1, 64)).max() <= 8

    r = dvid.ok("GET", raw_url(uuid, "gray", (64, 64, 64), (64, 0, 0)) + "/jpeg?app=Neuroglancer")
    assert r.headers["content-type"] == "image/jpeg"
    stacked = decode_jpeg(r.content)
    assert stacked.shape[:2] == (64 * 64, 64)
    assert np.abs(stacked.reshape(64 * 64, 64, -1)[..., 0].astype(int) - smooth.reshape(-1, 64)).max() <= 8
