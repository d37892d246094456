"""The limit: an ASGI app that answers ``GET /bytes/<n>`` with n preallocated bytes, and any
POST by receiving its whole body (joined, as dvidpy does) and answering an empty 200.

It runs on the same server stack as dvidpy (uvicorn, same options), so the time it takes is
what HTTP alone costs for a response, or a request body, of that size.
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
    if scope["method"] == "POST":
        await _receive_all(receive)
        await _answer(send, b"")
        return
    n = int(scope["path"].rsplit("/", 1)[-1])
    body = _CACHE.get(n)
    if body is None:
        body = _CACHE[n] = bytes(n)
    await _answer(send, body)


async def _receive_all(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send, body: bytes) -> None:
    await send({
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"application/octet-stream"), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})
