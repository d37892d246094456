"""The lean route: GETs of endpoints a datatype declares lean, served in front of Starlette.

Neuroglancer asks for hundreds of 64^3 chunks at once (``raw/0_1_2/64_64_64/<x_y_z>/jpeg``,
``...?compression=googlegzip``, ``subvolblocks/...``); for each, routing through the route
table, the Request object and the framework's middleware cost as much as reading the blocks.
This pure-ASGI layer sits inside :class:`~dvidpy.app.HTTPBasics` (so CORS headers, load
counters and the log line are the same) and in front of the framework. For
``GET /api/node/<uuid>/<name>/<keyword>/...`` it resolves node and instance from the current
catalog with dict lookups and, when the instance's datatype declares ``keyword`` lean
(:attr:`Endpoint.lean <dvidpy.datatypes.Endpoint>`), runs the request exactly as the normal
route does: the same size check, the same :func:`~dvidpy.routes.instances.run_data_request`
(one store transaction that finds node and instance again), the same handler, and errors
answered by the app's own error handlers. Everything else, and anything unusual about the
request (a body, a path or query the framework would rewrite, a name the lean route cannot
resolve), goes to the framework unchanged, which answers it as it always has.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from dvidpy.datatypes import RequestHead
from dvidpy.errors import DVIDError
from dvidpy.instances import RESERVED_NAMES
from dvidpy.routes.instances import checked_size, run_data_request, url_parts
from dvidpy.server import Server
from dvidpy.storage.engine import StoreUnavailable, engine_spec
from dvidpy.versions import Node

ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]

#: The largest read (voxel bytes, as the endpoint's size rule says) run on the event loop's
#: thread when the store is local: reading a 64^3 chunk's blocks, or finding its encoding in
#: the chunk cache, takes less time than the hop to a worker thread and back (measured: see
#: docs/performance.md). Encoding a chunk does not (it would hold the loop for milliseconds
#: while 8 clients wait), so a cache miss goes on in a worker thread; so do larger reads and
#: every read of a store across the network, as on the normal route.
INLINE_MAX_BYTES = 4 << 20

#: Characters the framework escapes in the path it hands handlers (``request.url.path``).
_ESCAPED = ("?", "#", "\\")


class LeanRoute:
    """Serve lean GETs directly; pass every other request to ``app``.

    ``errors`` maps exception classes to the app's handlers for them (DVID-style 4xx, 503),
    so a refusal reads the same on either route; any other exception propagates as it would
    from the framework's route.
    """

    def __init__(self, app: ASGIApp, *, server: Server, errors: Mapping[type[Exception], ErrorHandler]) -> None:
        self.app = app
        self.server = server
        self.errors = tuple(errors.items())
        self.local_store = engine_spec(server.config.engine).local

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        head = self._lean_head(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if head is None:
            await self.app(scope, receive, send)
            return
        request_head, node = head
        try:
            size = checked_size(self.server, self.server.datatype(request_head.instance.typename), request_head)
            inline = self.local_store and size is not None and size <= INLINE_MAX_BYTES
            response = await run_data_request(self.server, request_head, node, b"", mutation=False,
                                              writable=False, skip_locks=False, inline=inline)
        except Exception as exc:
            handler = next((h for kind, h in self.errors if isinstance(exc, kind)), None)
            if handler is None:
                raise
            response = await handler(Request(scope, receive), exc)
        await response(scope, receive, send)

    def _lean_head(self, scope: Scope) -> tuple[RequestHead, Node] | None:
        """The request's head and node if the lean route serves it, else None."""
        path: str = scope["path"]
        if not path.startswith("/api/node/") or scope.get("root_path") or any(c in path for c in _ESCAPED):
            return None
        query: bytes = scope.get("query_string", b"")
        if not query.isascii():
            return None
        parts = url_parts(path)
        if len(parts) < 4 or parts[2] in RESERVED_NAMES or not all(parts[1:3]):
            return None
        headers = Headers(scope=scope)
        if headers.get("content-length", "0") != "0" or "transfer-encoding" in headers:
            return None
        try:
            repo, node = self.server.datastore.resolve(parts[1])
        except (DVIDError, StoreUnavailable):  # the framework's route answers (400, 503)
            return None
        instance = repo.instances.get(parts[2])
        if instance is None:
            return None
        registered = self.server.types.get(instance.typename)
        if registered is None or not registered.datatype.is_lean("GET", parts[3]):
            return None
        return RequestHead("GET", path, parts, QueryParams(query), headers, instance), node
