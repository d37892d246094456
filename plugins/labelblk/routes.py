"""labelblk's endpoints: label volumes on top of the shared block-volume machinery.

Reads and writes of voxels, slices and extents come from :class:`VolumeType`; this module adds
what is label-specific: compressed 3-D transfers, point queries, pseudocolor images, block
streams and deletes, and multiscale syncs.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
from starlette.responses import Response

from dvidpy import Instance, InstanceRequest, bad_request
from dvidpy.geometry import Shape, parse_ints, parse_point3, parse_point_list
from dvidpy.imaging import ImageFormat

from dvidpy.plugins.imageblk.formats import VoxelType, bytes_as_rgba16
from dvidpy.plugins.imageblk.routes import block_aligned_box
from dvidpy.plugins.imageblk.volume import VolumeType, geometry_args
from dvidpy.plugins.imageblk.voxels import block_record
from dvidpy.plugins.labelblk import transfer
from dvidpy.plugins.labelblk.downres import downsample_blocks, written_box
from dvidpy.plugins.labelblk.help import LABEL_HELP
from dvidpy.plugins.labelblk.pseudocolor import colorize

LABELS = VoxelType(
    typename="labelblk",
    url="github.com/janelia-flyem/dvid/datatype/labelblk",
    version="0.1",
    dtype=np.dtype("<u8"),
    values=({"DataType": "uint64", "Label": "labelblk"},),
    interpolable=False,
    to_image=bytes_as_rgba16,
)


class LabelType(VolumeType):
    def __init__(self) -> None:
        super().__init__(LABELS, LABEL_HELP)
        self.endpoints.update(
            {
                "raw": self.serve_raw,
                "isotropic": self.serve_raw,
                "pseudocolor": self.serve_pseudocolor,
                "label": self.serve_label,
                "labels": self.serve_labels,
                "blocks": self.serve_blocks,
                "sync": self.serve_sync,
            }
        )

    def handle(self, req: InstanceRequest) -> Response:
        if req.method not in ("GET", "HEAD", "POST", "DELETE"):
            raise bad_request("labelblk only handles GET, POST, and DELETE HTTP verbs")
        if req.method == "DELETE" and req.keyword != "blocks":
            raise bad_request(f"DELETE is only supported on the 'blocks' endpoint, not '{req.keyword}'")
        return super().handle(req)

    def check_sync(self, req: InstanceRequest, source: Instance) -> None:
        if source.typename != self.name:
            raise bad_request(
                f'Unable to sync {req.instance.name} with {source.name} since datatype "{source.typename}" is not supported.'
            )
        if self.config(source).block_size != self.config(req.instance).block_size:
            raise bad_request(f"Unable to sync {req.instance.name} with {source.name}: their block sizes differ")

    # -- raw and isotropic -------------------------------------------------------------------------

    def serve_raw(self, req: InstanceRequest) -> Response:
        geometry, fmt = geometry_args(req, "raw")
        isotropic = req.keyword == "isotropic"
        compression = req.query.get("compression", "")
        if req.method == "POST":
            if isotropic:
                raise bad_request("can only POST 'raw' not 'isotropic' images")
            if geometry.is_slice:
                raise bad_request("DVID does not permit 2d mutations, only 3d block-aligned stores")
            with req.throttled():
                raw = transfer.decode(req.body, geometry.box, compression)
                written = self.write(req, geometry.box, self.body_array(req, geometry.box, raw, "labels"))
                self.propagate(req, req.instance, written)
            return Response(b"")
        if geometry.is_slice:
            return self.slice_image(req, geometry, isotropic, fmt)
        if compression not in transfer.GET_ENCODINGS:
            raise bad_request(f'unknown compression type "{compression}"')
        with req.throttled():
            volume = self.read(req, geometry.box)
            body, headers = transfer.encode(volume, compression)
        return Response(body, media_type="application/octet-stream", headers=headers)

    def propagate(self, req: InstanceRequest, source: Instance, written: list) -> None:
        """Recompute lower resolutions in every labelblk following ``source`` (recursively)."""
        if not written:
            return
        for follower in req.repo.instances.values():
            if source.data_uuid not in follower.syncs or follower.typename != self.name:
                continue
            dest = self.volume(req, follower)
            done = downsample_blocks(self.volume(req, None if source is req.instance else source), dest, written)
            self.grow_extents(req, dest, written_box(done, dest.block_size), follower)
            self.propagate(req, follower, done)

    # -- images and point queries ------------------------------------------------------------------

    def serve_pseudocolor(self, req: InstanceRequest) -> Response:
        if req.method != "GET":
            raise bad_request("pseudocolor only supports GET")
        geometry, fmt = geometry_args(req, "pseudocolor")
        if geometry.shape is Shape.VOL:
            raise bad_request("DVID currently supports only 2d pseudocolor image requests")
        image_format = ImageFormat.parse(fmt)
        plane = geometry.plane(self.read(req, geometry.box))
        return self.encode(colorize(plane), image_format)

    def serve_label(self, req: InstanceRequest) -> Response:
        if req.method != "GET":
            raise bad_request("label only supports GET")
        if not req.args:
            raise bad_request("DVID requires coord to follow 'label' command")
        point = parse_point3(req.args[0], what="coordinate")
        label = int(self.volume(req).values_at(np.array([point]))[0])
        return Response(f'{{"Label": {label}}}', media_type="application/json")

    def serve_labels(self, req: InstanceRequest) -> Response:
        """Labels at a JSON list of points: GET with a JSON body (DVID today) or POST (the seed)."""
        expected = req.query.get("hash")
        if expected:
            actual = hashlib.md5(req.body).hexdigest()
            if actual != expected:
                raise bad_request(f"content hash incorrect.  expected {expected}, got {actual}")
        points = parse_point_list(req.body, "Bad labels request JSON")
        labels = self.volume(req).values_at(points) if len(points) else np.zeros(0, np.uint64)
        return Response(json.dumps(labels.tolist(), separators=(",", ":")), media_type="application/json")

    # -- block streams and deletes --------------------------------------------------------------------

    def serve_blocks(self, req: InstanceRequest) -> Response:
        if len(req.args) < 2:
            raise bad_request('"blocks" must be followed by size/offset (GET) or block-coord/span-x (DELETE)')
        if req.method == "DELETE":
            return self._delete_blocks(req)
        if req.method != "GET":
            raise bad_request("DVID does not accept the post action on the 'blocks' endpoint")
        mode = req.query.get("compression", "lz4") or "lz4"
        if mode not in ("lz4", "uncompressed"):
            raise bad_request(f"don't understand 'compression' query string value: {mode}")
        box = block_aligned_box(req.args[0], req.args[1], self.config(req.instance).block_size)
        volume = self.volume(req)
        with req.throttled(), req.store.session.reading():
            records = [
                block_record(coord, volume.codec.record_payload(value, mode))
                for coord, value in volume.stored(box.block_bounds(volume.block_size))
            ]
        return Response(b"".join(records), media_type="application/octet-stream")

    def _delete_blocks(self, req: InstanceRequest) -> Response:
        """``DELETE blocks/<x>_<y>_<z>/<spanX>``: hide a run of blocks at this version."""
        start = parse_point3(req.args[0], what="block coordinate")
        spans = parse_ints(req.args[1], what="span")
        if len(spans) != 1 or spans[0] < 1:
            raise bad_request(f"span must be one positive integer, not {req.args[1]!r}")
        coords = [(start[0] + i, start[1], start[2]) for i in range(spans[0])]
        self.volume(req).delete_blocks(coords)
        return Response(b"")
