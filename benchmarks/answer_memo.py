"""dvidpy's own answers from a static server: which side of a view load is slow.

    python -m dvidpy.benchmarks.answer_memo --upstream PORT --port N [--keep-alive]

A ``ThreadingHTTPServer`` (HTTP/1.0, as ``python -m http.server``) that forwards each GET path
to the dvidpy server on ``--upstream`` once, keeps the answer (status, headers, body) and
serves it from memory from then on. A view loaded through it asks neuroglancer's DVID
datasource for dvidpy's exact bytes at a static file server's cost: if it loads as fast as the
precomputed files, what is left between dvidpy and them is dvidpy's time per chunk, not how
neuroglancer reads a DVID source. ``--keep-alive`` serves HTTP/1.1 with kept connections (and
no Nagle delay), as dvidpy does.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import signal
import threading

from dvidpy.benchmarks.precomputed import KeptConnections

#: Headers the memo server writes itself (or that belong to one connection).
_OWN = {"content-length", "connection", "date", "server", "transfer-encoding", "keep-alive"}


class _Memo:
    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.answers: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.lock = threading.Lock()

    def answer(self, path: str, accept_encoding: str) -> tuple[int, list[tuple[str, str]], bytes]:
        with self.lock:
            kept = self.answers.get(path)
        if kept is not None:
            return kept
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream, timeout=60)
        try:
            conn.request("GET", path, headers={"Accept-Encoding": accept_encoding})
            response = conn.getresponse()
            body = response.read()
            headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _OWN]
            kept = (response.status, headers, body)
        finally:
            conn.close()
        with self.lock:
            self.answers.setdefault(path, kept)
        return kept


def handler_for(memo: _Memo, keep_alive: bool = False) -> type[http.server.BaseHTTPRequestHandler]:
    bases = (KeptConnections, http.server.BaseHTTPRequestHandler) if keep_alive else (http.server.BaseHTTPRequestHandler,)

    class Handler(*bases):  # type: ignore[misc]
        def do_GET(self) -> None:
            status, headers, body = memo.answer(self.path, self.headers.get("Accept-Encoding", ""))
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            if not any(k.lower() == "access-control-allow-origin" for k, _ in headers):
                self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:
            pass

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dvidpy.benchmarks.answer_memo")
    parser.add_argument("--upstream", type=int, required=True, help="the dvidpy server's port")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--keep-alive", action="store_true", help="HTTP/1.1 with kept connections, as dvidpy")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(_Memo(args.upstream), args.keep_alive))
    httpd.daemon_threads = True
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        httpd.server_close()


if __name__ == "__main__":
    main()
