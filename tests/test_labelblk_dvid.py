"""DVID's labelblk tests (datatype/labelblk/labelblk_test.go), ported as black-box HTTP tests."""

from __future__ import annotations

import gzip
import json
import struct
from concurrent.futures import ThreadPoolExecutor

import lz4.block
import numpy as np
import pytest

from dvidpy.imaging import decode_png

XDATA = [23, 819229, 757, 100303, 9991]
YDATA = [66599, 201, 881067, 5488, 0]
ZDATA = [1, 734, 43990122, 42, 319596]


def make_volume(offset, size) -> bytes:
    """DVID's labelblk makeVolume: x-, y- and z-dependent sums written big-endian."""
    (ox, oy, oz), (nx, ny, nz) = offset, size
    x = np.array(XDATA, dtype=np.uint64)[(np.arange(ox, ox + nx)) % 5]
    y = np.array(YDATA, dtype=np.uint64)[(np.arange(oy, oy + ny)) % 5]
    z = np.array(ZDATA, dtype=np.uint64)[(np.arange(oz, oz + nz)) % 5]
    values = z[:, None, None] + y[None, :, None] + x[None, None, :]
    return values.astype(">u8").tobytes()


def test_labelblk_direct_api(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "mylabels")
    data = make_volume((32, 0, 64), (96, 64, 160))
    url = f"/api/node/{uuid}/mylabels/raw/0_1_2/96_64_160/32_0_64"
    dvid.ok("POST", url, content=data)
    got = dvid.get(url).content
    assert len(got) == 7_864_320
    assert got == data


class LabelVol:
    """DVID's labelVol: a volume of 5x5x5 blocks of 32^3 whose voxel i (x fastest) is start+i+1."""

    def __init__(self, offset, start: int, blocks=(5, 5, 5), block=32) -> None:
        self.offset = offset
        self.size = tuple(b * block for b in blocks)
        self.start = start

    def data(self) -> bytes:
        n = self.size[0] * self.size[1] * self.size[2]
        return (np.arange(n, dtype=np.uint64) + self.start + 1).astype("<u8").tobytes()

    def array(self) -> np.ndarray:
        nx, ny, nz = self.size
        return np.frombuffer(self.data(), "<u8").reshape(nz, ny, nx)

    def label(self, x: int, y: int, z: int) -> int:
        (ox, oy, oz), (nx, ny, nz) = self.offset, self.size
        lx, ly, lz = x - ox, y - oy, z - oz
        if not (0 <= lx < nx and 0 <= ly < ny and 0 <= lz < nz):
            return 0
        return self.start + lz * nx * ny + ly * nx + lx + 1

    def url(self, uuid: str, name: str = "labels", query: str = "") -> str:
        (ox, oy, oz), (nx, ny, nz) = self.offset, self.size
        return f"/api/node/{uuid}/{name}/raw/0_1_2/{nx}_{ny}_{nz}/{ox}_{oy}_{oz}{query}"


def labels_of(body: bytes, shape) -> np.ndarray:
    return np.frombuffer(body, "<u8").reshape(shape)


def decode_label_png(body: bytes) -> np.ndarray:
    samples = decode_png(body)
    h, w = samples.shape[:2]
    return np.frombuffer(samples.astype(">u2").tobytes(), "<u8").reshape(h, w)


@pytest.fixture
def labels_repo(dvid):
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "labelblk", "labels")
    return dvid, uuid


