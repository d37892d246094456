"""Volumes as arrays against a real server: every image type and labels byte-exact, any box
read, unaligned writes refused before anything is sent, transfers in many pieces (counted on
the wire), LZ4 for labels, ROI masking, versions, slices and the progress bar."""

from __future__ import annotations

import numpy as np
import pytest

from dvidpy.client import Box, Client, UnalignedWrite
from dvidpy.imaging import decode_png

#: Every image type and its voxels (dtype, channels) as the client gives them.
IMAGE_TYPES = {
    "uint8blk": (np.uint8, ()),
    "uint16blk": (np.uint16, ()),
    "uint32blk": (np.uint32, ()),
    "uint64blk": (np.uint64, ()),
    "float32blk": (np.float32, ()),
    "rgba8blk": (np.uint8, (4,)),
    "labelblk": (np.uint64, ()),
}
#: The written box, z -32:32, y 0:64, x 32:128: block-aligned, negative z included.
WRITTEN = np.s_[-32:32, 0:64, 32:128]
SHAPE = (64, 64, 96)


def random_voxels(dtype, channels: tuple[int, ...], seed: int) -> np.ndarray:
    """Voxels using every bit of the type (floats include -0.0, infinities and a NaN)."""
    rng = np.random.default_rng(seed)
    shape = SHAPE + channels
    if np.dtype(dtype).kind == "f":
        data = rng.standard_normal(shape).astype(dtype) * 1e6
        data.flat[:4] = [-0.0, np.inf, -np.inf, np.nan]
        return data
    return rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("typename", sorted(IMAGE_TYPES))
def test_every_type_round_trips_byte_exact(node, server, typename):
    dtype, channels = IMAGE_TYPES[typename]
    vol = node.new_instance(typename, "v")
    data = random_voxels(dtype, channels, seed=len(typename))
    vol[WRITTEN] = data
    assert (vol.dtype, vol.voxel_shape) == (np.dtype(dtype), channels)
    # What the server stores, read over plain HTTP, is the array's bytes.
    status, raw = server.process.request("GET", f"/api/node/{node.uuid}/v/raw/0_1_2/96_64_64/32_0_-32")
    assert (status, raw) == (200, data.tobytes())
    got = vol[WRITTEN]
    assert got.dtype == data.dtype and got.tobytes() == data.tobytes()
    # Any box: unaligned, partly outside what was written (background 0), an axis dropped.
    box = vol[-29:17, 3:70, 40:101]
    expected = np.zeros((46, 67, 61) + channels, dtype=dtype)
    expected[:, :61, :] = data[3:49, 3:64, 8:69]
    assert box.tobytes() == expected.tobytes()
    assert vol[5, 10:20, 40:50].tobytes() == data[37, 10:20, 8:18].tobytes()
    assert vol[...].tobytes() == data.tobytes()
    assert vol.bounds() == Box((-32, 0, 32), (32, 64, 128))


def test_an_unaligned_write_is_refused_before_anything_is_sent(node, client):
    vol = node.new_instance("uint8blk", "g")
    vol[0:32, 0:32, 0:32] = 9
    before = client.transport.counts.requests
    with pytest.raises(UnalignedWrite) as caught:
        vol[3:40, 5:70, 9:100] = np.zeros((37, 65, 91), dtype=np.uint8)
    assert str(caught.value) == (
        "cannot write g at z 3:40, y 5:70, x 9:100: DVID stores whole blocks only, and with blocks of "
        "32 x 32 x 32 (z, y, x) a write must start and stop on block boundaries; the enclosing aligned box "
        "is z 0:64, y 0:96, x 0:128 (see Volume.aligned)")
    assert isinstance(caught.value, ValueError)
    assert client.transport.counts.requests == before
    assert vol.aligned(np.s_[3:40, 5:70, 9:100]) == Box((0, 0, 0), (64, 96, 128))
    assert (vol[0:32, 0:32, 0:32] == 9).all()


def test_the_block_size_decides_alignment(node):
    vol = node.new_instance("uint16blk", "small", BlockSize="8,16,4")  # x, y, z
    assert vol.block_size == (4, 16, 8)
    data = np.arange(4 * 16 * 24, dtype=np.uint16).reshape(4, 16, 24)
    vol[4:8, 16:32, 8:32] = data
    assert vol[4:8, 16:32, 8:32].tobytes() == data.tobytes()
    with pytest.raises(UnalignedWrite, match=r"blocks of 4 x 16 x 8 \(z, y, x\)"):
        vol[0:4, 0:16, 0:12] = 0


def test_a_transfer_in_many_pieces(server, node):
    with Client(server.url, piece_bytes=32**3, concurrency=3) as small:
        vol = small.node(node.uuid).new_instance("uint8blk", "g")
        data = np.random.default_rng(5).integers(0, 256, (64, 64, 128), dtype=np.uint8)
        before = small.transport.counts.requests
        vol[0:64, 0:64, 0:128] = data
        assert small.transport.counts.requests - before == 16  # one request per 32^3 block
        before = small.transport.counts.requests
        got = vol[3:60, 5:62, 9:120]
        assert small.transport.counts.requests - before == 2 * 2 * 4
        assert got.tobytes() == data[3:60, 5:62, 9:120].tobytes()
    # The same data read in one request.
    assert node["g"].view(piece_bytes=1 << 30)[0:64, 0:64, 0:128].tobytes() == data.tobytes()


