"""Hypothesis settings for the property tests.

The ``ci`` profile (the default) is reproducible: ``derandomize=True`` makes every run draw the
same examples, no example database is read or written, and there is no per-example deadline (a
request to a real LMDB store can be slow on a loaded CI machine). Each test sets its own
``max_examples`` through :func:`examples`, so the four modules stay fast together.

To search harder locally::

    HYPOTHESIS_PROFILE=explore DVIDPY_PROPERTY_SCALE=20 pytest tests/property

``explore`` draws fresh random examples each run (failures print a reproduction blob), and
``DVIDPY_PROPERTY_SCALE`` multiplies every test's example count.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from conftest import Harness
from hypothesis import HealthCheck, settings

_COMMON = dict(
    deadline=None,
    database=None,
    print_blob=True,
    # The servers and stores are module-scoped on purpose (one per module, a fresh repo or
    # instance per example), and building a DAG with many steps is slow by design.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

settings.register_profile("ci", derandomize=True, **_COMMON)
settings.register_profile("explore", derandomize=False, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(n: int) -> int:
    """A test's example count, scaled by ``DVIDPY_PROPERTY_SCALE`` (default 1)."""
    return max(1, int(n * float(os.environ.get("DVIDPY_PROPERTY_SCALE", "1"))))


@pytest.fixture(scope="module")
def server():
    """One real server per module (real LMDB in a temporary folder); examples use fresh repos."""
    with tempfile.TemporaryDirectory() as tmp:
        harness = Harness(Path(tmp) / "data")
        yield harness
        harness.close()