def test_labels_scenario(labels_repo):
    dvid, uuid = labels_repo
    vol = LabelVol((32, 64, 96), 0)
    dvid.ok("POST", vol.url(uuid), content=vol.data())

    # 2. the stored blocks of one row, as bare LZ4 and uncompressed
    for query, decode in (("", lambda p: lz4.block.decompress(p, uncompressed_size=262144)), ("?compression=uncompressed", bytes)):
        body = dvid.get(f"/api/node/{uuid}/labels/blocks/160_32_32/32_64_96{query}").content
        records, pos = [], 0
        while pos < len(body):
            x, y, z, n = struct.unpack_from("<iiii", body, pos)
            records.append(((x, y, z), decode(body[pos + 16 : pos + 16 + n])))
            pos += 16 + n
        assert [c for c, _ in records] == [(1, 2, 3), (2, 2, 3), (3, 2, 3), (4, 2, 3), (5, 2, 3)]
        for (bx, _, _), raw in records:
            block = np.frombuffer(raw, "<u8").reshape(32, 32, 32)
            zz, yy, xx = np.meshgrid(np.arange(32), np.arange(32), np.arange(32), indexing="ij")
            assert np.array_equal(block, 1 + zz * 25600 + yy * 160 + (bx * 32 - 32) + xx)

    # 3. single points
    assert dvid.get(f"/api/node/{uuid}/labels/label/100_64_96").text == '{"Label": 69}'
    assert dvid.get(f"/api/node/{uuid}/labels/label/10000_64000_9600121").text == '{"Label": 0}'

    # 4. a batch, as today's DVID asks for it (GET with a JSON body)
    r = dvid.request("GET", f"/api/node/{uuid}/labels/labels", content=b"[[100,64,96],[78,93,156],[104,65,97]]")
    assert r.text == "[69,1540687,25833]"

    # 5. re-POSTs, then slices checked voxel by voxel against the last volume
    for start in (2100, 8176, 16623):
        dvid.ok("POST", vol.url(uuid), content=LabelVol(vol.offset, start).data())
    last = LabelVol(vol.offset, 16623)
    expected = last.array()

    def region(x0, y0, z0, nx, ny, nz):
        full = np.zeros((nz, ny, nx), dtype=np.uint64)
        for z in range(nz):
            for y in range(ny):
                lz, ly = z0 + z - 96, y0 + y - 64
                if 0 <= lz < 160 and 0 <= ly < 160:
                    xs = np.arange(x0, x0 + nx) - 32
                    ok = (xs >= 0) & (xs < 160)
                    full[z, y, ok] = expected[lz, ly, xs[ok]]
        return full

    xy = decode_label_png(dvid.get(f"/api/node/{uuid}/labels/raw/xy/67_83/83_75_119").content)
    assert np.array_equal(xy, region(83, 75, 119, 67, 83, 1)[0])
    xz = decode_label_png(dvid.get(f"/api/node/{uuid}/labels/raw/xz/67_83/43_68_99").content)
    assert np.array_equal(xz, region(43, 68, 99, 67, 1, 83)[:, 0, :])
    yz = decode_label_png(dvid.get(f"/api/node/{uuid}/labels/raw/yz/67_83/39_97_129").content)
    assert np.array_equal(yz, region(39, 97, 129, 1, 67, 83)[:, :, 0])
    assert yz[0, 0] == last.label(39, 97, 129)

    # 6. the same volume POSTed three times concurrently
    with ThreadPoolExecutor(3) as pool:
        statuses = list(pool.map(lambda _: dvid.post(vol.url(uuid), content=last.data()).status_code, range(3)))
    assert statuses == [200, 200, 200]
    assert dvid.get(vol.url(uuid)).content == last.data()

    # 7. three more volumes POSTed concurrently with lz4 bodies
    others = [LabelVol((192, 64, 96), 4000), LabelVol((192, 224, 96), 8000), LabelVol((32, 224, 96), 1200)]

    def post_lz4(v: LabelVol) -> int:
        return dvid.post(v.url(uuid, query="?compression=lz4"), content=lz4.block.compress(v.data(), store_size=False)).status_code

    with ThreadPoolExecutor(3) as pool:
        assert list(pool.map(post_lz4, others)) == [200, 200, 200]
    for v in [last, *others]:
        assert dvid.get(v.url(uuid)).content == v.data()

    # 8. the first volume in every transfer encoding
    raw = last.data()
    assert dvid.get(last.url(uuid)).content == raw
    body = dvid.get(last.url(uuid, query="?compression=lz4")).content
    assert lz4.block.decompress(body, uncompressed_size=32_768_000) == raw
    assert gzip.decompress(dvid.get(last.url(uuid, query="?compression=gzip")).content) == raw