def test_labels_travel_lz4_compressed(node, client):
    labels = node.new_instance("labelblk", "labels")
    data = np.full((64, 64, 64), 2**63 + 7, dtype=np.uint64)
    data[:, :, 32:] = 18446744073709551615
    before = client.transport.counts.sent
    labels[0:64, 0:64, 0:64] = data
    assert client.transport.counts.sent - before < data.nbytes // 50
    before = client.transport.counts.received
    assert labels[0:64, 0:64, 0:64].tobytes() == data.tobytes()
    assert client.transport.counts.received - before < data.nbytes // 50
    plain = labels.view(lz4=False)
    before = client.transport.counts.received
    assert plain[0:64, 0:64, 0:64].tobytes() == data.tobytes()
    assert client.transport.counts.received - before == data.nbytes


def test_values_that_do_not_fit_are_refused(node):
    vol = node.new_instance("uint8blk", "g")
    vol[0:32, 0:32, 0:32] = np.full((32, 32, 32), 200, dtype=np.int64)  # fits: stored
    assert (vol[0:32, 0:32, 0:32] == 200).all()
    with pytest.raises(TypeError, match="g holds uint8 voxels; int64 values do not fit"):
        vol[0:32, 0:32, 0:32] = np.full((32, 32, 32), 300)
    with pytest.raises(TypeError, match="float64 values do not fit"):
        vol[0:32, 0:32, 0:32] = np.zeros((32, 32, 32))
    with pytest.raises(ValueError):
        vol[0:32, 0:32, 0:32] = np.zeros((32, 32, 31), dtype=np.uint8)
    assert (vol[0:32, 0:32, 0:32] == 200).all()


def test_roi_masks_reads_and_writes(node):
    vol = node.new_instance("uint8blk", "g")
    roi = node.new_instance("roi", "inside")
    roi.set_spans([[0, 0, 0, 0], [1, 1, 1, 1]])  # blocks (x 0, y 0, z 0) and (1, 1, 1)
    vol[0:64, 0:64, 0:64] = 5
    masked = vol.view(roi="inside")[0:64, 0:64, 0:64]
    expected = np.zeros((64, 64, 64), dtype=np.uint8)
    expected[0:32, 0:32, 0:32] = expected[32:64, 32:64, 32:64] = 5
    assert masked.tobytes() == expected.tobytes()
    vol.view(roi="inside")[0:64, 0:64, 0:64] = 7
    expected = np.full((64, 64, 64), 5, dtype=np.uint8)
    expected[0:32, 0:32, 0:32] = expected[32:64, 32:64, 32:64] = 7
    assert vol[0:64, 0:64, 0:64].tobytes() == expected.tobytes()


def test_versions_keep_their_own_voxels(node):
    vol = node.new_instance("uint16blk", "g")
    vol[0:32, 0:32, 0:64] = 1
    node.commit("ones")
    child = node.newversion()
    there = vol.at(child)
    there[0:32, 0:32, 32:64] = 2
    assert (vol[0:32, 0:32, 0:64] == 1).all()
    expected = np.ones((32, 32, 64), dtype=np.uint16)
    expected[:, :, 32:] = 2
    assert there[0:32, 0:32, 0:64].tobytes() == expected.tobytes()


def test_slices_as_arrays_and_as_images(node):
    vol = node.new_instance("uint8blk", "g")
    data = np.random.default_rng(3).integers(0, 256, (64, 64, 64), dtype=np.uint8)
    vol[0:64, 0:64, 0:64] = data
    assert vol.slice("xy", (10, 3, 5), (40, 50)).tobytes() == data[10, 3:43, 5:55].tobytes()
    assert vol.slice("xz", (2, 20, 5), (30, 40)).tobytes() == data[2:32, 20, 5:45].tobytes()
    assert vol.slice("yz", (2, 3, 63), (30, 40)).tobytes() == data[2:32, 3:43, 63].tobytes()
    png = vol.slice("xy", (10, 3, 5), (40, 50), format="png")
    assert np.array_equal(decode_png(png), data[10, 3:43, 5:55])
    assert vol.slice("xz", (0, 7, 0), (64, 64), format="jpg:90")[:2] == b"\xff\xd8"
    rgba = node.new_instance("rgba8blk", "colour")
    colour = np.random.default_rng(4).integers(0, 256, (32, 32, 32, 4), dtype=np.uint8)
    rgba[0:32, 0:32, 0:32] = colour
    assert rgba.slice("yz", (0, 0, 31), (32, 32)).tobytes() == colour[:, :, 31].tobytes()
    with pytest.raises(ValueError, match="isotropic slices are resampled images"):
        vol.slice("xy", (0, 0, 0), (8, 8), isotropic=True)
    with pytest.raises(ValueError, match="plane must be one of xy, xz, yz"):
        vol.slice("zz", (0, 0, 0), (8, 8))


def test_a_progress_bar_on_split_transfers_only(server, node, capsys):
    with Client(server.url, piece_bytes=32**3, progress=True) as shown:
        vol = shown.node(node.uuid).new_instance("uint8blk", "g")
        capsys.readouterr()
        vol[0:32, 0:32, 0:32] = 1  # one piece: no bar
        assert capsys.readouterr().err == ""
        vol[0:64, 0:64, 0:64] = 2
        err = capsys.readouterr().err
        assert "write g: 100%" in err and "256k/256k" in err
        vol.view(progress=False)[0:64, 0:64, 0:64]
        assert capsys.readouterr().err == ""
        vol[0:64, 0:64, 0:64]
        assert "read g: 100%" in capsys.readouterr().err
