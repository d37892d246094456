"""labelblk endpoints: transfers, point queries, pseudocolor, block streams and deletes, syncs,
and bad input (each a clear 4xx that writes nothing)."""

from __future__ import annotations

import gzip
import hashlib
import struct

import compressed_segmentation
import lz4.block
import numpy as np
import pytest
from conftest import block_records, error_message

from dvidpy.imaging import decode_png

RNG = np.random.default_rng(11)


@pytest.fixture
def repo(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "labels")
    return dvid, uuid


def put(dvid, uuid, vol: np.ndarray, offset=(0, 0, 0), name="labels", query=""):
    nz, ny, nx = vol.shape
    url = f"/api/node/{uuid}/{name}/raw/0_1_2/{nx}_{ny}_{nz}/{offset[0]}_{offset[1]}_{offset[2]}{query}"
    dvid.ok("POST", url, content=vol.astype("<u8").tobytes())


def get(dvid, uuid, size, offset=(0, 0, 0), name="labels", query="") -> np.ndarray:
    nx, ny, nz = size
    r = dvid.ok("GET", f"/api/node/{uuid}/{name}/raw/0_1_2/{nx}_{ny}_{nz}/{offset[0]}_{offset[1]}_{offset[2]}{query}")
    return np.frombuffer(r.content, "<u8").reshape(nz, ny, nx)


def random_labels(shape) -> np.ndarray:
    return RNG.integers(0, 2**64, shape, dtype=np.uint64)


# -- info and help ---------------------------------------------------------------------------------


def test_info_and_repo_listing(repo):
    dvid, uuid = repo
    info = dvid.get(f"/api/node/{uuid}/labels/info").json()
    assert info["Base"]["TypeName"] == "labelblk"
    assert info["Base"]["TypeURL"] == "github.com/janelia-flyem/dvid/datatype/labelblk"
    assert info["Extended"]["Values"] == [{"DataType": "uint64", "Label": "labelblk"}]
    assert info["Extended"]["Interpolable"] is False
    assert info["Extended"]["MinPoint"] is None
    put(dvid, uuid, random_labels((32, 32, 64)), offset=(-64, 32, 0))
    listed = dvid.get("/api/repos/info").json()[uuid]["DataInstances"]["labels"]["Extended"]
    assert (listed["MinPoint"], listed["MaxPoint"]) == ([-64, 32, 0], [-1, 63, 31])
    assert dvid.get(f"/api/node/{uuid}/labels/help").text.startswith("API for label volume datatype labelblk")
    assert dvid.get("/api/help/labelblk").text == dvid.get(f"/api/node/{uuid}/labels/help").text


# -- 3-D transfers ---------------------------------------------------------------------------------


def test_raw_round_trip_negative_offsets_and_zero_fill(repo):
    dvid, uuid = repo
    vol = random_labels((32, 64, 32))
    put(dvid, uuid, vol, offset=(-32, -64, 32))
    got = get(dvid, uuid, (40, 70, 34), offset=(-36, -66, 31))
    assert np.array_equal(got[1:33, 2:66, 4:36], vol)
    assert not got[0].any() and not got[33].any() and not got[:, :, :4].any() and not got[:, :2].any()


@pytest.mark.parametrize("compression", ["lz4", "gzip"])
def test_compressed_posts_and_gets(repo, compression):
    dvid, uuid = repo
    vol = random_labels((32, 32, 64))
    raw = vol.astype("<u8").tobytes()
    body = lz4.block.compress(raw, store_size=False) if compression == "lz4" else gzip.compress(raw)
    dvid.ok("POST", f"/api/node/{uuid}/labels/raw/0_1_2/64_32_32/0_0_0?compression={compression}", content=body)
    r = dvid.ok("GET", f"/api/node/{uuid}/labels/raw/0_1_2/64_32_32/0_0_0?compression={compression}")
    back = lz4.block.decompress(r.content, uncompressed_size=len(raw)) if compression == "lz4" else gzip.decompress(r.content)
    assert back == raw


