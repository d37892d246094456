"""The static peer of a neuroglancer view: the same volumes as neuroglancer-precomputed files.

TensorStore writes them (driver ``neuroglancer_precomputed``): the image as 64^3 JPEG chunks at
quality 80, the labels as 64^3 compressed_segmentation chunks (8^3 blocks), one file per chunk
named ``<scale key>/<x0>-<x1>_<y0>-<y1>_<z0>-<z1>``, as a precomputed viewer asks for them.
A ``ThreadingHTTPServer`` serves the folder as ``python -m http.server`` does (HTTP/1.0, with
CORS so a browser page on another port may read it), or with keep-alive.
"""

from __future__ import annotations

import functools
import http.server
import signal
import socket
import threading
from pathlib import Path

import numpy as np

CHUNK = 64
SCALE_KEY = "s0"


def write(folder: Path, name: str, volume: np.ndarray, *, segmentation: bool) -> Path:
    """Write a (z, y, x) ``volume`` as the precomputed layer ``folder/name``; returns its folder."""
    import tensorstore as ts

    nz, ny, nx = volume.shape
    scale = {"key": SCALE_KEY, "size": [nx, ny, nz], "resolution": [8, 8, 8], "chunk_size": [CHUNK] * 3,
             "encoding": "compressed_segmentation" if segmentation else "jpeg"}
    if segmentation:
        scale["compressed_segmentation_block_size"] = [8, 8, 8]
    else:
        scale["jpeg_quality"] = 80
    spec = {
        "driver": "neuroglancer_precomputed",
        "kvstore": {"driver": "file", "path": str(folder / name)},
        "multiscale_metadata": {"type": "segmentation" if segmentation else "image",
                                "data_type": volume.dtype.name, "num_channels": 1},
        "scale_metadata": scale,
        "create": True,
        "delete_existing": True,
    }
    store = ts.open(spec).result()
    store[ts.d["channel"][0]].write(volume.transpose(2, 1, 0)).result()
    return folder / name


def chunk_file(offset_xyz: tuple[int, int, int], size: tuple[int, int, int], extent_xyz: tuple[int, int, int]) -> str:
    """The file name of the chunk at ``offset_xyz`` (clipped at the volume's ``extent_xyz``)."""
    parts = [f"{o}-{min(o + n, e)}" for o, n, e in zip(offset_xyz, size, extent_xyz)]
    return f"{SCALE_KEY}/{'_'.join(parts)}"


def read_chunk(layer: Path, name: str) -> np.ndarray:
    """Decode one written chunk file through TensorStore: the (z, y, x) array it holds."""
    import tensorstore as ts

    store = ts.open({"driver": "neuroglancer_precomputed", "kvstore": {"driver": "file", "path": str(layer)}}).result()
    (x0, x1), (y0, y1), (z0, z1) = (tuple(int(v) for v in p.split("-")) for p in name.split("/")[-1].split("_"))
    return store[x0:x1, y0:y1, z0:z1, 0].read().result().transpose(2, 1, 0)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """``python -m http.server``'s handler (HTTP/1.0: a connection per request), with CORS."""

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        pass


class KeptConnections:
    """A mixin for an ``http.server`` handler: HTTP/1.1 with kept connections, and without
    Nagle's delay (the handler's headers and body go out in two writes, and on a kept
    connection the second waits for the client's delayed ACK, ~40 ms)."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()  # type: ignore[misc]
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]


class _KeepAliveHandler(KeptConnections, _Handler):
    """The same with keep-alive."""


class StaticServer:
    """Python's static file server on 127.0.0.1 and a free port, in a thread of this process:
    as ``python -m http.server`` (``ThreadingHTTPServer``, HTTP/1.0), or with keep-alive.

    Run it in its own process (``main``) when a benchmark's clients share this one.
    """

    def __init__(self, root: Path, port: int = 0, *, keep_alive: bool = False) -> None:
        handler = functools.partial(_KeepAliveHandler if keep_alive else _Handler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread: threading.Thread | None = None

    def start(self) -> StaticServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str] | None = None) -> None:
    """``python -m dvidpy.benchmarks.precomputed FOLDER --port N``: serve FOLDER until killed."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dvidpy.benchmarks.precomputed")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--keep-alive", action="store_true", help="HTTP/1.1 keep-alive (http.server: HTTP/1.0)")
    args = parser.parse_args(argv)
    # A process started from a background shell job inherits SIGINT ignored: stop on it anyway.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = StaticServer(args.folder, args.port, keep_alive=args.keep_alive)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
