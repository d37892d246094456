"""A hostile client against real ``dvidpy serve`` processes: a seeded fuzz over every route family,
the memory a refused request may cost, an answer in bounded time, and kill -9 during writes."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from served import Served

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")

BLOCK = bytes(range(256)) * 128  # one 32^3 uint8 block


class Conn:
    """A keep-alive connection that notices a dropped connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        data = r.read()
        if r.getheader("connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        return r.status, data


def setup_repos(c: Conn) -> tuple[str, str]:
    """A protected repo (committed root with data) and a sandbox repo for anything."""
    protected = json.loads(c.request("POST", "/api/repos", b'{"alias": "protected"}')[1])["root"]
    sandbox = json.loads(c.request("POST", "/api/repos", b'{"alias": "sandbox"}')[1])["root"]
    for root in (protected, sandbox):
        for typename, name in (("uint8blk", "g"), ("labelblk", "lab"), ("roi", "r")):
            body = json.dumps({"typename": typename, "dataname": name}).encode()
            assert c.request("POST", f"/api/repo/{root}/instance", body)[0] == 200
        assert c.request("POST", f"/api/node/{root}/g/raw/0_1_2/32_32_32/0_0_0", BLOCK)[0] == 200
        labels = np.arange(32**3, dtype="<u8").tobytes()
        assert c.request("POST", f"/api/node/{root}/lab/raw/0_1_2/32_32_32/0_0_0", labels)[0] == 200
        assert c.request("POST", f"/api/node/{root}/r/roi", b"[[0,0,0,2],[1,1,-3,4]]")[0] == 200
    assert c.request("POST", f"/api/node/{protected}/commit", b'{"note": "protected"}')[0] == 200
    return protected, sandbox


def protected_state(c: Conn, root: str) -> tuple:
    info = c.request("GET", f"/api/repo/{root}/info")
    return (info, c.request("GET", f"/api/node/{root}/g/raw/0_1_2/64_64_64/-16_-16_-16"),
            c.request("GET", f"/api/node/{root}/lab/raw/0_1_2/32_32_32/0_0_0"),
            c.request("GET", f"/api/node/{root}/r/roi"))


# -- the fuzz -----------------------------------------------------------------------------------------------


NUMBERS = ["0", "1", "-1", "32", "-32", "64", "31", "2147483647", "-2147483648", "2147483648", "99999999999999999999",
           "1e9", "x", "", "nan", "inf", "0x10", "1.5", "-0", "007"]
WORDS = ["raw", "isotropic", "blocks", "subvolblocks", "specificblocks", "arb", "rawkey", "metadata", "extents",
         "resolution", "info", "help", "tags", "label", "labels", "pseudocolor", "sync", "roi", "ptquery", "mask",
         "partition", "blobstore", "", "nosuch", "..", "%00", "%C3%BCn%C3%AFcode"]
SHAPES = ["0_1_2", "xy", "xz", "yz", "0_1", "1_2", "0_2", "0_1_2_3", "arb", "x", ""]
QUERIES = ["", "?compression=lz4", "?compression=gzip", "?compression=google", "?compression=googlegzip",
           "?compression=jpeg", "?compression=bogus", "?throttle=on", "?roi=r", "?roi=nosuch", "?roi=g",
           "?roi=r&attenuation=3", "?attenuation=99", "?blocks=0,0,0,1,1,1", "?blocks=a,b", "?prefetch=on",
           "?batchsize=2", "?batchsize=-1", "?optimized=true&batchsize=1", "?hash=abc", "?replace=true",
           "?x=0&y=0&z=0", "?x=a", "?u=me&app=fuzz", "?admintoken=wrong"]
BODIES = [b"", b"{}", b"[]", b"null", b"[" * 5000, b'{"a":' * 5000, b"[[1,2,3]]", b"[[1 2,3,4]]", b"\x00" * 100,
          b'{"typename": "uint8blk", "dataname": "fz"}', b'{"typename": "nosuch", "dataname": "x"}',
          b'{"note": 1}', b'{"log": "x"}', b'{"branch": ""}', b'{"tag": "a\\"b"}', b'{"sync": "lab"}',
          b'{"throttle": 1e999}', b'{"MinPoint": [0,0,0], "MaxPoint": [1,1]}', b"[8,8,8]", b"[-1,0,1]",
          b'{"mergeType": "conflict-free", "parents": ["x", "y"]}', b'{"data": [], "parents": []}',
          b'[[0,0,0,1],[5,5,5]]', b"\xff\xfe", BLOCK[:100], BLOCK]


def fuzz_paths(rng: random.Random, uuid: str) -> str:
    pick = rng.choice
    uuids = [uuid, uuid[:6], uuid + "0", "ffff", f"{uuid}:master", ":master", f"{uuid}:nosuch", "x:y:z", "", "..",
             uuid.upper(), "%41"]
    node = f"/api/node/{pick(uuids)}"
    dims = "_".join(pick(NUMBERS) for _ in range(rng.choice([2, 3, 3, 3, 4])))
    offset = "_".join(pick(NUMBERS) for _ in range(3))
    family = rng.randrange(7)
    if family == 0:
        return pick(["/api/repos", "/api/repos/info", "/api/help", "/api/help/" + pick(["uint8blk", "nosuch", ""]),
                     "/api/load", "/api/heartbeat", "/api/user-latencies", "/api/server/info",
                     "/api/server/settings", "/api/server/types", "/api/server/config", "/", "/api", "/api/x"])
    if family == 1:
        return f"/api/repo/{pick(uuids)}/" + pick(["info", "instance", "log", "merge", "resolve", "branch-versions/master",
                                                   "instance/g", "instance/g/rename", "nosuch", ""])
    if family == 2:
        return f"{node}/" + pick(["note", "log", "commit", "status", "newversion", "branch", "tag", ""])
    name = pick(["g", "lab", "r", "nosuch", "fz"])
    word = pick(WORDS)
    tail = pick([f"/{pick(SHAPES)}/{dims}/{offset}", f"/{dims}/{offset}", f"/{offset}/{pick(NUMBERS)}",
                 f"/{offset}/{offset}/{offset}/{pick(NUMBERS)}", "", f"/{pick(NUMBERS)}",
                 f"/{pick(SHAPES)}/{dims}/{offset}/" + pick(["png", "jpg", "jpg:50", "jpg:500", "tif", "bmp", "x"])])
    return f"{node}/{name}/{word}{tail}{pick(QUERIES)}"


def test_fuzz_every_route_family(tmp_path):
    config = tmp_path / "fuzz.toml"
    config.write_text("[server]\nmax_request_bytes = 67108864\nworkers = 2\n")
    with Served(tmp_path, "--data", str(tmp_path / "data"), "--config", str(config)) as server:
        c = Conn(server.port)
        protected, sandbox = setup_repos(c)
        before = protected_state(c, protected)
        rng = random.Random(int(os.environ.get("DVIDPY_FUZZ_SEED", "20261202")))
        seen: dict[int, int] = {}
        for i in range(int(os.environ.get("DVIDPY_FUZZ_COUNT", "3000"))):
            method = rng.choice(["GET", "GET", "POST", "POST", "HEAD", "DELETE", "PUT"])
            root = protected if rng.random() < 0.3 else sandbox
            if root == protected and method not in ("GET", "HEAD"):
                method = "POST" if rng.random() < 0.5 else "GET"
            path = fuzz_paths(rng, root)
            if root == protected and method == "POST" and not path.startswith(f"/api/node/{protected}/"):
                method = "GET"  # only data endpoints, which a committed node refuses, get writes there
            if root == protected and method == "POST" and path.split("/")[4:5] in (
                    ["note"], ["log"], ["commit"], ["newversion"], ["branch"], ["tag"]):
                method = "GET"
            body = rng.choice(BODIES) if method in ("POST", "PUT", "DELETE") or rng.random() < 0.1 else None
            try:
                status, answer = c.request(method, path, body)
            except (OSError, http.client.HTTPException) as exc:
                raise AssertionError(f"request {i} dropped the connection: {method} {path} {body!r:.80}: {exc}")
            assert status < 500, f"request {i}: {method} {path} {body!r:.80} -> {status} {answer[:300]!r}"
            seen[status] = seen.get(status, 0) + 1
        assert protected_state(c, protected) == before
        assert seen.get(200, 0) > 100 and seen.get(400, 0) > 1000, seen
        server.stop()


# -- memory ------------------------------------------------------------------------------------------------


def peak_reset(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


SLACK = 96 << 20  # what any request may cost beyond 3x its answer (buffers, the thread pool)


def test_refused_requests_cost_no_memory(tmp_path):
    import gzip

    with Served(tmp_path, "--data", str(tmp_path / "data"), "--workers", "1") as server:
        c = Conn(server.port)
        _, root = setup_repos(c)
        pid = server.proc.pid
        node = f"/api/node/{root}"
        bomb = gzip.compress(b"\0" * (512 << 20))
        balloons = [
            ("GET", f"{node}/g/blocks/0_0_0/2147483647", None, None, 0),
            ("DELETE", f"{node}/lab/blocks/0_0_0/100000000", None, None, 0),
            ("GET", f"{node}/lab/raw/0_1_2/1024_1024_256/0_0_0?compression=lz4", None, None, 0),
            ("POST", f"{node}/lab/raw/0_1_2/4096_4096_512/0_0_0?compression=gzip", bomb, None, 0),
            ("POST", f"{node}/g/raw/0_1_2/32_32_32/0_0_0", b"\1" * (256 << 20), None, 0),
            ("GET", f"{node}/g/arb/0_0_0/3000_0_0/0_3000_0/1", None, None, 3001 * 3001),
            ("GET", f"{node}/g/subvolblocks/32_33554432_33554432/0_0_0", None, None, 0),
        ]
        for method, path, body, headers, answer in balloons:
            base = rss_bytes(pid)
            peak_reset(pid)
            status, data = c.request(method, path, body, headers)
            grown = peak_bytes(pid) - base
            assert status < 500, (path, status, data[:200])
            assert grown <= 3 * answer + SLACK, f"{method} {path} grew the server by {grown >> 20} MiB"
        server.stop()


def test_a_huge_declared_body_is_answered_before_it_is_sent(tmp_path):
    import socket

    with Served(tmp_path, "--data", str(tmp_path / "data"), "--workers", "1") as server:
        c = Conn(server.port)
        _, root = setup_repos(c)
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        sock.sendall(f"POST /api/node/{root}/g/raw/0_1_2/32_32_32/0_0_0 HTTP/1.1\r\nHost: x\r\n"
                     f"Content-Length: {1 << 30}\r\n\r\n".encode() + b"\0" * 1000)
        answer = b""
        while b"this request may send" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        sock.close()
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b"request body of 1073741824 bytes is larger than the 34304 bytes this request may send" in answer
        assert c.request("GET", f"/api/node/{root}/g/raw/0_1_2/32_32_32/0_0_0") == (200, BLOCK)
        server.stop()


# -- time ---------------------------------------------------------------------------------------------------


def test_the_runaway_request_is_answered_and_others_are_served(tmp_path):
    with Served(tmp_path, "--data", str(tmp_path / "data"), "--workers", "1") as server:
        c = Conn(server.port)
        _, root = setup_repos(c)
        answers: dict[str, tuple] = {}

        def runaway() -> None:
            answers["runaway"] = Conn(server.port).request(
                "GET", f"/api/node/{root}/g/subvolblocks/32_33554432_33554432/0_0_0")

        thread = threading.Thread(target=runaway)
        thread.start()
        for _ in range(20):
            assert c.request("GET", "/api/heartbeat") == (200, b"OK")
        thread.join(60)
        assert not thread.is_alive(), "the runaway request was not answered"
        status, body = answers["runaway"]
        assert status == 400 and b"exceeds this DVID server's set limit" in body
        assert c.request("GET", f"/api/node/{root}/g/raw/0_1_2/32_32_32/0_0_0") == (200, BLOCK)
        server.stop()


# -- kill -9 --------------------------------------------------------------------------------------------------


def test_kill_9_during_writes_loses_nothing_acknowledged(tmp_path):
    data = tmp_path / "data"
    rng = random.Random(9)
    acknowledged: dict[int, bytes] = {}
    with Served(tmp_path, "--data", str(data), "--workers", "1") as first:
        c = Conn(first.port)
        root = json.loads(c.request("POST", "/api/repos", b"{}")[1])["root"]
        c.request("POST", f"/api/repo/{root}/instance", b'{"typename": "uint8blk", "dataname": "g"}')
        first.stop()
    serial = 0
    for cycle in range(4):
        server = Served(tmp_path, "--data", str(data), "--workers", "1")
        stop = threading.Event()

        def writer() -> None:
            nonlocal serial
            conn = Conn(server.port)
            while not stop.is_set():
                serial += 1
                i = serial
                block = np.full(32**3, (i * 37) % 251, dtype=np.uint8).tobytes()
                try:  # each write its own block, so an unanswered one cannot hide an answered one
                    status, _ = conn.request("POST", f"/api/node/{root}/g/raw/0_1_2/32_32_32/{32 * i}_0_0", block)
                except (OSError, http.client.HTTPException):
                    return
                if status == 200:
                    acknowledged[i] = block

        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(0.3 + rng.random())
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait(30)
        stop.set()
        thread.join(30)
        server.log.close()
    with Served(tmp_path, "--data", str(data), "--workers", "1") as last:
        c = Conn(last.port)
        assert len(acknowledged) > 5
        for x, block in acknowledged.items():
            assert c.request("GET", f"/api/node/{root}/g/raw/0_1_2/32_32_32/{32 * x}_0_0") == (200, block), x
        last.stop()