def test_compressed_segmentation_matches_dvids_worked_example(repo):
    dvid, uuid = repo
    vol = np.zeros((32, 32, 32), dtype=np.uint64)
    vol[:4, :8, :8] = 5
    vol[4:8, :8, :8] = 7
    put(dvid, uuid, vol)
    body = dvid.get(f"/api/node/{uuid}/labels/raw/0_1_2/8_8_8/0_0_0?compression=google").content
    expected = (
        bytes.fromhex("01000000" "12000001" "02000000")
        + bytes(32)
        + b"\xff" * 32
        + struct.pack("<QQ", 5, 7)
    )
    assert len(body) == 92
    assert body == expected


def test_googlegzip_decodes_to_the_labels(repo):
    dvid, uuid = repo
    vol = RNG.integers(0, 20, (32, 32, 64)).astype(np.uint64)
    put(dvid, uuid, vol)
    r = dvid.ok("GET", f"/api/node/{uuid}/labels/raw/0_1_2/64_32_16/0_0_8?compression=googlegzip")
    assert r.headers["content-encoding"] == "gzip"
    # httpx already undid the gzip content encoding
    decoded = compressed_segmentation.decompress(r.content, (64, 32, 16), np.uint64, block_size=(8, 8, 8), order="F")
    assert np.array_equal(decoded.transpose(2, 1, 0), vol[8:24])


def test_google_needs_multiples_of_eight(repo):
    dvid, uuid = repo
    path = f"/api/node/{uuid}/labels/raw/0_1_2/12_8_8/0_0_0"
    r = dvid.get(path + "?compression=google")
    assert error_message(r, path) == "volume must be a multiple of the block size"


# -- bad input writes nothing ------------------------------------------------------------------------


@pytest.fixture
def filled(repo):
    dvid, uuid = repo
    vol = random_labels((32, 32, 32))
    put(dvid, uuid, vol)
    return dvid, uuid, vol


def unchanged(dvid, uuid, vol):
    assert np.array_equal(get(dvid, uuid, (32, 32, 32)), vol)


@pytest.mark.parametrize(
    "query, body, message",
    [
        ("?compression=lz4", b"", "received 0 LZ4 compressed bytes"),
        ("?compression=lz4", lz4.block.compress(bytes(32**3 * 8 - 8), store_size=False), "Malformed compression stream"),
        ("?compression=lz4", lz4.block.compress(bytes(32**3 * 8 + 8), store_size=False), "Malformed compression stream"),
        ("?compression=gzip", gzip.compress(bytes(100)), "gzip labels data expanded to 100 bytes"),
        ("?compression=gzip", b"not gzip at all", "Malformed gzip stream"),
        ("?compression=google", b"x", 'unknown compression type "google"'),
        ("?compression=zstd", b"x", 'unknown compression type "zstd"'),
        ("", bytes(32**3 * 8 - 1), "labels data was 262143 bytes, expected 262144 bytes for (0,0,0) -> (31,31,31)"),
    ],
)
def test_bad_posts_write_nothing(filled, query, body, message):
    dvid, uuid, vol = filled
    path = f"/api/node/{uuid}/labels/raw/0_1_2/32_32_32/0_0_0"
    assert error_message(dvid.post(path + query, content=body), path).startswith(message)
    unchanged(dvid, uuid, vol)


@pytest.mark.parametrize(
    "url, message",
    [
        ("raw/0_1_2/32_32_32/16_0_0", "cannot store voxels in non-block aligned geometry (16,0,0) -> (47,31,31)"),
        ("raw/xy/32_32/0_0_0", "DVID does not permit 2d mutations, only 3d block-aligned stores"),
        ("isotropic/0_1_2/32_32_32/0_0_0", "can only POST 'raw' not 'isotropic' images"),
        ("raw/qq/32_32_32/0_0_0", "Unknown data shape specification (qq)"),
        ("raw/0_1_2/32_32/0_0_0", "Size must be 3 (not 2) dimensions"),
        ("raw/0_1_2/32_32_32/0_0_x", "cannot parse offset '0_0_x': 'x' is not an integer"),
        ("raw/0_1_2", '"raw" must be followed by shape/size/offset'),
        ("blocks/32_32_32/0_0_0", "DVID does not accept the post action on the 'blocks' endpoint"),
    ],
)
def test_bad_post_urls_write_nothing(filled, url, message):
    dvid, uuid, vol = filled
    path = f"/api/node/{uuid}/labels/{url}"
    assert error_message(dvid.post(path, content=np.zeros(32**3, "<u8").tobytes()), path) == message
    unchanged(dvid, uuid, vol)


