"""An roi instance's one setting: the block size its spans are counted in."""

from __future__ import annotations

from dvidpy import Instance, bad_request
from dvidpy.geometry import DEFAULT_BLOCK_SIZE, Point3, parse_ints


def parse_block_size(text: str) -> Point3:
    """``"X,Y,Z"``: three positive integers."""
    values = parse_ints(text, ",", what="BlockSize")
    if len(values) != 3:
        raise bad_request(f"BlockSize must be 3d, not {len(values)}d")
    if any(v <= 0 for v in values):
        raise bad_request(f"BlockSize must be positive on every axis, not {text!r}")
    x, y, z = values
    return x, y, z


def block_size_of(instance: Instance) -> Point3:
    x, y, z = instance.config.get("block_size", DEFAULT_BLOCK_SIZE)
    return int(x), int(y), int(z)
