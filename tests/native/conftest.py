"""The compiled hot path is tested directly (``dvidpy.native._blocks``) whichever path the
process runs, so a CI run with ``DVIDPY_NATIVE=0`` still proves the codec. Where the extension
was not built the compiled tests skip with that reason, unless ``DVIDPY_TEST_NATIVE=required``
(as in CI) makes that a failure."""

from __future__ import annotations

import importlib
import os

import pytest

try:  # the module itself: dvidpy.native's attribute of that name is None under DVIDPY_NATIVE=0
    _blocks = importlib.import_module("dvidpy.native._blocks")
except ImportError:
    _blocks = None


@pytest.fixture
def compiled():
    if _blocks is None:
        if os.environ.get("DVIDPY_TEST_NATIVE") == "required":
            pytest.fail("the compiled hot path (dvidpy.native._blocks) was not built")
        pytest.skip("the compiled hot path was not built on this install (no compiler?)")
    return _blocks