def test_bad_verbs_and_keywords(filled):
    dvid, uuid, vol = filled
    path = f"/api/node/{uuid}/labels/raw/0_1_2/32_32_32/0_0_0"
    assert error_message(dvid.delete(path), path) == "DELETE is only supported on the 'blocks' endpoint, not 'raw'"
    assert error_message(dvid.request("PUT", path, content=b""), path) == "labelblk only handles GET, POST, and DELETE HTTP verbs"
    r = dvid.get(f"/api/node/{uuid}/labels/subvolblocks/32_32_32/0_0_0")
    assert r.status_code == 400
    assert r.text.startswith(f"Bad API call (/api/node/{uuid}/labels/subvolblocks/32_32_32/0_0_0) for data \"labels\".")
    unchanged(dvid, uuid, vol)


# -- point queries -------------------------------------------------------------------------------------


def test_label_and_labels(filled):
    dvid, uuid, vol = filled
    assert dvid.get(f"/api/node/{uuid}/labels/label/3_5_7").text == f'{{"Label": {vol[7, 5, 3]}}}'
    assert dvid.get(f"/api/node/{uuid}/labels/label/-1_5_7").text == '{"Label": 0}'
    points = RNG.integers(-8, 40, (2000, 3))
    inside = np.all((points >= 0) & (points < 32), axis=1)
    expected = np.where(inside, vol[points[:, 2].clip(0, 31), points[:, 1].clip(0, 31), points[:, 0].clip(0, 31)], 0)
    body = str(points.tolist()).encode()
    for method in ("GET", "POST"):
        r = dvid.request(method, f"/api/node/{uuid}/labels/labels", content=body)
        assert r.headers["content-type"] == "application/json"
        assert r.json() == expected.tolist()
        assert " " not in r.text
    assert dvid.request("GET", f"/api/node/{uuid}/labels/labels", content=b"[]").text == "[]"


def test_labels_hash(filled):
    dvid, uuid, vol = filled
    body = b"[[1,2,3]]"
    good = hashlib.md5(body).hexdigest()
    r = dvid.request("GET", f"/api/node/{uuid}/labels/labels?hash={good}", content=body)
    assert r.json() == [int(vol[3, 2, 1])]
    path = f"/api/node/{uuid}/labels/labels"
    r = dvid.request("GET", path + "?hash=abc", content=body)
    assert error_message(r, path) == f"content hash incorrect.  expected abc, got {good}"


@pytest.mark.parametrize(
    "body, message",
    [
        (b"not json", "Bad labels request JSON: Expecting value: line 1 column 1 (char 0)"),
        (b'{"a": 1}', "Bad labels request JSON: expected a list of [x, y, z] integer points"),
        (b"[[1,2]]", "Bad labels request JSON: point 0 must be 3 integers [x, y, z], got [1, 2]"),
        (b"[[1,2,3,4]]", "Bad labels request JSON: point 0 must be 3 integers [x, y, z], got [1, 2, 3, 4]"),
        (b"[[1.5,2,3]]", "Bad labels request JSON: point 0 must be 3 integers [x, y, z], got [1.5, 2, 3]"),
        (b"[[1,2,3],[3,4,5,6]]", "Bad labels request JSON: point 1 must be 3 integers [x, y, z], got [3, 4, 5, 6]"),
        (b"[[1,2,99999999999]]", "Bad labels request JSON: point coordinates must fit in 32 bits"),
    ],
)
def test_bad_labels_bodies(filled, body, message):
    dvid, uuid, _ = filled
    path = f"/api/node/{uuid}/labels/labels"
    assert error_message(dvid.request("GET", path, content=body), path) == message


