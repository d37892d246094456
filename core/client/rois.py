"""Regions of interest: spans of blocks, point membership, voxel masks and partitions."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from dvidpy.client.boxes import Box, box_of
from dvidpy.client.instances import Instance
from dvidpy.client.points import as_points


class ROI(Instance):
    """An roi instance. Spans are DVID's ``[z, y, x0, x1]`` in block coordinates (x0..x1
    inclusive); points and boxes are (z, y, x) voxels, as everywhere in this client."""

    def spans(self) -> list[list[int]]:
        """The ROI at this version, sorted by z, y, x0."""
        return self.transport.get_json(f"{self.path}/roi")

    def set_spans(self, spans: Any) -> None:
        """Replace the ROI at this version with ``spans`` (a list, or an (N, 4) int array)."""
        body = np.asarray(spans, dtype=np.int64).reshape(-1, 4).tolist()
        self.transport.post(f"{self.path}/roi", json.dumps(body).encode())

    def clear(self) -> None:
        """Empty the ROI at this version (ancestors keep theirs)."""
        self.transport.request("DELETE", f"{self.path}/roi")

    def contains(self, points: Any) -> np.ndarray:
        """For each (z, y, x) point, whether it is inside: a bool array in the points' order."""
        zyx = as_points(points)
        reply = self.transport.post_json(f"{self.path}/ptquery", zyx[:, ::-1].tolist())
        return np.array(reply, dtype=bool).reshape(len(zyx))

    def mask(self, index: Any) -> np.ndarray:
        """A (z, y, x) uint8 array of a box (a :class:`Box` or ``np.s_[z0:z1, y0:y1, x0:x1]``):
        1 inside the ROI, 0 outside."""
        box = index if isinstance(index, Box) else box_of(index, None)[0]
        raw = self.transport.get(f"{self.path}/mask/0_1_2/{box.url_size()}/{box.url_offset()}")
        return np.frombuffer(raw, dtype=np.uint8).reshape(box.shape).copy()

    def partition(self, batchsize: int, *, optimized: bool = False) -> dict[str, Any]:
        """DVID's partition of the ROI into subvolumes of ``batchsize`` blocks on an edge, as it
        answers it (``NumSubvolumes``, ``Subvolumes`` with ``MinPoint``/``MaxPoint`` in x, y, z...)."""
        params = {"batchsize": str(batchsize), **({"optimized": "true"} if optimized else {})}
        return self.transport.get_json(f"{self.path}/partition", params=params)
