"""Volumes on disk to ingest, each read in z slabs: a ``.npy`` file, a TIFF stack (one
multi-page file, via tifffile), a folder of 2-D slices (TIFF via tifffile, PNG or JPEG via
Pillow, in the natural order of their file names), and a zarr (v2 or v3) or N5 array (via
TensorStore).

Arrays are (z, y, x), and (z, y, x, 4) for RGBA. zarr arrays are taken in their stored order;
N5's ``dimensions`` are listed x first (its Java origins), so an N5 array is transposed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

SLICE_SUFFIXES = {".tif": "tiff", ".tiff": "tiff", ".png": "image", ".jpg": "image", ".jpeg": "image"}


class Source(Protocol):
    """A volume to ingest: its (z, y, x[, c]) shape and dtype, read a slab of z at a time."""

    shape: tuple[int, ...]
    dtype: np.dtype
    description: str

    def read(self, z0: int, z1: int) -> np.ndarray: ...


@dataclass
class ArraySource:
    """An array already in memory or mapped from disk (``np.load(mmap_mode="r")``)."""

    array: Any
    description: str

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    def read(self, z0: int, z1: int) -> np.ndarray:
        return np.asarray(self.array[z0:z1])


class TiffStack:
    """One multi-page TIFF file: page z is slice z."""

    def __init__(self, path: Path) -> None:
        import tifffile

        self.path = path
        with tifffile.TiffFile(path) as tif:
            pages = len(tif.pages)
            first = tif.pages[0]
            self.shape = (pages, *first.shape)
            self.dtype = np.dtype(first.dtype)
        self.description = f"TIFF stack {path} ({pages} pages)"

    def read(self, z0: int, z1: int) -> np.ndarray:
        import tifffile

        slab = tifffile.imread(self.path, key=range(z0, z1))
        return slab.reshape((z1 - z0, *self.shape[1:]))


class SliceFolder:
    """A folder of 2-D images of one kind, one per z, sorted by the numbers in their names."""

    def __init__(self, folder: Path) -> None:
        files = [p for p in folder.iterdir() if p.suffix.lower() in SLICE_SUFFIXES]
        kinds = {SLICE_SUFFIXES[p.suffix.lower()] for p in files}
        if not files:
            raise ValueError(f"{folder} holds no .tif, .png or .jpg slices")
        if len(kinds) > 1:
            raise ValueError(f"{folder} mixes TIFF and PNG/JPEG slices; give a folder of one kind")
        self.files = sorted(files, key=_natural_key)
        self.kind = kinds.pop()
        first = self._load(self.files[0])
        self.shape = (len(self.files), *first.shape)
        self.dtype = first.dtype
        self.description = f"{len(self.files)} {self.files[0].suffix.lstrip('.')} slices in {folder}"

    def _load(self, path: Path) -> np.ndarray:
        if self.kind == "tiff":
            import tifffile

            return tifffile.imread(path)
        from PIL import Image

        with Image.open(path) as image:
            return np.asarray(image)

    def read(self, z0: int, z1: int) -> np.ndarray:
        slab = np.empty((z1 - z0, *self.shape[1:]), dtype=self.dtype)
        for i, path in enumerate(self.files[z0:z1]):
            image = self._load(path)
            if image.shape != self.shape[1:] or image.dtype != self.dtype:
                raise ValueError(f"{path} is {image.dtype.name} {image.shape}, unlike the first slice "
                                 f"({self.dtype.name} {self.shape[1:]})")
            slab[i] = image
        return slab


class TensorStoreSource:
    """A zarr v2, zarr v3 or N5 array, read through TensorStore."""

    def __init__(self, path: Path, driver: str) -> None:
        import tensorstore as ts

        store = ts.open({"driver": driver, "kvstore": {"driver": "file", "path": str(path)}}, read=True).result()
        self.array = store.T if driver == "n5" else store
        self.shape = tuple(int(n) for n in self.array.shape)
        self.dtype = np.dtype(self.array.dtype.numpy_dtype)
        self.description = f"{driver} array {path}"

    def read(self, z0: int, z1: int) -> np.ndarray:
        return self.array[z0:z1].read().result()


def _natural_key(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def chunked_driver(folder: Path) -> str | None:
    """The TensorStore driver for a zarr or N5 array folder, or ``None`` for another folder."""
    if (folder / "zarr.json").is_file():
        node = json.loads((folder / "zarr.json").read_text()).get("node_type")
        if node != "array":
            raise ValueError(f"{folder} is a zarr {node}, not an array: give the array's folder")
        return "zarr3"
    if (folder / ".zarray").is_file():
        return "zarr"
    attributes = folder / "attributes.json"
    if attributes.is_file() and "dimensions" in json.loads(attributes.read_text()):
        return "n5"
    return None


def open_source(path: Path) -> Source:
    """The source ``path`` names: a ``.npy`` or TIFF file, a zarr or N5 array, or a slice folder."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    source: Source
    if path.is_dir():
        driver = chunked_driver(path)
        source = TensorStoreSource(path, driver) if driver else SliceFolder(path)
    elif path.suffix.lower() == ".npy":
        source = ArraySource(np.load(path, mmap_mode="r"), f"numpy array {path}")
    elif path.suffix.lower() in (".tif", ".tiff"):
        source = TiffStack(path)
    else:
        raise ValueError(f"{path}: give a .npy or .tif file, or a folder of slices, zarr or N5")
    if len(source.shape) not in (3, 4) or (len(source.shape) == 4 and source.shape[3] != 4):
        raise ValueError(f"{source.description} has shape {source.shape}: a volume is (z, y, x) or (z, y, x, 4)")
    return source
