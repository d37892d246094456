"""How big a block-volume request's answer (or decoded body) will be, from its URL alone.

These are the ``size`` rules of the endpoint tables: the core calls them before it reads the
body or does any work, and refuses what exceeds the server's limit. Each parses the URL as its
endpoint will (so a malformed URL is refused here, with the endpoint's own message) and returns
an upper bound in bytes.
"""

from __future__ import annotations

from dvidpy import RequestHead, bad_request
from dvidpy.plugins.blockvolume.datatype import (
    VolumeType,
    block_aligned_box,
    block_run,
    check_stored_geometry,
    geometry_args,
)

#: A block-stream record's header: int32 x, y, z and byte count.
RECORD_HEADER = 16


def voxels(dt: VolumeType, head: RequestHead) -> int:
    """``raw`` and ``isotropic``: the box's voxels (a slice reads no more than its box)."""
    geometry, _ = geometry_args(head, head.keyword)
    if head.method == "POST":
        check_stored_geometry(head.keyword, geometry)
    if geometry.box.empty:
        return 0  # the endpoint says what is wrong with it
    return geometry.box.num_voxels * dt.voxel.bytes_per_voxel


def run_of_blocks(dt: VolumeType, head: RequestHead) -> int:
    """``blocks/<x>_<y>_<z>/<spanX>``: span whole blocks."""
    _, span = block_run(head.args)
    return span * _block_bytes(dt, head)


def blocks_in_box(dt: VolumeType, head: RequestHead) -> int:
    """Block streams of a block-aligned ``<size>/<offset>``: every block in the box, at most."""
    if len(head.args) < 2:
        raise bad_request(f'"{head.keyword}" must be followed by size/offset')
    block_size = dt.config(head.instance).block_size
    box = block_aligned_box(head.args[0], head.args[1], block_size)
    count = box.num_voxels // (block_size[0] * block_size[1] * block_size[2])
    return count * (_block_bytes(dt, head) + RECORD_HEADER)


def listed_blocks(dt: VolumeType, head: RequestHead) -> int:
    """``specificblocks?blocks=x,y,z,...``: the listed blocks, at most."""
    count = head.query.get("blocks", "").count(",") // 3 + 1
    return count * (_block_bytes(dt, head) + RECORD_HEADER)


def _block_bytes(dt: VolumeType, head: RequestHead) -> int:
    x, y, z = dt.config(head.instance).block_size
    return x * y * z * dt.voxel.bytes_per_voxel
