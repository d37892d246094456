"""The roi datatype: DVID's roi_test.go ported as HTTP tests, plus versions, persistence and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

TEST_SPANS = [
    [100, 101, 200, 210], [100, 102, 200, 210], [100, 103, 201, 212],
    [101, 101, 201, 213], [101, 102, 202, 215], [101, 103, 202, 216],
    [102, 101, 200, 210], [102, 103, 201, 216], [102, 104, 203, 217],
    [103, 101, 200, 210], [103, 103, 200, 210], [103, 105, 201, 212],
]


@pytest.fixture
def roi(dvid):
    """A repo with an roi instance ``roi`` holding DVID's test spans; yields (harness, uuid, url)."""
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "roi", "roi")
    url = f"/api/node/{uuid}/roi"
    dvid.ok("POST", f"{url}/roi", content=json.dumps(TEST_SPANS))
    return dvid, uuid, url


def expected_mask(spans, size, offset, block=32) -> np.ndarray:
    """The mask computed the slow, obvious way: a set of blocks and a loop over block indices."""
    inside = {(x, y, z) for z, y, x0, x1 in spans for x in range(x0, x1 + 1)}
    (nx, ny, nz), (ox, oy, oz) = size, offset
    bx = [(ox + i) // block for i in range(nx)]
    by = [(oy + i) // block for i in range(ny)]
    bz = [(oz + i) // block for i in range(nz)]
    out = np.zeros((nz, ny, nx), dtype=np.uint8)
    for k, z in enumerate(bz):
        for j, y in enumerate(by):
            for i, x in enumerate(bx):
                out[k, j, i] = (x, y, z) in inside
    return out


# -- DVID's TestROIRequests ----------------------------------------------------------------------


def test_spans_round_trip(roi):
    dvid, _, url = roi
    r = dvid.ok("GET", f"{url}/roi")
    assert r.headers["content-type"] == "application/json"
    assert r.json() == TEST_SPANS


def test_ptquery(roi):
    dvid, _, url = roi
    points = [[6400, 3232, 3167], [6400, 3232, 3200], [6719, 3232, 3200], [6720, 3232, 3200],
              [6720, 4100, 3263], [6720, 3233, 3201], [6720, 3234, 3200]]
    r = dvid.ok("POST", f"{url}/ptquery", content=json.dumps(points))
    assert r.content == b"[false,true,true,true,false,true,true]"


def test_mask_outside_is_all_zero(roi):
    dvid, _, url = roi
    r = dvid.ok("GET", f"{url}/mask/0_1_2/100_100_100/10_40_70")
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content == bytes(1_000_000)


def test_mask_planes_match_dvid(roi):
    dvid, _, url = roi
    got = np.frombuffer(dvid.ok("GET", f"{url}/mask/0_1_2/100_100_100/6350_3232_3200").content, np.uint8)
    assert got.size == 1_000_000
    mask = got.reshape(100, 100, 100)
    # The planes DVID's test checks, written out.
    z0 = mask[0]
    assert not z0[:, :50].any()
    assert z0[:64, 50:].all()
    assert not z0[64:96, 50:82].any() and z0[64:96, 82:].all()
    z32 = mask[32]
    assert not z32[:, :50].any()
    assert not z32[:32, 50:82].any() and z32[:32, 82:].all()
    assert not z32[32:].any()
    z96 = mask[96]
    assert not z96[:, :50].any()
    assert z96[:32, 50:].all()
    assert not z96[32:64].any()
    assert z96[64:96, 50:].all()
    assert not z96[96:].any()
    assert np.array_equal(mask, expected_mask(TEST_SPANS, (100, 100, 100), (6350, 3232, 3200)))


def test_mask_negative_offset_uses_floor_division(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "roi", "neg", BlockSize="4,4,4")
    spans = [[-1, -1, -1, -1], [0, 0, 0, 0]]
    dvid.ok("POST", f"/api/node/{uuid}/neg/roi", content=json.dumps(spans))
    got = dvid.ok("GET", f"/api/node/{uuid}/neg/mask/0_1_2/8_8_8/-4_-4_-4").content
    assert np.array_equal(np.frombuffer(got, np.uint8).reshape(8, 8, 8),
                          expected_mask(spans, (8, 8, 8), (-4, -4, -4), block=4))
    r = dvid.ok("POST", f"/api/node/{uuid}/neg/ptquery", content=b"[[-1,-1,-1],[-5,-1,-1],[3,3,3],[4,3,3]]")
    assert r.json() == [True, False, True, False]


def test_mask_with_own_block_size(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "roi", "small", BlockSize="5,6,7")
    spans = [[1, 0, 1, 2], [2, 1, 0, 0]]
    dvid.ok("POST", f"/api/node/{uuid}/small/roi", content=json.dumps(spans))
    got = dvid.ok("GET", f"/api/node/{uuid}/small/mask/0_1_2/17_13_23/-1_2_3").content
    want = np.zeros((23, 13, 17), np.uint8)
    for k in range(23):
        for j in range(13):
            for i in range(17):
                x, y, z = (i - 1) // 5, (j + 2) // 6, (k + 3) // 7
                want[k, j, i] = any(z == s[0] and y == s[1] and s[2] <= x <= s[3] for s in spans)
    assert np.array_equal(np.frombuffer(got, np.uint8).reshape(23, 13, 17), want)


# -- DVID's TestROIPostAndDelete -----------------------------------------------------------------


def test_delete_at_child_keeps_parent(roi):
    dvid, uuid, _ = roi
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    dvid.ok("DELETE", f"/api/node/{child}/roi/roi")
    assert dvid.ok("GET", f"/api/node/{uuid}/roi/roi").json() == TEST_SPANS
    assert dvid.ok("GET", f"/api/node/{child}/roi/roi").content == b"[]"
    assert dvid.ok("GET", f"/api/node/{uuid[:8]}:master/roi/roi").content == b"[]"


def test_post_replaces_only_at_its_version(roi):
    dvid, uuid, _ = roi
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    dvid.ok("POST", f"/api/node/{child}/roi/roi", content=b"[[7,8,9,10]]")
    assert dvid.ok("GET", f"/api/node/{child}/roi/roi").json() == [[7, 8, 9, 10]]
    assert dvid.ok("GET", f"/api/node/{uuid}/roi/roi").json() == TEST_SPANS
    info = dvid.ok("GET", f"/api/node/{child}/roi/info").json()["Extended"]
    assert (info["MinZ"], info["MaxZ"]) == (7, 7)
    info = dvid.ok("GET", f"/api/node/{uuid}/roi/info").json()["Extended"]
    assert (info["MinZ"], info["MaxZ"]) == (100, 103)


def test_empty_post_clears(roi):
    dvid, _, url = roi
    dvid.ok("POST", f"{url}/roi", content=b"[]")
    assert dvid.ok("GET", f"{url}/roi").content == b"[]"
    info = dvid.ok("GET", f"{url}/info").json()["Extended"]
    assert info == {"BlockSize": [32, 32, 32], "MinZ": 2147483647, "MaxZ": -2147483648}


def test_unversioned_roi_is_the_same_at_every_version(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "roi", "flat", versioned="false")
    dvid.ok("POST", f"/api/node/{uuid}/flat/roi", content=b"[[1,2,3,4]]")
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    assert dvid.ok("GET", f"/api/node/{child}/flat/roi").json() == [[1, 2, 3, 4]]
    assert dvid.ok("GET", f"/api/node/{child}/flat/info").json()["Base"]["Versioned"] is False


def test_committed_node_refuses_post_but_answers_ptquery(roi):
    dvid, uuid, url = roi
    dvid.commit(uuid)
    r = dvid.post(f"{url}/roi", content=b"[[1,1,1,1]]")
    assert r.status_code == 400
    assert "locked" in r.text or "committed" in r.text
    assert dvid.ok("GET", f"{url}/roi").json() == TEST_SPANS
    r = dvid.ok("POST", f"{url}/ptquery", content=b"[[6400,3232,3200]]")
    assert r.json() == [True]


# -- span storage: order, duplicates, overlaps ---------------------------------------------------


def test_spans_come_back_sorted_and_deduplicated_but_not_merged(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "roi", "r")
    posted = [[5, 4, 6, 7], [5, 3, 6, 7], [5, 3, 6, 7], [5, 3, 7, 9], [-2, 0, -5, -1]]
    dvid.ok("POST", f"/api/node/{uuid}/r/roi", content=json.dumps(posted))
    assert dvid.ok("GET", f"/api/node/{uuid}/r/roi").content == b"[[-2,0,-5,-1],[5,3,6,7],[5,3,7,9],[5,4,6,7]]"
    r = dvid.ok("POST", f"/api/node/{uuid}/r/ptquery", content=b"[[192,96,160],[256,96,160],[320,96,160]]")
    assert r.json() == [True, True, False]


# -- DVID's TestROICreateAndSerialize / TestROIRepoPersistence -----------------------------------


def test_block_size_and_spans_survive_restart(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "roi", "myroi")
    dvid.new_instance(uuid, "roi", "myroi2", BlockSize="15,16,17")
    dvid.ok("POST", f"/api/node/{uuid}/myroi2/roi", content=b"[[13,0,0,0],[3098,1,1,1]]")
    before = [dvid.ok("GET", f"/api/node/{uuid}/{n}/info").json() for n in ("myroi", "myroi2")]
    assert before[0]["Base"]["DataUUID"] != before[1]["Base"]["DataUUID"]
    assert before[0]["Extended"]["BlockSize"] == [32, 32, 32]
    assert before[1]["Extended"] == {"BlockSize": [15, 16, 17], "MinZ": 13, "MaxZ": 3098}
    dvid.restart()
    after = [dvid.ok("GET", f"/api/node/{uuid}/{n}/info").json() for n in ("myroi", "myroi2")]
    assert after == before
    assert dvid.ok("GET", f"/api/node/{uuid}/myroi2/roi").json() == [[13, 0, 0, 0], [3098, 1, 1, 1]]


def test_info_names_the_type(roi):
    dvid, uuid, url = roi
    base = dvid.ok("GET", f"{url}/info").json()["Base"]
    assert base["TypeName"] == "roi"
    assert base["TypeURL"] == "github.com/janelia-flyem/dvid/datatype/roi"
    assert base["TypeVersion"] == "0.1"
    assert base["Name"] == "roi"
    r = dvid.ok("GET", f"{url}/help")
    assert r.headers["content-type"].startswith("text/plain")
    assert "ptquery" in r.text and "partition" in r.text


# -- DVID's TestROIPartition / TestROISimplePartition --------------------------------------------


def _subvolume(lo, hi, total, active, *, quirk_max=False):
    return {
        "MinPoint": [c * 32 for c in lo],
        "MaxPoint": [c * 32 + (0 if quirk_max else 31) for c in hi],
        "MinChunk": list(lo),
        "MaxChunk": list(hi),
        "TotalBlocks": total,
        "ActiveBlocks": active,
    }


def test_optimized_partition(roi):
    dvid, _, url = roi
    r = dvid.ok("GET", f"{url}/partition?batchsize=5&optimized=true")
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {
        "NumTotalBlocks": 450,
        "NumActiveBlocks": 152,
        "NumSubvolumes": 3,
        "ROI": {"MinChunk": [0, 0, 100], "MaxChunk": [217, 105, 103]},
        "Subvolumes": [
            _subvolume((200, 101, 100), (205, 105, 104), 150, 61),
            _subvolume((206, 101, 100), (211, 105, 104), 150, 67),
            _subvolume((212, 101, 100), (217, 105, 104), 150, 24),
        ],
    }
    assert dvid.ok("GET", f"{url}/partition?batchsize=5&optimized=on").json() == r.json()


def test_simple_partition(roi):
    dvid, _, url = roi
    r = dvid.ok("GET", f"{url}/partition?batchsize=5")
    cubes = [
        ((199, 99, 98), 25), ((204, 99, 98), 40), ((209, 99, 98), 30), ((214, 99, 98), 8),
        ((203, 104, 98), 5), ((208, 104, 98), 5), ((213, 104, 98), 5),
        ((199, 101, 103), 11), ((204, 101, 103), 15), ((209, 101, 103), 8),
    ]
    assert r.json() == {
        "NumTotalBlocks": 1375,
        "NumActiveBlocks": 152,
        "NumSubvolumes": 10,
        "ROI": {"MinChunk": [0, 0, 100], "MaxChunk": [217, 105, 103]},
        "Subvolumes": [_subvolume(lo, tuple(c + 4 for c in lo), 125, n) for lo, n in cubes],
    }
    assert r.json()["Subvolumes"][0]["MinPoint"] == [6368, 3168, 3136]
    assert r.json()["Subvolumes"][0]["MaxPoint"] == [6527, 3327, 3295]


def test_optimized_partition_merges_across_a_gap(dvid):
    """A window with a hole extends the previous subvolume (DVID's MaxPoint quirk included).

    One row of blocks x 0-3 and 5, batch 2: y stretches to 3 rows (1 % 2 left over), windows
    are 0-1 and 2-3 (emitted), 4-5 (hole at 4: skipped to 5), 5-6 (hole at 6: block 5 joins
    the 2-3 subvolume, whose MaxPoint becomes the first voxel of block (5, 2, 1)).
    """
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "roi", "r")
    dvid.ok("POST", f"/api/node/{uuid}/r/roi", content=b"[[0,0,0,3],[0,0,5,5]]")
    got = dvid.ok("GET", f"/api/node/{uuid}/r/partition?batchsize=2&optimized=true").json()
    merged = _subvolume((2, 0, 0), (5, 2, 1), 18, 3, quirk_max=True)
    assert got == {
        "NumTotalBlocks": 30,
        "NumActiveBlocks": 5,
        "NumSubvolumes": 2,
        "ROI": {"MinChunk": [0, 0, 0], "MaxChunk": [5, 0, 0]},
        "Subvolumes": [_subvolume((0, 0, 0), (1, 2, 1), 12, 2), merged],
    }
    assert merged["MaxPoint"] == [160, 64, 32]


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("body, message", [
    (b"not json", "Error trying to parse POSTed JSON"),
    (b'{"a": 1}', "Error trying to parse POSTed JSON"),
    (b"[[1,2,3]]", "span 0 must be 4 integers"),
    (b"[[1,2,3,4],[1,2,\"x\",4]]", "span 1 must be 4 integers"),
    (b"[[1,2,3.5,4]]", "span 0 must be 4 integers"),
    (b"[[1,2,9,4]]", "span[3] (X1) < span[2] (X0)"),
    (b"[[1,2,3,4294967296]]", "does not fit in 32 bits"),
])
def test_bad_span_posts_are_refused_and_change_nothing(roi, body, message):
    dvid, _, url = roi
    r = dvid.post(f"{url}/roi", content=body)
    assert r.status_code == 400
    assert message in r.text
    assert dvid.ok("GET", f"{url}/roi").json() == TEST_SPANS


@pytest.mark.parametrize("body, message", [
    (b"", "Error trying to parse POSTed JSON"),
    (b"[[1,2]]", "point 0 must be 3 integers"),
    (b"[[1,2,3],[true,2,3]]", "point 1 must be 3 integers"),
    (b"[[1,2,99999999999]]", "32 bits"),
])
def test_bad_ptquery(roi, body, message):
    dvid, _, url = roi
    r = dvid.post(f"{url}/ptquery", content=body)
    assert r.status_code == 400
    assert message in r.text


@pytest.mark.parametrize("method, path, message", [
    ("GET", "ptquery", "ptquery requires POST with list of points"),
    ("POST", "mask/0_1_2/10_10_10/0_0_0", "ROI mask only supports GET"),
    ("GET", "mask/0_1_2/10_10_10", '"mask" must be followed by shape/size/offset'),
    ("GET", "mask/0_1/10_10/0_0", "Currently only 3d masks ('0_1_2' shape) is supported"),
    ("GET", "mask/0_1_2/10_x_10/0_0_0", "10_x_10"),
    ("GET", "mask/0_1_2/0_10_10/0_0_0", "0"),
    ("POST", "partition?batchsize=5", "partition only supports GET request"),
    ("GET", "partition", "Error reading batchsize query string"),
    ("GET", "partition?batchsize=abc", 'parsing "abc"'),
    ("GET", "partition?batchsize=0", "batchsize must be from 1"),
    ("PUT", "roi", "roi endpoint supports GET, POST and DELETE"),
    ("GET", "erode/3", "erode"),
])
def test_bad_requests(roi, method, path, message):
    dvid, _, url = roi
    r = dvid.request(method, f"{url}/{path}")
    assert r.status_code == 400, r.text
    assert message in r.text
    assert dvid.ok("GET", f"{url}/roi").json() == TEST_SPANS


@pytest.mark.parametrize("value, message", [
    ("32,32", "BlockSize must be 3d, not 2d"),
    ("32,0,32", "BlockSize must be positive"),
    ("a,b,c", "BlockSize"),
])
def test_bad_block_size(dvid, value, message):
    uuid = dvid.new_repo()
    r = dvid.post(f"/api/repo/{uuid}/instance", json={"typename": "roi", "dataname": "r", "BlockSize": value})
    assert r.status_code == 400
    assert message in r.text
    assert dvid.get(f"/api/node/{uuid}/r/info").status_code == 400


def test_mask_too_big_is_refused(roi):
    dvid, _, url = roi
    r = dvid.get(f"{url}/mask/0_1_2/2048_2048_1024/0_0_0")
    assert r.status_code == 400
    assert "exceeds" in r.text


def test_no_split_endpoint(roi):
    """DVID's roi has no ``split`` (nor ``erode``): an unknown endpoint is a bad API call."""
    dvid, _, url = roi
    r = dvid.post(f"{url}/split", content=b"[]")
    assert r.status_code == 400
    assert "split" in r.text
    assert dvid.ok("GET", f"{url}/roi").json() == TEST_SPANS
