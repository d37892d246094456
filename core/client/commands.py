"""``dvidpy ingest`` and ``dvidpy export``: their options, and the work behind them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dvidpy.client.boxes import Box
from dvidpy.client.client import Client
from dvidpy.client.errors import DVIDClientError
from dvidpy.client.volumes import DEFAULT_PIECE_BYTES, Volume

#: What a command reports as one line and exit status 1 instead of a traceback.
EXPECTED = (DVIDClientError, ValueError, TypeError, OSError, ImportError)


def add_commands(sub: argparse._SubParsersAction) -> None:
    ingest = sub.add_parser("ingest", help="load a .npy, TIFF, PNG/JPEG slices, zarr or N5 into an instance",
                            description="Load a volume into a data instance in block-aligned z slabs, "
                                        "several at a time; re-running resumes.")
    ingest.add_argument("source", type=Path, help="a .npy or .tif file, or a folder of slices, a zarr or an N5 array")
    _target_options(ingest)
    ingest.add_argument("--offset", default="0,0,0", metavar="Z,Y,X", help="where the source's first voxel goes (negative: --offset=-32,0,0)")
    ingest.add_argument("--create", action="store_true", help="create the instance if it does not exist")
    ingest.add_argument("--type", help="its typename when created (default from the source's voxels)")
    ingest.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                        help="a creation setting in DVID's form, e.g. VoxelSize=8,8,40 (x,y,z); repeatable")
    ingest.add_argument("--start-z", type=int, default=0, metavar="Z",
                        help="skip the source's slices before Z (its slab is written whole)")
    ingest.add_argument("--throttle", action="store_true", help="send throttle=on (retried while the server is busy)")
    ingest.set_defaults(run=cmd_ingest)

    export = sub.add_parser("export", help="write an instance at a version to a zarr v3 array (TensorStore)")
    export.add_argument("out", type=Path, help="the zarr v3 array folder to create")
    _target_options(export)
    export.add_argument("--box", metavar="Z0:Z1,Y0:Y1,X0:X1", help="the box to export (default: the stored extents; negative: --box=-32:0,...)")
    export.add_argument("--chunks", metavar="Z,Y,X", help="chunk shape (default: the instance's block size)")
    export.add_argument("--overwrite", action="store_true", help="replace an existing array at OUT")
    export.set_defaults(run=cmd_export)


def _target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", default="http://127.0.0.1:8000", help="the server's URL")
    parser.add_argument("--uuid", required=True, help="the version: a UUID, a unique prefix or UUID:branch")
    parser.add_argument("--name", required=True, help="the data instance")
    parser.add_argument("--concurrency", type=int, default=4, help="requests at once (default 4)")
    parser.add_argument("--piece-bytes", type=int, default=DEFAULT_PIECE_BYTES, metavar="N",
                        help=f"the most bytes in one request (default {DEFAULT_PIECE_BYTES})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--admintoken", default="", help="the server's admin token, if it has one")


def zyx(text: str, what: str) -> tuple[int, int, int]:
    parts = text.split(",")
    if len(parts) != 3:
        raise ValueError(f"{what} takes three integers Z,Y,X, not {text!r}")
    return tuple(int(p) for p in parts)  # type: ignore[return-value]


def parse_box(text: str) -> Box:
    """``Z0:Z1,Y0:Y1,X0:X1`` as a box."""
    ranges = [part.split(":") for part in text.split(",")]
    if len(ranges) != 3 or any(len(r) != 2 for r in ranges):
        raise ValueError(f"--box takes Z0:Z1,Y0:Y1,X0:X1, not {text!r}")
    return Box(tuple(int(r[0]) for r in ranges), tuple(int(r[1]) for r in ranges))  # type: ignore[arg-type]


def _settings(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise ValueError(f"--setting takes KEY=VALUE, not {pair!r}")
        out[key] = value
    return out


def _client(args: argparse.Namespace) -> Client:
    return Client(args.server, admintoken=args.admintoken, concurrency=args.concurrency,
                  piece_bytes=args.piece_bytes)


def _reported(run):
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except EXPECTED as exc:
            print(f"dvidpy: {exc}", file=sys.stderr)
            return 1

    return wrapped


@_reported
def cmd_ingest(args: argparse.Namespace) -> int:
    from dvidpy.client.ingest import Ingest, type_for
    from dvidpy.client.sources import open_source

    source = open_source(args.source)
    offset = zyx(args.offset, "--offset")
    with _client(args) as client:
        node = client.node(args.uuid)
        created = args.create and args.name not in node.instances()
        if created:
            node.new_instance(args.type or type_for(source), args.name, **_settings(args.setting))
        volume = node.instance(args.name)
        if not isinstance(volume, Volume):
            raise ValueError(f"{args.name} is a {volume.typename}, not a block volume")
        job = Ingest(volume.view(throttle=args.throttle), source, offset, start_z=args.start_z,
                     check_existing=not created, concurrency=args.concurrency, progress=not args.no_progress)
        print(f"{source.description} -> {args.name} at {node.uuid}, offset (z, y, x) {offset}", flush=True)
        print(job.run().line(args.name))
    return 0


@_reported
def cmd_export(args: argparse.Namespace) -> int:
    from dvidpy.client.export import export_zarr

    box = parse_box(args.box) if args.box else None
    chunks = zyx(args.chunks, "--chunks") if args.chunks else None
    with _client(args) as client:
        volume = client.node(args.uuid).instance(args.name)
        if not isinstance(volume, Volume):
            raise ValueError(f"{args.name} is a {volume.typename}, not a block volume")
        report = export_zarr(volume, args.out, box, chunks=chunks, concurrency=args.concurrency,
                             progress=not args.no_progress, overwrite=args.overwrite)
        print(report.line())
    return 0
