"""Many servers, one database: two real ``dvidpy serve`` processes on one PostgreSQL table.

Each server has its own data folder (its run files) and one worker process; what one writes,
the other's next request sees. What they must keep between them is what LMDB gives one server:
one winner per metadata change, no lost write or repo record under concurrent writers, no
write into a committed node, and nothing acknowledged lost when one of them is killed.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from served import Served

BLOCK = 32**3


def raw(x: int, y: int = 0, z: int = 0, n: int = 32) -> str:
    return f"raw/0_1_2/{n}_{n}_{n}/{x}_{y}_{z}"


def wait_until(done, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.01)


def pg_config(folder: Path, options: dict) -> Path:
    path = folder / "pg.toml"
    path.write_text(f'[store]\nengine = "postgres"\ndsn = "{options["dsn"]}"\ntable = "{options["table"]}"\n')
    return path


def start(tmp_path: Path, config: Path, name: str) -> Served:
    data = tmp_path / name
    data.mkdir()
    return Served(data, "--config", str(config), "--data", str(data), "--workers", "1")


@pytest.fixture
def servers(tmp_path, pg_tables):
    """Servers A and B on one fresh table (a third can be started with ``start_more``)."""
    config = pg_config(tmp_path, pg_tables())
    a, b = start(tmp_path, config, "a"), start(tmp_path, config, "b")
    yield a, b, lambda name: start(tmp_path, config, name)
    for server in (a, b):
        if server.proc.poll() is None:
            server.kill()


def test_each_server_sees_what_the_other_wrote(servers):
    a, b, _ = servers
    assert "engine postgres @ " in a.banner and "table kv_" in a.banner and "password" not in a.banner
    root = a.json("POST", "/api/repos", b'{"alias": "shared", "description": "one database"}')["root"]
    assert b.json("GET", f"/api/repo/{root}/info")["Alias"] == "shared"
    b.json("POST", f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "g"}')
    volume = np.arange(BLOCK, dtype=np.uint8).tobytes()
    assert a.request("POST", f"/api/node/{root}/g/{raw(0)}", volume) == (200, b"")
    assert b.request("GET", f"/api/node/{root}/g/{raw(0)}") == (200, volume)
    a.json("POST", f"/api/repo/{root}/instance", b'{"typename": "roi", "dataname": "r"}')
    assert b.request("POST", f"/api/node/{root}/r/roi", b"[[0, 0, 0, 3]]") == (200, b"")
    assert a.json("GET", f"/api/node/{root}/r/roi") == [[0, 0, 0, 3]]
    assert b.request("POST", f"/api/node/{root}/g/tags", b'{"kind": "em"}') == (200, b"")
    assert a.json("GET", f"/api/node/{root}/g/tags") == {"Tags": {"kind": "em"}}
    a.json("POST", f"/api/node/{root}/commit", b'{"note": "through A"}')
    child = b.json("POST", f"/api/node/{root}/newversion", b"{}")["child"]
    assert a.json("GET", f"/api/node/{child}/commit") == {"Locked": False}
    assert b.request("POST", f"/api/node/{child}/g/{raw(32)}", volume[::-1]) == (200, b"")
    assert a.request("GET", f"/api/node/{child}/g/{raw(32)}") == (200, volume[::-1])
    assert a.request("GET", f"/api/node/{root}/g/{raw(32)}") == (200, bytes(BLOCK))  # the parent keeps none
    assert a.json("GET", f"/api/repo/{root}/info")["DAG"] == b.json("GET", f"/api/repo/{root}/info")["DAG"]
    a.request("DELETE", f"/api/repo/{root}/instance/r?imsure=true")
    assert sorted(b.json("GET", f"/api/repo/{root}/info")["DataInstances"]) == ["g"]


def test_eight_writers_over_two_servers_lose_nothing(servers):
    """Concurrent instance creations and block writes, half through each server: every instance,
    every block and the extents of every write (a record both sides rewrite) are there."""
    a, b, _ = servers
    root = a.json("POST", "/api/repos", b"{}")["root"]
    a.json("POST", f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "g"}')
    go = threading.Barrier(8)
    answers: dict[tuple[int, int], tuple[int, bytes]] = {}

    def writer(i: int) -> None:
        server = (a, b)[i % 2]
        go.wait()
        answers[i, -1] = server.request("POST", f"/api/repo/{root}/instance",
                                        json.dumps({"typename": "uint8blk", "dataname": f"w{i}"}).encode())
        for j in range(4):
            block = bytes([8 * j + i + 1]) * BLOCK
            answers[i, j] = server.request("POST", f"/api/node/{root}/g/{raw(32 * (8 * j + i))}", block)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(status == 200 for status, _ in answers.values()), answers
    assert len(answers) == 40
    for server in (a, b):
        info = server.json("GET", f"/api/repo/{root}/info")
        assert sorted(info["DataInstances"]) == ["g"] + sorted(f"w{i}" for i in range(8))
        extended = info["DataInstances"]["g"]["Extended"]
        assert (extended["MinPoint"], extended["MaxPoint"]) == ([0, 0, 0], [32 * 32 - 1, 31, 31])
        for n in range(32):
            assert server.request("GET", f"/api/node/{root}/g/{raw(32 * n)}") == (200, bytes([n + 1]) * BLOCK), n


def test_a_commit_through_a_refuses_a_write_through_b(servers):
    a, b, _ = servers
    root = a.json("POST", "/api/repos", b"{}")["root"]
    a.json("POST", f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "g"}')
    a.json("POST", f"/api/node/{root}/commit", b"{}")
    assert b.request("POST", f"/api/node/{root}/g/{raw(0)}", bytes(BLOCK)) == (
        400, f'Cannot do POST on endpoint "raw" of locked node {root} (/api/node/{root}/g/{raw(0)}).\n'.encode())

    # A write whose body is still arriving at B when A commits: B re-checks the node inside its
    # own transaction, after the body, and refuses.
    child = a.json("POST", f"/api/node/{root}/newversion", b"{}")["child"]
    path = f"/api/node/{child}/g/{raw(0)}"
    with socket.create_connection(("127.0.0.1", b.port), timeout=30) as slow:
        slow.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {BLOCK}\r\n\r\n".encode())
        slow.sendall(bytes(BLOCK // 2))
        a.json("POST", f"/api/node/{child}/commit", b"{}")
        slow.sendall(bytes(BLOCK - BLOCK // 2))
        reply = http.client.HTTPResponse(slow)
        reply.begin()
        assert (reply.status, reply.read()) == (
            400, f'Cannot do POST on endpoint "raw" of locked node {child} ({path}).\n'.encode())
    assert a.request("GET", f"/api/node/{child}/g/{raw(0)}") == (200, bytes(BLOCK))  # nothing written


def test_concurrent_dag_changes_on_two_servers_have_one_winner(servers):
    a, b, _ = servers
    root = a.json("POST", "/api/repos", b"{}")["root"]
    node = root
    for _ in range(4):
        a.json("POST", f"/api/node/{node}/commit", b"{}")
        results: dict[str, tuple[int, bytes]] = {}
        go = threading.Barrier(2)

        def newversion(who: str, server: Served) -> None:
            go.wait()
            results[who] = server.request("POST", f"/api/node/{node}/newversion", b"{}")

        threads = [threading.Thread(target=newversion, args=s) for s in (("a", a), ("b", b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(status for status, _ in results.values()) == [200, 400], results
        node = json.loads(next(body for status, body in results.values() if status == 200))["child"]
    assert len(b.json("GET", f"/api/repo/{root}/info")["DAG"]["Nodes"]) == 5


def test_killing_one_server_mid_write_loses_nothing_and_the_other_serves_on(servers):
    a, b, start_more = servers
    root = a.json("POST", "/api/repos", b"{}")["root"]
    a.json("POST", f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "g"}')
    acknowledged: dict[int, bytes] = {}
    stop = threading.Event()

    def writer(first: int, server: Served) -> None:
        i, conn = first, None
        while not stop.is_set():
            block = np.full(BLOCK, i % 251, dtype=np.uint8).tobytes()
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                conn.request("POST", f"/api/node/{root}/g/{raw(32 * i)}", body=block)
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    acknowledged[i] = block
                    i += 4
            except (OSError, http.client.HTTPException):
                conn = None  # the server behind this connection died
                time.sleep(0.05)

    threads = [threading.Thread(target=writer, args=(n, (a, b)[n % 2])) for n in range(4)]
    for t in threads:
        t.start()
    wait_until(lambda: len(acknowledged) >= 12, "writes acknowledged by both servers")
    os.kill(a.proc.pid, signal.SIGKILL)
    a.proc.wait(30)
    before = len(acknowledged)
    wait_until(lambda: len(acknowledged) >= before + 8, "B writing on")  # A left no exclusion held
    stop.set()
    for t in threads:
        t.join(60)
    for i, block in acknowledged.items():
        assert b.request("GET", f"/api/node/{root}/g/{raw(32 * i)}") == (200, block), i
    with start_more("c") as c:  # a new server finds everything too
        for i, block in acknowledged.items():
            assert c.request("GET", f"/api/node/{root}/g/{raw(32 * i)}") == (200, block), i
        assert c.request("POST", f"/api/node/{root}/g/{raw(0, 32)}", bytes([7]) * BLOCK) == (200, b"")
        c.stop()
