"""The roi endpoints: ``roi``, ``ptquery``, ``mask`` and ``partition``.

Every handler validates its whole input before touching the store, so a 400 never leaves a
partial write behind (the core's transaction would roll it back anyway).
"""

from __future__ import annotations

import json
import re

import numpy as np
from starlette.responses import Response

from dvidpy import Datatype, InstanceRequest, RequestHead, bad_request, json_response, query_flag
from dvidpy.geometry import (
    INT32_MAX,
    Shape,
    Subvolume,
    check_int32_box,
    check_positive,
    parse_geometry,
    parse_point_list,
)
from dvidpy.plugins.roi import partition as partitions
from dvidpy.plugins.roi.config import block_size_of
from dvidpy.plugins.roi.spans import SpanIndex, blocks_of_voxels, delete_spans, load_spans, parse_spans, replace_spans

_ATOI = re.compile(r"[+-]?[0-9]+")


# -- roi -----------------------------------------------------------------------------------------


def roi(dt: Datatype, req: InstanceRequest) -> Response:
    """GET the spans, POST new ones (replacing this version's), DELETE them."""
    if req.method in ("GET", "HEAD"):
        spans = load_spans(req.store)
        return json_response(spans.tolist())
    if req.method == "POST":
        spans = parse_spans(req.body)
        replace_spans(req.store, spans)
        return Response(b"")
    delete_spans(req.store)
    return Response(b"")


# -- ptquery -------------------------------------------------------------------------------------


def ptquery(dt: Datatype, req: InstanceRequest) -> Response:
    """POST ``[[x, y, z], ...]`` voxels; answers one boolean per point, in order."""
    points = parse_point_list(req.body, "Error trying to parse POSTed JSON")
    index = SpanIndex(load_spans(req.store))
    inside = index.contains(blocks_of_voxels(points, block_size_of(req.instance)))
    return json_response(inside.tolist())


# -- mask ----------------------------------------------------------------------------------------


def _mask_box(req: RequestHead) -> Subvolume:
    if len(req.args) < 3:
        raise bad_request('"mask" must be followed by shape/size/offset')
    shape_text, size_text, offset_text = req.args[:3]
    if Shape.parse(shape_text) is not Shape.VOL:
        raise bad_request("Currently only 3d masks ('0_1_2' shape) is supported")
    box = parse_geometry(shape_text, size_text, offset_text).box
    check_positive(box)
    check_int32_box(box)
    return box


def mask_size(dt: Datatype, head: RequestHead) -> int:
    """The mask's answer: one byte per voxel."""
    return _mask_box(head).num_voxels


def mask(dt: Datatype, req: InstanceRequest) -> Response:
    """GET ``mask/0_1_2/<size>/<offset>``: 1 for voxels inside the ROI, 0 outside."""
    box = _mask_box(req)
    if box.num_voxels > req.max_request_bytes:
        raise bad_request(f"Requested payload ({box.num_voxels} bytes) exceeds this DVID server's set limit "
                          f"({req.max_request_bytes})")
    return Response(build_mask(req, box).tobytes(), media_type="application/octet-stream")


def build_mask(req: InstanceRequest, box: Subvolume) -> np.ndarray:
    """The ``(nz, ny, nx)`` uint8 mask of ``box``: test each block once, then expand to voxels."""
    bs = block_size_of(req.instance)
    blocks = box.block_bounds(bs)
    z_lo, z_hi = blocks.start[2], blocks.end[2]
    index = SpanIndex(load_spans(req.store, z_lo, z_hi))
    inside = index.contains(blocks.coords_zyx()).reshape(blocks.shape_zyx).astype(np.uint8)
    picks = [
        np.arange(o, o + s, dtype=np.int64) // b - first
        for o, s, b, first in zip(box.offset, box.size, bs, blocks.offset)
    ]
    return inside[np.ix_(picks[2], picks[1], picks[0])]


# -- partition -----------------------------------------------------------------------------------


def partition(dt: Datatype, req: InstanceRequest) -> Response:
    """GET ``partition?batchsize=N[&optimized=true|on]``: subvolumes for batch processing."""
    batch = parse_batchsize(req.query.get("batchsize", ""))
    spans = load_spans(req.store)
    bs = block_size_of(req.instance)
    if query_flag(req.query.get("optimized")):
        result = partitions.optimized_partition(spans, batch, bs)
    else:
        result = partitions.simple_partition(spans, batch, bs)
    return Response(json.dumps(result, indent=4).encode(), media_type="application/json")


def parse_batchsize(text: str) -> int:
    """The ``batchsize`` query value, required; DVID's Go ``strconv.Atoi`` error wording."""
    if not _ATOI.fullmatch(text):
        raise bad_request(f'Error reading batchsize query string: strconv.Atoi: parsing "{text}": invalid syntax')
    batch = int(text)
    if not 0 < batch <= INT32_MAX:
        raise bad_request(f"Error reading batchsize query string: batchsize must be from 1 to {INT32_MAX}, not {batch}")
    return batch
