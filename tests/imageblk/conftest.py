"""Fixtures of the imageblk tests: gray (a repo with a default uint8blk grayscale), filled
(grayscale holding DVID's makeVolume over x -32..31, y and z 0..63) and with_roi (filled plus the
ROI myroi over SPANS and its inside mask). The dvid harness and block_records/error_message come
from tests/conftest.py; helpers and constants live in volumes.py.
"""

from __future__ import annotations

import pytest

from .volumes import SPANS, inside_mask, make_roi, put, xor_volume


@pytest.fixture
def gray(dvid):
    """A repo with a default uint8blk ``grayscale``."""
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "uint8blk", "grayscale")
    return dvid, uuid


@pytest.fixture
def filled(gray):
    """``grayscale`` holding DVID's makeVolume over x -32..31, y and z 0..63."""
    dvid, uuid = gray
    data = xor_volume((-32, 0, 0), (64, 64, 64))
    put(dvid, uuid, "grayscale", data, (-32, 0, 0))
    return dvid, uuid, data


@pytest.fixture
def with_roi(filled):
    dvid, uuid, data = filled
    make_roi(dvid, uuid)
    return dvid, uuid, data, inside_mask(SPANS, (-32, 0, 0), (64, 64, 64))
