"""Shared fixtures: a real server (a real store, a real Starlette app) on every engine.

``dvid`` is a :class:`Harness`: an in-process client plus conveniences for the repo and
version operations most tests start with. ``live_server`` runs the same app under uvicorn on
127.0.0.1 with a free port, for end-to-end tests over real sockets.

Every test that uses ``dvid``, ``make_dvid`` or ``live_server`` runs once per engine of
:data:`TEST_ENGINES` (``test_x[lmdb]``, ``test_x[postgres]``): LMDB in a temporary folder,
PostgreSQL as a fresh table in a throw-away cluster started once per session
(dvidpy.benchmarks.postgres_cluster). ``@pytest.mark.engines("lmdb")`` keeps a test about one
engine's own behaviour to that engine. Without PostgreSQL on the machine its tests are skipped
with the reason; with ``DVIDPY_TEST_POSTGRES=required`` (CI) they fail instead.
``DVIDPY_TEST_PG_DSN`` points the tests at an existing server instead of a throw-away one.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import struct
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS / "plugins" / "dvidpy_testkv"))

warnings.filterwarnings("ignore", message=".*httpx2.*")

import dvidpy_testkv  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from dvidpy.app import create_app  # noqa: E402
from dvidpy.benchmarks.postgres_cluster import Cluster, Unavailable  # noqa: E402
from dvidpy.config import Config  # noqa: E402
from dvidpy.plugin_manager import Plugins, make_plugin_manager  # noqa: E402
from dvidpy.server import Server  # noqa: E402
from dvidpy.storage.engine import open_engine  # noqa: E402


def test_plugins(*extra: object) -> Plugins:
    """Built-in plugins plus the tiny third-party test datatype (registered directly)."""
    return Plugins(make_plugin_manager(entry_points=False, extra=(dvidpy_testkv, *extra)))


test_plugins.__test__ = False  # a helper, not a test, when a test module imports it


class Harness:
    """A dvidpy app on a data folder (and its store), with an in-process client; restartable
    on the same folder and store."""

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


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "engines(*names): run this HTTP test on these storage engines only")


def pytest_generate_tests(metafunc) -> None:
    """Every test reaching the ``http_engine`` fixture (through dvid, make_dvid, live_server)
    runs on each engine its ``engines`` marker allows (all by default)."""
    if "http_engine" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("engines")
        names = list(marker.args) if marker else sorted(TEST_ENGINES)
        metafunc.parametrize("http_engine", names, indirect=True)


@pytest.fixture
def http_engine(request) -> Callable[[], dict[str, Any]]:
    """A function giving the configuration of a fresh, empty store of this test's engine."""
    name = request.param
    return lambda: {"engine": name, "store_options": TEST_ENGINES[name](request)}


@pytest.fixture
def dvid(tmp_path: Path, http_engine) -> Iterator[Harness]:
    harness = Harness(tmp_path / "data", **http_engine())
    yield harness
    harness.close()


@pytest.fixture
def make_dvid(tmp_path: Path, http_engine) -> Iterator:
    """A factory for harnesses with other settings, each on a store of its own:
    ``make_dvid(read_only=True, ...)``."""
    made: list[Harness] = []

    def make(plugins_factory=test_plugins, **config: Any) -> Harness:
        store = http_engine()
        store["store_options"].update(config.pop("store_options", {}))
        harness = Harness(tmp_path / f"data{len(made)}", plugins_factory, **store, **config)
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


# -- engines ----------------------------------------------------------------------------------------

POSTGRES_REQUIRED = os.environ.get("DVIDPY_TEST_POSTGRES") == "required"
_tables = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A PostgreSQL server for the session: a throw-away cluster, or ``DVIDPY_TEST_PG_DSN``."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _no_postgres("psycopg is not installed (pip install -e '.[test]')")
    given = os.environ.get("DVIDPY_TEST_PG_DSN")
    if given:
        yield given
        return
    try:
        cluster = Cluster.start(durable=False)
    except Unavailable as exc:
        _no_postgres(str(exc))
    yield cluster.dsn
    cluster.stop()


def _no_postgres(why: str):
    if POSTGRES_REQUIRED:
        pytest.fail(f"DVIDPY_TEST_POSTGRES=required, but PostgreSQL cannot be used: {why}", pytrace=False)
    pytest.skip(f"no PostgreSQL here: {why}")


@pytest.fixture
def pg_tables(postgres_dsn: str) -> Iterator[Callable[[], dict[str, Any]]]:
    """A function giving the postgres options of a new, empty table; dropped after the test."""
    made: list[str] = []

    def new() -> dict[str, Any]:
        made.append(f"kv_{os.getpid()}_{next(_tables)}")
        return {"dsn": postgres_dsn, "table": made[-1]}

    yield new
    if made:
        import psycopg

        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '20s'")
            conn.execute("DROP TABLE IF EXISTS " + ", ".join(made))


#: How the tests open each registered engine for real: its name -> the ``[store]`` options of a
#: fresh, empty store, given the test's request. A new engine adds itself here
#: (tests/test_storage.py fails while one is missing); the conformance suite and every HTTP
#: test then run on it.
TEST_ENGINES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "lmdb": lambda request: {},
    "postgres": lambda request: request.getfixturevalue("pg_tables")(),
}


@pytest.fixture(params=sorted(TEST_ENGINES))
def open_store(request, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """A function opening one fresh store of each registered engine in turn (again on each
    call: a reopening); every engine it opened is closed after the test."""
    options = TEST_ENGINES[request.param](request)
    opened: list = []

    def reopen():
        opened.append(open_engine(request.param, tmp_path / "store", options))
        return opened[-1]

    yield reopen
    for eng in opened:
        eng.close()


@pytest.fixture
def engine(open_store):
    """A fresh, empty store of each registered engine in turn."""
    return open_store()


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
def live_server(tmp_path: Path, http_engine) -> Iterator[LiveServer]:
    server = LiveServer(Config(data=tmp_path / "live", port=free_port(), **http_engine()), test_plugins())
    yield server
    server.stop()