@pytest.mark.parametrize("coord, message", [("1_2", "coordinate must be 3d, not 2d: '1_2'"), ("1_b_3", "cannot parse coordinate '1_b_3': 'b' is not an integer")])
def test_bad_label_coordinates(filled, coord, message):
    dvid, uuid, _ = filled
    path = f"/api/node/{uuid}/labels/label/{coord}"
    assert error_message(dvid.get(path), path) == message


# -- images ------------------------------------------------------------------------------------------


def test_slices_carry_labels_losslessly(filled):
    dvid, uuid, vol = filled
    samples = decode_png(dvid.get(f"/api/node/{uuid}/labels/raw/xz/32_32/0_9_0").content)
    labels = np.frombuffer(samples.astype(">u2").tobytes(), "<u8").reshape(32, 32)
    assert np.array_equal(labels, vol[:, 9, :])


def test_isotropic_slices_use_nearest_neighbour(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "labels", VoxelSize="4,4,8")
    vol = RNG.integers(1, 1000, (32, 32, 32)).astype(np.uint64)
    put(dvid, uuid, vol)
    samples = decode_png(dvid.get(f"/api/node/{uuid}/labels/isotropic/xz/32_32/0_3_0").content)
    labels = np.frombuffer(samples.astype(">u2").tobytes(), "<u8").reshape(32, 32)
    # the source slice has 16 z rows (32 * 4 / 8); each is shown twice
    assert np.array_equal(labels, np.repeat(vol[:16, 3, :], 2, axis=0))


def test_pseudocolor_matches_dvids_colours(repo):
    dvid, uuid = repo
    vol = np.zeros((32, 32, 32), dtype=np.uint64)
    vol[0, 0, :8] = [0, 1, 2, 23, 0, 1, 2, 23]
    put(dvid, uuid, vol, offset=(32, 0, 0))
    r = dvid.get(f"/api/node/{uuid}/labels/pseudocolor/xy/10_1/30_0_0")
    assert r.headers["content-type"] == "image/png"
    rgb = decode_png(r.content)
    assert rgb.shape == (1, 10, 3)
    expected = [(99, 133, 42)] * 2 + [(99, 133, 42), (83, 7, 93), (198, 31, 162), (21, 176, 200)] * 2
    assert [tuple(p) for p in rgb[0]] == expected
    path = f"/api/node/{uuid}/labels/pseudocolor/0_1_2/10_1_1/0_0_0"
    assert error_message(dvid.get(path), path) == "DVID currently supports only 2d pseudocolor image requests"


# -- block streams and deletes -----------------------------------------------------------------------


def test_block_stream_leaves_out_missing_blocks(repo):
    dvid, uuid = repo
    vol = random_labels((32, 32, 32))
    put(dvid, uuid, vol, offset=(-32, 0, 32))
    got = block_records(dvid.get(f"/api/node/{uuid}/labels/blocks/96_32_64/-64_0_0").content)
    assert [c for c, _ in got] == [(-1, 0, 1)]
    assert lz4.block.decompress(got[0][1], uncompressed_size=32**3 * 8) == vol.astype("<u8").tobytes()
    path = f"/api/node/{uuid}/labels/blocks/32_32_32/16_0_0"
    assert error_message(dvid.get(path), path) == "cannot use labels via 'block' endpoint in non-block aligned geometry (16,0,0) -> (47,31,31)"
    path = f"/api/node/{uuid}/labels/blocks/32_32_32/0_0_0"
    assert error_message(dvid.get(path + "?compression=jpeg"), path) == "don't understand 'compression' query string value: jpeg"


def test_delete_blocks_at_a_child_only(repo):
    dvid, uuid = repo
    vol = random_labels((32, 32, 96))
    put(dvid, uuid, vol)
    dvid.commit(uuid)
    path = f"/api/node/{uuid}/labels/blocks/0_0_0/2"
    assert error_message(dvid.delete(path), path) == f'Cannot do DELETE on endpoint "blocks" of locked node {uuid}'
    child = dvid.newversion(uuid)
    dvid.ok("DELETE", f"/api/node/{child}/labels/blocks/0_0_0/2")
    at_child = get(dvid, child, (96, 32, 32))
    assert not at_child[:, :, :64].any()
    assert np.array_equal(at_child[:, :, 64:], vol[:, :, 64:])
    assert np.array_equal(get(dvid, uuid, (96, 32, 32)), vol)
    assert [c for c, _ in block_records(dvid.get(f"/api/node/{child}/labels/blocks/96_32_32/0_0_0").content)] == [(2, 0, 0)]
    dvid.restart()
    assert not get(dvid, child, (96, 32, 32))[:, :, :64].any()
    assert np.array_equal(get(dvid, uuid, (96, 32, 32)), vol)


