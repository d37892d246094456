"""The Starlette application: a short route table, pure-ASGI middleware, DVID-style errors."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dvidpy.config import Config
from dvidpy.errors import DVIDError
from dvidpy.limits import MAX_BODY_BYTES
from dvidpy.plugin_manager import Plugins, make_plugin_manager
from dvidpy.routes import index, instances, nodes, repos, server
from dvidpy.routes.lean import LeanRoute
from dvidpy.server import Server
from dvidpy.storage.engine import StoreUnavailable

log = logging.getLogger("dvidpy.requests")


ROUTES = [*index.ROUTES, *server.ROUTES, *repos.ROUTES, *nodes.ROUTES, *instances.ROUTES]


async def dvid_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DVIDError)
    request.scope["dvidpy.error"] = exc.message  # the request log line adds it at debug level
    return PlainTextResponse(exc.body(request.url.path), status_code=exc.status,
                             headers={"X-Content-Type-Options": "nosniff"})


async def internal_error(request: Request, exc: Exception) -> Response:
    logging.getLogger("dvidpy").exception("unexpected error on %s %s", request.method, request.url.path)
    return PlainTextResponse(
        f"Internal error on {request.method} {request.url.path}: {type(exc).__name__}: {exc}\n",
        status_code=500,
    )


async def store_unavailable(request: Request, exc: Exception) -> Response:
    """The store's database cannot be reached: a 503 (try again), not an internal error."""
    logging.getLogger("dvidpy").warning("%s %s: %s", request.method, request.url.path, exc)
    return PlainTextResponse(f"{exc} ({request.url.path}).\n", status_code=503, headers={"Retry-After": "1"})


async def not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("404 page not found\n", status_code=404)


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """A route that exists but does not take this verb: 405 with the verbs it takes."""
    allowed = (getattr(exc, "headers", None) or {}).get("Allow", "")
    allow = ", ".join(sorted(m.strip() for m in allowed.split(",") if m.strip()))
    return PlainTextResponse("Method Not Allowed\n", status_code=405, headers={"Allow": allow})


class HTTPBasics:
    """Pure ASGI middleware: CORS headers, OPTIONS preflight, load counters, a log line."""

    def __init__(self, app: ASGIApp, *, server: Server) -> None:
        self.app = app
        self.server = server
        domains = server.config.cors_domains
        self.any_origin = "*" in domains
        self.origins = {d.rstrip("/") for d in domains}

    def _allow_origin(self, scope: Scope) -> bytes | None:
        if self.any_origin:
            return b"*"
        for name, value in scope.get("headers", ()):
            if name == b"origin" and value.decode("latin-1").rstrip("/") in self.origins:
                return value
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = self._allow_origin(scope)
        if scope["method"] == "OPTIONS":
            await self._preflight(origin, send)
            return
        started = time.perf_counter()
        counts = {"in": 0, "out": 0, "status": 0}

        async def counting_receive() -> Message:
            message = await receive()
            counts["in"] += len(message.get("body", b""))
            return message

        async def decorated_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                counts["status"] = message["status"]
                if origin is not None:
                    message["headers"] = list(message.get("headers", [])) + self._cors_headers(origin)
            elif message["type"] == "http.response.body":
                counts["out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, decorated_send)
        finally:
            self.server.load.count(scope["method"], counts["in"], counts["out"])
            if log.isEnabledFor(logging.INFO):
                _log_request(scope, counts, started)

    def _cors_headers(self, origin: bytes) -> list[tuple[bytes, bytes]]:
        """The origin allowed, and ``Vary: Origin`` when the answer depends on it (caches must
        not hand one origin's answer to another)."""
        headers = [(b"access-control-allow-origin", origin)]
        if not self.any_origin:
            headers.append((b"vary", b"Origin"))
        return headers

    async def _preflight(self, origin: bytes | None, send: Send) -> None:
        headers = [
            (b"allow", b"DELETE, GET, HEAD, OPTIONS, POST, PUT"),
            (b"content-length", b"0"),
        ]
        if origin is not None:
            headers += self._cors_headers(origin) + [
                (b"access-control-allow-methods", b"DELETE, GET, HEAD, OPTIONS, POST, PUT"),
                (b"access-control-allow-headers", b"Authorization, Content-Type, Content-Encoding"),
                (b"access-control-max-age", b"86400"),
            ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _log_request(scope: Scope, counts: dict[str, int], started: float) -> None:
    """One line per request: client, verb, path, status, bytes in and out, milliseconds; at
    debug level also the message of a refused request."""
    client = scope.get("client")
    who = f"{client[0]}:{client[1]}" if client else "-"
    query = scope.get("query_string", b"")
    path = scope["path"] + ("?" + query.decode("latin-1") if query else "")
    line = (f'{who} "{scope["method"]} {path}" {counts["status"]} in={counts["in"]} out={counts["out"]} '
            f"{(time.perf_counter() - started) * 1000:.1f} ms")
    error = scope.get("dvidpy.error")
    if error and log.isEnabledFor(logging.DEBUG):
        line += f": {error}"
    log.info(line)


def create_app(config: Config, plugins: Plugins | None = None) -> Starlette:
    """The dvidpy ASGI app for ``config``; plugins default to built-ins plus entry points."""
    if plugins is None:
        plugins = Plugins(make_plugin_manager())
    srv = Server(config, plugins)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        srv.close()

    app = Starlette(
        routes=ROUTES,
        exception_handlers={DVIDError: dvid_error, StoreUnavailable: store_unavailable, 404: not_found,
                            405: method_not_allowed, Exception: internal_error},
        lifespan=lifespan,
        max_body_size=MAX_BODY_BYTES,
    )
    app.state.server = srv
    # The last added is the outermost: CORS, counters and the log line wrap the lean route too.
    app.add_middleware(LeanRoute, server=srv, errors={DVIDError: dvid_error, StoreUnavailable: store_unavailable})
    app.add_middleware(HTTPBasics, server=srv)
    srv.purge_soon()
    return app


def worker_app() -> Starlette:
    """The app of one worker process of ``dvidpy serve --workers N`` (uvicorn calls it).

    The worker holds the data folder's worker lock shared for its whole life (a new server
    refuses the folder while any worker of an old one lives) and ends when its supervisor does.
    """
    import os

    from dvidpy.folder_lock import hold_as_worker
    from dvidpy.logs import configure_logging
    from dvidpy.serving import WORKER_CONFIG_ENV, WORKER_LOG_ENV
    from dvidpy.worker_process import die_with_parent

    config = Config.from_json(os.environ[WORKER_CONFIG_ENV])
    configure_logging(config, os.environ.get(WORKER_LOG_ENV, "info"))
    die_with_parent()
    hold_as_worker(config.data)
    return create_app(config)