def test_labels_with_roi(labels_repo):
    """Steps 9-12 of DVID's TestLabels: ROI-restricted writes and ROI-masked reads."""
    dvid, uuid = labels_repo
    dvid.new_instance(uuid, "roi", "myroi")
    spans = [[3, 3, 2, 4], [3, 4, 2, 3], [3, 5, 3, 3], [4, 3, 2, 5], [4, 4, 3, 4], [4, 5, 2, 4]]
    dvid.ok("POST", f"/api/node/{uuid}/myroi/roi", json=spans)
    inside = {(x, y, z) for z, y, x0, x1 in spans for x in range(x0, x1 + 1)}

    vol = LabelVol((32, 64, 96), 20000)
    dvid.ok("POST", vol.url(uuid), content=vol.data())
    first = labels_of(dvid.get(vol.url(uuid)).content, (160, 160, 160))
    assert first[0, 0, 0] == 20001
    assert np.array_equal(first, vol.array())

    masked = LabelVol(vol.offset, 40000)
    dvid.ok("POST", masked.url(uuid, query="?roi=myroi"), content=masked.data())
    zz, yy, xx = np.meshgrid(np.arange(96, 256), np.arange(64, 224), np.arange(32, 192), indexing="ij")
    in_roi = np.zeros((160, 160, 160), dtype=bool)
    for x, y, z in inside:
        in_roi |= (xx // 32 == x) & (yy // 32 == y) & (zz // 32 == z)
    assert in_roi.any() and not in_roi.all()
    got = labels_of(dvid.get(vol.url(uuid)).content, (160, 160, 160))
    assert np.array_equal(got, np.where(in_roi, masked.array(), vol.array()))
    got = labels_of(dvid.get(vol.url(uuid, query="?roi=myroi")).content, (160, 160, 160))
    assert np.array_equal(got, np.where(in_roi, masked.array(), 0))


def boxes_volume(n: int, boxes: list[tuple[tuple[int, int, int], int, int]]) -> np.ndarray:
    vol = np.zeros((n, n, n), dtype=np.uint64)
    for (x, y, z), size, label in boxes:
        vol[z : z + size, y : y + size, x : x + size] = label
    return vol


def test_multiscale(dvid):
    uuid = dvid.new_repo()
    for name in ("labels", "labels_1", "labels_2"):
        dvid.new_instance(uuid, "labelblk", name)
    dvid.ok("POST", f"/api/node/{uuid}/labels_1/sync", json={"sync": "labels"})
    dvid.ok("POST", f"/api/node/{uuid}/labels_2/sync", json={"sync": "labels_1"})
    origins = [((40, 40, 40), 1), ((40, 40, 80), 2), ((80, 40, 40), 13), ((40, 80, 40), 209), ((80, 80, 40), 311)]
    vol = boxes_volume(128, [(o, 40, label) for o, label in origins])
    dvid.ok("POST", f"/api/node/{uuid}/labels/raw/0_1_2/128_128_128/0_0_0", content=vol.tobytes())

    full = labels_of(dvid.get(f"/api/node/{uuid}/labels/raw/0_1_2/128_128_128/0_0_0").content, (128,) * 3)
    for (x, y, z), label in [((45, 45, 45), 1), ((50, 50, 100), 2), ((100, 60, 60), 13), ((55, 100, 55), 209), ((81, 81, 41), 311)]:
        assert full[z, y, x] == label

    half = labels_of(dvid.get(f"/api/node/{uuid}/labels_1/raw/0_1_2/64_64_64/0_0_0").content, (64,) * 3)
    expected = boxes_volume(64, [((o[0] // 2, o[1] // 2, o[2] // 2), 20, label) for o, label in origins])
    assert np.array_equal(half, expected)
    for (x, y, z), label in [((30, 30, 30), 1), ((21, 21, 45), 2), ((45, 21, 36), 13), ((21, 50, 35), 209), ((45, 55, 35), 311)]:
        assert half[z, y, x] == label

    quarter = labels_of(dvid.get(f"/api/node/{uuid}/labels_2/raw/0_1_2/32_32_32/0_0_0").content, (32,) * 3)
    assert np.array_equal(quarter, boxes_volume(32, [((o[0] // 4, o[1] // 4, o[2] // 4), 10, label) for o, label in origins]))

    info = dvid.get(f"/api/node/{uuid}/labels_1/info").json()
    assert info["Base"]["Syncs"] == ["labels"]
    assert info["Extended"]["MaxPoint"] == [63, 63, 63]


def test_label_queries_survive_restart(labels_repo):
    dvid, uuid = labels_repo
    vol = LabelVol((32, 64, 96), 0, blocks=(1, 1, 1))
    dvid.ok("POST", vol.url(uuid), content=vol.data())
    dvid.restart()
    r = dvid.post(f"/api/node/{uuid}/labels/labels", content=json.dumps([[32, 64, 96], [63, 95, 127], [0, 0, 0]]))
    assert r.text == f"[1,{32**3},0]"