# -- syncs -------------------------------------------------------------------------------------------


def test_sync_only_follows_labelblk(repo):
    dvid, uuid = repo
    dvid.new_instance(uuid, "uint8blk", "gray")
    dvid.new_instance(uuid, "labelblk", "small", BlockSize="16,16,16")
    dvid.new_instance(uuid, "labelblk", "labels_1")
    path = f"/api/node/{uuid}/labels_1/sync"
    assert error_message(dvid.post(path, json={"sync": "gray"}), path) == (
        'Unable to sync labels_1 with gray since datatype "uint8blk" is not supported.'
    )
    assert error_message(dvid.post(path, json={"sync": "small"}), path) == "Unable to sync labels_1 with small: their block sizes differ"
    assert error_message(dvid.get(path), path) == "Only POST allowed to sync endpoint"
    assert dvid.get(f"/api/node/{uuid}/labels_1/info").json()["Base"]["Syncs"] == []
    dvid.ok("POST", path, json={"sync": "labels"})
    assert dvid.get(f"/api/node/{uuid}/labels_1/info").json()["Base"]["Syncs"] == ["labels"]


def test_downres_keeps_untouched_octants(repo):
    dvid, uuid = repo
    dvid.new_instance(uuid, "labelblk", "labels_1")
    dvid.ok("POST", f"/api/node/{uuid}/labels_1/sync", json={"sync": "labels"})
    first = np.full((32, 32, 64), 5, dtype=np.uint64)
    put(dvid, uuid, first)
    second = np.full((32, 32, 32), 9, dtype=np.uint64)
    put(dvid, uuid, second, offset=(32, 0, 0))
    half = get(dvid, uuid, (32, 32, 32), name="labels_1")
    assert (half[:16, :16, :16] == 5).all()
    assert (half[:16, :16, 16:] == 9).all()
    assert not half[16:].any() and not half[:, 16:].any()


# -- metadata, instance config, help, throttle -----------------------------------------------------


def test_metadata_config_help_and_throttle(filled):
    dvid, uuid, data = filled
    r = dvid.ok("GET", f"/api/node/{uuid}/labels/metadata")
    assert r.headers["content-type"] == "application/vnd.dvid-nd-data+json"
    assert r.json()["Properties"]["Values"][0]["DataType"] == "uint64"
    r = dvid.ok("POST", f"/api/node/{uuid}/labels", json={"VoxelSize": "4,4,40", "VoxelUnits": "nm,nm,nm"})
    assert r.text.startswith("Changed 'labels' based on received configuration:")
    ext = dvid.ok("GET", f"/api/node/{uuid}/labels/info").json()["Extended"]
    assert ext["VoxelSize"] == [4, 4, 40]
    assert ext["VoxelUnits"] == ["nm", "nm", "nm"]
    r = dvid.post(f"/api/node/{uuid}/labels", json={"BlockSize": "64,64,64"})
    assert r.status_code == 400
    assert "BlockSize cannot change" in r.text
    assert dvid.ok("GET", f"/api/node/{uuid}/labels/info").json()["Extended"]["BlockSize"] == [32, 32, 32]
    assert "pseudocolor" in dvid.ok("GET", f"/api/node/{uuid}/labels/help").text
    url = f"/api/node/{uuid}/labels/raw/0_1_2/32_32_32/0_0_0?throttle=true&compression=lz4"
    with dvid.server.throttle.slot():
        assert dvid.get(url).status_code == 503
        assert dvid.post(url, content=b"x").status_code == 503
    body = lz4.block.decompress(dvid.ok("GET", url).content, uncompressed_size=data.nbytes)
    assert body == data.tobytes()
