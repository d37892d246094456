"""A neuroglancer view, two ways: from dvidpy and from the same data as precomputed files.

The view is the one of issue 17: a 4-panel layout (xy, xz, yz, 3d) of a 512^3 EM-like image
and a ~2,000-segment label volume, centred, one voxel per screen pixel, in a 1280x960 window.
``data/ng_view_chunks.json`` holds the chunk URLs neuroglancer's own viewer asked dvidpy for
when it opened that view (see ``view_load``), relative to ``/api/node/<uuid>/`` so they replay
against any server; each maps to the precomputed file of the same chunk.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from dvidpy.benchmarks import precomputed
from dvidpy.benchmarks.volumes import labels

IMAGE, SEGMENTATION = "grayscale", "labels"
#: The same image stored as README advises for neuroglancer: JPEG blocks of 64^3, which
#: neuroglancer reads with ``subvolblocks`` (each chunk one stored JPEG, sent as it is).
IMAGE_JPEG = "grayscale-jpeg"
JPEG_SETTINGS = {"Compression": "jpeg", "BlockSize": "64,64,64"}
VIEWPORT = (1280, 960)
_CHUNK_PATH = re.compile(r"^(?P<name>[^/]+)/raw/0_1_2/(?P<size>\d+_\d+_\d+)/(?P<offset>\d+_\d+_\d+)(?P<rest>.*)$")


def image_volume(size: int) -> np.ndarray:
    """The image layer: EM-like where the volumes module has it, else the smooth grayscale."""
    from dvidpy.benchmarks import volumes

    make = getattr(volumes, "em_like", None)
    return make(size) if make else volumes.grayscale(size)


def label_volume(size: int) -> np.ndarray:
    return labels(size, cell=40)


def view_state(image_source: str, segmentation_source: str, size: int) -> dict:
    """Neuroglancer's JSON state for the benchmark's view of the two sources."""
    return {
        "dimensions": {axis: [8e-9, "m"] for axis in "xyz"},
        "position": [size / 2] * 3,
        "crossSectionScale": 1,
        "projectionScale": size * 2,
        "layers": [
            {"type": "image", "source": image_source, "name": IMAGE},
            {"type": "segmentation", "source": segmentation_source, "name": SEGMENTATION},
        ],
        "layout": "4panel",
        "showDefaultAnnotations": False,
    }


def dvid_state(port: int, uuid: str, size: int, image: str = IMAGE) -> dict:
    base = f"dvid://http://127.0.0.1:{port}/{uuid}"
    return view_state(f"{base}/{image}", f"{base}/{SEGMENTATION}", size)


def precomputed_state(port: int, size: int) -> dict:
    base = f"precomputed://http://127.0.0.1:{port}"
    return view_state(f"{base}/{IMAGE}", f"{base}/{SEGMENTATION}", size)


@dataclass(frozen=True)
class Chunk:
    """One chunk request of the view: its dvidpy path (after ``/api/node/<uuid>/``) and the box."""

    path: str
    name: str
    offset_xyz: tuple[int, int, int]
    size_xyz: tuple[int, int, int]
    query: str = ""

    @classmethod
    def parse(cls, path: str) -> Chunk:
        match = _CHUNK_PATH.match(path)
        if match is None:
            raise ValueError(f"not a chunk path: {path!r}")
        size = tuple(int(v) for v in match["size"].split("_"))
        offset = tuple(int(v) for v in match["offset"].split("_"))
        return cls(path, match["name"], offset, size, match["rest"])  # type: ignore[arg-type]

    def moved(self, offset_xyz: tuple[int, int, int]) -> Chunk:
        """The same request for the chunk at ``offset_xyz``."""
        size, offset = ("_".join(map(str, v)) for v in (self.size_xyz, offset_xyz))
        return Chunk(f"{self.name}/raw/0_1_2/{size}/{offset}{self.query}", self.name, offset_xyz, self.size_xyz, self.query)

    def jpeg_blocks_path(self) -> str:
        """The request neuroglancer makes for this chunk when the image is stored as JPEG
        blocks (:data:`IMAGE_JPEG`): ``subvolblocks``; segmentation chunks are unchanged."""
        if self.name != IMAGE:
            return self.path
        size, offset = ("_".join(map(str, v)) for v in (self.size_xyz, self.offset_xyz))
        return f"{IMAGE_JPEG}/subvolblocks/{size}/{offset}?app=Neuroglancer"

    def precomputed_path(self, extent_xyz: tuple[int, int, int]) -> str:
        """The URL path of the same chunk as a precomputed file (layers named as the instances)."""
        return f"/{self.name}/{precomputed.chunk_file(self.offset_xyz, self.size_xyz, extent_xyz)}"

    def box(self, extent_xyz: tuple[int, int, int]) -> tuple[slice, slice, slice]:
        """The (z, y, x) slices of the volume this chunk holds (clipped at the volume's edge)."""
        return tuple(slice(o, min(o + n, e)) for o, n, e in zip(self.offset_xyz, self.size_xyz, extent_xyz))[::-1]  # type: ignore[return-value]


def chunk_path(url: str) -> str:
    """The part of a captured dvidpy chunk URL after ``/api/node/<uuid>/``."""
    return url.split("/api/node/", 1)[1].split("/", 1)[1]


def captured_view() -> dict:
    """The saved capture: ``{"how": ..., "size": 512, "chunks": [paths]}``."""
    text = resources.files("dvidpy.benchmarks").joinpath("data/ng_view_chunks.json").read_text()
    return json.loads(text)


def view_chunks(size: int) -> list[Chunk]:
    """The captured view's chunks, in the order neuroglancer asked for them; for a volume
    smaller than the captured one (the quick run), offsets wrap around its edge and repeats
    are dropped."""
    capture = captured_view()
    chunks: dict[str, Chunk] = {}
    for path in capture["chunks"]:
        chunk = Chunk.parse(path)
        if size < capture["size"]:
            chunk = chunk.moved(tuple(o % size for o in chunk.offset_xyz))  # type: ignore[arg-type]
        chunks.setdefault(chunk.path, chunk)
    return list(chunks.values())


def write_dvidpy(url: str, image: np.ndarray, segmentation: np.ndarray) -> str:
    """Both volumes into a new repo of the dvidpy server at ``url`` (uint8blk + labelblk with
    their default settings, 8 nm voxels), and the image again as :data:`IMAGE_JPEG`; returns
    the repo's root UUID."""
    from dvidpy.client import Client

    with Client(url) as client:
        node = client.new_repo("neuroglancer-view").root
        layers = (("uint8blk", IMAGE, image, {}), ("labelblk", SEGMENTATION, segmentation, {}),
                  ("uint8blk", IMAGE_JPEG, image, JPEG_SETTINGS))
        for typename, name, volume, settings in layers:
            nz, ny, nx = volume.shape
            node.new_instance(typename, name, VoxelSize="8,8,8", **settings)[0:nz, 0:ny, 0:nx] = volume
        return node.uuid


def prepare(tmp: Path, size: int) -> tuple[dict[str, np.ndarray], str, Path, Path]:
    """The view's volumes, written into a dvidpy store at ``tmp/ngview-store`` (by a server
    started and stopped for it) and as precomputed files at ``tmp/ngview-precomputed``:
    returns the volumes by layer name, the repo's UUID, the store's folder and the files'."""
    from dvidpy.benchmarks.servers import dvidpy_server

    print(f"neuroglancer view: generating {size}^3 image and label volumes ...", flush=True)
    volumes = {IMAGE: image_volume(size), SEGMENTATION: label_volume(size)}
    store = tmp / "ngview-store"
    server = dvidpy_server(store)
    try:
        uuid = write_dvidpy(f"127.0.0.1:{server.port}", volumes[IMAGE], volumes[SEGMENTATION])
    finally:
        server.stop()
    files = write_precomputed(tmp / "ngview-precomputed", volumes[IMAGE], volumes[SEGMENTATION])
    return volumes, uuid, store, files


def write_precomputed(folder: Path, image: np.ndarray, segmentation: np.ndarray) -> Path:
    """Both volumes as precomputed layers under ``folder`` (named as the dvidpy instances)."""
    precomputed.write(folder, IMAGE, image, segmentation=False)
    precomputed.write(folder, SEGMENTATION, segmentation, segmentation=True)
    return folder
