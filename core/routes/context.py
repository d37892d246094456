"""What every core route needs: the server, admin privilege, mode checks, bodies, replies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dvidpy.errors import bad_request
from dvidpy.json_io import parse_json
from dvidpy.server import Server
from dvidpy.storage.engine import with_room

T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]

READ_METHODS = frozenset({"GET", "HEAD"})


def server_of(request: Request) -> Server:
    return request.app.state.server


def is_admin(request: Request) -> bool:
    """A request carrying ``?admintoken=`` equal to the configured (non-empty) admin token."""
    token = server_of(request).config.admin_token
    return bool(token) and request.query_params.get("admintoken") == token


def check_writable(request: Request) -> None:
    """Refuse anything but GET/HEAD in read-only mode (admins excepted)."""
    if request.method not in READ_METHODS and server_of(request).config.read_only and not is_admin(request):
        raise bad_request("Server in read-only mode and will only accept GET and HEAD requests")


def route(path: str, *, read_only_refuses: bool = True, **verbs: Endpoint) -> Route:
    """One route for ``path`` with its verbs named: ``route(path, GET=info, POST=set_info)``.

    A verb the route does not name is answered 405 with ``Allow`` (HEAD follows GET). Unless
    ``read_only_refuses`` is false, a read-only server refuses every verb but GET and HEAD
    before the handler runs, as DVID's repo and node selectors do.
    """

    async def endpoint(request: Request) -> Response:
        if read_only_refuses:
            check_writable(request)
        handler = verbs.get(request.method) or verbs["GET"]  # only HEAD falls back to GET
        return await handler(request)

    return Route(path, endpoint, methods=list(verbs))


def may_skip_locks(request: Request) -> bool:
    """Admins and full-write servers may change committed nodes."""
    return is_admin(request) or server_of(request).config.full_write


#: The most a core route's JSON body may hold (repo and instance settings, notes, logs).
MAX_JSON_BODY = 16 << 20


def body_cap(decoded_size: int | None, limit: int) -> int:
    """The most body bytes to accept for a request whose decoded body will hold ``decoded_size``
    bytes (if known): that plus what a compressed transfer may add, and never over ``limit``."""
    if decoded_size is None:
        return limit
    return min(limit, decoded_size + decoded_size // 64 + 1024)


async def read_body(request: Request, cap: int) -> bytes:
    """The request body, refused (400) as soon as it is known to exceed ``cap`` bytes: from its
    declared Content-Length before anything is read, else while it arrives."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise bad_request(f"Content-Length {declared!r} is not a byte count")
        if int(declared) > cap:
            raise bad_request(f"request body of {int(declared)} bytes is larger than the {cap} bytes this request may send")
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > cap:
            raise bad_request(f"request body is larger than the {cap} bytes this request may send")
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: Request, *, required: bool = False) -> Any:
    """The body as JSON (None when empty and not required), or DVID's malformed-JSON 400."""
    raw = await read_body(request, MAX_JSON_BODY)
    if not raw.strip():
        if required:
            raise bad_request("Malformed JSON request in body: unexpected end of JSON input")
        return None
    return parse_json(raw, "Malformed JSON request in body")


async def json_object(request: Request, *, required: bool = False) -> dict[str, Any]:
    body = await json_body(request, required=required)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_request("Malformed JSON request in body: expected a JSON object")
    return body


def string_field(body: dict[str, Any], key: str, default: str = "") -> str:
    """A field that must be a string when present (keys matched case-insensitively)."""
    for k, v in body.items():
        if k.lower() == key.lower():
            if not isinstance(v, str):
                raise bad_request(f"'{key}' must be a string, not {json.dumps(v)}")
            return v
    return default


def log_lines(body: dict[str, Any]) -> list[str]:
    """The ``log`` field of a note/log body: a list of strings."""
    if "log" not in body:
        raise bad_request("Could not find 'log' value in POSTed JSON.")
    lines = body["log"]
    if not isinstance(lines, list) or not all(isinstance(m, str) for m in lines):
        raise bad_request("'log' must be a JSON array of strings")
    return lines


async def in_store(request: Request, action: Callable[[], T]) -> T:
    """Run a store-touching action in a worker thread, growing the store if it fills up."""
    return await run_in_threadpool(with_room, server_of(request).engine, action)
