"""Boxes from numpy indices, block alignment, and the block-aligned pieces of a transfer."""

from __future__ import annotations

import numpy as np
import pytest

from dvidpy.client.boxes import Box, box_of, pieces

BOUNDS = Box((-32, 0, 0), (32, 64, 96))


def test_index_forms():
    assert box_of(np.s_[3:40, 5:70, 9:100], None) == (Box((3, 5, 9), (40, 70, 100)), ())
    assert box_of(np.s_[-32:0, 0:1, 7], None) == (Box((-32, 0, 7), (0, 1, 8)), (2,))
    assert box_of(10, BOUNDS) == (Box((10, 0, 0), (11, 64, 96)), (0,))
    assert box_of(..., BOUNDS) == (BOUNDS, ())
    assert box_of(np.s_[..., 5:6], BOUNDS) == (Box((-32, 0, 5), (32, 64, 6)), ())
    assert box_of(np.s_[0:8, :, 2:], BOUNDS) == (Box((0, 0, 2), (8, 64, 96)), ())


def test_bad_indices_name_the_axis():
    with pytest.raises(IndexError, match="y: steps are not supported"):
        box_of(np.s_[0:4, 0:8:2, 0:4], None)
    with pytest.raises(IndexError, match="z: an open range needs the volume's extents"):
        box_of(np.s_[:, 0:4, 0:4], None)
    with pytest.raises(IndexError, match="holds no voxels"):
        box_of(np.s_[4:4, 0:4, 0:4], None)
    with pytest.raises(IndexError, match="three axes"):
        box_of((1, 2, 3, 4), None)
    with pytest.raises(IndexError, match="x: index with integers or slices"):
        box_of((1, 2, "3"), None)


def test_url_parts_are_x_y_z():
    box = Box((1, 2, 3), (11, 22, 33))
    assert (box.shape, box.url_size(), box.url_offset()) == ((10, 20, 30), "30_20_10", "3_2_1")
    assert box.describe() == "z 1:11, y 2:22, x 3:33"


def test_alignment():
    assert Box((0, 32, -64), (32, 96, 0)).is_aligned((32, 32, 32))
    assert not Box((0, 0, 0), (32, 32, 33)).is_aligned((32, 32, 32))
    assert Box((3, -5, 40), (40, 70, 41)).aligned((32, 32, 32)) == Box((0, -32, 32), (64, 96, 64))
    assert Box((0, 0, 0), (8, 8, 8)).aligned((4, 8, 16)) == Box((0, 0, 0), (8, 8, 16))


def test_pieces_are_whole_layers_when_they_fit():
    box = Box((0, 0, 0), (128, 64, 64))
    layer = 32 * 64 * 64  # one layer of blocks, uint8
    assert pieces(box, (32, 32, 32), 1, 2 * layer) == [Box((0, 0, 0), (64, 64, 64)), Box((64, 0, 0), (128, 64, 64))]
    assert pieces(box, (32, 32, 32), 1, 10**9) == [box]


def test_pieces_fall_back_to_rows_then_runs_of_blocks():
    box = Box((0, 0, 0), (32, 64, 96))
    block = 32**3
    rows = pieces(box, (32, 32, 32), 1, 3 * block)
    assert rows == [Box((0, 0, 0), (32, 32, 96)), Box((0, 32, 0), (32, 64, 96))]
    runs = pieces(box, (32, 32, 32), 1, 2 * block)
    assert runs == [Box((0, y, x), (32, y + 32, min(x + 64, 96))) for y in (0, 32) for x in (0, 64)]
    assert len(pieces(box, (32, 32, 32), 8, 1)) == 6  # never less than one block


def test_pieces_of_an_unaligned_box_stay_on_the_block_grid():
    box = Box((3, -5, 9), (40, 30, 70))
    got = pieces(box, (32, 32, 32), 1, 32**3)
    assert len(got) == 2 * 2 * 3
    assert got[0] == Box((3, -5, 9), (32, 0, 32))
    assert got[-1] == Box((32, 0, 64), (40, 30, 70))
    covered = np.zeros(box.shape, dtype=int)
    for piece in got:
        covered[piece.within(box)] += 1
    assert (covered == 1).all()


def test_a_body_is_read_into_its_buffer_and_its_real_length_kept():
    from dvidpy.client.transport import _read_into

    buffer = bytearray(6)
    assert bytes(_read_into([b"abc", b"def"], memoryview(buffer))) == b"abcdef" and buffer == b"abcdef"
    assert bytes(_read_into([b"ab"], memoryview(bytearray(6)))) == b"ab"
    assert _read_into([b"abcd", b"efgh"], memoryview(bytearray(6))) == b"abcdefgh"
