"""Label point queries and ROIs through the client, and a throttled server: 503s retried with
backoff until a slot frees, or raised with the server's message when retries run out."""

from __future__ import annotations

import fcntl
import threading
import time

import numpy as np
import pytest

from dvidpy.client import Client, DVIDClientError
from dvidpy.imaging import decode_png

SPANS = [[0, 0, 0, 2], [0, 1, 1, 1], [2, 0, 0, 0]]  # [z, y, x0, x1] in blocks of 32


@pytest.fixture
def labelled(node):
    labels = node.new_instance("labelblk", "labels")
    data = np.random.default_rng(11).integers(0, 2**64 - 1, (64, 64, 96), dtype=np.uint64, endpoint=True)
    data[:8] = 42
    labels[-32:32, 0:64, 0:96] = data
    return labels, data


def test_label_at_one_voxel(labelled):
    labels, data = labelled
    assert labels.label_at(-32, 0, 0) == 42
    assert labels.label_at(5, 60, 95) == int(data[37, 60, 95])
    assert labels.label_at(100, 0, 0) == 0


def test_labels_at_many_points_numpy_in_and_out(labelled):
    labels, data = labelled
    rng = np.random.default_rng(12)
    points = np.stack([rng.integers(-32, 32, 500), rng.integers(0, 64, 500), rng.integers(0, 96, 500)], axis=1)
    got = labels.labels(points, batch=128)  # four requests
    assert got.dtype == np.uint64 and got.shape == (500,)
    assert got.tobytes() == data[points[:, 0] + 32, points[:, 1], points[:, 2]].tobytes()
    assert labels.labels([(-32, 0, 0)]).tolist() == [42]
    assert labels.labels(np.zeros((0, 3), dtype=int)).shape == (0,)
    with pytest.raises(ValueError, match=r"points must be an \(N, 3\) array of \(z, y, x\), not of shape \(2, 2\)"):
        labels.labels([[1, 2], [3, 4]])


def test_label_slices_and_pseudocolor(labelled):
    labels, data = labelled
    assert labels.slice("xz", (-32, 9, 0), (64, 96)).tobytes() == data[:, 9, :].tobytes()
    png = labels.slice("xy", (0, 0, 0), (16, 24), format="png")
    samples = decode_png(png)  # 16-bit RGBA carrying each label's eight little-endian bytes
    assert samples.astype(">u2").tobytes() == data[32, :16, :24].astype("<u8").tobytes()
    image = decode_png(labels.pseudocolor("xy", (0, 0, 0), (16, 24)))
    assert image.shape[:2] == (16, 24) and image.dtype == np.uint8


def test_roi_spans_membership_mask_and_partition(node, server):
    roi = node.new_instance("roi", "region")
    assert roi.spans() == []
    roi.set_spans(np.array(SPANS))
    assert server.process.json("GET", f"/api/node/{node.uuid}/region/roi") == SPANS
    assert roi.spans() == SPANS
    points = [(0, 0, 0), (0, 0, 95), (0, 0, 96), (20, 40, 40), (20, 40, 70), (64, 1, 1), (-1, 0, 0)]
    assert roi.contains(points).tolist() == [True, True, False, True, False, True, False]
    mask = roi.mask(np.s_[0:96, 0:64, 0:128])
    expected = np.zeros((96, 64, 128), dtype=np.uint8)
    for z, y, x0, x1 in SPANS:
        expected[z * 32 : z * 32 + 32, y * 32 : y * 32 + 32, x0 * 32 : x1 * 32 + 32] = 1
    assert mask.tobytes() == expected.tobytes()
    partition = roi.partition(2)
    assert (partition["NumSubvolumes"], partition["NumActiveBlocks"]) == (3, 5)
    assert [s["MinPoint"] for s in partition["Subvolumes"]] == [[0, 0, 0], [64, 0, 0], [0, 0, 64]]
    roi.clear()
    assert roi.spans() == []


def test_roi_changes_follow_versions(node):
    roi = node.new_instance("roi", "region")
    roi.set_spans(SPANS)
    node.commit()
    child = node.newversion()
    roi.at(child).clear()
    assert roi.spans() == SPANS
    assert roi.at(child).spans() == []


class HeldSlot:
    """Throttle slot 0 of the server taken by this test process (the server's own mechanism:
    an exclusive lock on the slot's file), until released."""

    def __init__(self, path) -> None:
        self.file = path.open("a+")
        fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        self.file.close()


@pytest.fixture
def one_slot(client, server):
    """A server allowing one throttled request at a time, whose slot this test holds."""
    assert client.set_throttle(1).startswith("Maximum throttled ops set to 1 from ")
    slot = HeldSlot(server.throttle_slot(0))
    yield slot
    slot.release()


def test_a_busy_server_is_retried_until_a_slot_frees(server, node, one_slot):
    node.new_instance("uint8blk", "g")[0:32, 0:32, 0:32] = 3
    with Client(server.url) as patient:
        vol = patient.node(node.uuid)["g"].view(throttle=True)
        result: dict = {}
        reader = threading.Thread(target=lambda: result.update(data=vol[0:32, 0:32, 0:32]))
        reader.start()
        deadline = time.monotonic() + 60
        while patient.transport.counts.retries == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert patient.transport.counts.retries >= 1, "the throttled read never saw a 503"
        assert "data" not in result
        one_slot.release()
        reader.join(60)
        assert (result["data"] == 3).all()


def test_retries_run_out_with_the_servers_503(server, node, one_slot):
    node.new_instance("uint8blk", "g")
    with Client(server.url, retries=2) as impatient:
        vol = impatient.node(node.uuid)["g"]
        assert (vol[0:32, 0:32, 0:32] == 0).all()  # unthrottled requests pass a full throttle
        with pytest.raises(DVIDClientError) as caught:
            vol.view(throttle=True)[0:32, 0:32, 0:32]
        assert caught.value.status == 503
        assert caught.value.message == "Server already running 1 throttled operations (max = 1)"
        assert caught.value.url.endswith(f"/api/node/{node.uuid}/g/raw/0_1_2/32_32_32/0_0_0?throttle=on")
        assert impatient.transport.counts.retries == 2
