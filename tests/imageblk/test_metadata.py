"""GET <instance>/metadata: DVID's nd-data JSON (per-axis label, resolution, units, size and offset,
plus info's Extended properties) before and after writes and a resolution change, and its fallback
to the creation MinPoint/MaxPoint as info does.
"""

from __future__ import annotations

from .volumes import info, put, xor_volume


def test_metadata_before_and_after_writes(gray):
    dvid, uuid = gray
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/metadata")
    assert r.headers["content-type"] == "application/vnd.dvid-nd-data+json"
    assert r.content.endswith(b"}\n")
    axes = [{"Label": a, "Resolution": 8, "Units": "nanometers", "Size": 0, "Offset": 0} for a in "XYZ"]
    assert r.json() == {"Axes": axes, "Properties": info(dvid, uuid)["Extended"]}

    put(dvid, uuid, "grayscale", xor_volume((-32, 0, 64), (64, 32, 32)), (-32, 0, 64))
    dvid.ok("POST", f"/api/node/{uuid}/grayscale/resolution", content=b"[4, 5.5, 40]")
    r = dvid.ok("GET", f"/api/node/{uuid}/grayscale/metadata")
    assert r.json() == {
        "Axes": [
            {"Label": "X", "Resolution": 4, "Units": "nanometers", "Size": 64, "Offset": -32},
            {"Label": "Y", "Resolution": 5.5, "Units": "nanometers", "Size": 32, "Offset": 0},
            {"Label": "Z", "Resolution": 40, "Units": "nanometers", "Size": 32, "Offset": 64},
        ],
        "Properties": info(dvid, uuid)["Extended"],
    }


def test_metadata_uses_creation_extents_like_info(dvid):
    """DVID's metadata falls back to the instance's MinPoint/MaxPoint as info does."""
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g", MinPoint="1,2,3", MaxPoint="40,50,60")
    meta = dvid.ok("GET", f"/api/node/{uuid}/g/metadata").json()
    assert [(a["Size"], a["Offset"]) for a in meta["Axes"]] == [(40, 1), (49, 2), (58, 3)]
    assert meta["Properties"] == info(dvid, uuid, "g")["Extended"]
