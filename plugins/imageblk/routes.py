"""imageblk's endpoints: ``raw``/``isotropic`` slices and subvolumes, block runs and block
streams, arbitrary planes and ``rawkey``. Each takes the datatype and the request; the table
that names their verbs is in :mod:`dvidpy.plugins.imageblk.datatype`.
"""

from __future__ import annotations

import json

import numpy as np
from starlette.responses import Response

from dvidpy import InstanceRequest, RequestHead, bad_request, query_flag
from dvidpy.geometry import INT32_MAX, INT32_MIN, Subvolume, block_box, parse_ints
from dvidpy.imaging import ImageFormat, encode_image
from dvidpy.plugins.blockvolume.datatype import (
    VolumeType,
    block_aligned_box,
    block_run,
    block_stream,
    check_stored_geometry,
    geometry_args,
)
from dvidpy.plugins.blockvolume.keys import block_tkey
from dvidpy.plugins.blockvolume.voxels import Volume, block_record, check_request_size
from dvidpy.plugins.imageblk.arb import ArbPlane, sample

OCTET = "application/octet-stream"
STREAM_MODES = ("", "jpeg", "uncompressed")
#: ``compression=`` values DVID knows; imageblk's voxel transfers ignore them, as DVID's do.
KNOWN_COMPRESSIONS = ("", "none", "uncompressed", "lz4", "gzip", "google", "jpeg")


def octet(array: np.ndarray) -> Response:
    """Voxels as little-endian bytes, x fastest, without an extra copy."""
    return Response(np.ascontiguousarray(array).reshape(-1).view(np.uint8).data, media_type=OCTET)


# -- raw and isotropic -----------------------------------------------------------------------------

def raw(dt: VolumeType, req: InstanceRequest) -> Response:
    geometry, fmt = geometry_args(req)
    isotropic = req.keyword == "isotropic"
    compression = req.query.get("compression", "")
    if compression not in KNOWN_COMPRESSIONS:
        raise bad_request(f'unknown compression type "{compression}"')
    if req.method == "POST":
        check_stored_geometry(req.keyword, geometry)
        with req.throttled():
            dt.write(req, geometry.box, dt.body_array(req, geometry.box, req.body))
        return Response(b"")
    if geometry.is_slice:
        return dt.slice_image(req, geometry, isotropic, fmt)
    if fmt in ("jpg", "jpeg"):
        with req.throttled():
            body = dt.read_encoded(req, geometry.box, "jpeg", lambda volume: jpeg_stack(dt, volume))
        return Response(body, media_type="image/jpeg")
    with req.throttled():
        volume = dt.read(req, geometry.box)
    return octet(volume)


def jpeg_stack(dt: VolumeType, volume: np.ndarray) -> bytes:
    """A 3-D box as one JPEG of its z slices stacked vertically (neuroglancer's image chunk)."""
    nz, ny, nx = volume.shape
    return encode_image(dt.voxel.to_image(volume.reshape(nz * ny, nx)), ImageFormat("jpeg"))


# -- block runs -------------------------------------------------------------------------------------


def blocks(dt: VolumeType, req: InstanceRequest) -> Response:
    """``blocks/<x>_<y>_<z>/<spanX>``: a run of whole blocks along x, uncompressed."""
    start, span = block_run(req.args)
    volume = dt.volume(req)
    check_request_size(Subvolume((0, 0, 0), (volume.codec.voxels, span, 1)), dt.voxel.bytes_per_voxel,
                       req.max_request_bytes)
    coords = [(start[0] + i, start[1], start[2]) for i in range(span)]
    if req.method == "POST":
        return _post_blocks(dt, req, volume, coords)
    out = np.empty((span,) + volume.codec.shape, dtype=dt.voxel.dtype)
    for i, (_, value) in enumerate(volume.fetch(coords)):
        out[i] = volume.background_block() if value is None else volume.codec.decode(value)
    return octet(out)


