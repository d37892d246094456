"""``dvidpy ingest`` from every source format (each made here) and ``dvidpy export`` to zarr v3,
as real commands against the real server; what lands is read back byte-exact (through the
client, and the exported arrays through TensorStore)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import tensorstore as ts
import tifffile
from PIL import Image
from served import cli

SUMMARY = re.compile(r"^ingested (?P<voxels>\d+) voxels \((?P<bytes>\d+) bytes\) into (?P<name>\S+) in [\d.]+ s: "
                     r"[\d.]+ MB/s; (?P<written>\d+) slabs written, (?P<skipped>\d+) already there$", re.MULTILINE)


def ingest(server, node, source: Path, name: str, *args: str) -> dict:
    """Run ``dvidpy ingest``; its summary line as a dict (the run must succeed)."""
    run = cli("ingest", str(source), "--server", server.url, "--uuid", node.uuid, "--name", name, *args, timeout=120)
    assert run.returncode == 0, run.stderr
    found = SUMMARY.search(run.stdout)
    assert found, run.stdout
    return {**{k: int(v) for k, v in found.groupdict().items() if k != "name"}, "stderr": run.stderr}


def volume(seed: int, shape, dtype=np.uint8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)


def test_npy_at_an_unaligned_offset_keeps_the_blocks_around_it(server, node, tmp_path):
    data = volume(1, (40, 50, 70))
    np.save(tmp_path / "v.npy", data)
    vol = node.new_instance("uint8blk", "g")
    vol[0:64, 0:96, 0:128] = 9
    got = ingest(server, node, tmp_path / "v.npy", "g", "--offset", "5,7,11")
    assert (got["voxels"], got["bytes"], got["written"], got["skipped"]) == (140000, 140000, 1, 0)
    expected = np.full((64, 96, 128), 9, dtype=np.uint8)
    expected[5:45, 7:57, 11:81] = data
    assert vol[0:64, 0:96, 0:128].tobytes() == expected.tobytes()


def test_tiff_stack_in_one_file_creates_the_instance(server, node, tmp_path):
    data = volume(2, (33, 40, 64), np.uint16)
    tifffile.imwrite(tmp_path / "stack.tif", data)
    got = ingest(server, node, tmp_path / "stack.tif", "em", "--create", "--setting", "VoxelSize=4,4,40")
    assert got["written"] == 1
    vol = node["em"]
    assert (vol.typename, vol.voxel_size) == ("uint16blk", (40, 4, 4))
    assert vol[0:33, 0:40, 0:64].tobytes() == data.tobytes()


def test_tiff_slices_in_a_folder_in_natural_order(server, node, tmp_path):
    data = volume(3, (12, 20, 30))
    folder = tmp_path / "slices"
    folder.mkdir()
    for z in range(12):
        tifffile.imwrite(folder / f"z{z}.tif", data[z])  # z10 sorts after z9, not after z1
    ingest(server, node, folder, "g", "--create", "--offset=-12,0,0")
    assert node["g"][-12:0, 0:20, 0:30].tobytes() == data.tobytes()


def test_png_slices_grey_and_rgba(server, node, tmp_path):
    grey, rgba = volume(4, (5, 17, 23)), volume(5, (5, 17, 23, 4))
    for kind, data in (("grey", grey), ("rgba", rgba)):
        (tmp_path / kind).mkdir()
        for z in range(5):
            Image.fromarray(data[z]).save(tmp_path / kind / f"{z:03d}.png")
        ingest(server, node, tmp_path / kind, kind, "--create")
    assert node["rgba"].typename == "rgba8blk"
    assert node["grey"][0:5, 0:17, 0:23].tobytes() == grey.tobytes()
    assert node["rgba"][0:5, 0:17, 0:23].tobytes() == rgba.tobytes()


def test_jpeg_slices_land_as_decoded(server, node, tmp_path):
    data = volume(6, (4, 32, 48))
    for z in range(4):
        Image.fromarray(data[z]).save(tmp_path / f"s{z}.jpg", quality=90)
    decoded = np.stack([np.asarray(Image.open(tmp_path / f"s{z}.jpg")) for z in range(4)])
    ingest(server, node, tmp_path, "g", "--create")
    assert node["g"][0:4, 0:32, 0:48].tobytes() == decoded.tobytes()


@pytest.mark.parametrize("driver, dtype, typename", [
    ("zarr", np.uint64, "labelblk"),
    ("zarr3", np.float32, "float32blk"),
    ("n5", np.uint32, "uint32blk"),
])
def test_zarr_and_n5_through_tensorstore(server, node, tmp_path, driver, dtype, typename):
    data = volume(7, (20, 36, 44), dtype)
    path = tmp_path / f"source.{driver}"
    if driver == "n5":  # N5 lists dimensions x first: the array is stored transposed
        spec = {"dimensions": [44, 36, 20], "blockSize": [16, 16, 16], "dataType": np.dtype(dtype).name,
                "compression": {"type": "gzip"}}
        stored = data.T
    elif driver == "zarr":
        spec = {"shape": [20, 36, 44], "chunks": [8, 16, 16], "dtype": np.dtype(dtype).str}
        stored = data
    else:
        spec = {"shape": [20, 36, 44], "data_type": np.dtype(dtype).name,
                "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8, 16, 16]}}}
        stored = data
    array = ts.open({"driver": driver, "kvstore": {"driver": "file", "path": str(path)}, "metadata": spec,
                     "create": True}).result()
    array.write(stored).result()
    ingest(server, node, path, "v", "--create")
    vol = node["v"]
    assert vol.typename == typename
    assert vol[0:20, 0:36, 0:44].tobytes() == data.tobytes()


def test_rerunning_resumes(server, node, tmp_path):
    data = volume(8, (64, 64, 64))
    np.save(tmp_path / "v.npy", data)
    slab = ("--piece-bytes", str(64 * 64 * 32))  # two slabs of 32 slices
    first = ingest(server, node, tmp_path / "v.npy", "g", "--create", *slab)
    assert (first["written"], first["skipped"]) == (2, 0)
    assert "ingest g: 100%" in first["stderr"]
    again = ingest(server, node, tmp_path / "v.npy", "g", *slab)
    assert (again["written"], again["skipped"]) == (0, 2)
    vol = node["g"]
    vol[32:64, 0:64, 0:64] = 0
    mended = ingest(server, node, tmp_path / "v.npy", "g", *slab)
    assert (mended["written"], mended["skipped"]) == (1, 1)
    assert vol[0:64, 0:64, 0:64].tobytes() == data.tobytes()
    vol[0:64, 0:64, 0:64] = 0
    later = ingest(server, node, tmp_path / "v.npy", "g", "--start-z", "40", *slab)
    assert (later["voxels"], later["written"], later["skipped"]) == (32 * 64 * 64, 1, 0)
    assert (vol[0:32, 0:64, 0:64] == 0).all()
    assert vol[32:64, 0:64, 0:64].tobytes() == data[32:].tobytes()


def test_ingest_refusals_are_one_line(server, node, tmp_path):
    np.save(tmp_path / "wide.npy", np.zeros((4, 4, 4), dtype=np.uint16))
    node.new_instance("uint8blk", "g")
    run = cli("ingest", str(tmp_path / "wide.npy"), "--server", server.url, "--uuid", node.uuid, "--name", "g")
    assert (run.returncode, run.stderr) == (
        1, f"dvidpy: numpy array {tmp_path / 'wide.npy'} holds uint16 voxels; g (uint8blk) holds uint8\n")
    run = cli("ingest", str(tmp_path / "missing.npy"), "--server", server.url, "--uuid", node.uuid, "--name", "g")
    assert (run.returncode, run.stderr) == (1, f"dvidpy: {tmp_path / 'missing.npy'} does not exist\n")
    run = cli("ingest", str(tmp_path / "wide.npy"), "--server", server.url, "--uuid", "ffffffff00", "--name", "g")
    assert (run.returncode, run.stderr) == (
        1, "dvidpy: 400: could not find UUID with partial match to ffffffff00 (/api/repo/ffffffff00/info).\n")


def read_zarr(path: Path) -> tuple[np.ndarray, dict]:
    array = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path)}}).result()
    return array.read().result(), json.loads((path / "zarr.json").read_text())


def test_export_the_stored_extents_to_zarr(server, node, tmp_path):
    data = volume(9, (64, 64, 96), np.uint16)
    vol = node.new_instance("uint16blk", "em", VoxelSize="4,5,6")
    vol[-32:32, 0:64, 32:128] = data
    out = tmp_path / "em.zarr"
    run = cli("export", str(out), "--server", server.url, "--uuid", node.uuid, "--name", "em",
              "--piece-bytes", str(96 * 64 * 32 * 2))
    assert run.returncode == 0, run.stderr
    assert re.fullmatch(rf"exported z -32:32, y 0:64, x 32:128 \(786432 bytes\) to {re.escape(str(out))} "
                        r"in [\d.]+ s: [\d.]+ MB/s\n", run.stdout)
    assert "export em: 100%" in run.stderr
    got, meta = read_zarr(out)
    assert got.dtype == np.uint16 and got.tobytes() == data.tobytes()
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [32, 32, 32]
    assert meta["dimension_names"] == ["z", "y", "x"]
    assert meta["attributes"]["dvid"] == {
        "server": server.url + "/", "uuid": node.uuid, "instance": "em", "typename": "uint16blk",
        "offset_zyx": [-32, 0, 32], "voxel_size_zyx": [6, 5, 4],
        "voxel_units_zyx": ["nanometers", "nanometers", "nanometers"]}


def test_export_a_box_of_labels_and_of_rgba(server, node, tmp_path):
    labels = node.new_instance("labelblk", "labels")
    data = volume(10, (64, 64, 64), np.uint64)
    labels[0:64, 0:64, 0:64] = data
    out = tmp_path / "labels.zarr"
    run = cli("export", str(out), "--server", server.url, "--uuid", node.uuid, "--name", "labels",
              "--box=3:50,-5:40,10:70", "--chunks", "16,16,16", "--no-progress")
    assert (run.returncode, run.stderr) == (0, "")
    got, meta = read_zarr(out)
    expected = np.zeros((47, 45, 60), dtype=np.uint64)
    expected[:, 5:, :54] = data[3:50, 0:40, 10:64]
    assert got.tobytes() == expected.tobytes()
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [16, 16, 16]
    again = cli("export", str(out), "--server", server.url, "--uuid", node.uuid, "--name", "labels")
    assert again.returncode == 1 and again.stderr.startswith("dvidpy: ")
    assert cli("export", str(out), "--server", server.url, "--uuid", node.uuid, "--name", "labels",
               "--overwrite").returncode == 0
    assert read_zarr(out)[0].tobytes() == data.tobytes()

    rgba = node.new_instance("rgba8blk", "colour")
    colour = volume(11, (32, 32, 64, 4))
    rgba[0:32, 0:32, 0:64] = colour
    out = tmp_path / "colour.zarr"
    assert cli("export", str(out), "--server", server.url, "--uuid", node.uuid, "--name", "colour").returncode == 0
    got, meta = read_zarr(out)
    assert got.shape == (32, 32, 64, 4) and got.tobytes() == colour.tobytes()
    assert meta["dimension_names"] == ["z", "y", "x", "c"]


def test_ingest_then_export_round_trip_at_a_committed_version(server, node, tmp_path):
    data = volume(12, (48, 40, 56), np.uint8)
    np.save(tmp_path / "v.npy", data)
    ingest(server, node, tmp_path / "v.npy", "g", "--create", "--offset", "32,0,0")
    node.commit("ingested")
    child = node.newversion()
    child["g"][32:64, 0:64, 0:64] = 0  # the export reads the committed parent
    out = tmp_path / "g.zarr"
    run = cli("export", str(out), "--server", server.url, "--uuid", node.uuid, "--name", "g",
              "--box", "32:80,0:40,0:56")
    assert run.returncode == 0, run.stderr
    assert read_zarr(out)[0].tobytes() == data.tobytes()
