"""labelblk's endpoints: compressed 3-D transfers, point queries, pseudocolor images, block
streams and deletes, and the downres of synced followers. Each takes the datatype and the
request; the table that names their verbs is in :mod:`dvidpy.plugins.labelblk.datatype`.
"""

from __future__ import annotations

import hashlib

import numpy as np
from starlette.responses import Response

from dvidpy import Instance, InstanceRequest, RequestHead, bad_request, native
from dvidpy.geometry import Shape, parse_point3, parse_point_list
from dvidpy.imaging import ImageFormat
from dvidpy.plugins.blockvolume import sizes
from dvidpy.plugins.blockvolume.datatype import (
    VolumeType,
    block_aligned_box,
    block_run,
    block_stream,
    check_stored_geometry,
    geometry_args,
)
from dvidpy.plugins.blockvolume.voxels import check_request_size
from dvidpy.plugins.labelblk import transfer
from dvidpy.plugins.labelblk.downres import downsample_blocks, written_box
from dvidpy.plugins.labelblk.pseudocolor import colorize

# -- raw and isotropic -------------------------------------------------------------------------

def raw(dt: VolumeType, req: InstanceRequest) -> Response:
    geometry, fmt = geometry_args(req, "raw")
    isotropic = req.keyword == "isotropic"
    compression = req.query.get("compression", "")
    if req.method == "POST":
        check_stored_geometry(req.keyword, geometry)
        with req.throttled():
            raw = transfer.decode(req.body, geometry.box, compression)
            written = dt.write(req, geometry.box, dt.body_array(req, geometry.box, raw, "labels"))
            propagate(dt, req, req.instance, written)
        return Response(b"")
    if geometry.is_slice:
        return dt.slice_image(req, geometry, isotropic, fmt)
    if compression not in transfer.GET_ENCODINGS:
        raise bad_request(f'unknown compression type "{compression}"')
    with req.throttled():
        body = _labels_answer(dt, req, geometry.box, compression)
    return Response(body, media_type="application/octet-stream", headers=transfer.headers(compression))


def _labels_answer(dt: VolumeType, req: InstanceRequest, box, compression: str) -> bytes | memoryview:
    """A GET's body: neuroglancer's encodings composed from stored blocks where they can be,
    answers that cost an encoding from the chunk cache, the rest encoded from the voxels."""
    if compression in transfer.SEGMENTATION and not req.query.get("roi"):
        body = _segmentation_from_blocks(dt, req, box, compression)
        if body is not None:
            return body
    if compression in transfer.CACHED:
        return dt.read_encoded(req, box, compression, lambda volume: transfer.encode(volume, compression))
    return transfer.encode(dt.read(req, box), compression)


def _segmentation_from_blocks(dt: VolumeType, req: InstanceRequest, box, compression: str) -> bytes | None:
    """A ``google``/``googlegzip`` answer made from blocks stored in that encoding, or None."""
    check_request_size(box, dt.voxel.bytes_per_voxel, req.max_request_bytes)
    body = dt.volume(req).compressed_segmentation(box)
    if body is None or compression == "google":
        return body
    return transfer.fast_gzip(body)


def transfer_size(dt: VolumeType, head: RequestHead) -> int:
    """``raw``/``isotropic``: the box's labels; an lz4 transfer must fit LZ4's block API."""
    size = sizes.voxels(dt, head)
    transfer.check_lz4_size(size, head.query.get("compression", ""))
    return size


def blocks_size(dt: VolumeType, head: RequestHead) -> int | None:
    """``GET blocks``: every block of the box, at most (a DELETE answers nothing)."""
    return sizes.blocks_in_box(dt, head) if head.method in ("GET", "HEAD") else 0


def propagate(dt: VolumeType, req: InstanceRequest, source: Instance, written: list,
              done_with: frozenset[str] = frozenset()) -> None:
    """Recompute lower resolutions in every labelblk following ``source``, down the chain.

    Sync cycles are refused when syncs are set; ``done_with`` still ends the walk at an
    instance already visited, so a store holding an old cycle cannot recurse forever."""
    if not written:
        return
    done_with = done_with | {source.data_uuid}
    for follower in req.instances():
        if source.data_uuid not in follower.syncs or follower.typename != dt.name:
            continue
        if follower.data_uuid in done_with:
            continue
        dest = dt.volume(req, follower)
        done = downsample_blocks(dt.volume(req, None if source is req.instance else source), dest, written)
        dt.grow_extents(req, dest, written_box(done, dest.block_size), follower)
        propagate(dt, req, follower, done, done_with)


# -- images and point queries ------------------------------------------------------------------

def pseudocolor(dt: VolumeType, req: InstanceRequest) -> Response:
    geometry, fmt = geometry_args(req, "pseudocolor")
    if geometry.shape is Shape.VOL:
        raise bad_request("DVID currently supports only 2d pseudocolor image requests")
    image_format = ImageFormat.parse(fmt)
    plane = geometry.plane(dt.read(req, geometry.box))
    return dt.encode(colorize(plane), image_format)

def label(dt: VolumeType, req: InstanceRequest) -> Response:
    if not req.args:
        raise bad_request("DVID requires coord to follow 'label' command")
    point = parse_point3(req.args[0], what="coordinate")
    label = int(dt.volume(req).values_at(np.array([point]))[0])
    return Response(f'{{"Label": {label}}}', media_type="application/json")

def labels(dt: VolumeType, req: InstanceRequest) -> Response:
    """Labels at a JSON list of points: GET with a JSON body (DVID today) or POST (the seed)."""
    expected = req.query.get("hash")
    if expected:
        actual = hashlib.md5(req.body).hexdigest()
        if actual != expected:
            raise bad_request(f"content hash incorrect.  expected {expected}, got {actual}")
    points = parse_point_list(req.body, "Bad labels request JSON")
    labels = dt.volume(req).values_at(points) if len(points) else np.zeros(0, np.uint64)
    return Response(native.json_uint64s(labels), media_type="application/json")

# -- block streams and deletes --------------------------------------------------------------------

def blocks(dt: VolumeType, req: InstanceRequest) -> Response:
    if len(req.args) < 2:
        raise bad_request('"blocks" must be followed by size/offset (GET) or block-coord/span-x (DELETE)')
    if req.method == "DELETE":
        return _delete_blocks(dt, req)
    mode = req.query.get("compression", "lz4") or "lz4"
    if mode not in ("lz4", "uncompressed"):
        raise bad_request(f"don't understand 'compression' query string value: {mode}")
    box = block_aligned_box(req.args[0], req.args[1], dt.config(req.instance).block_size)
    return block_stream(dt, req, box, mode)

def _delete_blocks(dt: VolumeType, req: InstanceRequest) -> Response:
    """``DELETE blocks/<x>_<y>_<z>/<spanX>``: hide a run of blocks at this version; the labelblks
    that follow this one recompute the blocks above the deleted ones (DVID's downres follows
    block deletes as it follows writes)."""
    start, span = block_run(req.args)
    deleted = dt.volume(req).delete_run(start, span)
    propagate(dt, req, req.instance, deleted)
    return Response(b"")