def _post_blocks(dt: VolumeType, req: InstanceRequest, volume: Volume, coords: list) -> Response:
    size = volume.codec.nbytes
    expected = size * len(coords)
    if len(req.body) < expected:
        raise bad_request(
            f"block data ceased before all block data read: got {len(req.body)} bytes, "
            f"expected {len(coords)} blocks of {size} bytes"
        )
    if len(req.body) > expected:
        raise bad_request(f"block data has {len(req.body) - expected} bytes more than {len(coords)} blocks of {size} bytes")
    body = memoryview(req.body)
    for i, coord in enumerate(coords):
        volume.write_block(coord, body[i * size : (i + 1) * size])
    run = block_box(coords[0], volume.block_size).union(block_box(coords[-1], volume.block_size))
    # Extents are voxel coordinates (int32 in DVID); a run beyond them stays out of the extents.
    if INT32_MIN <= min(run.start) and max(run.end) <= INT32_MAX:
        dt.grow_extents(req, volume, run)
    return Response(b"")


# -- block streams ----------------------------------------------------------------------------------


def _stream_mode(req: InstanceRequest) -> str:
    mode = req.query.get("compression", "")
    if mode not in STREAM_MODES:
        raise bad_request(f"don't understand 'compression' query string value: {mode}")
    return mode


def subvolblocks(dt: VolumeType, req: InstanceRequest) -> Response:
    if len(req.args) < 2:
        raise bad_request('"subvolblocks" must be followed by size/offset')
    mode = _stream_mode(req)
    box = block_aligned_box(req.args[0], req.args[1], dt.config(req.instance).block_size)
    return block_stream(dt, req, box, mode)


def specificblocks(dt: VolumeType, req: InstanceRequest) -> Response:
    mode = _stream_mode(req)
    text = req.query.get("blocks", "")
    if query_flag(req.query.get("prefetch")) or not text:
        return Response(b"", media_type=OCTET)
    values = parse_ints(text, ",", what="blocks")
    if len(values) % 3:
        raise bad_request("block query string should be three coordinates per block")
    coords = [tuple(values[i : i + 3]) for i in range(0, len(values), 3)]
    volume = dt.volume(req)
    with req.store.snapshot():
        records = [
            block_record(coord, volume.codec.record_payload(value, mode))
            for coord, value in volume.fetch(coords)
            if value is not None
        ]
    return Response(b"".join(records), media_type=OCTET)


# -- arbitrary planes, raw keys ---------------------------------------------------------------------


def arb(dt: VolumeType, req: InstanceRequest) -> Response:
    if len(req.args) < 4:
        raise bad_request('"arb" must be followed by top-left/top-right/bottom-left/res')
    fmt = ImageFormat.parse(req.args[4] if len(req.args) > 4 else "")
    plane = ArbPlane.parse(*req.args[:4])
    config = dt.config(req.instance)
    with req.throttled():
        values = sample(dt.volume(req), plane, config.voxel_size, dt.voxel.byte_channels)
    return dt.encode(dt.voxel.to_image(values), fmt)


def arb_size(dt: VolumeType, head: RequestHead) -> int:
    """``arb``'s answer: one voxel per pixel of the plane (its working memory is bounded)."""
    if len(head.args) < 4:
        raise bad_request('"arb" must be followed by top-left/top-right/bottom-left/res')
    plane = ArbPlane.parse(*head.args[:4])
    return plane.width * plane.height * dt.voxel.bytes_per_voxel


def rawkey(dt: VolumeType, req: InstanceRequest) -> Response:
    """The store key of block ``?x=&y=&z=`` at this version (DVID documents it, answers nothing)."""
    if req.args:
        raise bad_request("rawkey endpoint should be followed by query strings (x, y, and z) giving block coord")
    try:
        coord = tuple(int(req.query[axis]) for axis in "xyz")
    except (KeyError, ValueError):
        raise bad_request("rawkey needs integer query strings x, y and z (a block coordinate)")
    if not all(INT32_MIN <= c <= INT32_MAX for c in coord):
        raise bad_request(f"rawkey block coordinate {coord} does not fit in 32 bits")
    key = req.store.raw_key(block_tkey(*coord))
    return Response(json.dumps({"Key": key.hex().upper()}), media_type="application/json")
