"""What a hostile client found, each now a 4xx naming what was wrong (or a correct answer),
sized before any work; the store is unchanged by every refused request."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from conftest import error_message

NESTED = b"[" * 100_000


@pytest.fixture
def repo(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g")
    dvid.new_instance(uuid, "labelblk", "lab")
    dvid.new_instance(uuid, "roi", "r")
    dvid.new_instance(uuid, "testkv", "kv")
    dvid.ok("POST", f"/api/node/{uuid}/g/raw/0_1_2/32_32_32/0_0_0", content=bytes(range(256)) * 128)
    return dvid, uuid


def snapshot(dvid, uuid):
    return (dvid.ok("GET", f"/api/repo/{uuid}/info").content,
            dvid.ok("GET", f"/api/node/{uuid}/g/raw/0_1_2/32_32_32/0_0_0").content)


# -- deeply nested JSON ---------------------------------------------------------------------------------


def nested_targets(uuid: str) -> list[tuple[str, str]]:
    node = f"/api/node/{uuid}"
    return [
        ("POST", "/api/repos"), ("POST", f"/api/repo/{uuid}/info"), ("POST", f"/api/repo/{uuid}/instance"),
        ("POST", f"/api/repo/{uuid}/log"), ("POST", f"/api/repo/{uuid}/merge"), ("POST", f"/api/repo/{uuid}/resolve"),
        ("POST", f"{node}/note"), ("POST", f"{node}/log"), ("POST", f"{node}/commit"), ("POST", f"{node}/branch"),
        ("POST", f"{node}/newversion"), ("POST", f"{node}/tag"), ("POST", "/api/server/settings"),
        ("POST", f"{node}/g"), ("POST", f"{node}/g/extents"), ("POST", f"{node}/g/resolution"),
        ("POST", f"{node}/g/tags"), ("POST", f"{node}/lab/labels"), ("GET", f"{node}/lab/labels"),
        ("POST", f"{node}/lab/sync"), ("POST", f"{node}/r/roi"), ("POST", f"{node}/r/ptquery"),
    ]


def test_deeply_nested_json_is_a_400_everywhere(repo):
    dvid, uuid = repo
    before = snapshot(dvid, uuid)
    for method, path in nested_targets(uuid):
        r = dvid.request(method, path, content=NESTED)
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert "nested too deeply" in r.text, (path, r.text)
    assert snapshot(dvid, uuid) == before


# -- numbers that are not numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("corner", ["nan_0_0", "0_inf_0", "-inf_0_0", "1e400_0_0"])
def test_arb_refuses_non_finite_points(repo, corner):
    dvid, uuid = repo
    path = f"/api/node/{uuid}/g/arb/{corner}/32_0_0/0_32_0/1"
    assert error_message(dvid.get(path), path) == f"top-left point {corner!r} must be finite numbers"


def test_arb_refuses_corners_too_far_apart(repo):
    dvid, uuid = repo
    path = f"/api/node/{uuid}/g/arb/0_0_0/1e300_0_0/0_32_0/1e-300"
    assert error_message(dvid.get(path), path) == (
        "Bad arbitrary image size requested: the corners are too far apart")


@pytest.mark.parametrize("value", ["1e999", 1e300, "inf", 100_000])
def test_settings_refuse_numbers_out_of_range(repo, value):
    dvid, _ = repo
    path = "/api/server/settings"
    body = b'{"throttle": 1e999}' if value == "1e999" else json.dumps({"throttle": value}).encode()
    message = error_message(dvid.post(path, content=body), path)
    assert message.startswith("POST on settings endpoint had bad parsing of 'throttle' key")
    assert dvid.server.throttle.max_ops == 1


def test_a_jpeg_wider_than_jpeg_allows_is_a_400(repo):
    dvid, uuid = repo
    path = f"/api/node/{uuid}/g/raw/xy/70000_1/0_0_0/jpg"
    assert error_message(dvid.get(path), path) == "a jpeg image can be at most 65535 pixels on a side, not 70000 x 1"


# -- label transfers sized before decoding -------------------------------------------------------------------


@pytest.mark.parametrize("compression, size", [("gzip", "32_-32_32"), ("lz4", "32_-32_32"), ("gzip", "0_32_32")])
def test_label_posts_with_empty_boxes_are_400(repo, compression, size):
    dvid, uuid = repo
    path = f"/api/node/{uuid}/lab/raw/0_1_2/{size}/0_0_0"
    r = dvid.post(path + f"?compression={compression}", content=gzip.compress(b"\0" * 64))
    assert error_message(r, path).startswith("Illegal geometry requested: size")


def test_lz4_label_transfers_beyond_lz4s_limit_are_400(repo):
    dvid, uuid = repo
    for method in ("GET", "POST"):
        path = f"/api/node/{uuid}/lab/raw/0_1_2/1024_1024_256/0_0_0"
        r = dvid.request(method, path + "?compression=lz4", content=b"x" if method == "POST" else None)
        assert error_message(r, path) == "lz4 transfers are limited to 2113929216 bytes, and this box holds 2147483648"


def test_a_gzip_bomb_to_a_huge_box_is_refused_before_inflating(repo):
    dvid, uuid = repo
    bomb = gzip.compress(b"\0" * (64 << 20))
    path = f"/api/node/{uuid}/lab/raw/0_1_2/4096_4096_512/0_0_0"
    r = dvid.post(path + "?compression=gzip", content=bomb)
    assert error_message(r, path) == (
        "Requested payload (68719476736 bytes) exceeds this DVID server's set limit (3221225472)")


def test_a_gzip_body_that_inflates_past_its_box_is_refused(repo):
    dvid, uuid = repo
    path = f"/api/node/{uuid}/lab/raw/0_1_2/32_32_32/0_0_0"
    r = dvid.post(path + "?compression=gzip", content=gzip.compress(b"\0" * (32**3 * 8 * 4)))
    assert error_message(r, path) == "Malformed compression stream: more data than expected"
    assert not np.frombuffer(dvid.ok("GET", path).content, "<u8").any()


# -- sizes before work ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method, tail, message", [
    ("GET", "g/blocks/0_0_0/2147483647",
     "Requested payload (70368744144896 bytes) exceeds this DVID server's set limit (3221225472)"),
    ("GET", "g/subvolblocks/32_33554432_33554432/0_0_0",
     "Requested payload (36046389205008384 bytes) exceeds this DVID server's set limit (3221225472)"),
    ("GET", "g/arb/0_0_0/60000_0_0/0_60000_0/1",
     "Requested payload (3600120001 bytes) exceeds this DVID server's set limit (3221225472)"),
    ("GET", "r/mask/0_1_2/2048_2048_1024/0_0_0",
     "Requested payload (4294967296 bytes) exceeds this DVID server's set limit (3221225472)"),
    ("GET", "lab/pseudocolor/xy/1000000_1000/0_0_0",
     "Requested payload (8000000000 bytes) exceeds this DVID server's set limit (3221225472)"),
    ("GET", "lab/blocks/32_33554432_33554432/0_0_0",
     "Requested payload (288247968337756160 bytes) exceeds this DVID server's set limit (3221225472)"),
])
def test_oversized_requests_are_refused_by_their_size(repo, method, tail, message):
    dvid, uuid = repo
    path = f"/api/node/{uuid}/{tail}"
    r = dvid.request(method, path)
    assert error_message(r, path.split("?")[0]) == message


def test_the_limit_is_configurable(make_dvid):
    dvid = make_dvid(max_request_bytes=1 << 20)
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g")
    dvid.ok("GET", f"/api/node/{uuid}/g/raw/0_1_2/64_64_64/0_0_0")
    path = f"/api/node/{uuid}/g/raw/0_1_2/128_128_128/0_0_0"
    assert error_message(dvid.get(path), path) == (
        "Requested payload (2097152 bytes) exceeds this DVID server's set limit (1048576)")
    path = f"/api/node/{uuid}/g/specificblocks"
    r = dvid.get(path + "?blocks=" + ",".join(["0"] * 3 * 40))
    assert error_message(r, path) == "Requested payload (1311360 bytes) exceeds this DVID server's set limit (1048576)"


def test_a_body_larger_than_its_box_is_refused_from_its_length(repo):
    dvid, uuid = repo
    before = snapshot(dvid, uuid)
    path = f"/api/node/{uuid}/g/raw/0_1_2/32_32_32/0_0_0"
    r = dvid.post(path, content=b"\1" * (1 << 20))
    assert error_message(r, path) == "request body of 1048576 bytes is larger than the 34304 bytes this request may send"
    assert snapshot(dvid, uuid) == before


# -- answers that stay well-formed ------------------------------------------------------------------------------


def test_names_with_quotes_and_controls_give_valid_json(repo):
    dvid, uuid = repo
    name = 'q"uote\\back\nline'
    r = dvid.ok("POST", f"/api/repo/{uuid}/instance", json={"typename": "testkv", "dataname": name})
    assert r.json() == {"result": f"Added {name} [testkv] to node {uuid}"}
    dvid.commit(uuid)
    r = dvid.ok("POST", f"/api/node/{uuid}/tag", json={"tag": "v1"})
    assert r.json() == {"child": "v1"}


def test_an_exact_tag_wins_over_longer_uuids(dvid):
    first = dvid.new_repo()
    dvid.commit(first)
    tag = first[:6]
    other = dvid.new_repo()
    dvid.commit(other)
    dvid.ok("POST", f"/api/node/{other}/tag", json={"tag": tag})
    assert dvid.ok("GET", f"/api/node/{tag}/commit").json() == {"Locked": True}
    assert dvid.ok("GET", f"/api/repo/{tag}/info").json()["Root"] == other
    assert dvid.ok("GET", f"/api/repo/{first[:7]}/info").json()["Root"] == first


def test_read_only_refuses_settings(make_dvid):
    dvid = make_dvid(read_only=True)
    path = "/api/server/settings"
    assert error_message(dvid.post(path, json={"throttle": "4"}), path) == (
        "Server in read-only mode and will only accept GET and HEAD requests")
    assert dvid.server.throttle.max_ops == 1


def test_an_echoed_origin_varies_by_origin(make_dvid):
    dvid = make_dvid(cors_domains=("https://a.org",))
    r = dvid.get("/api/heartbeat", headers={"Origin": "https://a.org"})
    assert (r.headers["access-control-allow-origin"], r.headers["vary"]) == ("https://a.org", "Origin")
    r = dvid.request("OPTIONS", "/api/heartbeat", headers={"Origin": "https://a.org"})
    assert r.headers["vary"] == "Origin"
    anyone = make_dvid()
    assert "vary" not in anyone.get("/api/heartbeat", headers={"Origin": "https://b.org"}).headers


# -- bounded time ---------------------------------------------------------------------------------------------------


def test_a_request_past_its_deadline_is_stopped_and_writes_nothing(make_dvid):
    dvid = make_dvid(request_timeout=1e-9)
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "g")
    path = f"/api/node/{uuid}/g/raw/0_1_2/32_32_32/0_0_0"
    r = dvid.post(path, content=b"\1" * 32**3)
    assert (r.status_code, r.text) == (
        503, "the request ran longer than this server's request_timeout (1e-09 s) and was stopped; nothing was written\n")
    dvid.restart(request_timeout=60.0)  # closing the store waits for any transaction left open
    assert dvid.ok("GET", path).content == bytes(32**3)


@pytest.mark.engines("lmdb")
def test_growing_the_store_does_not_wait_forever_on_a_busy_reader(make_dvid, monkeypatch):
    from dvidpy.storage import lmdb

    monkeypatch.setattr(lmdb, "GROW_WAIT", 0.2)
    dvid = make_dvid(store_options={"map_size": 1 << 20})
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "testkv", "kv")
    reader = dvid.server.engine.begin_read()  # a stuck reader
    try:
        path = f"/api/node/{uuid}/kv/key/big"
        r = dvid.post(path, content=b"\1" * (4 << 20))
        assert r.status_code == 503
        assert r.text.startswith("the store is full and could not grow: other requests kept it busy for 0.2 s")
    finally:
        dvid.server.engine.end_read(reader)
    dvid.ok("POST", path, content=b"\1" * (4 << 20))
    assert len(dvid.ok("GET", path).content) == 4 << 20


def test_a_mask_past_the_int32_limit_is_a_400(repo):
    dvid, uuid = repo
    path = f"/api/node/{uuid}/r/mask/0_1_2/41_1_1/2147483608_0_0"
    assert error_message(dvid.get(path), path).startswith("geometry ")


def test_a_key_longer_than_the_store_allows_is_a_400(repo):
    dvid, uuid = repo
    longest = dvid.server.engine.max_key_bytes - 5 - 9 - 3  # instance prefix, version suffix, class+0x01+terminator
    path = f"/api/node/{uuid}/kv/key/" + "k" * (longest + 1)
    r = dvid.post(path, content=b"v")
    assert error_message(r, path) == (
        f"a key of {longest + 4} bytes is longer than this store allows ({longest + 3} bytes)")
    ok = f"/api/node/{uuid}/kv/key/" + "k" * longest
    dvid.ok("POST", ok, content=b"v")
    assert dvid.ok("GET", ok).content == b"v"
