"""The served fixture (one ``dvidpy serve --workers 2`` for every test here), a client on it,
and ``node``: the root of a fresh repo, so that tests never see each other's data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from served import Served

from dvidpy.client import Client, Node


class Server:
    def __init__(self, folder: Path) -> None:
        self.data = folder / "data"
        self.process = Served(folder, "--data", str(self.data), "--workers", "2")
        self.url = f"http://127.0.0.1:{self.process.port}"

    def throttle_slot(self, n: int = 0) -> Path:
        """The file whose exclusive lock is throttle slot ``n`` of this server."""
        return self.data / "run" / "throttle" / f"slot-{n}"


@pytest.fixture(scope="package")
def server(tmp_path_factory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("client-server"))
    yield running
    code, output = running.process.stop()
    assert code == 0, output


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    with Client(server.url) as c:
        yield c


@pytest.fixture
def node(client: Client, request) -> Node:
    """The open root version of a new repo named after the test."""
    return client.new_repo(request.node.name[:60], "a client test").root
