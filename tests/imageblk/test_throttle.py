"""?throttle=: the accepted spellings on reads, writes, block streams and arb, and a full throttle
answering 503 and writing nothing while unthrottled requests and 2-D slices still go through.
"""

from __future__ import annotations

from .volumes import get, put, raw_url


def test_throttle_on_is_accepted(filled):
    dvid, uuid, data = filled
    for flag in ("on", "true", "ON"):
        assert get(dvid, uuid, "grayscale", "uint8blk", (64, 64, 64), (-32, 0, 0), f"?throttle={flag}").tobytes() == data.tobytes()
    put(dvid, uuid, "grayscale", data, (-32, 0, 0), "?throttle=true")
    dvid.ok("GET", f"/api/node/{uuid}/grayscale/subvolblocks/32_32_32/0_0_0?throttle=on")
    dvid.ok("GET", f"/api/node/{uuid}/grayscale/arb/0_0_0/80_0_0/0_80_0/8?throttle=on")


def test_throttle_full_answers_503_and_writes_nothing(filled):
    dvid, uuid, data = filled
    url = raw_url(uuid, "grayscale", (64, 64, 64), (-32, 0, 0))
    with dvid.server.throttle.slot():  # the one throttled operation allowed is running
        r = dvid.get(url + "?throttle=on")
        assert r.status_code == 503
        assert r.text == "Server already running 1 throttled operations (max = 1)\n"
        r = dvid.post(url + "?throttle=on", content=bytes(64**3))
        assert r.status_code == 503
        # requests that did not ask, and 2-D slices, are never throttled
        assert dvid.ok("GET", url).content == data.tobytes()
        dvid.ok("GET", f"/api/node/{uuid}/grayscale/raw/xy/8_8/0_0_0?throttle=on")
    assert dvid.ok("GET", url + "?throttle=on").content == data.tobytes()
