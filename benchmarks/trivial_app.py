"""The limit: an ASGI app that answers ``GET /bytes/<n>`` with n preallocated bytes.

It runs on the same server stack as dvidpy (uvicorn, same options), so the time it takes is
what HTTP alone costs for a response of that size.
"""

from __future__ import annotations

_CACHE: dict[int, bytes] = {}


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    n = int(scope["path"].rsplit("/", 1)[-1])
    body = _CACHE.get(n)
    if body is None:
        body = _CACHE[n] = bytes(n)
    await send({
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"application/octet-stream"), (b"content-length", str(n).encode())],
    })
    await send({"type": "http.response.body", "body": body})
