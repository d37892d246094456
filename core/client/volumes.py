"""Block volumes as numpy arrays: the six image types (:class:`Volume`) and labels (:class:`Labels`).

``vol[z0:z1, y0:y1, x0:x1]`` reads any box into an array of the instance's dtype, shaped
(z, y, x) (rgba8blk adds a last axis of 4 channels); an integer index drops its axis, as in
numpy, and an open range takes the volume's stored extents. ``vol[box] = array`` writes a box
that starts and stops on block boundaries; any other box raises
:class:`~dvidpy.client.errors.UnalignedWrite` before anything is sent, because DVID stores
whole blocks only (read the enclosing box from :meth:`Volume.aligned`, change it, write it back).

Big boxes travel as block-aligned pieces of at most ``piece_bytes`` each, ``concurrency`` at a
time over the client's connection pool; labels travel LZ4-compressed (``compression=lz4``).
A write of several pieces is several requests: each piece is stored whole or not at all.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dvidpy.client.boxes import Box, box_of, pieces
from dvidpy.client.errors import DVIDClientError, UnalignedWrite
from dvidpy.client.instances import Instance
from dvidpy.client.points import points_json
from dvidpy.client.transfers import run_pieces

if TYPE_CHECKING:
    from dvidpy.client.nodes import Node

DEFAULT_PIECE_BYTES = 16 << 20
#: DVID's slice planes and, for each, which axes (z, y, x) the image's rows and columns run along.
PLANES = {"xy": (1, 2), "xz": (0, 2), "yz": (0, 1)}


@dataclass(frozen=True)
class VolumeOptions:
    """How a volume handle transfers: ``Client(...)`` sets the defaults, ``vol.view(...)`` changes them."""

    roi: str = ""             # read: voxels outside the ROI come back as background; write: not written
    throttle: bool = False    # send throttle=on (the server runs a few such requests at once)
    progress: bool = False    # a progress bar on transfers split into pieces
    concurrency: int = 4
    piece_bytes: int = DEFAULT_PIECE_BYTES
    lz4: bool = True          # labels only: LZ4 on the wire


class Volume(Instance):
    """An image volume (uint8blk, uint16blk, uint32blk, uint64blk, float32blk, rgba8blk)."""

    def __init__(self, node: Node, name: str, info: dict[str, Any], options: VolumeOptions | None = None) -> None:
        super().__init__(node, name, info)
        self.options = node.repo.client.volume_options if options is None else options
        values = info["Extended"]["Values"]
        kinds = {v["DataType"] for v in values}
        if len(kinds) != 1:
            raise DVIDClientError(None, f"{name}: voxels of mixed types {sorted(kinds)} are not supported")
        self.dtype = np.dtype(kinds.pop()).newbyteorder("<")
        self.channels = len(values)

    def view(self, **changes: Any) -> Volume:
        """The same instance with other transfer options: ``roi=``, ``throttle=``, ``progress=``,
        ``concurrency=``, ``piece_bytes=`` (and ``lz4=`` for labels)."""
        return type(self)(self.node, self.name, self._info, dataclasses.replace(self.options, **changes))

    def at(self, node: Node) -> Volume:
        return type(self)(node, self.name, node.instance(self.name)._info, self.options)

    # -- geometry --------------------------------------------------------------------------------

    @property
    def block_size(self) -> tuple[int, int, int]:
        """Voxels per block, (z, y, x)."""
        x, y, z = self._info["Extended"]["BlockSize"]
        return (int(z), int(y), int(x))

    @property
    def voxel_size(self) -> tuple[float, float, float]:
        """Physical size of a voxel, (z, y, x), in :attr:`voxel_units`."""
        x, y, z = self._info["Extended"]["VoxelSize"]
        return (z, y, x)

    @property
    def voxel_units(self) -> tuple[str, str, str]:
        x, y, z = self._info["Extended"]["VoxelUnits"]
        return (z, y, x)

    @property
    def voxel_shape(self) -> tuple[int, ...]:
        """What one voxel adds to an array's shape: ``()``, or ``(4,)`` for rgba8."""
        return () if self.channels == 1 else (self.channels,)

    @property
    def voxel_bytes(self) -> int:
        return self.dtype.itemsize * self.channels

    def bounds(self) -> Box | None:
        """The box holding every voxel stored so far (fetched anew), or ``None`` while empty."""
        info = self.info()
        extents = info.get("Extents") or info["Extended"]
        low, high = extents.get("MinPoint"), extents.get("MaxPoint")
        if not low or not high:
            return None
        return Box((low[2], low[1], low[0]), (high[2] + 1, high[1] + 1, high[0] + 1))

    def aligned(self, index: Any) -> Box:
        """The smallest block-aligned box holding ``vol[index]``'s box: what may be written."""
        box, _ = box_of(index, self._bounds_if_open(index))
        return box.aligned(self.block_size)

    def _bounds_if_open(self, index: Any) -> Box | None:
        items = index if isinstance(index, tuple) else (index,)
        is_open = len(items) < 3 or any(i is Ellipsis or (isinstance(i, slice) and (i.start is None or i.stop is None))
                                        for i in items)
        return self.bounds() if is_open else None

    # -- arrays ----------------------------------------------------------------------------------

    def __getitem__(self, index: Any) -> np.ndarray:
        box, dropped = box_of(index, self._bounds_if_open(index))
        out = self.read(box)
        return out.reshape(tuple(n for axis, n in enumerate(out.shape) if axis not in dropped))

    def __setitem__(self, index: Any, value: Any) -> None:
        box, _ = box_of(index, self._bounds_if_open(index))
        self.write(box, value)

    def read(self, box: Box) -> np.ndarray:
        """The voxels of ``box`` as a new (z, y, x) array; unwritten voxels are the background."""
        out = np.empty(box.shape + self.voxel_shape, dtype=self.dtype)

        def fetch(piece: Box) -> int:
            target = out[piece.within(box)]
            # A piece spanning the box's whole y and x is one run of ``out``: read straight into it.
            buffer = target if target.flags.c_contiguous else np.empty_like(target)
            received = self._get_piece(piece, buffer)
            if received != buffer.nbytes:
                raise DVIDClientError(None, f"{self.name}: the server sent {received} bytes for "
                                            f"{piece.describe()}, not {buffer.nbytes}")
            if buffer is not target:
                target[...] = buffer
            return received

        self._run(box, fetch, "read")
        return out

    def write(self, box: Box, value: Any) -> None:
        """Store ``value`` (an array of ``box``'s shape, or anything that broadcasts to it)."""
        self._check_aligned(box)
        data = np.broadcast_to(self._as_voxels(value), box.shape + self.voxel_shape)

        def send(piece: Box) -> int:
            raw = np.ascontiguousarray(data[piece.within(box)]).tobytes()
            self._post_piece(piece, raw)
            return len(raw)

        self._run(box, send, "write")

    def _run(self, box: Box, action: Any, verb: str) -> None:
        opts = self.options
        parts = pieces(box, self.block_size, self.voxel_bytes, opts.piece_bytes)
        run_pieces(parts, action, concurrency=opts.concurrency, progress=opts.progress,
                   desc=f"{verb} {self.name}", total=box.voxels * self.voxel_bytes)

    def _check_aligned(self, box: Box) -> None:
        if box.is_aligned(self.block_size):
            return
        block = " x ".join(map(str, self.block_size))
        raise UnalignedWrite(
            f"cannot write {self.name} at {box.describe()}: DVID stores whole blocks only, and with "
            f"blocks of {block} (z, y, x) a write must start and stop on block boundaries; the "
            f"enclosing aligned box is {box.aligned(self.block_size).describe()} (see Volume.aligned)"
        )

    def _as_voxels(self, value: Any) -> np.ndarray:
        array = np.asarray(value)
        if array.dtype == self.dtype or np.can_cast(array.dtype, self.dtype, "safe"):
            return array.astype(self.dtype, copy=False)
        if array.dtype.kind in "iub" and self.dtype.kind in "iu" and array.size:
            info = np.iinfo(self.dtype)
            if info.min <= array.min() and array.max() <= info.max:
                return array.astype(self.dtype)
        raise TypeError(f"{self.name} holds {self.dtype.name} voxels; {array.dtype.name} values do not fit")

    # -- one request per piece -------------------------------------------------------------------

    def _params(self) -> dict[str, str]:
        params = {}
        if self.options.roi:
            params["roi"] = self.options.roi
        if self.options.throttle:
            params["throttle"] = "on"
        return params

    def _raw_path(self, piece: Box) -> str:
        return f"{self.path}/raw/0_1_2/{piece.url_size()}/{piece.url_offset()}"

    def _get_piece(self, piece: Box, into: np.ndarray) -> int:
        """Read ``piece`` into the contiguous array ``into``; the bytes the server sent."""
        bytes_view = memoryview(into.reshape(-1).view(np.uint8))
        answer = self.transport.request("GET", self._raw_path(piece), params=self._params(), into=bytes_view)
        return len(answer.body)

    def _post_piece(self, piece: Box, raw: bytes) -> None:
        self.transport.post(self._raw_path(piece), raw, params=self._params())

    # -- slices ----------------------------------------------------------------------------------

    def slice(self, plane: str, offset: tuple[int, int, int], shape: tuple[int, int], *,
              format: str | None = None, isotropic: bool = False) -> np.ndarray | bytes:
        """A 2-D slice: ``plane`` "xy", "xz" or "yz", its first voxel at ``offset`` (z, y, x) and
        ``shape`` (rows, columns) of the image (xy: (ny, nx); xz: (nz, nx); yz: (nz, ny)).

        Without ``format`` the slice is an array read exactly (a box one voxel thick). With
        ``format`` ("png", "jpg", "jpg:90", "tif", "bmp") it is DVID's image, as bytes;
        ``isotropic=True`` asks for square pixels in physical units (images only).
        """
        if plane not in PLANES:
            raise ValueError(f'plane must be one of {", ".join(PLANES)}, not {plane!r}')
        rows, cols = shape
        if format is None:
            if isotropic:
                raise ValueError("isotropic slices are resampled images: give a format, e.g. format='png'")
            size = [1, 1, 1]
            size[PLANES[plane][0]], size[PLANES[plane][1]] = rows, cols
            array = self.read(Box.at(offset, tuple(size)))  # type: ignore[arg-type]
            return array.reshape((rows, cols) + self.voxel_shape)
        keyword = "isotropic" if isotropic else "raw"
        z, y, x = offset
        return self.transport.get(f"{self.path}/{keyword}/{plane}/{cols}_{rows}/{x}_{y}_{z}/{format}")


