"""Shared fixtures: a real server (real LMDB store in a temporary folder, real Starlette app).

``dvid`` is a :class:`Harness`: an in-process client plus conveniences for the repo and
version operations most tests start with. ``live_server`` runs the same app under uvicorn on
127.0.0.1 with a free port, for end-to-end tests over real sockets.
"""

from __future__ import annotations

import re
import socket
import struct
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS / "plugins" / "dvidpy_testkv"))

warnings.filterwarnings("ignore", message=".*httpx2.*")

import dvidpy_testkv  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from dvidpy.app import create_app  # noqa: E402
from dvidpy.config import Config  # noqa: E402
from dvidpy.plugin_manager import Plugins, make_plugin_manager  # noqa: E402
from dvidpy.server import Server  # noqa: E402
from dvidpy.storage.engine import open_engine  # noqa: E402


def test_plugins(*extra: object) -> Plugins:
    """Built-in plugins plus the tiny third-party test datatype (registered directly)."""
    return Plugins(make_plugin_manager(entry_points=False, extra=(dvidpy_testkv, *extra)))


test_plugins.__test__ = False  # a helper, not a test, when a test module imports it


class Harness:
    """A dvidpy app on a data folder, with an in-process client; restartable on the same folder."""

    def __init__(self, data_dir: Path, plugins_factory=test_plugins, **config: Any) -> None:
        self.data_dir = data_dir
        self.plugins_factory = plugins_factory
        self.config = Config(data=data_dir, **config)
        self._start()

    def _start(self) -> None:
        self.app = create_app(self.config, self.plugins_factory())
        self.client = TestClient(self.app, raise_server_exceptions=False)

    @property
    def server(self) -> Server:
        return self.app.state.server

    def close(self) -> None:
        self.server.close()

    def restart(self, **config: Any) -> None:
        """Close the store and open a new server on the same data folder."""
        self.close()
        if config:
            self.config = self.config.with_overrides(**config)
        self._start()

    # -- HTTP shortcuts --------------------------------------------------------------------------

    def get(self, url: str, **kw: Any):
        return self.client.get(url, **kw)

    def post(self, url: str, **kw: Any):
        return self.client.post(url, **kw)

    def delete(self, url: str, **kw: Any):
        return self.client.delete(url, **kw)

    def request(self, method: str, url: str, **kw: Any):
        return self.client.request(method, url, **kw)

    def ok(self, method: str, url: str, **kw: Any):
        """Send a request and assert it succeeded; returns the response."""
        r = self.client.request(method, url, **kw)
        assert r.status_code == 200, f"{method} {url} -> {r.status_code}: {r.text}"
        return r

    def new_repo(self, alias: str = "", description: str = "") -> str:
        return self.ok("POST", "/api/repos", json={"alias": alias, "description": description}).json()["root"]

    def new_instance(self, uuid: str, typename: str, name: str, **settings: Any) -> None:
        self.ok("POST", f"/api/repo/{uuid}/instance", json={"typename": typename, "dataname": name, **settings})

    def commit(self, uuid: str, note: str = "") -> None:
        self.ok("POST", f"/api/node/{uuid}/commit", json={"note": note})

    def newversion(self, uuid: str) -> str:
        return self.ok("POST", f"/api/node/{uuid}/newversion", json={}).json()["child"]

    def branch(self, uuid: str, name: str) -> str:
        return self.ok("POST", f"/api/node/{uuid}/branch", json={"branch": name}).json()["child"]


@pytest.fixture
def dvid(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(tmp_path / "data")
    yield harness
    harness.close()


@pytest.fixture
def make_dvid(tmp_path: Path) -> Iterator:
    """A factory for harnesses with other settings: ``make_dvid(read_only=True, ...)``."""
    made: list[Harness] = []

    def make(plugins_factory=test_plugins, **config: Any) -> Harness:
        harness = Harness(tmp_path / f"data{len(made)}", plugins_factory, **config)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()


def block_records(body: bytes) -> list[tuple[tuple[int, int, int], bytes]]:
    """A block stream (``subvolblocks``, ``specificblocks``, labelblk ``blocks``) as
    ``((x, y, z), data)`` records: int32 x, y, z and byte count, little-endian, then the bytes."""
    out, pos = [], 0
    while pos < len(body):
        x, y, z, n = struct.unpack_from("<iiii", body, pos)
        out.append(((x, y, z), body[pos + 16 : pos + 16 + n]))
        pos += 16 + n
    assert pos == len(body), "a block stream ends inside a record"
    return out


STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


def log_texts(lines: list[str]) -> list[str]:
    """Log entries are ``<RFC3339>`` + two spaces + text; returns the texts."""
    out = []
    for line in lines:
        stamp, sep, text = line.partition("  ")
        assert sep and STAMP.match(stamp), line
        out.append(text)
    return out


def error_message(r, path: str, status: int = 400) -> str:
    """A DVID error answer: plain text ``<message> (<path>).``; returns the message."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("text/plain")
    suffix = f" ({path}).\n"
    assert r.text.endswith(suffix), r.text
    return r.text[: -len(suffix)]


#: How the engine conformance suite opens each registered engine for real; a new engine adds
#: itself here (tests/test_storage.py fails while one is missing).
TEST_ENGINES = {
    "lmdb": lambda tmp_path: open_engine("lmdb", tmp_path / "store"),
}


@pytest.fixture(params=sorted(TEST_ENGINES))
def engine(request, tmp_path: Path):
    """A fresh, empty store of each registered engine in turn."""
    eng = TEST_ENGINES[request.param](tmp_path)
    yield eng
    eng.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The app under uvicorn in a background thread, on 127.0.0.1 and a free port."""

    def __init__(self, config: Config, plugins: Plugins) -> None:
        import uvicorn

        self.app = create_app(config, plugins)
        self.port = config.port
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, lifespan="on", log_level="warning")
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self.app.state.server.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(Config(data=tmp_path / "live", port=free_port()), test_plugins())
    yield server
    server.stop()
