"""An image volume instance's settings: block size, voxel size and units, background, extents.

They live in ``Instance.config`` as plain values; :class:`VolumeConfig` is the typed view.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from dvidpy import Instance, Settings, bad_request
from dvidpy.codecs import Kind
from dvidpy.geometry import DEFAULT_BLOCK_SIZE, Point3, Subvolume, block_of, parse_floats, parse_point

DEFAULT_VOXEL_SIZE = (8.0, 8.0, 8.0)
DEFAULT_UNITS = ("nanometers", "nanometers", "nanometers")


def float32_json(value: float) -> float | int:
    """A float32 as Go prints it: shortest round-trip form, integral values without ``.0``."""
    v = float(np.format_float_positional(np.float32(value), trim="-"))
    return int(v) if v.is_integer() else v


@dataclass(frozen=True)
class VolumeConfig:
    block_size: Point3 = DEFAULT_BLOCK_SIZE
    voxel_size: tuple[float, float, float] = DEFAULT_VOXEL_SIZE
    voxel_units: tuple[str, str, str] = DEFAULT_UNITS
    background: int = 0
    min_point: Point3 | None = None
    max_point: Point3 | None = None
    scale_level: int = 0

    @classmethod
    def of(cls, instance: Instance) -> VolumeConfig:
        c = instance.config
        return cls(
            block_size=tuple(c["block_size"]),
            voxel_size=tuple(c["voxel_size"]),
            voxel_units=tuple(c["voxel_units"]),
            background=c["background"],
            min_point=tuple(c["min_point"]) if c.get("min_point") is not None else None,
            max_point=tuple(c["max_point"]) if c.get("max_point") is not None else None,
            scale_level=c.get("scale_level", 0),
        )  # type: ignore[arg-type]

    def store_in(self, instance: Instance) -> None:
        instance.config.update({k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()})

    def updated(self, settings: Settings, *, creating: bool) -> VolumeConfig:
        """This config with the recognised settings applied (keys case-insensitive)."""
        changes: dict[str, Any] = {}
        text = settings.text("blocksize")
        if text is not None:
            size = parse_point(text, 3, ",", what="BlockSize")
            if any(v <= 0 for v in size):
                raise bad_request(f"BlockSize must be positive on every axis, not {text!r}")
            changes["block_size"] = size
        text = settings.text("voxelsize")
        if text is not None:
            sizes = parse_floats(text, 3, ",", what="VoxelSize")
            if any(v <= 0 for v in sizes):
                raise bad_request(f"VoxelSize must be positive on every axis, not {text!r}")
            changes["voxel_size"] = tuple(float(np.float32(v)) for v in sizes)
        text = settings.text("voxelunits")
        if text is not None:
            units = tuple(u.strip() for u in text.split(","))
            if len(units) == 1:
                units = units * 3  # DVID's help gives one unit for all three axes
            if len(units) != 3:
                raise bad_request(f"VoxelUnits must name 1 or 3 units, not {len(units)}: {text!r}")
            changes["voxel_units"] = units
        text = settings.text("background")
        if text is not None:
            try:
                background = int(text)
            except ValueError:
                background = -1
            if not 0 <= background <= 255:
                raise bad_request(f"Background must be an integer from 0 to 255, not {text!r}")
            changes["background"] = background
        for key, field in (("minpoint", "min_point"), ("maxpoint", "max_point")):
            text = settings.text(key)
            if text is not None:
                changes[field] = parse_point(text, 3, ",", what=key)
        text = settings.text("scalelevel")
        if text is not None:
            try:
                changes["scale_level"] = int(text)
            except ValueError:
                raise bad_request(f"ScaleLevel must be an integer, not {text!r}")
        if settings.text("gridstore"):
            raise bad_request("GridStore (a proxy for neuroglancer precomputed stores) is not supported")
        if not creating and ("compression" in settings or "checksum" in settings):
            raise bad_request("Compression and Checksum cannot be changed after an instance is created")
        return replace(self, **changes)

    @property
    def extents(self) -> Subvolume | None:
        if self.min_point is None or self.max_point is None:
            return None
        return Subvolume.from_bounds(self.min_point, self.max_point)

    def extended_json(self, voxel_type, extents: Subvolume | None, *, with_indices: bool = True) -> dict[str, Any]:
        """DVID's ``Extended`` object."""
        lo = list(extents.start) if extents else None
        hi = list(extents.end) if extents else None
        lo_index = list(block_of(extents.start, self.block_size)) if extents and with_indices else None
        hi_index = list(block_of(extents.end, self.block_size)) if extents and with_indices else None
        return {
            "Values": [dict(v) for v in voxel_type.values],
            "Interpolable": voxel_type.interpolable,
            "BlockSize": list(self.block_size),
            "VoxelSize": [float32_json(v) for v in self.voxel_size],
            "VoxelUnits": list(self.voxel_units),
            "MinPoint": lo,
            "MaxPoint": hi,
            "MinIndex": lo_index,
            "MaxIndex": hi_index,
            "Background": self.background,
            "GridStore": "",
            "ScaleLevel": self.scale_level,
        }


def configure_new(instance: Instance, settings: Settings) -> VolumeConfig:
    """Parse creation settings into ``instance.config``; JPEG storage stores the block width."""
    config = VolumeConfig().updated(settings, creating=True)
    if instance.compression.kind == Kind.JPEG:
        instance.compression = replace(instance.compression, level=config.block_size[0])
    config.store_in(instance)
    return config
