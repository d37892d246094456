"""The view load's memo source (benchmarks/answer_memo.py) answers with dvidpy's exact bytes and
headers, and from memory once it has them (here: after the dvidpy server is gone)."""

from __future__ import annotations

import http.client
import json

import numpy as np

from dvidpy.benchmarks.servers import Process, dvidpy_server


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def kept_answers(port: int, path: str, n: int) -> list[tuple[int, str, bytes]]:
    """``n`` answers to ``path`` over one kept connection (a closed one would raise here)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    answers = []
    for _ in range(n):
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        answers.append((response.status, f"HTTP/{response.version // 10}.{response.version % 10}", response.read()))
        assert not response.will_close
    conn.close()
    return answers


def test_memo_answers_are_dvidpys_and_outlive_it(tmp_path):
    dvid = dvidpy_server(tmp_path / "data")
    memo = None
    try:
        conn = http.client.HTTPConnection("127.0.0.1", dvid.port, timeout=30)
        conn.request("POST", "/api/repos", b"{}")
        uuid = json.loads(conn.getresponse().read())["root"]
        conn.request("POST", f"/api/repo/{uuid}/instance", b'{"typename": "labelblk", "dataname": "seg"}')
        response = conn.getresponse()
        assert response.status == 200, response.read()
        response.read()
        labels = (np.arange(64**3, dtype="<u8") // 4000).tobytes()
        conn.request("POST", f"/api/node/{uuid}/seg/raw/0_1_2/64_64_64/0_0_0", labels)
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"")
        conn.close()
        path = f"/api/node/{uuid}/seg/raw/0_1_2/64_64_64/0_0_0?compression=googlegzip"
        direct = get(dvid.port, path)
        memo = Process(["-m", "dvidpy.benchmarks.answer_memo", "--upstream", str(dvid.port)], "/api/server/info")
        kept = Process(["-m", "dvidpy.benchmarks.answer_memo", "--keep-alive", "--upstream", str(dvid.port)],
                       "/api/server/info")
        first = get(memo.port, path)
        assert kept_answers(kept.port, path, 3) == [(200, "HTTP/1.1", direct[2])] * 3
        kept.stop()
        assert first[0] == 200 and first[2] == direct[2]
        assert first[1]["content-encoding"] == "gzip" and first[1]["access-control-allow-origin"] == "*"
        assert first[1]["content-length"] == str(len(direct[2]))
        dvid.stop()
        again = get(memo.port, path)
        assert again[0] == 200 and again[2] == first[2]
        assert {k: v for k, v in again[1].items() if k != "date"} == {k: v for k, v in first[1].items() if k != "date"}
    finally:
        dvid.stop()
        if memo is not None:
            memo.stop()
