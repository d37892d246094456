"""``dvidpy serve --workers N``: processes sharing one port and one store, with real processes.

A keep-alive connection stays with the worker that accepted it, and ``/api/server/info`` names
that worker's process, so a test can speak to worker A and worker B on purpose.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time

import numpy as np
import pytest

from served import Served

RAW = "raw/0_1_2/32_32_32/0_0_0"


class Worker:
    """One keep-alive connection, and the pid of the worker process behind it."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.pid = int(self.json("GET", "/api/server/info")["Process"])

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        self.conn.request(method, path, body=body)
        r = self.conn.getresponse()
        return r.status, r.read()

    def json(self, method: str, path: str, body: bytes | None = None):
        status, data = self.request(method, path, body)
        assert status == 200, (method, path, status, data)
        return json.loads(data)


def two_workers(server: Served) -> tuple[Worker, Worker]:
    """Connections until two of them are served by different processes."""
    first = Worker(server.port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        other = Worker(server.port)
        if other.pid != first.pid:
            return first, other
        other.conn.close()
    raise AssertionError("every connection went to one worker")


@pytest.fixture
def served(tmp_path):
    server = Served(tmp_path, "--data", str(tmp_path / "data"), "--workers", "2")
    yield server
    server.kill()


def test_what_one_worker_changes_the_next_request_on_the_other_sees(served, tmp_path):
    a, b = two_workers(served)
    root = a.json("POST", "/api/repos", b'{"alias": "shared"}')["root"]
    assert b.json("GET", f"/api/repo/{root}/info")["Alias"] == "shared"
    a.json("POST", f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "g"}')
    volume = np.arange(32**3, dtype=np.uint8).tobytes()
    assert b.request("POST", f"/api/node/{root}/g/{RAW}", volume) == (200, b"")
    assert a.request("GET", f"/api/node/{root}/g/{RAW}") == (200, volume)
    a.json("POST", f"/api/repo/{root}/instance", b'{"typename": "roi", "dataname": "r"}')
    assert b.request("POST", f"/api/node/{root}/r/roi", b"[[0, 0, 0, 3]]") == (200, b"")
    assert a.json("GET", f"/api/node/{root}/r/roi") == [[0, 0, 0, 3]]
    a.json("POST", f"/api/node/{root}/commit", b'{"note": "locked by A"}')
    status, body = b.request("POST", f"/api/node/{root}/g/{RAW}", bytes(len(volume)))
    assert (status, body) == (400, f'Cannot do POST on endpoint "raw" of locked node {root} '
                                   f"(/api/node/{root}/g/{RAW}).\n".encode())
    child = b.json("POST", f"/api/node/{root}/newversion", b"{}")["child"]
    assert a.json("GET", f"/api/node/{child}/commit") == {"Locked": False}
    a.request("POST", "/api/server/settings", b'{"throttle": "3"}')
    assert b.request("POST", "/api/server/settings", b'{"throttle": "5"}') == (
        200, b"Maximum throttled ops set to 5 from 3\n")
    answered = a.json("GET", f"/api/repo/{root}/info")
    served.stop()
    with Served(tmp_path, "--data", str(tmp_path / "data"), "--workers", "2") as again:
        after = again.json("GET", f"/api/repo/{root}/info")
        assert after["DAG"] == answered["DAG"] and sorted(after["DataInstances"]) == ["g", "r"]
        assert again.request("GET", f"/api/node/{root}/g/{RAW}") == (200, volume)
        again.stop()


def test_concurrent_dag_changes_have_one_winner_each(served, tmp_path):
    a, b = two_workers(served)
    root = a.json("POST", "/api/repos", b"{}")["root"]
    node = root
    answers = []
    for _ in range(6):
        a.json("POST", f"/api/node/{node}/commit", b"{}")
        results: dict[str, tuple[int, bytes]] = {}
        go = threading.Barrier(2)

        def newversion(who: str, worker: Worker) -> None:
            go.wait()
            results[who] = worker.request("POST", f"/api/node/{node}/newversion", b"{}")

        threads = [threading.Thread(target=newversion, args=w) for w in (("a", a), ("b", b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(status for status, _ in results.values())
        assert statuses == [200, 400], results
        winner = next(body for status, body in results.values() if status == 200)
        loser = next(body for status, body in results.values() if status == 400)
        assert loser == f"branch already exists with given name (/api/node/{node}/newversion).\n".encode()
        node = json.loads(winner)["child"]
        answers.append(node)
    dag = a.json("GET", f"/api/repo/{root}/info")["DAG"]["Nodes"]
    assert len(dag) == 7
    assert b.json("GET", f"/api/repo/{root}/branch-versions/master") == [*reversed(answers), root]
    served.stop()
    with Served(tmp_path, "--data", str(tmp_path / "data"), "--workers", "2") as again:
        assert again.json("GET", f"/api/repo/{root}/info")["DAG"]["Nodes"] == dag
        again.stop()


def test_a_killed_worker_loses_nothing_acknowledged(served, tmp_path):
    a, b = two_workers(served)
    root = a.json("POST", "/api/repos", b"{}")["root"]
    a.json("POST", f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "g"}')
    acknowledged: dict[int, bytes] = {}
    stop = threading.Event()

    def writer(first: int) -> None:
        i = first
        conn = None
        while not stop.is_set():
            block = np.full(32**3, i % 251, dtype=np.uint8).tobytes()
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
                conn.request("POST", f"/api/node/{root}/g/raw/0_1_2/32_32_32/{32 * i}_0_0", body=block)
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    acknowledged[i] = block
                    i += 4
            except (OSError, http.client.HTTPException):
                conn = None  # the worker behind this connection died; try again elsewhere
                time.sleep(0.05)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    os.kill(b.pid, signal.SIGKILL)
    time.sleep(1.5)
    assert a.request("GET", "/api/heartbeat") == (200, b"OK")
    stop.set()
    for t in threads:
        t.join(60)
    assert len(acknowledged) > 8
    for i, block in acknowledged.items():
        assert a.request("GET", f"/api/node/{root}/g/raw/0_1_2/32_32_32/{32 * i}_0_0") == (200, block), i
    served.stop()
    with Served(tmp_path, "--data", str(tmp_path / "data"), "--workers", "2") as again:
        for i, block in acknowledged.items():
            assert again.request("GET", f"/api/node/{root}/g/raw/0_1_2/32_32_32/{32 * i}_0_0") == (200, block)
        again.stop()


def test_a_killed_worker_is_replaced(served):
    a, b = two_workers(served)
    os.kill(b.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    pids = set()
    while time.monotonic() < deadline and len(pids - {b.pid}) < 2:
        pids.add(Worker(served.port).pid)
    assert len(pids - {b.pid}) == 2 and b.pid not in pids


def test_a_second_server_waits_for_old_workers(tmp_path):
    """Killing the supervisor takes its workers down; the folder is free only once they are gone."""
    data = tmp_path / "data"
    server = Served(tmp_path, "--data", str(data), "--workers", "2")
    root = server.json("POST", "/api/repos", b"{}")["root"]
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while True:
        try:
            again = Served(tmp_path, "--data", str(data), "--workers", "2", timeout=20)
            break
        except AssertionError as exc:
            assert "worker processes of an earlier server are still running" in str(exc) or "in use" in str(exc)
            assert time.monotonic() < deadline
            time.sleep(0.2)
    with again:
        assert list(again.json("GET", "/api/repos/info")) == [root]
        again.stop()
