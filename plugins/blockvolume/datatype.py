"""What every block-volume datatype shares (imageblk's six types and labelblk).

:class:`VolumeType` holds the per-request plumbing around the voxel engine: instance settings,
the volume at the request's version, ``roi=``/``attenuation=``, block-aligned writes with
extents bookkeeping, 2-D slice responses, and the info/metadata/extents/resolution endpoints.
Datatypes subclass it and extend its endpoint table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from starlette.responses import PlainTextResponse, Response

from dvidpy import (
    ANY_VERB,
    Datatype,
    Endpoint,
    Instance,
    InstanceRequest,
    Region,
    Settings,
    bad_request,
    json_text,
    segmentation,
)
from dvidpy.codecs import Kind
from dvidpy.geometry import (
    INT32_MAX,
    Geometry,
    Point3,
    Subvolume,
    check_int32_box,
    parse_geometry,
    parse_ints,
    parse_point3,
)
from dvidpy.imaging import ImageFormat, encode_image
from dvidpy.plugins.blockvolume.config import VolumeConfig, configure_new, float32_json
from dvidpy.plugins.blockvolume.formats import VoxelType
from dvidpy.plugins.blockvolume.slices import box_filter, isotropic_source, nearest
from dvidpy.plugins.blockvolume.voxels import BlockCodec, Volume, block_record, check_request_size, extents_from_json

NDDATA_JSON = "application/vnd.dvid-nd-data+json"


class VolumeType(Datatype):
    """Base class of block-volume datatypes; ``voxel`` says what one voxel is."""

    voxel: VoxelType

    def __init__(self, voxel: VoxelType, help_text: str) -> None:
        super().__init__()
        self.voxel = voxel
        self.name = voxel.typename
        self.version = voxel.version
        self.url = voxel.url
        self.help_text = help_text

    # -- instance settings -------------------------------------------------------------------------

    def create(self, settings: Settings, instance: Instance) -> None:
        config = configure_new(instance, settings)
        self.check_storage(instance, config.block_size)

    def check_storage(self, instance: Instance, block_size: Point3) -> None:
        """Refuse a block encoding this type or block size cannot be stored in."""
        kind, typename = instance.compression.kind, self.voxel.typename
        if kind == Kind.JPEG and self.voxel.bytes_per_voxel != 1:
            raise bad_request(f"Compression jpeg stores 8-bit grey blocks only; {typename} has "
                              f"{self.voxel.bytes_per_voxel} bytes per voxel")
        if kind != Kind.SEGMENTATION:
            return
        if self.voxel.dtype != np.dtype("<u8"):
            raise bad_request(f"Compression compressed_segmentation stores uint64 labels only, not {typename}")
        if not segmentation.storable(block_size):
            raise bad_request(f"Compression compressed_segmentation needs a BlockSize that is a multiple of "
                              f"{segmentation.CELL} on every axis and at most {segmentation.MAX_CELLS} cells of 8^3, "
                              f"not {','.join(map(str, block_size))}")

    def config(self, instance: Instance) -> VolumeConfig:
        return VolumeConfig.of(instance)

    def volume(self, req: InstanceRequest, instance: Instance | None = None) -> Volume:
        """The blocks of the request's instance (or of another ``instance`` of this type in the
        same repo) at the request's version, in the request's transaction."""
        owner = instance or req.instance
        config = self.config(owner)
        codec = BlockCodec(config.block_size, self.voxel.dtype, owner.compression, owner.checksum)
        store = req.store if instance is None else req.store_of(instance)
        return Volume(store, codec, self.voxel.fill_value(config.background))

    def describe(self, instance: Instance, base: dict[str, Any]) -> dict[str, Any]:
        config = self.config(instance)
        return {"Base": base, "Extended": config.extended_json(self.voxel, config.extents)}

    def version_extents(self, req: InstanceRequest) -> Subvolume | None:
        """This version's extents, falling back to the instance's (as DVID does)."""
        return self.volume(req).extents() or self.config(req.instance).extents

    def info(self, req: InstanceRequest) -> dict[str, Any]:
        extents = self.version_extents(req)
        config = self.config(req.instance)
        lo = list(extents.start) if extents else None
        hi = list(extents.end) if extents else None
        return {
            "Base": req.base_info(),
            "Extended": config.extended_json(self.voxel, extents),
            "Extents": {"MinPoint": lo, "MaxPoint": hi},
        }

    # -- reading and writing for a request -----------------------------------------------------------

    def region_of(self, req: InstanceRequest) -> tuple[Region | None, int]:
        """The ``roi=`` region (or None) and the ``attenuation=`` shift (0 if none)."""
        name = req.query.get("roi")
        if not name:
            return None, 0
        attenuation = 0
        text = req.query.get("attenuation")
        if text:
            try:
                attenuation = int(text)
            except ValueError:
                attenuation = 0
            if not 1 <= attenuation <= 7:
                raise bad_request("Attenuation should be from 1 to 7 (divides by 2^n)")
            if not self.voxel.byte_channels:
                raise bad_request("Can only scale non-ROI blocks with 1 byte voxels")
        return req.region(name), attenuation

    def read(self, req: InstanceRequest, box: Subvolume) -> np.ndarray:
        check_request_size(box, self.voxel.bytes_per_voxel, req.max_request_bytes)
        region, attenuation = self.region_of(req)
        return self.volume(req).read(box, region=region, attenuation=attenuation)

    def read_encoded(self, req: InstanceRequest, box: Subvolume, form: str,
                     encode: Callable[[np.ndarray], bytes]) -> bytes:
        """``encode(self.read(req, box))``, or the same bytes from the server's chunk cache.

        ``form`` names the encoding and its parameters. The key holds the instance, box, form,
        background and a digest of the stored blocks read in this request's snapshot, so a
        cached answer is always the one a fresh read would give. With ``roi=`` the answer also
        depends on another instance's data, so it is not cached.
        """
        if req.query.get("roi"):
            return encode(self.read(req, box))
        volume = self.volume(req)

        def key() -> bytes:
            named = (req.instance.data_uuid, self.name, form, repr(box.offset), repr(box.size), repr(volume.fill))
            return "|".join(named).encode() + volume.fingerprint(box)

        with req.store.snapshot():
            return req.cached(key, lambda: encode(self.read(req, box)))

    def write(self, req: InstanceRequest, box: Subvolume, data: np.ndarray) -> list:
        """Store a block-aligned array, honouring ``roi=``; grows this version's extents."""
        check_request_size(box, self.voxel.bytes_per_voxel, req.max_request_bytes)
        region, _ = self.region_of(req)
        volume = self.volume(req)
        if not box.is_aligned(volume.block_size):
            raise bad_request(f"cannot store voxels in non-block aligned geometry {box.describe()}")
        written = volume.write(box, data, region=region)
        self.grow_extents(req, volume, box)
        return written

    def grow_extents(self, req: InstanceRequest, volume: Volume, box: Subvolume, instance: Instance | None = None) -> None:
        """Grow the version's extents and the instance's copy (saved only when it changes).

        ``instance`` is the owner of ``volume`` when it is not the request's own instance
        (a synced instance written on the request's behalf).
        """
        owner = instance or req.instance
        volume.grow_extents(box)
        config = self.config(owner)
        grown = box if config.extents is None else config.extents.union(box)
        if grown != config.extents:
            req.save_instance(lambda: replace(config, min_point=grown.start, max_point=grown.end).store_in(owner))

    def body_array(self, req: InstanceRequest, box: Subvolume, data: bytes, what: str = "voxels") -> np.ndarray:
        expected = box.num_voxels * self.voxel.bytes_per_voxel
        if len(data) != expected:
            raise bad_request(f"{what} data was {len(data)} bytes, expected {expected} bytes for {box.describe()}")
        return np.frombuffer(data, dtype=self.voxel.dtype).reshape(box.shape_zyx)

    # -- 2-D images ----------------------------------------------------------------------------------

    def slice_image(self, req: InstanceRequest, geometry: Geometry, isotropic: bool, fmt_text: str) -> Response:
        """A 2-D slice as an image; ``isotropic`` resamples to square physical pixels."""
        fmt = ImageFormat.parse(fmt_text)
        source = isotropic_source(geometry, self.config(req.instance).voxel_size) if isotropic else geometry
        plane = source.plane(self.read(req, source.box))
        width, height = geometry.size2d  # type: ignore[misc]
        if plane.shape != (height, width):
            return self.encode(self.resize(plane, width, height), fmt)
        return self.encode(self.voxel.to_image(plane), fmt)

    def resize(self, plane: np.ndarray, width: int, height: int) -> np.ndarray:
        """Scale a slice to the requested size and return its image carrier."""
        if not self.voxel.interpolable:
            return self.voxel.to_image(nearest(plane, width, height))
        if self.voxel.byte_channels and self.voxel.dtype.itemsize > 1:
            return box_filter(self.voxel.to_image(plane), width, height)
        return self.voxel.to_image(box_filter(plane, width, height))

    @staticmethod
    def encode(pixels: np.ndarray, fmt: ImageFormat) -> Response:
        return Response(encode_image(pixels, fmt), media_type=fmt.media_type)

    # -- shared endpoints -----------------------------------------------------------------------------

    def serve_metadata(self, req: InstanceRequest) -> Response:
        config = self.config(req.instance)
        extents = self.version_extents(req)
        axes = []
        for i, label in enumerate("XYZ"):
            axes.append({
                "Label": label,
                "Resolution": float32_json(config.voxel_size[i]),
                "Units": config.voxel_units[i],
                "Size": extents.size[i] if extents else 0,
                "Offset": extents.offset[i] if extents else 0,
            })
        body = {"Axes": axes, "Properties": config.extended_json(self.voxel, extents)}
        return Response(json_text(body) + "\n", media_type=NDDATA_JSON)

    def serve_extents(self, req: InstanceRequest) -> Response:
        body = req.json_body("extents")
        if not isinstance(body, dict):
            raise bad_request("extents must be posted as a JSON object with MinPoint and MaxPoint")
        points = {}
        for key in ("MinPoint", "MaxPoint"):
            value = body.get(key, [0, 0, 0])
            if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, int) for v in value)):
                raise bad_request(f"{key} must be a list of 3 integers, not {json.dumps(value)}")
            points[key] = value
        extents = extents_from_json(points)
        if extents is None or extents.empty:
            raise bad_request(f"MaxPoint {points['MaxPoint']} must not be below MinPoint {points['MinPoint']}")
        self.volume(req).set_extents(extents)
        return Response(b"")

    def serve_resolution(self, req: InstanceRequest) -> Response:
        body = req.json_body("resolution")
        if not (isinstance(body, list) and len(body) == 3 and all(isinstance(v, (int, float)) for v in body)):
            raise bad_request(f"resolution must be a JSON array of 3 numbers, not {json.dumps(body)}")
        if any(v <= 0 for v in body):
            raise bad_request("resolution must be positive on every axis")
        sizes = tuple(float(np.float32(v)) for v in body)

        config = self.config(req.instance)
        req.save_instance(lambda: replace(config, voxel_size=sizes).store_in(req.instance))
        return Response(b"")

    def serve_config(self, req: InstanceRequest) -> Response:
        """POST a JSON object of settings to the instance root to change them."""
        body = req.json_body("configuration")
        if not isinstance(body, dict):
            raise bad_request("configuration must be posted as a JSON object")
        settings = Settings(body)
        old = self.config(req.instance)
        new = old.updated(settings, creating=False)
        if new.block_size != old.block_size and self.volume(req).has_blocks():
            raise bad_request("BlockSize cannot change once blocks are stored")
        instance = req.instance
        self.check_storage(instance, new.block_size)

        def change() -> None:
            new.store_in(instance)
            if instance.compression.kind == Kind.JPEG:  # JPEG blocks are images one block row wide
                instance.compression = replace(instance.compression, level=new.block_size[0])

        req.save_instance(change)
        return PlainTextResponse(
            f"Changed '{req.instance.name}' based on received configuration:\n{json.dumps(body)}\n"
        )

    endpoints = Datatype.endpoints + (
        # DVID's answer when no keyword follows the instance name
        Endpoint("", serve_config, ("POST",), "Incomplete API request"),
        Endpoint("metadata", serve_metadata, ANY_VERB),
        Endpoint("extents", serve_extents, ("POST",), "extents endpoint only supports POST HTTP verb"),
        Endpoint("resolution", serve_resolution, ("POST",), "resolution endpoint only supports POST HTTP verb"),
    )


