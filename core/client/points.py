"""Points in (z, y, x) order, as DVID's JSON point lists ``[[x, y, z], ...]``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np


def as_points(points: Any) -> np.ndarray:
    """An (N, 3) int64 array of (z, y, x) points; a single point may be given as (z, y, x)."""
    array = np.asarray(points)
    if array.ndim == 1 and array.shape[0] == 3:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != 3:
        raise ValueError(f"points must be an (N, 3) array of (z, y, x), not of shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"points must be integer voxel coordinates, not {array.dtype.name}")
    return array.astype(np.int64, copy=False)


def points_json(points: Any, batch: int) -> tuple[Callable[[int], bytes], int]:
    """The JSON body for the ``batch`` points from a start index, and how many points there are."""
    zyx = as_points(points)

    def body(start: int) -> bytes:
        return json.dumps(zyx[start : start + batch, ::-1].tolist()).encode()

    return body, len(zyx)