class Labels(Volume):
    """A labelblk volume: uint64 labels, sent LZ4-compressed, with point queries."""

    def _params(self) -> dict[str, str]:
        params = super()._params()
        if self.options.lz4:
            params["compression"] = "lz4"
        return params

    def _get_piece(self, piece: Box, into: np.ndarray) -> int:
        if not self.options.lz4:
            return super()._get_piece(piece, into)
        import lz4.block

        body = self.transport.get(self._raw_path(piece), params=self._params())
        try:
            raw = lz4.block.decompress(body, uncompressed_size=into.nbytes)
        except lz4.block.LZ4BlockError as exc:
            raise DVIDClientError(None, f"{self.name}: the server's LZ4 answer for {piece.describe()} "
                                        f"does not decode to {into.nbytes} bytes: {exc}") from exc
        if len(raw) == into.nbytes:
            into.reshape(-1).view(np.uint8)[:] = np.frombuffer(raw, dtype=np.uint8)
        return len(raw)

    def _post_piece(self, piece: Box, raw: bytes) -> None:
        if self.options.lz4:
            import lz4.block

            raw = lz4.block.compress(raw, store_size=False)
        super()._post_piece(piece, raw)

    def label_at(self, z: int, y: int, x: int) -> int:
        """The label at one voxel."""
        return int(self.transport.get_json(f"{self.path}/label/{x}_{y}_{z}")["Label"])

    def labels(self, points: Any, *, batch: int = 100_000) -> np.ndarray:
        """The labels at ``points``, an (N, 3) array of (z, y, x): a uint64 array of N, in order."""
        body, count = points_json(points, batch)
        out = np.empty(count, dtype=np.uint64)
        starts = list(range(0, count, batch)) or [0]

        def ask(start: int) -> int:
            reply = self.transport.get_json(f"{self.path}/labels", content=body(start))
            out[start : start + len(reply)] = np.array(reply, dtype=np.uint64)
            return len(reply) * 8

        run_pieces(starts, ask, concurrency=self.options.concurrency, progress=self.options.progress,
                   desc=f"labels {self.name}", total=count * 8)
        return out

    def pseudocolor(self, plane: str, offset: tuple[int, int, int], shape: tuple[int, int],
                    format: str = "png") -> bytes:
        """A slice with each label in its own colour (DVID's ``pseudocolor``), as image bytes."""
        if plane not in PLANES:
            raise ValueError(f'plane must be one of {", ".join(PLANES)}, not {plane!r}')
        rows, cols = shape
        z, y, x = offset
        return self.transport.get(f"{self.path}/pseudocolor/{plane}/{cols}_{rows}/{x}_{y}_{z}/{format}")