def geometry_args(req: InstanceRequest, what: str = "raw") -> tuple[Geometry, str]:
    """``<dims>/<size>/<offset>[/<format>]`` after the keyword, parsed."""
    args = req.args
    if len(args) < 3:
        raise bad_request(f'"{what}" must be followed by shape/size/offset')
    geometry = parse_geometry(args[0], args[1], args[2])
    check_int32_box(geometry.box)
    return geometry, args[3] if len(args) > 3 else ""


def check_stored_geometry(keyword: str, geometry: Geometry) -> None:
    """What a POST of voxels may address: a 3-D ``raw`` box (never a slice or ``isotropic``)."""
    if keyword == "isotropic":
        raise bad_request("can only POST 'raw' not 'isotropic' images")
    if geometry.is_slice:
        raise bad_request("DVID does not permit 2d mutations, only 3d block-aligned stores")


def block_run(args: list[str]) -> tuple[Point3, int]:
    """``<x>_<y>_<z>/<spanX>``: the first block of a run along x and how many blocks it has."""
    if len(args) < 2:
        raise bad_request('"blocks" must be followed by block-coord/span-x')
    start = parse_point3(args[0], what="block coordinate")
    spans = parse_ints(args[1], what="span")
    if len(spans) != 1 or spans[0] < 1:
        raise bad_request(f"span must be one positive integer, not {args[1]!r}")
    if start[0] + spans[0] - 1 > INT32_MAX:
        raise bad_request(
            f"a run of {spans[0]} blocks from block x {start[0]} goes past the largest block coordinate ({INT32_MAX})"
        )
    return start, spans[0]


def block_stream(dt: VolumeType, req: InstanceRequest, box: Subvolume, mode: str) -> Response:
    """The stored blocks of a block-aligned box as a block stream (records in ZYX order)."""
    volume = dt.volume(req)
    with req.throttled(), req.store.snapshot():
        records = [
            block_record(coord, volume.codec.record_payload(value, mode))
            for coord, value in volume.stored(box.block_bounds(volume.block_size))
        ]
    return Response(b"".join(records), media_type="application/octet-stream")


def block_aligned_box(size_text: str, offset_text: str, block_size) -> Subvolume:
    """A 3-D ``<size>/<offset>`` pair that must lie on block boundaries (block-stream requests)."""
    size = parse_ints(size_text, what="size")
    offset = parse_ints(offset_text, what="offset")
    if len(size) != 3 or len(offset) != 3:
        raise bad_request("must specify 3D subvolumes")
    box = Subvolume(offset, size)  # type: ignore[arg-type]
    check_int32_box(box)
    if box.empty:
        raise bad_request(f"Illegal geometry requested: size {box.size} must be positive on every axis")
    if not box.is_aligned(block_size):
        raise bad_request(f"cannot use labels via 'block' endpoint in non-block aligned geometry {box.describe()}")
    return box
