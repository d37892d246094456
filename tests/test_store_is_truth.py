"""Acknowledged changes are never lost or contradicted, whatever a slow upload does meanwhile:
real ``dvidpy serve`` processes and a client that sends its body in slow pieces."""

from __future__ import annotations

import json
import socket
import time

import numpy as np

from served import Served

VOLUME = np.arange(32 * 32 * 32, dtype=np.uint8).tobytes()
RAW = "raw/0_1_2/32_32_32/0_0_0"


class SlowUpload:
    """An HTTP POST whose body arrives in pieces, when the test says so."""

    def __init__(self, port: int, path: str, body: bytes) -> None:
        self.body = body
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {len(body)}\r\n"
                "Content-Type: application/octet-stream\r\n\r\n")
        self.sock.sendall(head.encode() + body[:100])
        time.sleep(0.2)  # the server has the headers and a first piece, and waits for the rest

    def finish(self) -> tuple[int, bytes]:
        self.sock.sendall(self.body[100:])
        data = b""
        while b"\r\n\r\n" not in data:
            data += self.sock.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        status = int(head.split()[1])
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.sock.close()
        return status, rest


def new_repo_with_gray(server: Served) -> str:
    root = server.json("POST", "/api/repos", b"{}")["root"]
    server.json("POST", f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "g"}')
    return root


def test_an_instance_added_during_a_slow_write_survives_a_restart(tmp_path):
    data = tmp_path / "data"
    with Served(tmp_path, "--data", str(data)) as server:
        root = new_repo_with_gray(server)
        upload = SlowUpload(server.port, f"/api/node/{root}/g/{RAW}", VOLUME)
        status, body = server.request("POST", f"/api/node/{root}/newversion", b"{}")
        assert (status, body) == (400, f"can't branch an unlocked node (/api/node/{root}/newversion).\n".encode())
        created = server.json("POST", f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "fresh"}')
        assert created == {"result": f"Added fresh [uint8blk] to node {root}"}
        assert upload.finish() == (200, b"")
        assert server.stop()[0] == 0
    with Served(tmp_path, "--data", str(data)) as again:
        instances = again.json("GET", f"/api/repo/{root}/info")["DataInstances"]
        assert sorted(instances) == ["fresh", "g"]
        assert again.request("GET", f"/api/node/{root}/g/{RAW}") == (200, VOLUME)
        again.stop()


def test_a_write_that_outlives_a_commit_is_refused(tmp_path):
    with Served(tmp_path, "--data", str(tmp_path / "data")) as server:
        root = new_repo_with_gray(server)
        upload = SlowUpload(server.port, f"/api/node/{root}/g/{RAW}", VOLUME)
        assert server.json("POST", f"/api/node/{root}/commit", b'{"note": "done"}') == {"committed": root}
        status, body = upload.finish()
        assert (status, body) == (
            400, f'Cannot do POST on endpoint "raw" of locked node {root} (/api/node/{root}/g/{RAW}).\n'.encode())
        status, stored = server.request("GET", f"/api/node/{root}/g/{RAW}")
        assert (status, stored) == (200, bytes(len(VOLUME)))
        server.stop()


def test_a_write_to_an_instance_deleted_meanwhile_is_refused(tmp_path):
    with Served(tmp_path, "--data", str(tmp_path / "data")) as server:
        root = new_repo_with_gray(server)
        upload = SlowUpload(server.port, f"/api/node/{root}/g/{RAW}", VOLUME)
        status, _ = server.request("DELETE", f"/api/repo/{root}/instance/g?imsure=true")
        assert status == 200
        server.json("POST", f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "g"}')
        status, body = upload.finish()
        assert (status, body) == (
            400, f'data instance "g" was deleted or replaced while the request was sent (/api/node/{root}/g/{RAW}).\n'
            .encode())
        assert server.request("GET", f"/api/node/{root}/g/{RAW}") == (200, bytes(len(VOLUME)))
        server.stop()


def test_a_refused_dag_change_changes_nothing(tmp_path):
    with Served(tmp_path, "--data", str(tmp_path / "data")) as server:
        root = new_repo_with_gray(server)
        before = server.json("GET", f"/api/repo/{root}/info")
        for path, body in ((f"/api/node/{root}/newversion", b"{}"), (f"/api/node/{root}/branch", b'{"branch": "x"}'),
                           (f"/api/repo/{root}/merge", json.dumps({"mergeType": "conflict-free",
                                                                   "parents": [root, root]}).encode())):
            assert server.request("POST", path, body)[0] == 400
        assert server.json("GET", f"/api/repo/{root}/info") == before
        server.stop()
